"""Berth's errors: one class per stable code, each with its HTTP status, ``retryable`` and headers.

    BerthError (500)                    internal
    ├── BadRequest (400)                the request cannot be served as sent
    │   ├── InvalidInput (422)          a field breaks a rule; the caller can fix it
    │   │   └── BadImport (422)         why an import failed, with the line; kept in its error list
    │   ├── InvalidJson (400), MethodNotAllowed (405), NotAcceptable (406), PayloadTooLarge (413),
    │   │   UnsupportedMediaType (415)
    │   └── OAuthError (400)            an OAuth refusal, named as RFC 6749 / 7591 / 8707 name it
    ├── Unauthorized (401)              no or bad credentials; carries the Bearer challenge
    ├── Forbidden (403)                 credentials fine, not allowed
    ├── NotFound (404)                  missing, or another tenant's
    ├── Conflict (409)                  state or idempotency clash
    ├── RateLimited (429)               over a burst ceiling or a quota; carries Retry-After
    ├── ProviderError (502)             a database provider failed
    └── Unavailable (503)               a dependency is down; retry later

Each code is a subclass of its family, so ``except Unauthorized`` catches every
401. A raise site names the class, never a code: ``raise InvalidCredentials()``
or ``raise InvalidCredentials("a specific message")``; the class docstring is
the default message and the code's meaning in the catalogue.

``CATALOGUE`` (every code ``body`` can send) and ``OAUTH_CATALOGUE`` (the
names ``oauth_body`` can send) are read off the classes, and ``python -m
control_plane.errors`` prints them as the table in ``docs/ERRORS.md``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar


class BerthError(Exception):
    """an unexpected error; the request id is in X-Request-Id"""

    code: ClassVar[str] = "internal"
    status: ClassVar[int] = 500
    challenge: ClassVar[str | None] = None
    retry_after: int | None = None
    retryable = False

    def __init__(self, message: str | None = None) -> None:
        self.message = message if message is not None else _meaning(type(self))
        super().__init__(self.message)

    def headers(self) -> dict[str, str]:
        """The response headers this error owes its client: the Bearer challenge, when to retry."""
        found: dict[str, str] = {}
        if self.challenge is not None:
            found["WWW-Authenticate"] = self.challenge
        if self.retry_after is not None:
            found["Retry-After"] = str(self.retry_after)
        return found


class BadRequest(BerthError):
    """the request cannot be read"""

    code = "bad_request"
    status = 400


class InvalidJson(BadRequest):
    """the body is not valid JSON"""
    code = "invalid_json"


class MethodNotAllowed(BadRequest):
    """the path does not take this method; see Allow"""

    code = "method_not_allowed"
    status = 405

    def __init__(self, message: str | None = None, *, allow: str) -> None:
        super().__init__(message)
        self.allow = allow

    def headers(self) -> dict[str, str]:
        return {**super().headers(), "Allow": self.allow}


class NotAcceptable(BadRequest):
    """the gateway: Accept rules out JSON"""

    code = "not_acceptable"
    status = 406


class PayloadTooLarge(BadRequest):
    """the body is over the size limit"""

    code = "payload_too_large"
    status = 413


class ImportTooLarge(PayloadTooLarge):
    """the file is over the plan's import limit (the message names it)"""
    code = "import_too_large"


class UnsupportedMediaType(BadRequest):
    """a body without Content-Type: application/json"""

    code = "unsupported_media_type"
    status = 415


class InvalidInput(BadRequest):
    """a field breaks a rule; every failing field is listed"""

    code = "invalid_request"
    status = 422

    def __init__(self, message: str | None = None, *, fields: Sequence[Mapping[str, str]] = ()) -> None:
        super().__init__(message)
        self.fields = fields


class InvalidName(InvalidInput):
    """a name of the wrong length or characters"""
    code = "invalid_name"


class InvalidEmail(InvalidInput):
    """not an email address"""
    code = "invalid_email"


