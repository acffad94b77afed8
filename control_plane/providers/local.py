"""The local provider: one database per endpoint on a fleet of Postgres servers given by admin DSNs.

Per endpoint it makes ``db_<24 base36>`` owned by ``r_<same>`` and a SELECT-only
``r_<same>_ro``. Names derive from the endpoint id, so a retried create finds
what an earlier try made; a retry resets both passwords (they are not kept
anywhere but in the sealed connection strings it returns). asyncpg and socket
errors become ``ProviderError`` in ``_translate`` and nowhere else.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from uuid import UUID

import asyncpg

from control_plane.dsn import for_database
from control_plane.errors import ProviderError
from control_plane.providers.base import BERTH_NAME, DatabaseInfo, DatabaseSpec, ProvisionedDatabase

BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
COMMENT_PREFIX = "berth endpoint "
CONNECT_TIMEOUT = 10.0
RETRYABLE = (
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.ObjectInUseError,
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
    asyncpg.InterfaceError,
    asyncpg.ConnectionDoesNotExistError,
)

LIST = """
SELECT datname, shobj_description(oid, 'pg_database') AS comment
FROM pg_database WHERE datname ~ '^db_[a-z0-9]{24}$' ORDER BY datname
"""
FIND = "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1"
ROLE_EXISTS = "SELECT 1 FROM pg_roles WHERE rolname = $1"
COUNT = "SELECT count(*) FROM pg_database WHERE datname ~ '^db_[a-z0-9]{24}$'"


def database_name(endpoint_id: UUID) -> str:
    number, chars = endpoint_id.int, []
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


def _endpoint_of(comment: str | None) -> UUID | None:
    if not comment or not comment.startswith(COMMENT_PREFIX):
        return None
    try:
        return UUID(comment.removeprefix(COMMENT_PREFIX))
    except ValueError:
        return None


def _translate(exc: BaseException, doing: str) -> ProviderError:
    retryable = isinstance(exc, (OSError, TimeoutError, *RETRYABLE))
    kind = type(exc).__name__
    return ProviderError(f"local provider could not {doing} ({kind})", retryable=retryable)


class LocalProvider:
    """Databases on Postgres servers reached with superuser admin DSNs; least-loaded placement."""

    name = "local"

    def __init__(self, servers: Sequence[str], *, connection_limit: int = 20) -> None:
        if not servers:
            raise ValueError("the local provider needs at least one server")
        self.servers = list(servers)
        self.connection_limit = connection_limit

    @asynccontextmanager
    async def _admin(self, server: str, doing: str, database: str | None = None) -> AsyncIterator[
            asyncpg.Connection]:
        try:
            conn = await asyncpg.connect(server, database=database, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise _translate(exc, doing) from exc
        try:
            yield conn
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise _translate(exc, doing) from exc
        finally:
            await conn.close()

    async def _locate(self, database: str) -> tuple[str, str | None] | None:
        """The server holding ``database`` and its comment, or None."""
        for server in self.servers:
            async with self._admin(server, "look up a database") as conn:
                row = await conn.fetchrow(FIND, database)
            if row is not None:
                return server, row[0]
        return None

    async def _least_loaded(self) -> str:
        loads: list[tuple[int, int, str]] = []
        for server in self.servers:
            async with self._admin(server, "measure server load") as conn:
                loads.append((await conn.fetchval(COUNT), len(loads), server))
        return min(loads)[2]

    async def create_database(self, spec: DatabaseSpec) -> ProvisionedDatabase:
        database = database_name(spec.endpoint_id)
        found = await self._locate(database)
        server = found[0] if found else await self._least_loaded()
        owner, reader = role_names(database)
        passwords = {owner: secrets.token_urlsafe(24), reader: secrets.token_urlsafe(24)}
        async with self._admin(server, "create the endpoint's roles") as conn:
            for role, password in passwords.items():
                await self._ensure_role(conn, role, password)
            if found is None:
                await self._create(conn, database, owner, spec.endpoint_id)
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

    async def _ensure_role(self, conn: asyncpg.Connection, role: str, password: str) -> None:
        verb = "ALTER" if await conn.fetchval(ROLE_EXISTS, role) else "CREATE"
        # Utility statements take no parameters; the password is url-safe base64, quoted as a literal.
        await conn.execute(
            f"{verb} ROLE {quote_ident(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
            f"NOBYPASSRLS CONNECTION LIMIT {self.connection_limit} PASSWORD '{password}'"
        )
        if role.endswith("_ro"):
            await conn.execute(f"ALTER ROLE {quote_ident(role)} SET default_transaction_read_only = on")

    async def _create(self, conn: asyncpg.Connection, database: str, owner: str, endpoint_id: UUID) -> None:
        try:
            await conn.execute(f"CREATE DATABASE {quote_ident(database)} OWNER {quote_ident(owner)} "
                               f"CONNECTION LIMIT {self.connection_limit}")
        except asyncpg.DuplicateDatabaseError:
            pass  # a concurrent try made it; the rest is idempotent
        await conn.execute(f"COMMENT ON DATABASE {quote_ident(database)} IS '{COMMENT_PREFIX}{endpoint_id}'")

    async def _grant_reader(self, conn: asyncpg.Connection, owner: str, reader: str) -> None:
        o, r = quote_ident(owner), quote_ident(reader)
        await conn.execute(
            f"REVOKE CREATE ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO {r}; "
            f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {r}; "
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} GRANT SELECT ON TABLES TO {r}; "
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} GRANT USAGE ON SCHEMAS TO {r}"
        )

    async def get_database(self, ref: str) -> DatabaseInfo | None:
        if not BERTH_NAME.match(ref):
            return None
        found = await self._locate(ref)
        return DatabaseInfo(ref, _endpoint_of(found[1])) if found else None

    async def delete_database(self, ref: str) -> None:
        if not BERTH_NAME.match(ref):
            raise ProviderError("not a database reference of the local provider", retryable=False)
        roles = role_names(ref)
        for server in self.servers:
            async with self._admin(server, "drop the endpoint's database") as conn:
                await conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(ref)} WITH (FORCE)")
                for role in roles:
                    await conn.execute(f"DROP ROLE IF EXISTS {quote_ident(role)}")

    async def list_databases(self) -> list[DatabaseInfo]:
        found: list[DatabaseInfo] = []
        for server in self.servers:
            async with self._admin(server, "list databases") as conn:
                rows = await conn.fetch(LIST)
            found.extend(DatabaseInfo(row["datname"], _endpoint_of(row["comment"])) for row in rows)
        return found

    async def aclose(self) -> None:
        return None
