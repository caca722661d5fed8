resource "tensorpool_job" "train" {
  cluster_id = "c-abc123"
  config     = file("${path.module}/job/train.tp.toml")
  # A folder of its own: everything in it (minus the config's `ignore`
  # patterns) is uploaded with the job. Terraform's own files are never
  # uploaded, but nothing else of the working directory belongs there either.
  source_dir = "${path.module}/job"

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

# The id never changes. Its status does, by itself (pending -> running ->
# completed), so an output of it would make every later plan show a change
# to outputs; check.tf reports a job that stopped without completing.
output "train_job_id" {
  value = tensorpool_job.train.id
}
