"""The gradebook's pieces without grading: fractional scores, the roster and its join,
the Canvas and Moodle exports, and an LMS download unpacked (archives made here)."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest

from graders import REPO
from graders.commands import empty_submission, gradebook, lms_download, lms_export, roster
from graders.commands.grading_run import Outcome
from graders.vocabulary.checks import Check
from tests import lms_formats

CHECKS = [Check("echo", "core", "test_a", 2, ""), Check("echo", "core", "test_b", 1.5, ""),  # type: ignore[arg-type]
          Check("webserver", "core", "test_c", 3, "")]


def results(**earned: float) -> dict:
    return {"score": sum(earned.values()), "tests": [{"name": f"echo / core / {name}", "score": score} for name, score in earned.items()]}


@pytest.mark.parametrize(("value", "text"), [(3, "3"), (3.0, "3"), (1.5, "1.5"), (1 / 3, "0.33"), (0.1 + 0.2, "0.3"), (-0.0, "0")])
def test_scores_print_as_numbers_without_a_trailing_0(value: float, text: str) -> None:
    assert gradebook.number(value) == text


def test_fractional_points_add_up_per_lab_and_in_the_total() -> None:
    row = gradebook.row(Outcome("alice", results(test_a=2, test_b=1.5), "", 1.0), CHECKS)
    assert (row["echo / core / test_b"], row["echo"], row["webserver"], row["total"]) == ("1.5", "3.5", "0", "3.5")
    points = gradebook.points_row(gradebook.columns(CHECKS), CHECKS)
    assert (points["submission"], points["echo"], points["total"], points["error"]) == ("Points Possible", "3.5", "6.5", "")


def test_columns_labs_checks_or_all() -> None:
    assert gradebook.columns(CHECKS, "labs", ["id"]) == ["id", "submission", "total", "echo", "webserver", "error"]
    assert gradebook.columns(CHECKS, "checks") == ["submission", "total", "echo / core / test_a", "echo / core / test_b", "webserver / core / test_c", "error"]


def write_roster(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_roster_headers_are_understood_in_their_usual_spellings(tmp_path: Path) -> None:
    listed = roster.Roster.load(write_roster(tmp_path / "r.csv", "\ufeffStudent Name;E-mail Address;SIS_User_ID;Section\nAda Lovelace;ada@uni.edu;S1;A\n"))
    assert listed.header == ["Student Name", "E-mail Address", "SIS_User_ID", "Section"]
    (ada,) = listed.students
    assert (ada.get(roster.NAME), ada.get(roster.EMAIL), ada.get(roster.SIS_ID), ada.get(roster.SECTION)) == ("Ada Lovelace", "ada@uni.edu", "S1", "A")
    first_last = roster.Roster.load(write_roster(tmp_path / "f.csv", "First Name,Surname,Username\nAlan,Turing,aturing\n"))
    assert first_last.students[0].get(roster.NAME) == "Alan Turing"


CANVAS_GRADEBOOK_EXPORT = """\
Student,ID,SIS User ID,SIS Login ID,Section,Lab 1: echo (5501),Lab 2 (5502),Current Score,Final Score
,,,,,Manual Posting,,,
,,,,,,Muted,,
    Points Possible,,,,,23,30,(read only),(read only)
