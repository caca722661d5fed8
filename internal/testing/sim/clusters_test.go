package sim

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestClusterCreateAnswerAndInfo(t *testing.T) {
	srv, fc := start(t, instant)
	m := do(t, "POST", srv.URL+"/cluster/create", key1, `{"instance_type":"8xB200","num_nodes":3,"tp_cluster_name":"train",
		"container":"nvcr.io/nvidia/pytorch:24.05","public_keys":["`+pubB+`"],"deletion_protection":false,"save_keys":false}`).
		expect(t, 202, nil)
	cid := str(t, m, "cluster_id")
	ids, _ := m["instance_ids"].([]any)
	if len(ids) != 3 || str(t, m, "message") == "" {
		t.Fatalf("create answer %v: want 3 instance ids and a message", m)
	}
	for _, id := range ids {
		if s, _ := id.(string); !strings.HasPrefix(s, "i-") || len(s) != 14 {
			t.Errorf("instance id %v, want i- and 12 hex digits", id)
		}
	}
	fc.Advance(time.Second)
	info := clusterInfoOf(t, srv, cid)
	want := map[string]any{
		"cluster_id": cid, "status": "RUNNING", "instance_type": "8xB200", "num_nodes": float64(3),
		"tp_cluster_name": "train", "container": "nvcr.io/nvidia/pytorch:24.05", "deletion_protection": false,
		"created_at": "2026-01-02T03:04:05Z",
	}
	for k, v := range want {
		if info[k] != v {
			t.Errorf("cluster_info.%s = %#v, want %#v", k, info[k], v)
		}
	}
	if jsonString(info["instance_ids"]) != jsonString(ids) {
		t.Errorf("info instance_ids %v, create said %v", info["instance_ids"], ids)
	}

	// Defaults: one node, no name, no container (null).
	cid2, _ := createCluster(t, srv, `{"instance_type":"1xH100","num_nodes":null}`)
	info = clusterInfoOf(t, srv, cid2)
	if info["num_nodes"] != float64(1) || info["tp_cluster_name"] != nil || info["container"] != nil {
		t.Errorf("defaults: %v", info)
	}
	do(t, "GET", srv.URL+"/cluster/info/c-000000000000", key1, "").expect(t, 404, nil)
}

func TestClusterCreateValidation(t *testing.T) {
	srv, _ := start(t, instant)
	cases := map[string]struct {
		body string
		loc  string
	}{
		"missing type":    {`{"num_nodes":1}`, `["body","instance_type"]`},
		"null type":       {`{"instance_type":null}`, `["body","instance_type"]`},
		"unknown type":    {`{"instance_type":"3xT4"}`, `["body","instance_type"]`},
		"zero nodes":      {`{"instance_type":"1xH100","num_nodes":0}`, `["body","num_nodes"]`},
		"fractional":      {`{"instance_type":"1xH100","num_nodes":1.5}`, `["body","num_nodes"]`},
		"nodes as string": {`{"instance_type":"1xH100","num_nodes":"two"}`, `["body","num_nodes"]`},
		"bad key":         {`{"instance_type":"1xH100","public_keys":["` + pubA + `","not a key"]}`, `["body","public_keys",1]`},
		"keys not a list": {`{"instance_type":"1xH100","public_keys":"` + pubA + `"}`, `["body","public_keys"]`},
		"bad protection":  {`{"instance_type":"1xH100","deletion_protection":"yes"}`, `["body","deletion_protection"]`},
		"not JSON":        {`{"instance_type":`, `["body",0]`},
		"not an object":   {`["1xH100"]`, `["body"]`},
		"empty body":      {``, `["body"]`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := do(t, "POST", srv.URL+"/cluster/create", key1, tc.body)
			if r.code != 422 {
				t.Fatalf("status %d, want 422: %s", r.code, r.body)
			}
			if locs := detailLocs(t, r.body); len(locs) != 1 || jsonString(locs[0]) != tc.loc {
				t.Errorf("locs %v, want [%s]", locs, tc.loc)
			}
		})
	}
	if n := len(srv.Engine.Clusters()); n != 2 { // the two shared clusters of start
		t.Errorf("refused creates left %d clusters", n-2)
	}
	if n := len(srv.Engine.Requests()); n != 0 {
		t.Errorf("refused creates made %d requests", n)
	}
}

