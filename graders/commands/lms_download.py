"""An LMS's download of an assignment's submissions, unpacked into one folder per student.

``netlab batch DIR`` takes DIR as a download when it holds a file at its top (not hidden),
or a folder named as Moodle names a student's (``..._assignsubmission_...``); otherwise each
sub-directory is a submission, graded where it is. A download is unpacked into
``RESULTS_DIR/.unpacked/STUDENT/``, made anew each time, by these rules, the first that fits:

- Canvas (instructure/canvas-lms ``lib/content_zipper.rb``, ``get_filename`` and
  ``add_upload_submission``): ``NAME_[LATE_]USERID_FILEID_FILE`` (``smithjohn_12345_67890_webserver.py``,
  ``smithjohn_LATE_12345_67890_submission.zip``; ``LATE`` in any case) is STUDENT ``NAME_USERID``'s
  FILE; an anonymous assignment's ``[LATE_]anon_ANONID_FILEID_FILE`` is STUDENT ``anon_ANONID``'s.
  Canvas's ``-N`` suffix on a file uploaded again (``webserver-1.py``) is dropped. A student's
  files marked late and those not are two submissions: the one holding the newest file (the
  highest FILEID: Canvas numbers its files in order) is graded, the other superseded; of two
  files of one name in it, the newest. Which files were graded and which superseded is said.
- Moodle (``mod/assign/classes/downloader.php``): a folder ``Full Name_PARTICIPANT_assignsubmission_PLUGIN``
  (older Moodles end it with ``_``) holds the files of STUDENT ``Full Name_PARTICIPANT``; a file
  ``Full Name_PARTICIPANT_assignsubmission_PLUGIN_FILE`` (a download without folders) is that
  student's FILE. Under blind marking, Full Name is ``Participant``.
- ``STUDENT.zip`` is STUDENT's; a folder ``STUDENT/`` is STUDENT's, copied as it is.
- Any other file is not a submission: it is skipped and named.

The download may be the LMS's zip itself (``DOWNLOAD.zip``): it is unpacked into
``RESULTS_DIR/.download/`` first, as below but for the whole class (``MAX_DOWNLOAD_BYTES``),
its students' own archives left for their folders.

A ``.zip`` among a student's files is unpacked in their folder, and a ``.zip`` inside it in its
place, ``MAX_NESTING`` deep, all within the same limits, safely: a member named
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
DOWNLOADED = ".download"  # where the LMS's zip is unpacked
MAX_MEMBERS = 1000  # members of one archive
MAX_BYTES = 64 * 1024 * 1024  # bytes one student's archives may unpack to
MAX_DOWNLOAD_BYTES = 4 * 1024**3  # bytes the LMS's zip of a whole class may unpack to
MAX_DOWNLOAD_MEMBERS = 100_000  # members of the LMS's zip
MAX_NESTING = 3  # archives inside archives inside a student's archive
CHUNK = 1024 * 1024
LATE = r"(?P<late>(?i:late)_)?"
CANVAS = re.compile(rf"^(?P<name>[^_]+)_{LATE}(?P<user>\d+)_(?P<file_id>\d+)_(?P<file>.+)$")
CANVAS_ANONYMOUS = re.compile(rf"^{LATE}(?P<student>anon_[^\W_]+)_(?P<file_id>\d+)_(?P<file>.+)$")
MOODLE = re.compile(r"^(?P<student>.+?_\d+)_assignsubmission_[a-z]+(?:_(?P<file>.*))?$")
AGAIN = re.compile(r"^(?P<stem>.+)-\d+(?P<suffix>\.[^.]+)$")  # Canvas's webserver-1.py
JUNK = {"__MACOSX", ".DS_Store"}


class BadArchive(Exception):
    """An archive that is not unpacked, and why."""


@dataclass
class Unpacked:
    """The download as submissions: their folders, the students whose archive was refused
    (and why), the entries that were no one's, and per student whose older submission was
    left out, the entries graded and those superseded."""

    folders: list[Path] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    superseded: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Entry:
    """One entry of the download: whose, under what name in their folder ("" for a whole
    folder or archive), and for Canvas's files, late or not and Canvas's file id."""

    path: Path
    student: str
    name: str
    late: bool = False
    file_id: int = -1


def is_download(directory: Path) -> bool:
    entries = [p for p in directory.iterdir() if not p.name.startswith(".")]
    return any(p.is_file() or (p.is_dir() and MOODLE.match(p.name)) for p in entries)


def owner(path: Path) -> Entry | None:
    """Whose ``path`` is, by the first rule of the module's docstring that fits; None: no one's."""
    canvas = canvas_entry(path) if path.is_file() else None
    if canvas:
        return canvas
    moodle = MOODLE.match(path.name)
    if moodle and (path.is_dir() or moodle["file"]):
        return Entry(path, moodle["student"], moodle["file"] if path.is_file() else "")
    if path.is_dir():
        return Entry(path, path.name, "")
    if path.suffix.lower() == ".zip":
        return Entry(path, path.stem, "")
    return None


def canvas_entry(path: Path) -> Entry | None:
    """A file Canvas named: anonymous (``anon_ANONID``) or its student's ``NAME_USERID``."""
    anonymous = CANVAS_ANONYMOUS.match(path.name)
    named = None if anonymous else CANVAS.match(path.name)
    found = anonymous or named
    if found is None:
        return None
    student = anonymous["student"] if anonymous else f"{found['name']}_{found['user']}"
    again = AGAIN.match(found["file"])
    name = f"{again['stem']}{again['suffix']}" if again else found["file"]
    return Entry(path, student, name, bool(found["late"]), int(found["file_id"]))


