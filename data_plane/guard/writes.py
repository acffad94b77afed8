"""The write allow-list: which statements an ``mcp:write`` token may send, node by node.

Allowed: DML (SELECT, INSERT, UPDATE, DELETE, MERGE, VALUES, WITH) and DDL on the
endpoint's own tables, indexes, views, materialized views, sequences, types,
functions and triggers (``data_plane.guard.routines``), policies and schemas.
Refused: whatever names a role, the database, the server, an extension, foreign
data, a language, an event trigger or replication; DDL or writes aimed at the
system catalog; every statement type not listed here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from data_plane.guard import routines
from data_plane.guard.targets import is_system_schema, names_refusal, object_refusal, relation_refusal
from data_plane.guard.tree import label, strings, walk

_ROLE = "it names a role or grants privileges, which a write token may not"
_DATABASE = "it reaches the database itself, not the objects inside it"
_SERVER = "it reaches the server (system settings, tablespaces)"
_EXTENSION = "extensions are installed by the operator, not through a token"
_FOREIGN = "foreign data (wrappers, servers, user mappings, foreign tables) is not allowed"
_LANGUAGE = "procedural languages are not allowed"
_EVENT = "event triggers are not allowed"
_REPLICATION = "publications and subscriptions are not allowed"
_UNLISTED = ("it is not on the write allow-list (DML, and DDL on the endpoint's own tables, indexes, "
             "views, sequences, types, functions, triggers, policies and schemas)")

_REFUSED_STATEMENTS = {
    **dict.fromkeys((
        "GrantStmt", "GrantRoleStmt", "CreateRoleStmt", "AlterRoleStmt", "AlterRoleSetStmt", "DropRoleStmt",
        "ReassignOwnedStmt", "DropOwnedStmt", "AlterDefaultPrivilegesStmt", "AlterOwnerStmt",
        "CreateUserMappingStmt", "AlterUserMappingStmt", "DropUserMappingStmt"), _ROLE),
    **dict.fromkeys(("CreatedbStmt", "AlterDatabaseStmt", "AlterDatabaseSetStmt",
                     "AlterDatabaseRefreshCollStmt", "DropdbStmt"), _DATABASE),
    **dict.fromkeys(("AlterSystemStmt", "CreateTableSpaceStmt", "DropTableSpaceStmt",
                     "AlterTableSpaceOptionsStmt", "AlterTableMoveAllStmt"), _SERVER),
    **dict.fromkeys(("CreateExtensionStmt", "AlterExtensionStmt", "AlterExtensionContentsStmt"), _EXTENSION),
    **dict.fromkeys(("CreateFdwStmt", "AlterFdwStmt", "CreateForeignServerStmt", "AlterForeignServerStmt",
                     "CreateForeignTableStmt", "ImportForeignSchemaStmt"), _FOREIGN),
    "CreatePLangStmt": _LANGUAGE,
    **dict.fromkeys(("CreateEventTrigStmt", "AlterEventTrigStmt"), _EVENT),
    **dict.fromkeys(("CreatePublicationStmt", "AlterPublicationStmt", "CreateSubscriptionStmt",
                     "AlterSubscriptionStmt", "DropSubscriptionStmt"), _REPLICATION),
}
_REFUSED_OBJECTS = {
    "OBJECT_ROLE": _ROLE, "OBJECT_DATABASE": _DATABASE, "OBJECT_TABLESPACE": _SERVER,
    "OBJECT_EXTENSION": _EXTENSION, "OBJECT_LANGUAGE": _LANGUAGE, "OBJECT_EVENT_TRIGGER": _EVENT,
    **dict.fromkeys(("OBJECT_FDW", "OBJECT_FOREIGN_SERVER", "OBJECT_FOREIGN_TABLE", "OBJECT_USER_MAPPING"),
                    _FOREIGN),
    **dict.fromkeys(("OBJECT_PUBLICATION", "OBJECT_PUBLICATION_NAMESPACE", "OBJECT_PUBLICATION_REL",
                     "OBJECT_SUBSCRIPTION"), _REPLICATION),
}
_OWN_OBJECTS = frozenset({
    "OBJECT_TABLE", "OBJECT_INDEX", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_SEQUENCE", "OBJECT_TYPE",
    "OBJECT_DOMAIN", "OBJECT_FUNCTION", "OBJECT_SCHEMA", "OBJECT_COLUMN", "OBJECT_ATTRIBUTE",
    "OBJECT_TRIGGER", "OBJECT_POLICY", "OBJECT_TABCONSTRAINT",
})
_OBJECT_LABELS = {"OBJECT_MATVIEW": "MATERIALIZED VIEW", "OBJECT_TABCONSTRAINT": "CONSTRAINT",
                  "OBJECT_FDW": "FOREIGN DATA WRAPPER", "OBJECT_FOREIGN_SERVER": "SERVER"}
_REFUSED_SUBCOMMANDS = {
    "AT_ChangeOwner": ("OWNER TO", _ROLE), "AT_SetTableSpace": ("SET TABLESPACE", _SERVER),
    "AT_GenericOptions": ("OPTIONS", _FOREIGN), "AT_AlterColumnGenericOptions": ("OPTIONS", _FOREIGN),
}

Check = Callable[[str, dict[str, Any]], str]


def statement_refusal(name: str, body: dict[str, Any]) -> str:
    """Why a write token may not send the statement node ``name``, or ``""`` when it is allowed."""
    if name in _REFUSED_STATEMENTS:
        return f"{label(name)} is refused: {_REFUSED_STATEMENTS[name]}"
    entry = _CHECKS.get(name)
    if entry is None:
        return f"{label(name)} is refused: {_UNLISTED}"
    what, check = entry
    return check(what, body)


def role_refusal(role: dict[str, Any]) -> str:
    """Naming any role but PUBLIC (a policy's default audience) is refused."""
    if role.get("roletype") == "ROLESPEC_PUBLIC":
        return ""
    name = role.get("rolename") or str(role.get("roletype", "")).removeprefix("ROLESPEC_")
    return f"naming the role {name} is refused: {_ROLE}"


def _first(reasons: Iterable[str]) -> str:
    return next((reason for reason in reasons if reason), "")


def _object_label(object_type: str) -> str:
    return _OBJECT_LABELS.get(object_type) or object_type.removeprefix("OBJECT_").replace("_", " ")


def _object_type_refusal(what: str, object_type: str) -> str:
    if object_type in _REFUSED_OBJECTS:
        return f"{what} is refused: {_REFUSED_OBJECTS[object_type]}"
    return "" if object_type in _OWN_OBJECTS else f"{what} is refused: {_UNLISTED}"


def _nothing(what: str, body: dict[str, Any]) -> str:
    return ""


def _dml(what: str, body: dict[str, Any]) -> str:
    return relation_refusal(what, body.get("relation"))


def _select(what: str, body: dict[str, Any]) -> str:
    return _into("SELECT INTO", body["intoClause"]) if body.get("intoClause") else ""


def _into(what: str, into: dict[str, Any]) -> str:
    if into.get("tableSpaceName"):
        return f"{what} ... TABLESPACE is refused: {_SERVER}"
    return relation_refusal(what, into.get("rel"), creates=True)


def _create_table(what: str, body: dict[str, Any]) -> str:
    if body.get("tablespacename"):
        return f"{what} ... TABLESPACE is refused: {_SERVER}"
    parents = (relation_refusal(f"{what} ... INHERITS", parent) for parent in body.get("inhRelations", []))
    return relation_refusal(what, body.get("relation"), creates=True) or _first(parents)


def _create_table_as(what: str, body: dict[str, Any]) -> str:
    return _into(f"CREATE {_object_label(body.get('objtype', 'OBJECT_TABLE'))} AS", body["into"])


def _view(what: str, body: dict[str, Any]) -> str:
    # An UPDATE through a view over pg_settings runs set_config(): views may not read the catalog.
    query = walk(body.get("query"))
    read = (relation_refusal(f"{what} over", node) for name, node in query if name == "RangeVar")
    return relation_refusal(what, body.get("view"), creates=True) or _first(read)


def _index(what: str, body: dict[str, Any]) -> str:
    if body.get("tableSpace"):
        return f"{what} ... TABLESPACE is refused: {_SERVER}"
    return relation_refusal(f"{what} ON", body.get("relation"))


def _sequence(what: str, body: dict[str, Any]) -> str:
    return relation_refusal(what, body.get("sequence"), creates=True)


def _alter_table(what: str, body: dict[str, Any]) -> str:
    object_type = body.get("objtype", "OBJECT_TABLE")
    what = f"ALTER {_object_label(object_type)}"
    reason = _object_type_refusal(what, object_type) or relation_refusal(what, body.get("relation"))
    subtypes = (command.get("AlterTableCmd", {}).get("subtype", "") for command in body.get("cmds", []))
    refused = next((subtype for subtype in subtypes if subtype in _REFUSED_SUBCOMMANDS), "")
    if reason or not refused:
        return reason
    clause, why = _REFUSED_SUBCOMMANDS[refused]
    return f"{what} ... {clause} is refused: {why}"


def _truncate(what: str, body: dict[str, Any]) -> str:
    return _first(relation_refusal(what, relation) for relation in body.get("relations", []))


def _relation(what: str, body: dict[str, Any]) -> str:
    return relation_refusal(what, body.get("relation") or body.get("table"))


def _schema(what: str, body: dict[str, Any]) -> str:
    return _schema_name_refusal(what, body.get("schemaname") or "")


def _schema_name_refusal(what: str, name: str) -> str:
    return f"{what} {name} is refused: it is a system schema" if is_system_schema(name) else ""


def _drop(what: str, body: dict[str, Any]) -> str:
    object_type = body["removeType"]
    what = f"DROP {_object_label(object_type)}"
    objects = (object_refusal(what, object_type, item) for item in body.get("objects", []))
    return _object_type_refusal(what, object_type) or _first(objects)


def _comment(what: str, body: dict[str, Any]) -> str:
    object_type = body["objtype"]
    what = f"COMMENT ON {_object_label(object_type)}"
    return _object_type_refusal(what, object_type) or object_refusal(what, object_type, body.get("object"))


def _rename(what: str, body: dict[str, Any]) -> str:
    object_type = body["renameType"]
    what = f"ALTER {_object_label(object_type)} ... RENAME"
    if object_type == "OBJECT_SCHEMA":
        return _first(_schema_name_refusal(what, body.get(key) or "") for key in ("subname", "newname"))
    if object_type == "OBJECT_FUNCTION" and body.get("newname") in routines.BUILT_IN_NAMES:
        return routines.shadow_refusal(what, body["newname"])
    return _object_type_refusal(what, object_type) or _target_refusal(what, object_type, body)


def _set_schema(what: str, body: dict[str, Any]) -> str:
    object_type = body["objectType"]
    what = f"ALTER {_object_label(object_type)} ... SET SCHEMA"
    return (_object_type_refusal(what, object_type) or _schema_name_refusal(what, body.get("newschema") or "")
            or _target_refusal(what, object_type, body))


def _target_refusal(what: str, object_type: str, body: dict[str, Any]) -> str:
    if body.get("relation"):
        return relation_refusal(what, body["relation"])
    return object_refusal(what, object_type, body.get("object"))


def _type_name(field: str) -> Check:
    def check(what: str, body: dict[str, Any]) -> str:
        return names_refusal(what, strings(body.get(field, [])))
    return check


def _define(what: str, body: dict[str, Any]) -> str:
    if body.get("kind") != "OBJECT_TYPE":
        return f"CREATE {_object_label(body.get('kind', ''))} is refused: {_UNLISTED}"
    if body.get("definition"):
        return "CREATE TYPE with INPUT/OUTPUT functions is refused: base types need C functions"
    return names_refusal("CREATE TYPE", strings(body.get("defnames", [])))


def _composite_type(what: str, body: dict[str, Any]) -> str:
    return relation_refusal(what, body.get("typevar"), creates=True)


_CHECKS: dict[str, tuple[str, Check]] = {
    "SelectStmt": ("SELECT", _select),
    "InsertStmt": ("INSERT INTO", _dml),
    "UpdateStmt": ("UPDATE", _dml),
    "DeleteStmt": ("DELETE FROM", _dml),
    "MergeStmt": ("MERGE INTO", _dml),
    "ReturnStmt": ("RETURN", _nothing),
    "PLAssignStmt": ("assignment", _nothing),
    "CreateStmt": ("CREATE TABLE", _create_table),
    "CreateTableAsStmt": ("CREATE TABLE AS", _create_table_as),
    "ViewStmt": ("CREATE VIEW", _view),
    "IndexStmt": ("CREATE INDEX", _index),
    "CreateSeqStmt": ("CREATE SEQUENCE", _sequence),
    "AlterSeqStmt": ("ALTER SEQUENCE", _sequence),
    "AlterTableStmt": ("ALTER TABLE", _alter_table),
    "TruncateStmt": ("TRUNCATE", _truncate),
    "RefreshMatViewStmt": ("REFRESH MATERIALIZED VIEW", _relation),
    "CreateSchemaStmt": ("CREATE SCHEMA", _schema),
    "DropStmt": ("DROP", _drop),
    "CommentStmt": ("COMMENT ON", _comment),
    "RenameStmt": ("ALTER ... RENAME", _rename),
    "AlterObjectSchemaStmt": ("ALTER ... SET SCHEMA", _set_schema),
    "CreateFunctionStmt": ("CREATE FUNCTION", routines.create_function),
    "AlterFunctionStmt": ("ALTER FUNCTION", routines.alter_function),
    "CreateTrigStmt": ("CREATE TRIGGER", routines.create_trigger),
    "CreatePolicyStmt": ("CREATE POLICY ON", _relation),
    "AlterPolicyStmt": ("ALTER POLICY ON", _relation),
    "CreateEnumStmt": ("CREATE TYPE", _type_name("typeName")),
    "AlterEnumStmt": ("ALTER TYPE", _type_name("typeName")),
    "CreateRangeStmt": ("CREATE TYPE", _type_name("typeName")),
    "CompositeTypeStmt": ("CREATE TYPE", _composite_type),
    "DefineStmt": ("CREATE TYPE", _define),
    "CreateDomainStmt": ("CREATE DOMAIN", _type_name("domainname")),
    "AlterDomainStmt": ("ALTER DOMAIN", _type_name("typeName")),
}
