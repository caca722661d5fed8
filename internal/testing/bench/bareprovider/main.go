// Command bareprovider is the plugin floor of the benchmarks: a
// terraform-plugin-framework provider, built with this module's framework
// version, with one resource (bare_thing) whose only attribute is a computed
// id, and no logic at all. What a plan over N of them costs is what
// Terraform driving any framework provider costs (with the SDK logs matched
// to Terraform's level, as ours does); tensorpool-bench builds it
// and serves it through a dev override as bench/bare. Its second resource,
// bare_job (job_shaped.go), has tensorpool_job's schema and no logic either.
package main

import (
	"context"
	"log"
	"strconv"
	"sync/atomic"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	tensorpool "github.com/tensorpool/terraform-provider-tensorpool/internal/provider"
)

func main() {
	// Like ours, the floor produces no SDK or framework log line that
	// Terraform would drop: what is left is what no provider can avoid.
	if err := tensorpool.MatchSDKLogLevelsToTerraform(); err != nil {
		log.Fatal(err)
	}
	err := providerserver.Serve(context.Background(), func() provider.Provider { return bareProvider{} }, providerserver.ServeOpts{
		Address: "registry.terraform.io/bench/bare",
	})
	if err != nil {
		log.Fatal(err)
	}
}

type bareProvider struct{}

func (bareProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "bare"
}

func (bareProvider) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {}

func (bareProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}

func (bareProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		func() resource.Resource { return &thing{} },
		func() resource.Resource { return &jobShaped{} },
	}
}

func (bareProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }

// thing has a computed id and nothing else.
type thing struct{}

type thingModel struct {
	ID types.String `tfsdk:"id"`
}

// nextID numbers the things of one provider process; unique enough for a
// benchmark state.
var nextID atomic.Int64

func (*thing) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_thing"
}

func (*thing) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{Attributes: map[string]schema.Attribute{
		"id": schema.StringAttribute{Computed: true, PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
	}}
}

func (*thing) Create(ctx context.Context, _ resource.CreateRequest, resp *resource.CreateResponse) {
	id := strconv.FormatInt(nextID.Add(1), 10)
	resp.Diagnostics.Append(resp.State.Set(ctx, thingModel{ID: types.StringValue(id)})...)
}

// Read keeps the state as it is: the thing exists for as long as the state
// says so.
func (*thing) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (*thing) Update(context.Context, resource.UpdateRequest, *resource.UpdateResponse) {}

func (*thing) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}
