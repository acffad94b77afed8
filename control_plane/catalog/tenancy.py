"""The statuses of what one tenant offers another (migration 0009): endpoint shares and support access.

Each is written by one service (``services.sharing``, ``services.support``), which binds these values
(``status = $n``) rather than writing them in SQL; the gateway reads support access with the same enum.
"""

from __future__ import annotations

from enum import StrEnum


class ShareStatus(StrEnum):
    """An endpoint shared with another tenant: ``offered -> accepted | declined``, then ``revoked``."""

    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REVOKED = "revoked"


class SupportStatus(StrEnum):
    """An operator's request to see a tenant's data: ``requested -> approved | refused``, then ``revoked``."""

    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"
    REVOKED = "revoked"


# A share the grantee may still see or act on.
OPEN_SHARES = (ShareStatus.OFFERED, ShareStatus.ACCEPTED)
