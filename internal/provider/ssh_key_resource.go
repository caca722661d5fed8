package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

var (
	_ resource.ResourceWithConfigure   = (*sshKeyResource)(nil)
	_ resource.ResourceWithImportState = (*sshKeyResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*sshKeyResource)(nil)
	_ resource.ResourceWithIdentity    = (*sshKeyResource)(nil)
)

// NewSSHKeyResource returns the tensorpool_ssh_key resource.
func NewSSHKeyResource() resource.Resource { return &sshKeyResource{} }

type sshKeyResource struct {
	data *providerData
}

type sshKeyResourceModel struct {
	ID          types.String      `tfsdk:"id"`
	PublicKey   sshPublicKeyValue `tfsdk:"public_key"`
	Name        types.String      `tfsdk:"name"`
	KeyInfoJSON types.String      `tfsdk:"key_info_json"`
}

func (r *sshKeyResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_ssh_key"
}

func (r *sshKeyResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "An SSH public key saved to your TensorPool account (`tp me sshkey add`), shared with your organisation. " +
			"The engine adds saved keys to clusters created **after** the key, not to clusters that already run. To make sure " +
			"a cluster gets the key, reference it in the cluster's `public_keys` (`public_keys = [tensorpool_ssh_key.me.public_key]`): " +
			"that implicit dependency makes Terraform create the key before the cluster and destroy it after the cluster, " +
			"without `depends_on`. A saved key cannot be edited: changing `public_key` or `name` replaces it.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The key id the engine assigned (what `tp me sshkey list` shows and `tp me sshkey remove` takes).",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"public_key": schema.StringAttribute{
				MarkdownDescription: "The OpenSSH public key line, `<type> <base64 key data> [comment]`, usually " +
					"`file(\"~/.ssh/id_ed25519.pub\")`. Types: " + markdownList(sshKeyTypes) + ". Checked at plan time. " +
					"Keys are compared by type and key data: surrounding whitespace (the trailing newline `file()` keeps) and " +
					"the comment are not a change. Changing the key replaces it.",
				Required:   true,
				CustomType: sshPublicKeyType{},
				Validators: []validator.String{publicKeyValidator{}},
				PlanModifiers: []planmodifier.String{
					keepEquivalentPublicKey,
					stringplanmodifier.RequiresReplace(),
				},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "A name for the key in `tp me sshkey list`. When unset, the engine's name for the key (if any) is " +
					"shown, and removing `name` from the configuration keeps the name the key has. The engine cannot rename a key, so " +
					"setting another name replaces the key.",
				Optional: true,
				Computed: true,
				PlanModifiers: []planmodifier.String{
					stringplanmodifier.UseStateForUnknown(),
					stringplanmodifier.RequiresReplace(),
				},
			},
			"key_info_json": schema.StringAttribute{
				MarkdownDescription: "The key as the engine lists it, as JSON, with every field the engine reports " +
					"(for example `created_at`); decode it with `jsondecode()`.",
				Computed: true,
			},
		},
	}
}

// IdentitySchema: a saved key's identity is its id (object_identity.go).
func (r *sshKeyResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = idIdentitySchema("The key id the engine assigned, as in `tp me sshkey list`.")
}

func (r *sshKeyResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if data := providerDataFrom(req.ProviderData, &resp.Diagnostics); data != nil {
		r.data = data
	}
}

// ModifyPlan reports an unusable provider setting from the environment at
// plan time, and plans no change when only the spelling of the key did.
func (r *sshKeyResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if r.data != nil && r.data.configErr != nil {
		resp.Diagnostics.Append(*r.data.configErr)
	}
	keepStateWhenNothingChanged(ctx, req, resp)
}

