"""Plans in one table: monthly call quota (None = unlimited) and per-second burst ceiling."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    name: str
    monthly_calls: int | None
    burst_per_second: int


PLANS: dict[str, Plan] = {
    "free": Plan("free", 1_000, 10),
    "pro": Plan("pro", None, 100),
    "scale": Plan("scale", None, 1_000),
}
DEFAULT_PLAN = "free"
