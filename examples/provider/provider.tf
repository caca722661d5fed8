terraform {
  required_providers {
    tensorpool = { source = "tensorpool/tensorpool" }
  }
}

# Every setting can come from the environment instead:
# TENSORPOOL_KEY (the API key) and TENSORPOOL_ENGINE (the engine URL).
provider "tensorpool" {
  # api_key  = var.tensorpool_key # sensitive; prefer the TENSORPOOL_KEY variable
  max_retries = 4
  rate_limit  = 10 # requests per second, for plans over many jobs
}
