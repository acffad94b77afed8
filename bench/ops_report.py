"""The revocation and soak runs' figures as Markdown: bench/REVOCATION.md and bench/SOAK.md, folded into
bench/RESULTS.md."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.faults_report import outcomes
from bench.report import fold

REVOCATION_HEADING = "## Revocation across gateway processes"
SOAK_HEADING = "## Soak at 80 % of capacity"
FULL_SOAK_MINUTES = 10.0


def _taken(results: dict[str, Any], command: str) -> str:
    start, end = results["load_average_start"], results["load_average_end"]
    def avg(three: list[float]) -> str:
        return " / ".join(f"{x:.1f}" for x in three)

    return (f"Taken on a shared machine ({os.cpu_count()} cores; load average {avg(start)} at the start, "
            f"{avg(end)} at the end), {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; command: `{command}`; run time "
            f"{results['run_seconds']} s.")


def _q(q: dict[str, float], keys: tuple[str, ...] = ("p50", "p95", "p99", "max")) -> str:
    return " / ".join(f"{q[k]:.0f}" for k in keys)


def _revocation_row(run: dict[str, Any]) -> str:
    rev, load = run["revocations"], run["load"]
    failed = sum(n for outcome, n in load["outcomes"].items() if outcome != "200")
    return (f"| {run['gateways']} | {run['capacity']['calls_per_s']:.0f} calls/s | {rev['count']} | "
            f"{_q(rev['everywhere_ms'])} ms | "
            f"{rev['within_1s']} of {rev['count']} | {rev['first_process_ms']['p50']:.0f} ms | "
            f"{_q(rev['api_delete_ms'], ('p50', 'p99'))} ms | "
            f"{run['rate']}/s offered; {load['total']['calls']} calls at "
            f"{load['total'].get('calls_per_s', 0):.0f}/s, p50 / p99 "
            f"{load['total'].get('p50_ms', 0):.1f} / {load['total'].get('p99_ms', 0):.1f} ms | "
            f"{failed} ({outcomes(load['outcomes'])}) |")


def _limit_row(run: dict[str, Any]) -> str:
    lim = run["limits"]
    held = max(lim["allowed_surely_per_second"]) <= lim["ceiling"]
    alone = run["gateways"] * lim["ceiling"]  # what processes counting alone would allow
    return (f"| {run['gateways']} | {lim['ceiling']}/s | {lim['allowed_surely_per_second']} / "
            f"{lim['allowed_at_most_per_second']} | {lim['offered_per_second']} "
            f"({'yes' if lim['offered_per_second'] > alone else 'no'}: more than {alone} needed) | "
            f"{lim['allowed_by_process']} | {outcomes(lim['outcomes'])} | {'held' if held else 'EXCEEDED'} |")


def revocation_text(results: dict[str, Any]) -> str:
    runs = results["runs"]
    return "\n".join([
        REVOCATION_HEADING, "",
        _taken(results, "python -m bench.revocation") + " "
        "Gateway processes (`berth serve gateway` code) share one port with SO_REUSEPORT and each also "
        "listens on its own. First the fleet's capacity through the shared port is measured (32 closed-loop "
        f"clients, 6 s); then open-loop load of `tools/call query` at {results['share']:.0%} of it (latency "
        "from when a call was due) goes through the shared port from 32 connections with 8 tokens on two "
        "endpoints. Meanwhile tokens of the same endpoints, each first answered by every process (token "
        "cache TTL 300 s, so only the invalidation can end it), are revoked one at a time through "
        "the API (`DELETE /v1/endpoints/{id}/tokens/{token}`, `berth serve api`); every process is polled on "
        "its own port (`ping`, every 10 ms) until it answers 401. Times run from just before the DELETE is "
        "sent, so they include the API's own answer.", "",
        "| gateway processes | capacity | revocations | refused by every process, p50 / p95 / p99 / max | "
        "within 1 s | "
        "first process refused, p50 | API DELETE p50 / p99 | load through the shared port | "
        "failed calls of the other tokens |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *(_revocation_row(run) for run in runs), "",
        "Shared burst ceiling: after the revocations, a `free` endpoint (10 calls/s) is called for "
        f"{runs[0]['limits']['seconds']} whole wall-clock seconds from four connections per process, each "
        "on a process's own port. A 200 counts surely for a second when it was sent and answered within it, "
        "at most when its call overlaps it. Processes that each counted alone would allow 10 each, which "
        "only shows when more calls are offered than all of them together would allow.", "",
        "| gateway processes | ceiling | 200s per second, surely / at most | calls offered per second "
        "(enough to show separate counting?) | "
        "200s by process | outcomes | verdict |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *(_limit_row(run) for run in runs), ""])


def _minute_row(index: int, bucket: dict[str, Any]) -> str:
    if not bucket.get("calls"):
        return f"| {index + 1} | 0 | {bucket.get('errors', 0)} | | | |"
    return (f"| {index + 1} | {bucket['calls_per_s']:.0f} | {bucket['errors']} | {bucket['p50_ms']:.1f} | "
            f"{bucket['p99_ms']:.1f} | {bucket['max_ms']:.0f} |")


def _rss_row(name: str, rss: dict[str, Any], cores: float) -> str:
    def mib(kib: float | None) -> str:
        return "n/a" if kib is None else f"{kib / 1024:.1f}"

    return (f"| {name} | {mib(rss['start_kib'])} | {mib(rss['warm_kib'])} | {mib(rss['end_kib'])} | "
            f"{mib(rss['max_kib'])} | {rss['slope_kib_per_min']:+.1f} | "
            f"{rss['slope_whole_run_kib_per_min']:+.1f} | {cores:.2f} | "
            f"{'flat' if rss['flat'] else 'NOT FLAT'} |")


def soak_text(results: dict[str, Any]) -> str:
    cap, load, api = results["capacity"], results["load"], results["api"]
    failed = sum(n for outcome, n in load["outcomes"].items() if outcome != "200")
    api_failed = sum(n for outcome, n in api["outcomes"].items() if outcome != "200")
    warnings = {name: found for name, found in results["log_warnings"].items() if found}
    said = "; ".join(f"{name}: " + ", ".join(f"{n} x {event}" for event, n in found.items())
                     for name, found in warnings.items()) or "none"
    return "\n".join([
        SOAK_HEADING, "",
        _taken(results, results["command"]) + " "
        "`berth serve gateway` (one process), `berth serve api` and `berth serve worker` on an embedded "
        "Postgres and Redis of the run's own, logging JSON at `info` (an access-log line per call) to files.",
        "",
        f"- Capacity, measured first in the same run: **{cap['calls_per_s']:.0f} calls/s** (median of "
        f"{', '.join(f'{c:.0f}' for c in cap['runs_calls_per_s'])}; {cap['clients']} closed-loop clients, "
        f"`tools/call query` on six endpoints; p50 / p99 {cap['p50_ms']:.1f} / {cap['p99_ms']:.1f} ms at "
        f"saturation; {cap['errors']} errors).",
        f"- Soak: **{results['rate']} calls/s offered on a fixed schedule** ({results['share']:.0%} of "
        f"capacity) for {results['minutes']:g} min from 64 connections; latency counted from when each call "
        "was due. "
        f"{load['total']['calls']} calls, **{failed} failed** ({outcomes(load['outcomes'])}).",
        f"- The API, asked `GET /v1/endpoints` once a second meanwhile: {outcomes(api['outcomes'])}, "
        f"{api_failed} failed; p50 / p99 {api['ms']['p50']:.0f} / {api['ms']['p99']:.0f} ms.",
        f"- Log lines at warning or above: {said}.", "",
        "| minute | calls/s | errors | p50 ms | p99 ms | max ms |", "| --- | --- | --- | --- | --- | --- |",
        *(_minute_row(i, b) for i, b in enumerate(load["buckets"])), "",
        f"RSS read from `/proc/<pid>/status` every {results['sample_every_s']:.0f} s; slope by least squares "
        f"over the samples after the first {results['warm_up_minutes']:g} min (warm-up: caches and pools "
        f"fill); flat means within ±{results['flat_kib_per_min']:.0f} KiB/min (7.5 MiB an hour).", "",
        "| process | RSS start MiB | after warm-up | end | max | slope after warm-up KiB/min | "
        "slope whole run | cores used | verdict |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *(_rss_row(name, rss, results["cores"][name]) for name, rss in results["rss"].items()), ""])


def publish_revocation(results: dict[str, Any], where: Path) -> str:
    text = revocation_text(results)
    (where / "REVOCATION.md").write_text(text)
    fold(where / "RESULTS.md", text)
    return text


def publish_soak(results: dict[str, Any], where: Path) -> str:
    """SOAK.md and RESULTS.md only for a full-length run; a shorter one is a quick check, printed only."""
    text = soak_text(results)
    if results["minutes"] < FULL_SOAK_MINUTES:
        return text + f"\n(a {results['minutes']:g}-minute quick check: bench/SOAK.md left as it was)\n"
    (where / "SOAK.md").write_text(text)
    fold(where / "RESULTS.md", text)
    return text
