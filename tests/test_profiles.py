"""Course profiles on handout-shaped code (fixtures/textbook/profiles/): programs as students fill
in the textbook's skeletons (module-level code, `from socket import *`, prompts, prints, names and
ports in the code), each with the profile an instructor writes for it in minutes.

A fixture's folder holds the profile (`netlab.toml`), the program(s) as the student hands them in
(at the top, or in sub-folders), `expect.toml` (`lab`, `about`, the checks it `fails`; `said` and
`unsaid`: texts a failed check's message has, or must not have; `said_once`: lines the run prints
exactly once; `hold`: ports held on the host while it is graded; `bug`: a grader bug it shows, as
an xfail), and `adapted/`: the same code adapted to LABS.md's command line (with a `netlab.toml` of
its own only for what LABS.md has no words for: a requirement). Graded under its profile it loses
exactly its checks; its adapted copy, graded without the course's profile, gets the same verdict on
every check the profile keeps."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import socket
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from graders.harness import course
from tests.grading import REPO, Grading, grade, overlaid
from tests.test_textbook import TEXTBOOK, expect_messages, needs_namespaces

PROFILES = TEXTBOOK / "profiles"
NOT_SUBMITTED = {"netlab.toml", "expect.toml", "adapted"}  # the instructor's and the test's, not the student's


@dataclass(frozen=True)
class ProfiledSubmission:
    """One fixture: handout-shaped programs, their profile, and what grading them shows."""

    path: Path
    lab: str
    about: str
    fails: frozenset[str]
    said_once: tuple[str, ...] = ()
    hold: tuple[str, ...] = ()  # "udp 12000", "tcp 6789"
    bug: str | None = None

    @classmethod
    def load(cls, path: Path) -> ProfiledSubmission:
        spec = tomllib.loads((path / "expect.toml").read_text())
        return cls(path, spec["lab"], spec["about"], frozenset(spec["fails"]), tuple(spec.get("said_once", ())),
                   tuple(spec.get("hold", ())), spec.get("bug"))

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def profile(self) -> Path:
        return self.path / "netlab.toml"

    def fixes_ports(self) -> bool:
        return bool(course.load(str(self.profile)).fixed_programs())

    def submission(self, into: Path) -> Path:
        """The reference without the programs the profile looks for under other names (so only the
        student's can be graded), with the student's files (and folders) put over it."""
        submission = overlaid(into)
        for filename, names in course.load(str(self.profile)).file_names().items():
            if filename not in names:
                (submission / filename).unlink()
        return laid_over(submission, [item for item in self.path.iterdir() if item.name not in NOT_SUBMITTED])

    def adapted(self, into: Path) -> Path:
        """The reference with the copy adapted to LABS.md put over it."""
        return laid_over(overlaid(into), [item for item in (self.path / "adapted").iterdir() if item.name not in NOT_SUBMITTED])


def laid_over(submission: Path, items: list[Path]) -> Path:
    for item in items:
        if item.is_dir():
            shutil.copytree(item, submission / item.name, dirs_exist_ok=True)
        else:
            shutil.copy(item, submission / item.name)
    return submission


FIXTURES = [ProfiledSubmission.load(path) for path in sorted(PROFILES.iterdir()) if (path / "expect.toml").is_file()]


def case(fixture: ProfiledSubmission) -> object:
    marks = [needs_namespaces] if fixture.fixes_ports() else []
    if fixture.bug:
        marks.append(pytest.mark.xfail(strict=True, reason=fixture.bug))
    return pytest.param(fixture, id=fixture.name, marks=marks)


@contextmanager
def held(ports: tuple[str, ...]) -> Iterator[None]:
    """Each port bound (TCP: listening) on the host's every address while the grading runs: a program
    that hard-codes it can only be graded in a network of its own. A port already taken stays taken."""
    with ExitStack() as stack:
        for spec in ports:
            transport, number = spec.split()
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM))
            try:
                sock.bind(("", int(number)))
            except OSError:
                continue  # someone holds it already: as good
            if transport == "tcp":
                sock.listen()
        yield


def graded_as_written(fixture: ProfiledSubmission, workdir: Path) -> Grading:
    workdir.mkdir()
    with held(fixture.hold):
        return grade(fixture.submission(workdir), [fixture.lab], workdir, "--course", str(fixture.profile))


def score(grading: Grading) -> str:
    return f"{sum(t['score'] for t in grading.tests):g}/{sum(t['max_score'] for t in grading.tests):g}"


@pytest.mark.parametrize("fixture", [case(fixture) for fixture in FIXTURES])
def test_a_handout_shaped_program_is_graded_as_written(fixture: ProfiledSubmission, tmp_path: Path) -> None:
    """Under its profile it loses exactly its checks, each with a message that reads rule /
    expected / got and says what the student must read; its adapted copy, without a profile, gets
    the same verdict on every check the profile keeps."""
    grading = graded_as_written(fixture, tmp_path / "as-written")
    assert grading.tests and grading.failed() == fixture.fails, (
        f"{fixture.name} ({fixture.about}): {score(grading)}\nfailed: {sorted(grading.failed())}\n{grading.output[-4000:]}")
    for check in fixture.fails:
        assert grading.output_of(check).startswith("rule:"), grading.output_of(check)
    expect_messages(grading, fixture.path / "expect.toml")
    for text in fixture.said_once:
        assert sum(text in line for line in grading.output.splitlines()) == 1, grading.output[-4000:]
    workdir = tmp_path / "adapted"
    workdir.mkdir()
    adapted_profile = fixture.path / "adapted" / "netlab.toml"  # only what LABS.md has no words for (a requirement)
    plain = grade(fixture.adapted(workdir), [fixture.lab], workdir, *(["--course", str(adapted_profile)] if adapted_profile.is_file() else []))
    kept = {t["name"].rsplit(" / ", 1)[1] for t in grading.tests}
    graded = {t["name"].rsplit(" / ", 1)[1] for t in plain.tests}
    differ = {check for check in kept if (check in grading.failed()) != (check in plain.failed())}
    assert kept <= graded and not differ, (
        f"{fixture.name}: as written {score(grading)}, adapted {score(plain)}; verdicts differ on {sorted(differ)}\n"
        + "\n".join(f"{check}:\n  as written: {grading.output_of(check)[:600]}\n  adapted: {plain.output_of(check)[:600]}"
                    for check in sorted(differ)))


def test_the_missing_requirement_of_a_fixture_is_missing_here() -> None:
    """requirement_missing means it: termcolor is not installed beside netlab."""
    assert importlib.util.find_spec("termcolor") is None


CLASS = TEXTBOOK / "command_lines"  # one class profile, and its students' submissions, each taking its command line its own way


@dataclass(frozen=True)
class ClassSubmission:
    """A student of that class: their programs, and under which of the profile's command lines each runs."""

    path: Path
    about: str
    fails: frozenset[str]
    run_as: dict[str, int]  # per program, the command line it runs under (from 1)

    @classmethod
    def load(cls, path: Path) -> ClassSubmission:
        spec = tomllib.loads((path / "expect.toml").read_text())
        return cls(path, spec["about"], frozenset(spec["fails"]), spec.get("run_as", {}))

    def submission(self, into: Path) -> Path:
        """The reference without the programs the class profile names otherwise, with the student's over it."""
        submission = overlaid(into)
        for filename, names in course.load(str(CLASS / "netlab.toml")).file_names().items():
            if filename not in names:
                (submission / filename).unlink()
        return laid_over(submission, [item for item in self.path.iterdir() if item.name != "expect.toml"])


STUDENTS = [ClassSubmission.load(path) for path in sorted(CLASS.iterdir()) if (path / "expect.toml").is_file()]


@needs_namespaces
def test_one_class_profile_grades_a_class_whose_programs_take_different_command_lines(tmp_path: Path) -> None:
    """`netlab batch --course` on the class: each program runs under the first of the profile's command
    lines it gets going under, and each of its checks, its grading's summary, its results.json and the
    class page say which; one that gets going under none fails its checks, each saying what every
    command line did, and the class page names it."""
    klass = tmp_path / "class"
    klass.mkdir()
    for student in STUDENTS:
        shutil.move(student.submission(tmp_path / student.path.name), klass / student.path.name)
    results, page = tmp_path / "results", tmp_path / "class.html"
    netlab = [sys.executable, "-c", "import sys; from graders.commands.cli import main; sys.exit(main(sys.argv[1:]))"]
    batch = subprocess.run([*netlab, "batch", str(klass), "--course", str(CLASS / "netlab.toml"), "--lab", "echo", "--csv", str(tmp_path / "g.csv"),
                            "--results-dir", str(results), "--html", str(page)], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert batch.returncode == 0, batch.stdout[-3000:] + batch.stderr[-3000:]
    profile = course.load(str(CLASS / "netlab.toml"))
    shown = page.read_text(encoding="utf-8")
    for student in STUDENTS:
        done = json.loads((results / student.path.name / "results.json").read_text())
        grading = Grading(0, done["tests"], (results / student.path.name / "grading.log").read_text())
        assert grading.tests and grading.failed() == student.fails, (
            f"{student.path.name} ({student.about}): {score(grading)}\nfailed: {sorted(grading.failed())}\n{grading.output[-4000:]}")
        expect_messages(grading, student.path / "expect.toml")
        for filename, line in student.run_as.items():
            total = len(profile.program_for(filename).args or ())
            ran_as = f"({filename}'s command line {line} of {total} in the course profile)"
            checks = [name for name in (t["name"].rsplit(" / ", 1)[1] for t in grading.tests) if name.startswith(f"test_{filename[:-3]}_")]
            assert checks and all(ran_as in grading.output_of(check) for check in checks), {c: grading.output_of(c) for c in checks}
            others = [t["output"] for t in grading.tests if t["name"].rsplit(" / ", 1)[1] not in checks]
            assert not [output for output in others if ran_as in output], f"{ran_as} said of another program's check"
            assert ran_as in done.get("output", "") and ran_as in grading.output, (done.get("output"), grading.output[-3000:])
        for filename in set(profile.file_names()) - set(student.run_as):
            assert f"{filename}: got going under none of the course's" in done.get("output", ""), done.get("output")
    assert 'id="command-lines"' in shown and "UDPClient.py --host localhost --port 12000" in shown, shown
    assert re.search(r"<code>udp_client.py</code></td><td[^>]*></td><td><span[^>]*>none[^<]*</span></td><td[^>]*>1</td>", shown), shown
