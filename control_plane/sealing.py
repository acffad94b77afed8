"""Sealing of connection strings with AES-256-GCM under rotating keys.

A sealed value is ``nonce (12 bytes) || ciphertext+tag``; the key id is stored
beside it and the endpoint id (plus a purpose) is the associated data, so a
sealed string copied onto another endpoint's row does not open.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_LEN = 12
DsnPurpose = Literal["owner", "reader"]


class SealError(Exception):
    """A sealed value could not be opened (unknown key id, tampering, wrong endpoint)."""


@dataclass(frozen=True)
class Sealed:
    key_id: str
    blob: bytes


class Sealer:
    """Seals with the newest key, opens with any configured key."""

    def __init__(self, keys: list[tuple[str, bytes]]) -> None:
        if not keys:
            raise ValueError("at least one seal key is required")
        for key_id, key in keys:
            if len(key) != 32:
                raise ValueError(f"seal key {key_id!r} must be 32 bytes")
        self._newest = keys[0][0]
        self._keys = {key_id: AESGCM(key) for key_id, key in keys}

    @classmethod
    def from_setting(cls, value: str) -> Sealer:
        """Parse ``BERTH_SEAL_KEYS``: ``id:base64key[,id:base64key...]``, newest first."""
        keys = []
        for item in value.split(","):
            key_id, sep, encoded = item.strip().partition(":")
            if not sep or not key_id:
                raise ValueError("BERTH_SEAL_KEYS entries look like id:base64key")
            try:
                keys.append((key_id, base64.b64decode(encoded, validate=True)))
            except binascii.Error as exc:
                raise ValueError(f"seal key {key_id!r} is not valid base64") from exc
        return cls(keys)

    @property
    def newest_key_id(self) -> str:
        return self._newest

    def seal(self, plaintext: str, associated: str) -> Sealed:
        nonce = os.urandom(NONCE_LEN)
        blob = self._keys[self._newest].encrypt(nonce, plaintext.encode(), associated.encode())
        return Sealed(self._newest, nonce + blob)

    def seal_dsn(self, dsn: str, endpoint_id: UUID, purpose: DsnPurpose) -> Sealed:
        """An endpoint's connection string, bound to the endpoint and to what it is for."""
        return self.seal(dsn, _dsn_binding(endpoint_id, purpose))

    def open_dsn(self, sealed: Sealed, endpoint_id: UUID, purpose: DsnPurpose) -> str:
        """Raises ``SealError`` when the blob was sealed for another endpoint or purpose."""
        return self.open(sealed, _dsn_binding(endpoint_id, purpose))

    def open(self, sealed: Sealed, associated: str) -> str:
        aead = self._keys.get(sealed.key_id)
        if aead is None:
            raise SealError(f"unknown seal key id {sealed.key_id!r}")
        nonce, blob = sealed.blob[:NONCE_LEN], sealed.blob[NONCE_LEN:]
        try:
            return aead.decrypt(nonce, blob, associated.encode()).decode()
        except InvalidTag as exc:
            raise SealError("sealed value does not open under its key") from exc


def _dsn_binding(endpoint_id: UUID, purpose: DsnPurpose) -> str:
    # The associated data every sealed connection string carries; changing it strands every blob.
    return f"{endpoint_id}:{purpose}"
