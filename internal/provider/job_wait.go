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

		case err != nil && transient(err):
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

// transient reports errors worth another poll: the engine was rate limiting,
// failing or unreachable even after the client's own retries.
func transient(err error) bool {
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode == 429 || (apiErr.StatusCode >= 500 && apiErr.StatusCode != 501)
	}
	var transportErr *client.TransportError
	return errors.As(err, &transportErr)
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
		if err != nil && transient(err) {
			engineErr = err
			return false, retryAfter(err), nil
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

func retryAfter(err error) time.Duration {
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		return client.ParseRetryAfter(apiErr.RetryAfter, time.Now())
	}
	return 0
}

// destroyAction says what a destroy did, for logs and tests.
type destroyAction string

const (
	destroyGone      destroyAction = "gone"      // the engine no longer knows the job
	destroyTerminal  destroyAction = "terminal"  // it had already stopped
	destroyAbandoned destroyAction = "abandoned" // on_destroy = "abandon"
	destroyCanceled  destroyAction = "canceled"  // canceled and waited for
)

// destroySettings are the resource's destroy options.
type destroySettings struct {
	OnDestroy string
	Purge     bool
	Wait      waitConfig
	// Known is the job as read moments ago (Terraform's refresh in the same
	// command); nil means destroyJob reads it live first.
	Known *client.Job
}

// destroyResult is the outcome of a successful destroy.
type destroyResult struct {
	Action      destroyAction
	FinalStatus client.Status
	// Warnings are things the user should know that do not fail the destroy.
	Warnings []string
}

// destroyJob stops a job for `terraform destroy`: a live read, then cancel
// and a bounded wait for a terminal status. It is idempotent, so running
// destroy again after a timeout simply continues.
func destroyJob(ctx context.Context, api jobAPI, id string, s destroySettings) (*destroyResult, error) {
	job := s.Known
	if job == nil {
		var err error
		job, err = untilSettled(ctx, s.Wait, func(ctx context.Context) (*client.Job, error) { return api.GetJob(ctx, id) })
		if client.IsNotFound(err) {
			return &destroyResult{Action: destroyGone}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading job %s before canceling it: %w", id, err)
		}
	}
	result := &destroyResult{FinalStatus: job.Status}
	justCanceled := false
	switch {
	case job.Status.IsTerminal():
		result.Action = destroyTerminal
		return purge(ctx, api, id, s, result), nil
	case s.OnDestroy == onDestroyAbandon:
		result.Action = destroyAbandoned
		result.Warnings = append(result.Warnings, fmt.Sprintf(
			"Job %s is still %s: on_destroy = \"abandon\" removed it from the Terraform state without canceling it. "+
				"It keeps running (and billing) until it ends or you cancel it with `tp job cancel %s`.", id, job.Status, id))
		return result, nil
	case job.Status.Is(client.StatusCanceling):
		// Someone (perhaps an earlier destroy) already asked; just wait.
	default:
		done, err := requestCancel(ctx, api, id, s.Wait, result)
		if err != nil || done {
			if err == nil {
				result = purge(ctx, api, id, s, result)
			}
			return result, err
		}
		job.Status, justCanceled = result.FinalStatus, true // what the cancel answered: canceling
	}
	// Right after a cancel the status is known (canceling): wait before the
	// first look. A job found canceling may have finished since: look now.
	final, err := waitForTerminal(ctx, api, id, job, !justCanceled, s.Wait)
	if err != nil {
		return nil, err
	}
	if final == nil {
		result.Action, result.FinalStatus = destroyGone, ""
		return result, nil
	}
	result.Action = destroyCanceled
	result.FinalStatus = final.Status
	return purge(ctx, api, id, s, result), nil
}

// requestCancel sends the cancel. done means no wait is needed.
func requestCancel(ctx context.Context, api jobAPI, id string, wait waitConfig, result *destroyResult) (bool, error) {
	cancel, err := untilSettled(ctx, wait, func(ctx context.Context) (*client.CancelResult, error) { return api.CancelJob(ctx, id) })
	switch {
	case err == nil && (cancel.Outcome == client.CancelAlreadyCanceled || cancel.Status.IsTerminal()):
		result.Action, result.FinalStatus = destroyCanceled, client.StatusCanceled
		return true, nil
	case err == nil:
		result.FinalStatus = cancel.Status
		return false, nil
	case client.IsNotFound(err):
		result.Action, result.FinalStatus = destroyGone, ""
		return true, nil
	case client.IsBadRequest(err):
		// Not cancelable: most likely it ended between our read and the
		// cancel. Look again rather than guess.
		job, readErr := api.GetJob(ctx, id)
		if client.IsNotFound(readErr) {
			result.Action, result.FinalStatus = destroyGone, ""
			return true, nil
		}
		if readErr == nil && job.Status.IsTerminal() {
			result.Action, result.FinalStatus = destroyTerminal, job.Status
			return true, nil
		}
		if readErr == nil && job.Status.Is(client.StatusCanceling) {
			// An engine that refuses to cancel twice: it is on its way.
			result.FinalStatus = job.Status
			return false, nil
		}
		status := "unknown"
		if readErr == nil {
			status = string(job.Status)
		}
		return false, fmt.Errorf("the engine refused to cancel job %s, which is %s: %w", id, status, err)
	default:
		return false, fmt.Errorf("canceling job %s: %w", id, err)
	}
}

// purge deletes a terminal job from the engine's lists when asked to. A
// failure is only a warning: the job no longer runs, so nothing bills.
func purge(ctx context.Context, api jobAPI, id string, s destroySettings, result *destroyResult) *destroyResult {
	if !s.Purge || result.Action == destroyGone {
		return result
	}
	if _, err := api.DeleteJob(ctx, id); err != nil && !client.IsNotFound(err) {
		result.Warnings = append(result.Warnings, fmt.Sprintf(
			"Job %s has stopped (%s), but purge_on_destroy could not delete it from the engine's job list: %v. "+
				"Nothing is running; delete it later with `tp job delete %s` if you want it gone.", id, result.FinalStatus, err, id))
	}
	return result
}
