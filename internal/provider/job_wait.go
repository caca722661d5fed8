package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/backoff"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock"
)

// jobAPI is the part of the engine client that the job lifecycle needs; the
// destroy decision table is unit-tested against scripted fakes of it.
type jobAPI interface {
	GetJob(ctx context.Context, id string) (*client.Job, error)
	CancelJob(ctx context.Context, id string) (*client.CancelResult, error)
	DeleteJob(ctx context.Context, id string) (string, error)
}

// waitConfig bounds a wait: by Timeout on Clock, and by the context.
type waitConfig struct {
	// Policy paces the polls when no status stream is open.
	Policy  backoff.Policy
	Clock   clock.Clock
	Timeout time.Duration
	// Listen, when set, opens the job's status stream. Its channel receives
	// a value when the stream reports a terminal state and is closed when
	// the stream ends; it only wakes the poll up: the status itself always
	// comes from GetJob.
	Listen func(ctx context.Context, id string) (<-chan struct{}, error)
	// StreamPolicy paces the safety-net polls while the stream is open.
	StreamPolicy backoff.Policy
	// Logf receives why a stream could not be used (optional).
	Logf func(format string, args ...any)
}

// waitError is a wait for a terminal status that ended without one.
type waitError struct {
	JobID      string
	LastStatus client.Status
	Waited     time.Duration
	TimedOut   bool
	// Cause is the context error for an interrupted wait, or the last read
	// error while the engine was failing.
	Cause error
}

func (e *waitError) Error() string {
	status := string(e.LastStatus)
	if status == "" {
		status = "unknown"
	}
	verb := "was interrupted"
	if e.TimedOut {
		verb = "timed out"
	}
	msg := fmt.Sprintf("the wait for job %s to stop %s after %s; its last status was %q", e.JobID, verb, e.Waited.Round(time.Second), status)
	if e.Cause != nil {
		msg += fmt.Sprintf(" (last error: %v)", e.Cause)
	}
	return msg
}

func (e *waitError) Unwrap() error { return e.Cause }

// waitForTerminal polls GetJob until the job is terminal or gone. It returns
// the last job seen (nil when the job disappeared). Errors the client already
// retried for (rate limits, 5xx, network) do not end the wait: the next poll
// tries again, and the deadline still bounds it. Any other error does.
//
// With checkFirst false the first poll waits one interval: the caller has
// just learned the status (for example from the cancel's answer).
func waitForTerminal(ctx context.Context, api jobAPI, id string, last *client.Job, checkFirst bool, cfg waitConfig) (*client.Job, error) {
	// The stream lives only as long as this wait.
	ctx, stopStream := context.WithCancel(ctx)
	defer stopStream()
	poll := backoff.Poll{Clock: cfg.Clock, Policy: cfg.Policy, Timeout: cfg.Timeout, WaitFirst: !checkFirst}
	if cfg.Listen != nil {
		wake, err := cfg.Listen(ctx, id)
		switch {
		case err == nil:
			fallback := cfg.Policy
			poll.Wake, poll.Policy, poll.AfterWake = wake, cfg.StreamPolicy, &fallback
		case cfg.Logf != nil:
			cfg.Logf("polling job %s without its status stream: %v", id, err)
		}
	}
	var lastErr error
	err := poll.Run(ctx, func(ctx context.Context) (bool, time.Duration, error) {
		job, err := api.GetJob(ctx, id)
		switch {
		case client.IsNotFound(err):
			last = nil
			return true, 0, nil
		case err != nil && ctx.Err() != nil:
			// The deadline or Ctrl-C cut this read short: that is the
			// wait's end, not the engine's fault, and Run reports it.
			return false, 0, nil //nolint:nilerr // the poll reports the context's end itself

		case err != nil && client.IsOutage(err):
			lastErr = err
			return false, 0, nil
		case err != nil:
			return false, 0, err
		}
		lastErr = nil
		last = job
		return job.Status.IsTerminal(), job.RetryAfter, nil
	})
	if err == nil {
		return last, nil
	}
	lastStatus := client.Status("")
	if last != nil {
		lastStatus = last.Status
	}
	var timeout *backoff.TimeoutError
	if errors.As(err, &timeout) {
		return last, &waitError{JobID: id, LastStatus: lastStatus, Waited: timeout.Waited, TimedOut: true, Cause: lastErr}
	}
	var interrupted *backoff.InterruptedError
	if errors.As(err, &interrupted) {
		return last, &waitError{JobID: id, LastStatus: lastStatus, Waited: interrupted.Waited, Cause: interrupted.Err}
	}
	return last, err
}

// untilSettled calls fn until it returns something other than a transient
// engine error (a rate limit, a 5xx or a network error that outlasted the
// client's own retries), waiting between tries on the wait's schedule and
// honouring Retry-After, never past the wait's deadline or the context. A
// destroy in a rate-limit storm thus keeps trying within timeouts.delete
// instead of failing at the first exhausted request.
func untilSettled[T any](ctx context.Context, cfg waitConfig, fn func(context.Context) (T, error)) (T, error) {
	var result T
	var lastErr, engineErr error
	poll := backoff.Poll{Clock: cfg.Clock, Policy: cfg.Policy, Timeout: cfg.Timeout}
	err := poll.Run(ctx, func(ctx context.Context) (bool, time.Duration, error) {
		res, err := fn(ctx)
		if err != nil && ctx.Err() != nil {
			// Cut short by the deadline or Ctrl-C: Run reports that, and
			// the engine's last answer stays the error worth showing.
			return false, 0, nil //nolint:nilerr // the poll reports the context's end itself
		}
		result, lastErr = res, err
		if err != nil && client.IsOutage(err) {
			engineErr = err
			return false, client.RetryAfter(err, cfg.Clock.Now()), nil
		}
		return true, 0, nil
	})
	switch {
	case err != nil && engineErr != nil:
		return result, fmt.Errorf("%w (the engine was still failing when the wait ended: %w)", engineErr, err)
	case err != nil:
		return result, err
	}
	return result, lastErr
}
