package sim

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func TestRateLimit(t *testing.T) {
	srv, fc := start(t, func(o *Options) { o.RateLimit = 2 })
	url := srv.URL + "/user/info"
	limited := map[string]any{"message": "Rate limit exceeded"}

	do(t, "GET", url, key1, "").expect(t, 200, nil)
	do(t, "GET", url, key1, "").expect(t, 200, nil)
	r := do(t, "GET", url, key1, "")
	r.expect(t, 429, limited)
	if got := r.header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After %q, want the default 1", got)
	}
	// Per key: the second user still has its whole bucket.
	do(t, "GET", url, key2, "").expect(t, 200, nil)
	// The bucket refills on the engine clock.
	fc.Advance(500 * time.Millisecond)
	do(t, "GET", url, key1, "").expect(t, 200, nil)
	do(t, "GET", url, key1, "").expect(t, 429, limited)
	// Unauthenticated requests are refused before the limiter.
	do(t, "GET", url, "", "").expect(t, 401, nil)
	// Faults never apply to /healthz or /_sim/*.
	for range 5 {
		do(t, "GET", srv.URL+"/healthz", "", "").expect(t, 200, nil)
		do(t, "GET", srv.URL+"/_sim/stats", "", "").expect(t, 200, nil)
	}
	// Every API request is counted, 429s and 401s included; /healthz and
	// /_sim/* are not.
	if got := srv.Engine.Stats(); got["GET /user/info"] != 7 || len(got) != 1 {
		t.Errorf("stats %v, want only GET /user/info: 7", got)
	}

	f := srv.Engine.Faults()
	f.RateLimitRetryAfter = 7
	srv.Engine.SetFaults(f)
	r = do(t, "GET", url, key1, "")
	if r.code != 429 || r.header.Get("Retry-After") != "7" {
		t.Errorf("status %d Retry-After %q, want 429 with 7", r.code, r.header.Get("Retry-After"))
	}
	srv.Engine.SetFaults(Faults{})
	do(t, "GET", url, key1, "").expect(t, 200, nil)
}

func TestFailNext(t *testing.T) {
	srv, _ := start(t, func(o *Options) { o.FailNext = 2 })
	id := addJob(t, srv.Engine, key1)
	// /healthz and /_sim/* do not consume the failures.
	do(t, "GET", srv.URL+"/healthz", "", "").expect(t, 200, nil)
	do(t, "GET", srv.URL+"/_sim/jobs", "", "").expect(t, 200, nil)
	for i := range 2 {
		r := do(t, "POST", srv.URL+"/job/cancel/"+id, key1, "")
		r.expect(t, 503, map[string]any{"message": "Service unavailable"})
		if r.header.Get("Retry-After") != "1" {
			t.Errorf("failure %d: Retry-After %q, want 1", i, r.header.Get("Retry-After"))
		}
		if got := status(t, srv.Engine, id); got != "running" {
			t.Fatalf("a failed cancel changed the job: %s", got)
		}
	}
	if n := srv.Engine.Faults().FailNext; n != 0 {
		t.Errorf("FailNext left at %d", n)
	}
	checkCancelSchema(t, do(t, "POST", srv.URL+"/job/cancel/"+id, key1, "").raw(t, 202, nil))
	if got := srv.Engine.Stats()["POST /job/cancel"]; got != 3 {
		t.Errorf("POST /job/cancel counted %d times, want 3", got)
	}
}

func TestFailRate(t *testing.T) {
	srv, _ := start(t, func(o *Options) { o.FailRate = 1 })
	seen := map[int]bool{}
	for range 60 {
		r := do(t, "GET", srv.URL+"/job/list", key1, "")
		switch r.code {
		case 500:
			r.expect(t, 500, map[string]any{"message": "Internal server error"})
		case 503:
			r.expect(t, 503, map[string]any{"message": "Service unavailable"})
		default:
			t.Fatalf("status %d with FailRate 1", r.code)
		}
		if r.header.Get("Retry-After") != "1" {
			t.Fatalf("Retry-After %q, want 1", r.header.Get("Retry-After"))
		}
		seen[r.code] = true
	}
	if !seen[500] || !seen[503] {
		t.Errorf("60 failures were all %v; want both 500 and 503", seen)
	}
	srv.Engine.SetFaults(Faults{FailRate: 0})
	for range 20 {
		do(t, "GET", srv.URL+"/job/list", key1, "").expect(t, 200, nil)
	}
}

