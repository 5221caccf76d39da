"""A loopback TCP server in threads, the shape every fake TCP peer of the graders shares.

As in aiosmtpd's controller: it is ready when constructed (its socket is
listening before the constructor returns, so no one waits for it), serves each
connection in a thread of its own, records what it saw, and ``close()`` stops
it. Subclasses say what to do with one connection in ``handle``.
"""

from __future__ import annotations

import selectors
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


class _Wakeable:
    """A thread blocked on a socket, woken for ``close()`` through a socket pair of its own: no
    connection or datagram to itself, which would also have to find it (in its network
    namespace, say)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._wake_read, self._wake_write = socket.socketpair()
        self._closing = False

    def _ready(self) -> bool:
        """Block until the socket has something, or ``close()`` was called (False)."""
        with selectors.DefaultSelector() as selector:
            selector.register(self._sock, selectors.EVENT_READ)
            selector.register(self._wake_read, selectors.EVENT_READ)
            ready = {key.fileobj for key, _ in selector.select()}
        return self._wake_read not in ready and not self._closing

    def _wake(self) -> bool:
        """Wake the thread; False if it was woken before (closing twice is closing)."""
        if self._closing:
            return False
        self._closing = True
        self._wake_write.send(b"x")
        return True

    def _release(self) -> None:
        for sock in (self._sock, self._wake_read, self._wake_write):
            sock.close()


class ThreadedTcpServer(_Wakeable):
    def __init__(self, port: int = 0) -> None:
        """On ``port`` (0: a free one, the kernel's choice)."""
        self.transcript = Transcript()
        self.connections = 0
        self._listener = socket.create_server((LOOPBACK, port))
        self.port: int = self._listener.getsockname()[1]
        super().__init__(self._listener)
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def _accept(self) -> None:
        while self._ready():
            conn, _ = self._listener.accept()
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


class ThreadedUdpServer(_Wakeable):
    """A loopback UDP server in a thread: bound when constructed, stopped by ``close()``.

    Subclasses say what to do with one datagram in ``handle``; ``send`` replies
    and records the reply.
    """

    def __init__(self, port: int = 0) -> None:
        """On ``port`` (0: a free one, the kernel's choice)."""
        self.transcript = Transcript()
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind((LOOPBACK, port))
        self.port: int = self._socket.getsockname()[1]
        super().__init__(self._socket)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def handle(self, data: bytes, peer: tuple[str, int]) -> None:
        raise NotImplementedError

    def send(self, data: bytes, peer: tuple[str, int]) -> None:
        try:
            self._socket.sendto(data, peer)
        except OSError as error:  # closed meanwhile, or the peer is gone
            self.transcript.event(f"sending failed: {error}")
            return
        self.transcript.server(data, datagram=True)

    def _serve(self) -> None:
        while self._ready():
            data, peer = self._socket.recvfrom(65535)
            self.transcript.client(data, datagram=True)
            self.handle(data, peer)

    def close(self) -> None:
        """Stop serving."""
        if self._wake():
            self._thread.join(2)
            self._release()
