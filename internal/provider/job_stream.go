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

// streamDialTimeout bounds opening the status stream, so that a stream that
// cannot be had costs a wait at most this much before polling takes over.
const streamDialTimeout = 5 * time.Second

// streamRefusalMemory is how long the provider stops asking for status
// streams after the engine refused one with an HTTP answer: a destroy of a
// hundred jobs then costs one refused handshake, not a hundred.
const streamRefusalMemory = 10 * time.Minute

// streamAvailability remembers, for one provider instance, whether the
// engine serves status streams. Until the first handshake has answered, one
// wait probes and the others wait for its answer, so that a destroy of many
// jobs against an engine without streams costs one refused handshake, not
// one per job.
type streamAvailability struct {
	mu           sync.Mutex
	served       bool          // a stream was opened: every wait may dial
	refusedUntil time.Time     // the engine refused one: none may dial until then
	probe        chan struct{} // closed when the probe in flight has answered
}

// mayDial blocks while another wait probes, then says whether to dial. When
// it returns probing, the caller must call probed with the outcome.
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

// probed records a probe's outcome: served, refused (an HTTP answer instead
// of a WebSocket), or neither (a network error: the next wait probes again).
func (a *streamAvailability) probed(served, refused bool, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.served = a.served || served
	if refused {
		a.refusedUntil = now.Add(streamRefusalMemory)
	}
	close(a.probe)
	a.probe = nil
}

// streamWakeups opens a job's /job/listen stream and turns it into wake-ups
// for waitForTerminal: a value when the stream reports a terminal state,
// and the channel closed when the stream ends for any reason. Status text
// from the stream is never trusted as the job's status.
func streamWakeups(api *client.Client, avail *streamAvailability, clk clock.Clock) func(ctx context.Context, id string) (<-chan struct{}, error) {
	return func(ctx context.Context, id string) (<-chan struct{}, error) {
		dial, probing := avail.mayDial(ctx, clk.Now)
		if !dial {
			return nil, fmt.Errorf("%w: the engine refused one recently", client.ErrListenUnavailable)
		}
		dialCtx, cancel := context.WithTimeout(ctx, streamDialTimeout)
		defer cancel()
		listener, err := api.ListenJob(dialCtx, id)
		if probing {
			var refused *client.ListenRefusedError
			avail.probed(err == nil, errors.As(err, &refused), clk.Now())
		}
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
