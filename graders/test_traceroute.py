"""Lab `traceroute`: Traceroute over ICMP (LABS.md)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from functools import cached_property
from typing import Any

import pytest

from graders.harness.course import Program as CourseProgram
from graders.harness.launcher import Launcher
from graders.harness.programs import Program
from graders.harness.runs import PeerRun, closed_at_the_end, closed_on_failure, starts_early, taken
from graders.peers.fake_icmp import ANY, IcmpHost, Probe, Route
from graders.peers.icmp_output import Hop, hops
from graders.peers.icmp_packets import swapped
from graders.vocabulary.checks import lab, points
from graders.vocabulary.failures import expect

pytestmark = lab("traceroute")

DESTINATION = "127.0.0.20"
ROUTE = Route(hops=("127.0.0.11", "127.0.0.12", None), delays={1: 0.05, 2: 0.1, 4: 0.15})  # hop 3 never answers
SILENT = 3
UNREACHED = Route(hops=("127.0.0.11", None), reachable=False)  # nothing answers beyond hop 1
MAX_HOPS = 3  # the unreached run's --max-hops
UNREACHED_TIMEOUT = 0.5  # and its --timeout: 2 silent hops of up to 3 probes, 3 s
SLOW = Route(hops=(), delays={1: 1.5})  # the destination one hop away, each answer after 1.5 s
SLOW_TIMEOUT = 2.0  # the slow run's --timeout: the default 1 s would miss every answer
SLOW_MAX_HOPS = 2  # and its --max-hops: where a program that misses them goes on, it stops soon
RUN_WITHIN = 20.0  # the route: hop 3's 3 probes of up to 1 s, and the answers' 0.9 s
RTT_WITHIN = 0.030  # LABS.md: within 30 ms of the true round trip
BUSY_AT_MOST = 0.2  # seconds of each busy-machine delay the host saw that an RTT may add (as in the pinger lab)
PROBES = (1, 3)  # LABS.md: one to three probes per TTL


class TraceRun(PeerRun[IcmpHost]):
    """One run of traceroute.py against the graders' ICMP host, on one route; ``course`` says how
    the course's handout has it (a sequence number it fixes)."""

    def __init__(self, program: Program, server: IcmpHost, within: float, course: CourseProgram) -> None:
        super().__init__(program, server, within)
        self.course = course

    @cached_property
    def hops(self) -> dict[int, Hop]:
        return hops(self.program.stdout.lines())

    def hop(self, number: int) -> Hop:
        return self.hops.get(number, Hop(number))

    def probes_with(self, ttl: int) -> list[Probe]:
        return [probe for probe in self.server.probes if probe.datagram.ttl == ttl]

    def output(self) -> str:
        return self.program.describe_output()

    def unrun(self) -> str:
        return "" if self.server.probes else f"no Echo Request arrived ({self.program.describe_exit()})"


@starts_early("traceroute")
def start_trace_runs(launcher: Launcher) -> dict[str, TraceRun]:
    """A route with a silent hop to a destination that replies, one to a destination that never
    does, and a slow destination one hop away, each in a network namespace of its own."""
    runs: dict[str, TraceRun] = {}
    course = launcher.course.program_for("traceroute.py")
    with closed_on_failure(runs):
        for name, route, options in (
            ("route", ROUTE, ()),
            ("unreached", UNREACHED, ("--max-hops", str(MAX_HOPS), "--timeout", str(UNREACHED_TIMEOUT))),
            ("slow", SLOW, ("--max-hops", str(SLOW_MAX_HOPS), "--timeout", f"{SLOW_TIMEOUT:g}")),
        ):
            with launcher.raw_network():
                host = IcmpHost(route)  # before the program: until it has switched the kernel's echo replies off, the kernel answers
                program = launcher.start("traceroute.py", DESTINATION, options=options, names_to=DESTINATION, peer=host)  # a name in its code too
                runs[name] = TraceRun(program, host, RUN_WITHIN, course)
    return runs


@pytest.fixture(scope="module")
def trace_runs(module_launcher: Launcher, early_runs: dict[str, Any]) -> Iterator[dict[str, TraceRun]]:
    yield from closed_at_the_end(taken(early_runs, "traceroute") or start_trace_runs(module_launcher))


@pytest.fixture
def route(trace_runs: dict[str, TraceRun]) -> TraceRun:
    """Hops 127.0.0.11 (50 ms) and 127.0.0.12 (100 ms), a hop that never answers, then the
    destination 127.0.0.20 (150 ms)."""
    trace_runs["route"].finish()
    return trace_runs["route"]


