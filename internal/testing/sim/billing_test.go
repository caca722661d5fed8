package sim

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestSSHKeyRoutes(t *testing.T) {
	srv, _ := start(t, nil)
	m := do(t, "POST", srv.URL+"/user/ssh-key/add", key1, `{"public_key":"`+pubA+`","name":"laptop"}`).expect(t, 200, nil)
	kid := str(t, m, "key_id")
	do(t, "POST", srv.URL+"/user/ssh-key/add", key1, `{"public_key":"`+pubB+`"}`).expect(t, 200, nil)
	m = do(t, "GET", srv.URL+"/user/ssh-key/list?include_org=true", key1, "").expect(t, 200, nil)
	keys, _ := m["ssh_keys"].([]any)
	if len(keys) != 2 || str(t, m, "message") == "" {
		t.Fatalf("list %v", m)
	}
	first, _ := keys[0].(map[string]any)
	for k, v := range map[string]any{"key_id": kid, "name": "laptop", "public_key": pubA, "created_at": "2026-01-02T03:04:05Z"} {
		if first[k] != v {
			t.Errorf("ssh_keys[0].%s = %#v, want %#v", k, first[k], v)
		}
	}
	if second, _ := keys[1].(map[string]any); second["name"] != nil {
		t.Errorf("a key without a name lists name %v, want null", second["name"])
	}
	if m := do(t, "GET", srv.URL+"/user/ssh-key/list", key2, "").expect(t, 200, nil); jsonString(m["ssh_keys"]) != "[]" {
		t.Errorf("another user's list %v", m["ssh_keys"])
	}
	for _, body := range []string{`{"public_key":"ssh-dss AAAA"}`, `{"public_key":"` + pubA + `\nssh-rsa AAAA"}`, `{"name":"x"}`} {
		r := do(t, "POST", srv.URL+"/user/ssh-key/add", key1, body)
		if r.code != 422 || jsonString(detailLocs(t, r.body)) != `[["body","public_key"]]` {
			t.Errorf("add %s: %d %s", body, r.code, r.body)
		}
	}
	do(t, "DELETE", srv.URL+"/user/ssh-key/remove/"+kid, key1, "").expect(t, 200, nil)
	do(t, "DELETE", srv.URL+"/user/ssh-key/remove/"+kid, key1, "").expect(t, 404, nil)
	if got := srv.Engine.RequestsFor(kid); got["POST /user/ssh-key/add"] != 1 || got["DELETE /user/ssh-key/remove"] != 2 {
		t.Errorf("RequestsFor(key) %v", got)
	}
	if err := srv.Engine.CheckNoSSHKeys("user-1"); err == nil || strings.Contains(err.Error(), kid) {
		t.Errorf("CheckNoSSHKeys = %v, want the remaining key only", err)
	}
	if err := srv.Engine.CheckNoSSHKeys("user-2"); err != nil {
		t.Errorf("user-2 has no keys: %v", err)
	}
}

func TestBillingAfterDestroyRequested(t *testing.T) {
	srv, fc := start(t, func(o *Options) {
		instant(o)
		o.ClusterProvisionLatency = 3 * time.Second
		o.ClusterReleaseLatency = 2 * time.Second
	})
	cid, _ := createCluster(t, srv, `{"instance_type":"1xH100"}`)
	fc.Advance(10 * time.Second)
	do(t, "DELETE", srv.URL+"/cluster/"+cid, key1, "").expect(t, 202, nil)
	fc.Advance(time.Second)
	c := mustCluster(t, srv.Engine, cid)
	if !c.Billing || c.Status != ClusterDestroying || c.BilledAfterDestroyRequested != time.Second || !c.DestroyRequestedAt.Equal(at(10*time.Second)) {
		t.Errorf("1 s into the release: %+v", c)
	}
	fc.Advance(time.Hour)
	c = mustCluster(t, srv.Engine, cid)
	if c.Billing || c.Billed != 12*time.Second || c.BilledAfterDestroyRequested != 2*time.Second || !c.ReleasedAt.Equal(at(12*time.Second)) {
		t.Errorf("after the release: billing=%v billed=%s after-destroy=%s released=%v", c.Billing, c.Billed, c.BilledAfterDestroyRequested, c.ReleasedAt)
	}

	// A cluster nobody releases keeps billing, and the report says so.
	kept, _ := createCluster(t, srv, `{"instance_type":"1xH100"}`)
	fc.Advance(time.Minute)
	report := srv.Engine.BillingReport("user-1")
	if len(report) != 2 || report[0].ObjectID != cid || report[1].ObjectID != kept {
		t.Fatalf("report %+v", report)
	}
	if r := report[1]; !r.Billing || r.Billed != time.Minute || r.DestroyRequestedAt != nil || r.BilledAfterDestroyRequested != 0 {
		t.Errorf("unreleased cluster in the report %+v", r)
	}
	if r := report[0]; r.Kind != BillingCluster || r.BilledAfterDestroyRequested != 2*time.Second {
		t.Errorf("released cluster in the report %+v", r)
	}
	if got := srv.Engine.BillingReport("user-2"); len(got) != 0 {
		t.Errorf("user-2's report %+v", got)
	}
}

