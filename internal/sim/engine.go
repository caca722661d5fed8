package sim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

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
	limiters map[string]*rate.Limiter // per user
	stats    map[string]int
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

// Close ends every open WebSocket stream. The engine still answers REST
// requests afterwards; Server.Close calls it.
func (e *Engine) Close() { e.cancel() }

// ----- routing --------------------------------------------------------------

// routeKind says which cross-cutting rules apply to a route.
type routeKind int

const (
	kindPublic routeKind = iota // /healthz: no auth, no faults, not counted
	kindREST                    // auth, faults, counted
	kindWS                      // counted, latency; auth happens inside the socket
	kindSim                     // /_sim/*: no auth, no faults, not counted
)

// call is what a handler gets besides the request.
type call struct {
	user  string // set for REST routes
	jobID string // the {job_id} path segment, unescaped
}

type route struct {
	method  string
	pattern []string // path segments; "{job_id}" matches one non-empty segment
	stat    string   // stats key: method + path without the id
	kind    routeKind
	handle  func(w http.ResponseWriter, r *http.Request, c *call)
}

// routeTable lists every route. Sources: /healthz, /job/info, /job/cancel,
// /job/pull [DOC]; /health, /user/info, /job/init, /job/list, /job/delete,
// /job/push, /job/listen [CLI]; /_sim/* belong to the simulator only.
// Requests that match no route (404/405) are not counted in the stats.
func (e *Engine) routeTable() []route {
	r := func(method, pattern string, kind routeKind, h func(http.ResponseWriter, *http.Request, *call)) route {
		stat := method + " " + strings.TrimSuffix(strings.TrimSuffix(pattern, "/{job_id}/status"), "/{job_id}")
		if kind == kindWS {
			stat = "WS " + strings.TrimSuffix(pattern, "/{job_id}")
		}
		return route{method: method, pattern: strings.Split(strings.Trim(pattern, "/"), "/"), stat: stat, kind: kind, handle: h}
	}
	return []route{
		r(http.MethodGet, "/healthz", kindPublic, e.handleHealthz),
		r(http.MethodPost, "/health", kindREST, e.handleHealth),
		r(http.MethodGet, "/user/info", kindREST, e.handleUserInfo),
		r(http.MethodGet, "/job/init", kindREST, e.handleInit),
		r(http.MethodGet, "/job/info/{job_id}", kindREST, e.handleInfo),
		r(http.MethodGet, "/job/list", kindREST, e.handleList),
		r(http.MethodPost, "/job/cancel/{job_id}", kindREST, e.handleCancel),
		r(http.MethodDelete, "/job/delete/{job_id}", kindREST, e.handleDelete),
		r(http.MethodGet, "/job/pull/{job_id}", kindREST, e.handlePull),
		r(http.MethodGet, "/job/push", kindWS, e.handlePush),
		r(http.MethodGet, "/job/listen/{job_id}", kindWS, e.handleListen),
		r(http.MethodGet, "/_sim/jobs", kindSim, e.handleSimJobs),
		r(http.MethodPost, "/_sim/jobs/{job_id}/status", kindSim, e.handleSimForce),
		r(http.MethodDelete, "/_sim/jobs/{job_id}", kindSim, e.handleSimRemove),
		r(http.MethodGet, "/_sim/stats", kindSim, e.handleSimStats),
		r(http.MethodDelete, "/_sim/stats", kindSim, e.handleSimResetStats),
		r(http.MethodGet, "/_sim/faults", kindSim, e.handleSimFaults),
		r(http.MethodPost, "/_sim/faults", kindSim, e.handleSimSetFaults),
	}
}

// match returns the route for the path (segments already unescaped), and
// whether some route has that path with another method.
func (e *Engine) match(method string, segs []string) (*route, string, bool) {
	pathFound := false
	for i := range e.routes {
		rt := &e.routes[i]
		id, ok := matchPattern(rt.pattern, segs)
		if !ok {
			continue
		}
		if rt.method == method {
			return rt, id, true
		}
		pathFound = true
	}
	return nil, "", pathFound
}

func matchPattern(pattern, segs []string) (string, bool) {
	if len(pattern) != len(segs) {
		return "", false
	}
	id := ""
	for i, p := range pattern {
		switch {
		case p == "{job_id}":
			if segs[i] == "" {
				return "", false
			}
			id = segs[i]
		case p != segs[i]:
			return "", false
		}
	}
	return id, true
}

// splitPath unescapes each segment separately, so that an id containing an
// encoded slash stays one (invalid) id instead of changing the route.
func splitPath(r *http.Request) ([]string, bool) {
	raw := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	segs := make([]string, len(raw))
	for i, s := range raw {
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, false
		}
		segs[i] = u
	}
	return segs, true
}

