package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// clusterEngineModel holds what only the engine knows about a cluster. The
// resource and the data source both embed it, so the two always show the
// same fields.
type clusterEngineModel struct {
	Status          types.String `tfsdk:"status"`
	InstanceIDs     types.List   `tfsdk:"instance_ids"`
	ClusterInfoJSON types.String `tfsdk:"cluster_info_json"`
}

// clusterFieldDescriptions is the schema text of the cluster's attributes,
// written once for the resource and the data source.
var clusterFieldDescriptions = map[string]string{
	"status": "The cluster's status as the engine last reported it: `PENDING` while the claim runs, `RUNNING` once it is ready, " +
		"`DESTROYING` while it is released. Null when the engine does not report it.",
	"instance_ids": "Ids of the cluster's instances, one per node, as the engine reported them when the cluster was created " +
		"(the create answer's `instance_ids`), and at each refresh that reports them. A refresh whose answer does not list them " +
		"(an engine that answers with a text message only) keeps the known ids: they do not change during a cluster's life. " +
		"The ephemeral `tensorpool_cluster_ssh` gives the SSH command of each.",
	"cluster_info_json": "The engine's whole cluster object as JSON, including fields this provider does not model. " +
		"Read single fields with `jsondecode(...)`. When the engine reports only a text message, this is that answer.",
	"instance_type":       "The GPU instance type of each node, for example `1xH100`, `8xH100`, `1xH200`, `8xH200` or `8xB200`.",
	"num_nodes":           "How many nodes (instances of `instance_type`) the cluster has.",
	"name":                "The cluster's name, as `tp cluster list` shows it.",
	"container":           "The container image the cluster's nodes run.",
	"deletion_protection": "Whether the engine refuses to release the cluster.",
}

// setFromCluster copies what the engine reported. instance_ids keep their
// known value when the engine does not list them (a message-only answer):
// they were the create answer's and do not change for a cluster's life.
func (m *clusterEngineModel) setFromCluster(ctx context.Context, cluster *client.Cluster, diags *diag.Diagnostics) {
	m.Status = types.StringPointerValue(cluster.Status)
	if cluster.InstanceIDs != nil || m.InstanceIDs.IsUnknown() {
		m.InstanceIDs = stringList(ctx, cluster.InstanceIDs, diags)
	}
	m.ClusterInfoJSON = rawJSON(cluster.Raw)
}

// setUnknownAsNull replaces what the plan left unknown with null, so that
// the state saved before a wait is valid.
func (m *clusterEngineModel) setUnknownAsNull() {
	if m.Status.IsUnknown() {
		m.Status = types.StringNull()
	}
	if m.InstanceIDs.IsUnknown() {
		m.InstanceIDs = types.ListNull(types.StringType)
	}
	if m.ClusterInfoJSON.IsUnknown() {
		m.ClusterInfoJSON = types.StringNull()
	}
}

// stringList is a list attribute of strings; nil is null.
func stringList(ctx context.Context, values []string, diags *diag.Diagnostics) types.List {
	if values == nil {
		return types.ListNull(types.StringType)
	}
	list, d := types.ListValueFrom(ctx, types.StringType, values)
	diags.Append(d...)
	return list
}

// clusterPublicKeyExpected is the hint for a bad element of the cluster's
// public_keys (the tensorpool_ssh_key's own hint names its public_key).
const clusterPublicKeyExpected = "Each element of public_keys must be one OpenSSH public key line, `<type> <base64 key data> [comment]`, " +
	"such as the content of ~/.ssh/id_ed25519.pub: `public_keys = [file(\"~/.ssh/id_ed25519.pub\")]`."

// clusterPublicKeyValidator checks each element of public_keys at plan
// time with the SSH key resource's parser, so that a wrong file fails
// `terraform plan` instead of the engine's claim.
type clusterPublicKeyValidator struct{ publicKeyValidator }

func (clusterPublicKeyValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := parseOpenSSHPublicKey(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid SSH public key in public_keys",
			fmt.Sprintf("%s The value given cannot be used: %s.", clusterPublicKeyExpected, err))
	}
}
