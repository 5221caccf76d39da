"""How a class did, from its gradebook: per lab, the score distribution and each check's
pass rate, lowest first (the checks most submissions fail come first). The figures are
here, and printed to a terminal; ``class_page`` draws the same figures as a page.

Rows whose grading did not run to its end (a filled ``error`` column) are left out of the
figures and named above them: their zeros say nothing about the checks; so are the roster's
students with no submission. A check's pass rate counts the submissions that earned a point
in its lab: an empty submission, or a lab not attempted, fails every check alike and would
only pull every rate down together (4 empty submissions of 33 held every check at 84-87%).
The checks most failed across the class lead, from every lab.
"""

from __future__ import annotations

import math
import statistics

from rich.console import Console, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from graders.commands import roster
from graders.commands.gradebook import ERROR, SUBMISSION, Row, check_column, labs_of
from graders.vocabulary.checks import Check

BINS = 10  # histogram bars per lab, at most
BAR = 40  # characters of the longest histogram bar
RATE_BAR = 10  # characters of a 100% pass-rate bar
WIDTH = 150  # columns: the longest check name and group fit, unfolded
MOST_FAILED = 10  # checks in the class's most-failed list


def graded_rows(rows: list[Row]) -> list[Row]:
    """The rows whose grading ran to its end: the only ones the figures count."""
    return [row for row in rows if not row[ERROR]]


def died_rows(rows: list[Row]) -> list[Row]:
    """The submissions whose grading did not run to its end."""
    return [row for row in rows if row[ERROR] and row[SUBMISSION]]


def missing_rows(rows: list[Row]) -> list[Row]:
    """The roster's students with no submission."""
    return [row for row in rows if not row[SUBMISSION]]


def attempted(lab: str, graded: list[Row]) -> list[Row]:
    """The submissions that earned a point in ``lab``: the ones its checks' pass rates count."""
    return [row for row in graded if float(row[lab]) > 0]


def student_name(row: Row) -> str:
    """The roster's name for a row's student (its name, or first and last), "" without a roster."""
    lead = list(row)[: list(row).index(SUBMISSION)]
    columns = roster.understood(lead)
    if roster.NAME in columns:
        return row[columns[roster.NAME]]
    return " ".join(row[columns[part]] for part in (roster.FIRST, roster.LAST) if part in columns).strip()


def who(row: Row) -> str:
    """A row's student as a reader knows them: the roster's name, else the submission's folder."""
    return student_name(row) or row[SUBMISSION]


