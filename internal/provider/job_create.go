package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/tpconfig"
)

func (r *jobResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan jobResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	ctx, api := engineFor(ctx, r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	createTimeout, diags := plan.Timeouts.Create(ctx, defaultCreateTimeout)
	resp.Diagnostics.Append(diags...)
	dir, err := sourceDir(plan.SourceDir.StringValue)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("source_dir"), "Invalid source directory", err.Error())
	}
	// Terraform's own files (state holds secrets) never travel with a job.
	jobConfig, err := tpconfig.WithIgnored(plan.Config.ValueString(), tpconfig.TerraformFiles)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("config"), "Invalid TensorPool job configuration", err.Error())
	}
	if resp.Diagnostics.HasError() {
		return
	}
	// One deadline for the whole create: the push, the read-back and the
	// wait for completion, with every retry inside them.
	createCtx, cancel := context.WithTimeout(ctx, createTimeout)
	defer cancel()
	// The files as they are uploaded, hashed just before.
	plan.SourceHash = sourceHashOrNull(createCtx, plan, &resp.Diagnostics)

	result, err := api.PushJob(createCtx, client.PushRequest{
		Config:          jobConfig,
		ClusterID:       plan.ClusterID.ValueString(),
		TeardownCluster: plan.TeardownCluster.ValueBool(),
		Dir:             dir,
		OnMessage: func(msg string) {
			tflog.Info(ctx, "TensorPool engine: "+msg)
		},
	})
	jobID := ""
	if result != nil {
		jobID = result.JobID
	}
	if err != nil {
		if jobID == "" {
			resp.Diagnostics.AddError("Could not submit the TensorPool job", pushAdvice(err))
			return
		}
		// The engine created the job before the failure: keep it in the state
		// (the error marks it tainted) so that it is never orphaned.
		plan.ID = types.StringValue(jobID)
		setJobIdentity(ctx, resp.Identity, plan.ID, &resp.Diagnostics)
		r.refreshInto(createCtx, api, &plan, &resp.Diagnostics)
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		resp.Diagnostics.AddError("TensorPool job submission did not finish cleanly",
			fmt.Sprintf("%s.\n\nThe engine had already created job %s, so it is saved in the Terraform state, marked tainted. "+
				"Check it with the tensorpool_job data source or `tp job info %s`. The next apply cancels it and submits a new job; "+
				"run `terraform untaint` on this resource to keep it instead.", err, jobID, jobID))
		return
	}
	plan.ID = types.StringValue(jobID)
	setJobIdentity(ctx, resp.Identity, plan.ID, &resp.Diagnostics)
	tflog.Info(ctx, "TensorPool job submitted", map[string]any{"job_id": jobID})

	goal := plan.waitGoal()
	if goal == waitForAccepted {
		r.refreshInto(createCtx, api, &plan, &resp.Diagnostics)
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	// Save the job first: whatever happens during the wait, it is in the state.
	plan.setUnknownAsNull()
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	until, reached := untilFinished, client.Status.IsTerminal
	if goal == waitForRunning {
		until, reached = untilRunning, reachedRunning
	}
	// The push has just said the job exists: the wait follows its status
	// stream from now on and reads the job when the stream says it may have
	// reached the goal (or, without a stream, after one poll interval).
	wait := newWaitConfig(ctx, r.data, api, createTimeout)
	wait.Output = api.NewOutputCollector(outputTailLines, outputTailBytes)
	job, err := waitForStatus(createCtx, api, jobID, nil, false, until, reached, wait)
	if job != nil {
		plan.setFromJob(job)
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	}
	if summary, detail := completionError(jobID, goal, createTimeoutText(plan.Timeouts), job, err); summary != "" {
		if job != nil && (job.Status.Is(client.StatusError) || job.Status.Is(client.StatusFailed)) {
			detail += jobOutputText(createCtx, api, jobID, wait.Output)
		}
		resp.Diagnostics.AddError(summary, detail)
	}
}

// reachedRunning is the goal of wait_for = "running": the job runs, or has
// already ended (a job that ended has been running, or never will).
func reachedRunning(s client.Status) bool { return s.Is(client.StatusRunning) || s.IsTerminal() }

// How much of a failed job's own output an apply error quotes, and how long
// reading it may take (within the create's deadline).
const (
	outputTailLines   = 50
	outputTailBytes   = 8 << 10
	outputTailTimeout = 10 * time.Second
)

