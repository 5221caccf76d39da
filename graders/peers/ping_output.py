"""Reading a pinger's output as LABS.md describes it, as tolerantly as LABS.md allows.

A ping line holds a time-out (``Request 3 timed out.``) or a reply with its
RTT, on one line or two (the reply, then the RTT). The RTT is read after
``rtt``, ``round-trip time`` or ``time=``: the first number followed by a
unit, else the first number, in seconds. Replies are known by their text (the
graders know what their server sent back), so a missing time-out line or a
missing RTT costs its own check, not the reading of every other ping; a line
that shows the ping as sent, with no RTT, is no ping line (``Sent: Ping 1 t``
before the reply is fine), but it says which ping the lines after it are for,
so a time-out line of no known form shifts no later ping.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

NUMBER = r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
TIMED_OUT = re.compile(r"request\b.*\btime[sd]?\s*-?\s*out", re.IGNORECASE)
RTT_LABEL = re.compile(r"\brtt\b|round[- ]?trip[- ]?time|\btime\s*=", re.IGNORECASE)
UNIT = r"(milliseconds?|microseconds?|seconds?|msecs?|usecs?|secs?|ms|us|µs|s)\b"
UNIT_FACTORS = {"ms": 1e-3, "msec": 1e-3, "millisecond": 1e-3, "us": 1e-6, "µs": 1e-6, "usec": 1e-6, "microsecond": 1e-6}
PINGS = 10


def unit_factor(unit: str) -> float:
    """Seconds per unit: ``ms`` 0.001, ``us`` 0.000001, ``s`` (and ``sec``, ``seconds``) 1."""
    return UNIT_FACTORS.get(unit.lower().rstrip("s") if unit.lower() not in ("ms", "us", "µs") else unit.lower(), 1.0)


def number_in_seconds(text: str, default_factor: float = 1.0) -> tuple[float, float] | None:
    """The first number followed by a unit, else the first number (in ``default_factor``),
    with the factor used."""
    with_unit = re.search(rf"({NUMBER})\s*{UNIT}", text)
    if with_unit:
        factor = unit_factor(with_unit.group(2))
        return float(with_unit.group(1)) * factor, factor
    bare = re.search(NUMBER, text)
    return (float(bare.group(0)) * default_factor, default_factor) if bare else None


def rtt_in(line: str) -> tuple[float, float] | None:
    """The RTT a line states (seconds, and the unit's factor), read after its label."""
    label = RTT_LABEL.search(line)
    return number_in_seconds(line[label.end() :]) if label else None


@dataclass
class PingLine:
    """What the output says of one ping."""

    number: int  # the ping this line stands for (1 to 10), by its place in the output
    timed_out: bool
    seq: int | None = None  # for a reply: the ping the printed reply belongs to
    exact: bool = False  # the reply printed exactly as received (case included)
    rtt: float | None = None  # seconds
    factor: float | None = None  # the unit the RTT was printed in
    text: str = ""
    end: int = 0  # the index of the line after this ping's line(s)


def ping_lines(lines: list[str], replies: dict[int, str], sent: dict[int, str] | None = None) -> list[PingLine]:
    """The lines for pings 1 to 10, in order. ``replies`` maps ping ``k`` (the k-th datagram the
    server got) to the reply text the server sent for it; ``sent`` maps it to the datagram itself,
    so that a line showing what was sent (``Sent: Ping 1 ...``) is not read as a reply."""
    found: list[PingLine] = []
    expected = 1
    i = 0
    while i < len(lines) and expected <= PINGS:
        line = lines[i]
        seq, exact = _reply_in(line, replies)
        rtt = rtt_in(line)
        rtt_next = i + 1 < len(lines) and _is_rtt_only(lines[i + 1], replies)
        if seq is not None and not exact and rtt is None and not rtt_next and _echoes(line, (sent or {}).get(seq)):
            expected = max(expected, seq)  # what ping seq sent: the lines after it are that ping's
            seq = None  # no RTT, on it or after it: what was sent, printed before the reply or time-out
        if TIMED_OUT.search(line) and seq is None:
            found.append(PingLine(expected, True, text=line, end=i + 1))
            expected += 1
        elif seq is not None or rtt is not None:
            text = line
            if rtt is None and rtt_next:
                i += 1
                rtt, text = rtt_in(lines[i]), f"{line} / {lines[i]}"
            if seq is not None and seq > expected:
                expected = seq  # the pings in between got no line at all
            found.append(PingLine(expected, False, seq, exact, rtt[0] if rtt else None, rtt[1] if rtt else None, text, i + 1))
            expected += 1
        i += 1
    return found


def _reply_in(line: str, replies: dict[int, str]) -> tuple[int | None, bool]:
    for seq, reply in replies.items():
        if reply in line:
            return seq, True
    lowered = line.lower()
    for seq, reply in replies.items():
        if reply.lower() in lowered:
            return seq, False
    return None, False


def _echoes(line: str, sent: str | None) -> bool:
    """Whether ``line`` holds the datagram as sent, in its own case (not the uppercased reply)."""
    return bool(sent) and sent in line


def _is_rtt_only(line: str, replies: dict[int, str]) -> bool:
    return rtt_in(line) is not None and _reply_in(line, replies)[0] is None and not TIMED_OUT.search(line)


@dataclass
class Statistics:
    """The summary after the ten pings (seconds, and percent)."""

    min: float | None = None
    avg: float | None = None
    max: float | None = None
    loss: float | None = None
    unitless: float | None = None  # seconds per unit of min/avg/max printed without a unit: the RTTs'

    @property
    def loss_said(self) -> str:
        """The loss as a check's message gives it: `a loss of 30%`, or `no loss line`."""
        return "no loss line" if self.loss is None else f"a loss of {self.loss:g}%"


def unit_name(factor: float) -> str:
    """The unit of ``factor`` seconds, for a message: `s`, `ms` or `us`."""
    return {1e-3: "ms", 1e-6: "us"}.get(factor, "s")



class Parsed(Protocol):
    """A ping line as read: the pinger lab's, or the icmp lab's."""

    @property
    def end(self) -> int: ...  # the index of the line after it

    @property
    def factor(self) -> float | None: ...  # seconds per unit of its RTT, where it gave one


def statistics_after(lines: list[str], parsed: Sequence[Parsed]) -> Statistics:
    """The statistics printed after the last parsed ping line, read in the unit of the first
    ping line that gave one (seconds where none did)."""
    after = parsed[-1].end if parsed else 0
    factor = next((line.factor for line in parsed if line.factor), 1.0)
    return statistics(lines[after:], factor)


def statistics(lines: list[str], rtt_factor: float) -> Statistics:
    """min/avg/max and the loss, in either form LABS.md allows; numbers without a unit are
    in the RTTs' unit (``rtt_factor``)."""
    stats = Statistics()
    for line in lines:
        triple = re.search(rf"min/avg/max(?:/[\w-]+)*\s*=\s*({NUMBER})/({NUMBER})/({NUMBER})(?:/{NUMBER})*\s*(?:{UNIT})?", line, re.IGNORECASE)
        if triple:
            unit = triple.group(4)
            factor = unit_factor(unit) if unit else rtt_factor
            stats.unitless = None if unit else rtt_factor
            stats.min, stats.avg, stats.max = (float(triple.group(k)) * factor for k in (1, 2, 3))
            continue
        for name, word in (("min", r"\bmin(?:imum)?\b"), ("avg", r"\b(?:avg|average)\b"), ("max", r"\bmax(?:imum)?\b")):
            match = re.search(word, line, re.IGNORECASE)
            if match and getattr(stats, name) is None:
                value = re.match(rf"\D*?({NUMBER})\s*(?:{UNIT})?", line[match.end() :])
                if value is not None:
                    factor = unit_factor(value.group(2)) if value.group(2) else rtt_factor
                    setattr(stats, name, float(value.group(1)) * factor)
                    stats.unitless = stats.unitless if value.group(2) else rtt_factor
        loss = re.search(rf"loss\D*?({NUMBER})\s*%", line, re.IGNORECASE) or re.search(
            rf"({NUMBER})\s*%\s*(?:packets?\s*)?loss", line, re.IGNORECASE
        )
        if loss and stats.loss is None:
            stats.loss = float(loss.group(1))
    return stats
