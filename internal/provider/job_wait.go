package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

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

// waitConfig bounds a wait: by Timeout on Clock, and by the context's
// deadline when that comes sooner.
type waitConfig struct {
	// Policy paces the polls, with or without a status stream: a stream
	// only adds wake-ups, so a silent one never slows the wait down.
	Policy  backoff.Policy
	Clock   clock.Clock
	Timeout time.Duration
	// Listen, when set, opens the job's status stream: its channel receives
	// the stream's messages and is closed when the stream ends. While it is
	// open it stands in for the poll schedule and wakes the wait when it
	// says the job may have reached its goal; the status itself always
	// comes from GetJob (see statusStream.follow).
	Listen func(ctx context.Context, id string) (<-chan client.ListenEvent, error)
	// Output, when set, collects the job's output from the messages of the
	// wait's status stream, so that a failed job's error can quote it
	// without a second stream.
	Output *client.OutputCollector
	// Logf receives why a stream could not be used (optional).
	Logf func(format string, args ...any)
	// Progress, when set, receives each non-terminal job the wait reads,
	// with the time waited so far (the cancel action reports it).
	Progress func(job *client.Job, waited time.Duration)
}

// newWaitConfig is the wait of an operation of this provider: the poll
// schedule, the status stream and the logs.
func newWaitConfig(ctx context.Context, data *providerData, api *client.Client, timeout time.Duration) waitConfig {
	return waitConfig{
		Policy:  data.opts.PollPolicy,
		Clock:   data.opts.Clock,
		Timeout: timeout,
		Listen:  streamEvents(api, &data.streams, data.opts.Clock),
		Logf: func(format string, args ...any) {
			tflog.Debug(ctx, fmt.Sprintf(format, args...))
		},
	}
}

// What a wait is for, as its messages say: "the wait for job … to stop".
const (
	untilStopped  = "stop"          // destroy: the cancel has taken effect
	untilFinished = "finish"        // wait_for = "completed": the job has ended
	untilRunning  = "start running" // wait_for = "running"
)

// waitError is a wait for a terminal status that ended without one.
type waitError struct {
	JobID string
	// Until is what the job was awaited to do: untilStopped or untilFinished.
	Until      string
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
	msg := fmt.Sprintf("the wait for job %s to %s %s after %s; its last status was %q", e.JobID, e.Until, verb, e.Waited.Round(time.Second), status)
	if e.Cause != nil {
		msg += fmt.Sprintf(" (last error: %v)", e.Cause)
	}
	return msg
}

func (e *waitError) Unwrap() error { return e.Cause }

// lastSeen is what the wait last saw of the job, for messages that name the
// job and the wait themselves: its status and, when the engine was failing,
// its last error.
func (e *waitError) lastSeen() string {
	status := string(e.LastStatus)
	if status == "" {
		status = "unknown"
	}
	msg := fmt.Sprintf("its last status was %q", status)
	if e.TimedOut && e.Cause != nil {
		msg += fmt.Sprintf(" (last error: %v)", e.Cause)
	}
	return msg
}

// waitForTerminal polls GetJob until the job is terminal or gone. It returns
// the last job seen (nil when the job disappeared). Engine outages (rate
// limits, 5xx, timeouts) do not end the wait: the next poll tries again,
// after the engine's Retry-After, and the deadline still bounds it. Any
// other error does, an unreachable engine included.
//
// With checkFirst false the first read waits: the caller has just learned
// the status (from the cancel's answer, or the push), and the job's status
// stream opens at once, so that the wait hears of the change the moment
// the engine says it, and confirms it with one read; without a stream the
// first read comes one poll interval later. With checkFirst true the wait
// reads at once, and opens the stream only if that read finds the job
// short of its goal: a job that has stopped by the first look costs no
// handshake. until (untilStopped or untilFinished) names the wait in its
// errors.
func waitForTerminal(ctx context.Context, api jobAPI, id string, last *client.Job, checkFirst bool, until string, cfg waitConfig) (*client.Job, error) {
	return waitForStatus(ctx, api, id, last, checkFirst, until, client.Status.IsTerminal, cfg)
}

// waitForStatus is waitForTerminal for any goal: it polls until reached
// holds for the job's status (or the job is gone).
func waitForStatus(ctx context.Context, api jobAPI, id string, last *client.Job, checkFirst bool, until string, reached func(client.Status) bool, cfg waitConfig) (*client.Job, error) {
	stream := newStatusStream(cfg.Listen, reached)
	stream.output = cfg.Output
	// The stream lives only as long as this wait.
	streamCtx, stopStream := context.WithCancel(ctx)
	defer func() {
		stopStream()
		if err := stream.join(); err != nil && cfg.Logf != nil {
			cfg.Logf("polling job %s without its status stream: %v", id, err)
		}
	}()
	clk := clock.OrReal(cfg.Clock)
	start := clk.Now()
	poll := backoff.Poll{Clock: clk, Policy: cfg.Policy, Timeout: cfg.Timeout, WaitFirst: !checkFirst,
		Wake: stream.wake, Hold: stream.hold, HeldInterval: streamGuardInterval}
	if !checkFirst {
		stream.open(streamCtx, id)
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
		case client.IsOutage(err):
			lastErr = err
			return false, client.RetryAfter(err, clk.Now()), nil
		case err != nil:
			return false, 0, err
		}
		lastErr, last = nil, job
		if reached(job.Status) {
			return true, 0, nil
		}
		if cfg.Progress != nil {
			cfg.Progress(job, clk.Now().Sub(start))
		}
		stream.open(streamCtx, id)
		return false, job.RetryAfter, nil
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
		return last, &waitError{JobID: id, Until: until, LastStatus: lastStatus, Waited: timeout.Waited, TimedOut: true, Cause: lastErr}
	}
	var interrupted *backoff.InterruptedError
	if errors.As(err, &interrupted) {
		return last, &waitError{JobID: id, Until: until, LastStatus: lastStatus, Waited: interrupted.Waited, Cause: interrupted.Err}
	}
	return last, err
}

// untilSettled calls fn until it returns something other than an engine
// outage (a rate limit, a 5xx or a timeout that outlasted the client's own
// retries), waiting between tries on the wait's schedule and honouring
// Retry-After, never past the wait's deadline or the context. A destroy in
// a rate-limit storm thus keeps trying within timeouts.delete instead of
// failing at the first exhausted request, while an engine that cannot be
// reached at all (client.IsUnreachable: a configuration problem) ends it at
// once.
func untilSettled[T any](ctx context.Context, cfg waitConfig, fn func(context.Context) (T, error)) (T, error) {
	var result T
	var lastErr, engineErr error
	clk := clock.OrReal(cfg.Clock)
	poll := backoff.Poll{Clock: clk, Policy: cfg.Policy, Timeout: cfg.Timeout}
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
			return false, client.RetryAfter(err, clk.Now()), nil
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
