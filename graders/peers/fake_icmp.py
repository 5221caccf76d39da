"""The graders' ICMP host: answers a pinger's or a traceroute's Echo Requests on a schedule.

It lives in a network namespace of the check's own (the caller's thread is in it when it is
made), where the kernel's own echo replies are switched off (``icmp_echo_ignore_all``), so
every answer the program gets is one the test stated (DESIGN.md principle 3): a reply after a
delay, none, a reply with a wrong checksum or another identifier, a reply to an earlier probe,
a Destination Unreachable, or, for a probe whose TTL runs out before the destination, a Time
Exceeded from a hop's address. Hops and destinations are addresses of the namespace's loopback
(127.0.0.0/8), never of any other range. Every probe and every answer is recorded, decoded,
in the transcript; the checks read the record, the host never judges.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from graders.peers import icmp_packets as icmp
from graders.peers.arrivals import receive, stamp_arrivals
from graders.peers.wakeable import Wakeable
from graders.vocabulary.wire import Transcript

ECHO_IGNORE_ALL = Path("/proc/sys/net/ipv4/icmp_echo_ignore_all")  # per network namespace

REPLY, BAD_CHECKSUM, OTHER_ID, EARLIER, UNREACHABLE, TIME_EXCEEDED = (
    "reply", "reply with a wrong checksum", "reply with another identifier", "reply to the probe before",
    "destination unreachable", "time exceeded",
)  # fmt: skip


@dataclass(frozen=True)
class Answer:
    """One packet sent about a probe, ``after`` seconds after it arrived (from ``source``, else
    from the address the probe was sent to)."""

    kind: str
    after: float = 0.0
    code: int = 0
    source: str | None = None


@dataclass(frozen=True)
class Probe:
    """An Echo Request as it arrived: the k-th, from 1."""

    k: int
    datagram: icmp.Datagram
    wall: float  # time.time() at arrival: comparable with a send time the program put in it
    arrived: float  # time.monotonic() at arrival

    @property
    def message(self) -> icmp.Icmp:
        return self.datagram.icmp

    @property
    def sending_delay(self) -> float | None:
        """From the send time in its payload to its arrival (None without one): how long the
        program took from stamping it to sending it, on a busy machine."""
        stamped = icmp.send_time_in(self.message.body)
        return None if stamped is None else self.wall - stamped


@dataclass(frozen=True)
class Sent:
    """A packet the host sent about probe ``k``."""

    k: int
    kind: str
    at: float  # time.monotonic() as it was sent
    late: float  # how much later than the schedule's delay it left: how late a busy machine let the host's timer fire
    sending: float  # how long the send took: a thread stalled around it, so the packet left within that time


ANY = (REPLY, BAD_CHECKSUM, OTHER_ID, EARLIER, UNREACHABLE, TIME_EXCEEDED)
Plan = Callable[[Probe], tuple[Answer, ...]]


@dataclass(frozen=True)
class EchoSchedule:
    """What each probe gets, by its place in the order of arrival (whatever sequence number it
    carries: only the check of the numbers judges them); nothing at all is a lost probe."""

    answers: Mapping[int, tuple[Answer, ...]] = field(default_factory=dict)
    default: tuple[Answer, ...] = (Answer(REPLY),)

    def __call__(self, probe: Probe) -> tuple[Answer, ...]:
        return self.of(probe.k)

    def of(self, k: int) -> tuple[Answer, ...]:
        return self.answers.get(k, self.default)

    def reply_after(self, k: int) -> float | None:
        """When probe ``k``'s own Echo Reply leaves, after it arrived; None if it gets none."""
        return next((answer.after for answer in self.of(k) if answer.kind == REPLY), None)

    def answered_in_time(self, k: int, within: float = 1.0) -> bool:
        after = self.reply_after(k)
        return after is not None and after < within


@dataclass(frozen=True)
class Route:
    """A traceroute's path: probe TTL ``t`` up to ``len(hops)`` gets a Time Exceeded from hop
    ``t`` (None: a hop that never answers); a larger TTL reaches the destination, which replies
    (unless ``reachable`` is False). ``delays[t]`` is how long the answer to TTL ``t`` takes."""

    hops: tuple[str | None, ...]
    delays: Mapping[int, float] = field(default_factory=dict)
    reachable: bool = True

    @property
    def depth(self) -> int:
        """The smallest TTL that reaches the destination."""
        return len(self.hops) + 1

    def __call__(self, probe: Probe) -> tuple[Answer, ...]:
        ttl = probe.datagram.ttl
        after = self.delays.get(min(ttl, self.depth), 0.0)
        if ttl < self.depth:
            hop = self.hops[ttl - 1]
            return () if hop is None else (Answer(TIME_EXCEEDED, after, source=hop),)
        return (Answer(REPLY, after),) if self.reachable else ()


