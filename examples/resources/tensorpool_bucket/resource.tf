resource "tensorpool_object_storage" "this" {}

# depends_on: the storage is enabled before the bucket is created, and the
# bucket is deleted before the storage is disabled.
resource "tensorpool_bucket" "checkpoints" {
  name       = "checkpoints"
  depends_on = [tensorpool_object_storage.this]
}
