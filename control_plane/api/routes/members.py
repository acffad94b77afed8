"""/v1/members and /v1/invitations: a tenant's people, their roles, and invitations by email."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, BackgroundTasks, Request, Response, status
from pydantic import BaseModel

from control_plane.api.deps import Ctx, RequestIdDep, Who
from control_plane.api.fields import Email, Password, Safe, text
from control_plane.api.openapi import AUTH, BODY, QUERY, responses
from control_plane.api.schemas import Body
from control_plane.errors import (
    AlreadyMember,
    InvalidEmail,
    InvalidInvitation,
    LastOwner,
    NotFound,
    PasswordRequired,
    Unavailable,
    WeakPassword,
)
from control_plane.services import invitations, members
from control_plane.web.pages import send_quietly
from control_plane.web.resources import web_of

router = APIRouter(tags=["members"])

RoleName = Literal["owner", "admin", "member", "viewer"]
InvitationToken = Annotated[str, text(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+$",
                                      description="the token of the invitation link"), Safe]


class MemberOut(BaseModel):
    user_id: UUID
    email: str
    role: RoleName
    created_at: datetime


class RoleIn(Body):
    role: RoleName


class InvitationIn(Body):
    email: Email
    role: RoleName = "member"


class InvitationOut(BaseModel):
    id: UUID
    email: str
    role: RoleName
    invited_by: str
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None = None
    revoked_at: datetime | None = None


class AcceptIn(Body):
    token: InvitationToken
    password: Password | None = None


class AcceptedOut(BaseModel):
    tenant_id: UUID
    user_id: UUID
    email: str
    role: RoleName


@router.get("/members", response_model=list[MemberOut], operation_id="listMembers",
            summary="List the tenant's members and their roles", responses=responses(*AUTH))
async def list_members(ctx: Ctx, caller: Who) -> list[members.Member]:
    return await members.list_members(ctx, caller)


@router.patch("/members/{user_id}", response_model=MemberOut, operation_id="changeMemberRole",
              summary="Change a member's role (owners make and unmake owners)",
              responses=responses(*BODY, *AUTH, NotFound, LastOwner))
async def change_role(user_id: UUID, body: RoleIn, ctx: Ctx, caller: Who) -> members.Member:
    return await members.change_role(ctx, caller, user_id, body.role)


@router.delete("/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="removeMember",
               summary="Remove a member: their sessions and API keys stop at once",
               responses=responses(*QUERY, *AUTH, NotFound, LastOwner))
async def remove(user_id: UUID, ctx: Ctx, caller: Who) -> Response:
    await members.remove(ctx, caller, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def invitation_link(request: Request) -> str:
    return f"{web_of(request).settings.base_url}/invitations/accept?token="


@router.post("/invitations", status_code=status.HTTP_201_CREATED, response_model=InvitationOut,
             operation_id="createInvitation", summary="Invite a person by email (a one-time link by mail)",
             responses=responses(*BODY, *AUTH, InvalidEmail))
async def invite(body: InvitationIn, ctx: Ctx, caller: Who, request: Request,
                 tasks: BackgroundTasks) -> dict[str, object]:
    base = invitation_link(request)
    made, mail = await invitations.invite(ctx, caller, body.email, body.role, lambda token: base + token)
    tasks.add_task(send_quietly, web_of(request).mailer, mail)
    return asdict(made)


@router.get("/invitations", response_model=list[InvitationOut], operation_id="listInvitations",
            summary="List the tenant's invitations, newest first", responses=responses(*AUTH))
async def list_invitations(ctx: Ctx, caller: Who) -> list[invitations.Invitation]:
    return await invitations.list_invitations(ctx, caller)


@router.delete("/invitations/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT,
               operation_id="withdrawInvitation", summary="Withdraw a pending invitation",
               responses=responses(*QUERY, *AUTH, NotFound))
async def withdraw(invitation_id: UUID, ctx: Ctx, caller: Who) -> Response:
    await invitations.withdraw(ctx, caller, invitation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/join", status_code=status.HTTP_201_CREATED, response_model=AcceptedOut,
             operation_id="acceptInvitation",
             summary="Accept an invitation with its link's token (a new address also sets a password)",
             responses=responses(*BODY, InvalidInvitation, PasswordRequired, WeakPassword,
                                 AlreadyMember, Unavailable))
async def accept(body: AcceptIn, ctx: Ctx, request_id: RequestIdDep) -> invitations.Accepted:
    return await invitations.accept(ctx, body.token, password=body.password, request_id=request_id)
