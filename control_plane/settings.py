"""Process settings: one object per process, built in main() for its roles and passed down.

Each role needs only its own secrets (``NEEDS``): the gateway never sees the JWT
secret, the worker never sees the pepper. ``Settings.for_role`` refuses to start
without one and names the role and the variable; the typed ``*_value``
accessors are how code reads a secret.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDERS = frozenset({"", "change-me", "changeme", "secret", "dev", "test", "password", "xxx"})


class Process(StrEnum):
    """What a process does; ``berth dev`` is every role in one process."""

    API = "api"
    GATEWAY = "gateway"
    WORKER = "worker"
    OPERATOR = "operator"  # the operator commands (`berth status`, `berth tokens issue`, ...)
    MIGRATE = "migrate"


class Secret(StrEnum):
    """A setting that holds a credential; the value is its field's name."""

    DATABASE_URL = "database_url"
    REDIS_URL = "redis_url"
    TOKEN_PEPPER = "token_pepper"
    JWT_SECRET = "jwt_secret"
    SEAL_KEYS = "seal_keys"
    NEON_API_KEY = "neon_api_key"

    @property
    def variable(self) -> str:
        return f"BERTH_{self.name}"


class MissingSecret(ValueError):
    """A role's secret is not set: one line naming the role and the variable, never a value."""


NOUNS: Mapping[Process, str] = {
    Process.API: "the API", Process.GATEWAY: "the gateway", Process.WORKER: "the worker",
    Process.OPERATOR: "the operator CLI", Process.MIGRATE: "berth migrate",
}
_SERVICES = frozenset({Secret.DATABASE_URL, Secret.REDIS_URL})
NEEDS: Mapping[Process, frozenset[Secret]] = {
    # The pepper hashes every credential it issues or checks (API keys, tokens, sessions, links);
    # the JWT secret signs logins and keys the sign-in pages' CSRF tokens.
    Process.API: _SERVICES | {Secret.TOKEN_PEPPER, Secret.JWT_SECRET},
    # The pepper finds a token's row; the seal keys open endpoint connection strings.
    Process.GATEWAY: _SERVICES | {Secret.TOKEN_PEPPER, Secret.SEAL_KEYS},
    # Seals what it provisions and opens what it imports into; it never hashes a token or signs a JWT.
    Process.WORKER: _SERVICES | {Secret.SEAL_KEYS},
    # Issues tokens and API keys (pepper) and runs the worker's steps (seal keys); never a JWT.
    Process.OPERATOR: _SERVICES | {Secret.TOKEN_PEPPER, Secret.SEAL_KEYS},
    Process.MIGRATE: _SERVICES,  # no secret; it checks Redis too before migrating, as every role does
}
# The roles that build a provider: with BERTH_PROVIDER=neon they need its API key as well.
PROVIDER_ROLES = frozenset({Process.WORKER, Process.OPERATOR})
# What `berth dev` makes into data_dir/secrets.json, and what a placeholder may never stand for.
GENERATED = (Secret.TOKEN_PEPPER, Secret.JWT_SECRET, Secret.SEAL_KEYS)


def needs(role: Process, provider: str = "local") -> list[Secret]:
    """The secrets ``role`` cannot start without, in ``Secret`` order."""
    wanted = NEEDS[role] | ({Secret.NEON_API_KEY} if role in PROVIDER_ROLES and provider == "neon" else set())
    return [secret for secret in Secret if secret in wanted]


def _reveal(value: SecretStr | None, secret: Secret) -> str:
    if value is None:  # a role that did not declare the secret in NEEDS reached for it
        raise MissingSecret(f"{secret.variable} is not set")
    return value.get_secret_value()


