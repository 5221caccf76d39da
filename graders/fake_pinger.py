"""The graders' ping server: the textbook's UDPPingerServer, with loss and delay on a schedule.

It uppercases each ping and sends it back, as ``UDPPingerServer.py`` does,
but what it drops, delays, answers late or answers twice is stated by the
test (DESIGN.md principle 3), never drawn at random. It records every ping
with the time it arrived, so checks can read what the client sent and when.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from .threaded_server import ThreadedUdpServer

PING = re.compile(rb"^ping (\d+) ", re.IGNORECASE)


@dataclass(frozen=True)
class PingSchedule:
    """What happens to each ping, by its sequence number."""

    drop: frozenset[int] = frozenset()
    delay: Mapping[int, float] = field(default_factory=dict)  # seconds before the reply; 1.2 is a late reply
    twice: Mapping[int, float] = field(default_factory=dict)  # a second copy, this long after the first
    default_delay: float = 0.0

    def delay_of(self, seq: int) -> float:
        return self.delay.get(seq, self.default_delay)

    def answered_in_time(self, seq: int, within: float = 1.0) -> bool:
        """Whether the client should see the reply to ``seq`` before its time-out."""
        return seq not in self.drop and self.delay_of(seq) < within


@dataclass(frozen=True)
class Ping:
    """A datagram as it arrived."""

    data: bytes
    wall: float  # time.time() at arrival: comparable with the t the client put in it
    arrived: float  # time.monotonic() at arrival
    seq: int | None  # the number after "Ping", when there is one


@dataclass(frozen=True)
class Reply:
    seq: int | None
    data: bytes
    sent: float  # time.monotonic()


class PingServer(ThreadedUdpServer):
    """``server = PingServer(PingSchedule(drop={3, 7}, delay={5: 0.3}))``; ``server.pings``."""

    def __init__(self, schedule: PingSchedule, port: int = 0) -> None:
        self.schedule = schedule
        self.pings: list[Ping] = []
        self.replies: list[Reply] = []
        self._timers: list[threading.Timer] = []
        super().__init__(port)

    def handle(self, data: bytes, peer: tuple[str, int]) -> None:
        match = PING.match(data)
        seq = int(match.group(1)) if match else None
        self.pings.append(Ping(data, time.time(), time.monotonic(), seq))
        if seq is not None and seq in self.schedule.drop:
            self.transcript.event(f"ping {seq} dropped (the test's schedule)")
            return
        delay = self.schedule.delay_of(seq) if seq is not None else 0.0
        self._later(delay, data.upper(), peer, seq)
        if seq in self.schedule.twice:
            self._later(delay + self.schedule.twice[seq], data.upper(), peer, seq)

    def _later(self, delay: float, reply: bytes, peer: tuple[str, int], seq: int | None) -> None:
        if delay <= 0:
            self._reply(reply, peer, seq)
            return
        timer = threading.Timer(delay, self._reply, args=(reply, peer, seq))
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def _reply(self, reply: bytes, peer: tuple[str, int], seq: int | None) -> None:
        self.replies.append(Reply(seq, reply, time.monotonic()))
        self.send(reply, peer)

    def held(self, seq: int) -> float | None:
        """How long the first reply to ``seq`` really took to leave, from the ping's arrival:
        the schedule's delay, plus whatever a busy machine added to it."""
        arrived = next((ping.arrived for ping in self.pings if ping.seq == seq), None)
        sent = next((reply.sent for reply in self.replies if reply.seq == seq), None)
        return None if arrived is None or sent is None else sent - arrived

    def reply_to(self, seq: int) -> bytes | None:
        """The reply the server sent (or would send) to ``seq``."""
        return next((ping.data.upper() for ping in self.pings if ping.seq == seq), None)

    def close(self) -> None:
        for timer in self._timers:
            timer.cancel()
        super().close()


class HeartbeatReceiver(ThreadedUdpServer):
    """Records every datagram with its arrival times; never answers (heartbeats get none)."""

    def __init__(self) -> None:
        self.datagrams: list[Ping] = []
        super().__init__()

    def handle(self, data: bytes, peer: tuple[str, int]) -> None:
        self.datagrams.append(Ping(data, time.time(), time.monotonic(), None))
