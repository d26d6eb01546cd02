# Sourced by the benchmark scripts: Bazaar's own environment (uv, `uv sync --frozen`) and wrk,
# installed from Debian when absent (as root).
source scripts/_uv.sh
uv sync --frozen --quiet
if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  else
    echo "wrk is needed (apt-get install wrk)" >&2; exit 2
  fi
fi
