package client

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// deref renders optional values for comparison: "<nil>" for nil.
func deref[T any](p *T) any {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func TestDecodeClusterInfoTolerantly(t *testing.T) {
	cases := []struct {
		name string
		body string
		want Cluster // Raw checked separately
		raw  string  // a fragment Raw must hold
	}{
		{
			name: "documented shape",
			body: `{"message":"Cluster c-1 is running","cluster_info":{"cluster_id":"c-1","status":"RUNNING","instance_type":"8xB200","num_nodes":2,"tp_cluster_name":"train","container":"img:1","instance_ids":["i-1","i-2"],"deletion_protection":true,"created_at":"2026-01-01T00:00:00Z","region":"us-east"}}`,
			want: Cluster{ID: "c-1", Status: ptr("RUNNING"), InstanceType: ptr("8xB200"), Name: ptr("train"), Container: ptr("img:1"),
				CreatedAt: ptr("2026-01-01T00:00:00Z"), Message: ptr("Cluster c-1 is running"), NumNodes: ptr(int64(2)),
				InstanceIDs: []string{"i-1", "i-2"}, DeletionProtection: ptr(true)},
			raw: `"region":"us-east"`,
		},
		{
			name: "nested under cluster, other names, numbers as strings",
			body: `{"cluster":{"id":"c-2","status":"pending","cluster_name":"n","num_nodes":"4","deletion_protection":"false","instances":[{"instance_id":"i-9"},"i-8",7,null,{"x":1}],"created_at":1700000000}}`,
			want: Cluster{ID: "c-2", Status: ptr("pending"), Name: ptr("n"), NumNodes: ptr(int64(4)), DeletionProtection: ptr(false),
				InstanceIDs: []string{"i-9", "i-8", "7"}, CreatedAt: ptr("2023-11-14T22:13:20Z")},
			raw: `"cluster_name":"n"`,
		},
		{
			name: "top level",
			body: `{"cluster_id":"c-3","status":"DESTROYED","name":"top","instance_ids":[],"message":"gone"}`,
			want: Cluster{ID: "c-3", Status: ptr("DESTROYED"), Name: ptr("top"), InstanceIDs: []string{}, Message: ptr("gone")},
			raw:  `"name":"top"`,
		},
		{
			name: "nulls are absent",
			body: `{"message":null,"cluster_info":{"cluster_id":"c-4","status":null,"instance_type":null,"num_nodes":null,"tp_cluster_name":null,"container":null,"instance_ids":null,"deletion_protection":null,"created_at":null}}`,
			want: Cluster{ID: "c-4"},
			raw:  `"cluster_id":"c-4"`,
		},
		{
			name: "message only",
			body: `{"message":"Cluster c-5: 1xH100, running for 3h"}`,
			want: Cluster{Message: ptr("Cluster c-5: 1xH100, running for 3h")},
			raw:  `{"message":"Cluster c-5: 1xH100, running for 3h"}`,
		},
		{
			name: "a guessed nested name holding text is not the object",
			body: `{"cluster":"c-6","status":"RUNNING"}`,
			want: Cluster{Status: ptr("RUNNING")},
			raw:  `"cluster":"c-6"`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeClusterInfo([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(got.Raw), tc.raw) {
				t.Errorf("Raw %s does not keep %s", got.Raw, tc.raw)
			}
			got.Raw = nil
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("got  %s\nwant %s", describeCluster(got), describeCluster(&tc.want))
			}
		})
	}
}

func describeCluster(c *Cluster) string {
	return strings.Join([]string{
		"id=" + c.ID,
		"status=" + stringOf(deref(c.Status)), "type=" + stringOf(deref(c.InstanceType)), "name=" + stringOf(deref(c.Name)),
		"container=" + stringOf(deref(c.Container)), "created=" + stringOf(deref(c.CreatedAt)), "message=" + stringOf(deref(c.Message)),
		"nodes=" + stringOf(deref(c.NumNodes)), "protect=" + stringOf(deref(c.DeletionProtection)),
		"instances=" + stringOf(c.InstanceIDs) + " (nil:" + stringOf(c.InstanceIDs == nil) + ")",
	}, " ")
}

func stringOf(v any) string {
	data, _ := json.Marshal(v)
	return string(data)
}

