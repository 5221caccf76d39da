"""A program that is still the template's stub was not attempted: its checks, core included, read
as one line per lab, never as failures one by one (a copied template graded as 63 failures in 671
lines before)."""

from __future__ import annotations

import shutil
from pathlib import Path

from graders.harness.course import PROGRAMS
from graders.harness.submission import is_stub
from tests.grading import REFERENCE, REPO, grade

TEMPLATE = REPO / "student_template"
DONE = "echo"  # the lab the student did
OUTPUT_LINES = 70  # the whole output of such a grading: the session header, the table, a line a lab


def test_a_template_copy_with_one_lab_done_grades_the_rest_as_not_attempted(tmp_path: Path) -> None:
    submission = shutil.copytree(TEMPLATE, tmp_path / "my_labs")
    for program in PROGRAMS[DONE]:
        shutil.copy(REFERENCE / program, submission / program)
    grading = grade(submission, [], tmp_path)
    done = [test for test in grading.tests if test["tags"][0] == DONE]
    others = [test for test in grading.tests if test["tags"][0] != DONE]
    assert done and all(test["score"] == test["max_score"] for test in done), grading.unexpected(set())
    assert others and all(test["score"] == 0 for test in others)
    for test in others:
        assert "is still the template's stub: not attempted" in test["output"], test["name"] + "\n" + test["output"]
    lines = grading.output.splitlines()
    for lab in {test["tags"][0] for test in others}:
        said = [line for line in lines if line.startswith(f"– {lab} (") and "not attempted" in line]
        assert len(said) == 1 and "core" in said[0] and "still the template's stub" in said[0], said
    assert not [line for line in lines if line.startswith("FAILED")], grading.output
    assert len(lines) <= OUTPUT_LINES, f"{len(lines)} lines:\n{grading.output}"


def test_a_stub_is_its_code_whatever_its_comments_and_line_ends(tmp_path: Path) -> None:
    stub = TEMPLATE / "udp_server.py"
    uncommented = tmp_path / "uncommented.py"
    uncommented.write_text("\n".join(line for line in stub.read_text().splitlines() if "TODO" not in line and "# " not in line))
    crlf = tmp_path / "crlf.py"
    crlf.write_bytes(stub.read_bytes().replace(b"\n", b"\r\n"))
    assert is_stub(uncommented, stub) and is_stub(crlf, stub)


def test_a_stub_with_a_line_of_its_todo_written_or_that_does_not_parse_was_attempted(tmp_path: Path) -> None:
    stub = TEMPLATE / "udp_server.py"
    written = tmp_path / "written.py"
    written.write_text(stub.read_text().replace("        # TODO(student)", "        print(data)\n        # TODO(student)"))
    broken = tmp_path / "broken.py"
    broken.write_text(stub.read_text() + "\nif True\n")
    assert not is_stub(written, stub) and not is_stub(broken, stub)
    assert not is_stub(REFERENCE / "udp_server.py", stub)