class Settings(BaseSettings):
    """Everything a Berth process reads from its environment (prefix ``BERTH_``)."""

    model_config = SettingsConfigDict(env_prefix="BERTH_", extra="ignore")

    dev: bool = False
    data_dir: Path = Path(".berth")
    database_url: SecretStr | None = None
    redis_url: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    public_url: str | None = None
    # The gateway's public URL when it is served apart from the API: MCP URLs are built on it.
    gateway_url: str | None = None

    # Logs: JSON outside dev and readable lines in dev, unless a format is set.
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] | None = None
    # /metrics on the serving port: always in dev, otherwise only when set; metrics_port serves it apart.
    metrics_public: bool = False
    metrics_port: int | None = Field(default=None, ge=1, le=65535)

    token_pepper: SecretStr | None = None
    jwt_secret: SecretStr | None = None
    jwt_ttl_seconds: int = Field(default=900, ge=60, le=86400)
    seal_keys: SecretStr | None = None

    provider: Literal["local", "neon"] = "local"
    local_servers: SecretStr | None = None
    local_connection_limit: int = Field(default=20, ge=1, le=1000)
    # Tenant roles must not reach the catalog or other databases through PUBLIC's CONNECT.
    local_revoke_public_connect: bool = True
    # An orphaned database is quarantined first and dropped only after this long.
    orphan_grace_hours: float = Field(default=24.0, ge=0, le=24 * 365)
    neon_api_key: SecretStr | None = None
    neon_base_url: str = "https://console.neon.tech/api/v2"
    neon_region: str = "aws-us-east-2"
    # A personal API key needs the organisation; sent as org_id where Neon's API takes it.
    neon_org_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")

    allowed_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Lowers every plan's import file size limit here (e.g. a small spool volume); unset: the plans' own.
    max_import_bytes: int | None = Field(default=None, ge=1)

    pool_max_size: int = Field(default=4, ge=1, le=100)
    max_pools: int = Field(default=1000, ge=1)
    connection_budget: int = Field(default=200, ge=1)
    pool_idle_seconds: float = Field(default=300.0, gt=0)
    token_cache_ttl_seconds: float = Field(default=5.0, gt=0)
    statement_timeout_ms: int = Field(default=5000, ge=100)
    max_result_bytes: int = Field(default=1_000_000, ge=1024)

    # Mail (magic links, invitations, sign-up confirmation). Unset host: mail is not sent and sign-up is
    # immediate (``berth dev`` catches mail locally instead).
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "Berth <berth@localhost>"
    smtp_starttls: bool = True
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    # OAuth for MCP clients and the browser session behind its sign-in and consent pages.
    oauth_issuer: str | None = None
    oauth_access_ttl_seconds: int = Field(default=3600, ge=60, le=86400)
    oauth_refresh_ttl_days: int = Field(default=30, ge=1, le=365)
    # Client ID Metadata Documents on private or loopback addresses: refused unless dev or set here.
    oauth_allow_private_clients: bool = False
    # import_url on loopback, private or link-local addresses: refused unless set (tests, a closed network).
    import_urls_allow_private: bool = False
    session_ttl_hours: float = Field(default=12.0, gt=0, le=24 * 30)

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [o.strip() for o in value.split(",") if o.strip()]
        return value

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        # A placeholder is refused even where the role does not read it: it is a mistake either way.
        if self.dev:
            return self
        for secret in GENERATED:
            value: SecretStr | None = getattr(self, secret.value)
            if value is not None and value.get_secret_value().strip().lower() in PLACEHOLDERS:
                raise ValueError(f"{secret.variable} must be set to a real secret outside dev mode")
        return self

    @classmethod
    def for_role(cls, *roles: Process, **values: Any) -> Settings:
        """The environment's settings (``values`` win) for a process of ``roles``.

        Outside dev, raises ``MissingSecret`` for the first secret a role needs that is unset. In dev
        nothing is refused here: ``berth dev`` fills the secrets and the services in afterwards.
        """
        settings = cls(**values)
        if not settings.dev:
            settings.require(*roles)
        return settings

    def require(self, *roles: Process) -> None:
        """``MissingSecret`` ("the gateway needs BERTH_SEAL_KEYS") unless every role's secrets are set."""
        for role in roles:
            for secret in needs(role, self.provider):
                if getattr(self, secret.value) is None:
                    raise MissingSecret(f"{NOUNS[role]} needs {secret.variable}")

    def with_dev_secrets(self) -> Settings:
        """Fill missing secrets from ``data_dir/secrets.json``, creating it on first use."""
        path = self.data_dir / "secrets.json"
        stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
        fresh = {
            Secret.TOKEN_PEPPER: secrets.token_urlsafe(32),
            Secret.JWT_SECRET: secrets.token_urlsafe(32),
            Secret.SEAL_KEYS: "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        }
        for key, value in fresh.items():
            stored.setdefault(key.value, value)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(stored))
        path.chmod(0o600)
        updates = {s.value: SecretStr(stored[s.value]) for s in GENERATED if getattr(self, s.value) is None}
        return self.model_copy(update=updates)

    @property
    def database_url_value(self) -> str:
        return _reveal(self.database_url, Secret.DATABASE_URL)

    @property
    def redis_url_value(self) -> str:
        return _reveal(self.redis_url, Secret.REDIS_URL)

    @property
    def token_pepper_value(self) -> bytes:
        """The HMAC key for token, API key and link digests (bytes: that is all it is used as)."""
        return _reveal(self.token_pepper, Secret.TOKEN_PEPPER).encode()

    @property
    def jwt_secret_value(self) -> str:
        return _reveal(self.jwt_secret, Secret.JWT_SECRET)

    @property
    def seal_keys_value(self) -> str:
        return _reveal(self.seal_keys, Secret.SEAL_KEYS)

    @property
    def neon_api_key_value(self) -> str:
        return _reveal(self.neon_api_key, Secret.NEON_API_KEY)

    @property
    def sends_mail(self) -> bool:
        """A relay (or ``berth dev``'s catcher) takes mail: sign-up then confirms the address by mail."""
        return self.smtp_host is not None

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def gateway_base_url(self) -> str:
        """Where agents reach the gateway: ``BERTH_GATEWAY_URL``, else the same URL as the API."""
        return (self.gateway_url or self.base_url).rstrip("/")

    @property
    def issuer(self) -> str:
        """The OAuth authorization server's identifier: the control plane's public URL."""
        return (self.oauth_issuer or self.base_url).rstrip("/")