class WeakPassword(InvalidInput):
    """a password of the wrong length"""
    code = "weak_password"


class PasswordRequired(InvalidInput):
    """accepting an invitation without an account needs a password"""
    code = "password_required"


class UnknownPlan(InvalidInput):
    """no such plan"""
    code = "unknown_plan"


class InvalidRegion(InvalidInput):
    """a region of the wrong form"""
    code = "invalid_region"


class InvalidScopes(InvalidInput):
    """scopes other than [mcp] or [mcp, mcp:write]"""
    code = "invalid_scopes"


class InvalidExpiry(InvalidInput):
    """expires_in out of bounds"""
    code = "invalid_expiry"


class InvalidLimit(InvalidInput):
    """a page size out of bounds"""
    code = "invalid_limit"


class InvalidMonth(InvalidInput):
    """a month not of the form YYYY-MM"""
    code = "invalid_month"


class InvalidCursor(InvalidInput):
    """a cursor this server did not issue"""
    code = "invalid_cursor"


class InvalidId(InvalidInput):
    """not a UUID"""
    code = "invalid_id"


class InvalidIdempotencyKey(InvalidInput):
    """an Idempotency-Key of the wrong form"""
    code = "invalid_idempotency_key"


class InvalidRole(InvalidInput):
    """a role other than owner, admin, member or viewer"""
    code = "invalid_role"


class InvalidDuration(InvalidInput):
    """support access is approved for 1 to 24 hours"""
    code = "invalid_duration"


class UnknownFormat(InvalidInput):
    """no format given and none can be told from Content-Type or the file name"""
    code = "unknown_format"


class UrlRefused(InvalidInput):
    """import_url: a URL that is not http(s) or points at a private address"""
    code = "url_refused"


class FetchFailed(InvalidInput):
    """import_url: the URL could not be fetched (status, redirects, timeout)"""
    code = "fetch_failed"


class BadImport(InvalidInput):
    """an import failed: the file cannot become a table"""
    code = "invalid_import"

    def __init__(self, message: str | None = None, *, line: int | None = None,
                 column: str | None = None) -> None:
        self.detail = message if message is not None else _meaning(type(self))
        super().__init__(f"line {line}: {self.detail}" if line is not None else self.detail)
        self.line = line
        self.column = column

    def at(self, line: int) -> BadImport:
        """The same refusal, placed at ``line`` of the file."""
        return type(self)(self.detail, line=line, column=self.column)

    def as_json(self) -> dict[str, Any]:
        """The entry of an import's error list (``GET .../imports/{id}``)."""
        return {"line": self.line, "column": self.column, "message": self.detail, "code": self.code}


# Why an import failed, in its error list; never an HTTP answer of their own.
class EmptyFile(BadImport):
    """an import failed: the file (or sheet) is empty"""
    code = "empty_file"


class NoRows(BadImport):
    """an import failed: a header but no data"""
    code = "no_rows"


class RaggedRow(BadImport):
    """an import failed: a row with another number of fields than the header"""
    code = "ragged_row"


class UnterminatedQuote(BadImport):
    """an import failed: a quoted field not closed before the end"""
    code = "unterminated_quote"


class MalformedCsv(BadImport):
    """an import failed: CSV the reader cannot parse"""
    code = "malformed_csv"


class LineTooLong(BadImport):
    """an import failed: a line over 16 MiB"""
    code = "line_too_long"


class TooManyColumns(BadImport):
    """an import failed: more than 1,600 columns"""
    code = "too_many_columns"


class InvalidEncoding(BadImport):
    """an import failed: not valid in the declared encoding"""
    code = "invalid_encoding"


class MalformedJson(BadImport):
    """an import failed: JSON or NDJSON that does not parse"""
    code = "malformed_json"


class NotAnArray(BadImport):
    """an import failed: JSON that is not an array of objects"""
    code = "not_an_array"


class NotAnObject(BadImport):
    """an import failed: an item or line that is not a JSON object"""
    code = "not_an_object"


