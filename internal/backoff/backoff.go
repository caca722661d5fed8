// Package backoff is the one place where the provider waits: the delay
// schedule for HTTP retries and status polls, a sleep that never outlives its
// context or deadline, and a bounded poll loop. Everything takes a
// clock.Clock so that tests run long schedules in milliseconds.
package backoff

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock"
)

// Policy is an exponential schedule: Initial, then ×Multiplier per attempt,
// never above Max. Jitter spreads each delay uniformly over
// [d×(1−Jitter), d] so that many clients retrying together do not stay in
// step; it never lengthens a delay beyond the schedule.
type Policy struct {
	Initial    time.Duration
	Max        time.Duration
	Multiplier float64
	Jitter     float64
	// MaxHint caps a server's hint (Retry-After). Zero means Max.
	MaxHint time.Duration
}

// Delay returns the delay before retry number attempt (0-based), without a
// server hint.
func (p Policy) Delay(attempt int) time.Duration {
	d := float64(p.Initial)
	mult := p.Multiplier
	if mult < 1 {
		mult = 2
	}
	for i := 0; i < attempt && d < float64(p.Max); i++ {
		d *= mult
	}
	if p.Max > 0 && d > float64(p.Max) {
		d = float64(p.Max)
	}
	if p.Jitter > 0 {
		d -= d * p.Jitter * rand.Float64() //nolint:gosec // jitter needs no cryptographic randomness
	}
	return time.Duration(d)
}

// WithHint returns the delay for attempt when the server asked to wait hint
// (for example through Retry-After): the longer of the two, with the hint
// capped at MaxHint so that a server can never stall the provider for an hour.
func (p Policy) WithHint(attempt int, hint time.Duration) time.Duration {
	d := p.Delay(attempt)
	limit := p.MaxHint
	if limit <= 0 {
		limit = p.Max
	}
	if hint > limit {
		hint = limit
	}
	if hint > d {
		d = hint
	}
	return d
}

// ErrDeadline is returned by Sleep when the wait would end after the
// context's deadline: sleeping would only postpone a certain failure.
var ErrDeadline = errors.New("the wait would outlast the operation's deadline")

// Sleep waits d on clk. It returns early with the context's error when ctx
// ends, with nil when wake fires (a nil wake never fires), and at once with
// ErrDeadline when ctx has a deadline sooner than now+d.
func Sleep(ctx context.Context, clk clock.Clock, d time.Duration, wake <-chan struct{}) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	clk = clock.OrReal(clk)
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
		return ErrDeadline
	}
	if d <= 0 {
		return nil
	}
	t := clk.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C():
		return nil
	case <-wake:
		return nil
	}
}

// TimeoutError reports that a Poll ran out of time. Waited is measured on the
// poll's clock.
type TimeoutError struct {
	Waited time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("gave up after %s", e.Waited.Round(100*time.Millisecond))
}

// Poll runs check until it reports done, bounded by Timeout (measured on
// Clock) and by ctx. Between checks it waits according to Policy, or the
// hint check returns when that is longer (capped by Policy.MaxHint), and never
// past the deadline: the last wait is shortened so that one final check runs
// right at the deadline. When ctx's deadline comes sooner than Timeout, that
// is the deadline, less a moment for the final check to be answered (see
// finalCheckTimeMax). Wake, when set, cuts a wait short (for example when a
// status stream says the job may have changed); the result still comes only
// from check.
type Poll struct {
	Clock   clock.Clock
	Policy  Policy
	Timeout time.Duration
	// Wake cuts the current wait short each time it receives a value; when
	// it is closed it cuts one wait short and is ignored from then on.
	Wake <-chan struct{}
	// Hold says whether a notifier (a job's live status stream) stands in
	// for the schedule: after true, the waits last HeldInterval (or until
	// the deadline when it is zero) instead of Policy's, and Wake is what
	// cuts them short; after false (or when Hold is closed) the schedule is
	// back, counted from the start of the wait in progress. A change takes
	// effect in the wait in progress, without a check.
	Hold <-chan bool
	// HeldInterval is the wait between checks while held: a guard against
	// a notifier that stays connected and says nothing. Zero: no check
	// until Wake or the deadline.
	HeldInterval time.Duration
	// WaitFirst waits one interval before the first check, for callers that
	// have just learned the state some other way.
	WaitFirst bool
}

