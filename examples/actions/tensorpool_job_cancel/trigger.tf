# Or run it from another resource's lifecycle, for example once a pipeline
# step that replaces the job has been created.
resource "terraform_data" "pipeline_step" {
  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.tensorpool_job_cancel.stale_run]
    }
  }
}
