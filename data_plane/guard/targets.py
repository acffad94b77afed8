"""What a write statement names as its target, and whether that is the endpoint's own object or the system's.

The guard cannot see the catalog, so it judges names: anything qualified with a
system schema (``pg_catalog``, ``information_schema``, ``pg_toast``, ``pg_temp``...)
is the system's, and so is an unqualified name starting with ``pg_``, because
``pg_catalog`` comes first on every search path (``pg_settings``, ``pg_class``).
"""

from __future__ import annotations

from typing import Any

from data_plane.guard.tree import strings

# Object types that live inside a table: their names end with the table's.
_INSIDE_A_TABLE = frozenset({"OBJECT_COLUMN", "OBJECT_TRIGGER", "OBJECT_POLICY", "OBJECT_TABCONSTRAINT"})


def is_system_schema(schema: str) -> bool:
    """Whether ``schema`` is Postgres's own (every ``pg_`` schema is reserved to the system)."""
    lowered = schema.lower()
    return lowered.startswith("pg_") or lowered == "information_schema"


def names_refusal(what: str, names: list[str]) -> str:
    """Why ``what`` may not target the object named ``names`` (``[[catalog,] schema,] name``), or ``""``."""
    dotted = ".".join(names)
    if len(names) > 1 and is_system_schema(names[-2]):
        return f"{what} {dotted} is refused: {names[-2]} is a system schema"
    if len(names) == 1 and names[0].lower().startswith("pg_"):
        return f"{what} {dotted} is refused: an unqualified pg_ name is a system catalog relation"
    return ""


def relation_refusal(what: str, relation: dict[str, Any] | None, *, creates: bool = False) -> str:
    """Why ``what`` may not target a RangeVar (bare or wrapped), or ``""``; new ones may not be temporary."""
    if not relation:
        return ""
    relation = relation.get("RangeVar", relation)
    names = [relation[key] for key in ("catalogname", "schemaname", "relname") if relation.get(key)]
    if creates and relation.get("relpersistence") == "t":
        return f"{what} {'.'.join(names)} is refused: temporary objects outlive the call on a pooled session"
    return names_refusal(what, names)


def object_names(item: Any) -> list[str]:
    """The qualified name of an object as COMMENT, DROP, ALTER and RENAME spell it."""
    if not isinstance(item, dict):
        return []
    for key in ("ObjectWithArgs", "TypeName"):
        if key in item:
            return object_names(item[key])
    for key in ("objname", "names"):
        if key in item:
            return strings(item[key])
    return strings(item)


def object_refusal(what: str, object_type: str, item: Any) -> str:
    """Why ``what`` may not target ``item`` of ``object_type`` (``OBJECT_TABLE``...), or ``""``."""
    names = object_names(item)
    if object_type == "OBJECT_SCHEMA":
        if names and is_system_schema(names[-1]):
            return f"{what} {names[-1]} is refused: it is a system schema"
        return ""
    if object_type in _INSIDE_A_TABLE:
        names = names[:-1]
    return names_refusal(what, names) if names else ""
