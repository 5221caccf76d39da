"""The one exception a check raises, and how it reads.

A failed check says four things (STYLE.md): the rule it grades (taken from
the test's docstring by the plugin), what was expected, what happened, and
the wire transcript where there was one. Anything else that escapes a test is
a harness bug and keeps its traceback. What a check says it got is bounded here,
once for every check: a program that floods (154,444 pings) costs its points,
not a message of megabytes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from _pytest._io import TerminalWriter

from graders.vocabulary.wire import Transcript


class CheckFailed(AssertionError):
    """What a submission did that its lab rule does not allow."""

    def __init__(self, expected: str, got: str, wire: Transcript | None = None) -> None:
        shown = bounded(got)
        super().__init__(f"expected {expected}; got {shown}")
        self.expected = expected
        self.got = shown
        self.wire = wire

    def report(self, rule: str, notes: list[str]) -> FailureText:
        """What pytest shows: the whole message, and its first ``got`` line for the summary."""
        return FailureText(self.render(rule, notes), ReprCrash(self.got.splitlines()[0].removesuffix(":") if self.got else ""))

    def render(self, rule: str, notes: list[str] | None = None) -> str:
        """The four-part message shown to the student, and what else the harness saw (``notes``)."""
        lines = [f"rule:     {rule}"]
        lines += _labelled("expected", self.expected)
        lines += _labelled("got", self.got)
        if self.wire is not None and self.wire:
            lines += _labelled("wire", self.wire.render())
        for note in notes or []:
            lines += _labelled("note", note)
        return "\n".join(lines)


@dataclass(frozen=True)
class ReprCrash:
    message: str


@dataclass(frozen=True)
class FailureText:
    """A test report's ``longrepr``: printed as is, no traceback, no source."""

    text: str
    reprcrash: ReprCrash

    def toterminal(self, tw: TerminalWriter) -> None:
        for line in self.text.splitlines():
            tw.line(line)

    def __str__(self) -> str:
        return self.text


LABEL_WIDTH = 10  # "expected: ": a message's text starts here, continuation lines indented to it


def _labelled(label: str, text: str) -> list[str]:
    head, *rest = text.splitlines() or [""]
    return [f"{label + ':':<{LABEL_WIDTH}}{head}"] + [f"{'':{LABEL_WIDTH}}{line}" for line in rest]


GOT_LINES = 60  # lines of a `got:` shown, its last one saying how many more there were
GOT_LINE_CHARS = 500  # characters of one line of it shown, the count of the rest included
COUNT_ROOM = 40  # characters kept for that count: "... (1,234,567,890 more characters)"
FEW = 10  # items of a list a message names before it says how many more


def bounded(got: str) -> str:
    """``got`` as a message shows it: its first lines, each cut short, then a count of the rest.
    Bounding it again changes nothing, so a check may pass on another's ``got``."""
    lines = got.splitlines()
    if len(lines) <= GOT_LINES and all(len(line) <= GOT_LINE_CHARS for line in lines):
        return got
    if len(lines) > GOT_LINES:
        more = len(lines) - (GOT_LINES - 1)
        lines = [*lines[: GOT_LINES - 1], f"... ({more:,} more lines)"]
    return "\n".join(_cut(line) for line in lines)


def _cut(line: str) -> str:
    if len(line) <= GOT_LINE_CHARS:
        return line
    kept = GOT_LINE_CHARS - COUNT_ROOM
    return f"{line[:kept]}... ({len(line) - kept:,} more characters)"


def few(items: Sequence[object], shown: int = FEW) -> str:
    """A list for a message: its first items, then how many more (``1, 2, 3, ... (154,441 more)``)."""
    head = ", ".join(str(item) for item in items[:shown])
    return head if len(items) <= shown else f"{head}, ... ({len(items) - shown:,} more)"


class Judgements:
    """Each expectation a check saw hold, with the wire it judged: what ``netlab compare`` shows
    of a passing check beside a failing one. Off unless the plugin turns it on for a check."""

    current: list[tuple[str, str]] | None = None

    @classmethod
    def start(cls) -> None:
        cls.current = []

    @classmethod
    def stop(cls) -> list[tuple[str, str]]:
        judged, cls.current = cls.current or [], None
        return judged


def expect(condition: bool, expected: str, got: str, wire: Transcript | None = None) -> None:
    """Fail the check unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(expected, got, wire)
    if Judgements.current is not None:
        Judgements.current.append((expected, wire.render() if wire else ""))


def expect_crlf_lines(head: bytes, what: str, wire: Transcript | None = None) -> None:
    """Fail unless every line of a protocol head (up to its last LF) ends in CRLF."""
    bare = [line + b"\n" for line in head.split(b"\n")[:-1] if not line.endswith(b"\r")]
    expect(
        not bare,
        expected=f"every line of {what} ended by CRLF (␍␊)",
        got=f"{len(bare)} line(s) ended by a bare LF, the first {bare[0]!r}" if bare else "",
        wire=wire,
    )


_FENCE = "```"


def as_markdown(message: str) -> str:
    """A check's message for Gradescope's ``md``: each label in bold, the wire in a code block
    (its ␍␊ markers and spacing kept as they are)."""
    out: list[str] = []
    for label, text in sections(message):
        if label == "wire":
            out += ["**wire:**", "", _FENCE + "text", text, _FENCE, ""]
        else:
            out += [f"**{label}:** {_md_escape(text)}".replace("\n", "  \n"), ""]
    return "\n".join(out).strip() + "\n"


def sections(message: str) -> list[tuple[str, str]]:
    """The labelled parts of a check's message (rule, expected, got, wire, note), each with its
    continuation lines (indented to the labels' width); text outside them is a part ``output``."""
    parts: list[tuple[str, list[str]]] = []
    for line in message.splitlines():
        label, colon, rest = line.partition(":")
        if colon and label in LABELS and not line.startswith(" "):
            parts.append((label, [rest.strip()]))
        elif parts and parts[-1][0] != OUTPUT and line.startswith(" " * LABEL_WIDTH):
            parts[-1][1].append(line[LABEL_WIDTH:])
        elif parts and parts[-1][0] == OUTPUT:
            parts[-1][1].append(line)
        else:
            parts.append((OUTPUT, [line]))
    return [(label, "\n".join(lines)) for label, lines in parts]


def fields(message: str) -> dict[str, str]:
    """The labelled parts of a check's message by label, a repeated one (notes) joined."""
    found: dict[str, list[str]] = {}
    for label, text in sections(message):
        if label != OUTPUT:
            found.setdefault(label, []).append(text)
    return {label: "\n".join(texts) for label, texts in found.items()}


LABELS = ("rule", "expected", "got", "wire", "note")
OUTPUT = "output"  # what a message holds outside its labels


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]<>#|])", r"\\\1", text)
