package sim

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestStorageCreateInfoAndShrinkRefused(t *testing.T) {
	srv, fc := start(t, func(o *Options) { o.StorageLatency = time.Second })
	sid, rid := createStorage(t, srv, key1, `{"size":100,"name":"data","deletion_protection":false}`)
	if !strings.HasPrefix(sid, "s-") {
		t.Errorf("storage id %q", sid)
	}
	if got := storageInfoOf(t, srv, sid)["status"]; got != StoragePending {
		t.Errorf("status %v while creating", got)
	}
	fc.Advance(time.Second)
	if st, r := requestStatus(t, srv, rid); st != RequestCompleted || r.object(t)["request_type"] != RequestStorageCreate {
		t.Errorf("create request %s", r.body)
	}
	info := storageInfoOf(t, srv, sid)
	for k, v := range map[string]any{"storage_id": sid, "status": StorageAvailable, "size_gb": float64(100), "tp_storage_name": "data", "deletion_protection": false} {
		if info[k] != v {
			t.Errorf("storage_info.%s = %#v, want %#v", k, info[k], v)
		}
	}
	if jsonString(info["cluster_ids"]) != "[]" {
		t.Errorf("cluster_ids %v, want []", info["cluster_ids"])
	}

	m := do(t, "PATCH", srv.URL+"/storage/edit/"+sid, key1, `{"size_gb":50}`).expect(t, 400, nil)
	if text := str(t, m, "message"); !strings.Contains(text, "can only grow") {
		t.Errorf("shrink refused with %q", text)
	}
	edit := do(t, "PATCH", srv.URL+"/storage/edit/"+sid, key1, `{"size_gb":200,"tp_storage_name":"bigger"}`).expect(t, 202, nil)
	if got := storageInfoOf(t, srv, sid)["size_gb"]; got != float64(100) {
		t.Errorf("size %v before the edit completes", got)
	}
	fc.Advance(time.Second)
	if st, _ := requestStatus(t, srv, str(t, edit, "request_id")); st != RequestCompleted {
		t.Errorf("edit %s", st)
	}
	info = storageInfoOf(t, srv, sid)
	if info["size_gb"] != float64(200) || info["tp_storage_name"] != "bigger" {
		t.Errorf("after the edit: %v", info)
	}
	for body, loc := range map[string]string{
		`{"size":0}`: `[["body","size"]]`, `{"name":"x"}`: `[["body","size"]]`, `{"size":"big"}`: `[["body","size"]]`,
	} {
		r := do(t, "POST", srv.URL+"/storage/create", key1, body)
		if r.code != 422 || jsonString(detailLocs(t, r.body)) != loc {
			t.Errorf("create %s: %d %s, want 422 at %s", body, r.code, r.body, loc)
		}
	}
	r := do(t, "PATCH", srv.URL+"/storage/edit/"+sid, key1, `{"size_gb":0}`)
	if r.code != 422 {
		t.Errorf("edit to 0 GB: %d", r.code)
	}
}

