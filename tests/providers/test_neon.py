"""The Neon provider against a respx-mocked API v2: create, retries, operations, delete, get, list."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from control_plane.errors import ProviderError
from control_plane.providers.base import DatabaseSpec
from control_plane.providers.neon import NeonProvider, from_settings, project_name
from control_plane.settings import Settings
from tests.providers.conftest import API_KEY, BASE, FakeTime, RecordingReader

ENDPOINT = uuid.UUID("0b7c6f3e-2a41-4d8e-9f10-5c3b2a1d0e9f")
PROJECT = "quiet-sun-123456"
OWNER_URI = "postgresql://berth_owner:s3cret-Owner-Pw@ep-cool-rain-1.us-east-2.aws.neon.tech/berth?sslmode=require"


def operation(op_id: str, status: str, action: str = "start_compute") -> dict[str, Any]:
    stamp = "2026-11-23T09:00:00Z"
    return {"id": op_id, "project_id": PROJECT, "action": action, "status": status, "failures_count": 0,
            "created_at": stamp, "updated_at": stamp, "total_duration_ms": 1}


def created(operations: list[dict[str, Any]]) -> dict[str, Any]:
    """A CreatedProject body, cut to the fields Berth reads."""
    return {"project": {"id": PROJECT, "name": project_name(ENDPOINT), "region_id": "aws-us-east-2"},
            "connection_uris": [{"connection_uri": OWNER_URI,
                                 "connection_parameters": {"database": "berth", "role": "berth_owner"}}],
            "roles": [], "databases": [], "branch": {"id": "br-a-1"}, "endpoints": [],
            "operations": operations}


def running() -> dict[str, Any]:
    return operation("op-1", "running")


def no_projects(neon: respx.MockRouter) -> respx.Route:
    return neon.get("/projects").mock(return_value=httpx.Response(200, json={"projects": []}))


async def test_create_posts_a_named_project_waits_for_its_operations_and_parses_the_uri(
        neon: respx.MockRouter, provider: NeonProvider, reader: RecordingReader, fake_time: FakeTime) -> None:
    lookup = no_projects(neon)
    post = neon.post("/projects").mock(return_value=httpx.Response(201, json=created(
        [operation("op-1", "running", "create_timeline"), operation("op-2", "scheduling")])))
    neon.get(f"/projects/{PROJECT}/operations/op-1").mock(side_effect=[
        httpx.Response(200, json={"operation": operation("op-1", "running")}),
        httpx.Response(200, json={"operation": operation("op-1", "finished")})])
    neon.get(f"/projects/{PROJECT}/operations/op-2").mock(
        return_value=httpx.Response(200, json={"operation": operation("op-2", "skipped")}))

    made = await provider.create_database(DatabaseSpec(ENDPOINT))

    assert lookup.calls.last.request.url.params["search"] == f"berth-{ENDPOINT}"
    sent = json.loads(post.calls.last.request.content)
    assert sent["project"]["name"] == f"berth-{ENDPOINT}"
    assert sent["project"]["region_id"] == "aws-us-east-2"
    assert post.calls.last.request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert made.ref == PROJECT and made.owner_dsn == OWNER_URI
    [(owner_dsn, role, password)] = reader.calls
    assert owner_dsn == OWNER_URI and role == "berth_reader"
    assert made.reader_dsn == (f"postgresql://berth_reader:{password}@ep-cool-rain-1.us-east-2.aws.neon.tech"
                               "/berth?sslmode=require")
    assert fake_time.sleeps == [1.0]


async def test_create_sends_the_requested_region_and_org(
        http: httpx.AsyncClient, neon: respx.MockRouter, reader: RecordingReader, fake_time: FakeTime,
) -> None:
    scoped = NeonProvider(http, api_key=API_KEY, region="aws-us-east-2", base_url=BASE, org_id="org-calm-1",
                          sleep=fake_time.sleep, clock=fake_time.clock, reader_setup=reader)
    lookup = no_projects(neon)
    post = neon.post("/projects").mock(return_value=httpx.Response(201, json=created([])))
    await scoped.create_database(DatabaseSpec(ENDPOINT, region="aws-eu-central-1"))
    assert lookup.calls.last.request.url.params["org_id"] == "org-calm-1"
    sent = json.loads(post.calls.last.request.content)["project"]
    assert sent["region_id"] == "aws-eu-central-1" and sent["org_id"] == "org-calm-1"


async def test_a_retried_create_finds_the_project_instead_of_posting_again(
        neon: respx.MockRouter, provider: NeonProvider) -> None:
    name = project_name(ENDPOINT)
    neon.get("/projects").mock(return_value=httpx.Response(200, json={"projects": [
        {"id": "other-1", "name": name + "-copy"}, {"id": PROJECT, "name": name}]}))
    post = neon.post("/projects").mock(return_value=httpx.Response(201, json=created([])))
    neon.get(f"/projects/{PROJECT}/operations").mock(return_value=httpx.Response(200, json={"operations": [
        operation("op-1", "finished"), operation("op-2", "running")]}))
    pending = neon.get(f"/projects/{PROJECT}/operations/op-2").mock(
        return_value=httpx.Response(200, json={"operation": operation("op-2", "finished")}))
    uri = neon.get(f"/projects/{PROJECT}/connection_uri").mock(
        return_value=httpx.Response(200, json={"uri": OWNER_URI}))

    made = await provider.create_database(DatabaseSpec(ENDPOINT))

    assert post.call_count == 0 and pending.call_count == 1
    assert made.ref == PROJECT and made.owner_dsn == OWNER_URI
    assert uri.calls.last.request.url.params["role_name"] == "berth_owner"


@pytest.mark.parametrize("status", ["failed", "error", "cancelled"])
async def test_an_operation_that_ends_badly_fails_the_create(neon: respx.MockRouter, provider: NeonProvider,
                                                             reader: RecordingReader, status: str) -> None:
    no_projects(neon)
    neon.post("/projects").mock(return_value=httpx.Response(201, json=created([running()])))
    neon.get(f"/projects/{PROJECT}/operations/op-1").mock(
        return_value=httpx.Response(200, json={"operation": operation("op-1", status)}))
    with pytest.raises(ProviderError) as caught:
        await provider.create_database(DatabaseSpec(ENDPOINT))
    assert caught.value.retryable is False and caught.value.code == "provider_operation_failed"
    assert status in caught.value.message and reader.calls == []


async def test_an_operation_still_running_at_the_deadline_is_retryable(
        neon: respx.MockRouter, provider: NeonProvider, fake_time: FakeTime) -> None:
    no_projects(neon)
    neon.post("/projects").mock(return_value=httpx.Response(201, json=created([running()])))
    neon.get(f"/projects/{PROJECT}/operations/op-1").mock(
        return_value=httpx.Response(200, json={"operation": operation("op-1", "running")}))
    with pytest.raises(ProviderError) as caught:
        await provider.create_database(DatabaseSpec(ENDPOINT))
    assert caught.value.retryable is True
    assert sum(fake_time.sleeps) == 30.0


async def test_429_is_retried_after_the_seconds_neon_asks_for(neon: respx.MockRouter, provider: NeonProvider,
                                                              fake_time: FakeTime) -> None:
    route = neon.get(f"/projects/{PROJECT}").mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "7"}, json={"code": "", "message": "slow down"}),
        httpx.Response(200, json={"project": {"id": PROJECT, "name": project_name(ENDPOINT)}})])
    found = await provider.get_database(PROJECT)
    assert found is not None and found.endpoint_id == ENDPOINT
    assert route.call_count == 2 and fake_time.sleeps == [7.0]


async def test_retry_after_as_an_http_date_is_honoured(neon: respx.MockRouter, provider: NeonProvider,
                                                       fake_time: FakeTime) -> None:
    fake_time.now = 1_700_000_000.0  # Tue, 14 Nov 2023 22:13:20 GMT
    neon.get(f"/projects/{PROJECT}").mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "Tue, 14 Nov 2023 22:13:32 GMT"}),
        httpx.Response(404, json={"code": "", "message": "not found"})])
    assert await provider.get_database(PROJECT) is None
    assert fake_time.sleeps == [12.0]


async def test_423_locked_is_retried_with_backoff(neon: respx.MockRouter, provider: NeonProvider,
                                                  fake_time: FakeTime) -> None:
    route = neon.delete(f"/projects/{PROJECT}").mock(side_effect=[
        httpx.Response(423, json={"code": "", "message": "project already has running operations"}),
        httpx.Response(423, json={"code": "", "message": "project already has running operations"}),
        httpx.Response(200, json={"project": {"id": PROJECT}})])
    await provider.delete_database(PROJECT)
    assert route.call_count == 3 and fake_time.sleeps == [0.5, 1.0]


async def test_timeouts_are_retried_then_given_up_as_retryable(neon: respx.MockRouter, provider: NeonProvider,
                                                               fake_time: FakeTime) -> None:
    route = neon.get(f"/projects/{PROJECT}").mock(side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(ProviderError) as caught:
        await provider.get_database(PROJECT)
    assert caught.value.retryable is True and "ReadTimeout" in caught.value.message
    assert route.call_count == 5 and fake_time.sleeps == [0.5, 1.0, 2.0, 4.0]


@pytest.mark.parametrize("failure", [httpx.ReadTimeout("timed out"), httpx.Response(502)],
                         ids=["timeout", "502"])
async def test_a_post_that_may_have_landed_is_not_resent(neon: respx.MockRouter, provider: NeonProvider,
                                                         failure: Any) -> None:
    no_projects(neon)
    post = neon.post("/projects").mock(side_effect=[failure])
    with pytest.raises(ProviderError) as caught:
        await provider.create_database(DatabaseSpec(ENDPOINT))
    assert caught.value.retryable is True and post.call_count == 1


async def test_a_refused_connection_is_resent_even_for_a_post(neon: respx.MockRouter,
                                                              provider: NeonProvider) -> None:
    no_projects(neon)
    post = neon.post("/projects").mock(side_effect=[httpx.ConnectError("refused"),
                                                    httpx.Response(201, json=created([]))])
    assert (await provider.create_database(DatabaseSpec(ENDPOINT))).ref == PROJECT
    assert post.call_count == 2


async def test_delete_of_a_missing_project_succeeds(neon: respx.MockRouter, provider: NeonProvider) -> None:
    route = neon.delete(f"/projects/{PROJECT}").mock(
        return_value=httpx.Response(404, json={"code": "", "message": "project not found"}))
    await provider.delete_database(PROJECT)
    assert route.call_count == 1


async def test_get_of_a_missing_project_is_none(neon: respx.MockRouter, provider: NeonProvider) -> None:
    gone = httpx.Response(404, json={"code": "", "message": "gone"})
    neon.get(f"/projects/{PROJECT}").mock(return_value=gone)
    assert await provider.get_database(PROJECT) is None
    assert await provider.get_database("../etc/passwd") is None


async def test_list_follows_the_cursor_and_keeps_only_berth_projects(neon: respx.MockRouter,
                                                                     provider: NeonProvider) -> None:
    ids = [uuid.UUID(int=n) for n in range(402)]
    first = [{"id": f"p-{n}", "name": project_name(e)} for n, e in enumerate(ids[:399])]
    first.append({"id": "stranger-1", "name": "berth-not-a-uuid"})
    second = [{"id": f"p-{n}", "name": project_name(ids[n])} for n in range(399, 402)]
    route = neon.get("/projects").mock(side_effect=[
        httpx.Response(200, json={"projects": first, "pagination": {"cursor": "c-1"}}),
        httpx.Response(200, json={"projects": second, "pagination": {"cursor": "c-2"}})])
    found = await provider.list_databases()
    assert [d.endpoint_id for d in found] == ids
    assert found[0].ref == "p-0" and route.call_count == 2
    assert route.calls[1].request.url.params["cursor"] == "c-1"
    assert route.calls[1].request.url.params["search"] == "berth-"


async def test_errors_carry_no_key_and_no_connection_string(neon: respx.MockRouter,
                                                           provider: NeonProvider) -> None:
    neon.get(f"/projects/{PROJECT}").mock(return_value=httpx.Response(400, json={
        "code": "bad", "message": f"cannot use {OWNER_URI} with key {API_KEY}"}))
    neon.delete(f"/projects/{PROJECT}").mock(return_value=httpx.Response(401, json={
        "code": "", "message": f"key {API_KEY} is not valid"}))
    with pytest.raises(ProviderError) as bad:
        await provider.get_database(PROJECT)
    with pytest.raises(ProviderError) as refused:
        await provider.delete_database(PROJECT)
    assert refused.value.code == "provider_auth" and refused.value.retryable is False
    for error in (bad.value, refused.value):
        assert "HTTP" in str(error)
        assert API_KEY not in str(error) and "s3cret" not in str(error) and "://" not in str(error)


async def test_neon_messages_that_are_safe_are_kept(neon: respx.MockRouter, provider: NeonProvider) -> None:
    neon.delete(f"/projects/{PROJECT}").mock(return_value=httpx.Response(422, json={
        "code": "PROJECTS_LIMIT_EXCEEDED", "message": "projects limit exceeded"}))
    with pytest.raises(ProviderError) as caught:
        await provider.delete_database(PROJECT)
    assert "projects limit exceeded" in caught.value.message and caught.value.retryable is False


async def test_operations_already_finished_in_the_create_answer_are_not_polled(
        neon: respx.MockRouter, provider: NeonProvider, fake_time: FakeTime) -> None:
    no_projects(neon)
    done = created([operation("op-1", "finished")])
    neon.post("/projects").mock(return_value=httpx.Response(201, json=done))
    polled = neon.get(f"/projects/{PROJECT}/operations/op-1")
    await provider.create_database(DatabaseSpec(ENDPOINT))
    assert polled.call_count == 0 and fake_time.sleeps == []


async def test_from_settings_owns_the_client_it_makes_only(http: httpx.AsyncClient) -> None:
    settings = Settings(dev=True, provider="neon", neon_api_key=SecretStr(API_KEY),
                        neon_region="aws-eu-west-2")
    made = from_settings(settings)
    assert made.region == "aws-eu-west-2"
    await made.aclose()
    assert made.api.client.is_closed
    given = from_settings(settings, http=http)
    await given.aclose()
    assert given.api.client is http and not http.is_closed
