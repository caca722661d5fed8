package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

const (
	defaultAttachTimeout = 30 * time.Minute
	defaultDetachTimeout = 30 * time.Minute
	// attachmentIDSeparator joins the two ids of an attachment's id; engine
	// ids never contain it.
	attachmentIDSeparator = "/"
)

var (
	_ resource.ResourceWithConfigure      = (*storageAttachmentResource)(nil)
	_ resource.ResourceWithImportState    = (*storageAttachmentResource)(nil)
	_ resource.ResourceWithValidateConfig = (*storageAttachmentResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*storageAttachmentResource)(nil)
)

// NewStorageAttachmentResource returns the tensorpool_storage_attachment resource.
func NewStorageAttachmentResource() resource.Resource { return &storageAttachmentResource{} }

type storageAttachmentResource struct {
	data *providerData
}

type storageAttachmentModel struct {
	ID        types.String   `tfsdk:"id"`
	StorageID types.String   `tfsdk:"storage_id"`
	ClusterID types.String   `tfsdk:"cluster_id"`
	Timeouts  timeouts.Value `tfsdk:"timeouts"`
}

func (r *storageAttachmentResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_storage_attachment"
}

func (r *storageAttachmentResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Attaches a TensorPool storage volume to a cluster. **Attaching restarts every node of the cluster**; " +
			"every plan that attaches says so in a warning. Destroying the attachment detaches the volume and waits until the " +
			"engine reports it detached; the volume and its data are kept. An attach whose answer was lost (an interrupted apply) " +
			"stays in the state, tainted: `terraform destroy` waits, within `timeouts.delete`, for the volume to list the cluster before " +
			"detaching it, and a create that finds the volume already attached to the cluster takes that attachment into the " +
			"state, with a warning, instead of attaching again.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "`<storage_id>/<cluster_id>`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"storage_id": schema.StringAttribute{
				MarkdownDescription: "Id of the volume to attach, usually `tensorpool_storage.NAME.id`. Changing it detaches the " +
					"volume and attaches the new one (which restarts the cluster's nodes again).",
				Required:      true,
				Validators:    []validator.String{storageIDValidator},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"cluster_id": schema.StringAttribute{
				MarkdownDescription: "Id of the cluster to attach the volume to, usually `tensorpool_cluster.NAME.id`. Changing it " +
					"detaches the volume and attaches it to the new cluster.",
				Required:      true,
				Validators:    []validator.String{clusterIDValidator},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{
				Create: true,
				Read:   true,
				Delete: true,
				CreateDescription: "Bounds the attach, until the engine reports it completed (the cluster's nodes have restarted). " +
					fmt.Sprintf("A positive Go duration. Default `%s`.", shortDuration(defaultAttachTimeout)),
				ReadDescription: "Bounds a refresh, which rides out rate limits (429) and engine errors (5xx) until then. " +
					fmt.Sprintf("A positive Go duration. Default `%s`.", shortDuration(defaultReadTimeout)),
				DeleteDescription: fmt.Sprintf("Bounds how long destroy waits for the engine to detach the volume. Default `%s`. ", shortDuration(defaultDetachTimeout)) +
					"On timeout the destroy fails and the attachment stays in the state.",
			}),
		},
	}
}

// ValidateConfig refuses timeouts of zero or less.
func (r *storageAttachmentResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	validatePositiveTimeouts(ctx, req.Config, &resp.Diagnostics)
}

// ModifyPlan warns, in every plan that attaches (a create or a
// replacement), that the engine restarts the cluster's nodes to do it.
func (r *storageAttachmentResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if r.data != nil && r.data.configErr != nil {
		resp.Diagnostics.Append(*r.data.configErr)
	}
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	var plan storageAttachmentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !req.State.Raw.IsNull() {
		var state storageAttachmentModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		if resp.Diagnostics.HasError() || (plan.StorageID.Equal(state.StorageID) && plan.ClusterID.Equal(state.ClusterID)) {
			return // no new attach
		}
	}
	resp.Diagnostics.Append(attachRestartWarning(plan.StorageID, plan.ClusterID))
}

