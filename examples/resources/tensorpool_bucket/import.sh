# A bucket made outside Terraform (`tp object-storage bucket create checkpoints`) is imported by its name.
terraform import tensorpool_bucket.checkpoints checkpoints
