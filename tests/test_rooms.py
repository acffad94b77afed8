"""Each status vocabulary has one home: its enum, and the SQL that moves it, live in one module.

Outside those modules (and the SQL migrations) code names a status through its enum and binds it
into SQL as a parameter, so a new status or a renamed one is one edit and ``grep`` finds every use.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from enum import StrEnum
from pathlib import Path

from control_plane.catalog.endpoints import EndpointStatus
from control_plane.catalog.jobs import Status as JobStatus
from control_plane.catalog.tenancy import ShareStatus, SupportStatus
from control_plane.catalog.tenants import TenantStatus
from control_plane.imports.store import State as ImportState

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("control_plane", "data_plane", "jobs", "cli")
HOMES: dict[type[StrEnum], tuple[str, ...]] = {
    EndpointStatus: ("control_plane/catalog/endpoints.py",),
    TenantStatus: ("control_plane/catalog/tenants.py",),
    JobStatus: ("control_plane/catalog/jobs/",),
    ImportState: ("control_plane/imports/store.py",),
    ShareStatus: ("control_plane/catalog/tenancy.py",),
    SupportStatus: ("control_plane/catalog/tenancy.py",),
}
# The same words in another sense; each is named here with the sense it has.
OTHER_SENSES = {
    ("cli/commands/oauth.py", "revoked"): "a key of the command's JSON output",
    ("cli/commands/tokens.py", "revoked"): "a key of the command's JSON output",
    ("cli/server.py", "ready"): "the readiness probe's answer",
    ("control_plane/web/multipart.py", "done"): "the multipart reader's end-of-body event",
    ("control_plane/api/routes/magic_link.py", "accepted"): "the answer to a sign-in link request",
    ("control_plane/oauth/grants.py", "revoked"): "the default reason written to revoked_why",
    ("control_plane/providers/neon.py", "failed"): "Neon's own operation statuses",
    ("data_plane/jsonrpc.py", "requested"): "a key of a protocol version error",
    ("data_plane/tools/results.py", "refused"): "a tool's error code",
    ("jobs/handlers/quarantine.py", "deleted"): "a sentence of the reconcile report",
    ("jobs/runner.py", "dead"): "a lease outcome (control_plane.catalog.jobs.lease.Outcome)",
    ("jobs/stats.py", "dead"): "a column of the queue depth query",
}
QUOTED = re.compile(r"'([a-z_]+)'")


def _homes_of(word: str) -> set[str]:
    return {home for enum, homes in HOMES.items() if word in set(enum) for home in homes}


def _literals(path: Path) -> list[tuple[int, str]]:
    """(line, status word) for every string literal that is a status or quotes one in SQL."""
    found = []
    words = {value for enum in HOMES for value in enum}
    for tok in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
        if tok.type != tokenize.STRING:
            continue
        try:
            value = ast.literal_eval(tok.string)
        except (ValueError, SyntaxError):  # an f-string: its quoted words still count
            value = tok.string
        if not isinstance(value, str):
            continue
        hits = {value} & words | set(QUOTED.findall(value)) & words
        found += [(tok.start[0], word) for word in sorted(hits)]
    return found


def test_status_words_live_only_in_their_home_module() -> None:
    strays = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            for line, word in _literals(path):
                home = any(rel.startswith(h) for h in _homes_of(word))
                if not home and (rel, word) not in OTHER_SENSES:
                    strays.append(f"{rel}:{line} '{word}'")
    assert strays == []


def test_other_senses_are_still_needed() -> None:
    """An exception that no longer matches anything is removed, so the list cannot hide a new stray."""
    seen = {(path, word) for path, word in OTHER_SENSES
            if any(w == word for _, w in _literals(ROOT / path))}
    assert seen == set(OTHER_SENSES)


def test_each_status_enum_matches_its_check_constraint() -> None:
    """The migrations' CHECK lists and the enums name the same values."""
    sql = "\n".join(p.read_text() for p in sorted((ROOT / "control_plane/catalog/migrations").glob("*.sql")))
    columns = {EndpointStatus: "status", TenantStatus: "status", JobStatus: "status", ShareStatus: "status",
               SupportStatus: "status", ImportState: "state"}
    for enum, column in columns.items():
        values = ", ".join(f"'{v}'" for v in enum)
        assert f"CHECK ({column} IN ({values}))" in sql, enum.__name__
