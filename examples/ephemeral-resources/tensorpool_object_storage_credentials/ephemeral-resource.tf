resource "tensorpool_object_storage" "this" {}

resource "tensorpool_bucket" "checkpoints" {
  name       = "checkpoints"
  depends_on = [tensorpool_object_storage.this]
}

# The S3 keys, opened once the storage is enabled (object_storage_id is
# unknown until then), never written to the state or a plan file.
ephemeral "tensorpool_object_storage_credentials" "s3" {
  object_storage_id = tensorpool_object_storage.this.id
}

# For example: an rclone remote "tp" given through the environment of one
# command, so that no configuration file holds the keys.
resource "terraform_data" "seed_checkpoints" {
  input = tensorpool_bucket.checkpoints.name

  provisioner "local-exec" {
    command = "rclone copy ./checkpoints tp:${tensorpool_bucket.checkpoints.name}"
    environment = {
      RCLONE_CONFIG_TP_TYPE              = "s3"
      RCLONE_CONFIG_TP_PROVIDER          = "Other"
      RCLONE_CONFIG_TP_ENDPOINT          = ephemeral.tensorpool_object_storage_credentials.s3.endpoint
      RCLONE_CONFIG_TP_REGION            = ephemeral.tensorpool_object_storage_credentials.s3.region
      RCLONE_CONFIG_TP_ACCESS_KEY_ID     = ephemeral.tensorpool_object_storage_credentials.s3.access_key_id
      RCLONE_CONFIG_TP_SECRET_ACCESS_KEY = ephemeral.tensorpool_object_storage_credentials.s3.secret_access_key
    }
  }
}
