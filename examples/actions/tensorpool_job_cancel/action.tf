# Terraform 1.14+: cancel any job by id, also one submitted by the `tp` CLI or
# another pipeline, and wait until the engine reports that it has stopped.
#
#   terraform apply -invoke=action.tensorpool_job_cancel.stale_run
action "tensorpool_job_cancel" "stale_run" {
  config {
    job_id  = "job-0123456789abcdef"
    timeout = "15m"
  }
}
