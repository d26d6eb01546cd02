# Sourced by the run and check scripts: makes sure uv is on PATH (installing it from PyPI with
# the machine's Python 3.11+ when absent) and never lets uv download an interpreter.
export UV_PYTHON_DOWNLOADS=never
export PATH="$HOME/.local/bin:$PATH"
if ! command -v uv >/dev/null 2>&1; then
  python3 -m pip install --quiet --user uv 2>/dev/null \
    || python3 -m pip install --quiet --user --break-system-packages uv \
    || python3 -m pip install --quiet uv
fi
command -v uv >/dev/null 2>&1 || { echo "could not install uv" >&2; exit 1; }
