"""Turn the harness's figures into the table, the ratios, ``latest.json`` and ``latest.png``.

Used by bench/harness.py at the end of a run; also standalone, to re-render from a saved run:

    /tmp/bench-venv/bin/python bench/report.py [bench/results/latest.json]

Works with partial data: an endpoint an app does not serve, or that did not answer 2xx when
probed, is a row marked n/a; a ratio or target whose inputs are missing is n/a.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from pathlib import Path
from typing import Any

APPS = ["bazaar", "thin", "flat", "raw"]
COLORS = {"bazaar": "#1f77b4", "flat": "#ff7f0e", "raw": "#2ca02c", "thin": "#9467bd"}
LABELS = {
    "item": "item by id",
    "list": "list, first page (50)",
    "deep": "list, page 100 (cursor)",
    "search": "search (q, price, tag)",
    "me": "users/me (auth read)",
    "create": "create item (POST)",
    "token": "auth/token (Argon2)",
}
SERVES = {
    "bazaar": list(LABELS),
    "raw": ["item", "list"],
    "flat": ["item", "list"],
    "thin": ["item", "list", "deep", "search", "me"],
}
THIN_ENDPOINTS = SERVES["thin"]


def med(values: list[float]) -> float | None:
    vals = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.median(vals) if vals else None


def fmt(v: float | None, spec: str = ".0f") -> str:
    return "n/a" if v is None else format(v, spec)


def summarize(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "rps": med([r.get("rps") for r in rounds]),
        "p50": med([r.get("p50") for r in rounds]),
        "p99": med([r.get("p99") for r in rounds]),
        "p999": med([r.get("p999") for r in rounds]),
        "rss_mib": med([r.get("rss_mib") for r in rounds]),
        "per_round_rps": [round(r.get("rps", 0)) for r in rounds],
        "non2xx": sum(r.get("non2xx", 0) for r in rounds),
        "socket_errors": any(r.get("errors") for r in rounds),
    }


def by_round(runs: dict[str, Any], app: str, ep: str) -> dict[int, dict[str, Any]]:
    return {r["round"]: r for r in runs.get(app, {}).get(ep, []) if r.get("rps")}


def ratio(runs: dict[str, Any], num: tuple[str, str], den: tuple[str, str]) -> dict[str, Any] | None:
    """num/den of req/s and p99, round by round; the median of each."""
    a, b = by_round(runs, *num), by_round(runs, *den)
    common = sorted(set(a) & set(b))
    if not common:
        return None
    rps = [a[r]["rps"] / b[r]["rps"] for r in common]
    p99 = [a[r]["p99"] / b[r]["p99"] for r in common if b[r].get("p99")]
    return {
        "rps_per_round": [round(x, 3) for x in rps],
        "rps_median": round(statistics.median(rps), 3),
        "p99_per_round": [round(x, 3) for x in p99],
        "p99_median": round(statistics.median(p99), 3) if p99 else None,
    }


def compute(results: dict[str, Any]) -> None:
    runs = results.get("runs", {})
    results["summary"] = {
        phase: {app: {ep: summarize(rs) for ep, rs in eps.items()} for app, eps in prun.items()}
        for phase, prun in runs.items()
    }
    base = runs.get("base", {})
    ratios: dict[str, Any] = {}
    for ep in ("item", "list"):
        ratios[f"bazaar/flat {ep}"] = ratio(base, ("bazaar", ep), ("flat", ep))
        ratios[f"bazaar/raw {ep}"] = ratio(base, ("bazaar", ep), ("raw", ep))
    for ep in THIN_ENDPOINTS:
        ratios[f"bazaar/thin {ep}"] = ratio(base, ("bazaar", ep), ("thin", ep))
    ratios["bazaar deep/list"] = ratio(base, ("bazaar", "deep"), ("bazaar", "list"))
    ratios["bazaar me/item"] = ratio(base, ("bazaar", "me"), ("bazaar", "item"))
    results["ratios"] = ratios
    if "scale" in runs:
        changes: dict[str, Any] = {}
        s_base, s_scale = results["summary"].get("base", {}), results["summary"]["scale"]
        for app, eps in s_scale.items():
            for ep, s in eps.items():
                b = s_base.get(app, {}).get(ep)
                if b and b["rps"] and s["rps"]:
                    changes[f"{app} {ep}"] = {
                        "rps": [round(b["rps"]), round(s["rps"])],
                        "rps_change_pct": round((s["rps"] / b["rps"] - 1) * 100, 1),
                        "p99": [b["p99"], s["p99"]],
                        "p99_change_pct": round((s["p99"] / b["p99"] - 1) * 100, 1) if b["p99"] else None,
                    }
        results["scale_changes"] = changes
    results["targets"] = targets(results)


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    r, out = results["ratios"], []

    def add(name: str, value: Any, ok: bool | None) -> None:
        out.append({"target": name, "value": value, "met": ok})

    for ep in THIN_ENDPOINTS:
        x = r.get(f"bazaar/thin {ep}")
        add(
            f"{ep}: req/s >= 0.6x thin, p99 <= 3x thin's",
            x and f"{x['rps_median']:.2f}x req/s, {fmt(x['p99_median'], '.2f')}x p99",
            None if not x else x["rps_median"] >= 0.6 and (x["p99_median"] or 0) <= 3.0,
        )
    for ep in ("item", "list"):
        x = r.get(f"bazaar/flat {ep}")
        add(
            f"{ep}: req/s >= 1.0x flat, p99 no worse",
            x and f"{x['rps_median']:.2f}x req/s, {fmt(x['p99_median'], '.2f')}x p99",
            None if not x else x["rps_median"] >= 1.0 and (x["p99_median"] or 0) <= 1.0,
        )
        x = r.get(f"bazaar/raw {ep}")
        add(
            f"{ep}: aim >= 0.6x raw",
            x and f"{x['rps_median']:.2f}x",
            None if not x else x["rps_median"] >= 0.6,
        )
    x = r.get("bazaar deep/list")
    add(
        "deep cursor page >= 0.9x first page",
        x and f"{x['rps_median']:.2f}x",
        None if not x else x["rps_median"] >= 0.9,
    )
    x = r.get("bazaar me/item")
    add(
        "users/me >= 0.8x item by id",
        x and f"{x['rps_median']:.2f}x",
        None if not x else x["rps_median"] >= 0.8,
    )
    sql = results.get("sql", {}).get("bazaar", {})
    for ep, limit in (("me", 1), ("item", 2), ("list", 3)):
        s = sql.get(ep, {}).get("statements")
        add(f"{ep}: <= {limit} SQL statement(s)/request", s, None if s is None else s <= limit)
    m = results.get("memory")
    add(
        "RSS after MEM_REQUESTS within 10% of RSS after MEM_BASE",
        m
        and f"{m.get('app', 'bazaar')}: {m['rss_base_mib']} -> {m['rss_total_mib']} MiB"
        f" ({m['growth_pct']:+.1f}%,"
        f" {m['requests_base']} -> {m['requests_total']} requests)",
        None if not m else abs(m["growth_pct"]) <= 10,
    )
    st = results.get("startup_s", {}).get("bazaar")
    add(
        "bazaar serve answers /health/live within 2 s",
        st and f"max {max(st):.2f} s over {len(st)} starts",
        None if not st else max(st) <= 2.0,
    )
    return out


def table(results: dict[str, Any], phase: str = "base") -> str:
    summ = results.get("summary", {}).get(phase, {})
    sql = results.get("sql", {})
    unav = results.get("unavailable", {})
    apps = [a for a in APPS if a in results.get("config", {}).get("apps", APPS)]
    eps = list(LABELS) if phase == "base" else ["item", "list"]
    lines = [
        "| app | endpoint | req/s | per round | p50 ms | p99 ms | p99.9 ms | SQL stmts/req | RSS MiB "
        "| non-2xx |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for ep in eps:
        for app in apps:
            if ep not in SERVES[app]:
                continue
            s = summ.get(app, {}).get(ep)
            stm = sql.get(app, {}).get(ep, {}).get("statements")
            if s is None:
                why = unav.get(app, {}).get(ep, "not measured").split(":")[0]  # full text in latest.json
                lines.append(f"| {app} | {LABELS[ep]} | n/a | {why} | | | | {fmt(stm, '.2f')} | | |")
                continue
            bad = f"{s['non2xx']}" + (" +sock err" if s["socket_errors"] else "")
            lines.append(
                f"| {app} | {LABELS[ep]} | {fmt(s['rps'])} | {' / '.join(map(str, s['per_round_rps']))} "
                f"| {fmt(s['p50'], '.2f')} | {fmt(s['p99'], '.2f')} | {fmt(s.get('p999'), '.2f')} "
                f"| {fmt(stm, '.2f')} "
                f"| {fmt(s['rss_mib'], '.0f')} | {bad} |"
            )
    return "\n".join(lines)


def text_report(results: dict[str, Any]) -> str:
    c = results.get("config", {})
    out = [
        f"## Benchmark {results.get('date', '')}  (commit {results.get('git', {}).get('commit', '')[:10]})",
        f"`{c.get('command', '')}`: {c.get('rounds')} rounds x {c.get('duration')}"
        f" (warm-up {c.get('warmup')}), "
        f"wrk -t1 -c{c.get('conns')}, {c.get('items')} items; medians over rounds",
        "",
        table(results),
        "",
        "Ratios (req/s, round by round, median; p99 likewise):",
    ]
    for name, x in results.get("ratios", {}).items():
        out.append(
            f"- {name}: n/a"
            if not x
            else f"- {name}: {x['rps_median']:.2f}x req/s (rounds {x['rps_per_round']}),"
            f" p99 {fmt(x['p99_median'], '.2f')}x"
        )
    if results.get("scale_changes"):
        out += [
            "",
            f"Scale ({c.get('scale_items')} items vs {c.get('items')}):",
            "",
            table(results, "scale"),
            "",
        ]
        for k, v in results["scale_changes"].items():
            out.append(
                f"- {k}: req/s {v['rps'][0]} -> {v['rps'][1]} ({v['rps_change_pct']:+.1f}%), "
                f"p99 {v['p99'][0]:.2f} -> {v['p99'][1]:.2f} ms ({fmt(v['p99_change_pct'], '+.1f')}%)"
            )
    st = results.get("startup_s", {})
    if st:
        out += [
            "",
            "Time to first 200 after start (s): "
            + "; ".join(
                f"{a} median {statistics.median(v):.2f} max {max(v):.2f}" for a, v in st.items() if v
            ),
        ]
    out += ["", *(f"WARNING: {w}" for w in results.get("warnings", []))] if results.get("warnings") else []
    out += ["", "Targets:"]
    for t in results.get("targets", []):
        mark = {True: "met", False: "NOT met", None: "n/a"}[t["met"]]
        out.append(f"- [{mark}] {t['target']}: {t['value'] if t['value'] is not None else 'n/a'}")
    sql = results.get("sql", {})
    if sql:
        out += ["", "SQL per request (counting proxy; statements include BEGIN/COMMIT/ROLLBACK):"]
        for app, eps in sql.items():
            for ep, d in eps.items():
                out.append(f"- {app} {ep}: {d['statements']} statements, {d['round_trips']} round trips")
                out += [f"    - {n}/req `{t[:110]}`" for t, n in d["by_text"][:6]]
    for key in ("explain", "profile"):
        if results.get(key):
            out += ["", f"{key}: " + ", ".join(results[key])]
    return "\n".join(out)


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summ = results.get("summary", {}).get("base", {})
    apps = [a for a in APPS if a in summ]
    eps = [e for e in LABELS if any(e in summ.get(a, {}) for a in apps)]
    fig, axes = plt.subplots(1, 2, figsize=(14, 5.5))
    if not eps:
        for ax in axes:
            ax.text(0.5, 0.5, "no data", ha="center", va="center")
    width = 0.8 / max(len(apps), 1)
    for ax, key, title in (
        (axes[0], "rps", "throughput (req/s, higher is better)"),
        (axes[1], "p99", "p99 latency (ms, lower is better)"),
    ):
        for i, app in enumerate(apps):
            xs, ys = [], []
            for j, ep in enumerate(eps):
                s = summ.get(app, {}).get(ep)
                if s and s.get(key) is not None:
                    xs.append(j + (i - (len(apps) - 1) / 2) * width)
                    ys.append(s[key])
            bars = ax.bar(xs, ys, width, label=app, color=COLORS.get(app))
            ax.bar_label(bars, fmt="%.0f" if key == "rps" else "%.1f", fontsize=7)
        ax.set_xticks(range(len(eps)), [LABELS[e] for e in eps], rotation=25, ha="right", fontsize=8)
        ax.set_title(title)
        ax.set_yscale("log")
        if apps and eps:
            ax.legend()
    c = results.get("config", {})
    fig.suptitle(
        f"Bazaar vs anchors, {results.get('date', '')}, {c.get('items')} items, "
        f"wrk -t1 -c{c.get('conns')} -d{c.get('duration')}, median of {c.get('rounds')} rounds"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def finish(results: dict[str, Any], out: Path) -> None:
    compute(results)
    text = text_report(results)
    print("\n" + text, flush=True)
    (out / "latest.md").write_text(text + "\n")
    (out / "latest.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    try:
        chart(results, out / "latest.png")
    except ImportError as e:
        print(f"chart skipped (matplotlib missing: {e})")


if __name__ == "__main__":
    src = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "results" / "latest.json")
    finish(json.loads(src.read_text()), src.parent)
