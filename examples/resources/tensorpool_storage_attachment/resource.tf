resource "tensorpool_storage" "datasets" {
  size = 500
  name = "datasets"
}

# Attaching restarts every node of the cluster: every plan that attaches
# says so in a warning. Destroying the attachment detaches the volume and
# keeps its data.
resource "tensorpool_storage_attachment" "datasets" {
  storage_id = tensorpool_storage.datasets.id
  cluster_id = "c-0123456789ab" # usually tensorpool_cluster.NAME.id

  timeouts {
    create = "30m"
    delete = "30m"
  }
}
