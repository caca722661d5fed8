# Terraform 1.5+ can import with a block instead of the command.
import {
  to = tensorpool_job.train
  id = "job-0123456789abcdef"
}
