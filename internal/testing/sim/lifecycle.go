package sim

import (
	"math/rand/v2"
	"strings"
	"time"
)

// Job statuses. [DOC] The wire values are lowercase.
const (
	StatusPending   = "pending"
	StatusRunning   = "running"
	StatusCanceling = "canceling"
	StatusCompleted = "completed"
	StatusError     = "error"
	StatusFailed    = "failed"
	StatusCanceled  = "canceled"
)

// IsTerminal reports whether status is final. [DOC] The docs write some
// statuses in upper case, so the comparison ignores case; [INF] an unknown
// status is not terminal.
func IsTerminal(status string) bool {
	switch strings.ToLower(status) {
	case StatusCompleted, StatusError, StatusFailed, StatusCanceled:
		return true
	}
	return false
}

// exitCode is the job's exit code, if it has one: [DOC] completed means exit
// code 0 and error a non-zero exit ([INF] 1); other statuses have none.
func exitCode(status string) (int, bool) {
	switch strings.ToLower(status) {
	case StatusCompleted:
		return 0, true
	case StatusError:
		return 1, true
	}
	return 0, false
}

// step is one scheduled status change.
type step struct {
	at     time.Time
	status string
	// byCancel marks the steps a cancel scheduled.
	byCancel bool
}

// job is the engine's record of one job. Its status is never stored: it is
// computed from the schedule and the clock, so that jobs move on "in the
// background" with no goroutine and no request, and a fake clock moves them
// exactly when a test advances it.
type job struct {
	id      string
	owner   string // user name, never the key
	cluster string
	seq     int // creation order, for stable listings
	created time.Time

	// steps is the schedule, sorted by time. The status at t is the status of
	// the last step at or before t; later steps in the slice win ties, which
	// is how a zero delay takes effect at once.
	steps []step

	// observedTerminal is when GET /job/info first returned a terminal status.
	observedTerminal *time.Time
	// observedStarted is when GET /job/info first returned a status other
	// than pending: running, or an end.
	observedStarted *time.Time

	tpConfig      string
	system        string
	teardown      bool
	uploadListing string
}

// newJob schedules pending → running → outcome.
func newJob(id, owner, cluster string, seq int, now time.Time, o Options) *job {
	j := &job{id: id, owner: owner, cluster: cluster, seq: seq, created: now}
	running := now.Add(o.PendingDelay)
	j.steps = []step{{at: now, status: StatusPending}, {at: running, status: StatusRunning}}
	if o.RunDuration > 0 {
		j.steps = append(j.steps, step{at: running.Add(o.RunDuration), status: o.Outcome})
	}
	return j
}

// current returns the index of the step in force at now.
func (j *job) current(now time.Time) int {
	for i := len(j.steps) - 1; i > 0; i-- {
		if !j.steps[i].at.After(now) {
			return i
		}
	}
	return 0
}

// status returns the status at now.
func (j *job) status(now time.Time) string { return j.steps[j.current(now)].status }

// updatedAt is when the status in force at now began.
func (j *job) updatedAt(now time.Time) time.Time { return j.steps[j.current(now)].at }

// next returns the first scheduled change after now, if any.
func (j *job) next(now time.Time) (time.Time, bool) {
	i := j.current(now)
	for _, s := range j.steps[i+1:] {
		if s.at.After(now) {
			return s.at, true
		}
	}
	return time.Time{}, false
}

// terminalAt is when the job became terminal according to the schedule (not
// when anyone looked), or nil while it is not terminal. A forced change from
// one terminal status to another keeps the original moment.
func (j *job) terminalAt(now time.Time) *time.Time {
	s, ok := j.terminalStep(now)
	if !ok {
		return nil
	}
	return &s.at
}

// terminalStep is the step that made the job terminal (see terminalAt).
func (j *job) terminalStep(now time.Time) (step, bool) {
	i := j.current(now)
	if !IsTerminal(j.steps[i].status) {
		return step{}, false
	}
	for i > 0 && IsTerminal(j.steps[i-1].status) {
		i--
	}
	return j.steps[i], true
}

// replaceFuture drops every step after now and appends the given ones: the
// schedule from now on is theirs.
func (j *job) replaceFuture(now time.Time, steps ...step) {
	j.steps = j.steps[:j.current(now)+1]
	j.steps = append(j.steps, steps...)
}

// force pins the status until the next force or cancel. Forcing the status
// already in force only clears the schedule, so timestamps stay meaningful.
func (j *job) force(now time.Time, status string) {
	if j.status(now) == status {
		j.replaceFuture(now)
	} else {
		j.replaceFuture(now, step{at: now, status: status})
	}
	if !IsTerminal(status) {
		// The job is live again; the next terminal read is a new observation.
		j.observedTerminal = nil
	}
}

