package client

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestCreateClusterSendsTheSpecAndReadsTheAnswer(t *testing.T) {
	c, srv := newRouteClient(t, Config{}, map[string][]func(http.ResponseWriter){
		"POST /cluster/create": {jsonReply(http.StatusAccepted,
			`{"cluster_id":"c-1","message":"claiming","instance_ids":["i-1","i-2"],"request_id":"r-1"}`)},
	})
	created, err := c.CreateCluster(context.Background(), ClusterSpec{
		InstanceType: "8xB200", NumNodes: ptr(int64(2)), Name: ptr("train"), PublicKeys: []string{"ssh-ed25519 AAAA a"}, DeletionProtection: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if created.ClusterID != "c-1" || created.RequestID != "r-1" || created.Message != "claiming" ||
		!reflect.DeepEqual(created.InstanceIDs, []string{"i-1", "i-2"}) || !strings.Contains(string(created.Raw), `"request_id":"r-1"`) {
		t.Errorf("created = %+v", created)
	}
	body := srv.requestsTo("POST /cluster/create")[0].Body
	want := map[string]any{
		"instance_type": "8xB200", "num_nodes": float64(2), "tp_cluster_name": "train",
		"public_keys": []any{"ssh-ed25519 AAAA a"}, "deletion_protection": true, "save_keys": false,
	}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("body = %v\nwant   %v", body, want)
	}
}

func TestCreateClusterLeavesUnsetFieldsOut(t *testing.T) {
	c, srv := newRouteClient(t, Config{}, map[string][]func(http.ResponseWriter){
		"POST /cluster/create": {jsonReply(http.StatusAccepted, `{"cluster_id":"c-1","request_id":"r-1"}`)},
	})
	if _, err := c.CreateCluster(context.Background(), ClusterSpec{InstanceType: "1xH100"}); err != nil {
		t.Fatal(err)
	}
	body := srv.requestsTo("POST /cluster/create")[0].Body
	// As the official CLI (helpers.py cluster_create): no public_keys
	// without keys, not even an empty list.
	for _, key := range []string{"num_nodes", "tp_cluster_name", "container", "public_keys"} {
		if _, ok := body[key]; ok {
			t.Errorf("%s sent although unset: %v", key, body)
		}
	}
	if _, err := c.CreateCluster(context.Background(), ClusterSpec{InstanceType: "1xH100", PublicKeys: []string{}}); err != nil {
		t.Fatal(err)
	}
	if body := srv.requestsTo("POST /cluster/create")[1].Body; body["public_keys"] != nil {
		t.Errorf("an empty key list was sent as %#v", body["public_keys"])
	}
}

func TestCreateAnswersWithoutAnIDAreATypedError(t *testing.T) {
	cases := []struct {
		name     string
		route    string
		body     string
		create   func(*Client) error
		findWith string
		request  string
	}{
		{"cluster, request id only", "POST /cluster/create", `{"message":"claiming","request_id":"r-9"}`,
			func(c *Client) error {
				_, err := c.CreateCluster(context.Background(), ClusterSpec{InstanceType: "1xH100"})
				return err
			},
			"tp cluster list", "r-9"},
		{"cluster, not JSON", "POST /cluster/create", `<html>accepted</html>`,
			func(c *Client) error {
				_, err := c.CreateCluster(context.Background(), ClusterSpec{InstanceType: "1xH100"})
				return err
			},
			"tp cluster list", ""},
		{"storage, null id", "POST /storage/create", `{"storage_id":null,"request_id":"r-8"}`,
			func(c *Client) error {
				_, err := c.CreateStorage(context.Background(), StorageSpec{SizeGB: 10})
				return err
			},
			"tp storage list", "r-8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, srv := newRouteClient(t, Config{}, map[string][]func(http.ResponseWriter){tc.route: {jsonReply(http.StatusAccepted, tc.body)}})
			err := tc.create(c)
			var missing *MissingIDError
			if !errors.As(err, &missing) {
				t.Fatalf("want *MissingIDError, got %T %v", err, err)
			}
			if missing.RequestID != tc.request {
				t.Errorf("RequestID = %q, want %q", missing.RequestID, tc.request)
			}
			for _, want := range []string{"may have created", tc.findWith} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not say %q: %v", want, err)
				}
			}
			if n := len(srv.requestsTo(tc.route)); n != 1 {
				t.Errorf("requests = %d, want 1 (a create is never retried)", n)
			}
		})
	}
}

func TestGetClusterMessageOnlyAndErrors(t *testing.T) {
	c, srv := newRouteClient(t, Config{}, map[string][]func(http.ResponseWriter){
		"GET /cluster/info/c-1":     {jsonReply(http.StatusOK, `{"message":"Cluster c-1 is running"}`)},
		"GET /cluster/info/c-gone":  {jsonReply(http.StatusNotFound, `{"message":"Cluster not found"}`)},
		"GET /cluster/info/c-html":  {jsonReply(http.StatusOK, `<html>oops</html>`)},
		"GET /cluster/info/c-flaky": {jsonReply(http.StatusBadGateway, `bad gateway`), jsonReply(http.StatusOK, `{"cluster_info":{"status":"RUNNING"}}`)},
	})
	cluster, err := c.GetCluster(context.Background(), "c-1")
	if err != nil {
		t.Fatal(err)
	}
	if cluster.ID != "c-1" || cluster.Status != nil || cluster.InstanceIDs != nil || cluster.Message == nil ||
		string(cluster.Raw) != `{"message":"Cluster c-1 is running"}` {
		t.Errorf("message-only cluster = %+v", cluster)
	}
	if _, err := c.GetCluster(context.Background(), "c-gone"); !IsNotFound(err) {
		t.Errorf("404: want IsNotFound, got %v", err)
	}
	var decodeErr *DecodeError
	if _, err := c.GetCluster(context.Background(), "c-html"); !errors.As(err, &decodeErr) || !strings.Contains(err.Error(), "/cluster/info/c-html") {
		t.Errorf("not JSON: want *DecodeError naming the request, got %v", err)
	}
	if _, err := c.GetCluster(context.Background(), "c-flaky"); err != nil {
		t.Errorf("a GET is retried on an outage: %v", err)
	}
	if n := len(srv.requests()); n != 5 {
		t.Errorf("requests = %d, want 5", n)
	}
}

