"""The graders' uppercase echo servers, for checking the echo lab's clients.

Each runs in a thread on a free loopback port, is ready when constructed
(its socket is bound before the constructor returns), records everything it
received in a transcript, and stops with ``close()``.
"""

from __future__ import annotations

import socket
import threading
import time

from .ports import LOOPBACK
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


class FakeTcpEcho:
    """Answers each line with its uppercase; optionally splits every reply in two segments."""

    def __init__(self, split_replies: bool = False) -> None:
        self.split_replies = split_replies
        self.transcript = Transcript()
        self.connections = 0
        self.received = bytearray()
        self._listener = socket.create_server((LOOPBACK, 0))
        self.port: int = self._listener.getsockname()[1]
        self._closing = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

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
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pending = b""
        with conn:
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

    def close(self) -> None:
        """Stop accepting: a connection to itself wakes the thread (closing would not)."""
        self._closing = True
        socket.create_connection((LOOPBACK, self.port)).close()
        self._thread.join(2)
        self._listener.close()


def _recv(conn: socket.socket) -> bytes:
    try:
        return conn.recv(65536)
    except OSError:
        return b""
