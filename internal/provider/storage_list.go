package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/list"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// NewStorageListResource returns the tensorpool_storage list resource
// (object_listing.go).
func NewStorageListResource() list.ListResource {
	return &objectList{kind: listedKind{
		typeSuffix: "_storage", noun: "storage volume", plural: "storage volumes", findWith: "tp storage list", hasStatus: true,
		ids: func(ctx context.Context, api *client.Client, includeOrg bool) ([]string, error) {
			return api.ListStorageIDs(ctx, includeOrg)
		},
		resource: func(data *providerData) importReader { return &storageResource{data: data} },
		description: "Finds the storage volumes the engine lists (`tp storage list`), whoever created them, for `terraform query` " +
			"(Terraform 1.14 and later). Each result is the volume's identity and, with `include_resource = true`, the volume as " +
			"`terraform import` would record it, so that `terraform query -generate-config-out=FILE` writes import blocks and " +
			"configuration that plan without changes once applied.",
	}}
}
