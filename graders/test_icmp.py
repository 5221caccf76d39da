"""Lab `icmp`: ICMP Pinger, with its statistics and its ICMP errors (LABS.md)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from functools import cached_property
from typing import Any

import pytest

from graders.harness.course import Program as CourseProgram
from graders.harness.launcher import Launcher
from graders.harness.programs import Program
from graders.harness.runs import PeerRun, closed_at_the_end, closed_on_failure, starts_early, taken
from graders.peers.fake_icmp import BAD_CHECKSUM, EARLIER, OTHER_ID, REPLY, TIME_EXCEEDED, UNREACHABLE, Answer, EchoSchedule, IcmpHost, Probe
from graders.peers.icmp_output import RequestLine, request_lines
from graders.peers.icmp_packets import UNREACHABLE as UNREACHABLE_NAMES
from graders.peers.icmp_packets import send_time_in, swapped
from graders.peers.ping_output import Statistics, statistics_after
from graders.vocabulary.checks import lab, points
from graders.vocabulary.failures import expect

pytestmark = lab("icmp")

STATISTICS = "optional 1: statistics"
ERRORS = "optional 2: errors"
HOST = "127.0.0.1"
ROUTER = "127.0.0.11"  # where the errors come from: another address of the namespace's loopback
COUNT = 10  # LABS.md's default, which the mixed run leaves it to use
RUN_WITHIN = 30.0  # ten requests, each up to 1 s of wait and 1 s of pause: 20 s
RTT_WITHIN = 0.030  # LABS.md: within 30 ms of the true round trip
T_WITHIN = 0.2  # the send time in a payload vs the request's arrival (as in the pinger lab)
PAUSE = (0.9, 1.3)  # LABS.md: the next request at least 0.9 s after the last, within 1.3 s of the end of its wait


def _replies(delays: dict[int, float | None]) -> EchoSchedule:
    """Request k answered after ``delays[k]`` seconds, or (None) lost."""
    return EchoSchedule({k: () if after is None else (Answer(REPLY, after),) for k, after in delays.items()})


MIXED = _replies({1: 0.05, 2: 0.2, 3: None, 4: 0.1, 5: 0.3, 6: 0.02, 7: None, 8: 0.15, 9: None, 10: 0.25})
LOST = sorted(k for k in range(1, COUNT + 1) if MIXED.reply_after(k) is None)
DECOYS = EchoSchedule({  # each true reply after 250 ms, a decoy 30 ms into the wait
    1: (Answer(REPLY, 0.25),),  # none: the program's own scale (see _decoy_check)
    2: (Answer(BAD_CHECKSUM, 0.03), Answer(REPLY, 0.25)),
    3: (Answer(OTHER_ID, 0.03), Answer(REPLY, 0.25)),
    4: (),
    5: (Answer(EARLIER, 0.03), Answer(REPLY, 0.25)),  # request 4's reply, late
    6: (Answer(EARLIER, 0.03), Answer(REPLY, 0.25)),  # request 5's reply again
})
DECOY_COUNT = 6
DECOY_KINDS = (BAD_CHECKSUM, OTHER_ID, EARLIER)
ALL_LOST = EchoSchedule(default=())
ALL_LOST_COUNT = 3
ERROR_SCHEDULE = EchoSchedule({
    1: (Answer(UNREACHABLE, 0.03, code=0, source=ROUTER),),
    2: (Answer(UNREACHABLE, 0.03, code=1, source=ROUTER),),
    3: (Answer(UNREACHABLE, 0.03, code=3, source=HOST),),
    4: (Answer(TIME_EXCEEDED, 0.03, source=ROUTER),),
    5: (Answer(REPLY, 0.03),),
})
ERROR_COUNT = 5
TIMEOUT = 2.0  # the timeout run's --timeout: a reply the default 1 s would miss is within it
TIMEOUT_SCHEDULE = _replies({1: 1.5, 2: 2.6})  # 0.5 s past the default, 0.5 s within; 0.6 s past the time-out
TIMEOUT_COUNT = 2


class IcmpRun(PeerRun[IcmpHost]):
    """One run of icmp_pinger.py against the graders' ICMP host with one schedule; ``course``
    says how the course's handout has it (a loop that never exits, a fixed sequence number, a
    bare RTT)."""

    def __init__(self, program: Program, server: IcmpHost, within: float, count: int, course: CourseProgram) -> None:
        super().__init__(program, server, within)
        self.count = count
        self.course = course

    def finish(self) -> None:
        """As any run's; one that never exits is stopped once it printed its ``count`` request lines."""
        if self.course.never_exits and not self.finished:
            self.program.finish_once_printed(self._printed_all, f"{self.count} request lines", self.within)
        super().finish()

    def _printed_all(self, text: str) -> bool:
        return len(request_lines(text.splitlines(), self.count, self.course.bare_rtt)) >= self.count

    @cached_property
    def lines(self) -> list[str]:
        return self.program.stdout.lines()

    @cached_property
    def requests(self) -> list[RequestLine]:
        return request_lines(self.lines, self.count, self.course.bare_rtt)

    @property
    def probes(self) -> list[Probe]:
        """The requests the checks judge: every one, or, from a program that never exits, the
        first ``count`` (one more may leave before it is stopped: the graders' timing, not its fault)."""
        return self.server.probes[: self.count] if self.course.never_exits else self.server.probes

    def line_for(self, number: int) -> RequestLine | None:
        return next((line for line in self.requests if line.number == number), None)

    @cached_property
    def statistics(self) -> Statistics:
        return statistics_after(self.lines, self.requests)

    def output(self) -> str:
        return self.program.describe_output()

    def unrun(self) -> str:
        """Why its output earns nothing: no request arrived ('' once one did)."""
        return "" if self.server.probes else f"no Echo Request arrived ({self.program.describe_exit()})"


