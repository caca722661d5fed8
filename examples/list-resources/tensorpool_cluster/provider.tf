# terraform query needs the provider the list blocks name, with its source:
# without one, Terraform looks for hashicorp/tensorpool.
terraform {
  required_providers {
    tensorpool = { source = "tensorpool/tensorpool" }
  }
}

provider "tensorpool" {}