func TestDecodeStorageInfoTolerantly(t *testing.T) {
	cases := []struct {
		name string
		body string
		want Storage
		raw  string
	}{
		{
			name: "documented shape",
			body: `{"message":"m","storage_info":{"storage_id":"s-1","status":"ATTACHED","size_gb":100,"tp_storage_name":"data","deletion_protection":false,"cluster_ids":["c-1","c-2"],"created_at":"2026-01-01T00:00:00Z","tier":"fast"}}`,
			want: Storage{ID: "s-1", Status: ptr("ATTACHED"), SizeGB: ptr(int64(100)), Name: ptr("data"), DeletionProtection: ptr(false),
				ClusterIDs: []string{"c-1", "c-2"}, CreatedAt: ptr("2026-01-01T00:00:00Z"), Message: ptr("m")},
			raw: `"tier":"fast"`,
		},
		{
			name: "nested under storage, other names, numbers as strings",
			body: `{"storage":{"id":"s-2","storage_name":"x","size":"250","deletion_protection":1,"attached_clusters":[{"cluster_id":"c-7"},{"id":"c-8"},"c-9"]}}`,
			want: Storage{ID: "s-2", Name: ptr("x"), SizeGB: ptr(int64(250)), DeletionProtection: ptr(true), ClusterIDs: []string{"c-7", "c-8", "c-9"}},
			raw:  `"storage_name":"x"`,
		},
		{
			name: "top level, attached_cluster_ids empty",
			body: `{"storage_id":"s-3","name":"y","status":"AVAILABLE","size_gb":"10.0","attached_cluster_ids":[]}`,
			want: Storage{ID: "s-3", Name: ptr("y"), Status: ptr("AVAILABLE"), SizeGB: ptr(int64(10)), ClusterIDs: []string{}},
			raw:  `"name":"y"`,
		},
		{
			name: "nulls are absent",
			body: `{"storage_info":{"storage_id":"s-4","status":null,"size_gb":null,"tp_storage_name":null,"deletion_protection":null,"cluster_ids":null,"created_at":null}}`,
			want: Storage{ID: "s-4"},
			raw:  `"storage_id":"s-4"`,
		},
		{
			name: "message only",
			body: `{"message":"Volume s-5: 100 GB"}`,
			want: Storage{Message: ptr("Volume s-5: 100 GB")},
			raw:  `{"message":"Volume s-5: 100 GB"}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeStorageInfo([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(got.Raw), tc.raw) {
				t.Errorf("Raw %s does not keep %s", got.Raw, tc.raw)
			}
			got.Raw = nil
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("got  %+v\nwant %+v (ClusterIDs nil: got %v want %v)", *got, tc.want, got.ClusterIDs == nil, tc.want.ClusterIDs == nil)
			}
		})
	}
}

func TestDecodeRequestInfoTolerantly(t *testing.T) {
	cases := []struct {
		name string
		body string
		want Request
	}{
		{
			name: "documented shape",
			body: `{"request_id":"r-1","request_type":"STORAGE_ATTACH","status":"retrying","created_at":"t","object_id":"s-1","external_message":"restarting nodes","extra":1}`,
			want: Request{ID: "r-1", Type: "STORAGE_ATTACH", Status: RequestRetrying, CreatedAt: ptr("t"), ObjectID: ptr("s-1"), ExternalMessage: ptr("restarting nodes")},
		},
		{
			name: "nested, numbers as strings, nulls and blank message absent",
			body: `{"request_info":{"id":42,"type":"CLUSTER_EDIT","status":" completed ","object_id":null,"external_message":"  "}}`,
			want: Request{ID: "42", Type: "CLUSTER_EDIT", Status: RequestCompleted},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeRequestInfo([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Raw) == 0 {
				t.Error("Raw is empty")
			}
			got.Raw = nil
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tc.want)
			}
		})
	}
	if RequestStatus("QUEUED").Terminal() || !RequestFailed.Terminal() || !RequestCompleted.Terminal() || RequestRetrying.Terminal() {
		t.Error("only COMPLETED and FAILED are terminal")
	}
}

func TestInfoDecodersRefuseWhatIsNotAnObject(t *testing.T) {
	decoders := map[string]func([]byte) error{
		"cluster": func(b []byte) error { _, err := DecodeClusterInfo(b); return err },
		"storage": func(b []byte) error { _, err := DecodeStorageInfo(b); return err },
		"request": func(b []byte) error { _, err := DecodeRequestInfo(b); return err },
	}
	for name, decode := range decoders {
		for _, body := range []string{`<html>502</html>`, `[]`, `"text"`, `null`, `42`, ``, `{"message":`} {
			if err := decode([]byte(body)); err == nil {
				t.Errorf("%s: %q decoded without error", name, body)
			}
		}
	}
	if _, err := DecodeClusterInfo([]byte(`{"cluster_info":"c-1"}`)); err == nil {
		t.Error("a `cluster_info` that is not an object must be an error")
	}
	if _, err := DecodeStorageInfo([]byte(`{"storage_info":[1]}`)); err == nil {
		t.Error("a `storage_info` that is not an object must be an error")
	}
	if _, err := DecodeRequestInfo([]byte(`{"request_id":"r-1","message":"pending"}`)); err == nil {
		t.Error("a request without a status must be an error")
	}
}

func TestReleasedStatuses(t *testing.T) {
	for status, want := range map[string]bool{
		"DESTROYED": true, "destroyed": true, "Released": true, "TERMINATED": true, "deleted": true, "FAILED": true,
		"RUNNING": false, "DESTROYING": false, "PENDING": false, "AVAILABLE": false, "": false, "weird": false,
	} {
		if got := (&Cluster{Status: ptr(status)}).Released(); got != want {
			t.Errorf("cluster %q: Released() = %v, want %v", status, got, want)
		}
		if got := (&Storage{Status: ptr(status)}).Released(); got != want {
			t.Errorf("storage %q: Released() = %v, want %v", status, got, want)
		}
	}
	if (&Cluster{}).Released() || (&Storage{}).Released() {
		t.Error("an unknown status is not released")
	}
}

func TestValidateObjectID(t *testing.T) {
	for _, id := range []string{"c-0123456789ab", "s_1", "k:1", "k@2", "x~y", "r.1"} {
		if err := ValidateObjectID("cluster", id); err != nil {
			t.Errorf("ValidateObjectID(%q) = %v", id, err)
		}
	}
	for _, id := range []string{"", "/", "a/b", ".", "..", "a\x00", "a\nb", "key 1", "k%2F", "a?b", "a#b", "ü", strings.Repeat("x", MaxObjectIDLength+1)} {
		err := ValidateObjectID("storage volume", id)
		var invalid *InvalidIDError
		if !errors.As(err, &invalid) || !strings.Contains(err.Error(), "invalid storage volume id") {
			t.Errorf("ValidateObjectID(%q) = %v, want *InvalidIDError naming the kind", id, err)
		}
	}
}
