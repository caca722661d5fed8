# Terraform 1.12+ can also name the saved key by its resource identity.
import {
  to       = tensorpool_ssh_key.me
  identity = { id = "key-0123456789ab" }
}

variable "public_key_file" {
  type    = string
  default = "~/.ssh/id_ed25519.pub"
}

resource "tensorpool_ssh_key" "me" {
  public_key = file(var.public_key_file)
  name       = "laptop"
}
