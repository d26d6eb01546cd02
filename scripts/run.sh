#!/usr/bin/env bash
# Install, migrate the configured database (SQLite file by default) and serve on
# http://127.0.0.1:8000 with /docs open. On the embedded default database a small demo data set
# is seeded (once; `bazaar seed` adds nothing the second time); BAZAAR_DEMO_SEED=0 skips it.
# Extra arguments go to `bazaar serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_uv.sh
uv sync --frozen --no-dev --quiet
uv run --no-dev bazaar migrate
if [ -z "${DATABASE_URL:-}" ] && [ "${BAZAAR_DEMO_SEED:-1}" != "0" ]; then
  uv run --no-dev bazaar seed --users 20 --items 200 --tags 12 --posts 100
fi
exec uv run --no-dev bazaar serve "$@"
