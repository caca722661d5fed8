package sim

import (
	"encoding/json"
	"maps"
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
	srv.Engine.ResetStats()
	if s := srv.Engine.Stats(); len(s) != 0 {
		t.Errorf("stats after ResetStats: %v", s)
	}
}

func TestSimFaultsRoute(t *testing.T) {
	srv, _ := start(t, func(o *Options) { o.RateLimit = 5 })
	m := do(t, "GET", srv.URL+"/_sim/faults", "", "").expect(t, 200, map[string]any{"rate_limit": float64(5), "latency": "0s"})
	if len(m) != 24 {
		t.Errorf("faults %v, want the 24 switches", m)
	}
	// A POST replaces the whole set.
	do(t, "POST", srv.URL+"/_sim/faults", "", `{"fail_next":2,"latency":"5ms","garble":"wrong-shape","drop_push_after_job_id":true,"listen_hang":true,"refuse_handshakes":3}`).
		expect(t, 200, map[string]any{"rate_limit": float64(0), "fail_next": float64(2), "latency": "5ms", "garble": "wrong-shape", "listen_hang": true, "refuse_handshakes": float64(3)})
	f := srv.Engine.Faults()
	want := Faults{FailNext: 2, Latency: 5 * time.Millisecond, Garble: GarbleWrongShape, DropPushAfterJobID: true, ListenHang: true, RefuseHandshakes: 3}
	if f != want {
		t.Errorf("Faults() = %+v, want %+v", f, want)
	}
	do(t, "POST", srv.URL+"/_sim/faults", "", `{"capacity_shortage":"90s","capacity_outcome":"failed-running","info_message_only":true}`).
		expect(t, 200, map[string]any{"capacity_shortage": "1m30s", "capacity_outcome": "failed-running", "info_message_only": true, "fail_next": float64(0)})
	if got, want := srv.Engine.Faults(), (Faults{CapacityShortage: 90 * time.Second, CapacityOutcome: CapacityFailedRunning, InfoMessageOnly: true}); got != want {
		t.Errorf("Faults() = %+v, want %+v", got, want)
	}
	do(t, "POST", srv.URL+"/_sim/faults", "", `{"latency":1000000}`).expect(t, 200, map[string]any{"latency": "1ms", "capacity_shortage": "0s"})

	for _, bad := range []string{
		`{"fail_rate":2}`, `{"garble":"xml"}`, `{"RateLimit":3}`, `{"latency":"soon"}`, `[]`, `{"rate_limit":-1}`,
		`{"capacity_outcome":"maybe"}`, `{"capacity_shortage":"-1s"}`, `{"capacity_shortage":"long"}`,
	} {
		do(t, "POST", srv.URL+"/_sim/faults", "", bad).expect(t, 400, nil)
	}
	if got := srv.Engine.Faults(); got.Latency != time.Millisecond || got.FailRate != 0 {
		t.Errorf("a refused POST changed the faults: %+v", got)
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

// RequestsFor counts, per job, every request naming it, as it arrives.
func TestRequestsForCountsEveryRequestOfAJob(t *testing.T) {
	srv, _ := start(t, func(o *Options) { o.CancelLatency = time.Minute })
	e := srv.Engine
	mine := addJob(t, e, key1)
	theirs := addJob(t, e, key2)

	do(t, "GET", srv.URL+"/job/info/"+mine, key1, "").expect(t, 200, nil)
	do(t, "GET", srv.URL+"/job/info/"+mine, "bad", "").expect(t, 401, nil)
	e.SetFaults(Faults{FailNext: 1})
	do(t, "GET", srv.URL+"/job/info/"+mine, key1, "").expect(t, 503, nil)
	do(t, "POST", srv.URL+"/job/cancel/"+mine, key1, "").expect(t, 202, nil)
	do(t, "DELETE", srv.URL+"/job/delete/"+mine, key1, "").expect(t, 400, nil)
	do(t, "GET", srv.URL+"/job/pull/"+mine, key1, "").expect(t, 200, nil)
	c, ctx := dial(t, srv, "/job/listen/"+mine, keyMsg(key1))
	listenNext(t, ctx, c)
	do(t, "GET", srv.URL+"/job/info/"+theirs, key1, "").expect(t, 403, nil)
	do(t, "GET", srv.URL+"/job/list", key1, "").expect(t, 200, nil)

	want := map[string]int{"GET /job/info": 3, "POST /job/cancel": 1, "DELETE /job/delete": 1, "GET /job/pull": 1, "WS /job/listen": 1}
	got := e.RequestsFor(mine)
	if !maps.Equal(got, want) {
		t.Errorf("RequestsFor(mine) = %v, want %v", got, want)
	}
	got["GET /job/info"] = 99 // a copy: the engine's counts do not change
	if n := e.RequestsFor(mine)["GET /job/info"]; n != 3 {
		t.Errorf("changing the returned map changed the count to %d", n)
	}
	if got := e.RequestsFor(theirs); !maps.Equal(got, map[string]int{"GET /job/info": 1}) {
		t.Errorf("RequestsFor(theirs) = %v, want the one refused GET /job/info", got)
	}
	if got := e.RequestsFor("job-never-seen"); got == nil || len(got) != 0 {
		t.Errorf("RequestsFor(unknown) = %#v, want an empty map", got)
	}

	e.ResetStats()
	if got := e.RequestsFor(mine); len(got) != 0 {
		t.Errorf("RequestsFor after ResetStats = %v", got)
	}
}

// CheckDestroyedBy: a destroy must not return before the engine finished
// the cancels; the moment is the engine's terminal_at.
func TestCheckDestroyedBy(t *testing.T) {
	srv, fc := start(t, func(o *Options) { o.CancelLatency = 5 * time.Second })
	e := srv.Engine
	canceled := addJob(t, e, key1)
	forced := addJob(t, e, key1)
	theirs := addJob(t, e, key2)
	t0 := fc.Now()
	do(t, "POST", srv.URL+"/job/cancel/"+canceled, key1, "").expect(t, 202, nil)
	do(t, "POST", srv.URL+"/job/cancel/"+theirs, key2, "").expect(t, 202, nil)

	// While a cancel runs, the job is live: both checks report it.
	if err := e.CheckDestroyedBy("user-1", t0); err == nil || !strings.Contains(err.Error(), canceled) {
		t.Errorf("during the cancel: %v, want %s reported as running", err, canceled)
	}

	fc.Advance(5 * time.Second) // the cancels finish at t0+5s
	if err := e.SetStatus(forced, StatusCompleted); err != nil {
		t.Fatal(err)
	}
	fc.Advance(time.Second)
	if err := e.CheckDestroyed("user-1"); err != nil {
		t.Fatalf("CheckDestroyed: %v, want nil: every job is terminal", err)
	}
	// Returned 2 s into a 5 s cancel: too early, whatever the job says now.
	err := e.CheckDestroyedBy("user-1", t0.Add(2*time.Second))
	if err == nil || !strings.Contains(err.Error(), canceled) || !strings.Contains(err.Error(), "3s after destroy returned") {
		t.Errorf("early return: %v, want %s reported 3s early", err, canceled)
	}
	// A job that ended without a cancel, and another owner's, are not the
	// destroy's business.
	if err != nil && (strings.Contains(err.Error(), forced) || strings.Contains(err.Error(), theirs)) {
		t.Errorf("early return: %v reports a job no cancel of user-1 ended", err)
	}
	if err := e.CheckDestroyedBy("user-1", t0.Add(5*time.Second)); err != nil {
		t.Errorf("returned exactly at terminal_at: %v", err)
	}
	if err := e.CheckDestroyedBy("user-1", t0.Add(2*time.Second), canceled); err != nil {
		t.Errorf("allowed job reported: %v", err)
	}
}