// cancel starts a cancellation at now: canceling at once, canceled after the
// latency, as documented: "Returns 202 immediately after setting job to
// CANCELING. Cancellation runs in the background." [DOC]
func (j *job) cancel(now time.Time, latency time.Duration) {
	j.replaceFuture(now,
		step{at: now, status: StatusCanceling, byCancel: true},
		step{at: now.Add(max(latency, 0)), status: StatusCanceled, byCancel: true})
}

// cancelDelays draws the latency of each cancel: base plus a jitter uniform
// in [0, jitter), at nanosecond resolution. It is not safe for concurrent
// use: the engine draws under its mutex.
type cancelDelays struct {
	base, jitter time.Duration
	rng          *rand.Rand
}

// newCancelDelays seeds the draws with o.Seed, or at random when it is 0.
// A simulated schedule needs no cryptographic randomness.
func newCancelDelays(o Options) *cancelDelays {
	s1, s2 := uint64(o.Seed), uint64(0x9e3779b97f4a7c15) //nolint:gosec // G115: a seed's bits are kept, not its value
	if o.Seed == 0 {
		s1, s2 = rand.Uint64(), rand.Uint64() //nolint:gosec // G404: see above
	}
	rng := rand.New(rand.NewPCG(s1, s2)) //nolint:gosec // G404: see above
	return &cancelDelays{base: o.CancelLatency, jitter: o.CancelLatencyJitter, rng: rng}
}

// next returns the latency of one cancel.
func (c *cancelDelays) next() time.Duration { return c.base + c.draw(c.jitter) }

// draw returns a delay uniform in [0, jitter), or 0 for no jitter.
func (c *cancelDelays) draw(jitter time.Duration) time.Duration {
	if jitter <= 0 {
		return 0
	}
	return time.Duration(c.rng.Int64N(int64(jitter)))
}

// JobSnapshot is a copy of a job's state at one instant, for tests and the
// /_sim/jobs route.
type JobSnapshot struct {
	JobID     string `json:"job_id"`
	Owner     string `json:"owner"`
	ClusterID string `json:"cluster_id"`
	Status    string `json:"status"`
	// ExitCode is set for completed (0) and error (1) jobs.
	ExitCode  *int      `json:"exit_code"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// TerminalAt is the scheduled moment the job became terminal.
	TerminalAt *time.Time `json:"terminal_at"`
	// ObservedTerminalAt is the clock time of the first GET /job/info that
	// returned the terminal status.
	ObservedTerminalAt *time.Time `json:"observed_terminal_at"`
	// RunningAt is the scheduled moment the job started running (nil if it
	// has not, or never did).
	RunningAt *time.Time `json:"running_at"`
	// ObservedStartedAt is the clock time of the first GET /job/info that
	// returned a status other than pending (running, or an end).
	ObservedStartedAt *time.Time `json:"observed_started_at"`
	// UploadListing is the stdout of the upload command the pushing client
	// ran in its upload directory: that directory (pwd) on the first line,
	// then one path per line, relative and without "./", of every file and
	// directory the upload ships, the config's ignore patterns honoured (see
	// uploadCommand). Read the paths from the second line on: the first may
	// contain any name.
	UploadListing   string `json:"upload_listing"`
	TPConfig        string `json:"tp_config"`
	System          string `json:"system"`
	TeardownCluster bool   `json:"teardown_cluster"`
}

func (j *job) snapshot(now time.Time) JobSnapshot {
	s := JobSnapshot{
		JobID:           j.id,
		Owner:           j.owner,
		ClusterID:       j.cluster,
		Status:          j.status(now),
		CreatedAt:       j.created.UTC(),
		UpdatedAt:       j.updatedAt(now).UTC(),
		TerminalAt:      utcPtr(j.terminalAt(now)),
		UploadListing:   j.uploadListing,
		TPConfig:        j.tpConfig,
		System:          j.system,
		TeardownCluster: j.teardown,
	}
	if code, ok := exitCode(s.Status); ok {
		s.ExitCode = &code
	}
	s.ObservedTerminalAt = utcPtr(j.observedTerminal)
	s.ObservedStartedAt = utcPtr(j.observedStarted)
	for _, st := range j.steps[:j.current(now)+1] {
		if st.status == StatusRunning {
			at := st.at
			s.RunningAt = utcPtr(&at)
			break
		}
	}
	return s
}

// utcPtr copies t in UTC, so snapshots share no memory with the job and
// print as RFC 3339 "Z" times.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
