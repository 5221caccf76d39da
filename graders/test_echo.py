"""Lab `echo`: the warm-up, UDP and TCP uppercase servers and their clients (LABS.md)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import pytest

from graders.harness.launcher import Launcher
from graders.harness.programs import Program
from graders.peers.clients import TcpClient, UdpClient
from graders.peers.fake_echo import SEGMENT_GAP, FakeTcpEcho, FakeUdpEcho
from graders.vocabulary.checks import lab, points
from graders.vocabulary.failures import expect
from graders.vocabulary.wire import Transcript

pytestmark = lab("echo")

ANSWER_WITHIN = 1.0  # "at once" (LABS.md)
CLIENT_WITHIN = 5.0  # a client given three lines has this long to finish
LINES = ["hello world", "Mixed Case 42", "the last line, with punctuation!"]
STDIN = "".join(line + "\n" for line in LINES).encode()
REPLIES = [line.upper() for line in LINES]


# --- udp_server.py -------------------------------------------------------------


@pytest.fixture
def udp_server_port(launcher: Launcher) -> int:
    _, port = launcher.serve("udp_server.py", "udp")
    return port


@points(3)
def test_udp_server_uppercases_each_datagram(udp_server_port: int) -> None:
    """udp_server.py replies to every datagram with the same text uppercased, to the sender."""
    with UdpClient(udp_server_port) as client:
        for line in LINES:
            client.send(line.encode())
            reply = client.reply(ANSWER_WITHIN)
            expect(
                reply == line.upper().encode(),
                expected=f"the reply {line.upper()!r} within {ANSWER_WITHIN:g} s",
                got="no reply" if reply is None else f"the reply {reply!r}",
                wire=client.transcript,
            )


@points(2)
def test_udp_server_survives_a_datagram_that_is_not_utf8(udp_server_port: int) -> None:
    """A datagram that is not UTF-8 does not stop udp_server.py."""
    with UdpClient(udp_server_port) as client:
        client.send(b"\xff\xfe not utf-8 \xc3\x28")
        client.reply(0.2)  # any answer to it is fine, and so is none
        client.send(b"still there?")
        reply = client.reply(ANSWER_WITHIN)
        expect(
            reply is not None and reply.upper() == b"STILL THERE?",  # its case is another check's
            expected=f"a reply (b'STILL THERE?') to the datagram after it, within {ANSWER_WITHIN:g} s",
            got="no reply" if reply is None else f"the reply {reply!r}",
            wire=client.transcript,
        )


# --- udp_client.py -------------------------------------------------------------


@pytest.fixture(scope="module")
def udp_client_run(module_launcher: Launcher) -> ClientRun:
    """One run of udp_client.py against the graders' server, read by three checks."""
    with module_launcher.network():
        server = FakeUdpEcho(port=module_launcher.peer_port("udp_client.py"))
        try:
            program = module_launcher.run("udp_client.py", "127.0.0.1", str(server.port), stdin=STDIN, within=CLIENT_WITHIN, port=server.port,
                                         peer=server)
        finally:
            server.close()
    return ClientRun(program, server.transcript, server.datagrams)


@points(2)
def test_udp_client_sends_each_line_as_one_datagram(udp_client_run: ClientRun) -> None:
    """udp_client.py sends each line of stdin, without its line ending, as one datagram."""
    wanted = [line.encode() for line in LINES]
    expect(
        udp_client_run.received == wanted,
        expected=f"the datagrams {wanted}",
        got=f"the datagrams {udp_client_run.received}" + udp_client_run.exit_if_silent(),
        wire=udp_client_run.transcript,
    )


@points(2)
def test_udp_client_prints_each_reply_on_one_line(udp_client_run: ClientRun) -> None:
    """udp_client.py prints the reply to each line on one line, exactly as received."""
    expect_printed_replies(udp_client_run)


@points(1)
def test_udp_client_exits_0_at_eof(udp_client_run: ClientRun) -> None:
    """udp_client.py exits 0 at the end of its input."""
    expect_exit_0(udp_client_run)


# --- tcp_server.py -------------------------------------------------------------


@pytest.fixture
def tcp_server_port(launcher: Launcher) -> int:
    _, port = launcher.serve("tcp_server.py", "tcp")
    return port


@points(2)
def test_tcp_server_uppercases_a_message(tcp_server_port: int) -> None:
    """tcp_server.py sends back the uppercase of what it receives."""
    expect_uppercased(tcp_server_port, [b"Hello TCP, mixed Case 42\n"], case_matters=True)


@points(2)
def test_tcp_server_replies_however_the_stream_is_segmented(tcp_server_port: int) -> None:
    """tcp_server.py sends back the uppercase of everything it receives, however it arrives
    in segments, until the client closes."""
    expect_uppercased(tcp_server_port, [b"seg", b"mented stre", b"am\nand a second ", b"line\n", b"x" * 5000 + b"\n"])


@points(2)
def test_tcp_server_accepts_connections_one_after_another(tcp_server_port: int) -> None:
    """tcp_server.py accepts connections one after another."""
    transcript = Transcript()
    for n in (1, 2, 3):
        transcript.event(f"connection {n}")
        expect_uppercased(tcp_server_port, [f"connection number {n}\n".encode()], transcript=transcript)