func TestLatency(t *testing.T) {
	srv, _ := start(t, func(o *Options) { o.Latency = 150 * time.Millisecond })
	begin := time.Now()
	do(t, "GET", srv.URL+"/job/list", key1, "").expect(t, 200, nil)
	if d := time.Since(begin); d < 150*time.Millisecond {
		t.Errorf("answered after %s, want at least the 150ms latency", d)
	}
	begin = time.Now()
	do(t, "GET", srv.URL+"/healthz", "", "").expect(t, 200, nil)
	if d := time.Since(begin); d >= 150*time.Millisecond {
		t.Errorf("/healthz took %s: latency must not apply to it", d)
	}

	// The wait honours the request context: a client giving up is not kept.
	srv.Engine.SetFaults(Faults{Latency: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/job/list", nil)
	req.Header.Set("Authorization", "Bearer "+key1)
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err %v, want the client's deadline", err)
	}
	// Close (from t.Cleanup) must not hang on the abandoned request.
}

func TestGarble(t *testing.T) {
	srv, _ := start(t, func(o *Options) { o.Garble = GarbleNotJSON })
	id := addJob(t, srv.Engine, key1)
	if err := srv.Engine.SetStatus(id, "completed"); err != nil {
		t.Fatal(err)
	}
	url := srv.URL + "/job/info/" + id

	r := do(t, "GET", url, key1, "")
	if r.code != 200 || string(r.body) != "<html>oops</html>" {
		t.Errorf("not-json: %d %q", r.code, r.body)
	}
	srv.Engine.SetFaults(Faults{Garble: GarbleWrongShape})
	r = do(t, "GET", url, key1, "")
	var m map[string]any
	if r.code != 200 || json.Unmarshal(r.body, &m) != nil || m["job_info"] != "oops" || m["message"] != float64(3) {
		t.Errorf("wrong-shape: %d %s", r.code, r.body)
	}
	// Garbled answers are not an observation of the terminal status.
	if s, _ := srv.Engine.Job(id); s.ObservedTerminalAt != nil {
		t.Errorf("a garbled answer set observed_terminal_at")
	}
	// Errors are not garbled, and other routes are untouched.
	do(t, "GET", srv.URL+"/job/info/job-0000000000000000", key1, "").expect(t, 404, nil)
	do(t, "GET", srv.URL+"/job/list", key1, "").expect(t, 200, nil)

	srv.Engine.SetFaults(Faults{})
	do(t, "GET", url, key1, "").expect(t, 200, nil)
	if s, _ := srv.Engine.Job(id); s.ObservedTerminalAt == nil {
		t.Errorf("a clean answer did not set observed_terminal_at")
	}
}

func TestListenUnavailable(t *testing.T) {
	srv, _ := start(t, func(o *Options) { o.ListenUnavailable = true })
	id := addJob(t, srv.Engine, key1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, wsURL(srv, "/job/listen/"+id), nil)
	if err == nil {
		c.CloseNow()
		t.Fatal("the listen socket upgraded despite ListenUnavailable")
	}
	if resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("dial: %v, response %v; want HTTP 404", err, resp)
	}
	if got := srv.Engine.Stats()["WS /job/listen"]; got != 1 {
		t.Errorf("WS /job/listen counted %d, want 1", got)
	}
}

func TestSetFaultsRejectsInvalid(t *testing.T) {
	e := New(Options{})
	defer func() {
		if recover() == nil {
			t.Error("SetFaults accepted fail_rate 1.5")
		}
	}()
	e.SetFaults(Faults{FailRate: 1.5})
}

