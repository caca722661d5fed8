# Provider-defined functions need Terraform 1.8 or later (OpenTofu: 1.7), and
# the provider in required_providers. On older versions, write the TOML in a
# heredoc.
terraform {
  required_version = ">= 1.8"
  required_providers {
    tensorpool = {
      source = "tensorpool/tensorpool"
    }
  }
}

resource "tensorpool_job" "train" {
  cluster_id = "c-abc123"
  source_dir = "${path.module}/job"

  # Renders to a .tp.toml text with sorted keys, one array element per line.
  config = provider::tensorpool::tp_config({
    commands = [
      "pip install -r requirements.txt",
      "python train.py --epochs 3",
    ]
    outputs = ["checkpoints/", "metrics.json"]
    ignore  = [".venv/", "data/raw/"]
  })
}
