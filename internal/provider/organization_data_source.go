package provider

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var _ datasource.DataSourceWithConfigure = (*organizationDataSource)(nil)

// NewOrganizationDataSource returns the tensorpool_organization data source.
func NewOrganizationDataSource() datasource.DataSource { return &organizationDataSource{} }

type organizationDataSource struct {
	data *providerData
}

type organizationDataSourceModel struct {
	ID               types.String  `tfsdk:"id"`
	Name             types.String  `tfsdk:"name"`
	Balance          types.Float64 `tfsdk:"balance"`
	Members          types.List    `tfsdk:"members"`
	OrganizationJSON types.String  `tfsdk:"organization_info_json"`
}

func (d *organizationDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_organization"
}

func (d *organizationDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The organization your API key belongs to, as the engine reports it (`GET /user/organization/info`), read on every " +
			"plan: its name, members and balance. Use the balance in a precondition to refuse to create GPU clusters the " +
			"organization cannot pay for. An answer without a balance is an error, so that a check on it never passes by default. " +
			"Rate limits and engine errors are ridden out for up to " + shortDuration(defaultReadTimeout) + ".",
		Attributes: map[string]schema.Attribute{
			"id":   schema.StringAttribute{MarkdownDescription: "The organization's id. Null when the engine does not report it.", Computed: true},
			"name": schema.StringAttribute{MarkdownDescription: "The organization's name. Null when the engine does not report it.", Computed: true},
			"balance": schema.Float64Attribute{
				MarkdownDescription: "The organization's balance in US dollars (a number; the engine's `$1,234.50` is read as `1234.5`).",
				Computed:            true,
			},
			"members": schema.ListAttribute{
				MarkdownDescription: "The organization's members, each as the engine names it (an email, a name or an id). Null when the " +
					"engine does not report them.",
				ElementType: types.StringType,
				Computed:    true,
			},
			"organization_info_json": schema.StringAttribute{
				MarkdownDescription: "The engine's whole organization object as JSON, including fields this provider does not model. " +
					"Read single fields with `jsondecode(...)`.",
				Computed: true,
			},
		},
	}
}

func (d *organizationDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	if data := providerDataFrom(req.ProviderData, &resp.Diagnostics); data != nil {
		d.data = data
	}
}

func (d *organizationDataSource) Read(ctx context.Context, _ datasource.ReadRequest, resp *datasource.ReadResponse) {
	ctx, api := engineFor(ctx, d.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	org, err := readPatiently(ctx, d.data, defaultReadTimeout, api.GetOrganization)
	if err != nil {
		resp.Diagnostics.AddError("Could not read the TensorPool organization", fmt.Sprintf("Reading the organization failed: %s", err))
		return
	}
	if org.Balance == nil {
		resp.Diagnostics.AddError("TensorPool organization balance missing",
			"The engine's answer to GET /user/organization/info has no balance this provider can read (it looks for a number or "+
				"an amount such as \"$12.50\" under `balance`, `balance_usd`, `credit_balance` or `credits`), so the balance is not "+
				"guessed. The answer began: "+leading(string(org.Raw), 300))
		return
	}
	members := types.ListNull(types.StringType)
	if org.Members != nil {
		var diags diag.Diagnostics
		members, diags = types.ListValueFrom(ctx, types.StringType, org.Members)
		resp.Diagnostics.Append(diags...)
	}
	m := organizationDataSourceModel{
		ID:               types.StringPointerValue(org.ID),
		Name:             types.StringPointerValue(org.Name),
		Balance:          types.Float64PointerValue(org.Balance),
		Members:          members,
		OrganizationJSON: rawJSON(org.Raw),
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// leading is at most the first n bytes of s, cut at a character boundary
// and marked when cut.
func leading(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
