package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// A volume is created, grown and released through the engine's request
// tracker; none of these is as slow as a GPU claim.
const (
	defaultStorageCreateTimeout = 30 * time.Minute
	defaultStorageUpdateTimeout = 30 * time.Minute
	defaultStorageDeleteTimeout = 30 * time.Minute
)

var (
	_ resource.ResourceWithConfigure      = (*storageResource)(nil)
	_ resource.ResourceWithImportState    = (*storageResource)(nil)
	_ resource.ResourceWithValidateConfig = (*storageResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*storageResource)(nil)
	_ resource.ResourceWithIdentity       = (*storageResource)(nil)
)

// NewStorageResource returns the tensorpool_storage resource.
func NewStorageResource() resource.Resource { return &storageResource{} }

type storageResource struct {
	data *providerData
}

type storageResourceModel struct {
	ID                 types.String   `tfsdk:"id"`
	Size               types.Int64    `tfsdk:"size"`
	Name               types.String   `tfsdk:"name"`
	DeletionProtection types.Bool     `tfsdk:"deletion_protection"`
	Status             types.String   `tfsdk:"status"`
	StorageInfoJSON    types.String   `tfsdk:"storage_info_json"`
	Timeouts           timeouts.Value `tfsdk:"timeouts"`
}

// storageFieldDescriptions is the schema text shared by the resource and the
// data source.
var storageFieldDescriptions = map[string]string{
	"size": "Size of the volume in GB. The engine can grow a volume but not shrink it.",
	"name": "Name of the volume.",
	"deletion_protection": "Whether the engine refuses to delete the volume; with `true` a `terraform destroy` stops before " +
		"sending anything.",
	"status": "The volume's status as the engine last reported it (for example `PENDING`, `AVAILABLE`, `ATTACHED`, " +
		"`DESTROYING`). Null when the engine does not report it.",
	"storage_info_json": "The engine's whole `storage_info` object as JSON (or its whole answer when it sends only a " +
		"message), including fields this provider does not model yet. Read single fields with `jsondecode(...)`.",
}

func (r *storageResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_storage"
}

func (r *storageResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A TensorPool storage volume. It can be grown in place; it is never shrunk, and never replaced " +
			"by a change of `size`, because a replacement would destroy its data: a smaller `size` is a plan-time error. " +
			"Attach it to a cluster with `tensorpool_storage_attachment`.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The storage id the engine assigned.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"size": schema.Int64Attribute{
				MarkdownDescription: storageFieldDescriptions["size"] + " At least 1. Raising it grows the volume in place " +
					"(`PATCH /storage/edit`); lowering it below the volume's size is refused at plan time and nothing is sent.",
				Required:   true,
				Validators: []validator.Int64{int64validator.AtLeast(1)},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: storageFieldDescriptions["name"] + " Changed in place. When it is not set, the name the " +
					"engine reports is kept.",
				Optional:      true,
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"deletion_protection": schema.BoolAttribute{
				MarkdownDescription: storageFieldDescriptions["deletion_protection"] + " Default `false`. Changed in place; " +
					"to destroy a protected volume, set it to `false` and apply first. `terraform apply -replace` of a protected volume " +
					"fails at plan time too. A volume whose create never finished (tainted after a timeout) is destroyed all the same, " +
					"as its create error says.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"status":            schema.StringAttribute{MarkdownDescription: storageFieldDescriptions["status"], Computed: true},
			"storage_info_json": schema.StringAttribute{MarkdownDescription: storageFieldDescriptions["storage_info_json"], Computed: true},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{
				Create: true,
				Read:   true,
				Update: true,
				Delete: true,
				CreateDescription: "Bounds the creation of the volume, until the engine reports its request completed. " +
					fmt.Sprintf("A positive Go duration. Default `%s`.", shortDuration(defaultStorageCreateTimeout)),
				ReadDescription: "Bounds a refresh, which rides out rate limits (429) and engine errors (5xx) until then. " +
					fmt.Sprintf("A positive Go duration. Default `%s`.", shortDuration(defaultReadTimeout)),
				UpdateDescription: "Bounds a rename, a change of deletion protection or a grow, until the engine reports it " +
					fmt.Sprintf("completed. A positive Go duration. Default `%s`.", shortDuration(defaultStorageUpdateTimeout)),
				DeleteDescription: fmt.Sprintf("Bounds how long destroy waits for the engine to release the volume. Default `%s`. ", shortDuration(defaultStorageDeleteTimeout)) +
					"On timeout the destroy fails and the volume stays in the state. Terraform reads this value from the state, " +
					"so apply a change to it before running destroy.",
			}),
		},
	}
}

