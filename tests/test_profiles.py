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
import shutil
import socket
import tomllib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from graders.harness import course
from tests.grading import Grading, grade, overlaid
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
