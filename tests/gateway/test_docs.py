"""llms.txt and manifest.json: the endpoint's schema, tools and connection snippets, for its tokens only."""

from __future__ import annotations

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
