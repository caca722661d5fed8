package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// A cluster claim waits for GPU capacity, which can take long; a release or
// an edit is the engine's own work.
const (
	defaultClusterCreateTimeout = 60 * time.Minute
	defaultClusterUpdateTimeout = 30 * time.Minute
	defaultClusterDeleteTimeout = 30 * time.Minute
)

var (
	_ resource.ResourceWithConfigure      = (*clusterResource)(nil)
	_ resource.ResourceWithImportState    = (*clusterResource)(nil)
	_ resource.ResourceWithValidateConfig = (*clusterResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*clusterResource)(nil)
	_ resource.ResourceWithIdentity       = (*clusterResource)(nil)
)

// NewClusterResource returns the tensorpool_cluster resource.
func NewClusterResource() resource.Resource { return &clusterResource{} }

type clusterResource struct {
	data *providerData
}

type clusterResourceModel struct {
	ID                 types.String   `tfsdk:"id"`
	InstanceType       types.String   `tfsdk:"instance_type"`
	NumNodes           types.Int64    `tfsdk:"num_nodes"`
	Name               types.String   `tfsdk:"name"`
	Container          types.String   `tfsdk:"container"`
	PublicKeys         types.List     `tfsdk:"public_keys"`
	DeletionProtection types.Bool     `tfsdk:"deletion_protection"`
	Timeouts           timeouts.Value `tfsdk:"timeouts"`
	clusterEngineModel
}

func (r *clusterResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_cluster"
}

const replaceClusterDescription = "Changing this value releases the cluster and claims a new one, except right after an import, " +
	"when a value the engine does not report is adopted from the configuration."

