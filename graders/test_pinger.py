"""Lab `pinger`: UDP Pinger, with its statistics and the UDP Heartbeat (LABS.md)."""

from __future__ import annotations

import itertools
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pytest

from graders.harness.lateness import Lateness
from graders.harness.launcher import Launcher
from graders.harness.programs import Program
from graders.harness.runs import PeerRun, closed_at_the_end, closed_on_failure, starts_early, taken
from graders.network.ports import LOOPBACK
from graders.peers.fake_pinger import HeartbeatReceiver, PingSchedule, PingServer
from graders.peers.ping_output import NUMBER, PINGS, PingLine, Statistics, ping_lines, statistics_after, unit_name
from graders.vocabulary.checks import lab, points
from graders.vocabulary.failures import expect, few
from graders.vocabulary.wire import Transcript

pytestmark = lab("pinger")

STATISTICS = "optional 1: statistics"
HEARTBEAT = "optional 2: heartbeat"
RUN_WITHIN = 25.0  # ten pings take at most 10 s; a pinger that waits 2 s a ping still finishes
RTT_WITHIN = 0.030  # LABS.md: within 30 ms of the true round trip
T_WITHIN = 0.2  # t in a datagram vs its arrival: a wrong clock or unit is off by far more; 50 ms flaked under load
TIMEOUT_WAIT = (0.9, 1.5)  # seconds between a lost ping and the next one
LATE_AT_MOST = 0.2  # seconds of the graders' own lateness a bound allows: a 2 s wait still fails at load 30

# The scenarios, run at once (each pinger waits on its own server), so the lab takes
# about as long as the longest one: ten lost pings, 10 s. Ping k is the k-th datagram to
# arrive, whatever number it carries (only the check of the numbers reads them).
MIXED = PingSchedule(
    drop=frozenset({3, 7, 9}),
    delay={1: 0.05, 2: 0.2, 4: 0.1, 5: 0.3, 6: 0.02, 8: 0.15, 10: 0.25},
)
ALL_LOST = PingSchedule(drop_all=True)
LATE = PingSchedule(  # ping 2's reply comes 0.3 s into ping 3's wait; ping 5's twin 0.2 s into ping 6's
    delay={2: 1.3, 3: 0.5, 6: 0.4},
    twice={5: 0.2},
    default_delay=0.01,
)


def _late(seconds: float) -> str:
    """For an expectation: the graders' own lateness that a bound allows besides (or nothing)."""
    return f" ({seconds * 1000:.0f} ms more allowed where a busy machine delays it: the graders' own timers ran that late)" if seconds >= 0.001 else ""


class PingRun(PeerRun[PingServer]):
    """One run of udp_pinger.py against the graders' server with one schedule."""

    @property
    def schedule(self) -> PingSchedule:
        return self.server.schedule

    @property
    def lateness(self) -> float:
        return min(self.server.lateness(), LATE_AT_MOST)

    @cached_property
    def lines(self) -> list[str]:
        return self.program.stdout.lines()

    @cached_property
    def pings(self) -> list[PingLine]:
        pings = list(enumerate(self.server.pings, 1))
        sent = {k: ping.data.decode("utf-8", "replace") for k, ping in pings}
        replies = {k: ping.data.upper().decode("utf-8", "replace") for k, ping in pings if ping.data.strip()}  # as the server sends them
        return ping_lines(self.lines, replies, sent)

    def line_for(self, number: int) -> PingLine | None:
        return next((line for line in self.pings if line.number == number), None)

    @cached_property
    def statistics(self) -> Statistics:
        return statistics_after(self.lines, self.pings)

    def output(self) -> str:
        return self.program.describe_output()

    def unrun(self) -> str:
        """Why its output earns nothing: no ping arrived, so it never ran the scenario its lines
        would report on ('' once it did). (Too few pings or too many are the numbering check's.)"""
        return "" if self.server.pings else f"no ping arrived ({self.program.describe_exit()})"


