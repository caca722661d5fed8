package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/backoff"
)

// The request poll schedule, as the official CLI waits [CLI]: the engine's
// Retry-After but at least MinRequestPollInterval, DefaultRequestPollInterval
// when it sends none; and, unlike the CLI, never more than
// MaxRequestPollInterval, so that a capacity wait notices completion soon.
// Unlike the CLI, the first read comes DefaultRequestPollInterval after the
// wait starts, not at once (see firstRequestPoll).
const (
	MinRequestPollInterval     = time.Second
	DefaultRequestPollInterval = 2 * time.Second
	MaxRequestPollInterval     = 10 * time.Second
)

// unboundedWait stands for "no timeout": Poll needs a finite one, and a
// century is far beyond any context deadline.
const unboundedWait = 100 * 365 * 24 * time.Hour

// RequestPollSchedule is how WaitForRequest spaces its reads. The zero
// value means DefaultRequestPollSchedule; tests run the same logic on a
// millisecond scale.
type RequestPollSchedule struct {
	// First is the wait before the first read of a request just accepted.
	First time.Duration
	// Min is the shortest wait between reads, whatever Retry-After says.
	Min time.Duration
	// Default is the wait when the engine sends no Retry-After.
	Default time.Duration
	// Max caps every wait, a Retry-After included.
	Max time.Duration
}

// DefaultRequestPollSchedule is the official CLI's schedule, with the
// first read after one interval and the cap (see the constants above and
// firstRequestPoll).
var DefaultRequestPollSchedule = RequestPollSchedule{
	First: firstRequestPoll, Min: MinRequestPollInterval, Default: DefaultRequestPollInterval, Max: MaxRequestPollInterval,
}

// policy waits Min unless the check asks for longer, and caps what it asks
// for at Max.
func (s RequestPollSchedule) policy() backoff.Policy {
	return backoff.Policy{Initial: s.Min, Max: s.Min, Multiplier: 1, MaxHint: s.Max}
}

// RequestWaitOptions tunes WaitForRequest.
type RequestWaitOptions struct {
	// Timeout bounds the wait, measured on the client's clock; zero means
	// the context alone bounds it.
	Timeout time.Duration
	// OnChange is called with the first state read (prev nil) and then each
	// time the status or the external message changes, before
	// WaitForRequest returns that state.
	OnChange func(prev, cur *Request)
	// AcceptedEarlier says the request was accepted before this call (by
	// an earlier run, say), so it may have ended long ago: the first read
	// comes at once instead of after firstRequestPoll.
	AcceptedEarlier bool
}

// firstRequestPoll is the wait before the first read of a request the
// engine has just accepted (its 202 carries no Retry-After): a read at once
// never finds it finished, so it would only cost a request. It is the CLI's
// interval without Retry-After and the engine's usual one, so on that
// schedule our reads fall where the CLI's do (2, 4, 6 s… against its 0, 2,
// 4, 6 s…) and notice the end no later; only with a Retry-After of 1 s can
// a request ending in its first second be seen up to 1 s after the CLI
// would. backoff.Poll's WaitFirst cannot serve: its first wait is the
// policy's Initial, the 1 s minimum.
const firstRequestPoll = DefaultRequestPollInterval

// next is the wait the engine asked for after req, before the policy
// applies the minimum and the cap.
func (s RequestPollSchedule) next(req *Request) time.Duration {
	if req.retryAfterSent {
		return req.RetryAfter
	}
	return s.Default
}

// WaitForRequest polls the request until it is COMPLETED and returns its
// final state. The first read comes firstRequestPoll after the call (at once
// with opts.AcceptedEarlier); between reads it waits as the engine asks (see
// the poll constants); never past the deadline: the last wait is shortened
// so that one final read runs at the deadline. The context's end or the
// deadline cuts any wait short, the first one included.
//
// Engine outages (429, 5xx, timeouts, dropped connections) that outlast the
// client's own retries do not end the wait: the next read tries again until
// the deadline. Any other error ends it at once, wrapped so that IsNotFound
// and friends still see it: an unreachable engine, 401, 403, 404.
//
// A FAILED request returns its state and a *RequestFailedError. A timeout
// or the context's end returns the last state read and a *RequestWaitError
// whose Err is the *backoff.TimeoutError or *backoff.InterruptedError.
func (c *Client) WaitForRequest(ctx context.Context, id string, opts RequestWaitOptions) (*Request, error) {
	if err := ValidateObjectID("request", id); err != nil {
		return nil, err
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = unboundedWait
	}
	var last *Request
	var outage error
	waitFirst := !opts.AcceptedEarlier
	schedule := c.requestPoll
	poll := backoff.Poll{Clock: c.clock, Policy: schedule.policy(), Timeout: timeout}
	err := poll.Run(ctx, func(ctx context.Context) (bool, time.Duration, error) {
		if waitFirst {
			// No read yet: Poll waits the hint (shortened at the deadline,
			// cut short by ctx) before the first real one.
			waitFirst = false
			return false, schedule.First, nil
		}
		cur, err := c.GetRequest(ctx, id)
		switch {
		case err != nil && ctx.Err() != nil:
			// Cut short by the deadline or Ctrl-C: Run reports that.
			return false, 0, nil //nolint:nilerr // the poll reports the context's end itself
		case err != nil && IsOutage(err):
			outage = err
			if hint := RetryAfter(err, c.clock.Now()); hint > 0 {
				return false, hint, nil
			}
			return false, schedule.Default, nil
		case err != nil:
			return false, 0, fmt.Errorf("waiting for TensorPool %s (%s): %w", requestLabel(id, last), describeState(last), err)
		}
		outage = nil
		if opts.OnChange != nil && requestChanged(last, cur) {
			opts.OnChange(last, cur)
		}
		last = cur
		return cur.Status.Terminal(), schedule.next(cur), nil
	})
	switch {
	case err == nil && last.Status == RequestFailed:
		return last, &RequestFailedError{Request: last}
	case err == nil:
		return last, nil
	}
	if isPollEnd(err) {
		return last, &RequestWaitError{ID: id, Last: last, Err: err, Outage: outage}
	}
	return last, err
}

// requestChanged reports whether cur is worth telling: the first state, or
// a new status or external message.
func requestChanged(prev, cur *Request) bool {
	if prev == nil {
		return true
	}
	return prev.Status != cur.Status || !sameText(prev.ExternalMessage, cur.ExternalMessage)
}

func sameText(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// isPollEnd reports whether err is Poll's own timeout or interruption.
func isPollEnd(err error) bool {
	var timeout *backoff.TimeoutError
	var interrupted *backoff.InterruptedError
	return errors.As(err, &timeout) || errors.As(err, &interrupted)
}
