package sim

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Fault injection at run time. The switches are described on Faults.

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
		if f.FailStatus == http.StatusInternalServerError || (f.FailStatus == 0 && randFloat() < 0.5) {
			writeJSON(w, http.StatusInternalServerError, msg("Internal server error"))
		} else {
			writeJSON(w, http.StatusServiceUnavailable, msg("Service unavailable"))
		}
		return true
	}
	return false
}

// refuseHandshake answers a WebSocket handshake 429 when RefuseHandshakes
// says so, and reports whether it did.
func (e *Engine) refuseHandshake(w http.ResponseWriter) bool {
	e.mu.Lock()
	refuse := e.faults.RefuseHandshakes > 0
	if refuse {
		e.faults.RefuseHandshakes--
	}
	e.mu.Unlock()
	if refuse {
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusTooManyRequests, msg("Rate limit exceeded"))
	}
	return refuse
}

// Ways a change's answer is lost after the engine made it.
const (
	afterChangeNone = iota
	afterChangeDrop
	afterChangeFail
)

// afterChange counts down DropAfterChange or FailAfterChange for a request
// that changes something, or draws LostRate for it (route is its name in
// Stats), and says which applies.
func (e *Engine) afterChange(r *http.Request, route string) int {
	if r.Method == http.MethodGet {
		return afterChangeNone
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	f := e.faults
	switch {
	case f.DropAfterChange > 0:
		e.faults.DropAfterChange--
		return afterChangeDrop
	case f.FailAfterChange > 0:
		e.faults.FailAfterChange--
		return afterChangeFail
	case f.LostRate > 0 && (f.LostRoutes == "" || slices.Contains(strings.Split(f.LostRoutes, ","), route)) && randFloat() < f.LostRate:
		if randFloat() < 0.5 {
			return afterChangeDrop
		}
		return afterChangeFail
	}
	return afterChangeNone
}

// lateAnswer counts down LateAnswers and returns how late the answer of
// this request is; 0 for on time.
func (e *Engine) lateAnswer(r *http.Request) time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.faults.LateAnswers == 0 || (e.faults.LateChanges && r.Method == http.MethodGet) {
		return 0
	}
	e.faults.LateAnswers--
	return e.faults.LateBy
}

// answerLate runs handle at once (the work is done), then sends its answer
// after late, unless the request ends first: nobody is listening then.
func answerLate(w http.ResponseWriter, r *http.Request, late time.Duration, handle func(http.ResponseWriter)) {
	held := &heldAnswer{header: http.Header{}, status: http.StatusOK}
	handle(held)
	t := time.NewTimer(late)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
		return
	}
	for k, v := range held.header {
		w.Header()[k] = v
	}
	w.WriteHeader(held.status)
	_, _ = w.Write(held.body)
}

// loseAnswer runs handle (the change is made), then throws its answer away:
// the connection drops with no response, or the answer is a 500.
func loseAnswer(w http.ResponseWriter, how int, handle func(http.ResponseWriter)) {
	handle(&heldAnswer{header: http.Header{}})
	if how == afterChangeFail {
		writeJSON(w, http.StatusInternalServerError, msg("Internal server error"))
		return
	}
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close()
		return
	}
	panic(http.ErrAbortHandler) // the server closes the connection without answering
}

// heldAnswer is a ResponseWriter that keeps the answer, to send it later
// or never.
type heldAnswer struct {
	header http.Header
	status int
	body   []byte
}

func (h *heldAnswer) Header() http.Header { return h.header }
func (h *heldAnswer) Write(b []byte) (int, error) {
	h.body = append(h.body, b...)
	return len(b), nil
}
func (h *heldAnswer) WriteHeader(status int) { h.status = status }