@starts_early("pinger")
def start_ping_runs(launcher: Launcher) -> dict[str, PingRun]:
    """The three scenarios' pingers, started together (with the session, in a full grading: their
    10 s pass while the other labs are graded); each check waits for the one it reads."""
    runs: dict[str, PingRun] = {}
    with closed_on_failure(runs):
        for name, schedule in (("mixed", MIXED), ("all lost", ALL_LOST), ("late", LATE)):
            with launcher.network():  # each its own, where pingers hard-code the server's port
                server = PingServer(schedule, port=launcher.peer_port("udp_pinger.py"))
                runs[name] = PingRun(launcher.start("udp_pinger.py", "127.0.0.1", str(server.port), port=server.port, peer=server), server, RUN_WITHIN)
    return runs


@pytest.fixture(scope="module")
def ping_runs(module_launcher: Launcher, early_runs: dict[str, Any]) -> Iterator[dict[str, PingRun]]:
    yield from closed_at_the_end(taken(early_runs, "pinger") or start_ping_runs(module_launcher))


@pytest.fixture
def mixed(ping_runs: dict[str, PingRun]) -> PingRun:
    """Pings 3, 7 and 9 lost; the others answered after 20 to 300 ms."""
    ping_runs["mixed"].finish()
    return ping_runs["mixed"]


@pytest.fixture
def late(ping_runs: dict[str, PingRun]) -> PingRun:
    ping_runs["late"].finish()
    return ping_runs["late"]


@pytest.fixture
def all_lost(ping_runs: dict[str, PingRun]) -> PingRun:
    ping_runs["all lost"].finish()
    return ping_runs["all lost"]


# --- core ---------------------------------------------------------------------------

PING_DATAGRAM = re.compile(rf"^ping (\d+) ({NUMBER})$", re.IGNORECASE)


@points(2)
def test_sends_ten_pings_numbered_1_to_10_with_the_time(mixed: PingRun) -> None:
    """Ping `i` (1 to 10) is the datagram `Ping i t`, with `t` the sending time in seconds
    since the epoch (`time.time()`)."""
    problems = []
    late = mixed.lateness
    for ping in mixed.server.pings:
        match = PING_DATAGRAM.match(ping.data.decode("utf-8", "replace"))
        if match is None:
            problems.append(f"{ping.data[:40]!r} is not `Ping i t`")
        elif not -T_WITHIN - late <= float(match.group(2)) - ping.wall <= T_WITHIN:  # kept from sending, t is earlier
            problems.append(f"ping {match.group(1)}: t is {float(match.group(2)) - ping.wall:+.3f} s off the time it arrived")
    seqs = [ping.seq for ping in mixed.server.pings]
    if seqs != list(range(1, PINGS + 1)):
        problems.insert(0, f"the pings were numbered {few(seqs)}" if seqs else "no ping arrived")
    expect(
        not problems,
        expected=f"ten datagrams `Ping i t`, i from 1 to 10, t within {T_WITHIN * 1000:g} ms of real time" + _late(mixed.lateness),
        got="; ".join(problems[:4]) + ("" if len(seqs) == PINGS else f" ({mixed.program.describe_exit()})"),
        wire=mixed.server.transcript,
    )


@points(2)
def test_waits_about_1_s_for_the_reply_to_a_lost_ping(mixed: PingRun) -> None:
    """After each ping it waits for the reply until 1 second after sending it."""
    arrived = [ping.arrived for ping in mixed.server.pings]  # ping k is arrived[k - 1]
    sending = mixed.server.sending_delays()
    problems = []
    for lost in sorted(MIXED.drop):
        if lost + 1 <= len(arrived):
            gap = arrived[lost] - arrived[lost - 1]
            held_back = min(max(_beyond_the_least(sending, lost), 0.0), T_WITHIN)  # its wait began before the lost ping left
            if not TIMEOUT_WAIT[0] - held_back <= gap <= TIMEOUT_WAIT[1] + mixed.lateness:
                problems.append(f"ping {lost + 1} came {gap:.2f} s after lost ping {lost}")
        else:
            problems.append(f"no ping {lost + 1} after lost ping {lost}")
    expect(
        not problems,
        expected=f"the next ping {TIMEOUT_WAIT[0]:g} to {TIMEOUT_WAIT[1]:g} s after each lost one (3, 7, 9)",
        got="; ".join(problems) + ("" if len(arrived) == PINGS else f" ({mixed.program.describe_exit()})"),
        wire=mixed.server.transcript,
    )