// "5 requests per second, Retry-After 1": one bucket per key for every REST
// route, refilled by the engine clock only, every 429 counted.
func TestRateLimitFivePerSecondAcrossRoutes(t *testing.T) {
	srv, fc := start(t, func(o *Options) { o.RateLimit, o.RateLimitRetryAfter = 5, 1 })
	id := addJob(t, srv.Engine, key1)
	limited := map[string]any{"message": "Rate limit exceeded"}
	info, cancel := srv.URL+"/job/info/"+id, srv.URL+"/job/cancel/"+id

	// The burst is 5, spent on five different routes.
	do(t, "GET", info, key1, "").expect(t, 200, nil)
	do(t, "POST", cancel, key1, "").expect(t, 202, nil)
	do(t, "GET", srv.URL+"/job/list", key1, "").expect(t, 200, nil)
	do(t, "GET", srv.URL+"/job/pull/"+id, key1, "").expect(t, 200, nil)
	do(t, "GET", srv.URL+"/user/info", key1, "").expect(t, 200, nil)
	for _, u := range []struct{ method, url string }{{"GET", info}, {"POST", cancel}, {"GET", srv.URL + "/job/init"}} {
		r := do(t, u.method, u.url, key1, "")
		r.expect(t, 429, limited)
		if got := r.header.Get("Retry-After"); got != "1" {
			t.Errorf("%s %s: Retry-After %q, want 1", u.method, u.url, got)
		}
	}

	// One token per 200ms of engine time, whatever the wall clock does.
	fc.Advance(199 * time.Millisecond)
	do(t, "GET", info, key1, "").expect(t, 429, limited)
	fc.Advance(time.Millisecond)
	do(t, "GET", info, key1, "").expect(t, 200, nil)
	do(t, "GET", info, key1, "").expect(t, 429, limited)
	// A second refills the whole burst, and no more.
	fc.Advance(time.Second)
	for range 5 {
		do(t, "GET", info, key1, "").expect(t, 200, nil)
	}
	do(t, "GET", info, key1, "").expect(t, 429, limited)

	want := map[string]int{"GET /job/info": 11, "POST /job/cancel": 2, "GET /job/list": 1, "GET /job/pull": 1,
		"GET /user/info": 1, "GET /job/init": 1}
	if got := srv.Engine.Stats(); !maps.Equal(got, want) {
		t.Errorf("Stats() = %v, want %v (429s included)", got, want)
	}
	wantJob := map[string]int{"GET /job/info": 11, "POST /job/cancel": 2, "GET /job/pull": 1}
	if got := srv.Engine.RequestsFor(id); !maps.Equal(got, wantJob) {
		t.Errorf("RequestsFor(job) = %v, want %v (429s included)", got, wantJob)
	}
}

// ListenHang: the TCP connection and the upgrade request are accepted, no
// answer ever comes, and the client's own deadline is what ends the wait.
func TestListenHang(t *testing.T) {
	srv, _ := start(t, func(o *Options) { o.ListenHang = true })
	id := addJob(t, srv.Engine, key1)

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, wsURL(srv, "/job/listen/"+id), nil)
	if err == nil {
		c.CloseNow()
		t.Fatal("the listen handshake completed despite ListenHang")
	}
	if resp != nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("dial: %v, response %v; want the client's deadline and no response", err, resp)
	}
	// The request did reach the engine (it may count it a moment after the
	// client gave up).
	counted, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	waitFor(t, counted, func() bool { return srv.Engine.RequestsFor(id)["WS /job/listen"] == 1 })
	// The rest of the engine is not held up.
	do(t, "GET", srv.URL+"/job/info/"+id, key1, "").expect(t, 200, nil)

	// Closing the engine ends a hanging handshake: the connection drops with
	// no response, long before the client's deadline.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel2()
	dialed := make(chan error, 1)
	go func() {
		c, resp, err := websocket.Dial(ctx2, wsURL(srv, "/job/listen/"+id), nil)
		if err == nil {
			c.CloseNow()
			err = errors.New("handshake completed")
		} else if resp != nil {
			err = errors.New("got an HTTP response: " + resp.Status)
		}
		dialed <- err
	}()
	waitFor(t, ctx2, func() bool { return srv.Engine.RequestsFor(id)["WS /job/listen"] == 2 })
	srv.Engine.Close()
	select {
	case err := <-dialed:
		if err == nil || errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "handshake completed") ||
			strings.Contains(err.Error(), "HTTP response") {
			t.Errorf("dial after engine close: %v, want a dropped connection", err)
		}
	case <-ctx2.Done():
		t.Fatal("closing the engine did not end the hanging handshake")
	}
}

