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
const (
	MinRequestPollInterval     = time.Second
	DefaultRequestPollInterval = 2 * time.Second
	MaxRequestPollInterval     = 10 * time.Second
)

// unboundedWait stands for "no timeout": Poll needs a finite one, and a
// century is far beyond any context deadline.
const unboundedWait = 100 * 365 * 24 * time.Hour

// requestPollPolicy waits MinRequestPollInterval unless the check asks for
// longer, and caps what it asks for at MaxRequestPollInterval.
var requestPollPolicy = backoff.Policy{
	Initial:    MinRequestPollInterval,
	Max:        MinRequestPollInterval,
	Multiplier: 1,
	MaxHint:    MaxRequestPollInterval,
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
}

// nextRequestPoll is the wait the engine asked for after req, before the
// policy applies the minimum and the cap.
func nextRequestPoll(req *Request) time.Duration {
	if req.retryAfterSent {
		return req.RetryAfter
	}
	return DefaultRequestPollInterval
}

// WaitForRequest polls the request until it is COMPLETED and returns its
// final state. Between reads it waits as the engine asks (see the poll
// constants), never past the deadline: the last wait is shortened so that
// one final read runs at the deadline.
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
	poll := backoff.Poll{Clock: c.clock, Policy: requestPollPolicy, Timeout: timeout}
	err := poll.Run(ctx, func(ctx context.Context) (bool, time.Duration, error) {
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
			return false, DefaultRequestPollInterval, nil
		case err != nil:
			return false, 0, fmt.Errorf("waiting for TensorPool %s (%s): %w", requestLabel(id, last), describeState(last), err)
		}
		outage = nil
		if opts.OnChange != nil && requestChanged(last, cur) {
			opts.OnChange(last, cur)
		}
		last = cur
		return cur.Status.Terminal(), nextRequestPoll(cur), nil
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
