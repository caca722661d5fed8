# Import an existing cluster by its id (`tp cluster list` shows it).
terraform import tensorpool_cluster.train c-0123456789ab
