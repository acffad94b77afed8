"""The local fleet's names and ownership ledger: who made each ``db_`` database on a shared server.

The ledger is ``berth_fleet.databases`` in the admin DSN's database on each
server: no tenant role can connect there or read it, so unlike a database
comment (which the database's owner, a tenant, may rewrite) it can be trusted
as the database-to-endpoint map. Installations sharing a server share the
table, one row per database, each row naming its installation.
"""

from __future__ import annotations

import hashlib
import hmac
from uuid import UUID

import asyncpg

from control_plane.imports.names import quote_ident as quote_any
from control_plane.providers.base import BERTH_NAME

BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
LEDGER_LOCK = 7_312_024_004

LEDGER = """
CREATE SCHEMA IF NOT EXISTS berth_fleet;
REVOKE ALL ON SCHEMA berth_fleet FROM PUBLIC;
CREATE TABLE IF NOT EXISTS berth_fleet.databases (
  datname       text PRIMARY KEY,
  installation  uuid NOT NULL,
  endpoint_id   uuid NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON berth_fleet.databases FROM PUBLIC
"""
LOCK_LEDGER = "SELECT pg_advisory_xact_lock($1)"
# Databases a tenant role could otherwise connect to through PUBLIC: the catalog, postgres, templates.
PUBLIC_CONNECT = """
SELECT datname FROM pg_database
WHERE datname !~ '^db_[a-z0-9]{24}$'
  AND has_database_privilege('public', oid, 'CONNECT')
"""
LIST = """
SELECT d.datname, l.installation, l.endpoint_id
FROM pg_database d LEFT JOIN berth_fleet.databases l ON l.datname = d.datname
WHERE d.datname ~ '^db_[a-z0-9]{24}$' ORDER BY d.datname
"""
FIND = """
SELECT l.installation, l.endpoint_id
FROM pg_database d LEFT JOIN berth_fleet.databases l ON l.datname = d.datname WHERE d.datname = $1
"""
LABEL_OF = "SELECT installation FROM berth_fleet.databases WHERE datname = $1"
CLAIM = """
INSERT INTO berth_fleet.databases (datname, installation, endpoint_id) VALUES ($1, $2, $3)
ON CONFLICT (datname) DO NOTHING
"""
UNCLAIM = "DELETE FROM berth_fleet.databases WHERE datname = $1 AND installation = $2"


def database_name(endpoint_id: UUID, installation: UUID) -> str:
    """``db_`` and 24 base36 characters of an HMAC of the endpoint id, keyed by the installation id."""
    number = int.from_bytes(hmac.digest(installation.bytes, endpoint_id.bytes, hashlib.sha256), "big")
    chars = []
    for _ in range(24):
        number, digit = divmod(number, 36)
        chars.append(BASE36[digit])
    return "db_" + "".join(chars)


def role_names(database: str) -> tuple[str, str]:
    owner = "r_" + database.removeprefix("db_")
    return owner, owner + "_ro"


def quote_ident(name: str) -> str:
    """Berth's own names only: checked against the naming rule, then quoted."""
    if not (BERTH_NAME.match(name) or BERTH_NAME.match("db_" + name.removeprefix("r_").removesuffix("_ro"))):
        raise ValueError("not a Berth-made name")
    return '"' + name + '"'




async def prepare(conn: asyncpg.Connection, *, revoke_public_connect: bool) -> None:
    """The ledger exists; PUBLIC (so any tenant role) may not connect to the server's other databases."""
    async with conn.transaction():
        await conn.execute(LOCK_LEDGER, LEDGER_LOCK)  # concurrent CREATE ... IF NOT EXISTS races otherwise
        await conn.execute(LEDGER)
    if revoke_public_connect:
        for row in await conn.fetch(PUBLIC_CONNECT):
            await _revoke_public_connect(conn, row["datname"])


async def _revoke_public_connect(conn: asyncpg.Connection, database: str) -> None:
    try:
        await conn.execute(f"REVOKE CONNECT ON DATABASE {quote_any(database)} FROM PUBLIC")
    except (asyncpg.InvalidCatalogNameError, asyncpg.InternalServerError):
        # Dropped since the listing, or revoked at this moment by another process ("tuple
        # concurrently updated"): either way there is nothing left to do for this database.
        pass


async def claim(conn: asyncpg.Connection, database: str, installation: UUID, endpoint_id: UUID) -> bool:
    """Label ``database`` as this installation's; False when another installation's label is there."""
    await conn.execute(CLAIM, database, installation, endpoint_id)
    return bool(await conn.fetchval(LABEL_OF, database) == installation)


async def unclaim(conn: asyncpg.Connection, database: str, installation: UUID) -> None:
    await conn.execute(UNCLAIM, database, installation)


async def labelled_by(conn: asyncpg.Connection, database: str) -> UUID | None:
    """The installation whose label ``database`` carries, or None."""
    found: UUID | None = await conn.fetchval(LABEL_OF, database)
    return found