// jobOutputText is the end of a failed job's own output, for its error:
// what the job printed last usually says why it failed. The wait's status
// stream has usually collected it already (followed from the push to its
// last message); otherwise it is read from a stream of its own. Reading it
// is best effort: without it the error still has the status, exit code and
// message.
func jobOutputText(ctx context.Context, api *client.Client, id string, seen *client.OutputCollector) string {
	lines, complete := seen.Lines()
	var err error
	if !complete {
		ctx, cancel := context.WithTimeout(ctx, outputTailTimeout)
		defer cancel()
		lines, err = api.OutputTail(ctx, id, outputTailLines, outputTailBytes)
	}
	if len(lines) == 0 {
		if err != nil {
			tflog.Debug(ctx, "could not read the failed job's output", map[string]any{"job_id": id, "error": err.Error()})
		}
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n\nThe job's own output ended with these %d lines (from the engine's /job/listen stream; `tp job listen %s` shows it all):\n", len(lines), id)
	for _, line := range lines {
		b.WriteString("  | " + line + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// completionError is the error of a create that did not see the job reach
// its goal (wait_for: running or completed; "" when it did), worded for what
// happened: a timeout, an interrupt, a failed read, or the job's own end.
// timeout is timeouts.create as configured (createTimeoutText).
func completionError(jobID, goal, timeout string, job *client.Job, err error) (summary, detail string) {
	const keptTainted = "It is saved in the state, marked tainted, and keeps running: the next apply cancels it and submits a new job; " +
		"run `terraform untaint` on this resource to keep it instead."
	what := "finish"
	if goal == waitForRunning {
		what = "start running"
	}
	var waitErr *waitError
	switch {
	case errors.As(err, &waitErr) && waitErr.TimedOut:
		return "TensorPool job did not " + what + " in time",
			fmt.Sprintf("Job %s was submitted, but it did not %s within %s, which bounds the submission and the wait; %s. %s "+
				"Raise `timeouts.create`, or set `wait_for = \"accepted\"` to return as soon as the job is accepted.",
				jobID, what, timeout, waitErr.lastSeen(), keptTainted)
	case errors.As(err, &waitErr):
		return "Wait for the TensorPool job interrupted",
			fmt.Sprintf("Job %s was submitted, but Terraform was stopped (Ctrl-C) after waiting %s for it to %s; %s. %s",
				jobID, waitErr.Waited.Round(time.Second), what, waitErr.lastSeen(), keptTainted)
	case err != nil:
		return "Could not follow the TensorPool job",
			fmt.Sprintf("Job %s was submitted and saved in the state, but reading its status failed: %s", jobID, err)
	case job == nil:
		return "TensorPool job disappeared", fmt.Sprintf("Job %s was deleted from the engine while Terraform waited for it to %s.", jobID, what)
	case goal == waitForRunning && !job.Status.IsTerminal(), job.Status.Is(client.StatusCompleted):
		return "", "" // running, or done (a job that completed has run)
	case goal == waitForRunning:
		return "TensorPool job ended before it was seen running",
			fmt.Sprintf("Job %s ended%s before the wait for it to start running ever saw it running. "+
				"It stays in the state, marked tainted, so the next apply submits it again.", jobID, jobEndText(job))
	}
	return "TensorPool job did not complete",
		fmt.Sprintf("Job %s ended%s. It stays in the state, marked tainted, so the next apply submits it again.", jobID, jobEndText(job))
}

// jobEndText is how a job ended, after "Job X ended", saying its status
// once: the engine's message when it names the status itself ("Job was
// canceled"), else the status, its exit code and the message.
func jobEndText(job *client.Job) string {
	status := string(job.Status)
	if job.Message != nil && strings.Contains(strings.ToLower(*job.Message), strings.ToLower(status)) {
		return fmt.Sprintf("%s: %q", exitCodeText(job), *job.Message)
	}
	return fmt.Sprintf(" with status %q%s%s", status, exitCodeText(job), messageText(job))
}

// createTimeoutText is timeouts.create as the configuration writes it, for
// messages: `timeouts.create = "90m"`, or the default when it is unset.
func createTimeoutText(v timeouts.Value) string {
	if configured, ok := v.Attributes()["create"].(types.String); ok && !configured.IsNull() && !configured.IsUnknown() {
		return fmt.Sprintf("timeouts.create = %q", configured.ValueString())
	}
	return "timeouts.create (" + shortDuration(defaultCreateTimeout) + ", the default)"
}

// refreshInto reads the job into m, riding out engine outages (an engine
// restarting) within the create's deadline (ctx), as every read does. A
// failure is a warning: the job exists and is in the state; the next
// refresh will fill the fields in.
func (r *jobResource) refreshInto(ctx context.Context, api *client.Client, m *jobResourceModel, diags *diag.Diagnostics) {
	if ctx.Err() != nil {
		// The create's deadline has passed (or Ctrl-C): its error says so.
		m.setUnknownAsNull()
		return
	}
	id := m.ID.ValueString()
	job, err := readPatiently(ctx, r.data, defaultReadTimeout, func(ctx context.Context) (*client.Job, error) { return api.GetJob(ctx, id) })
	if err != nil {
		m.setUnknownAsNull()
		diags.AddWarning("Could not read the new job's status",
			fmt.Sprintf("Job %s was submitted, but reading it back failed: %s. The next plan or apply refreshes it.", m.ID.ValueString(), err))
		return
	}
	m.setFromJob(job)
	if job.ClusterID != nil && *job.ClusterID != "" && m.ClusterID.IsNull() {
		m.ClusterID = types.StringValue(*job.ClusterID)
	}
}

func pushAdvice(err error) string {
	if advice := uploadAdvice(err); advice != "" {
		return advice
	}
	var pushErr *client.PushError
	if errors.As(err, &pushErr) && pushErr.Lost {
		return err.Error() + ".\n\nThe engine sent no job id before the connection ended, so the job was most likely not created. " +
			"Check `tp job list` before applying again: a submission is never retried automatically, because a retry could start a second job."
	}
	if client.IsUnauthorized(err) || (errors.As(err, &pushErr) && pushErr.CloseCode == 1008) {
		return err.Error() + ".\n\nCheck the API key (TENSORPOOL_KEY or the provider's api_key)."
	}
	if errors.Is(err, client.ErrNoAPIKey) {
		return err.Error()
	}
	return err.Error() + "."
}
