// Package provider is the Terraform face of TensorPool: the provider
// configuration and every resource, data source, action and function.
package provider

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/float64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/backoff"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock"
)

// Environment variables read when the matching attribute is not set. They
// are the official CLI's, so one environment serves both.
const (
	EnvAPIKey    = "TENSORPOOL_KEY"
	EnvEngineURL = "TENSORPOOL_ENGINE"
	// EnvSSHPrivateKey is the provider's own (the CLI has none): the key the
	// engine's upload commands use on a machine without one.
	EnvSSHPrivateKey = "TENSORPOOL_SSH_PRIVATE_KEY"
)

// DefaultPollPolicy is how destroy and wait_for poll a job when its status
// stream is unavailable (refused, hung, or broken off: while a stream is
// open it stands in for the schedule, with a read every
// streamGuardInterval), and how every patient read paces its tries through
// an engine outage. Two promises set it:
//
//   - without a stream, a stop is noticed within 5 s: no interval, the first
//     one included, is longer than Max;
//   - a destroy sends at most one request more than the official CLI over
//     the same wait W from the cancel to the stop (the cancel, then a GET
//     /job/info every 2 s: 1 + ceil(W/2 s)), that one being the stream's
//     handshake, sent right after the cancel. With the stream the wait reads
//     once, when the stream says the job has ended (for W under a minute):
//     3 requests, and the CLI sends at least 2. Without it the provider
//     reads at t1 < t2 < … until it sees the stop: a job stopped by t1 costs
//     one read (3 with the cancel and the refused handshake, against the
//     CLI's ≥ 2); one still running at k ≥ 1 reads costs k+1, and those k
//     reads came before W, each interval at least Initial×(1−Jitter), so
//     with that at least two CLI intervals (4 s), W > 4k s and
//     ceil(W/2 s) ≥ 2k+1 ≥ k+1.
//
// Hence a flat schedule between 4 s/(1−Jitter) and 5 s. The engine's
// Retry-After is honoured up to MaxHint.
var DefaultPollPolicy = backoff.Policy{Initial: 4500 * time.Millisecond, Max: 4500 * time.Millisecond, Multiplier: 1, Jitter: 0.1, MaxHint: 30 * time.Second}

// Options are the knobs tests turn; production uses the zero value.
type Options struct {
	PollPolicy    backoff.Policy
	RetryPolicy   backoff.Policy
	Clock         clock.Clock
	CommandRunner client.CommandRunner
	// RequestPoll spaces the waits for the engine's async requests (zero:
	// client.DefaultRequestPollSchedule).
	RequestPoll client.RequestPollSchedule
	// RequestTimeout bounds one HTTP attempt (zero:
	// client.DefaultRequestTimeout).
	RequestTimeout time.Duration
}

// TensorPoolProvider is the provider implementation.
type TensorPoolProvider struct {
	version string
	opts    Options
}

var (
	_ provider.Provider                       = (*TensorPoolProvider)(nil)
	_ provider.ProviderWithActions            = (*TensorPoolProvider)(nil)
	_ provider.ProviderWithFunctions          = (*TensorPoolProvider)(nil)
	_ provider.ProviderWithEphemeralResources = (*TensorPoolProvider)(nil)
)

// New returns a constructor for the provider, as providerserver expects.
func New(version string, opts Options) func() provider.Provider {
	if opts.PollPolicy == (backoff.Policy{}) {
		opts.PollPolicy = DefaultPollPolicy
	}
	opts.Clock = clock.OrReal(opts.Clock)
	return func() provider.Provider {
		return &TensorPoolProvider{version: version, opts: opts}
	}
}

type providerModel struct {
	APIKey     types.String  `tfsdk:"api_key"`
	EngineURL  types.String  `tfsdk:"engine_url"`
	MaxRetries types.Int64   `tfsdk:"max_retries"`
	RateLimit  types.Float64 `tfsdk:"rate_limit"`
	SSHKey     types.String  `tfsdk:"ssh_private_key"`
}

// Metadata names the provider.
func (p *TensorPoolProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "tensorpool"
	resp.Version = p.version
}