func TestDeletionProtection(t *testing.T) {
	srv, fc := start(t, func(o *Options) { instant(o); o.ClusterEditLatency = time.Second })
	cid, _ := createCluster(t, srv, `{"instance_type":"1xH100","deletion_protection":true}`)
	r := do(t, "DELETE", srv.URL+"/cluster/"+cid, key1, "")
	m := r.expect(t, 400, nil)
	if text, _ := m["message"].(string); !strings.Contains(text, "deletion protection") || !strings.Contains(text, cid) {
		t.Errorf("protected release refused with %q", text)
	}
	if c := mustCluster(t, srv.Engine, cid); c.Status != ClusterRunning || c.DestroyRequestedAt != nil {
		t.Errorf("a refused release changed the cluster: %+v", c)
	}

	edit := do(t, "PATCH", srv.URL+"/cluster/edit/"+cid, key1, `{"deletion_protection":false,"cluster_name":"renamed"}`).expect(t, 202, nil)
	rid := str(t, edit, "request_id")
	if st, _ := requestStatus(t, srv, rid); st != RequestProcessing {
		t.Errorf("edit %s, want PROCESSING", st)
	}
	// Until the edit completes, the protection holds.
	do(t, "DELETE", srv.URL+"/cluster/"+cid, key1, "").expect(t, 400, nil)
	fc.Advance(time.Second)
	if st, r := requestStatus(t, srv, rid); st != RequestCompleted || r.object(t)["request_type"] != RequestClusterEdit {
		t.Errorf("edit request %s", r.body)
	}
	info := clusterInfoOf(t, srv, cid)
	if info["deletion_protection"] != false || info["tp_cluster_name"] != "renamed" {
		t.Errorf("after the edit: %v", info)
	}
	rel := do(t, "DELETE", srv.URL+"/cluster/"+cid, key1, "").expect(t, 202, nil)
	if st, r := requestStatus(t, srv, str(t, rel, "request_id")); st != RequestCompleted || r.object(t)["request_type"] != RequestClusterRelease {
		t.Errorf("release %s", r.body)
	}
	if got := clusterInfoOf(t, srv, cid)["status"]; got != ClusterDestroyed {
		t.Errorf("released cluster reads %v, want DESTROYED (200)", got)
	}
	m = do(t, "DELETE", srv.URL+"/cluster/"+cid, key1, "").expect(t, 400, nil)
	if text, _ := m["message"].(string); !strings.Contains(text, "already released") {
		t.Errorf("second release refused with %q", text)
	}
	do(t, "PATCH", srv.URL+"/cluster/edit/"+cid, key1, `{"cluster_name":"x"}`).expect(t, 400, nil)
	r = do(t, "PATCH", srv.URL+"/cluster/edit/"+cid, key1, `{"cluster_name":3}`)
	if r.code != 422 || jsonString(detailLocs(t, r.body)) != `[["body","cluster_name"]]` {
		t.Errorf("edit with a bad name: %d %s", r.code, r.body)
	}
}

