"""Markdown and plain-text documents, one file or a zip of many, each read into title, frontmatter, body,
headings, links and tags.

A zip is checked before any member is read: no member may leave the archive
(absolute paths, ``..``, drive letters, symlinks), and the declared sizes,
which ``zipfile`` holds each member's reading to, must stay under
``MAX_UNPACKED`` in all and ``MAX_RATIO`` times their compressed size (a zip
bomb fails before it inflates). Members that are not ``.md``, ``.markdown`` or
``.txt`` are passed over. One document is in memory at a time.
"""

from __future__ import annotations

import re
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from control_plane.errors import EmptyFile, InvalidZip, LineTooLong, UnsafeZip

TEXT_SUFFIXES = (".md", ".markdown", ".txt")
MAX_DOCUMENT = 16 * 1024 * 1024
MAX_UNPACKED = 4 * 1024 * 1024 * 1024
MAX_RATIO = 200
MAX_MEMBERS = 100_000
FRONTMATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
HASHTAG = re.compile(r"(?<![\w#&/])#([A-Za-z][\w/-]{0,63})")
ZIP_MAGIC = b"PK\x03\x04"


@dataclass
class Document:
    path: str
    title: str
    frontmatter: dict[str, Any] | None
    body: str
    headings: list[tuple[int, int, str, str]] = field(default_factory=list)  # line, level, text, anchor
    links: list[tuple[int, str, str]] = field(default_factory=list)  # line, text, target
    tags: set[str] = field(default_factory=set)


def is_zip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == ZIP_MAGIC


def documents(path: Path, name: str) -> Iterator[Document]:
    """Every document of a file (named ``name``) or of a zip, in archive order."""
    if not is_zip(path):
        yield read_document(name, _decode(name, path.read_bytes()[: MAX_DOCUMENT + 1]))
        return
    with _open_zip(path) as archive:
        members = checked_members(archive)
        for member in members:
            with archive.open(member) as handle:
                yield read_document(member.filename, _decode(member.filename, handle.read()))


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidZip(f"the zip cannot be read: {exc}") from exc


def checked_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The text members, after refusing the archive if any member leaves it or it would unpack too large."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise UnsafeZip(f"the zip holds over {MAX_MEMBERS:,} members")
    for info in infos:
        _check_member(info)
    total = sum(i.file_size for i in infos)
    if total > MAX_UNPACKED:
        raise UnsafeZip(f"the zip would unpack to {total:,} bytes, over {MAX_UNPACKED:,}")
    texts = [i for i in infos if not i.is_dir() and PurePosixPath(i.filename).suffix.lower() in TEXT_SUFFIXES]
    if not texts:
        raise EmptyFile("the zip holds no .md, .markdown or .txt file")
    return texts


def _check_member(info: zipfile.ZipInfo) -> None:
    name = info.filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    if name.startswith("/") or ".." in parts or re.match(r"^[A-Za-z]:", name):
        raise UnsafeZip(f"the zip member {info.filename!r} points outside the archive")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise UnsafeZip(f"the zip member {info.filename!r} is a symbolic link")
    if info.file_size > MAX_DOCUMENT and PurePosixPath(name).suffix.lower() in TEXT_SUFFIXES:
        raise UnsafeZip(f"the zip member {info.filename!r} is over 16 MiB")
    if info.file_size > MAX_RATIO * max(info.compress_size, 1) and info.file_size > 1024 * 1024:
        raise UnsafeZip(f"the zip member {info.filename!r} inflates over {MAX_RATIO} times: a zip bomb?")


def _decode(name: str, data: bytes) -> str:
    if len(data) > MAX_DOCUMENT:
        raise LineTooLong(f"{name} is over 16 MiB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_document(path: str, text: str) -> Document:
    frontmatter, body = _frontmatter(text)
    tokens = MarkdownIt("commonmark").parse(body)
    document = Document(path, "", frontmatter, body)
    _walk(tokens, document, 1 + text[: len(text) - len(body)].count("\n"))
    document.tags |= _frontmatter_tags(frontmatter)
    document.title = _title(frontmatter, document, path)
    return document


def _frontmatter(text: str) -> tuple[dict[str, Any] | None, str]:
    found = FRONTMATTER.match(text)
    if not found:
        return None, text
    try:
        data = yaml.safe_load(found.group(1))
    except yaml.YAMLError:
        return None, text
    return (data if isinstance(data, dict) else {"value": data}), text[found.end():]


def _walk(tokens: list[Token], document: Document, offset: int) -> None:
    level = 0
    for token in tokens:
        line = offset + (token.map[0] if token.map else 0)
        if token.type == "heading_open":
            level = int(token.tag[1:])
        elif token.type == "inline" and token.children is not None:
            if level:
                text = token.content.strip()
                document.headings.append((line, level, text, _anchor(text)))
                level = 0
            _inline(token.children, document, line)


def _inline(children: list[Token], document: Document, line: int) -> None:
    target: str | None = None
    words: list[str] = []
    for child in children:
        if child.type == "link_open":
            target, words = str(child.attrs.get("href", "")), []
        elif child.type == "link_close" and target is not None:
            document.links.append((line, "".join(words).strip(), target))
            target = None
        elif child.type == "text":
            words.append(child.content)
            document.tags.update(t.lower() for t in HASHTAG.findall(child.content))
        elif child.type in ("softbreak", "hardbreak"):
            line += 1


def _anchor(text: str) -> str:
    return re.sub(r"[\s]+", "-", re.sub(r"[^\w\s-]", "", text.lower())).strip("-")


def _frontmatter_tags(frontmatter: dict[str, Any] | None) -> set[str]:
    tags = (frontmatter or {}).get("tags") or (frontmatter or {}).get("keywords") or []
    if isinstance(tags, str):
        tags = re.split(r"[,\s]+", tags)
    if not isinstance(tags, list):
        return set()
    return {str(t).strip().lstrip("#").lower() for t in tags if str(t).strip()}


def _title(frontmatter: dict[str, Any] | None, document: Document, path: str) -> str:
    given = (frontmatter or {}).get("title")
    if given:
        return str(given)
    first = next((text for _, level, text, _ in document.headings if level == 1), None)
    return first or PurePosixPath(path).stem
