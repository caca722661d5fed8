package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// maskKey makes every log line written through ctx replace the API key with
// asterisks, wherever it appears: a second line of defence behind never
// logging it at all.
func maskKey(ctx context.Context, apiKey string) context.Context {
	if apiKey == "" {
		return ctx
	}
	ctx = tflog.MaskMessageStrings(ctx, apiKey)
	ctx = tflog.MaskAllFieldValuesStrings(ctx, apiKey)
	return tflog.MaskFieldValuesWithFieldKeys(ctx, "api_key", "authorization", "Authorization", "TENSORPOOL_KEY")
}

// tflogLogger sends the client's request logs to Terraform's log.
type tflogLogger struct{}

func (tflogLogger) Debug(ctx context.Context, msg string, fields map[string]any) {
	tflog.Debug(ctx, msg, fields)
}
