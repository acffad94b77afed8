"""The Neon provider: one Neon project per endpoint, named ``berth-<endpoint id>``, through API v2.

Create looks the project up by name first (``GET /projects?search=``), so a
retried create never makes a second one; otherwise ``POST /projects`` and every
returned operation is polled to a terminal status. The owner's connection
string is ``connection_uris[0].connection_uri`` (or, for a project an earlier
try made, ``GET /projects/{id}/connection_uri``) cut to the options asyncpg
understands (``dsn.for_asyncpg``). ``BERTH_NEON_ORG_ID`` goes out as ``org_id``. The
read-only role is made with SQL over that string, not through the API: Neon
puts API-made roles in ``neon_superuser`` (see ``neon_reader``). The project id
is the ref. HTTP failures become ``ProviderError`` in ``neon_http`` only.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence
from urllib.parse import quote
from uuid import UUID

import httpx

from control_plane.dsn import database_name, for_asyncpg, for_database
from control_plane.errors import ProviderError, ProviderOperationFailed
from control_plane.providers.base import DatabaseInfo, DatabaseSpec, ProvisionedDatabase
from control_plane.providers.neon_http import DEFAULT_BASE_URL, Clock, Json, NeonApi, Sleep
from control_plane.providers.neon_reader import ReaderSetup, grant_read_only, new_password
from control_plane.settings import Settings

NAME_PREFIX = "berth-"
NAME = re.compile(r"^berth-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")
PROJECT_ID = re.compile(r"^[a-z0-9-]{1,60}$")
DATABASE, OWNER, READER = "berth", "berth_owner", "berth_reader"
# Terminal values of Neon's OperationStatus enum; "skipped" means nothing was left to do.
SUCCEEDED = frozenset({"finished", "skipped"})
FAILED = frozenset({"failed", "error", "cancelled"})
PAGE, MAX_PAGES = 400, 100
HTTP_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def project_name(endpoint_id: UUID) -> str:
    return f"{NAME_PREFIX}{endpoint_id}"


def endpoint_of(name: object) -> UUID | None:
    found = NAME.match(name) if isinstance(name, str) else None
    return UUID(found[1]) if found else None


def _checked_ref(ref: str) -> str:
    if not PROJECT_ID.match(ref):
        raise ProviderError("not a Neon project id", retryable=False)
    return ref


class NeonProvider:
    """Neon projects as endpoint databases; ``client`` is closed here only when ``owns_client``."""

    name = "neon"

    def __init__(self, client: httpx.AsyncClient, *, api_key: str, region: str,
                 base_url: str = DEFAULT_BASE_URL, org_id: str | None = None, sleep: Sleep = asyncio.sleep,
                 clock: Clock = time.time, reader_setup: ReaderSetup = grant_read_only,
                 reader_role: str = READER, poll_interval: float = 1.0, operation_timeout: float = 300.0,
                 owns_client: bool = False) -> None:
        self.api = NeonApi(client, api_key=api_key, base_url=base_url, sleep=sleep, clock=clock)
        self._owns_client = owns_client
        self.region, self.org_id = region, org_id
        self._reader_setup, self._reader_role = reader_setup, reader_role
        self._poll_interval, self._operation_timeout = poll_interval, operation_timeout

    def _scope(self, **params: str | int) -> dict[str, str | int]:
        return {**params, "org_id": self.org_id} if self.org_id else params

    async def create_database(self, spec: DatabaseSpec) -> ProvisionedDatabase:
        name = project_name(spec.endpoint_id)
        project = await self._find(name)
        if project is None:
            project_id, owner_dsn = await self._create_project(name, spec.region or self.region)
        else:
            project_id = str(project["id"])
            await self._settle(project_id)
            owner_dsn = await self._owner_uri(project_id)
        owner_dsn = for_asyncpg(owner_dsn)  # e.g. Neon's channel_binding=require, which asyncpg cannot send
        password = new_password()
        await self._reader_setup(owner_dsn, self._reader_role, password)
        reader_dsn = for_database(owner_dsn, user=self._reader_role, password=password,
                                  database=database_name(owner_dsn))
        return ProvisionedDatabase(ref=project_id, owner_dsn=owner_dsn, reader_dsn=reader_dsn)

    async def _find(self, name: str) -> Json | None:
        """The project with exactly this name; ``search`` also matches partial names and ids."""
        body = await self.api.call("GET", "/projects", "look up the endpoint's project",
                                   params=self._scope(search=name, limit=PAGE))
        return next((p for p in _projects(body) if p.get("name") == name), None)

    async def _create_project(self, name: str, region: str) -> tuple[str, str]:
        request = {"project": {"name": name, "region_id": region,
                               "branch": {"database_name": DATABASE, "role_name": OWNER}}}
        if self.org_id:
            request["project"]["org_id"] = self.org_id
        body = await self.api.call("POST", "/projects", "create a project", json=request) or {}
        try:
            project_id, uri = body["project"]["id"], body["connection_uris"][0]["connection_uri"]
        except (KeyError, IndexError, TypeError) as exc:
            raise ProviderError("Neon's answer to create a project lacked its id or connection URI",
                                retryable=True) from exc
        await self._await_all(str(project_id), body.get("operations"))
        return str(project_id), str(uri)

    async def _settle(self, project_id: str) -> None:
        """Wait out whatever an earlier try left running on a project it created."""
        body = await self.api.call("GET", f"/projects/{_checked_ref(project_id)}/operations",
                                   "list the project's operations", params={"limit": 100}) or {}
        await self._await_all(project_id, body.get("operations"))

    async def _await_all(self, project_id: str, operations: object) -> None:
        for op in operations if isinstance(operations, list) else []:
            if isinstance(op, dict) and isinstance(op.get("id"), str) and op.get("status") not in SUCCEEDED:
                await self._await_operation(project_id, op["id"], str(op.get("action", "operation")))

    async def _await_operation(self, project_id: str, operation_id: str, action: str) -> None:
        deadline = self.api.clock() + self._operation_timeout
        path = f"/projects/{quote(project_id, safe='')}/operations/{quote(operation_id, safe='')}"
        while True:
            body = await self.api.call("GET", path, f"follow the {action} operation") or {}
            status = (body.get("operation") or {}).get("status")
            if status in SUCCEEDED:
                return
            if status in FAILED:
                raise ProviderOperationFailed(f"Neon's {action} operation ended {status}")
            if self.api.clock() >= deadline:
                raise ProviderError(f"Neon's {action} operation is still {status} after "
                                    f"{self._operation_timeout:.0f} s", retryable=True)
            await self.api.sleep(self._poll_interval)

    async def _owner_uri(self, project_id: str) -> str:
        body = await self.api.call("GET", f"/projects/{_checked_ref(project_id)}/connection_uri",
                                   "fetch the owner's connection URI",
                                   params={"database_name": DATABASE, "role_name": OWNER}) or {}
        if not isinstance(body.get("uri"), str):
            raise ProviderError("Neon's answer for the connection URI lacked it", retryable=True)
        return str(body["uri"])

    async def get_database(self, ref: str) -> DatabaseInfo | None:
        if not PROJECT_ID.match(ref):
            return None
        body = await self.api.call("GET", f"/projects/{ref}", "look up a project", missing_ok=True)
        if body is None:
            return None
        return DatabaseInfo(ref, endpoint_of((body.get("project") or {}).get("name")))

    async def delete_database(self, ref: str) -> None:
        await self.api.call("DELETE", f"/projects/{_checked_ref(ref)}", "delete a project", missing_ok=True)

    async def list_databases(self) -> list[DatabaseInfo]:
        found: list[DatabaseInfo] = []
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            params = self._scope(search=NAME_PREFIX, limit=PAGE, **({"cursor": cursor} if cursor else {}))
            body = await self.api.call("GET", "/projects", "list projects", params=params)
            page = _projects(body)
            found += [DatabaseInfo(str(p["id"]), e) for p in page if (e := endpoint_of(p.get("name")))]
            cursor = ((body or {}).get("pagination") or {}).get("cursor")
            if len(page) < PAGE or not cursor:
                return found
        raise ProviderError(f"Neon listed more than {PAGE * MAX_PAGES} projects", retryable=False)

    # Tenants never hold Neon credentials, so a project cannot be relabelled from inside; the Neon
    # organisation (or API key) is the installation's label. Quarantine keeps the project whole and
    # only delays the drop: the reconciler records it in the catalog and drops after the grace period.
    async def quarantine_database(self, ref: str) -> None:
        _checked_ref(ref)

    async def restore_database(self, ref: str) -> None:
        _checked_ref(ref)

    async def adopt_database(self, ref: str, endpoint_id: UUID) -> bool:
        found = await self.get_database(ref)
        return found is not None and found.endpoint_id == endpoint_id

    async def aclose(self) -> None:
        if self._owns_client:
            await self.api.client.aclose()


def _projects(body: Json | None) -> Sequence[Json]:
    projects = (body or {}).get("projects") or []
    return [p for p in projects if isinstance(p, dict) and "id" in p]


def from_settings(settings: Settings, *, http: httpx.AsyncClient | None = None) -> NeonProvider:
    """The provider ``BERTH_PROVIDER=neon`` names; makes (and then owns) a client when none is given."""
    client = http or httpx.AsyncClient(timeout=HTTP_TIMEOUT)
    return NeonProvider(client, api_key=settings.neon_api_key_value, region=settings.neon_region,
                        base_url=settings.neon_base_url, org_id=settings.neon_org_id,
                        owns_client=http is None)
