"""The CSV gradebook of ``netlab batch``: one row per submission; columns from the rubric.

The columns come from the graders (``collect_checks``), never from what a grading wrote,
so every row has every check even when its grading died: ``submission``, ``total``, one
column per lab, one per check (named as in results.json: ``lab / group / check``), then
``error`` (empty when the grading ran to its end). Rows are sorted by submission, so
shard gradebooks merge into exactly the gradebook of one unsharded run.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from .grading_run import Outcome
from .scoring import Check

SUBMISSION, TOTAL, ERROR = "submission", "total", "error"
Row = dict[str, str]


def check_column(check: Check) -> str:
    """A check's column: the name results.json gives its test."""
    return f"{check.lab} / {check.group} / {check.name}"


def labs_of(checks: list[Check]) -> list[str]:
    return list(dict.fromkeys(check.lab for check in checks))


def columns(checks: list[Check]) -> list[str]:
    return [SUBMISSION, TOTAL, *labs_of(checks), *map(check_column, checks), ERROR]


def row(outcome: Outcome, checks: list[Check]) -> Row:
    """A submission's row: points per check from its results.json, 0 where it has none."""
    earned = {test["name"]: int(test["score"]) for test in (outcome.results or {}).get("tests", [])}
    per_check = {check_column(check): earned.get(check_column(check), 0) for check in checks}
    per_lab = {lab: sum(per_check[check_column(c)] for c in checks if c.lab == lab) for lab in labs_of(checks)}
    cells = {SUBMISSION: outcome.name, TOTAL: sum(per_check.values()), **per_lab, **per_check, ERROR: outcome.error}
    return {column: str(value) for column, value in cells.items()}


def write(path: Path, header: list[str], rows: Iterable[Row]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=header)
        writer.writeheader()
        writer.writerows(sorted(rows, key=lambda r: r[SUBMISSION]))


def read(path: Path) -> tuple[list[str], list[Row]]:
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        rows = list(reader)
    return list(reader.fieldnames or []), rows


class MergeRefused(Exception):
    """Gradebooks that cannot be one: different columns, or a submission in two of them."""


def merge(paths: list[Path]) -> tuple[list[str], list[Row]]:
    """The columns and rows of shard gradebooks joined; refused unless their columns agree
    exactly (same rubric, same --lab) and no submission appears twice (overlapping shards)."""
    header, _ = read(paths[0])
    rows: dict[str, tuple[Path, Row]] = {}
    for path in paths:
        found, shard_rows = read(path)
        if found != header:
            raise MergeRefused(f"{path} has other columns than {paths[0]}: {_difference(header, found)}")
        for shard_row in shard_rows:
            name = shard_row[SUBMISSION]
            if name in rows:
                raise MergeRefused(f"submission {name!r} is in both {rows[name][0]} and {path}: do the shards overlap?")
            rows[name] = (path, shard_row)
    return header, [shard_row for _, shard_row in rows.values()]


def _difference(expected: list[str], found: list[str]) -> str:
    missing = [c for c in expected if c not in found]
    extra = [c for c in found if c not in expected]
    if not missing and not extra:
        return "the same columns in another order"
    parts = [f"missing {', '.join(missing[:5])}" if missing else "", f"extra {', '.join(extra[:5])}" if extra else ""]
    return "; ".join(filter(None, parts))
