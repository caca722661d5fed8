package sim

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Async requests. [DOC] Cluster and storage mutations answer 202 with a
// request_id; GET /request/info/{request_id} reports
// {request_id, request_type, status, created_at, object_id, external_message}
// with status PENDING, PROCESSING, RETRYING, COMPLETED or FAILED (the last
// two terminal), and Retry-After while not terminal.
//
// A request's schedule is fixed when it is accepted (from the options and
// the faults in force then): a list of steps, each a status from a moment
// on, some with an effect on the objects (a cluster becomes RUNNING, a
// volume starts billing…). settleLocked applies the effects of the steps
// the engine clock has passed, in time order, before any request is handled
// and before any inspection, so that the objects move on with no goroutine
// and a fake clock moves them exactly when a test advances it.

// Request types. [DOC]
const (
	RequestClusterClaim   = "CLUSTER_CLAIM"
	RequestClusterRelease = "CLUSTER_RELEASE"
	RequestClusterEdit    = "CLUSTER_EDIT"
	RequestStorageCreate  = "STORAGE_CREATE"
	RequestStorageDestroy = "STORAGE_DESTROY"
	RequestStorageAttach  = "STORAGE_ATTACH"
	RequestStorageDetach  = "STORAGE_DETACH"
	RequestStorageEdit    = "STORAGE_EDIT"
)

// Request statuses. [DOC]
const (
	RequestPending    = "PENDING"
	RequestProcessing = "PROCESSING"
	RequestRetrying   = "RETRYING"
	RequestCompleted  = "COMPLETED"
	RequestFailed     = "FAILED"
)

// requestTerminal reports whether a request status is final. [DOC]
func requestTerminal(status string) bool {
	return status == RequestCompleted || status == RequestFailed
}

// capacityRetryInterval is how often a claim waiting for capacity counts a
// new attempt in its external_message. [INF]
const capacityRetryInterval = 5 * time.Second

// reqStep is one scheduled status of a request.
type reqStep struct {
	at      time.Time
	status  string
	message string // external_message; "" is null
	// attempts makes the message count retry attempts: message is a format
	// with one %d, the attempt number, which grows every
	// capacityRetryInterval from at.
	attempts bool
	// effect changes the objects when the clock reaches at; it runs once,
	// under e.mu, with the step's moment (not the moment it is applied).
	// Effects check the object's state first: a test helper or another
	// request may have changed it since the schedule was made.
	effect func(at time.Time)
}

// messageAt is the step's external_message at now.
func (s reqStep) messageAt(now time.Time) string {
	if !s.attempts {
		return s.message
	}
	return fmt.Sprintf(s.message, 1+int(now.Sub(s.at)/capacityRetryInterval))
}

type request struct {
	id, typ, owner, objectID string
	seq                      int
	created                  time.Time
	// steps is the schedule, sorted by time; at equal times the later step
	// wins, which is how a zero latency takes effect at once (the earlier
	// status still appears in the history).
	steps   []reqStep
	applied int // steps[:applied] had their effects applied
	// observedTerminal is when GET /request/info first answered a terminal
	// status.
	observedTerminal *time.Time
}

// current returns the index of the step in force at now.
func (r *request) current(now time.Time) int {
	for i := len(r.steps) - 1; i > 0; i-- {
		if !r.steps[i].at.After(now) {
			return i
		}
	}
	return 0
}

func (r *request) status(now time.Time) string { return r.steps[r.current(now)].status }

func (r *request) message(now time.Time) string { return r.steps[r.current(now)].messageAt(now) }

// failNow ends a request that has not finished: its future steps (and their
// effects) are dropped and it is FAILED from now, with msg. Callers hold e.mu
// and have settled, so every step up to now is applied.
func (r *request) failNow(now time.Time, msg string) {
	if requestTerminal(r.status(now)) {
		return
	}
	r.steps = append(r.steps[:r.applied], reqStep{at: now, status: RequestFailed, message: msg})
}

