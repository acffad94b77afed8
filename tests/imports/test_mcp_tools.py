"""import_file, import_url and get_import through the gateway, for write tokens, on the same import path."""

from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from control_plane.settings import Settings
from data_plane.lifespan import serving
from tests.imports.conftest import Berth, until

PORTS = b"code,name,depth\nNLRTM,Rotterdam,24.0\nSGSIN,Singapore,16\n"


class Files(BaseHTTPRequestHandler):
    """/ports.csv, redirects to it (/hop/<n>), and a 404 for anything else."""

    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        if self.path == "/ports.csv":
            self._answer(200, PORTS, {"Content-Type": "text/csv"})
        elif self.path.startswith("/hop/"):
            left = int(self.path.rsplit("/", 1)[1])
            target = "/ports.csv" if left == 0 else f"/hop/{left - 1}"
            self._answer(302, b"", {"Location": target})
        else:
            self._answer(404, b"no", {})

    def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the standard library's name
        return


@pytest.fixture
def files() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def _gateway(settings: Settings, allow_private: bool) -> Any:
    return serving(settings.model_copy(update={"import_urls_allow_private": allow_private}))


class Agent:
    def __init__(self, http: httpx.AsyncClient, path: str, token: str) -> None:
        self.http, self.path, self.token = http, path, token

    async def rpc(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}
        answer = await self.http.post(self.path, json=body, headers={"Authorization": f"Bearer {self.token}"})
        found: dict[str, Any] = answer.json()
        return found

    async def call(self, tool: str, **arguments: Any) -> dict[str, Any]:
        answer = await self.rpc("tools/call", {"name": tool, "arguments": arguments})
        assert "result" in answer, answer
        result: dict[str, Any] = answer["result"]
        return result

    async def settled(self, import_id: str) -> dict[str, Any]:
        shown: dict[str, Any] = {}

        async def state() -> str:
            nonlocal shown
            shown = (await self.call("get_import", import_id=import_id))["structuredContent"]
            return str(shown["state"])

        await until(state, ("done", "failed"), f"import {import_id}")
        return shown


async def _agents(berth: Berth, http: httpx.AsyncClient) -> tuple[Agent, Agent]:
    tokens = []
    for scopes in (["mcp", "mcp:write"], ["mcp"]):
        made = await berth.client.post(f"/v1/endpoints/{berth.endpoint_id}/tokens",
                                       json={"name": "agent", "scopes": scopes}, headers=berth.headers)
        assert made.status_code == 201, made.text
        tokens.append(made.json()["token"])
    endpoint = (await berth.client.get(f"/v1/endpoints/{berth.endpoint_id}", headers=berth.headers)).json()
    path = f"/e/{endpoint['slug']}/mcp"
    return Agent(http, path, tokens[0]), Agent(http, path, tokens[1])


@pytest.fixture
async def agents(berth: Berth, settings: Settings, request: pytest.FixtureRequest
                 ) -> AsyncIterator[tuple[Agent, Agent]]:
    allow = bool(getattr(request, "param", True))
    async with await _gateway(settings, allow) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            yield await _agents(berth, http)


async def test_import_file_then_get_import(berth: Berth, agents: tuple[Agent, Agent]) -> None:
    writer, reader = agents
    names = [t["name"] for t in (await writer.rpc("tools/list"))["result"]["tools"]]
    assert {"import_file", "import_url", "get_import"} <= set(names)
    read_names = [t["name"] for t in (await reader.rpc("tools/list"))["result"]["tools"]]
    assert not {"import_file", "import_url", "get_import"} & set(read_names)
    data = base64.b64encode(PORTS).decode()
    queued = await writer.call("import_file", data=data, filename="ports.csv")
    assert not queued["isError"], queued
    assert queued["structuredContent"]["state"] == "queued"
    done = await writer.settled(queued["structuredContent"]["id"])
    assert done["state"] == "done" and done["rows_done"] == 2, done
    assert [tuple(r) for r in await berth.sql("SELECT code, depth FROM ports ORDER BY 1")] == [
        ("NLRTM", 24), ("SGSIN", 16)]
    listed = (await berth.client.get(berth.imports_url, headers=berth.headers)).json()
    assert [i["id"] for i in listed] == [done["id"]]
    refused = await reader.rpc("tools/call", {"name": "import_file", "arguments": {"data": data}})
    assert "error" in refused or refused["result"]["isError"]


async def test_bad_arguments_come_back_as_errors(agents: tuple[Agent, Agent]) -> None:
    writer, _ = agents
    unknown = await writer.call("import_file", data=base64.b64encode(b"x").decode())
    assert unknown["isError"] and unknown["structuredContent"]["error"]["code"] == "unknown_format"
    missing = await writer.call("get_import", import_id="00000000-0000-0000-0000-000000000000")
    assert missing["structuredContent"]["error"]["code"] == "not_found"
    garbled = await writer.rpc("tools/call", {"name": "import_file", "arguments": {"data": "not base64!"}})
    assert garbled["error"]["code"] == -32602


async def test_import_url_on_loopback_when_allowed(berth: Berth, agents: tuple[Agent, Agent],
                                                   files: str) -> None:
    writer, _ = agents
    queued = await writer.call("import_url", url=f"{files}/hop/2", table="harbours")
    assert not queued["isError"], queued
    done = await writer.settled(queued["structuredContent"]["id"])
    assert done["state"] == "done", done
    names = await berth.sql("SELECT name FROM harbours ORDER BY 1")
    assert [r[0] for r in names] == ["Rotterdam", "Singapore"]
    too_many = await writer.call("import_url", url=f"{files}/hop/5", format="csv")
    assert too_many["structuredContent"]["error"]["code"] == "fetch_failed"
    gone = await writer.call("import_url", url=f"{files}/nothing.csv")
    assert gone["structuredContent"]["error"]["code"] == "fetch_failed"
    other = await writer.call("import_url", url="ftp://example.org/ports.csv")
    assert other["structuredContent"]["error"]["code"] == "url_refused"


@pytest.mark.parametrize("agents", [False], indirect=True)
async def test_import_url_refuses_private_addresses_by_default(berth: Berth, agents: tuple[Agent, Agent],
                                                               files: str) -> None:
    writer, _ = agents
    for url in (f"{files}/ports.csv", "http://localhost:9/x.csv", "http://10.0.0.1/x.csv",
                "http://169.254.169.254/latest/meta-data", "http://[::1]/x.csv", "http://192.168.1.1/x.csv"):
        refused = await writer.call("import_url", url=url, format="csv")
        assert refused["structuredContent"]["error"]["code"] == "url_refused", (url, refused)
    await asyncio.sleep(0)
    assert await berth.tables() == []