func TestInfoMessageOnly(t *testing.T) {
	srv, _ := start(t, instant)
	cid, _ := createCluster(t, srv, `{"instance_type":"1xH100","tp_cluster_name":"n"}`)
	sid, _ := createStorage(t, srv, key1, `{"size":50}`)
	srv.Engine.SetFaults(Faults{InfoMessageOnly: true})
	for _, path := range []string{"/cluster/info/" + cid, "/storage/info/" + sid} {
		m := do(t, "GET", srv.URL+path, key1, "").expect(t, 200, nil)
		if len(m) != 1 || !strings.Contains(str(t, m, "message"), "RUNNING") && !strings.Contains(str(t, m, "message"), "AVAILABLE") {
			t.Errorf("%s answered %v, want only a message that says the status", path, m)
		}
	}
	srv.Engine.SetFaults(Faults{})
	if m := do(t, "GET", srv.URL+"/cluster/info/"+cid, key1, "").expect(t, 200, nil); m["cluster_info"] == nil {
		t.Errorf("switch off: %v", m)
	}
}

func TestOwnership(t *testing.T) {
	srv, _ := start(t, instant)
	cid, rid := createCluster(t, srv, `{"instance_type":"1xH100"}`)
	sid, _ := createStorage(t, srv, key1, `{"size":10}`)
	kid, err := srv.Engine.AddSSHKey(key1, pubA, "a")
	if err != nil {
		t.Fatal(err)
	}
	otherSID, _ := createStorage(t, srv, key2, `{"size":10}`)
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/cluster/info/" + cid, ""},
		{"PATCH", "/cluster/edit/" + cid, `{"cluster_name":"mine"}`},
		{"DELETE", "/cluster/" + cid, ""},
		{"GET", "/request/info/" + rid, ""},
		{"GET", "/storage/info/" + sid, ""},
		{"PATCH", "/storage/edit/" + sid, `{"size_gb":20}`},
		{"DELETE", "/storage/" + sid, ""},
		{"POST", "/storage/attach", `{"storage_id":"` + sid + `","cluster_ids":["` + cid + `"]}`},
		{"POST", "/storage/attach", `{"storage_id":"` + otherSID + `","cluster_ids":["` + cid + `"]}`},
		{"DELETE", "/user/ssh-key/remove/" + kid, ""},
	} {
		do(t, c.method, srv.URL+c.path, key2, c.body).expect(t, 403, map[string]any{"message": "Access denied"})
	}
	if c := mustCluster(t, srv.Engine, cid); c.Status != ClusterRunning || c.Name != "" {
		t.Errorf("another user changed the cluster: %+v", c)
	}
	if len(srv.Engine.SSHKeys()) != 1 || len(srv.Engine.Attachments()) != 0 {
		t.Errorf("another user removed a key or attached storage")
	}
	// Shared clusters are everyone's.
	do(t, "GET", srv.URL+"/cluster/info/c-local", key2, "").expect(t, 200, nil)
}

func TestSavedKeysAreRecordedAtClaimTime(t *testing.T) {
	srv, _ := start(t, instant)
	ka := str(t, do(t, "POST", srv.URL+"/user/ssh-key/add", key1, `{"public_key":"`+pubA+`","name":"alice"}`).expect(t, 200, nil), "key_id")
	if _, err := srv.Engine.AddSSHKey(key2, pubC, "someone else's"); err != nil {
		t.Fatal(err)
	}
	first, _ := createCluster(t, srv, `{"instance_type":"1xH100","public_keys":["`+pubB+`"],"save_keys":false}`)
	kc := str(t, do(t, "POST", srv.URL+"/user/ssh-key/add", key1, `{"public_key":"`+pubC+`"}`).expect(t, 200, nil), "key_id")
	second, _ := createCluster(t, srv, `{"instance_type":"1xH100","save_keys":false}`)
	do(t, "DELETE", srv.URL+"/user/ssh-key/remove/"+ka, key1, "").expect(t, 200, nil)
	third, _ := createCluster(t, srv, `{"instance_type":"1xH100"}`)

	for id, want := range map[string][]string{first: {pubB, pubA}, second: {pubA, pubC}, third: {pubC}} {
		if got := mustCluster(t, srv.Engine, id).PublicKeys; !slices.Equal(got, want) {
			t.Errorf("cluster %s got keys %q, want %q", id, got, want)
		}
	}
	if k := srv.Engine.SSHKeys(); len(k) != 2 || k[1].KeyID != kc {
		t.Errorf("keys %+v", k)
	}

	// save_keys, true when absent, saves the body's keys that are not saved
	// yet: a later cluster gets them.
	fourth, _ := createCluster(t, srv, `{"instance_type":"1xH100","public_keys":["`+pubB+`","`+pubC+` other-comment"]}`)
	fifth, _ := createCluster(t, srv, `{"instance_type":"1xH100"}`)
	if got := mustCluster(t, srv.Engine, fourth).PublicKeys; !slices.Equal(got, []string{pubB, pubC + " other-comment", pubC}) {
		t.Errorf("cluster with save_keys got %q", got)
	}
	if got := mustCluster(t, srv.Engine, fifth).PublicKeys; !slices.Equal(got, []string{pubC, pubB}) {
		t.Errorf("cluster after save_keys got %q, want the saved C then the newly saved B", got)
	}
	if err := srv.Engine.CheckNoSSHKeys("user-1", kc); err == nil || !strings.Contains(err.Error(), "saved with cluster "+fourth) {
		t.Errorf("CheckNoSSHKeys = %v, want the key saved by the create reported", err)
	}
}

