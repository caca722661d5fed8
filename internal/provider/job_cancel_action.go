package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// The tensorpool_job_cancel action (Terraform ≥ 1.14) stops any job by id,
// also one that Terraform does not manage, with the very decision and wait
// of the resource's destroy (destroyJob): the two cannot drift apart.

var (
	_ action.ActionWithConfigure      = (*jobCancelAction)(nil)
	_ action.ActionWithValidateConfig = (*jobCancelAction)(nil)
)

// NewJobCancelAction returns the tensorpool_job_cancel action.
func NewJobCancelAction() action.Action { return &jobCancelAction{} }

type jobCancelAction struct {
	data *providerData
}

type jobCancelActionModel struct {
	JobID   types.String `tfsdk:"job_id"`
	Timeout types.String `tfsdk:"timeout"`
}

func (a *jobCancelAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_job_cancel"
}

func (a *jobCancelAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Cancels a TensorPool job by id and waits, within `timeout`, until the engine reports that it has " +
			"stopped, sending progress messages while it waits. Any job can be named, also one submitted by the `tp` CLI or " +
			"another pipeline. A job that has already stopped, or no longer exists, is reported, not an error. It decides and " +
			"waits exactly as a `tensorpool_job` destroy does: a job already `canceling` is not canceled twice, so running the " +
			"action again after a timeout simply keeps waiting. Requires Terraform 1.14 or later.",
		Attributes: map[string]schema.Attribute{
			"job_id": schema.StringAttribute{
				MarkdownDescription: "Id of the job to cancel, as in `tp job list` or a `tensorpool_job`'s `id`.",
				Required:            true,
				Validators:          []validator.String{jobIDValidator{}},
			},
			"timeout": schema.StringAttribute{
				MarkdownDescription: "How long to wait for the job to stop, a positive Go duration such as `\"10m\"`. " +
					fmt.Sprintf("Default `%s`, as the resource's `timeouts.delete`.", shortDuration(defaultDeleteTimeout)),
				Optional: true,
			},
		},
	}
}

func (a *jobCancelAction) ValidateConfig(ctx context.Context, req action.ValidateConfigRequest, resp *action.ValidateConfigResponse) {
	var m jobCancelActionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if _, err := m.timeout(); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("timeout"), "Invalid timeout", err.Error())
	}
}

// timeout is the configured timeout, or the default when unset or not
// known yet.
func (m jobCancelActionModel) timeout() (time.Duration, error) {
	if m.Timeout.IsNull() || m.Timeout.IsUnknown() {
		return defaultDeleteTimeout, nil
	}
	d, err := time.ParseDuration(m.Timeout.ValueString())
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("timeout is %q; it must be a positive duration such as \"10m\" or \"90s\"", m.Timeout.ValueString())
	}
	return d, nil
}

func (a *jobCancelAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	if data := providerDataFrom(req.ProviderData, &resp.Diagnostics); data != nil {
		a.data = data
	}
}

func (a *jobCancelAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m jobCancelActionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	ctx, api := engineFor(ctx, a.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, err := m.timeout()
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("timeout"), "Invalid timeout", err.Error())
		return
	}
	id := m.JobID.ValueString()
	progress := func(format string, args ...any) {
		resp.SendProgress(action.InvokeProgressEvent{Message: fmt.Sprintf(format, args...)})
	}
	waitCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	wait := newWaitConfig(ctx, a.data, api, timeout)
	wait.Progress = func(job *client.Job, waited time.Duration) {
		progress("Job %s is %s; waiting for it to stop (%s so far)", id, job.Status, waited.Round(time.Second))
	}
	result, err := destroyJob(waitCtx, api, id, destroySettings{
		OnDestroy: onDestroyCancel, Wait: wait,
		OnCancel: func() { progress("Canceling job %s", id) },
	})
	if err != nil {
		resp.Diagnostics.AddError(cancelActionErrorSummary(err), cancelActionErrorDetail(timeout, err))
		return
	}
	switch result.Action {
	case destroyGone:
		progress("Job %s does not exist (or was deleted): nothing to cancel", id)
	case destroyTerminal:
		progress("Job %s had already stopped: %s", id, result.FinalStatus)
	default:
		progress("Job %s has stopped: %s", id, result.FinalStatus)
	}
	tflog.Info(ctx, "TensorPool job cancel action", map[string]any{
		"job_id": id, "action": string(result.Action), "final_status": string(result.FinalStatus),
	})
}

func cancelActionErrorSummary(err error) string {
	switch kind, _ := classifyStopFailure(err); kind {
	case stopTimedOut:
		return "Timed out waiting for the TensorPool job to stop"
	case stopInterrupted:
		return "Cancel interrupted before the TensorPool job stopped"
	case stopUnreachable:
		return "Could not reach the TensorPool engine"
	}
	return "Could not cancel the TensorPool job"
}

func cancelActionErrorDetail(timeout time.Duration, err error) string {
	switch kind, waitErr := classifyStopFailure(err); kind {
	case stopTimedOut:
		return fmt.Sprintf("The job was asked to cancel, but %s (timeout = %s). Invoke the action again to keep waiting: "+
			"it does not cancel the job twice. Raise `timeout` if the engine needs longer.", waitErr, timeout)
	case stopInterrupted:
		return fmt.Sprintf("Terraform was stopped during the wait: %s. The engine may still be canceling the job; "+
			"invoke the action again to wait for it.", err)
	case stopUnreachable:
		return fmt.Sprintf("%s.\n\n%s", err, unreachableAdvice("the action did not wait for its timeout"))
	}
	return err.Error() + "."
}
