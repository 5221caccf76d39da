"""The pinger's output is read as LABS.md describes it, in the variants real students write."""

from __future__ import annotations

import pytest

from graders.peers.icmp_output import request_lines
from graders.peers.ping_output import Statistics, ping_lines, rtt_in, statistics, unit_name

REPLIES = {seq: f"PING {seq} 1732600000.{seq:06d}" for seq in range(1, 11)}


@pytest.mark.parametrize(
    ("line", "seconds"),
    [
        ("Reply from 127.0.0.1: PING 1 1732600000.1 rtt=0.012345 s", 0.012345),
        ("RTT: 12.3 ms", 0.0123),
        ("rtt 12.3ms", 0.0123),
        ("RTT = 1.23e-02", 0.0123),  # no unit: seconds
        ("Round-trip time: 250 us", 0.00025),
        ("round trip time 0.5 seconds", 0.5),
        ("64 bytes from 127.0.0.1: seq=1 time=3.5 ms", 0.0035),
        ("RTT 0.0123 sec", 0.0123),
        ("rtt=5 msec", 0.005),
    ],
)
def test_rtt_is_read_after_its_label(line: str, seconds: float) -> None:
    found = rtt_in(line)
    assert found is not None and found[0] == pytest.approx(seconds)


@pytest.mark.parametrize("line", ["Request timed out", "PING 1 1732600000.1 0.0123", "sent at time 5"])
def test_no_label_no_rtt(line: str) -> None:
    assert rtt_in(line) is None


def test_one_line_and_two_line_forms_and_time_out_variants() -> None:
    lines = [
        "Pinging 127.0.0.1 with 10 pings:",
        f"Reply: {REPLIES[1]} rtt=0.05 s",
        REPLIES[2],
        "RTT: 200 ms",
        "Request 3 timed out.",
        f"{REPLIES[4]} (time=100ms)",
        "request timeout",
        "Request time-out for ping 6",
    ]
    found = ping_lines(lines, REPLIES)
    assert [(p.number, p.timed_out, p.seq, p.rtt) for p in found] == [
        (1, False, 1, pytest.approx(0.05)),
        (2, False, 2, pytest.approx(0.2)),
        (3, True, None, None),
        (4, False, 4, pytest.approx(0.1)),
        (5, True, None, None),
        (6, True, None, None),
    ]
    assert all(p.exact for p in found if not p.timed_out)


def test_a_reply_printed_in_another_case_is_found_but_not_exact() -> None:
    (line,) = ping_lines([f"{REPLIES[1].lower()} rtt=0.01"], REPLIES)
    assert (line.seq, line.exact) == (1, False)


SENT = {seq: f"Ping {seq} 1732600000.{seq:06d}" for seq in range(1, 11)}


def test_a_line_showing_what_was_sent_is_no_ping_line() -> None:
    lines = [
        f"Sent: {SENT[1]}", f"Reply: {REPLIES[1]} rtt=0.05 s",
        f"Sent: {SENT[2]}", REPLIES[2], "RTT: 200 ms",
        f"Sent: {SENT[3]}", "Request 3 timed out.",
        f"sending {SENT[4]} ... Request timed out",
    ]
    found = ping_lines(lines, REPLIES, SENT)
    assert [(p.number, p.timed_out, p.seq, p.exact) for p in found] == [
        (1, False, 1, True), (2, False, 2, True), (3, True, None, False), (4, True, None, False),
    ]


def test_a_time_out_line_of_no_known_form_does_not_shift_the_pings_after_it() -> None:
    """The numbering holds on to the lines that show what was sent: ping 2's unreadable time-out
    line costs ping 2 its line, and ping 2's late reply, printed under ping 3, stays ping 3's."""
    lines = [
        f"Sent: {SENT[1]}", f"Reply: {REPLIES[1]} rtt=0.05 s",
        f"Sent: {SENT[2]}", "Ping 2: no answer",
        f"Sent: {SENT[3]}", f"Reply: {REPLIES[2]} rtt=0.3 s",
        f"Sent: {SENT[4]}", f"Reply: {REPLIES[3]} rtt=0.2 s",
    ]
    found = ping_lines(lines, REPLIES, SENT)
    assert [(p.number, p.seq) for p in found] == [(1, 1), (3, 2), (4, 3)]


def test_a_line_showing_what_was_sent_after_its_ping_line_moves_nothing_back() -> None:
    lines = [f"Reply: {REPLIES[1]} rtt=0.05 s", f"(sent {SENT[1]})", "Request timed out", f"(sent {SENT[2]})"]
    found = ping_lines(lines, REPLIES, SENT)
    assert [(p.number, p.timed_out) for p in found] == [(1, False), (2, True)]


