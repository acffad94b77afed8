"""The SELECT-only role of a Neon project, made with SQL over the owner's connection string.

Neon makes every role created through its API a member of ``neon_superuser``
(which reads and writes every table and creates roles), and the project owner
cannot revoke that membership. So the reader is created the way Neon's docs
advise for least privilege: ``CREATE ROLE`` as the owner, then ``USAGE`` and
``SELECT`` grants plus default privileges for what the owner creates later.
Running it again resets the password and repeats the grants.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable

import asyncpg

from control_plane.errors import ProviderError
from control_plane.providers.grants import reader_statements

ReaderSetup = Callable[[str, str, str], Awaitable[None]]

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
PASSWORD = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
CONNECT_TIMEOUT = 15.0
RETRYABLE = (
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.InterfaceError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.DeadlockDetectedError,
)

ROLE_EXISTS = "SELECT 1 FROM pg_roles WHERE rolname = $1"
OWNED_SCHEMAS = """
SELECT quote_ident(nspname) FROM pg_namespace
WHERE nspowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) OR nspname = 'public'
"""


def new_password() -> str:
    return secrets.token_urlsafe(24)


async def grant_read_only(owner_dsn: str, role: str, password: str) -> None:
    """Create (or reset) ``role`` as a SELECT-only login in the owner's database."""
    if not ROLE_NAME.match(role) or not PASSWORD.match(password):
        raise ValueError("reader role name or password has an unsafe shape")
    try:
        conn = await asyncpg.connect(owner_dsn, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise _translate(exc) from exc
    try:
        async with conn.transaction():
            await _ensure_role(conn, role, password)
            await _grant(conn, role)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise _translate(exc) from exc
    finally:
        await conn.close()


async def _ensure_role(conn: asyncpg.Connection, role: str, password: str) -> None:
    # Utility statements take no parameters; both values were checked against strict patterns above.
    # Only a superuser may name REPLICATION or BYPASSRLS in ALTER ROLE; the role was made without them.
    if await conn.fetchval(ROLE_EXISTS, role):
        await conn.execute(f"ALTER ROLE \"{role}\" LOGIN PASSWORD '{password}'")
    else:
        await conn.execute(f"CREATE ROLE \"{role}\" LOGIN NOCREATEDB NOCREATEROLE PASSWORD '{password}'")
    await conn.execute(f'ALTER ROLE "{role}" SET default_transaction_read_only = on')


async def _grant(conn: asyncpg.Connection, role: str) -> None:
    database = await conn.fetchval("SELECT quote_ident(current_database())")
    schemas = [row[0] for row in await conn.fetch(OWNED_SCHEMAS)]
    statements = [f'GRANT CONNECT ON DATABASE {database} TO "{role}"',
                  *reader_statements(f'"{role}"', schemas)]
    await conn.execute("; ".join(statements))


def _translate(exc: BaseException) -> ProviderError:
    """asyncpg's failures by family; never the DSN, which holds the owner's password."""
    retryable = isinstance(exc, (OSError, TimeoutError, *RETRYABLE))
    return ProviderError(f"could not set up the read-only role on Neon ({type(exc).__name__})",
                         retryable=retryable)