func (r *clusterResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replaceString := stringplanmodifier.RequiresReplaceIf(replaceClusterUnlessAdoptingString, replaceClusterDescription, replaceClusterDescription)
	resp.Schema = schema.Schema{
		MarkdownDescription: "A TensorPool GPU cluster. Creating it claims the cluster and waits, within `timeouts.create`, until the " +
			"engine has it running (GPU capacity can take a while: the claim retries until it gets some). Destroying it releases the " +
			"cluster and waits, within `timeouts.delete`, until the engine confirms the release, so that nothing bills after a " +
			"destroy succeeds. `name` and `deletion_protection` change in place; any other change replaces the cluster.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The cluster id the engine assigned (for example `c-0123456789ab`). Use it as a job's `cluster_id`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"instance_type": schema.StringAttribute{
				MarkdownDescription: clusterFieldDescriptions["instance_type"] + " Changing it replaces the cluster.",
				Required:            true,
				Validators: []validator.String{stringvalidator.RegexMatches(regexp.MustCompile(`^\S+$`),
					"must be a TensorPool instance type such as \"1xH100\" or \"8xB200\", without spaces")},
				PlanModifiers: []planmodifier.String{replaceString},
			},
			"num_nodes": schema.Int64Attribute{
				MarkdownDescription: clusterFieldDescriptions["num_nodes"] + " At least 1; default `1`. Changing it replaces the cluster.",
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(1),
				Validators:          []validator.Int64{int64validator.AtLeast(1)},
				PlanModifiers: []planmodifier.Int64{
					int64planmodifier.RequiresReplaceIf(replaceClusterUnlessAdoptingInt64, replaceClusterDescription, replaceClusterDescription),
				},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: clusterFieldDescriptions["name"] + " Changes in place (`PATCH /cluster/edit`). When it is not set, " +
					"the state shows the name the engine reports, and removing it from the configuration keeps the current name. " +
					"A rename outside Terraform shows as an in-place update back to the configured name.",
				Optional:      true,
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"container": schema.StringAttribute{
				MarkdownDescription: clusterFieldDescriptions["container"] + " When it is not set, the engine's default applies and " +
					"the state shows what the engine reports. Changing it replaces the cluster.",
				Optional: true,
				Computed: true,
				// UseStateForUnknown keeps a null state too (framework ≥ 1.15),
				// so an unset container never replaces the cluster.
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown(), replaceString},
			},
			"public_keys": schema.ListAttribute{
				MarkdownDescription: "SSH public keys (OpenSSH lines such as `ssh-ed25519 AAAA… me@laptop`) installed on the cluster's " +
					"nodes, in addition to the keys saved to the account, which the engine adds to every cluster created after them. " +
					"Referencing a `tensorpool_ssh_key`'s `public_key` here also makes Terraform save that key before claiming the " +
					"cluster, without `depends_on`. The engine does not report a cluster's keys, so a change outside Terraform is not " +
					"seen. Changing it replaces the cluster.",
				Optional:    true,
				ElementType: types.StringType,
				Validators:  []validator.List{listvalidator.ValueStringsAre(clusterPublicKeyValidator{})},
				PlanModifiers: []planmodifier.List{
					listplanmodifier.RequiresReplaceIf(replaceClusterUnlessAdoptingList, replaceClusterDescription, replaceClusterDescription),
				},
			},
			"deletion_protection": schema.BoolAttribute{
				MarkdownDescription: "When `true`, `terraform destroy`, `terraform apply -replace` or a change that replaces the cluster " +
					"fails at plan time, before anything (a job on the cluster, an attachment) is destroyed, and the engine itself refuses to " +
					"release the cluster. Default `false`. Changes in place. To destroy a protected cluster, set it to `false`, apply, then " +
					"destroy. A cluster whose claim never finished (tainted after a timeout) is released by destroy all the same, as its " +
					"create error says. A tainted cluster's replacement is not visible at plan time: see `lifecycle { prevent_destroy }` below.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"status": schema.StringAttribute{MarkdownDescription: clusterFieldDescriptions["status"], Computed: true},
			"instance_ids": schema.ListAttribute{
				MarkdownDescription: clusterFieldDescriptions["instance_ids"],
				Computed:            true,
				ElementType:         types.StringType,
				PlanModifiers:       []planmodifier.List{listplanmodifier.UseStateForUnknown()},
			},
			"cluster_info_json": schema.StringAttribute{MarkdownDescription: clusterFieldDescriptions["cluster_info_json"], Computed: true},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{
				Create: true, Read: true, Update: true, Delete: true,
				CreateDescription: "Bounds the claim: the create request and the wait until the engine has the cluster running, " +
					"capacity retries included. " + fmt.Sprintf("A positive Go duration such as `\"90m\"`. Default `%s`. ", shortDuration(defaultClusterCreateTimeout)) +
					"On timeout the cluster stays in the state, marked tainted, because the claim may still complete; destroy releases it.",
				ReadDescription: "Bounds a refresh of the cluster, which rides out rate limits (429) and engine errors (5xx) until then. " +
					fmt.Sprintf("A positive Go duration. Default `%s`.", shortDuration(defaultReadTimeout)),
				UpdateDescription: fmt.Sprintf("Bounds a rename or a change of `deletion_protection` and the wait for it. A positive Go duration. Default `%s`.",
					shortDuration(defaultClusterUpdateTimeout)),
				DeleteDescription: fmt.Sprintf("Bounds how long destroy waits for the engine to release the cluster. A positive Go duration. Default `%s`. ",
					shortDuration(defaultClusterDeleteTimeout)) +
					"On timeout the destroy fails and the cluster stays in the state; run destroy again to keep waiting. Terraform reads this " +
					"value from the state, so apply a change to it before running destroy.",
			}),
		},
	}
}

// IdentitySchema: a cluster's identity is its id (object_identity.go).
func (r *clusterResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = idIdentitySchema("The cluster id the engine assigned, as in `tp cluster list`.")
}

// The conditions of RequiresReplaceIf for the cluster's inputs: every change
// replaces the cluster, except, right after an import, a value the engine
// did not report (the state has none), which is adopted in place.
func replaceClusterUnlessAdoptingString(ctx context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = !adopting(ctx, req.Private, req.StateValue.IsNull())
}

