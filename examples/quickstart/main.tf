# The quickstart `make demo` runs against the local simulator. Point it at
# the real engine by setting TENSORPOOL_KEY (and unsetting TENSORPOOL_ENGINE)
# and cluster_id to one of your clusters.
terraform {
  required_providers {
    tensorpool = {
      source = "tensorpool/tensorpool"
    }
  }
}

variable "cluster_id" {
  type        = string
  description = "Cluster to run the job on."
  default     = "c-local"
}

resource "tensorpool_job" "quickstart" {
  cluster_id = var.cluster_id
  config     = file("${path.module}/quickstart.tp.toml")
  source_dir = "${path.module}/workdir"

  timeouts {
    delete = "5m"
  }
}

data "tensorpool_job" "quickstart" {
  id = tensorpool_job.quickstart.id
}

output "job_id" {
  value = tensorpool_job.quickstart.id
}

output "job_status" {
  value = data.tensorpool_job.quickstart.status
}
