"""What the browser loads, all served by Berth (no CDN): the dashboard's script and styles, and /docs.

``/docs`` is FastAPI's Swagger UI page pointed at the Swagger UI files that the
``swagger-ui-py`` package ships, so the API reference works offline too.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import Response

from control_plane.errors import NotFound

router = APIRouter(include_in_schema=False)
OWN = {"app.js": "text/javascript", "app.css": "text/css"}
SWAGGER = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css",
           "favicon-32x32.png": "image/png"}
CACHE = {"Cache-Control": "public, max-age=3600"}


@router.get("/static/app/{name}")
async def own_file(name: str) -> Response:
    if name not in OWN:
        raise NotFound("no such file")
    body = (resources.files("control_plane.web") / "static" / "app" / name).read_bytes()
    return Response(body, media_type=OWN[name], headers=CACHE)


@router.get("/static/swagger/{name}")
async def swagger_file(name: str) -> Response:
    if name not in SWAGGER:
        raise NotFound("no such file")
    body = (resources.files("swagger_ui") / "static" / name).read_bytes()
    return Response(body, media_type=SWAGGER[name], headers=CACHE)


@router.get("/docs")
async def api_docs() -> Response:
    return get_swagger_ui_html(openapi_url="/openapi.json", title="Berth API",
                               swagger_js_url="/static/swagger/swagger-ui-bundle.js",
                               swagger_css_url="/static/swagger/swagger-ui.css",
                               swagger_favicon_url="/static/swagger/favicon-32x32.png")
