"""The team page: members (invite, change role, remove), support requests (approve, refuse, revoke) and
the tenant switcher, each through the same services and permission checks as /v1."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import Response

from control_plane.errors import Forbidden, InvalidDuration, InvalidInput
from control_plane.services import identity, invitations, members, support
from control_plane.services.permissions import Role
from control_plane.web import session
from control_plane.web.dashboard.access import TENANT_COOKIE, Visit, guarded
from control_plane.web.pages import send_quietly
from control_plane.web.render import see_other

router = APIRouter(include_in_schema=False)
ROLES = [r.value for r in Role]
YEAR = 365 * 24 * 3600


async def team_view(visit: Visit, status: int = 200, notice: str | None = None) -> Response:
    return visit.show(
        "app/team.html", status, notice=notice, roles=ROLES, me=visit.caller.user_id,
        tenant_id=visit.caller.tenant_id, members=await members.list_members(visit.ctx, visit.caller),
        invitations=await _pending(visit),
        requests=await support.list_requests(visit.ctx, visit.caller),
        tenants=await identity.tenants_of(visit.ctx, visit.caller.user_id) if visit.caller.user_id else [])


async def _pending(visit: Visit) -> list[invitations.Invitation]:
    """Invitations not yet used or withdrawn; none shown to a role that may not manage members."""
    try:
        made = await invitations.list_invitations(visit.ctx, visit.caller)
    except Forbidden:
        return []
    return [i for i in made if i.accepted_at is None and i.revoked_at is None]


@router.get("/app/team")
async def team_page(request: Request) -> Response:
    return await guarded(request, team_view)


@router.post("/app/team/invite")
async def invite(request: Request) -> Response:
    async def run(visit: Visit) -> Response:
        base = f"{visit.web.settings.base_url}/invitations/accept?token="
        made, mail = await invitations.invite(visit.ctx, visit.caller, visit.text("email"),
                                              visit.text("role") or Role.MEMBER, lambda token: base + token)
        await send_quietly(visit.web.mailer, mail)
        return await team_view(visit, 201, f"Invitation sent to {made.email}.")
    return await guarded(request, run)


@router.post("/app/team/members/{user_id}/role")
async def change_role(request: Request, user_id: UUID) -> Response:
    async def run(visit: Visit) -> Response:
        changed = await members.change_role(visit.ctx, visit.caller, user_id, visit.text("role"))
        return await team_view(visit, notice=f"{changed.email} is now {changed.role}.")
    return await guarded(request, run)


@router.post("/app/team/members/{user_id}/remove")
async def remove(request: Request, user_id: UUID) -> Response:
    async def run(visit: Visit) -> Response:
        await members.remove(visit.ctx, visit.caller, user_id)
        return await team_view(visit, notice="Member removed. Their sessions and API keys stopped just now.")
    return await guarded(request, run)


def _hours(visit: Visit) -> int:
    text = visit.text("hours")
    if not text.isdigit():
        raise InvalidDuration("hours must be a whole number from 1 to 24")
    return int(text)


@router.post("/app/support/{request_id}/{decision}")
async def decide(request: Request, request_id: UUID, decision: str) -> Response:
    async def run(visit: Visit) -> Response:
        if decision == "approve":
            hours = _hours(visit)
            await support.decide(visit.ctx, visit.caller, request_id, hours=hours)
            said = f"Support access approved for {hours} hours."
        elif decision == "refuse":
            await support.decide(visit.ctx, visit.caller, request_id, hours=None)
            said = "Support request refused."
        elif decision == "revoke":
            await support.revoke(visit.ctx, visit.caller, request_id)
            said = "Support access revoked. The credential stopped working just now."
        else:
            raise InvalidInput("approve, refuse or revoke")
        return await team_view(visit, notice=said)
    return await guarded(request, run)


@router.post("/app/tenant")
async def switch(request: Request) -> Response:
    async def run(visit: Visit) -> Response:
        wanted = visit.text("tenant_id")
        if visit.caller.user_id is None or wanted not in {
                str(t[0]) for t in await identity.tenants_of(visit.ctx, visit.caller.user_id)}:
            raise InvalidInput("not one of your tenants")
        response = see_other("/app")
        session.set_cookie(response, visit.web, TENANT_COOKIE, wanted, YEAR)
        return response
    return await guarded(request, run)
