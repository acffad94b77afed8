"""The fault runs' figures as Markdown: bench/FAULTS.md, also kept at the end of bench/RESULTS.md."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.report import fold

HEADING = "## Fault runs"
COMMAND = ".venv/bin/python -m bench.faults"


def outcomes(found: dict[str, int]) -> str:
    ordered = sorted(found.items(), key=lambda item: -item[1])
    return ", ".join(f"{n} x {outcome}" for outcome, n in ordered) or "none"


def _outage(name: str, run: dict[str, Any], extra: str) -> str:
    return (f"| {name} | {run['outage_s']} s | {outcomes(run['during'])} | {outcomes(run['after'])} | "
            f"{run['recovered_after_restart_s']} s | {extra} |")


def _progress(run: dict[str, Any]) -> str:
    state = run["state_when_killed"]
    if isinstance(state, dict) and "removed" in state:
        return f"{state['removed']} of {state['total']} endpoints torn down"
    return "database created, not yet recorded in the catalog"  # where the row lock holds a provisioning


def _worker(run: dict[str, Any]) -> str:
    state = _progress(run)
    return (f"| worker killed during `{run['job']}` | lease | held on a row lock; progress then: {state} | "
            f"{run['status']} after {run['attempts']} attempts | "
            f"{run['finished_after_kill_s']} s after the kill | {'; '.join(run['said']['said'])} |")


def _failover(run: dict[str, Any]) -> str:
    said = ", ".join(f"{n} x {event}" for event, n in run["gateway_log"].items()) or "none"
    ready = run["readyz_ready_after_restart_s"]
    back = "not ready again in the run" if ready is None else f"ready {ready} s after promotion"
    failed = run["last_failed_call_after_kill_s"]
    last = "no call failed" if failed is None else f"last failed call {failed} s after the kill"
    return _outage("Redis Cluster: the master serving the invalidation channel and the first endpoint's "
                   "counters killed (SIGKILL); its replica promoted", run,
                   f"'outage' is kill to promotion; {last}; /readyz during: "
                   f"{', '.join(run['readyz_during'])}, {back}; "
                   f"gateway log at warning or above: {said}")


def table(results: dict[str, Any]) -> str:
    redis, pg, cat = results["redis"], results["endpoint_postgres"], results["catalog_postgres"]
    rows = [
        "| run | outage | calls during | calls after the restart | last failed call after the restart | "
        "also seen |",
        "| --- | --- | --- | --- | --- | --- |",
        _outage("Redis killed (SIGKILL), started empty", redis,
                f"/readyz during: {', '.join(redis['readyz_during'])}; ready "
                f"{redis['readyz_ready_after_restart_s']} s after restart; month counts flushed before "
                f"{redis['counts_flushed_before_kill']}, in Redis after {redis['counts_in_redis_after']} "
                f"(re-seeded: {redis['reseeded']})"),
        _outage("endpoints' Postgres stopped (fast) and started", pg,
                f"/readyz during: {', '.join(pg['readyz_during'])}"),
        _outage("catalog Postgres stopped (fast) and started", cat,
                f"new tokens during: {outcomes(cat['new_tokens_during'])}; after: "
                f"{outcomes(cat['new_tokens_after'])}; first new token served "
                f"{cat['new_token_served_after_restart_s']} s after restart; /readyz during: "
                f"{', '.join(cat['readyz_during'])}, ready {cat['readyz_ready_after_restart_s']} s "
                "after restart"),
        _worker(results["worker_provision"]),
        _worker(results["worker_delete_account"]),
        _failover(results["redis_cluster"]),
    ]
    return "\n".join(rows)


def publish(results: dict[str, Any], where: Path) -> str:
    busy = os.getloadavg()
    text = (f"{HEADING}\n\nTaken on a busy shared machine ({os.cpu_count()} cores, load average "
            f"{busy[0]:.1f} / {busy[1]:.1f} / {busy[2]:.1f} at the end), "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; command: `{COMMAND}`; run time "
            f"{results['run_seconds']} s. Eight clients call `tools/call query` "
            "on two endpoints without pause through one gateway process (`berth serve gateway` code) "
            "while the fault happens; a call counts as failed unless it is a 200 without a tool error. "
            "Outcomes are status codes (`200 tool error` is a JSON-RPC result with `isError`). Times are "
            "seconds from the restart finishing.\n\n"
            f"{table(results)}\n")
    (where / "FAULTS.md").write_text(text)
    fold(where / "RESULTS.md", text)
    return text
