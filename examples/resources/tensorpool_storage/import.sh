# Import an existing storage volume by its id.
terraform import tensorpool_storage.datasets s-0123456789ab