"Lovelace, Ada",101,S1,ada,A,,,,
"Turing, Alan",102,S2,alan,B,20,,66.67,38.1
"""


def test_canvas_gradebook_export_as_roster_has_only_its_students(tmp_path: Path) -> None:
    listed = roster.Roster.load(write_roster(tmp_path / "canvas-export.csv", CANVAS_GRADEBOOK_EXPORT))
    assert [s.get(roster.NAME) for s in listed.students] == ["Lovelace, Ada", "Turing, Alan"]
    joined = listed.join(["lovelaceada_101"])
    header = gradebook.columns(CHECKS, "labs", listed.header)
    rows = [gradebook.row(Outcome("lovelaceada_101", results(test_a=2), "", 1.0), CHECKS, joined.matched["lovelaceada_101"].cells),
            *(gradebook.missing(s.cells, CHECKS) for s in joined.missing)]
    lms_export.canvas(tmp_path / "canvas.csv", header, rows, gradebook.points_row(header, CHECKS), ["echo", "webserver"], {})
    students = lms_formats.canvas(tmp_path / "canvas.csv", ["echo", "webserver"])
    assert sorted(students) == ["101", "102"]
    points_rows = [row for row in lms_formats.rows_of(tmp_path / "canvas.csv") if "Points Possible" in row[0]]
    assert len(points_rows) == 1, "Canvas's importer reads every Points Possible row as the maxima"


MOODLE_WORKSHEET = """\
"Identifier","Full name","Email address","Status","Grade","Maximum grade","Grade can be changed",\
"Last modified (submission)","File submissions","Last modified (grade)","Feedback comments"
"Participant 7","Alice Smith",alice.smith@uni.edu,"Submitted for grading",,100.00,Yes,"Monday, 1 December 2026, 10:00 AM",webserver.py,-,
"Participant 9","Alice Smith",asmith2@uni.edu,"Submitted for grading",,100.00,Yes,"Monday, 1 December 2026, 11:00 AM",webserver.py,-,
"Participant 12","Bob Jones",bob@uni.edu,"Submitted for grading",,100.00,Yes,"Monday, 1 December 2026, 12:00 PM",webserver.py,-,
"Participant 15","Carol White",carol@uni.edu,"No submission",,100.00,Yes,-,,-,
"""


def moodle_download(folder: Path, students: list[str]) -> list[str]:
    """Moodle's "Download all submissions" (mod/assign/classes/downloader.php): a folder
    ``Full Name_PARTICIPANT_assignsubmission_file`` per student; the folders unpacked."""
    folder.mkdir()
    for student in students:
        (folder / f"{student}_assignsubmission_file").mkdir()
        (folder / f"{student}_assignsubmission_file" / "webserver.py").write_text(f"# {student}")
    return [unpacked.name for unpacked in lms_download.unpack(folder, folder.parent / "results").folders]


def test_moodle_students_of_one_name_are_told_apart_by_the_grading_worksheet(tmp_path: Path) -> None:
    folders = moodle_download(tmp_path / "download", ["Alice Smith_7", "Alice Smith_9", "Bob Jones_12"])
    worksheet = roster.Roster.load(write_roster(tmp_path / "worksheet.csv", MOODLE_WORKSHEET))
    joined = worksheet.join(folders)
    assert {name: s.get(roster.EMAIL) for name, s in joined.matched.items()} == {
        "Alice Smith_7": "alice.smith@uni.edu", "Alice Smith_9": "asmith2@uni.edu", "Bob Jones_12": "bob@uni.edu"}
    assert [s.get(roster.NAME) for s in joined.missing] == ["Carol White"] and joined.unknown == []
    class_list = roster.Roster.load(write_roster(tmp_path / "names.csv", "Name,Email\nAlice Smith,a@uni.edu\nAlice Smith,b@uni.edu\n"))
    with pytest.raises(roster.RosterError, match="grading worksheet"):
        class_list.join(folders[:1])


def test_a_folders_number_never_overrides_a_name_it_contradicts(tmp_path: Path) -> None:
    folders = moodle_download(tmp_path / "download", ["Bob Jones_102", "Alice Smith_3", "Participant_4", "Dan Brown_77"])
    listed = roster.Roster.load(write_roster(tmp_path / "r.csv", "Name,ID number\nAlice Smith,102\nBob Jones,55\nGrace Hopper,4\nCarol White,77\n"))
    joined = listed.join(folders)
    assert {name: s.get(roster.NAME) for name, s in joined.matched.items()} == {
        "Bob Jones_102": "Bob Jones", "Alice Smith_3": "Alice Smith", "Participant_4": "Grace Hopper"}
    assert joined.unknown == ["Dan Brown_77"] and [s.get(roster.NAME) for s in joined.missing] == ["Carol White"], "Dan's work is not Carol's grade"
    anonymous = roster.Roster.load(write_roster(tmp_path / "c.csv", "Student,ID\n\"Lovelace, Ada\",51234\n"))
    assert anonymous.join(["anon_51234"]).unknown == ["anon_51234"], "an anonymous id is no user id"


def test_roster_without_a_column_to_match_on_is_refused(tmp_path: Path) -> None:
    with pytest.raises(roster.RosterError, match="no column to match"):
        roster.Roster.load(write_roster(tmp_path / "r.csv", "Section,Grade\nA,1\n"))


def test_folders_join_by_submission_column_key_lms_number_or_name(tmp_path: Path) -> None:
    listed = roster.Roster.load(write_roster(tmp_path / "r.csv", "\n".join([
        "name,id,email,sis id", "Ada Lovelace,101,ada@uni.edu,S1", "Alan Turing,102,turing@uni.edu,S2",
        "Grace Hopper,,grace@uni.edu,", "Edsger Dijkstra,104,ed@uni.edu,S4"])))
    joined = listed.join(["ada@uni.edu", "turingalan_102", "Grace Hopper_7", "S4", "stranger"])
    assert {name: s.get(roster.NAME) for name, s in joined.matched.items()} == {
        "ada@uni.edu": "Ada Lovelace", "turingalan_102": "Alan Turing", "Grace Hopper_7": "Grace Hopper", "S4": "Edsger Dijkstra"}
    assert joined.unknown == ["stranger"] and joined.missing == []
    by_column = roster.Roster.load(write_roster(tmp_path / "s.csv", "Folder,Email\nada-repo,ada@uni.edu\nbob-repo,bob@uni.edu\n"))
    joined = by_column.join(["ada-repo", "ada"])
    assert list(joined.matched) == ["ada-repo"] and joined.unknown == ["ada"] and [s.get(roster.EMAIL) for s in joined.missing] == ["bob@uni.edu"]


def test_a_join_that_is_not_one_to_one_is_refused(tmp_path: Path) -> None:
    listed = roster.Roster.load(write_roster(tmp_path / "r.csv", "name,email\nAda,ada@a.edu\nAda B,ada@b.edu\n"))
    with pytest.raises(roster.RosterError, match="several roster rows"):
        listed.join(["ada"])
    with pytest.raises(roster.RosterError, match="two submissions"):
        listed.join(["ada@a.edu", "ADA@A.EDU"])


def book(tmp_path: Path) -> tuple[list[str], list[gradebook.Row], gradebook.Row]:
    """A gradebook of three: on the roster, on the roster with no submission, not on it."""
    listed = roster.Roster.load(write_roster(tmp_path / "r.csv", "Name,ID,SIS User ID,Email,Section\nAda Lovelace,101,S1,ada@uni.edu,A\nAlan Turing,102,S2,alan@uni.edu,B\n"))
    joined = listed.join(["ada@uni.edu", "zed_999"])
    header = gradebook.columns(CHECKS, "all", listed.header)
    rows = [gradebook.row(Outcome("ada@uni.edu", results(test_a=2, test_b=1.5), "", 1.0), CHECKS, joined.matched["ada@uni.edu"].cells),
            gradebook.row(Outcome("zed_999", results(test_a=2), "", 1.0), CHECKS, dict.fromkeys(listed.header, "")),
            *(gradebook.missing(s.cells, CHECKS) for s in joined.missing)]
    return header, rows, gradebook.points_row(header, CHECKS)


def test_canvas_export_is_what_canvas_imports(tmp_path: Path) -> None:
    header, rows, points = book(tmp_path)
    lms_export.canvas(tmp_path / "canvas.csv", header, rows, points, ["echo", "webserver"], {"webserver": "Lab 2 (5501)"})
    students = lms_formats.canvas(tmp_path / "canvas.csv", ["echo", "Lab 2 (5501)"])
    assert lms_formats.rows_of(tmp_path / "canvas.csv")[1][5:] == ["3.5", "3"]
    assert students["101"] == ["Ada Lovelace", "101", "S1", "", "A", "3.5", "0"]
    assert students["102"] == ["Alan Turing", "102", "S2", "", "B", "0", "0"], "no submission: zeros"
    assert students["999"] == ["zed_999", "999", "", "", "", "2", "0"], "not on the roster: its folder's name and number"


def test_moodle_export_is_what_moodle_imports(tmp_path: Path) -> None:
    header, rows, _ = book(tmp_path)
    left_out = lms_export.moodle(tmp_path / "moodle.csv", header, rows, ["echo", "webserver"], {}, None)
    students = lms_formats.moodle(tmp_path / "moodle.csv", "Email address", ["echo", "webserver"])
    assert students == {"ada@uni.edu": ["ada@uni.edu", "3.5", "0", ""], "alan@uni.edu": ["alan@uni.edu", "0", "0", "no submission"]}
    assert left_out == ["zed_999"], "Moodle refuses a whole file with an unknown user: left out, and said"
    lms_export.moodle(tmp_path / "by-id.csv", header, rows, ["echo"], {}, "idnumber")
    assert lms_formats.moodle(tmp_path / "by-id.csv", "ID number", ["echo"])["S1"] == ["S1", "3.5", ""]
    with pytest.raises(lms_export.ExportRefused, match="login"):
        lms_export.moodle(tmp_path / "x.csv", header, rows, ["echo"], {}, "username")


def zip_bytes(members: dict[str, bytes]) -> bytes:
    """A zip's bytes, to put inside another zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_of(path: Path, members: dict[str, bytes], links: tuple[str, ...] = ()) -> Path:
    """A zip made here: ``members`` as files, ``links`` as symbolic links (to /etc/passwd)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return path


def test_canvas_moodle_and_plain_downloads_unpack_one_folder_per_student(tmp_path: Path) -> None:
    download = tmp_path / "download"
    download.mkdir()
    (download / "smithada_101_9001_webserver-1.py").write_text("# ada's server")
    (download / "smithada_101_9002_udp_server.py").write_text("# ada's udp")
    zip_of(download / "turingalan_102_9003_submission.zip", {"labs/webserver.py": b"# alan", "__MACOSX/labs/._webserver.py": b"junk"})
    moodle = download / "Grace Hopper_7_assignsubmission_file_"  # Moodle before its downloader class
    moodle.mkdir()
    zip_of(moodle / "mine.zip", {"webserver.py": b"# grace"})
    moodle = download / "Barbara Liskov_8_assignsubmission_file"  # mod/assign/classes/downloader.php
    moodle.mkdir()
    (moodle / "webserver.py").write_text("# barbara")
    zip_of(download / "dijkstra.zip", {"webserver.py": b"# ed"})
    (download / "notes.txt").write_text("not a submission")
    assert lms_download.is_download(download)
    unpacked = lms_download.unpack(download, tmp_path / "results")
    files = {folder.name: sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) for folder in unpacked.folders}
    assert files == {"smithada_101": ["udp_server.py", "webserver.py"], "turingalan_102": ["webserver.py"],
                     "Grace Hopper_7": ["webserver.py"], "Barbara Liskov_8": ["webserver.py"], "dijkstra": ["webserver.py"]}
    assert unpacked.errors == {} and unpacked.skipped == ["notes.txt"]


def canvas_download(folder: Path, files: dict[str, str]) -> Path:
    """Files as Canvas's content_zipper.rb names them: [NAME_][LATE_](USERID | anon_ANONID)_FILEID_FILE."""
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def test_canvas_late_and_anonymous_files_are_each_their_students(tmp_path: Path) -> None:
    download = canvas_download(tmp_path / "download", {
        "smithada_LATE_101_9002_udp_server.py": "# ada, late only",
        "turingalan_102_9003_webserver.py": "# alan, on time",
        "turingalan_102_9004_udp_server.py": "# alan, on time",
        "turingalan_LATE_102_9010_webserver.py": "# alan, resubmitted late",
        "hopper_Late_103_9011_webserver.py": "# grace, any case",
        "anon_b2Xk9_9020_webserver.py": "# anonymous",
        "LATE_anon_Qz7Pw_9021_webserver.py": "# anonymous, late",
        "anon_51234_9022_webserver.py": "# anonymous, an id of digits",
    })
    unpacked = lms_download.unpack(download, tmp_path / "results")
    files = {folder.name: {p.name: p.read_text() for p in folder.iterdir()} for folder in unpacked.folders}
    assert files == {
        "smithada_101": {"udp_server.py": "# ada, late only"},
        "turingalan_102": {"webserver.py": "# alan, resubmitted late"},
        "hopper_103": {"webserver.py": "# grace, any case"},
        "anon_b2Xk9": {"webserver.py": "# anonymous"},
        "anon_Qz7Pw": {"webserver.py": "# anonymous, late"},
        "anon_51234": {"webserver.py": "# anonymous, an id of digits"},
    }
    assert unpacked.skipped == [] and unpacked.errors == {}
    assert unpacked.superseded == {"turingalan_102": (["turingalan_LATE_102_9010_webserver.py"],
                                                      ["turingalan_102_9003_webserver.py", "turingalan_102_9004_udp_server.py"])}