func TestEditAndDestroyCluster(t *testing.T) {
	c, srv := newRouteClient(t, Config{}, map[string][]func(http.ResponseWriter){
		"PATCH /cluster/edit/c-1": {jsonReply(http.StatusServiceUnavailable, `{"message":"down"}`), jsonReply(http.StatusAccepted, `{"message":"ok","request_id":"r-2"}`)},
		"DELETE /cluster/c-1":     {jsonReply(http.StatusBadGateway, `oops`), jsonReply(http.StatusAccepted, `{"request_id":"r-3"}`)},
		"GET /cluster/info/c-1":   {jsonReply(http.StatusOK, `{"cluster_info":{"cluster_id":"c-1","status":"RUNNING"}}`)},
		"DELETE /cluster/c-prot":  {jsonReply(http.StatusBadRequest, `{"message":"cluster c-prot has deletion protection enabled"}`)},
		"PATCH /cluster/edit/c-2": {jsonReply(http.StatusAccepted, `{"message":"edited"}`)},
	})
	ctx := context.Background()
	id, err := c.EditCluster(ctx, "c-1", ClusterEdit{Name: ptr("new"), DeletionProtection: ptr(false)})
	if err != nil || id != "r-2" {
		t.Fatalf("edit: %q, %v", id, err)
	}
	if body := srv.requests()[1].Body; !reflect.DeepEqual(body, map[string]any{"cluster_name": "new", "deletion_protection": false}) {
		t.Errorf("edit body = %v", body)
	}
	if id, err := c.EditCluster(ctx, "c-2", ClusterEdit{DeletionProtection: ptr(true)}); err != nil || id != "" {
		t.Errorf("edit without request id: %q, %v", id, err)
	}
	if body := srv.requests()[2].Body; !reflect.DeepEqual(body, map[string]any{"deletion_protection": true}) {
		t.Errorf("edit body = %v, want only the set field", body)
	}
	before := len(srv.requests())
	if id, err := c.EditCluster(ctx, "c-2", ClusterEdit{}); err != nil || id != "" || len(srv.requests()) != before {
		t.Errorf("an empty edit must send nothing: %q, %v", id, err)
	}
	if id, err := c.DestroyCluster(ctx, "c-1"); err != nil || id != "r-3" {
		t.Errorf("destroy: %q, %v", id, err)
	}
	if _, err := c.DestroyCluster(ctx, "c-prot"); !IsBadRequest(err) || !strings.Contains(err.Error(), "deletion protection") {
		t.Errorf("protected: %v", err)
	}
}

func TestObjectIDsAreValidatedBeforeAnyRequest(t *testing.T) {
	c, srv := newRouteClient(t, Config{}, nil)
	ctx := context.Background()
	calls := map[string]func(id string) error{
		"GetCluster":     func(id string) error { _, err := c.GetCluster(ctx, id); return err },
		"EditCluster":    func(id string) error { _, err := c.EditCluster(ctx, id, ClusterEdit{Name: ptr("x")}); return err },
		"DestroyCluster": func(id string) error { _, err := c.DestroyCluster(ctx, id); return err },
		"GetStorage":     func(id string) error { _, err := c.GetStorage(ctx, id); return err },
		"EditStorage": func(id string) error {
			_, err := c.EditStorage(ctx, id, StorageEdit{SizeGB: ptr(int64(2))})
			return err
		},
		"DestroyStorage": func(id string) error { _, err := c.DestroyStorage(ctx, id); return err },
		"AttachStorage/storage": func(id string) error {
			_, err := c.AttachStorage(ctx, id, []string{"c-1"})
			return err
		},
		"AttachStorage/cluster": func(id string) error {
			_, err := c.AttachStorage(ctx, "s-1", []string{"c-1", id})
			return err
		},
		"DetachStorage/storage": func(id string) error { _, err := c.DetachStorage(ctx, id, "c-1"); return err },
		"DetachStorage/cluster": func(id string) error { _, err := c.DetachStorage(ctx, "s-1", id); return err },
		"GetRequest":            func(id string) error { _, err := c.GetRequest(ctx, id); return err },
		"GetSSHKey":             func(id string) error { _, err := c.GetSSHKey(ctx, id); return err },
		"RemoveSSHKey":          func(id string) error { return c.RemoveSSHKey(ctx, id) },
	}
	for name, call := range calls {
		for _, id := range []string{"", "a/b", "..", "x\ty", "c 1", "c?x=1", strings.Repeat("c", MaxObjectIDLength+1)} {
			var invalid *InvalidIDError
			if err := call(id); !errors.As(err, &invalid) {
				t.Errorf("%s(%q): want *InvalidIDError, got %v", name, id, err)
			}
		}
	}
	if _, err := c.AttachStorage(ctx, "s-1", nil); err == nil {
		t.Error("an attach to no cluster must be refused")
	}
	if n := len(srv.requests()); n != 0 {
		t.Errorf("%d requests reached the engine", n)
	}
}
