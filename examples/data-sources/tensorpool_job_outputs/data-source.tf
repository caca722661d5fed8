resource "tensorpool_job" "train" {
  cluster_id = "c-abc123"
  source_dir = "${path.module}/job"
  config     = <<-EOT
    commands = ["python train.py"]
    outputs  = ["model.pt", "metrics.json"]
  EOT

  # Outputs exist once the job has finished: wait for it, so that the data
  # source below is read only after the job has completed.
  wait_for = "completed"
}

data "tensorpool_job_outputs" "train" {
  id = tensorpool_job.train.id
}

# Download the model once per job. The URL is presigned: a credential,
# sensitive in plans and outputs, and signed afresh on every read, so a new
# URL alone is no reason to download again.
resource "terraform_data" "model" {
  triggers_replace = tensorpool_job.train.id
  input            = data.tensorpool_job_outputs.train.urls["model.pt"]

  provisioner "local-exec" {
    command     = "curl -fsSL -o model.pt \"$MODEL_URL\""
    environment = { MODEL_URL = self.input }
  }

  lifecycle {
    ignore_changes = [input]
  }
}

output "output_files" {
  value = [for f in data.tensorpool_job_outputs.train.files : f.path]
}
