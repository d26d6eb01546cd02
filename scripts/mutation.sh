#!/usr/bin/env bash
# Mutation testing of the rules: mutmut mutates domain/ and application/ ([tool.mutmut] in
# pyproject.toml) and runs tests/unit against every mutant, from a clean state (no result of an
# earlier run is reused). scripts/mutation_score.py then computes the score, killed / (mutants -
# the reviewed equivalent ones of docs/mutation/equivalent.txt), writes the survivors with their
# diffs to docs/mutation/survivors.txt, and fails below MUTATION_THRESHOLD percent (default 90).
# Inspect a survivor with `uv run mutmut show NAME` (or `mutmut browse`) after a run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_uv.sh
uv sync --frozen --quiet

threshold=${MUTATION_THRESHOLD:-90}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

rm -rf mutants
start=$SECONDS
echo "mutmut run: domain/ and application/ against tests/unit (progress in the log, shown on failure)"
if ! uv run --quiet mutmut run >"$log" 2>&1; then
  tr '\r' '\n' <"$log" | tail -n 80 >&2
  echo "mutmut run failed" >&2
  exit 1
fi
seconds=$((SECONDS - start))
tr '\r' '\n' <"$log" | grep -E "mutations/second" || true
uv run --quiet python scripts/mutation_score.py --threshold "$threshold" --seconds "$seconds"
