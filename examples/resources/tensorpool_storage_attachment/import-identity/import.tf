# Terraform 1.12+ can also name the attachment by its resource identity: the
# volume's id and the cluster's.
import {
  to = tensorpool_storage_attachment.datasets
  identity = {
    storage_id = "s-0123456789ab"
    cluster_id = "c-0123456789ab"
  }
}

resource "tensorpool_storage_attachment" "datasets" {
  storage_id = "s-0123456789ab" # usually tensorpool_storage.NAME.id
  cluster_id = "c-0123456789ab" # usually tensorpool_cluster.NAME.id
}
