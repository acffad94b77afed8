"""Invalidations the control plane and worker broadcast to every gateway over Redis pub/sub.

Messages on ``CHANNEL`` are ASCII: ``token:<hex of token hash>`` (revoked or
rotated away) or ``endpoint:<uuid>`` (deleting, deleted, or its DSN changed).
Gateways drop the matching cache entries and close the endpoint's pool; a short
cache TTL is the backstop when a message is lost.
"""

from __future__ import annotations

from uuid import UUID

import redis.asyncio as aioredis

from control_plane.redis.connect import REDIS_DOWN

CHANNEL = "berth:invalidate"


def token_message(token_hash: bytes) -> str:
    return f"token:{token_hash.hex()}"


def endpoint_message(endpoint_id: UUID) -> str:
    return f"endpoint:{endpoint_id}"


async def publish(client: aioredis.Redis, *messages: str) -> None:
    """Best effort: a lost message is covered by the gateways' cache TTL."""
    try:
        for message in messages:
            await client.publish(CHANNEL, message)
    except REDIS_DOWN:
        return