@points(3)
def test_prints_request_timed_out_for_exactly_the_lost_pings(mixed: PingRun) -> None:
    """On no reply within 1 s, a line `Request timed out` (`Request 3 timed out.` will do)."""
    timed_out = sorted(line.number for line in mixed.pings if line.timed_out)
    unrun = mixed.unrun()
    expect(
        timed_out == sorted(MIXED.drop) and not unrun,
        expected="a time-out line for pings 3, 7 and 9, and for no other",
        got=(f"time-out lines for pings {timed_out}" if timed_out else "no time-out line")
        + (f", but {unrun}" if unrun else "") + "\n" + mixed.output(),
        wire=mixed.server.transcript,
    )


@points(3)
def test_prints_each_reply_exactly_as_received(mixed: PingRun) -> None:
    """On a reply, the reply exactly as received (and its RTT), for each ping in order."""
    answered = [seq for seq in range(1, PINGS + 1) if MIXED.answered_in_time(seq)]
    printed = {line.seq: line for line in mixed.pings if not line.timed_out and line.seq == line.number}
    missing = [seq for seq in answered if seq not in printed]
    inexact = [seq for seq in answered if seq in printed and not printed[seq].exact]
    expect(
        not missing and not inexact,
        expected=f"the replies to pings {answered}, each exactly as the server sent it, in order",
        got="; ".join(filter(None, [
            f"no line with the reply to ping(s) {missing}" if missing else "",
            f"the reply to ping(s) {inexact} changed (case?)" if inexact else "",
        ])) + "\n" + mixed.output(),
        wire=mixed.server.transcript,
    )


@points(3)
def test_reports_each_rtt_within_30_ms(mixed: PingRun) -> None:
    """The RTT of each reply, read after `rtt` (or `round-trip time`, or `time=`), is within
    30 ms of the true round trip (the server holds the replies 20 to 300 ms; the time it really
    held each one, as the server measured it, is the reference)."""
    answered = [k for k in range(1, min(len(mixed.server.pings), PINGS) + 1) if MIXED.answered_in_time(k)]
    problems = [problem for k in answered if (problem := _rtt_problem(mixed, k))]
    unrun = mixed.unrun()
    expect(
        not problems and not unrun,
        expected=f"the RTT of every ping the server answered, within {RTT_WITHIN * 1000:g} ms of the time it held the reply"
        " (and longer by what the graders saw the machine delay the pinger)",
        got="; ".join(problems[:5]) or unrun,
        wire=mixed.server.transcript,
    )


def _rtt_problem(run: PingRun, k: int) -> str:
    """What keeps the RTT printed for ping ``k``, which the server answered, from matching the
    time the server held the reply ('' if it matches)."""
    line = run.line_for(k)
    held = run.server.held(k)
    if line is None or line.timed_out:
        return f"ping {k}: {'a time-out line' if line else 'no line'}, yet the server answered it after {MIXED.delay_of(k) * 1000:.0f} ms"
    if line.rtt is None:
        return f"ping {k}: no RTT after `rtt`, `round-trip time` or `time=` in {line.text!r}"
    if held is None:
        return f"ping {k}: RTT {line.rtt * 1000:.1f} ms, but the pinger had ended before the server sent the reply"
    seen = _delays_seen(run, k)
    if not -RTT_WITHIN <= line.rtt - held <= RTT_WITHIN + seen:
        delayed = f" and the machine delayed the pinger {seen * 1000:.0f} ms" if seen >= 0.0005 else ""
        return f"ping {k}: RTT {line.rtt * 1000:.1f} ms, the server held the reply {held * 1000:.0f} ms{delayed}"
    return ""


def _delays_seen(run: PingRun, k: int) -> float:
    """How much longer than the server held its reply a correct pinger may measure the RTT of
    ping ``k`` on a busy machine, from what the graders saw of the pinger's delays: from the t in
    the ping to its arrival, and from the reply leaving to the t of the next ping (a pinger stops
    its clock before it stamps the next ping); each beyond the least such delay of its pings (a
    delay in every ping is the pinger's own, a sleep before each send, say, not the machine's),
    and at most T_WITHIN. After the last ping, with no next one to tell, how late the server's own
    timer sent the reply."""
    sending = _beyond_the_least(run.server.sending_delays(), k)
    stamping = run.server.stamping_delays()
    held = run.server.held(k)
    if k in stamping:
        receiving = _beyond_the_least(stamping, k)
    else:
        receiving = held - run.schedule.delay_of(k) if held is not None else 0.0
    return sum(min(max(delay, 0.0), T_WITHIN) for delay in (sending, receiving))


