"""A Redis Cluster master killed under load: its replica is promoted; what callers and /readyz saw meanwhile.

The cluster, three masters with a replica each, is the run's own, started as
the suite starts it (tests/operations/cluster.py). `berth serve gateway` runs on
it with `BERTH_REDIS_URL=redis+cluster://` naming the three masters, the one
killed first. That master serves the invalidation channel's slot; the load
goes to an endpoint whose limiter keys it also serves and to the run's
other endpoints.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any
from uuid import UUID

from pydantic import SecretStr
from redis.crc import key_slot

from bench.fixture import Fleet
from bench.outages import Recorder, Targets, phases, readiness, role, seconds, under_load
from control_plane.redis import counters
from control_plane.redis.invalidation import CHANNEL
from tests.operations.cluster import Cluster, redis_cluster

AFTER = 8.0
PROMOTION_WAIT = 30.0


def owner(cluster: Cluster, slot: int, asking: int) -> int | None:
    """The index of the node serving ``slot`` as node ``asking`` sees it, once its cluster state is ok."""
    with contextlib.closing(cluster.node(asking)) as node:
        if node.execute_command("CLUSTER INFO")["cluster_state"] != "ok":
            return None
        for first, last, master, *_ in node.execute_command("CLUSTER SLOTS"):
            if first <= slot <= last:
                return cluster.ports.index(int(master[1]))
    return None


def promoted(cluster: Cluster, slot: int, heir: int, witness: int) -> None:
    deadline = time.monotonic() + PROMOTION_WAIT
    while owner(cluster, slot, witness) != heir:
        if time.monotonic() > deadline:
            raise RuntimeError(f"no replica took over within {PROMOTION_WAIT:.0f} s")
        time.sleep(0.05)


def limiter_slot(endpoint_id: UUID) -> int:
    return key_slot(counters.tag(endpoint_id).encode())


async def cluster_run(fleet: Fleet, targets: Targets, scratch: Path, log: Path) -> dict[str, Any]:
    slot = key_slot(CHANNEL.encode())
    with redis_cluster(scratch / "cluster", replicas=True) as cluster:
        victim = owner(cluster, slot, 0)
        assert victim is not None
        heir, witness = victim + cluster.masters, (victim + 1) % cluster.masters
        while True:  # an endpoint whose every call needs the master about to die
            target = (await fleet.provision("failover"))[0]
            if owner(cluster, limiter_slot(target.endpoint_id), 0) == victim:
                break
        targets = [(target.path, target.token), *targets]
        clustered = fleet.settings.model_copy(update={"redis_url": SecretStr(cluster.every_master_url)})
        gateway = role(clustered, "gateway", log=log, command=True)
        gateway.start()
        try:

            async def fault(recorder: Recorder) -> dict[str, Any]:
                down = recorder.now()
                cluster.processes[victim].kill()
                await asyncio.to_thread(promoted, cluster, slot, heir, witness)
                up = recorder.now()
                await asyncio.sleep(AFTER)
                return {"down": down, "up": up}

            recorder, marks = await under_load(f"http://127.0.0.1:{gateway.port}", targets, fault)
        finally:
            gateway.stop()
    down, up = marks["down"], marks["up"]
    last = recorder.last_failure(down)
    return {**phases(recorder, down, up), **readiness(recorder, down, up),
            "last_failed_call_after_kill_s": seconds(None if last is None else last - down)}