func replaceClusterUnlessAdoptingInt64(ctx context.Context, req planmodifier.Int64Request, resp *int64planmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = !adopting(ctx, req.Private, req.StateValue.IsNull())
}

func replaceClusterUnlessAdoptingList(ctx context.Context, req planmodifier.ListRequest, resp *listplanmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = !adopting(ctx, req.Private, req.StateValue.IsNull())
}

// ValidateConfig refuses timeouts that could never let an operation run.
func (r *clusterResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	validatePositiveTimeouts(ctx, req.Config, &resp.Diagnostics)
}

// ModifyPlan reports a provider setting from the environment that cannot be
// used, notes the cluster as one this configuration manages (for the job's
// teardown_cluster warning), and stops at plan time a replacement that
// deletion_protection would stop half-way at apply time.
func (r *clusterResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if r.data != nil && r.data.configErr != nil {
		resp.Diagnostics.Append(*r.data.configErr)
	}
	checkDeletionProtection(ctx, clusterKind, req, resp)
	if req.State.Raw.IsNull() {
		return // a create
	}
	var state clusterResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	recordManagedCluster(r.data, state.ID)
	if req.Plan.Raw.IsNull() || !state.DeletionProtection.ValueBool() || createUnfinished(ctx, req.Private) {
		return
	}
	var plan clusterResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if attr := replacingAttribute(ctx, req, plan, state); attr != "" {
		resp.Diagnostics.AddAttributeError(path.Root(attr), "The cluster is protected from deletion",
			fmt.Sprintf("Changing %s replaces cluster %s, which has deletion_protection = true, so the apply would stop before "+
				"releasing it. To replace it, first set deletion_protection = false (alone) and apply, then apply this change.",
				attr, state.ID.ValueString()))
	}
}

// replacingAttribute names an input whose planned change replaces the
// cluster, as the attributes' RequiresReplaceIf decide (their verdicts are
// not visible to the resource's ModifyPlan), or "". A value not known yet
// may not change anything, so it is not named.
func replacingAttribute(ctx context.Context, req resource.ModifyPlanRequest, plan, state clusterResourceModel) string {
	for _, c := range []struct {
		name               string
		changed, stateNull bool
	}{
		{"instance_type", !plan.InstanceType.IsUnknown() && !plan.InstanceType.Equal(state.InstanceType), state.InstanceType.IsNull()},
		{"num_nodes", !plan.NumNodes.IsUnknown() && !plan.NumNodes.Equal(state.NumNodes), state.NumNodes.IsNull()},
		{"container", !plan.Container.IsUnknown() && !plan.Container.Equal(state.Container), state.Container.IsNull()},
		{"public_keys", !plan.PublicKeys.IsUnknown() && !plan.PublicKeys.Equal(state.PublicKeys), state.PublicKeys.IsNull()},
	} {
		if c.changed && !adopting(ctx, req.Private, c.stateNull) {
			return c.name
		}
	}
	return ""
}

func (r *clusterResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if data := providerDataFrom(req.ProviderData, &resp.Diagnostics); data != nil {
		r.data = data
	}
}

