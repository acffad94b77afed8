"""One endpoint's generated catalog: tools for its largest tables, built once per schema version."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from data_plane.tools.generated import aggregates, filtering, listing, lookups, relations, writes
from data_plane.tools.generated.model import ForeignKey, Schema, Table
from data_plane.tools.generated.names import columns_part, fit, table_slugs, unique
from data_plane.tools.generated.spec import GeneratedTool

DEFAULT_TOOL_CAP = 20
VERBS = ("list_", "get_", "search_", "filter_", "count_", "summarize_", "insert_", "update_", "delete_")


@dataclass(frozen=True, slots=True)
class ToolSettings:
    """The endpoint settings the catalog depends on."""

    tool_cap: int = DEFAULT_TOOL_CAP
    allow_writes: bool = False


@dataclass(frozen=True, slots=True)
class Catalog:
    """``definitions``: what tools/list returns (generic tools first); ``tools``: generated ones by name."""

    schema: Schema
    settings: ToolSettings
    can_write: bool
    definitions: list[dict[str, Any]]
    tools: Mapping[str, GeneratedTool]
    covered: frozenset[str]

    @property
    def fingerprint(self) -> str:
        return self.schema.fingerprint


def looks_generated(name: str) -> bool:
    return name.startswith(VERBS)


def build(schema: Schema, settings: ToolSettings, can_write: bool,
          generic: Sequence[dict[str, Any]]) -> Catalog:
    """The catalog for one role's view of the schema: generated tools for at most ``tool_cap`` tables."""
    slugs = table_slugs((t.schema, t.name) for t in schema.tables)
    by_name = {(t.schema, t.name): t for t in schema.tables}
    largest = sorted(schema.tables, key=lambda t: -(t.estimated_rows or 0))
    chosen = largest[:max(settings.tool_cap, 0)]
    made: list[GeneratedTool] = []
    for table in sorted(chosen, key=lambda t: (t.schema, t.name)):
        made += _reads(table, slugs[(table.schema, table.name)])
        made += _relations(table, slugs, by_name)
        if can_write and settings.allow_writes:
            made += _writes(table, slugs[(table.schema, table.name)])
    names = unique([t.name for t in made], {d["name"] for d in generic})
    tools = {}
    for name, made_tool in zip(names, made, strict=True):
        definition = made_tool.definition
        if name != made_tool.name:
            definition = {**definition, "name": name}
        tools[name] = GeneratedTool(name, definition, made_tool.run, made_tool.table, made_tool.write)
    definitions = [*generic, *(t.definition for t in tools.values())]
    return Catalog(schema, settings, can_write, definitions, tools, frozenset(t.qualified for t in chosen))


def _reads(table: Table, slug: str) -> list[GeneratedTool]:
    found = [
        listing.build(table, fit(f"list_{slug}")),
        lookups.build_get(table, fit(f"get_{slug}_by_{columns_part(table.primary_key)}")),
        lookups.build_search(table, fit(f"search_{slug}")),
        filtering.build(table, fit(f"filter_{slug}")),
        *(aggregates.build_count(table, c, fit(f"count_{slug}_by_{columns_part([c.name])}"))
          for c in aggregates.groupable(table)),
        aggregates.build_summary(table, fit(f"summarize_{slug}")),
    ]
    return [t for t in found if t is not None]


def _relations(table: Table, slugs: dict[tuple[str, str], str],
               by_name: dict[tuple[str, str], Table]) -> list[GeneratedTool]:
    found: list[GeneratedTool | None] = []
    child = slugs[(table.schema, table.name)]
    for fk in table.foreign_keys:
        parent = by_name.get((fk.ref_schema, fk.ref_table))
        if parent is None:
            continue
        suffix = _fk_suffix(table, fk)
        parent_slug = slugs[(parent.schema, parent.name)]
        children = fit(f"get_{child}_for_{parent_slug}{suffix}")
        owner = fit(f"get_{parent_slug}_for_{child}{suffix}")
        found.append(relations.build_children(table, fk, parent, children))
        found.append(relations.build_parent(table, fk, parent, owner))
    return [t for t in found if t is not None]


def _fk_suffix(table: Table, fk: ForeignKey) -> str:
    """``_by_<columns>`` when the table has more than one foreign key to the same parent."""
    same = [f for f in table.foreign_keys if (f.ref_schema, f.ref_table) == (fk.ref_schema, fk.ref_table)]
    return f"_by_{columns_part(fk.columns)}" if len(same) > 1 else ""


def _writes(table: Table, slug: str) -> list[GeneratedTool]:
    key = columns_part(table.primary_key)
    found = [writes.build_insert(table, fit(f"insert_{slug}")),
             writes.build_update(table, fit(f"update_{slug}_by_{key}")),
             writes.build_delete(table, fit(f"delete_{slug}_by_{key}"))]
    return [t for t in found if t is not None]
