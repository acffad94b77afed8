"""Postgres connection strings: redaction for messages, rewriting for new databases, asyncpg's subset.

A provider's string is written for libpq; asyncpg sends any query option it
does not know to the server as a setting, which the server refuses
("unrecognized configuration parameter"). ``for_asyncpg`` keeps what asyncpg
understands and drops or maps the rest, once, where a provider hands a string over.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

# Query options asyncpg reads itself, plus the two startup parameters the server takes as such.
ASYNCPG_OPTIONS = frozenset({
    "host", "port", "dbname", "database", "user", "password", "passfile", "service", "sslmode", "sslcert",
    "sslkey", "sslrootcert", "sslnegotiation", "sslcrl", "sslpassword", "ssl_min_protocol_version",
    "ssl_max_protocol_version", "target_session_attrs", "krbsrvname", "gsslib",
    "application_name", "options",
})
# libpq options with an asyncpg equivalent under another name.
RENAMED = {"fallback_application_name": "application_name"}


def redact(dsn: str) -> str:
    """The address of a DSN with any password removed: safe for an error line."""
    parts = urlsplit(dsn)
    host = parts.netloc.rpartition("@")[2]  # every host:port of a multi-host string, as written
    user = f"{parts.username}@" if parts.username else ""
    query = "".join(q for q in parts.query.split("&") if q.startswith("host="))
    return urlunsplit((parts.scheme, user + host, parts.path, query, ""))


def for_database(admin_dsn: str, *, user: str, password: str, database: str) -> str:
    """The admin DSN's server and options, with another user, password and database."""
    parts = urlsplit(admin_dsn)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    return urlunsplit((parts.scheme, netloc, "/" + quote(database, safe=""), parts.query, ""))


def database_name(dsn: str) -> str:
    return urlsplit(dsn).path.lstrip("/") or "postgres"


def for_asyncpg(dsn: str) -> str:
    """The DSN with only options asyncpg understands; e.g. ``channel_binding`` and ``connect_timeout`` go.

    Idempotent. ``channel_binding=require`` cannot be kept: asyncpg has no SCRAM channel
    binding, so the connection relies on ``sslmode`` (Neon's strings carry ``require``).
    """
    head, _, query = dsn.partition("?")
    given = parse_qsl(query, keep_blank_values=True)
    if all(key in ASYNCPG_OPTIONS for key, _ in given):
        return dsn
    kept: dict[str, str] = {}
    for key, value in given:
        name = RENAMED.get(key, key)
        if name in ASYNCPG_OPTIONS and (name == key or name not in kept):
            kept[name] = value
    return f"{head}?{urlencode(kept, safe='/', quote_via=quote)}" if kept else head
