"""What an endpoint's read-only role may do, one definition for every provider.

The reader may use each of the owner's schemas and read every table and sequence in them, now
and (through the owner's default privileges) whatever the owner makes later; nobody else may
create in ``public``. The local provider runs these right after it makes the database (only
``public`` exists then); Neon's reader setup runs them on the branch as its owner.
"""

from __future__ import annotations


def reader_statements(reader: str, schemas: list[str], *, owner: str | None = None) -> list[str]:
    """SQL granting ``reader`` (a quoted identifier) read access to ``schemas`` (quoted identifiers).

    ``owner`` (quoted) names whose future objects the default privileges cover: the session's own
    role when None, which is how Neon's setup runs.
    """
    for_role = f" FOR ROLE {owner}" if owner is not None else ""
    statements = ["REVOKE CREATE ON SCHEMA public FROM PUBLIC"]
    for schema in schemas:
        statements += [f"GRANT USAGE ON SCHEMA {schema} TO {reader}",
                       f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {reader}",
                       f"GRANT SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {reader}"]
    # Sequences too: a reader describing a table (or reading a serial's last value) needs them.
    statements += [f"ALTER DEFAULT PRIVILEGES{for_role} GRANT USAGE ON SCHEMAS TO {reader}",
                   f"ALTER DEFAULT PRIVILEGES{for_role} GRANT SELECT ON TABLES TO {reader}",
                   f"ALTER DEFAULT PRIVILEGES{for_role} GRANT SELECT ON SEQUENCES TO {reader}"]
    return statements
