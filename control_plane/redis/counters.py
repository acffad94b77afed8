"""Where the gateways count calls in Redis: one key per endpoint and month, one per endpoint and second.

The gateway's limiter increments them, the worker's usage flush copies the
month's count into ``usage_monthly``, and the API reads it for "calls this
month". The ``{<endpoint id>}`` hash tag keeps one endpoint's keys on one Redis
Cluster slot, so the limiter's script may touch both.
"""

from __future__ import annotations

import re
from datetime import date
from uuid import UUID

MONTH_PATTERN = "berth:{*}:m:*"
_MONTH_KEY = re.compile(r"^berth:\{([0-9a-f-]{36})\}:m:(\d{4})-(\d{2})$")


def tag(endpoint_id: UUID) -> str:
    """The prefix every counter of one endpoint shares."""
    return f"berth:{{{endpoint_id}}}:"


def month_key(endpoint_id: UUID, month: date) -> str:
    return f"{tag(endpoint_id)}m:{month:%Y-%m}"


def parse_month_key(key: str) -> tuple[UUID, date] | None:
    """The endpoint and month of a month counter's key, or None for any other key."""
    match = _MONTH_KEY.match(key)
    if match is None:
        return None
    try:
        return UUID(match.group(1)), date(int(match.group(2)), int(match.group(3)), 1)
    except ValueError:
        return None
