"""The authorization request: checked once, then kept in Redis while the user signs in and decides.

Checks come in two steps. ``client_and_redirect``: the client and its
redirect URI; a refusal there is shown to the user and never sent to the URI.
``check``: everything else (response type, PKCE S256, RFC 8707 resource naming
one endpoint, scopes); a refusal there goes back to the redirect URI.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import timedelta
from urllib.parse import urlencode

import orjson
import redis.asyncio as aioredis

from control_plane.errors import InvalidScope, InvalidTarget, OAuthError, UnsupportedResponseType
from control_plane.oauth.clients import Client, find
from control_plane.oauth.documents import DocumentFetcher
from control_plane.services.context import Context

SCOPES = ("mcp", "mcp:write")
DECIDE_WITHIN = timedelta(minutes=10)
KEEP_SECONDS = 3600  # an expired request is remembered a while, to send its error to the client
CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
MAX_STATE = 1024


def _key(request_id: str) -> str:
    return f"berth:oauth:request:{request_id}"


@dataclass(frozen=True)
class AuthRequest:
    """A checked authorization request; ``expires_at`` is a UNIX time."""

    client_id: str
    client_name: str
    redirect_uri: str
    state: str | None
    code_challenge: str
    resource: str
    slug: str
    scopes: tuple[str, ...]
    expires_at: float


async def client_and_redirect(ctx: Context, fetcher: DocumentFetcher,
                              params: Mapping[str, str]) -> tuple[Client, str]:
    """The client and the redirect URI to answer on; refusals here are shown, never redirected."""
    client_id = params.get("client_id", "")
    if not client_id:
        raise OAuthError("client_id is required")
    client = await find(ctx, fetcher, client_id)
    redirect_uri = params.get("redirect_uri") or (client.redirect_uris[0] if len(client.redirect_uris) == 1
                                                  else "")
    if not client.allows(redirect_uri):
        raise OAuthError("redirect_uri is not one the client registered")
    return client, redirect_uri


def resource_slug(gateway_url: str, resource: str | None) -> str:
    """The endpoint slug an RFC 8707 resource names: exactly ``<gateway>/e/<slug>/mcp``."""
    prefix = f"{gateway_url}/e/"
    if not resource or not resource.startswith(prefix) or not resource.endswith("/mcp"):
        raise InvalidTarget(f"resource must be one endpoint's MCP URL, {prefix}<slug>/mcp")
    slug = resource[len(prefix):-len("/mcp")]
    if not SLUG.match(slug):
        raise InvalidTarget("resource does not name an endpoint")
    return slug


def scopes_of(text: str | None) -> tuple[str, ...]:
    """The scopes asked for; none means ``mcp``, and ``mcp:write`` always comes with ``mcp``."""
    asked = set((text or "mcp").split())
    if not asked <= set(SCOPES):
        raise InvalidScope("scope must be mcp, optionally with mcp:write")
    return tuple(s for s in SCOPES if s in asked or s == "mcp")


def _pkce(params: Mapping[str, str]) -> str:
    challenge = params.get("code_challenge")
    if not challenge:
        raise OAuthError("PKCE is required: send code_challenge with code_challenge_method=S256")
    if params.get("code_challenge_method") != "S256":
        raise OAuthError("code_challenge_method must be S256 (plain is not accepted)")
    if not CHALLENGE.match(challenge):
        raise OAuthError("code_challenge must be the base64url SHA-256 of the verifier")
    return challenge


def check(params: Mapping[str, str], client: Client, redirect_uri: str, gateway_url: str,
          now: float) -> AuthRequest:
    """The rest of the request; a refusal here is sent to ``redirect_uri`` with ``state``."""
    if params.get("response_type") != "code":
        raise UnsupportedResponseType("response_type must be code")
    state = params.get("state")
    if state is not None and len(state) > MAX_STATE:
        raise OAuthError(f"state is over {MAX_STATE} characters")
    challenge = _pkce(params)
    resource = params.get("resource")
    slug = resource_slug(gateway_url, resource)
    return AuthRequest(client.id, client.name, redirect_uri, state, challenge, resource or "", slug,
                       scopes_of(params.get("scope")), now + DECIDE_WITHIN.total_seconds())


async def keep(redis: aioredis.Redis, request: AuthRequest) -> str:
    """Store the request for the consent step; returns its unguessable id."""
    request_id = secrets.token_urlsafe(24)
    await redis.set(_key(request_id), orjson.dumps(asdict(request)), ex=KEEP_SECONDS)
    return request_id


async def load(redis: aioredis.Redis, request_id: str) -> AuthRequest | None:
    if not request_id or len(request_id) > 64:
        return None
    raw = await redis.get(_key(request_id))
    if raw is None:
        return None
    data = orjson.loads(raw)
    return AuthRequest(**{**data, "scopes": tuple(data["scopes"])})


async def drop(redis: aioredis.Redis, request_id: str) -> bool:
    """Forget the request; False when it was already gone (decided twice)."""
    return bool(await redis.delete(_key(request_id)))


def answer(redirect_uri: str, state: str | None, **params: str) -> str:
    """``redirect_uri`` with ``params`` and ``state`` added to its query."""
    query = {**params, **({"state": state} if state is not None else {})}
    return f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{urlencode(query)}"