RUNS: tuple[tuple[str, EchoSchedule, int, tuple[str, ...]], ...] = (
    ("mixed", MIXED, COUNT, ()),
    ("decoys", DECOYS, DECOY_COUNT, ("--count", str(DECOY_COUNT))),
    ("all lost", ALL_LOST, ALL_LOST_COUNT, ("--count", str(ALL_LOST_COUNT))),
    ("errors", ERROR_SCHEDULE, ERROR_COUNT, ("--count", str(ERROR_COUNT))),
    ("timeout", TIMEOUT_SCHEDULE, TIMEOUT_COUNT, ("--count", str(TIMEOUT_COUNT), "--timeout", f"{TIMEOUT:g}")),
)


@starts_early("icmp")
def start_icmp_runs(launcher: Launcher) -> dict[str, IcmpRun]:
    """The five scenarios' pingers, started together, each in a network namespace of its own
    with its own ICMP host; each check waits for the run it reads."""
    runs: dict[str, IcmpRun] = {}
    with closed_on_failure(runs):
        for name, schedule, count, options in RUNS:
            with launcher.raw_network():
                host = IcmpHost(schedule)
                program = launcher.start("icmp_pinger.py", HOST, options=options, peer=host)
                runs[name] = IcmpRun(program, host, RUN_WITHIN, count, launcher.course.program_for("icmp_pinger.py"))
    return runs


@pytest.fixture(scope="module")
def icmp_runs(module_launcher: Launcher, early_runs: dict[str, Any]) -> Iterator[dict[str, IcmpRun]]:
    yield from closed_at_the_end(taken(early_runs, "icmp") or start_icmp_runs(module_launcher))


def _finished(runs: dict[str, IcmpRun], name: str) -> IcmpRun:
    runs[name].finish()
    return runs[name]


@pytest.fixture
def mixed(icmp_runs: dict[str, IcmpRun]) -> IcmpRun:
    """Requests 3, 7 and 9 lost; the others answered after 20 to 300 ms."""
    return _finished(icmp_runs, "mixed")


