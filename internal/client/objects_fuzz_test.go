package client

import (
	"bytes"
	"encoding/json"
	"testing"
)

// infoSeeds are bodies of every shape the info decoders meet.
var infoSeeds = []string{
	`{"message":"m","cluster_info":{"cluster_id":"c-1","status":"RUNNING","num_nodes":"2","instance_ids":["i-1",3,null,{"instance_id":"i-4"}],"deletion_protection":"true"}}`,
	`{"message":"m","storage_info":{"storage_id":"s-1","size_gb":1e300,"cluster_ids":[{"cluster_id":"c-1"},{}],"deletion_protection":1}}`,
	`{"request_id":"r-1","status":"RETRYING","external_message":"capacity","object_id":5,"created_at":1.7e9}`,
	`{"request_info":{"status":null}}`, `{"cluster":"c-1"}`, `{"storage":[1]}`, `{"cluster_info":null,"message":"only"}`,
	`{"message":"only a message"}`, `{}`, `[]`, `null`, `<html>`, `{"size":"9.5","num_nodes":-1}`,
	`{"cluster_info":{"name":null,"tp_cluster_name":"x","cluster_name":null}}`,
}

// checkInfoRaw asserts what every decoded info object must satisfy: Raw is
// a JSON object found verbatim in the body (nothing invented, nothing
// reformatted).
func checkInfoRaw(t *testing.T, body []byte, raw json.RawMessage) {
	t.Helper()
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		t.Fatalf("Raw is not a JSON object: %q", raw)
	}
	if !bytes.Contains(body, raw) {
		t.Fatalf("Raw %q is not part of the body %q", raw, body)
	}
}

// nullIn reports whether the info object holds key as an explicit null.
func nullIn(raw json.RawMessage, key string) bool {
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(raw, &fields)
	value, ok := fields[key]
	return ok && string(bytes.TrimSpace(value)) == "null"
}

// FuzzDecodeClusterInfo: any body decodes to a cluster whose Raw is kept,
// or to an error; never a panic; a documented field sent as null is unset.
func FuzzDecodeClusterInfo(f *testing.F) {
	for _, seed := range infoSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		cluster, err := DecodeClusterInfo(body)
		if err != nil {
			if cluster != nil {
				t.Fatal("a cluster and an error")
			}
			return
		}
		checkInfoRaw(t, body, cluster.Raw)
		// Fields read under a single name: a null there must stay unset.
		for key, value := range map[string]any{
			"instance_type": cluster.InstanceType, "deletion_protection": cluster.DeletionProtection, "created_at": cluster.CreatedAt,
		} {
			if nullIn(cluster.Raw, key) && !isNilPointer(value) {
				t.Fatalf("%s: null decoded as a value", key)
			}
		}
		if nullIn(cluster.Raw, "instance_ids") && nullIn(cluster.Raw, "instances") && cluster.InstanceIDs != nil {
			t.Fatalf("instance_ids: null decoded as %v", cluster.InstanceIDs)
		}
	})
}

// FuzzDecodeStorageInfo is FuzzDecodeClusterInfo for storage volumes.
func FuzzDecodeStorageInfo(f *testing.F) {
	for _, seed := range infoSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		storage, err := DecodeStorageInfo(body)
		if err != nil {
			if storage != nil {
				t.Fatal("a storage volume and an error")
			}
			return
		}
		checkInfoRaw(t, body, storage.Raw)
		if nullIn(storage.Raw, "size_gb") && nullIn(storage.Raw, "size") && storage.SizeGB != nil {
			t.Fatalf("size: null decoded as %d", *storage.SizeGB)
		}
		if nullIn(storage.Raw, "deletion_protection") && storage.DeletionProtection != nil {
			t.Fatal("deletion_protection: null decoded as a value")
		}
	})
}

// FuzzDecodeRequestInfo: any body decodes to a request with a status and
// its Raw kept, or to an error; an unknown status is never terminal.
func FuzzDecodeRequestInfo(f *testing.F) {
	for _, seed := range infoSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeRequestInfo(body)
		if err != nil {
			if req != nil {
				t.Fatal("a request and an error")
			}
			return
		}
		checkInfoRaw(t, body, req.Raw)
		if req.Status == "" {
			t.Fatal("decoded a request without a status")
		}
		if req.Status.Terminal() && req.Status != RequestCompleted && req.Status != RequestFailed {
			t.Fatalf("status %q treated as terminal", req.Status)
		}
		if req.ExternalMessage != nil && nullIn(req.Raw, "external_message") {
			t.Fatal("external_message: null decoded as a value")
		}
	})
}

// FuzzDecodeSSHKeyList: never a panic, and every key has an id.
func FuzzDecodeSSHKeyList(f *testing.F) {
	for _, seed := range []string{
		`{"ssh_keys":[{"key_id":"k-1","public_key":"ssh-ed25519 AAAA"},{"name":"x"},3,null]}`,
		`[{"id":1}]`, `{"keys":"x"}`, `{"message":"m"}`, `null`, `[]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		keys, err := DecodeSSHKeyList(body)
		if err != nil {
			return
		}
		for _, key := range keys {
			if key.ID == "" {
				t.Fatalf("a key without an id: %+v", key)
			}
			if !bytes.Contains(body, key.Raw) {
				t.Fatalf("Raw %q is not part of the body", key.Raw)
			}
		}
	})
}

func isNilPointer(v any) bool {
	switch p := v.(type) {
	case *string:
		return p == nil
	case *int64:
		return p == nil
	case *bool:
		return p == nil
	}
	return false
}
