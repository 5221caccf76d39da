"""A thread blocked on sockets, woken for ``close()``: the base of every fake peer's serving thread."""

from __future__ import annotations

import selectors
import socket


class Wakeable:
    """Sockets a thread blocks on, woken for ``close()`` through a socket pair of its own: no
    connection or datagram to itself, which would also have to find it (in its network
    namespace, say). A subclass serves ``while ready := self._ready()``, calls ``_wake()`` to
    stop and ``_release()`` once its thread has ended."""

    def __init__(self, socks: list[socket.socket]) -> None:
        self._socks = socks
        self._wake_read, self._wake_write = socket.socketpair()
        self._closing = False

    def _ready(self) -> list[socket.socket]:
        """Block until a socket has something: those that do; none once ``close()`` was called."""
        with selectors.DefaultSelector() as selector:
            for sock in self._socks:
                selector.register(sock, selectors.EVENT_READ)
            selector.register(self._wake_read, selectors.EVENT_READ)
            ready = [key.fileobj for key, _ in selector.select()]
        if self._wake_read in ready or self._closing:
            return []
        return ready  # type: ignore[return-value]

    def _wake(self) -> bool:
        """Wake the thread; False if it was woken before (closing twice is closing)."""
        if self._closing:
            return False
        self._closing = True
        self._wake_write.send(b"x")
        return True

    def _release(self) -> None:
        for sock in (*self._socks, self._wake_read, self._wake_write):
            sock.close()
