package client

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/backoff"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock"
)

// Tuning of the adaptive limiter.
const (
	// minAdaptiveRate is the slowest the limiter ever goes on its own: one
	// request a second, twice the official CLI's poll rate. Slower than
	// that, the engine's Retry-After pauses still apply.
	minAdaptiveRate = 1.0
	// recoveryPerSecond is the additive increase: each second of answers
	// without a 429 raises the allowed rate by this many requests/s.
	recoveryPerSecond = 1.0
	// observationWindow is how far back the limiter counts requests to
	// estimate the rate that drew the first 429.
	observationWindow = time.Second
	// maxObserved bounds that count's memory.
	maxObserved = 1024
)

// adaptiveLimiter is the one rate limiter of a Client, shared by all its
// requests (all resources of one Terraform run share one Client). It does
// nothing until the engine pushes back, unless a RateLimit is configured:
//
//   - a 429 pauses every request until the Retry-After the engine gave, and
//     halves the allowed rate (multiplicative decrease) — once per round:
//     429s to requests sent before the last decrease only extend the pause;
//   - every other answer raises the allowed rate by recoveryPerSecond per
//     second (additive increase), up to the configured RateLimit, or, with
//     none, back to unlimited once the rate that drew the first 429 is
//     reached again.
//
// All time is on the injectable clock, and no wait outlives its context.
type adaptiveLimiter struct {
	clock clock.Clock
	// ceiling is the configured RateLimit in requests/s; 0 means none.
	ceiling float64

	mu sync.Mutex
	// rate is the allowed requests/s; 0 means unlimited.
	rate float64
	// next is the theoretical start of the next request at rate (the GCRA
	// "theoretical arrival time"); requests reserve their slot by moving it.
	next        time.Time
	pausedUntil time.Time
	// round counts decreases. A request carries the round it was admitted
	// in; slots reserved in an older round are void.
	round   uint64
	changed chan struct{} // closed and replaced when round changes
	// recoverTo is the rate at which an unlimited client becomes unlimited
	// again: the rate observed when the engine first pushed back.
	recoverTo float64
	// lastRaise is when the additive increase last ran.
	lastRaise time.Time
	// lastStart is the latest start of an admitted request.
	lastStart time.Time
	// admitted holds recent admission times while unlimited.
	admitted []time.Time
	// throttled counts 429s seen, for tests and logs.
	throttled int
}

func newAdaptiveLimiter(clk clock.Clock, ceiling float64) *adaptiveLimiter {
	if ceiling < 0 {
		ceiling = 0
	}
	return &adaptiveLimiter{clock: clock.OrReal(clk), ceiling: ceiling, rate: ceiling, changed: make(chan struct{})}
}

// burst is how many requests may start at once: the configured rate's worth
// while the engine has not pushed back, one at a time after.
func (l *adaptiveLimiter) burst() int {
	if l.ceiling > 0 && l.rate >= l.ceiling {
		return max(1, int(l.ceiling))
	}
	return 1
}

func (l *adaptiveLimiter) interval() time.Duration {
	return time.Duration(float64(time.Second) / l.rate)
}

// slot returns when a request asking now may start, and where that would
// move next. The caller holds mu.
func (l *adaptiveLimiter) slot(now time.Time) (start, next time.Time) {
	start = now
	if l.pausedUntil.After(start) {
		start = l.pausedUntil
	}
	if l.rate <= 0 {
		return start, l.next
	}
	interval := l.interval()
	tat := l.next
	if tat.Before(start) {
		tat = start
	}
	if earliest := tat.Add(-time.Duration(l.burst()-1) * interval); earliest.After(start) {
		start = earliest
	}
	return start, tat.Add(interval)
}