@pytest.fixture
def decoys(icmp_runs: dict[str, IcmpRun]) -> IcmpRun:
    """Before the true replies (250 ms), a reply with a wrong checksum (request 2), with another
    identifier (3), the late reply to lost request 4 (5), request 5's reply again (6)."""
    return _finished(icmp_runs, "decoys")


@pytest.fixture
def all_lost(icmp_runs: dict[str, IcmpRun]) -> IcmpRun:
    return _finished(icmp_runs, "all lost")


@pytest.fixture
def errors(icmp_runs: dict[str, IcmpRun]) -> IcmpRun:
    """Destination Unreachable codes 0, 1 and 3, a Time Exceeded, then a reply."""
    return _finished(icmp_runs, "errors")


@pytest.fixture
def timeout(icmp_runs: dict[str, IcmpRun]) -> IcmpRun:
    """`--count 2 --timeout 2`: request 1's reply after 1.5 s, request 2's after 2.6 s."""
    return _finished(icmp_runs, "timeout")


# --- core ---------------------------------------------------------------------------


@points(2)
def test_sends_echo_requests_numbered_from_1_with_a_right_checksum(mixed: IcmpRun) -> None:
    """It sends N ICMP Echo Requests: type 8, code 0, a right Internet checksum, one identifier
    for all of them, sequence numbers from 1 (or, where the course's handout fixes it, that one)."""
    probes = [probe.message for probe in mixed.probes]
    problems = [f"request {k}: code {m.code}" for k, m in enumerate(probes, 1) if m.code != 0]
    problems += [f"request {k}: checksum {m.checksum:#06x} is wrong" for k, m in enumerate(probes, 1) if not m.checksum_ok]
    idents = sorted({m.ident for m in probes})
    if len(idents) > 1:
        problems.append(f"{len(idents)} identifiers: {', '.join(f'{i:#06x}' for i in idents[:4])}")
    seqs = [m.seq for m in probes]
    fixed = mixed.course.sequence
    if (fixed is None and seqs != list(range(1, COUNT + 1))) or (
        fixed is not None and (len(seqs) != COUNT or any(fixed not in (seq, swapped(seq)) for seq in seqs))
    ):
        problems.insert(0, f"the sequence numbers were {seqs}" if seqs else "no Echo Request arrived")
    numbers = f"sequence numbers 1 to {COUNT}" if fixed is None else (
        f"sequence number {fixed} in each, in either byte order (the course's handout fixes it, and packs it in the host's order)")
    expect(
        not problems,
        expected=f"{COUNT} Echo Requests (type 8, code 0), right checksums, one identifier, {numbers}",
        got="; ".join(problems[:4]) + ("" if len(seqs) == COUNT else f" ({mixed.program.describe_exit()})"),
        wire=mixed.server.transcript,
    )


@points(1)
def test_the_payload_holds_the_send_time(mixed: IcmpRun) -> None:
    """A payload whose first 8 bytes hold the send time, `time.time()` as a double (either byte order)."""
    problems = []
    for probe in mixed.probes:
        sent = send_time_in(probe.message.body)
        if sent is None:
            problems.append(f"request {probe.k}: no time.time() double in the payload's first 8 bytes ({probe.message.body[:8].hex(' ') or 'empty'})")
        elif abs(sent - probe.wall) > T_WITHIN:
            problems.append(f"request {probe.k}: the send time is {sent - probe.wall:+.3f} s off the time it arrived")
    expect(
        bool(mixed.probes) and not problems,
        expected=f"in each payload's first 8 bytes, the send time within {T_WITHIN * 1000:g} ms of real time",
        got="; ".join(problems[:3]) or mixed.unrun(),
        wire=mixed.server.transcript,
    )