class InvalidXlsx(BadImport):
    """an import failed: not a readable XLSX workbook"""
    code = "invalid_xlsx"


class NoSheets(BadImport):
    """an import failed: a workbook without sheets"""
    code = "no_sheets"


class InvalidParquet(BadImport):
    """an import failed: not a readable Parquet file"""
    code = "invalid_parquet"


class TableExists(BadImport):
    """an import failed: mode create, and the table exists"""
    code = "table_exists"


class NoSuchTable(BadImport):
    """an import failed: mode append, and the table does not exist"""
    code = "no_such_table"


class UnknownColumn(BadImport):
    """an import failed: mode append, and the table lacks a column of the file"""
    code = "unknown_column"


class TypeMismatch(BadImport):
    """an import failed: mode append, and a column's values do not fit its type"""
    code = "type_mismatch"


class RowsRefused(BadImport):
    """an import failed: the database refused a row (overflow, constraint)"""
    code = "rows_refused"


class BadValue(BadImport):
    """an import failed: a value that does not fit its column"""
    code = "bad_value"


class SpoolMissing(BadImport):
    """an import failed: the uploaded file is no longer in the spool"""
    code = "spool_missing"


class ImportGaveUp(BadImport):
    """an import failed: the worker gave up after its retries"""
    code = "import_gave_up"


class TooManyRows(BadImport):
    """an import failed: more rows than the plan allows per import (named)"""
    code = "too_many_rows"


class TooManyTables(BadImport):
    """an import failed: more tables than the plan allows per endpoint (named)"""
    code = "too_many_tables"


class StatementRefused(BadImport):
    """an import failed: a SQL script's statement the write guard refuses"""
    code = "statement_refused"


class StatementFailed(BadImport):
    """an import failed: the database refused a statement of a SQL script"""
    code = "statement_failed"


class UnterminatedCopy(BadImport):
    """an import failed: COPY ... FROM stdin data without its closing \\. line"""
    code = "unterminated_copy"


class BadCopyData(BadImport):
    """an import failed: COPY data not on the line after its statement"""
    code = "bad_copy_data"


class StatementTooLong(BadImport):
    """an import failed: one statement of a SQL script over 32 MiB"""
    code = "statement_too_long"


class InvalidZip(BadImport):
    """an import failed: not a readable zip archive"""
    code = "invalid_zip"


class UnsafeZip(BadImport):
    """an import failed: a zip whose paths leave it, or that unpacks too large"""
    code = "unsafe_zip"


class OAuthError(BadRequest):
    """OAuth: a parameter missing, repeated or malformed"""

    # RFC 6749's name, sent as {"error", "error_description"}: the API's 422 word on another wire.
    code = "invalid_request"


class InvalidClient(OAuthError):
    """OAuth: an unknown client, or a metadata document Berth cannot use"""

    code = "invalid_client"
    status = 401


class InvalidGrant(OAuthError):
    """OAuth: a used, expired or mismatched code or refresh token, or bad verifier"""
    code = "invalid_grant"


class InvalidTarget(OAuthError):
    """OAuth: a resource not one endpoint's MCP URL, or not the granted one"""
    code = "invalid_target"


class InvalidScope(OAuthError):
    """OAuth: scopes other than mcp and mcp:write, or wider than the grant"""
    code = "invalid_scope"


class InvalidRedirectUri(OAuthError):
    """OAuth registration: a redirect URI neither https nor http loopback"""
    code = "invalid_redirect_uri"


class InvalidClientMetadata(OAuthError):
    """OAuth registration: metadata refused (public clients only)"""
    code = "invalid_client_metadata"


class UnsupportedGrantType(OAuthError):
    """OAuth: grant types other than authorization_code and refresh_token"""
    code = "unsupported_grant_type"


class UnsupportedResponseType(OAuthError):
    """OAuth: response types other than code"""
    code = "unsupported_response_type"


