"""``netlab batch`` and ``netlab merge-csv``: a small class graded two at a time, each
submission in its own process tree; its gradebook, results, shards, merge and summary."""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import psutil
import pytest

from graders.commands import batch
from graders.commands.grading_run import INTERRUPT_GRACE
from graders.harness.programs import GONE_WITHIN
from graders.reports.rubric import collect_checks
from tests import lms_formats
from tests.conftest import as_in_a_terminal
from tests.grading import KNOWN_BAD, REFERENCE, KnownSubmission

PROGRAMS = Path(__file__).resolve().parent / "programs"
BAD = "udp_server_swapcase"  # a known-bad echo submission: it fails exactly one check
ECHO_POINTS = 23
BATCH_OWN = 5.0  # seconds of a small batch's own work beside its gradings (starting them, the gradebook), on a busy machine
HANGING_GRADING = 45.0  # seconds, at least, of the waits of echo and webserver with every program hanging, left to run
# A student program that forges a perfect results.json where its grading would write it, then
# kills that grading, so the graders never overwrite it: the nearest ancestor that is pytest
# grading for netlab batch (whose command has the `--submission=` form); run by hand, a no-op.
KILLS_ITS_GRADING = """\
import json, os, signal

pid = os.getppid()
for _ in range(4):  # its ancestors, read from /proc: the standard library only, as LABS.md says
    command = open(f"/proc/{pid}/cmdline", "rb").read().decode().split("\\0")
    if "pytest" in " ".join(command) and any(arg.startswith("--submission=") for arg in command):
        path = next(arg.split("=", 1)[1] for arg in command if arg.startswith("--results-json="))
        with open(path, "w") as forged:
            json.dump({"score": 23, "max_score": 23, "tests": []}, forged)
        os.kill(pid, signal.SIGKILL)
        break
    pid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
"""


def netlab_batch(*argv: str | Path) -> int:
    """``netlab batch ARGV...``, parsed as the command line parses it."""
    parser = argparse.ArgumentParser()
    batch.add_arguments(parser)
    return batch.run(parser.parse_args([str(arg) for arg in argv]))


def path_lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def netlab_merge(*argv: str | Path) -> int:
    parser = argparse.ArgumentParser()
    batch.add_merge_arguments(parser)
    return batch.run_merge(parser.parse_args([str(arg) for arg in argv]))


def read_csv(path: Path) -> tuple[list[str], dict[str, dict[str, str]]]:
    """Header and rows by submission; the points-possible row under ``Points Possible``."""
    with path.open(newline="") as file:
        reader = csv.DictReader(file)
        rows = {row[reader.fieldnames[0]] if row[reader.fieldnames[0]] == "Points Possible" else row["submission"]: row for row in reader}
    return list(reader.fieldnames or []), rows


@pytest.fixture(scope="module")
def bad() -> KnownSubmission:
    return KnownSubmission.load(KNOWN_BAD / "echo" / BAD)


@pytest.fixture(scope="module")
def klass(tmp_path_factory: pytest.TempPathFactory, bad: KnownSubmission) -> Path:
    """alice: the reference; bob: known-bad; carol: kills her grading; dave: an empty directory."""
    root = tmp_path_factory.mktemp("class")
    shutil.copytree(REFERENCE, root / "alice")
    shutil.move(bad.assemble(tmp_path_factory.mktemp("bad")), root / "bob")
    shutil.copytree(REFERENCE, root / "carol")
    (root / "carol" / "udp_server.py").write_text(KILLS_ITS_GRADING)
    (root / "dave").mkdir()
    (root / ".git").mkdir()  # hidden: not a submission
    return root


@pytest.fixture(scope="module")
def graded(klass: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path, Path]:
    """The class graded with --lab echo, two at a time: exit status, gradebook, results dir."""
    out = tmp_path_factory.mktemp("graded")
    status = netlab_batch(klass, "--lab", "echo", "--jobs", "2", "--csv", out / "grades.csv", "--results-dir", out / "results",
                          "--html", out / "class.html")
    return status, out / "grades.csv", out / "results"