def test_of_one_students_two_submissions_the_newest_file_decides(tmp_path: Path) -> None:
    download = canvas_download(tmp_path / "download", {
        "turingalan_LATE_102_9003_webserver.py": "# late, then the due date moved",
        "turingalan_102_9010_webserver.py": "# on time, newer",
        "turingalan_102_9012_webserver-1.py": "# the same file uploaded again, newest",
    })
    unpacked = lms_download.unpack(download, tmp_path / "results")
    assert (unpacked.folders[0] / "webserver.py").read_text() == "# the same file uploaded again, newest"
    assert unpacked.superseded["turingalan_102"][1] == ["turingalan_102_9010_webserver.py", "turingalan_LATE_102_9003_webserver.py"]


def test_a_zip_in_a_zip_is_unpacked_in_its_place(tmp_path: Path) -> None:
    download = tmp_path / "download"
    download.mkdir()
    inner = zip_bytes({"lab/webserver.py": b"# ada", "lab/deeper.zip": zip_bytes({"udp_server.py": b"# ada udp"})})
    zip_of(download / "smithada_101_9001_submission.zip", {"ada/labs.zip": inner})
    unpacked = lms_download.unpack(download, tmp_path / "results")
    (folder,) = unpacked.folders
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) == ["lab", "lab/udp_server.py", "lab/webserver.py"]
    assert unpacked.errors == {}


