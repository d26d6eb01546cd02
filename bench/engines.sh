#!/usr/bin/env bash
# Bazaar on MariaDB beside Bazaar on PostgreSQL (bench/engines.py): installs wrk from Debian when
# absent (as root), runs Bazaar from this checkout's environment against the local servers.
set -euo pipefail
REPO="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
cd "$REPO"
export BENCH_COMMAND="bash bench/engines.sh${*:+ $*}"
source bench/_tools.sh
exec uv run python bench/engines.py "$@"
