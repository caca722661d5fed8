# terraform query needs the provider the list blocks name.
provider "tensorpool" {}
