"""The graders' fake peers behave: they answer as the labs' servers do and record what they saw."""

from __future__ import annotations

import base64
import itertools
import random
import socket
import ssl
import time

import pytest

from graders.network.ports import LOOPBACK
from graders.peers import threaded_server
from graders.peers.arrivals import STAMPS, Arrival
from graders.peers.fake_echo import SEGMENT_GAP, FakeTcpEcho, FakeUdpEcho
from graders.peers.fake_origin import Origin, Segments
from graders.peers.threaded_server import ThreadedUdpServer


def test_udp_echo_uppercases_and_records() -> None:
    server = FakeUdpEcho()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.settimeout(2)
            client.sendto(b"hello", (LOOPBACK, server.port))
            assert client.recvfrom(100)[0] == b"HELLO"
        assert server.datagrams == [b"hello"]
    finally:
        server.close()


def test_tcp_echo_answers_what_arrives_and_splits_replies_when_asked() -> None:
    """What arrives is answered, a last line without its newline too (the newline is one check's
    to judge). Whether the halves arrive apart is the kernel's business; that they come whole is
    ours. (The known-bad tcp_client_single_recv shows the split reaching a client.)"""
    server = FakeTcpEcho(split_replies=True)
    try:
        with socket.create_connection((LOOPBACK, server.port), timeout=2) as client:
            client.sendall(b"ab\ncd")
            started, reply = time.monotonic(), b""
            while len(reply) < 5:
                reply += client.recv(100)
            assert reply == b"AB\nCD"
            assert time.monotonic() - started >= SEGMENT_GAP  # the reply waited between its halves
        assert bytes(server.received) == b"ab\ncd" and server.connections == 1
    finally:
        server.close()


def test_origin_serves_routes_records_raw_requests_and_404s_the_rest() -> None:
    origin = Origin()
    try:
        origin.serve("/a.html", body=b"<p>a</p>")
        answer = fetch(origin.port, b"GET /a.html?x=1 HTTP/1.1\r\nHost: h\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 200 OK\r\nDate: ") and answer.endswith(b"\r\nContent-Length: 8\r\nConnection: close\r\n\r\n<p>a</p>")
        assert fetch(origin.port, b"GET /nope HTTP/1.1\r\nHost: h\r\n\r\n").startswith(b"HTTP/1.1 404 Not Found\r\n")
        first, second = origin.log
        assert first.request.target == "/a.html?x=1" and first.request.header("host") == "h"
        assert first.request.raw == b"GET /a.html?x=1 HTTP/1.1\r\nHost: h\r\n\r\n" and first.response == answer
        assert first.request.malformed is None
        assert origin.hits("/a.html?x=1") == 1 and origin.hits("/a.html") == 0
    finally:
        origin.close()


def test_origin_answers_a_request_h11_rejects_and_says_why() -> None:
    origin = Origin()
    try:
        origin.serve("/a", body=b"a")
        assert fetch(origin.port, b"GET /a HTTP/1.1\n\n").startswith(b"HTTP/1.1 200 OK")
        assert origin.log[0].request.malformed == "Missing mandatory Host: header"
    finally:
        origin.close()


def test_origin_routes_and_counts_absolute_form_targets_by_their_path() -> None:
    origin = Origin()
    try:
        origin.serve("/a", body=b"a")
        assert fetch(origin.port, b"GET http://h:1/a HTTP/1.1\r\nHost: h:1\r\n\r\n").endswith(b"\r\n\r\na")
        assert origin.hits("/a") == 1
    finally:
        origin.close()


def test_origin_answers_conditional_requests_until_the_route_changes() -> None:
    origin = Origin()
    try:
        origin.serve("/v", b"one", headers=(("ETag", '"1"'), ("Last-Modified", "Mon, 02 Feb 2026 10:00:00 GMT")))
        by_tag = fetch(origin.port, b'GET /v HTTP/1.1\r\nHost: h\r\nIf-None-Match: "0", "1"\r\n\r\n')
        by_date = fetch(origin.port, b"GET /v HTTP/1.1\r\nHost: h\r\nIf-Modified-Since: Tue, 03 Feb 2026 10:00:00 GMT\r\n\r\n")
        for answer in (by_tag, by_date):
            assert answer.startswith(b"HTTP/1.1 304 Not Modified\r\n") and b'ETag: "1"' in answer
            assert answer.endswith(b"\r\n\r\n") and b"Content-Length" not in answer
        origin.serve("/v", b"two", headers=(("ETag", '"2"'),))
        assert fetch(origin.port, b'GET /v HTTP/1.1\r\nHost: h\r\nIf-None-Match: "1"\r\n\r\n').endswith(b"\r\n\r\ntwo")
    finally:
        origin.close()


