"""How a class did, from its gradebook: per lab, the score distribution and each check's
pass rate, lowest first (the checks most submissions fail come first).

Rows whose grading did not run to its end (a filled ``error`` column) are left out of the
figures and named above them: their zeros say nothing about the checks.
"""

from __future__ import annotations

import io
import math
import statistics
from pathlib import Path

from rich.console import Console, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from .gradebook import ERROR, SUBMISSION, Row, check_column, labs_of
from .scoring import Check

BINS = 10  # histogram bars per lab, at most
BAR = 40  # characters of the longest histogram bar
RATE_BAR = 10  # characters of a 100% pass-rate bar
WIDTH = 150  # columns: the longest check name and group fit, unfolded


def summary(rows: list[Row], checks: list[Check]) -> list[RenderableType]:
    """The summary as rich renderables: printed to a terminal, or recorded as HTML."""
    graded = [row for row in rows if not row[ERROR]]
    parts: list[RenderableType] = [Text(f"{len(rows)} submissions, {len(graded)} graded to the end")]
    parts += [Text(f"  not graded: {row[SUBMISSION]}: {row[ERROR]}", style="red") for row in rows if row[ERROR]]
    for lab in labs_of(checks):
        lab_checks = [check for check in checks if check.lab == lab]
        parts += [distribution(lab, graded, lab_checks), pass_rates(lab, graded, lab_checks)]
    return parts


def distribution(lab: str, graded: list[Row], checks: list[Check]) -> Table:
    """A text histogram of the lab's scores."""
    possible = sum(check.points for check in checks)
    bins = min(BINS, possible + 1)
    counts = [0] * bins
    for row in graded:
        counts[min(bins - 1, int(row[lab]) * bins // possible)] += 1
    median = f", median {statistics.median(int(row[lab]) for row in graded):g}" if graded else ""
    table = Table(title=f"{lab}: scores out of {possible} ({len(graded)} submissions{median})", title_justify="left")
    table.add_column("points", justify="right")
    table.add_column("submissions", justify="right")
    table.add_column("", min_width=BAR)
    most = max(counts, default=0) or 1
    for index, count in enumerate(counts):
        low = math.ceil(index * possible / bins)
        high = possible if index == bins - 1 else math.ceil((index + 1) * possible / bins) - 1
        label = f"{low}" if low == high else f"{low}–{high}"
        table.add_row(label, str(count), Text(_bar(count, most), style="blue"))
    return table


def pass_rates(lab: str, graded: list[Row], checks: list[Check]) -> Table:
    """Each check's pass rate (full points), lowest first; rubric order among equals."""
    passed = {check: sum(int(row[check_column(check)]) == check.points for row in graded) for check in checks}
    ranked = sorted(checks, key=lambda check: passed[check])
    table = Table(title=f"{lab}: checks by pass rate, lowest first", title_justify="left")
    table.add_column("check", no_wrap=True)
    table.add_column("group")
    table.add_column("points", justify="right")
    table.add_column("passed", justify="right")
    table.add_column("rate", justify="right")
    table.add_column("", min_width=RATE_BAR)
    for check in ranked:
        rate = passed[check] / len(graded) if graded else 0.0
        style = "green" if rate == 1 else "red" if rate < 0.5 else "yellow"
        table.add_row(escape(check.name), check.group, str(check.points), f"{passed[check]}/{len(graded)}",
                      f"[{style}]{rate:.0%}[/]", Text(_bar(passed[check], len(graded) or 1, RATE_BAR), style=style))
    return table


def _bar(count: int, most: int, width: int = BAR) -> str:
    return "█" * max(1 if count else 0, round(count / most * width))


def print_summary(parts: list[RenderableType]) -> None:
    console = Console(highlight=False)
    console.width = max(console.width, WIDTH)
    for part in parts:
        console.print(part)


def save_html(parts: list[RenderableType], path: Path) -> None:
    """The same summary as a page (rich's own recording: the bars keep their colours)."""
    console = Console(record=True, file=io.StringIO(), width=WIDTH, highlight=False)
    for part in parts:
        console.print(part)
    path.parent.mkdir(parents=True, exist_ok=True)
    console.save_html(str(path), inline_styles=True)
