"""``import_url``'s download: http(s) only, size-capped, a few redirects, no private addresses unless allowed.

Every hop (the URL and each redirect) is checked before it is fetched: its
scheme, and every address its host resolves to must be public (not loopback,
private, link-local, reserved or multicast) unless ``allow_private`` is set
(tests, ``berth dev``). The body is streamed into the spool and cut off at
the cap. A host that re-resolves between check and connect (DNS rebinding)
is the same known limit as for OAuth client documents (docs/SECURITY.md).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from control_plane.errors import FetchFailed, UrlRefused

MAX_REDIRECTS = 3
TIMEOUT = httpx.Timeout(30.0, connect=5.0)
REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class Fetched:
    url: str
    content_type: str | None
    chunks: AsyncIterator[bytes]


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True)
class UrlFetcher:
    """Opens a URL for streaming after checking every hop; ``allow_private`` for dev and tests only."""

    http: httpx.AsyncClient
    allow_private: bool = False

    async def check(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UrlRefused("import_url takes an http or https URL")
        if parts.username or parts.password:
            raise UrlRefused("a URL with a user name or password is refused")
        if self.allow_private:
            return
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            loop = asyncio.get_running_loop()
            infos = await loop.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise UrlRefused("the URL's host does not resolve") from exc
        if not infos or not all(_public(str(info[4][0])) for info in infos):
            raise UrlRefused("the URL's host is a private, loopback, link-local or reserved address")

    async def open(self, url: str) -> tuple[httpx.Response, str]:
        """The final response (not yet read) and its URL, after at most ``MAX_REDIRECTS`` checked hops."""
        for _ in range(MAX_REDIRECTS + 1):
            await self.check(url)
            request = self.http.build_request("GET", url, timeout=TIMEOUT)
            try:
                response = await self.http.send(request, stream=True, follow_redirects=False)
            except httpx.HTTPError as exc:
                raise FetchFailed(f"fetching the URL failed ({type(exc).__name__})") from exc
            if response.status_code not in REDIRECTS:
                if response.status_code != 200:
                    await response.aclose()
                    raise FetchFailed(f"the URL answered HTTP {response.status_code}")
                return response, url
            await response.aclose()
            url = urljoin(url, response.headers.get("location", ""))
        raise FetchFailed(f"the URL redirected more than {MAX_REDIRECTS} times")


async def body(response: httpx.Response) -> AsyncIterator[bytes]:
    """The response's bytes; a broken download is ``FetchFailed``; the response is closed at the end."""
    try:
        async for chunk in response.aiter_bytes():
            yield chunk
    except httpx.HTTPError as exc:
        raise FetchFailed(f"the download broke off ({type(exc).__name__})") from exc
    finally:
        await response.aclose()
