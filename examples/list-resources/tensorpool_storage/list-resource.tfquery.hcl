# Every storage volume of your organization, with what import would record.
list "tensorpool_storage" "all" {
  provider         = tensorpool
  include_resource = true

  config {
    include_org = true
  }
}