// attachRestartWarning names the cluster (and volume) when they are known.
// A cluster id known only after apply almost always means a cluster created
// in the same apply, on which nothing runs yet: the warning says so rather
// than naming an unknown cluster twice.
func attachRestartWarning(storageID, clusterID types.String) diag.Diagnostic {
	volume := "the storage volume"
	if !storageID.IsUnknown() && !storageID.IsNull() {
		volume = "storage volume " + storageID.ValueString()
	}
	const summary = "Attaching storage restarts every node of the cluster"
	if clusterID.IsUnknown() || clusterID.IsNull() {
		return diag.NewAttributeWarningDiagnostic(path.Root("cluster_id"), summary,
			fmt.Sprintf("Applying this plan attaches %s to a cluster whose id is known only after apply. The engine restarts every "+
				"node of that cluster to mount it: harmless for a cluster created in this apply, as long as jobs on it refer to "+
				"this attachment (for example cluster_id = tensorpool_storage_attachment.NAME.cluster_id) so that they start after "+
				"it; on a cluster already in use, whatever runs on the nodes, jobs included, is interrupted.", volume))
	}
	cluster := "cluster " + clusterID.ValueString()
	return diag.NewAttributeWarningDiagnostic(path.Root("cluster_id"), summary,
		fmt.Sprintf("Applying this plan attaches %s to %s. The engine restarts every node of %s to mount it: whatever runs "+
			"on the nodes, jobs included, is interrupted. Apply when the cluster is idle.", volume, cluster, cluster))
}

func (r *storageAttachmentResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if data := providerDataFrom(req.ProviderData, &resp.Diagnostics); data != nil {
		r.data = data
	}
}

