"""A TCP proxy in front of the app that a test can cut: every open connection (the page's
websocket among them) is closed at once, as a dropped network would, while new connections
still go through. Threads, one pair per connection; bytes are passed on untouched."""

from __future__ import annotations

import socket
import threading
from contextlib import suppress

__all__ = ["CuttableProxy"]


class CuttableProxy:
    def __init__(self, *, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port: int = self.listener.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        self.cuts = 0
        #: While set, new connections are closed at once (the network is down).
        self.refusing = False
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> CuttableProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closed = True
        with suppress(OSError):
            self.listener.close()
        self.cut()

    def cut(self) -> int:
        """Close every connection open now; returns how many."""
        with self._lock:
            sockets = list(self._open)
            self._open.clear()
        for sock in sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with suppress(OSError):
                sock.close()
        self.cuts += 1
        return len(sockets) // 2

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refusing:
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:
                client.close()
                continue
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._open.update((client, upstream))
            ends = [0]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(
                    target=self._pipe, args=(source, target, client, upstream, ends), daemon=True
                ).start()

    def _pipe(
        self,
        source: socket.socket,
        target: socket.socket,
        client: socket.socket,
        upstream: socket.socket,
        ends: list[int],
    ) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                target.sendall(data)
        except OSError:
            pass
        with suppress(OSError):
            target.shutdown(socket.SHUT_WR)
        with self._lock:
            ends[0] += 1
            both = ends[0] == 2
            if both:
                self._open.discard(client)
                self._open.discard(upstream)
        if both:
            for sock in (client, upstream):
                with suppress(OSError):
                    sock.close()
