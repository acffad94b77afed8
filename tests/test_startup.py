"""Starting Berth: settings refuse placeholders, and bad addresses fail in one clean line."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from cli import runtime
from cli.server import readiness
from control_plane.settings import Settings


def test_placeholder_secrets_are_refused_outside_dev(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="BERTH_TOKEN_PEPPER"):
        Settings(dev=False, data_dir=tmp_path, token_pepper=SecretStr("change-me"),
                 jwt_secret=SecretStr("x" * 32), seal_keys=SecretStr("k1:AAAA"))


def test_dev_generates_secrets_once_and_keeps_them(tmp_path: Path) -> None:
    first = Settings(dev=True, data_dir=tmp_path).with_dev_secrets()
    second = Settings(dev=True, data_dir=tmp_path).with_dev_secrets()
    assert first.secret("token_pepper") == second.secret("token_pepper")
    assert first.secret("seal_keys") == second.secret("seal_keys")
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
