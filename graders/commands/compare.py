"""``netlab compare``: grade a submission beside the reference and show where they part.

Both are graded at once, each by pytest in its own process tree and temporary
directory, with ``--record-judged``. The rest is pure and small: read the two
results.json, pair the checks by name, and for a check the two sides judge
differently, set the failing side's wire beside what the passing side's
matching expectation judged, aligned line by line and cut to where they part.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import zip_longest
from pathlib import Path
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from graders import REPO
from graders.commands.grading_run import GradingRun, course_option
from graders.commands.grading_run import Outcome as RunOutcome
from graders.harness import course
from graders.reports import html_page
from graders.vocabulary.failures import fields

REFERENCE = REPO / "reference"

GRADING_WITHIN = 600.0  # s for one side's whole run: the reference grades every lab in ~25 s
USAGE_ERROR = 4  # as pytest and the plugin: a missing submission directory, an unknown lab
CONTEXT_LINES = 3  # common wire lines shown before the first that differs
MAX_WIRE_LINES = 30  # wire lines shown from there on
LOG_TAIL = 20  # last lines shown of a failed grading run, or of a check's traceback
SIDES = ("reference", "submission")

# What changes from run to run on the same wire, so that lines compare equal without it.
RUN_SPECIFIC = [
    (re.compile(r"\b(\d{1,3}(?:\.\d{1,3}){3}|localhost|\[[0-9a-fA-F:]+\]):\d{1,5}\b"), r"\1:PORT"),  # free ports
    (re.compile(r"\bport \d{1,5}\b"), "port PORT"),  # "nothing listens on port N"
    (re.compile(r"\bDate: [^␍␊]*"), "Date: DATE"),  # HTTP and mail Date headers
    (re.compile(r"\bpytest-\d+\b"), "pytest-N"),  # pytest's numbered temporary directories
    (re.compile(r"\b\d{10}\.\d+\b"), "TIME"),  # epoch seconds in pings and heartbeats
    (re.compile(r"={15}\d+=="), "BOUNDARY"),  # MIME boundaries of Python's email package
    (re.compile(r"\(\d+ bytes of binary data: [^)]*\)"), "(binary data)"),  # TLS records
]



def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("submission", type=Path, help="the directory of programs to compare with reference/")
    parser.add_argument("--lab", action="append", default=[], metavar="NAME", help="only this lab (repeatable)")
    parser.add_argument("--html", type=Path, metavar="PATH", help="also write the comparison as an HTML page")
    parser.add_argument("--course", metavar="PROFILE", help="grade both as this course profile says (a file, or a bundled name)")
    parser.add_argument("--reference", type=Path, default=REFERENCE, metavar="DIR",
                        help="the submission to compare with (default: reference/; under a course whose programs "
                        "hard-code their ports, one written to its handout)")


def _reference_unlike(args: argparse.Namespace) -> str | None:
    """Why reference/ cannot stand beside a submission graded as ``--course`` says; None if it can."""
    if not args.course or args.reference.resolve() != REFERENCE:
        return None
    try:
        unlike = course.load(args.course).unlike_labs_md(args.lab)
    except course.ProfileError as error:
        return f"netlab compare: {error}"
    if not unlike:
        return None
    return (f"netlab compare: reference/ follows LABS.md's command lines and file names, and course {args.course} "
            f"grades {', '.join(unlike)} otherwise: pass --reference DIR, a submission written to that course's "
            "handout (for the bundled textbook profile: reference/ with fixtures/textbook/good/ over it)")


def run(args: argparse.Namespace) -> int:
    """0 if the submission passes every check the reference passes, 1 if not, 4 on a usage error."""
    submission: Path = args.submission
    if not submission.is_dir():
        print(f"netlab compare: submission directory {submission} does not exist", file=sys.stderr)
        return USAGE_ERROR
    if (refused := _reference_unlike(args)) is not None:
        print(refused, file=sys.stderr)
        return USAGE_ERROR
    with tempfile.TemporaryDirectory(prefix="netlab-compare-") as workdir:
        runs = grade_both(submission.resolve(), args.lab, Path(workdir), reference=args.reference.resolve(), options=course_option(args.course))
    broken = {side: graded for side, graded in zip(SIDES, runs) if graded.results is None}
    for side, graded in broken.items():
        Console(stderr=True, highlight=False, soft_wrap=True).print(graded_without_results(side, graded))
    if broken:
        return USAGE_ERROR if any(g.status == USAGE_ERROR for g in broken.values()) else 1
    pairs = pair_checks(*(graded.results or {} for graded in runs))
    console = Console(highlight=False, record=args.html is not None)
    console.width = max(console.width, 140)
    console.print(f"netlab compare: {escape(str(args.reference))} and {escape(str(submission))}")
    console.print(render(pairs))
    if args.html is not None:
        html_page.write(args.html, html_page.line_ends_in_cells(console.export_html()))
    return 0 if keeps_up(pairs) else 1


# Reading results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One check's result on one side, as results.json (Gradescope's format) has it."""

    name: str  # "lab / group / check"
    score: int
    max_score: int
    output: str
    judged: list[tuple[str, str]]  # (expected, wire) of each expectation that held, in order

    @classmethod
    def of(cls, test: dict[str, Any]) -> Outcome:
        judged = test.get("extra_data", {}).get("judged", [])
        return cls(test["name"], test["score"], test["max_score"], test["output"], [(e, w) for e, w in judged])

    @property
    def passed(self) -> bool:
        return self.score == self.max_score


