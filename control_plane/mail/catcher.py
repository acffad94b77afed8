"""The dev mail catcher: an SMTP server on loopback (aiosmtpd) that keeps each message as a file.

``berth dev`` points ``BERTH_SMTP_*`` at it when no relay is configured, and
``/dev/mail`` lists what it caught, so a magic link works on a fresh machine.
Messages live in ``<data dir>/mail/*.eml``, so any process can read them.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from control_plane.settings import Settings

LOOPBACK = "127.0.0.1"
KEEP = 200


@dataclass(frozen=True)
class Caught:
    """One caught message, as /dev/mail shows it."""

    name: str
    received: datetime
    sender: str
    to: str
    subject: str
    text: str


class _Keeper:
    """aiosmtpd handler: write each message whole to its own file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        path = self.folder / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        await asyncio.to_thread(path.write_bytes, envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def mail_dir(settings: Settings) -> Path:
    return settings.data_dir / "mail"


def free_port(host: str = LOOPBACK) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def for_dev(settings: Settings) -> Settings:
    """``settings`` pointing mail at a catcher on a free loopback port, when no relay is configured."""
    if settings.smtp_host is not None:
        return settings
    return settings.model_copy(update={"smtp_host": LOOPBACK, "smtp_port": free_port(),
                                       "smtp_starttls": False, "smtp_user": None, "smtp_password": None})


@asynccontextmanager
async def catching(settings: Settings) -> AsyncIterator[None]:
    """Run the catcher on ``settings.smtp_port`` (loopback only) until exit."""
    folder = mail_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd narrates every connection at INFO
    controller = Controller(_Keeper(folder), hostname=LOOPBACK, port=settings.smtp_port)
    await asyncio.to_thread(controller.start)
    try:
        yield None
    finally:
        await asyncio.to_thread(controller.stop)


def _parse(path: Path) -> Caught:
    msg = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(msg, EmailMessage)
    body = msg.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    received = datetime.strptime(path.name[:21], "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
    return Caught(path.stem, received, str(msg["From"] or ""), str(msg["To"] or ""),
                  str(msg["Subject"] or ""), str(text))


def caught(settings: Settings, limit: int = KEEP) -> list[Caught]:
    """The newest caught messages first, at most ``limit``."""
    folder = mail_dir(settings)
    if not folder.is_dir():
        return []
    names = sorted(folder.glob("*.eml"), reverse=True)[:limit]
    return [_parse(path) for path in names]
