package sim

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestLifecycleSchedule(t *testing.T) {
	type check struct {
		advance time.Duration
		status  string
		exit    int // -1: none
	}
	tests := []struct {
		name    string
		pending time.Duration
		run     time.Duration
		outcome string
		checks  []check
	}{
		{"completed", 10 * time.Second, time.Minute, "completed", []check{
			{0, "pending", -1}, {10*time.Second - 1, "pending", -1}, {1, "running", -1},
			{time.Minute - 1, "running", -1}, {1, "completed", 0}, {time.Hour, "completed", 0},
		}},
		{"error", time.Second, time.Second, "error", []check{
			{0, "pending", -1}, {time.Second, "running", -1}, {time.Second, "error", 1},
		}},
		{"failed", time.Second, time.Second, "failed", []check{
			{time.Second, "running", -1}, {time.Second, "failed", -1},
		}},
		{"default outcome", 0, time.Second, "", []check{
			{0, "running", -1}, {time.Second, "completed", 0},
		}},
		{"runs forever", time.Second, 0, "completed", []check{
			{time.Second, "running", -1}, {1000 * time.Hour, "running", -1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fc := start(t, func(o *Options) {
				o.PendingDelay, o.RunDuration, o.Outcome = tt.pending, tt.run, tt.outcome
			})
			e := srv.Engine
			id := addJob(t, e, key1)
			for i, c := range tt.checks {
				fc.Advance(c.advance)
				s, _ := e.Job(id)
				if s.Status != c.status {
					t.Fatalf("check %d (t+%s): status %q, want %q", i, fc.Now().Sub(epoch), s.Status, c.status)
				}
				switch {
				case c.exit < 0 && s.ExitCode != nil:
					t.Errorf("check %d: exit code %d, want none", i, *s.ExitCode)
				case c.exit >= 0 && (s.ExitCode == nil || *s.ExitCode != c.exit):
					t.Errorf("check %d: exit code %v, want %d", i, s.ExitCode, c.exit)
				}
				if IsTerminal(s.Status) {
					want := epoch.Add(tt.pending + tt.run)
					if s.TerminalAt == nil || !s.TerminalAt.Equal(want) {
						t.Errorf("check %d: terminal_at %v, want the scheduled %v", i, s.TerminalAt, want)
					}
				} else if s.TerminalAt != nil {
					t.Errorf("check %d: terminal_at %v on a live job", i, s.TerminalAt)
				}
			}
		})
	}
}

func TestObservedTerminalAtIsTheFirstInfoRead(t *testing.T) {
	srv, fc := start(t, func(o *Options) { o.PendingDelay, o.RunDuration = time.Second, time.Second })
	e := srv.Engine
	id := addJob(t, e, key1)
	info := srv.URL + "/job/info/" + id

	do(t, "GET", info, key1, "").expect(t, 200, nil)
	if s, _ := e.Job(id); s.ObservedTerminalAt != nil {
		t.Fatalf("observed_terminal_at set while pending: %v", s.ObservedTerminalAt)
	}
	fc.Advance(5 * time.Second) // terminal at t+2s; nobody looks until t+5s
	if s, _ := e.Job(id); s.ObservedTerminalAt != nil {
		t.Fatal("observed_terminal_at set without a read")
	}
	do(t, "GET", info, key1, "").expect(t, 200, nil)
	fc.Advance(time.Minute)
	do(t, "GET", info, key1, "").expect(t, 200, nil) // a later read changes nothing

	s, _ := e.Job(id)
	if s.ObservedTerminalAt == nil || !s.ObservedTerminalAt.Equal(epoch.Add(5*time.Second)) {
		t.Errorf("observed_terminal_at %v, want %v", s.ObservedTerminalAt, epoch.Add(5*time.Second))
	}
	if s.TerminalAt == nil || !s.TerminalAt.Equal(epoch.Add(2*time.Second)) {
		t.Errorf("terminal_at %v, want %v", s.TerminalAt, epoch.Add(2*time.Second))
	}
}

func TestCancelTakesExactlyTheLatency(t *testing.T) {
	const latency = 30 * time.Second
	srv, fc := start(t, func(o *Options) { o.PendingDelay, o.CancelLatency = time.Second, latency })
	e := srv.Engine
	id := addJob(t, e, key1)
	fc.Advance(7 * time.Second)
	cancelAt := fc.Now()

	m := checkCancelSchema(t, do(t, "POST", srv.URL+"/job/cancel/"+id, key1, "").raw(t, 202, nil))
	if m["status"] != "canceling" || m["job_id"] != id {
		t.Fatalf("cancel answered %v", m)
	}
	if got := status(t, e, id); got != "canceling" {
		t.Fatalf("status right after cancel %q, want canceling", got)
	}
	fc.Advance(latency / 2)
	// A repeated cancel neither restarts nor shortens the cancellation.
	checkCancelSchema(t, do(t, "POST", srv.URL+"/job/cancel/"+id, key1, "").raw(t, 202, map[string]any{"status": "canceling"}))
	fc.Advance(latency/2 - time.Nanosecond)
	if got := status(t, e, id); got != "canceling" {
		t.Fatalf("status 1ns before the latency %q, want canceling", got)
	}
	fc.Advance(time.Nanosecond)
	s, _ := e.Job(id)
	if s.Status != "canceled" || s.ExitCode != nil {
		t.Fatalf("after the latency: status %q exit %v, want canceled with no exit code", s.Status, s.ExitCode)
	}
	if !s.TerminalAt.Equal(cancelAt.Add(latency)) {
		t.Errorf("terminal_at %v, want %v", s.TerminalAt, cancelAt.Add(latency))
	}
	// A later schedule (none here) or a second cancel must not resurrect it.
	checkCancelSchema(t, do(t, "POST", srv.URL+"/job/cancel/"+id, key1, "").raw(t, 200, map[string]any{
		"status": "canceled", "message": "Job already canceled", "job_id": id,
	}))
}

func TestCancelLatencyJitter(t *testing.T) {
	const (
		latency = 10 * time.Second
		jitter  = 2 * time.Second
		seed    = 42
		jobs    = 20
	)
	tune := func(o *Options) { o.CancelLatency, o.CancelLatencyJitter, o.Seed = latency, jitter, seed }
	srv, fc := start(t, tune)
	e := srv.Engine
	fc.Advance(time.Second)
	cancelAt := fc.Now()
	// The draws the engine will make, in cancel order: the same seed gives
	// the same sequence.
	want := newCancelDelays(Options{CancelLatency: latency, CancelLatencyJitter: jitter, Seed: seed})
	ids := make([]string, jobs)
	ends := map[string]time.Time{}
	distinct := map[time.Duration]bool{}
	for i := range ids {
		ids[i] = addJob(t, e, key1)
		checkCancelSchema(t, do(t, "POST", srv.URL+"/job/cancel/"+ids[i], key1, "").raw(t, 202, map[string]any{"status": "canceling"}))
		d := want.next()
		if d < latency || d >= latency+jitter {
			t.Fatalf("draw %s is outside [%s, %s)", d, latency, latency+jitter)
		}
		ends[ids[i]] = cancelAt.Add(d)
		distinct[d] = true
	}
	if len(distinct) < jobs/2 {
		t.Fatalf("only %d distinct latencies in %d cancels: the jitter is not applied", len(distinct), jobs)
	}
	// Step through the schedule in time order: each job is canceling until
	// its drawn moment, canceled from it on, and terminal_at is that moment.
	order := slices.Clone(ids)
	slices.SortFunc(order, func(a, b string) int { return ends[a].Compare(ends[b]) })
	for _, id := range order {
		end := ends[id]
		fc.Advance(end.Add(-time.Nanosecond).Sub(fc.Now()))
		if s, _ := e.Job(id); s.Status != "canceling" || s.TerminalAt != nil {
			t.Fatalf("%s 1ns before its drawn end (+%s): status %q terminal_at %v, want canceling", id, end.Sub(cancelAt), s.Status, s.TerminalAt)
		}
		fc.Advance(time.Nanosecond)
		if s, _ := e.Job(id); s.Status != "canceled" || s.TerminalAt == nil || !s.TerminalAt.Equal(end) {
			t.Fatalf("%s at its drawn end (+%s): status %q terminal_at %v, want canceled at %v", id, end.Sub(cancelAt), s.Status, s.TerminalAt, end)
		}
		// The first GET that sees it is on time: observed − terminal = 0.
		do(t, "GET", srv.URL+"/job/info/"+id, key1, "").expect(t, 200, nil)
		if s, _ := e.Job(id); s.ObservedTerminalAt == nil || !s.ObservedTerminalAt.Equal(end) {
			t.Errorf("%s: observed_terminal_at %v, want %v", id, s.ObservedTerminalAt, end)
		}
	}
	if fc.Now().Sub(cancelAt) >= latency+jitter {
		t.Errorf("the last cancel ended at +%s, not before +%s", fc.Now().Sub(cancelAt), latency+jitter)
	}
	// A repeated cancel of a canceled job does not draw again or move it.
	do(t, "POST", srv.URL+"/job/cancel/"+order[0], key1, "").expect(t, 200, map[string]any{"status": "canceled"})
	if s, _ := e.Job(order[0]); !s.TerminalAt.Equal(ends[order[0]]) {
		t.Errorf("terminal_at moved to %v after a repeated cancel", s.TerminalAt)
	}
}

func TestCancelDelaysDraws(t *testing.T) {
	const base, jitter = 3 * time.Second, 2 * time.Second
	exact := newCancelDelays(Options{CancelLatency: base})
	for range 100 {
		if d := exact.next(); d != base {
			t.Fatalf("no jitter: drew %s, want exactly %s", d, base)
		}
	}
	a := newCancelDelays(Options{CancelLatency: base, CancelLatencyJitter: jitter, Seed: 7})
	b := newCancelDelays(Options{CancelLatency: base, CancelLatencyJitter: jitter, Seed: 7})
	r1 := newCancelDelays(Options{CancelLatency: base, CancelLatencyJitter: jitter})
	r2 := newCancelDelays(Options{CancelLatency: base, CancelLatencyJitter: jitter})
	var lo, hi, sum time.Duration = base + jitter, 0, 0
	same := true
	const n = 10000
	for range n {
		d := a.next()
		if d != b.next() {
			t.Fatal("two sources with the same seed drew differently")
		}
		if d < base || d >= base+jitter {
			t.Fatalf("drew %s, outside [%s, %s)", d, base, base+jitter)
		}
		lo, hi, sum = min(lo, d), max(hi, d), sum+d
		if r1.next() != r2.next() {
			same = false
		}
	}
	// Uniform over [3 s, 5 s): the extremes come close to the bounds and the
	// mean is near the middle (its standard error is about 6 ms here).
	if lo > base+100*time.Millisecond || hi < base+jitter-100*time.Millisecond {
		t.Errorf("draws span [%s, %s], want nearly [%s, %s)", lo, hi, base, base+jitter)
	}
	if mean := sum / n; mean < base+jitter/2-100*time.Millisecond || mean > base+jitter/2+100*time.Millisecond {
		t.Errorf("mean draw %s, want about %s", mean, base+jitter/2)
	}
	if same {
		t.Error("two sources with seed 0 drew the same sequence: seed 0 must mean a random seed")
	}
}

func TestCancelBeatsTheScheduledOutcome(t *testing.T) {
	srv, fc := start(t, func(o *Options) {
		o.PendingDelay, o.RunDuration, o.CancelLatency = time.Second, 10*time.Second, 20*time.Second
	})
	e := srv.Engine
	id := addJob(t, e, key1)
	fc.Advance(2 * time.Second)
	do(t, "POST", srv.URL+"/job/cancel/"+id, key1, "").expect(t, 202, nil)
	fc.Advance(15 * time.Second) // past the run's scheduled end
	if got := status(t, e, id); got != "canceling" {
		t.Fatalf("status %q, want canceling (the cancel replaces the schedule)", got)
	}
	fc.Advance(5 * time.Second)
	if got := status(t, e, id); got != "canceled" {
		t.Fatalf("status %q, want canceled", got)
	}
}

func TestForcedStatus(t *testing.T) {
	srv, fc := start(t, func(o *Options) {
		o.PendingDelay, o.RunDuration, o.CancelLatency = time.Second, time.Minute, 10*time.Second
	})
	e := srv.Engine
	id := addJob(t, e, key1)

	if err := e.SetStatus(id, "paused"); err != nil {
		t.Fatal(err)
	}
	fc.Advance(time.Hour) // the schedule is gone: no running, no outcome
	if got := status(t, e, id); got != "paused" {
		t.Fatalf("forced status %q after an hour, want paused", got)
	}
	// Canceling an unknown live status behaves as for running.
	checkCancelSchema(t, do(t, "POST", srv.URL+"/job/cancel/"+id, key1, "").raw(t, 202, map[string]any{"status": "canceling"}))
	fc.Advance(10 * time.Second)
	canceledAt := fc.Now()
	if got := status(t, e, id); got != "canceled" {
		t.Fatalf("status %q, want canceled", got)
	}

	// Forcing one terminal status over another keeps the moment the job
	// became terminal; a read then observes it.
	fc.Advance(time.Minute)
	if err := e.SetStatus(id, "failed"); err != nil {
		t.Fatal(err)
	}
	fc.Advance(time.Second)
	do(t, "GET", srv.URL+"/job/info/"+id, key1, "").expect(t, 200, map[string]any{})
	s, _ := e.Job(id)
	if s.Status != "failed" || !s.TerminalAt.Equal(canceledAt) || s.ObservedTerminalAt == nil || !s.ObservedTerminalAt.Equal(fc.Now()) {
		t.Errorf("status %q terminal_at %v (want %v, the cancel's end), observed %v (want %v)",
			s.Status, s.TerminalAt, canceledAt, s.ObservedTerminalAt, fc.Now())
	}

	// Forcing a terminal status on a live job records the forcing moment.
	id2 := addJob(t, e, key1)
	fc.Advance(3 * time.Second)
	forcedAt := fc.Now()
	if err := e.SetStatus(id2, "completed"); err != nil {
		t.Fatal(err)
	}
	fc.Advance(time.Hour)
	if s, _ := e.Job(id2); s.Status != "completed" || !s.TerminalAt.Equal(forcedAt) || s.ExitCode == nil || *s.ExitCode != 0 {
		t.Errorf("forced completed: %+v, want terminal_at %v and exit code 0", s, forcedAt)
	}
	// Back to live: terminal_at and the observation are cleared.
	if err := e.SetStatus(id, "running"); err != nil {
		t.Fatal(err)
	}
	s, _ = e.Job(id)
	if s.Status != "running" || s.TerminalAt != nil || s.ObservedTerminalAt != nil {
		t.Errorf("after forcing running: %+v", s)
	}
	if err := e.SetStatus("job-nope", "running"); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetStatus of an unknown job: %v, want ErrNotFound", err)
	}
	if err := e.SetStatus(id, " "); err == nil {
		t.Error("SetStatus accepted an empty status")
	}
}

