#!/usr/bin/env bash
# The login-storm benchmark (bench/logins.py): installs wrk when absent (as root).
set -euo pipefail
REPO="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
cd "$REPO"
export BENCH_COMMAND="bash bench/logins.sh${*:+ $*}"
source bench/_tools.sh
exec uv run python bench/logins.py "$@"
