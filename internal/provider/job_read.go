package provider

import (
	"context"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// readPatiently makes one read of a refresh or a data source (fn): rate
// limits and engine outages are ridden out, on the same schedule as every
// other wait, until timeout; any other answer (a 404 included) is returned
// at once.
func readPatiently[T any](ctx context.Context, data *providerData, timeout time.Duration, fn func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cfg := waitConfig{Policy: data.opts.PollPolicy, Clock: data.opts.Clock, Timeout: timeout}
	return untilSettled(ctx, cfg, fn)
}

// readJob reads a job patiently (readPatiently).
func readJob(ctx context.Context, data *providerData, api *client.Client, id string, timeout time.Duration) (*client.Job, error) {
	return readPatiently(ctx, data, timeout, func(ctx context.Context) (*client.Job, error) { return api.GetJob(ctx, id) })
}
