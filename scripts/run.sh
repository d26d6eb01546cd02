#!/usr/bin/env bash
# Install, migrate the configured database (SQLite file by default) and serve on
# http://127.0.0.1:8000 with /docs open. Extra arguments go to `bazaar serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_uv.sh
uv sync --frozen --no-dev --quiet
uv run --no-dev bazaar migrate
exec uv run --no-dev bazaar serve "$@"
