"""Reading an ICMP pinger's and a traceroute's output as LABS.md describes it, tolerantly.

A pinger's line per request holds an RTT (read as in the ``pinger`` lab), a time-out, or an
ICMP error's name; the k-th such line is request k's. Where a course says so (``bare_rtt``: the
textbook's ``print(delay)``), a line that is only a number is an RTT, in seconds, as LABS.md reads
an RTT printed without a unit: never guessed from its size. A traceroute's lines begin with their
hop number and hold the address that answered, RTTs (a number followed by ``ms``) and ``*``s,
on one line per hop or one per probe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from graders.peers.ping_output import NUMBER, TIMED_OUT, rtt_in

UNREACHABLE = {
    0: re.compile(r"\b(network|net)\s*unreachable", re.IGNORECASE),
    1: re.compile(r"\bhost\s*unreachable", re.IGNORECASE),
    3: re.compile(r"\bport\s*unreachable", re.IGNORECASE),
}
TTL_EXCEEDED = re.compile(r"(\bttl\b|time\s*to\s*live).*\b(exceeded|expired)|time\s*exceeded", re.IGNORECASE)
STATISTICS = re.compile(r"\bmin\b.*\bmax\b|packets?\s*transmitted", re.IGNORECASE)  # not a request's line
ADDRESS = re.compile(r"\b(\d{1,3}(?:\.\d{1,3}){3})\b")
SEQUENCE = re.compile(r"\b(?:icmp_)?seq\w*\s*[=:#]?\s*(\d+)", re.IGNORECASE)  # a line that names its request: icmp_seq=4
BARE = re.compile(rf"^\s*({NUMBER})\s*$")  # a line that is only a number: the textbook's print(delay)
HOP = re.compile(r"^\s*(\d+)\b")
MS = re.compile(rf"({NUMBER})\s*ms\b", re.IGNORECASE)


@dataclass(frozen=True)
class RequestLine:
    """What the output says of request ``number`` (from 1, by its place in the output)."""

    number: int
    text: str
    timed_out: bool = False
    rtt: float | None = None  # seconds
    factor: float | None = None  # the unit the RTT was printed in
    error: str | None = None  # "unreachable 0/1/3", or "ttl"
    end: int = 0  # the index of the line after it


def error_in(line: str) -> str | None:
    """The ICMP error a line names: ``unreachable N`` (its code), ``ttl``, or None."""
    for code, pattern in UNREACHABLE.items():
        if pattern.search(line):
            return f"unreachable {code}"
    return "ttl" if TTL_EXCEEDED.search(line) else None


def request_lines(lines: list[str], count: int, bare_rtt: bool = False) -> list[RequestLine]:
    """The lines of the first ``count`` requests: each holds an error's name, a time-out or an RTT
    (``bare_rtt``: or is only a number, in seconds). Request k's line is the k-th, or the one that
    names sequence number k (``icmp_seq=4``): a request with no line of its own costs its own
    check, not the reading of those after it."""
    found: list[RequestLine] = []
    for index, line in enumerate(lines):
        expected = found[-1].number + 1 if found else 1
        if expected > count:
            break
        named = SEQUENCE.search(line)
        number = int(named.group(1)) if named and expected <= int(named.group(1)) <= count else expected
        error = error_in(line)
        bare = BARE.match(line) if bare_rtt else None
        rtt = None if error else (float(bare.group(1)), 1.0) if bare else rtt_in(line)
        if error:
            found.append(RequestLine(number, line, error=error, end=index + 1))
        elif TIMED_OUT.search(line):
            found.append(RequestLine(number, line, timed_out=True, end=index + 1))
        elif rtt is not None and not STATISTICS.search(line):
            found.append(RequestLine(number, line, rtt=rtt[0], factor=rtt[1], end=index + 1))
    return found


@dataclass
class Hop:
    """What the output says of one hop: the addresses named, the RTTs (seconds), the stars."""

    number: int
    addresses: list[str] = field(default_factory=list)
    rtts: list[float] = field(default_factory=list)
    stars: int = 0
    text: list[str] = field(default_factory=list)


def hops(lines: list[str]) -> dict[int, Hop]:
    """Each hop's lines, gathered by the number they begin with."""
    found: dict[int, Hop] = {}
    for line in lines:
        start = HOP.match(line)
        if start is None or ADDRESS.match(line.strip()):
            continue
        hop = found.setdefault(int(start.group(1)), Hop(int(start.group(1))))
        rest = line[start.end() :]
        hop.addresses += ADDRESS.findall(rest)
        without_addresses = ADDRESS.sub(" ", rest)
        hop.rtts += [float(value) / 1000 for value in MS.findall(without_addresses)]
        hop.stars += without_addresses.count("*")
        hop.text.append(line)
    return found
