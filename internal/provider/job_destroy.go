package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// Everything `terraform destroy` decides about a job is in this file: the
// Delete method, the decision table (destroyJob) and its error messages.

func (r *jobResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state jobResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, api := engineFor(ctx, r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	deleteTimeout, diags := state.Timeouts.Delete(ctx, defaultDeleteTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.ID.ValueString()
	onDestroy := state.OnDestroy.ValueString()
	if onDestroy == "" {
		onDestroy = onDestroyCancel
	}
	clk := r.data.opts.Clock
	start := clk.Now()
	waitCtx, cancel := context.WithTimeout(ctx, deleteTimeout)
	defer cancel()
	settings := destroySettings{
		OnDestroy: onDestroy,
		Purge:     state.PurgeOnDestroy.ValueBool(),
		Wait:      newWaitConfig(ctx, r.data, api, deleteTimeout),
	}
	// The status in the state is the known one: job states only move
	// forward, and the cancel's own answer corrects a stale one. A job
	// recorded deleted is looked up instead: its 404 makes a quiet destroy.
	if !state.Status.IsNull() && state.Status.ValueString() != statusDeleted {
		settings.Known = &client.Job{ID: id, Status: client.ParseStatus(state.Status.ValueString())}
	}
	result, err := destroyJob(waitCtx, api, id, settings)
	if err != nil {
		resp.Diagnostics.AddError(destroyErrorSummary(err), destroyErrorDetail(deleteTimeout, err))
		return
	}
	for _, w := range result.Warnings {
		resp.Diagnostics.AddWarning("TensorPool job destroy", w)
	}
	tflog.Info(ctx, "TensorPool job destroyed", map[string]any{
		"job_id": id, "action": string(result.Action), "final_status": string(result.FinalStatus),
		"waited_ms": clk.Now().Sub(start).Milliseconds(),
	})
}

// stopFailure is why stopping a job failed, for destroy and the cancel
// action alike: their words differ, not how they tell the cases apart.
type stopFailure int

const (
	stopFailed      stopFailure = iota // any other error
	stopTimedOut                       // the wait reached its timeout
	stopInterrupted                    // Ctrl-C, or a canceled Terraform Cloud run
	stopUnreachable                    // the engine cannot be reached as configured
)

// classifyStopFailure sorts a destroyJob error; the *waitError, when there is
// one, says how long the wait lasted and the job's last status.
func classifyStopFailure(err error) (stopFailure, *waitError) {
	var waitErr *waitError
	switch {
	case errors.As(err, &waitErr) && waitErr.TimedOut:
		return stopTimedOut, waitErr
	case errors.As(err, &waitErr), errors.Is(err, context.Canceled):
		return stopInterrupted, waitErr
	case client.IsUnreachable(err):
		return stopUnreachable, nil
	}
	return stopFailed, nil
}

func destroyErrorSummary(err error) string {
	switch kind, _ := classifyStopFailure(err); kind {
	case stopTimedOut:
		return "Timed out waiting for the TensorPool job to stop"
	case stopInterrupted:
		return "Destroy interrupted (Ctrl-C) before the TensorPool job stopped"
	case stopUnreachable:
		return "Could not reach the TensorPool engine"
	}
	return "Could not cancel the TensorPool job"
}

func destroyErrorDetail(timeout time.Duration, err error) string {
	switch kind, waitErr := classifyStopFailure(err); kind {
	case stopTimedOut:
		return fmt.Sprintf("The job was asked to cancel, but %s (timeouts.delete = %s).\n\n"+
			"The job stays in the Terraform state, so nothing is lost. Ways out:\n"+
			"  - run `terraform destroy` again: it keeps waiting for the same job, without canceling twice;\n"+
			"  - raise `timeouts.delete` in the resource's `timeouts` block; Terraform reads it from the state, so run `terraform apply` first;\n"+
			"  - set `on_destroy = \"abandon\"` (and apply) to remove the job from the state without waiting.",
			waitErr, timeout)
	case stopInterrupted:
		return fmt.Sprintf("Terraform was stopped (Ctrl-C) during the destroy: %s. The job stays in the Terraform state and the engine "+
			"may still be canceling it; run `terraform destroy` again to finish.", err)
	case stopUnreachable:
		return fmt.Sprintf("%s.\n\n%s The job stays in the Terraform state and may still be running; run `terraform destroy` again "+
			"once the engine can be reached.", err, unreachableAdvice("the destroy did not wait for timeouts.delete"))
	}
	return fmt.Sprintf("%s.\n\nThe job stays in the Terraform state. Fix the cause and run `terraform destroy` again, or set "+
		"`on_destroy = \"abandon\"` to remove it from the state without canceling.", err)
}

// unreachableAdvice says what an unreachable engine means and where to look.
func unreachableAdvice(consequence string) string {
	return "This is a configuration or network problem, not an engine outage, so " + consequence + ": check the provider's " +
		"`engine_url` (or TENSORPOOL_ENGINE), DNS, TLS certificates, proxies and firewalls."
}

// destroyAction says what a destroy did, for logs and tests.
type destroyAction string

const (
	destroyGone      destroyAction = "gone"      // the engine no longer knows the job
	destroyTerminal  destroyAction = "terminal"  // it had already stopped
	destroyAbandoned destroyAction = "abandoned" // on_destroy = "abandon"
	destroyCanceled  destroyAction = "canceled"  // canceled and waited for
)

// destroySettings are the resource's destroy options.
type destroySettings struct {
	OnDestroy string
	Purge     bool
	Wait      waitConfig
	// Known is the job as the Terraform state has it: job states only move
	// forward, and the cancel's own answer (200, 202, 400 then a read, 404)
	// corrects a stale one. nil (no status in the state) means destroyJob
	// reads it live first.
	Known *client.Job
	// OnCancel, when set, is called just before the cancel is sent, and
	// only then: the cancel action reports it, and a job that had already
	// stopped (or was gone) is never said to be canceled.
	OnCancel func()
}

// destroyResult is the outcome of a successful destroy.
type destroyResult struct {
	Action      destroyAction
	FinalStatus client.Status
	// Warnings are things the user should know that do not fail the destroy.
	Warnings []string
}

// destroyJob stops a job for `terraform destroy`: from its known status (or
// a live read), cancel and a bounded wait for a terminal status. It is
// idempotent, so running destroy again after a timeout simply continues.
func destroyJob(ctx context.Context, api jobAPI, id string, s destroySettings) (*destroyResult, error) {
	job := s.Known
	if job == nil {
		var err error
		job, err = untilSettled(ctx, s.Wait, func(ctx context.Context) (*client.Job, error) { return api.GetJob(ctx, id) })
		if client.IsNotFound(err) {
			return &destroyResult{Action: destroyGone}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading job %s before canceling it: %w", id, err)
		}
	}
	result := &destroyResult{FinalStatus: job.Status}
	justCanceled := false
	switch {
	case job.Status.IsTerminal():
		result.Action = destroyTerminal
		return purge(ctx, api, id, s, result), nil
	case s.OnDestroy == onDestroyAbandon:
		result.Action = destroyAbandoned
		result.Warnings = append(result.Warnings, fmt.Sprintf(
			"Job %s is still %s: on_destroy = \"abandon\" removed it from the Terraform state without canceling it. "+
				"It keeps running (and billing) until it ends or you cancel it with `tp job cancel %s`.", id, job.Status, id))
		return result, nil
	case job.Status.Is(client.StatusCanceling):
		// Someone (perhaps an earlier destroy) already asked; just wait.
	default:
		if s.OnCancel != nil {
			s.OnCancel()
		}
		done, err := requestCancel(ctx, api, id, s.Wait, result)
		if err != nil || done {
			if err == nil {
				result = purge(ctx, api, id, s, result)
			}
			return result, err
		}
		job.Status, justCanceled = result.FinalStatus, true // what the cancel answered: canceling
	}
	// Right after a cancel the status is known (canceling): follow the
	// job's status stream from now on, and read when it says the job has
	// ended. A job found canceling may have finished since: look now.
	final, err := waitForTerminal(ctx, api, id, job, !justCanceled, untilStopped, s.Wait)
	var waitErr *waitError
	if err != nil && !errors.As(err, &waitErr) {
		return nil, fmt.Errorf("reading job %s while it stops: %w", id, err)
	}
	if err != nil {
		return nil, err
	}
	if final == nil {
		result.Action, result.FinalStatus = destroyGone, ""
		return result, nil
	}
	result.Action = destroyCanceled
	result.FinalStatus = final.Status
	return purge(ctx, api, id, s, result), nil
}

// requestCancel sends the cancel. done means no wait is needed.
func requestCancel(ctx context.Context, api jobAPI, id string, wait waitConfig, result *destroyResult) (bool, error) {
	cancel, err := untilSettled(ctx, wait, func(ctx context.Context) (*client.CancelResult, error) { return api.CancelJob(ctx, id) })
	switch {
	case err == nil && (cancel.Outcome == client.CancelAlreadyCanceled || cancel.Status.IsTerminal()):
		result.Action, result.FinalStatus = destroyCanceled, client.StatusCanceled
		return true, nil
	case err == nil:
		result.FinalStatus = cancel.Status
		return false, nil
	case client.IsNotFound(err):
		result.Action, result.FinalStatus = destroyGone, ""
		return true, nil
	case client.IsBadRequest(err):
		// Not cancelable: most likely it ended between our read and the
		// cancel. Look again rather than guess, as patiently as any read.
		job, readErr := untilSettled(ctx, wait, func(ctx context.Context) (*client.Job, error) { return api.GetJob(ctx, id) })
		if client.IsNotFound(readErr) {
			result.Action, result.FinalStatus = destroyGone, ""
			return true, nil
		}
		if readErr == nil && job.Status.IsTerminal() {
			result.Action, result.FinalStatus = destroyTerminal, job.Status
			return true, nil
		}
		if readErr == nil && job.Status.Is(client.StatusCanceling) {
			// An engine that refuses to cancel twice: it is on its way.
			result.FinalStatus = job.Status
			return false, nil
		}
		status := "unknown"
		if readErr == nil {
			status = string(job.Status)
		}
		return false, fmt.Errorf("the engine refused to cancel job %s, which is %s: %w", id, status, err)
	default:
		return false, fmt.Errorf("canceling job %s: %w", id, err)
	}
}

// purge deletes a terminal job from the engine's lists when asked to. A
// failure is only a warning: the job no longer runs, so nothing bills.
func purge(ctx context.Context, api jobAPI, id string, s destroySettings, result *destroyResult) *destroyResult {
	if !s.Purge || result.Action == destroyGone {
		return result
	}
	if _, err := api.DeleteJob(ctx, id); err != nil && !client.IsNotFound(err) {
		result.Warnings = append(result.Warnings, fmt.Sprintf(
			"Job %s has stopped (%s), but purge_on_destroy could not delete it from the engine's job list: %v. "+
				"Nothing is running; delete it later with `tp job delete %s` if you want it gone.", id, result.FinalStatus, err, id))
	}
	return result
}
