"""The gradebook as an LMS imports it: ``--canvas FILE`` and ``--moodle FILE`` of ``netlab batch``.

One grade column per lab (an LMS assignment or grade item per lab), headed by the lab's
name or by the title ``--lms-title LAB=TITLE`` gives it; the students and their ids come
from the roster (``roster``). Scores are plain numbers, ``.`` before at most two decimals,
an integral one without ``.0``; a roster student with no submission gets 0.

Canvas (what its importer reads: instructure/canvas-lms ``lib/gradebook_importer.rb``,
``row_has_student_headers?``, ``update_column_count``, ``check_for_non_student_row``; and
the universities' Canvas guides to "import a CSV file to Grades", e.g. Ohio State's
CarmenCanvas guide: the import's format is the Gradebook's own CSV export): a header
``Student, ID, SIS User ID, SIS Login ID, Section`` (the first cell must contain
``Student``, the second ``ID``, the last student column ``Section``) then one column per assignment, titled as the assignment is (or ``Title
(assignment id)``; an unknown title makes a new assignment); then a row whose first cell
is ``Points Possible`` (Canvas's export writes ``    Points Possible``) with each
assignment's points; then one row per student. A student is found by ID (Canvas's user
id), else SIS User ID, else SIS Login ID, else by name. ID is the roster's ``id``, else the
number of a folder ``NAME_NUMBER`` (``lms_download`` keeps Canvas's user id there);
Student is the roster's name, else the submission's folder name.

Moodle (MoodleDocs, "Grade import", CSV import, docs.moodle.org/311/en/Grade_import; and
``grade/import/csv/classes/load_data.php``, ``map_user_data_with_value``: a blank grade or
``-`` is no grade, others go through ``unformat_float``):
the first row names the columns; one column identifies the user and is mapped, on the
import page's "Identify user by", to a user field: ``Email address`` → ``useremail``,
``ID number`` → ``useridnumber``, ``Username`` → ``username``; each other column is mapped
to a grade item. No points-possible row: a grade item's maximum is set in Moodle, and a
row whose user Moodle does not know fails the whole import (``check_user_exists``:
``usermappingerror``), so a submission with no
identifier (not on the roster) is left out, and said. ``--moodle-id`` picks the field;
by default the first the roster has of email, SIS id (ID number), login (username). A last
column, ``Feedback``, holds what the gradebook's ``error`` says (``no submission``,
``nothing to grade: ...``, a timeout), to map to a grade item's feedback or to ignore.
Canvas's import has no comment column (an unknown column is a new assignment): there the
gradebook's ``error`` column is the only word.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

from graders.commands import gradebook, roster
from graders.commands.gradebook import Row

CANVAS_STUDENT = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_POINTS = "    Points Possible"  # as Canvas's own export writes it
MOODLE_FEEDBACK = "Feedback"
MOODLE_IDS = {"email": ("Email address", roster.EMAIL), "idnumber": ("ID number", roster.SIS_ID), "username": ("Username", roster.LOGIN)}


class ExportRefused(Exception):
    """An export that cannot be made from this gradebook, and why."""


def titles(labs: list[str], given: Mapping[str, str]) -> list[str]:
    return [given.get(lab, lab) for lab in labs]


def fields(header: list[str], cells: Row) -> dict[str, str]:
    """A gradebook row's roster fields (id, email, ...), read through the roster's headers."""
    lead = header[: header.index(gradebook.SUBMISSION)]
    return {name: cells.get(column, "") for name, column in roster.understood(lead).items()}


def canvas_student(header: list[str], cells: Row) -> list[str]:
    known = fields(header, cells)
    name = known.get(roster.NAME) or f"{known.get(roster.FIRST, '')} {known.get(roster.LAST, '')}".strip()
    folder = roster.LMS_FOLDER.match(cells[gradebook.SUBMISSION])
    canvas_id = known.get(roster.ID) or (folder["number"] if folder else "")
    return [name or cells[gradebook.SUBMISSION], canvas_id, known.get(roster.SIS_ID, ""), known.get(roster.LOGIN, ""), known.get(roster.SECTION, "")]


def canvas(path: Path, header: list[str], rows: list[Row], points: Row, labs: list[str], given: Mapping[str, str]) -> None:
    """Canvas's gradebook import CSV: student columns, the points-possible row, a row per student."""
    with _open(path) as file:
        writer = csv.writer(file)
        writer.writerow([*CANVAS_STUDENT, *titles(labs, given)])
        writer.writerow([CANVAS_POINTS, "", "", "", "", *(points[lab] for lab in labs)])
        for cells in gradebook.order(rows, header):
            writer.writerow([*canvas_student(header, cells), *(cells[lab] for lab in labs)])


def moodle_id(header: list[str], chosen: str | None) -> str:
    """The user field the Moodle file identifies students by: ``chosen``, else the roster's first."""
    lead = roster.understood(header[: header.index(gradebook.SUBMISSION)])
    available = [key for key, (_, field) in MOODLE_IDS.items() if field in lead]
    if chosen is None and available:
        return available[0]
    if chosen in available:
        return chosen
    wanted = f"a {MOODLE_IDS[chosen][1]} column" if chosen else "an email, SIS id or login column"
    raise ExportRefused(f"the Moodle export identifies students by a user field: the roster needs {wanted} (see --roster)")


def moodle(path: Path, header: list[str], rows: list[Row], labs: list[str], given: Mapping[str, str], chosen: str | None) -> list[str]:
    """Moodle's grade import CSV; returns the submissions left out (no identifier)."""
    key = moodle_id(header, chosen)
    title, field = MOODLE_IDS[key]
    left_out = []
    with _open(path) as file:
        writer = csv.writer(file)
        writer.writerow([title, *titles(labs, given), MOODLE_FEEDBACK])
        for cells in gradebook.order(rows, header):
            identifier = fields(header, cells).get(field, "")
            if not identifier:
                left_out.append(cells[gradebook.SUBMISSION])
                continue
            writer.writerow([identifier, *(cells[lab] for lab in labs), cells[gradebook.ERROR]])
    return left_out


def _open(path: Path):  # type: ignore[no-untyped-def]
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("w", newline="", encoding="utf-8")
