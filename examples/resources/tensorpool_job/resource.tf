resource "tensorpool_job" "train" {
  cluster_id = "c-abc123"
  config     = file("${path.module}/job/train.tp.toml")
  # A folder of its own: everything in it (minus the config's `ignore`
  # patterns) is uploaded with the job. Terraform's own files are never
  # uploaded, but nothing else of the working directory belongs there either.
  source_dir = "${path.module}/job"

  # Return once the engine has accepted the job (the default), once it runs
  # ("running"), or once it has finished ("completed").
  wait_for = "accepted"

  # When the files of job/ change, plans show a new source_hash ("show", the
  # default); "replace" submits the job again. A changed triggers_replace
  # value always does.
  on_source_change = "show"
  triggers_replace = { dataset = "v1" }

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
