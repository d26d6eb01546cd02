#!/usr/bin/env bash
# Every check: install dev dependencies, make sure PostgreSQL answers (starting the local
# cluster when it is installed but stopped), install the Debian packages tests need (Chromium,
# when root), then ruff, mypy, import contracts and pytest.
# With CI=true an unreachable PostgreSQL fails the run instead of skipping its tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_uv.sh
uv sync --frozen --quiet

PGHOST=${PGHOST:-127.0.0.1}; PGPORT=${PGPORT:-5432}
pg_up() { uv run --quiet python -c "
import socket,sys
try: socket.create_connection(('$PGHOST', $PGPORT), timeout=2).close()
except OSError: sys.exit(1)"; }
if ! pg_up && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  echo "PostgreSQL is not answering on $PGHOST:$PGPORT; starting the local cluster"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in $(seq 30); do pg_up && break; sleep 1; done
fi
if ! pg_up; then
  if [ "${CI:-}" = "true" ]; then echo "PostgreSQL unreachable on $PGHOST:$PGPORT and CI=true: failing" >&2; exit 1; fi
  echo "PostgreSQL unreachable: its tests will be skipped (they fail under CI=true)"
fi

source scripts/provision.sh

echo "== ruff"; uv run ruff check . && uv run ruff format --check .
echo "== mypy"; uv run mypy
echo "== import contracts"; uv run lint-imports
echo "== pytest"
set +e; uv run pytest "$@"; rc=$?; set -e
[ $rc -eq 5 ] && { echo "pytest collected no tests" >&2; exit 1; }
# Mutation testing of domain/ and application/ (fails below 90%): after a green full pytest run,
# not when pytest was given arguments; MUTATION=0 skips it.
if [ $rc -eq 0 ] && [ $# -eq 0 ] && [ "${MUTATION:-1}" != "0" ]; then echo "== mutation"; bash scripts/mutation.sh; fi
exit $rc
