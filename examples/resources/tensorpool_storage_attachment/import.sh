# Import an attachment by "<storage_id>/<cluster_id>".
terraform import tensorpool_storage_attachment.datasets s-0123456789ab/c-0123456789ab