def test_gradebook_has_a_row_per_submission_and_a_column_per_check(graded: tuple[int, Path, Path]) -> None:
    _, gradebook, _ = graded
    header, rows = read_csv(gradebook)
    checks = [f"echo / {c.group} / {c.name}" for c in collect_checks(["echo"])]
    assert header == ["submission", "total", "echo", *checks, "error"]
    assert sorted(rows) == ["Points Possible", "alice", "bob", "carol", "dave"]
    assert path_lines(gradebook)[1].startswith("Points Possible,"), "right under the header, as Canvas has it"
    assert [rows["Points Possible"][c] for c in ("total", "echo", "error")] == [str(ECHO_POINTS), str(ECHO_POINTS), ""]
    assert [rows["alice"][c] for c in ("total", "echo", "error")] == [str(ECHO_POINTS), str(ECHO_POINTS), ""]
    assert rows["dave"]["total"] == "0" and rows["dave"]["error"] == "nothing to grade: no .py file (an empty folder)"


def test_known_bad_loses_exactly_its_checks_points(graded: tuple[int, Path, Path], bad: KnownSubmission) -> None:
    _, gradebook, _ = graded
    _, rows = read_csv(gradebook)
    lost = {c.name: c.points for c in collect_checks(["echo"]) if c.name in bad.fails}
    assert rows["bob"]["total"] == str(ECHO_POINTS - sum(lost.values()))
    for name in lost:
        assert rows["bob"][f"echo / core / {name}"] == "0"
    assert rows["bob"]["error"] == ""


def test_a_grading_that_dies_costs_only_its_own_row(graded: tuple[int, Path, Path]) -> None:
    status, gradebook, results = graded
    _, rows = read_csv(gradebook)
    assert status == 1, "a grading that did not run to its end makes the exit status 1"
    assert rows["carol"]["error"].startswith("killed by signal"), rows["carol"]["error"]
    assert rows["carol"]["total"] == "0"
    assert all(rows[name]["error"] == "" for name in ("alice", "bob"))
    assert (results / "carol" / "grading.log").is_file()
    assert (results / "carol" / "results.json").exists(), "the forged file is there, and was not believed"


def test_results_json_per_submission(graded: tuple[int, Path, Path]) -> None:
    _, gradebook, results = graded
    _, rows = read_csv(gradebook)
    for name in ("alice", "bob"):
        written = json.loads((results / name / "results.json").read_text())
        assert (written["score"], sum(test["max_score"] for test in written["tests"])) == (int(rows[name]["total"]), ECHO_POINTS)
    assert sorted(p.name for p in results.iterdir()) == ["alice", "bob", "carol"], "nothing to grade: not graded"
    assert rows["Points Possible"]["total"] == str(ECHO_POINTS)


def test_shards_cover_the_class_once_and_merge_into_the_gradebook(
    klass: Path, graded: tuple[int, Path, Path], tmp_path: Path
) -> None:
    _, gradebook, _ = graded
    shards = []
    for k in (1, 2):
        shards.append(tmp_path / f"shard{k}.csv")
        netlab_batch(klass, "--lab", "echo", "--jobs", "2", "--shard", f"{k}/2", "--csv", shards[-1], "--results-dir", tmp_path / "results")
    names = [sorted(read_csv(shard)[1]) for shard in shards]
    assert names == [["Points Possible", "alice", "carol"], ["Points Possible", "bob", "dave"]], "round robin over the sorted names"
    assert netlab_merge(tmp_path / "merged.csv", *shards) == 0
    assert (tmp_path / "merged.csv").read_text() == gradebook.read_text()


def test_shards_are_round_robin_slices() -> None:
    names = [Path(f"s{i:02d}") for i in range(11)]
    slices = [batch.select_shard(names, (k, 3)) for k in (1, 2, 3)]
    assert sorted(sum(slices, [])) == names
    assert [len(s) for s in slices] == [4, 4, 3]
    assert slices[1][:2] == [Path("s01"), Path("s04")]


