#!/usr/bin/env bash
# Bazaar's benchmark, side by side with the anchors in ../shared/bench/anchors (issue 9).
#
#   bash bench/run.sh                  # full run: 3 rounds x 15 s per endpoint (~20 min)
#   bash bench/run.sh --scale          # plus the 100,000-item phase        (SCALE=1)
#   bash bench/run.sh --profile        # plus a py-spy flame graph          (PROFILE=1)
#   bash bench/run.sh --quick          # smoke test: ROUNDS=1 DURATION=3s WARMUP=1s, 20k/2k memory
#
# Flags: --scale, --profile, --quick, -h/--help. Every setting is also an environment variable:
#   ROUNDS (3)  DURATION (15s)  WARMUP (5s)  CONNS (32)      wrk -t1 -c$CONNS -d$DURATION --latency
#   APPS (bazaar,raw,flat)      apps to run, rotated each round (A B C, B C A, C A B, ...)
#   ENDPOINTS ()                restrict to some of item,list,deep,search,me,create,token
#   BENCH_DB (bazaar_bench)     dropped and recreated, then `bazaar migrate` and `bazaar seed`
#   USERS (1000) ITEMS (10000) TAGS ()  seed size (TAGS empty: the seed's default of 50)
#   REUSE_DB (0)                1: use BENCH_DB as it is (no drop/migrate/seed; for testing)
#   SCALE (0) SCALE_DB (bazaar_bench_scale) SCALE_ITEMS (100000) SCALE_ROUNDS ($ROUNDS)
#   MEM_BASE (20000) MEM_REQUESTS (200000)  Bazaar RSS after each count on item by id (0: skip)
#   PROFILE (0) PROFILE_ENDPOINTS (list) PROFILE_SECONDS (20)  flame-<endpoint>.svg
#   SQL_SAMPLES (200) SQL_SAMPLES_TOKEN (20)  requests counted through sqlcount_proxy.py
#   SEARCH_Q SEARCH_MIN_PRICE SEARCH_MAX_PRICE SEARCH_TAG  override the derived search filter
#   PORT (8111) PROXY_PORT (5433) PROXY_CTL (5434) PGPORT (5432) PGUSER (postgres) PG_LOG (auto)
#   BAZAAR_SHARED ($(git rev-parse --show-toplevel)/../shared)  where bench/anchors lives
#   BENCH_VENV (/tmp/bench-venv)   anchors' venv, plus matplotlib and py-spy for the harness
#   BAZAAR_VENV (/tmp/bench-bazaar-venv)  Bazaar installed with `uv sync --frozen --no-dev`
#   OUT (bench/results)         latest.json, latest.md, latest.png, explain-*.txt, flame-*.svg
#
# PostgreSQL must answer on 127.0.0.1:$PGPORT as $PGUSER with trust auth. Everything stays on
# 127.0.0.1; one server runs at a time and each is stopped by PID when the run ends or fails.
set -euo pipefail
REPO="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
cd "$REPO"
export BENCH_COMMAND="bash bench/run.sh${*:+ $*}"
for arg in "$@"; do
  case "$arg" in
    --scale) export SCALE=1 ;;
    --profile) export PROFILE=1 ;;
    --quick) export ROUNDS=${ROUNDS:-1} DURATION=${DURATION:-3s} WARMUP=${WARMUP:-1s} \
                    MEM_REQUESTS=${MEM_REQUESTS:-20000} MEM_BASE=${MEM_BASE:-2000} \
                    SQL_SAMPLES=${SQL_SAMPLES:-50} SQL_SAMPLES_TOKEN=${SQL_SAMPLES_TOKEN:-5} ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $arg (see --help)" >&2; exit 2 ;;
  esac
done
export BAZAAR_SHARED="${BAZAAR_SHARED:-$REPO/../shared}"
export BENCH_VENV="${BENCH_VENV:-/tmp/bench-venv}"
export BAZAAR_VENV="${BAZAAR_VENV:-/tmp/bench-bazaar-venv}"
ANCHORS="$BAZAAR_SHARED/bench/anchors"
[ -f "$ANCHORS/sqlcount_proxy.py" ] || { echo "anchors not found in $ANCHORS (set BAZAAR_SHARED)" >&2; exit 1; }

# ---- tools: wrk, the anchors' venv (as their run.sh builds it) plus matplotlib, Bazaar's env ------
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
if [ ! -x "$BENCH_VENV/bin/uvicorn" ] || ! "$BENCH_VENV/bin/python" -c 'import matplotlib' 2>/dev/null \
   || [ ! -x "$BENCH_VENV/bin/py-spy" ] || ! "$BENCH_VENV/bin/python" -c 'import jwt' 2>/dev/null; then
  [ -x "$BENCH_VENV/bin/python" ] || python3 -m venv "$BENCH_VENV"
  "$BENCH_VENV/bin/pip" install -q fastapi 'uvicorn[standard]' 'sqlalchemy[asyncio]' asyncpg orjson \
    starlette pydantic py-spy matplotlib pyjwt
fi
source scripts/_uv.sh   # uv on PATH, UV_PYTHON_DOWNLOADS=never
# Bazaar as a user installs it (no dev tools), in its own environment so the repo's .venv is untouched.
UV_PROJECT_ENVIRONMENT="$BAZAAR_VENV" uv sync --frozen --no-dev --quiet

# ---- PostgreSQL must answer -----------------------------------------------------------------------
"$BENCH_VENV/bin/python" - <<PY
import socket, sys
try: socket.create_connection(("127.0.0.1", ${PGPORT:-5432}), timeout=3).close()
except OSError: sys.exit("PostgreSQL does not answer on 127.0.0.1:${PGPORT:-5432}")
PY

exec "$BENCH_VENV/bin/python" bench/harness.py
