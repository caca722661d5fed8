#!/usr/bin/env bash
# Checks that every example is `terraform fmt` clean and passes
# `terraform validate` against the provider built from this tree (through a
# dev override: no registry, no network), with the oldest supported
# Terraform (TERRAFORM) and the newest (TERRAFORM_LATEST). Examples of
# features that only newer Terraform has are validated with the newest only.
# Then every example module with a tests/ folder runs its `terraform test`
# files (mock_provider: Terraform >= 1.7) with the newest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
terraform_bin=${TERRAFORM:-$root/.tools/bin/terraform}
terraform_latest=${TERRAFORM_LATEST:?set TERRAFORM_LATEST to the newest Terraform CLI}
# Actions need Terraform 1.14, import by identity 1.12, ephemeral resources
# 1.10, provider functions 1.8, terraform test's mock_provider 1.7.
newest_only=(examples/actions/tensorpool_job_cancel examples/functions/tp_config
  examples/ephemeral-resources/tensorpool_cluster_ssh examples/ephemeral-resources/tensorpool_object_storage_credentials
  examples/testing/gpu-training
  examples/resources/tensorpool_job/import-identity examples/resources/tensorpool_cluster/import-identity
  examples/resources/tensorpool_storage/import-identity examples/resources/tensorpool_ssh_key/import-identity
  examples/resources/tensorpool_storage_attachment/import-identity)
work=$(mktemp -d "${TMPDIR:-/tmp}/tensorpool-examples.XXXXXX")
trap 'rm -rf "$work"' EXIT

(cd "$root" && go build -o "$work/bin/terraform-provider-tensorpool" .)
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_CLI_CONFIG_FILE="$work/terraformrc"
# Examples without a required_providers block resolve to hashicorp/tensorpool,
# as they do in the registry docs; both addresses point at this build.
cat >"$TF_CLI_CONFIG_FILE" <<CFG
provider_installation {
  dev_overrides {
    "tensorpool/tensorpool" = "$work/bin"
    "hashicorp/tensorpool"  = "$work/bin"
  }
  direct {}
}
CFG

"$terraform_latest" fmt -recursive -check -diff "$root/examples"
failed=0
while IFS= read -r dir; do
  rel=${dir#"$root"/}
  clis=("$terraform_latest")
  [[ " ${newest_only[*]} " == *" $rel "* ]] || clis+=("$terraform_bin")
  for cli in "${clis[@]}"; do
    copy="$work/$(echo "$rel" | tr / _)-$(basename "$cli")"
    cp -R "$dir" "$copy"
    if out=$(cd "$copy" && "$cli" validate -no-color 2>&1); then
      echo "ok   $rel ($(basename "$cli"))"
    else
      echo "FAIL $rel ($(basename "$cli"))"
      echo "$out"
      failed=1
    fi
  done
done < <(find "$root/examples" -name '*.tf' -exec dirname {} \; | sort -u)
while IFS= read -r dir; do
  rel=${dir#"$root"/}
  copy="$work/$(echo "$rel" | tr / _)-test"
  cp -R "$dir" "$copy"
  if out=$(cd "$copy" && "$terraform_latest" test -no-color 2>&1); then
    echo "ok   $rel: terraform test ($(echo "$out" | grep -E '^Success!' || true))"
  else
    echo "FAIL $rel: terraform test"
    echo "$out"
    failed=1
  fi
done < <(find "$root/examples" -name '*.tftest.hcl' -path '*/tests/*' -exec dirname {} \; | xargs -r -n1 dirname | sort -u)

# Query files (list blocks, Terraform 1.14): validated with -query by the newest CLI.
while IFS= read -r dir; do
  rel=${dir#"$root"/}
  copy="$work/$(echo "$rel" | tr / _)-query"
  cp -R "$dir" "$copy"
  if out=$(cd "$copy" && "$terraform_latest" validate -query -no-color 2>&1); then
    echo "ok   $rel (query, $(basename "$terraform_latest"))"
  else
    echo "FAIL $rel (query, $(basename "$terraform_latest"))"
    echo "$out"
    failed=1
  fi
done < <(find "$root/examples" -name '*.tfquery.hcl' -exec dirname {} \; | sort -u)
exit "$failed"