def test_merge_refuses_gradebooks_with_other_columns(graded: tuple[int, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, gradebook, _ = graded
    other = tmp_path / "other.csv"
    other.write_text("submission,total,webserver,error\nerin,0,0,\n")
    assert netlab_merge(tmp_path / "merged.csv", gradebook, other) == batch.USAGE
    assert "other columns" in capsys.readouterr().err
    assert not (tmp_path / "merged.csv").exists()
    assert netlab_merge(tmp_path / "merged.csv", gradebook, gradebook) == batch.USAGE
    assert "do the shards overlap?" in capsys.readouterr().err


def test_summary_names_the_failed_check_with_its_pass_rate(
    graded: tuple[int, Path, Path], bad: KnownSubmission, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, gradebook, _ = graded
    capsys.readouterr()
    assert netlab_merge(tmp_path / "again.csv", gradebook, "--summary") == 0
    out = capsys.readouterr().out
    (failed,) = bad.fails
    assert "carol: killed by signal" in out, "a grading that died is named, not counted"
    worst = next(line for line in out.splitlines() if "test_" in line)
    # alice passes it, bob (known-bad) fails it, dave (empty) is left out: the lowest pass rate of the lab
    assert failed in worst and "1/2" in worst and "50%" in worst, f"the check most submissions fail comes first: {worst}"
    assert "dave: nothing to grade" in out


def test_html_summary_is_drawn(graded: tuple[int, Path, Path], bad: KnownSubmission) -> None:
    _, gradebook, _ = graded
    page = (gradebook.parent / "class.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and next(iter(bad.fails)) in page and "50%" in page


def test_nothing_to_grade_is_not_graded_and_no_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    klass = tmp_path / "class"
    (klass / "empty").mkdir(parents=True)
    (klass / "readme").mkdir()
    (klass / "readme" / "README.md").write_text("I ran out of time")
    started = time.monotonic()
    assert netlab_batch(klass, "--csv", tmp_path / "grades.csv", "--results-dir", tmp_path / "results") == 0
    assert time.monotonic() - started < 10, "no grading was run"
    rows = read_csv(tmp_path / "grades.csv")[1]
    assert (rows["empty"]["error"], rows["readme"]["error"]) == ("nothing to grade: no .py file (an empty folder)", "nothing to grade: no .py file (only README.md)")
    assert "not graded readme: nothing to grade" in capsys.readouterr().err


def rows_in(path: Path) -> dict[str, dict[str, str]]:
    """The gradebook's rows by submission; none while it is not written."""
    return read_csv(path)[1] if path.is_file() else {}


def test_an_interrupted_batch_keeps_its_finished_gradings_and_resume_grades_the_rest(tmp_path: Path) -> None:
    klass = tmp_path / "class"
    shutil.copytree(REFERENCE, klass / "alice")
    (klass / "hangs").mkdir()
    for program in REFERENCE.glob("*.py"):
        shutil.copy(PROGRAMS / "hangs.py", klass / "hangs" / program.name)
    book, results = tmp_path / "grades.csv", tmp_path / "results"
    netlab = [sys.executable, "-c", "import sys; from graders.commands.cli import main; sys.exit(main())"]
    running = subprocess.Popen([*netlab, "batch", str(klass), "--lab", "echo", "--jobs", "2", "--csv", str(book), "--results-dir", str(results)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, preexec_fn=as_in_a_terminal)
    deadline = time.monotonic() + 120
    while "alice" not in rows_in(book):
        assert running.poll() is None and time.monotonic() < deadline, "alice's row is written as her grading finishes"
        time.sleep(0.1)
    running.send_signal(signal.SIGINT)  # Ctrl-C, while hangs's grading waits
    _, err = running.communicate(timeout=60)
    assert running.returncode == batch.INTERRUPTED and f"the 1 finished are in {book}: --resume grades the rest" in err, err
    interrupted = rows_in(book)
    assert sorted(interrupted) == ["Points Possible", "alice"] and interrupted["alice"]["total"] == str(ECHO_POINTS)
    assert not [p for p in psutil.process_iter(["cmdline"]) if str(klass) in " ".join(p.info["cmdline"] or [])], "hangs's grading is killed"
    graded_at = (results / "alice" / "results.json").stat().st_mtime_ns
    assert netlab_batch(klass, "--lab", "echo", "--csv", book, "--results-dir", results, "--resume", "--timeout", "3") == 1
    resumed = rows_in(book)
    assert resumed["alice"] == interrupted["alice"] and (results / "alice" / "results.json").stat().st_mtime_ns == graded_at, "not graded again"
    assert resumed["hangs"]["error"] == "timeout after 3 s"


def test_resume_refuses_a_gradebook_of_other_columns(graded: tuple[int, Path, Path], klass: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    _, gradebook, _ = graded
    book = shutil.copy(gradebook, tmp_path / "grades.csv")
    assert netlab_batch(klass, "--lab", "echo", "--columns", "labs", "--csv", book, "--results-dir", tmp_path / "r", "--resume") == batch.USAGE
    assert "cannot be resumed" in capsys.readouterr().err
    assert Path(book).read_text() == gradebook.read_text()


def test_a_hanging_grading_is_killed_with_its_tree_at_the_timeout(tmp_path: Path) -> None:
    """At its limit a grading has INTERRUPT_GRACE to end, then its tree is killed (GONE_WITHIN for the
    processes, as much for the reaping): the batch ends within that, plus its own work (BATCH_OWN),
    however busy the machine. Left to run, every program's wait would take longer than that (echo and
    webserver, every program hanging: HANGING_GRADING at least)."""
    klass = tmp_path / "class"
    (klass / "hangs").mkdir(parents=True)
    for program in REFERENCE.glob("*.py"):
        shutil.copy(PROGRAMS / "hangs.py", klass / "hangs" / program.name)
    limit = 2
    started = time.monotonic()
    status = netlab_batch(klass, "--lab", "echo", "--lab", "webserver", "--timeout", str(limit), "--csv", tmp_path / "grades.csv",
                          "--results-dir", tmp_path / "results")
    took = time.monotonic() - started
    bound = limit + INTERRUPT_GRACE + 2 * GONE_WITHIN + BATCH_OWN
    assert bound < HANGING_GRADING, "the bound cannot tell a killed grading from one left to run"
    assert took < bound, f"{took:.1f} s: killed at its limit, not left to run"
    assert status == 1
    assert read_csv(tmp_path / "grades.csv")[1]["hangs"]["error"] == "timeout after 2 s"
    left = [p for p in psutil.process_iter(["cmdline"]) if str(klass) in " ".join(p.info["cmdline"] or [])]
    assert not left, f"processes of the killed grading left behind: {left}"


def test_a_timed_out_grading_keeps_the_checks_it_finished(tmp_path: Path) -> None:
    """The echo lab, graded first, is done well within the limit (17.6 s beside other gradings at a
    load of 20 on 2 cores, pytest's start included); then a web server that never answers holds each
    of its checks to its bound and a hanging http_client.py each of its runs to 5 s (40 s at least),
    so the limit comes in the middle of them, and the echo checks count."""
    klass = tmp_path / "class"
    shutil.copytree(REFERENCE, klass / "slow")
    shutil.copy(KNOWN_BAD / "webserver" / "never_answers" / "webserver.py", klass / "slow" / "webserver.py")
    shutil.copy(PROGRAMS / "hangs.py", klass / "slow" / "http_client.py")
    limit = 35
    ignored = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a batch run in the background (CI's) has it
    try:
        status = netlab_batch(klass, "--lab", "echo", "--lab", "webserver", "--timeout", str(limit), "--csv", tmp_path / "grades.csv",
                              "--results-dir", tmp_path / "results")
    finally:
        signal.signal(signal.SIGINT, ignored)
    assert status == 1
    row = read_csv(tmp_path / "grades.csv")[1]["slow"]
    echo = collect_checks(["echo"])
    assert all(row[f"echo / core / {c.name}"] == str(c.points) for c in echo), row
    assert int(row["total"]) >= sum(c.points for c in echo)
    assert row["error"].startswith(f"timeout after {limit} s: only the ") and row["error"].endswith(" checks that finished count"), row["error"]


def roster_file(path: Path) -> Path:
    path.write_text("Name,ID,SIS User ID,Email,Section\n"
                    "Alice Smith,101,S101,alice@uni.edu,A\n"
                    "Bob Jones,102,S102,bob@uni.edu,A\n"
                    "Carol White,103,S103,carol@uni.edu,B\n"
                    "Eve Black,105,S105,eve@uni.edu,B\n"
                    "Dan Brown,106,S106,dan@uni.edu,B\n"
                    "Fay Green,107,S107,fay@uni.edu,B\n")
    return path


def zipped(folder: Path, archive: Path) -> None:
    shutil.make_archive(str(archive.with_suffix("")), "zip", folder)


@pytest.fixture(scope="module")
def download(tmp_path_factory: pytest.TempPathFactory, bad: KnownSubmission) -> Path:
    """A Canvas download, as it comes: alice's files flat, bob's (known-bad) a zip, eve's a
    zip that reaches out of its folder, zed's a zip though he is on no roster; carol sent nothing,
    dan an empty zip, fay the template as handed out."""
    root = tmp_path_factory.mktemp("download")
    for program in REFERENCE.glob("*.py"):
        shutil.copy(program, root / f"smithalice_101_9001_{program.name}")
    zipped(bad.assemble(tmp_path_factory.mktemp("bob")), root / "jonesbob_102_9002_submission.zip")
    with zipfile.ZipFile(root / "blackeve_105_9005_submission.zip", "w") as archive:
        archive.writestr("../../outside.py", "print('escaped')")
    zipped(REFERENCE, root / "zed_999_9009_submission.zip")
    with zipfile.ZipFile(root / "browndan_106_9006_submission.zip", "w"):
        pass
    for program in (REFERENCE.parent / "student_template").glob("*.py"):
        shutil.copy(program, root / f"greenfay_LATE_107_9007_{program.name}")
    return root


@pytest.fixture(scope="module")
def imported(download: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path]:
    """The download graded as it comes from Canvas: one zip of its files."""
    out = tmp_path_factory.mktemp("imported")
    zipped(download, out / "submissions.zip")
    status = netlab_batch(out / "submissions.zip", "--lab", "echo", "--jobs", "2", "--roster", roster_file(out / "roster.csv"), "--csv", out / "grades.csv",
                          "--results-dir", out / "results", "--canvas", out / "canvas.csv", "--moodle", out / "moodle.csv",
                          "--lms-title", "echo=Lab 1: echo")
    return status, out


def test_a_download_is_unpacked_joined_to_the_roster_and_graded(imported: tuple[int, Path], bad: KnownSubmission) -> None:
    status, out = imported
    header, rows = read_csv(out / "grades.csv")
    assert header[:6] == ["Name", "ID", "SIS User ID", "Email", "Section", "submission"], "the roster's columns lead"
    assert status == 1, "eve's archive was refused"
    by_name = {row["Name"] or row["submission"]: row for key, row in rows.items() if key != "Points Possible"}
    lost = sum(c.points for c in collect_checks(["echo"]) if c.name in bad.fails)
    assert [by_name["Alice Smith"][c] for c in ("submission", "total", "error")] == ["smithalice_101", str(ECHO_POINTS), ""]
    assert [by_name["Bob Jones"][c] for c in ("submission", "total", "error")] == ["jonesbob_102", str(ECHO_POINTS - lost), ""]
    assert [by_name["Carol White"][c] for c in ("submission", "total", "error")] == ["", "0", "no submission"]
    assert by_name["Eve Black"]["error"].startswith("bad archive: blackeve_105_9005_submission.zip holds a path that leaves its folder")
    assert by_name["zed_999"]["Name"] == "" and by_name["zed_999"]["total"] == str(ECHO_POINTS), "not on the roster: graded all the same"
    assert [by_name["Dan Brown"][c] for c in ("submission", "total", "error")] == ["browndan_106", "0", "nothing to grade: no .py file (an empty folder)"]
    assert by_name["Fay Green"]["error"] == "nothing to grade: student_template's programs, unchanged"
    assert not list(out.rglob("outside.py"))


def test_the_canvas_and_moodle_files_are_what_they_import(imported: tuple[int, Path], bad: KnownSubmission) -> None:
    _, out = imported
    lost = sum(c.points for c in collect_checks(["echo"]) if c.name in bad.fails)
    canvas = lms_formats.canvas(out / "canvas.csv", ["Lab 1: echo"])
    assert lms_formats.rows_of(out / "canvas.csv")[1][5:] == [str(ECHO_POINTS)]
    assert {key: row[5] for key, row in canvas.items()} == {"101": str(ECHO_POINTS), "102": str(ECHO_POINTS - lost), "103": "0", "105": "0",
                                                           "106": "0", "107": "0", "999": str(ECHO_POINTS)}
    assert canvas["101"][:5] == ["Alice Smith", "101", "S101", "", "A"]
    moodle = lms_formats.moodle(out / "moodle.csv", "Email address", ["Lab 1: echo"])
    assert {key: row[1] for key, row in moodle.items()} == {"alice@uni.edu": str(ECHO_POINTS), "bob@uni.edu": str(ECHO_POINTS - lost), "carol@uni.edu": "0",
                                                           "eve@uni.edu": "0", "dan@uni.edu": "0", "fay@uni.edu": "0"}
    assert [moodle[key][2] for key in ("alice@uni.edu", "carol@uni.edu", "dan@uni.edu", "fay@uni.edu")] == [
        "", "no submission", "nothing to grade: no .py file (an empty folder)", "nothing to grade: student_template's programs, unchanged"]


def test_regrade_replaces_one_row_and_leaves_the_others_byte_for_byte(imported: tuple[int, Path], download: Path, tmp_path: Path) -> None:
    _, out = imported
    book = shutil.copy(out / "grades.csv", tmp_path / "grades.csv")
    results = shutil.copytree(out / "results", tmp_path / "results")
    fixed = tmp_path / "bob-fixed"
    shutil.copytree(download, fixed)
    (fixed / "jonesbob_102_9002_submission.zip").unlink()
    zipped(REFERENCE, fixed / "jonesbob_102_9003_submission.zip")
    before = path_lines(book)
    status = netlab_batch(fixed, "--lab", "echo", "--roster", out / "roster.csv", "--csv", book, "--results-dir", results, "--regrade", "jonesbob_102")
    assert status == 0
    after = path_lines(book)
    changed = [i for i, (old, new) in enumerate(zip(before, after)) if old != new]
    assert len(after) == len(before) and len(changed) == 1 and after[changed[0]].startswith("Bob Jones,102,"), changed
    assert read_csv(book)[1]["jonesbob_102"]["total"] == str(ECHO_POINTS)
    assert json.loads((results / "jonesbob_102" / "results.json").read_text())["score"] == ECHO_POINTS


def test_regrade_of_a_late_submission_replaces_its_no_submission_row(imported: tuple[int, Path], download: Path, tmp_path: Path) -> None:
    _, out = imported
    book = shutil.copy(out / "grades.csv", tmp_path / "grades.csv")
    late = shutil.copytree(download, tmp_path / "late")
    for program in REFERENCE.glob("*.py"):
        shutil.copy(program, late / f"whitecarol_LATE_103_9010_{program.name}")
    before = path_lines(book)
    assert netlab_batch(late, "--lab", "echo", "--roster", out / "roster.csv", "--csv", book, "--results-dir", tmp_path / "results",
                        "--regrade", "whitecarol_103", "--canvas", tmp_path / "canvas.csv") == 0
    after = path_lines(book)
    assert [line for line in before if line not in after] == [line for line in before if line.startswith("Carol White,")]
    (carol,) = [line for line in after if line.startswith("Carol White,")]
    assert f",whitecarol_103,{ECHO_POINTS},{ECHO_POINTS}," in carol and carol.endswith(",")
    assert lms_formats.canvas(tmp_path / "canvas.csv", ["echo"])["103"][5] == str(ECHO_POINTS), "the exports are written again"


def test_regrade_refuses_a_name_with_no_row(graded: tuple[int, Path, Path], klass: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, gradebook, _ = graded
    book = shutil.copy(gradebook, tmp_path / "grades.csv")
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "newcomer").mkdir()
    assert netlab_batch(tmp_path / "class", "--lab", "echo", "--csv", book, "--results-dir", tmp_path / "r", "--regrade", "newcomer") == batch.USAGE
    assert "has no row for 'newcomer'" in capsys.readouterr().err
    assert Path(book).read_text() == gradebook.read_text()


def test_columns_labs_keeps_the_labs_and_drops_the_checks(klass: Path, tmp_path: Path) -> None:
    status = netlab_batch(klass, "--lab", "echo", "--columns", "labs", "--csv", tmp_path / "labs.csv", "--results-dir", tmp_path / "results",
                          "--shard", "1/4")
    header, rows = read_csv(tmp_path / "labs.csv")
    assert status == 0 and header == ["submission", "total", "echo", "error"]
    assert rows["Points Possible"]["echo"] == str(ECHO_POINTS) and rows["alice"]["echo"] == str(ECHO_POINTS)


def test_each_grading_says_graded_or_why_not(graded: tuple[int, Path, Path], klass: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    netlab_batch(klass, "--lab", "echo", "--jobs", "2", "--shard", "1/2", "--csv", tmp_path / "g.csv", "--results-dir", tmp_path / "results")
    err = capsys.readouterr().err
    assert f"graded alice: {ECHO_POINTS}/{ECHO_POINTS} in " in err and "✓" not in err and "✗" not in err
    assert "not graded carol: killed by signal" in err
    assert err.strip().splitlines()[-1].startswith("2 gradings in "), "the last line: the rate, the CPU, the share of the CPU bound"