// Create claims the cluster and follows the claim within timeouts.create
// (followCreate: the cluster is in the state from the moment the engine
// names it).
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
	// Set with the id: a create that ends in an error still keeps the
	// cluster in the state (tainted), identity included.
	setIDIdentity(ctx, resp.Identity, plan.ID, &resp.Diagnostics)
	if created.InstanceIDs != nil {
		plan.InstanceIDs = stringList(ctx, created.InstanceIDs, &resp.Diagnostics)
	}
	recordManagedCluster(r.data, plan.ID)
	// The cluster is in the state before the wait (followCreate). A copy:
	// the plan's unknowns are what fillFromCluster fills.
	saved := plan
	saved.setUnknownAsNull()
	resp.Diagnostics.Append(resp.State.Set(ctx, &saved)...)
	result := followCreate(ctx, createCtx, r.data, api, objectCreate[*client.Cluster]{
		Kind: clusterKind, ID: id, RequestID: created.RequestID,
		Adopted: created.Adopted, Ready: func(cl *client.Cluster) bool { return statusIs(cl.Status, clusterRunning) },
		Read:    func(ctx context.Context) (*client.Cluster, error) { return api.GetCluster(ctx, id) },
		Status:  clusterStatus,
		Timeout: createTimeout, ReadTimeout: readTimeout,
	}, &resp.State, resp.Private, &resp.Diagnostics)
	if result.Removed {
		return
	}
	if result.Read {
		plan.fillFromCluster(ctx, result.Object, &resp.Diagnostics)
	}
	plan.setUnknownAsNull()
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
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
	case client.IsUnconfirmed(err):
		return err.Error() + ".\n\nThe engine's answer did not arrive, and the provider could not tell which cluster, if any, " +
			"the claim made, so none was put in the state. Check `tp cluster list` before applying again: such a claim is never " +
			"sent again, because that could claim (and bill) a second cluster. A cluster you keep can be imported with an import block."
	case client.IsOutage(err), errors.Is(err, context.DeadlineExceeded):
		return err.Error() + ".\n\nThe engine refused the claim without acting on it (a rate limit, or unavailable), also " +
			"when the provider tried again until timeouts.create ended: nothing was claimed. Apply again when the engine is back."
	}
	return err.Error() + "."
}

