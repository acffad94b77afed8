"""Markdown and text: one file or a zip into documents, headings, links and tags; unsafe zips refused."""

from __future__ import annotations

import io
import zipfile

from tests.imports.conftest import Berth

GUIDE = b"""---
title: Harbour guide
tags: [ports, Safety]
updated: 2024-05-01
---
# Arriving

Call the [harbour master](https://example.org/hm) on channel 12. #radio

## Mooring

See [the tide tables](tides.md) before you tie up.
"""
TIDES = b"# Tides\n\nHigh water at 06:12. Spring tides in **March**. #tides\n"


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


async def test_one_markdown_file(berth: Berth) -> None:
    loaded = await berth.upload(GUIDE, filename="guide.md")
    assert loaded["state"] == "done", loaded["errors"]
    assert loaded["format"] == "markdown"
    docs = await berth.sql("SELECT path, title, frontmatter->>'updated', body LIKE '# Arriving%' "
                           "FROM documents")
    assert [tuple(r) for r in docs] == [("guide.md", "Harbour guide", "2024-05-01", True)]
    headings = await berth.sql("SELECT line, level, text, anchor FROM headings ORDER BY line")
    assert [tuple(r) for r in headings] == [(6, 1, "Arriving", "arriving"), (10, 2, "Mooring", "mooring")]
    links = await berth.sql("SELECT line, text, target FROM links ORDER BY line")
    assert [tuple(r) for r in links] == [(8, "harbour master", "https://example.org/hm"),
                                         (12, "the tide tables", "tides.md")]
    tags = await berth.sql("SELECT tag FROM tags ORDER BY tag")
    assert [r[0] for r in tags] == ["ports", "radio", "safety"]
    found = await berth.sql("SELECT path FROM documents "
                            "WHERE search @@ websearch_to_tsquery('english', 'moor')")
    assert [r[0] for r in found] == ["guide.md"]
    indexes = await berth.sql("SELECT indexdef FROM pg_indexes WHERE tablename = 'documents'")
    assert any("gin (search)" in r[0] for r in indexes)


async def test_a_zip_of_documents_and_replace(berth: Berth) -> None:
    archive = _zip({"docs/guide.md": GUIDE, "docs/tides.txt": TIDES, "docs/logo.png": b"\x89PNG",
                    "docs/": b""})
    loaded = await berth.upload(archive, filename="docs.zip")
    assert loaded["state"] == "done", loaded["errors"]
    assert {t["name"]: t["rows"] for t in loaded["tables"]}["documents"] == 2
    titles = await berth.sql("SELECT path, title FROM documents ORDER BY path")
    assert [tuple(r) for r in titles] == [("docs/guide.md", "Harbour guide"), ("docs/tides.txt", "Tides")]
    again = await berth.upload(_zip({"only.md": b"# Only\n"}), filename="docs.zip", mode="replace")
    assert again["state"] == "done", again["errors"]
    assert [r[0] for r in await berth.sql("SELECT path FROM documents")] == ["only.md"]
    assert [r[0] for r in await berth.sql("SELECT count(*) FROM headings")] == [1]


async def test_unsafe_zips_are_refused_and_leave_nothing(berth: Berth) -> None:
    bomb = _zip({"bomb.md": b"\0" * (40 * 1024 * 1024)})
    for archive in (bomb, _zip({"../escape.md": GUIDE}), _zip({"/etc/abs.md": GUIDE}),
                    _zip({"ok.md": GUIDE, "C:/win.md": GUIDE})):
        refused = await berth.upload(archive, filename="docs.zip")
        assert refused["state"] == "failed"
        assert refused["errors"][0]["code"] == "unsafe_zip", refused["errors"]
    broken = await berth.upload(b"PK\x03\x04 not really a zip", filename="docs.zip")
    assert broken["errors"][0]["code"] == "invalid_zip"
    nothing = await berth.upload(_zip({"logo.png": b"\x89PNG"}), filename="docs.zip")
    assert nothing["errors"][0]["code"] == "empty_file"
    assert await berth.tables() == []


async def test_create_refuses_an_existing_corpus(berth: Berth) -> None:
    assert (await berth.upload(GUIDE, filename="guide.md"))["state"] == "done"
    again = await berth.upload(TIDES, filename="tides.md")
    assert again["errors"][0]["code"] == "table_exists"
    added = await berth.upload(TIDES, filename="tides.md", mode="append")
    assert added["state"] == "done", added["errors"]
    paths = await berth.sql("SELECT path FROM documents ORDER BY 1")
    assert [r[0] for r in paths] == ["guide.md", "tides.md"]
