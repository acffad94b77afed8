"""Reading pglast's JSON parse tree: every node however deep, and the names inside name lists."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# Statement nodes whose names do not spell their SQL.
_LABELS = {
    "CreatedbStmt": "CREATE DATABASE", "DropdbStmt": "DROP DATABASE", "AlterOwnerStmt": "ALTER ... OWNER TO",
    "CreateTableSpaceStmt": "CREATE TABLESPACE", "DropTableSpaceStmt": "DROP TABLESPACE",
    "AlterTableSpaceOptionsStmt": "ALTER TABLESPACE", "AlterTableMoveAllStmt": "ALTER ... SET TABLESPACE",
    "CreateFdwStmt": "CREATE FOREIGN DATA WRAPPER", "AlterFdwStmt": "ALTER FOREIGN DATA WRAPPER",
    "CreateForeignServerStmt": "CREATE SERVER", "AlterForeignServerStmt": "ALTER SERVER",
    "CreatePLangStmt": "CREATE LANGUAGE", "CreateEventTrigStmt": "CREATE EVENT TRIGGER",
    "AlterEventTrigStmt": "ALTER EVENT TRIGGER", "SecLabelStmt": "SECURITY LABEL", "RuleStmt": "CREATE RULE",
    "GrantRoleStmt": "GRANT role", "AlterRoleSetStmt": "ALTER ROLE ... SET",
    "CreateStatsStmt": "CREATE STATISTICS", "DefineStmt": "CREATE",
    "CreateOpClassStmt": "CREATE OPERATOR CLASS", "CreateAmStmt": "CREATE ACCESS METHOD",
}


def walk(node: Any) -> Iterator[tuple[str, Any]]:
    """Every (node type, body) pair in the tree, depth first, without recursion.

    A role kept in a typed field (``OWNER TO x``, ``ALTER ROLE x``) has no node key
    in the JSON; it is reported as ``RoleSpec`` all the same.
    """
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "roletype" in item:
                yield "RoleSpec", item
            for key, value in item.items():
                if key[:1].isupper():
                    yield key, value
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)


def strings(items: Any) -> list[str]:
    """The identifiers of a name list (``[{"String": {"sval": ...}}, ...]``); other items are skipped."""
    if isinstance(items, dict):
        items = items.get("List", {}).get("items", [items])
    return [item["String"]["sval"] for item in items if isinstance(item, dict) and "String" in item]


def label(node_name: str) -> str:
    """``AlterRoleStmt`` as ``ALTER ROLE``: how a statement node is named in a refusal."""
    if node_name in _LABELS:
        return _LABELS[node_name]
    words = re.findall(r"[A-Z][a-z]*", node_name.removesuffix("Stmt"))
    return " ".join(words).upper() or node_name
