#!/usr/bin/env bash
# The scale-out benchmark (bench/scale.py) on scripts/cluster.sh's topology: installs wrk (and
# the topology's Debian packages) when absent, as root.
set -euo pipefail
REPO="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
cd "$REPO"
export BENCH_COMMAND="bash bench/scale.sh${*:+ $*}"
source bench/_tools.sh
exec uv run python bench/scale.py "$@"
