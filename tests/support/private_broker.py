"""A RabbitMQ node of the test's own (own port, own data dir), so a test can stop and restart the broker
without disturbing anything else on the machine that uses the shared one."""
from __future__ import annotations

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

    def shutdown(self) -> None:
        try:
            self._ctl("stop", timeout=60)
        except Exception:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