func (r *clusterResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state clusterResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, api := engineFor(ctx, r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.ID.ValueString()
	readTimeout, diags := state.Timeouts.Read(ctx, defaultReadTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	cluster, err := readCluster(ctx, r.data, api, id, readTimeout)
	if gone, notFound := clusterGone(cluster, err); gone {
		detail := fmt.Sprintf("Cluster %s was not found in the engine (released outside Terraform), so it is removed from the state. "+
			"The next apply claims a new cluster.", id)
		if !notFound {
			detail = fmt.Sprintf("Cluster %s is %s (released outside Terraform), so it is removed from the state. "+
				"The next apply claims a new cluster.", id, statusText(cluster.Status))
		}
		resp.Diagnostics.AddWarning("TensorPool cluster no longer exists", detail)
		setIDIdentity(ctx, resp.Identity, state.ID, &resp.Diagnostics)
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Could not read the TensorPool cluster", fmt.Sprintf("Reading cluster %s failed: %s", id, err))
		return
	}
	state.setFromCluster(ctx, cluster, &resp.Diagnostics)
	recordManagedCluster(r.data, state.ID)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	setIDIdentity(ctx, resp.Identity, state.ID, &resp.Diagnostics)
}

// setFromCluster copies what the engine reported into the resource. Values
// the engine leaves out keep the state's (never a false drift). name and
// deletion_protection, which change in place, follow the engine, so that a
// change made outside Terraform shows as an update back to the configured
// value. The inputs that replace the cluster are taken from the engine only
// when the state has none (after an import): a spelling of the engine's
// must never replace a running cluster.
func (m *clusterResourceModel) setFromCluster(ctx context.Context, cluster *client.Cluster, diags *diag.Diagnostics) {
	m.clusterEngineModel.setFromCluster(ctx, cluster, diags)
	if cluster.Name != nil {
		m.Name = types.StringValue(*cluster.Name)
	}
	if cluster.DeletionProtection != nil {
		m.DeletionProtection = types.BoolValue(*cluster.DeletionProtection)
	}
	if (m.InstanceType.IsNull() || m.InstanceType.IsUnknown()) && cluster.InstanceType != nil {
		m.InstanceType = types.StringValue(*cluster.InstanceType)
	}
	if (m.NumNodes.IsNull() || m.NumNodes.IsUnknown()) && cluster.NumNodes != nil {
		m.NumNodes = types.Int64Value(*cluster.NumNodes)
	}
	if (m.Container.IsNull() || m.Container.IsUnknown()) && cluster.Container != nil {
		m.Container = types.StringValue(*cluster.Container)
	}
}

// fillFromCluster is setFromCluster after an apply: the values the plan
// already knew stand (Terraform refuses a result that differs from them,
// and an engine whose info lags behind an edit must not undo it), the
// unknown ones come from the engine.
func (m *clusterResourceModel) fillFromCluster(ctx context.Context, cluster *client.Cluster, diags *diag.Diagnostics) {
	planned := *m
	m.setFromCluster(ctx, cluster, diags)
	if !planned.Name.IsUnknown() {
		m.Name = planned.Name
	}
	if !planned.DeletionProtection.IsUnknown() {
		m.DeletionProtection = planned.DeletionProtection
	}
	if !planned.InstanceIDs.IsUnknown() {
		m.InstanceIDs = planned.InstanceIDs
	}
}

// setUnknownAsNull makes a state with what the plan left unknown valid.
func (m *clusterResourceModel) setUnknownAsNull() {
	m.clusterEngineModel.setUnknownAsNull()
	if m.Name.IsUnknown() {
		m.Name = types.StringNull()
	}
	if m.Container.IsUnknown() {
		m.Container = types.StringNull()
	}
}

func (r *clusterResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id := importedID(ctx, req, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := validateEngineID(clusterKind, id); err != nil {
		resp.Diagnostics.AddError("Invalid cluster id to import", err.Error()+
			". Import with `terraform import tensorpool_cluster.NAME <cluster id>`, or an import block with `id = \"<cluster id>\"` "+
			"or `identity = { id = \"<cluster id>\" }`; `tp cluster list` shows the ids.")
		return
	}
	resp.Diagnostics.Append(r.seedImport(ctx, id, &resp.State)...)
	setIDIdentity(ctx, resp.Identity, types.StringValue(id), &resp.Diagnostics)
	// What the engine does not report (public_keys, and any other input
	// when it answers with a message only) is adopted from the
	// configuration at the next apply, in place.
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateAdopt, []byte("true"))...)
}

// seedImport writes what an import knows before the refresh: the id.
func (r *clusterResource) seedImport(ctx context.Context, id string, state *tfsdk.State) diag.Diagnostics {
	return state.SetAttribute(ctx, path.Root("id"), id)
}

// Update renames the cluster or changes its deletion protection
// (PATCH /cluster/edit, then a wait for its request within timeouts.update),
// and adopts the configured inputs after an import. Any other change
// replaces the cluster.
func (r *clusterResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state clusterResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, api := engineFor(ctx, r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.ID.ValueString()
	updateTimeout, diags := plan.Timeouts.Update(ctx, defaultClusterUpdateTimeout)
	resp.Diagnostics.Append(diags...)
	readTimeout, diags := plan.Timeouts.Read(ctx, defaultReadTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	var edit client.ClusterEdit
	if changed(plan.Name, state.Name) {
		edit.Name = plan.Name.ValueStringPointer()
	}
	if !plan.DeletionProtection.IsUnknown() && !plan.DeletionProtection.Equal(state.DeletionProtection) {
		edit.DeletionProtection = plan.DeletionProtection.ValueBoolPointer()
	}
	if edit != (client.ClusterEdit{}) {
		updateCtx, cancel := context.WithTimeout(ctx, updateTimeout)
		defer cancel()
		requestID, err := untilSettled(updateCtx, waitConfig{Policy: r.data.opts.PollPolicy, Clock: r.data.opts.Clock, Timeout: updateTimeout},
			func(ctx context.Context) (string, error) { return api.EditCluster(ctx, id, edit) })
		if err == nil && requestID != "" {
			_, err = awaitRequest(updateCtx, api, requestID, "updating cluster "+id, updateTimeout)
		}
		if err != nil {
			// The state keeps what was there: the next refresh shows what
			// the engine did, and the next apply sends the edit again.
			resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
			setIDIdentity(ctx, resp.Identity, state.ID, &resp.Diagnostics)
			resp.Diagnostics.AddError("Could not update the TensorPool cluster",
				fmt.Sprintf("Changing %s of cluster %s failed: %s.\n\nThe cluster is unchanged in the Terraform state and keeps running. "+
					"Run `terraform apply` again to retry; the edit is safe to repeat.", editedFields(edit), id, err))
			return
		}
	}
	cluster, err := readCluster(ctx, r.data, api, id, readTimeout)
	if err != nil {
		resp.Diagnostics.AddWarning("Could not read the updated cluster",
			fmt.Sprintf("Cluster %s was updated, but reading it back failed: %s. The next plan or apply refreshes it.", id, err))
		plan.clusterEngineModel = state.clusterEngineModel
	} else {
		plan.fillFromCluster(ctx, cluster, &resp.Diagnostics)
	}
	plan.setUnknownAsNull()
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	setIDIdentity(ctx, resp.Identity, plan.ID, &resp.Diagnostics)
	// The configured inputs are now the cluster's: later changes replace it.
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateAdopt, nil)...)
	// An update is only planned for a cluster that is not tainted: one whose
	// create timed out is now kept (terraform untaint), and protected.
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateCreateUnfinished, nil)...)
}