// IdentitySchema: a volume's identity is its id (object_identity.go).
func (r *storageResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = idIdentitySchema("The storage id the engine assigned, as in `tp storage list`.")
}

// ValidateConfig refuses timeouts of zero or less.
func (r *storageResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	validatePositiveTimeouts(ctx, req.Config, &resp.Diagnostics)
}

// ModifyPlan refuses to shrink a volume: the engine cannot, and a
// replacement would destroy its data. The state's size is the engine's (the
// refresh read it), so a volume grown outside Terraform beyond the
// configuration is caught here too.
func (r *storageResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if r.data != nil && r.data.configErr != nil {
		resp.Diagnostics.Append(*r.data.configErr)
	}
	checkDeletionProtection(ctx, storageKind, req, resp)
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() {
		return
	}
	var state, plan types.Int64
	var id types.String
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("size"), &state)...)
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("size"), &plan)...)
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("id"), &id)...)
	if resp.Diagnostics.HasError() || state.IsNull() || state.IsUnknown() || plan.IsNull() || plan.IsUnknown() {
		return
	}
	if plan.ValueInt64() < state.ValueInt64() {
		resp.Diagnostics.Append(storageShrinkError(id.ValueString(), state.ValueInt64(), plan.ValueInt64()))
	}
}

// storageShrinkError says why a smaller size cannot be applied and what to
// do, whether the configuration was lowered or the volume grew outside.
func storageShrinkError(id string, current, configured int64) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root("size"), "A storage volume cannot shrink",
		fmt.Sprintf("Storage volume %s is %d GB as the engine reports it, and the configuration sets size = %d. "+
			"The engine can grow a volume but cannot shrink it, and replacing the volume would destroy its data, so nothing is planned.\n\n"+
			"To go on, raise `size` in the configuration to at least %d (the engine's size; it may have been grown outside Terraform). "+
			"To get a smaller volume, create a new tensorpool_storage of the size you want, move the data to it, "+
			"then remove this one from the configuration.", id, current, configured, current))
}

func (r *storageResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if data := providerDataFrom(req.ProviderData, &resp.Diagnostics); data != nil {
		r.data = data
	}
}

