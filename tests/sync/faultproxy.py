"""A TCP proxy on loopback that breaks connections the way networks do.

Each new request draws a fate: relayed faithfully ("pass"); reset before the
request reaches HQ ("reset-before"); reset after HQ answered, so HQ committed and the
terminal never hears ("reset-after"); stalled, the reply swallowed until the client
gives up ("stall"); answered 500 by the proxy without reaching HQ ("http-500"); or
HQ killed the moment it has answered, its reply lost ("kill-after", which calls
``on_kill``). Faults come from outside HQ: HQ's own code knows nothing of them.
"""

from __future__ import annotations

import contextlib
import random
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable

HTTP_500 = (
    b"HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\n"
    b"content-length: 44\r\nconnection: close\r\n\r\n"
    b'{"error": "the proxy answered 500 for HQ"}  '
)


def _rst(sock: socket.socket) -> None:
    """Close with a TCP reset, as a dying middlebox would."""
    with contextlib.suppress(OSError):  # already gone
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()


class FaultProxy:
    def __init__(
        self,
        upstream_port: int,
        weights: dict[str, float],
        seed: int,
        first_uploads: tuple[str, ...] = (),
        on_kill: Callable[[], None] | None = None,
    ) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.weights = weights
        # Fates for the first uploads (POSTs), so every kind of fault surely happens to a
        # batch however few requests a run makes; random fates after them.
        self._forced = list(first_uploads)
        self.on_kill = on_kill
        self._lock = threading.Lock()
        self.rng = random.Random(seed)
        self.fates: Counter[str] = Counter()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._stop.set()
        self.listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _draw(self, upload: bool) -> str:
        with self._lock:
            if upload and self._forced:
                fate = self._forced.pop(0)
            else:
                fate = self.rng.choices(list(self.weights), list(self.weights.values()))[0]
            self.fates[fate] += 1
            return fate

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.upstream, timeout=30)
        except OSError:
            _rst(client)  # HQ itself is down: the terminal sees a reset link
            return
        fate = ["pass"]  # the fate of the request in flight on this keep-alive connection
        threading.Thread(target=self._replies, args=(upstream, client, fate), daemon=True).start()
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                if data[:4] in (b"GET ", b"POST"):  # a new request: draw its fate
                    fate[0] = self._draw(upload=data[:4] == b"POST")
                    if fate[0] == "reset-before":
                        break
                    if fate[0] == "http-500":
                        client.sendall(HTTP_500)
                        break
                upstream.sendall(data)
        except OSError:
            pass  # one side vanished
        _rst(client)
        _close(upstream)

    def _replies(self, upstream: socket.socket, client: socket.socket, fate: list[str]) -> None:
        try:
            while True:
                data = upstream.recv(65536)
                if not data:
                    break
                if fate[0] == "reset-after":
                    break  # HQ has answered, so it committed; the terminal never hears
                if fate[0] == "kill-after":
                    if self.on_kill is not None:
                        self.on_kill()  # HQ dies having committed, before the reply is out
                    break
                if fate[0] == "stall":
                    continue  # swallow the reply until the client gives up
                client.sendall(data)
        except OSError:
            pass  # one side vanished
        _rst(client)
        _close(upstream)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.close()
