package sim

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestSimJobs(t *testing.T) {
	srv, fc := start(t, func(o *Options) { o.PendingDelay, o.RunDuration = time.Second, time.Second })
	a := addJob(t, srv.Engine, key1)
	fc.Advance(500 * time.Millisecond)
	b := addJob(t, srv.Engine, key2)
	fc.Advance(1500*time.Millisecond + 3) // a is terminal at t+2s, b at t+2.5s

	r := do(t, "GET", srv.URL+"/_sim/jobs", "", "")
	r.expect(t, 200, nil)
	var got struct {
		Jobs []map[string]any `json:"jobs"`
	}
	if err := json.Unmarshal(r.body, &got); err != nil || len(got.Jobs) != 2 {
		t.Fatalf("jobs %s (%v)", r.body, err)
	}
	j0, j1 := got.Jobs[0], got.Jobs[1]
	for k, v := range map[string]any{
		"job_id": a, "owner": "user-1", "cluster_id": "c-local", "status": "completed",
		"created_at": "2026-01-02T03:04:05Z", "terminal_at": "2026-01-02T03:04:07Z", "observed_terminal_at": nil,
		"upload_listing": "",
	} {
		if j0[k] != v {
			t.Errorf("jobs[0].%s = %#v, want %#v", k, j0[k], v)
		}
	}
	for k, v := range map[string]any{
		"job_id": b, "owner": "user-2", "status": "running",
		"created_at": "2026-01-02T03:04:05.5Z", "terminal_at": nil,
	} {
		if j1[k] != v {
			t.Errorf("jobs[1].%s = %#v, want %#v", k, j1[k], v)
		}
	}

	// Observed times keep their nanoseconds.
	do(t, "GET", srv.URL+"/job/info/"+a, key1, "").expect(t, 200, nil)
	r = do(t, "GET", srv.URL+"/_sim/jobs", "", "")
	if !strings.Contains(string(r.body), `"observed_terminal_at":"2026-01-02T03:04:07.000000003Z"`) {
		t.Errorf("observed_terminal_at missing or without nanoseconds: %s", r.body)
	}
}

func TestSimForceAndRemove(t *testing.T) {
	srv, _ := start(t, nil)
	id := addJob(t, srv.Engine, key1)

	m := do(t, "POST", srv.URL+"/_sim/jobs/"+id+"/status", "", `{"status":"paused"}`).expect(t, 200, map[string]any{"status": "paused", "job_id": id})
	if m["owner"] != "user-1" {
		t.Errorf("snapshot %v", m)
	}
	do(t, "POST", srv.URL+"/_sim/jobs/"+id+"/status", "", `{"status":""}`).expect(t, 400, nil)
	do(t, "POST", srv.URL+"/_sim/jobs/"+id+"/status", "", `not json`).expect(t, 400, nil)
	do(t, "POST", srv.URL+"/_sim/jobs/job-nope/status", "", `{"status":"running"}`).expect(t, 404, nil)
	info := infoObject(t, do(t, "GET", srv.URL+"/job/info/"+id, key1, "").expect(t, 200, nil))
	if info["status"] != "paused" {
		t.Errorf("the API shows %v after forcing paused", info["status"])
	}

	do(t, "DELETE", srv.URL+"/_sim/jobs/"+id, "", "").expect(t, 200, nil)
	do(t, "DELETE", srv.URL+"/_sim/jobs/"+id, "", "").expect(t, 404, map[string]any{"message": "Job not found"})
	do(t, "GET", srv.URL+"/job/info/"+id, key1, "").expect(t, 404, map[string]any{"message": "Job not found"})
	if len(srv.Engine.Jobs()) != 0 {
		t.Error("the removed job is still listed")
	}
}

func TestSimStats(t *testing.T) {
	srv, _ := start(t, nil)
	id := addJob(t, srv.Engine, key1)
	do(t, "GET", srv.URL+"/job/info/"+id, key1, "").expect(t, 200, nil)
	do(t, "GET", srv.URL+"/job/info/job-0000000000000000", key1, "").expect(t, 404, nil)
	do(t, "GET", srv.URL+"/job/info/"+id, "bad", "").expect(t, 401, nil)
	do(t, "POST", srv.URL+"/job/cancel/"+id, key1, "").expect(t, 202, nil)
	do(t, "GET", srv.URL+"/job/list", key1, "").expect(t, 200, nil)
	do(t, "POST", srv.URL+"/health", key1, "{}").expect(t, 200, nil)
	do(t, "GET", srv.URL+"/healthz", "", "").expect(t, 200, nil)

	var got struct {
		Requests map[string]int `json:"requests"`
	}
	r := do(t, "GET", srv.URL+"/_sim/stats", "", "")
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"GET /job/info": 3, "POST /job/cancel": 1, "GET /job/list": 1, "POST /health": 1}
	if len(got.Requests) != len(want) {
		t.Errorf("stats %v, want %v", got.Requests, want)
	}
	for k, v := range want {
		if got.Requests[k] != v {
			t.Errorf("stats[%q] = %d, want %d (all: %v)", k, got.Requests[k], v, got.Requests)
		}
	}
	do(t, "DELETE", srv.URL+"/_sim/stats", "", "").expect(t, 200, nil)
	if s := srv.Engine.Stats(); len(s) != 0 {
		t.Errorf("stats after reset: %v", s)
	}
	do(t, "GET", srv.URL+"/job/list", key1, "").expect(t, 200, nil)
	srv.Engine.ResetStats()
	if s := srv.Engine.Stats(); len(s) != 0 {
		t.Errorf("stats after ResetStats: %v", s)
	}
}