// CheckFunc inspects the current state. done ends the poll; hint is the
// server's requested wait before the next check (zero for none). A non-nil
// error ends the poll with that error.
type CheckFunc func(ctx context.Context) (done bool, hint time.Duration, err error)

// Run polls until done. On timeout it returns a *TimeoutError; when ctx ends
// it returns an *InterruptedError (or a *TimeoutError when the context's own
// deadline passed).
func (p Poll) Run(ctx context.Context, check CheckFunc) error {
	clk := clock.OrReal(p.Clock)
	wake, hold, held := p.Wake, p.Hold, false
	start := clk.Now()
	deadline := p.deadline(ctx, start)
	skipCheck := p.WaitFirst
	for attempt := 0; ; attempt++ {
		var hint time.Duration
		if !skipCheck {
			done, h, err := check(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return p.ended(ctx, clk, start)
				}
				return err
			}
			if done {
				return nil
			}
			hint = h
		}
		skipCheck = false
		if clk.Now().Sub(deadline) >= 0 {
			return &TimeoutError{Waited: clk.Now().Sub(start)}
		}
		if err := p.pause(ctx, clk, deadline, p.Policy.WithHint(attempt, hint), &wake, &hold, &held); err != nil {
			return p.ended(ctx, clk, start)
		}
	}
}

// pause waits between two checks: interval on the schedule, HeldInterval
// while held, never past the deadline. It returns nil when the next check
// is due, and the context's error when ctx ends.
func (p Poll) pause(ctx context.Context, clk clock.Clock, deadline time.Time, interval time.Duration, wake *<-chan struct{}, hold *<-chan bool, held *bool) error {
	begun := clk.Now()
	for {
		// A wake-up that has already arrived wins over the timer: in one
		// select with a timer that fires at once (a short wait, or a fake
		// clock advanced by another goroutine) Go would pick either.
		if woke, open := received(*wake); woke {
			if !open {
				*wake = nil
			}
			return nil
		}
		wait := deadline.Sub(clk.Now())
		switch {
		case !*held:
			wait = min(wait, interval-clk.Now().Sub(begun))
		case p.HeldInterval > 0:
			wait = min(wait, max(interval, p.HeldInterval)-clk.Now().Sub(begun))
		}
		if wait <= 0 {
			return nil
		}
		t := clk.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C():
			return nil
		case _, ok := <-*wake:
			t.Stop()
			if !ok {
				// A closed wake-up channel has said all it can; waiting on it
				// again would spin.
				*wake = nil
			}
			return nil
		case h, ok := <-*hold:
			t.Stop()
			if !ok {
				*hold = nil
			}
			*held = h && ok
		}
	}
}

// received reports, without waiting, whether wake has a value or is closed
// (then open is false).
func received(wake <-chan struct{}) (woke, open bool) {
	select {
	case _, open = <-wake:
		return true, open
	default:
		return false, true
	}
}

// Time kept for the final check when the context's deadline bounds a poll:
// a check started right at that deadline would be cut off before its
// answer. A tenth of the poll's time, at most finalCheckTimeMax: a status
// read is answered in well under a second unless the engine is failing, and
// then the check's own retries stop at the deadline anyway.
const (
	finalCheckShare   = 10
	finalCheckTimeMax = time.Second
)

// deadline is when the poll's final check runs, on the poll's clock: after
// Timeout, or before the context's deadline (a wall-clock time, translated
// to the clock as time left), whichever comes first.
func (p Poll) deadline(ctx context.Context, start time.Time) time.Time {
	deadline := start.Add(p.Timeout)
	if ctxDeadline, ok := ctx.Deadline(); ok {
		left := max(time.Until(ctxDeadline), 0)
		left -= min(finalCheckTimeMax, left/finalCheckShare)
		if bound := start.Add(left); bound.Before(deadline) {
			deadline = bound
		}
	}
	return deadline
}

func (p Poll) ended(ctx context.Context, clk clock.Clock, start time.Time) error {
	waited := clk.Now().Sub(start)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &TimeoutError{Waited: waited}
	}
	return &InterruptedError{Waited: waited, Err: ctx.Err()}
}

// InterruptedError reports a Poll stopped by its context (for example
// Ctrl-C in Terraform) before the deadline.
type InterruptedError struct {
	Waited time.Duration
	Err    error
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("stopped after %s: %v", e.Waited.Round(time.Millisecond), e.Err)
}

func (e *InterruptedError) Unwrap() error { return e.Err }
