"""The benchmark's outputs: a table on stdout, bench/results.json and bench/RESULTS.md."""

from __future__ import annotations

import datetime
import os
import platform
import sys
from pathlib import Path
from typing import Any

import orjson

COMMAND = "make bench   (= .venv/bin/python -m bench.run)"


def machine() -> dict[str, Any]:
    model = ""
    try:
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    return {"cpu": model, "cores": os.cpu_count(), "python": sys.version.split()[0],
            "platform": platform.platform(), "date": now}


def ratios(results: dict[str, Any]) -> None:
    t = results["throughput"]
    berth = t["berth"]["calls_per_s"]
    results["vs_bare"] = round(berth / t["bare"]["calls_per_s"], 3)
    results["vs_sdk"] = round(berth / t["sdk-peer"]["calls_per_s"], 3)


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "MISSED")


Row = tuple[str, str, str, str]


def head_to_head_rows(r: dict[str, Any]) -> list[Row]:
    """(figure, value, budget, verdict) for the side-by-side part."""
    out = [(f"{name} calls/s (p50 / p99 ms)",
            f"{v['calls_per_s']:.0f} ({v['p50_ms']:.2f} / {v['p99_ms']:.2f})", "", "")
           for name, v in r["throughput"].items()]
    gw, bare = r["latency"]["berth"], r["latency"]["bare"]
    cold = r["cold_start"]
    return out + [
        ("berth / bare (vs_bare)", f"{r['vs_bare']:.2f} x", ">= 0.75 x", verdict(r["vs_bare"] >= 0.75)),
        ("berth / sdk-peer (vs_sdk)", f"{r['vs_sdk']:.2f} x", ">= 4 x", verdict(r["vs_sdk"] >= 4)),
        ("berth added latency p50 / p99 (1 client)",
         f"{gw['added_p50_ms']:.3f} / {gw['added_p99_ms']:.3f} ms", "p50 <= 1 ms",
         verdict(gw["added_p50_ms"] <= 1.0)),
        ("bare added latency p50 / p99 (1 client)",
         f"{bare['added_p50_ms']:.3f} / {bare['added_p99_ms']:.3f} ms", "", ""),
        (f"cold start p50 / p99 ({cold['n']} endpoints)", f"{cold['p50_ms']:.1f} / {cold['p99_ms']:.1f} ms",
         "p50 <= 30 ms", verdict(cold["p50_ms"] <= 30)),
    ]


def fleet_rows(r: dict[str, Any]) -> list[Row]:
    """(figure, value, budget, verdict) for scale, token check and provisioning."""
    sc, prov, tok = r["scale"], r["provisioning"], r["token_check"]
    served = sc["errors"] == 0 and sc["calls"] == sc["endpoints"]
    return [
        (f"{sc['endpoints']} endpoints over {sc['databases']} databases, each called once",
         f"{sc['calls_per_s']:.0f} calls/s, {sc['errors']} errors", "all served", verdict(served)),
        ("  gateway RSS idle -> after", f"{sc['rss_idle_mib']:.0f} -> {sc['rss_after_mib']:.0f} MiB", "", ""),
        ("  connections open after", f"{sc['connections_open']} (budget {sc['connection_budget']})",
         "<= budget", verdict(sc["connections_open"] <= sc["connection_budget"])),
        ("cached token check", "n/a" if tok["us"] is None else f"{tok['us']:.2f} us", "<= 5 us",
         verdict(None if tok["us"] is None else tok["us"] <= 5)),
        (f"provisioning, local ({prov['endpoints']} endpoints)",
         f"p50 {prov['p50_s']:.3f} s, {prov['per_minute']:.0f}/min", "p50 <= 1 s",
         verdict(prov["p50_s"] <= 1)),
    ]


def table(r: dict[str, Any]) -> str:
    lines = ["| figure | value | budget | verdict |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in head_to_head_rows(r) + fleet_rows(r)]
    return "\n".join(lines)


def publish(results: dict[str, Any], where: Path) -> None:
    ratios(results)
    results["machine"] = machine()
    results["command"] = COMMAND
    (where / "results.json").write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2) + b"\n")
    text = table(results)
    print(text)
    m = results["machine"]
    (where / "RESULTS.md").write_text(
        f"# Berth benchmark results\n\nMachine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, "
        f"{m['platform']}\nDate: {m['date']}\nCommand: `{COMMAND}`\nRun time: {results['run_seconds']} s\n\n"
        f"{text}\n")
