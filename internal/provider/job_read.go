package provider

import (
	"context"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// readJob reads a job for a refresh (the resource's and the data source's):
// rate limits and engine outages are ridden out, on the same schedule as
// every other wait, until timeout; any other answer (a 404 included) is
// returned at once.
func readJob(ctx context.Context, data *providerData, api *client.Client, id string, timeout time.Duration) (*client.Job, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cfg := waitConfig{Policy: data.opts.PollPolicy, Clock: data.opts.Clock, Timeout: timeout}
	return untilSettled(ctx, cfg, func(ctx context.Context) (*client.Job, error) { return api.GetJob(ctx, id) })
}
