"""The graders' mail server: aiosmtpd behind a relay that records the raw wire.

aiosmtpd speaks SMTP, STARTTLS and AUTH; it accepts LF-only lines and
unstuffs dots, so it cannot tell what the client put on the wire. Two
records fill that gap: ``session`` holds what the client sent as aiosmtpd
read it (decrypted after STARTTLS, which the server holds the key for; a
completed handshake is an event in it), and ``wire`` holds the bytes that
crossed the relay in front of it (encrypted after STARTTLS), in order.
The test chooses the server's behaviour with a ``MailMode``; the server
records, and the checks judge.

Line lengths are those of real servers, not aiosmtpd's RFC minimums: a
command line (AUTH's included) may be as long as Exim takes (16 KiB), and a
message line as long as the message may be (Postfix and Exim both take any
line length on reception), so a base64 attachment in one line arrives.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.smtp import DATA_SIZE_DEFAULT, SMTP, AuthResult, Envelope, LoginPassword, Session, syntax

from graders.network.ports import LOOPBACK, Ports
from graders.peers.threaded_server import ThreadedTcpServer, recv_or_eof
from graders.vocabulary.wire import Transcript

REPLY_END = re.compile(rb"(?m)^\d{3}(?: [^\n]*)?\n")  # the last line of a reply: a code, then a space or nothing
GREETING_DELAY = 0.2  # seconds the relay holds the greeting, so a client that does not wait for it shows
SEGMENT_GAP = 0.05  # seconds between the lines of a reply, in the split mode
START_WITHIN = 5.0
CLOSE_WITHIN = 1.0  # seconds for open sessions to end once the server closes
COMMAND_LIMIT = 16384  # bytes in a command line, AUTH PLAIN's included: Exim's SMTP_CMD_BUFFER_SIZE
MESSAGE_LIMIT = DATA_SIZE_DEFAULT  # bytes in a message: aiosmtpd's 32 MiB, far above what a lab sends
LINE_LIMIT = MESSAGE_LIMIT  # bytes in a message line: any line the message size allows
HANDSHAKE_DONE = "TLS handshake completed"  # the session's event when the server's side of it finished


@dataclass(frozen=True)
class MailMode:
    """How the server behaves in one run."""

    tls: ssl.SSLContext | None = None  # offer STARTTLS with this context
    require_starttls: bool = False
    credentials: tuple[str, str] | None = None  # the AUTH accepted: these only, or None: any
    reject_rcpt: bool = False  # 550 to RCPT TO
    reject_auth: bool = False  # 535 to any AUTH
    split_replies: bool = False  # every reply line in its own TCP segment, with a gap


@dataclass(frozen=True)
class Mail:
    """A message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes  # as aiosmtpd stored it: dot-unstuffed, line ends as sent


@dataclass
class Records:
    session: Transcript = field(default_factory=Transcript)
    wire: Transcript = field(default_factory=Transcript)
    mails: list[Mail] = field(default_factory=list)
    auth: list[tuple[str, str, bool]] = field(default_factory=list)  # (mechanism, login, accepted)


