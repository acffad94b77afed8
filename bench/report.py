"""The benchmark's outputs: a table on stdout, bench/results.json and bench/RESULTS.md."""

from __future__ import annotations

import datetime
import os
import platform
import statistics
import sys
from pathlib import Path
from typing import Any

import orjson

from bench import stack

COMMAND = "make bench   (= .venv/bin/python -m bench.run)"
KEPT = ("STACKS.md", "SCALE.md", "PROFILE.md", "TOOLS.md", "IMPORTS.md", "FAULTS.md", "REVOCATION.md",
        "SOAK.md")


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
    """Each ratio is the median of per-round ratios: a round's contenders ran back to back, so drift
    in the neighbours' load cancels within a round better than across the medians of whole columns."""
    t = results["throughput"]

    def per_round(a: str, b: str, key: str = "calls_per_s") -> float:
        pairs = zip(t[a]["rounds"], t[b]["rounds"], strict=True)
        return round(float(statistics.median(x[key] / y[key] for x, y in pairs)), 3)

    results["vs_bare"] = per_round("berth", "bare")
    results["vs_sdk"] = per_round("berth", "sdk-peer")
    results["bare_vs_sdk"] = per_round("bare", "sdk-peer")
    results["cpu_per_call_vs_bare"] = per_round("bare", "berth", "cpu_us_per_call")


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "MISSED")


Row = tuple[str, str, str, str]


def head_to_head_rows(r: dict[str, Any]) -> list[Row]:
    """(figure, value, budget, verdict) for the side-by-side part."""
    out = [(f"{name} calls/s (p50 / p99 ms; server CPU per call)",
            f"{v['calls_per_s']:.0f} ({v['p50_ms']:.2f} / {v['p99_ms']:.2f}; {v['cpu_us_per_call']:.0f} us)",
            "", "") for name, v in r["throughput"].items()]
    gw, bare = r["latency"]["berth"], r["latency"]["bare"]
    cold = r["cold_start"]
    return out + [
        ("berth / bare (vs_bare)", f"{r['vs_bare']:.2f} x", ">= 0.85 x", verdict(r["vs_bare"] >= 0.85)),
        ("berth / sdk-peer (vs_sdk)", f"{r['vs_sdk']:.2f} x", ">= 4 x", verdict(r["vs_sdk"] >= 4)),
        ("CPU per call, bare / berth", f"{r['cpu_per_call_vs_bare']:.2f} x", "", ""),
        ("reference: bare / sdk-peer (the ceiling for vs_sdk)", f"{r['bare_vs_sdk']:.2f} x", "", ""),
        ("reference: uvicorn answering fixed bytes (floor)",
         f"{r['floor']['calls_per_s']:.0f} calls/s, load generator at {r['floor']['loadgen_cpu']:.2f} core",
         "", ""),
        ("berth added latency p50 / p99 (1 client)",
         f"{gw['added_p50_ms']:.3f} / {gw['added_p99_ms']:.3f} ms", "p50 <= 0.5 ms",
         verdict(gw["added_p50_ms"] <= 0.5)),
        ("bare added latency p50 / p99 (1 client)",
         f"{bare['added_p50_ms']:.3f} / {bare['added_p99_ms']:.3f} ms", "", ""),
        (f"cold start p50 / p99 ({cold['n']} endpoints)", f"{cold['p50_ms']:.1f} / {cold['p99_ms']:.1f} ms",
         "p50 <= 10 ms", verdict(cold["p50_ms"] <= 10)),
    ]


def fleet_rows(r: dict[str, Any]) -> list[Row]:
    """(figure, value, budget, verdict) for scale, token check and provisioning."""
    prov, tok = r["provisioning"], r["token_check"]
    return [*scale_rows(r["scale"]),
            ("cached token check", "n/a" if tok["us"] is None else f"{tok['us']:.2f} us", "<= 5 us",
             verdict(None if tok["us"] is None else tok["us"] <= 5)),
            (f"provisioning, local ({prov['endpoints']} endpoints)",
             f"p50 {prov['p50_s']:.3f} s, {prov['per_minute']:.0f}/min", "p50 <= 1 s",
             verdict(prov["p50_s"] <= 1))]


