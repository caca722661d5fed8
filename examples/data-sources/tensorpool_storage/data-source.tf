data "tensorpool_storage" "shared" {
  id = "s-0123456789ab"
}

output "shared_storage_size" {
  value = data.tensorpool_storage.shared.size
}

output "shared_storage_clusters" {
  value = data.tensorpool_storage.shared.cluster_ids
}
