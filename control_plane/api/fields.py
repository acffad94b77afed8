"""Field types of /v1, shared by every body and parameter: text without NUL or lone surrogates, 64-bit ints.

Postgres refuses NUL in text and UTF-8 cannot carry an unpaired surrogate, so
such input is refused here with a 422 instead of failing deep inside a query.
Each constraint is also written into the OpenAPI document (pattern, bounds).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic.fields import FieldInfo

INT64_MAX = 2**63 - 1
# Any text but NUL; a pattern also makes pydantic refuse unpaired surrogates.
NO_NUL = r"^[^\x00]*$"
NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
REGION_PATTERN = r"^[a-z0-9][a-z0-9-]{0,39}$"
# Spaces and controls spelled out, not \s: regex engines disagree on characters such as U+0085, and the
# schema's readers (clients, fuzzers) must draw the same line as the server.
EMAIL_PATTERN = r"^[^\x00-\x20\x7f-\xa0@]+@[^\x00-\x20\x7f-\xa0@]+$"
LABEL_PATTERN = r"^[^\x00]*[^\x00-\x20\x7f-\xa0][^\x00]*$"  # at least one visible character
# YYYY-MM from 0001-01 to 9999-12.
MONTH_PATTERN = r"^(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])-(?:0[1-9]|1[0-2])$"
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]{1,200}$"  # visible ASCII
# The last row's creation time (microseconds since 1970) and id: every value the pattern admits is a
# position, so a cursor never fails on its own (it may simply start past the end).
CURSOR_PATTERN = r"^[0-9]{1,16}\.[0-9a-f]{32}$"
REF_PATTERN = r"^[A-Za-z0-9-]{1,80}$"  # an endpoint's id or slug


def _encodable(value: str) -> str:
    """Belt and braces behind the patterns: a value Postgres and UTF-8 both take."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must not contain unpaired surrogates") from None
    return value


Safe = AfterValidator(_encodable)


def _json_integer(value: object) -> object:
    """JSON Schema's integer: pydantic's lax mode would also take true, false and "5", strict mode 5.0."""
    if isinstance(value, bool | str):
        raise ValueError("must be a whole number")
    return value


JsonInteger = BeforeValidator(_json_integer)


def text(*, max_length: int, min_length: int = 0, pattern: str = NO_NUL,
         description: str | None = None) -> FieldInfo:
    """A string field: bounded, matching ``pattern`` (NUL excluded by default), UTF-8 encodable."""
    info: FieldInfo = Field(min_length=min_length, max_length=max_length, pattern=pattern,
                            description=description)
    return info


Email = Annotated[str, text(min_length=3, max_length=320, pattern=EMAIL_PATTERN), Safe]
Password = Annotated[str, text(min_length=12, max_length=1024, description="12 to 1024 characters"), Safe]
LoginPassword = Annotated[str, text(min_length=1, max_length=1024), Safe]
TenantName = Annotated[str, text(min_length=1, max_length=200, pattern=LABEL_PATTERN), Safe]
Label = Annotated[str, text(min_length=1, max_length=100, pattern=LABEL_PATTERN), Safe]
EndpointName = Annotated[str, text(max_length=63, pattern=NAME_PATTERN,
                                   description="a-z, 0-9 and '-', starting with a letter or digit"), Safe]
Region = Annotated[str, text(max_length=40, pattern=REGION_PATTERN), Safe]
Month = Annotated[str, text(max_length=7, pattern=MONTH_PATTERN, description="YYYY-MM"), Safe]
TableName = Annotated[str, text(min_length=1, max_length=200, pattern=NO_NUL), Safe]  # made safe by imports
IdempotencyKey = Annotated[str, text(max_length=200, pattern=IDEMPOTENCY_KEY_PATTERN), Safe]
Cursor = Annotated[str, text(max_length=200, pattern=CURSOR_PATTERN, description="next page, from Link"),
                   Safe]
EndpointRef = Annotated[str, text(max_length=80, pattern=REF_PATTERN, description="an endpoint's id or slug"),
                        Safe]
