"""The CSV gradebook of ``netlab batch``: one row per submission; columns from the rubric.

The columns come from the graders (``collect_checks``), never from what a grading wrote,
so every row has every check even when its grading died: the roster's columns when there
is a roster (``roster``), ``submission``, ``total``, one column per lab, one per check
(named as in results.json: ``lab / group / check``), then ``error`` (empty when the grading
ran to its end). ``--columns labs`` keeps the labs and drops the checks, ``checks`` the
reverse. The first row under the header is the points possible: ``Points Possible`` in the
first column and each column's maximum, where Canvas's own gradebook export has it, so a
spreadsheet can divide by it and the exports (``lms_export``) read it from the same place.
Rows are sorted by submission (a roster student with no submission last), so shard
gradebooks merge into exactly the gradebook of one unsharded run.

Points are numbers as results.json has them, an int or a float (a course profile may give
a check 1.5 points): written with at most two decimals, an integral value without ``.0``.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from graders.commands.grading_run import Outcome
from graders.vocabulary.checks import Check

SUBMISSION, TOTAL, ERROR = "submission", "total", "error"
POINTS_POSSIBLE = "Points Possible"
NO_SUBMISSION = "no submission"
COLUMN_SETS = ("all", "labs", "checks")
Row = dict[str, str]


def number(value: float) -> str:
    """A score as a spreadsheet and an LMS read it: ``3``, ``1.5``, ``0.33``; never ``3.0``."""
    rounded = round(float(value), 2) + 0.0  # + 0.0: no "-0"
    return str(int(rounded)) if rounded.is_integer() else f"{rounded:.2f}".rstrip("0")


def check_column(check: Check) -> str:
    """A check's column: the name results.json gives its test."""
    return f"{check.lab} / {check.group} / {check.name}"


def labs_of(checks: list[Check]) -> list[str]:
    return list(dict.fromkeys(check.lab for check in checks))


def columns(checks: list[Check], which: str = "all", lead: Iterable[str] = ()) -> list[str]:
    """The header: ``lead`` (the roster's columns), then the scores ``which`` asks for."""
    labs = labs_of(checks) if which in ("all", "labs") else []
    per_check = [check_column(check) for check in checks] if which in ("all", "checks") else []
    return [*lead, SUBMISSION, TOTAL, *labs, *per_check, ERROR]


def scores(earned: Mapping[str, float], checks: list[Check]) -> dict[str, float]:
    """Points per check (0 where none were earned), per lab, and the total."""
    per_check = {check_column(check): float(earned.get(check_column(check), 0)) for check in checks}
    per_lab = {lab: sum(per_check[check_column(c)] for c in checks if c.lab == lab) for lab in labs_of(checks)}
    return {TOTAL: sum(per_check.values()), **per_lab, **per_check}


def row(outcome: Outcome, checks: list[Check], student: Mapping[str, str] | None = None) -> Row:
    """A submission's row: points per check from its results.json, 0 where it has none,
    led by its roster cells (``student``, empty for a submission not on the roster)."""
    earned = {test["name"]: float(test["score"]) for test in (outcome.results or {}).get("tests", [])}
    points = {column: number(value) for column, value in scores(earned, checks).items()}
    return {**(student or {}), SUBMISSION: outcome.name, **points, ERROR: outcome.error}


def missing(student: Mapping[str, str], checks: list[Check]) -> Row:
    """The row of a roster student who submitted nothing: zeros, and says so."""
    points = {column: number(value) for column, value in scores({}, checks).items()}
    return {**student, SUBMISSION: "", **points, ERROR: NO_SUBMISSION}


def points_row(header: list[str], checks: list[Check]) -> Row:
    """``Points Possible`` in the first column, each score column's maximum under it."""
    possible = scores({check_column(check): check.points for check in checks}, checks)
    cells = {column: number(possible[column]) if column in possible else "" for column in header}
    return cells | {header[0]: POINTS_POSSIBLE}


def is_points_row(cells: Mapping[str, str], header: list[str]) -> bool:
    return bool(header) and (cells.get(header[0]) or "").strip() == POINTS_POSSIBLE


def identity(cells: Mapping[str, str], header: list[str]) -> tuple[str, ...]:
    """What names a row: its submission; for a student with none, their roster cells."""
    if cells.get(SUBMISSION):
        return (cells[SUBMISSION],)
    return ("", *(cells.get(column, "") for column in header[: header.index(SUBMISSION)]))


def order(rows: Iterable[Row], header: list[str]) -> list[Row]:
    """Sorted by submission; roster students with no submission last, in roster-cell order."""
    return sorted(rows, key=lambda r: (not r.get(SUBMISSION), identity(r, header)))


def write(path: Path, header: list[str], rows: Iterable[Row], points: Row | None) -> None:
    """The gradebook: header, the points-possible row (if any), the rows in order. Cells
    the header does not name (the checks under ``--columns labs``) are left out. Written
    beside and renamed into place: an interruption leaves the old file or the new one whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.part")
    with part.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        if points is not None:
            writer.writerow(points)
        writer.writerows(order(rows, header))
    os.replace(part, path)


class Journal:
    """The gradebook of a batch under way: written again with each row that comes, so an
    interrupted batch leaves the gradings it finished (``netlab batch --resume``)."""

    def __init__(self, path: Path, header: list[str], points: Row | None, rows: list[Row]) -> None:
        self.path = path
        self.header = header
        self.points = points
        self.rows = list(rows)
        write(path, header, self.rows, points)

    def add(self, row: Row) -> None:
        self.rows.append(row)
        write(self.path, self.header, self.rows, self.points)


def read(path: Path) -> tuple[list[str], list[Row], Row | None]:
    """Header, submission rows, and the points-possible row (None in an older gradebook)."""
    with path.open(newline="", encoding="utf-8-sig") as file:
        reader = csv.DictReader(file)
        rows = list(reader)
    header = list(reader.fieldnames or [])
    points = next((r for r in rows if is_points_row(r, header)), None)
    return header, [r for r in rows if r is not points], points


class MergeRefused(Exception):
    """Gradebooks that cannot be one: different columns, or a submission in two of them."""


def merge(paths: list[Path]) -> tuple[list[str], list[Row], Row | None]:
    """The columns and rows of shard gradebooks joined; refused unless their columns agree
    exactly (same rubric, same --lab) and no submission appears twice (overlapping shards)."""
    header, _, points = read(paths[0])
    rows: dict[tuple[str, ...], tuple[Path, Row]] = {}
    for path in paths:
        found, shard_rows, _ = read(path)
        if found != header:
            raise MergeRefused(f"{path} has other columns than {paths[0]}: {_difference(header, found)}")
        for shard_row in shard_rows:
            key = identity(shard_row, header)
            if key in rows:
                raise MergeRefused(f"submission {' '.join(filter(None, key))!r} is in both {rows[key][0]} and {path}: do the shards overlap?")
            rows[key] = (path, shard_row)
    return header, [shard_row for _, shard_row in rows.values()], points


def _difference(expected: list[str], found: list[str]) -> str:
    missing_columns = [c for c in expected if c not in found]
    extra = [c for c in found if c not in expected]
    if not missing_columns and not extra:
        return "the same columns in another order"
    parts = [f"missing {', '.join(missing_columns[:5])}" if missing_columns else "", f"extra {', '.join(extra[:5])}" if extra else ""]
    return "; ".join(filter(None, parts))
