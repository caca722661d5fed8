# The organization's S3-compatible object storage: one per organization.
resource "tensorpool_object_storage" "this" {}
