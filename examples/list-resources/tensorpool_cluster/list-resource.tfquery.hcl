# Every running cluster that no Terraform state knows about. Pass the ids
# your states manage, for example from another working directory:
#
#   terraform query -generate-config-out=found.tf \
#     -var="managed_cluster_ids=$(terraform -chdir=../training show -json |
#       jq -c '[.values.root_module.resources[] | select(.type == "tensorpool_cluster") | .values.id]')"
#
# found.tf then holds an import block and a resource block for each one.
variable "managed_cluster_ids" {
  type    = list(string)
  default = []
}

list "tensorpool_cluster" "unmanaged" {
  provider         = tensorpool
  include_resource = true

  config {
    status      = "running"
    exclude_ids = var.managed_cluster_ids
    # include_org = true lists your organization's clusters instead of yours.
  }
}