// Schema describes the provider block.
func (p *TensorPoolProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The TensorPool provider submits ML training jobs to [TensorPool](https://tensorpool.dev) GPU clusters, " +
			"shows jobs that changed outside Terraform, and cancels them on destroy, waiting until they have really stopped. " +
			"Every setting can come from the environment, so a Terraform Cloud workspace needs only the `TENSORPOOL_KEY` variable.",
		Attributes: map[string]schema.Attribute{
			"api_key": schema.StringAttribute{
				MarkdownDescription: "TensorPool API key. Defaults to the `TENSORPOOL_KEY` environment variable. " +
					"Only operations that call the engine need it, so `terraform validate` works without one. " +
					"The key is sent only in the `Authorization` header and the first WebSocket message, and never logged.",
				Optional:  true,
				Sensitive: true,
			},
			"engine_url": schema.StringAttribute{
				MarkdownDescription: "Base URL of the TensorPool engine. Defaults to the `TENSORPOOL_ENGINE` environment variable, " +
					"then `" + client.DefaultBaseURL + "`. Plain `http://` is accepted only for a loopback host (a local simulator).",
				Optional:   true,
				Validators: []validator.String{engineURLValidator{}},
			},
			"max_retries": schema.Int64Attribute{
				MarkdownDescription: "How many times one read is retried after a rate limit (429), a server error (5xx) or a network " +
					"error, with exponential backoff that honours `Retry-After` up to 30 seconds per wait. Default `4`; `0` disables retries. " +
					"A change (creating, editing or releasing a cluster or volume, attaching or detaching a volume, canceling a job, " +
					"adding or removing an SSH key) is sent again only when the engine provably did nothing with it (429, 503 with " +
					"`Retry-After`, a connection that never opened), then until the operation's deadline (2 minutes when it has no " +
					"timeout); after a lost answer (another 5xx, a timeout, a connection dropped after sending) the provider reads the " +
					"engine before deciding, and a create no read can settle fails naming the CLI command that finds what may exist " +
					"(`tp cluster list`, `tp storage list`) instead of being sent twice. An engine that cannot be reached at all " +
					"(connection refused, unknown host, TLS error) is retried only for the first 3 seconds; a connection refused after " +
					"one opened in the same run is the engine restarting, ridden out like a server error. Beyond these retries, " +
					"refreshes and destroys keep trying through rate limits and server errors until `timeouts.read` and " +
					"`timeouts.delete`. Job submission is never retried once its connection is open, because a retry would start a second job; only a connection the engine refuses or that fails before it opens is tried again.",
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(0, 20)},
			},
			"rate_limit": schema.Float64Attribute{
				MarkdownDescription: "Maximum requests per second this provider sends to the engine, across all resources. " +
					"Unset or `0` means no fixed ceiling. Either way the provider adapts to the engine: after a 429 it pauses every " +
					"request for the `Retry-After` the engine gave, halves its request rate, and then raises it again gradually " +
					"while the engine accepts requests (never above `rate_limit` when set).",
				Optional:   true,
				Validators: []validator.Float64{float64validator.AtLeast(0)},
			},
			"ssh_private_key": schema.StringAttribute{
				MarkdownDescription: "SSH private key (the whole text, `-----BEGIN … PRIVATE KEY-----` to its END line, without a passphrase) " +
					"that the engine's upload commands use when they copy a job's files to the cluster over ssh. " +
					"Defaults to the `" + EnvSSHPrivateKey + "` environment variable; in Terraform Cloud, set that as a sensitive " +
					"environment variable of the workspace. Needed only on a machine with no SSH identity of its own (a Terraform Cloud " +
					"run, a CI container); unset, the commands use the SSH agent and `~/.ssh` of the user running Terraform. The provider " +
					"serves the key through an SSH agent of its own, on a private socket that `SSH_AUTH_SOCK` names for the upload commands " +
					"only, for the duration of each job submission: it is never written to disk, and never in the state, the plan or the " +
					"logs. The key's public half must be on the cluster (its `public_keys`, or a `tensorpool_ssh_key` saved before the " +
					"cluster was created). Linux and macOS.",
				Optional:  true,
				Sensitive: true,
			},
		},
	}
}

// providerData is what resources and data sources receive from Configure.
type providerData struct {
	client  *client.Client
	apiKey  string
	opts    Options
	streams streamAvailability
	// configErr is a setting from the environment that cannot be used. It is
	// reported by each operation that needs the engine, not by Configure:
	// Terraform adds a misleading "requires explicit configuration" error to
	// any Configure error of a provider that has no provider block.
	configErr *diag.ErrorDiagnostic
}

