"""What crossed the wire, kept in order and shown as ``C:``/``S:`` lines.

A transcript records raw bytes as they were sent and received, and events
such as a close or a time-out. It renders like an SMTP session log, with line
ends made visible (``␍␊``) and long exchanges shortened to what matters.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

MAX_LINES_PER_TURN = 8
MAX_LINE_CHARS = 100
MAX_TURNS = 24


@dataclass
class Turn:
    """One stretch of bytes from one side (or a note when ``pieces`` is None)."""

    who: str  # "C", "S", or "--" for an event
    pieces: list[bytes] | None = None  # as they came; joined when read, as a bytearray grown in place copied big bodies over and over
    note: str = ""
    separate: bool = False  # a datagram: never merged with its neighbours

    @property
    def data(self) -> bytes | None:
        if self.pieces is None:
            return None
        return self.pieces[0] if len(self.pieces) == 1 else b"".join(self.pieces)


@dataclass
class Transcript:
    """Everything one exchange put on the wire, in order; safe across threads."""

    turns: list[Turn] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __bool__(self) -> bool:
        return bool(self.turns)

    def client(self, data: bytes, *, datagram: bool = False) -> None:
        self._add(Turn("C", [bytes(data)], separate=datagram))

    def server(self, data: bytes, *, datagram: bool = False) -> None:
        self._add(Turn("S", [bytes(data)], separate=datagram))

    def event(self, note: str) -> None:
        self._add(Turn("--", note=note))

    def _add(self, turn: Turn) -> None:
        with self._lock:
            last = self.turns[-1] if self.turns else None
            if (
                last is not None
                and last.pieces is not None
                and turn.pieces is not None
                and last.who == turn.who
                and not (turn.separate or last.separate)
            ):
                last.pieces += turn.pieces
            else:
                self.turns.append(turn)

    def sent_by(self, who: str, since: int = 0) -> bytes:
        """All bytes one side sent (in the turns from index ``since`` on), joined."""
        with self._lock:
            return b"".join(piece for t in self.turns[since:] if t.who == who and t.pieces is not None for piece in t.pieces)

    def render(self) -> str:
        with self._lock:
            turns = list(self.turns)
        lines: list[str] = []
        shown = turns[:MAX_TURNS]
        for turn in shown:
            if turn.pieces is None:
                lines.append(f"-- {turn.note}")
            else:
                lines += [f"{turn.who}: {line}" for line in render_bytes(b"".join(turn.pieces))]
        if len(turns) > len(shown):
            lines.append(f"... ({len(turns) - len(shown)} more turns)")
        return "\n".join(lines)


def render_bytes(data: bytes) -> list[str]:
    """Bytes as display lines: text with visible line ends, binary as a count."""
    if not data:
        return ["(empty)"]
    head_end = data.find(b"\r\n\r\n")
    head = data if head_end < 0 else data[: head_end + 4]
    body = b"" if head_end < 0 else data[head_end + 4 :]
    if _looks_binary(head):
        return [f"({len(data)} bytes of binary data: {data[:16].hex(' ')}...)"]
    lines = [_visible(line) for line in head.splitlines(keepends=True)]
    if body:
        if _looks_binary(body[:512]) or len(body) > 2048:
            lines.append(f"({len(body)} bytes of body)")
        else:
            lines += [_visible(line) for line in body.splitlines(keepends=True)]
    if len(lines) > MAX_LINES_PER_TURN:
        hidden = len(lines) - MAX_LINES_PER_TURN
        lines = lines[:MAX_LINES_PER_TURN] + [f"... ({hidden} more lines)"]
    return lines


def _looks_binary(data: bytes) -> bool:
    if not data:
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t")
    return controls > len(text) // 20


def _visible(line: bytes) -> str:
    text = line.decode("utf-8", "backslashreplace")
    text = text.replace("\r", "␍").replace("\n", "␊")
    if len(text) > MAX_LINE_CHARS:
        text = text[:MAX_LINE_CHARS] + f"... ({len(text) - MAX_LINE_CHARS} more chars)"
    return text


def describe_difference(got: bytes, wanted: bytes, what: str) -> str:
    """How ``got`` differs from ``wanted`` (``what`` names it), in words: where they part, and how."""
    if got == wanted:
        return f"exactly {what}"
    if not got:
        return "nothing"
    if got.startswith(wanted):
        return f"the {len(wanted)} bytes of {what}, then {len(got) - len(wanted)} more: {got[len(wanted):][:24]!r}"
    if wanted.startswith(got):
        return f"only the first {len(got)} of the {len(wanted)} bytes of {what}"
    limit, step = min(len(got), len(wanted)), 65536
    block = next((i for i in range(0, limit, step) if got[i : i + step] != wanted[i : i + step]), limit)
    at = next(i for i in range(block, block + step) if got[i] != wanted[i])
    return (
        f"{len(got)} bytes that part from {what} at byte {at}: "
        f"{got[at : at + 16]!r} where {what} has {wanted[at : at + 16]!r}"
    )
