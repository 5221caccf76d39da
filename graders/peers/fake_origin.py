"""An HTTP origin server for the graders: serves what a test tells it, records what it is asked.

In the manner of pytest-httpserver: a real HTTP stack (h11) in a thread, one
route per target set with ``serve()`` (or ``echo()``, ``stall()``), every
request kept in ``log`` with its raw bytes and body, so a check reads what the
client sent after the fact and counts ``hits``. The origin never decides a
verdict. It answers conditional requests as HTTP says: ``304`` while the
route's ``ETag`` or ``Last-Modified`` still matches, the route's current
``200`` once the test has served something new. Each response closes its
connection, unless the origin is made with ``keep_alive=True``: then it keeps
an HTTP/1.1 connection open, as real origins do, until the client closes it
or asks for the close. With ``tls=`` it speaks HTTPS. With ``segments=`` it
sends each response in pieces, a pause between two, as a slow network would:
a client that reads once gets the head and no body.
"""

from __future__ import annotations

import email.utils
import itertools
import socket
import ssl
import threading
from dataclasses import dataclass
from typing import Literal

import h11

from graders.network.ports import LOOPBACK, Ports
from graders.peers.http_exchange import HEAD_END
from graders.peers.threaded_server import ThreadedTcpServer, recv_or_eof
from graders.vocabulary.wire import Transcript

READ_WITHIN = 5.0  # seconds a client has to send its whole request
KEEP_ALIVE_FOR = 30.0  # seconds a kept-alive connection waits for the next request: longer than any check
VALIDATORS = ("ETag", "Last-Modified", "Cache-Control", "Expires")  # what a 304 repeats (RFC 9110 15.4.5)


@dataclass(frozen=True)
class Request:
    """A request as the origin received it."""

    method: str
    target: str
    http_version: str
    headers: list[tuple[str, str]]
    raw: bytes  # the head and the body, as they came
    body: bytes
    malformed: str | None  # h11's reason, when it rejects the head

    def header(self, name: str) -> str | None:
        return _header(self.headers, name)

    @property
    def url_path(self) -> str:
        """The path and query asked for, also from an absolute-form target (which origins must accept)."""
        if "://" in self.target:
            rest = self.target.split("://", 1)[1]
            return "/" + rest.split("/", 1)[1] if "/" in rest else "/"
        return self.target

    def wants_close(self) -> bool:
        connection = (self.header("Connection") or "").lower()
        return self.http_version != "HTTP/1.1" or "close" in connection


def _header(headers: list[tuple[str, str]] | tuple[tuple[str, str], ...], name: str) -> str | None:
    return next((value for key, value in headers if key.lower() == name.lower()), None)