def outcomes(results: dict[str, Any]) -> dict[str, Outcome]:
    """Each check's outcome in a results.json, by name, in the order the run reported them."""
    return {test["name"]: Outcome.of(test) for test in results["tests"]}


@dataclass(frozen=True)
class Pair:
    """One check on both sides; a side that did not run it has None."""

    name: str
    reference: Outcome | None
    submission: Outcome | None

    @property
    def differs(self) -> bool:
        return _passed(self.reference) != _passed(self.submission)

    @property
    def max_score(self) -> int:
        return next(o.max_score for o in (self.reference, self.submission) if o is not None)

    @property
    def parts(self) -> tuple[str, str, str]:
        """lab, group, check: the group is what lies between the first and the last ``/``."""
        lab, *group, check = self.name.split(" / ")
        return lab, " / ".join(group), check


def _passed(outcome: Outcome | None) -> bool:
    return outcome is not None and outcome.passed


def pair_checks(reference: dict[str, Outcome], submission: dict[str, Outcome]) -> list[Pair]:
    """The checks of both runs by name: the reference's order, then any only the submission ran."""
    names = list(reference) + [name for name in submission if name not in reference]
    return [Pair(name, reference.get(name), submission.get(name)) for name in names]


def keeps_up(pairs: list[Pair]) -> bool:
    """Whether the submission passes every check the reference passes."""
    return all(_passed(p.submission) for p in pairs if _passed(p.reference))


# Aligning two wires ---------------------------------------------------------------------------


def normalize(line: str) -> str:
    """A wire line without what changes from run to run (RUN_SPECIFIC): ports, dates, temporary
    paths, timestamps, MIME boundaries, TLS bytes. Only for comparing; lines are shown as sent."""
    for pattern, replacement in RUN_SPECIFIC:
        line = pattern.sub(replacement, line)
    return line


@dataclass(frozen=True)
class Row:
    """One line of each wire, side by side; None where only the other side has a line."""

    reference: str | None
    submission: str | None

    @property
    def same(self) -> bool:
        if self.reference is None or self.submission is None:
            return False
        return normalize(self.reference) == normalize(self.submission)


def align(reference: list[str], submission: list[str]) -> list[Row]:
    """The two wires line by line. A line only one side has faces a gap, so that the lines
    after it (the same headers after an extra one) still meet."""
    matcher = SequenceMatcher(None, [normalize(line) for line in reference], [normalize(line) for line in submission], autojunk=False)
    rows: list[Row] = []
    for _, ref_start, ref_end, sub_start, sub_end in matcher.get_opcodes():
        rows += [Row(r, s) for r, s in zip_longest(reference[ref_start:ref_end], submission[sub_start:sub_end])]
    return rows


@dataclass(frozen=True)
class Excerpt:
    """The rows worth reading: from a little before the first that differs, up to a limit."""

    before: int  # rows left out before, all common
    rows: list[Row]
    after: int  # rows left out after

    @property
    def parted(self) -> bool:
        return not all(row.same for row in self.rows)