@pytest.fixture
def unreached(trace_runs: dict[str, TraceRun]) -> TraceRun:
    """`--max-hops 3 --timeout 0.5`: hop 127.0.0.11, then nothing answers."""
    trace_runs["unreached"].finish()
    return trace_runs["unreached"]


@pytest.fixture
def slow(trace_runs: dict[str, TraceRun]) -> TraceRun:
    """`--max-hops 2 --timeout 2`: the destination, one hop away, answers each probe after 1.5 s."""
    trace_runs["slow"].finish()
    return trace_runs["slow"]


@points(2)
def test_probes_with_ttl_1_2_3_one_to_three_per_ttl(route: TraceRun) -> None:
    """It probes with TTL 1, 2, 3, ..., one to three Echo Requests per TTL, each with a right
    checksum, one identifier for all, and a sequence number of its own (or, where the course's
    handout fixes one for all, that one, in either byte order)."""
    probes = route.server.probes
    ttls = [probe.datagram.ttl for probe in probes]
    per_ttl = Counter(ttls)
    problems = []
    if ttls != sorted(ttls) or (ttls and ttls[0] != 1):
        problems.append(f"the TTLs came in the order {ttls[:12]}")
    problems += [f"TTL {ttl}: {per_ttl[ttl]} probes" for ttl in range(1, ROUTE.depth + 1) if not PROBES[0] <= per_ttl[ttl] <= PROBES[1]]
    problems += [f"probe {p.k}: code {p.message.code}" for p in probes if p.message.code != 0]
    problems += [f"probe {p.k}: checksum {p.message.checksum:#06x} is wrong" for p in probes if not p.message.checksum_ok]
    if len({p.message.ident for p in probes}) > 1:
        problems.append("more than one identifier")
    fixed = route.course.sequence
    if fixed is None:
        repeated = sorted(seq for seq, times in Counter(p.message.seq for p in probes).items() if times > 1)
        problems += [f"sequence numbers used more than once: {repeated[:6]}"] if repeated else []
    else:
        problems += [f"probe {p.k}: sequence number {p.message.seq}" for p in probes if fixed not in (p.message.seq, swapped(p.message.seq))]
    numbers = "a sequence number each" if fixed is None else f"sequence number {fixed} in each, in either byte order (the course's handout fixes it)"
    expect(
        bool(probes) and not problems,
        expected=f"Echo Requests with TTL 1 to {ROUTE.depth}, {PROBES[0]} to {PROBES[1]} per TTL, right checksums, one identifier, {numbers}",
        got=route.unrun() or "; ".join(problems[:4]),
        wire=route.server.transcript,
    )


@points(3)
def test_prints_each_hop_with_the_address_that_answered(route: TraceRun) -> None:
    """One line per hop, or per probe, beginning with the hop number, with the address that
    answered (hops 1 and 2: 127.0.0.11 and 127.0.0.12; hop 4: the destination)."""
    wanted = {1: ROUTE.hops[0], 2: ROUTE.hops[1], ROUTE.depth: DESTINATION}
    problems = []
    for number, address in wanted.items():
        hop = route.hop(number)
        if not hop.text:
            problems.append(f"no line beginning with hop number {number}")
        elif set(hop.addresses) != {address}:
            problems.append(f"hop {number}: {', '.join(hop.addresses) or 'no address'} where {address} answered")
    expect(
        not problems and not route.unrun(),
        expected="hop lines " + ", ".join(f"{number}: {address}" for number, address in wanted.items()),
        got=route.unrun() or "; ".join(problems) + "\n" + route.output(),
        wire=route.server.transcript,
    )


@points(2)
def test_prints_a_star_for_each_probe_with_no_answer(route: TraceRun) -> None:
    """`*` for each probe with no answer within the time-out (hop 3 never answers)."""
    sent = len(route.probes_with(SILENT))
    hop = route.hop(SILENT)
    expect(
        sent > 0 and hop.stars == sent and not hop.addresses,
        expected=f"hop {SILENT}'s line(s): a `*` for each of its probes ({sent}), no address",
        got=route.unrun() or f"{hop.stars} `*` and {hop.addresses or 'no address'} for hop {SILENT}\n" + route.output(),
        wire=route.server.transcript,
    )


