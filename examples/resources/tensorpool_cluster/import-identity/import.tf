# Terraform 1.12+ can also name the cluster by its resource identity.
import {
  to       = tensorpool_cluster.train
  identity = { id = "c-0123456789ab" }
}

resource "tensorpool_cluster" "train" {
  instance_type = "8xH100"
  name          = "llm-finetune"
}
