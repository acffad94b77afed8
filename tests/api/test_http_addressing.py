"""Endpoints by id or slug, cursor paging with Link, Location on a 202, and plans capped by the tenant's."""

from __future__ import annotations

import asyncpg
import httpx

from tests.api.conftest import signup


async def test_an_endpoint_is_addressed_by_id_or_slug(client: httpx.AsyncClient) -> None:
    headers = await signup(client, "a@x.io")
    made = await client.post("/v1/endpoints", json={"name": "shop"}, headers=headers)
    assert made.status_code == 202
    body = made.json()
    assert made.headers["location"] == f"/v1/endpoints/{body['id']}"
    for ref in (body["id"], body["slug"], body["id"].upper()):
        got = await client.get(f"/v1/endpoints/{ref}", headers=headers)
        assert got.status_code == 200 and got.json()["id"] == body["id"], ref
    issued = await client.post(f"/v1/endpoints/{body['slug']}/tokens", json={}, headers=headers)
    assert issued.status_code == 201
    listed = await client.get(f"/v1/endpoints/{body['slug']}/tokens", headers=headers)
    assert [t["id"] for t in listed.json()] == [issued.json()["id"]]
    gone = await client.delete(f"/v1/endpoints/{body['slug']}", headers=headers)
    assert gone.status_code == 202 and gone.headers["location"] == f"/v1/endpoints/{body['id']}"


async def test_another_tenants_slug_is_404(client: httpx.AsyncClient) -> None:
    mine, theirs = await signup(client, "a@x.io"), await signup(client, "b@x.io")
    slug = (await client.post("/v1/endpoints", json={"name": "shop"}, headers=theirs)).json()["slug"]
    for path in (f"/v1/endpoints/{slug}", f"/v1/endpoints/{slug}/tokens"):
        answer = await client.get(path, headers=mine)
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"


async def test_lists_page_with_a_cursor_in_link(client: httpx.AsyncClient) -> None:
    headers = await signup(client, "a@x.io")
    names = [f"shop-{n}" for n in range(5)]
    for name in names:
        await client.post("/v1/endpoints", json={"name": name}, headers=headers)
    seen: list[str] = []
    url: str | None = "/v1/endpoints?limit=2"
    while url:
        page = await client.get(url, headers=headers)
        assert page.status_code == 200 and len(page.json()) <= 2
        seen += [e["name"] for e in page.json()]
        link = page.headers.get("link")
        url = link.split(">", 1)[0].lstrip("<") if link else None
    assert seen == names
    whole = await client.get("/v1/endpoints", headers=headers)
    assert [e["name"] for e in whole.json()] == names and "link" not in whole.headers
    keys = await client.get("/v1/api-keys", params={"limit": 1}, headers=headers)
    assert len(keys.json()) == 1 and 'rel="next"' in keys.headers["link"]
    bad = await client.get("/v1/endpoints", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=headers)
    assert (bad.status_code, bad.json()["error"]["fields"][0]["field"]) == (422, "cursor")
    # Any cursor of the right shape is a position: one past every row is an empty page, not an error.
    past = await client.get("/v1/endpoints", params={"cursor": "9" * 16 + "." + "f" * 32}, headers=headers)
    assert (past.status_code, past.json()) == (200, [])


async def test_an_endpoint_takes_the_tenants_plan_and_no_more(client: httpx.AsyncClient,
                                                             catalog: asyncpg.Connection) -> None:
    headers = await signup(client, "a@x.io")
    default = await client.post("/v1/endpoints", json={"name": "one"}, headers=headers)
    assert default.json()["plan"] == "free"
    more = await client.post("/v1/endpoints", json={"name": "two", "plan": "pro"}, headers=headers)
    assert (more.status_code, more.json()["error"]["code"]) == (403, "plan_not_allowed")
    await catalog.execute("UPDATE tenants SET plan = 'pro'")
    assert (await client.post("/v1/endpoints", json={"name": "two"}, headers=headers)).json()["plan"] == "pro"
    lower = await client.post("/v1/endpoints", json={"name": "three", "plan": "free"}, headers=headers)
    assert lower.status_code == 202 and lower.json()["plan"] == "free"
    scale = await client.post("/v1/endpoints", json={"name": "four", "plan": "scale"}, headers=headers)
    assert scale.status_code == 403
