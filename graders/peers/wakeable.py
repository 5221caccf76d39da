"""A thread blocked on sockets, woken for ``close()``: the base of every fake peer's serving thread."""

from __future__ import annotations

import select
import selectors
import socket
import threading


class Wakeable:
    """Sockets a thread blocks on, woken for ``close()`` through a socket pair of its own: no
    connection or datagram to itself, which would also have to find it (in its network
    namespace, say). A subclass serves ``while ready := self._ready()``, calls ``_wake()`` to
    stop and ``_release()`` once its thread has ended. It counts the programs' ``contacts`` as its
    subclass takes them (under ``_taking``), for ``heard_since``."""

    def __init__(self, socks: list[socket.socket]) -> None:
        self._socks = socks
        self._wake_read, self._wake_write = socket.socketpair()
        self._closing = False
        self.contacts = 0  # connections accepted, or datagrams taken, from a program
        self._taking = threading.Lock()  # held while one is taken and counted: ``heard_since`` sees it one place or the other

    def heard_since(self, contacts: int) -> bool:
        """Whether a program reached it since it had ``contacts``: taken, or waiting in a socket (the
        kernel holds what a client sent before it exited, however far behind the serving thread is)."""
        with self._taking:
            if self.contacts > contacts:
                return True
            return bool(select.select(self._socks, [], [], 0)[0])

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