# --- tcp_client.py -------------------------------------------------------------


def run_tcp_client(launcher: Launcher, split_replies: bool) -> ClientRun:
    with launcher.network():
        server = FakeTcpEcho(split_replies=split_replies, port=launcher.peer_port("tcp_client.py"))
        try:
            program = launcher.run("tcp_client.py", "127.0.0.1", str(server.port), stdin=STDIN, within=CLIENT_WITHIN, port=server.port,
                                  peer=server)
        finally:
            server.close()
    return ClientRun(program, server.transcript, [bytes(server.received)], server.connections)


@pytest.fixture(scope="module")
def tcp_client_run(module_launcher: Launcher) -> ClientRun:
    """One run of tcp_client.py against the graders' server, read by three checks."""
    return run_tcp_client(module_launcher, split_replies=False)


@points(2)
def test_tcp_client_sends_each_line_with_newline_on_one_connection(tcp_client_run: ClientRun) -> None:
    """tcp_client.py opens one connection and sends each line of stdin with `\\n`."""
    wanted = STDIN
    got = tcp_client_run.received[0]
    expect(
        tcp_client_run.connections == 1 and got == wanted,
        expected=f"one connection carrying {wanted!r}",
        got=f"{tcp_client_run.connections} connection(s) carrying {got!r}" + tcp_client_run.exit_if_silent(),
        wire=tcp_client_run.transcript,
    )


@points(2)
def test_tcp_client_prints_each_reply_line(tcp_client_run: ClientRun) -> None:
    """tcp_client.py reads the reply line to each line it sent and prints it."""
    expect_printed_replies(tcp_client_run)


@points(2)
def test_tcp_client_reads_a_reply_line_split_across_segments(launcher: Launcher) -> None:
    """tcp_client.py reads the whole reply line, however the server's segments split it."""
    expect_printed_replies(run_tcp_client(launcher, split_replies=True))


@points(1)
def test_tcp_client_exits_0_at_eof(tcp_client_run: ClientRun) -> None:
    """tcp_client.py exits 0 at the end of its input."""
    expect_exit_0(tcp_client_run)


# --- what the checks share -----------------------------------------------------


@dataclass
class ClientRun:
    """A client program's finished run and what the graders' server saw of it."""

    program: Program
    transcript: Transcript
    received: list[bytes]
    connections: int = 0

    def exit_if_silent(self) -> str:
        """How the program ended, when it sent nothing: most often, it crashed."""
        return "" if any(self.received) else f"; {self.program.describe_exit()}"


def printed_replies(stdout_lines: list[str]) -> list[str]:
    """The reply lines in order, each stripped of a prompt printed before it.

    The textbook's clients call ``input("Input lowercase sentence:")``, which
    writes its prompt to stdout without a line end; a reply after a prompt
    (text ending in ``:``, ``>`` or ``?``) counts as the reply alone.
    """
    found = []
    for line in stdout_lines:
        for reply in REPLIES:
            if line == reply or (line.endswith(reply) and PROMPT.search(line[: -len(reply)])):
                found.append(reply)
                break
    return found


PROMPT = re.compile(r"[:>?]\s*$")


def expect_printed_replies(run: ClientRun) -> None:
    printed = printed_replies(run.program.stdout.lines())
    expect(
        printed == REPLIES,
        expected=f"the lines {REPLIES} on stdout, in that order, case as received",
        got=run.program.describe_output(),
        wire=run.transcript,
    )


def expect_exit_0(run: ClientRun) -> None:
    """Exit 0 at the end of the input, once it has said something: an exit counts only for a
    client that ran its exchange (a stub that reads its input and exits 0 did not)."""
    status = run.program.exit_status
    expect(
        status == 0 and any(run.received),
        expected=f"the lines sent, then exit status 0 within {CLIENT_WITHIN:g} s of its input's end",
        got=run.program.describe_exit() + ("" if any(run.received) else ", having sent nothing to the server"),
        wire=run.transcript,
    )


def expect_uppercased(port: int, segments: list[bytes], case_matters: bool = False, transcript: Transcript | None = None) -> None:
    """Send the segments on one connection; the reply must be their uppercase, whole.

    Only the uppercase check holds the reply's case against it: a server that
    does not uppercase loses that check, not every check that reads a reply.
    """
    wanted = b"".join(segments).upper()
    with TcpClient(port, transcript) as client:
        for i, segment in enumerate(segments):
            if i:
                time.sleep(SEGMENT_GAP)  # a scheduled gap, so the segments stay apart
            client.send(segment)
        reply = client.receive_exactly(len(wanted), ANSWER_WITHIN)
        expect(
            reply == wanted if case_matters else reply.upper() == wanted,
            expected=f"{len(wanted)} bytes back, the uppercase of what was sent, within {ANSWER_WITHIN:g} s",
            got=f"{len(reply)} bytes: {reply[:80]!r}" + ("..." if len(reply) > 80 else ""),
            wire=client.transcript,
        )