// ServeHTTP routes a request and applies, in order: stats, latency, auth,
// rate limit and failure injection (REST), then the handler.
func (e *Engine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &recorder{ResponseWriter: w}
	start := time.Now()
	defer func() {
		if e.opts.Logf != nil {
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			note := ""
			if rec.wsClose != "" {
				note = " ws-close=" + rec.wsClose
			}
			// Path only: never the query, headers or body.
			e.opts.Logf("%s %s %d %s%s", r.Method, r.URL.Path, status, time.Since(start).Round(time.Microsecond), note)
		}
	}()

	segs, ok := splitPath(r)
	var rt *route
	var id string
	if ok {
		rt, id, ok = e.match(r.Method, segs)
	}
	if rt == nil {
		if ok {
			// FastAPI's answer to a known path with the wrong method.
			writeJSON(rec, http.StatusMethodNotAllowed, map[string]any{"detail": "Method Not Allowed"})
			return
		}
		writeJSON(rec, http.StatusNotFound, msg("Not Found"))
		return
	}
	c := &call{jobID: id}
	switch rt.kind {
	case kindREST:
		e.count(rt.stat)
		if !e.sleep(r.Context()) {
			return
		}
		user, ok := e.authenticate(r)
		if !ok {
			// [DOC] 401 bodies use "error", not "message".
			writeJSON(rec, http.StatusUnauthorized, map[string]any{"error": "Invalid or missing API key"})
			return
		}
		c.user = user
		if e.injectFault(rec, user) {
			return
		}
	case kindWS:
		e.count(rt.stat)
		if !e.sleep(r.Context()) {
			return
		}
	}
	rt.handle(rec, r, c)
}

// recorder remembers the status for the request log. Unwrap lets the
// WebSocket library reach the http.Hijacker underneath.
type recorder struct {
	http.ResponseWriter
	status  int
	wsClose string
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// noteClose records a WebSocket close for the request log.
func noteClose(w http.ResponseWriter, code int, reason string) {
	if rec, ok := w.(*recorder); ok {
		rec.wsClose = fmt.Sprintf("%d %q", code, reason)
	}
}

// authenticate maps the bearer token to a user. [DOC] "Authorization: Bearer
// <key>"; the scheme is matched case-insensitively as RFC 7235 requires.
func (e *Engine) authenticate(r *http.Request) (string, bool) {
	scheme, key, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return e.userForKey(strings.TrimSpace(key))
}

func (e *Engine) userForKey(key string) (string, bool) {
	if key == "" {
		return "", false
	}
	user, ok := e.users[key] // read-only after New
	return user, ok
}

// sleep waits the configured latency in real time; false if the request
// ended first (then nobody is listening for a response).
func (e *Engine) sleep(ctx context.Context) bool {
	d := e.Faults().Latency
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

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

// ----- stats and faults -------------------------------------------------------

func (e *Engine) count(key string) {
	e.mu.Lock()
	e.stats[key]++
	e.mu.Unlock()
}

// Stats returns request counts keyed by method and route ("GET /job/info",
// "WS /job/push"), including requests answered 401, 429 or 5xx.
func (e *Engine) Stats() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return maps.Clone(e.stats)
}

// ResetStats zeroes the request counts.
func (e *Engine) ResetStats() {
	e.mu.Lock()
	defer e.mu.Unlock()
	clear(e.stats)
}

// Faults returns the current fault switches (FailNext counts down).
func (e *Engine) Faults() Faults {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.faults
}

// SetFaults replaces the fault switches. It panics on invalid settings, as
// New does; the HTTP route validates first and answers 400.
func (e *Engine) SetFaults(f Faults) {
	if err := f.Validate(); err != nil {
		panic("sim: invalid faults: " + err.Error())
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if f.RateLimit != e.faults.RateLimit {
		clear(e.limiters) // new rate, fresh buckets
	}
	e.faults = f
}

// injectFault answers the request with a rate-limit or failure response when
// a fault says so, and reports whether it did.
func (e *Engine) injectFault(w http.ResponseWriter, user string) bool {
	e.mu.Lock()
	f := e.faults
	limited := false
	if f.RateLimit > 0 {
		lim := e.limiters[user]
		if lim == nil {
			burst := max(1, int(ceilFloat(f.RateLimit)))
			lim = rate.NewLimiter(rate.Limit(f.RateLimit), burst)
			e.limiters[user] = lim
		}
		// The engine clock, not the wall clock: under a fake clock the bucket
		// refills only when the test advances time.
		limited = !lim.AllowN(e.clock.Now(), 1)
	}
	failNext := false
	if !limited && e.faults.FailNext > 0 {
		e.faults.FailNext--
		failNext = true
	}
	e.mu.Unlock()

	switch {
	case limited:
		// [INF] The real 429 body and headers are unknown.
		after := f.RateLimitRetryAfter
		if after <= 0 {
			after = DefaultRateLimitRetryAfter
		}
		w.Header().Set("Retry-After", fmt.Sprint(after))
		writeJSON(w, http.StatusTooManyRequests, msg("Rate limit exceeded"))
		return true
	case failNext:
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, msg("Service unavailable"))
		return true
	case f.FailRate > 0 && randFloat() < f.FailRate:
		w.Header().Set("Retry-After", "1")
		if randFloat() < 0.5 {
			writeJSON(w, http.StatusInternalServerError, msg("Internal server error"))
		} else {
			writeJSON(w, http.StatusServiceUnavailable, msg("Service unavailable"))
		}
		return true
	}
	return false
}
