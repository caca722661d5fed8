package sim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"

	"golang.org/x/time/rate"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock"
)

// Engine is the simulated TensorPool engine. It is an http.Handler and is
// safe for concurrent use.
type Engine struct {
	opts   Options
	clock  clock.Clock
	users  map[string]string // API key → user name; the only place keys live
	routes []route

	// ctx ends when the engine is closed, ending open WebSocket streams
	// (hijacked connections outlive http.Server.Shutdown).
	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	jobs      map[string]*job
	seq       int
	changed   chan struct{} // closed and replaced on every change, see notifyLocked
	faults    Faults
	limiters  map[string]*rate.Limiter  // per user
	stats     map[string]int            // route → requests
	perObject map[string]map[string]int // job, cluster, storage, key or request id → route → requests
	cancels   *cancelDelays             // drawn under mu

	// The objects behind the /cluster, /storage, /user/ssh-key and
	// /request routes (clusters.go, storage.go, sshkeys.go, requests.go).
	// Their changes are scheduled as request steps and applied by
	// settleLocked when the engine clock passes them.
	clusters    map[string]*cluster // pre-existing (Options.Clusters) and created ones
	storage     map[string]*storage
	attachments map[string]*attachment // by attachmentID(storage, cluster)
	keys        map[string]*sshKey
	requests    map[string]*request
	// objectStores is each user's object storage (objectstorage.go), made on enable.
	objectStores map[string]*objectStore
	objSeq       int // creation order of the objects above
}

// New returns an engine. It panics if opts.Validate fails: options are set
// by test code, where a panic with the reason is the clearest report.
func New(opts Options) *Engine {
	if err := opts.Validate(); err != nil {
		panic("sim: invalid options: " + err.Error())
	}
	opts = opts.withDefaults()
	e := &Engine{
		opts:        opts,
		clock:       opts.Clock,
		users:       map[string]string{},
		jobs:        map[string]*job{},
		changed:     make(chan struct{}),
		faults:      opts.Faults,
		limiters:    map[string]*rate.Limiter{},
		stats:       map[string]int{},
		perObject:   map[string]map[string]int{},
		cancels:     newCancelDelays(opts),
		clusters:    map[string]*cluster{},
		storage:     map[string]*storage{},
		attachments: map[string]*attachment{},
		keys:        map[string]*sshKey{},
		requests:    map[string]*request{},
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
		if e.clusters[c] == nil {
			e.addSharedClusterLocked(c)
		}
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
	opts := e.opts
	opts.PendingDelay += e.cancels.draw(opts.PendingDelayJitter)
	j := newJob(id, user, cluster, e.seq, e.clock.Now(), opts)
	e.jobs[id] = j
	e.notifyLocked()
	return j
}

// ErrNotFound is returned by the Go helpers for an unknown job id.
var ErrNotFound = errors.New("job not found")

// AddJob creates a job as if apiKey had pushed it to clusterID, for tests
// that do not need the WebSocket. The cluster must accept jobs, as for a
// push (see checkPushTargetLocked).
func (e *Engine) AddJob(apiKey, clusterID string) (string, error) {
	user, ok := e.userForKey(apiKey)
	if !ok {
		return "", errors.New("unknown API key")
	}
	e.lockSettled()
	defer e.mu.Unlock()
	if err := e.checkPushTargetLocked(user, clusterID); err != nil {
		return "", err
	}
	return e.createJobLocked(user, clusterID).id, nil
}

// Jobs returns every job of every user, oldest first.
func (e *Engine) Jobs() []JobSnapshot {
	return snapshotAll(e, func() map[string]*job { return e.jobs }, (*job).snapshot)
}

// Job returns one job.
func (e *Engine) Job(id string) (JobSnapshot, bool) {
	return snapshotOne(e, func() map[string]*job { return e.jobs }, id, (*job).snapshot)
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
// id is the route's {…} path segment, "" for routes without one.
func (e *Engine) count(route, id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stats[route]++
	e.countForLocked(route, id)
}

// countForLocked adds one request of route to id's counts (RequestsFor).
// Callers hold e.mu.
func (e *Engine) countForLocked(route, id string) {
	if id == "" {
		return
	}
	if e.perObject[id] == nil {
		e.perObject[id] = map[string]int{}
	}
	e.perObject[id][route]++
}

// Stats returns request counts keyed by method and route ("GET /job/info",
// "WS /job/push"), counted as requests arrive: requests answered 401, 429
// or 5xx are included.
func (e *Engine) Stats() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return maps.Clone(e.stats)
}

// RequestsFor returns the request counts of the routes that name id in
// their path, keyed like Stats and counted the same way: at arrival,
// whatever the answer (401, 403, 404, 429, 5xx included). id may be a job id
// ("GET /job/info", "POST /job/cancel", "DELETE /job/delete", "GET /job/pull",
// "WS /job/listen"), a cluster id ("GET /cluster/info", "PATCH /cluster/edit",
// "DELETE /cluster"), a storage id ("GET /storage/info", "PATCH
// /storage/edit", "DELETE /storage"), a key id ("DELETE
// /user/ssh-key/remove") or a request id ("GET /request/info"). Routes that
// name objects in their body count for them too, once accepted (answered
// 2xx) only: "POST /cluster/create" for the new cluster, "POST
// /storage/create" for the new volume, "POST /user/ssh-key/add" for the new
// key, "POST /storage/attach" and "POST /storage/detach" for the volume and
// each cluster. An id that got no request has an empty map.
func (e *Engine) RequestsFor(id string) map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := maps.Clone(e.perObject[id])
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
	clear(e.perObject)
}
