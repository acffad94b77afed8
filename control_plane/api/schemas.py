"""Request and response bodies of /v1: pydantic at the edge, the service layer's dataclasses inside."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=4096)


class SignupIn(Body):
    email: str
    password: str
    tenant_name: str


class LoginIn(Body):
    email: str
    password: str
    tenant_id: UUID | None = None


class ApiKeyIn(Body):
    name: str = "api key"


class EndpointIn(Body):
    name: str
    plan: str | None = None
    region: str | None = None


class TokenIn(Body):
    name: str = "agent"
    scopes: list[str] = Field(default_factory=lambda: ["mcp"], max_length=4)
    expires_in: int | None = None


class AccountDeleteIn(Body):
    password: str | None = None


class TenantOut(BaseModel):
    id: UUID
    name: str


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
    plan: str
    region: str | None
    status: Literal["provisioning", "ready", "failed", "deleting", "deleted"]
    failure_reason: str | None
    created_at: datetime
    mcp_url: str
    calls_this_month: int


class TokenCreated(BaseModel):
    id: UUID
    token: str
    prefix: str
    scopes: list[str]
    expires_at: datetime | None


class TokenOut(BaseModel):
    id: UUID
    name: str
    prefix: str
    scopes: list[str]
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
    plan: str
    calls: int
    monthly_limit: int | None


class UsageOut(BaseModel):
    month: str
    endpoints: list[EndpointUsageOut]


class AccountDeleted(BaseModel):
    status: Literal["deleting"]
    job_id: int
