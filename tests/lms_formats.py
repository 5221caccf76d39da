"""What Canvas's and Moodle's grade imports accept, as checks on a file: the tests hold
netlab's exports to them (sources: the docstring of graders/commands/lms_export.py)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

SCORE = re.compile(r"^(0|[1-9]\d*)(\.\d{1,2})?$")  # 3, 1.5, 0.33: no "3.0", no sign, no comma
CANVAS_STUDENT = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def rows_of(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.reader(file))


def score(cell: str) -> str:
    assert SCORE.match(cell) and not cell.endswith(".0"), f"not a plain score: {cell!r}"
    return cell


def canvas(path: Path, assignments: list[str]) -> dict[str, list[str]]:
    """Canvas's gradebook import: the header its importer checks (``Student``, ``ID``, the SIS
    columns, ``Section`` last), one column per assignment and no other, the ``Points Possible``
    row second and no other, a score in every cell. Returns each student's row by ID (else name)."""
    header, points, *students = rows_of(path)
    assert header == [*CANVAS_STUDENT, *assignments], header
    assert "Student" in header[0] and "ID" in header[1] and "Section" in header[4]
    assert points[0].strip() == "Points Possible" and points[1:5] == ["", "", "", ""], points
    for cell in points[5:]:
        assert float(score(cell)) > 0
    by_student = {}
    for row in students:
        assert len(row) == len(header), row
        assert row[0] or row[1], f"a row Canvas cannot match to a student: {row}"
        assert "Points Possible" not in row[0], f"Canvas reads this row as the maxima (check_for_non_student_row): {row}"
        for cell in row[5:]:
            score(cell)
        by_student[row[1] or row[0]] = row
    return by_student


def moodle(path: Path, identifier: str, items: list[str]) -> dict[str, list[str]]:
    """Moodle's CSV grade import: one identifier column (a user field's export name), the
    grade items, a ``Feedback`` column (text, mapped to an item's feedback or ignored), no
    other column, no points row, a known identifier and a score in every row."""
    header, *students = rows_of(path)
    assert header == [identifier, *items, "Feedback"], header
    by_student = {}
    for row in students:
        assert len(row) == len(header) and row[0], row
        assert "points possible" not in row[0].lower()
        for cell in row[1:-1]:
            score(cell)
        by_student[row[0]] = row
    return by_student