@pytest.mark.parametrize(("members", "links", "why"), [
    ({"../../escaped.py": b"x"}, (), "leaves its folder"),
    ({"/etc/cron.d/evil": b"x"}, (), "leaves its folder"),
    ({"C:\\Windows\\evil.py": b"x"}, (), "leaves its folder"),
    ({"webserver.py": b"x"}, ("webserver_link.py",), "symbolic link"),
    ({"bomb.bin": bytes(2 * 2**20)}, (), "more than 1 MiB"),
    ({f"f{i}.py": b"" for i in range(12)}, (), "more than 10"),
    ({"inner.zip": zip_bytes({"bomb.bin": bytes(2 * 2**20)})}, (), "more than 1 MiB"),
    ({"inner.zip": zip_bytes({"../../escaped.py": b"x"})}, (), "leaves its folder"),
    ({"1.zip": zip_bytes({"2.zip": zip_bytes({"3.zip": zip_bytes({"4.zip": zip_bytes({"w.py": b"x"})})})})}, (), "more than 3 deep"),
])
def test_a_bad_archive_costs_only_its_student(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, members: dict[str, bytes],
                                              links: tuple[str, ...], why: str) -> None:
    monkeypatch.setattr(lms_download, "MAX_BYTES", 2**20)
    monkeypatch.setattr(lms_download, "MAX_MEMBERS", 10)
    download = tmp_path / "download"
    download.mkdir()
    zip_of(download / "eve_103_9004_submission.zip", members, links)
    zip_of(download / "ada_101_9001_submission.zip", {"webserver.py": b"# ada"})
    unpacked = lms_download.unpack(download, tmp_path / "results")
    assert why in unpacked.errors["eve_103"] and list(unpacked.errors) == ["eve_103"]
    assert [p.name for p in (tmp_path / "results" / ".unpacked" / "ada_101").iterdir()] == ["webserver.py"]
    assert list((tmp_path / "results" / ".unpacked" / "eve_103").iterdir()) == [], "nothing of a refused archive is kept"
    assert not list(tmp_path.rglob("escaped.py")) and not list(tmp_path.rglob("*link*"))


