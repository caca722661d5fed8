# A module of your own, as a team would write it: a GPU cluster with an
# optional volume and an optional checkpoint bucket, sized by variables that
# bound the bill. Its tests (tests/*.tftest.hcl) run with `terraform test`
# against a mocked provider: no API key, no engine, no GPU spent.
terraform {
  required_version = ">= 1.7"
  required_providers {
    tensorpool = {
      source = "tensorpool/tensorpool"
    }
  }
}

variable "name" {
  type        = string
  description = "Name of the cluster; the volume is named after it."
}

variable "instance_type" {
  type        = string
  description = "GPU type and count per node, such as 1xH100 or 8xB200."
  default     = "1xH100"
  validation {
    condition     = can(regex("^(1|2|4|8)x[A-Z0-9]+$", var.instance_type))
    error_message = "instance_type must be <GPUs per node>x<GPU>, such as 1xH100 or 8xB200."
  }
}

variable "num_nodes" {
  type        = number
  description = "Nodes in the cluster. This module allows at most 4, to bound what one apply can cost."
  default     = 1
  validation {
    condition     = var.num_nodes >= 1 && var.num_nodes <= 4
    error_message = "num_nodes must be between 1 and 4."
  }
}

variable "volume_size" {
  type        = number
  description = "Size in GB of a storage volume attached to the cluster; 0 for none."
  default     = 0
}

variable "checkpoint_bucket" {
  type        = string
  description = "Name of an object storage bucket for checkpoints; null for none. The organization's object storage must be enabled."
  default     = null
}

resource "tensorpool_cluster" "this" {
  name          = var.name
  instance_type = var.instance_type
  num_nodes     = var.num_nodes
}

resource "tensorpool_storage" "data" {
  count = var.volume_size > 0 ? 1 : 0
  name  = "${var.name}-data"
  size  = var.volume_size
}

resource "tensorpool_storage_attachment" "data" {
  count      = length(tensorpool_storage.data)
  storage_id = tensorpool_storage.data[0].id
  cluster_id = tensorpool_cluster.this.id
}

resource "tensorpool_bucket" "checkpoints" {
  count = var.checkpoint_bucket == null ? 0 : 1
  name  = var.checkpoint_bucket
}

output "cluster_id" {
  description = "The cluster, for the jobs that run on it."
  value       = tensorpool_cluster.this.id
}

output "instance_ids" {
  description = "The cluster's instances (for tensorpool_cluster_ssh)."
  value       = tensorpool_cluster.this.instance_ids
}

output "gpus" {
  description = "GPUs the cluster bills for."
  value       = tonumber(split("x", var.instance_type)[0]) * var.num_nodes
}
