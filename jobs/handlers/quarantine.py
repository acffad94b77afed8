"""Orphans and strangers on the provider: ours are quarantined, then dropped after a grace period;
anything not labelled as ours is reported and never touched.

An orphan is a database labelled as this installation's that no live endpoint
of the catalog claims. Quarantine keeps its data but lets nobody connect, so a
wrong verdict (a catalog restored from an old backup, a bug) is undone with
``berth reconcile restore <database>`` until the grace period ends.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from control_plane.providers.base import DatabaseInfo, Ownership
from control_plane.services import audit
from jobs.handlers.base import Resources

QUARANTINED = "SELECT ref, quarantined_at FROM quarantined_databases"
QUARANTINE = """
INSERT INTO quarantined_databases (ref, endpoint_id, quarantined_at) VALUES ($1, $2, $3)
ON CONFLICT (ref) DO NOTHING
"""
RELEASE = "DELETE FROM quarantined_databases WHERE ref = $1"
FORGET_VANISHED = "DELETE FROM quarantined_databases WHERE NOT (ref = ANY($1::text[]))"
# Enough to see what is there; the rest is counted, so a shared server cannot flood the report.
SHOWN = 10


async def strangers(res: Resources, databases: list[DatabaseInfo], live: dict[str, UUID],
                    dry_run: bool) -> list[str]:
    """Adopt unlabelled databases the catalog knows (made before labels); report every other stranger."""
    said, left = [], []
    for database in databases:
        if database.owner is Ownership.UNLABELLED and database.ref in live:
            if not dry_run:
                await res.provider.adopt_database(database.ref, live[database.ref])
            said.append(f"{'would label' if dry_run else 'labelled'} database {database.ref} as this "
                        f"installation's (endpoint {live[database.ref]})")
        elif database.owner is not Ownership.OURS:
            left.append(f"left alone: database {database.ref} "
                        + ("carries another installation's label" if database.owner is Ownership.FOREIGN
                           else "has no Berth label"))
    if len(left) > SHOWN:
        left = left[:SHOWN] + [f"left alone: {len(left) - SHOWN} more databases not labelled as ours"]
    return said + left


async def orphans(res: Resources, ours: list[DatabaseInfo], live: dict[str, UUID], live_ids: set[UUID],
                  dry_run: bool) -> list[str]:
    """Quarantine new orphans; drop those whose grace period is over."""
    since = {row["ref"]: row["quarantined_at"] for row in await res.pool.fetch(QUARANTINED)}
    if not dry_run:
        await res.pool.execute(FORGET_VANISHED, [d.ref for d in ours])
    said = []
    for database in ours:
        if database.ref in live or database.endpoint_id in live_ids:
            if database.ref in since:
                said.append(f"database {database.ref} is quarantined but its endpoint is live: "
                            f"berth reconcile restore {database.ref}")
            continue
        said.append(await _orphan(res, database, since.get(database.ref), dry_run))
    return said


async def _orphan(res: Resources, database: DatabaseInfo, since: datetime | None, dry_run: bool) -> str:
    if since is None:
        if not dry_run:
            await _quarantine(res, database)
        return (f"{'would quarantine' if dry_run else 'quarantined'} orphaned database {database.ref}; "
                f"dropped after {res.orphan_grace} unless restored")
    if res.clock() < since + res.orphan_grace:
        return f"orphaned database {database.ref} quarantined since {since:%Y-%m-%d %H:%M}Z"
    if not dry_run:
        await res.provider.delete_database(database.ref)
        await res.pool.execute(RELEASE, database.ref)
        await audit.write(res.pool, None, "system", "reconcile.orphan_deleted", database.ref,
                          endpoint_id=database.endpoint_id)
    return f"{'would delete' if dry_run else 'deleted'} orphaned database {database.ref}"


async def _quarantine(res: Resources, database: DatabaseInfo) -> None:
    await res.provider.quarantine_database(database.ref)
    await res.pool.execute(QUARANTINE, database.ref, database.endpoint_id, res.clock())
    await audit.write(res.pool, None, "system", "reconcile.orphan_quarantined", database.ref,
                      endpoint_id=database.endpoint_id)


async def restore(res: Resources, ref: str, *, actor: str) -> str:
    """Undo a quarantine: the database's roles may connect again and no pass will drop it for now."""
    await res.provider.restore_database(ref)
    await res.pool.execute(RELEASE, ref)
    await audit.write(res.pool, None, actor, "reconcile.orphan_restored", ref)
    return f"restored database {ref}: its roles may connect again"
