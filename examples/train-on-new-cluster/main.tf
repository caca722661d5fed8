# The whole GPU lifecycle in one configuration: an SSH key, a cluster that
# receives it, a storage volume attached to the cluster, and two jobs on it.
# `terraform destroy` cancels the jobs and waits until they have stopped,
# detaches the volume, releases the cluster and deletes the volume and the
# key, in that order: nothing is left billing.
terraform {
  required_version = ">= 1.5"
  required_providers {
    tensorpool = {
      source = "tensorpool/tensorpool"
    }
  }
}

variable "ssh_public_key" {
  type        = string
  description = "Your OpenSSH public key, for example file(\"~/.ssh/id_ed25519.pub\"), or set TF_VAR_ssh_public_key."
}

variable "instance_type" {
  type        = string
  description = "GPU type and count per node."
  default     = "1xH100"
}

# Saved keys are added to clusters created after them. Referencing the key in
# the cluster's public_keys below makes Terraform create the key first (and
# delete it last) without a depends_on.
resource "tensorpool_ssh_key" "me" {
  public_key = var.ssh_public_key
  name       = "train-on-new-cluster"
}

resource "tensorpool_cluster" "train" {
  instance_type = var.instance_type
  num_nodes     = 1
  name          = "train-on-new-cluster"
  public_keys   = [tensorpool_ssh_key.me.public_key]

  timeouts {
    create = "60m" # GPU capacity can take a while; the plan waits, bounded
    delete = "30m"
  }
}

resource "tensorpool_storage" "data" {
  size = 100 # GB; it can grow in place, never shrink
  name = "train-on-new-cluster-data"
}

# Attaching restarts every node of the cluster, so the jobs below refer to the
# attachment: they start after it and are canceled before the volume is
# detached.
resource "tensorpool_storage_attachment" "data" {
  storage_id = tensorpool_storage.data.id
  cluster_id = tensorpool_cluster.train.id
}

resource "tensorpool_job" "prepare" {
  cluster_id = tensorpool_storage_attachment.data.cluster_id
  config     = file("${path.module}/job/prepare.tp.toml")
  source_dir = "${path.module}/job"
}

resource "tensorpool_job" "train" {
  cluster_id = tensorpool_storage_attachment.data.cluster_id
  config     = file("${path.module}/job/train.tp.toml")
  source_dir = "${path.module}/job"

  timeouts {
    delete = "20m"
  }
}

output "cluster_id" {
  value = tensorpool_cluster.train.id
}

output "job_ids" {
  value = [tensorpool_job.prepare.id, tensorpool_job.train.id]
}
