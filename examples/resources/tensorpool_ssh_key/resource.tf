variable "public_key_file" {
  type        = string
  description = "The SSH public key to save: a .pub file, as ssh-keygen writes it."
  default     = "~/.ssh/id_ed25519.pub"
}

# Saved to your account and shared with your organisation. file() keeps the
# file's trailing newline; that is not a change.
resource "tensorpool_ssh_key" "me" {
  public_key = file(var.public_key_file)
  name       = "laptop"
}

# The engine adds saved keys only to clusters created after them. Referencing
# the key here is an implicit dependency: Terraform creates the key before the
# cluster and destroys the cluster before the key, without depends_on.
resource "tensorpool_cluster" "train" {
  instance_type = "1xH100"
  public_keys   = [tensorpool_ssh_key.me.public_key]
}