@points(2)
def test_sends_one_request_about_a_second_apart(mixed: IcmpRun) -> None:
    """One request at a time, about a second apart: the next at least 0.9 s after the previous
    one, and within 1.3 s of the end of its wait (its reply, or its time-out)."""
    probes = mixed.probes
    problems = []
    for earlier, later in itertools.pairwise(probes):
        gap = later.arrived - earlier.arrived
        held = mixed.server.held(earlier.k)
        wait_ended = held if held is not None else 1.0
        if gap < PAUSE[0]:
            problems.append(f"request {later.k} came {gap:.2f} s after request {earlier.k}")
        elif gap > wait_ended + PAUSE[1]:
            problems.append(f"request {later.k} came {gap - wait_ended:.2f} s after request {earlier.k}'s wait ended")
    expect(
        len(probes) > 1 and not problems,
        expected=f"each request {PAUSE[0]:g} s or more after the one before, and within {PAUSE[1]:g} s of the end of its wait",
        got="; ".join(problems[:4]) or f"{len(probes)} request(s) ({mixed.program.describe_exit()})",
        wire=mixed.server.transcript,
    )


@points(3)
def test_prints_request_timed_out_for_exactly_the_lost_requests(mixed: IcmpRun) -> None:
    """On no reply within the time-out, a line `Request timed out` (requests 3, 7 and 9 get none:
    its own requests, which its raw socket reads too, are no reply)."""
    timed_out = [line.number for line in mixed.requests if line.timed_out]
    unrun = mixed.unrun()
    expect(
        timed_out == LOST and not unrun,
        expected=f"a time-out line for requests {LOST}, and for no other",
        got=(f"time-out lines for requests {timed_out}" if timed_out else "no time-out line")
        + (f", but {unrun}" if unrun else "") + "\n" + mixed.output(),
        wire=mixed.server.transcript,
    )


@points(3)
def test_reports_each_rtt_within_30_ms(mixed: IcmpRun) -> None:
    """On its reply, the RTT (read after `rtt`, `round-trip time` or `time=`), within 30 ms of
    the true round trip (the host holds the replies 20 to 300 ms; the time it really held each
    one is the reference, and a busy machine's delays that the host saw are allowed besides)."""
    answered = [k for k in range(1, min(len(mixed.server.probes), COUNT) + 1) if MIXED.reply_after(k) is not None]
    problems = [problem for k in answered if (problem := rtt_problem(mixed, k))]
    unrun = mixed.unrun()
    expect(
        not problems and not unrun,
        expected=f"the RTT of every request the host answered, within {RTT_WITHIN * 1000:g} ms of the time it held the reply"
        " (and longer by what the host saw the machine delay the pinger)",
        got="; ".join(problems[:5]) or unrun,
        wire=mixed.server.transcript,
    )


@points(2)
def test_waits_for_each_reply_up_to_the_timeout_given(timeout: IcmpRun) -> None:
    """`--timeout S` is each request's wait: a reply within S gets its RTT, one after S is a
    loss, with no RTT (with `--timeout 2`: request 1's reply after 1.5 s, which the default 1 s
    would miss, and request 2's after 2.6 s; the form of a time-out line is another check's)."""
    sent = len(timeout.server.probes)
    problems = [problem for k in range(1, min(sent, TIMEOUT_COUNT) + 1) if (problem := timeout_problem(timeout, k))]
    if sent < TIMEOUT_COUNT:
        problems.append(f"{sent} request(s) ({timeout.program.describe_exit()})")
    expect(
        not problems,
        expected=f"with `--timeout {TIMEOUT:g}`, an RTT for request 1 (its reply after 1.5 s) and none for request 2 (after 2.6 s)",
        got="; ".join(problems) + "\n" + timeout.output(),
        wire=timeout.server.transcript,
    )


