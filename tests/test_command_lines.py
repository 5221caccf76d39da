"""Choosing among a course's command lines (harness/command_lines.py), on tiny programs and a real
fake peer: the first command line a program gets going under is used, chosen once per grading, and
one that gets going under none says what each did."""

from __future__ import annotations

import socket
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from graders.harness.command_lines import CommandLines, reaching
from graders.harness.launcher import listening
from graders.harness.programs import Program
from graders.network.ports import LOOPBACK, free_port
from graders.peers.arrivals import Arrival
from graders.peers.fake_echo import FakeUdpEcho
from graders.peers.threaded_server import ThreadedUdpServer
from graders.vocabulary.failures import CheckFailed

PORT_ONLY = """\
import socket, sys
port = int(sys.argv[1])  # `PORT` alone: a host first is a ValueError, none an IndexError
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.sendto(b"hello", ("127.0.0.1", port))
"""
NEEDS_THREE = """\
import sys
host, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
"""
ARGPARSE_SERVER = """\
import argparse, socket
parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
port = parser.parse_args().port
server = socket.create_server(("127.0.0.1", port))
server.accept()
"""


class Launches:
    """Starts a script under each command line it is given, counting them; stops them all at the end."""

    def __init__(self, script: Path) -> None:
        self.script = script
        self.started: list[Program] = []

    def __call__(self, command: list[str]) -> Program:
        workdir = self.script.parent / f"run-{len(self.started)}"
        workdir.mkdir()
        program = Program(self.script, command, workdir)
        self.started.append(program)
        return program


@pytest.fixture
def peer() -> Iterator[FakeUdpEcho]:
    server = FakeUdpEcho()
    yield server
    server.close()


def launches(tmp_path: Path, source: str) -> Iterator[Launches]:
    script = tmp_path / "UDPClient.py"
    script.write_text(textwrap.dedent(source))
    started = Launches(script)
    yield started
    for program in started.started:
        program.stop()


@pytest.fixture
def port_only(tmp_path: Path) -> Iterator[Launches]:
    yield from launches(tmp_path, PORT_ONLY)


@pytest.fixture
def needs_three(tmp_path: Path) -> Iterator[Launches]:
    yield from launches(tmp_path, NEEDS_THREE)


def test_the_first_command_line_a_client_reaches_its_peer_under_is_used_and_kept(port_only: Launches, peer: FakeUdpEcho) -> None:
    """A client taking `PORT` fails under `HOST PORT`, reaches its peer under `PORT`; the next start
    of it in the grading runs under `PORT` at once, with no trial."""
    commands = [[LOOPBACK, str(peer.port)], [str(peer.port)], []]
    choices = CommandLines()
    first = choices.start("udp_client.py", commands, port_only, reaching(peer))
    assert first.args == [str(peer.port)] and len(port_only.started) == 2
    assert first.chosen == ("udp_client.py", 2, 3)
    again = choices.start("udp_client.py", commands, port_only, reaching(peer))
    assert again.args == [str(peer.port)] and len(port_only.started) == 3, "the choice was tried again, not kept"
    assert again.chosen == ("udp_client.py", 2, 3)


def test_a_program_that_gets_going_under_none_says_what_each_did_and_is_not_tried_again(needs_three: Launches, peer: FakeUdpEcho) -> None:
    commands = [[LOOPBACK, str(peer.port)], ["--port", str(peer.port)], []]
    choices = CommandLines()
    with pytest.raises(CheckFailed) as refused:
        choices.start("udp_client.py", commands, needs_three, reaching(peer))
    assert refused.value.expected.startswith("`udp_client.py` to get going under one of the course's 3 command lines")
    assert refused.value.got.splitlines() == [
        "it got going under none:",
        f"  1. `python UDPClient.py {LOOPBACK} {peer.port}`: exit status 1: `IndexError: list index out of range`",
        f"  2. `python UDPClient.py --port {peer.port}`: exit status 1: `IndexError: list index out of range`",
        "  3. `python UDPClient.py`: exit status 1: `IndexError: list index out of range`",
    ]
    with pytest.raises(CheckFailed, match="got going under none"):
        choices.start("udp_client.py", commands, needs_three, reaching(peer))
    assert len(needs_three.started) == 3, "a later check tried the command lines again"


def test_a_server_gets_going_once_it_listens_where_expected(tmp_path: Path) -> None:
    """argparse's exit 2 on a positional port is not getting going; `--port P` is."""
    script = tmp_path / "TCPServer.py"
    script.write_text(ARGPARSE_SERVER)
    started = Launches(script)
    port = free_port("tcp")
    try:
        server = CommandLines().start("tcp_server.py", [[str(port)], ["--port", str(port)]], started, listening(port, "tcp", told=True))
        assert server.args == ["--port", str(port)] and server.chosen == ("tcp_server.py", 2, 2)
    finally:
        for program in started.started:
            program.stop()


class Stalled(ThreadedUdpServer):
    """A peer whose thread takes one datagram, then stalls in it: the next waits in its socket."""

    def __init__(self) -> None:
        self.release = threading.Event()
        super().__init__()

    def handle(self, data: bytes, peer: tuple[str, int], arrived: Arrival) -> None:
        self.release.wait(10)


def test_a_datagram_still_in_the_peers_socket_counts_as_heard() -> None:
    """A client that sent and exited is heard, however far behind the peer's thread is."""
    stalled = Stalled()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.sendto(b"first", (LOOPBACK, stalled.port))
            deadline = time.monotonic() + 5
            while stalled.contacts == 0 and time.monotonic() < deadline:  # until the thread took it, and stalls in it
                time.sleep(0.005)
            assert not stalled.heard_since(1)
            client.sendto(b"second", (LOOPBACK, stalled.port))
            assert stalled.heard_since(1) and stalled.contacts == 1
    finally:
        stalled.release.set()
        stalled.close()
