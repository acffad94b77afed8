"""Calls per day of one month, per endpoint, read from the gateways' ``tool.call`` audit rows.

The month's total and the quota come from ``usage`` (the limiter's counters);
these rows only say how the calls spread over the days. A call the gateway
refused before counting it (a write tool for a read token) is not a call here
either. Entry point: ``per_day(ctx, caller, month)``.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from control_plane.services.context import Caller, Context, transaction

PER_DAY = """
SELECT endpoint_id, (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS calls FROM audit_log
WHERE tenant_id = $1 AND action = 'tool.call' AND outcome <> 'denied'
  AND created_at >= $2 AND created_at < $3 AND endpoint_id IS NOT NULL
GROUP BY 1, 2
"""


@dataclass(frozen=True)
class Days:
    """``calls[endpoint_id][day - 1]``: one count per day of ``month``."""

    month: date
    calls: dict[UUID, list[int]]

    @property
    def length(self) -> int:
        return calendar.monthrange(self.month.year, self.month.month)[1]

    def total(self, day: int) -> int:
        return sum(counts[day - 1] for counts in self.calls.values())


def _bounds(month: date) -> tuple[datetime, datetime]:
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    days = calendar.monthrange(month.year, month.month)[1]
    return start, start + timedelta(days=days)


async def per_day(ctx: Context, caller: Caller, month: date, endpoint_ids: list[UUID]) -> Days:
    """Zero-filled counts for every endpoint in ``endpoint_ids`` (others' rows are never read: RLS)."""
    start, end = _bounds(month)
    length = calendar.monthrange(month.year, month.month)[1]
    calls = {e: [0] * length for e in endpoint_ids}
    async with transaction(ctx, caller.tenant_id) as conn:
        rows = await conn.fetch(PER_DAY, caller.tenant_id, start, end)
    for row in rows:
        if row["endpoint_id"] in calls:
            calls[row["endpoint_id"]][row["day"].day - 1] = row["calls"]
    return Days(month, calls)