func TestAttachDetachAndRestarts(t *testing.T) {
	srv, fc := start(t, func(o *Options) { instant(o); o.StorageLatency = time.Second })
	cid, err := srv.Engine.AddCluster(key1, ClusterSpec{InstanceType: "8xH100", NumNodes: 2})
	if err != nil {
		t.Fatal(err)
	}
	sid, _ := createStorage(t, srv, key1, `{"size":10}`)
	fc.Advance(time.Second)

	m := do(t, "POST", srv.URL+"/storage/attach", key1, `{"storage_id":"`+sid+`","cluster_ids":["`+cid+`"]}`).expect(t, 202, nil)
	ids, _ := m["request_ids"].([]any)
	if len(ids) != 1 {
		t.Fatalf("request_ids %v", m["request_ids"])
	}
	attach, _ := ids[0].(string)
	if st, r := requestStatus(t, srv, attach); st != RequestProcessing || r.object(t)["object_id"] != sid || r.object(t)["request_type"] != RequestStorageAttach {
		t.Errorf("attach request %s", r.body)
	}
	if info := storageInfoOf(t, srv, sid); info["status"] != StorageAvailable || jsonString(info["cluster_ids"]) != "[]" {
		t.Errorf("volume while attaching: %v", info)
	}
	a := srv.Engine.Attachments()
	if len(a) != 1 || a[0].ID != sid+"/"+cid || a[0].Status != AttachmentAttaching || !a[0].Live {
		t.Errorf("attachments while attaching %+v", a)
	}
	// Attaching twice, or destroying while attaching, is refused.
	do(t, "POST", srv.URL+"/storage/attach", key1, `{"storage_id":"`+sid+`","cluster_ids":["`+cid+`"]}`).expect(t, 400, nil)
	do(t, "DELETE", srv.URL+"/storage/"+sid, key1, "").expect(t, 400, nil)

	fc.Advance(time.Second)
	if info := storageInfoOf(t, srv, sid); info["status"] != StorageAttached || jsonString(info["cluster_ids"]) != `["`+cid+`"]` {
		t.Errorf("volume after attaching: %v", info)
	}
	if c := mustCluster(t, srv.Engine, cid); c.Restarts != 1 || !slices.Equal(c.StorageIDs, []string{sid}) {
		t.Errorf("cluster after attach: restarts %d storage %v", c.Restarts, c.StorageIDs)
	}
	m = do(t, "DELETE", srv.URL+"/storage/"+sid, key1, "").expect(t, 400, nil)
	if text := str(t, m, "message"); !strings.Contains(text, "detach it first") {
		t.Errorf("destroying an attached volume refused with %q", text)
	}

	det := do(t, "POST", srv.URL+"/storage/detach", key1, `{"storage_id":"`+sid+`","cluster_id":"`+cid+`"}`).expect(t, 202, nil)
	detach := str(t, det, "request_id")
	if info := storageInfoOf(t, srv, sid); info["status"] != StorageAttached {
		t.Errorf("volume while detaching: %v", info["status"])
	}
	fc.Advance(time.Second)
	if st, _ := requestStatus(t, srv, detach); st != RequestCompleted {
		t.Errorf("detach %s", st)
	}
	if info := storageInfoOf(t, srv, sid); info["status"] != StorageAvailable || jsonString(info["cluster_ids"]) != "[]" {
		t.Errorf("volume after detaching: %v", info)
	}
	if c := mustCluster(t, srv.Engine, cid); c.Restarts != 1 {
		t.Errorf("a detach restarted the cluster: %d", c.Restarts)
	}
	do(t, "POST", srv.URL+"/storage/detach", key1, `{"storage_id":"`+sid+`","cluster_id":"`+cid+`"}`).expect(t, 400, nil)

	// A cluster that is not RUNNING cannot take storage.
	pending, _ := createCluster(t, srv, `{"instance_type":"1xH100"}`)
	_ = srv.Engine.SetClusterStatus(pending, ClusterPending)
	m = do(t, "POST", srv.URL+"/storage/attach", key1, `{"storage_id":"`+sid+`","cluster_ids":["`+cid+`","`+pending+`"]}`).expect(t, 400, nil)
	if text := str(t, m, "message"); !strings.Contains(text, pending) || !strings.Contains(text, "RUNNING") {
		t.Errorf("attach to a PENDING cluster refused with %q", text)
	}
	if a := srv.Engine.Attachments(); a[0].Status != AttachmentDetached || len(a) != 1 {
		t.Errorf("a refused attach left %+v", a)
	}
	for body, loc := range map[string]string{
		`{"storage_id":"` + sid + `","cluster_ids":[]}`: `[["body","cluster_ids"]]`,
		`{"cluster_ids":["` + cid + `"]}`:               `[["body","storage_id"]]`,
	} {
		r := do(t, "POST", srv.URL+"/storage/attach", key1, body)
		if r.code != 422 || jsonString(detailLocs(t, r.body)) != loc {
			t.Errorf("attach %s: %d %s", body, r.code, r.body)
		}
	}
	do(t, "POST", srv.URL+"/storage/attach", key1, `{"storage_id":"`+sid+`","cluster_ids":["c-000000000000"]}`).expect(t, 404, nil)
}