def test_the_sent_message_printed_with_an_rtt_stands_for_its_reply_but_not_exactly() -> None:
    """The message it sent, where the reply should be: a reply line, but not the reply as received."""
    one_line = ping_lines([f"Reply: {SENT[1]} rtt=0.05 s"], REPLIES, SENT)
    two_lines = ping_lines([f"Reply: {SENT[1]}", "rtt=0.05 s"], REPLIES, SENT)
    assert [(p.seq, p.exact, p.rtt) for p in one_line + two_lines] == [(1, False, pytest.approx(0.05))] * 2


def test_a_late_reply_shows_under_the_ping_it_was_taken_for() -> None:
    lines = [f"{REPLIES[1]} rtt=0.01", f"{REPLIES[1]} rtt=0.3", f"{REPLIES[2]} rtt=0.1"]
    found = ping_lines(lines, REPLIES)
    assert [(p.number, p.seq) for p in found] == [(1, 1), (2, 1), (3, 2)]


def test_a_ping_without_any_line_does_not_shift_the_others() -> None:
    found = ping_lines([f"{REPLIES[1]} rtt=0.01", f"{REPLIES[4]} rtt=0.01"], REPLIES)
    assert [p.number for p in found] == [1, 4]


def test_only_the_first_ten_ping_lines_count() -> None:
    lines = [f"{REPLIES[seq]} rtt=0.01" for seq in range(1, 11)] + ["Request timed out"]
    assert len(ping_lines(lines, REPLIES)) == 10


@pytest.mark.parametrize(
    ("lines", "factor", "expected"),
    [
        (["rtt min/avg/max/mdev = 1.0/2.0/3.0/0.5 ms", "10 packets transmitted, 7 received, 30% packet loss"], 1.0,
         (0.001, 0.002, 0.003, 30.0)),
        (["Minimum RTT: 0.01 s", "Average RTT: 0.02", "Maximum: 0.03s", "Loss rate: 30.0%"], 1.0, (0.01, 0.02, 0.03, 30.0)),
        (["min 5 avg 10 max 20", "packet loss: 25 %"], 0.001, (0.005, 0.01, 0.02, 25.0)),  # the RTTs' unit
        (["min/avg/max = 1.2e-03/2e-03/3E-03", "loss 100%"], 1.0, (0.0012, 0.002, 0.003, 100.0)),
        (["Packets: sent 10, received 0, 100% loss"], 1.0, (None, None, None, 100.0)),
    ],
)
def test_statistics_in_every_form(lines: list[str], factor: float, expected: tuple) -> None:  # type: ignore[type-arg]
    stats = statistics(lines, factor)
    assert (stats.min, stats.avg, stats.max, stats.loss) == tuple(
        pytest.approx(value) if value is not None else None for value in expected
    )


@pytest.mark.parametrize(("lines", "unitless"), [
    (["min/avg/max = 1.0/2.0/3.0"], 1e-3),
    (["Minimum RTT: 1.0", "Average RTT: 2.0 ms", "Maximum RTT: 3.0 ms"], 1e-3),
    (["min/avg/max = 1.0/2.0/3.0 ms"], None),
    (["min 1.0 ms, avg 2.0 ms, max 3.0 ms"], None),
])
def test_statistics_say_which_numbers_were_read_in_the_rtts_unit(lines: list[str], unitless: float | None) -> None:
    """LABS.md: numbers without a unit are in the RTTs' unit; a message must say it read them so."""
    assert statistics(lines, 1e-3).unitless == unitless
    assert unit_name(1e-3) == "ms" and unit_name(1.0) == "s" and unit_name(1e-6) == "us"


def test_a_bare_number_is_an_icmp_rtt_in_seconds_only_where_the_course_says_so() -> None:
    """The textbook's print(delay): `0.25` is an RTT of 250 ms under ``bare_rtt``, never one without it;
    a number inside other words (the heading's address) is no bare RTT."""
    lines = ["Pinging 127.0.0.1 using Python:", "", "0.2503", "Request timed out.", "1.5e-05", "Destination Host Unreachable"]
    read = request_lines(lines, 4, bare_rtt=True)
    assert [(line.number, line.rtt, line.timed_out, line.error) for line in read] == [
        (1, 0.2503, False, None), (2, None, True, None), (3, 1.5e-05, False, None), (4, None, False, "unreachable 1")]
    assert [line.number for line in request_lines(lines, 4)] == [1, 2]  # the time-out and the error only


def test_the_loss_is_said_as_printed_or_as_missing() -> None:
    assert Statistics(loss=30.0).loss_said == "a loss of 30%"
    assert Statistics(loss=33.3).loss_said == "a loss of 33.3%"
    assert Statistics().loss_said == "no loss line"
