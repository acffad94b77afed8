"""Request and response bodies of /v1: pydantic at the edge, the service layer's dataclasses inside."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from control_plane.api.fields import Email as EmailField
from control_plane.api.fields import (
    EndpointName,
    JsonInteger,
    Label,
    LoginPassword,
    Password,
    Region,
    Safe,
    TenantName,
    text,
)
from control_plane.catalog.endpoints import EndpointStatus
from control_plane.catalog.tenants import TenantStatus
from control_plane.imports.store import Format, Mode
from control_plane.plans import PlanName
from control_plane.services.endpoint_settings import MAX_CAP, MIN_CAP
from control_plane.services.endpoint_tokens import MAX_TTL, MIN_TTL

Scope = Literal["mcp", "mcp:write"]


def _read_only() -> list[Scope]:
    return ["mcp"]


SCOPES_RULE: dict[str, JsonValue] = {"uniqueItems": True, "contains": {"const": "mcp"}}


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=4096)


class SignupIn(Body):
    email: EmailField
    password: Password
    tenant_name: TenantName


LinkToken = Annotated[str, text(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+$",
                              description="the token of the mailed link"), Safe]


class SignupConfirmIn(Body):
    token: LinkToken
    password: LoginPassword = Field(description="the password chosen at sign-up")


class LoginIn(Body):
    email: EmailField
    password: LoginPassword
    tenant_id: UUID | None = None


class ApiKeyIn(Body):
    name: Label = "api key"


class EndpointIn(Body):
    name: EndpointName
    plan: PlanName | None = Field(default=None, description="at most the tenant's plan, which is the default")
    region: Region | None = None


ToolCap = Annotated[int, Field(ge=MIN_CAP, le=MAX_CAP), JsonInteger]


class EndpointSettingsIn(Body):
    """Only the settings given change; the others keep their values."""

    allow_writes: bool | None = Field(default=None, strict=True, description=(
        "write tools (insert_, update_, delete_) for tokens with the mcp:write scope"))
    public_docs: bool | None = Field(default=None, strict=True,
                                     description="llms.txt and manifest.json without a token")
    tool_cap: ToolCap | None = Field(default=None,
                                     description="how many tables, largest first, get generated tools")


class TokenIn(Body):
    name: Label = "agent"
    scopes: list[Scope] = Field(default_factory=_read_only, min_length=1, max_length=2,
                                json_schema_extra=SCOPES_RULE)
    expires_in: int | None = Field(default=None, ge=MIN_TTL, le=MAX_TTL, description="seconds")


class AccountDeleteIn(Body):
    password: LoginPassword | None = None


class TenantOut(BaseModel):
    id: UUID
    name: str
    plan: PlanName


class UserOut(BaseModel):
    id: UUID
    email: str


class ApiKeyCreated(BaseModel):
    id: UUID
    name: str
    key: str
    prefix: str
    created_at: datetime


class SignupOut(BaseModel):
    tenant: TenantOut
    user: UserOut
    api_key: ApiKeyCreated


class SignupMailedOut(BaseModel):
    """The one answer to a sign-up when Berth sends mail, whether or not the address has an account."""

    status: Literal["check_your_email"] = "check_your_email"
    message: str


class LoginOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"]
    expires_in: int


class ApiKeyOut(BaseModel):
    id: UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class EndpointOut(BaseModel):
    id: UUID
    slug: str
    name: str
    plan: PlanName
    region: str | None
    status: EndpointStatus
    failure_reason: str | None
    created_at: datetime
    allow_writes: bool
    public_docs: bool
    tool_cap: int
    mcp_url: str
    calls_this_month: int


class ImportOut(BaseModel):
    id: UUID
    endpoint_id: UUID
    format: Format
    table_name: str | None
    mode: Mode
    state: str
    bytes_total: int
    bytes_done: int
    rows_done: int
    rows_rejected: int
    tables: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class EndpointFromFileOut(EndpointOut):
    """A new endpoint and the import of the file it was created with (follow ``Location``)."""

    model_config = ConfigDict(populate_by_name=True)

    first_import: ImportOut = Field(alias="import")


class TokenCreated(BaseModel):
    id: UUID
    token: str
    prefix: str
    scopes: list[Scope]
    expires_at: datetime | None


class TokenOut(BaseModel):
    id: UUID
    name: str
    prefix: str
    scopes: list[Scope]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class AuditOut(BaseModel):
    id: int
    actor: str
    action: str
    target: str | None
    outcome: str
    request_id: str | None
    created_at: datetime


class AuditPage(BaseModel):
    items: list[AuditOut]
    next_before: int | None


class EndpointUsageOut(BaseModel):
    endpoint_id: UUID
    name: str
    plan: PlanName
    calls: int
    monthly_limit: int | None


class UsageOut(BaseModel):
    month: str
    endpoints: list[EndpointUsageOut]


class AccountDeleted(BaseModel):
    status: Literal[TenantStatus.DELETING]
    job_id: int
