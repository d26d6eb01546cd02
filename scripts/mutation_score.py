"""The mutation score of the last ``mutmut run`` (scripts/mutation.sh runs it from the repo root).

score = killed / (all mutants - reviewed equivalent mutants), in percent. Killed includes
timeouts and crashes; a mutant no test reaches ("no tests"), a suspicious, skipped or unchecked
one counts as a survivor. The equivalent mutants are listed, each with its reason, in
``docs/mutation/equivalent.txt``; an entry that names no mutant, or a mutant the tests kill, is
an error, so the list cannot go stale. Every other survivor is written, with its diff, to
``docs/mutation/survivors.txt``. Exits 1 below the threshold (``--threshold``, percent).
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path

KILLED = {1: "killed", 3: "killed", -24: "timeout", 24: "timeout", 152: "timeout", 255: "timeout"}
KILLED |= {36: "timeout", -11: "segfault", -9: "segfault", 37: "caught by type check"}
OTHER = {0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", 35: "suspicious", None: "not checked"}


def status(code: int | None) -> str:
    return KILLED.get(code) or OTHER.get(code) or "suspicious"  # type: ignore[arg-type]


def mutated_sources() -> list[str]:
    """The ``source_paths`` of ``[tool.mutmut]`` in pyproject.toml (domain/, application/)."""
    config = tomllib.loads(Path("pyproject.toml").read_text("utf-8"))
    return [str(path) for path in config["tool"]["mutmut"]["source_paths"]]


def load_results(mutants: Path, sources: list[str]) -> dict[str, str]:
    """Mutant name → status, from the ``.meta`` files mutmut writes next to each mutated file."""
    results: dict[str, str] = {}
    for source in sources:
        for meta in sorted((mutants / source).rglob("*.py.meta")):
            data = json.loads(meta.read_text("utf-8"))
            for name, code in data["exit_code_by_key"].items():
                results[name] = status(code)
    return results


def load_equivalent(path: Path) -> dict[str, str]:
    """``<mutant name> <reason>`` per line; blank lines and ``#`` comments are ignored."""
    entries: dict[str, str] = {}
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        name, _, reason = text.partition(" ")
        if not reason.strip():
            sys.exit(f"{path}:{number}: {name} has no reason")
        if name in entries:
            sys.exit(f"{path}:{number}: {name} is listed twice")
        entries[name] = reason.strip()
    return entries


def diff_of(name: str) -> str:
    try:  # mutmut's own renderer of a mutant (the same text as ``mutmut show``)
        from mutmut.mutation.diff_apply import get_diff_for_mutant

        diff = get_diff_for_mutant(name)
    except Exception as exc:  # noqa: BLE001 - the list is still useful without the diff
        return f"    (no diff: {exc})"
    changed = [line for line in diff.splitlines()[2:] if line[:1] in "+-"]
    return "\n".join("    " + line for line in changed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=90.0)
    parser.add_argument("--mutants", type=Path, default=Path("mutants"))
    parser.add_argument("--equivalent", type=Path, default=Path("docs/mutation/equivalent.txt"))
    parser.add_argument("--survivors", type=Path, default=Path("docs/mutation/survivors.txt"))
    parser.add_argument("--seconds", type=float, default=None, help="run time, for the report")
    args = parser.parse_args()

    results = load_results(args.mutants, mutated_sources())
    if not results:
        sys.exit("no mutation results found: did mutmut run?")
    equivalent = load_equivalent(args.equivalent)
    errors = [
        f"{name}: listed as equivalent but no such mutant" for name in equivalent if name not in results
    ]
    errors += [
        f"{name}: listed as equivalent but {results[name]} (a test tells it apart: drop the entry)"
        for name in equivalent
        if name in results and results[name] in KILLED.values()
    ]

    equivalent = {
        name: why for name, why in equivalent.items() if results.get(name) not in (None, *KILLED.values())
    }
    counted = {name: s for name, s in results.items() if name not in equivalent}
    killed = sum(s in KILLED.values() for s in counted.values())
    survivors = sorted(name for name, s in counted.items() if s not in KILLED.values())
    score = 100.0 * killed / len(counted)
    by_status: dict[str, int] = {}
    for s in results.values():
        by_status[s] = by_status.get(s, 0) + 1

    summary = (
        f"mutation score {score:.1f}% = {killed} killed / ({len(results)} mutants - "
        f"{len(equivalent)} equivalent); threshold {args.threshold:g}%"
    )
    detail = ", ".join(f"{n} {s}" for s, n in sorted(by_status.items()))
    detail += f"; {len(equivalent)} of those not killed are reviewed equivalents"
    timing = f"; run took {args.seconds:.0f} s" if args.seconds is not None else ""
    lines = [
        "# Surviving mutants of domain/ and application/ (written by scripts/mutation.sh).",
        f"# {summary}",
        f"# {detail}",
        "# Each is a rule change the unit suite lets through; equivalent ones are in equivalent.txt.",
        "",
    ]
    for name in survivors:
        lines += [f"{name}: {counted[name]}", diff_of(name), ""]
    lines += ["", f"# Reviewed equivalent mutants ({args.equivalent}), left out of the score:", ""]
    for name, why in sorted(equivalent.items()):
        lines += [f"{name}: {results[name]}; {why}", diff_of(name), ""]
    args.survivors.parent.mkdir(parents=True, exist_ok=True)
    args.survivors.write_text("\n".join(lines), "utf-8")

    print(summary)
    print(f"  {detail}{timing}")
    print(f"  {len(survivors)} survivors written to {args.survivors}")
    for error in errors:
        print(f"  error: {error}", file=sys.stderr)
    if errors:
        return 1
    if score < args.threshold:
        print(f"  FAILED: {score:.1f}% is below the threshold of {args.threshold:g}%", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