def where_they_part(rows: list[Row], context: int = CONTEXT_LINES, limit: int = MAX_WIRE_LINES) -> Excerpt:
    """``context`` common rows before the first that differs, then up to ``limit`` rows; from the
    start when no row differs (the check parted on something else than the wire)."""
    first = next((i for i, row in enumerate(rows) if not row.same), None)
    start = 0 if first is None else max(0, first - context)
    start = 0 if start == 1 else start  # the "..." line would take the place of the one it hides
    end = start + limit
    end = len(rows) if len(rows) - end == 1 else end
    return Excerpt(start, rows[start:end], max(0, len(rows) - end))


# One differing check --------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """A check one side passes and the other fails: the failing side's message, and the wire of
    each side at the expectation where they parted (the passing side's from what it judged)."""

    name: str
    failing: str  # "reference" or "submission"
    rule: str
    expected: str
    got: str
    notes: list[str]  # what else the harness saw, such as a server that died
    excerpt: Excerpt


def difference(pair: Pair) -> Difference:
    """The failing side failed after k expectations held: the passing side's k-th expectation
    (or its last, if it judged fewer) is the one it met where the other did not."""
    assert pair.reference is not None and pair.submission is not None and pair.differs
    failing_side = "submission" if pair.reference.passed else "reference"
    failing, passing = (pair.submission, pair.reference) if failing_side == "submission" else (pair.reference, pair.submission)
    parts = fields(failing.output)
    held, held_wire = passing.judged[min(len(failing.judged), len(passing.judged) - 1)] if passing.judged else ("", "")
    failing_wire = parts.get("wire", "").splitlines()
    wires = (held_wire.splitlines(), failing_wire) if failing_side == "submission" else (failing_wire, held_wire.splitlines())
    return Difference(
        pair.name,
        failing_side,
        rule=parts.get("rule") or fields(passing.output).get("rule", ""),
        expected=parts.get("expected", held),
        got=parts.get("got") or "\n".join(failing.output.strip().splitlines()[-LOG_TAIL:]),  # a skip, a traceback
        notes=parts["note"].splitlines() if "note" in parts else [],
        excerpt=where_they_part(align(*wires)),
    )


# Rendering ------------------------------------------------------------------------------------


def render(pairs: list[Pair]) -> RenderableType:
    """The whole comparison: the table of checks, each difference, and the totals."""
    differences = [difference(p) for p in pairs if p.differs and p.reference is not None and p.submission is not None]
    return Group(checks_table(pairs), *(difference_view(d) for d in differences), totals_line(pairs))


def checks_table(pairs: list[Pair]) -> Table:
    table = Table(title="checks", title_justify="left")
    table.add_column("lab", no_wrap=True)
    table.add_column("group", no_wrap=True)
    table.add_column("check", overflow="fold")
    for side in SIDES:
        table.add_column(side, justify="center", no_wrap=True)
    table.add_column("points", justify="right", no_wrap=True)
    for pair in pairs:
        earned = pair.submission.score if pair.submission is not None else 0
        table.add_row(*pair.parts, _verdict(pair.reference), _verdict(pair.submission), f"{earned}/{pair.max_score}", style="bold" if pair.differs else None)
    return table


def _verdict(outcome: Outcome | None) -> Text:
    if outcome is None:
        return Text("—", style="dim")
    return Text("✓", style="green") if outcome.passed else Text("✗", style="red")


def difference_view(diff: Difference) -> RenderableType:
    """The failing side's rule, expected and got, then the two wires side by side."""
    passing = SIDES[1] if diff.failing == SIDES[0] else SIDES[0]
    head = Text.assemble(("\n✗ ", "red"), (diff.name, "bold"), f"  ({passing} ✓, {diff.failing} ✗)")
    lines = [_labelled("rule", diff.rule), _labelled("expected", diff.expected), _labelled(f"{diff.failing} got", diff.got)]
    lines += [_labelled("note", note) for note in diff.notes]
    return Group(head, *lines, wires_table(diff))


def _labelled(label: str, text: str) -> Text:
    """``label:`` in a column, continuation lines indented beneath the text."""
    indent = "\n" + " " * 18
    return Text.assemble((f"  {label + ':':<16}", "dim"), text.replace("\n", indent))


def wires_table(diff: Difference) -> Table | Text:
    """The two wires from where they part; the failing side's differing lines red, the other's green."""
    excerpt = diff.excerpt
    if not excerpt.rows:
        return Text("  (no wire on either side)", style="dim")
    table = Table(expand=True)
    table.add_column(SIDES[0], overflow="fold", ratio=1)
    table.add_column("", no_wrap=True)  # ≠ where the lines differ: readable without colour too
    table.add_column(SIDES[1], overflow="fold", ratio=1)
    if excerpt.before:
        table.add_row(_dim(f"... ({excerpt.before} lines in common)"), "", _dim(f"... ({excerpt.before} lines in common)"))
    failing = [side == diff.failing for side in SIDES]
    for row in excerpt.rows:
        table.add_row(_cell(row.reference, row.same, failing[0]), "" if row.same else "≠", _cell(row.submission, row.same, failing[1]))
    if excerpt.after:
        table.add_row(_dim(f"... ({excerpt.after} more lines)"), "", _dim(f"... ({excerpt.after} more lines)"))
    if not excerpt.parted:
        table.caption = "the wires agree (after normalizing ports, dates, temporary paths, timestamps)"
    return table


def _dim(text: str) -> Text:
    return Text(text, style="dim")


def _cell(line: str | None, same: bool, failing: bool) -> Text:
    if line is None:
        return Text("")
    return Text(line, style="" if same else "red" if failing else "green")


def totals_line(pairs: list[Pair]) -> Text:
    possible = sum(p.max_score for p in pairs)
    reference = sum(p.reference.score for p in pairs if p.reference is not None)
    submission = sum(p.submission.score for p in pairs if p.submission is not None)
    differing = sum(p.differs for p in pairs)
    verdict = ("the submission passes every check the reference passes", "green")
    if not keeps_up(pairs):
        verdict = (f"{differing} check{'s differ' if differing != 1 else ' differs'}", "red")
    return Text.assemble(f"\nreference {reference}/{possible}, submission {submission}/{possible}: ", verdict)


# Grading both sides ---------------------------------------------------------------------------


def grade_both(submission: Path, labs: list[str], workdir: Path, within: float = GRADING_WITHIN,
               reference: Path = REFERENCE, options: list[str] | None = None) -> tuple[Graded, Graded]:
    """The reference and the submission, graded at once, each as its own process tree (``grading_run``);
    whatever runs past the limit, or when we are interrupted, is killed with its tree. Each side is
    waited for in a thread of its own: one after the other, the second was looked at only after the
    first's interrupt and its grace, and one that ended past its limit meanwhile counted as in time."""
    pytest_args = ["--record-judged", *(options or [])]
    runs = [GradingRun(path, workdir / side, labs, pytest_args) for path, side in zip((reference, submission), SIDES)]
    waiting = ThreadPoolExecutor(len(runs))
    try:
        outcomes = list(waiting.map(lambda run: run.finish(within), runs))
    finally:
        for run in runs:
            run.kill()  # on Ctrl-C too, before the threads are joined: their waits end with the gradings
        waiting.shutdown()
    return Graded.of(outcomes[0], runs[0]), Graded.of(outcomes[1], runs[1])


@dataclass(frozen=True)
class Graded:
    """One side's grading: pytest's exit status (None if stopped at its limit), its results (None
    unless it ran to its end), and what it printed last."""

    status: int | None
    results: dict[str, Outcome] | None
    log_tail: str

    @classmethod
    def of(cls, outcome: RunOutcome, run: GradingRun) -> Graded:
        results = outcomes(outcome.results) if outcome.results and not outcome.error else None
        return cls(outcome.status, results, outcome.error or run.last_line())


def graded_without_results(side: str, graded: Graded) -> Text:
    why = f"stopped after {GRADING_WITHIN:g} s" if graded.status is None else f"exit status {graded.status}"
    return Text.assemble((f"netlab compare: grading the {side} failed ({why}):\n", "red"), graded.log_tail)
