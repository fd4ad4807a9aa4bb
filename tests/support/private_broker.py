"""A RabbitMQ node of the test's own (own port, own data dir), so a test can stop and restart the broker
without disturbing anything else on the machine that uses the shared one."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from .infra import free_port, wait_until


class PrivateBroker:
    def __init__(self):
        self.name = f"pasartest{uuid.uuid4().hex[:8]}@localhost"
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="pasar-rmq-"))
        self.env = {**os.environ,
                    "RABBITMQ_NODENAME": self.name, "RABBITMQ_DIST_PORT": str(free_port()),
                    "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"), "RABBITMQ_LOG_BASE": str(self.dir / "log"),
                    "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "plugins"),
                    "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq.conf"), "RABBITMQ_PID_FILE": str(self.dir / "pid")}

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"

    def _ctl(self, *args, timeout: float = 90):
        subprocess.run(["rabbitmqctl", "-n", self.name, *args], env=self.env, check=True, timeout=timeout,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> "PrivateBroker":
        (self.dir / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\nloopback_users = none\n")
        (self.dir / "plugins").write_text("[].\n")
        shutil.chown(self.dir, "rabbitmq", "rabbitmq")  # the server drops root for the rabbitmq user
        for path in self.dir.iterdir():
            shutil.chown(path, "rabbitmq", "rabbitmq")
        subprocess.run(["rabbitmq-server", "-detached"], env=self.env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        self._ctl("wait", str(self.dir / "pid"), "--timeout", "60")
        self._ctl("await_startup")
        return self

    def stop_app(self) -> None:
        """The broker goes away: every connection is closed, nothing is listening."""
        self._ctl("stop_app")

    def start_app(self) -> None:
        self._ctl("start_app")
        import socket
        wait_until(lambda: socket.create_connection(("127.0.0.1", self.port), timeout=1).close() or True,
                   timeout=30, message="private broker listening again")

    def close_all_connections(self, reason: str = "closed by the test") -> None:
        """The broker closes every client connection now (as on a node restart or a network cut), while
        it keeps running, so a client's very next operation on that connection fails."""
        self._ctl("close_all_connections", reason, timeout=60)

    def connection_names(self) -> list[str]:
        out = subprocess.run(["rabbitmqctl", "-n", self.name, "-q", "list_connections", "client_properties"],
                             env=self.env, check=True, timeout=60, capture_output=True, text=True).stdout
        return [line for line in out.splitlines() if "connection_name" in line]

    def restart(self) -> None:
        self.stop_app()
        self.start_app()

    def is_up(self) -> bool:
        import socket
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def stop_node(self) -> None:
        """The whole node goes away (its Erlang VM too), as when a machine or pod dies; its data dir stays."""
        self._ctl("stop", str(self.dir / "pid"), timeout=60)

    def start_node(self) -> None:
        """The stopped node boots again from its data dir and rejoins its cluster."""
        subprocess.run(["rabbitmq-server", "-detached"], env=self.env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        self._ctl("wait", str(self.dir / "pid"), "--timeout", "120")  # returns once the app runs again

    def shutdown(self) -> None:
        try:
            self._ctl("stop", timeout=60)
        except Exception:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateCluster:
    """Three (or `size`) RabbitMQ nodes of the machine's own RabbitMQ, each a PrivateBroker (own ports, own data
    dir), joined into one cluster with `join_cluster`. They share the Erlang cookie because the server runs every
    node as the rabbitmq user (its ~/.erlang.cookie), which is also how the CLI reaches them."""

    def __init__(self, size: int = 3):
        self.nodes = [PrivateBroker() for _ in range(size)]

    @property
    def url(self) -> str:
        """Every node, comma-separated (AMQP_URL accepts a list: a client moves on to the next node)."""
        return ",".join(node.url for node in self.nodes)

    def start(self) -> "PrivateCluster":
        """Boot every node at once (a boot is mostly waiting), then join them to the first one by one."""
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(len(self.nodes)) as pool:
            list(pool.map(PrivateBroker.start, self.nodes))
        first, *others = self.nodes
        with ThreadPoolExecutor(len(self.nodes)) as pool:  # each CLI call boots an Erlang VM: overlap what may
            list(pool.map(lambda node: node._ctl("stop_app"), others))
            for node in others:  # joins one at a time; a fresh node needs no reset first
                node._ctl("join_cluster", first.name)
            list(pool.map(lambda node: node._ctl("start_app"), others))
        wait_until(lambda: self.running_nodes(first) == {n.name for n in self.nodes}, timeout=60, interval=0.5,
                   message="the whole cluster running")
        return self

    def running_nodes(self, via: PrivateBroker) -> set[str]:
        out = subprocess.run(["rabbitmqctl", "-n", via.name, "cluster_status", "--formatter", "json"], env=via.env,
                             check=True, timeout=60, capture_output=True, text=True).stdout
        return set(json.loads(out)["running_nodes"])

    def node_named(self, name: str) -> PrivateBroker:
        (node,) = [n for n in self.nodes if n.name == name]
        return node

    def queues(self, via: PrivateBroker | None = None) -> list[dict]:
        """[{name, type, leader, messages}] as the cluster reports them (asked through a running node)."""
        via = via or next(n for n in self.nodes if n.is_up())
        out = subprocess.run(["rabbitmqctl", "-n", via.name, "list_queues", "-q", "--formatter", "json",
                              "name", "type", "leader", "messages"], env=via.env, check=True, timeout=60,
                             capture_output=True, text=True).stdout
        return json.loads(out)

    def shutdown(self) -> None:
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(len(self.nodes)) as pool:
            list(pool.map(PrivateBroker.shutdown, self.nodes))

