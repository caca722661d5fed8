# Every job still running, whoever submitted it.
list "tensorpool_job" "running" {
  provider = tensorpool

  config {
    status = "running"
  }
}
