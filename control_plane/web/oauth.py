"""OAuth endpoints for MCP clients: metadata, authorize, consent, token, register, revoke.

Protocol errors leave here as RFC 6749 JSON (``on_oauth_error``); the
authorization endpoint shows a refusal about the client or its redirect URI
to the user and sends any other refusal back to the redirect URI.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

import orjson
from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from control_plane.errors import (
    AccessDenied,
    InvalidClientMetadata,
    OAuthError,
    UnsupportedGrantType,
    oauth_body,
)
from control_plane.oauth import clients, grants, issuing, metadata, requests
from control_plane.oauth.issuing import Consent
from control_plane.web import csrf, session
from control_plane.web.pages import ctx_of, form_text, message, page
from control_plane.web.render import see_other
from control_plane.web.resources import Web, web_of

router = APIRouter(include_in_schema=False)
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type, Authorization, MCP-Protocol-Version",
        "Access-Control-Max-Age": "600"}
JSON_HEADERS = {"Cache-Control": "no-store", **CORS}
METADATA_PATHS = ("/.well-known/oauth-authorization-server",
                  "/.well-known/oauth-authorization-server/{rest:path}",
                  "/.well-known/openid-configuration", "/.well-known/openid-configuration/{rest:path}")
PROTOCOL_PATHS = ("/oauth/token", "/token", "/oauth/register", "/register", "/oauth/revoke")


async def on_oauth_error(request: Request, exc: Exception) -> JSONResponse:
    """RFC 6749 section 5.2 shape for every OAuth refusal of a JSON endpoint."""
    assert isinstance(exc, OAuthError)
    return JSONResponse(oauth_body(exc), status_code=exc.status, headers=JSON_HEADERS)


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json",
                    headers=JSON_HEADERS)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _metadata(request: Request) -> Response:
    return _json(metadata.document(web_of(request).settings.issuer))


for _path in METADATA_PATHS:
    router.add_api_route(_path, _metadata, methods=["GET"])


async def _preflight() -> Response:
    return Response(status_code=204, headers=CORS)


for _path in (*METADATA_PATHS, *PROTOCOL_PATHS):
    router.add_api_route(_path, _preflight, methods=["OPTIONS"])


@router.get("/oauth/authorize")
@router.get("/authorize")
async def authorize(request: Request) -> Response:
    web, params = web_of(request), dict(request.query_params)
    try:
        client, redirect_uri = await requests.client_and_redirect(ctx_of(request), web.fetcher, params)
    except OAuthError as exc:
        return message(request, web, "This app's request cannot be used", exc.message, 400)
    try:
        checked = requests.check(params, client, redirect_uri, web.settings.base_url,
                                 ctx_of(request).clock().timestamp())
    except OAuthError as exc:
        return see_other(requests.answer(redirect_uri, params.get("state"), **oauth_body(exc)))
    request_id = await requests.keep(ctx_of(request).redis, checked)
    return see_other(f"/oauth/consent?request={request_id}")


def _refuse(checked: requests.AuthRequest, description: str) -> Response:
    refusal = oauth_body(AccessDenied(description))
    return see_other(requests.answer(checked.redirect_uri, checked.state, **refusal))


@router.get("/oauth/consent")
async def consent_page(request: Request) -> Response:
    web = web_of(request)
    request_id = request.query_params.get("request", "")
    found = await session.current(request, web)
    if found is None:
        return see_other(session.login_url(f"/oauth/consent?request={quote(request_id, safe='')}"))
    checked = await requests.load(ctx_of(request).redis, request_id)
    if checked is None:
        return message(request, web, "This request has expired", "Start again from your app.", 400)
    if checked.expires_at <= ctx_of(request).clock().timestamp():
        return _refuse(checked, "the authorization request expired")
    endpoint = await grants.endpoint_for(ctx_of(request), found.user_id, checked.slug)
    if endpoint is None:
        return message(request, web, "No such endpoint",
                       f"{found.email} has no endpoint at {checked.resource}. Sign in as its owner.", 403)
    return _consent(request, web, checked, request_id, endpoint.name, found.email)


def _consent(request: Request, web: Web, checked: requests.AuthRequest, request_id: str, endpoint_name: str,
             email: str) -> Response:
    target = urlsplit(checked.redirect_uri)
    return page(request, web, "consent.html", form_targets=(f"{target.scheme}://{target.netloc}",),
                client_name=checked.client_name, client_kind=_kind(checked.client_id),
                redirect_host=target.netloc, endpoint_name=endpoint_name, resource=checked.resource,
                may_write="mcp:write" in checked.scopes, request_id=request_id, email=email)


def _kind(client_id: str) -> str:
    if client_id.startswith("https://"):
        return f"described by {urlsplit(client_id).netloc}"
    return "registered itself; name not verified"


@router.post("/oauth/consent")
async def consent_decision(request: Request) -> Response:
    web, form = web_of(request), await _form(request)
    csrf.check(request, web, form.get(csrf.FIELD))
    found = await session.current(request, web)
    if found is None:
        return see_other(session.login_url("/login"))
    ctx, request_id = ctx_of(request), form_text(form, "request")
    checked = await requests.load(ctx.redis, request_id)
    if checked is None or not await requests.drop(ctx.redis, request_id):
        return message(request, web, "This request has expired", "Start again from your app.", 400)
    if checked.expires_at <= ctx.clock().timestamp():
        return _refuse(checked, "the authorization request expired")
    if form.get("decision") != "allow":
        return _refuse(checked, "the user denied access")
    endpoint = await grants.endpoint_for(ctx, found.user_id, checked.slug)
    if endpoint is None:
        return _refuse(checked, "the signed-in user has no such endpoint")
    writes = "mcp:write" in checked.scopes and form.get("allow_writes") == "yes"
    code = await issuing.issue_code(ctx, Consent(
        str(endpoint.tenant_id), str(endpoint.endpoint_id), str(found.user_id), checked.client_id,
        checked.redirect_uri, checked.code_challenge, checked.resource,
        ("mcp", "mcp:write") if writes else ("mcp",),
        ctx.clock().timestamp() + issuing.CODE_TTL.total_seconds()))
    return see_other(requests.answer(checked.redirect_uri, checked.state, code=code))


@router.post("/oauth/token")
@router.post("/token")
async def token(request: Request) -> Response:
    web, form = web_of(request), await _form(request)
    request_id = getattr(request.state, "request_id", None)
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        return _json(await issuing.exchange(ctx_of(request), form, web.lifetimes, request_id))
    if grant_type == "refresh_token":
        return _json(await issuing.refresh(ctx_of(request), form, web.lifetimes, request_id))
    raise UnsupportedGrantType("grant_type must be authorization_code or refresh_token")


@router.post("/oauth/register")
@router.post("/register")
async def register(request: Request) -> Response:
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise InvalidClientMetadata("the body is not JSON") from exc
    if not isinstance(body, dict):
        raise InvalidClientMetadata("the body must be a JSON object")
    return _json(await clients.register(ctx_of(request), body), 201)


@router.post("/oauth/revoke")
async def revoke(request: Request) -> Response:
    """RFC 7009: 200 whatever the token was, so nothing is learned from the answer."""
    form = await _form(request)
    await issuing.revoke(ctx_of(request), form.get("token", ""), form.get("client_id"))
    return Response(status_code=200, headers=JSON_HEADERS)