// changed reports whether a planned string differs from the state's and
// is known (an unknown plan value is filled from the engine).
func changed(plan, state types.String) bool {
	return !plan.IsUnknown() && !plan.IsNull() && !plan.Equal(state)
}

func editedFields(edit client.ClusterEdit) string {
	switch {
	case edit.Name != nil && edit.DeletionProtection != nil:
		return "the name and deletion_protection"
	case edit.Name != nil:
		return "the name"
	}
	return "deletion_protection"
}

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
	if deleteProtected(ctx, clusterKind, id, state.DeletionProtection, req.Private, &resp.Diagnostics) {
		return
	}
	ctx, api := engineFor(ctx, r.data, &resp.Diagnostics)
	deleteTimeout, diags := state.Timeouts.Delete(ctx, defaultClusterDeleteTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	var unprotect func(ctx context.Context) (string, error)
	if state.DeletionProtection.ValueBool() {
		// Allowed by deleteProtected: a create that never finished, whose
		// protection the engine has all the same.
		unprotect = func(ctx context.Context) (string, error) {
			return api.EditCluster(ctx, id, client.ClusterEdit{DeletionProtection: new(false)})
		}
	}
	deleteObject(ctx, r.data, api, objectRelease[*client.Cluster]{
		Kind:      clusterKind,
		ID:        id,
		Send:      func(ctx context.Context) (string, error) { return api.DestroyCluster(ctx, id) },
		Read:      func(ctx context.Context) (*client.Cluster, error) { return api.GetCluster(ctx, id) },
		Status:    clusterStatus,
		Unprotect: unprotect,
	}, deleteTimeout, req.Private, resp.Private, &resp.Diagnostics)
}

// The cluster's find and status helpers, for CRUD above and for the shared
// create and release flows (follow_create.go, release_object.go).

// clusterDestroying is the status of a cluster whose release is under way
// [INF: the docs name only RUNNING].
const clusterDestroying = "DESTROYING"

// clusterRunning is a cluster ready for jobs [DOC].
const clusterRunning = "RUNNING"

// clusterStatus is what a cluster's status means to create and destroy:
// released as the client decides (destroyed or failed), being released
// while DESTROYING.
func clusterStatus(cluster *client.Cluster) objectStatus {
	return objectStatus{Status: cluster.Status, Released: cluster.Released(), Releasing: statusIs(cluster.Status, clusterDestroying)}
}

// readCluster reads a cluster patiently (readPatiently).
func readCluster(ctx context.Context, data *providerData, api *client.Client, id string, timeout time.Duration) (*client.Cluster, error) {
	return readPatiently(ctx, data, timeout, func(ctx context.Context) (*client.Cluster, error) { return api.GetCluster(ctx, id) })
}

// clusterGone reports whether a read found the cluster gone for good, and
// whether because the engine does not know it (readGone).
func clusterGone(cluster *client.Cluster, err error) (gone, notFound bool) {
	var status objectStatus
	if err == nil {
		status = clusterStatus(cluster)
	}
	return readGone(err, status)
}