// newHexID returns prefix and 2n lowercase hex digits.
func newHexID(prefix string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// uniqueIDLocked draws ids until one is free in every object map, so that
// RequestsFor never mixes two objects. Callers hold e.mu.
func (e *Engine) uniqueIDLocked(prefix string) string {
	for {
		id := newHexID(prefix, 6)
		_, c := e.clusters[id]
		_, s := e.storage[id]
		_, k := e.keys[id]
		_, r := e.requests[id]
		if !c && !s && !k && !r {
			return id
		}
	}
}

// standardSteps is the usual schedule: PENDING for the pending latency,
// PROCESSING for work, then COMPLETED. onProcessing and onCompleted are the
// effects of the last two steps (nil for none).
func (e *Engine) standardSteps(now time.Time, work time.Duration, onProcessing, onCompleted func(time.Time)) []reqStep {
	processing := now.Add(e.opts.RequestPendingLatency)
	return []reqStep{
		{at: now, status: RequestPending},
		{at: processing, status: RequestProcessing, effect: onProcessing},
		{at: processing.Add(work), status: RequestCompleted, effect: onCompleted},
	}
}

// addRequestLocked registers a request with its schedule and applies what
// is due at once (a zero latency). Callers hold e.mu.
func (e *Engine) addRequestLocked(owner, typ, objectID string, now time.Time, steps []reqStep) *request {
	e.objSeq++
	r := &request{
		id: e.uniqueIDLocked("req-"), typ: typ, owner: owner, objectID: objectID,
		seq: e.objSeq, created: now, steps: steps,
	}
	e.requests[r.id] = r
	e.settleLocked()
	return r
}

// settle applies every request step the engine clock has passed.
func (e *Engine) settle() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.settleLocked()
}

// lockSettled locks e.mu and settles; the caller unlocks.
func (e *Engine) lockSettled() {
	e.mu.Lock()
	e.settleLocked()
}

// settleLocked applies the effects of the due steps of every request in
// the order they happened (by time, then request order, then step order).
// Callers hold e.mu.
func (e *Engine) settleLocked() {
	now := e.clock.Now()
	type due struct {
		r *request
		i int
	}
	var dues []due
	for _, r := range e.requests {
		for i := r.applied; i < len(r.steps) && !r.steps[i].at.After(now); i++ {
			dues = append(dues, due{r, i})
		}
	}
	if len(dues) == 0 {
		return
	}
	slices.SortFunc(dues, func(a, b due) int {
		return cmp.Or(a.r.steps[a.i].at.Compare(b.r.steps[b.i].at), cmp.Compare(a.r.seq, b.r.seq), cmp.Compare(a.i, b.i))
	})
	for _, d := range dues {
		// An earlier effect may have cut this request's schedule (failNow).
		if d.i >= len(d.r.steps) || d.i < d.r.applied {
			continue
		}
		s := d.r.steps[d.i]
		d.r.applied = d.i + 1
		if s.effect != nil {
			s.effect(s.at)
		}
	}
	e.notifyLocked()
}

// requestInfo is the body of GET /request/info. [DOC]
type requestInfo struct {
	RequestID       string  `json:"request_id"`
	RequestType     string  `json:"request_type"`
	Status          string  `json:"status"`
	CreatedAt       string  `json:"created_at"`
	ObjectID        string  `json:"object_id"`
	ExternalMessage *string `json:"external_message"`
}

