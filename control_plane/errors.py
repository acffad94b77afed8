"""Berth's error tree; every error carries a stable code, an HTTP status and ``retryable``.

    BerthError
    ├── BadRequest (400)            invalid input the caller can fix
    │   └── PayloadTooLarge (413)
    ├── Unauthorized (401)          no or bad credentials
    ├── Forbidden (403)             credentials fine, not allowed
    ├── NotFound (404)              missing, or another tenant's
    ├── Conflict (409)              state or idempotency clash
    ├── RateLimited (429)           over a burst ceiling or a quota
    ├── ProviderError (502)         a database provider failed
    └── Unavailable (503)           a dependency is down; retry later

They turn into wire formats in two places only: the control plane's exception
handler and the gateway's error renderer.
"""

from __future__ import annotations


class BerthError(Exception):
    code = "internal"
    status = 500
    retryable = False

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class BadRequest(BerthError):
    code = "bad_request"
    status = 400


class PayloadTooLarge(BadRequest):
    code = "payload_too_large"
    status = 413


class Unauthorized(BerthError):
    code = "unauthorized"
    status = 401


class Forbidden(BerthError):
    code = "forbidden"
    status = 403


class NotFound(BerthError):
    code = "not_found"
    status = 404


class Conflict(BerthError):
    code = "conflict"
    status = 409


class RateLimited(BerthError):
    code = "rate_limited"
    status = 429
    retryable = True

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class ProviderError(BerthError):
    code = "provider_error"
    status = 502

    def __init__(self, message: str, *, retryable: bool, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retryable = retryable


class Unavailable(BerthError):
    code = "unavailable"
    status = 503
    retryable = True
