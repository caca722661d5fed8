package sim

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// Test SSH public keys (well-formed, not real keys).
const (
	pubA = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa alice@laptop"
	pubB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	pubC = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCccccccccccccccccccccccccccc= carol"
)

// instant sets every request latency to zero.
func instant(o *Options) {
	o.RequestPendingLatency, o.ClusterProvisionLatency, o.ClusterReleaseLatency = 0, 0, 0
	o.ClusterEditLatency, o.StorageLatency = 0, 0
}

// str returns a string field of a decoded body.
func str(t *testing.T, m map[string]any, k string) string {
	t.Helper()
	s, ok := m[k].(string)
	if !ok || s == "" {
		t.Fatalf("body[%q] = %#v, want a non-empty string: %v", k, m[k], m)
	}
	return s
}

// createCluster posts a create body as user-1 and returns the cluster and
// request ids. (The read helpers below also act as user-1.)
func createCluster(t *testing.T, srv *Server, body string) (string, string) {
	t.Helper()
	m := do(t, "POST", srv.URL+"/cluster/create", key1, body).expect(t, 202, nil)
	return str(t, m, "cluster_id"), str(t, m, "request_id")
}

// createStorage posts a create body and returns the storage and request ids.
func createStorage(t *testing.T, srv *Server, key, body string) (string, string) {
	t.Helper()
	m := do(t, "POST", srv.URL+"/storage/create", key, body).expect(t, 202, nil)
	return str(t, m, "storage_id"), str(t, m, "request_id")
}

// requestStatus reads a request's status (and the whole reply).
func requestStatus(t *testing.T, srv *Server, id string) (string, reply) {
	t.Helper()
	r := do(t, "GET", srv.URL+"/request/info/"+id, key1, "")
	m := r.expect(t, 200, map[string]any{"request_id": id})
	return str(t, m, "status"), r
}

// clusterInfo reads the cluster_info object of a cluster.
func clusterInfoOf(t *testing.T, srv *Server, id string) map[string]any {
	t.Helper()
	m := do(t, "GET", srv.URL+"/cluster/info/"+id, key1, "").expect(t, 200, nil)
	info, ok := m["cluster_info"].(map[string]any)
	if !ok {
		t.Fatalf("cluster_info is %T: %v", m["cluster_info"], m)
	}
	return info
}

// storageInfoOf reads the storage_info object of a volume.
func storageInfoOf(t *testing.T, srv *Server, id string) map[string]any {
	t.Helper()
	m := do(t, "GET", srv.URL+"/storage/info/"+id, key1, "").expect(t, 200, nil)
	info, ok := m["storage_info"].(map[string]any)
	if !ok {
		t.Fatalf("storage_info is %T: %v", m["storage_info"], m)
	}
	return info
}

func mustCluster(t *testing.T, e *Engine, id string) ClusterSnapshot {
	t.Helper()
	c, ok := e.Cluster(id)
	if !ok {
		t.Fatalf("cluster %s does not exist", id)
	}
	return c
}

func mustStorage(t *testing.T, e *Engine, id string) StorageSnapshot {
	t.Helper()
	s, ok := e.StorageVolume(id)
	if !ok {
		t.Fatalf("storage %s does not exist", id)
	}
	return s
}

// statuses lists the statuses of a request's history.
func statuses(t *testing.T, e *Engine, id string) []string {
	t.Helper()
	r, ok := e.Request(id)
	if !ok {
		t.Fatalf("request %s does not exist", id)
	}
	var out []string
	for _, h := range r.History {
		out = append(out, h.Status)
	}
	return out
}

func wantStatuses(t *testing.T, e *Engine, id string, want ...string) {
	t.Helper()
	if got := statuses(t, e, id); !slices.Equal(got, want) {
		t.Errorf("request %s history %v, want %v", id, got, want)
	}
}

// detailLocs returns the loc of each ValidationError of a 422 body.
func detailLocs(t *testing.T, body []byte) [][]any {
	t.Helper()
	var out [][]any
	for _, d := range checkValidationSchema(t, body) {
		out = append(out, locOf(t, d))
	}
	return out
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func at(d time.Duration) time.Time { return epoch.Add(d) }
