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

// streamEvents opens a job's /job/listen stream and forwards its messages
// to the wait; the channel is closed when the stream ends for any reason.
// What the messages say is only a hint: the wait reads the job's status
// from GET /job/info (see followStream).
func streamEvents(api *client.Client, avail *streamAvailability, clk clock.Clock) func(ctx context.Context, id string) (<-chan client.ListenEvent, error) {
	return func(ctx context.Context, id string) (<-chan client.ListenEvent, error) {
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
		events := make(chan client.ListenEvent, 1)
		go func() {
			// Deferred in this order so that the wait hears of the stream's
			// end before the close handshake, which may take a moment.
			defer func() { _ = listener.Close() }()
			defer close(events)
			for {
				ev, err := listener.Next(ctx)
				if err != nil {
					return
				}
				select {
				case events <- ev:
				case <-ctx.Done():
					return
				}
			}
		}()
		return events, nil
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

// streamGuardInterval is how often a wait reads the job while its status
// stream is open and says nothing: the stream is documented to end on
// "success" or "error", but how it ends for a canceled or failed job is
// [INF], and a connection can die without a word. Long enough to cost
// nothing next to the CLI's 2-second polls, short enough to bound the lag
// of a stream that fails silently.
const streamGuardInterval = time.Minute

// statusStream is a wait's status stream, followed in the background: it
// holds the poll's schedule while it is open and wakes the poll when it
// says the job may have reached the wait's goal. It never logs from there:
// tflog must not be used from two goroutines with one context.
type statusStream struct {
	listen  func(ctx context.Context, id string) (<-chan client.ListenEvent, error)
	reached func(client.Status) bool
	wake    chan struct{}
	hold    chan bool
	// output, when set, receives every message.
	output *client.OutputCollector
	ended  chan error // nil until opened
}

func newStatusStream(listen func(context.Context, string) (<-chan client.ListenEvent, error), reached func(client.Status) bool) *statusStream {
	return &statusStream{listen: listen, reached: reached, wake: make(chan struct{}, 1), hold: make(chan bool)}
}

// open starts following the stream, once; without listen it does nothing.
func (s *statusStream) open(ctx context.Context, id string) {
	if s.listen == nil || s.ended != nil {
		return
	}
	s.ended = make(chan error, 1)
	go func() { s.ended <- s.follow(ctx, id) }()
}

// join waits until the stream has ended (its context must be done) and
// returns why it could not be used, if it could not.
func (s *statusStream) join() error {
	if s.ended == nil {
		return nil
	}
	return <-s.ended
}

// follow turns the job's status stream into what the poll needs. While the
// stream is open it holds the poll's schedule (a read every
// streamGuardInterval only). It trusts the stream as far as the API
// documents it ({message, status} messages, the last one with status
// "success" or "error"): the last message wakes the poll for one read that
// confirms the end, and so does a message whose status newly names a job
// status that reaches the wait's goal (running, for wait_for = "running").
// Any other message costs nothing. When the stream ends, the schedule is
// back, after one read at once if it ended without its last message (a
// broken stream may have missed the end). It returns why the stream could
// not be opened, unless the wait ended first.
func (s *statusStream) follow(ctx context.Context, id string) error {
	events, err := s.listen(ctx, id)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	if err != nil {
		return err
	}
	s.setHold(ctx, true)
	said := client.Status("")
	final := false
	for ev := range events {
		if s.output != nil {
			s.output.Add(ev)
		}
		switch {
		case ev.Final:
			final = true
			nudge(s.wake)
		case ev.JobStatus != "" && !ev.JobStatus.Is(said):
			said = ev.JobStatus
			if s.reached(said) {
				nudge(s.wake)
			}
		}
	}
	s.setHold(ctx, false)
	if !final {
		nudge(s.wake)
	}
	return nil
}

// setHold tells the poll whether the stream stands in for its schedule; the
// poll hears it in its next (or current) wait, unless the wait has ended.
func (s *statusStream) setHold(ctx context.Context, held bool) {
	select {
	case s.hold <- held:
	case <-ctx.Done():
	}
}

// nudge wakes the poll unless a wake-up is already pending.
func nudge(wake chan<- struct{}) {
	select {
	case wake <- struct{}{}:
	default:
	}
}
