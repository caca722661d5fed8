#!/usr/bin/env bash
# `make demo`: the provider end to end against the local engine simulator.
# Builds the provider and the simulator, starts the simulator on a free
# loopback port, and runs examples/quickstart through a Terraform dev
# override (no registry access): apply, plan, record the status, destroy.
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
(cd "$root" && go build -o "$work/bin/terraform-provider-tensorpool" . && go build -o "$work/bin/tensorpool-sim" ./cmd/tensorpool-sim)

step "Starting the TensorPool engine simulator (jobs start after 1s; a cancel takes 3s, like a real cluster)"
mkfifo "$work/sim.out"
"$work/bin/tensorpool-sim" -listen 127.0.0.1:0 -api-key tp-local-key -cluster c-local \
  -pending 1s -cancel-latency 3s >"$work/sim.out" 2>"$work/sim.log" &
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

cp -R "$root/examples/quickstart" "$work/quickstart"
cd "$work/quickstart"
tf() { "$terraform_bin" "$@" 2> >(grep -v -e 'Provider development overrides' -e 'dev_overrides' >&2); }

step "terraform apply: submits a job to cluster c-local"
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

step "terraform apply -refresh-only: records the status the job reached by itself (pending, then running after 1s)"
for _ in 1 2 3 4 5; do
  tf apply -refresh-only -auto-approve -input=false -compact-warnings >/dev/null
  status=$(echo 'tensorpool_job.quickstart.status' | tf console)
  echo "job $(tf output -raw job_id) is $status"
  [[ $status == '"pending"' ]] || break
  sleep 1
done

step "terraform destroy: cancels the job and waits until the engine reports it canceled"
start_ms=$(($(date +%s%N) / 1000000))
tf destroy -auto-approve -input=false -compact-warnings
elapsed_ms=$(($(date +%s%N) / 1000000 - start_ms))
printf '\ndestroy took %d.%01ds; the cancel itself takes 3s in the simulator, so that is the floor\n' \
  $((elapsed_ms / 1000)) $((elapsed_ms % 1000 / 100))
if command -v curl >/dev/null; then
  echo "the engine's view: $(curl -fsS "$TENSORPOOL_ENGINE/_sim/jobs" | grep -o '"status":"[a-z]*"')"
fi
step "Done: the simulator is stopped and $work is removed on exit"
