"""Fetch a Client ID Metadata Document: https only, bounded in time and size, never a private address.

The address check resolves the host first and refuses loopback, private,
link-local and reserved addresses unless allowed (``berth dev`` and tests).
The fetch then connects by name, so a host that re-resolves between the two
(DNS rebinding) is a known limit, written down in docs/SECURITY.md.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from control_plane.errors import InvalidClient

MAX_BYTES = 16 * 1024
TIMEOUT = httpx.Timeout(5.0, connect=3.0)


def is_document_url(client_id: str) -> bool:
    """An https URL with a path: the form a Client ID Metadata Document's client_id takes."""
    parts = urlsplit(client_id)
    return parts.scheme == "https" and bool(parts.hostname) and parts.path not in ("", "/")


def _refuse(reason: str) -> InvalidClient:
    return InvalidClient(f"the client metadata document cannot be used: {reason}")


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True)
class DocumentFetcher:
    """GETs a document with ``http`` (no redirects followed); ``allow_private`` for dev and tests only."""

    http: httpx.AsyncClient
    allow_private: bool = False
    max_bytes: int = MAX_BYTES

    async def _check_address(self, host: str, port: int) -> None:
        if self.allow_private:
            return
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise _refuse("its host does not resolve") from exc
        if not infos or not all(_public(str(info[4][0])) for info in infos):
            raise _refuse("its host is a private, loopback or reserved address")

    async def fetch(self, url: str) -> dict[str, Any]:
        """The document at ``url`` as a JSON object, whose ``client_id`` is ``url`` itself."""
        parts = urlsplit(url)
        if not is_document_url(url) or parts.username or parts.password or parts.fragment:
            raise _refuse("the client_id is not an https URL with a path")
        await self._check_address(parts.hostname or "", parts.port or 443)
        body = await self._get(url)
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise _refuse("it is not JSON") from exc
        if not isinstance(doc, dict) or doc.get("client_id") != url:
            raise _refuse("its client_id is not the URL it was fetched from")
        return doc

    async def _get(self, url: str) -> bytes:
        chunks, size = [], 0
        try:
            async with self.http.stream("GET", url, timeout=TIMEOUT, follow_redirects=False,
                                        headers={"Accept": "application/json"}) as response:
                if response.status_code != 200:
                    raise _refuse(f"fetching it answered HTTP {response.status_code}")
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise _refuse(f"it is over {self.max_bytes} bytes")
                    chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise _refuse(f"fetching it failed ({type(exc).__name__})") from exc
        return b"".join(chunks)
