"""The graders' client of a student's proxy: a request in either form, or through a CONNECT tunnel.

LABS.md grants two request forms, and a proxy that reads only one of them must
lose only that form's check. So a ``ProxyClient`` learns the form the proxy
understands from its first request (the absolute form, else the textbook's:
the one that made the origin see a request) and speaks it from then on.
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass, field
from typing import Literal

from graders.network.ports import LOOPBACK
from graders.peers import http_exchange
from graders.peers.clients import TcpClient
from graders.peers.fake_origin import Origin
from graders.peers.http_exchange import HEAD_END, IDLE_WITHIN, HttpResponse
from graders.vocabulary.failures import CheckFailed
from graders.vocabulary.wire import Transcript

Form = Literal["absolute", "textbook"]
FORMS: tuple[Form, ...] = ("absolute", "textbook")
ASK_WITHIN = 2.0  # seconds for a response through the proxy from a prompt origin


def request_bytes(form: Form, proxy_port: int, authority: str, target: str, method: str = "GET", body: bytes | None = None) -> bytes:
    """A request as a browser sends it to a proxy (absolute form) or as the textbook types it
    into a browser's address bar (``http://localhost:8888/HOST:PORT/PATH``); no Connection header,
    so HTTP/1.1's default applies and closing is the proxy's part."""
    if form == "absolute":
        line, host = f"{method} http://{authority}{target} HTTP/1.1", authority
    else:
        line, host = f"{method} /{authority}{target} HTTP/1.1", f"{LOOPBACK}:{proxy_port}"
    head = f"{line}\r\nHost: {host}\r\nUser-Agent: netlab\r\nAccept: */*\r\n"
    if body is not None:
        head += f"Content-Type: application/octet-stream\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + (body or b"")


@dataclass
class ProxyClient:
    """Requests to one running proxy, in the form it was found to understand."""

    port: int
    form: Form | None = None
    attempts: list[str] = field(default_factory=list)  # how each form fared while learning

    def ask(self, origin: Origin, target: str, within: float = ASK_WITHIN, method: str = "GET", body: bytes | None = None) -> HttpResponse:
        """``target`` from ``origin`` through the proxy; the first call learns the form."""
        if self.form is not None:
            return self.send_in(self.form, origin.authority, origin.path(target), within, method, body)
        first_wire: Transcript | None = None
        for form in FORMS:
            before = len(origin.log)
            response, failure = None, None
            try:
                response = self.send_in(form, origin.authority, origin.path(target), within, method, body)
            except CheckFailed as error:
                failure = error
            if len(origin.log) > before:
                self.form = form
                if failure is not None:
                    raise failure
                return response  # type: ignore[return-value]
            first_wire = first_wire or (response.transcript if response else failure.wire)  # type: ignore[union-attr]
            self.attempts.append(f"in {form} form, " + (f"status {response.status}" if response else failure.got))  # type: ignore[union-attr]
        raise CheckFailed(
            expected=f"the origin asked for {origin.path(target)} (requests in absolute form `{method} http://HOST:PORT{origin.path(target)}`, "
            f"then in the textbook's form `{method} /HOST:PORT{origin.path(target)}`)",
            got="the origin saw no request; " + "; ".join(self.attempts),
            wire=first_wire,
        )

    def any_answer(self, origin: Origin, target: str, within: float = ASK_WITHIN) -> HttpResponse:
        """The proxy's answer to a GET for ``target``, whatever its status: in the form learnt, else
        in the first form that gets a well-formed response (proof that the proxy is alive and
        answering, whether or not it can relay)."""
        tried = []
        for form in (self.form,) if self.form is not None else FORMS:
            try:
                return self.send_in(form, origin.authority, origin.path(target), within)
            except CheckFailed as failure:
                tried.append((form, failure))
        raise CheckFailed(
            expected=f"a well-formed response (any status) to a GET for {origin.path(target)}, in either request form",
            got="; ".join(f"in {form} form, {failure.got}" for form, failure in tried),
            wire=tried[0][1].wire,
        )

    def send_in(self, form: Form, authority: str, target: str, within: float = ASK_WITHIN, method: str = "GET", body: bytes | None = None,
                first_byte_within: float = IDLE_WITHIN) -> HttpResponse:
        return self.send(request_bytes(form, self.port, authority, target, method, body), within, first_byte_within)

    def send(self, request: bytes, within: float = ASK_WITHIN, first_byte_within: float = IDLE_WITHIN) -> HttpResponse:
        """The answer, within ``within`` in all and ``first_byte_within`` for its first byte (an answer
        that awaits a refused connection on Windows starts after about 2 s)."""
        return http_exchange.exchange(self.port, request, within, first_byte_within=first_byte_within)


@dataclass
class Tunnel:
    """What came back from a CONNECT: the proxy's own answer, and the response inside TLS."""

    status_line: str
    response: HttpResponse | None
    transcript: Transcript


STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3})[^\r\n]*")


def through_tunnel(proxy_port: int, origin_port: int, trust: ssl.SSLContext, target: str, within: float = ASK_WITHIN) -> Tunnel:
    """``CONNECT 127.0.0.1:PORT``; on a 200, TLS with the origin through the proxy and a GET inside it."""
    authority = f"{LOOPBACK}:{origin_port}"
    with TcpClient(proxy_port) as client:
        client.send(f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n".encode())
        head = client.receive_until(lambda data: HEAD_END.search(data) is not None, within)
        status = STATUS_LINE.match(head)
        status_line = status.group(0).decode("latin-1") if status else head.split(b"\n")[0].decode("latin-1", "replace")
        if status is None or status.group(1) != b"200" or not HEAD_END.search(head):
            return Tunnel(status_line, None, client.transcript)
        client.transcript.event("TLS handshake with the origin through the tunnel; what follows is decrypted")
        try:
            client.sock = trust.wrap_socket(client.sock, server_hostname=LOOPBACK)
            client.send(f"GET {target} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n".encode())
            response = http_exchange.read_response(client, within)
        except (ssl.SSLError, OSError) as error:
            client.transcript.event(f"TLS through the tunnel failed: {error}")
            response = None
        return Tunnel(status_line, response, client.transcript)
