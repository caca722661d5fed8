# Import an existing job by its id. The engine does not return the job's
# configuration, so the next apply adopts the configured values in place
# instead of replacing the job.
terraform import tensorpool_job.train job-0123456789abcdef
