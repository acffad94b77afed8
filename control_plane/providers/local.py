"""The local provider: one database per endpoint on a fleet of Postgres servers given by admin DSNs.

Per endpoint it makes ``db_<24 base36>`` owned by ``r_<same>`` and a SELECT-only
``r_<same>_ro``. Names derive from the endpoint id under a key only this
installation knows (a tenant who lists ``pg_database`` learns no endpoint id),
so a retried create finds what an earlier try made; a retry resets both
passwords (they are kept only in the sealed connection strings it returns).

Ownership lives in a ledger on each server (``berth_fleet.databases`` in the
admin DSN's database, which no tenant role can reach): the row is written
before the database is made, and every destructive step checks it. asyncpg and
socket errors become ``ProviderError`` in ``_translate`` and nowhere else.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from uuid import UUID

import asyncpg

from control_plane.dsn import for_database
from control_plane.errors import ProviderError
from control_plane.providers import ledger
from control_plane.providers.base import (
    BERTH_NAME,
    DatabaseInfo,
    DatabaseSpec,
    Ownership,
    ProvisionedDatabase,
)
from control_plane.providers.grants import reader_statements
from control_plane.providers.ledger import database_name, quote_ident, role_names

CONNECT_TIMEOUT = 10.0
RETRYABLE = (
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.ObjectInUseError,
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
    asyncpg.InterfaceError,
    asyncpg.ConnectionDoesNotExistError,
    # A dependency created between our sweep and DROP ROLE: the next try sweeps again.
    asyncpg.DependentObjectsStillExistError,
)

ROLE_EXISTS = "SELECT 1 FROM pg_roles WHERE rolname = $1"
EXISTING_ROLES = "SELECT rolname FROM pg_roles WHERE rolname = ANY($1::text[]) ORDER BY rolname"
DATABASE_EXISTS = "SELECT 1 FROM pg_database WHERE datname = $1"
# Databases where the roles own objects or hold grants (dbid 0, shared objects, is handled apart).
DEPENDENT_DATABASES = """
SELECT DISTINCT d.datname FROM pg_shdepend s JOIN pg_database d ON d.oid = s.dbid
WHERE s.refclassid = 'pg_authid'::regclass AND d.datallowconn
  AND s.refobjid IN (SELECT oid FROM pg_roles WHERE rolname = ANY($1::text[]))
