"""The graders' uppercase echo servers, for checking the echo lab's clients.

Each runs in a thread on a free loopback port, is ready when constructed
(its socket is bound before the constructor returns), records everything it
received in a transcript, and stops with ``close()``. The UDP one wakes its
thread with a datagram to itself; the TCP one is a ``ThreadedTcpServer``.
"""

from __future__ import annotations

import socket
import threading
import time

from .ports import LOOPBACK
from .threaded_server import ThreadedTcpServer
from .wire import Transcript

SEGMENT_GAP = 0.05  # seconds between the two halves of a split reply


class FakeUdpEcho:
    """Replies to every datagram with its uppercase, as the lab's server does."""

    def __init__(self) -> None:
        self.transcript = Transcript()
        self.datagrams: list[bytes] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((LOOPBACK, 0))
        self.port: int = self._sock.getsockname()[1]
        self._closing = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            data, peer = self._sock.recvfrom(65535)
            if self._closing:
                return
            self.datagrams.append(data)
            self.transcript.client(data, datagram=True)
            reply = data.upper()
            self._sock.sendto(reply, peer)
            self.transcript.server(reply, datagram=True)

    def close(self) -> None:
        """Stop serving: a datagram to itself wakes the thread (closing would not)."""
        self._closing = True
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as waker:
            waker.sendto(b"", (LOOPBACK, self.port))
        self._thread.join(2)
        self._sock.close()


class FakeTcpEcho(ThreadedTcpServer):
    """Answers each line with its uppercase; optionally splits every reply in two segments."""

    def __init__(self, split_replies: bool = False) -> None:
        self.split_replies = split_replies
        self.received = bytearray()
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pending = b""
        while data := _recv(conn):
            self.received += data
            self.transcript.client(data)
            pending += data
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                self._reply(conn, line.upper() + b"\n")
        self.transcript.event("connection closed by the client")

    def _reply(self, conn: socket.socket, reply: bytes) -> None:
        halves = [reply[: len(reply) // 2], reply[len(reply) // 2 :]] if self.split_replies else [reply]
        for i, part in enumerate(halves):
            if i:
                time.sleep(SEGMENT_GAP)  # a scheduled gap between segments, not a wait
            conn.sendall(part)
            self.transcript.server(part)


def _recv(conn: socket.socket) -> bytes:
    try:
        return conn.recv(65536)
    except OSError:
        return b""