@points(2)
def test_reports_each_rtt_within_30_ms(route: TraceRun) -> None:
    """Each answered probe's RTT in ms (a number followed by `ms`), within 30 ms of the true
    round trip (hop 1 answers after 50 ms, hop 2 after 100 ms, the destination after 150 ms;
    the time the host really held each answer is the reference, and a busy machine's delays
    that the host saw are allowed besides)."""
    problems = []
    for ttl in (1, 2, ROUTE.depth):
        answered = [(h, route.server.delays_seen(probe.k, kind=ANY, at_most=BUSY_AT_MOST))
                    for probe in route.probes_with(ttl) if (h := route.server.held(probe.k, kind=ANY)) is not None]
        held = [h for h, _ in answered]
        printed = route.hop(ttl).rtts
        if len(printed) != len(held):
            problems.append(f"hop {ttl}: {len(printed)} RTT(s) for {len(held)} answered probe(s)")
        off = [rtt for rtt in printed if not any(-RTT_WITHIN <= rtt - h <= RTT_WITHIN + seen for h, seen in answered)]
        if off:
            problems.append(f"hop {ttl}: {', '.join(f'{rtt * 1000:.1f} ms' for rtt in off)} where the answers took "
                            + ", ".join(f"{h * 1000:.0f} ms" for h in held))
    expect(
        not problems and not route.unrun(),
        expected=f"for hops 1, 2 and {ROUTE.depth}, each answered probe's RTT, within {RTT_WITHIN * 1000:g} ms of the time the host held its answer"
        " (and longer by what the host saw the machine delay the program)",
        got=route.unrun() or "; ".join(problems[:4]) + "\n" + route.output(),
        wire=route.server.transcript,
    )


@points(2)
def test_stops_at_the_destination(route: TraceRun) -> None:
    """It stops after the hop where the destination replied (no probe with a larger TTL), then exits 0."""
    beyond = [probe.datagram.ttl for probe in route.server.probes if probe.datagram.ttl > ROUTE.depth]
    reached = bool(route.probes_with(ROUTE.depth))
    expect(
        reached and not beyond and route.program.exit_status == 0,
        expected=f"probes up to TTL {ROUTE.depth}, where the destination replied, none beyond, then exit status 0",
        got=(f"probes with TTL {sorted(set(beyond))[:8]}" if beyond else f"no probe with TTL {ROUTE.depth}" if not reached else "")
        + f" ({route.program.describe_exit()})",
        wire=route.server.transcript,
    )


@points(2)
def test_gives_up_after_max_hops(unreached: TraceRun) -> None:
    """With no reply from the destination, it stops after `--max-hops` hops (here 3, each probe
    waiting `--timeout` 0.5 s), then exits 0."""
    ttls = sorted({probe.datagram.ttl for probe in unreached.server.probes})
    expect(
        ttls == list(range(1, MAX_HOPS + 1)) and unreached.program.exit_status == 0,
        expected=f"probes with TTL 1 to {MAX_HOPS} and none beyond, then exit status 0, within {RUN_WITHIN:g} s",
        got=f"probes with TTL {ttls[:12] or 'none'} ({unreached.program.describe_exit()})",
        wire=unreached.server.transcript,
    )


@points(2)
def test_waits_for_each_probe_up_to_the_timeout_given(slow: TraceRun) -> None:
    """`--timeout S` is each probe's wait: with `--timeout 2`, the destination one hop away
    answers each probe after 1.5 s, which the default 1 s would miss: hop 1 gets an RTT for each
    of its probes and no `*` (an answer within the busy-machine allowance of the time-out is
    judged neither way)."""
    probes = slow.probes_with(1)
    in_time = [probe for probe in probes if _left_in_time(slow, probe)]
    hop = slow.hop(1)
    expect(
        bool(probes) and len(hop.rtts) >= len(in_time) and hop.stars <= len(probes) - len(in_time),
        expected=f"with `--timeout {SLOW_TIMEOUT:g}`, hop 1's line(s): an RTT for each of the {len(in_time)} probe(s) answered within it, no `*`",
        got=slow.unrun() or f"{len(hop.rtts)} RTT(s) and {hop.stars} `*` for hop 1\n" + slow.output(),
        wire=slow.server.transcript,
    )


def _left_in_time(run: TraceRun, probe: Probe) -> bool:
    """Whether the answer to ``probe`` left clearly within the time-out, a busy machine's delays included."""
    held = run.server.held(probe.k, kind=ANY)
    return held is not None and held + RTT_WITHIN + run.server.delays_seen(probe.k, kind=ANY, at_most=BUSY_AT_MOST) < SLOW_TIMEOUT
