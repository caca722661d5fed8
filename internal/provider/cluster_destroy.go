package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/backoff"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock"
)

// Delete releases the cluster and waits, within timeouts.delete, until the
// engine confirms the release: a destroy that succeeds leaves nothing
// billing. deletion_protection in the state stops it before any request.
func (r *clusterResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state clusterResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.ID.ValueString()
	if state.DeletionProtection.ValueBool() {
		resp.Diagnostics.Append(deletionProtectedError("cluster", id))
		return
	}
	ctx, api := engineFor(ctx, r.data, &resp.Diagnostics)
	deleteTimeout, diags := state.Timeouts.Delete(ctx, defaultClusterDeleteTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	clk := clock.OrReal(r.data.opts.Clock)
	start := clk.Now()
	deleteCtx, cancel := context.WithTimeout(ctx, deleteTimeout)
	defer cancel()
	wait := waitConfig{Policy: r.data.opts.PollPolicy, Clock: clk, Timeout: deleteTimeout}
	outcome, err := releaseCluster(deleteCtx, api, id, wait)
	if err != nil {
		resp.Diagnostics.AddError(releaseErrorSummary(err), releaseErrorDetail(id, deleteTimeout, err))
		return
	}
	tflog.Info(ctx, "TensorPool cluster released", map[string]any{
		"cluster_id": id, "outcome": string(outcome), "waited_ms": clk.Now().Sub(start).Milliseconds(),
	})
}

// releaseOutcome says how a release ended, for logs.
type releaseOutcome string

const (
	releaseGone      releaseOutcome = "gone"      // the engine no longer knows the cluster, or it was already released
	releaseCompleted releaseOutcome = "completed" // our release request completed
	releaseObserved  releaseOutcome = "observed"  // a release already under way (or without a request) was watched to its end
)

// releaseCluster is the destroy decision: send the release, then wait for
// its request; a 404 means there is nothing left to release; a 400 means
// the engine will not release it now, and a read tells why: already
// released (done), being released (perhaps by an earlier destroy that timed
// out: watch it finish), or anything else (an error quoting the engine).
// It is idempotent, so destroy after a timeout simply continues.
func releaseCluster(ctx context.Context, api *client.Client, id string, wait waitConfig) (releaseOutcome, error) {
	requestID, err := untilSettled(ctx, wait, func(ctx context.Context) (string, error) { return api.DestroyCluster(ctx, id) })
	switch {
	case client.IsNotFound(err):
		return releaseGone, nil
	case client.IsBadRequest(err):
		cluster, readErr := untilSettled(ctx, wait, func(ctx context.Context) (*client.Cluster, error) { return api.GetCluster(ctx, id) })
		if gone, _ := clusterGone(cluster, readErr); gone {
			return releaseGone, nil
		}
		if readErr == nil && statusIs(cluster.Status, clusterDestroying) {
			return releaseObserved, waitForRelease(ctx, api, id, wait)
		}
		status := "unknown"
		if readErr == nil {
			status = statusText(cluster.Status)
		}
		return "", fmt.Errorf("the engine refused to release cluster %s, which is %s: %w", id, status, err)
	case err != nil:
		return "", fmt.Errorf("releasing cluster %s: %w", id, err)
	case requestID == "":
		return releaseObserved, waitForRelease(ctx, api, id, wait)
	}
	if _, err := awaitRequest(ctx, api, requestID, "releasing cluster "+id, wait.Timeout); err != nil {
		return "", err
	}
	return releaseCompleted, nil
}

// clusterDestroying is the status of a cluster whose release is under way
// [INF: the docs name only RUNNING].
const clusterDestroying = "DESTROYING"

// releaseWaitError is a wait for a release under way that ended first.
type releaseWaitError struct {
	ClusterID  string
	LastStatus *string
	Err        error // *backoff.TimeoutError or *backoff.InterruptedError
}

func (e *releaseWaitError) Error() string {
	return fmt.Sprintf("cluster %s was still %s when the provider stopped waiting for its release (%v)", e.ClusterID, statusText(e.LastStatus), e.Err)
}

func (e *releaseWaitError) Unwrap() error { return e.Err }

// waitForRelease polls the cluster until the engine reports it released or
// forgets it, riding out engine outages, within the wait's deadline.
func waitForRelease(ctx context.Context, api *client.Client, id string, wait waitConfig) error {
	clk := clock.OrReal(wait.Clock)
	var last *string
	poll := backoff.Poll{Clock: clk, Policy: wait.Policy, Timeout: wait.Timeout}
	err := poll.Run(ctx, func(ctx context.Context) (bool, time.Duration, error) {
		cluster, err := api.GetCluster(ctx, id)
		switch {
		case client.IsNotFound(err):
			return true, 0, nil
		case err != nil && ctx.Err() != nil:
			return false, 0, nil //nolint:nilerr // the poll reports the context's end itself
		case client.IsOutage(err):
			return false, client.RetryAfter(err, clk.Now()), nil
		case err != nil:
			return false, 0, fmt.Errorf("reading cluster %s while it is released: %w", id, err)
		}
		last = cluster.Status
		return cluster.Released(), 0, nil
	})
	var timedOut *backoff.TimeoutError
	var interrupted *backoff.InterruptedError
	if errors.As(err, &timedOut) || errors.As(err, &interrupted) {
		return &releaseWaitError{ClusterID: id, LastStatus: last, Err: err}
	}
	return err
}

func releaseErrorSummary(err error) string {
	var timedOut *backoff.TimeoutError
	var interrupted *backoff.InterruptedError
	var failed *client.RequestFailedError
	switch {
	case errors.As(err, &timedOut):
		return "Timed out waiting for the TensorPool cluster to be released"
	case errors.As(err, &interrupted), errors.Is(err, context.Canceled):
		return "Destroy interrupted (Ctrl-C) before the TensorPool cluster was released"
	case errors.As(err, &failed):
		return "The engine could not release the TensorPool cluster"
	case client.IsUnreachable(err):
		return "Could not reach the TensorPool engine"
	}
	return "Could not release the TensorPool cluster"
}

func releaseErrorDetail(id string, timeout time.Duration, err error) string {
	var timedOut *backoff.TimeoutError
	var interrupted *backoff.InterruptedError
	const kept = "The cluster stays in the Terraform state, so nothing is forgotten while it may bill."
	switch {
	case errors.As(err, &timedOut):
		return fmt.Sprintf("Cluster %s was asked to release, but %s (timeouts.delete = %s).\n\n%s Ways out:\n"+
			"  - run `terraform destroy` again: it keeps waiting for the same release, without sending a second one;\n"+
			"  - raise `timeouts.delete` in the resource's `timeouts` block; Terraform reads it from the state, so run `terraform apply` first.",
			id, err, timeout, kept)
	case errors.As(err, &interrupted), errors.Is(err, context.Canceled):
		return fmt.Sprintf("Terraform was stopped (Ctrl-C) during the destroy: %s. %s The engine may still be releasing it; "+
			"run `terraform destroy` again to finish.", err, kept)
	case client.IsUnreachable(err):
		return fmt.Sprintf("%s.\n\n%s %s", err, unreachableAdvice("the destroy did not wait for timeouts.delete"), kept)
	}
	return fmt.Sprintf("%s.\n\n%s Fix the cause and run `terraform destroy` again; `tp cluster info %s` shows what the engine reports.", err, kept, id)
}

// statusIs compares an engine status, as the client does, without regard
// to case or surrounding space.
func statusIs(status *string, want string) bool {
	return status != nil && strings.EqualFold(strings.TrimSpace(*status), want)
}
