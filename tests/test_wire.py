"""Transcripts render what crossed the wire legibly; differences are told in words."""

from __future__ import annotations

from graders.vocabulary.wire import Transcript, describe_difference, render_bytes


def test_transcript_merges_a_sides_segments_and_shows_line_ends() -> None:
    wire = Transcript()
    wire.client(b"GET / HTTP/1.1\r\n")
    wire.client(b"\r\n")
    wire.server(b"HTTP/1.1 200 OK\r\n\r\nhi")
    wire.event("connection closed by the server")
    assert wire.render().splitlines() == [
        "C: GET / HTTP/1.1␍␊",
        "C: ␍␊",
        "S: HTTP/1.1 200 OK␍␊",
        "S: ␍␊",
        "S: hi",
        "-- connection closed by the server",
    ]
    assert wire.sent_by("C") == b"GET / HTTP/1.1\r\n\r\n"


def test_a_turn_is_its_segments_joined_and_keeps_none_of_the_senders_buffer() -> None:
    wire = Transcript()
    sent = bytearray(b"HTTP/1.1 200 OK\r\n")
    wire.server(sent)
    sent[:] = b"overwritten by the sender"
    wire.server(b"\r\nbody")
    wire.client(b"next")
    assert [(turn.who, turn.data) for turn in wire.turns] == [("S", b"HTTP/1.1 200 OK\r\n\r\nbody"), ("C", b"next")]
    assert wire.sent_by("S") == b"HTTP/1.1 200 OK\r\n\r\nbody"
    wire.event("TLS from here")
    wire.client(b"inside")
    assert wire.sent_by("C", since=2) == b"inside"  # the turns from the event on


def test_datagrams_stay_apart() -> None:
    wire = Transcript()
    wire.client(b"a", datagram=True)
    wire.client(b"b", datagram=True)
    assert wire.render().splitlines() == ["C: a", "C: b"]


def test_binary_and_long_bodies_are_counted_not_dumped() -> None:
    assert render_bytes(b"\x89PNG\r\n\x1a\n\x00\x00") == ["(10 bytes of binary data: 89 50 4e 47 0d 0a 1a 0a 00 00...)"]
    lines = render_bytes(b"HTTP/1.1 200 OK\r\n\r\n" + bytes(range(256)) * 40)
    assert lines == ["HTTP/1.1 200 OK␍␊", "␍␊", "(10240 bytes of body)"]


def test_long_turns_are_shortened() -> None:
    lines = render_bytes(b"".join(b"line %d\n" % i for i in range(30)))
    assert lines[-1] == "... (22 more lines)" and len(lines) == 9


def test_describe_difference() -> None:
    assert describe_difference(b"abc", b"abc", "x") == "exactly x"
    assert describe_difference(b"", b"abc", "x") == "nothing"
    assert describe_difference(b"abc\n", b"abc", "x") == "the 3 bytes of x, then 1 more: b'\\n'"
    assert describe_difference(b"ab", b"abc", "x") == "only the first 2 of the 3 bytes of x"
    big = bytes(200_000)
    changed = big[:150_001] + b"\x01" + big[150_002:]
    assert describe_difference(changed, big, "big.bin").startswith("200000 bytes that part from big.bin at byte 150001: b'\\x01")
