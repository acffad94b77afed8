"""``GET /e/{slug}/llms.txt`` and ``/manifest.json``: the endpoint's schema, tools and how to connect.

Built on request from the endpoint's own database (one query through its read
pool), so they follow schema and token changes without a cache to refresh.
They never hold a token: connection snippets carry a ``$BERTH_TOKEN`` placeholder.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson

from control_plane.errors import Unavailable
from data_plane.calls import POOL_ERRORS

MAX_TABLES = 200
SCHEMA = """
SELECT coalesce(json_agg(t ORDER BY t.schema, t.name), '[]') FROM (
  SELECT n.nspname AS schema, c.relname AS name, greatest(c.reltuples, 0)::bigint AS estimated_rows,
    (SELECT json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                                       'nullable', NOT a.attnotnull) ORDER BY a.attnum)
     FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
    (SELECT json_agg(a.attname ORDER BY a.attnum) FROM pg_index i
     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
     WHERE i.indrelid = c.oid AND i.indisprimary) AS primary_key
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg_toast%' AND has_table_privilege(c.oid, 'SELECT')
  ORDER BY 1, 2 LIMIT $1
) t
"""


async def read_schema(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """Tables the read-only role can see: columns, primary key, row estimate."""
    try:
        raw = await pool.fetchval(SCHEMA, MAX_TABLES)
    except POOL_ERRORS as exc:
        raise Unavailable("the endpoint's database is unreachable", code="endpoint_unavailable") from exc
    tables: list[dict[str, Any]] = orjson.loads(raw) if isinstance(raw, str | bytes) else raw
    return tables


def manifest(slug: str, url: str, tables: list[dict[str, Any]],
             tools: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "endpoint": slug,
        "mcp_url": url,
        "auth": "Authorization: Bearer $BERTH_TOKEN (an smcp_ token of this endpoint)",
        "tables": tables,
        "tools": [{"name": t["name"], "description": t.get("description", "")} for t in tools],
        "connect": connect_snippets(slug, url),
    }


def connect_snippets(slug: str, url: str) -> dict[str, str]:
    header = 'Authorization: Bearer $BERTH_TOKEN'
    return {
        "claude_code": f'claude mcp add --transport http berth-{slug} {url} --header "{header}"',
        "codex": (f'[mcp_servers.berth-{slug}]\nurl = "{url}"\n'
                  'bearer_token_env_var = "BERTH_TOKEN"'),
        "mcp_remote": f'npx mcp-remote {url} --header "{header}"',
    }


def llms_txt(doc: dict[str, Any]) -> str:
    """The manifest as Markdown for a model to read."""
    lines = [f"# Berth endpoint {doc['endpoint']}", "", f"MCP (streamable HTTP): {doc['mcp_url']}",
             f"Auth: {doc['auth']}", "", "## Tables", ""]
    for table in doc["tables"]:
        key = ", ".join(table.get("primary_key") or []) or "none"
        lines.append(f"### {table['schema']}.{table['name']} (~{table['estimated_rows']} rows; key: {key})")
        lines.extend(f"- {c['name']} {c['type']}{'' if c['nullable'] else ' not null'}"
                     for c in table.get("columns") or [])
        lines.append("")
    lines += ["## Tools", ""] + [f"- {t['name']}: {t['description']}" for t in doc["tools"]]
    lines += ["", "## Connect", ""]
    for client, snippet in doc["connect"].items():
        lines += [f"{client}:", "```", snippet, "```", ""]
    return "\n".join(lines)
