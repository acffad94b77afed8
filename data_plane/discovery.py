"""RFC 9728 protected-resource metadata for each endpoint, at every path variant MCP clients probe.

``/.well-known/oauth-protected-resource/e/<slug>/mcp`` is the canonical one
(and the one each 401's ``WWW-Authenticate`` names); the same document is
served at ``/.well-known/oauth-protected-resource/e/<slug>`` and at
``/e/<slug>[/mcp]/.well-known/oauth-protected-resource``. It is served for
any well-formed slug without a lookup, so it tells nobody which slugs exist.
"""

from __future__ import annotations

import re

import orjson

WELL_KNOWN = "/.well-known/oauth-protected-resource"
SLUG = r"(?P<slug>[a-z0-9][a-z0-9-]{0,62})"
PATHS = (re.compile(rf"^{WELL_KNOWN}/e/{SLUG}(/mcp)?/?$"),
         re.compile(rf"^/e/{SLUG}(/mcp)?{WELL_KNOWN}/?$"))
SCOPES = ["mcp", "mcp:write"]


def slug_of(path: str) -> str | None:
    """The endpoint a metadata path is about, or None when ``path`` is not one."""
    for pattern in PATHS:
        found = pattern.match(path)
        if found:
            return found.group("slug")
    return None


def metadata_url(base_url: str, slug: str) -> str:
    return f"{base_url}{WELL_KNOWN}/e/{slug}/mcp"


def challenge(base_url: str, slug: str) -> bytes:
    """The ``WWW-Authenticate`` value of a 401 on ``slug``'s MCP URL."""
    return (f'Bearer realm="berth", error="invalid_token", '
            f'resource_metadata="{metadata_url(base_url, slug)}"').encode()


def document(base_url: str, issuer: str, slug: str) -> bytes:
    return orjson.dumps({
        "resource": f"{base_url}/e/{slug}/mcp",
        "authorization_servers": [issuer],
        "scopes_supported": SCOPES,
        "bearer_methods_supported": ["header"],
        "resource_name": f"Berth endpoint {slug}",
        "resource_documentation": f"{base_url}/e/{slug}/llms.txt",
    })
