# `terraform test` (Terraform >= 1.7) runs these against a mock of the
# TensorPool provider: every resource is planned and "applied" with values
# the mock makes up (or the defaults below), and nothing reaches TensorPool.

mock_provider "tensorpool" {
  mock_resource "tensorpool_cluster" {
    defaults = {
      id           = "c-mock000001"
      instance_ids = ["i-mock01", "i-mock02"]
      status       = "RUNNING"
    }
  }
}

variables {
  name = "unit-test"
}

run "defaults_claim_one_h100_and_nothing_else" {
  command = plan

  assert {
    condition     = tensorpool_cluster.this.instance_type == "1xH100" && tensorpool_cluster.this.num_nodes == 1
    error_message = "The defaults must claim a single 1xH100 node."
  }
  assert {
    condition     = length(tensorpool_storage.data) == 0 && length(tensorpool_bucket.checkpoints) == 0
    error_message = "No volume and no bucket unless asked for."
  }
  assert {
    condition     = output.gpus == 1
    error_message = "One GPU by default."
  }
}

run "a_volume_is_attached_to_the_cluster" {
  command = apply

  variables {
    num_nodes   = 2
    volume_size = 500
  }

  assert {
    condition     = tensorpool_storage_attachment.data[0].cluster_id == "c-mock000001"
    error_message = "The volume must be attached to the module's cluster."
  }
  assert {
    condition     = tensorpool_storage.data[0].name == "unit-test-data" && tensorpool_storage.data[0].size == 500
    error_message = "The volume is named after the cluster and has the requested size."
  }
  assert {
    condition     = output.instance_ids == tolist(["i-mock01", "i-mock02"])
    error_message = "The module passes the cluster's instance ids on."
  }
}

run "a_checkpoint_bucket_when_named" {
  command = plan

  variables {
    checkpoint_bucket = "unit-test-checkpoints"
  }

  assert {
    condition     = tensorpool_bucket.checkpoints[0].name == "unit-test-checkpoints"
    error_message = "The bucket gets the given name."
  }
}

run "more_than_four_nodes_is_refused" {
  command = plan

  variables {
    num_nodes = 8
  }

  expect_failures = [var.num_nodes]
}

run "a_misspelled_instance_type_is_refused" {
  command = plan

  variables {
    instance_type = "H100"
  }

  expect_failures = [var.instance_type]
}
