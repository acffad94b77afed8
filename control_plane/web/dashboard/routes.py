"""Every dashboard route in one router, for ``web/mount.py`` to install."""

from __future__ import annotations

from fastapi import APIRouter

from control_plane.web.dashboard import (
    account,
    activity,
    assets,
    endpoints,
    invitation,
    new_endpoint,
    shares,
    signup,
    team,
    tokens,
    tools,
    uploads,
)

UPLOAD_PATHS = uploads.UPLOAD_PATHS


def router() -> APIRouter:
    made = APIRouter(include_in_schema=False)
    modules = (assets, signup, endpoints, new_endpoint, tokens, uploads, tools, activity, account, team,
               shares, invitation)
    for module in modules:
        made.include_router(module.router)
    return made
