package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/list"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// NewJobListResource returns the tensorpool_job list resource
// (object_listing.go).
func NewJobListResource() list.ListResource {
	return &objectList{kind: listedKind{
		typeSuffix: "_job", noun: "job", plural: "jobs", findWith: "tp job list", hasStatus: true,
		ids: func(ctx context.Context, api *client.Client, includeOrg bool) ([]string, error) {
			return api.ListJobIDs(ctx, includeOrg)
		},
		resource: func(data *providerData) importReader { return &jobResource{data: data} },
		description: "Finds the jobs the engine lists (`tp job list`), whoever submitted them, for `terraform query` " +
			"(Terraform 1.14 and later). Each result is the job's identity and, with `include_resource = true`, the job as " +
			"`terraform import` would record it. The engine does not report a job's `config` or `source_dir`, so the " +
			"configuration `terraform query -generate-config-out=FILE` writes has them null: fill them in (the job's " +
			"`.tp.toml` text and the directory it was pushed from) before applying it; the import then adopts them without " +
			"submitting the job again.",
	}}
}