func (r *storageResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan storageResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	ctx, api := engineFor(ctx, r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	createTimeout, diags := plan.Timeouts.Create(ctx, defaultStorageCreateTimeout)
	resp.Diagnostics.Append(diags...)
	readTimeout, diags := plan.Timeouts.Read(ctx, defaultReadTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	createCtx, cancel := context.WithTimeout(ctx, createTimeout)
	defer cancel()
	spec := client.StorageSpec{SizeGB: plan.Size.ValueInt64(), DeletionProtection: plan.DeletionProtection.ValueBool()}
	if !plan.Name.IsNull() && !plan.Name.IsUnknown() {
		spec.Name = plan.Name.ValueStringPointer()
	}
	created, err := api.CreateStorage(createCtx, spec)
	if err != nil {
		resp.Diagnostics.AddError("Could not create the TensorPool storage volume",
			fmt.Sprintf("%s.\n\nA create whose answer was lost and that the storage list cannot settle is never sent again, "+
				"because that could create a second volume; check `tp storage list` before applying again.", err))
		return
	}
	id := created.StorageID
	plan.ID = types.StringValue(id)
	// Set with the id: a create that ends in an error still keeps the
	// volume in the state (tainted), identity included.
	setIDIdentity(ctx, resp.Identity, plan.ID, &resp.Diagnostics)
	// The volume is in the state before the wait (followCreate).
	plan.setUnknownAsNull()
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	result := followCreate(ctx, createCtx, r.data, api, objectCreate[*client.Storage]{
		Kind: storageKind, ID: id, RequestID: created.RequestID,
		Adopted: created.Adopted, Ready: func(s *client.Storage) bool {
			return statusIs(s.Status, storageAvailable) || statusIs(s.Status, storageAttached)
		},
		Read:    func(ctx context.Context) (*client.Storage, error) { return api.GetStorage(ctx, id) },
		Status:  storageStatus,
		Timeout: createTimeout, ReadTimeout: readTimeout,
	}, &resp.State, resp.Private, &resp.Diagnostics)
	if result.Removed {
		return
	}
	if result.Read {
		plan.setFromStorage(result.Object, false)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *storageResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state storageResourceModel
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
	id := state.ID.ValueString()
	storage, err := readPatiently(ctx, r.data, readTimeout, func(ctx context.Context) (*client.Storage, error) { return api.GetStorage(ctx, id) })
	if gone, notFound := storageGone(storage, err); gone {
		detail := fmt.Sprintf("Storage volume %s was not found in the engine (destroyed outside Terraform), so it is removed from the state. "+
			"The next apply creates a new, empty volume.", id)
		if !notFound {
			detail = fmt.Sprintf("Storage volume %s is %s (destroyed outside Terraform), so it is removed from the state. "+
				"The next apply creates a new, empty volume.", id, statusText(storage.Status))
		}
		resp.Diagnostics.AddWarning("TensorPool storage volume no longer exists", detail)
		setIDIdentity(ctx, resp.Identity, state.ID, &resp.Diagnostics)
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Could not read the TensorPool storage volume", fmt.Sprintf("Reading storage volume %s failed: %s", id, err))
		return
	}
	state.setFromStorage(storage, true)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	setIDIdentity(ctx, resp.Identity, state.ID, &resp.Diagnostics)
}

// Update renames, protects or grows the volume in one edit. On any error
// the state keeps its previous values; the next refresh reads what the
// engine did.
func (r *storageResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state storageResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, api := engineFor(ctx, r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	updateTimeout, diags := plan.Timeouts.Update(ctx, defaultStorageUpdateTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.ID.ValueString()
	edit, changed := storageEditFor(state, plan)
	updateCtx, cancel := context.WithTimeout(ctx, updateTimeout)
	defer cancel()
	if changed {
		requestID, err := api.EditStorage(updateCtx, id, edit)
		if err != nil {
			resp.Diagnostics.AddError("Could not change the TensorPool storage volume", fmt.Sprintf("Editing storage volume %s failed: %s.", id, err))
			return
		}
		if requestID != "" {
			if _, err := awaitRequest(updateCtx, api, requestID, "changing storage "+id, updateTimeout); err != nil {
				resp.Diagnostics.AddError(requestErrorSummary(storageChangeSummaries, err),
					fmt.Sprintf("%s (timeouts.update = %s).\n\nThe change was sent to the engine and may still complete; the state keeps "+
						"the previous values until the next refresh reads what the engine did. Run `terraform apply` again.", err, updateTimeout))
				return
			}
		}
	}
	plan.Status, plan.StorageInfoJSON = state.Status, state.StorageInfoJSON
	if storage, err := api.GetStorage(updateCtx, id); err != nil {
		resp.Diagnostics.AddWarning("Could not read the changed storage volume",
			fmt.Sprintf("Storage volume %s was changed, but reading it back failed: %s. The next plan or apply refreshes it.", id, err))
	} else {
		// The configured values are what was applied; only the engine's own
		// fields are taken from the read.
		plan.Status = types.StringPointerValue(storage.Status)
		plan.StorageInfoJSON = rawJSON(storage.Raw)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	setIDIdentity(ctx, resp.Identity, plan.ID, &resp.Diagnostics)
	// An update is only planned for a volume that is not tainted: one whose
	// create timed out is now kept (terraform untaint), and protected.
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateCreateUnfinished, nil)...)
}

// storageEditFor is the one edit that takes the volume from state to plan;
// changed is false when only provider-side settings (timeouts) differ.
func storageEditFor(state, plan storageResourceModel) (edit client.StorageEdit, changed bool) {
	if !plan.Name.IsUnknown() && !plan.Name.IsNull() && !plan.Name.Equal(state.Name) {
		edit.Name, changed = plan.Name.ValueStringPointer(), true
	}
	if !plan.DeletionProtection.IsUnknown() && !plan.DeletionProtection.Equal(state.DeletionProtection) {
		edit.DeletionProtection, changed = plan.DeletionProtection.ValueBoolPointer(), true
	}
	if !plan.Size.IsUnknown() && !plan.Size.Equal(state.Size) {
		edit.SizeGB, changed = plan.Size.ValueInt64Pointer(), true
	}
	return edit, changed
}

func (r *storageResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id := importedID(ctx, req, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := validateEngineID(storageKind, id); err != nil {
		resp.Diagnostics.AddError("Invalid storage id to import", err.Error()+
			". Import with `terraform import tensorpool_storage.NAME <storage id>`, or an import block with `id = \"<storage id>\"` "+
			"or `identity = { id = \"<storage id>\" }`.")
		return
	}
	resp.Diagnostics.Append(r.seedImport(ctx, id, &resp.State)...)
	setIDIdentity(ctx, resp.Identity, types.StringValue(id), &resp.Diagnostics)
}

// seedImport writes what an import knows before the refresh: the id, and
// deletion_protection false (the refresh that follows reads the engine's
// value when it reports one).
func (r *storageResource) seedImport(ctx context.Context, id string, state *tfsdk.State) diag.Diagnostics {
	diags := state.SetAttribute(ctx, path.Root("id"), id)
	diags.Append(state.SetAttribute(ctx, path.Root("deletion_protection"), false)...)
	return diags
}

// setFromStorage copies what the engine reported. Configurable fields the
// engine left out keep the model's value (never a false drift); with
// overwrite false (right after a create or update) they keep it anyway.
func (m *storageResourceModel) setFromStorage(s *client.Storage, overwrite bool) {
	if s.SizeGB != nil && (overwrite || m.Size.IsNull()) {
		m.Size = types.Int64Value(*s.SizeGB)
	}
	if s.Name != nil && (overwrite || m.Name.IsNull() || m.Name.IsUnknown()) {
		m.Name = types.StringValue(*s.Name)
	}
	if s.DeletionProtection != nil && overwrite {
		m.DeletionProtection = types.BoolValue(*s.DeletionProtection)
	}
	m.Status = types.StringPointerValue(s.Status)
	m.StorageInfoJSON = rawJSON(s.Raw)
	m.setUnknownAsNull()
}

// setUnknownAsNull replaces values left unknown by the plan with null, so
// that a partial state saved during a create is still valid.
func (m *storageResourceModel) setUnknownAsNull() {
	for _, s := range []*types.String{&m.Name, &m.Status, &m.StorageInfoJSON} {
		if s.IsUnknown() {
			*s = types.StringNull()
		}
	}
}

// Delete releases the volume and waits, within timeouts.delete, until the
// engine reports the release completed: only then has it stopped billing.
// Deletion protection stops it before any request.
func (r *storageResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state storageResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.ID.ValueString()
	if deleteProtected(ctx, storageKind, id, state.DeletionProtection, req.Private, &resp.Diagnostics) {
		return
	}
	ctx, api := engineFor(ctx, r.data, &resp.Diagnostics)
	deleteTimeout, diags := state.Timeouts.Delete(ctx, defaultStorageDeleteTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	var unprotect func(ctx context.Context) (string, error)
	if state.DeletionProtection.ValueBool() {
		// Allowed by deleteProtected: a create that never finished, whose
		// protection the engine has all the same.
		unprotect = func(ctx context.Context) (string, error) {
			return api.EditStorage(ctx, id, client.StorageEdit{DeletionProtection: new(false)})
		}
	}
	deleteObject(ctx, r.data, api, objectRelease[*client.Storage]{
		Kind:          storageKind,
		ID:            id,
		Send:          func(ctx context.Context) (string, error) { return api.DestroyStorage(ctx, id) },
		Read:          func(ctx context.Context) (*client.Storage, error) { return api.GetStorage(ctx, id) },
		Status:        storageStatus,
		RefusalAdvice: storageRefusalAdvice,
		Unprotect:     unprotect,
	}, deleteTimeout, req.Private, resp.Private, &resp.Diagnostics)
}

// The volume's find and status helpers, for CRUD above and for the shared
// create and release flows (follow_create.go, release_object.go).

// storageDestroying is the status of a volume whose release is under way.
const storageDestroying = "DESTROYING"

// storageAvailable and storageAttached are a volume ready for use [INF].
const (
	storageAvailable = "AVAILABLE"
	storageAttached  = "ATTACHED"
)

// storageStatus is what a volume's status means to create and destroy:
// released as the client decides (destroyed or failed), being released
// while DESTROYING.
func storageStatus(storage *client.Storage) objectStatus {
	return objectStatus{Status: storage.Status, Released: storage.Released(), Releasing: statusIs(storage.Status, storageDestroying)}
}

// storageRefusalAdvice explains a refused destroy when the cause is known:
// a volume still attached, or protected in the engine but not in the state.
func storageRefusalAdvice(refusal error, storage *client.Storage) string {
	text := strings.ToLower(refusal.Error())
	switch {
	case strings.Contains(text, "attach") || (storage != nil && len(storage.ClusterIDs) > 0):
		if storage != nil && len(storage.ClusterIDs) > 0 {
			return fmt.Sprintf("The volume is still attached (to %s). Detach it first: remove its tensorpool_storage_attachment "+
				"resources (Terraform destroys them first when they reference this volume's `id`), or run `tp cluster detach <cluster id> <storage id>`. ",
				strings.Join(storage.ClusterIDs, ", "))
		}
		return "The volume is still attached. Detach it first: remove its tensorpool_storage_attachment " +
			"resources (Terraform destroys them first when they reference this volume's `id`), or run `tp cluster detach <cluster id> <storage id>`. "
	case strings.Contains(text, "protect"):
		return "The engine has deletion protection on for this volume, although the state does not: set " +
			"`deletion_protection = false` and apply (or run `tp storage edit <storage id> --deletion-protection false`), then destroy. "
	}
	return ""
}

// storageGone reports whether a read found the volume gone for good, and
// whether because the engine does not know it (readGone).
func storageGone(storage *client.Storage, err error) (gone, notFound bool) {
	var status objectStatus
	if err == nil {
		status = storageStatus(storage)
	}
	return readGone(err, status)
}

// storageChangeSummaries are the summaries of a wait that ended before
// its outcome, when changing the TensorPool storage volume.
var storageChangeSummaries = requestSummaries{
	Failed:      "The engine reports a FAILED request changing the TensorPool storage volume",
	TimedOut:    "Timed out changing the TensorPool storage volume",
	Interrupted: "Interrupted (Ctrl-C) while changing the TensorPool storage volume",
	Other:       "Error changing the TensorPool storage volume",
}
