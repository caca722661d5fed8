package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	listschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// What the four list resources (Terraform ≥ 1.14, `terraform query`) share:
// each names the objects of one kind that the engine's list shows, as
// identities, and, when include_resource is asked (or a status filter needs
// it), each object as `terraform import` and the refresh after it would
// write it: the resource's own seedImport and Read make it, so that the
// configuration `terraform query -generate-config-out` writes from it
// plans clean once imported.

// listedKind is one list resource: the kind it lists and how it finds the
// ids.
type listedKind struct {
	// typeSuffix is the resource type without the provider's prefix
	// ("_cluster"); noun and plural name the kind in messages.
	typeSuffix, noun, plural string
	// findWith is the official CLI's command that lists the kind.
	findWith string
	// hasStatus says the resource has a `status` attribute to filter on.
	hasStatus bool
	// ids lists the ids the engine shows.
	ids func(ctx context.Context, api *client.Client, includeOrg bool) ([]string, error)
	// resource is the resource the list results are objects of.
	resource func(data *providerData) importReader
	// description is the list resource's documentation.
	description string
}

// importReader is a resource whose import is seedImport then Read.
type importReader interface {
	resource.Resource
	// seedImport writes into state what an import knows before the refresh.
	seedImport(ctx context.Context, id string, state *tfsdk.State) diag.Diagnostics
}

// objectList is the list resource of one listedKind.
type objectList struct {
	kind listedKind
	data *providerData
}

var (
	_ list.ListResourceWithConfigure      = (*objectList)(nil)
	_ list.ListResourceWithValidateConfig = (*objectList)(nil)
	// The provider registers them in ListResources (provider.go).
	_ provider.ProviderWithListResources = (*TensorPoolProvider)(nil)
)

// objectListModel is a list block's `config`.
type objectListModel struct {
	IncludeOrg types.Bool   `tfsdk:"include_org"`
	ExcludeIDs types.List   `tfsdk:"exclude_ids"`
	Status     types.String `tfsdk:"status"`
}

func (l *objectList) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + l.kind.typeSuffix
}

func (l *objectList) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	attrs := map[string]listschema.Attribute{
		"include_org": listschema.BoolAttribute{
			MarkdownDescription: "List your organization's " + l.kind.plural + " instead of your own (the engine's `include_org=true`, as `" +
				l.kind.findWith + "` asks for it). Default `false`.",
			Optional: true,
		},
		"exclude_ids": listschema.ListAttribute{
			MarkdownDescription: "Ids to leave out of the results, for example those your Terraform states already manage, " +
				"so that only the " + l.kind.plural + " no state knows about are found.",
			ElementType: types.StringType,
			Optional:    true,
		},
	}
	if l.kind.hasStatus {
		attrs["status"] = listschema.StringAttribute{
			MarkdownDescription: "Only " + l.kind.plural + " whose status, as the engine reports it, is this one (compared without regard to case, " +
				"for example `running`). Each " + l.kind.noun + " is then read, as with `include_resource = true`.",
			Optional: true,
		}
	}
	resp.Schema = listschema.Schema{MarkdownDescription: l.kind.description, Attributes: attrs}
}

// ValidateListResourceConfig refuses a blank status filter, which would
// match nothing.
func (l *objectList) ValidateListResourceConfig(ctx context.Context, req list.ValidateConfigRequest, resp *list.ValidateConfigResponse) {
	if !l.kind.hasStatus {
		return
	}
	var status types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("status"), &status)...)
	if !status.IsNull() && !status.IsUnknown() && strings.TrimSpace(status.ValueString()) == "" {
		resp.Diagnostics.AddAttributeError(path.Root("status"), "Blank status filter",
			"`status` is blank, so no "+l.kind.noun+" would match. Set a status such as \"running\", or remove `status` to list every "+l.kind.noun+".")
	}
}

func (l *objectList) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if data := providerDataFrom(req.ProviderData, &resp.Diagnostics); data != nil {
		l.data = data
	}
}

