package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// awaitRequest is how every resource waits for one of the engine's async
// requests (a cluster claim or release, a storage change): the client's
// request tracker, bounded by timeout and by Ctrl-C, with each change of the
// request's status or external_message logged, so that a claim that is
// retrying for GPU capacity says why in TF_LOG=INFO output. what names the
// operation in those lines ("creating cluster c-…").
func awaitRequest(ctx context.Context, api *client.Client, requestID, what string, timeout time.Duration) (*client.Request, error) {
	return api.WaitForRequest(ctx, requestID, client.RequestWaitOptions{
		Timeout: timeout,
		OnChange: func(_, cur *client.Request) {
			fields := map[string]any{"request_id": requestID, "request_type": cur.Type, "status": string(cur.Status)}
			if cur.ExternalMessage != nil {
				fields["external_message"] = *cur.ExternalMessage
			}
			tflog.Info(ctx, "TensorPool request for "+what+": "+string(cur.Status), fields)
		},
	})
}