func TestSimFaultsRoute(t *testing.T) {
	srv, _ := start(t, func(o *Options) { o.RateLimit = 5 })
	m := do(t, "GET", srv.URL+"/_sim/faults", "", "").expect(t, 200, map[string]any{"rate_limit": float64(5), "latency": "0s"})
	if len(m) != 8 {
		t.Errorf("faults %v, want the 8 switches", m)
	}
	// A POST replaces the whole set.
	do(t, "POST", srv.URL+"/_sim/faults", "", `{"fail_next":2,"latency":"5ms","garble":"wrong-shape","drop_push_after_job_id":true}`).
		expect(t, 200, map[string]any{"rate_limit": float64(0), "fail_next": float64(2), "latency": "5ms", "garble": "wrong-shape"})
	f := srv.Engine.Faults()
	want := Faults{FailNext: 2, Latency: 5 * time.Millisecond, Garble: GarbleWrongShape, DropPushAfterJobID: true}
	if f != want {
		t.Errorf("Faults() = %+v, want %+v", f, want)
	}
	do(t, "POST", srv.URL+"/_sim/faults", "", `{"latency":1000000}`).expect(t, 200, map[string]any{"latency": "1ms"})

	for _, bad := range []string{`{"fail_rate":2}`, `{"garble":"xml"}`, `{"RateLimit":3}`, `{"latency":"soon"}`, `[]`, `{"rate_limit":-1}`} {
		do(t, "POST", srv.URL+"/_sim/faults", "", bad).expect(t, 400, nil)
	}
	if got := srv.Engine.Faults(); got.Latency != time.Millisecond || got.FailRate != 0 {
		t.Errorf("a refused POST changed the faults: %+v", got)
	}
}

func TestSimCreateRoute(t *testing.T) {
	srv, err := Start(Options{APIKeys: []string{"k1", "k2"}, Clusters: []string{"c-a", "c-b"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	do(t, "POST", srv.URL+"/_sim/jobs", "", `{"owner":"user-2","cluster_id":"c-b"}`).expect(t, 201, map[string]any{"owner": "user-2", "cluster_id": "c-b", "status": "running"})
	do(t, "POST", srv.URL+"/_sim/jobs", "", ``).expect(t, 201, map[string]any{"owner": "user-1", "cluster_id": "c-a"})
	do(t, "POST", srv.URL+"/_sim/jobs", "", `{"owner":"k1"}`).expect(t, 400, nil)
	do(t, "POST", srv.URL+"/_sim/jobs", "", `{"cluster_id":"c-x"}`).expect(t, 400, nil)
	if n := len(srv.Engine.Jobs()); n != 2 {
		t.Errorf("%d jobs, want 2", n)
	}
}

func TestInvariantChecks(t *testing.T) {
	e := New(Options{APIKeys: []string{"k1", "k2"}})
	mine, _ := e.AddJob("k1", DefaultCluster)
	done, _ := e.AddJob("k1", DefaultCluster)
	theirs, _ := e.AddJob("k2", DefaultCluster)
	_ = e.SetStatus(done, StatusCompleted)
	if err := e.CheckDestroyed("user-1"); err == nil || !strings.Contains(err.Error(), mine) || strings.Contains(err.Error(), done) || strings.Contains(err.Error(), theirs) {
		t.Errorf("CheckDestroyed = %v", err)
	}
	if err := e.CheckDestroyed("user-1", mine); err != nil {
		t.Errorf("allowed job reported: %v", err)
	}
	if err := e.CheckNoOrphans("user-1", nil); err == nil || !strings.Contains(err.Error(), mine) {
		t.Errorf("CheckNoOrphans = %v", err)
	}
	if err := e.CheckNoOrphans("user-1", []string{mine}); err != nil {
		t.Errorf("job in state reported: %v", err)
	}
	_ = e.SetStatus(mine, StatusCanceled)
	if err := e.CheckDestroyed("user-1"); err != nil {
		t.Errorf("all terminal: %v", err)
	}
}
