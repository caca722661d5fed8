resource "tensorpool_cluster" "train" {
  instance_type = "1xH100"
  num_nodes     = 2
}

# The SSH command of each instance, opened at each plan and apply, never
# written to the state or a plan file.
ephemeral "tensorpool_cluster_ssh" "train" {
  cluster_id = tensorpool_cluster.train.id
}

# For example: once the cluster is up, check that every node answers.
resource "terraform_data" "nodes_answer" {
  input = tensorpool_cluster.train.id

  provisioner "local-exec" {
    command = "printf '%s\\n' \"$SSH_COMMANDS\" | while read -r ssh_command; do $ssh_command true; done"
    environment = {
      SSH_COMMANDS = join("\n", values(ephemeral.tensorpool_cluster_ssh.train.commands))
    }
  }
}
