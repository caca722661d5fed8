#!/usr/bin/env bash
# `make demo`: the provider end to end against the local engine simulator.
# Builds the provider and the simulator, starts the simulator on a free
# loopback port, and runs examples/train-on-new-cluster through a Terraform
# dev override (no registry access): apply (SSH key, cluster, storage volume,
# attachment, two jobs), plan (empty), destroy, and the engine's billing report.
# Everything it starts or writes lives in one temp folder and is removed on
# exit, also when a step fails or you press Ctrl-C.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
terraform_bin=${TERRAFORM:-$root/.tools/bin/terraform}
work=$(mktemp -d "${TMPDIR:-/tmp}/tensorpool-demo.XXXXXX")
sim_pid=""

cleanup() {
  local status=$?
  if [[ -n "$sim_pid" ]] && kill -0 "$sim_pid" 2>/dev/null; then
    kill -TERM "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted, cleaning up"; exit 130' INT TERM

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Building the provider and the simulator"
mkdir -p "$work/bin"
(cd "$root" && go build -o "$work/bin/terraform-provider-tensorpool" . && go build -o "$work/bin/tensorpool-sim" ./internal/testing/cmd/tensorpool-sim)

step "Starting the TensorPool engine simulator (a cluster takes 3s to come up and 2s to release; a job cancel takes 3s)"
mkfifo "$work/sim.out"
"$work/bin/tensorpool-sim" -listen 127.0.0.1:0 -api-key tp-local-key \
  -pending 1s -cancel-latency 3s -cluster-provision-latency 3s -cluster-release-latency 2s -storage-latency 1s \
  >"$work/sim.out" 2>"$work/sim.log" &
sim_pid=$!
exec 3<"$work/sim.out"
if ! read -r -t 20 engine_line <&3; then
  echo "demo: the simulator did not start; its log:" >&2
  cat "$work/sim.log" >&2
  exit 1
fi
export "${engine_line?}"
echo "simulator at $TENSORPOOL_ENGINE (pid $sim_pid)"
# Keep draining the simulator's stdout so it never blocks on a full pipe.
cat <&3 >/dev/null &

export TENSORPOOL_KEY=tp-local-key
export CHECKPOINT_DISABLE=1
export TF_IN_AUTOMATION=1
export TF_CLI_CONFIG_FILE="$work/terraformrc"
cat >"$TF_CLI_CONFIG_FILE" <<CFG
provider_installation {
  dev_overrides {
    "tensorpool/tensorpool" = "$work/bin"
  }
  direct {}
}
CFG

cp -R "$root/examples/train-on-new-cluster" "$work/stack"
cd "$work/stack"
# A throwaway public key: the simulator checks its shape, nothing more.
export TF_VAR_ssh_public_key="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINBPb79w0+EDvGmWj6YUgq5S8GaFy++vY6XguKh7q8NM demo"
tf() { "$terraform_bin" "$@" 2> >(grep -v -e 'Provider development overrides' -e 'dev_overrides' >&2); }
engine() { curl -fsS "$TENSORPOOL_ENGINE/_sim/$1"; }

step "terraform apply: an SSH key, a cluster that receives it, a storage volume attached to it, two jobs on it"
tf apply -auto-approve -input=false -compact-warnings

step "terraform plan: nothing changed, so nothing to do"
set +e
tf plan -detailed-exitcode -input=false -compact-warnings >"$work/plan.txt"
plan_status=$?
set -e
if [[ $plan_status -ne 0 ]]; then
  cat "$work/plan.txt"
  echo "demo: expected an empty plan (exit 0), got exit $plan_status" >&2
  exit 1
fi
grep -E 'No changes' "$work/plan.txt"
tf state list

step "terraform destroy: cancels the jobs and waits until they stopped, detaches the volume, releases the cluster, deletes the volume and the key"
start_ms=$(($(date +%s%N) / 1000000))
tf destroy -auto-approve -input=false -compact-warnings
elapsed_ms=$(($(date +%s%N) / 1000000 - start_ms))
printf '\ndestroy took %d.%01ds\n' $((elapsed_ms / 1000)) $((elapsed_ms % 1000 / 100))

step "The engine's view after the destroy"
if command -v curl >/dev/null; then
  echo "jobs: $(engine jobs | grep -o '"status":"[a-z]*"' | sort | uniq -c | tr -s ' ' | paste -sd, -)"
  echo "what billed, and for how long after its destroy was requested:"
  engine 'billing?owner=user-1' | tr '{' '\n' | grep '"object_id"' |
    sed -E 's/.*"kind":"([a-z_]*)".*"object_id":"([^"]*)".*"billing":(true|false).*"billed_after_destroy_requested_ns":([0-9]+).*/\1 \2 \3 \4/' |
    awk '{ printf "  %-8s %-16s still billing: %-5s billed after destroy requested: %.1fs\n", $1, $2, $3, $4 / 1e9 }'
  if engine 'billing?owner=user-1' | grep -q '"billing":true'; then
    echo "demo: something is still billing after the destroy" >&2
    exit 1
  fi
fi
step "Done: the simulator is stopped and $work is removed on exit"