// Shutdown does not wait for a hanging handshake until its deadline.
func TestShutdownEndsHangingListen(t *testing.T) {
	srv, _ := start(t, func(o *Options) { o.ListenHang = true })
	id := addJob(t, srv.Engine, key1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dialed := make(chan struct{})
	go func() {
		defer close(dialed)
		if c, _, err := websocket.Dial(ctx, wsURL(srv, "/job/listen/"+id), nil); err == nil {
			c.CloseNow()
		}
	}()
	waitFor(t, ctx, func() bool { return srv.Engine.RequestsFor(id)["WS /job/listen"] == 1 })
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v, want it to end the hanging handshake instead of waiting for it", err)
	}
	<-dialed
}

func TestListenHangSwitchesOff(t *testing.T) {
	srv, _ := start(t, func(o *Options) { o.ListenHang, o.ListenUnavailable = true, true })
	id := addJob(t, srv.Engine, key1)
	srv.Engine.SetFaults(Faults{})
	c, ctx := dial(t, srv, "/job/listen/"+id, keyMsg(key1))
	if m := listenNext(t, ctx, c); m["status"] != "running" {
		t.Errorf("first message %v after switching ListenHang off", m)
	}
}

// waitFor polls cond until it holds or ctx ends: for engine state that a
// request in another goroutine changes.
func waitFor(t *testing.T, ctx context.Context, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatal("condition never held")
		}
	}
}

func TestRefuseHandshakes(t *testing.T) {
	srv, _ := start(t, func(o *Options) { o.RefuseHandshakes = 2 })
	ctx := context.Background()
	wsURL := "ws" + strings.TrimPrefix(srv.URL, "http") + "/job/push"
	for i := range 2 {
		_, resp, err := websocket.Dial(ctx, wsURL, nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
			t.Fatalf("handshake %d: %v %+v, want a 429 with Retry-After 1", i, err, resp)
		}
	}
	conn, _, err := websocket.Dial(ctx, wsURL, nil)
	if err != nil {
		t.Fatalf("the third handshake: %v", err)
	}
	conn.CloseNow()
	if n := srv.Engine.Faults().RefuseHandshakes; n != 0 {
		t.Errorf("RefuseHandshakes left at %d", n)
	}
	if got := srv.Engine.Stats()["WS /job/push"]; got != 3 {
		t.Errorf("WS /job/push counted %d times, want 3", got)
	}
	// REST requests do not consume it.
	srv.Engine.SetFaults(Faults{RefuseHandshakes: 1})
	do(t, "GET", srv.URL+"/user/info", key1, "").expect(t, 200, nil)
	if n := srv.Engine.Faults().RefuseHandshakes; n != 1 {
		t.Errorf("a REST request consumed a refusal: %d left", n)
	}
}

func TestAnswersLostAfterTheChange(t *testing.T) {
	srv, _ := start(t, func(o *Options) { o.Faults = Faults{DropAfterChange: 1, FailAfterChange: 1} })
	// A read is not a change: neither switch applies.
	do(t, "GET", srv.URL+"/storage/list", key1, "").expect(t, 200, nil)
	// Dropped: no answer at all, but the volume exists.
	createUnanswered(t, t.Context(), srv.URL)
	if n := len(srv.Engine.Storage()); n != 1 {
		t.Fatalf("after the dropped create the engine has %d volumes, want 1", n)
	}
	// Failed: a 500 without Retry-After, and the second volume exists.
	r := do(t, "POST", srv.URL+"/storage/create", key1, `{"size":10}`)
	r.expect(t, 500, map[string]any{"message": "Internal server error"})
	if r.header.Get("Retry-After") != "" {
		t.Errorf("a 500 after the change must not promise anything with Retry-After")
	}
	if n := len(srv.Engine.Storage()); n != 2 {
		t.Fatalf("after the failed create the engine has %d volumes, want 2", n)
	}
	// Both used up: the next create is answered.
	do(t, "POST", srv.URL+"/storage/create", key1, `{"size":10}`).expect(t, 202, nil)
	if f := srv.Engine.Faults(); f.DropAfterChange != 0 || f.FailAfterChange != 0 {
		t.Errorf("switches left at %+v", f)
	}
}

