package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/backoff"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// Create claims the cluster and waits for the claim within timeouts.create.
// The cluster is in the state from the moment the engine names it, so that
// a claim that times out, is interrupted or loses its connection is never
// orphaned: Terraform keeps it, tainted, and destroy releases it. Only a
// claim that failed AND a read confirming nothing runs leaves nothing.
func (r *clusterResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan clusterResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	ctx, api := engineFor(ctx, r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	createTimeout, diags := plan.Timeouts.Create(ctx, defaultClusterCreateTimeout)
	resp.Diagnostics.Append(diags...)
	readTimeout, diags := plan.Timeouts.Read(ctx, defaultReadTimeout)
	resp.Diagnostics.Append(diags...)
	spec := clusterSpec(ctx, plan, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	createCtx, cancel := context.WithTimeout(ctx, createTimeout)
	defer cancel()

	created, err := api.CreateCluster(createCtx, spec)
	if err != nil {
		resp.Diagnostics.AddError("Could not create the TensorPool cluster", createClusterAdvice(err))
		return
	}
	id := created.ClusterID
	plan.ID = types.StringValue(id)
	if created.InstanceIDs != nil {
		plan.InstanceIDs = stringList(ctx, created.InstanceIDs, &resp.Diagnostics)
	}
	recordManagedCluster(r.data, plan.ID)
	// Saved before the wait: whatever happens next, the cluster is in the state.
	saved := plan
	saved.setUnknownAsNull()
	resp.Diagnostics.Append(resp.State.Set(ctx, &saved)...)
	tflog.Info(ctx, "TensorPool cluster claim accepted", map[string]any{"cluster_id": id, "request_id": created.RequestID})

	var claim *client.Request
	if created.RequestID == "" {
		resp.Diagnostics.AddWarning("The engine gave no request to follow",
			fmt.Sprintf("The engine accepted cluster %s without a request_id, so the provider could not wait for the claim to finish. "+
				"The cluster is in the state with the status the engine reports now.", id))
	} else {
		claim, err = awaitRequest(createCtx, api, created.RequestID, "creating cluster "+id, createTimeout)
	}
	var failed *client.RequestFailedError
	switch {
	case errors.As(err, &failed):
		r.claimFailed(ctx, api, &plan, failed.Request, readTimeout, resp)
		return
	case err != nil:
		resp.Diagnostics.AddError(claimWaitErrorSummary(err), claimWaitErrorDetail(id, createTimeout, claim, err))
		return
	}
	cluster, err := readCluster(ctx, r.data, api, id, readTimeout)
	if err != nil {
		resp.Diagnostics.AddWarning("Could not read the new cluster",
			fmt.Sprintf("Cluster %s was claimed, but reading it back failed: %s. The next plan or apply refreshes it.", id, err))
		return
	}
	plan.fillFromCluster(ctx, cluster, &resp.Diagnostics)
	plan.setUnknownAsNull()
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// claimFailed handles a claim the engine ended with FAILED: the cluster
// leaves the state only when a read confirms that nothing of it runs (the
// engine forgot it, or reports it released or failed); otherwise it stays,
// tainted, so that destroy releases whatever the engine still holds.
func (r *clusterResource) claimFailed(ctx context.Context, api *client.Client, plan *clusterResourceModel, claim *client.Request,
	readTimeout time.Duration, resp *resource.CreateResponse,
) {
	id := plan.ID.ValueString()
	why := requestOutcomeText(claim)
	cluster, err := readCluster(ctx, r.data, api, id, readTimeout)
	if gone, state := clusterGone(cluster, err); gone {
		resp.State.RemoveResource(ctx)
		resp.Diagnostics.AddError("The TensorPool cluster claim failed",
			fmt.Sprintf("The engine could not claim cluster %s: %s.\n\nThe cluster %s, so nothing runs or bills, and it is not in "+
				"the Terraform state. Run `terraform apply` again to try a new claim (for example when capacity is back), or choose "+
				"another `instance_type`.", id, why, state))
		return
	}
	status := "could not be read: " + fmt.Sprint(err)
	if err == nil {
		plan.fillFromCluster(ctx, cluster, &resp.Diagnostics)
		status = "is still reported as " + statusText(cluster.Status)
	}
	plan.setUnknownAsNull()
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
	resp.Diagnostics.AddError("The TensorPool cluster claim failed, but the cluster may still exist",
		fmt.Sprintf("The engine could not claim cluster %s: %s.\n\nThe engine does not confirm that nothing of it runs (the cluster %s), "+
			"so it stays in the Terraform state, marked tainted, where it cannot be forgotten while it may bill. "+
			"`terraform destroy` releases it; the next `terraform apply` releases it and claims a new one.", id, why, status))
}

// clusterSpec is the create request for the plan.
func clusterSpec(ctx context.Context, plan clusterResourceModel, diags *diag.Diagnostics) client.ClusterSpec {
	spec := client.ClusterSpec{
		InstanceType:       plan.InstanceType.ValueString(),
		DeletionProtection: plan.DeletionProtection.ValueBool(),
	}
	if !plan.NumNodes.IsNull() && !plan.NumNodes.IsUnknown() {
		spec.NumNodes = plan.NumNodes.ValueInt64Pointer()
	}
	if !plan.Name.IsNull() && !plan.Name.IsUnknown() {
		spec.Name = plan.Name.ValueStringPointer()
	}
	if !plan.Container.IsNull() && !plan.Container.IsUnknown() {
		spec.Container = plan.Container.ValueStringPointer()
	}
	if !plan.PublicKeys.IsNull() && !plan.PublicKeys.IsUnknown() {
		diags.Append(plan.PublicKeys.ElementsAs(ctx, &spec.PublicKeys, false)...)
		for i, key := range spec.PublicKeys {
			spec.PublicKeys[i] = strings.TrimSpace(key) // a .pub file's final newline is not part of the key
		}
	}
	return spec
}

// createClusterAdvice explains a create that got no cluster id.
func createClusterAdvice(err error) string {
	var missing *client.MissingIDError
	switch {
	case errors.As(err, &missing):
		return err.Error() + ".\n\nThe provider cannot put a cluster it cannot name in the state. Check `tp cluster list` and " +
			"release any cluster you did not expect (`tp cluster destroy <id>`), or import it with an import block."
	case client.IsOutage(err), errors.Is(err, context.DeadlineExceeded):
		return err.Error() + ".\n\nThe engine's answer did not arrive, so a cluster may have been claimed without Terraform " +
			"knowing its id. Check `tp cluster list` before applying again: a claim is never retried automatically, because a " +
			"retry could claim (and bill) a second cluster."
	}
	return err.Error() + "."
}

// claimWaitErrorSummary and claimWaitErrorDetail word a wait for the claim
// that ended without its outcome: the cluster stays in the state.
func claimWaitErrorSummary(err error) string {
	var timedOut *backoff.TimeoutError
	var interrupted *backoff.InterruptedError
	switch {
	case errors.As(err, &timedOut):
		return "Timed out waiting for the TensorPool cluster claim"
	case errors.As(err, &interrupted), errors.Is(err, context.Canceled):
		return "Cluster claim interrupted (Ctrl-C) before it finished"
	}
	return "Could not follow the TensorPool cluster claim"
}

func claimWaitErrorDetail(id string, timeout time.Duration, last *client.Request, err error) string {
	var timedOut *backoff.TimeoutError
	cause := err.Error()
	if errors.As(err, &timedOut) {
		cause += fmt.Sprintf(" (timeouts.create = %s)", timeout)
	}
	detail := fmt.Sprintf("The engine accepted cluster %s, but the provider stopped waiting for its claim: %s.", id, cause)
	if last != nil {
		detail += fmt.Sprintf(" The claim was last %s.", requestOutcomeText(last))
	}
	return detail + "\n\nThe claim may still complete, and a claimed cluster bills, so the cluster stays in the Terraform state, " +
		"marked tainted. `terraform destroy` releases it; the next `terraform apply` releases it and claims a new one. " +
		"To wait longer for GPU capacity, raise `timeouts.create`."
}

// requestOutcomeText is a request's status and the engine's message about
// it: `FAILED ("No 8xB200 capacity in us-east")`.
func requestOutcomeText(req *client.Request) string {
	if req == nil {
		return "of unknown status"
	}
	if req.ExternalMessage == nil {
		return string(req.Status) + " (the engine gave no message)"
	}
	return fmt.Sprintf("%s (%q)", req.Status, *req.ExternalMessage)
}

func statusText(status *string) string {
	if status == nil {
		return "without a status"
	}
	return *status
}