def timeout_problem(run: IcmpRun, k: int) -> str:
    """What shows request ``k`` was not waited for up to the time-out and no longer ('' if nothing
    does, or if its reply left so near the time-out that a busy machine could tip it either way)."""
    held = run.server.held(k)
    line = run.line_for(k)
    shown = "no line" if line is None else repr(line.text)
    if held is not None and abs(held - TIMEOUT) <= RTT_WITHIN + run.server.delays_seen(k, at_most=T_WITHIN):
        return ""
    if held is not None and held < TIMEOUT and (line is None or line.rtt is None):
        return f"request {k}: {shown}, yet its reply left {held:.2f} s after it arrived, within the {TIMEOUT:g} s time-out"
    if (held is None or held > TIMEOUT) and line is not None and line.rtt is not None:
        came = "no reply came while it ran" if held is None else f"its reply left only {held:.2f} s after it arrived"
        return f"request {k}: {shown}, an RTT, yet {came}, past the {TIMEOUT:g} s time-out"
    return ""


def rtt_problem(run: IcmpRun, k: int) -> str:
    """What keeps the RTT printed for request ``k``, which the host answered, from matching the
    time it held the reply ('' if it matches)."""
    if k > len(run.server.probes):
        return f"request {k} never arrived ({run.program.describe_exit()})"
    line = run.line_for(k)
    held = run.server.held(k)
    if line is None or line.rtt is None:
        shown = "no line" if line is None else f"{line.text!r}, no RTT after `rtt`, `round-trip time` or `time=`"
        return f"request {k}: {shown}, yet the host answered it"
    if held is None:
        return f"request {k}: RTT {line.rtt * 1000:.1f} ms, but the pinger had ended before the host sent the reply"
    seen = run.server.delays_seen(k, at_most=T_WITHIN)
    if not -RTT_WITHIN <= line.rtt - held <= RTT_WITHIN + seen:
        delayed = f" and the machine delayed the pinger {seen * 1000:.0f} ms" if seen >= 0.0005 else ""
        return f"request {k}: RTT {line.rtt * 1000:.1f} ms, the host held the reply {held * 1000:.0f} ms{delayed}"
    return ""


def _decoy_check(run: IcmpRun, ks: list[int], decoy: str) -> None:
    """Request k's RTT is nearer the true reply's time than the decoy's, in the program's own
    scale (its RTT for request 1, answered after 250 ms with no decoy, against those 250 ms): a
    wrong unit is the RTT check's to judge, not this one's."""
    scale = _scale(run)
    problems = []
    for k in ks:
        line = run.line_for(k)
        held, decoy_after = run.server.held(k), run.server.held(k, kind=DECOY_KINDS)
        if line is None or line.rtt is None:
            problems.append(f"request {k}: {'no line' if line is None else repr(line.text)}, no RTT, yet the host answered it")
        elif held is not None and decoy_after is not None and any(
            abs(line.rtt - held * scale) >= abs(line.rtt - taken * scale) for taken in _decoy_rtts(run, k, decoy_after)
        ):
            problems.append(f"request {k}: RTT {line.rtt * 1000:.1f} ms: the {decoy} left after {decoy_after * 1000:.0f} ms, "
                            f"the true reply after {held * 1000:.0f} ms")
    fixed = f" (the course's requests all carry sequence number {run.course.sequence}: judged by the RTT alone)" if run.course.sequence is not None else ""
    expect(
        not problems and not run.unrun(),
        expected=f"for request(s) {ks}, the RTT of the true reply (about 250 ms), the {decoy} 30 ms into the wait ignored{fixed}",
        got=run.unrun() or "; ".join(problems) + "\n" + run.output(),
        wire=run.server.transcript,
    )


def _decoy_rtts(run: IcmpRun, k: int, decoy_after: float) -> tuple[float, ...]:
    """The RTTs a program that took request k's decoy would print: the decoy's time since request
    k, and, for a reply to the request before, the time since the send time its payload holds
    (that request's: the figure of a program that reads its RTT from the payload)."""
    if run.server.held(k, kind=(EARLIER,)) is None or k < 2:
        return (decoy_after,)
    return decoy_after, decoy_after + run.server.probes[k - 1].arrived - run.server.probes[k - 2].arrived


