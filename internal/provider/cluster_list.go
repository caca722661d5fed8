package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/list"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// NewClusterListResource returns the tensorpool_cluster list resource
// (object_listing.go).
func NewClusterListResource() list.ListResource {
	return &objectList{kind: listedKind{
		typeSuffix: "_cluster", noun: "cluster", plural: "clusters", findWith: "tp cluster list", hasStatus: true,
		ids: func(ctx context.Context, api *client.Client, includeOrg bool) ([]string, error) {
			return api.ListClusterIDs(ctx, includeOrg)
		},
		resource: func(data *providerData) importReader { return &clusterResource{data: data} },
		description: "Finds the clusters the engine lists (`tp cluster list`), whoever created them, for `terraform query` " +
			"(Terraform 1.14 and later). Each result is the cluster's identity and, with `include_resource = true`, the cluster as " +
			"`terraform import` would record it, so that `terraform query -generate-config-out=FILE` writes import blocks and " +
			"configuration that plan without changes once applied. `public_keys`, which the engine does not report, is null " +
			"in that configuration.",
	}}
}
