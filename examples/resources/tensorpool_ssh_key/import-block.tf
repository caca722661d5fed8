# Terraform 1.5+ can import with a block instead of the command.
import {
  to = tensorpool_ssh_key.me
  id = "key-0123456789ab"
}