// nullable is s, or nil (JSON null) when empty.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// handleRequestInfo is GET /request/info/{request_id}. [DOC] the body and
// Retry-After on non-terminal answers; [INF] 404 {"message"} for an unknown
// id and 403 for another user's request.
func (e *Engine) handleRequestInfo(w http.ResponseWriter, _ *http.Request, c *call) {
	e.lockSettled()
	r, ok := e.requests[c.id]
	if !ok {
		e.mu.Unlock()
		writeJSON(w, http.StatusNotFound, msg("Request not found"))
		return
	}
	if r.owner != c.user {
		e.mu.Unlock()
		writeJSON(w, http.StatusForbidden, msg("Access denied"))
		return
	}
	now := e.clock.Now()
	status := r.status(now)
	if requestTerminal(status) && r.observedTerminal == nil {
		t := now
		r.observedTerminal = &t
	}
	info := requestInfo{
		RequestID: r.id, RequestType: r.typ, Status: status, CreatedAt: apiTime(r.created),
		ObjectID: r.objectID, ExternalMessage: nullable(r.message(now)),
	}
	e.mu.Unlock()
	if !requestTerminal(status) && e.opts.RequestRetryAfter > 0 {
		secs := int64((e.opts.RequestRetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	writeJSON(w, http.StatusOK, info)
}

// ----- inspection -----------------------------------------------------------------

// RequestStep is one status a request had, for tests.
type RequestStep struct {
	Status          string    `json:"status"`
	At              time.Time `json:"at"`
	ExternalMessage string    `json:"external_message"`
}

// RequestSnapshot is a copy of a request's state at one instant.
type RequestSnapshot struct {
	RequestID       string    `json:"request_id"`
	Owner           string    `json:"owner"`
	Type            string    `json:"request_type"`
	ObjectID        string    `json:"object_id"`
	Status          string    `json:"status"`
	ExternalMessage string    `json:"external_message"`
	CreatedAt       time.Time `json:"created_at"`
	// History is every status the request has had up to now, oldest first,
	// zero-length ones included (a zero latency still shows PROCESSING).
	// A RETRYING step shows the message of its first attempt.
	History []RequestStep `json:"history"`
	// TerminalAt is when the request became COMPLETED or FAILED.
	TerminalAt *time.Time `json:"terminal_at"`
	// ObservedTerminalAt is the clock time of the first GET /request/info
	// that answered the terminal status: ObservedTerminalAt − TerminalAt is
	// how late the client noticed.
	ObservedTerminalAt *time.Time `json:"observed_terminal_at"`
}

func (r *request) snapshot(now time.Time) RequestSnapshot {
	s := RequestSnapshot{
		RequestID: r.id, Owner: r.owner, Type: r.typ, ObjectID: r.objectID, Status: r.status(now),
		ExternalMessage: r.message(now), CreatedAt: r.created.UTC(), ObservedTerminalAt: utcPtr(r.observedTerminal),
	}
	for _, st := range r.steps {
		if st.at.After(now) {
			break
		}
		s.History = append(s.History, RequestStep{Status: st.status, At: st.at.UTC(), ExternalMessage: st.messageAt(st.at)})
		if requestTerminal(st.status) && s.TerminalAt == nil {
			t := st.at.UTC()
			s.TerminalAt = &t
		}
	}
	return s
}

// Requests returns every request of every user, oldest first.
func (e *Engine) Requests() []RequestSnapshot {
	e.lockSettled()
	defer e.mu.Unlock()
	now := e.clock.Now()
	rs := slices.SortedFunc(maps.Values(e.requests), func(a, b *request) int { return a.seq - b.seq })
	out := make([]RequestSnapshot, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.snapshot(now))
	}
	return out
}

// Request returns one request.
func (e *Engine) Request(id string) (RequestSnapshot, bool) {
	e.lockSettled()
	defer e.mu.Unlock()
	r, ok := e.requests[id]
	if !ok {
		return RequestSnapshot{}, false
	}
	return r.snapshot(e.clock.Now()), true
}

// RequestsOf returns the requests about one object (object_id), oldest
// first: a cluster's claim, edits and release, or a volume's create,
// attaches, detaches, edits and destroy.
func (e *Engine) RequestsOf(objectID string) []RequestSnapshot {
	var out []RequestSnapshot
	for _, r := range e.Requests() {
		if r.ObjectID == objectID {
			out = append(out, r)
		}
	}
	return out
}

// handleSimRequests is GET /_sim/requests.
func (e *Engine) handleSimRequests(w http.ResponseWriter, _ *http.Request, _ *call) {
	writeJSON(w, http.StatusOK, map[string]any{"requests": e.Requests()})
}

// withRequestIDLocked adds request_id to an answer, unless
// Faults.NoRequestIDs leaves it out [CLI: optional].
func (e *Engine) withRequestIDLocked(body map[string]any, requestID string) map[string]any {
	if !e.faults.NoRequestIDs {
		body["request_id"] = requestID
	}
	return body
}