func (l *objectList) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var diags diag.Diagnostics
	var config objectListModel
	if l.kind.hasStatus {
		diags.Append(req.Config.Get(ctx, &config)...)
	} else {
		diags.Append(req.Config.GetAttribute(ctx, path.Root("include_org"), &config.IncludeOrg)...)
		diags.Append(req.Config.GetAttribute(ctx, path.Root("exclude_ids"), &config.ExcludeIDs)...)
	}
	var excluded []string
	if !config.ExcludeIDs.IsNull() && !config.ExcludeIDs.IsUnknown() {
		diags.Append(config.ExcludeIDs.ElementsAs(ctx, &excluded, false)...)
	}
	ctx, api := engineFor(ctx, l.data, &diags)
	if diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	// The list rides out rate limits and outages as a refresh does.
	ids, err := readPatiently(ctx, l.data, defaultReadTimeout, func(ctx context.Context) ([]string, error) {
		return l.kind.ids(ctx, api, config.IncludeOrg.ValueBool())
	})
	if err != nil {
		diags.AddError("Could not list the TensorPool "+l.kind.plural, l.listFailure(err))
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	status := strings.TrimSpace(config.Status.ValueString())
	read := req.IncludeResource || status != ""
	stream.Results = func(push func(list.ListResult) bool) {
		var pushed int64
		for _, id := range ids {
			if slices.Contains(excluded, id) {
				continue
			}
			result := req.NewListResult(ctx)
			result.DisplayName = id
			setIDIdentity(ctx, result.Identity, types.StringValue(id), &result.Diagnostics)
			if read {
				object, found, diags := l.readAsImported(ctx, req, id)
				result.Diagnostics.Append(diags...)
				switch {
				case diags.HasError():
					push(result)
					return
				case !found:
					continue // gone since the list was read
				case status != "" && !strings.EqualFold(attributeText(ctx, object, "status"), status):
					continue
				}
				result.DisplayName = displayName(ctx, object, id)
				if req.IncludeResource {
					result.Resource = object
				}
			}
			if !push(result) {
				return
			}
			if pushed++; req.Limit > 0 && pushed >= req.Limit {
				return
			}
		}
	}
}

// listFailure is the message of a list that failed: the error, and for a
// key list that came as text only, what can be done about it.
func (l *objectList) listFailure(err error) string {
	var textList *client.KeyListTextError
	if errors.As(err, &textList) {
		return "The engine answered the key list with text only, as the official CLI reads it, and not with a list of keys, " +
			"so the key ids cannot be told apart from the rest of the text with certainty (their format is not documented, " +
			"and the engine has no route that would confirm one). No key is listed rather than a guess. `" + l.kind.findWith +
			"` shows the text; import a key from it with an import block `identity = { id = \"<key id>\" }`.\n\nThe engine's text:\n" +
			textList.Message
	}
	return fmt.Sprintf("Listing the %s failed (`%s` shows them): %s", l.kind.plural, l.kind.findWith, err)
}

// readAsImported is the object id as `terraform import` followed by a
// refresh would write it into the state: the resource's seedImport, then
// its Read. found is false when the Read found the object gone.
func (l *objectList) readAsImported(ctx context.Context, req list.ListRequest, id string) (object *tfsdk.Resource, found bool, diags diag.Diagnostics) {
	state := tfsdk.State{Schema: req.ResourceSchema, Raw: tftypes.NewValue(req.ResourceSchema.Type().TerraformType(ctx), nil)}
	r := l.kind.resource(l.data)
	diags.Append(r.seedImport(ctx, id, &state)...)
	if diags.HasError() {
		return nil, false, diags
	}
	resp := resource.ReadResponse{State: state}
	r.Read(ctx, resource.ReadRequest{State: state}, &resp)
	if resp.Diagnostics.HasError() {
		diags.Append(resp.Diagnostics...)
		return nil, false, diags
	}
	if resp.State.Raw.IsNull() || attributeText(ctx, &tfsdk.Resource{Schema: resp.State.Schema, Raw: resp.State.Raw}, "status") == statusDeleted {
		// Gone between the list and the read: the Read's warning is about a
		// state that does not exist, so it is not passed on.
		return nil, false, diags
	}
	diags.Append(resp.Diagnostics...)
	return &tfsdk.Resource{Schema: req.ResourceSchema, Raw: resp.State.Raw}, true, diags
}

// attributeText is a top-level string attribute of object, "" when it has
// none or it is null.
func attributeText(ctx context.Context, object *tfsdk.Resource, name string) string {
	if _, ok := object.Schema.GetAttributes()[name]; !ok {
		return ""
	}
	var value types.String
	if object.GetAttribute(ctx, path.Root(name), &value).HasError() {
		return ""
	}
	return value.ValueString()
}

// displayName is what `terraform query` shows of a found object: its name
// and status, when it has them, beside its id.
func displayName(ctx context.Context, object *tfsdk.Resource, id string) string {
	text := id
	if name := attributeText(ctx, object, "name"); name != "" {
		text = name + " (" + id + ")"
	}
	if status := attributeText(ctx, object, "status"); status != "" {
		text += ", " + status
	}
	return text
}
