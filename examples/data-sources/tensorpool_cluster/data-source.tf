# A cluster created outside this configuration, for example with
# `tp cluster create`.
data "tensorpool_cluster" "shared" {
  id = "c-0123456789ab"
}

output "shared_cluster" {
  value = {
    instance_type = data.tensorpool_cluster.shared.instance_type
    num_nodes     = data.tensorpool_cluster.shared.num_nodes
    instance_ids  = data.tensorpool_cluster.shared.instance_ids
  }
}
