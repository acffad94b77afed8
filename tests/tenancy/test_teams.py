"""Teams: invitations by mail, the role table enforced, removal ending access at once, one owner always."""

from __future__ import annotations

import httpx

from control_plane.services.permissions import TABLE, Permission, Role
from control_plane.settings import Settings
from tests.api.conftest import PASSWORD
from tests.tenancy.conftest import invitation_tokens, join, login, new_tenant


def test_the_role_table_grows_from_viewer_to_owner() -> None:
    assert TABLE[Role.VIEWER] == {Permission.READ}
    assert TABLE[Role.MEMBER] - TABLE[Role.VIEWER] == {Permission.TOKENS, Permission.IMPORTS}
    assert TABLE[Role.ADMIN] - TABLE[Role.MEMBER] == {
        Permission.ENDPOINTS, Permission.API_KEYS, Permission.MEMBERS, Permission.SHARING}
    assert TABLE[Role.OWNER] - TABLE[Role.ADMIN] == {
        Permission.ACCOUNT, Permission.OWNERSHIP, Permission.SUPPORT}


async def test_an_invitation_is_mailed_once_and_accepting_makes_a_member(
    api: httpx.AsyncClient, berth_settings: Settings,
) -> None:
    owner = await new_tenant(api, berth_settings, "owner@example.com")
    sent = await api.post("/v1/invitations", headers=owner.headers,
                          json={"email": "viewer@example.com", "role": "viewer"})
    assert sent.status_code == 201 and sent.json()["role"] == "viewer"
    [token] = invitation_tokens(berth_settings, "viewer@example.com")
    no_password = await api.post("/v1/join", json={"token": token})
    assert no_password.json()["error"]["code"] == "password_required"
    accepted = await api.post("/v1/join", json={"token": token, "password": PASSWORD})
    assert accepted.status_code == 201 and accepted.json()["tenant_id"] == owner.id
    again = await api.post("/v1/join", json={"token": token, "password": PASSWORD})
    assert again.status_code == 401 and again.json()["error"]["code"] == "invalid_invitation"
    listed = await api.get("/v1/members", headers=owner.headers)
    assert sorted((m["email"], m["role"]) for m in listed.json()) == [
        ("owner@example.com", "owner"), ("viewer@example.com", "viewer")]


async def test_each_role_gets_what_the_table_says(api: httpx.AsyncClient, berth_settings: Settings) -> None:
    owner = await new_tenant(api, berth_settings, "o@example.com")
    for email, role in (("v@example.com", "viewer"), ("m@example.com", "member"), ("a@example.com", "admin")):
        await join(api, berth_settings, owner, email, role)
    made = await api.post("/v1/endpoints", headers=owner.headers, json={"name": "shop"})
    endpoint = made.json()["id"]
    viewer, member, admin = [await login(api, e, owner.id) for e in ("v@example.com", "m@example.com",
                                                                        "a@example.com")]
    assert (await api.get("/v1/endpoints", headers=viewer)).status_code == 200
    assert (await api.get("/v1/audit", headers=viewer)).status_code == 200
    refused = await api.post(f"/v1/endpoints/{endpoint}/tokens", headers=viewer, json={"name": "t"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "role_forbidden"
    assert (await api.post(f"/v1/endpoints/{endpoint}/tokens", headers=member,
                           json={"name": "t"})).status_code == 201
    assert (await api.post("/v1/endpoints", headers=member, json={"name": "x"})).status_code == 403
    assert (await api.post("/v1/api-keys", headers=member, json={"name": "k"})).status_code == 403
    assert (await api.post("/v1/endpoints", headers=admin, json={"name": "x"})).status_code == 202
    assert (await api.post("/v1/api-keys", headers=admin, json={"name": "k"})).status_code == 201
    owner_invite = await api.post("/v1/invitations", headers=admin, json={"email": "z@example.com",
                                                                          "role": "owner"})
    assert owner_invite.json()["error"]["code"] == "role_forbidden"
    deletion = await api.request("DELETE", "/v1/account", headers=admin, json={"password": PASSWORD})
    assert deletion.json()["error"]["code"] == "owner_required"


async def test_removing_a_member_ends_their_jwt_and_their_api_keys_at_once(
    api: httpx.AsyncClient, berth_settings: Settings,
) -> None:
    owner = await new_tenant(api, berth_settings, "o@example.com")
    await join(api, berth_settings, owner, "a@example.com", "admin")
    admin = await login(api, "a@example.com", owner.id)
    key = (await api.post("/v1/api-keys", headers=admin, json={"name": "mine"})).json()["key"]
    with_key = {"Authorization": f"Bearer {key}"}
    assert (await api.get("/v1/endpoints", headers=with_key)).status_code == 200
    [who] = [m for m in (await api.get("/v1/members", headers=owner.headers)).json()
             if m["email"] == "a@example.com"]
    assert (await api.delete(f"/v1/members/{who['user_id']}", headers=owner.headers)).status_code == 204
    assert (await api.get("/v1/endpoints", headers=admin)).status_code == 403
    assert (await api.get("/v1/endpoints", headers=with_key)).status_code == 401
    audit = (await api.get("/v1/audit", headers=owner.headers)).json()["items"]
    assert [a["target"] for a in audit if a["action"] == "member.remove"] == [who["user_id"]]


async def test_a_tenant_keeps_an_owner_and_only_owners_move_ownership(
    api: httpx.AsyncClient, berth_settings: Settings,
) -> None:
    owner = await new_tenant(api, berth_settings, "o@example.com")
    await join(api, berth_settings, owner, "a@example.com", "admin")
    people = {m["email"]: m["user_id"] for m in (await api.get("/v1/members", headers=owner.headers)).json()}
    alone = await api.delete(f"/v1/members/{people['o@example.com']}", headers=owner.headers)
    assert alone.status_code == 409 and alone.json()["error"]["code"] == "last_owner"
    admin = await login(api, "a@example.com", owner.id)
    grab = await api.patch(f"/v1/members/{people['a@example.com']}", headers=admin, json={"role": "owner"})
    assert grab.json()["error"]["code"] == "role_forbidden"
    given = await api.patch(f"/v1/members/{people['a@example.com']}", headers=owner.headers,
                            json={"role": "owner"})
    assert given.status_code == 200 and given.json()["role"] == "owner"
    stepped_down = await api.patch(f"/v1/members/{people['o@example.com']}", headers=admin,
                                   json={"role": "member"})
    assert stepped_down.json()["role"] == "member"


async def test_a_person_in_two_tenants_picks_one_at_login(api: httpx.AsyncClient,
                                                          berth_settings: Settings) -> None:
    first = await new_tenant(api, berth_settings, "first@example.com")
    second = await new_tenant(api, berth_settings, "second@example.com")
    await join(api, berth_settings, second, "first@example.com", "viewer")
    for tenant in (first.id, second.id):
        jwt = await login(api, "first@example.com", tenant)
        shown = (await api.get("/v1/members", headers=jwt)).json()
        assert {m["email"] for m in shown} >= {"first@example.com"}
    in_second = await login(api, "first@example.com", second.id)
    refused = await api.post("/v1/endpoints", headers=in_second, json={"name": "x"})
    assert refused.json()["error"]["code"] == "role_forbidden"
