# Every SSH key saved to the account.
list "tensorpool_ssh_key" "all" {
  provider         = tensorpool
  include_resource = true
}