def parse_request(head: bytes, body: bytes = b"") -> Request:
    """The request head, split leniently; h11's verdict on it kept in ``malformed``."""
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
    return Request(method, target, version, headers, head + body, body, malformed)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Segments:
    """How the origin sends a response: the head, then the body in ``pieces`` parts, each
    ``gap`` seconds after the one before (the same cuts every run)."""

    pieces: int = 3
    gap: float = 0.1

    def split(self, response: bytes) -> list[bytes]:
        """The head, then the body in near-equal parts, never cut inside a UTF-8 character: a
        client that decodes each read on its own fails the binary body's check, not the text's."""
        end = HEAD_END.search(response)
        if end is None:
            return [response]
        head, body = response[: end.end()], response[end.end() :]
        cuts = [0] + [_character_start(body, len(body) * k // self.pieces) for k in range(1, self.pieces)] + [len(body)]
        return [head] + [body[start:stop] for start, stop in itertools.pairwise(cuts) if stop > start]


def _character_start(data: bytes, at: int) -> int:
    """``at``, or the first index after it that does not hold a UTF-8 continuation byte."""
    while at < len(data) and data[at] & 0xC0 == 0x80:
        at += 1
    return at


@dataclass(frozen=True)
class Exchange:
    """One request and the exact bytes the origin answered with (b"" while it stalls)."""

    request: Request
    response: bytes


@dataclass(frozen=True)
class Route:
    """What the origin answers for one target: a fixed response, the request's body, or nothing."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    behaviour: Literal["fixed", "echo", "stall"] = "fixed"

    def answer(self, request: Request, closing: bool) -> bytes | None:
        """The response bytes, with a Date of now; None to stall."""
        if self.behaviour == "stall":
            return None
        if self.behaviour == "echo":
            return _response(200, "OK", (("Content-Type", "application/octet-stream"),), request.body, closing)
        if self.status == 200 and self._not_modified(request):
            kept = tuple((name, value) for name, value in self.headers if name in VALIDATORS)
            return _response(304, "Not Modified", kept, None, closing)
        return _response(self.status, self.reason, self.headers, self.body, closing)

    def _not_modified(self, request: Request) -> bool:
        """RFC 9110 13.1: If-None-Match against the ETag; else If-Modified-Since against Last-Modified."""
        etag, asked = _header(self.headers, "ETag"), request.header("If-None-Match")
        if asked is not None:
            return etag is not None and (asked.strip() == "*" or etag in (tag.strip() for tag in asked.split(",")))
        modified, since = _header(self.headers, "Last-Modified"), request.header("If-Modified-Since")
        if modified is None or since is None:
            return False
        try:
            return email.utils.parsedate_to_datetime(since) >= email.utils.parsedate_to_datetime(modified)
        except (TypeError, ValueError):
            return False


def _response(status: int, reason: str, headers: tuple[tuple[str, str], ...], body: bytes | None, closing: bool) -> bytes:
    """A response head with Date, the headers, Content-Length (unless no body may follow) and,
    when the origin closes after it, ``Connection: close``."""
    fields = (("Date", email.utils.formatdate(usegmt=True)),) + headers
    if body is not None:
        fields += (("Content-Length", str(len(body))),)
    if closing:
        fields += (("Connection", "close"),)
    head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{name}: {value}\r\n" for name, value in fields)
    return head.encode("latin-1") + b"\r\n" + (body or b"")


ANY_PATH = "*"
NOT_FOUND = Route(404, "Not Found", (("Content-Type", "text/html"),), b"<h1>404 Not Found</h1>")


class Origin(ThreadedTcpServer):
    """``origin = Origin(); origin.serve("/a", body=b"..."); origin.hits("/a"); origin.close()``."""

    def __init__(
        self,
        keep_alive: bool = False,
        tls: ssl.SSLContext | None = None,
        port: Ports = 0,
        name: str | None = None,
        segments: Segments | None = None,
        root: str = "",
        host: str | None = None,
    ) -> None:
        """On ``port`` (0: a free one), at ``host`` (else loopback); ``name``: the host name URLs
        give it (else its address); ``segments``: how to cut each response (else it goes in one
        piece); ``root``: the folder its
        paths lie in (``/relays_a_page``), so that no two checks' origins share a URL's path: a proxy
        that keys its cache by the path alone serves each check what it asked for, as it would a
        proxy of that check's own. Targets are given and counted without it (``path`` adds it)."""
        self.log: list[Exchange] = []
        self.keep_alive = keep_alive
        self.name = name
        self.root = root
        self._tls = tls
        self._segments = segments
        self._routes: dict[str, Route] = {}
        self._closed = threading.Event()
        super().__init__(port, host)

    @property
    def authority(self) -> str:
        """HOST[:PORT] in a URL for it: the port left out when it is HTTP's own, 80."""
        host = self.name or LOOPBACK
        return host if self.port == 80 else f"{host}:{self.port}"

    def serve(
        self,
        target: str,
        body: bytes = b"",
        status: int = 200,
        reason: str = "OK",
        content_type: str = "text/html",
        headers: tuple[tuple[str, str], ...] = (),
    ) -> Route:
        """Answer ``target`` (a path, or a path and query; ``*``, any path not served otherwise) so from now on."""
        return self._route(target, Route(status, reason, (("Content-Type", content_type),) + headers, body))

    def echo(self, target: str) -> Route:
        """Answer with the request's own body (for POST)."""
        return self._route(target, Route(200, "OK", (), b"", "echo"))

    def stall(self, target: str) -> Route:
        """Read the request, then never answer (until the origin closes)."""
        return self._route(target, Route(200, "OK", (), b"", "stall"))

    def path(self, target: str) -> str:
        """The path (and query) a client asks for ``target`` by: in the origin's root."""
        return self.root + target

    def _route(self, target: str, route: Route) -> Route:
        self._routes[self.path(target)] = route
        return route

    def exchanges_for(self, target: str) -> list[Exchange]:
        """The requests for this path and query, with what the origin answered, in order."""
        return [exchange for exchange in self.log if exchange.request.url_path == self.path(target)]

    def hits(self, target: str) -> int:
        """How many requests asked for this path and query."""
        return len(self.exchanges_for(target))

    def requests_for(self, target: str) -> list[Request]:
        return [exchange.request for exchange in self.exchanges_for(target)]

    def handle(self, conn: socket.socket) -> None:
        if self._tls is not None:
            conn = self._handshake(conn)  # type: ignore[assignment]
            if conn is None:
                return
        reader = _RequestReader(conn, self.transcript)
        first = True
        while (request := reader.next(READ_WITHIN if first else KEEP_ALIVE_FOR, first)) is not None:
            first = False
            path = request.url_path
            route = self._routes.get(path) or self._routes.get(path.split("?")[0]) or self._routes.get(self.path(ANY_PATH)) or NOT_FOUND
            closing = not self.keep_alive or request.wants_close()
            response = route.answer(request, closing)
            self.log.append(Exchange(request, response or b""))
            if response is None:
                self.transcript.event("the origin stalls: it holds the connection and never answers")
                self._closed.wait()
                return
            if not self._send(conn, response):
                return
            if closing:
                break
        _close_writing(conn)

    def _send(self, conn: socket.socket, response: bytes) -> bool:
        """Send the response, in its segments if the origin cuts them; False if that failed."""
        pieces, gap = (self._segments.split(response), self._segments.gap) if self._segments else ([response], 0.0)
        if len(pieces) > 1:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # each piece a segment of its own
        for index, piece in enumerate(pieces):
            if index:
                self.transcript.event(f"the origin pauses {gap:g} s")
                self._closed.wait(gap)  # the pause itself, cut short by close()
            try:
                conn.sendall(piece)
            except OSError as error:
                self.transcript.event(f"sending the response failed: {error}")
                return False
            self.transcript.server(piece)
        return True

    def _handshake(self, conn: socket.socket) -> ssl.SSLSocket | None:
        conn.settimeout(READ_WITHIN)
        try:
            return self._tls.wrap_socket(conn, server_side=True)  # type: ignore[union-attr]
        except (OSError, ssl.SSLError) as error:
            self.transcript.event(f"TLS handshake failed: {error}")
            return None

    def close(self) -> None:
        """Stop: connections are refused from now on, and stalled ones are let go."""
        self._closed.set()
        super().close()


def _close_writing(conn: socket.socket) -> None:
    try:
        conn.shutdown(socket.SHUT_WR)
    except OSError:
        pass


class _RequestReader:
    """Requests off one connection, one after the other: the head to its empty line, then the
    body by its Content-Length."""

    def __init__(self, conn: socket.socket, transcript: Transcript) -> None:
        self._conn = conn
        self._transcript = transcript
        self._buffer = b""

    def next(self, within: float, first: bool) -> Request | None:
        """The next whole request; None once the client closed, stalled or broke off (said in
        the transcript, unless it closed a kept-alive connection between two requests)."""
        self._conn.settimeout(within)
        while not (end := HEAD_END.search(self._buffer)):
            if not self._more("before a whole request head", quietly=not first and not self._buffer):
                return None
        head, self._buffer = self._buffer[: end.end()], self._buffer[end.end() :]
        length = _header(parse_request(head).headers, "Content-Length") or "0"
        wanted = int(length) if length.strip().isdigit() else 0
        while len(self._buffer) < wanted:
            if not self._more(f"before the whole body ({len(self._buffer)} of {wanted} bytes)"):
                break
        body, self._buffer = self._buffer[:wanted], self._buffer[wanted:]
        return parse_request(head, body)

    def _more(self, when: str, quietly: bool = False) -> bool:
        data = recv_or_eof(self._conn)
        if not data:
            if not quietly:
                self._transcript.event(f"the client closed or stalled {when}")
            return False
        self._transcript.client(data)
        self._buffer += data
        return True
