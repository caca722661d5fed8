package provider

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock"
)

// streamDialTimeout bounds opening the status stream. The wait polls
// meanwhile, so a slow handshake delays nothing; a handshake that takes
// longer is taken for an engine that does not serve streams.
const streamDialTimeout = 5 * time.Second

// streamRefusalMemory is how long the provider stops asking for status
// streams after the engine refused one (an HTTP answer instead of a
// WebSocket) or let a handshake hang: a destroy of a hundred jobs then costs
// one such handshake, not a hundred.
const streamRefusalMemory = 10 * time.Minute

// errHandshakeHung ends a handshake that outlasted streamDialTimeout.
var errHandshakeHung = errors.New("the engine did not answer the handshake in time")

// streamAvailability remembers, for one provider instance, whether the
// engine serves status streams. Until the first handshake has answered, one
// wait probes and the others wait for its answer, so that a destroy of many
// jobs against an engine without streams costs one handshake, not one per
// job. Waits poll meanwhile: only their streams wait.
type streamAvailability struct {
	mu           sync.Mutex
	served       bool          // a stream was opened: every wait may dial
	refusedUntil time.Time     // refused or hung: none may dial until then
	probe        chan struct{} // closed when the probe in flight has answered
}

// mayDial blocks while another wait probes, then says whether to dial. When
// it returns probing, the caller must call dialed with the outcome.
func (a *streamAvailability) mayDial(ctx context.Context, now func() time.Time) (dial, probing bool) {
	for {
		a.mu.Lock()
		switch {
		case now().Before(a.refusedUntil):
			a.mu.Unlock()
			return false, false
		case a.served:
			a.mu.Unlock()
			return true, false
		case a.probe == nil:
			a.probe = make(chan struct{})
			a.mu.Unlock()
			return true, true
		}
		wait := a.probe
		a.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return false, false
		}
	}
}

// dialed records a handshake's outcome: served, refused (an HTTP answer
// instead of a WebSocket, or no answer within streamDialTimeout), or
// neither (a network error, or the wait ended first: the next wait tries
// again).
func (a *streamAvailability) dialed(probing, served, refused bool, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.served = a.served || served
	if refused {
		a.refusedUntil = now.Add(streamRefusalMemory)
	}
	if probing {
		close(a.probe)
		a.probe = nil
	}
}

// streamWakeups opens a job's /job/listen stream and turns it into wake-ups
// for waitForTerminal: a value when the stream reports a terminal state,
// and the channel closed when the stream ends for any reason. Status text
// from the stream is never trusted as the job's status.
func streamWakeups(api *client.Client, avail *streamAvailability, clk clock.Clock) func(ctx context.Context, id string) (<-chan struct{}, error) {
	return func(ctx context.Context, id string) (<-chan struct{}, error) {
		dial, probing := avail.mayDial(ctx, clk.Now)
		switch {
		case !dial && ctx.Err() != nil:
			return nil, ctx.Err() // the wait ended while another probed
		case !dial:
			return nil, fmt.Errorf("%w: the engine refused or ignored one recently", client.ErrListenUnavailable)
		}
		listener, hung, err := dialStream(ctx, api, id, clk)
		var refused *client.ListenRefusedError
		avail.dialed(probing, err == nil, hung || errors.As(err, &refused), clk.Now())
		if err != nil {
			return nil, err
		}
		wake := make(chan struct{}, 1)
		go func() {
			// Deferred in this order so that the wait hears of the stream's
			// end before the close handshake, which may take a moment.
			defer func() { _ = listener.Close() }()
			defer close(wake)
			for {
				ev, err := listener.Next(ctx)
				if err != nil {
					return
				}
				if ev.Final || ev.JobStatus.IsTerminal() {
					select {
					case wake <- struct{}{}:
					default:
					}
				}
			}
		}()
		return wake, nil
	}
}

// dialStream opens the stream within streamDialTimeout on clk; hung says
// that the handshake ran out of that time (rather than being refused, or
// ended with ctx).
func dialStream(ctx context.Context, api *client.Client, id string, clk clock.Clock) (listener *client.Listener, hung bool, err error) {
	dialCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timer := clk.NewTimer(streamDialTimeout)
	defer timer.Stop()
	go func() {
		select {
		case <-timer.C():
			cancel(errHandshakeHung)
		case <-dialCtx.Done():
		}
	}()
	listener, err = api.ListenJob(dialCtx, id)
	if err != nil && errors.Is(context.Cause(dialCtx), errHandshakeHung) {
		return nil, true, fmt.Errorf("%w: %w", client.ErrListenUnavailable, errHandshakeHung)
	}
	return listener, false, err
}

// statusStream is a wait's status stream, followed in the background: its
// wake-ups cut the poll's waits short. It never logs from there: tflog must
// not be used from two goroutines with one context.
type statusStream struct {
	listen func(ctx context.Context, id string) (<-chan struct{}, error)
	wake   chan struct{}
	ended  chan error // nil until opened
}

// open starts following the stream, once; without listen it does nothing.
func (s *statusStream) open(ctx context.Context, id string) {
	if s.listen == nil || s.ended != nil {
		return
	}
	s.ended = make(chan error, 1)
	go func() { s.ended <- followStream(ctx, s.listen, id, s.wake) }()
}

// join waits until the stream has ended (its context must be done) and
// returns why it could not be used, if it could not.
func (s *statusStream) join() error {
	if s.ended == nil {
		return nil
	}
	return <-s.ended
}

// followStream turns the job's status stream into wake-ups: one per
// terminal event, and one when the stream ends without having said so (a
// broken stream may have missed the end). It returns why the stream could
// not be opened, unless the wait ended first.
func followStream(ctx context.Context, listen func(context.Context, string) (<-chan struct{}, error), id string, wake chan<- struct{}) error {
	events, err := listen(ctx, id)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	if err != nil {
		return err
	}
	saidTerminal := false
	for range events {
		saidTerminal = true
		nudge(wake)
	}
	if !saidTerminal {
		nudge(wake)
	}
	return nil
}

// nudge wakes the poll unless a wake-up is already pending.
func nudge(wake chan<- struct{}) {
	select {
	case wake <- struct{}{}:
	default:
	}
}