func TestReleasingAClusterEndsItsAttachments(t *testing.T) {
	srv, _ := start(t, instant)
	cid, _ := srv.Engine.AddCluster(key1, ClusterSpec{})
	sid, _ := srv.Engine.AddStorage(key1, StorageSpec{SizeGB: 5})
	if err := srv.Engine.Attach(sid, cid); err != nil {
		t.Fatal(err)
	}
	if c := mustCluster(t, srv.Engine, cid); c.Restarts != 1 {
		t.Errorf("Attach helper: restarts %d", c.Restarts)
	}
	do(t, "DELETE", srv.URL+"/cluster/"+cid, key1, "").expect(t, 202, nil)
	if s := mustStorage(t, srv.Engine, sid); s.Status != StorageAvailable || len(s.ClusterIDs) != 0 {
		t.Errorf("volume after its cluster's release: %s on %v", s.Status, s.ClusterIDs)
	}
	if err := srv.Engine.CheckNoOrphanedObjects("user-1", []string{sid}); err != nil {
		t.Errorf("ended attachment still live: %v", err)
	}
}

func TestStorageDestroyAndDrift(t *testing.T) {
	srv, fc := start(t, func(o *Options) { instant(o); o.StorageLatency = 2 * time.Second })
	sid, err := srv.Engine.AddStorage(key1, StorageSpec{SizeGB: 100, DeletionProtection: true})
	if err != nil {
		t.Fatal(err)
	}
	m := do(t, "DELETE", srv.URL+"/storage/"+sid, key1, "").expect(t, 400, nil)
	if text := str(t, m, "message"); !strings.Contains(text, "deletion protection") {
		t.Errorf("protected destroy refused with %q", text)
	}
	small, off := int64(40), false
	if err := srv.Engine.EditStorage(sid, Edit{SizeGB: &small, DeletionProtection: &off}); err != nil {
		t.Fatal(err)
	}
	if got := storageInfoOf(t, srv, sid)["size_gb"]; got != float64(40) {
		t.Errorf("size after drift %v", got)
	}
	fc.Advance(10 * time.Second)
	rid := str(t, do(t, "DELETE", srv.URL+"/storage/"+sid, key1, "").expect(t, 202, nil), "request_id")
	if got := storageInfoOf(t, srv, sid)["status"]; got != StorageDestroying {
		t.Errorf("status %v while destroying", got)
	}
	fc.Advance(2 * time.Second)
	if st, r := requestStatus(t, srv, rid); st != RequestCompleted || r.object(t)["request_type"] != RequestStorageDestroy {
		t.Errorf("destroy request %s", r.body)
	}
	s := mustStorage(t, srv.Engine, sid)
	if s.Status != StorageDestroyed || s.Billing || s.Billed != 12*time.Second || s.BilledAfterDestroyRequested != 2*time.Second {
		t.Errorf("destroyed volume %+v", s)
	}
	if got := storageInfoOf(t, srv, sid)["status"]; got != StorageDestroyed {
		t.Errorf("destroyed volume reads %v (200)", got)
	}
	if err := srv.Engine.RemoveStorage(sid); err != nil {
		t.Fatal(err)
	}
	do(t, "GET", srv.URL+"/storage/info/"+sid, key1, "").expect(t, 404, nil)
}

// TestNoRequestIDs: under the switch, attach, detach and both releases are
// answered without their request ids [CLI: optional], and still happen.
func TestNoRequestIDs(t *testing.T) {
	srv, _ := start(t, instant)
	cid, _ := createCluster(t, srv, `{"instance_type":"1xH100"}`)
	sid, _ := createStorage(t, srv, key1, `{"size":10}`)
	srv.Engine.SetFaults(Faults{NoRequestIDs: true})
	for _, c := range []struct{ method, path, body, field string }{
		{"POST", "/storage/attach", `{"storage_id":"` + sid + `","cluster_ids":["` + cid + `"]}`, "request_ids"},
		{"POST", "/storage/detach", `{"storage_id":"` + sid + `","cluster_id":"` + cid + `"}`, "request_id"},
		{"DELETE", "/storage/" + sid, "", "request_id"},
		{"DELETE", "/cluster/" + cid, "", "request_id"},
	} {
		m := do(t, c.method, srv.URL+c.path, key1, c.body).expect(t, 202, nil)
		if _, ok := m[c.field]; ok || m["message"] == nil {
			t.Errorf("%s %s answered %v, want a message without %s", c.method, c.path, m, c.field)
		}
	}
	if cl, _ := srv.Engine.Cluster(cid); cl.Status != ClusterDestroyed {
		t.Errorf("the cluster is %s after its release, want DESTROYED", cl.Status)
	}
	if s, _ := srv.Engine.StorageVolume(sid); s.Status != StorageDestroyed {
		t.Errorf("the volume is %s after its destroy, want DESTROYED", s.Status)
	}
}
