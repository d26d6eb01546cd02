"""One wrk run and its figures, shared by the benchmark scripts (transfers.py, engines.py).

wrk's ``--latency`` table stops at p99; a ``done`` hook appended to every script prints p99.9
from wrk's own latency histogram, so the tail is read from the same run.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

P999_HOOK = """
done = function(summary, latency, requests)
  io.write(string.format("p999_us=%d\\n", latency:percentile(99.9)))
end
"""


def run(
    script: str, lua: Path, url: str, *, conns: int, duration: str, timeout: str = "30s"
) -> dict[str, Any]:
    """Runs ``wrk -t1`` with ``script`` (saved to ``lua``) against ``url``: req/s, p50, p99, p99.9
    in ms, and the count of non-2xx answers."""
    lua.write_text(script + P999_HOOK)
    command = [
        "wrk",
        "-t1",
        f"-c{conns}",
        f"-d{duration}",
        f"--timeout={timeout}",
        "--latency",
        "-s",
        str(lua),
        url,
    ]
    text = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    p999 = re.search(r"p999_us=(\d+)", text)
    return {
        "rps": float(_field(r"Requests/sec:\s+([\d.]+)", text)),
        "p50_ms": ms(_field(r"50%\s+([\d.]+\w+)", text)),
        "p99_ms": ms(_field(r"99%\s+([\d.]+\w+)", text)),
        "p999_ms": int(p999.group(1)) / 1000 if p999 else None,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
    }


def _field(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    if found is None:
        raise RuntimeError(f"wrk printed no {pattern!r}:\n{text}")
    return found.group(1)


def ms(value: str) -> float:
    """wrk's ``1.23ms`` / ``850.00us`` / ``1.02s`` in milliseconds."""
    found = re.fullmatch(r"([\d.]+)(\w+)", value)
    if found is None:
        raise ValueError(value)
    number, unit = found.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]