def _beyond_the_least(delays: dict[int, float], k: int) -> float:
    return delays[k] - min(delays.values()) if k in delays else 0.0


@points(2)
def test_a_late_reply_is_not_taken_for_a_later_ping(late: PingRun) -> None:
    """A reply that arrives after its ping timed out is not taken as the reply to a later ping
    (here ping 2's reply comes 1.3 s late, 0.3 s into ping 3's wait, and ping 5's reply comes
    twice, the second 0.2 s into ping 6's wait)."""
    problems = [problem for number, earlier in ((3, 2), (6, 5)) if (problem := _late_problem(late, number, earlier))]
    expect(
        not problems,
        expected="the replies to pings 3 and 6 under their own numbers, not the earlier replies that came meanwhile",
        got="; ".join(problems) + "\n" + late.output(),
        wire=late.server.transcript,
    )


def _late_problem(run: PingRun, number: int, earlier: int) -> str:
    """What shows that under ping ``number`` it took the late reply to ping ``earlier`` ('' if
    nothing does): the reply it printed there, or, where it printed no reply text, an RTT nearer
    the late reply's coming than its own reply's."""
    line = run.line_for(number)
    if line is None or line.timed_out:
        return f"no reply line for ping {number}"
    if line.seq is not None:
        return "" if line.seq == number else f"under ping {number} it printed the reply to ping {line.seq}: {line.text!r}"
    own = run.server.held(number)
    came = run.server.late_reply(earlier, during=number)
    if line.rtt is None or own is None or came is None or abs(line.rtt - came) >= abs(line.rtt - own):
        return ""
    return (
        f"under ping {number} it printed no reply text, and an RTT of {line.rtt * 1000:.0f} ms: when ping {earlier}'s late reply"
        f" came ({came * 1000:.0f} ms), not its own ({own * 1000:.0f} ms): {line.text!r}"
    )


@points(1)
def test_exits_0_after_the_last_ping(mixed: PingRun) -> None:
    """Exit 0 after the last ping (and the statistics)."""
    sent = len(mixed.server.pings)
    expect(
        sent == PINGS and mixed.program.exit_status == 0,
        expected=f"ten pings, then exit status 0, within {RUN_WITHIN:g} s",
        got=f"{sent} ping(s), then {mixed.program.describe_exit()}",
    )


# --- optional exercise 1: statistics ------------------------------------------------

LOSS = 100 * len(MIXED.drop) / PINGS


def _close(value: float | None, low: float, high: float) -> bool:
    """Within 2% (or 2 ms) of the range from ``low`` to ``high``."""
    return value is not None and low - max(0.002, 0.02 * low) <= value <= high + max(0.002, 0.02 * high)


def _ms(low: float, high: float) -> str:
    return f"{low * 1000:.1f}" if high - low < 0.00005 else f"{low * 1000:.1f} to {high * 1000:.1f}"


@points(2, group=STATISTICS)
def test_statistics_give_min_avg_max_of_the_rtts(mixed: PingRun) -> None:
    """After the ten pings, the minimum, average and maximum RTT of the replies: `min`, `avg`
    (or `average`), `max` each followed by its number, or `min/avg/max = a/b/c`."""
    lows, highs = [], []
    for k in range(1, PINGS + 1):
        if MIXED.answered_in_time(k):
            low, high = _rtt_range(mixed, k)
            lows.append(low)
            highs.append(high)
    wanted = [(min(lows), min(highs)), (sum(lows) / len(lows), sum(highs) / len(highs)), (max(lows), max(highs))]
    stats = mixed.statistics
    got = (stats.min, stats.avg, stats.max)
    unrun = mixed.unrun()
    expect(
        all(_close(value, *target) for value, target in zip(got, wanted)) and not unrun,
        expected="min/avg/max = " + "/".join(_ms(*target) for target in wanted) + " ms (of the RTTs it printed)",
        got="min/avg/max = " + "/".join("none" if v is None else f"{v * 1000:.1f}" for v in got) + " ms"
        + _unit_read(stats) + (f", but {unrun}" if unrun else "") + "\n" + mixed.output(),
    )


