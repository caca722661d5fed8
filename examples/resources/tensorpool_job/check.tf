# A plain `terraform plan` refreshes the job but does not print a status that
# changed outside Terraform (nothing in the configuration depends on it). A
# check block (Terraform 1.5+) does: every plan and apply, and Terraform
# Cloud's continuous validation, show this warning while the job is failed,
# errored or canceled. The warning does not fail the run.
# Remove "completed" from the list to be told when the job finishes, too.
check "train_job_healthy" {
  assert {
    condition     = contains(["pending", "running", "completed"], tensorpool_job.train.status)
    error_message = "TensorPool job ${tensorpool_job.train.id} is ${tensorpool_job.train.status}."
  }
}
