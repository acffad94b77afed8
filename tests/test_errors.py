"""One class per error code: unique codes read off the classes, headers from the class, one body."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

from control_plane import errors
from control_plane.errors import (
    BY_CODE,
    CATALOGUE,
    OAUTH_CATALOGUE,
    BerthError,
    InsufficientScope,
    InvalidCredentials,
    InvalidInput,
    InvalidToken,
    MethodNotAllowed,
    NotAnObject,
    NotFound,
    OAuthError,
    RateLimited,
    TooManyLogins,
    Unauthorized,
    Unavailable,
    body,
    oauth_body,
)

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("control_plane", "data_plane", "jobs", "cli")
# A code chosen as a string where an error is made or told apart: what the classes replace.
CODE_STRING = re.compile(r"""\bcode\s*=\s*["'][a-z_]+["']|\.code\s*[!=]=\s*["']""")


def _every_class() -> list[type[BerthError]]:
    for package in PACKAGES:
        module = importlib.import_module(package)
        for found in pkgutil.walk_packages(module.__path__, f"{package}."):
            importlib.import_module(found.name)
    seen, todo = [], [BerthError]
    while todo:
        kind = todo.pop()
        seen.append(kind)
        todo.extend(kind.__subclasses__())
    return seen


def test_every_code_is_unique_on_its_wire() -> None:
    for catalogue in (CATALOGUE, OAUTH_CATALOGUE):
        codes = [c.code for c in catalogue]
        assert len(codes) == len(set(codes)), sorted(c for c in codes if codes.count(c) > 1)
    assert {"invalid_credentials", "endpoint_unavailable", "invalid_import"} <= set(BY_CODE)
    assert "invalid_grant" not in BY_CODE and "invalid_grant" in {c.code for c in OAUTH_CATALOGUE}


def test_only_errors_py_names_a_code_and_each_has_its_meaning() -> None:
    catalogued = {c.name for c in (*CATALOGUE, *OAUTH_CATALOGUE)}
    for kind in _every_class():
        if "code" in vars(kind):
            assert kind.__module__ == "control_plane.errors", f"{kind.__module__}.{kind.__name__}"
            assert kind.__name__ in catalogued and kind.__doc__, kind


def test_no_module_chooses_a_code_as_a_string() -> None:
    for package in PACKAGES:
        for source in (ROOT / package).rglob("*.py"):
            if source != ROOT / "control_plane" / "errors.py":
                assert not CODE_STRING.search(source.read_text()), source
    with pytest.raises(TypeError):
        InvalidInput("a message", code="invalid_name")  # type: ignore[call-arg]


def test_the_docstring_is_the_default_message_and_a_subclass_elsewhere_keeps_its_parents() -> None:
    assert InvalidCredentials().message == BY_CODE["invalid_credentials"].meaning
    assert InvalidCredentials("the password is wrong").message == "the password is wrong"

    class Counted(TooManyLogins):
        """Behaviour only: no code of its own."""

    refused = Counted(retry_after=3)
    assert (refused.code, refused.status, refused.message) == ("too_many_logins", 429,
                                                               BY_CODE["too_many_logins"].meaning)


def test_headers_come_from_the_class() -> None:
    assert Unauthorized().headers() == {"WWW-Authenticate": 'Bearer realm="berth"'}
    assert InvalidToken().headers() == {"WWW-Authenticate": 'Bearer realm="berth", error="invalid_token"'}
    assert InsufficientScope().headers() == {
        "WWW-Authenticate": 'Bearer realm="berth", error="insufficient_scope", scope="mcp:write"'}
    assert RateLimited(retry_after=7).headers() == {"Retry-After": "7"}
    assert Unavailable().headers() == {"Retry-After": "1"}
    assert MethodNotAllowed("GET only", allow="GET").headers() == {"Allow": "GET"}
    assert NotFound().headers() == {} and BerthError().headers() == {}
    assert Unavailable.retryable and RateLimited.retryable and not NotFound.retryable


def test_one_body_for_every_renderer_and_rfc_6749_for_oauth() -> None:
    assert body(NotFound("no such endpoint")) == {
        "error": {"code": "not_found", "message": "no such endpoint"}}
    fields = [{"field": "name", "message": "too long"}]
    assert body(InvalidInput("name: too long", fields=fields)) == {
        "error": {"code": "invalid_request", "message": "name: too long", "fields": fields}}
    assert oauth_body(OAuthError("client_id is required")) == {
        "error": "invalid_request", "error_description": "client_id is required"}


def test_an_import_refusal_moves_to_its_line_and_keeps_its_class() -> None:
    placed = NotAnObject("the line is not an object").at(4)
    assert type(placed) is NotAnObject and placed.message == "line 4: the line is not an object"
    assert placed.as_json() == {"line": 4, "column": None, "message": "the line is not an object",
                                "code": "not_an_object"}


def test_the_committed_table_is_the_generated_one() -> None:
    committed = (ROOT / "docs" / "ERRORS.md").read_text()
    assert committed == errors.table(), "run: python -m control_plane.errors > docs/ERRORS.md"
    for code in (*CATALOGUE, *OAUTH_CATALOGUE):
        assert f"| `{code.code}` | {code.status} |" in committed