class RecordingSMTP(SMTP):
    """aiosmtpd's protocol, keeping what the client sent and what the server answered."""

    line_length_limit = LINE_LIMIT  # aiosmtpd reads every line (and sizes its buffer) with this

    def __init__(self, handler: Any, records: Records, **options: Any) -> None:
        super().__init__(handler, **options)
        self.records = records
        self._held: list[bytes] = []  # the lines of a multi-line reply, until its last
        self.command_size_limit = COMMAND_LIMIT  # before EHLO
        self.command_size_limits = collections.defaultdict(lambda: COMMAND_LIMIT)  # after, per command

    def data_received(self, data: bytes) -> None:
        self.records.session.client(data)
        super().data_received(data)

    async def push(self, status: Any) -> None:
        """aiosmtpd writes a multi-line reply a line at a time; this writes it whole, so over TLS
        too a reply's segmentation is the test's choice (the relay's split mode), not chance.
        Once the server has hung up, nothing: aiosmtpd reads on what the client had sent, and over
        TLS its next reply raised, which it answered with `500 Error: (AttributeError) ...`."""
        if self.transport is None or self.transport.is_closing():
            return
        line = (status if isinstance(status, bytes) else status.encode("utf-8", "replace")) + b"\r\n"
        self.records.session.server(line)
        self._held.append(line)
        if line[3:4] == b"-":
            return  # a continuation line: the reply goes on
        reply, self._held = b"".join(self._held), []
        self._writer.write(reply)
        await self._writer.drain()

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        """aiosmtpd's DATA, with the message read in bulk: aiosmtpd awaits it a line at a time, 0.2 s
        of CPU for a 5 MB attachment. Its rules kept: the message ends at a lone dot after a CRLF
        (or at its start), a line's leading dot is removed, 552 once a message over the size
        limit has ended, of which nothing past the limit is kept."""
        assert self.envelope is not None and self.session is not None
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        try:
            message = await self._read_message()
        except asyncio.CancelledError:  # the connection was lost
            self._writer.close()
            raise
        if message is None:
            status = "552 Error: Too much mail data"
        else:
            self.envelope.content = self.envelope.original_content = unstuffed(message)
            status = await self.event_handler.handle_DATA(self, self.session, self.envelope)
        self._set_post_data_state()
        await self.push(status)

    async def _read_message(self) -> bytes | None:
        """The message up to its lone dot, or None if it is larger than the size limit."""
        message, dropped = bytearray(), 0  # dropped: bytes let go of past the limit
        limit = self.data_size_limit or float("inf")  # as in aiosmtpd: a limit of None or 0 is none
        while True:
            try:
                message += await self._reader.readuntil(b".\r\n")
            except asyncio.LimitOverrunError as error:  # a stream without the mark, as long as the reader holds
                message += await self._reader.readexactly(error.consumed)
            if message.endswith(b".\r\n") and (dropped + len(message) == 3 or message[-5:-3] == b"\r\n"):
                del message[-3:]
                return bytes(message) if dropped + len(message) <= limit else None
            if dropped + len(message) > limit:
                dropped += len(message) - 2
                del message[:-2]  # the CRLF a lone dot may come after


def unstuffed(message: bytes) -> bytes:
    """Each line's leading dot removed (RFC 5321 4.5.2), lines ending in CRLF as aiosmtpd reads them."""
    return message[message.startswith(b".") :].replace(b"\r\n.", b"\r\n")


class MailHandler:
    """aiosmtpd handler: keeps each accepted message; rejects RCPT when the mode says so."""

    def __init__(self, mode: MailMode, records: Records) -> None:
        self.mode = mode
        self.records = records

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]) -> str:
        if self.mode.reject_rcpt:
            return "550 5.1.1 <%s>: no such user here" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def handle_STARTTLS(self, server: SMTP, session: Session, envelope: Envelope) -> bool:
        """aiosmtpd calls this when the server's side of the handshake is done: a client that
        refused the certificate never gets here."""
        self.records.session.event(HANDSHAKE_DONE)
        return True

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self.records.mails.append(Mail(str(envelope.mail_from), list(envelope.rcpt_tos), content))
        return "250 OK: message accepted"

    def authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        login = data.login.decode("utf-8", "replace") if isinstance(data, LoginPassword) else ""
        password = data.password.decode("utf-8", "replace") if isinstance(data, LoginPassword) else ""
        wanted = self.mode.credentials
        accepted = not self.mode.reject_auth and (wanted is None or (login, password) == wanted)
        self.records.auth.append((mechanism, login, accepted))
        return AuthResult(success=accepted, handled=False)  # not handled: aiosmtpd answers 535 itself


