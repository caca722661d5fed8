# Object storage enabled outside Terraform (`tp object-storage enable`): its id is always "organization".
terraform import tensorpool_object_storage.this organization
