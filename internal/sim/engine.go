package sim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"golang.org/x/time/rate"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock"
)

// Engine is the simulated TensorPool engine. It is an http.Handler and is
// safe for concurrent use.
type Engine struct {
	opts     Options
	clock    clock.Clock
	users    map[string]string // API key → user name; the only place keys live
	clusters map[string]bool
	routes   []route

	// ctx ends when the engine is closed, ending open WebSocket streams
	// (hijacked connections outlive http.Server.Shutdown).
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	jobs     map[string]*job
	seq      int
	changed  chan struct{} // closed and replaced on every change, see notifyLocked
	faults   Faults
	limiters map[string]*rate.Limiter  // per user
	stats    map[string]int            // route → requests
	perJob   map[string]map[string]int // job id → route → requests
	cancels  *cancelDelays             // drawn under mu
}

// New returns an engine. It panics if opts.Validate fails: options are set
// by test code, where a panic with the reason is the clearest report.
func New(opts Options) *Engine {
	if err := opts.Validate(); err != nil {
		panic("sim: invalid options: " + err.Error())
	}
	opts = opts.withDefaults()
	e := &Engine{
		opts:     opts,
		clock:    opts.Clock,
		users:    map[string]string{},
		clusters: map[string]bool{},
		jobs:     map[string]*job{},
		changed:  make(chan struct{}),
		faults:   opts.Faults,
		limiters: map[string]*rate.Limiter{},
		stats:    map[string]int{},
		perJob:   map[string]map[string]int{},
		cancels:  newCancelDelays(opts),
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	n := 0
	for _, k := range opts.APIKeys {
		if _, dup := e.users[k]; !dup {
			n++
			e.users[k] = fmt.Sprintf("user-%d", n)
		}
	}
	for _, c := range opts.Clusters {
		e.clusters[c] = true
	}
	e.routes = e.routeTable()
	return e
}

// Close ends every open WebSocket stream and hanging handshake. The engine
// still answers REST requests afterwards; Server.Close and Server.Shutdown
// call it.
func (e *Engine) Close() { e.cancel() }

// ----- state helpers ----------------------------------------------------------

// notifyLocked wakes every listener: each waits on the channel it saw, and a
// closed channel wakes all of them at once. Callers hold e.mu.
func (e *Engine) notifyLocked() {
	close(e.changed)
	e.changed = make(chan struct{})
}

// newJobID returns "job-" and 16 lowercase hex digits. [INF] The real format
// is unknown; this one passes the route's id check.
func newJobID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "job-" + hex.EncodeToString(b[:])
}

// createJob registers a job pushed by user. Callers hold e.mu.
func (e *Engine) createJobLocked(user, cluster string) *job {
	id := newJobID()
	for e.jobs[id] != nil {
		id = newJobID()
	}
	e.seq++
	j := newJob(id, user, cluster, e.seq, e.clock.Now(), e.opts)
	e.jobs[id] = j
	e.notifyLocked()
	return j
}

// ErrNotFound is returned by the Go helpers for an unknown job id.
var ErrNotFound = errors.New("job not found")

// AddJob creates a job as if apiKey had pushed it to clusterID, for tests
// that do not need the WebSocket.
func (e *Engine) AddJob(apiKey, clusterID string) (string, error) {
	user, ok := e.userForKey(apiKey)
	if !ok {
		return "", errors.New("unknown API key")
	}
	if !e.clusters[clusterID] {
		return "", fmt.Errorf("unknown cluster %q", clusterID)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.createJobLocked(user, clusterID).id, nil
}

// Jobs returns every job of every user, oldest first.
func (e *Engine) Jobs() []JobSnapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	js := slices.Collect(maps.Values(e.jobs))
	slices.SortFunc(js, func(a, b *job) int { return a.seq - b.seq })
	out := make([]JobSnapshot, 0, len(js))
	for _, j := range js {
		out = append(out, j.snapshot(now))
	}
	return out
}

// Job returns one job.
func (e *Engine) Job(id string) (JobSnapshot, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	j, ok := e.jobs[id]
	if !ok {
		return JobSnapshot{}, false
	}
	return j.snapshot(e.clock.Now()), true
}

// SetStatus forces a job's status, replacing its schedule: it keeps that
// status (any string, such as "paused") until forced again or canceled.
func (e *Engine) SetStatus(id, status string) error {
	if strings.TrimSpace(status) == "" {
		return errors.New("status must not be empty")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	j, ok := e.jobs[id]
	if !ok {
		return ErrNotFound
	}
	j.force(e.clock.Now(), status)
	e.notifyLocked()
	return nil
}

// Remove deletes a job as if someone else had deleted it, whatever its status.
func (e *Engine) Remove(id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.jobs[id]; !ok {
		return ErrNotFound
	}
	delete(e.jobs, id)
	e.notifyLocked()
	return nil
}

// ----- stats -------------------------------------------------------------------

// count records a request as it arrives, before anything can refuse it;
// jobID is the {job_id} path segment, "" for routes without one.
func (e *Engine) count(route, jobID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stats[route]++
	if jobID != "" {
		if e.perJob[jobID] == nil {
			e.perJob[jobID] = map[string]int{}
		}
		e.perJob[jobID][route]++
	}
}

// Stats returns request counts keyed by method and route ("GET /job/info",
// "WS /job/push"), counted as requests arrive: requests answered 401, 429
// or 5xx are included.
func (e *Engine) Stats() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return maps.Clone(e.stats)
}

// RequestsFor returns the request counts of the routes that name jobID in
// their path ("GET /job/info", "POST /job/cancel", "DELETE /job/delete",
// "GET /job/pull", "WS /job/listen"), keyed like Stats and counted the same
// way: at arrival, whatever the answer (401, 403, 404, 429, 5xx included).
// A job that got no request has an empty map.
func (e *Engine) RequestsFor(jobID string) map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := maps.Clone(e.perJob[jobID])
	if out == nil {
		out = map[string]int{}
	}
	return out
}

// ResetStats zeroes the request counts, those of RequestsFor included.
func (e *Engine) ResetStats() {
	e.mu.Lock()
	defer e.mu.Unlock()
	clear(e.stats)
	clear(e.perJob)
}