"""
COUNT = "SELECT count(*) FROM pg_database WHERE datname ~ '^db_[a-z0-9]{24}$'"
END_SESSIONS = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1"

Label = tuple[UUID | None, UUID | None]


def _translate(exc: BaseException, doing: str) -> ProviderError:
    retryable = isinstance(exc, (OSError, TimeoutError, *RETRYABLE))
    kind = type(exc).__name__
    return ProviderError(f"local provider could not {doing} ({kind})", retryable=retryable)


class LocalProvider:
    """Databases on Postgres servers reached with superuser admin DSNs; least-loaded placement."""

    name = "local"

    def __init__(self, servers: Sequence[str], *, installation: UUID, connection_limit: int = 20,
                 revoke_public_connect: bool = True) -> None:
        if not servers:
            raise ValueError("the local provider needs at least one server")
        self.servers = list(servers)
        self.installation = installation
        self.connection_limit = connection_limit
        self.revoke_public_connect = revoke_public_connect
        self._prepared: set[str] = set()

    def database_name(self, endpoint_id: UUID) -> str:
        return database_name(endpoint_id, self.installation)

    def _ownership(self, label: Label) -> Ownership:
        if label[0] is None:
            return Ownership.UNLABELLED
        return Ownership.OURS if label[0] == self.installation else Ownership.FOREIGN

    def _info(self, ref: str, label: Label) -> DatabaseInfo:
        owner = self._ownership(label)
        return DatabaseInfo(ref, label[1] if owner is Ownership.OURS else None, owner)

    @asynccontextmanager
    async def _admin(self, server: str, doing: str, database: str | None = None) -> AsyncIterator[
            asyncpg.Connection]:
        try:
            conn = await asyncpg.connect(server, database=database, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise _translate(exc, doing) from exc
        try:
            if database is None and server not in self._prepared:
                await ledger.prepare(conn, revoke_public_connect=self.revoke_public_connect)
                self._prepared.add(server)
            yield conn
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise _translate(exc, doing) from exc
        finally:
            await conn.close()

    async def _locate(self, database: str) -> tuple[str, Label] | None:
        """The server holding ``database`` and its ownership label, or None."""
        for server in self.servers:
            async with self._admin(server, "look up a database") as conn:
                row = await conn.fetchrow(ledger.FIND, database)
            if row is not None:
                return server, (row["installation"], row["endpoint_id"])
        return None

    async def _least_loaded(self) -> str:
        loads: list[tuple[int, int, str]] = []
        for server in self.servers:
            async with self._admin(server, "measure server load") as conn:
                loads.append((await conn.fetchval(COUNT), len(loads), server))
        return min(loads)[2]

    async def create_database(self, spec: DatabaseSpec) -> ProvisionedDatabase:
        database = self.database_name(spec.endpoint_id)
        found = await self._locate(database)
        server = found[0] if found else await self._least_loaded()
        owner, reader = role_names(database)
        passwords = {owner: secrets.token_urlsafe(24), reader: secrets.token_urlsafe(24)}
        async with self._admin(server, "create the endpoint's roles") as conn:
            # The label goes first: a crash after it leaves an orphan the reconciler knows is ours.
            await self._claim(conn, database, spec.endpoint_id)
            for role, password in passwords.items():
                await self._ensure_role(conn, role, password)
            if found is None:
                await self._create(conn, database, owner)
            await conn.execute(f"REVOKE ALL ON DATABASE {quote_ident(database)} FROM PUBLIC")
            await conn.execute(f"GRANT CONNECT ON DATABASE {quote_ident(database)} TO "
                               f"{quote_ident(owner)}, {quote_ident(reader)}")
        async with self._admin(server, "grant the read-only role", database) as conn:
            await self._grant_reader(conn, owner, reader)
        return ProvisionedDatabase(
            ref=database,
            owner_dsn=for_database(server, user=owner, password=passwords[owner], database=database),
            reader_dsn=for_database(server, user=reader, password=passwords[reader], database=database),
        )

    async def _claim(self, conn: asyncpg.Connection, database: str, endpoint_id: UUID) -> None:
        if not await ledger.claim(conn, database, self.installation, endpoint_id):
            raise ProviderError(f"database {database} belongs to another installation", retryable=False)

    async def _ensure_role(self, conn: asyncpg.Connection, role: str, password: str) -> None:
        verb = "ALTER" if await conn.fetchval(ROLE_EXISTS, role) else "CREATE"
        # Utility statements take no parameters; the password is url-safe base64, quoted as a literal.
        await conn.execute(
            f"{verb} ROLE {quote_ident(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
            f"NOBYPASSRLS CONNECTION LIMIT {self.connection_limit} PASSWORD '{password}'"
        )
        if role.endswith("_ro"):
            await conn.execute(f"ALTER ROLE {quote_ident(role)} SET default_transaction_read_only = on")

    async def _create(self, conn: asyncpg.Connection, database: str, owner: str) -> None:
        try:
            await conn.execute(f"CREATE DATABASE {quote_ident(database)} OWNER {quote_ident(owner)} "
                               f"CONNECTION LIMIT {self.connection_limit}")
        except asyncpg.DuplicateDatabaseError:
            pass  # a concurrent try made it; the rest is idempotent

    async def _grant_reader(self, conn: asyncpg.Connection, owner: str, reader: str) -> None:
        # A new database has only public; the owner's later schemas come through default privileges.
        statements = reader_statements(quote_ident(reader), ["public"], owner=quote_ident(owner))
        await conn.execute("; ".join(statements))

    async def get_database(self, ref: str) -> DatabaseInfo | None:
        if not BERTH_NAME.match(ref):
            return None
        found = await self._locate(ref)
        return self._info(ref, found[1]) if found else None

    async def delete_database(self, ref: str) -> None:
        """Drop the database and its roles on every server; another installation's is refused."""
        if not BERTH_NAME.match(ref):
            raise ProviderError("not a database reference of the local provider", retryable=False)
        for server in self.servers:
            async with self._admin(server, "drop the endpoint's database") as conn:
                label = await ledger.labelled_by(conn, ref)
                if label is not None and label != self.installation:
                    raise ProviderError(f"database {ref} belongs to another installation", retryable=False)
                await conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(ref)} WITH (FORCE)")
            await self._drop_roles(server, role_names(ref))
            async with self._admin(server, "forget the database's label") as conn:
                await ledger.unclaim(conn, ref, self.installation)

    async def _drop_roles(self, server: str, roles: Sequence[str]) -> None:
        """Clear every grant and object of the roles in each database of the server, then drop them.

        Any tenant may ``GRANT ... TO`` another endpoint's role (role names are visible);
        without this sweep such a grant would block the role's ``DROP ROLE`` for good.
        """
        async with self._admin(server, "find the roles' dependencies") as conn:
            present = [r["rolname"] for r in await conn.fetch(EXISTING_ROLES, list(roles))]
            rows = await conn.fetch(DEPENDENT_DATABASES, present) if present else []
        databases = [row["datname"] for row in rows]
        quoted = ", ".join(quote_ident(role) for role in present)
        for database in databases:
            try:
                async with self._admin(server, "clear the roles' grants", database) as conn:
                    await conn.execute(f"DROP OWNED BY {quoted}")
            except ProviderError:
                if await self._database_exists(server, database):
                    raise  # gone meanwhile is fine: its grants went with it
        if present:
            async with self._admin(server, "drop the endpoint's roles") as conn:
                await conn.execute(f"DROP OWNED BY {quoted}")  # grants on shared objects (databases)
                for role in present:
                    await conn.execute(f"DROP ROLE IF EXISTS {quote_ident(role)}")

    async def _database_exists(self, server: str, database: str) -> bool:
        async with self._admin(server, "look up a database") as conn:
            return bool(await conn.fetchval(DATABASE_EXISTS, database))

    async def list_databases(self) -> list[DatabaseInfo]:
        found: list[DatabaseInfo] = []
        for server in self.servers:
            async with self._admin(server, "list databases") as conn:
                rows = await conn.fetch(ledger.LIST)
            found += [self._info(row["datname"], (row["installation"], row["endpoint_id"])) for row in rows]
        return found

    async def _ours(self, ref: str, doing: str) -> str:
        found = await self._locate(ref) if BERTH_NAME.match(ref) else None
        if found is None:
            raise ProviderError(f"there is no database {ref}", retryable=False)
        if self._ownership(found[1]) is not Ownership.OURS:
            raise ProviderError(f"database {ref} is not this installation's to {doing}", retryable=False)
        return found[0]

    async def quarantine_database(self, ref: str) -> None:
        server = await self._ours(ref, "quarantine")
        async with self._admin(server, "quarantine a database") as conn:
            await conn.execute(f"ALTER DATABASE {quote_ident(ref)} WITH ALLOW_CONNECTIONS false")
            await conn.execute(f"REVOKE CONNECT ON DATABASE {quote_ident(ref)} FROM PUBLIC")
            for role in role_names(ref):
                if await conn.fetchval(ROLE_EXISTS, role):
                    await conn.execute(f"REVOKE CONNECT ON DATABASE {quote_ident(ref)} "
                                       f"FROM {quote_ident(role)}")
            await conn.execute(END_SESSIONS, ref)

    async def restore_database(self, ref: str) -> None:
        server = await self._ours(ref, "restore")
        async with self._admin(server, "restore a database") as conn:
            await conn.execute(f"ALTER DATABASE {quote_ident(ref)} WITH ALLOW_CONNECTIONS true")
            for role in role_names(ref):
                if await conn.fetchval(ROLE_EXISTS, role):
                    await conn.execute(f"GRANT CONNECT ON DATABASE {quote_ident(ref)} TO {quote_ident(role)}")

    async def adopt_database(self, ref: str, endpoint_id: UUID) -> bool:
        found = await self._locate(ref) if BERTH_NAME.match(ref) else None
        if found is None or self._ownership(found[1]) is Ownership.FOREIGN:
            return False
        async with self._admin(found[0], "label a database") as conn:
            await self._claim(conn, ref, endpoint_id)
            # Databases made before labels carried the endpoint id in a comment any tenant could read.
            await conn.execute(f"COMMENT ON DATABASE {quote_ident(ref)} IS NULL")
        return True

    async def aclose(self) -> None:
        return None
