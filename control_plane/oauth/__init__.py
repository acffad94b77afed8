"""Berth as the OAuth 2.1 authorization server of its endpoints, per the MCP authorization specification.

    metadata.py   RFC 8414 authorization-server metadata
    documents.py  fetching Client ID Metadata Documents (size, time and address limits)
    clients.py    RFC 7591 registration (public clients) and client lookup, redirect URI rules
    requests.py   the authorization request: PKCE S256, RFC 8707 resource, scopes; kept while the user decides
    grants.py     grants (one client, one endpoint, one user's consent): list, revoke
    issuing.py    codes, access tokens (smcp_) and rotating refresh tokens; RFC 7009 revocation

Protocol refusals raise ``control_plane.errors.OAuthError`` with the RFC's error name as its code.
"""
