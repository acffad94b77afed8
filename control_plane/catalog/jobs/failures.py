"""How a failed job is described and judged: secret-free error lines, permanence, backoff."""

from __future__ import annotations

import re
from collections.abc import Callable

from control_plane.dsn import redact
from control_plane.errors import BerthError, ProviderError

DSN = re.compile(r"\b(?:postgres|postgresql|redis|rediss)://[^\s'\"]+")
MAX_ERROR = 1000


def describe(exc: BaseException) -> str:
    """One line for ``jobs.last_error``: the error's kind and message, connection strings redacted."""
    text = exc.message if isinstance(exc, BerthError) else str(exc)
    line = f"{type(exc).__name__}: {DSN.sub(lambda m: redact(m.group(0)), text)}"
    return line[:MAX_ERROR]


class PermanentJobError(Exception):
    """The job can never succeed as written (an unknown kind, a malformed payload)."""


class Deferred(Exception):
    """The job cannot start yet (what it needs is still being made): run it again in ``seconds``.

    Not a failure: the attempt is handed back, so waiting never uses up the job's tries.
    """

    def __init__(self, reason: str, *, seconds: float) -> None:
        super().__init__(reason)
        self.seconds = seconds


def is_permanent(exc: BaseException) -> bool:
    """Retrying cannot help: the provider said so, or the job itself is malformed."""
    if isinstance(exc, PermanentJobError):
        return True
    return isinstance(exc, ProviderError) and not exc.retryable


def backoff(attempts: int, rand: Callable[[], float], *, base: float = 2.0, cap: float = 600.0) -> float:
    """Seconds before try ``attempts + 1``: exponential, capped, equal jitter (half fixed, half drawn)."""
    ceiling: float = min(cap, base * 2.0 ** max(attempts - 1, 0))
    return ceiling / 2 + rand() * ceiling / 2
