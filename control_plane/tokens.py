"""Secret token format: ``<prefix>`` + 43 base62 (256 bits) + 6 base62 CRC32 checksum.

``smcp_`` tokens open an endpoint to an agent; ``bth_`` keys open the /v1 API.
A typo or a random string fails the checksum with no I/O; the catalog stores
only an HMAC-SHA256 of the whole token under the server pepper.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import zlib

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
BODY_LEN = 43
CHECK_LEN = 6
DISPLAY_LEN = 12
ENDPOINT_PREFIX = "smcp_"
API_KEY_PREFIX = "bth_"
SUPPORT_PREFIX = "bsup_"


def _base62(number: int, width: int) -> str:
    chars = []
    while number:
        number, rem = divmod(number, 62)
        chars.append(ALPHABET[rem])
    return "".join(reversed(chars)).rjust(width, "0")


def _checksum(text: str) -> str:
    return _base62(zlib.crc32(text.encode()), CHECK_LEN)


def generate(prefix: str) -> str:
    """A fresh token: 256 random bits, shown once to its owner."""
    head = prefix + _base62(int.from_bytes(secrets.token_bytes(32), "big"), BODY_LEN)
    return head + _checksum(head)


def is_well_formed(token: str, prefix: str) -> bool:
    """Shape and checksum only; costs no I/O."""
    if len(token) != len(prefix) + BODY_LEN + CHECK_LEN or not token.startswith(prefix):
        return False
    if any(c not in _INDEX for c in token[len(prefix) :]):
        return False
    head, check = token[:-CHECK_LEN], token[-CHECK_LEN:]
    return hmac.compare_digest(_checksum(head), check)


def digest(token: str, pepper: bytes) -> bytes:
    """The lookup key the catalog stores: HMAC-SHA256 of the token under the pepper."""
    return hmac.new(pepper, token.encode(), hashlib.sha256).digest()


def display_prefix(token: str) -> str:
    """The part of a token safe to show in listings."""
    return token[:DISPLAY_LEN]
