"""Neon API v2 over an injected httpx client: retries with backoff; the one place httpx errors are translated.

Retried here, with exponential backoff that a ``Retry-After`` header overrides:
423 (the project is locked by another operation) and 429 on every method, and
503, which Neon documents as always safe to resend. A 500/502/504 or a timeout
after the request went out is retried only for GET and DELETE: a POST may
already have been applied, so it fails as a retryable ``ProviderError`` and the
caller's next try looks the project up first. Connection failures are retried
on every method because nothing was sent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from control_plane.errors import ProviderAuth, ProviderError

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]
Json = dict[str, Any]

DEFAULT_BASE_URL = "https://console.neon.tech/api/v2"
ALWAYS_RETRY = frozenset({423, 429, 503})
IDEMPOTENT_RETRY = frozenset({500, 502, 504})
IDEMPOTENT = frozenset({"GET", "DELETE"})
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
MAX_RETRY_AFTER = 60.0
MAX_MESSAGE = 200


class _Retry(ProviderError):
    """A failure worth another try inside this request; ``hint`` is Neon's own Retry-After, in seconds."""

    def __init__(self, message: str, *, hint: float | None) -> None:
        super().__init__(message, retryable=True)
        self.hint = hint


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), capped."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - now
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


class NeonApi:
    """Authenticated JSON calls to Neon; every failure leaves as ``ProviderError``."""

    def __init__(self, client: httpx.AsyncClient, *, api_key: str, base_url: str = DEFAULT_BASE_URL,
                 sleep: Sleep = asyncio.sleep, clock: Clock = time.time, attempts: int = 5,
                 backoff: float = 0.5, max_backoff: float = 8.0) -> None:
        self.client = client
        self._headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
        self._base_url = base_url.rstrip("/")
        self._secret = api_key
        self.sleep, self.clock = sleep, clock
        self._attempts, self._backoff, self._max_backoff = attempts, backoff, max_backoff

    async def call(self, method: str, path: str, doing: str, *, params: Mapping[str, str | int] | None = None,
                   json: Json | None = None, missing_ok: bool = False) -> Json | None:
        """One API call with retries; a 404 is None when ``missing_ok``, else an error."""
        retrying = AsyncRetrying(
            sleep=self.sleep, stop=stop_after_attempt(self._attempts), wait=self._wait, reraise=True,
            retry=retry_if_exception(lambda exc: isinstance(exc, _Retry)),
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._once(method, path, doing, params, json, missing_ok)
        except _Retry as exc:
            message = f"{exc.message} (gave up after {self._attempts} tries)"
            raise ProviderError(message, retryable=True) from exc
        raise AssertionError("unreachable: tenacity either returns or raises")

    def _wait(self, state: RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome else None
        if isinstance(failure, _Retry) and failure.hint is not None:
            return failure.hint
        return float(min(self._backoff * 2 ** (state.attempt_number - 1), self._max_backoff))

    async def _once(self, method: str, path: str, doing: str, params: Mapping[str, str | int] | None,
                    json: Json | None, missing_ok: bool) -> Json | None:
        try:
            response = await self.client.request(method, self._base_url + path, params=params, json=json,
                                                  headers=self._headers)
        except httpx.HTTPError as exc:
            raise self._translate(exc, method, doing) from exc
        if missing_ok and response.status_code == 404:
            return None
        if response.is_success:
            return self._body(response, doing)
        raise self._refusal(response, method, doing)

    def _body(self, response: httpx.Response, doing: str) -> Json:
        if response.status_code == 204 or not response.content:
            return {}
        try:
            body = response.json()
        except ValueError as exc:
            raise ProviderError(f"Neon sent an unreadable answer to {doing}", retryable=True) from exc
        if not isinstance(body, dict):
            raise ProviderError(f"Neon sent an unexpected answer to {doing}", retryable=True)
        return body

    def _translate(self, exc: httpx.HTTPError, method: str, doing: str) -> ProviderError:
        """httpx's failures, by family; the message names the type only (URLs can carry secrets)."""
        message = f"Neon could not be reached to {doing} ({type(exc).__name__})"
        if isinstance(exc, NOT_SENT) or (isinstance(exc, httpx.TransportError) and method in IDEMPOTENT):
            return _Retry(message, hint=None)
        return ProviderError(message, retryable=isinstance(exc, httpx.TransportError))

    def _refusal(self, response: httpx.Response, method: str, doing: str) -> ProviderError:
        status = response.status_code
        message = f"Neon refused to {doing}: HTTP {status}{self._detail(response)}"
        if status in ALWAYS_RETRY or (status in IDEMPOTENT_RETRY and method in IDEMPOTENT):
            return _Retry(message, hint=retry_after(response.headers.get("Retry-After"), self.clock()))
        if status in (401, 403):
            return ProviderAuth(message)
        return ProviderError(message, retryable=status >= 500)

    def _detail(self, response: httpx.Response) -> str:
        """Neon's own code and message, dropped if it could echo a secret or an address."""
        try:
            body = response.json()
        except ValueError:
            return ""
        if not isinstance(body, dict):
            return ""
        text = " ".join(str(body.get(k) or "") for k in ("code", "message")).strip()[:MAX_MESSAGE]
        if not text or "://" in text or self._secret in text or "password" in text.lower():
            return ""
        return f" ({text})"
