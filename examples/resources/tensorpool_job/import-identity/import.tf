# Terraform 1.12+ can also name the job by its resource identity.
import {
  to       = tensorpool_job.train
  identity = { id = "job-0123456789abcdef" }
}

resource "tensorpool_job" "train" {
  cluster_id = "c-abc123"
  source_dir = "${path.module}/job"
  config     = <<-EOT
    commands = ["python train.py"]
  EOT
}
