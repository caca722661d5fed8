resource "tensorpool_storage" "datasets" {
  # GB. Raising it grows the volume in place; lowering it is refused at plan
  # time: the engine cannot shrink a volume, and replacing it would lose data.
  size = 500
  name = "datasets"

  # With true, terraform destroy stops before sending anything.
  deletion_protection = true

  timeouts {
    create = "30m"
    update = "30m"
    delete = "30m"
  }
}

output "datasets_storage_id" {
  value = tensorpool_storage.datasets.id
}
