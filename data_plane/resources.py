"""MCP resources: the endpoint's llms.txt and manifest.json, and one document per table (Markdown or JSON).

URIs are ``berth://<slug>/llms.txt``, ``berth://<slug>/manifest.json`` and
``berth://<slug>/tables/<schema>/<table>`` (Markdown; ``?format=json`` for
JSON), schema and table percent-encoded. Everything comes from ``documents.py``,
so a read costs no query of its own. Imported Markdown corpora are not
resources yet: imports do not keep documents.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

import orjson

from data_plane import docs
from data_plane.auth import Grant
from data_plane.documents import Documents, Rendered
from data_plane.jsonrpc import INVALID_PARAMS, RpcError

MARKDOWN = "text/markdown"
JSON = "application/json"


def base(slug: str) -> str:
    return f"berth://{slug}/"


def table_uri(slug: str, schema: str, name: str, *, as_json: bool = False) -> str:
    path = f"{base(slug)}tables/{quote(schema, safe='')}/{quote(name, safe='')}"
    return path + ("?format=json" if as_json else "")


def _not_found(uri: object) -> RpcError:
    return RpcError(INVALID_PARAMS, "Resource not found", {"uri": uri})


class Resources:
    def __init__(self, documents: Documents) -> None:
        self.documents = documents

    async def listed(self, grant: Grant) -> list[dict[str, Any]]:
        rendered = await self.documents.get(grant)
        slug = grant.slug
        found = [
            {"uri": f"{base(slug)}llms.txt", "name": "llms.txt", "title": "How to use this endpoint",
             "description": "Tables, relationships and tools, for a model to read first.",
             "mimeType": MARKDOWN, "size": len(rendered.llms_txt)},
            {"uri": f"{base(slug)}manifest.json", "name": "manifest.json", "title": "Endpoint manifest",
             "description": "Tables, tools with their arguments and connection snippets, as JSON.",
             "mimeType": JSON, "size": len(rendered.manifest_json)},
        ]
        for table in rendered.tables:
            found.append({"uri": table_uri(slug, table.schema, table.name), "name": table.qualified,
                          "title": f"Table {table.qualified}", "mimeType": MARKDOWN,
                          "description": f"Columns, key and foreign keys of {table.qualified} "
                                         "(?format=json for JSON)."})
        return found

    @staticmethod
    def templates(grant: Grant) -> list[dict[str, Any]]:
        return [{"uriTemplate": f"{base(grant.slug)}tables/{{schema}}/{{table}}{{?format}}",
                 "name": "table", "title": "A table's schema",
                 "description": "Columns, key, foreign keys and tools of one table; format=json for JSON, "
                                "Markdown otherwise.", "mimeType": MARKDOWN}]

    async def read(self, grant: Grant, params: dict[str, Any]) -> list[dict[str, Any]]:
        uri = params.get("uri")
        if not isinstance(uri, str) or not uri.startswith(base(grant.slug)):
            raise _not_found(uri)
        rendered = await self.documents.get(grant)
        path, _, query = uri.removeprefix(base(grant.slug)).partition("?")
        if path == "llms.txt" and not query:
            return [{"uri": uri, "mimeType": MARKDOWN, "text": rendered.llms_txt.decode()}]
        if path == "manifest.json" and not query:
            return [{"uri": uri, "mimeType": JSON, "text": rendered.manifest_json.decode()}]
        return [_table(rendered, uri, path, query)]


def _table(rendered: Rendered, uri: str, path: str, query: str) -> dict[str, Any]:
    parts = path.split("/")
    if len(parts) != 3 or parts[0] != "tables" or query not in ("", "format=json", "format=markdown"):
        raise _not_found(uri)
    table = rendered.table(unquote(parts[1]), unquote(parts[2]))
    if table is None:
        raise _not_found(uri)
    if query == "format=json":
        return {"uri": uri, "mimeType": JSON, "text": orjson.dumps(table).decode()}
    return {"uri": uri, "mimeType": MARKDOWN, "text": "\n".join(docs.table_markdown(table))}
