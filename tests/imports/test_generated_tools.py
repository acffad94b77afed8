"""Generated tools on an imported real dataset (palmerpenguins), called with the official SDK client."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from control_plane.settings import Settings
from data_plane.app import Gateway
from data_plane.lifespan import serving
from tests.gateway.conftest import Endpoint, sdk_client
from tests.imports.conftest import Berth

# After the load, keys the CSV cannot carry, added the way an agent with a write token would.
SHAPE = [
    "ALTER TABLE penguins ADD COLUMN id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    "CREATE TABLE islands (name text PRIMARY KEY)",
    "INSERT INTO islands SELECT DISTINCT island FROM penguins",
    "ALTER TABLE penguins ADD FOREIGN KEY (island) REFERENCES islands (name)",
]
PACE = 0.15  # the free plan allows 10 calls a second
CALLS: list[tuple[str, dict[str, Any]]] = [
    ("list_penguins", {"limit": 3}),
    ("get_penguins_by_id", {"id": 1}),
    ("search_penguins", {"q": "Gentoo"}),
    ("filter_penguins", {"species": ["Adelie", "Chinstrap"], "min_body_mass_g": 4000, "limit": 5}),
    ("count_penguins_by_species", {}),
    ("summarize_penguins", {}),
    ("get_penguins_for_islands", {"island": "Dream", "limit": 2}),
    ("get_islands_for_penguins", {"id": 1}),
    ("insert_penguins", {"species": "Adelie", "island": "Dream", "year": 2024}),
    ("update_penguins_by_id", {"id": 1, "body_mass_g": 3751}),
    ("delete_penguins_by_id", {"id": 2}),
]


async def _endpoint(berth: Berth) -> Endpoint:
    shown = (await berth.client.get(f"/v1/endpoints/{berth.endpoint_id}", headers=berth.headers)).json()
    return Endpoint(uuid.UUID(shown["id"]), uuid.uuid4(), shown["slug"], berth.owner_dsn)


async def _token(berth: Berth) -> str:
    issued = await berth.client.post(f"/v1/endpoints/{berth.endpoint_id}/tokens",
                                     json={"scopes": ["mcp", "mcp:write"]}, headers=berth.headers)
    assert issued.status_code == 201, issued.text
    return str(issued.json()["token"])


async def _until_tools(gateway: Gateway, endpoint: Endpoint, token: str, wanted: str) -> None:
    started = time.monotonic()
    async with sdk_client(gateway, endpoint, token, "legacy") as client:
        while wanted not in {t.name for t in (await client.list_tools()).tools}:
            assert time.monotonic() - started < 2.0, f"{wanted} never appeared"
            await asyncio.sleep(0.1)


async def test_every_generated_kind_on_imported_penguins(
    berth: Berth, settings: Settings, data_files: dict[str, Any],
) -> None:
    done = await berth.upload(data_files["penguins"], table="penguins")
    assert done["state"] == "done", done
    endpoint, token = await _endpoint(berth), await _token(berth)
    async with serving(settings) as gateway:
        await gateway.resources.subscriber.ready.wait()
        async with sdk_client(gateway, endpoint, token, "auto") as client:
            llms = (await client.read_resource(f"berth://{endpoint.slug}/llms.txt")).contents[0]
            assert "### public.penguins (table, ~344 rows; key: none)" in getattr(llms, "text", "")
            for sql in SHAPE:
                made = await client.call_tool("execute", {"sql": sql})
                assert made.is_error is False, (sql, made)
                await asyncio.sleep(PACE)
        settings_changed = await berth.client.patch(f"/v1/endpoints/{berth.endpoint_id}",
                                                    json={"allow_writes": True}, headers=berth.headers)
        assert settings_changed.status_code == 200
        await _until_tools(gateway, endpoint, token, "insert_penguins")
        async with sdk_client(gateway, endpoint, token, "auto") as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            species = tools["filter_penguins"].input_schema["properties"]["species"]["anyOf"][0]
            assert sorted(species["enum"]) == ["Adelie", "Chinstrap", "Gentoo"]  # statistics saw every value
            for name, arguments in CALLS:
                # the SDK client checks structuredContent against each tool's outputSchema itself
                result = await client.call_tool(name, arguments)
                assert result.is_error is False, (name, result)
                await asyncio.sleep(PACE)
            counted = await client.call_tool("count_penguins_by_species", {})
            groups = {g["value"]: g["count"] for g in (counted.structured_content or {})["groups"]}
            assert groups == {"Adelie": 152, "Gentoo": 124, "Chinstrap": 68}  # one inserted, one deleted
