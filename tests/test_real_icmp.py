"""The graders' ICMP host against real clients, and the reference against a real stack.

The system's ``ping`` (iputils) and ``traceroute -I`` read the fake host's answers as a real
network's: its replies, delays and losses, its errors, its route of hops. The reference
``icmp_pinger.py`` and ``traceroute.py`` read the kernel's own echo replies. Each runs in a
network namespace of its own, made in this process: as root (as CI runs these tests); a user's
grading of the labs is ``tests/test_unprivileged.py``'s.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import time

import pytest

from graders.network import netns
from graders.peers import icmp_packets as icmp
from graders.peers.fake_icmp import ECHO_IGNORE_ALL, REPLY, UNREACHABLE, Answer, EchoSchedule, IcmpHost, Route
from tests.grading import REFERENCE
from tests.test_lateness import summed_in

WITHIN = 30  # seconds for one client's run
NO_NAMESPACES = (
    "network namespaces exist on Linux only" if sys.platform != "linux"
    else "not root: the fake host is made in this process's own namespaces" if os.geteuid() != 0
    else netns.refused_to_a_grading()
)  # fmt: skip
pytestmark = pytest.mark.skipif(NO_NAMESPACES is not None, reason=f"no network namespace here: {NO_NAMESPACES}")
PING, TRACEROUTE = shutil.which("ping"), shutil.which("traceroute")
needs_ping = pytest.mark.skipif(PING is None, reason="no `ping` here (iputils-ping; .ci/run installs it as root)")
needs_traceroute = pytest.mark.skipif(TRACEROUTE is None, reason="no `traceroute` here (.ci/run installs it as root)")


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=WITHIN, check=False)


def rtt_of(output: str, seq: int) -> float | None:
    """The RTT ``ping`` printed for ``seq``, in ms."""
    found = re.search(rf"icmp_seq={seq} .*time=([\d.]+) ms", output)
    return float(found.group(1)) if found else None


@needs_ping
def test_the_system_ping_reads_the_fakes_replies_delays_and_losses() -> None:
    schedule = EchoSchedule({2: (), 3: (Answer(REPLY, 0.2),)})
    with netns.fresh():
        host = IcmpHost(schedule)
        try:
            done = run(PING, "-n", "-c", "4", "-i", "0.5", "-W", "1", "127.0.0.5")  # type: ignore[arg-type]
        finally:
            host.close()
    assert [rtt_of(done.stdout, seq) is not None for seq in (1, 2, 3, 4)] == [True, False, True, True], done.stdout + done.stderr
    assert 170 <= (rtt_of(done.stdout, 3) or 0) <= 400, done.stdout
    assert "4 packets transmitted, 3 received" in done.stdout and "25% packet loss" in done.stdout, done.stdout


@needs_ping
def test_the_system_ping_reads_the_fakes_destination_unreachable() -> None:
    """The error quotes the request as the kernel wants it: ping's socket is told, and ping names it."""
    with netns.fresh():
        host = IcmpHost(EchoSchedule({1: (Answer(UNREACHABLE, 0.01, code=1, source="127.0.0.11"),)}))
        try:
            done = run(PING, "-n", "-c", "1", "-W", "1", "127.0.0.5")  # type: ignore[arg-type]
        finally:
            host.close()
    assert re.search(r"From 127\.0\.0\.11 icmp_seq=1 Destination Host Unreachable", done.stdout), done.stdout + done.stderr


@needs_traceroute
def test_traceroute_dash_i_follows_the_fakes_route() -> None:
    route = Route(hops=("127.0.0.11", "127.0.0.12", None), delays={1: 0.05, 4: 0.1})
    with netns.fresh():
        host = IcmpHost(route)
        try:
            done = run(TRACEROUTE, "-I", "-n", "-w", "0.5", "-q", "2", "-m", "8", "127.0.0.20")  # type: ignore[arg-type]
        finally:
            host.close()
    hops = {int(line.split()[0]): line.split()[1:] for line in done.stdout.splitlines()[1:] if line.split()}
    assert sorted(hops) == [1, 2, 3, 4], done.stdout + done.stderr  # it stopped at the destination
    assert (hops[1][0], hops[2][0], hops[3], hops[4][0]) == ("127.0.0.11", "127.0.0.12", ["*", "*"], "127.0.0.20"), done.stdout
    assert 40 <= float(hops[1][1]) <= 150, done.stdout


def test_the_reference_pinger_reads_the_kernels_own_echo_replies() -> None:
    with netns.fresh():
        done = run(sys.executable, str(REFERENCE / "icmp_pinger.py"), "127.0.0.1", "--count", "3")
    replies = [line for line in done.stdout.splitlines() if re.match(r"Reply from 127\.0\.0\.1: icmp_seq=\d ttl=64 time=[\d.]+ ms$", line)]
    assert len(replies) == 3 and "0% packet loss" in done.stdout and done.returncode == 0, done.stdout + done.stderr


def test_the_reference_traceroute_reaches_the_kernel_in_one_hop() -> None:
    with netns.fresh():
        done = run(sys.executable, str(REFERENCE / "traceroute.py"), "127.0.0.1", "--max-hops", "3")
    assert re.search(r"^ 1  127\.0\.0\.1  [\d.]+ ms  [\d.]+ ms  [\d.]+ ms$", done.stdout, re.MULTILINE), done.stdout + done.stderr
    assert not re.search(r"^ 2 ", done.stdout, re.MULTILINE) and done.returncode == 0, done.stdout


