"""One HTTP request to a student's server, and its response read the way LABS.md grades it.

The response head is parsed by h11, so a malformed one fails with h11's own
reason. The body is everything after the head until the server closes (LABS.md
grades the close, one request per connection), so a wrong ``Content-Length``
costs the Content-Length check and not every check that reads a body. A server
that never closes is read to its ``Content-Length`` and given
``CLOSE_WITHIN`` more to close.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import h11

from graders.peers.clients import TcpClient
from graders.vocabulary.failures import CheckFailed
from graders.vocabulary.wire import Transcript

CLOSE_WITHIN = 1.0  # seconds for the close once a Content-Length body is complete
IDLE_WITHIN = 2.0  # seconds a response may pause between two bytes, however long it may take in all
HEAD_END = re.compile(rb"\n\r?\n")  # h11's own end-of-head rule


@dataclass
class HttpResponse:
    """A response as it came off the wire."""

    status: int
    http_version: str
    headers: list[tuple[str, str]]
    head: bytes
    body: bytes
    closed: bool
    transcript: Transcript = field(repr=False)

    def header(self, name: str) -> str | None:
        """The first value of a header (names compare case-insensitively)."""
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)

    def media_type(self) -> str | None:
        value = self.header("Content-Type")
        return value.split(";")[0].strip().lower() if value is not None else None


def exchange(port: int, request: bytes, within: float = 2.0, transcript: Transcript | None = None,
             first_byte_within: float = IDLE_WITHIN) -> HttpResponse:
    """Send raw request bytes on a new connection; read and parse the response."""
    with TcpClient(port, transcript) as client:
        client.send(request)
        return read_response(client, within, first_byte_within=first_byte_within)


def get(port: int, target: str, within: float = 2.0) -> HttpResponse:
    request = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()
    return exchange(port, request, within)


def read_response(client: TcpClient, within: float, close_within: float = CLOSE_WITHIN,
                  first_byte_within: float = IDLE_WITHIN) -> HttpResponse:
    """Read to the close, within ``within`` in all, ``first_byte_within`` for the first byte and
    ``IDLE_WITHIN`` between two bytes; once the body is whole by its Content-Length,
    ``close_within`` more for the close (0 where a check grades the answer alone, not the close)."""
    deadline = time.monotonic() + within
    data = bytearray()
    while not client.closed_by_server:
        idle = IDLE_WITHIN if data else first_byte_within
        idle_deadline = time.monotonic() + idle
        try:
            chunk = client.receive(min(deadline, idle_deadline))
        except TimeoutError:
            bound = f"within {within:g} s" if deadline <= idle_deadline else f"in {idle:g} s"
            return _incomplete(client, data, bound)
        data += chunk
        length = _content_length_if_complete(data)
        if length is not None:
            if close_within <= 0:
                break
            deadline = min(deadline, time.monotonic() + close_within)
    return _parse(data, client)


def _content_length_if_complete(data: bytes | bytearray) -> int | None:
    """The head's Content-Length once that many body bytes have arrived."""
    end = HEAD_END.search(data)
    if end is None:
        return None
    match = re.search(rb"(?im)^content-length:[ \t]*(\d+)[ \t]*\r?$", data[: end.start()])
    if match is None or len(data) - end.end() < int(match.group(1)):
        return None
    return int(match.group(1))


def _incomplete(client: TcpClient, data: bytearray, bound: str) -> HttpResponse:
    if _content_length_if_complete(data) is not None:
        return _parse(data, client)  # complete by its Content-Length; the close check will see it open
    client.transcript.event(f"no more bytes {bound}, connection still open")
    raise CheckFailed(
        expected=f"a whole response, then the close (the bound: no more bytes {bound})",
        got=f"{len(data)} bytes and no close" if data else "no response at all",
        wire=client.transcript,
    )


def _parse(data: bytes | bytearray, client: TcpClient) -> HttpResponse:
    if not data:
        raise CheckFailed(
            expected="an HTTP response",
            got="the server closed (or reset) the connection without sending anything",
            wire=client.transcript,
        )
    end = HEAD_END.search(data)
    if end is None:
        raise CheckFailed(
            expected="a status line and headers ended by an empty line (CRLF CRLF)",
            got=f"{len(data)} bytes with no empty line",
            wire=client.transcript,
        )
    head, body = bytes(data[: end.end()]), bytes(memoryview(data)[end.end() :])  # one copy of a 10 MB body, not two
    parser = h11.Connection(h11.CLIENT)
    parser.send(h11.Request(method="GET", target="/", headers=[("Host", "grader")]))
    parser.send(h11.EndOfMessage())
    parser.receive_data(head)
    try:
        event = parser.next_event()
        while isinstance(event, h11.InformationalResponse):
            event = parser.next_event()
    except h11.RemoteProtocolError as error:
        raise CheckFailed(expected="a well-formed HTTP response head", got=f"malformed: {error}", wire=client.transcript) from None
    if not isinstance(event, h11.Response):
        raise CheckFailed(expected="a well-formed HTTP response head", got=f"h11 could not read it ({event!r})", wire=client.transcript)
    return HttpResponse(
        status=event.status_code,
        http_version=f"HTTP/{event.http_version.decode()}",
        headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in event.headers.raw_items()],
        head=head,
        body=body,
        closed=client.closed_by_server,
        transcript=client.transcript,
    )