// wait blocks until req may be sent and returns the round it was admitted
// in, for observe. It fails at once with a *ThrottledError when the slot is
// after ctx's deadline, and with ctx's error when ctx ends first.
func (l *adaptiveLimiter) wait(ctx context.Context, req request) (uint64, error) {
	if l == nil {
		return 0, nil // no limiter (tests measuring the client without one)
	}
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		l.mu.Lock()
		now := l.clock.Now()
		start, next := l.slot(now)
		d := start.Sub(now)
		if deadline, ok := ctx.Deadline(); ok && d > 0 && time.Until(deadline) < d {
			l.mu.Unlock()
			return 0, &ThrottledError{Method: req.method, Path: req.path, Wait: d}
		}
		l.next = next
		round, changed := l.round, l.changed
		if d <= 0 {
			l.admit(start)
			l.mu.Unlock()
			return round, nil
		}
		l.mu.Unlock()
		if err := backoff.Sleep(ctx, l.clock, d, changed); err != nil {
			return 0, err
		}
		l.mu.Lock()
		current := l.round == round && !l.clock.Now().Before(l.pausedUntil)
		if current {
			l.admit(start)
		}
		l.mu.Unlock()
		if current {
			return round, nil
		}
		// A 429 arrived while this request waited: its slot is void, and it
		// queues again at the new rate after the new pause.
	}
}

// admit records a request let through at its slot start. The caller holds
// mu.
func (l *adaptiveLimiter) admit(start time.Time) {
	if start.After(l.lastStart) {
		l.lastStart = start
	}
	if l.rate > 0 {
		return
	}
	cutoff := start.Add(-observationWindow)
	drop := 0
	for drop < len(l.admitted) && !l.admitted[drop].After(cutoff) {
		drop++
	}
	if drop == 0 && len(l.admitted) >= maxObserved {
		drop = 1
	}
	l.admitted = append(l.admitted[drop:], start)
}

// observe feeds the outcome of a request admitted in round back: code is
// its HTTP status (0 when it got none) and retryAfter the engine's hint,
// already capped.
func (l *adaptiveLimiter) observe(round uint64, code int, retryAfter time.Duration) {
	if l == nil || code == 0 || code >= 500 {
		return // no answer, or a failing engine: says nothing about our rate
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	if code != http.StatusTooManyRequests {
		l.raise(now)
		return
	}
	l.throttled++
	if until := now.Add(retryAfter); until.After(l.pausedUntil) {
		l.pausedUntil = until
	}
	if round != l.round {
		return // sent before the last decrease: that decrease already answered it
	}
	l.decrease(now)
	l.round++
	close(l.changed)
	l.changed = make(chan struct{})
	// The queue restarts at the new rate, one interval after the last
	// request let through (and not before the pause ends, see slot).
	l.next = l.lastStart.Add(l.interval())
	l.lastRaise = l.pausedUntil
	if l.lastRaise.Before(now) {
		l.lastRaise = now
	}
}

func (l *adaptiveLimiter) decrease(now time.Time) {
	if l.rate <= 0 {
		observed := 0
		cutoff := now.Add(-observationWindow)
		for _, at := range l.admitted {
			if at.After(cutoff) {
				observed++
			}
		}
		l.admitted = nil
		l.recoverTo = max(float64(observed), 2*minAdaptiveRate)
		l.rate = max(float64(observed)/2, minAdaptiveRate)
		return
	}
	l.rate = max(l.rate/2, minAdaptiveRate)
}

func (l *adaptiveLimiter) raise(now time.Time) {
	if l.rate <= 0 || (l.ceiling > 0 && l.rate >= l.ceiling) {
		return
	}
	elapsed := now.Sub(l.lastRaise)
	if elapsed <= 0 {
		return
	}
	l.lastRaise = now
	l.rate += recoveryPerSecond * min(elapsed, time.Second).Seconds()
	switch {
	case l.ceiling > 0:
		l.rate = min(l.rate, l.ceiling)
	case l.rate >= l.recoverTo:
		l.rate, l.next = 0, time.Time{}
	}
}

// state reports the allowed rate (0 = unlimited) and the 429s seen.
func (l *adaptiveLimiter) state() (rate float64, throttled int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rate, l.throttled
}