func TestJobIDFormat(t *testing.T) {
	srv, _ := start(t, nil)
	re := regexp.MustCompile(`^job-[0-9a-f]{16}$`)
	seen := map[string]bool{}
	for range 50 {
		id := addJob(t, srv.Engine, key1)
		if !re.MatchString(id) || seen[id] {
			t.Fatalf("job id %q is malformed or repeated", id)
		}
		seen[id] = true
	}
	if got := len(srv.Engine.Jobs()); got != 50 {
		t.Fatalf("Jobs() has %d jobs, want 50", got)
	}
}

func TestAddJobRefusesUnknownKeyAndCluster(t *testing.T) {
	srv, _ := start(t, nil)
	if _, err := srv.Engine.AddJob("nope", "c-local"); err == nil || strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown key: err %v (must fail without echoing the key)", err)
	}
	if _, err := srv.Engine.AddJob(key1, "c-x"); err == nil {
		t.Error("unknown cluster accepted")
	}
}

func TestCloseReason(t *testing.T) {
	long := strings.Repeat("é", 100) // 200 bytes
	for _, in := range []string{"short", long, strings.Repeat("a", 200), "line 1\n  1 | x = [\n\tmore", "bad \xff byte"} {
		got := closeReason(in)
		if len(got) > 123 || !utf8.ValidString(got) || strings.ContainsAny(got, "\n\t") {
			t.Errorf("closeReason(%q) = %q (%d bytes)", in, got, len(got))
		}
	}
	if got := closeReason("short"); got != "short" {
		t.Errorf("a short reason changed: %q", got)
	}
	if got := closeReason(long); !strings.HasSuffix(got, "…") || !strings.HasPrefix(got, "éé") {
		t.Errorf("a long reason is not cut with an ellipsis: %q", got)
	}
}

