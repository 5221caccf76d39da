"""The graders' ping server: the textbook's UDPPingerServer, with loss and delay on a schedule.

It uppercases each ping and sends it back, as ``UDPPingerServer.py`` does,
but what it drops, delays, answers late or answers twice is stated by the
test (DESIGN.md principle 3), never drawn at random, for the k-th datagram
that arrives, whatever it says. It records every ping with the time it
arrived, so checks can read what the client sent and when.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from graders.network.ports import Ports
from graders.peers.arrivals import Arrival
from graders.peers.ping_output import NUMBER
from graders.peers.threaded_server import ThreadedUdpServer

PING = re.compile(rb"^ping (\d+) (" + NUMBER.encode() + rb"\b)?", re.IGNORECASE)


@dataclass(frozen=True)
class PingSchedule:
    """What happens to each ping, by its place in the order of arrival (the k-th datagram that
    arrives, from 1), whatever number it carries: a pinger that numbers its pings wrong still
    meets the scenario, and only the check of the numbers judges them."""

    drop: frozenset[int] = frozenset()
    delay: Mapping[int, float] = field(default_factory=dict)  # seconds before the reply; 1.2 is a late reply
    twice: Mapping[int, float] = field(default_factory=dict)  # a second copy, this long after the first
    default_delay: float = 0.0
    drop_all: bool = False  # answer nothing at all, however many datagrams come

    def dropped(self, k: int) -> bool:
        return self.drop_all or k in self.drop

    def delay_of(self, k: int) -> float:
        return self.delay.get(k, self.default_delay)

    def answered_in_time(self, k: int, within: float = 1.0) -> bool:
        """Whether the client should see the reply to ping ``k`` before its time-out."""
        return not self.dropped(k) and self.delay_of(k) < within


@dataclass(frozen=True)
class Ping:
    """A datagram as it arrived."""

    data: bytes
    wall: float  # time.time() at arrival: comparable with the t the client put in it
    arrived: float  # time.monotonic() at arrival
    seq: int | None  # the number after "Ping", when there is one (the schedule never reads it)
    t: float | None = None  # the sending time after it, when there is one


@dataclass(frozen=True)
class Reply:
    k: int  # the reply to the k-th datagram that arrived
    data: bytes
    sent: float  # time.monotonic()
    wall: float  # time.time(): comparable with the t of the pings after it


class PingServer(ThreadedUdpServer):
    """``server = PingServer(PingSchedule(drop={3, 7}, delay={5: 0.3}))``; ``server.pings``, in the
    order they arrived: ping ``k`` is ``server.pings[k - 1]``."""

    def __init__(self, schedule: PingSchedule, port: Ports = 0) -> None:
        self.schedule = schedule
        self.pings: list[Ping] = []
        self.replies: list[Reply] = []
        self._timers: list[threading.Timer] = []
        super().__init__(port)

    def handle(self, data: bytes, peer: tuple[str, int], arrived: Arrival) -> None:
        match = PING.match(data)
        seq = int(match.group(1)) if match else None
        t = float(match.group(2)) if match and match.group(2) else None
        self.pings.append(Ping(data, arrived.wall, arrived.monotonic, seq, t))
        k = len(self.pings)
        if self.schedule.dropped(k):
            self.transcript.event(f"datagram {k} dropped (the test's schedule)")
            return
        delay = self.schedule.delay_of(k)
        self._later(delay, data.upper(), peer, k)
        if k in self.schedule.twice:
            self._later(delay + self.schedule.twice[k], data.upper(), peer, k)

    def _later(self, delay: float, reply: bytes, peer: tuple[str, int], k: int) -> None:
        if delay <= 0:
            self._reply(reply, peer, k)
            return
        timer = threading.Timer(delay, self._reply, args=(reply, peer, k))
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def _reply(self, reply: bytes, peer: tuple[str, int], k: int) -> None:
        self.replies.append(Reply(k, reply, time.monotonic(), time.time()))
        self.send(reply, peer)

    def first_reply(self, k: int) -> Reply | None:
        return next((reply for reply in self.replies if reply.k == k), None)

    def held(self, k: int) -> float | None:
        """How long the first reply to ping ``k`` really took to leave, from its arrival: the
        schedule's delay, plus whatever a busy machine added to it; None if it never left."""
        reply = self.first_reply(k)
        return None if reply is None or k > len(self.pings) else reply.sent - self.pings[k - 1].arrived

    def lateness(self) -> float:
        """The most a first reply left after its schedule's delay: how late a busy machine let the
        server's own timers fire (what the graders see of its delays, for nothing)."""
        first: dict[int, Reply] = {}
        for reply in self.replies:  # once, not a scan of the replies per ping: a pinger that never stops sends thousands
            first.setdefault(reply.k, reply)
        held = {k: first[k].sent - ping.arrived for k, ping in enumerate(self.pings, 1) if k in first}
        return max((took - self.schedule.delay_of(k) for k, took in held.items()), default=0.0)

    def sending_delays(self) -> dict[int, float]:
        """Per ping ``k`` that carries its sending time: from that time to its arrival."""
        return {k: ping.wall - ping.t for k, ping in enumerate(self.pings, 1) if ping.t is not None}

    def stamping_delays(self) -> dict[int, float]:
        """Per ping ``k`` answered and followed by a ping that carries its sending time: from the
        reply leaving to that time (a pinger takes the reply, then stamps its next ping)."""
        replies = {k: reply for k in range(1, len(self.pings)) if (reply := self.first_reply(k)) is not None}
        return {k: after.t - reply.wall for k, reply in replies.items() if (after := self.pings[k]).t is not None}

    def late_reply(self, k: int, during: int) -> float | None:
        """When a reply to ping ``k`` left during ping ``during``'s wait: seconds from that ping's
        arrival (None if none did)."""
        if during > len(self.pings):
            return None
        start = self.pings[during - 1].arrived
        return next((reply.sent - start for reply in self.replies if reply.k == k and reply.sent > start), None)

    def reply_to(self, k: int) -> bytes | None:
        """The reply the server sent (or would send) to ping ``k``."""
        return self.pings[k - 1].data.upper() if 0 < k <= len(self.pings) else None

    def close(self) -> None:
        super().close()  # it takes the pings already here, which may set replies going
        for timer in self._timers:
            timer.cancel()


class HeartbeatReceiver(ThreadedUdpServer):
    """Records every datagram with its arrival times; never answers (heartbeats get none)."""

    def __init__(self, port: Ports = 0) -> None:
        self.datagrams: list[Ping] = []
        super().__init__(port)

    def handle(self, data: bytes, peer: tuple[str, int], arrived: Arrival) -> None:
        self.datagrams.append(Ping(data, arrived.wall, arrived.monotonic, None))
