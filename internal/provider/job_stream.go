package provider

import (
	"context"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// streamDialTimeout bounds opening the status stream, so that a stream that
// cannot be had costs a wait at most this much before polling takes over.
const streamDialTimeout = 5 * time.Second

// streamWakeups opens a job's /job/listen stream and turns it into wake-ups
// for waitForTerminal: a value when the stream reports a terminal state,
// and the channel closed when the stream ends for any reason. Status text
// from the stream is never trusted as the job's status.
func streamWakeups(api *client.Client) func(ctx context.Context, id string) (<-chan struct{}, error) {
	return func(ctx context.Context, id string) (<-chan struct{}, error) {
		dialCtx, cancel := context.WithTimeout(ctx, streamDialTimeout)
		defer cancel()
		listener, err := api.ListenJob(dialCtx, id)
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
