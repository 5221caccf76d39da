"""A loopback TCP server in threads, the shape every fake TCP peer of the graders shares.

As in aiosmtpd's controller: it is ready when constructed (its socket is
listening before the constructor returns, so no one waits for it), serves each
connection in a thread of its own, records what it saw, and ``close()`` stops
it. Subclasses say what to do with one connection in ``handle``.
"""

from __future__ import annotations

import socket
import threading

from .ports import LOOPBACK
from .wire import Transcript


def recv_or_eof(sock: socket.socket) -> bytes:
    """The next bytes from a peer; b"" once it closed, reset or broke the connection."""
    try:
        return sock.recv(65536)
    except OSError:
        return b""


class ThreadedTcpServer:
    def __init__(self) -> None:
        self.transcript = Transcript()
        self.connections = 0
        self._listener = socket.create_server((LOOPBACK, 0))
        self.port: int = self._listener.getsockname()[1]
        self._closing = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def _accept(self) -> None:
        while True:
            conn, _ = self._listener.accept()
            if self._closing:
                conn.close()
                return
            self.connections += 1
            self.transcript.event(f"connection {self.connections} opened")
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            self.handle(conn)

    def close(self) -> None:
        """Stop accepting: a connection to itself wakes the thread (closing would not). Closing twice is closing."""
        if self._closing:
            return
        self._closing = True
        socket.create_connection((LOOPBACK, self.port)).close()
        self._thread.join(2)
        self._listener.close()


class ThreadedUdpServer:
    """A loopback UDP server in a thread: bound when constructed, stopped by ``close()``.

    Subclasses say what to do with one datagram in ``handle``; ``send`` replies
    and records the reply.
    """

    def __init__(self) -> None:
        self.transcript = Transcript()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((LOOPBACK, 0))
        self.port: int = self._sock.getsockname()[1]
        self._closing = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def handle(self, data: bytes, peer: tuple[str, int]) -> None:
        raise NotImplementedError

    def send(self, data: bytes, peer: tuple[str, int]) -> None:
        try:
            self._sock.sendto(data, peer)
        except OSError as error:  # closed meanwhile, or the peer is gone
            self.transcript.event(f"sending failed: {error}")
            return
        self.transcript.server(data, datagram=True)

    def _serve(self) -> None:
        while True:
            data, peer = self._sock.recvfrom(65535)
            if self._closing:
                return
            self.transcript.client(data, datagram=True)
            self.handle(data, peer)

    def close(self) -> None:
        """Stop serving: a datagram to itself wakes the thread (closing would not)."""
        self._closing = True
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as waker:
            waker.sendto(b"", (LOOPBACK, self.port))
        self._thread.join(2)
        self._sock.close()
