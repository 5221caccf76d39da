"""A class roster (``netlab batch --roster FILE``): who is in the class, joined to the submissions.

The format: a CSV file (UTF-8, a byte-order mark allowed, ``,`` or ``;`` between cells)
whose first row names its columns. Every column is kept, in its order, at the head of each
gradebook row. These headers are understood, in any case, with spaces, ``_``, ``-`` or
``.`` anywhere in them (``SIS User ID``, ``sis_user_id`` and ``sisuserid`` are one):

=============  ======================================================================
field          headers
=============  ======================================================================
submission     ``submission``, ``folder``, ``directory``, ``dir``: the folder's name
id             ``id``, ``user id``, ``canvas id``, ``canvas user id``: the LMS's user id
sis id         ``sis id``, ``sis user id``, ``student id``, ``student number``,
               ``id number``, ``matriculation number``
login          ``sis login id``, ``login id``, ``login``, ``username``, ``user name``, ``netid``,
               ``github_username`` (GitHub Classroom's roster)
email          ``email``, ``e-mail``, ``email address``, ``mail``
name           ``name``, ``student``, ``student name``, ``full name``; or ``first name``
               (``given name``) with ``last name`` (``surname``, ``family name``)
section        ``section``, ``group``
participant    ``identifier`` (Moodle's grading worksheet: ``Participant N``)
=============  ======================================================================

Rows that are not students are left out, as Canvas's gradebook import leaves them out
(instructure/canvas-lms ``lib/gradebook_importer.rb``, ``check_for_non_student_row``), so
Canvas's own gradebook export is a roster: the ``Points Possible`` row (its first cell says
so), and the row of ``Muted`` or ``Manual Posting`` marks (no other cell filled).

A submission folder belongs to the student whose ``submission`` cell is its name, when the
roster has that column (and only then). Otherwise to the student whose id, SIS id, login,
email or email's part before ``@`` is its name (case aside), else, for a folder named
``NAME_NUMBER`` (as ``lms_download`` names an LMS's download: Canvas's user id, Moodle's
participant number), the student whose participant number is NUMBER when the roster is
Moodle's grading worksheet (its ``Identifier`` column: mod/assign ``gradingtable.php``,
``col_recordid``), else whose id or SIS id is NUMBER, as long as NAME does not contradict
the student's name (shares no word of it: Bob's participant number is not Alice's id);
else the student whose name, letters only and in either order of first and last, is NAME.
Canvas's anonymous ``anon_ID`` and Moodle's blind ``Participant`` carry no name, and an
anonymous folder no number. A folder two students could own, two folders for one
student, or two students with the same key, is refused, named.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

SUBMISSION, ID, SIS_ID, LOGIN, EMAIL, NAME, SECTION = "submission", "id", "sis id", "login", "email", "name", "section"
PARTICIPANT = "participant"
FIRST, LAST = "first name", "last name"
HEADERS = {
    SUBMISSION: ("submission", "folder", "directory", "dir"),
    ID: ("id", "userid", "canvasid", "canvasuserid"),
    SIS_ID: ("sisid", "sisuserid", "studentid", "studentnumber", "idnumber", "matriculationnumber"),
    LOGIN: ("sisloginid", "loginid", "login", "username", "netid", "githubusername"),
    EMAIL: ("email", "emailaddress", "mail"),
    NAME: ("name", "student", "studentname", "fullname"),
    FIRST: ("firstname", "givenname"),
    LAST: ("lastname", "surname", "familyname"),
    SECTION: ("section", "group"),
    PARTICIPANT: ("identifier",),
}
KEYS = (ID, SIS_ID, LOGIN, EMAIL)  # what a folder may be named after
LMS_FOLDER = re.compile(r"^(?!anon_)(?P<name>.+)_(?P<number>\d+)$")  # not Canvas's anonymous anon_ID
PARTICIPANT_NUMBER = re.compile(r"(\d+)\s*$")  # Moodle's "Participant 12"
NAMELESS = {"participant", "anon"}  # Moodle's blind marking, Canvas's anonymous grading: no name
HIDDEN_MARK = re.compile(r"^\s*(Muted|Manual Posting.*)?\s*$", re.IGNORECASE)  # as gradebook_importer.rb reads them


class RosterError(Exception):
    """A roster that cannot be read or joined, and why."""


def squeeze(header: str) -> str:
    return re.sub(r"[\s_.\-]+", "", header.strip().lower())


def letters(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


@dataclass(frozen=True)
class Student:
    """One roster row: its cells as the file has them, and the fields understood from them."""

    cells: dict[str, str]
    fields: dict[str, str]

    def get(self, name: str) -> str:
        return self.fields.get(name, "")

    @property
    def label(self) -> str:
        return next((self.get(f) for f in (NAME, *KEYS, SUBMISSION) if self.get(f)), "(an empty roster row)")

    def names(self) -> set[str]:
        """Its name, letters only, first-last and last-first."""
        words = self.get(NAME).split()
        if not words:
            return set()
        return {letters("".join(words)), letters("".join(words[-1:] + words[:-1]))}


@dataclass
class Join:
    """Submissions matched to students; those on no roster row; students with no submission."""

    matched: dict[str, Student] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    missing: list[Student] = field(default_factory=list)


@dataclass(frozen=True)
class Roster:
    header: list[str]
    students: list[Student]

    @classmethod
    def load(cls, path: Path) -> Roster:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise RosterError(f"cannot read the roster {path}: {error}") from error
        lines = [line for line in text.splitlines() if line.strip()]
        if not lines:
            raise RosterError(f"the roster {path} is empty")
        delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
        reader = csv.reader(lines, delimiter=delimiter)
        header = [cell.strip() for cell in next(reader)]
        if len(set(header)) != len(header) or not all(header):
            raise RosterError(f"the roster {path} has an empty or repeated column name: {header}")
        fields = understood(header)
        if not set(fields) & {SUBMISSION, *KEYS, NAME, FIRST, LAST}:
            raise RosterError(f"the roster {path} has no column to match submissions on (submission, id, sis id, login, email or name): {header}")
        students = [student(header, fields, cells) for cells in reader if is_student_row(cells)]
        return cls(header, students)

    def join(self, names: list[str]) -> Join:
        """Each submission folder's student; refused where the match is not one to one."""
        joined = Join()
        owner: dict[int, str] = {}
        by_submission = any(SUBMISSION in s.fields for s in self.students)
        for name in names:
            found = self.owners(name, by_submission)
            if len(found) > 1:
                raise RosterError(f"submission {name!r} matches several roster rows: {', '.join(self.students[i].label for i in found)} "
                                  "(Moodle: its grading worksheet as --roster tells them apart by participant number)")
            if not found:
                joined.unknown.append(name)
                continue
            if found[0] in owner:
                raise RosterError(f"roster row {self.students[found[0]].label!r} matches two submissions: {owner[found[0]]!r} and {name!r}")
            owner[found[0]] = name
            joined.matched[name] = self.students[found[0]]
        joined.missing = [s for i, s in enumerate(self.students) if i not in owner]
        return joined

    def owners(self, folder: str, by_submission: bool) -> list[int]:
        """The rows ``folder`` may belong to, by the first rule of the module's docstring that finds any."""
        if by_submission:
            return [i for i, s in enumerate(self.students) if s.get(SUBMISSION) == folder.strip()]
        numbers = (PARTICIPANT,) if any(s.get(PARTICIPANT) for s in self.students) else (ID, SIS_ID)
        for rule in (named_after, numbered_by(numbers), named):
            found = [i for i, s in enumerate(self.students) if rule(s, folder.strip())]
            if found:
                return found
        return []