def scale_rows(sc: dict[str, Any]) -> list[Row]:
    """(figure, value, budget, verdict) for one gateway process meeting many endpoints (bench/scale.py)."""
    swept, cold = sc.get("swept", sc["endpoints"]), sc.get("cold")
    served = sc["errors"] == 0 and sc["calls"] == swept
    rows = [
        (f"{sc['endpoints']:,} endpoints known over {sc['databases']} databases, "
         f"{swept:,} called once a sweep",
         f"{sc['calls_per_s']:.0f} calls/s, {sc['errors']} errors", "all served", verdict(served)),
        ("  first sweep latency, 32 clients, every call opening a pool under the cap: p50 / p99",
         f"{sc['p50_ms']:.1f} / {sc['p99_ms']:.1f} ms", "", ""),
    ]
    if cold is not None:
        rows.append((f"  cold first call, one client, {cold['endpoints']} endpoints never called "
                     "(token lookup, unseal, pool opened) p50 / p99",
                     f"{cold['p50_ms']:.1f} / {cold['p99_ms']:.1f} ms, {cold['errors']} errors",
                     "p50 <= 10 ms",
                     verdict(cold["p50_ms"] <= 10 and cold["errors"] == 0)))
    return rows + [
        ("  later sweeps", ", ".join(f"{s['calls_per_s']:.0f} calls/s, {s['errors']} errors"
                                     for s in sc.get("sweeps", [])[1:]) or "none", "", ""),
        ("  gateway RSS idle -> after each sweep",
         " -> ".join(f"{v:.0f}" for v in [sc["rss_idle_mib"], *(s["rss_mib"] for s in sc.get("sweeps", []))])
         + " MiB", "flat after the 1st", verdict(sc["rss_after_mib"] <= sc["rss_first_sweep_mib"] * 1.1)),
        ("  caps", ", ".join(f"{k} {v:,}" for k, v in sc.get("caps", {}).items()), "", ""),
        ("  connections to endpoint databases after (>= 1 per open pool)",
         f"{sc['connections_open']} (pool cap {sc['pool_cap']}, budget {sc['connection_budget']})",
         "<= budget", verdict(sc["connections_open"] <= sc["connection_budget"])),
    ]


def tools_rows(t: dict[str, Any]) -> list[Row]:
    """(figure, value, budget, verdict) for generated tools against query, and tools/list of a wide schema."""
    out, step = [], t["tool_step_us"]
    for kind, ratio in t["ratios"].items():
        name = t["statements"][kind]["tool"]
        gen, query = t["throughput"][f"{kind}/generated"], t["throughput"][f"{kind}/query"]
        out += [
            (f"{name} / query of the same SQL, calls/s", f"{ratio:.3f} x", ">= 0.95 x",
             verdict(ratio >= 0.95)),
            (f"  {name} / query calls/s (p50 ms)",
             f"{gen['calls_per_s']:.0f} / {query['calls_per_s']:.0f} "
             f"({gen['p50_ms']:.2f} / {query['p50_ms']:.2f})", "", ""),
            (f"  the tool step alone, CPU per call, {name} / query",
             f"{step[kind]['generated']:.0f} / {step[kind]['query']:.0f} us", "", ""),
        ]
    tl = t["tools_list"]
    return out + [
        (f"tools/list, {tl['schema_tables']}-table schema, warm, cap applied: p50 / p99 (1 client)",
         f"{tl['p50_ms']:.2f} / {tl['p99_ms']:.2f} ms", "p50 <= 5 ms", verdict(tl["p50_ms"] <= 5)),
        ("  its size and the gateway's CPU per call",
         f"{tl['tools']} tools ({tl['generated_tools']} generated for {tl['tables_with_tools']} tables), "
         f"{tl['body_kib']:.0f} KiB; {tl['server_cpu_us_per_call']:.0f} us", "", ""),
    ]


