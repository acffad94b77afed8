"""RFC 8414 authorization-server metadata, also served at the OpenID-configuration paths clients probe."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

from control_plane.oauth.requests import SCOPES


def document(issuer: str) -> dict[str, Any]:
    """Berth's metadata; checked against RFC 8414 by Authlib when built."""
    doc = AuthorizationServerMetadata({
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "registration_endpoint": f"{issuer}/oauth/register",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["none"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "code_challenge_methods_supported": ["S256"],
        "client_id_metadata_document_supported": True,
        "service_documentation": f"{issuer}/docs",
    })
    doc.validate()
    return dict(doc)
