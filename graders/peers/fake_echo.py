"""The graders' uppercase echo servers, for checking the echo lab's clients.

Each runs in a thread on a loopback port (a free one unless told), is ready when constructed
(its socket is bound before the constructor returns), records everything it
received in a transcript, and stops with ``close()``.
"""

from __future__ import annotations

import socket
import time

from graders.network.ports import Ports
from graders.peers.arrivals import Arrival
from graders.peers.threaded_server import ThreadedTcpServer, ThreadedUdpServer, recv_or_eof

SEGMENT_GAP = 0.05  # seconds between the two halves of a split reply


class FakeUdpEcho(ThreadedUdpServer):
    """Replies to every datagram with its uppercase, as the lab's server does."""

    def __init__(self, port: Ports = 0) -> None:
        self.datagrams: list[bytes] = []
        super().__init__(port)

    def handle(self, data: bytes, peer: tuple[str, int], arrived: Arrival) -> None:
        self.datagrams.append(data)
        self.send(data.upper(), peer)


class FakeTcpEcho(ThreadedTcpServer):
    """Answers what arrives with its uppercase, as the lab's server does (a line without its `\\n`
    too: the newline is one check's to judge, not every check's that reads a reply); optionally
    splits every reply in two segments."""

    def __init__(self, split_replies: bool = False, port: Ports = 0) -> None:
        self.split_replies = split_replies
        self.received = bytearray()
        super().__init__(port)

    def handle(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while data := recv_or_eof(conn):
            self.received += data
            self.transcript.client(data)
            self._reply(conn, data.upper())
        self.transcript.event("connection closed by the client")

    def _reply(self, conn: socket.socket, reply: bytes) -> None:
        middle = len(reply) // 2
        halves = [reply[:middle], reply[middle:]] if self.split_replies and middle else [reply]
        for i, part in enumerate(halves):
            if i:
                time.sleep(SEGMENT_GAP)  # a scheduled gap between segments, not a wait
            conn.sendall(part)
            self.transcript.server(part)
