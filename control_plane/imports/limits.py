"""Import limits per plan, beside ``control_plane.plans``: the largest file one upload may carry."""

from __future__ import annotations

from types import MappingProxyType

MIB = 1024 * 1024
MAX_IMPORT_BYTES = MappingProxyType({"free": 100 * MIB, "pro": 2048 * MIB, "scale": 10240 * MIB})


def max_import_bytes(plan: str) -> int:
    return MAX_IMPORT_BYTES.get(plan, MAX_IMPORT_BYTES["free"])