class AccessDenied(OAuthError):
    """OAuth: the person refused the app on the consent page (sent back to the app's redirect URI)"""
    code = "access_denied"


class Unauthorized(BerthError):
    """not authenticated"""

    code = "unauthorized"
    status = 401
    challenge = 'Bearer realm="berth"'


class MissingCredentials(Unauthorized):
    """no Authorization: Bearer credential"""
    code = "missing_credentials"


class InvalidCredentials(Unauthorized):
    """a wrong, revoked or expired credential, or a wrong password"""
    code = "invalid_credentials"


class InvalidToken(Unauthorized):
    """the gateway: a missing, wrong, revoked or expired agent token"""

    code = "invalid_token"
    # RFC 6750's error name; the gateway replaces it with one naming the endpoint's metadata when it can.
    challenge = 'Bearer realm="berth", error="invalid_token"'


class InvalidInvitation(Unauthorized):
    """an invitation that is used, expired, withdrawn or unknown"""
    code = "invalid_invitation"


class InvalidLink(Unauthorized):
    """a sign-in link that is used, expired or unknown"""
    code = "invalid_link"


class InvalidSignupLink(Unauthorized):
    """a sign-up confirmation link that is used, expired or unknown"""
    code = "invalid_signup_link"


class Forbidden(BerthError):
    """not allowed"""

    code = "forbidden"
    status = 403


class NotAMember(Forbidden):
    """the user is not a member of that tenant"""
    code = "not_a_member"


class TenantInactive(Forbidden):
    """the account is being deleted"""
    code = "tenant_inactive"


class OwnerRequired(Forbidden):
    """only the account owner may do this"""
    code = "owner_required"


class ReauthenticationRequired(Forbidden):
    """confirm with the password or log in again"""
    code = "reauthentication_required"


class PlanNotAllowed(Forbidden):
    """a plan above the tenant's"""
    code = "plan_not_allowed"


class RoleForbidden(Forbidden):
    """the caller's role in the tenant does not allow this (see the role table)"""
    code = "role_forbidden"


class CsrfFailed(Forbidden):
    """a browser form without this browser's CSRF token, or sent from another site"""
    code = "csrf_failed"


class InsufficientScope(Forbidden):
    """the gateway: the token lacks mcp:write"""

    code = "insufficient_scope"
    # RFC 6750 section 3.1: a 403 for a token without the scope names the scope it lacks.
    challenge = 'Bearer realm="berth", error="insufficient_scope", scope="mcp:write"'


class OriginNotAllowed(Forbidden):
    """the gateway: an Origin that is not allowed"""
    code = "origin_not_allowed"


class NotFound(BerthError):
    """missing, or another tenant's"""

    code = "not_found"
    status = 404


class Conflict(BerthError):
    """a state clash"""

    code = "conflict"
    status = 409


class AlreadyExists(Conflict):
    """that already exists"""
    code = "already_exists"


class EmailTaken(Conflict):
    """an account with that email exists"""
    code = "email_taken"


class IdempotencyMismatch(Conflict):
    """the Idempotency-Key was used with another body"""
    code = "idempotency_mismatch"


class EndpointNotLive(Conflict):
    """the endpoint is failed, deleting or deleted"""
    code = "endpoint_not_live"


class EndpointNotReady(Conflict):
    """imports need a ready endpoint"""
    code = "endpoint_not_ready"


class TokenRevoked(Conflict):
    """the token is already revoked"""
    code = "token_revoked"


class LastOwner(Conflict):
    """a tenant keeps at least one owner"""
    code = "last_owner"


class AlreadyMember(Conflict):
    """the person is already a member of the tenant"""
    code = "already_member"