def _unit_read(stats: Statistics) -> str:
    """How numbers printed without a unit were read (LABS.md: in the RTTs' unit), for a message."""
    if stats.unitless is None:
        return ""
    return f" (printed without a unit: read in {unit_name(stats.unitless)}, the unit of its RTTs, as LABS.md says)"


def _rtt_range(run: PingRun, k: int) -> tuple[float, float]:
    """The RTT of ping ``k`` its statistics should take: its own figure, where its k-th ping line
    has one; else the time the server held the reply, up to the delays the graders saw."""
    line = run.line_for(k)
    if line is not None and line.rtt is not None:
        return line.rtt, line.rtt
    held = run.server.held(k)
    if held is None:
        return run.schedule.delay_of(k), run.schedule.delay_of(k)
    return held, held + _delays_seen(run, k)


@points(1, group=STATISTICS)
def test_statistics_give_the_packet_loss_rate(mixed: PingRun) -> None:
    """The packet loss rate, as `loss ... N%` or `N% packet loss` (3 of 10 lost: 30%)."""
    loss = mixed.statistics.loss
    unrun = mixed.unrun()
    expect(
        loss is not None and abs(loss - LOSS) < 0.5 and not unrun,
        expected=f"a loss of {LOSS:g}%",
        got=mixed.statistics.loss_said + (f", but {unrun}" if unrun else "")
        + "\n" + mixed.output(),
    )


# --- optional exercise 2: UDP Heartbeat -----------------------------------------------

BEAT_INTERVAL = 0.2  # a fraction of a second, not the default
BEAT_COUNT = 6
BEAT = re.compile(rf"^heartbeat (\d+) ({NUMBER})$", re.IGNORECASE)


@dataclass
class BeatRun:
    program: Program
    receiver: HeartbeatReceiver
    lateness: float  # the most the graders' own waits overran meanwhile: the client's were as late


@pytest.fixture(scope="module")
def beats(module_launcher: Launcher) -> BeatRun:
    """heartbeat_client.py --interval 0.2 --count 6, against the graders' receiver."""
    with Lateness() as seen, module_launcher.network():  # its own, where the client hard-codes its server's port
        receiver = HeartbeatReceiver(port=module_launcher.peer_port("heartbeat_client.py"))
        try:
            program = module_launcher.run(
                "heartbeat_client.py", "127.0.0.1", str(receiver.port), options=("--interval", str(BEAT_INTERVAL), "--count", str(BEAT_COUNT)),
                values={"interval": str(BEAT_INTERVAL), "count": str(BEAT_COUNT)}, within=BEAT_COUNT * 1.0 + 3,  # room for the default interval: 1 s
                port=receiver.port, peer=receiver,
            )
        finally:
            receiver.close()
    return BeatRun(program, receiver, min(seen.worst, LATE_AT_MOST))


@points(2, group=HEARTBEAT)
def test_heartbeat_client_sends_numbered_heartbeats_with_the_time(beats: BeatRun) -> None:
    """heartbeat_client.py sends `Heartbeat seq t`, `seq` from 1, `t` the sending time."""
    problems = []
    seqs = []
    for beat in beats.receiver.datagrams:
        match = BEAT.match(beat.data.decode("utf-8", "replace"))
        if match is None:
            problems.append(f"{beat.data[:40]!r} is not `Heartbeat seq t`")
            continue
        seqs.append(int(match.group(1)))
        off = float(match.group(2)) - beat.wall
        if not -T_WITHIN - beats.lateness <= off <= T_WITHIN:  # a t is earlier than its arrival by as long as the client was kept from sending
            problems.append(f"heartbeat {match.group(1)}: t is {off:+.3f} s off")
    if not beats.receiver.datagrams:
        problems.append("no datagram arrived")
    elif seqs != list(range(1, len(seqs) + 1)):
        problems.insert(0, f"the heartbeats were numbered {few(seqs)}")
    expect(
        not problems,
        expected=f"datagrams `Heartbeat seq t`, seq 1, 2, 3..., t within {T_WITHIN * 1000:g} ms of real time" + _late(beats.lateness),
        got="; ".join(problems[:4]) + ("" if seqs else f" ({beats.program.describe_exit()})"),
        wire=beats.receiver.transcript,
    )