def test_a_file_that_is_not_a_zip_is_a_bad_archive(tmp_path: Path) -> None:
    download = tmp_path / "download"
    download.mkdir()
    (download / "eve.zip").write_bytes(b"PK\x03\x04 but not really" + bytes(io.DEFAULT_BUFFER_SIZE))
    unpacked = lms_download.unpack(download, tmp_path / "results")
    assert unpacked.errors["eve"].startswith("bad archive: eve.zip does not unpack")


def test_a_plain_class_is_not_a_download(tmp_path: Path) -> None:
    (tmp_path / "alice").mkdir()
    assert not lms_download.is_download(tmp_path)


def test_shards_with_a_roster_merge_into_one_gradebook(tmp_path: Path) -> None:
    header, rows, points = book(tmp_path)
    gradebook.write(tmp_path / "one.csv", header, rows, points)
    gradebook.write(tmp_path / "1.csv", header, [rows[0], rows[2]], points)  # the first shard has the students with no submission
    gradebook.write(tmp_path / "2.csv", header, [rows[1]], points)
    merged_header, merged, merged_points = gradebook.merge([tmp_path / "1.csv", tmp_path / "2.csv"])
    gradebook.write(tmp_path / "merged.csv", merged_header, merged, merged_points)
    assert (tmp_path / "merged.csv").read_text() == (tmp_path / "one.csv").read_text()
    assert (tmp_path / "one.csv").read_text().splitlines()[-1].startswith("Alan Turing,102,"), "no submission: last"
    gradebook.write(tmp_path / "3.csv", header, [rows[2]], points)
    with pytest.raises(gradebook.MergeRefused, match="Alan Turing"):
        gradebook.merge([tmp_path / "3.csv", tmp_path / "3.csv"])


