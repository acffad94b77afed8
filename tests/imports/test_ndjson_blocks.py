"""NDJSON read a block of lines at a time: the same objects, and a bad line named by its number anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from control_plane.errors import BadImport
from control_plane.imports.formats.base import NULL_MARKERS
from control_plane.imports.formats.records import BLOCK_BYTES, RecordSource
from control_plane.imports.inference import resolve

ROWS = 3 * BLOCK_BYTES // 40  # about 40 bytes a line: three blocks or more, lines cut at block edges


def _source(path: Path) -> RecordSource:
    return RecordSource(path, name=None, lines=True, null_markers=NULL_MARKERS)


def _lines() -> list[bytes]:
    return [b'{"n": %d, "tag": "row %d"}' % (n, n) for n in range(ROWS)]


def test_blocks_give_every_object_in_order(tmp_path: Path) -> None:
    path = tmp_path / "f.ndjson"
    lines = _lines()
    lines[ROWS // 2] = b"   "  # a blank line is skipped
    path.write_bytes(b"\r\n".join(lines))  # CRLF, and no newline after the last line
    source = _source(path)
    shape = source.scan()
    assert shape.rows == ROWS - 1 and [resolve(s) for s in shape.stats] == ["integer", "text"]
    rows = list(source.rows(shape))
    assert rows[0] == ["0", "row 0"] and rows[-1] == [str(ROWS - 1), f"row {ROWS - 1}"]


@pytest.mark.parametrize(("bad", "code"), [(b'{"n": 1', "malformed_json"), (b"[1]", "not_an_object"),
                                           (b'{"n": 1} {"n": 2}', "malformed_json")])
def test_a_bad_line_deep_in_the_file_is_named(tmp_path: Path, bad: bytes, code: str) -> None:
    path = tmp_path / "f.ndjson"
    lines = _lines()
    at = ROWS - 1_000
    lines[at] = bad
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(BadImport) as caught:
        _source(path).scan()
    assert (caught.value.code, caught.value.line) == (code, at + 1)
