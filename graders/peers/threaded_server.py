"""Loopback TCP and UDP servers in threads, the shape every fake peer of the graders shares.

As in aiosmtpd's controller: it is ready when constructed (its socket is
listening before the constructor returns, so no one waits for it), serves each
connection in a thread of its own, records what it saw, and ``close()`` stops
it. Subclasses say what to do with one connection (or datagram) in ``handle``.

A server takes a port (0: a free one), or several: for a client that hard-codes a port
the graders read from its code (a course's ``port = "auto"``), it listens on each one it
might use. Where a client names its server by address (``192.0.2.7``), the check's network
namespace gives loopback that address, and the server listens on every address there.
"""

from __future__ import annotations

import socket
import threading

from graders.network import netns
from graders.network.ports import LOOPBACK, Ports
from graders.peers.arrivals import Arrival, receive, stamp_arrivals
from graders.peers.wakeable import Wakeable
from graders.vocabulary.wire import Transcript


def _addresses(ports: Ports, host: str | None) -> list[tuple[str, int]]:
    """Where to listen: ``host`` where given; else loopback, or every address of the namespace where
    a client names its server by an address that the check's namespace gave loopback."""
    wanted = [ports] if isinstance(ports, int) else list(dict.fromkeys(ports))
    host = host or ("" if netns.aliased() else LOOPBACK)
    return [(host, port) for port in wanted or [0]]


def recv_or_eof(sock: socket.socket) -> bytes:
    """The next bytes from a peer; b"" once it closed, reset or broke the connection."""
    try:
        return sock.recv(65536)
    except OSError:
        return b""


class ThreadedTcpServer(Wakeable):
    def __init__(self, port: Ports = 0, host: str | None = None) -> None:
        """On ``port`` (0: a free one, the kernel's choice), or on each of several; on ``host``
        where given (an address of a network the server has to itself)."""
        self.transcript = Transcript()
        self.connections = 0
        listeners = [socket.create_server(address) for address in _addresses(port, host)]
        self.port: int = listeners[0].getsockname()[1]
        super().__init__(listeners)
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def _accept(self) -> None:
        while ready := self._ready():
            for listener in ready:
                with self._taking:
                    conn, _ = listener.accept()
                    self.contacts += 1
                self.connections += 1
                self.transcript.event(f"connection {self.connections} opened")
                threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            self.handle(conn)

    def close(self) -> None:
        """Stop accepting; connections from now on are refused."""
        if self._wake():
            self._thread.join(2)
            self._release()


class ThreadedUdpServer(Wakeable):
    """A loopback UDP server in a thread: bound when constructed, stopped by ``close()``.

    Subclasses say what to do with one datagram in ``handle``, given when it arrived; ``send``
    replies and records the reply.
    """

    def __init__(self, port: Ports = 0) -> None:
        """On ``port`` (0: a free one, the kernel's choice), or on each of several."""
        self.transcript = Transcript()
        sockets = []
        for address in _addresses(port, None):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            stamp_arrivals(sock)
            sock.bind(address)
            sockets.append(sock)
        self.port: int = sockets[0].getsockname()[1]
        self._replying: dict[tuple[str, int], socket.socket] = {}  # each peer is answered from the port it wrote to
        super().__init__(sockets)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def handle(self, data: bytes, peer: tuple[str, int], arrived: Arrival) -> None:
        raise NotImplementedError

    def send(self, data: bytes, peer: tuple[str, int]) -> None:
        try:
            self._replying.get(peer, self._socks[0]).sendto(data, peer)
        except OSError as error:  # closed meanwhile, or the peer is gone
            self.transcript.event(f"sending failed: {error}")
            return
        self.transcript.server(data, datagram=True)

    def _serve(self) -> None:
        while ready := self._ready():
            for sock in ready:
                try:
                    self._take(sock)
                except ConnectionResetError:  # Windows: a reply sent earlier found its peer gone; nothing was read
                    continue

    def _take(self, sock: socket.socket) -> None:
        with self._taking:
            data, peer, arrived = receive(sock)
            self.contacts += 1
        self._replying[peer] = sock
        self.transcript.client(data, datagram=True)
        self.handle(data, peer, arrived)

    def close(self) -> None:
        """Stop serving, once every datagram already here is taken: a client that sends and exits
        at once is still heard in full, however far behind a busy grading process was."""
        if self._wake():
            self._thread.join(2)
            for sock in self._socks:
                sock.setblocking(False)
                while True:
                    try:
                        self._take(sock)
                    except OSError:  # nothing more waiting (or, on Windows, the reset of a reply no one took)
                        break
            self._release()