class IcmpHost(Wakeable):
    """``host = IcmpHost(EchoSchedule({3: ()}))``, made in the check's network namespace;
    ``host.probes`` in the order they arrived, ``host.sent``, ``host.transcript``; ``close()``."""

    def __init__(self, plan: Plan) -> None:
        ECHO_IGNORE_ALL.write_text("1\n")
        self.plan = plan
        self.transcript = Transcript()
        self.probes: list[Probe] = []
        self.sent: list[Sent] = []
        self._timers: list[threading.Timer] = []
        listener = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        stamp_arrivals(listener)
        self._out = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        self._lock = threading.Lock()
        super().__init__([listener])
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while ready := self._ready():
            for sock in ready:
                self._take(sock)

    def _take(self, sock: socket.socket) -> None:
        with self._taking:
            packet, _, arrived = receive(sock)
            datagram = icmp.Datagram.parse(packet)
            if datagram is None or datagram.icmp.type != icmp.ECHO_REQUEST:
                return  # the host's own answers, looped back
            self.contacts += 1
        probe = Probe(len(self.probes) + 1, datagram, arrived.wall, arrived.monotonic)
        self.probes.append(probe)
        self.transcript.client(datagram.describe().encode(), datagram=True)
        answers = self.plan(probe)
        if not answers:
            self.transcript.event(f"probe {probe.k} not answered (the test's schedule)")
        for answer in answers:
            timer = threading.Timer(max(0.0, answer.after - (time.monotonic() - probe.arrived)), self._answer, args=(probe, answer))
            timer.daemon = True
            self._timers.append(timer)
            timer.start()

    def _answer(self, probe: Probe, answer: Answer) -> None:
        about = probe.datagram
        source = answer.source or about.destination
        reply = self._message(probe, answer)
        if reply is None:
            return
        packet = icmp.datagram(source, about.source, reply)
        with self._lock:
            now = time.monotonic()  # as it leaves: a thread stalled after the send would make it look held longer
            try:
                self._out.sendto(packet, (about.source, 0))
            except OSError as error:  # closed meanwhile
                self.transcript.event(f"sending failed: {error}")
                return
            self.sent.append(Sent(probe.k, answer.kind, now, now - probe.arrived - answer.after, time.monotonic() - now))
        shown = icmp.Datagram.parse(packet)
        stale = f" (probe {probe.k - 1}'s, in probe {probe.k}'s wait)" if answer.kind == EARLIER else ""
        self.transcript.server(f"{shown.describe() if shown else packet.hex()}{stale}".encode(), datagram=True)

    def _message(self, probe: Probe, answer: Answer) -> bytes | None:
        """The ICMP message of ``answer``; None for a reply to the probe before the first."""
        request = probe.message
        if answer.kind == EARLIER:
            if probe.k == 1:
                return None
            request = self.probes[probe.k - 2].message
        if answer.kind in (REPLY, EARLIER):
            return icmp.echo_reply(request.ident, request.seq, request.body)
        if answer.kind == BAD_CHECKSUM:
            return icmp.echo_reply(request.ident, request.seq, request.body, corrupt=True)
        if answer.kind == OTHER_ID:
            return icmp.echo_reply(request.ident ^ 0x5A5A, request.seq, request.body)
        kind = icmp.DESTINATION_UNREACHABLE if answer.kind == UNREACHABLE else icmp.TIME_EXCEEDED
        return icmp.error(kind, answer.code, probe.datagram.raw)

    def _drain(self) -> None:
        """Record the probes already here, however far behind a busy grading process was."""
        for sock in self._socks:
            sock.setblocking(False)
            while True:
                try:
                    self._take(sock)
                except OSError:  # nothing more waiting
                    break

    def held(self, k: int, kind: tuple[str, ...] = (REPLY,)) -> float | None:
        """How long probe ``k``'s first answer of ``kind`` (its own Echo Reply, by default) took
        to leave after it arrived: the schedule's delay, plus what a busy machine added; None if
        none left."""
        sent = next((s.at for s in self.sent if s.k == k and s.kind in kind), None)
        return None if sent is None else sent - self.probes[k - 1].arrived

    def delays_seen(self, k: int, kind: tuple[str, ...] = (REPLY,), *, at_most: float) -> float:
        """How much longer than the host held probe ``k``'s answer a right program may measure its
        round trip on a busy machine, from what the host saw of the machine's delays, each at most
        ``at_most``: from the send time in its payload to its arrival, beyond the least of its
        probes' (a pause before every send is the program's own, not the machine's), and how late
        the host's own timer sent the answer (the program, reading it then, was as late), and how long
        its send took (a thread stalled between its stamp and the packet's leaving)."""
        send_delays = {probe.k: delay for probe in self.probes if (delay := probe.sending_delay) is not None}
        held_back = send_delays[k] - min(send_delays.values()) if k in send_delays else 0.0
        answer = next((s for s in self.sent if s.k == k and s.kind in kind), None)
        late, sending = (answer.late, answer.sending) if answer is not None else (0.0, 0.0)
        return sum(min(max(delay, 0.0), at_most) for delay in (held_back, late, sending))

    def close(self) -> None:
        """Stop answering; every probe already here is recorded."""
        if self._wake():
            self._thread.join(2)
            self._drain()
            for timer in self._timers:
                timer.cancel()
            with self._lock:
                self._out.close()
            self._release()
