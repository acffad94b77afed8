"""POST /v1/login/magic-link: mail a single-use sign-in link; the answer is the same for every address."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Request, status
from pydantic import BaseModel

from control_plane.api.fields import Email, Safe, text
from control_plane.api.openapi import BODY, responses
from control_plane.api.schemas import Body
from control_plane.errors import Unavailable
from control_plane.web import session
from control_plane.web.pages import SENT, ask_for_link
from control_plane.web.resources import web_of

router = APIRouter(tags=["identity"])


NextPath = Annotated[str, text(max_length=2000, pattern=r"^/([^/\\][^\\]*)?$",
                              description="a path on Berth to go on to after sign-in"), Safe]


class MagicLinkIn(Body):
    email: Email
    next: NextPath | None = None


class MagicLinkOut(BaseModel):
    status: str = "accepted"
    message: str = SENT


@router.post("/login/magic-link", status_code=status.HTTP_202_ACCEPTED, response_model=MagicLinkOut,
             operation_id="requestMagicLink",
             summary="Mail a sign-in link (the same answer for unknown addresses)",
             responses=responses(*BODY, Unavailable))
async def magic_link(body: MagicLinkIn, request: Request, tasks: BackgroundTasks) -> MagicLinkOut:
    await ask_for_link(request, web_of(request), body.email, session.safe_next(body.next), tasks)
    return MagicLinkOut()
