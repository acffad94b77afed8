"""Starting Berth: each role refuses to start without its own secrets (and only those), settings refuse
placeholders, and bad addresses fail in one clean line."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError
from typer.testing import CliRunner

from cli import runtime
from cli.main import app
from cli.server import readiness
from control_plane.settings import Settings

# Addresses nothing listens on: a refusal must come before any connection is tried.
SERVICES = {"BERTH_DATABASE_URL": "postgresql://berth@127.0.0.1:1/berth", "BERTH_REDIS_URL": "redis://127.0.0.1:1/0"}
PEPPER = {"BERTH_TOKEN_PEPPER": "a-real-pepper-" + "p" * 32}
JWT = {"BERTH_JWT_SECRET": "a-real-jwt-secret-" + "j" * 32}
SEAL = {"BERTH_SEAL_KEYS": "k1:" + "A" * 43 + "="}
EVERY_SECRET = ("BERTH_DATABASE_URL", "BERTH_REDIS_URL", "BERTH_TOKEN_PEPPER", "BERTH_JWT_SECRET",
                "BERTH_SEAL_KEYS", "BERTH_NEON_API_KEY", "BERTH_DEV")
# (command, the role's full environment, the variable taken away, the one line expected)
REFUSALS = [
    (["serve", "api"], {**SERVICES, **PEPPER, **JWT}, "BERTH_JWT_SECRET", "the API needs BERTH_JWT_SECRET"),
    (["serve", "api"], {**SERVICES, **PEPPER, **JWT}, "BERTH_TOKEN_PEPPER",
     "the API needs BERTH_TOKEN_PEPPER"),
    (["serve", "gateway"], {**SERVICES, **PEPPER, **SEAL}, "BERTH_SEAL_KEYS",
     "the gateway needs BERTH_SEAL_KEYS"),
    (["serve", "gateway"], {**SERVICES, **PEPPER, **SEAL}, "BERTH_TOKEN_PEPPER",
     "the gateway needs BERTH_TOKEN_PEPPER"),
    (["serve", "worker"], {**SERVICES, **SEAL}, "BERTH_SEAL_KEYS", "the worker needs BERTH_SEAL_KEYS"),
    (["serve", "worker"], {**SERVICES, **SEAL}, "BERTH_DATABASE_URL", "the worker needs BERTH_DATABASE_URL"),
    (["serve", "worker"], {**SERVICES, **SEAL, "BERTH_PROVIDER": "neon", "BERTH_NEON_API_KEY": "napi_x"},
     "BERTH_NEON_API_KEY", "the worker needs BERTH_NEON_API_KEY"),
    (["status"], {**SERVICES, **PEPPER, **SEAL}, "BERTH_SEAL_KEYS", "the operator CLI needs BERTH_SEAL_KEYS"),
    (["tokens", "list", "shop"], {**SERVICES, **PEPPER, **SEAL}, "BERTH_TOKEN_PEPPER",
     "the operator CLI needs BERTH_TOKEN_PEPPER"),
    (["migrate"], SERVICES, "BERTH_REDIS_URL", "berth migrate needs BERTH_REDIS_URL"),
]


def berth(args: list[str], env: dict[str, str], tmp_path: Path) -> tuple[int, str]:
    """Run a `berth` command with exactly ``env`` as its BERTH_* settings; its exit code and output."""
    unset: dict[str, str | None] = {name: None for name in EVERY_SECRET}
    done = CliRunner().invoke(app, args, env={**unset, "BERTH_DATA_DIR": str(tmp_path), **env})
    return done.exit_code, done.output


@pytest.mark.parametrize(("args", "env", "missing", "line"), REFUSALS,
                         ids=[f"{' '.join(r[0])}-{r[2]}" for r in REFUSALS])
def test_a_role_without_its_own_secret_refuses_in_one_line_naming_role_and_variable(
        args: list[str], env: dict[str, str], missing: str, line: str, tmp_path: Path) -> None:
    code, output = berth(args, {k: v for k, v in env.items() if k != missing}, tmp_path)
    assert code == 1 and output == f"berth: {line}\n"


def test_a_placeholder_is_refused_even_where_the_role_would_not_read_it(tmp_path: Path) -> None:
    placeholder = {"BERTH_JWT_SECRET": "change-me"}
    code, output = berth(["serve", "gateway"], {**SERVICES, **PEPPER, **SEAL, **placeholder}, tmp_path)
    assert code == 1 and output == "berth: BERTH_JWT_SECRET must be set to a real secret outside dev mode\n"
    code, output = berth(["serve", "gateway"], {**SERVICES, **PEPPER, "BERTH_SEAL_KEYS": "secret"}, tmp_path)
    assert code == 1 and "BERTH_SEAL_KEYS must be set to a real secret" in output


def test_placeholder_secrets_are_refused_outside_dev(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="BERTH_TOKEN_PEPPER"):
        Settings(dev=False, data_dir=tmp_path, token_pepper=SecretStr("change-me"),
                 jwt_secret=SecretStr("x" * 32), seal_keys=SecretStr("k1:AAAA"))


def test_dev_generates_secrets_once_and_keeps_them(tmp_path: Path) -> None:
    first = Settings(dev=True, data_dir=tmp_path).with_dev_secrets()
    second = Settings(dev=True, data_dir=tmp_path).with_dev_secrets()
    assert first.token_pepper_value == second.token_pepper_value and first.jwt_secret_value
    assert first.seal_keys_value == second.seal_keys_value
    assert (tmp_path / "secrets.json").stat().st_mode & 0o077 == 0


async def test_unreachable_catalog_is_one_line_without_password(settings: Settings) -> None:
    bad = settings.model_copy(
        update={"database_url": SecretStr("postgresql://berth:hunter2@127.0.0.1:1/catalog")}
    )
    with pytest.raises(runtime.StartupError) as caught:
        await runtime.check_catalog(bad)
    message = str(caught.value)
    assert message.startswith("BERTH_DATABASE_URL: cannot connect to postgresql://berth@127.0.0.1:1/catalog")
    assert "hunter2" not in message and "\n" not in message


async def test_unreachable_redis_is_one_line_without_password(settings: Settings) -> None:
    bad = settings.model_copy(update={"redis_url": SecretStr("redis://:hunter2@127.0.0.1:1/0")})
    with pytest.raises(runtime.StartupError) as caught:
        await runtime.check_redis(bad)
    assert str(caught.value).startswith("BERTH_REDIS_URL: cannot reach redis://127.0.0.1:1/0")
    assert "hunter2" not in str(caught.value)


def test_port_in_use_is_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(runtime.StartupError, match=f"cannot listen on 127.0.0.1:{port}"):
            runtime.check_port("127.0.0.1", port)


async def test_readiness_reports_each_dependency(settings: Settings) -> None:
    assert await readiness(settings) == (200, {"status": "ready", "catalog": "ok", "redis": "ok"})
    no_redis = settings.model_copy(update={"redis_url": SecretStr("redis://127.0.0.1:1/0")})
    status, body = await readiness(no_redis)
    assert status == 200 and body["status"] == "degraded"
    no_catalog = settings.model_copy(update={"database_url": SecretStr("postgresql://x@127.0.0.1:1/x")})
    status, body = await readiness(no_catalog)
    assert status == 503 and body["catalog"] == "unreachable"