func TestJobsOnACreatedCluster(t *testing.T) {
	srv, fc := start(t, func(o *Options) {
		instant(o)
		o.ClusterProvisionLatency = 3 * time.Second
		o.ClusterReleaseLatency = 2 * time.Second
	})
	cid, _ := createCluster(t, srv, `{"instance_type":"1xH100"}`)
	if _, err := srv.Engine.AddJob(key1, cid); err == nil || !strings.Contains(err.Error(), "PENDING") {
		t.Errorf("push to a provisioning cluster: %v", err)
	}
	// The same check refuses a WebSocket push.
	c, ctx := dial(t, srv, "/job/push", keyMsg(key1))
	send(ctx, c, pushRequestMsg(goodConfig, "Linux", cid))
	_, err := readAll(ctx, c, nil)
	if ce := closeOf(t, err); ce.Code != 1007 || !strings.Contains(ce.Reason, "not RUNNING") {
		t.Errorf("push to a PENDING cluster closed %d %q", ce.Code, ce.Reason)
	}
	fc.Advance(3 * time.Second)
	if _, err := srv.Engine.AddJob(key2, cid); err == nil || !strings.Contains(err.Error(), "access denied") {
		t.Errorf("another user's push: %v", err)
	}
	running, err := srv.Engine.AddJob(key1, cid)
	if err != nil {
		t.Fatalf("push to a RUNNING cluster: %v", err)
	}
	done, _ := srv.Engine.AddJob(key1, cid)
	if err := srv.Engine.SetStatus(done, StatusCompleted); err != nil {
		t.Fatal(err)
	}

	fc.Advance(time.Second)
	do(t, "DELETE", srv.URL+"/cluster/"+cid, key1, "").expect(t, 202, nil)
	if st := status(t, srv.Engine, running); st != StatusRunning {
		t.Errorf("job %s during the release, want running until it completes", st)
	}
	fc.Advance(2 * time.Second)
	j, _ := srv.Engine.Job(running)
	if j.Status != StatusFailed || j.TerminalAt == nil || !j.TerminalAt.Equal(at(6*time.Second)) {
		t.Errorf("job after the release: %s at %v, want failed at +6s", j.Status, j.TerminalAt)
	}
	if got := mustCluster(t, srv.Engine, cid).JobsRunningAtRelease; !slices.Equal(got, []string{running}) {
		t.Errorf("JobsRunningAtRelease %v, want [%s]", got, running)
	}
	if _, err := srv.Engine.AddJob(key1, cid); err == nil {
		t.Error("push to a released cluster accepted")
	}
}

