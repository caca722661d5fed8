#!/usr/bin/env bash
# Checks that every example is `terraform fmt` clean and passes
# `terraform validate` against the provider built from this tree (through a
# dev override: no registry, no network).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
terraform_bin=${TERRAFORM:-$root/.tools/bin/terraform}
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

"$terraform_bin" fmt -recursive -check -diff "$root/examples"
failed=0
while IFS= read -r dir; do
  copy="$work/$(echo "${dir#"$root"/}" | tr / _)"
  cp -R "$dir" "$copy"
  if out=$(cd "$copy" && "$terraform_bin" validate -no-color 2>&1); then
    echo "ok   ${dir#"$root"/}"
  else
    echo "FAIL ${dir#"$root"/}"
    echo "$out"
    failed=1
  fi
done < <(find "$root/examples" -name '*.tf' -exec dirname {} \; | sort -u)
exit "$failed"