// Create saves the key. The add answers 200 at once (no request to wait
// for) and is never retried, since a retry could save the key twice.
func (r *sshKeyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan sshKeyResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	ctx, api := engineFor(ctx, r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	var name *string
	if !plan.Name.IsNull() && !plan.Name.IsUnknown() {
		name = plan.Name.ValueStringPointer()
	}
	key, err := api.AddSSHKey(ctx, canonicalPublicKey(plan.PublicKey.ValueString()), name)
	if err != nil {
		resp.Diagnostics.AddError("Could not add the TensorPool SSH key", addSSHKeyFailure(err))
		return
	}
	// The add answers with an id and a message; the key as the list shows
	// it, which every refresh reads, is one list away. The key is saved
	// either way, so a failed read only leaves the add answer in its place.
	if listed, err := api.GetSSHKey(ctx, key.ID); err == nil {
		key = listed
	} else {
		tflog.Warn(ctx, "could not read the SSH key just added; key_info_json holds the add answer until the next refresh",
			map[string]any{"key_id": key.ID, "error": err.Error()})
	}
	plan.ID = types.StringValue(key.ID)
	if plan.Name.IsUnknown() {
		plan.Name = types.StringPointerValue(nonBlank(key.Name))
	}
	plan.KeyInfoJSON = rawJSON(key.Raw)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	setIDIdentity(ctx, resp.Identity, plan.ID, &resp.Diagnostics)
}

// addSSHKeyFailure explains a failed add. Only an add that was never sent,
// or that the engine refused (4xx), surely saved nothing; after anything
// else the key may be saved, and the message says how to find and remove it.
func addSSHKeyFailure(err error) string {
	var notAdded *client.KeyNotAddedError
	var textList *client.KeyListTextError
	switch {
	case errors.As(err, &textList) && errors.As(err, &notAdded):
		return fmt.Sprintf("Nothing was saved: the key was not sent. The engine lists your saved keys only as this text, "+
			"without the key ids the provider needs to find the key again, refresh it and remove it on destroy:\n\n%s\n\n"+
			"Save the key outside Terraform with `tp me sshkey add <path to .pub file>` (saved keys reach every cluster created after them), "+
			"and remove it with `tp me sshkey remove <key id>`.", textList.Message)
	case errors.As(err, &notAdded):
		return fmt.Sprintf("Nothing was saved: %s.\n\nApply again once the engine answers.", err)
	}
	var apiErr *client.APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode >= http.StatusBadRequest && apiErr.StatusCode < http.StatusInternalServerError {
		return fmt.Sprintf("The engine refused the key, so nothing was saved: %s", err)
	}
	return fmt.Sprintf("%s.\n\nThe key may have been saved anyway, and it is not in the Terraform state. "+
		"`tp me sshkey list` shows your saved keys; remove a stray one with `tp me sshkey remove <key id>`, "+
		"or import it with `terraform import <address> <key id>`.", err)
}

func (r *sshKeyResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state sshKeyResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, api := engineFor(ctx, r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.ID.ValueString()
	key, err := readPatiently(ctx, r.data, defaultReadTimeout, func(ctx context.Context) (*client.SSHKey, error) {
		return api.GetSSHKey(ctx, id)
	})
	if client.IsNotFound(err) {
		resp.Diagnostics.AddWarning("TensorPool SSH key no longer exists",
			fmt.Sprintf("SSH key %s is no longer among your saved keys (removed outside Terraform), so it is removed from the state. "+
				"The next apply adds it again.", id))
		setIDIdentity(ctx, resp.Identity, state.ID, &resp.Diagnostics)
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Could not read the TensorPool SSH key", fmt.Sprintf("Reading SSH key %s failed: %s", id, err))
		return
	}
	state.setFromKey(key)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	setIDIdentity(ctx, resp.Identity, state.ID, &resp.Diagnostics)
}

// setFromKey takes what the engine reports; what it does not report keeps
// the state's value. The engine's spelling of the same key (without the
// trailing newline, another comment) is no drift: the framework keeps the
// prior text of a semantically equal public_key (sshPublicKeyValue).
func (m *sshKeyResourceModel) setFromKey(key *client.SSHKey) {
	if key.PublicKey != nil {
		m.PublicKey = sshPublicKeyValue{StringValue: types.StringValue(*key.PublicKey)}
	}
	if name := nonBlank(key.Name); name != nil {
		m.Name = types.StringPointerValue(name)
	}
	m.KeyInfoJSON = rawJSON(key.Raw)
}

// Update is never called with a change: every configurable attribute
// replaces the key. It records the plan.
func (r *sshKeyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan sshKeyResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	setIDIdentity(ctx, resp.Identity, plan.ID, &resp.Diagnostics)
}

// Delete removes the key. Clusters that already have it keep it: removing
// a saved key only stops it from being added to new clusters.
func (r *sshKeyResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state sshKeyResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, api := engineFor(ctx, r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	err := api.RemoveSSHKey(ctx, state.ID.ValueString())
	if err == nil || client.IsNotFound(err) {
		return
	}
	resp.Diagnostics.AddError("Could not remove the TensorPool SSH key",
		fmt.Sprintf("Removing SSH key %s failed: %s\n\nThe key stays in the state; run destroy again.", state.ID.ValueString(), err))
}

func (r *sshKeyResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id := importedID(ctx, req, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := client.ValidateObjectID("SSH key", id); err != nil {
		resp.Diagnostics.AddError("Invalid SSH key id to import",
			err.Error()+". `tp me sshkey list` shows your keys' ids; import with `terraform import tensorpool_ssh_key.NAME <key id>`, "+
				"or an import block with `id = \"<key id>\"` or `identity = { id = \"<key id>\" }`.")
		return
	}
	resp.Diagnostics.Append(r.seedImport(ctx, id, &resp.State)...)
	setIDIdentity(ctx, resp.Identity, types.StringValue(id), &resp.Diagnostics)
}

// seedImport writes what an import knows before the refresh: the id.
func (r *sshKeyResource) seedImport(ctx context.Context, id string, state *tfsdk.State) diag.Diagnostics {
	return state.SetAttribute(ctx, path.Root("id"), id)
}

// nonBlank is s, or nil when it is nil or blank.
func nonBlank(s *string) *string {
	if s == nil || strings.TrimSpace(*s) == "" {
		return nil
	}
	return s
}