def understood(header: list[str]) -> dict[str, str]:
    """Field name → the first column that gives it."""
    found: dict[str, str] = {}
    for column in header:
        for name, spellings in HEADERS.items():
            if squeeze(column) in spellings and name not in found:
                found[name] = column
    return found


def is_student_row(cells: list[str]) -> bool:
    """Not Canvas's ``Points Possible`` row, nor its row of ``Muted``/``Manual Posting`` marks."""
    if cells and "Points Possible" in cells[0]:
        return False
    return not all(HIDDEN_MARK.match(cell) for cell in cells)


def student(header: list[str], fields: dict[str, str], row: list[str]) -> Student:
    cells = dict(zip(header, [cell.strip() for cell in row] + [""] * (len(header) - len(row))))
    values = {name: cells[column] for name, column in fields.items() if cells[column]}
    if NAME not in values and (values.get(FIRST) or values.get(LAST)):
        values[NAME] = f"{values.get(FIRST, '')} {values.get(LAST, '')}".strip()
    return Student(cells, values)


def named_after(student: Student, folder: str) -> bool:
    """The folder is the student's id, SIS id, login, email, or email's part before ``@``."""
    keys = {student.get(key).casefold() for key in KEYS if student.get(key)}
    if student.get(EMAIL):
        keys.add(student.get(EMAIL).split("@")[0].casefold())
    return folder.casefold() in keys


def numbered_by(fields: tuple[str, ...]) -> Callable[[Student, str], bool]:
    def numbered(student: Student, folder: str) -> bool:
        """``NAME_NUMBER``, NUMBER the student's (one of ``fields``), NAME not another's."""
        lms = LMS_FOLDER.match(folder)
        if lms is None or not agrees(student, lms["name"]):
            return False
        return lms["number"] in {number(student, field) for field in fields} - {""}
    return numbered


def number(student: Student, field: str) -> str:
    """The student's ``field``; of Moodle's ``Participant N``, N."""
    value = student.get(field)
    found = PARTICIPANT_NUMBER.search(value) if field == PARTICIPANT else None
    return found[1] if found else value


def agrees(student: Student, name: str) -> bool:
    """``name`` (a folder's) may be the student's: it shares a word of their name, or one of
    them has none (a nameless roster row, an anonymous folder)."""
    words = {letters(word) for word in student.get(NAME).split() if len(letters(word)) > 1}
    folder = letters(name)
    return not words or not folder or folder in NAMELESS or any(word in folder for word in words)


def named(student: Student, folder: str) -> bool:
    """``NAME_NUMBER``, NAME the student's name (letters only, either order)."""
    lms = LMS_FOLDER.match(folder)
    return lms is not None and letters(lms["name"]) in student.names()