func TestRestartRefusesConnectionsThenServesTheSameState(t *testing.T) {
	srv, _ := start(t, nil)
	do(t, "POST", srv.URL+"/storage/create", key1, `{"size":10}`).expect(t, 202, nil)
	srv.Restart(300 * time.Millisecond)
	req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/storage/list", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil || !strings.Contains(err.Error(), "refused") {
		if resp != nil {
			resp.Body.Close()
		}
		t.Fatalf("while down: want connection refused, got %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.DefaultClient.Do(req.Clone(t.Context()))
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the engine did not come back: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(srv.Engine.Storage()); n != 1 {
		t.Errorf("after the restart the engine has %d volumes, want the 1 it had", n)
	}
}

func TestFailStatusChoosesTheStatusOfFailRate(t *testing.T) {
	for _, want := range []int{500, 503} {
		srv, _ := start(t, func(o *Options) { o.Faults = Faults{FailRate: 1, FailStatus: want} })
		for range 5 {
			if r := do(t, "GET", srv.URL+"/storage/list", key1, ""); r.code != want {
				t.Fatalf("fail_status %d: got %d", want, r.code)
			}
		}
	}
	if err := (Faults{FailStatus: 502}).Validate(); err == nil {
		t.Error("fail_status 502 must be refused")
	}
}

// TestLateAnswersDoTheWorkAtOnce: a late create is made at once; with
// LateChanges, a read before it is answered on time and does not use up
// LateAnswers.
func TestLateAnswersDoTheWorkAtOnce(t *testing.T) {
	for _, changesOnly := range []bool{false, true} {
		srv, _ := start(t, func(o *Options) { o.Faults = Faults{LateAnswers: 1, LateBy: time.Hour, LateChanges: changesOnly} })
		if changesOnly {
			do(t, "GET", srv.URL+"/storage/list", key1, "").expect(t, 200, nil)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		createUnanswered(t, ctx, srv.URL)
		cancel()
		if n := len(srv.Engine.Storage()); n != 1 {
			t.Fatalf("late changes only %t: the late create made %d volumes, want 1", changesOnly, n)
		}
		do(t, "POST", srv.URL+"/storage/create", key1, `{"size":10}`).expect(t, 202, nil)
	}
}

// createUnanswered sends a storage create (with ctx) that must get no
// answer.
func createUnanswered(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/storage/create", strings.NewReader(`{"size":10}`))
	req.Header.Set("Authorization", "Bearer "+key1)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("want no answer, got HTTP %d", resp.StatusCode)
	}
}

// TestLostRateLosesOnlyTheChangesOfItsRoutes: at LostRate 1 every change of
// LostRoutes is made and then answered 500 (no Retry-After) or dropped;
// reads and changes of other routes are answered.
func TestLostRateLosesOnlyTheChangesOfItsRoutes(t *testing.T) {
	srv, _ := start(t, func(o *Options) {
		o.Faults = Faults{LostRate: 1, LostRoutes: "POST /storage/create,POST /user/ssh-key/add"}
	})
	do(t, "GET", srv.URL+"/storage/list", key1, "").expect(t, 200, nil)
	for i := 1; i <= 6; i++ {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", srv.URL+"/storage/create", strings.NewReader(`{"size":10}`))
		req.Header.Set("Authorization", "Bearer "+key1)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != 500 || resp.Header.Get("Retry-After") != "" {
				t.Fatalf("create %d: HTTP %d (Retry-After %q), want a 500 without Retry-After or no answer", i, resp.StatusCode, resp.Header.Get("Retry-After"))
			}
		}
		if n := len(srv.Engine.Storage()); n != i {
			t.Fatalf("after %d lost creates the engine has %d volumes", i, n)
		}
	}
	do(t, "POST", srv.URL+"/cluster/create", key1, `{"instance_type":"1xH100"}`).expect(t, 202, nil)
	if err := (Faults{LostRate: 1.5}).Validate(); err == nil {
		t.Error("lost_rate 1.5 must be refused")
	}
}