def newest(entries: list[Entry]) -> tuple[list[Entry], list[Entry]]:
    """(graded, superseded): of a student's late and on-time files, the submission with the
    newest file; in it, of two files of one name, the newer."""
    submissions = {late: [e for e in entries if e.late == late] for late in {e.late for e in entries}}
    chosen = max(submissions.values(), key=lambda files: max(e.file_id for e in files))
    by_name: dict[str, Entry] = {}
    for entry in sorted(chosen, key=lambda e: e.file_id):
        by_name[entry.name or entry.path.name] = entry
    graded = sorted(by_name.values(), key=lambda e: e.path.name)
    return graded, sorted((e for e in entries if e not in graded), key=lambda e: e.path.name)


def unzip_download(archive: Path, results_dir: Path) -> Path:
    """The LMS's zip of the whole class unpacked into ``results_dir/.download``, made anew."""
    into = results_dir / DOWNLOADED
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    extract(archive, into, Budget(MAX_DOWNLOAD_BYTES, MAX_DOWNLOAD_MEMBERS, None))
    return into


def unpack(download: Path, results_dir: Path) -> Unpacked:
    """Each student's entries into ``results_dir/.unpacked/STUDENT``."""
    into = results_dir / UNPACKED
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    found = Unpacked()
    students: dict[str, list[Entry]] = {}
    for path in sorted(download.iterdir()):
        if path.name.startswith(".") or path.resolve() == results_dir.resolve():
            continue
        entry = owner(path)
        if entry is None:
            found.skipped.append(path.name)
        else:
            students.setdefault(entry.student, []).append(entry)
    for student, entries in students.items():
        graded, superseded = newest(entries)
        if superseded:
            found.superseded[student] = ([e.path.name for e in graded], [e.path.name for e in superseded])
        folder = into / student
        folder.mkdir()
        try:
            budget = student_budget()
            for entry in graded:
                place(entry.path, folder / entry.name if entry.name else folder, budget)
        except BadArchive as error:
            shutil.rmtree(folder)
            folder.mkdir()
            found.errors[student] = f"bad archive: {error}"
        hoist(folder)
        found.folders.append(folder)
    return found


@dataclass
class Budget:
    """What one student's archives (or the LMS's zip of the class) may unpack, and have."""

    limit: int  # bytes, all archives together
    members: int  # members of one archive
    nesting: int | None  # archives in archives unpacked in their place (None: left as they are)
    written: int = 0

    def spend(self, size: int, archive: str) -> None:
        self.written += size
        if self.written > self.limit:
            raise BadArchive(f"{archive} unpacks to more than {self.limit // 2**20} MiB (a zip bomb?)")


def student_budget() -> Budget:
    return Budget(MAX_BYTES, MAX_MEMBERS, MAX_NESTING)


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


def extract(archive: Path, into: Path, budget: Budget, depth: int = 0) -> None:
    """Unpack ``archive`` into ``into``, refusing what could leave it or fill the disk; the
    zips in it too, in their place, as deep as the budget's ``nesting``."""
    try:
        with zipfile.ZipFile(archive) as opened:
            listed = opened.infolist()
            if len(listed) > budget.members:
                raise BadArchive(f"{archive.name} has {len(listed)} members, more than {budget.members}")
            written = [extract_member(opened, member, into, budget, archive.name) for member in listed]
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError) as error:
        raise BadArchive(f"{archive.name} does not unpack: {error}") from error
    inner = [path for path in written if path is not None and path.suffix.lower() == ".zip"]
    if budget.nesting is None or not inner:
        return
    if depth >= budget.nesting:
        raise BadArchive(f"{archive.name} holds archives in archives more than {budget.nesting} deep")
    for path in inner:
        extract(path, path.parent, budget, depth + 1)
        path.unlink()


def extract_member(opened: zipfile.ZipFile, member: zipfile.ZipInfo, into: Path, budget: Budget, archive: str) -> Path | None:
    """The member written under ``into`` (None: a folder, or left out); refused if unsafe."""
    parts = safe_parts(member.filename, archive)
    if stat.S_ISLNK(member.external_attr >> 16):
        raise BadArchive(f"{archive} holds a symbolic link: {member.filename}")
    if not parts or any(part in JUNK for part in parts):
        return None
    target = into.joinpath(*parts)
    if member.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    with opened.open(member) as source, target.open("wb") as sink:
        while chunk := source.read(CHUNK):
            budget.spend(len(chunk), archive)
            sink.write(chunk)
    return target


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
