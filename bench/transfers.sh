#!/usr/bin/env bash
# The transfer benchmark (bench/transfers.py): installs wrk from Debian when absent (as root),
# runs Bazaar from this checkout's environment against the local PostgreSQL.
set -euo pipefail
REPO="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
cd "$REPO"
export BENCH_COMMAND="bash bench/transfers.sh${*:+ $*}"
source bench/_tools.sh
if [ "${PROFILE:-0}" = "1" ]; then
  # py-spy (the profiler) in the benchmark tools' venv, never in Bazaar's dependencies.
  BENCH_VENV="${BENCH_VENV:-/tmp/bench-venv}"
  [ -x "$BENCH_VENV/bin/py-spy" ] || { python3 -m venv "$BENCH_VENV" && "$BENCH_VENV/bin/pip" install -q py-spy; }
  export PATH="$PATH:$BENCH_VENV/bin"
fi
exec uv run python bench/transfers.py "$@"