def _scale(run: IcmpRun) -> float:
    """The program's RTT for request 1 over the time the host held its reply, to the nearest power
    of 1000 (a unit's mistake: s for ms, ms for us), so that the time a busy machine adds to a
    reply never counts as one; 1.0 where it gave no RTT."""
    first, held = run.line_for(1), run.server.held(1)
    if first is None or not first.rtt or not held:
        return 1.0
    return 1000.0 ** round(math.log10(first.rtt / held) / 3)


@points(2)
def test_ignores_a_reply_with_a_wrong_checksum(decoys: IcmpRun) -> None:
    """A reply with a wrong checksum is ignored and the wait goes on (request 2's true reply
    comes 250 ms after it, a corrupt copy 30 ms after it)."""
    _decoy_check(decoys, [2], "reply with a wrong checksum")


@points(2)
def test_ignores_a_reply_with_another_identifier(decoys: IcmpRun) -> None:
    """A reply with another identifier is ignored and the wait goes on (request 3's true reply
    comes 250 ms after it, another program's 30 ms after it)."""
    _decoy_check(decoys, [3], "reply with another identifier")


@points(2)
def test_a_reply_to_an_earlier_request_is_not_taken_for_a_later_one(decoys: IcmpRun) -> None:
    """A reply to an earlier request (late, or a duplicate) is ignored and the wait goes on:
    lost request 4's reply comes 30 ms into request 5's wait, request 5's reply again 30 ms into
    request 6's. Taken, it shows in the RTT: 30 ms, or, read from its payload, the time since the
    earlier request. Where a course fixes the sequence number, the late reply is, header for
    header, the one awaited: only the RTT judges, and only the payload's send time tells them apart."""
    _decoy_check(decoys, [5, 6], "reply to the request before")


@points(1)
def test_exits_0_after_the_last_request(decoys: IcmpRun) -> None:
    """With `--count N` it sends N requests (here 6), then exits 0."""
    sent = len(decoys.server.probes)
    expect(
        sent == DECOY_COUNT and decoys.program.exit_status == 0,
        expected=f"{DECOY_COUNT} requests, then exit status 0, within {RUN_WITHIN:g} s",
        got=f"{sent} request(s), then {decoys.program.describe_exit()}",
        wire=decoys.server.transcript,
    )


# --- optional exercise 1: statistics ------------------------------------------------

LOSS = 100 * len(LOST) / COUNT


def _close(value: float | None, wanted: float) -> bool:
    return value is not None and abs(value - wanted) <= max(0.002, 0.02 * wanted)


@points(2, group=STATISTICS)
def test_statistics_give_min_avg_max_of_the_rtts(mixed: IcmpRun) -> None:
    """After the N requests, the minimum, average and maximum RTT (`rtt min/avg/max/mdev =
    a/b/c/d ms`, or a line each)."""
    rtts = []
    for k in range(1, COUNT + 1):
        if MIXED.reply_after(k) is not None:
            line = mixed.line_for(k)
            printed = line.rtt if line is not None else None
            rtts.append(printed if printed is not None else mixed.server.held(k) or MIXED.reply_after(k) or 0.0)  # its own figures, where it gave them
    wanted = (min(rtts), sum(rtts) / len(rtts), max(rtts))
    stats = mixed.statistics
    got = (stats.min, stats.avg, stats.max)
    unrun = mixed.unrun()
    expect(
        all(_close(value, target) for value, target in zip(got, wanted)) and not unrun,
        expected="min/avg/max = " + "/".join(f"{v * 1000:.1f}" for v in wanted) + " ms (of the RTTs it printed)",
        got="min/avg/max = " + "/".join("none" if v is None else f"{v * 1000:.1f}" for v in got) + " ms"
        + (f", but {unrun}" if unrun else "") + "\n" + mixed.output(),
    )


@points(1, group=STATISTICS)
def test_statistics_give_the_packet_loss(mixed: IcmpRun) -> None:
    """The packet loss, as `N% packet loss` or `loss ... N%` (3 of 10 lost: 30%)."""
    loss = mixed.statistics.loss
    unrun = mixed.unrun()
    expect(
        loss is not None and abs(loss - LOSS) < 0.5 and not unrun,
        expected=f"a loss of {LOSS:g}%",
        got=mixed.statistics.loss_said + (f", but {unrun}" if unrun else "")
        + "\n" + mixed.output(),
    )