func TestClusterRoutesCountAndObeyFaults(t *testing.T) {
	srv, _ := start(t, instant)
	cid, rid := createCluster(t, srv, `{"instance_type":"1xH100"}`)
	do(t, "GET", srv.URL+"/cluster/info/"+cid, "", "").expect(t, 401, nil)
	srv.Engine.SetFaults(Faults{FailNext: 1})
	r := do(t, "GET", srv.URL+"/cluster/info/"+cid, key1, "")
	if r.code != 503 || r.header.Get("Retry-After") != "1" {
		t.Errorf("fail_next on cluster info: %d %q", r.code, r.header.Get("Retry-After"))
	}
	srv.Engine.SetFaults(Faults{RateLimit: 1})
	do(t, "GET", srv.URL+"/request/info/"+rid, key1, "").expect(t, 200, nil)
	do(t, "GET", srv.URL+"/request/info/"+rid, key1, "").expect(t, 429, nil)
	srv.Engine.SetFaults(Faults{})
	do(t, "DELETE", srv.URL+"/cluster/"+cid, key1, "").expect(t, 202, nil)

	want := map[string]int{"POST /cluster/create": 1, "GET /cluster/info": 2, "GET /request/info": 2, "DELETE /cluster": 1}
	if got := srv.Engine.Stats(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Stats %v, want %v", got, want)
	}
	if got := srv.Engine.RequestsFor(cid); fmt.Sprint(got) != fmt.Sprint(map[string]int{"POST /cluster/create": 1, "GET /cluster/info": 2, "DELETE /cluster": 1}) {
		t.Errorf("RequestsFor(cluster) %v", got)
	}
	if got := srv.Engine.RequestsFor(rid); got["GET /request/info"] != 2 || len(got) != 1 {
		t.Errorf("RequestsFor(request) %v", got)
	}
}

func TestClusterDriftHelpers(t *testing.T) {
	srv, _ := start(t, nil) // default (non-zero) latencies are not needed: helpers act at once
	cid, err := srv.Engine.AddCluster(key1, ClusterSpec{InstanceType: "8xH100", NumNodes: 2, Name: "n", DeletionProtection: true})
	if err != nil {
		t.Fatal(err)
	}
	c := mustCluster(t, srv.Engine, cid)
	if c.Status != ClusterRunning || !c.Billing || c.Owner != "user-1" || len(c.InstanceIDs) != 2 {
		t.Errorf("AddCluster made %+v", c)
	}
	wantStatuses(t, srv.Engine, c.ClaimRequestID, RequestPending, RequestProcessing, RequestCompleted)
	name := "renamed-outside"
	if err := srv.Engine.EditCluster(cid, Edit{Name: &name}); err != nil {
		t.Fatal(err)
	}
	if got := clusterInfoOf(t, srv, cid)["tp_cluster_name"]; got != name {
		t.Errorf("name after drift %v", got)
	}
	if err := srv.Engine.ReleaseCluster(cid); err != nil { // protection does not stop the console
		t.Fatal(err)
	}
	if got := clusterInfoOf(t, srv, cid)["status"]; got != ClusterDestroyed {
		t.Errorf("status after ReleaseCluster %v", got)
	}
	if err := srv.Engine.CheckNothingBilling("user-1"); err != nil {
		t.Errorf("after ReleaseCluster: %v", err)
	}
	if err := srv.Engine.RemoveCluster(cid); err != nil {
		t.Fatal(err)
	}
	do(t, "GET", srv.URL+"/cluster/info/"+cid, key1, "").expect(t, 404, nil)
	if err := srv.Engine.SetClusterStatus("c-nope", "RUNNING"); err == nil {
		t.Error("SetClusterStatus on an unknown cluster succeeded")
	}
	other, _ := srv.Engine.AddCluster(key1, ClusterSpec{})
	if err := srv.Engine.SetClusterStatus(other, "MAINTENANCE"); err != nil {
		t.Fatal(err)
	}
	if got := clusterInfoOf(t, srv, other)["status"]; got != "MAINTENANCE" {
		t.Errorf("forced status reads %v", got)
	}
}