class RateLimited(BerthError):
    """over a rate limit or quota; see Retry-After"""

    code = "rate_limited"
    status = 429
    retryable = True

    def __init__(self, message: str | None = None, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooManyLogins(RateLimited):
    """too many failed logins for the account or the address; see Retry-After"""
    code = "too_many_logins"


class ProviderError(BerthError):
    """the database provider failed"""

    code = "provider_error"
    status = 502

    # The provider's answer, not the code, says whether a retry can help (a 503 can, a 400 cannot).
    def __init__(self, message: str | None = None, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class ProviderAuth(ProviderError):
    """the database provider refused Berth's credentials"""
    code = "provider_auth"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, retryable=False)


class ProviderOperationFailed(ProviderError):
    """a provider operation ended in failure"""
    code = "provider_operation_failed"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, retryable=False)


class Unavailable(BerthError):
    """a dependency is down; retry later"""

    code = "unavailable"
    status = 503
    retryable = True
    retry_after = 1  # a second: long enough not to hammer a dependency that is down, short for a blip


class EndpointUnavailable(Unavailable):
    """the gateway: the endpoint's database cannot be reached"""
    code = "endpoint_unavailable"


def body(error: BerthError) -> dict[str, Any]:
    """The one JSON error body of the API, the gateway and the dashboard: ``{"error": {"code", "message"}}``,
    with ``fields`` when an ``InvalidInput`` lists them."""
    inner: dict[str, Any] = {"code": error.code, "message": error.message}
    if isinstance(error, InvalidInput) and error.fields:
        inner["fields"] = [dict(f) for f in error.fields]
    return {"error": inner}


def oauth_body(error: OAuthError) -> dict[str, str]:
    """RFC 6749 section 5.2's error body, for the OAuth endpoints only."""
    return {"error": error.code, "error_description": error.message}


@dataclass(frozen=True)
class Code:
    """One stable error code: the status it is sent with, what it means, and the class that raises it."""

    code: str
    status: int
    meaning: str
    name: str


def _meaning(kind: type[BerthError]) -> str:
    """The docstring of the class that names ``kind``'s code: a subclass elsewhere may only add behaviour."""
    return next(c for c in kind.__mro__ if "code" in vars(c)).__doc__ or kind.code


def _tree(root: type[BerthError]) -> Iterator[type[BerthError]]:
    """``root`` and every subclass, depth first in the order they are written here."""
    yield root
    for child in root.__subclasses__():
        yield from _tree(child)


def _rows(kinds: Iterator[type[BerthError]]) -> tuple[Code, ...]:
    return tuple(Code(k.code, k.status, k.__doc__ or "", k.__name__) for k in kinds if "code" in vars(k))


# Read once, at import: only the classes above count (a test refuses a code named in any other module).
CATALOGUE: tuple[Code, ...] = _rows(k for k in _tree(BerthError) if not issubclass(k, OAuthError))
OAUTH_CATALOGUE: tuple[Code, ...] = _rows(_tree(OAuthError))
BY_CODE: Mapping[str, Code] = MappingProxyType({c.code: c for c in CATALOGUE})


def table() -> str:
    """Every code as the markdown of ``docs/ERRORS.md``."""
    def rows(codes: tuple[Code, ...]) -> list[str]:
        return ["| Code | Status | Class | Meaning |", "|---|---|---|---|",
                *(f"| `{c.code}` | {c.status} | `{c.name}` | {c.meaning} |" for c in codes)]

    return "\n".join([
        "# Error codes", "",
        "Generated by `python -m control_plane.errors > docs/ERRORS.md` from the classes in",
        "`control_plane/errors.py`; a test fails when this file and the classes disagree.", "",
        "Every error of the API (`/v1`), the dashboard and the gateway is JSON",
        '`{"error": {"code": "...", "message": "..."}}` (a 422 adds `fields`). A 401 carries',
        "`WWW-Authenticate`; a 429 or a 503 carries `Retry-After`.", "",
        *rows(CATALOGUE), "",
        "## OAuth",
        "",
        "The OAuth endpoints answer as RFC 6749 says, "
        '`{"error": "...", "error_description": "..."}`, with these names:', "",
        *rows(OAUTH_CATALOGUE), "",
    ])


if __name__ == "__main__":
    sys.stdout.write(table())
