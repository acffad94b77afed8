"""``/dev/mail``: what the dev mail catcher received; mounted only under ``berth dev``."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from starlette.responses import Response

from control_plane.mail.catcher import caught
from control_plane.web.pages import page
from control_plane.web.resources import web_of

router = APIRouter(include_in_schema=False)


@router.get("/dev/mail")
async def dev_mail(request: Request) -> Response:
    web = web_of(request)
    messages = await asyncio.to_thread(caught, web.settings)
    return page(request, web, "dev_mail.html", messages=messages)
