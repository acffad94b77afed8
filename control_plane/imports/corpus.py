"""A Markdown or text corpus into four tables, in one transaction as the endpoint's owner.

``documents`` (path, title, frontmatter jsonb, body, a generated ``search``
tsvector under a GIN index), ``headings``, ``links`` and ``tags``, each row
keyed by the document's path. ``create`` refuses existing tables, ``replace``
drops and makes all four in the same transaction, ``append`` adds documents
(a path already there is refused by its primary key).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import asyncpg

from control_plane.errors import EmptyFile, NoSuchTable, RowsRefused, TableExists
from control_plane.imports import loader
from control_plane.imports.formats.documents import Document, documents
from control_plane.imports.limits import PlanLimits
from control_plane.imports.pipeline import Loaded, Report
from control_plane.imports.store import Mode

BATCH = 200
TABLES = ("documents", "headings", "links", "tags")
EXISTING = """
SELECT count(*) FROM unnest($1::text[]) AS t(name)
WHERE to_regclass('public.' || quote_ident(name)) IS NOT NULL
"""
SCHEMA = """
CREATE TABLE documents (
  path text PRIMARY KEY,
  title text NOT NULL,
  frontmatter jsonb,
  body text NOT NULL,
  search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', coalesce(title, '')), 'A')
    || setweight(to_tsvector('english', left(body, 500000)), 'B')) STORED
);
CREATE INDEX documents_search_idx ON documents USING gin (search);
CREATE TABLE headings (
  path text NOT NULL REFERENCES documents ON DELETE CASCADE, line integer NOT NULL,
  level smallint NOT NULL, text text NOT NULL, anchor text NOT NULL);
CREATE INDEX headings_path_idx ON headings (path);
CREATE TABLE links (
  path text NOT NULL REFERENCES documents ON DELETE CASCADE, line integer NOT NULL,
  text text NOT NULL, target text NOT NULL);
CREATE INDEX links_path_idx ON links (path);
CREATE INDEX links_target_idx ON links (target);
CREATE TABLE tags (
  path text NOT NULL REFERENCES documents ON DELETE CASCADE, tag text NOT NULL, PRIMARY KEY (path, tag));
CREATE INDEX tags_tag_idx ON tags (tag);
COMMENT ON TABLE headings IS 'Headings of each document in documents, by line';
COMMENT ON TABLE links IS 'Links in each document in documents: text and target';
COMMENT ON TABLE tags IS 'Tags of each document: frontmatter tags and #hashtags';
"""
DROP = "DROP TABLE IF EXISTS tags, links, headings, documents"
COLUMNS = {
    "documents": ["path", "title", "frontmatter", "body"],
    "headings": ["path", "line", "level", "text", "anchor"],
    "links": ["path", "line", "text", "target"],
    "tags": ["path", "tag"],
}
Rows = dict[str, list[tuple[object, ...]]]


async def load(conn: asyncpg.Connection, path: Path, name: str, mode: Mode, import_id: str,
               report: Report, *, limits: PlanLimits) -> Loaded:
    """Every document of the file in one transaction; any failure leaves the endpoint as it was."""
    rows = await loader.marked_rows(conn, "documents", import_id)
    if rows is not None:
        return Loaded(await _describe(conn, {"documents": rows}), rows)
    counts = dict.fromkeys(TABLES, 0)
    async with conn.transaction():
        await _prepare(conn, mode)
        docs = documents(path, name)
        while batch := await asyncio.to_thread(_batch, docs):
            for table, records in batch.items():
                await _copy(conn, table, records)
                counts[table] += len(records)
            await report(0, counts["documents"])
        if not counts["documents"]:
            raise EmptyFile("the file holds no document")
        await limits.check(conn, counts["documents"])
        for table in TABLES:
            await conn.execute(f"ANALYZE {table}")
        await loader.mark(conn, "documents", import_id, counts["documents"])
    return Loaded(await _describe(conn, counts), counts["documents"])


async def _prepare(conn: asyncpg.Connection, mode: Mode) -> None:
    await conn.execute(loader.LOCK_TIMEOUT)
    present = await conn.fetchval(EXISTING, list(TABLES))
    if mode is Mode.APPEND:
        if present != len(TABLES):
            raise NoSuchTable("there is no document corpus to append to")
        return
    if mode is Mode.CREATE and present:
        raise TableExists("tables documents, headings, links or tags exist; "
                          "import with mode replace or append")
    if mode is Mode.REPLACE:
        await conn.execute(DROP)
    await conn.execute(SCHEMA)


def _batch(docs: Iterator[Document]) -> Rows:
    rows: Rows = {table: [] for table in TABLES}
    for doc in islice(docs, BATCH):
        frontmatter = None if doc.frontmatter is None else json.dumps(doc.frontmatter, default=str)
        rows["documents"].append((doc.path, doc.title, frontmatter, doc.body.replace("\x00", "")))
        rows["headings"] += [(doc.path, *heading) for heading in doc.headings]
        rows["links"] += [(doc.path, *link) for link in doc.links]
        rows["tags"] += [(doc.path, tag) for tag in sorted(doc.tags)]
    return rows if rows["documents"] else {}


async def _copy(conn: asyncpg.Connection, table: str, records: list[tuple[object, ...]]) -> None:
    if not records:
        return
    try:
        await conn.copy_records_to_table(table, records=records, columns=COLUMNS[table], schema_name="public")
    except (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError,
            asyncpg.ProgramLimitExceededError) as exc:
        raise RowsRefused(f"the database refused a document: {exc}") from exc


async def _describe(conn: asyncpg.Connection, counts: dict[str, int]) -> list[dict[str, Any]]:
    described = []
    for table in TABLES:
        columns = await conn.fetch(loader.EXISTING_COLUMNS, f"public.{table}")
        shown = [{"name": c["name"], "type": c["type"], "source": c["name"]} for c in columns]
        described.append({"name": table, "rows": counts.get(table, 0), "columns": shown})
    return described
