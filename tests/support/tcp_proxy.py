"""A TCP proxy the test controls, put between a process and a real server (PostgreSQL, RabbitMQ) to cut
the cable: `cut()` resets every open connection and refuses new ones, `restore()` accepts them again.
The server itself keeps running, so nothing else on the machine notices."""
from __future__ import annotations

import socket
import struct
import threading

from .infra import free_port


class TcpProxy:
    def __init__(self, target_host: str, target_port: int, port: int | None = None):
        self.target = (target_host, target_port)
        self.port = port or free_port()
        self._lock = threading.Lock()
        self._pairs: set[tuple[socket.socket, socket.socket]] = set()
        self._listener: socket.socket | None = None
        self._accepting = threading.Event()
        self.accepted = 0  # connections forwarded so far (a test can see the client came back)

    def start(self) -> "TcpProxy":
        self.restore()
        return self

    # -- control ----------------------------------------------------------------------------------
    def cut(self) -> None:
        """Refuse new connections (nothing listens) and reset every open one (RST, as a dead peer)."""
        self._accepting.clear()
        with self._lock:
            listener, self._listener = self._listener, None
            pairs, self._pairs = list(self._pairs), set()
        if listener is not None:
            listener.close()
        for pair in pairs:
            self._reset(pair)

    def restore(self) -> None:
        with self._lock:
            if self._listener is not None:
                return
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            listener.listen(128)
            listener.settimeout(0.1)  # so the accept loop notices a cut promptly
            self._listener = listener
        self._accepting.set()
        threading.Thread(target=self._accept_loop, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        self.cut()

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._pairs)

    # -- forwarding -------------------------------------------------------------------------------
    def _accept_loop(self, listener: socket.socket) -> None:
        while self._accepting.is_set() and listener is self._listener:
            try:
                client, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:  # closed by cut()
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            client.settimeout(None)
            pair = (client, upstream)
            with self._lock:
                if listener is not self._listener:  # cut while we were connecting
                    self._reset(pair)
                    return
                self._pairs.add(pair)
                self.accepted += 1
            threading.Thread(target=self._pump, args=(client, upstream, pair), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, pair), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, pair) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        with self._lock:
            known = pair in self._pairs
            self._pairs.discard(pair)
        if known:
            for sock in pair:  # one side finished: close both, as a real connection would end
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()

    @staticmethod
    def _reset(pair) -> None:
        for sock in pair:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
