package provider

import (
	"context"
	"errors"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/backoff"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// awaitRequest is how every resource waits for one of the engine's async
// requests it has just sent (a cluster claim or release, a storage change):
// the client's request tracker, bounded by timeout and by Ctrl-C, with each
// change of the request's status or external_message logged, so that a
// claim that is retrying for GPU capacity says why in TF_LOG=INFO output.
// what names the operation in those lines ("creating cluster c-…").
func awaitRequest(ctx context.Context, api *client.Client, requestID, what string, timeout time.Duration) (*client.Request, error) {
	return awaitRequestWith(ctx, api, requestID, what, client.RequestWaitOptions{Timeout: timeout})
}

// awaitEarlierRequest is awaitRequest for a request sent by an earlier run
// (one recorded in the state): it may have finished long ago, so the first
// look comes at once.
func awaitEarlierRequest(ctx context.Context, api *client.Client, requestID, what string, timeout time.Duration) (*client.Request, error) {
	return awaitRequestWith(ctx, api, requestID, what, client.RequestWaitOptions{Timeout: timeout, AcceptedEarlier: true})
}

func awaitRequestWith(ctx context.Context, api *client.Client, requestID, what string, opts client.RequestWaitOptions) (*client.Request, error) {
	opts.OnChange = func(_, cur *client.Request) {
		fields := map[string]any{"request_id": requestID, "request_type": cur.Type, "status": string(cur.Status)}
		if cur.ExternalMessage != nil {
			fields["external_message"] = *cur.ExternalMessage
		}
		tflog.Info(ctx, "TensorPool request for "+what+": "+string(cur.Status), fields)
	}
	return api.WaitForRequest(ctx, requestID, opts)
}

// requestSummaries are the summaries, each written whole, of a wait for one
// of the engine's requests (a change, an attach, a detach) by how it ended.
type requestSummaries struct {
	Failed      string // the engine reports the request FAILED
	TimedOut    string // the wait's timeout ended first
	Interrupted string // Terraform was stopped (Ctrl-C)
	Other       string // any other error
}

// requestErrorSummary is the summary in s for how err ended the wait.
func requestErrorSummary(s requestSummaries, err error) string {
	var failed *client.RequestFailedError
	var waitErr *client.RequestWaitError
	if errors.As(err, &waitErr) && waitErr.Err != nil {
		err = waitErr.Err
	}
	var timedOut *backoff.TimeoutError
	var interrupted *backoff.InterruptedError
	switch {
	case errors.As(err, &failed):
		return s.Failed
	case errors.As(err, &timedOut) || errors.Is(err, context.DeadlineExceeded):
		return s.TimedOut
	case errors.As(err, &interrupted) || errors.Is(err, context.Canceled):
		return s.Interrupted
	}
	return s.Other
}