def score_bins(possible: int, most: int = BINS) -> list[tuple[int, int]]:
    """At most ``most`` bins (low, high) of the scores 0..possible: 0 and full marks in bins of
    their own, so a histogram tells who has everything from who nearly has it; the scores
    between split evenly over the rest."""
    if possible < 2:
        return [(score, score) for score in range(possible + 1)]
    between = possible - 1
    count = min(max(1, most - 2), between)
    middle = [(1 + i * between // count, (i + 1) * between // count) for i in range(count)]
    return [(0, 0), *middle, (possible, possible)]


def histogram(lab: str, graded: list[Row], checks: list[Check]) -> list[tuple[int, int, int]]:
    """(low, high, submissions) per bin of the lab's scores, from 0 up. A fractional score (a
    profile's 1.5 points) counts in the bin whose whole numbers it lies among: 0 and full marks
    only when exact."""
    possible = sum(check.points for check in checks)
    bins = score_bins(math.ceil(possible))
    scores = [float(row[lab]) for row in graded]
    return [(low, high, sum(_in_bin(score, low, high, possible) for score in scores)) for low, high in bins]


def _in_bin(score: float, low: int, high: int, possible: float) -> bool:
    if low == high:
        return score == low if low in (0, math.ceil(possible)) else low <= score < low + 1
    return (low <= score < high + 1) if low > 0 else (0 < score < high + 1)


def median(lab: str, graded: list[Row]) -> float | None:
    return statistics.median(float(row[lab]) for row in graded) if graded else None


def failed_by(check: Check, graded: list[Row]) -> list[str]:
    """The submissions that did not earn the check's points, by name."""
    return sorted(row[SUBMISSION] for row in graded if float(row[check_column(check)]) != check.points)


def by_pass_rate(checks: list[Check], graded: list[Row]) -> list[tuple[Check, int]]:
    """Each check with how many submissions passed it, lowest first; rubric order among equals."""
    passed = [(check, len(graded) - len(failed_by(check, graded))) for check in checks]
    return sorted(passed, key=lambda pair: pair[1])


def most_failed(checks: list[Check], graded: list[Row], most: int = MOST_FAILED) -> list[tuple[Check, int, int]]:
    """The checks of every lab most failed, as (check, passed, attempted): each counted over the
    submissions that attempted its lab, the highest share failed first; a check no one failed is
    not listed."""
    counted = []
    for check in checks:
        tried = attempted(check.lab, graded)
        failed = len(failed_by(check, tried))
        if failed:
            counted.append((check, len(tried) - failed, len(tried)))
    return sorted(counted, key=lambda entry: -(entry[2] - entry[1]) / entry[2])[:most]


def summary(rows: list[Row], checks: list[Check]) -> list[RenderableType]:
    """The summary as rich renderables, for a terminal."""
    graded = graded_rows(rows)
    submitted = len(rows) - len(missing_rows(rows))
    parts: list[RenderableType] = [Text(f"{submitted} submissions, {len(graded)} graded to the end")]
    parts += [Text(f"  not graded: {row[SUBMISSION]}: {row[ERROR]}", style="red") for row in died_rows(rows)]
    parts += [Text(f"  no submission: {roster_label(row)}", style="yellow") for row in missing_rows(rows)]
    parts.append(most_failed_table(checks, graded))
    for lab in labs_of(checks):
        lab_checks = [check for check in checks if check.lab == lab]
        parts += [distribution(lab, graded, lab_checks), pass_rates(lab, attempted(lab, graded), lab_checks)]
    return parts


def roster_label(row: Row) -> str:
    """A student with no submission, as the roster names them: their name, else their cells."""
    lead = list(row)[: list(row).index(SUBMISSION)]
    return student_name(row) or ", ".join(row[column] for column in lead if row[column]) or "(an empty roster row)"


def most_failed_table(checks: list[Check], graded: list[Row]) -> Table:
    table = Table(title="checks most failed, each over the submissions that earned a point in its lab", title_justify="left")
    for column, justify in (("lab", "left"), ("check", "left"), ("passed", "right"), ("rate", "right")):
        table.add_column(column, justify=justify, no_wrap=column == "check")  # type: ignore[arg-type]
    for check, passed, tried in most_failed(checks, graded):
        table.add_row(check.lab, escape(check.name), f"{passed}/{tried}", f"{passed / tried:.0%}")
    return table


def distribution(lab: str, graded: list[Row], checks: list[Check]) -> Table:
    """A text histogram of the lab's scores."""
    possible = sum(check.points for check in checks)
    middle = median(lab, graded)
    table = Table(title=f"{lab}: scores out of {possible} ({len(graded)} submissions"
                  f"{'' if middle is None else f', median {middle:g}'})", title_justify="left")
    table.add_column("points", justify="right")
    table.add_column("submissions", justify="right")
    table.add_column("", min_width=BAR)
    bins = histogram(lab, graded, checks)
    most = max((count for _, _, count in bins), default=0) or 1
    for low, high, count in bins:
        table.add_row(bin_label(low, high), str(count), Text(_bar(count, most), style="blue"))
    return table


def bin_label(low: int, high: int) -> str:
    return f"{low}" if low == high else f"{low}–{high}"


def pass_rates(lab: str, graded: list[Row], checks: list[Check]) -> Table:
    """Each check's pass rate (full points), lowest first; rubric order among equals."""
    table = Table(title=f"{lab}: checks by pass rate, lowest first ({len(graded)} submissions with a point in {lab})", title_justify="left")
    table.add_column("check", no_wrap=True)
    table.add_column("group")
    table.add_column("points", justify="right")
    table.add_column("passed", justify="right")
    table.add_column("rate", justify="right")
    table.add_column("", min_width=RATE_BAR)
    for check, passed in by_pass_rate(checks, graded):
        rate = passed / len(graded) if graded else 0.0
        style = "green" if rate == 1 else "red" if rate < 0.5 else "yellow"
        table.add_row(escape(check.name), check.group, str(check.points), f"{passed}/{len(graded)}",
                      f"[{style}]{rate:.0%}[/]", Text(_bar(passed, len(graded) or 1, RATE_BAR), style=style))
    return table


def _bar(count: int, most: int, width: int = BAR) -> str:
    return "█" * max(1 if count else 0, round(count / most * width))


def print_summary(parts: list[RenderableType]) -> None:
    console = Console(highlight=False)
    console.width = max(console.width, WIDTH)
    for part in parts:
        console.print(part)
