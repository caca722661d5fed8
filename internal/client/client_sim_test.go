package client

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock/clocktest"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// These tests run the client against the simulator: real HTTP and WebSocket
// traffic through the documented state machine, on a fake clock.

const otherKey = "tp-someone-else"

func startSim(t *testing.T, opts sim.Options) (*sim.Server, *Client) {
	t.Helper()
	opts.APIKeys = []string{testKey, otherKey}
	opts.Clusters = []string{"c-local"}
	srv, err := sim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, APIKey: testKey, RetryPolicy: fastPolicy})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func TestSimCancelLifecycle(t *testing.T) {
	fake := clocktest.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	srv, c := startSim(t, sim.Options{Clock: fake, PendingDelay: time.Second, CancelLatency: 3 * time.Second, InfoRetryAfter: 2 * time.Second})
	id, err := srv.Engine.AddJob(testKey, "c-local")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	job, err := c.GetJob(ctx, id)
	if err != nil || job.Status != StatusPending || job.RetryAfter != 2*time.Second {
		t.Fatalf("job=%+v err=%v", job, err)
	}
	fake.Advance(time.Second)
	if job, _ = c.GetJob(ctx, id); job.Status != StatusRunning {
		t.Fatalf("after the pending delay: %s", job.Status)
	}
	res, err := c.CancelJob(ctx, id)
	if err != nil || res.Outcome != CancelAccepted || res.Status != StatusCanceling || res.JobID != id {
		t.Fatalf("cancel: %+v %v", res, err)
	}
	fake.Advance(3*time.Second - time.Millisecond)
	if job, _ = c.GetJob(ctx, id); job.Status != StatusCanceling {
		t.Fatalf("just before the latency: %s", job.Status)
	}
	fake.Advance(time.Millisecond)
	job, err = c.GetJob(ctx, id)
	if err != nil || job.Status != StatusCanceled || job.RetryAfter != 0 {
		t.Fatalf("after the latency: %+v %v", job, err)
	}
	res, err = c.CancelJob(ctx, id)
	if err != nil || res.Outcome != CancelAlreadyCanceled {
		t.Fatalf("second cancel: %+v %v", res, err)
	}
	if _, err := c.DeleteJob(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetJob(ctx, id); !IsNotFound(err) {
		t.Fatalf("deleted job: %v", err)
	}
	if _, err := c.DeleteJob(ctx, id); !IsNotFound(err) {
		t.Fatalf("repeated delete: %v", err)
	}
}

func TestSimErrorCodes(t *testing.T) {
	srv, c := startSim(t, sim.Options{RunDuration: time.Nanosecond})
	ctx := context.Background()
	mine, _ := srv.Engine.AddJob(testKey, "c-local")
	theirs, _ := srv.Engine.AddJob(otherKey, "c-local")
	if _, err := c.GetJob(ctx, theirs); !hasStatus(err, 403) {
		t.Errorf("another user's job: %v", err)
	}
	if _, err := c.CancelJob(ctx, "job-nosuch"); !IsNotFound(err) {
		t.Errorf("unknown job: %v", err)
	}
	// RunDuration 1ns: the job has completed, so it is not cancelable.
	if _, err := c.CancelJob(ctx, mine); !IsBadRequest(err) || !strings.Contains(err.Error(), "not in a cancelable state") {
		t.Errorf("completed job: %v", err)
	}
	// A job id the client accepts but the engine's format does not.
	if _, err := c.CancelJob(ctx, "job.with.dots"); !IsBadRequest(err) || !strings.Contains(err.Error(), "Invalid job ID format") {
		t.Errorf("engine-side id format: %v", err)
	}
	wrong, err := New(Config{BaseURL: srv.URL, APIKey: "tp-wrong"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wrong.GetJob(ctx, mine); !IsUnauthorized(err) || !strings.Contains(err.Error(), "Invalid or missing API key") {
		t.Errorf("wrong key: %v", err)
	}
}

func TestSimFaults(t *testing.T) {
	srv, c := startSim(t, sim.Options{})
	ctx := context.Background()
	id, _ := srv.Engine.AddJob(testKey, "c-local")

	srv.Engine.SetFaults(sim.Faults{FailNext: 2})
	if _, err := c.GetJob(ctx, id); err != nil {
		t.Errorf("two 503s must be retried through: %v", err)
	}
	for mode, want := range map[string]string{sim.GarbleNotJSON: "not a JSON object", sim.GarbleWrongShape: "`job_info` is not a JSON object"} {
		srv.Engine.SetFaults(sim.Faults{Garble: mode})
		var decodeErr *DecodeError
		if _, err := c.GetJob(ctx, id); !errors.As(err, &decodeErr) || !strings.Contains(err.Error(), want) {
			t.Errorf("garble %s: %v", mode, err)
		}
	}
	srv.Engine.SetFaults(sim.Faults{})
	if err := srv.Engine.SetStatus(id, "Paused"); err != nil {
		t.Fatal(err)
	}
	if job, err := c.GetJob(ctx, id); err != nil || job.Status != "Paused" || job.Status.IsTerminal() {
		t.Errorf("unknown status: %+v %v", job, err)
	}
}

func TestSimRateLimitIsRiddenOutAtTheEnginesPace(t *testing.T) {
	// One fake clock for the engine and the client, jumping to each timer:
	// the engine's bucket refills exactly as the client's waits pass.
	fake := runningFakeClock(t)
	srv, err := sim.Start(sim.Options{APIKeys: []string{testKey}, Clock: fake,
		Faults: sim.Faults{RateLimit: 1, RateLimitRetryAfter: 3600}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, APIKey: testKey, RetryPolicy: fastPolicy, Clock: fake})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := srv.Engine.AddJob(testKey, sim.DefaultCluster)
	ctx := context.Background()
	if _, err := c.GetJob(ctx, id); err != nil {
		t.Fatal(err)
	}
	// The second read within the second is answered 429 with Retry-After:
	// 3600. The client waits the capped hint (50ms), not an hour, and its
	// limiter then holds the retry until the engine's rate allows it.
	start := fake.Now()
	if _, err := c.GetJob(ctx, id); err != nil {
		t.Fatalf("the retry should have waited for the engine's rate: %v", err)
	}
	if n := srv.Engine.Stats()["GET /job/info"]; n != 3 {
		t.Errorf("%d requests, want 3 (one 429 only)", n)
	}
	if waited := fake.Now().Sub(start); waited < 900*time.Millisecond || waited > 2*time.Second {
		t.Errorf("the second read took %s of engine time, want about the engine's 1 s interval", waited)
	}
}

// The engine refusing the submission's handshake (429) is ridden out: the
// job is submitted once.
func TestSimPushRidesOutRefusedHandshakes(t *testing.T) {
	srv, c := startSim(t, sim.Options{Faults: sim.Faults{RefuseHandshakes: 2}})
	res, err := c.PushJob(context.Background(), PushRequest{Config: "commands = [\"python train.py\"]\n", ClusterID: "c-local", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := srv.Engine.Job(res.JobID); !ok || len(srv.Engine.Jobs()) != 1 {
		t.Errorf("the engine has %d jobs, want exactly the one pushed (%s)", len(srv.Engine.Jobs()), res.JobID)
	}
	if got := srv.Engine.Stats()["WS /job/push"]; got != 3 {
		t.Errorf("%d handshakes, want 3 (two refused)", got)
	}
}

func TestSimPush(t *testing.T) {
	srv, c := startSim(t, sim.Options{})
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "upload-marker.txt"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := c.PushJob(ctx, PushRequest{Config: "commands = [\"python train.py\"]\n", ClusterID: "c-local", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	job, ok := srv.Engine.Job(res.JobID)
	if !ok || !strings.Contains(job.UploadListing, "upload-marker.txt") {
		t.Fatalf("the upload command did not run in Dir: %+v", job)
	}

	for name, tc := range map[string]struct {
		req  PushRequest
		code int
		want string
	}{
		"invalid TOML":    {PushRequest{Config: "commands = [", ClusterID: "c-local"}, 1007, "invalid tp_config"},
		"empty commands":  {PushRequest{Config: "commands = []", ClusterID: "c-local"}, 1007, "commands"},
		"unknown cluster": {PushRequest{Config: "commands = ['x']", ClusterID: "c-nope"}, 1007, `unknown cluster "c-nope"`},
	} {
		t.Run(name, func(t *testing.T) {
			tc.req.Dir = dir
			res, err := c.PushJob(ctx, tc.req)
			var pushErr *PushError
			if !errors.As(err, &pushErr) || pushErr.CloseCode != tc.code || !strings.Contains(err.Error(), tc.want) || res.JobID != "" {
				t.Fatalf("err = %v", err)
			}
		})
	}
	wrong, _ := New(Config{BaseURL: srv.URL, APIKey: "tp-wrong"})
	if _, err := wrong.PushJob(ctx, PushRequest{Config: "commands = ['x']", ClusterID: "c-local", Dir: dir}); err == nil || !strings.Contains(err.Error(), "invalid API key") {
		t.Errorf("wrong key: %v", err)
	}
	failing := PushRequest{Config: "commands = ['x']", ClusterID: "c-local", Dir: filepath.Join(dir, "missing")}
	if _, err := c.PushJob(ctx, failing); err == nil || !strings.Contains(err.Error(), "upload command failed") {
		t.Errorf("failing upload command: %v", err)
	}
	if n := len(srv.Engine.Jobs()); n != 1 {
		t.Errorf("failed pushes created jobs: %d", n)
	}

	srv.Engine.SetFaults(sim.Faults{DropPushAfterJobID: true})
	res, err = c.PushJob(ctx, PushRequest{Config: "commands = ['x']", ClusterID: "c-local", Dir: dir})
	var pushErr *PushError
	if !errors.As(err, &pushErr) || !pushErr.Lost || res.JobID == "" {
		t.Fatalf("dropped push: res=%+v err=%v", res, err)
	}
	if _, ok := srv.Engine.Job(res.JobID); !ok {
		t.Error("the returned id is not the engine's job")
	}
}

func TestSimListenStream(t *testing.T) {
	fake := clocktest.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	srv, c := startSim(t, sim.Options{Clock: fake, CancelLatency: 5 * time.Second})
	id, _ := srv.Engine.AddJob(testKey, "c-local")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l, err := c.ListenJob(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// Only the documented fields are relied on: message and status, and a
	// last message whose status is success or error.
	ev, err := l.Next(ctx)
	if err != nil || ev.Final || ev.Message == "" {
		t.Fatalf("first event: %+v %v", ev, err)
	}
	if _, err := c.CancelJob(ctx, id); err != nil {
		t.Fatal(err)
	}
	// The job's output lines and the canceling message: none is final.
	for ev.Status != "canceling" {
		if ev, err = l.Next(ctx); err != nil || ev.Final {
			t.Fatalf("after the cancel, before the latency: %+v %v", ev, err)
		}
	}
	fake.Advance(5 * time.Second)
	for ev, err = l.Next(ctx); err == nil && !ev.Final; ev, err = l.Next(ctx) {
		// the job's output, printed before it stopped
	}
	if err != nil || !ev.Final || ev.Status != "error" || ev.JobStatus != "" {
		t.Fatalf("final event of a canceled job: %+v %v", ev, err)
	}
	if _, err := l.Next(ctx); !errors.Is(err, ErrStreamClosed) {
		t.Errorf("after the final event: %v", err)
	}

	srv.Engine.SetFaults(sim.Faults{ListenUnavailable: true})
	_, err = c.ListenJob(ctx, id)
	var refused *ListenRefusedError
	if !errors.Is(err, ErrListenUnavailable) || !errors.As(err, &refused) || refused.StatusCode != 404 {
		t.Errorf("unavailable stream: %v", err)
	}
}
