#!/usr/bin/env bash
# `make fuzz`: runs every fuzz target in the module (each `func FuzzXxx` that
# `go test -list` finds, in any package) for FUZZTIME, one after another:
# `go test -fuzz` takes one target of one package at a time. A new target is
# picked up without editing this script. A failing input is saved under the
# package's testdata/fuzz/ (commit it: it becomes a seed) and fails the run,
# after the remaining targets have run too.
set -euo pipefail
cd "$(dirname "$0")/.."
# A count of executions ("100000x"), not a duration: when a duration runs
# out, Go's fuzz coordinator can race its own deadline and fail the target
# with a bare "context deadline exceeded" and no failing input
# (golang/go#75804); a count sets no deadline. A duration ("10s") still works.
fuzztime=${FUZZTIME:-100000x}

# The packages whose tests declare a fuzz target (listing only those spares
# building every test binary, and TestMain of the end-to-end tests); then
# `go test -list`, which prints a package's matching names followed by
# "ok <package> <time>", names the targets as Go sees them.
mapfile -t dirs < <(grep -rl --include='*_test.go' -E '^func Fuzz[A-Z0-9_]' . | xargs -r -n1 dirname | sort -u)
if ((${#dirs[@]} == 0)); then
  echo "fuzz: no fuzz targets found" >&2
  exit 1
fi
targets=$(go test -list '^Fuzz' "${dirs[@]}" | awk '
  /^Fuzz/ { names[++n] = $1; next }
  /^ok/   { for (i = 1; i <= n; i++) print $2, names[i]; n = 0 }
')
if [[ -z "$targets" ]]; then
  echo "fuzz: no fuzz targets found" >&2
  exit 1
fi

count=$(wc -l <<<"$targets")
echo "fuzz: $count targets, $fuzztime each"
# Every target runs, even after one fails, so that one run reports them all.
failed=()
while read -r pkg name; do
  echo "==> $pkg $name"
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg"; then
    failed+=("$pkg $name")
  fi
done <<<"$targets"
if ((${#failed[@]} > 0)); then
  printf 'fuzz: FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
