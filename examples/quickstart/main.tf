# The quickstart `make demo` runs against the local simulator. Point it at
# the real engine by setting TENSORPOOL_KEY (and unsetting TENSORPOOL_ENGINE)
# and cluster_id to one of your clusters.
terraform {
  required_version = ">= 1.5" # for the check block
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
  config     = file("${path.module}/job/quickstart.tp.toml")
  # Only this folder is uploaded with the job, not the working directory.
  source_dir = "${path.module}/job"

  timeouts {
    delete = "5m"
  }
}

# The job's id never changes, so a plan right after apply stays empty. (An
# output of its status would not: the job moves from pending to running by
# itself, and every later plan would show that as a change to outputs.)
output "job_id" {
  value = tensorpool_job.quickstart.id
}

# A plain `terraform plan` does not print a status that changed outside
# Terraform; this check warns in every plan while the job is failed, errored
# or canceled (without failing the run).
check "job_healthy" {
  assert {
    condition     = contains(["pending", "running", "completed"], tensorpool_job.quickstart.status)
    error_message = "TensorPool job ${tensorpool_job.quickstart.id} is ${tensorpool_job.quickstart.status}."
  }
}