func TestObjectInvariantChecks(t *testing.T) {
	srv, _ := start(t, instant)
	e := srv.Engine
	cid, _ := e.AddCluster(key1, ClusterSpec{})
	sid, _ := e.AddStorage(key1, StorageSpec{})
	if err := e.Attach(sid, cid); err != nil {
		t.Fatal(err)
	}
	theirs, _ := e.AddCluster(key2, ClusterSpec{})
	att := AttachmentID(sid, cid)
	if att != sid+"/"+cid {
		t.Fatalf("AttachmentID %q", att)
	}

	err := e.CheckNothingBilling("user-1")
	for _, id := range []string{cid, sid, att} {
		if err == nil || !strings.Contains(err.Error(), id) {
			t.Errorf("CheckNothingBilling = %v, want %s reported", err, id)
		}
	}
	if err != nil && (strings.Contains(err.Error(), theirs) || strings.Contains(err.Error(), "c-local")) {
		t.Errorf("CheckNothingBilling reports another user's or a shared cluster: %v", err)
	}
	if err := e.CheckNothingBilling("user-1", cid, sid, att); err != nil {
		t.Errorf("all allowed: %v", err)
	}

	if err := e.CheckNoOrphanedObjects("user-1", []string{cid, sid}); err == nil || !strings.Contains(err.Error(), att) || strings.Contains(err.Error(), "cluster "+cid) {
		t.Errorf("CheckNoOrphanedObjects = %v, want only the attachment", err)
	}
	if err := e.CheckNoOrphanedObjects("user-1", []string{cid, sid, att}); err != nil {
		t.Errorf("all in state: %v", err)
	}
	if err := e.CheckNoOrphanedObjects("user-1", []string{sid}, cid, att); err != nil {
		t.Errorf("allowed: %v", err)
	}

	if err := e.Detach(sid, cid); err != nil {
		t.Fatal(err)
	}
	if err := e.ReleaseCluster(cid); err != nil {
		t.Fatal(err)
	}
	if err := e.DestroyStorage(sid); err != nil {
		t.Fatal(err)
	}
	if err := e.CheckNothingBilling("user-1"); err != nil {
		t.Errorf("after everything is released: %v", err)
	}
	if err := e.CheckNoOrphanedObjects("user-1", nil); err != nil {
		t.Errorf("nothing live, nothing orphaned: %v", err)
	}
	if err := e.CheckNothingBilling("user-2"); err == nil || !strings.Contains(err.Error(), theirs) {
		t.Errorf("user-2's cluster not reported: %v", err)
	}
}

func TestSimObjectRoutes(t *testing.T) {
	srv, fc := start(t, instant)
	cid, rid := createCluster(t, srv, `{"instance_type":"1xH100","public_keys":["`+pubB+`"]}`)
	sid, _ := srv.Engine.AddStorage(key1, StorageSpec{SizeGB: 7})
	if err := srv.Engine.Attach(sid, cid); err != nil {
		t.Fatal(err)
	}
	kid, _ := srv.Engine.AddSSHKey(key1, pubA, "a")
	fc.Advance(time.Second)
	do(t, "DELETE", srv.URL+"/cluster/"+cid, key1, "").expect(t, 202, nil)

	var clusters struct {
		Clusters []map[string]any `json:"clusters"`
	}
	if err := json.Unmarshal(do(t, "GET", srv.URL+"/_sim/clusters", "", "").raw(t, 200, nil), &clusters); err != nil {
		t.Fatal(err)
	}
	var mine map[string]any
	for _, c := range clusters.Clusters {
		if c["cluster_id"] == cid {
			mine = c
		}
	}
	for k, v := range map[string]any{
		"owner": "user-1", "status": ClusterDestroyed, "restarts": float64(1), "billing": false,
		"billed_after_destroy_requested_ns": float64(0), "billed_ns": float64(time.Second),
		"destroy_requested_at": "2026-01-02T03:04:06Z", "released_at": "2026-01-02T03:04:06Z", "claim_request_id": rid,
	} {
		if mine[k] != v {
			t.Errorf("/_sim/clusters %s = %#v, want %#v", k, mine[k], v)
		}
	}
	if jsonString(mine["public_keys"]) != jsonString([]string{pubB}) {
		t.Errorf("public_keys %v", mine["public_keys"])
	}
	for path, want := range map[string]string{
		"/_sim/storage": `"storage_id":"` + sid + `"`, "/_sim/attachments": `"id":"` + sid + "/" + cid + `"`,
		"/_sim/ssh-keys": `"key_id":"` + kid + `"`, "/_sim/requests": `"request_id":"` + rid + `"`,
		"/_sim/billing?owner=user-1": `"object_id":"` + cid + `"`,
	} {
		if body := string(do(t, "GET", srv.URL+path, "", "").raw(t, 200, nil)); !strings.Contains(body, want) {
			t.Errorf("%s lacks %s: %s", path, want, body)
		}
	}
	if s := srv.Engine.Stats(); s["GET /_sim/clusters"] != 0 || len(s) != 2 {
		t.Errorf("/_sim routes counted: %v", s)
	}
}
