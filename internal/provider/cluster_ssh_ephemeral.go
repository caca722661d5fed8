package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

var _ ephemeral.EphemeralResourceWithConfigure = (*clusterSSH)(nil)

// NewClusterSSH returns the tensorpool_cluster_ssh ephemeral resource.
func NewClusterSSH() ephemeral.EphemeralResource { return &clusterSSH{} }

type clusterSSH struct {
	data *providerData
}

type clusterSSHModel struct {
	ClusterID   types.String `tfsdk:"cluster_id"`
	InstanceIDs types.List   `tfsdk:"instance_ids"`
	Commands    types.Map    `tfsdk:"commands"`
}

func (e *clusterSSH) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_cluster_ssh"
}

func (e *clusterSSH) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The SSH command of each instance of a cluster (what `tp ssh <instance_id>` runs), read at each plan " +
			"and apply and never written to the state, a plan file or Terraform's log (`TF_LOG=trace` included). Terraform ≥ 1.10, OpenTofu ≥ 1.11; an older CLI stops at the " +
			"`ephemeral` block (\"Unsupported block type\"). An instance the engine refuses an SSH command for (one it does not know, " +
			"or whose cluster is not running) is an error naming the instance and the cluster.",
		Attributes: map[string]schema.Attribute{
			"cluster_id": schema.StringAttribute{
				MarkdownDescription: "The cluster, for example `tensorpool_cluster.NAME.id`.",
				Required:            true,
				Validators:          []validator.String{clusterIDValidator},
			},
			"instance_ids": schema.ListAttribute{
				MarkdownDescription: "The instances to reach. Unset, the cluster's instances as the engine lists them in the cluster's " +
					"info; set it to `tensorpool_cluster.NAME.instance_ids` when the engine's info does not list them (the resource keeps " +
					"those of the create answer).",
				Optional:    true,
				Computed:    true,
				ElementType: types.StringType,
				Validators:  []validator.List{listvalidator.SizeAtLeast(1)},
			},
			"commands": schema.MapAttribute{
				MarkdownDescription: "The `ssh …` command line of each instance, by instance id.",
				Computed:            true,
				ElementType:         types.StringType,
			},
		},
	}
}

func (e *clusterSSH) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	if data := providerDataFrom(req.ProviderData, &resp.Diagnostics); data != nil {
		e.data = data
	}
}

func (e *clusterSSH) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var m clusterSSHModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	ctx, api := engineFor(ctx, e.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	clusterID := m.ClusterID.ValueString()
	var instances []string
	if !m.InstanceIDs.IsNull() {
		resp.Diagnostics.Append(m.InstanceIDs.ElementsAs(ctx, &instances, false)...)
	} else {
		cluster := readForDataSource(ctx, e.data, clusterKind, clusterID, func(ctx context.Context) (*client.Cluster, error) {
			return api.GetCluster(ctx, clusterID)
		}, &resp.Diagnostics)
		if cluster == nil {
			return
		}
		if len(cluster.InstanceIDs) == 0 {
			resp.Diagnostics.AddAttributeError(path.Root("instance_ids"), "The engine does not list the cluster's instances",
				fmt.Sprintf("The info of cluster %s names no instance ids. Set instance_ids = tensorpool_cluster.NAME.instance_ids "+
					"(the ids of the create answer), or the ids `tp cluster list --instances` shows.", clusterID))
			return
		}
		instances = cluster.InstanceIDs
	}
	if resp.Diagnostics.HasError() {
		return
	}
	commands := make(map[string]string, len(instances))
	for _, id := range instances {
		access, err := readPatiently(ctx, e.data, defaultReadTimeout, func(ctx context.Context) (*client.SSHAccess, error) {
			return api.GetSSHCommand(ctx, id)
		})
		if err != nil {
			resp.Diagnostics.AddError("Could not get the SSH command of an instance",
				fmt.Sprintf("Reading the SSH command of instance %s of cluster %s failed: %s", id, clusterID, err))
			return
		}
		commands[id] = access.Command
	}
	ids, diags := types.ListValueFrom(ctx, types.StringType, instances)
	resp.Diagnostics.Append(diags...)
	m.InstanceIDs = ids
	cmds, diags := types.MapValueFrom(ctx, types.StringType, commands)
	resp.Diagnostics.Append(diags...)
	m.Commands = cmds
	resp.Diagnostics.Append(resp.Result.Set(ctx, &m)...)
}
