# Terraform 1.12+ can also name the volume by its resource identity.
import {
  to       = tensorpool_storage.datasets
  identity = { id = "s-0123456789ab" }
}

resource "tensorpool_storage" "datasets" {
  size = 500
  name = "datasets"
}
