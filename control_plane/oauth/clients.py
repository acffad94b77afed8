"""OAuth clients: RFC 7591 registration (public clients only), Client ID Metadata Documents, redirect rules.

A client_id that is an https URL with a path is a metadata document: fetched
(documents.py), checked like a registration, and kept in ``oauth_clients`` for
``DOCUMENT_TTL`` before it is fetched again. Any other client_id must have
been registered. Redirect URIs are https, or http on a loopback address for
native apps, and are matched exactly; on loopback any port matches (RFC 8252).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from authlib.oauth2.rfc7591.claims import ClientMetadataClaims
from joserfc.errors import JoseError

from control_plane.errors import InvalidClient, InvalidClientMetadata, InvalidRedirectUri
from control_plane.oauth.documents import DocumentFetcher, is_document_url
from control_plane.services.context import Context, transaction

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
DOCUMENT_TTL = timedelta(hours=1)
MAX_REDIRECTS = 10
GRANT_TYPES = frozenset({"authorization_code", "refresh_token"})

FIND = "SELECT id, kind, client_name, redirect_uris, fetched_at FROM oauth_clients WHERE id = $1"
REGISTER = """
INSERT INTO oauth_clients (id, kind, client_name, redirect_uris, metadata)
VALUES ($1, 'registered', $2, $3, $4)
"""
REMEMBER = """
INSERT INTO oauth_clients (id, kind, client_name, redirect_uris, metadata, fetched_at)
VALUES ($1, 'metadata_document', $2, $3, $4, $5)
ON CONFLICT (id) DO UPDATE SET client_name = EXCLUDED.client_name, redirect_uris = EXCLUDED.redirect_uris,
  metadata = EXCLUDED.metadata, fetched_at = EXCLUDED.fetched_at
"""


@dataclass(frozen=True)
class Client:
    id: str
    kind: str
    name: str
    redirect_uris: tuple[str, ...]

    def allows(self, redirect_uri: str) -> bool:
        """Exact match; for an http loopback URI the port may differ (RFC 8252 section 7.3)."""
        if redirect_uri in self.redirect_uris:
            return True
        return _is_loopback(redirect_uri) and _without_port(redirect_uri) in {
            _without_port(uri) for uri in self.redirect_uris if _is_loopback(uri)}


def _is_loopback(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def _without_port(uri: str) -> str:
    parts = urlsplit(uri)
    host = f"[{parts.hostname}]" if parts.hostname and ":" in parts.hostname else parts.hostname or ""
    return urlunsplit((parts.scheme, host, parts.path, parts.query, ""))


def valid_redirect(uri: object) -> bool:
    if not isinstance(uri, str) or len(uri) > 2000:
        return False
    parts = urlsplit(uri)
    if parts.fragment or not parts.hostname or parts.username or parts.password:
        return False
    return parts.scheme == "https" or _is_loopback(uri)


def _redirects(doc: Mapping[str, Any]) -> tuple[str, ...]:
    uris = doc.get("redirect_uris")
    if not isinstance(uris, list) or not 1 <= len(uris) <= MAX_REDIRECTS:
        raise InvalidRedirectUri(f"redirect_uris must list 1 to {MAX_REDIRECTS} URIs")
    if not all(valid_redirect(uri) for uri in uris):
        raise InvalidRedirectUri("each redirect URI must be https, or http on a loopback address")
    return tuple(uris)


def _strings(doc: Mapping[str, Any], name: str, default: Sequence[str]) -> set[str]:
    value = doc.get(name, list(default))
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidClientMetadata(f"{name} must be a list of strings")
    return set(value)


def checked(doc: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    """(display name, redirect URIs) of client metadata Berth accepts; OAuthError otherwise."""
    uris = _redirects(doc)
    try:
        ClientMetadataClaims(dict(doc), {}).validate()
    except (JoseError, ValueError, TypeError) as exc:
        raise InvalidClientMetadata(f"client metadata refused: {exc}") from exc
    if doc.get("token_endpoint_auth_method", "none") != "none":
        raise InvalidClientMetadata("only public clients (token_endpoint_auth_method none) may register")
    if not _strings(doc, "grant_types", ["authorization_code"]) <= GRANT_TYPES or \
            not _strings(doc, "response_types", ["code"]) <= {"code"}:
        raise InvalidClientMetadata("only the authorization code grant (with refresh) is offered")
    name = doc.get("client_name")
    fallback = urlsplit(uris[0]).hostname or "app"
    shown = name.strip()[:200] if isinstance(name, str) and name.strip() else fallback
    return shown, uris


async def register(ctx: Context, doc: Mapping[str, Any]) -> dict[str, Any]:
    """RFC 7591: a new public client; the response echoes what was registered."""
    name, uris = checked(doc)
    client_id = "bthc_" + secrets.token_urlsafe(24)
    kept = {k: v for k, v in doc.items() if k in ClientMetadataClaims.REGISTERED_CLAIMS}
    async with transaction(ctx, None) as conn:
        await conn.execute(REGISTER, client_id, name, list(uris), kept)
    issued = int(ctx.clock().timestamp())
    return {**kept, "client_id": client_id, "client_id_issued_at": issued, "client_name": name,
            "redirect_uris": list(uris), "token_endpoint_auth_method": "none",
            "grant_types": sorted(_strings(doc, "grant_types", ["authorization_code", "refresh_token"])),
            "response_types": ["code"]}


async def find(ctx: Context, fetcher: DocumentFetcher, client_id: str) -> Client:
    """The client, fetching (or refreshing) its metadata document when the id is a URL."""
    if not client_id or len(client_id) > 2048:
        raise InvalidClient("no such client")
    async with transaction(ctx, None) as conn:
        row = await conn.fetchrow(FIND, client_id)
    if row is not None and (row["kind"] == "registered" or ctx.clock() - row["fetched_at"] < DOCUMENT_TTL):
        return Client(row["id"], row["kind"], row["client_name"], tuple(row["redirect_uris"]))
    if not is_document_url(client_id):
        raise InvalidClient("no such client; register first or use a client metadata document URL")
    doc = await fetcher.fetch(client_id)
    name, uris = checked(doc)
    kept = {k: v for k, v in doc.items() if k in ClientMetadataClaims.REGISTERED_CLAIMS}
    async with transaction(ctx, None) as conn:
        await conn.execute(REMEMBER, client_id, name, list(uris), kept, ctx.clock())
    return Client(client_id, "metadata_document", name, uris)