@points(2, group=HEARTBEAT)
def test_heartbeat_client_keeps_the_interval_asked(beats: BeatRun) -> None:
    """heartbeat_client.py sends a heartbeat every `--interval` seconds (here 0.2)."""
    times = [beat.arrived for beat in beats.receiver.datagrams]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    mean = sum(gaps) / len(gaps) if gaps else None
    late = beats.lateness  # a gap is longer by as long as the client was kept from waking
    expect(
        mean is not None and -0.03 <= mean - BEAT_INTERVAL <= 0.03 + late and all(0.1 <= gap <= 0.35 + late for gap in gaps),
        expected=f"heartbeats {BEAT_INTERVAL:g} s apart (on average within 30 ms, each within 0.1 to 0.35 s)" + _late(late),
        got=f"gaps of {few([f'{gap:.3f}' for gap in gaps])} s" if gaps else f"{len(times)} datagram(s)",
        wire=beats.receiver.transcript,
    )


@points(1, group=HEARTBEAT)
def test_heartbeat_client_exits_0_after_count(beats: BeatRun) -> None:
    """With `--count N`, heartbeat_client.py sends N heartbeats, then exits 0."""
    sent = len(beats.receiver.datagrams)
    status = beats.program.exit_status
    expect(
        sent == BEAT_COUNT and status == 0,
        expected=f"{BEAT_COUNT} heartbeats, then exit status 0",
        got=f"{sent} datagram(s), then {beats.program.describe_exit()}",
        wire=beats.receiver.transcript,
    )


SILENCE = 1.0  # the server's --timeout in these checks
TRANSIT = 0.25  # each heartbeat's t is this far in the past: the server must print about this delay
DELAY_WITHIN = 0.1
STOPPED_WITHIN = SILENCE + 0.5  # LABS.md: within --timeout + 0.5 s


@dataclass
class Sender:
    """A grader-side heartbeat client, with its own UDP port (bound before it is made: the checks
    read its port after the socket is closed)."""

    sock: socket.socket
    sent: list[tuple[int, float]] = field(default_factory=list)  # (seq, time.monotonic())
    port: int = field(init=False)

    def __post_init__(self) -> None:
        self.port = self.sock.getsockname()[1]

    @classmethod
    def bound(cls) -> Sender:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((LOOPBACK, 0))
        return cls(sock)

    def beat(self, server_port: int, seq: int, transcript: Transcript) -> None:
        data = f"Heartbeat {seq} {time.time() - TRANSIT}".encode()
        self.sock.sendto(data, (LOOPBACK, server_port))
        transcript.client(data, datagram=True)
        self.sent.append((seq, time.monotonic()))


@dataclass
class BeatServerRun:
    program: Program
    a: Sender  # beats 1, 2, 3, 6 (4 and 5 lost), then falls silent
    b: Sender  # beats every 0.3 s throughout
    stopped_after: float | None  # seconds from a's last beat to its `stopped` line
    text: str  # stdout when the scenario ended
    transcript: Transcript
    lateness: float  # the most the graders' own waits overran meanwhile: the server's were as late


def stopped_line(port: int) -> re.Pattern[str]:
    return re.compile(rf"client\s+127\.0\.0\.1:{port}\s+stopped", re.IGNORECASE)


@pytest.fixture(scope="module")
def beat_server(module_launcher: Launcher) -> Iterator[BeatServerRun]:
    """heartbeat_server.py --timeout 1, with two clients on a fixed timeline (in a network of its
    own where the server hard-codes its port)."""
    with Lateness() as seen, module_launcher.network():  # the clients' sockets too: a socket lives in the network it was made in
        a, b = Sender.bound(), Sender.bound()
        try:
            run = heard_on_a_timeline(module_launcher, a, b, seen)
        finally:
            a.sock.close()
            b.sock.close()
    yield run  # out of its network: the checks only read what it printed


