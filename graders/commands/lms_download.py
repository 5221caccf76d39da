"""An LMS's download of an assignment's submissions, unpacked into one folder per student.

``netlab batch DIR`` takes DIR as a download when it holds a file at its top (not hidden),
or a folder named as Moodle names a student's (``..._assignsubmission_...``); otherwise each
sub-directory is a submission, graded where it is. A download is unpacked into
``RESULTS_DIR/.unpacked/STUDENT/``, made anew each time, by these rules, the first that fits:

- Canvas: ``NAME_[late_]USERID_SUBMISSIONID_FILE`` (``smithjohn_12345_67890_webserver.py``,
  ``smithjohn_late_12345_67890_submission.zip``) is STUDENT ``NAME_USERID``'s FILE; Canvas's
  ``-N`` suffix on a file uploaded again (``webserver-1.py``) is dropped.
- Moodle: a folder ``Full Name_PARTICIPANT_assignsubmission_PLUGIN_`` holds the files of
  STUDENT ``Full Name_PARTICIPANT``; a file ``Full Name_PARTICIPANT_assignsubmission_PLUGIN_FILE``
  (a download without folders) is that student's FILE.
- ``STUDENT.zip`` is STUDENT's; a folder ``STUDENT/`` is STUDENT's, copied as it is.
- Any other file is not a submission: it is skipped and named.

A ``.zip`` among a student's files is unpacked in their folder, safely: a member named
with ``..``, an absolute path or a drive, a symbolic link, more than ``MAX_MEMBERS``
members, or more than ``MAX_BYTES`` unpacked (counted as they are written, not as the
archive claims) refuses the archive, as does one that is not a zip or is encrypted. A bad
archive costs only its student: their row says why in ``error``, the others are graded.
``__MACOSX/`` and ``.DS_Store`` are left out. Last, a folder with no ``.py`` at its top and a
single folder in it is graded in that folder (as the Gradescope autograder does).
"""

from __future__ import annotations

import re
import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

UNPACKED = ".unpacked"
MAX_MEMBERS = 1000  # members of one archive
MAX_BYTES = 64 * 1024 * 1024  # bytes one student's archives may unpack to
CHUNK = 1024 * 1024
CANVAS = re.compile(r"^(?P<name>[^_]+)_(?:late_)?(?P<user>\d+)_\d+_(?P<file>.+)$")
MOODLE = re.compile(r"^(?P<student>.+?_\d+)_assignsubmission_[a-z]+_(?P<file>.*)$")
AGAIN = re.compile(r"^(?P<stem>.+)-\d+(?P<suffix>\.[^.]+)$")  # Canvas's webserver-1.py
JUNK = {"__MACOSX", ".DS_Store"}


class BadArchive(Exception):
    """An archive that is not unpacked, and why."""


@dataclass
class Unpacked:
    """The download as submissions: their folders, the students whose archive was refused
    (and why), and the entries that were no one's."""

    folders: list[Path] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def is_download(directory: Path) -> bool:
    entries = [p for p in directory.iterdir() if not p.name.startswith(".")]
    return any(p.is_file() or (p.is_dir() and MOODLE.match(p.name)) for p in entries)


def owner(entry: Path) -> tuple[str, str] | None:
    """(student, file name in their folder; "" for a whole folder or archive), or None."""
    canvas = CANVAS.match(entry.name) if entry.is_file() else None
    if canvas:
        again = AGAIN.match(canvas["file"])
        return f"{canvas['name']}_{canvas['user']}", f"{again['stem']}{again['suffix']}" if again else canvas["file"]
    moodle = MOODLE.match(entry.name)
    if moodle:
        return moodle["student"], moodle["file"] if entry.is_file() else ""
    if entry.is_dir():
        return entry.name, ""
    if entry.suffix.lower() == ".zip":
        return entry.stem, ""
    return None


def unpack(download: Path, results_dir: Path) -> Unpacked:
    """Each student's entries into ``results_dir/.unpacked/STUDENT``."""
    into = results_dir / UNPACKED
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    found = Unpacked()
    students: dict[str, list[tuple[Path, str]]] = {}
    for entry in sorted(download.iterdir()):
        if entry.name.startswith(".") or entry.resolve() == results_dir.resolve():
            continue
        whose = owner(entry)
        if whose is None:
            found.skipped.append(entry.name)
        else:
            students.setdefault(whose[0], []).append((entry, whose[1]))
    for student, entries in students.items():
        folder = into / student
        folder.mkdir()
        try:
            budget = Budget()
            for entry, name in entries:
                place(entry, folder / name if name else folder, budget)
        except BadArchive as error:
            shutil.rmtree(folder)
            folder.mkdir()
            found.errors[student] = f"bad archive: {error}"
        hoist(folder)
        found.folders.append(folder)
    return found


@dataclass
class Budget:
    """What one student's archives have unpacked so far."""

    written: int = 0

    def spend(self, size: int, archive: str) -> None:
        self.written += size
        if self.written > MAX_BYTES:
            raise BadArchive(f"{archive} unpacks to more than {MAX_BYTES // 2**20} MiB (a zip bomb?)")


def place(entry: Path, target: Path, budget: Budget) -> None:
    """A file copied (a zip unpacked), a folder copied with its zips unpacked."""
    if entry.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        for child in sorted(entry.iterdir()):
            if child.name not in JUNK and not child.is_symlink():
                place(child, target / child.name, budget)
    elif entry.suffix.lower() == ".zip":
        extract(entry, target if target.is_dir() else target.parent, budget)
    elif entry.is_file():
        budget.spend(entry.stat().st_size, entry.name)
        shutil.copyfile(entry, target)


def extract(archive: Path, into: Path, budget: Budget) -> None:
    """Unpack ``archive`` into ``into``, refusing what could leave it or fill the disk."""
    try:
        with zipfile.ZipFile(archive) as opened:
            members = opened.infolist()
            if len(members) > MAX_MEMBERS:
                raise BadArchive(f"{archive.name} has {len(members)} members, more than {MAX_MEMBERS}")
            for member in members:
                extract_member(opened, member, into, budget, archive.name)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError) as error:
        raise BadArchive(f"{archive.name} does not unpack: {error}") from error


def extract_member(opened: zipfile.ZipFile, member: zipfile.ZipInfo, into: Path, budget: Budget, archive: str) -> None:
    parts = safe_parts(member.filename, archive)
    if stat.S_ISLNK(member.external_attr >> 16):
        raise BadArchive(f"{archive} holds a symbolic link: {member.filename}")
    if not parts or any(part in JUNK for part in parts):
        return
    target = into.joinpath(*parts)
    if member.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with opened.open(member) as source, target.open("wb") as sink:
        while chunk := source.read(CHUNK):
            budget.spend(len(chunk), archive)
            sink.write(chunk)


def safe_parts(name: str, archive: str) -> tuple[str, ...]:
    """A member's path as parts inside the folder; refused if it would leave it."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or re.match(r"^[A-Za-z]:", name) or ".." in path.parts:
        raise BadArchive(f"{archive} holds a path that leaves its folder: {name}")
    return tuple(part for part in path.parts if part not in ("", "."))


def hoist(folder: Path) -> None:
    """A folder with no .py at its top and one folder in it: that folder's files up one level."""
    inner = [p for p in folder.iterdir() if p.name not in JUNK]
    if any(p.suffix == ".py" for p in inner if p.is_file()) or len(inner) != 1 or not inner[0].is_dir():
        return
    lifted = inner[0].rename(folder / f".{inner[0].name}.hoisted")
    for child in lifted.iterdir():
        child.rename(folder / child.name)
    lifted.rmdir()
