"""Argon2id password hashing off the event loop, with a dummy hash so unknown emails cost the same."""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 1024  # bounds the hashing cost one request can ask for


class Passwords:
    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()
        self.dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self.hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        """False on mismatch; with no stored hash, still spends one verification's time."""
        try:
            await asyncio.to_thread(self.hasher.verify, stored_hash or self.dummy_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        return stored_hash is not None