def test_the_fake_host_silences_the_kernels_echo_replies_in_its_namespace_only() -> None:
    """A request the schedule drops gets no answer from the kernel either (the namespace's
    ``icmp_echo_ignore_all``), and the namespace the tests run in keeps its own setting."""
    before = ECHO_IGNORE_ALL.read_text()
    with netns.fresh():
        host = IcmpHost(EchoSchedule(default=()))
        try:
            done = run(sys.executable, str(REFERENCE / "icmp_pinger.py"), "127.0.0.1", "--count", "2", "--timeout", "0.5")
        finally:
            host.close()
    assert done.stdout.count("Request timed out.") == 2 and "100% packet loss" in done.stdout, done.stdout + done.stderr
    assert len(host.probes) == 2 and ECHO_IGNORE_ALL.read_text() == before


def test_a_probe_and_its_reply_are_recorded_decoded() -> None:
    """Every packet both ways in the transcript: type, code, identifier, sequence, checksum, TTL."""
    with netns.fresh():
        host = IcmpHost(EchoSchedule({1: (Answer(REPLY, 0.0),)}))
        try:
            run(sys.executable, str(REFERENCE / "icmp_pinger.py"), "127.0.0.1", "--count", "1")
        finally:
            host.close()
    shown = host.transcript.render()
    assert re.search(r"^C: 127\.0\.0\.1 > 127\.0\.0\.1: echo request, id=0x[0-9a-f]{4} seq=1, checksum right, ttl=64, 16 bytes$",
                     shown, re.MULTILINE), shown
    assert re.search(r"^S: 127\.0\.0\.1 > 127\.0\.0\.1: echo reply, id=0x[0-9a-f]{4} seq=1, checksum right, ttl=64, 16 bytes$", shown, re.MULTILINE), shown


def test_a_reply_the_host_sent_late_is_allowed_as_the_machine_s_delay() -> None:
    """The RTT checks allow a busy machine's delays that the host saw: a stall that kept the host's
    timer from sending a reply due after 0.1 s (one C call that holds the GIL for about 0.3 s, as
    a busy CPU keeps a thread from running) kept a pinger from reading it as long, and the host
    says how late it sent it."""
    count = summed_in(0.3)
    with netns.fresh():
        host = IcmpHost(EchoSchedule({1: (Answer(REPLY, 0.1),)}))
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as pinger:
                pinger.settimeout(WITHIN)
                request = icmp.message(icmp.ECHO_REQUEST, 0, struct.pack("!HH", 0x1234, 1), struct.pack("!d", time.time()))
                pinger.sendto(request, ("127.0.0.1", 0))
                began = time.monotonic()
                sum(range(count))
                stall = time.monotonic() - began
                while (answer := icmp.Datagram.parse(pinger.recv(2048))) is not None and answer.icmp.type != icmp.ECHO_REPLY:
                    continue  # our own request, looped back
        finally:
            host.close()
    held = host.held(1)
    assert held is not None and held >= stall - 0.01, (held, stall)  # the reply left once the stall ended
    assert host.delays_seen(1, at_most=1.0) >= stall - 0.1 - 0.02, (host.delays_seen(1, at_most=1.0), stall)
    assert 0.05 <= host.delays_seen(1, at_most=0.05) <= 0.05 + min(host.sent[0].sending, 0.05)  # the stall capped; the send's own time besides


class _StalledAfterSending:
    """The host's raw socket, its thread kept from running for ``stall`` seconds once a packet has
    left (as a busy grading process keeps it from the GIL right after the send)."""

    def __init__(self, sock: socket.socket, stall: float) -> None:
        self._sock = sock
        self._stall = stall

    def sendto(self, packet: bytes, address: tuple[str, int]) -> int:
        sent = self._sock.sendto(packet, address)
        time.sleep(self._stall)  # the stall itself, not a wait for anything
        return sent

    def close(self) -> None:
        self._sock.close()


def test_a_reply_is_timed_when_it_leaves_not_when_the_host_runs_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """How long the host held a reply ends as it is sent: a host thread stalled after the send made
    it look held longer than the pinger could see it (a handout-shaped pinger in a loaded grading:
    'RTT 71.5 ms, the host held the reply 119 ms'), and failed a right RTT. A stall around the send
    is a delay the host saw, allowed on top, as its late timer is."""
    with netns.fresh():
        host = IcmpHost(EchoSchedule({1: (Answer(REPLY, 0.1),)}))
        monkeypatch.setattr(host, "_out", _StalledAfterSending(host._out, 0.3))
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as pinger:
                pinger.settimeout(WITHIN)
                request = icmp.message(icmp.ECHO_REQUEST, 0, struct.pack("!HH", 0x1234, 1), struct.pack("!d", time.time()))
                sent = time.monotonic()
                pinger.sendto(request, ("127.0.0.1", 0))
                while (answer := icmp.Datagram.parse(pinger.recv(2048))) is not None and answer.icmp.type != icmp.ECHO_REPLY:
                    continue  # our own request, looped back
                rtt = time.monotonic() - sent
        finally:
            host.close()
    held = host.held(1)
    assert held is not None and held <= rtt + 0.01, (held, rtt)
    assert host.delays_seen(1, at_most=1.0) >= 0.3 - 0.02, host.delays_seen(1, at_most=1.0)  # the send's stall allowed as the machine's