def test_origin_echoes_a_post_body_and_stalls_when_told() -> None:
    origin = Origin()
    try:
        origin.echo("/echo")
        assert fetch(origin.port, b"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nab\r\nc").endswith(b"\r\n\r\nab\r\nc")
        assert origin.log[0].request.body == b"ab\r\nc"
        origin.stall("/never")
        with socket.create_connection((LOOPBACK, origin.port), timeout=0.3) as client:
            client.sendall(b"GET /never HTTP/1.1\r\nHost: h\r\n\r\n")
            try:
                client.recv(100)
                raise AssertionError("the stalled route answered")
            except socket.timeout:
                pass
        assert origin.hits("/never") == 1
    finally:
        origin.close()


def test_a_kept_alive_origin_answers_two_requests_on_one_connection() -> None:
    origin = Origin(keep_alive=True)
    try:
        origin.serve("/a", body=b"a")
        with socket.create_connection((LOOPBACK, origin.port), timeout=2) as client:
            client.sendall(b"GET /a HTTP/1.1\r\nHost: h\r\n\r\n")
            first = client.recv(1000)
            client.sendall(b"GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
            second = b""
            while chunk := client.recv(1000):
                second += chunk
        assert b"Connection: close" not in first and first.endswith(b"\r\n\r\na")
        assert b"Connection: close" in second and origin.hits("/a") == 2
    finally:
        origin.close()


def test_segments_cut_the_head_off_and_the_body_in_parts_never_inside_a_character() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n"
    pieces = Segments(pieces=3).split(head + "aé€b".encode())  # 7 bytes: thirds would cut é and €
    assert pieces == [head, "aé".encode(), "€".encode(), b"b"]
    assert Segments(pieces=3).split(b"no head") == [b"no head"]


def test_a_segmenting_origin_sends_the_head_alone_then_the_body_after_its_pauses() -> None:
    """The first read gets the head only; the whole comes later, the pauses between."""
    origin = Origin(segments=Segments(pieces=3, gap=0.1))
    try:
        origin.serve("/a", body=b"0123456789")
        with socket.create_connection((LOOPBACK, origin.port), timeout=2) as client:
            started = time.monotonic()
            client.sendall(b"GET /a HTTP/1.1\r\nHost: h\r\n\r\n")
            first = client.recv(65536)
            rest = b""
            while chunk := client.recv(65536):
                rest += chunk
        assert first.endswith(b"\r\n\r\n") and rest == b"0123456789"
        assert time.monotonic() - started >= 0.3  # three pauses: head | 012 | 345 | 6789
        assert origin.log[0].response == first + rest
    finally:
        origin.close()


def test_close_is_prompt() -> None:
    started = time.monotonic()
    for fake in (FakeUdpEcho(), FakeTcpEcho(), Origin()):
        fake.close()
    assert time.monotonic() - started < 0.5


def fetch(port: int, request: bytes) -> bytes:
    with socket.create_connection((LOOPBACK, port), timeout=2) as client:
        client.sendall(request)
        data = b""
        while chunk := client.recv(65536):
            data += chunk
    return data


def test_ping_server_follows_its_schedule_and_records_arrivals() -> None:
    from graders.peers.fake_pinger import PingSchedule, PingServer

    server = PingServer(PingSchedule(drop=frozenset({2}), delay={3: 0.2}, twice={1: 0.1}))
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.settimeout(1)
            started = time.monotonic()
            for seq in (1, 2, 3):
                client.sendto(f"Ping {seq} {time.time()}".encode(), (LOOPBACK, server.port))
            replies = []
            while len(replies) < 3:
                replies.append((client.recvfrom(100)[0].split()[1], time.monotonic() - started))
        assert [seq for seq, _ in replies] == [b"1", b"1", b"3"]  # 1 at once and again 0.1 s later; 2 dropped
        assert replies[2][1] >= 0.2
        assert [ping.seq for ping in server.pings] == [1, 2, 3]
        assert server.reply_to(3) == server.pings[2].data.upper()
    finally:
        server.close()


def test_ping_server_schedule_follows_the_order_of_arrival_not_the_numbers() -> None:
    """A pinger numbering from 0 meets the same scenario: its 2nd datagram is the one dropped."""
    from graders.peers.fake_pinger import PingSchedule, PingServer

    server = PingServer(PingSchedule(drop=frozenset({2}), delay={3: 0.2}))
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.settimeout(1)
            for message in (b"Ping 0 1.5", b"Ping 1 2.5", b"no number at all"):
                client.sendto(message, (LOOPBACK, server.port))
            replies = [client.recvfrom(100)[0] for _ in range(2)]
        assert replies == [b"PING 0 1.5", b"NO NUMBER AT ALL"]
        assert [ping.seq for ping in server.pings] == [0, 1, None]
        held = server.held(3)
        assert held is not None and held >= 0.2
        assert server.held(2) is None  # dropped
    finally:
        server.close()


def test_ping_server_sees_a_pingers_delays_in_the_times_its_pings_carry() -> None:
    """From the t in a ping to its arrival, and from a reply leaving to the t of the next ping: a
    pinger stamped 50 ms before sending ping 1, and 70 ms after reply 1 left (as a busy machine
    would have it), without sleeping."""
    from graders.peers.fake_pinger import PingSchedule, PingServer

    server = PingServer(PingSchedule())
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.settimeout(1)
            client.sendto(f"Ping 1 {time.time() - 0.05}".encode(), (LOOPBACK, server.port))
            client.recvfrom(100)
            client.sendto(f"Ping 2 {time.time() + 0.07}".encode(), (LOOPBACK, server.port))
            client.sendto(b"Ping 3 no-time", (LOOPBACK, server.port))
            client.recvfrom(100)
            client.recvfrom(100)
        sending, stamping = server.sending_delays(), server.stamping_delays()
        assert sorted(sending) == [1, 2] and 0.05 <= sending[1] < 0.1
        assert sorted(stamping) == [1] and 0.07 <= stamping[1] < 0.1
    finally:
        server.close()


def test_ping_server_dropping_all_answers_nothing_whatever_arrives() -> None:
    from graders.peers.fake_pinger import PingSchedule, PingServer

    server = PingServer(PingSchedule(drop_all=True))
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.settimeout(0.3)
            for message in [f"Ping {seq} {time.time()}".encode() for seq in range(1, 12)] + [b"hello", b""]:
                client.sendto(message, (LOOPBACK, server.port))
            try:
                answer: bytes | None = client.recvfrom(100)[0]
            except TimeoutError:
                answer = None
        assert answer is None
        assert len(server.pings) == 13 and server.replies == []
    finally:
        server.close()


def test_mail_server_records_session_wire_and_message() -> None:
    from graders.peers.fake_smtp import MailMode, MailServer

    server = MailServer(MailMode())
    try:
        with socket.create_connection((LOOPBACK, server.port), timeout=5) as client:
            reader = client.makefile("rb")
            assert reader.readline().startswith(b"220 ")
            client.sendall(b"EHLO me\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n")  # a bare LF, which aiosmtpd takes
            while not reader.readline().startswith(b"354"):
                pass
            client.sendall(b"Subject: s\r\n\r\n..dot\r\n.\r\nQUIT\r\n")
            while not reader.readline().startswith(b"221"):
                pass
        (mail,) = server.records.mails
        assert (mail.mail_from, mail.rcpt_tos, mail.content) == ("a@x", ["b@y"], b"Subject: s\r\n\r\n.dot\r\n")
        assert server.records.session.sent_by("C").startswith(b"EHLO me\nMAIL FROM:<a@x>\r\n")  # as sent, LF and all
        assert server.records.wire.turns[0].who == "S"  # the greeting, then the client
    finally:
        server.close()


def test_mail_server_starttls_with_the_session_ca(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from graders.peers.certificates import make_certificates
    from graders.peers.fake_smtp import MailMode, MailServer

    certificates = make_certificates(tmp_path)
    server = MailServer(MailMode(tls=certificates.trusted, require_starttls=True, reject_rcpt=True, credentials=("student", "s3cret")))
    try:
        with socket.create_connection((LOOPBACK, server.port), timeout=5) as raw:
            reader = raw.makefile("rb")
            reader.readline()
            raw.sendall(b"EHLO me\r\nSTARTTLS\r\n")
            while not reader.readline().startswith(b"220 "):
                pass
            context = ssl.create_default_context(cafile=str(certificates.ca_file))
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                tls_reader = tls.makefile("rb")
                tls.sendall(b"EHLO me\r\nAUTH PLAIN AHN0dWRlbnQAczNjcmV0\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n")
                replies = [tls_reader.readline() for _ in range(8)]
        assert any(line.startswith(b"235") for line in replies)  # student / s3cret, the mode's credentials
        assert replies[-1].startswith(b"550")  # RCPT rejected, as the mode says
        assert server.records.auth == [("PLAIN", "student", True)]
        client_wire = b"".join(bytes(t.data) for t in server.records.wire.turns if t.who == "C" and t.data)
        assert b"AUTH" not in client_wire  # encrypted on the wire, read in the session
        assert b"AUTH PLAIN" in server.records.session.sent_by("C")
    finally:
        server.close()


def _starttls(port: int, context: ssl.SSLContext) -> ssl.SSLSocket:
    """A client at ``port`` past EHLO and STARTTLS, wrapped in TLS with ``context``."""
    raw = socket.create_connection((LOOPBACK, port), timeout=5)
    reader = raw.makefile("rb")
    reader.readline()
    raw.sendall(b"EHLO me\r\nSTARTTLS\r\n")
    while not reader.readline().startswith(b"220 "):
        pass
    try:
        return context.wrap_socket(raw, server_hostname="127.0.0.1")
    except ssl.SSLError:
        raw.close()
        raise


def _auth_reply(port: int, context: ssl.SSLContext, login: bytes, password: bytes) -> bytes:
    """The server's reply to AUTH PLAIN with these credentials, inside TLS."""
    with _starttls(port, context) as tls:
        reader = tls.makefile("rb")
        tls.sendall(b"EHLO me\r\nAUTH PLAIN " + base64.b64encode(b"\0" + login + b"\0" + password) + b"\r\n")
        while (line := reader.readline()).startswith(b"250"):
            pass
        return line


def test_mail_server_accepts_any_credentials_unless_its_mode_names_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The core servers take a client's own credentials; AUTH PLAIN's line may be as long as Exim's 16 KiB."""
    from graders.peers.certificates import make_certificates
    from graders.peers.fake_smtp import COMMAND_LIMIT, MailMode, MailServer

    certificates = make_certificates(tmp_path)
    client = certificates.client_context()
    anyone = MailServer(MailMode(tls=certificates.trusted))
    named = MailServer(MailMode(tls=certificates.trusted, credentials=("student", "s3cret")))
    long_password = b"p" * (COMMAND_LIMIT * 3 // 4 - 40)  # its AUTH PLAIN line: just under the limit
    try:
        assert _auth_reply(anyone.port, client, b"someone", b"else").startswith(b"235")
        assert _auth_reply(anyone.port, client, b"someone", long_password).startswith(b"235")
        assert _auth_reply(named.port, client, b"someone", b"else").startswith(b"535")
        assert _auth_reply(named.port, client, b"student", b"s3cret").startswith(b"235")
    finally:
        anyone.close()
        named.close()
    assert [accepted for _, _, accepted in named.records.auth] == [False, True]


def test_mail_server_takes_a_message_line_of_megabytes() -> None:
    """aiosmtpd's own limit (1001 bytes) would answer 500: real servers take base64 in one line."""
    from graders.peers.fake_smtp import MailMode, MailServer

    line = base64.b64encode(bytes(range(256)) * 4096)  # 1.4 MB, one line
    server = MailServer(MailMode())
    try:
        with socket.create_connection((LOOPBACK, server.port), timeout=5) as client:
            reader = client.makefile("rb")
            client.sendall(b"EHLO me\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n")
            while not reader.readline().startswith(b"354"):
                pass
            client.sendall(b"Subject: s\r\n\r\n" + line + b"\r\n.\r\nQUIT\r\n")
            assert reader.readline().startswith(b"250")
            assert reader.readline().startswith(b"221")
    finally:
        server.close()
    assert server.records.mails[0].content == b"Subject: s\r\n\r\n" + line + b"\r\n"


def _mail_each(port: int, messages: list[bytes]) -> list[bytes]:
    """Send each message (ended by its lone dot) in one session, all at once; the server's reply to each."""
    session = b"".join(b"MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n" + message for message in messages)
    with socket.create_connection((LOOPBACK, port), timeout=5) as client:
        reader = client.makefile("rb")
        client.sendall(b"EHLO me\r\n" + session + b"QUIT\r\n")
        lines = list(iter(reader.readline, b""))
    return [after for line, after in itertools.pairwise(lines) if line.startswith(b"354")]


MESSAGES = [
    b"Subject: s\r\n\r\n..dot\r\n.\r\n",
    b".\r\n",  # empty
    b".leading\r\nends in a dot.\r\n...\r\n..\r\n.\r\n",
    b"a bare LF\n.\nis no end\r\n.\r\n",
    b"\r\n\r\n.\r\n",
]


def test_mail_server_reads_a_message_as_aiosmtpd_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake reads DATA in bulk; aiosmtpd's own reader, a line at a time, keeps the same bytes."""
    from aiosmtpd.smtp import SMTP

    from graders.peers import fake_smtp

    pieces = [b".", b"a", b"\r\n", b"\n", b"\r", b"..", b"\r\n."]
    rng = random.Random(7)
    randoms = [b"".join(rng.choice(pieces) for _ in range(rng.randrange(1, 40))) for _ in range(200)]
    messages = MESSAGES + [m + b"\r\n.\r\n" for m in randoms if b"\r\n.\r\n" not in b"\r\n" + m + b"\r\n"]

    class LineByLine(fake_smtp.RecordingSMTP):
        smtp_DATA = SMTP.smtp_DATA

    kept = {}
    for name in ("bulk", "aiosmtpd"):
        if name == "aiosmtpd":
            monkeypatch.setattr(fake_smtp, "RecordingSMTP", LineByLine)
        server = fake_smtp.MailServer(fake_smtp.MailMode())
        try:
            replies = _mail_each(server.port, messages)
        finally:
            server.close()
        assert all(reply.startswith(b"250") for reply in replies)
        kept[name] = [mail.content for mail in server.records.mails]
    assert kept["bulk"] == kept["aiosmtpd"]
    assert kept["bulk"][:3] == [b"Subject: s\r\n\r\n.dot\r\n", b"", b"leading\r\nends in a dot.\r\n..\r\n.\r\n"]


def test_mail_server_refuses_a_message_over_its_limit_and_takes_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    """552 once an oversized message has ended, nothing of it kept; the session goes on. The reader's
    own limit is small too, so the oversized message also arrives in pieces with no end mark."""
    from graders.peers import fake_smtp

    monkeypatch.setattr(fake_smtp, "MESSAGE_LIMIT", 1000)
    monkeypatch.setattr(fake_smtp.RecordingSMTP, "line_length_limit", 1000)
    server = fake_smtp.MailServer(fake_smtp.MailMode())
    try:
        replies = _mail_each(server.port, [b"x" * 5000 + b"\r\n.\r\n", b"small\r\n.\r\n"])
    finally:
        server.close()
    assert [reply[:3] for reply in replies] == [b"552", b"250"]
    assert [mail.content for mail in server.records.mails] == [b"small\r\n"]


def test_mail_server_records_a_completed_handshake_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The session says whether the client accepted the certificate: a verifying client facing a
    stranger's CA ends the handshake with an alert, and the event never comes."""
    from graders.peers.certificates import make_certificates
    from graders.peers.fake_smtp import HANDSHAKE_DONE, MailMode, MailServer

    certificates = make_certificates(tmp_path)
    trusting = ssl.create_default_context()
    trusting.check_hostname, trusting.verify_mode = False, ssl.CERT_NONE
    events = []
    for context in (certificates.client_context(), trusting):
        server = MailServer(MailMode(tls=certificates.untrusted, require_starttls=True))
        try:
            with _starttls(server.port, context) as tls:
                tls.sendall(b"EHLO me\r\n")
                tls.recv(100)
        except ssl.SSLCertVerificationError:
            pass
        finally:
            server.close()
        events.append([turn.note for turn in server.records.session.turns if turn.note == HANDSHAKE_DONE])
    assert events == [[], [HANDSHAKE_DONE]]


class SlowReader(ThreadedUdpServer):
    """Busy with each datagram for 0.2 s: as a grading process busy elsewhere is slow to read."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []
        super().__init__()

    def handle(self, data: bytes, peer: tuple[str, int], arrived: Arrival) -> None:
        self.arrivals.append(arrived.monotonic)
        time.sleep(0.2)  # the busy reader itself, not a wait for something


@pytest.mark.skipif(STAMPS is None, reason="the kernel stamps datagrams on Linux only")
def test_a_datagram_is_timed_when_it_arrived_not_when_it_was_read() -> None:
    """The RTT and interval checks compare against the server's times: a reader busy with the
    previous datagram must not shift them."""
    server = SlowReader()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            sent = []
            for _ in range(2):
                sent.append(time.monotonic())
                client.sendto(b"x", (LOOPBACK, server.port))
                time.sleep(0.02)  # the spacing under test
            deadline = time.monotonic() + 2
            while len(server.arrivals) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
    finally:
        server.close()
    assert len(server.arrivals) == 2
    gap = server.arrivals[1] - server.arrivals[0]
    assert abs(gap - (sent[1] - sent[0])) < 0.01, f"arrivals {gap:.3f} s apart, sent {sent[1] - sent[0]:.3f} s apart"


def test_a_udp_server_closed_at_once_still_hears_every_datagram_already_sent() -> None:
    """A pinger that sends its ten pings in a millisecond and exits: the server is closed as soon as
    it has ended, and must still have every datagram, not only those its thread got to."""
    server = SlowReader()  # busy 0.2 s with each datagram it takes
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        for k in range(5):
            client.sendto(f"Ping {k}".encode(), (LOOPBACK, server.port))
    server.close()
    assert len(server.arrivals) == 5


def test_a_udp_reset_as_windows_reports_it_does_not_end_the_fake_servers_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows reports a reply sent to a peer that is gone (its ICMP port unreachable) at the next
    recvfrom, as ConnectionResetError (WSAECONNRESET): simulated once here, the server goes on."""
    real = threaded_server.receive
    resets = [ConnectionResetError(10054, "An existing connection was forcibly closed by the remote host")]

    def as_on_windows(sock: socket.socket) -> tuple[bytes, tuple[str, int], Arrival]:
        if resets:
            raise resets.pop()
        return real(sock)

    monkeypatch.setattr(threaded_server, "receive", as_on_windows)
    server = FakeUdpEcho()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.settimeout(2)
            client.sendto(b"lost", (LOOPBACK, server.port))  # its reading meets the reset
            client.sendto(b"after", (LOOPBACK, server.port))
            replies = {client.recvfrom(100)[0]}
            if b"AFTER" not in replies:
                replies.add(client.recvfrom(100)[0])
    finally:
        server.close()
    assert not resets and b"AFTER" in replies


def test_mail_server_says_nothing_after_it_hung_up_on_a_tls_client(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """aiosmtpd hangs up on a client after too many unrecognized commands, then reads on what the
    client had already sent; over TLS its next reply fails (AttributeError: '_write_appdata') and it
    answers that with `500 Error: (AttributeError) ...`: a fault of ours, in the session a student reads."""
    from graders.peers.certificates import make_certificates
    from graders.peers.fake_smtp import MailMode, MailServer

    certificates = make_certificates(tmp_path)
    server = MailServer(MailMode(tls=certificates.trusted))
    try:
        context = ssl.create_default_context(cafile=str(certificates.ca_file))
        with _starttls(server.port, context) as tls:
            tls.sendall(b"EHLO me\r\n" + b"BOGUS\r\n" * 12 + b"NOOP\r\nMAIL FROM:<a@x>\r\nQUIT\r\n")
            reader = tls.makefile("rb")
            while reader.readline():
                pass
        session = server.records.session.sent_by("S")
        assert b"502" in session
        assert session.rstrip().endswith(b"goodbye."), session[-300:]
    finally:
        server.close()
