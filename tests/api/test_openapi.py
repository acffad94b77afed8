"""/openapi.json tells the truth: real error bodies and codes, constraints, hand-written ids and summaries."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from control_plane.errors import BY_CODE, OAUTH_CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
CODE_LITERAL = re.compile(r"""code\s*=\s*["']([a-z_]+)["']""")
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
async def spec(client: httpx.AsyncClient) -> dict[str, Any]:
    answer = await client.get("/openapi.json")
    assert answer.status_code == 200
    found: dict[str, Any] = answer.json()
    return found


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in spec["paths"].items()
            for method, op in item.items() if method in METHODS and path.startswith("/v1/")]


def _schema(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def test_every_code_the_code_raises_is_in_the_catalogue() -> None:
    for folder in ("control_plane", "data_plane"):
        for source in (ROOT / folder).rglob("*.py"):
            for code in CODE_LITERAL.findall(source.read_text()):
                assert code in BY_CODE or code in {c.code for c in OAUTH_CATALOGUE}, f"{source}: {code}"


async def test_ids_and_summaries_are_hand_written_and_distinct(spec: dict[str, Any]) -> None:
    operations = _operations(spec)
    ids = [op["operationId"] for _, _, op in operations]
    summaries = [op["summary"] for _, _, op in operations]
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)+|[a-z]+", i) for i in ids), ids
    assert len(set(ids)) == len(ids) and len(set(summaries)) == len(summaries)
    assert {"createEndpoint", "listEndpoints", "logIn", "issueToken", "getUsage"} <= set(ids)


async def test_every_error_response_is_the_real_body_with_catalogued_codes(spec: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, method, op in _operations(spec):
        errors = {int(s): r for s, r in op["responses"].items() if int(s) >= 400}
        takes_input = "requestBody" in op or op.get("parameters")
        assert 422 in errors or not takes_input, (path, method)
        if op.get("security") or path not in ("/v1/signup", "/v1/login", "/v1/login/magic-link"):
            assert 401 in errors, (path, method)
        for status, response in errors.items():
            body = response["content"]["application/json"]["schema"]
            error = body["properties"]["error"]
            assert error["required"] == ["code", "message"]
            for code in error["properties"]["code"]["enum"]:
                assert BY_CODE[code].status == status, (path, method, code)


async def test_constraints_the_server_enforces_are_in_the_schema(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    endpoint = schemas["EndpointIn"]["properties"]
    assert endpoint["name"]["pattern"] == "^[a-z0-9][a-z0-9-]{0,62}$"
    plan = _schema(spec, endpoint["plan"]["anyOf"][0])
    assert plan["enum"] == ["free", "pro", "scale"]
    assert endpoint["region"]["anyOf"][0]["pattern"].startswith("^[a-z0-9]")
    token = schemas["TokenIn"]["properties"]
    assert token["scopes"]["items"]["enum"] == ["mcp", "mcp:write"]
    expires = token["expires_in"]["anyOf"][0]
    assert (expires["minimum"], expires["maximum"]) == (60, 365 * 86400)
    password = schemas["SignupIn"]["properties"]["password"]
    assert (password["minLength"], password["maxLength"]) == (12, 1024)
    usage = spec["paths"]["/v1/usage"]["get"]["parameters"]
    month = next(p for p in usage if p["name"] == "month")["schema"]["anyOf"][0]
    assert re.fullmatch(month["pattern"], "2026-07") and not re.fullmatch(month["pattern"], "0000-01")
    before = next(p for p in spec["paths"]["/v1/audit"]["get"]["parameters"] if p["name"] == "before")
    assert before["schema"]["anyOf"][0]["maximum"] == 2**63 - 1


async def test_every_string_that_comes_in_is_constrained(spec: dict[str, Any]) -> None:
    """Each incoming string has a pattern, an enum or a format, so NUL never reaches the catalog."""

    def check(where: str, schema: dict[str, Any]) -> None:
        schema = _schema(spec, schema)
        for option in schema.get("anyOf", []):
            check(where, option)
        if schema.get("type") == "string":
            assert {"pattern", "enum", "format", "const"} & set(schema), where
        if schema.get("type") == "array":
            check(where, schema["items"])
        for name, prop in schema.get("properties", {}).items():
            check(f"{where}.{name}", prop)

    for path, method, op in _operations(spec):
        for parameter in op.get("parameters", []):
            check(f"{method} {path} {parameter['name']}", parameter["schema"])
        if "requestBody" in op:
            check(f"{method} {path} body", op["requestBody"]["content"]["application/json"]["schema"])
