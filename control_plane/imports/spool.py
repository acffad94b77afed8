"""Where an upload waits for the worker: a file per import in the spool directory, written as bytes arrive.

The body is never held whole: each chunk is appended to ``<id>.part`` and the
file becomes ``<id>.upload`` only when the body ended within its limit. The API
and the worker must see the same directory (``BERTH_DATA_DIR/imports``): one
host, or a volume both mount.

A process that dies mid-upload leaves its ``.part`` (no import row exists
yet: the row is written once the file is whole); one that dies between the
rename and the row, or after a load but before removing the file, leaves an
``.upload``. ``untouched`` finds both for the worker's sweep
(``import_runs.sweep_spool``).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from uuid import UUID

from control_plane.errors import ImportTooLarge, PayloadTooLarge


def spool_dir(data_dir: Path) -> Path:
    return (data_dir / "imports").resolve()


def too_large(limit: int, plan: str) -> PayloadTooLarge:
    return ImportTooLarge(f"the file exceeds the {plan} plan's import limit of {limit} bytes")


def _open(directory: Path, import_id: UUID) -> tuple[Path, BinaryIO]:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / f"{import_id}.part"
    return path, path.open("xb")


def _seal(path: Path, handle: BinaryIO) -> Path:
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()
    return path.rename(path.with_suffix(".upload"))


def _discard(path: Path, handle: BinaryIO) -> None:
    handle.close()
    path.unlink(missing_ok=True)


@dataclass(frozen=True)
class Spooled:
    """A whole upload in the spool: the import it becomes, its file and its size."""

    import_id: UUID
    path: Path
    size: int


async def receive(directory: Path, chunks: AsyncIterator[bytes], *, limit: int, plan: str,
                  declared: int | None = None) -> Spooled:
    """Write a new import's body to the spool. Over ``limit`` (``declared`` up front, or while the body
    streams) is 413 and nothing is kept."""
    if declared is not None and declared > limit:
        raise too_large(limit, plan)
    import_id = uuid.uuid4()
    path, handle = await asyncio.to_thread(_open, directory, import_id)
    size = 0
    try:
        async for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise too_large(limit, plan)
            if chunk:
                await asyncio.to_thread(handle.write, chunk)
        return Spooled(import_id, await asyncio.to_thread(_seal, path, handle), size)
    except BaseException:
        await asyncio.to_thread(_discard, path, handle)
        raise


def discard(path: Path) -> None:
    path.unlink(missing_ok=True)


def untouched(directory: Path, before: float) -> list[tuple[UUID, Path]]:
    """Spool files (``<id>.part``, ``<id>.upload``) not written since ``before`` (seconds since the epoch)."""
    found: list[tuple[UUID, Path]] = []
    for path in directory.glob("*.*") if directory.is_dir() else []:
        try:
            import_id, written = UUID(path.stem), path.stat().st_mtime
        except (ValueError, FileNotFoundError):
            continue  # not ours, or removed meanwhile
        if path.suffix in (".part", ".upload") and written < before:
            found.append((import_id, path))
    return found
