resource "tensorpool_job" "train" {
  cluster_id = "c-abc123"
  config     = file("${path.module}/train.tp.toml")
  source_dir = path.module

  # Return as soon as the engine accepts the job (the default), or wait for it.
  wait_for_completion = false

  # On destroy: cancel the job and wait until the engine says it has stopped.
  on_destroy       = "cancel"
  purge_on_destroy = false

  timeouts {
    create = "60m"
    delete = "20m"
  }
}

output "train_status" {
  value = tensorpool_job.train.status
}
