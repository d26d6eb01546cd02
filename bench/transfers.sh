#!/usr/bin/env bash
# The transfer benchmark (bench/transfers.py): installs wrk from Debian when absent (as root),
# runs Bazaar from this checkout's environment against the local PostgreSQL.
set -euo pipefail
REPO="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
cd "$REPO"
export BENCH_COMMAND="bash bench/transfers.sh${*:+ $*}"
source scripts/_uv.sh
uv sync --frozen --quiet
if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  else
    echo "wrk is needed (apt-get install wrk)" >&2; exit 2
  fi
fi
exec uv run python bench/transfers.py "$@"
