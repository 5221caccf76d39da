"""An HTTP origin server for the graders: serves what a test tells it, records what it is asked.

In the manner of pytest-httpserver: a real HTTP stack (h11) in a thread, one
route per path set with ``serve()``, every request kept in ``log`` with its raw
bytes, so a check reads what the client sent after the fact. The origin
never decides a verdict. Each response closes its connection.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

import h11

from .http_exchange import HEAD_END
from .threaded_server import ThreadedTcpServer

READ_WITHIN = 5.0  # seconds a client has to send its whole request


@dataclass(frozen=True)
class Route:
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def raw(self) -> bytes:
        """The exact response bytes the origin sends."""
        head = f"HTTP/1.1 {self.status} {self.reason}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in self.headers)
        return head.encode("latin-1") + b"\r\n" + self.body


@dataclass(frozen=True)
class Request:
    """A request as the origin received it."""

    method: str
    target: str
    http_version: str
    headers: list[tuple[str, str]]
    raw: bytes
    malformed: str | None  # h11's reason, when it rejects the head

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


def parse_request(raw: bytes) -> Request:
    """The request head, split leniently; h11's verdict on it kept in ``malformed``."""
    head = raw[: HEAD_END.search(raw).end()]  # type: ignore[union-attr]
    lines = head.decode("latin-1").splitlines()
    method, target, version = (lines[0].split(" ") + ["", "", ""])[:3] if lines else ("", "", "")
    headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:] if ":" in line]
    parser = h11.Connection(h11.SERVER)
    parser.receive_data(head)
    try:
        parser.next_event()
        malformed = None
    except h11.RemoteProtocolError as error:
        malformed = str(error)
    return Request(method, target, version, headers, raw, malformed)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Exchange:
    """One connection's request and the exact bytes the origin answered with."""

    request: Request
    response: bytes


NOT_FOUND = Route(404, "Not Found", (("Content-Type", "text/html"), ("Content-Length", "22"), ("Connection", "close")), b"<h1>404 Not Found</h1>")


class Origin(ThreadedTcpServer):
    """``origin = Origin(); origin.serve("/a", body=b"..."); origin.log; origin.close()``."""

    def __init__(self) -> None:
        self.log: list[Exchange] = []
        self._routes: dict[str, Route] = {}
        super().__init__()

    def serve(
        self,
        path: str,
        body: bytes = b"",
        status: int = 200,
        reason: str = "OK",
        content_type: str = "text/html",
        headers: tuple[tuple[str, str], ...] = (),
    ) -> Route:
        base = (("Content-Type", content_type), ("Content-Length", str(len(body))), ("Connection", "close"))
        route = Route(status, reason, base + headers, body)
        self._routes[path] = route
        return route

    def handle(self, conn: socket.socket) -> None:
        conn.settimeout(READ_WITHIN)
        request = self._read_request(conn)
        if request is None:
            return
        route = self._routes.get(request.target.split("?")[0]) or NOT_FOUND
        self.log.append(Exchange(request, route.raw()))
        try:
            conn.sendall(route.raw())
            self.transcript.server(route.raw())
            conn.shutdown(socket.SHUT_WR)
        except OSError as error:
            self.transcript.event(f"sending the response failed: {error}")

    def _read_request(self, conn: socket.socket) -> Request | None:
        """Read a request head; answer even a malformed one (the checks judge it, not the origin)."""
        raw = b""
        while not HEAD_END.search(raw):
            try:
                data = conn.recv(65536)
            except OSError:
                data = b""
            if not data:
                self.transcript.event("the client closed or stalled before a whole request head")
                return None
            self.transcript.client(data)
            raw += data
        return parse_request(raw)
