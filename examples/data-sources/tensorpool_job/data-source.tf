data "tensorpool_job" "nightly" {
  id = "job-0123456789abcdef"
}

output "nightly_status" {
  value = data.tensorpool_job.nightly.status
}

output "nightly_exit_code" {
  value = data.tensorpool_job.nightly.exit_code
}
