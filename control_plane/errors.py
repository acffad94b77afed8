"""Berth's error tree; every error carries a stable code, an HTTP status and ``retryable``.

    BerthError
    ├── BadRequest (400)            a request that cannot be read (invalid JSON)
    │   ├── OAuthError (400)        an OAuth refusal; ``code`` is the RFC 6749 / 7591 / 8707 error name
    │   │   └── InvalidClient (401)
    │   ├── InvalidInput (422)      read, but a field breaks a rule; the caller can fix it
    │   ├── UnsupportedMediaType (415)
    │   └── PayloadTooLarge (413)
    ├── Unauthorized (401)          no or bad credentials
    ├── Forbidden (403)             credentials fine, not allowed
    │   └── PlanNotAllowed          a plan above the tenant's
    ├── NotFound (404)              missing, or another tenant's
    ├── Conflict (409)              state or idempotency clash
    ├── RateLimited (429)           over a burst ceiling or a quota
    │   └── TooManyLogins           failed logins, per account or per client address
    ├── ProviderError (502)         a database provider failed
    └── Unavailable (503)           a dependency is down; retry later

They turn into wire formats in two places only: the control plane's exception
handler and the gateway's error renderer. ``CATALOGUE`` lists every code either
can send, with its status: the OpenAPI document is built from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


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


class InvalidInput(BadRequest):
    code = "invalid_request"
    status = 422


class UnsupportedMediaType(BadRequest):
    code = "unsupported_media_type"
    status = 415


class PayloadTooLarge(BadRequest):
    code = "payload_too_large"
    status = 413


class OAuthError(BadRequest):
    """A refusal of the OAuth protocol: sent as ``{"error": code, "error_description": message}``."""

    code = "invalid_request"


class InvalidClient(OAuthError):
    code = "invalid_client"
    status = 401


class Unauthorized(BerthError):
    code = "unauthorized"
    status = 401


class Forbidden(BerthError):
    code = "forbidden"
    status = 403


class PlanNotAllowed(Forbidden):
    code = "plan_not_allowed"


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


class TooManyLogins(RateLimited):
    code = "too_many_logins"


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


@dataclass(frozen=True)
class Code:
    """One stable error code: the status it is sent with and what it means."""

    code: str
    status: int
    meaning: str


CATALOGUE: tuple[Code, ...] = (
    Code("bad_request", 400, "the request cannot be read"),
    Code("invalid_json", 400, "the body is not valid JSON"),
    Code("missing_credentials", 401, "no Authorization: Bearer credential"),
    Code("unauthorized", 401, "not authenticated"),
    Code("invalid_credentials", 401, "a wrong, revoked or expired credential, or a wrong password"),
    Code("invalid_token", 401, "the gateway: a missing, wrong, revoked or expired agent token"),
    Code("forbidden", 403, "not allowed"),
    Code("not_a_member", 403, "the user is not a member of that tenant"),
    Code("tenant_inactive", 403, "the account is being deleted"),
    Code("owner_required", 403, "only the account owner may do this"),
    Code("reauthentication_required", 403, "confirm with the password or log in again"),
    Code("plan_not_allowed", 403, "a plan above the tenant's"),
    Code("insufficient_scope", 403, "the gateway: the token lacks mcp:write"),
    Code("origin_not_allowed", 403, "the gateway: an Origin that is not allowed"),
    Code("not_found", 404, "missing, or another tenant's"),
    Code("method_not_allowed", 405, "the path does not take this method; see Allow"),
    Code("not_acceptable", 406, "the gateway: Accept rules out JSON"),
    Code("conflict", 409, "a state clash"),
    Code("already_exists", 409, "that already exists"),
    Code("email_taken", 409, "an account with that email exists"),
    Code("idempotency_mismatch", 409, "the Idempotency-Key was used with another body"),
    Code("endpoint_not_live", 409, "the endpoint is failed, deleting or deleted"),
    Code("token_revoked", 409, "the token is already revoked"),
    Code("payload_too_large", 413, "the body is over the size limit"),
    Code("unsupported_media_type", 415, "a body without Content-Type: application/json"),
    Code("invalid_request", 422, "a field breaks a rule; every failing field is listed"),
    Code("invalid_name", 422, "a name of the wrong length or characters"),
    Code("invalid_email", 422, "not an email address"),
    Code("weak_password", 422, "a password of the wrong length"),
    Code("unknown_plan", 422, "no such plan"),
    Code("invalid_region", 422, "a region of the wrong form"),
    Code("invalid_scopes", 422, "scopes other than [mcp] or [mcp, mcp:write]"),
    Code("invalid_expiry", 422, "expires_in out of bounds"),
    Code("invalid_limit", 422, "a page size out of bounds"),
    Code("invalid_month", 422, "a month not of the form YYYY-MM"),
    Code("invalid_cursor", 422, "a cursor this server did not issue"),
    Code("invalid_id", 422, "not a UUID"),
    Code("invalid_idempotency_key", 422, "an Idempotency-Key of the wrong form"),
    Code("rate_limited", 429, "over a rate limit or quota; see Retry-After"),
    Code("too_many_logins", 429, "too many failed logins for the account or the address; see Retry-After"),
    Code("internal", 500, "an unexpected error; the request id is in X-Request-Id"),
    Code("provider_error", 502, "the database provider failed"),
    Code("provider_auth", 502, "the database provider refused Berth's credentials"),
    Code("provider_operation_failed", 502, "a provider operation ended in failure"),
    Code("unavailable", 503, "a dependency is down; retry later"),
    Code("role_forbidden", 403, "the caller's role in the tenant does not allow this (see the role table)"),
    Code("last_owner", 409, "a tenant keeps at least one owner"),
    Code("already_member", 409, "the person is already a member of the tenant"),
    Code("invalid_invitation", 401, "an invitation that is used, expired, withdrawn or unknown"),
    Code("password_required", 422, "accepting an invitation without an account needs a password"),
    Code("invalid_role", 422, "a role other than owner, admin, member or viewer"),
    Code("invalid_duration", 422, "support access is approved for 1 to 24 hours"),
    Code("invalid_client", 401, "OAuth: an unknown client, or a metadata document Berth cannot use"),
    Code("invalid_grant", 400, "OAuth: a used, expired or mismatched code or refresh token, or bad verifier"),
    Code("invalid_target", 400, "OAuth: a resource not one endpoint's MCP URL, or not the granted one"),
    Code("invalid_scope", 400, "OAuth: scopes other than mcp and mcp:write, or wider than the grant"),
    Code("invalid_redirect_uri", 400, "OAuth registration: a redirect URI neither https nor http loopback"),
    Code("invalid_client_metadata", 400, "OAuth registration: metadata refused (public clients only)"),
    Code("unsupported_grant_type", 400, "OAuth: grant types other than authorization_code and refresh_token"),
    Code("unsupported_response_type", 400, "OAuth: response types other than code"),
    Code("csrf_failed", 403, "a browser form without this browser's CSRF token, or sent from another site"),
    Code("invalid_link", 401, "a sign-in link that is used, expired or unknown"),
    Code("invalid_signup_link", 401, "a sign-up confirmation link that is used, expired or unknown"),
    Code("endpoint_unavailable", 503, "the gateway: the endpoint's database cannot be reached"),
    Code("import_too_large", 413, "the file is over the plan's import limit (the message names it)"),
    Code("endpoint_not_ready", 409, "imports need a ready endpoint"),
    Code("unknown_format", 422, "no format given and none can be told from Content-Type or the file name"),
    # Why an import failed, in its "errors" list (GET .../imports/{id}); never an HTTP answer of their own.
    Code("invalid_import", 422, "an import failed: the file cannot become a table"),
    Code("empty_file", 422, "an import failed: the file (or sheet) is empty"),
    Code("no_rows", 422, "an import failed: a header but no data"),
    Code("ragged_row", 422, "an import failed: a row with another number of fields than the header"),
    Code("unterminated_quote", 422, "an import failed: a quoted field not closed before the end"),
    Code("malformed_csv", 422, "an import failed: CSV the reader cannot parse"),
    Code("line_too_long", 422, "an import failed: a line over 16 MiB"),
    Code("too_many_columns", 422, "an import failed: more than 1,600 columns"),
    Code("invalid_encoding", 422, "an import failed: not valid in the declared encoding"),
    Code("malformed_json", 422, "an import failed: JSON or NDJSON that does not parse"),
    Code("not_an_array", 422, "an import failed: JSON that is not an array of objects"),
    Code("not_an_object", 422, "an import failed: an item or line that is not a JSON object"),
    Code("invalid_xlsx", 422, "an import failed: not a readable XLSX workbook"),
    Code("no_sheets", 422, "an import failed: a workbook without sheets"),
    Code("invalid_parquet", 422, "an import failed: not a readable Parquet file"),
    Code("table_exists", 422, "an import failed: mode create, and the table exists"),
    Code("no_such_table", 422, "an import failed: mode append, and the table does not exist"),
    Code("unknown_column", 422, "an import failed: mode append, and the table lacks a column of the file"),
    Code("type_mismatch", 422, "an import failed: mode append, and a column's values do not fit its type"),
    Code("rows_refused", 422, "an import failed: the database refused a row (overflow, constraint)"),
    Code("bad_value", 422, "an import failed: a value that does not fit its column"),
    Code("spool_missing", 422, "an import failed: the uploaded file is no longer in the spool"),
    Code("import_gave_up", 422, "an import failed: the worker gave up after its retries"),
    Code("too_many_rows", 422, "an import failed: more rows than the plan allows per import (named)"),
    Code("too_many_tables", 422, "an import failed: more tables than the plan allows per endpoint (named)"),
    Code("statement_refused", 422, "an import failed: a SQL script's statement the write guard refuses"),
    Code("statement_failed", 422, "an import failed: the database refused a statement of a SQL script"),
    Code("unterminated_copy", 422, "an import failed: COPY ... FROM stdin data without its closing \\. line"),
    Code("bad_copy_data", 422, "an import failed: COPY data not on the line after its statement"),
    Code("statement_too_long", 422, "an import failed: one statement of a SQL script over 32 MiB"),
    Code("invalid_zip", 422, "an import failed: not a readable zip archive"),
    Code("unsafe_zip", 422, "an import failed: a zip whose paths leave it, or that unpacks too large"),
    Code("url_refused", 422, "import_url: a URL that is not http(s) or points at a private address"),
    Code("fetch_failed", 422, "import_url: the URL could not be fetched (status, redirects, timeout)"),
)
BY_CODE: Mapping[str, Code] = MappingProxyType({c.code: c for c in CATALOGUE})
