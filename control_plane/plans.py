"""Plans in one table: monthly call quota (None = unlimited) and per-second burst ceiling."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PlanName(StrEnum):
    """The plans, lowest first: a tenant's plan caps its endpoints' plans."""

    FREE = "free"
    PRO = "pro"
    SCALE = "scale"


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


def rank(plan: str) -> int:
    """Where ``plan`` stands among the plans, lowest first; a higher rank allows more."""
    return list(PLANS).index(plan)