// Configure builds the engine client. A missing key is not an error here:
// only operations that need the engine report it.
func (p *TensorPoolProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	for attr, unknown := range map[string]bool{
		"api_key": cfg.APIKey.IsUnknown(), "engine_url": cfg.EngineURL.IsUnknown(),
		"max_retries": cfg.MaxRetries.IsUnknown(), "rate_limit": cfg.RateLimit.IsUnknown(),
		"ssh_private_key": cfg.SSHKey.IsUnknown(),
	} {
		if unknown {
			resp.Diagnostics.AddAttributeError(path.Root(attr), "Provider setting not known yet",
				"The TensorPool provider's `"+attr+"` depends on a value that is only known after apply. "+
					"Set it from a variable or the environment, or apply its source first with -target.")
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}

	// An empty argument counts as unset (a variable with an empty default
	// must not hide the environment), as in the major providers.
	apiKey, _ := settingOrEnv(cfg.APIKey, EnvAPIKey)
	ctx = maskKey(ctx, apiKey)
	engineURL, engineFromEnv := settingOrEnv(cfg.EngineURL, EnvEngineURL)
	maxRetries := 0
	if !cfg.MaxRetries.IsNull() {
		maxRetries = int(cfg.MaxRetries.ValueInt64())
		if maxRetries == 0 {
			maxRetries = -1 // the client reads 0 as "default"
		}
	}
	runner, sshKeyFromEnv, err := uploadRunner(cfg.SSHKey, p.opts.CommandRunner)
	if err != nil && sshKeyFromEnv {
		configErr := diag.NewErrorDiagnostic("Invalid SSH private key in "+EnvSSHPrivateKey,
			err.Error()+" (the value came from the "+EnvSSHPrivateKey+" environment variable). Fix or unset "+EnvSSHPrivateKey+".")
		data := &providerData{opts: p.opts, configErr: &configErr}
		resp.ResourceData, resp.DataSourceData, resp.ActionData = data, data, data
		resp.EphemeralResourceData = data
		resp.ListResourceData = data
		return
	}
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("ssh_private_key"), "Invalid SSH private key", err.Error()+".")
		return
	}
	c, err := client.New(client.Config{
		BaseURL:       engineURL,
		APIKey:        apiKey,
		UserAgent:     "terraform-provider-tensorpool/" + p.version,
		MaxRetries:    maxRetries,
		RetryPolicy:   p.opts.RetryPolicy,
		RateLimit:     cfg.RateLimit.ValueFloat64(),
		Clock:         p.opts.Clock,
		Logger:        tflogLogger{},
		CommandRunner: runner,
		RequestPoll:   p.opts.RequestPoll,
		// A test's knob: production keeps the client's default.
		RequestTimeout: p.opts.RequestTimeout,
	})
	if err != nil && engineFromEnv {
		configErr := diag.NewErrorDiagnostic("Invalid TensorPool engine URL",
			err.Error()+" (the value came from the "+EnvEngineURL+" environment variable). Fix or unset "+EnvEngineURL+".")
		data := &providerData{opts: p.opts, configErr: &configErr}
		resp.ResourceData, resp.DataSourceData, resp.ActionData = data, data, data
		resp.EphemeralResourceData = data
		resp.ListResourceData = data
		return
	}
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("engine_url"), "Invalid TensorPool engine URL", err.Error())
		return
	}
	tflog.Debug(ctx, "configured the TensorPool engine client", map[string]any{
		"engine_url": c.BaseURL(), "api_key_set": apiKey != "",
	})
	data := &providerData{client: c, apiKey: apiKey, opts: p.opts}
	resp.ResourceData = data
	resp.DataSourceData = data
	resp.ActionData = data
	resp.EphemeralResourceData = data
	resp.ListResourceData = data
}

// Resources lists the provider's resources.
func (p *TensorPoolProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewJobResource,
		NewClusterResource,
		NewStorageResource,
		NewStorageAttachmentResource,
		NewSSHKeyResource,
		NewObjectStorageResource,
		NewBucketResource,
	}
}

// DataSources lists the provider's data sources.
func (p *TensorPoolProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewJobDataSource,
		NewJobOutputsDataSource,
		NewClusterDataSource,
		NewStorageDataSource,
		NewOrganizationDataSource,
	}
}

// settingOrEnv returns a provider argument, or the environment variable env
// when the argument is null or blank; fromEnv says which one it was.
func settingOrEnv(v types.String, env string) (value string, fromEnv bool) {
	if s := strings.TrimSpace(v.ValueString()); s != "" {
		return s, false
	}
	return strings.TrimSpace(os.Getenv(env)), true
}

// Actions lists the provider's actions (Terraform 1.14 and later).
func (p *TensorPoolProvider) Actions(_ context.Context) []func() action.Action {
	return []func() action.Action{NewJobCancelAction}
}

// EphemeralResources lists the provider's ephemeral resources (Terraform
// 1.10 and later, OpenTofu 1.11 and later).
func (p *TensorPoolProvider) EphemeralResources(_ context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{NewClusterSSH, NewObjectStorageCredentials}
}

// Functions lists the provider-defined functions (Terraform 1.8 and later).
func (p *TensorPoolProvider) Functions(_ context.Context) []func() function.Function {
	return []func() function.Function{NewTPConfigFunction}
}

// ListResources lists the list resources (`terraform query`, Terraform 1.14
// and later).
func (p *TensorPoolProvider) ListResources(_ context.Context) []func() list.ListResource {
	return []func() list.ListResource{
		NewJobListResource,
		NewClusterListResource,
		NewStorageListResource,
		NewSSHKeyListResource,
	}
}