def imports_rows(where: Path) -> list[Row]:
    """(figure, value, budget, verdict) from the last ``python -m bench.imports`` run (bench/imports.json),
    which takes too long to run inside ``make bench``; none when there is no such run."""
    found = where / "imports.json"
    if not found.exists():
        return []
    run = orjson.loads(found.read_bytes())
    full = run["megabytes"] >= 1000  # the memory budget is for the 1 GB run
    names = {"csv": "CSV", "ndjson": "NDJSON", "parquet": "Parquet"}
    rows: list[Row] = []
    for fmt, f in run["figures"].items():
        rss = f["berth_peak_rss_mib"]
        rows += [(f"import of a {f['bytes'] / 2**20:,.0f} MiB {names.get(fmt, fmt)} file ({f['rows']:,} "
                  "rows), inference included / plain asyncpg COPY (bench.imports)",
                  f"{f['ratio']:.2f} x ({f['berth_s']:.1f} / {f['plain_s']:.1f} s)", "<= 1.25 x",
                  verdict(f["ratio"] <= 1.25)),
                 ("  peak RSS of the importing process", f"{rss:.0f} MiB", "<= 200 MiB" if full else "",
                  verdict(rss <= 200) if full else "")]
    return rows


def table(r: dict[str, Any], where: Path) -> str:
    lines = ["| figure | value | budget | verdict |", "| --- | --- | --- | --- |"]
    rows = head_to_head_rows(r) + tools_rows(r["tools"]) + fleet_rows(r)
    rows += imports_rows(where)
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


def notes(r: dict[str, Any]) -> str:
    t, sc = r["throughput"], r["scale"]
    bare = t["bare"]
    cpu = ", ".join(f"{n} {v['server_cpu']:.2f}" for n, v in t.items())
    return "\n".join([
        "## How to read this", "",
        f"- Contenders alternate, {len(bare['rounds'])} rounds each, order rotating; figures are medians "
        f"of rounds. Each is one process on the `{r.get('stack', 'uvicorn')}` stack (bench/stack.py; "
        "uvicorn means httptools and uvloop, as `berth serve`) against the same Postgres and Redis; "
        "32 keep-alive clients on loopback call `tools/call query` with a one-row SELECT.",
        f"- The load generator is not the bottleneck: against bare it used {bare['loadgen_cpu']:.2f} of a "
        f"core while bare used {bare['server_cpu']:.2f} (server CPU per contender: {cpu}); against "
        f"uvicorn answering fixed bytes it drove {r['floor']['calls_per_s']:.0f} calls/s.",
        "- Added latency: one client, sequential calls, minus a direct asyncpg `fetch` of the same SQL "
        "on the same database (p50 and p99 of each, subtracted).",
        "- Cold start: one call to each of endpoints just provisioned and never called, so the gateway "
        "resolves the token in the catalog, unseals the DSN and opens the endpoint's pool.",
        f"- Scale: {sc['endpoints']} endpoints are real catalog rows (own id, slug, token, sealed DSNs) "
        f"over {sc['databases']} real databases of the local provider; in each sweep every endpoint but "
        f"{sc.get('cold', {}).get('endpoints', 0)} is called once, by 32 clients, and with a pool cap of "
        f"{sc['pool_cap']} nearly every call opens a pool, so the sweep's latency is mostly the queue for "
        "pool slots; the endpoints kept out are then called one at a time, never called before: the cold "
        "first call. The gateway does the same per-endpoint work (token, unseal, its own pool, eviction "
        "under the cap) whether or not two endpoints share a database; that many real databases would "
        "measure CREATE DATABASE, which the provisioning line covers. `python -m bench.scale` runs this "
        "part alone at any size (its section below).",
        tools_note(r["tools"]),
        "- Machines here are shared: absolute numbers are noisy; the ratios are measured side by side.",
    ])