func (r *storageAttachmentResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan storageAttachmentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	ctx, api := engineFor(ctx, r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	createTimeout, diags := plan.Timeouts.Create(ctx, defaultAttachTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	createCtx, cancel := context.WithTimeout(ctx, createTimeout)
	defer cancel()
	storageID, clusterID := plan.StorageID.ValueString(), plan.ClusterID.ValueString()
	requestIDs, err := api.AttachStorage(createCtx, storageID, []string{clusterID})
	if client.IsBadRequest(err) && !client.IsUnconfirmed(err) && r.adoptAttached(createCtx, api, storageID, clusterID, createTimeout, &plan, resp) {
		return
	}
	if err != nil && !client.IsUnconfirmed(err) {
		resp.Diagnostics.AddError("Could not attach the TensorPool storage volume",
			fmt.Sprintf("Attaching storage volume %s to cluster %s failed: %s.\n\nAn attach is sent again only when the engine "+
				"provably did not act on it; fix the cause (the cluster must be running) and apply again.", storageID, clusterID, err))
		return
	}
	plan.ID = types.StringValue(storageID + attachmentIDSeparator + clusterID)
	setAttachmentIdentity(ctx, resp.Identity, plan, &resp.Diagnostics)
	if err != nil {
		// The engine may have taken the attach: the attachment's id is known,
		// so it is kept in the state (tainted), and refresh and destroy read
		// what the engine did. No request id follows it, and the engine does
		// not list an attach under way [INF]: the record of an unknown
		// outcome tells them not to take "not listed" for "not attached".
		resp.Diagnostics.Append(setAttachUnconfirmed(ctx, resp.Private, true)...)
		resp.Diagnostics.AddError("The TensorPool storage attach may be under way",
			fmt.Sprintf("Attaching storage volume %s to cluster %s: %s.\n\nThe attachment is kept in the Terraform state, marked "+
				"tainted: `terraform destroy` waits for the volume to list the cluster (see `tp storage info %s`) and detaches it; "+
				"the next `terraform apply` replaces the attachment: it detaches the volume and attaches it again or, when the "+
				"attach is still under way, waits for it and keeps it.", storageID, clusterID, err, storageID))
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	// Saved before the wait, with the attach's requests: a timeout or Ctrl-C
	// from here on leaves the attachment in the state (tainted), and refresh
	// and destroy know that an attach may still be under way.
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(setPendingAttach(ctx, resp.Private, requestIDs)...)
	tflog.Info(ctx, "TensorPool storage attach requested", map[string]any{"storage_id": storageID, "cluster_id": clusterID, "request_ids": requestIDs})
	if len(requestIDs) == 0 {
		// No request to follow: watch the volume's clusters instead.
		known, err := r.waitForMount(createCtx, api, storageID, clusterID, true, createTimeout)
		if !known {
			resp.Diagnostics.AddWarning("The engine gave no attach request to follow",
				fmt.Sprintf("The engine accepted the attach of storage volume %s to cluster %s without a request id and does not report "+
					"the volume's clusters, so the provider could not wait for the attach to finish.", storageID, clusterID))
		}
		if err != nil {
			resp.Diagnostics.AddError(requestErrorSummary(attachSummaries, err),
				fmt.Sprintf("%s (timeouts.create = %s).\n\nThe attach of storage volume %s to cluster %s was requested, so the attachment "+
					"is kept in the Terraform state, marked tainted: `terraform destroy` detaches the volume.", err, createTimeout, storageID, clusterID))
			return
		}
	}
	for _, requestID := range requestIDs {
		if _, err := awaitRequest(createCtx, api, requestID, "attaching storage "+storageID+" to cluster "+clusterID, createTimeout); err != nil {
			resp.Diagnostics.AddError(requestErrorSummary(attachSummaries, err),
				fmt.Sprintf("%s (timeouts.create = %s).\n\nThe attach of storage volume %s to cluster %s was requested, so the attachment "+
					"is kept in the Terraform state, marked tainted: `terraform destroy` waits for the attach to end and detaches "+
					"the volume; the next `terraform apply` replaces the attachment: it detaches the volume and attaches it again "+
					"or, when the attach is still under way, waits for it and keeps it.", err, createTimeout, storageID, clusterID))
			return
		}
	}
	resp.Diagnostics.Append(setPendingAttach(ctx, resp.Private, nil)...)
}

func (r *storageAttachmentResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state storageAttachmentModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, api := engineFor(ctx, r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	readTimeout, diags := state.Timeouts.Read(ctx, defaultReadTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	storageID, clusterID := state.StorageID.ValueString(), state.ClusterID.ValueString()
	storage, err := readPatiently(ctx, r.data, readTimeout, func(ctx context.Context) (*client.Storage, error) { return api.GetStorage(ctx, storageID) })
	gone := ""
	switch goneNow, notFound := storageGone(storage, err); {
	case goneNow && notFound:
		gone = fmt.Sprintf("Storage volume %s was not found in the engine", storageID)
	case goneNow:
		gone = fmt.Sprintf("Storage volume %s is %s", storageID, statusText(storage.Status))
	case err != nil:
		resp.Diagnostics.AddError("Could not read the TensorPool storage attachment",
			fmt.Sprintf("Reading storage volume %s failed: %s", storageID, err))
		return
	case storage.ClusterIDs != nil && !slices.Contains(storage.ClusterIDs, clusterID):
		// Not attached (yet): an attach whose create timed out may still be
		// under way, and then the attachment is kept.
		pending, diags := r.attachInProgress(ctx, api, req.Private, resp.Private, readTimeout)
		resp.Diagnostics.Append(diags...)
		if pending || diags.HasError() {
			break
		}
		// An attach whose answer was lost may be under way too: the engine
		// does not list it [INF], so the attachment is kept (destroy waits
		// for the volume to list the cluster before detaching).
		if unconfirmed, diags := attachUnconfirmed(ctx, req.Private); unconfirmed || diags.HasError() {
			resp.Diagnostics.Append(diags...)
			break
		}
		gone = fmt.Sprintf("The engine reports storage volume %s attached to %s, not to cluster %s", storageID, clusterList(storage.ClusterIDs), clusterID)
	}
	// When the engine does not report the clusters (a message-only answer),
	// the attachment is kept: nothing says it ended.
	if gone != "" {
		// A detach this provider sent (a destroy that timed out) may have
		// finished since: that is no change outside Terraform.
		if detach, _ := pendingDetach(ctx, req.Private); detach != "" {
			tflog.Info(ctx, "TensorPool storage attachment detached by an earlier destroy", map[string]any{
				"storage_id": storageID, "cluster_id": clusterID, "request_id": detach,
			})
			setAttachmentIdentity(ctx, resp.Identity, state, &resp.Diagnostics)
			resp.State.RemoveResource(ctx)
			return
		}
		resp.Diagnostics.AddWarning("TensorPool storage attachment no longer exists",
			gone+" (changed outside Terraform), so the attachment is removed from the state. The next apply attaches the volume "+
				"again, which restarts every node of the cluster.")
		setAttachmentIdentity(ctx, resp.Identity, state, &resp.Diagnostics)
		resp.State.RemoveResource(ctx)
		return
	}
	if gone == "" && storage != nil && slices.Contains(storage.ClusterIDs, clusterID) {
		// Listed: an attach whose answer was lost has been carried out.
		resp.Diagnostics.Append(setAttachUnconfirmed(ctx, resp.Private, false)...)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	setAttachmentIdentity(ctx, resp.Identity, state, &resp.Diagnostics)
}

func clusterList(ids []string) string {
	if len(ids) == 0 {
		return "no cluster"
	}
	return strings.Join(ids, ", ")
}

// Update only stores new timeouts: every other change replaces the attachment.
func (r *storageAttachmentResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan storageAttachmentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	setAttachmentIdentity(ctx, resp.Identity, plan, &resp.Diagnostics)
}

// ImportState takes "<storage_id>/<cluster_id>", or (Terraform ≥ 1.12) an
// identity `{ storage_id, cluster_id }`.
func (r *storageAttachmentResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	storageID, clusterID, err := importedAttachment(ctx, req, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Invalid storage attachment id to import", err.Error())
		return
	}
	imported := storageAttachmentModel{
		ID:        types.StringValue(storageID + attachmentIDSeparator + clusterID),
		StorageID: types.StringValue(storageID),
		ClusterID: types.StringValue(clusterID),
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), imported.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("storage_id"), imported.StorageID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("cluster_id"), imported.ClusterID)...)
	setAttachmentIdentity(ctx, resp.Identity, imported, &resp.Diagnostics)
}

// parseAttachmentID splits "<storage_id>/<cluster_id>".
func parseAttachmentID(id string) (storageID, clusterID string, err error) {
	storageID, clusterID, ok := strings.Cut(id, attachmentIDSeparator)
	if ok {
		if err = validateEngineID(storageKind, storageID); err == nil {
			err = validateEngineID(clusterKind, clusterID)
		}
	}
	if !ok || err != nil {
		return "", "", fmt.Errorf("%q is not a storage attachment id: the expected format is `<storage_id>/<cluster_id>`, "+
			"for example `terraform import tensorpool_storage_attachment.NAME s-0123abcd/c-4567ef01`", id)
	}
	return storageID, clusterID, nil
}

// privatePendingAttach holds the attach's request ids while the attach may
// still be under way (its create timed out or was interrupted).
const privatePendingAttach = "pending_attach_requests"

// setPendingAttach records the attach's request ids, or clears them (nil).
func setPendingAttach(ctx context.Context, private privateSetter, requestIDs []string) diag.Diagnostics {
	if len(requestIDs) == 0 {
		return private.SetKey(ctx, privatePendingAttach, nil)
	}
	value, err := json.Marshal(requestIDs)
	if err != nil {
		var diags diag.Diagnostics
		diags.AddError("Could not record the attach's requests", err.Error())
		return diags
	}
	return private.SetKey(ctx, privatePendingAttach, value)
}

// pendingAttach is what setPendingAttach recorded.
func pendingAttach(ctx context.Context, private privateGetter) ([]string, diag.Diagnostics) {
	if private == nil {
		return nil, nil
	}
	value, diags := private.GetKey(ctx, privatePendingAttach)
	if diags.HasError() || len(value) == 0 {
		return nil, diags
	}
	var ids []string
	if err := json.Unmarshal(value, &ids); err != nil {
		diags.AddError("Could not read the attach's requests", err.Error())
	}
	return ids, diags
}

// attachInProgress reports whether a recorded attach request has not ended
// yet; once all have ended, the record is cleared.
func (r *storageAttachmentResource) attachInProgress(ctx context.Context, api *client.Client, from privateGetter, to privateSetter, timeout time.Duration) (bool, diag.Diagnostics) {
	ids, diags := pendingAttach(ctx, from)
	if diags.HasError() || len(ids) == 0 {
		return false, diags
	}
	for _, id := range ids {
		request, err := readPatiently(ctx, r.data, timeout, func(ctx context.Context) (*client.Request, error) { return api.GetRequest(ctx, id) })
		if err != nil && !client.IsNotFound(err) {
			diags.AddError("Could not read the TensorPool storage attach request", fmt.Sprintf("Reading request %s failed: %s", id, err))
			return false, diags
		}
		if err == nil && !request.Status.Terminal() {
			return true, diags
		}
	}
	diags.Append(setPendingAttach(ctx, to, nil)...)
	return false, diags
}

// privateAttachUnconfirmed is set while the outcome of the attach that
// created the attachment is unknown: its answer was lost (an interrupt, a
// timeout, a dropped connection) before it gave a request id, and the
// engine does not list an attach under way [INF]. It is cleared once the
// volume lists the cluster.
const privateAttachUnconfirmed = "attach_unconfirmed"

// setAttachUnconfirmed records (true) or clears (false) that the attach's
// outcome is unknown.
func setAttachUnconfirmed(ctx context.Context, private privateSetter, unconfirmed bool) diag.Diagnostics {
	value := ""
	if unconfirmed {
		value = "true"
	}
	return setPrivateString(ctx, private, privateAttachUnconfirmed, value)
}

// attachUnconfirmed is what setAttachUnconfirmed recorded.
func attachUnconfirmed(ctx context.Context, private privateGetter) (bool, diag.Diagnostics) {
	value, diags := privateString(ctx, private, privateAttachUnconfirmed)
	return value == "true", diags
}

// adoptAttached settles an attach the engine refused (400) by reading:
// when the volume lists the cluster, the attachment this resource asks for
// exists (typically the attach of an interrupted apply: Terraform plans the
// replacement of a tainted object as a create without its private state, so
// the destroy half of that replacement does not know that an attach may be
// under way, takes its refused detach for "not attached", and this create
// meets the attach), and it is taken into the state, as
// an import would, so that the apply converges and nothing stays attached
// outside the state. Nothing is sent: the nodes do not restart again. When
// the volume does not list the cluster although both are ready (a ready
// volume, a RUNNING cluster), the refusal can only be an attach under way,
// which the engine does not list [INF]: it waits, within timeouts.create,
// for the volume to list the cluster. It reports whether it settled the
// create (resp then holds the state and any error); otherwise the caller
// reports the refusal.
func (r *storageAttachmentResource) adoptAttached(ctx context.Context, api *client.Client, storageID, clusterID string, timeout time.Duration, plan *storageAttachmentModel, resp *resource.CreateResponse) bool {
	storage, err := readPatiently(ctx, r.data, timeout, func(ctx context.Context) (*client.Storage, error) { return api.GetStorage(ctx, storageID) })
	if err != nil || storage.ClusterIDs == nil {
		return false
	}
	plan.ID = types.StringValue(storageID + attachmentIDSeparator + clusterID)
	if !slices.Contains(storage.ClusterIDs, clusterID) {
		if !statusIs(storage.Status, storageAvailable) && !statusIs(storage.Status, storageAttached) {
			return false
		}
		cluster, err := readPatiently(ctx, r.data, timeout, func(ctx context.Context) (*client.Cluster, error) { return api.GetCluster(ctx, clusterID) })
		if err != nil || !statusIs(cluster.Status, clusterRunning) {
			return false
		}
		tflog.Info(ctx, "TensorPool storage attach refused while neither volume nor cluster is busy: waiting for an attach under way", map[string]any{"storage_id": storageID, "cluster_id": clusterID})
		if _, err := r.waitForMount(ctx, api, storageID, clusterID, true, timeout); err != nil {
			// Still not listed: the attach under way is kept in the state
			// (tainted), with its outcome unknown, as a lost answer is.
			resp.Diagnostics.AddError(requestErrorSummary(attachUnderWaySummaries, err),
				fmt.Sprintf("%s (timeouts.create = %s).\n\nThe engine refused to attach storage volume %s to cluster %s although both "+
					"are ready, which means an attach is already under way (an interrupted apply's), but the volume does not list the "+
					"cluster yet. The attachment is kept in the Terraform state, marked tainted: check with `tp storage info %s`, then "+
					"run `terraform apply` (or `terraform destroy`) again.", err, timeout, storageID, clusterID, storageID))
			resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
			resp.Diagnostics.Append(setAttachUnconfirmed(ctx, resp.Private, true)...)
			setAttachmentIdentity(ctx, resp.Identity, *plan, &resp.Diagnostics)
			return true
		}
	}
	tflog.Info(ctx, "TensorPool storage volume already attached to the cluster; adopting the attachment", map[string]any{"storage_id": storageID, "cluster_id": clusterID})
	resp.Diagnostics.AddWarning("The TensorPool storage volume was already attached",
		fmt.Sprintf("The engine refused to attach storage volume %s to cluster %s because the volume is already attached to it "+
			"(an earlier, interrupted apply may have attached it, or it was attached outside Terraform). That attachment is "+
			"what this resource asks for, so it is now in the Terraform state: no second attach was sent, so the cluster's "+
			"nodes did not restart for it, and `terraform destroy` detaches the volume.", storageID, clusterID))
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
	setAttachmentIdentity(ctx, resp.Identity, *plan, &resp.Diagnostics)
	return true
}

// waitForMount is the wait for an attach (attached = true) or a detach
// answered without a request id, as the official CLI allows: it reads the
// volume until the engine lists the cluster among the volume's clusters (or
// no longer does), riding out engine outages, within timeout. A volume the
// engine no longer knows is detached; an engine that does not report the
// volume's clusters cannot be watched, which known reports as false.
func (r *storageAttachmentResource) waitForMount(ctx context.Context, api *client.Client, storageID, clusterID string, attached bool, timeout time.Duration) (known bool, err error) {
	known = true
	wait := waitConfig{Policy: r.data.opts.PollPolicy, Clock: r.data.opts.Clock, Timeout: timeout}
	read := func(ctx context.Context) (*client.Storage, error) { return api.GetStorage(ctx, storageID) }
	err = waitByReading(ctx, wait, read, func(storage *client.Storage) bool {
		if storage.ClusterIDs == nil {
			known = false
			return true
		}
		return slices.Contains(storage.ClusterIDs, clusterID) == attached
	}, "reading storage volume "+storageID+" while waiting for it to be "+mountWord(attached))
	return known, err
}

func mountWord(attached bool) string {
	if attached {
		return "attached"
	}
	return "detached"
}

// attachSummaries are the summaries of a wait that ended before
// its outcome, when attaching the TensorPool storage volume.
var attachSummaries = requestSummaries{
	Failed:      "The engine reports a FAILED request attaching the TensorPool storage volume",
	TimedOut:    "Timed out attaching the TensorPool storage volume",
	Interrupted: "Interrupted (Ctrl-C) while attaching the TensorPool storage volume",
	Other:       "Error attaching the TensorPool storage volume",
}

// attachUnderWaySummaries are the summaries of a wait that ended before
// its outcome, when waiting for the storage attach under way to show.
var attachUnderWaySummaries = requestSummaries{
	Failed:      "The engine reports a FAILED request waiting for the storage attach under way to show",
	TimedOut:    "Timed out waiting for the storage attach under way to show",
	Interrupted: "Interrupted (Ctrl-C) while waiting for the storage attach under way to show",
	Other:       "Error waiting for the storage attach under way to show",
}
