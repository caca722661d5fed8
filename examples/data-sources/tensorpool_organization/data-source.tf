# Refuse to claim GPUs the organization cannot pay for: the plan stops with
# the precondition's message, before anything is created.
variable "minimum_balance" {
  description = "The balance, in US dollars, below which no cluster is created."
  type        = number
  default     = 100
}

data "tensorpool_organization" "current" {}

resource "tensorpool_cluster" "train" {
  instance_type = "1xH100"

  lifecycle {
    precondition {
      condition     = data.tensorpool_organization.current.balance >= var.minimum_balance
      error_message = "The organization's balance, ${data.tensorpool_organization.current.balance} USD, is below minimum_balance (${var.minimum_balance} USD): top it up before creating a cluster."
    }
  }
}

output "balance" {
  value = data.tensorpool_organization.current.balance
}