def heard_on_a_timeline(launcher: Launcher, a: Sender, b: Sender, lateness: Lateness) -> BeatServerRun:
    """Client A beats 1, 2, 3, 6, then falls silent; B beats every 0.3 s until past A's stop."""
    program, port = launcher.serve("heartbeat_server.py", "udp", "--timeout", str(SILENCE), values={"timeout": str(SILENCE)})
    transcript = Transcript()
    timeline = [(0.0, a, 1), (0.1, a, 2), (0.2, a, 3), (0.3, a, 6)]
    timeline += [(0.05 + 0.3 * k, b, k + 1) for k in range(9)]  # until 2.45 s: past a's stop
    a_stopped = stopped_line(a.port)
    seen: float | None = None
    start = time.monotonic()
    for offset, sender, seq in sorted(timeline, key=lambda event: event[0]):
        due = start + offset
        if seen is None and program.stdout.wait_until(lambda text: bool(a_stopped.search(text)), due):
            seen = time.monotonic()  # watched for while waiting for the next beat's time
        time.sleep(max(0.0, due - time.monotonic()))  # the timeline's own pacing, once A's line is seen
        sender.beat(port, seq, transcript)
    a_last = a.sent[-1][1]
    if seen is None and program.stdout.wait_until(lambda text: bool(a_stopped.search(text)), a_last + STOPPED_WITHIN + 0.5):
        seen = time.monotonic()
    last_b = re.compile(rf"heartbeat\s+{b.sent[-1][0]}\s+from\s+127\.0\.0\.1:{b.port}\b", re.IGNORECASE)
    program.stdout.wait_until(lambda text: bool(last_b.search(text)), time.monotonic() + 1.0)  # its last line in
    stopped_after = None if seen is None else seen - a_last
    return BeatServerRun(program, a, b, stopped_after, program.stdout.text(), transcript, min(lateness.worst, LATE_AT_MOST))


@points(2, group=HEARTBEAT)
def test_heartbeat_server_prints_each_heartbeat_with_its_delay(beat_server: BeatServerRun) -> None:
    """heartbeat_server.py prints, per heartbeat, `Heartbeat seq from HOST:PORT delay=<seconds>`
    (receive time minus `t`; here each `t` is 0.25 s in the past)."""
    problems = []
    before_a_stopped = beat_server.a.sent[-1][1] + SILENCE - 0.1  # later ones are the keeps-serving check's
    for sender in (beat_server.a, beat_server.b):
        for seq, sent in sender.sent:
            if sent > before_a_stopped:
                continue
            line = re.search(
                rf"heartbeat\s+{seq}\s+from\s+127\.0\.0\.1:{sender.port}\b.*?delay\s*=\s*({NUMBER})",
                beat_server.text, re.IGNORECASE,
            )
            if line is None:
                problems.append(f"no line for heartbeat {seq} from 127.0.0.1:{sender.port}")
            elif not -DELAY_WITHIN <= float(line.group(1)) - TRANSIT <= DELAY_WITHIN + beat_server.lateness:  # a late read adds
                problems.append(f"heartbeat {seq} from :{sender.port}: delay={line.group(1)}")
    expect(
        not problems,
        expected=f"a line per heartbeat, delay={TRANSIT:g} (within {DELAY_WITHIN:g} s)" + _late(beat_server.lateness),
        got="; ".join(problems[:4]) + "\n" + beat_server.program.describe_output(),
        wire=beat_server.transcript,
    )


@points(2, group=HEARTBEAT)
def test_heartbeat_server_reports_exactly_the_lost_heartbeats(beat_server: BeatServerRun) -> None:
    """For every sequence number skipped since the last one heard from that client,
    a line `Lost seq from HOST:PORT` (client A skips 4 and 5; client B skips none)."""
    found = sorted(
        (int(seq), int(port))
        for seq, port in re.findall(r"lost\s+(\d+)\s+from\s+127\.0\.0\.1:(\d+)", beat_server.text, re.IGNORECASE)
    )
    wanted = [(4, beat_server.a.port), (5, beat_server.a.port)]
    expect(
        found == wanted,
        expected=f"`Lost 4` and `Lost 5` from 127.0.0.1:{beat_server.a.port}, and no other",
        got=f"Lost lines for {found or 'nothing'}\n" + beat_server.program.describe_output(),
        wire=beat_server.transcript,
    )


