# Terraform 1.5+ can import with a block instead of the command.
import {
  to = tensorpool_storage_attachment.datasets
  id = "s-0123456789ab/c-0123456789ab"
}