class WireRelay(ThreadedTcpServer):
    """Forwards each connection to aiosmtpd, recording the raw bytes both ways."""

    def __init__(self, backend_port: int, wire: Transcript, split_replies: bool, port: Ports = 0) -> None:
        self.backend_port = backend_port
        self.wire = wire
        self.split_replies = split_replies
        super().__init__(port)

    def handle(self, conn: socket.socket) -> None:
        with socket.create_connection((LOOPBACK, self.backend_port), timeout=START_WITHIN) as backend:
            backend.settimeout(None)
            upstream = threading.Thread(target=self._pump_client, args=(conn, backend), daemon=True)
            upstream.start()
            self._pump_server(backend, conn)
            upstream.join(2)

    def _pump_client(self, conn: socket.socket, backend: socket.socket) -> None:
        while data := recv_or_eof(conn):
            self.wire.client(data)
            try:
                backend.sendall(data)
            except OSError:
                break
        self.wire.event("the client closed the connection")
        _shutdown(backend)

    def _pump_server(self, backend: socket.socket, conn: socket.socket) -> None:
        """Forward each reply whole (or a line per segment, in the split mode), so how the
        server's writes fall into segments is the test's choice, not chance; after
        ``220 Ready to start TLS`` the bytes are TLS records and pass as they come."""
        pending, tls, first = b"", False, True
        while data := recv_or_eof(backend):
            if tls:
                self._forward([data], conn)
                continue
            pending += data
            while (end := REPLY_END.search(pending)) is not None:
                reply, pending = pending[: end.end()], pending[end.end() :]
                if first:
                    time.sleep(GREETING_DELAY)  # the schedule: the greeting comes a little late
                    first = False
                self._forward(reply.splitlines(keepends=True) if self.split_replies else [reply], conn)
                if reply.startswith(b"220 Ready to start TLS"):
                    tls = True
                    if pending:
                        self._forward([pending], conn)
                        pending = b""
                    break
        _shutdown(conn)

    def _forward(self, pieces: list[bytes], conn: socket.socket) -> None:
        for i, piece in enumerate(pieces):
            if i:
                time.sleep(SEGMENT_GAP)  # the schedule: one line per segment
            self.wire.server(piece)  # before it leaves: the client's answer cannot be recorded first
            try:
                conn.sendall(piece)
            except OSError:
                return


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass


# aiosmtpd logs a failed TLS handshake with its traceback. On Python 3.11, formatting a
# traceback parses source with ast, and doing so in the server's thread while pytest's
# main thread does the same can fail with "AST constructor recursion depth mismatch".
# The records above keep what a check needs, so the log goes nowhere.
_LOG = logging.getLogger("mail.log")
_LOG.addHandler(logging.NullHandler())
_LOG.propagate = False


class MailServer:
    """``server = MailServer(MailMode(...))``: a real SMTP server (aiosmtpd) on ``server.port``.

    In the controller pattern of aiosmtpd, but bound to port 0: the event loop
    runs in a thread, and the constructor returns once the listening socket
    exists (``create_server`` has returned), so there is nothing to wait for.
    """

    def __init__(self, mode: MailMode, port: Ports = 0) -> None:
        """On ``port`` (0: a free one)."""
        self.mode = mode
        self.records = Records()
        self.handler = MailHandler(mode, self.records)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            self._loop.create_server(self._protocol, LOOPBACK, 0), self._loop
        ).result(START_WITHIN)
        backend_port = self._server.sockets[0].getsockname()[1]
        self._relay = WireRelay(backend_port, self.records.wire, mode.split_replies, port)
        self.port = self._relay.port

    @property
    def contacts(self) -> int:
        """Connections a program made to it (``ThreadedTcpServer``'s, its relay's)."""
        return self._relay.contacts

    def heard_since(self, contacts: int) -> bool:
        return self._relay.heard_since(contacts)

    def _protocol(self) -> RecordingSMTP:
        return RecordingSMTP(
            self.handler,
            self.records,
            hostname="mail.netlab.test",
            tls_context=self.mode.tls,
            require_starttls=self.mode.require_starttls,
            authenticator=self.handler.authenticate,
            auth_require_tls=True,
            data_size_limit=MESSAGE_LIMIT,
            loop=self._loop,
        )

    def close(self) -> None:
        """Stop: no new sessions; one still open after CLOSE_WITHIN (its client hung on, say) is
        dropped with the loop rather than fail the check that happens to close the server."""
        self._relay.close()
        try:
            asyncio.run_coroutine_threadsafe(self._stop_serving(), self._loop).result(CLOSE_WITHIN)
        except TimeoutError:
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(START_WITHIN)
        self._loop.close()

    async def _stop_serving(self) -> None:
        """In the loop's thread: asyncio's Server is not thread-safe, and closing it from another
        thread while a session ends in the loop's (a client that just exited) can wake its
        waiters twice, a TypeError that failed whichever check closed the server."""
        self._server.close()
        await self._server.wait_closed()