func TestOptionsValidate(t *testing.T) {
	bad := []Options{
		{Outcome: "canceled"},
		{PendingDelay: -1},
		{CancelLatencyJitter: -time.Second},
		{APIKeys: []string{""}},
		{Clusters: []string{" "}},
		{Faults: Faults{FailRate: 2}},
		{Faults: Faults{Garble: "xml"}},
	}
	for i, o := range bad {
		if o.Validate() == nil {
			t.Errorf("options %d validated: %+v", i, o)
		}
		if _, err := Start(o); err == nil {
			t.Errorf("Start accepted options %d", i)
		}
	}
	if err := DefaultOptions().Validate(); err != nil {
		t.Errorf("DefaultOptions: %v", err)
	}
}

// Each job stays pending PendingDelay plus its own draw in
// [0, PendingDelayJitter); running_at is that moment, and
// observed_started_at the first GET /job/info that no longer said pending.
func TestPendingDelayJitterAndTheFirstLookAtAStartedJob(t *testing.T) {
	const (
		delay  = time.Second
		jitter = 2 * time.Second
		jobs   = 20
	)
	srv, fc := start(t, func(o *Options) { o.PendingDelay, o.PendingDelayJitter, o.Seed = delay, jitter, 7 })
	e := srv.Engine
	created := fc.Now()
	distinct := map[time.Time]bool{}
	var ids []string
	for range jobs {
		id := addJob(t, e, key1)
		ids = append(ids, id)
		if s, _ := e.Job(id); s.RunningAt != nil || s.ObservedStartedAt != nil {
			t.Fatalf("a pending job has running_at %v, observed_started_at %v", s.RunningAt, s.ObservedStartedAt)
		}
	}
	fc.Advance(delay + jitter)
	for _, id := range ids {
		s, _ := e.Job(id)
		if s.RunningAt == nil || s.RunningAt.Before(created.Add(delay)) || !s.RunningAt.Before(created.Add(delay+jitter)) {
			t.Fatalf("running_at %v, want in [+%s, +%s)", s.RunningAt, delay, delay+jitter)
		}
		distinct[*s.RunningAt] = true
		if s.ObservedStartedAt != nil {
			t.Fatal("observed_started_at before any GET")
		}
	}
	if len(distinct) < jobs/2 {
		t.Fatalf("only %d distinct start times for %d jobs: the jitter is not applied", len(distinct), jobs)
	}
	do(t, "GET", srv.URL+"/job/info/"+ids[0], key1, "")
	fc.Advance(time.Second)
	do(t, "GET", srv.URL+"/job/info/"+ids[0], key1, "")
	if s, _ := e.Job(ids[0]); s.ObservedStartedAt == nil || !s.ObservedStartedAt.Equal(created.Add(delay+jitter)) {
		t.Errorf("observed_started_at %v, want the first GET's time %v", s.ObservedStartedAt, created.Add(delay+jitter))
	}
}
