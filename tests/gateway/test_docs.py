"""llms.txt and manifest.json: schema, tools and connection snippets, for tokens or public when set."""

from __future__ import annotations

import asyncpg
import httpx

from tests.gateway.conftest import IssueToken, MakeEndpoint, bearer


async def test_manifest_and_llms_txt_describe_the_endpoint_without_a_token(
    http: httpx.AsyncClient, make_endpoint: MakeEndpoint, issue_token: IssueToken,
) -> None:
    endpoint = await make_endpoint()
    token = await issue_token(endpoint)
    base = f"/e/{endpoint.slug}"
    assert (await http.get(f"{base}/manifest.json")).status_code == 401
    manifest = await http.get(f"{base}/manifest.json", headers=bearer(token))
    assert manifest.status_code == 200
    doc = manifest.json()
    items = [t for t in doc["tables"] if t["name"] == "items"][0]
    assert items["primary_key"] == ["id"] and [c["name"] for c in items["columns"]] == ["id", "name"]
    assert "query" in [t["name"] for t in doc["tools"]] and "execute" not in [t["name"] for t in doc["tools"]]
    assert doc["mcp_url"].endswith(f"{base}/mcp") and "$BERTH_TOKEN" in doc["connect"]["claude_code"]
    text = await http.get(f"{base}/llms.txt", headers=bearer(token))
    assert text.headers["content-type"].startswith("text/plain") and "### public.items" in text.text
    assert token not in text.text and token not in manifest.text
    assert (await http.post(f"{base}/llms.txt", headers=bearer(token))).status_code == 405


async def test_public_documents_need_no_token_but_still_only_their_endpoint(
    http: httpx.AsyncClient, make_endpoint: MakeEndpoint, catalog: asyncpg.Connection,
) -> None:
    public, private = await make_endpoint(), await make_endpoint()
    await catalog.execute("UPDATE endpoints SET public_docs = true WHERE id = $1", public.id)
    shown = await http.get(f"/e/{public.slug}/llms.txt")
    assert shown.status_code == 200 and "### public.items" in shown.text
    assert (await http.get(f"/e/{private.slug}/llms.txt")).status_code == 401
    listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    assert (await http.post(public.path, json=listing)).status_code == 401
