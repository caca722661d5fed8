variable "ssh_public_key" {
  type        = string
  description = "An OpenSSH public key line, for example the content of ~/.ssh/id_ed25519.pub."
}

resource "tensorpool_cluster" "train" {
  instance_type = "8xH100"
  num_nodes     = 1
  name          = "llm-finetune"

  # Installed on the nodes in addition to the keys saved to the account. A
  # tensorpool_ssh_key's public_key referenced here is saved before the
  # cluster is claimed, without depends_on.
  public_keys = [var.ssh_public_key]

  # While true, `terraform destroy` stops before releasing the cluster.
  deletion_protection = false

  timeouts {
    create = "90m" # GPU capacity can take a while; the claim retries until then
    delete = "30m"
  }
}

# Jobs run on it; destroy cancels them before releasing the cluster.
resource "tensorpool_job" "train" {
  cluster_id = tensorpool_cluster.train.id
  config     = <<-EOT
    commands = ["python train.py"]
  EOT
}

output "cluster_id" {
  value = tensorpool_cluster.train.id
}