@points(2, group=HEARTBEAT)
def test_heartbeat_server_reports_a_silent_client_stopped_in_time(beat_server: BeatServerRun) -> None:
    """Once a client heard before has been silent for `--timeout` seconds, one line
    `Client HOST:PORT stopped`, within `--timeout` + 0.5 s."""
    after = beat_server.stopped_after
    late = beat_server.lateness  # the server's check, and the graders' look at its output, as late as that
    count = len(stopped_line(beat_server.a.port).findall(beat_server.text))
    expect(
        after is not None and SILENCE - 0.1 <= after <= STOPPED_WITHIN + 0.1 + late and count == 1,
        expected=f"one `Client 127.0.0.1:{beat_server.a.port} stopped`, {SILENCE:g} to {STOPPED_WITHIN:g} s after its last heartbeat" + _late(late),
        got=("no such line" if after is None else f"{count} such line(s), the first {after:.2f} s after its last heartbeat")
        + "\n" + beat_server.program.describe_output(),
        wire=beat_server.transcript,
    )


@points(1, group=HEARTBEAT)
def test_heartbeat_server_keeps_serving_other_clients(beat_server: BeatServerRun) -> None:
    """heartbeat_server.py keeps serving other clients: client B's heartbeats after client A
    stopped are printed, and B, never silent for 1 s, is not reported stopped."""
    a_last = beat_server.a.sent[-1][1]
    later = [seq for seq, sent in beat_server.b.sent if sent > a_last + STOPPED_WITHIN]
    missing = [
        seq for seq in later
        if not re.search(rf"heartbeat\s+{seq}\s+from\s+127\.0\.0\.1:{beat_server.b.port}\b", beat_server.text, re.IGNORECASE)
    ]
    b_times = [sent for _, sent in beat_server.b.sent]
    b_longest_gap = max((later - earlier for earlier, later in itertools.pairwise(b_times)), default=0.0)
    b_kept_alive = b_longest_gap + beat_server.lateness < SILENCE  # else the graders, late on a busy machine, fell silent to it
    b_stopped = b_kept_alive and stopped_line(beat_server.b.port).search(beat_server.text)
    expect(
        later != [] and not missing and not b_stopped,
        expected=f"client B's heartbeats {later} printed, and no `stopped` for B",
        got=(f"no line for B's heartbeats {missing}" if missing else "B was reported stopped" if b_stopped
             else f"no heartbeat of B's was sent {STOPPED_WITHIN:g} s after A's last (the graders were late)")
        + "\n" + beat_server.program.describe_output(),
        wire=beat_server.transcript,
    )


@points(1, group=HEARTBEAT)
def test_heartbeat_server_survives_a_malformed_datagram(launcher: Launcher) -> None:
    """One bad client never stops a server: after datagrams that are not heartbeats,
    heartbeat_server.py still prints the next heartbeat."""
    program, port = launcher.serve("heartbeat_server.py", "udp", "--timeout", "5", values={"timeout": "5"})
    transcript = Transcript()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.bind((LOOPBACK, 0))
        for junk in (b"\xff\xfe not utf-8", b"Heartbeat one two", b"Heartbeat", b""):
            client.sendto(junk, (LOOPBACK, port))
            transcript.client(junk, datagram=True)
        sender = Sender(client)
        sender.beat(port, 1, transcript)
        pattern = re.compile(rf"heartbeat\s+1\s+from\s+127\.0\.0\.1:{sender.port}\b", re.IGNORECASE)
        printed = program.stdout.wait_until(lambda text: bool(pattern.search(text)), time.monotonic() + 1.0)
    expect(
        printed,
        expected="the line for the heartbeat after the malformed datagrams, within 1 s",
        got="no such line\n" + program.describe_output(),
        wire=transcript,
    )


# --- optional exercise 1 again: last, so the ten lost pings' 10 s pass while the checks above run


@points(2, group=STATISTICS)
def test_no_reply_at_all_gives_only_the_loss_line_100_percent(all_lost: PingRun) -> None:
    """With no reply at all, only the loss line (100%); and exit 0 (no division by zero)."""
    stats = all_lost.statistics
    unrun = all_lost.unrun()  # it says how the program ended
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
