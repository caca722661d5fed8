package provider

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
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

// streamAvailability remembers, for one provider instance, until when the
// engine is known to refuse status streams.
type streamAvailability struct {
	refusedUntil atomic.Int64 // Unix nanoseconds on the provider's clock
}

// streamWakeups opens a job's /job/listen stream and turns it into wake-ups
// for waitForTerminal: a value when the stream reports a terminal state,
// and the channel closed when the stream ends for any reason. Status text
// from the stream is never trusted as the job's status.
func streamWakeups(api *client.Client, avail *streamAvailability, clk clock.Clock) func(ctx context.Context, id string) (<-chan struct{}, error) {
	return func(ctx context.Context, id string) (<-chan struct{}, error) {
		if clk.Now().UnixNano() < avail.refusedUntil.Load() {
			return nil, fmt.Errorf("%w: the engine refused one recently", client.ErrListenUnavailable)
		}
		dialCtx, cancel := context.WithTimeout(ctx, streamDialTimeout)
		defer cancel()
		listener, err := api.ListenJob(dialCtx, id)
		var refused *client.ListenRefusedError
		if errors.As(err, &refused) {
			avail.refusedUntil.Store(clk.Now().Add(streamRefusalMemory).UnixNano())
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
