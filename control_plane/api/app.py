"""The control plane's ASGI app and the resources it opens for its lifetime."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp

from control_plane.api import errors
from control_plane.api.middleware import BodyLimit, RequestId
from control_plane.api.routes import (
    account,
    activity,
    api_keys,
    endpoints,
    identity,
    imports,
    magic_link,
    members,
    oauth_grants,
    shares,
    support,
    tokens,
)
from control_plane.catalog.db import create_pool
from control_plane.imports.spool import spool_dir
from control_plane.observability.metrics import Metrics
from control_plane.redis import connect as redis_connect
from control_plane.services.context import Context
from control_plane.settings import Process, Settings
from control_plane.web import mount
from control_plane.web.dashboard.uploads import UPLOAD_PATHS
from control_plane.web.resources import Web

CATALOG_POOL_MAX = 10
DOCUMENTS_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# Uploads (the API's and the dashboard's) enforce the plan's import limit themselves while spooling.
STREAMED = re.compile(f"{imports.STREAMED_PATH.pattern}|{UPLOAD_PATHS.pattern}")
# createEndpoint with a file (multipart) streams it to the spool under that limit too; JSON keeps the cap.
FORM_PATH = re.compile(r"^/v1/endpoints/?$")


def create_app(ctx: Context, *, max_body_bytes: int) -> FastAPI:
    app = FastAPI(title="Berth control plane", version="0.1.0", docs_url=None,
                  redoc_url=None)  # /docs is web/dashboard/assets.py: served offline
    app.state.ctx = ctx
    v1 = APIRouter(prefix="/v1")
    for module in (identity, magic_link, api_keys, endpoints, tokens, imports, activity, account,
                   oauth_grants, members, shares, support):
        v1.include_router(module.router)
    app.include_router(v1)
    app.include_router(support.support_path)  # only bsup_ credentials, never /v1's
    errors.install(app)
    # Added last so it runs first: the request id is set before the body is read.
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes, exempt=STREAMED, forms=FORM_PATH)
    app.add_middleware(RequestId)
    return app


@asynccontextmanager
async def serving(settings: Settings, *, documents_http: httpx.AsyncClient | None = None,
                  metrics: Metrics | None = None) -> AsyncIterator[ASGIApp]:
    """Open the control plane's resources and yield its app; close them on exit.

    It holds no provider and no sealer: provisioning and sealing are the worker's, so the API
    needs neither the provider's credentials nor the seal keys. ``documents_http`` fetches OAuth
    client metadata documents (tests pass one trusting their own CA); otherwise one is made.
    ``metrics`` is accepted like every role's, though the API's own are the HTTP layer's.
    """
    settings.require(Process.API)
    async with AsyncExitStack() as stack:
        pool = await create_pool(settings.database_url_value, "berth_api", max_size=CATALOG_POOL_MAX)
        stack.push_async_callback(pool.close)
        redis = redis_connect.connect(settings.redis_url_value)
        stack.push_async_callback(redis.aclose)
        if documents_http is None:
            documents_http = await stack.enter_async_context(httpx.AsyncClient(timeout=DOCUMENTS_TIMEOUT))
        app = create_app(Context.from_settings(settings, pool, redis), max_body_bytes=settings.max_body_bytes)
        app.state.import_spool = spool_dir(settings.data_dir)
        mount.install(app, Web.from_settings(settings, documents_http))
        yield app
