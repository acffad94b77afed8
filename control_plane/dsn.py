"""Postgres connection strings: redaction for messages, and rewriting for new databases."""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit


def redact(dsn: str) -> str:
    """The address of a DSN with any password removed: safe for an error line."""
    parts = urlsplit(dsn)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
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