@points(2, group=STATISTICS)
def test_no_reply_at_all_gives_only_the_loss_line_100_percent(all_lost: IcmpRun) -> None:
    """With no reply at all, only the loss line (100%); and exit 0 (no division by zero)."""
    stats = all_lost.statistics
    unrun = all_lost.unrun()
    problems = [unrun] if unrun else []
    if stats.loss is None or abs(stats.loss - 100) >= 0.5:
        problems.append(stats.loss_said)
    if any(value is not None for value in (stats.min, stats.avg, stats.max)):
        problems.append("min/avg/max figures, with no RTT to take them from")
    if all_lost.program.exit_status != 0 and not unrun:
        problems.append(all_lost.program.describe_exit())
    expect(
        not problems,
        expected="a loss of 100%, no min/avg/max, exit status 0",
        got="; ".join(problems) + "\n" + all_lost.output(),
    )


@points(1, group=STATISTICS)
def test_a_request_answered_with_an_error_is_lost_in_the_statistics(errors: IcmpRun) -> None:
    """A request answered with an error is a lost one in the statistics (LABS.md's exercise 2,
    graded with the statistics: a pinger without exercise 2 times those requests out and counts
    them lost too): 4 of 5 requests answered with an error, 80% loss (of the requests it sent,
    whose number is the `--count` check's to judge)."""
    sent = len(errors.server.probes)
    lost = sum(1 for k in range(1, sent + 1) if ERROR_SCHEDULE.reply_after(k) is None)
    wanted = 100 * lost / sent if sent else 100.0
    loss = errors.statistics.loss
    unrun = errors.unrun()
    expect(
        loss is not None and abs(loss - wanted) < 0.5 and not unrun,
        expected=f"a loss of {wanted:g}% ({lost} of the {sent} requests it sent answered with an error, the others with a reply)",
        got=errors.statistics.loss_said + (f", but {unrun}" if unrun else "")
        + "\n" + errors.output(),
        wire=errors.server.transcript,
    )


# --- optional exercise 2: errors ----------------------------------------------------


def _errors_check(run: IcmpRun, wanted: dict[int, tuple[str, str]]) -> None:
    """Request k's line names ``wanted[k]`` (its key in ``error_in``, and its name)."""
    problems = []
    for k, (key, name) in wanted.items():
        line = run.line_for(k)
        if line is None or line.error != key:
            shown = "no line" if line is None else repr(line.text)
            problems.append(f"request {k}: {shown}, not `{name}`")
    expect(
        not problems and not run.unrun(),
        expected="on each request's line, the error that answered it: " + ", ".join(f"{k}: `{name}`" for k, (_, name) in wanted.items()),
        got=run.unrun() or "; ".join(problems) + "\n" + run.output(),
        wire=run.server.transcript,
    )


@points(3, group=ERRORS)
def test_destination_unreachable_is_reported_by_name(errors: IcmpRun) -> None:
    """A Destination Unreachable that quotes its request is reported by name on that request's
    line, not as a time-out: code 0 `Destination Network Unreachable`, code 1 `Destination Host
    Unreachable`, code 3 `Destination Port Unreachable` (requests 1, 2 and 3)."""
    _errors_check(errors, {k: (f"unreachable {code}", UNREACHABLE_NAMES[code]) for k, code in ((1, 0), (2, 1), (3, 3))})


@points(1, group=ERRORS)
def test_time_exceeded_is_reported_by_name(errors: IcmpRun) -> None:
    """A Time Exceeded that quotes its request is reported by name (`Time to live exceeded`) on
    that request's line, not as a time-out (request 4)."""
    _errors_check(errors, {4: ("ttl", "Time to live exceeded")})
