# Terraform 1.5+ can import with a block instead of the command.
import {
  to = tensorpool_cluster.train
  id = "c-0123456789ab"
}