// A job stream learns that the release ended the job without any request
// arriving: the failure is in the job's schedule from the moment the
// release is accepted.
func TestListenSeesAReleaseEndTheJob(t *testing.T) {
	srv, fc := start(t, func(o *Options) { instant(o); o.ClusterReleaseLatency = 4 * time.Second })
	cid, _ := srv.Engine.AddCluster(key1, ClusterSpec{})
	id, err := srv.Engine.AddJob(key1, cid)
	if err != nil {
		t.Fatal(err)
	}
	c, ctx := dial(t, srv, "/job/listen/"+id, keyMsg(key1))
	if m := listenNext(t, ctx, c); m["status"] != StatusRunning {
		t.Fatalf("first message %v", m)
	}
	timer := fc.TimerCreated()
	do(t, "DELETE", srv.URL+"/cluster/"+cid, key1, "").expect(t, 202, nil)
	waitTimer(t, ctx, timer) // the stream now waits for the release's end
	fc.Advance(4 * time.Second)
	if m := listenNext(t, ctx, c); m["status"] != "error" || m["message"] != "Job failed" {
		t.Fatalf("after the release: %v, want the job failed", m)
	}
}

// A cancel accepted during the release that would finish after it does
// not keep the job alive past the cluster.
func TestReleaseEndsAJobWhoseCancelIsSlower(t *testing.T) {
	srv, fc := start(t, func(o *Options) {
		instant(o)
		o.ClusterReleaseLatency = 2 * time.Second
		o.CancelLatency = time.Minute
	})
	cid, _ := srv.Engine.AddCluster(key1, ClusterSpec{})
	id, _ := srv.Engine.AddJob(key1, cid)
	do(t, "DELETE", srv.URL+"/cluster/"+cid, key1, "").expect(t, 202, nil)
	fc.Advance(time.Second)
	do(t, "POST", srv.URL+"/job/cancel/"+id, key1, "").expect(t, 202, nil)
	fc.Advance(time.Second)
	j, _ := srv.Engine.Job(id)
	if j.Status != StatusFailed || j.TerminalAt == nil || !j.TerminalAt.Equal(at(2*time.Second)) {
		t.Errorf("job %s at %v, want failed when the release completed (+2s)", j.Status, j.TerminalAt)
	}
}

// TestSSHKeyMessageOnly: with the switch, the key routes answer only a
// message, as the official CLI reads them: "add" keeps the structured list,
// "all" drops it too; the key is saved either way.
func TestSSHKeyMessageOnly(t *testing.T) {
	srv, _ := start(t, instant)
	for i, mode := range []string{SSHKeyMessageOnlyAdd, SSHKeyMessageOnlyAll} {
		srv.Engine.SetFaults(Faults{SSHKeyMessageOnly: mode})
		added := do(t, "POST", srv.URL+"/user/ssh-key/add", key1, `{"public_key":"`+pubA+`"}`).expect(t, 200, nil)
		if len(added) != 1 || str(t, added, "message") == "" {
			t.Errorf("%s: the add answered %v, want only a message", mode, added)
		}
		if n := len(srv.Engine.SSHKeys()); n != i+1 {
			t.Errorf("%s: the engine has %d keys after %d adds", mode, n, i+1)
		}
		list := do(t, "GET", srv.URL+"/user/ssh-key/list", key1, "").expect(t, 200, nil)
		if _, structured := list["ssh_keys"]; structured != (mode == SSHKeyMessageOnlyAdd) || str(t, list, "message") == "" {
			t.Errorf("%s: the list answered %v", mode, list)
		}
	}
	srv.Engine.SetFaults(Faults{})
	if m := do(t, "POST", srv.URL+"/user/ssh-key/add", key1, `{"public_key":"`+pubA+`"}`).expect(t, 200, nil); m["key_id"] == nil {
		t.Errorf("switch off: %v", m)
	}
}