def tools_note(t: dict[str, Any]) -> str:
    st, tl = t["statements"], t["tools_list"]
    rounds = len(next(iter(t["throughput"].values()))["rounds"])
    shown = "; ".join(f"`{v['tool']}` runs `{v['sql']}` with {v['params']} ({v['rows']} row(s); result "
                      f"{v['generated_bytes']} bytes, query's {v['query_bytes']})" for v in st.values())
    return (
        f"- Generated tools against `query`: one gateway process, the same endpoints, 32 clients; in each "
        f"of {rounds} runs per kind the clients send the tool's call and its `query` twin in turn, "
        f"{t['slice_s']} s each, so both meet the same load from the neighbours (which goes first swaps "
        f"every run); calls/s of each is over its half of the run, ratios are medians of per-run ratios. "
        f"{shown}. `query` is sent that SQL and those parameters "
        "(its own wrapper adds `SELECT * FROM (...) LIMIT max_rows + 1` around it), with `max_rows` set "
        "so both return the same rows. The SQL is taken from the tools the gateway builds for the "
        "endpoint's schema, each run once on a recording connection. The tool step's CPU (its own row) is "
        "the cross-check that neighbours hardly move. Generated results carry rows as objects (column "
        "names repeated per row), hence their larger size.\n"
        f"- tools/list: an endpoint with {tl['schema_tables']} tables (keys, a date index, a foreign key "
        f"each, analyzed) and the default tool cap ({tl['tool_cap']} tables); after one cold call that "
        f"reads the schema, {tl['n']} sequential calls over one kept-alive connection, timed from "
        "request to last byte (the catalog's 0.5 s fingerprint recheck falls in some of them).\n"
        "- The tool step alone: the generated tool's runner and `query` called in the bench's own process "
        "on one connection of the endpoint's read role opened as the gateway opens its pools, the result "
        "serialized; sequential, alternating, 1,000 calls a round, the least of 5 rounds of process CPU. "
        "It leaves out HTTP, the token, the rate limiter and the audit row, which both calls share.")


def publish(results: dict[str, Any], where: Path) -> None:
    ratios(results)
    results["machine"] = machine()
    results["command"] = COMMAND
    results["stack"] = stack.chosen()
    (where / "results.json").write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2) + b"\n")
    text = table(results, where)
    print(text)
    m = results["machine"]
    # Kept across runs: the profile and the generated tools' notes (written by hand after profiling),
    # the import figures (bench.imports, written up by hand), the fault runs' figures (bench.faults),
    # revocation across gateway processes (bench.revocation) and the soak (bench.soak).
    kept = [where / name for name in KEPT]
    extra = "".join("\n" + path.read_text() for path in kept if path.exists())
    (where / "RESULTS.md").write_text(
        f"# Berth benchmark results\n\nMachine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, "
        f"{m['platform']}\nDate: {m['date']}\nCommand: `{COMMAND}`\nRun time: {results['run_seconds']} s\n\n"
        f"{text}\n\n{notes(results)}\n{extra}")


def fold(results_md: Path, text: str) -> None:
    """Put ``text`` (one ``## `` section) into RESULTS.md: in place of the section with its heading, else at
    the end, so the other runs' sections stay as they are."""
    heading = text.split("\n", 1)[0]
    old = results_md.read_text() if results_md.exists() else ""
    sections = old.split("\n## ")
    kept = [sections[0], *("## " + part for part in sections[1:])]
    found = next((i for i, part in enumerate(kept) if part.split("\n", 1)[0] == heading), None)
    if found is None:
        kept.append(text)
    else:
        kept[found] = text
    results_md.write_text("\n".join(part.rstrip("\n") + "\n" for part in kept if part.strip()))