def test_an_empty_submission_says_it_has_nothing_to_grade(tmp_path: Path) -> None:
    download = tmp_path / "download"
    download.mkdir()
    zip_of(download / "smithada_101_9001_submission.zip", {})
    zip_of(download / "turingalan_102_9002_submission.zip", {"labs/README.md": b"I ran out of time"})
    template = {f"labs/{p.name}": b"# my name here\r\n" + p.read_bytes().replace(b"\n", b"\r\n") for p in (REPO / "student_template").glob("*.py")}
    zip_of(download / "hoppergrace_103_9003_submission.zip", template)
    zip_of(download / "lovelaceada_104_9004_submission.zip", template | {"labs/webserver.py": b"# mine"})
    folders = {folder.name: folder for folder in lms_download.unpack(download, tmp_path / "results").folders}
    handed_out = empty_submission.handed_out()
    assert handed_out, "the checkout has its template"
    whys = {name: empty_submission.why_nothing(folder, handed_out) for name, folder in folders.items()}
    assert whys == {"smithada_101": "nothing to grade: no .py file (an empty folder)",
                    "turingalan_102": "nothing to grade: no .py file (only README.md)",
                    "hoppergrace_103": "nothing to grade: student_template's programs, unchanged",
                    "lovelaceada_104": ""}
