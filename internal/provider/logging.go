package provider

import (
	"context"
	"os"
	"slices"
	"strings"

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

// Environment variables that decide log levels. Terraform keeps a provider's
// log lines at the level of TF_LOG_PROVIDER, else TF_LOG, and drops them all
// when neither is set; terraform-plugin-go and the framework decide the level
// of their own loggers from the sdkLogLevelVars, and log everything, TRACE
// included, when those are unset.
const (
	envTFLog         = "TF_LOG"
	envTFLogProvider = "TF_LOG_PROVIDER"
)

// sdkLogLevelVars are the level variables of terraform-plugin-go's root SDK
// logger and its protocol subsystem, of the framework's subsystem, and of
// this provider's own logger (TF_LOG_PROVIDER_ plus the type of the address
// registry.terraform.io/tensorpool/tensorpool).
var sdkLogLevelVars = []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_TENSORPOOL"}

// terraformLogLevels are the levels Terraform accepts, most verbose first.
var terraformLogLevels = []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF"}

// TerraformProviderLogLevel is the level at which Terraform keeps a
// provider's log lines, by Terraform's own rule: TF_LOG_PROVIDER, else
// TF_LOG; none means OFF (TF_LOG_CORE alone shows no provider line); JSON
// and any value Terraform does not know mean TRACE.
func TerraformProviderLogLevel(lookup func(string) (string, bool)) string {
	level, _ := lookup(envTFLogProvider)
	if strings.TrimSpace(level) == "" {
		level, _ = lookup(envTFLog)
	}
	level = strings.ToUpper(strings.TrimSpace(level))
	switch {
	case level == "":
		return "OFF"
	case slices.Contains(terraformLogLevels, level):
		return level
	default: // JSON, or a value Terraform warns about and treats as TRACE
		return "TRACE"
	}
}

// SDKLogLevels returns the level variables to set so that the SDK, the
// framework and this provider produce no line that Terraform would drop:
// each unset one of sdkLogLevelVars gets Terraform's level. At TRACE it
// returns nothing (every line is wanted, as without this), and a variable
// the user set keeps its value.
//
// Without it the framework formats and ships ~100 trace lines per resource
// instance and request to Terraform's stderr reader even when no log level
// was requested, for Terraform to parse and discard: about a quarter of the
// provider's CPU in a large plan.
func SDKLogLevels(lookup func(string) (string, bool)) map[string]string {
	level := TerraformProviderLogLevel(lookup)
	if level == "TRACE" {
		return nil
	}
	set := map[string]string{}
	for _, name := range sdkLogLevelVars {
		if v, _ := lookup(name); strings.TrimSpace(v) == "" {
			set[name] = level
		}
	}
	return set
}

// MatchSDKLogLevelsToTerraform sets SDKLogLevels in the process environment;
// it must run before the provider is served (terraform-plugin-go reads the
// variables on every request). It is not for -debug runs, whose logs go to
// the provider's own stderr rather than through Terraform.
func MatchSDKLogLevelsToTerraform() error {
	for name, level := range SDKLogLevels(os.LookupEnv) {
		if err := os.Setenv(name, level); err != nil {
			return err
		}
	}
	return nil
}
