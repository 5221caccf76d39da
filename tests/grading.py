"""Grading a submission from the harness's own tests: pytest on graders/, read back as results.json."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GRADERS = REPO / "graders"
REFERENCE = REPO / "reference"
KNOWN_BAD = REPO / "fixtures" / "bad"
KNOWN_GOOD = REPO / "fixtures" / "good"
GRADING_WITHIN = 300  # seconds for one lab's grading; the graders' own bounds are far shorter


@dataclass(frozen=True)
class Grading:
    """One grading run: the exit status and each check's score."""

    status: int
    tests: list[dict]  # results.json's tests[]
    output: str

    def failed(self) -> set[str]:
        return {t["name"].rsplit(" / ", 1)[1] for t in self.tests if t["score"] < t["max_score"]}

    def passed(self) -> set[str]:
        return {t["name"].rsplit(" / ", 1)[1] for t in self.tests if t["score"] == t["max_score"]}

    def output_of(self, check: str) -> str:
        return next(t["output"] for t in self.tests if t["name"].endswith(f" / {check}"))

    def unexpected(self, expected: frozenset[str] | set[str]) -> str:
        """The whole message of each check that failed against ``expected``, for an assertion's text."""
        return "\n".join(f"--- {check}:\n{self.output_of(check)}" for check in sorted(self.failed() - set(expected)))


def grade(submission: Path, labs: list[str], workdir: Path, *extra: str, env: dict[str, str] | None = None) -> Grading:
    """Run the graders in their own process, as a student or CI would (``env`` added to ours)."""
    results = workdir / "results.json"
    command = [sys.executable, "-m", "pytest", str(GRADERS), "--submission", str(submission),
               "--results-json", str(results), "-q", "-p", "no:cacheprovider", *extra]
    for lab in labs:
        command += ["--lab", lab]
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=GRADING_WITHIN, env={**os.environ, **(env or {})})
    tests = json.loads(results.read_text())["tests"] if results.exists() else []
    return Grading(done.returncode, tests, done.stdout + done.stderr)


@dataclass(frozen=True)
class KnownSubmission:
    """A fixture: the reference with some programs replaced (or removed). A known-bad one
    (``bad.toml``) says the rule it ``breaks`` and the checks it ``fails``, and may say what a
    check's message ``says`` (a table: check, then text in its message); a known-good one
    (``good.toml``) says what LABS.md ``allows`` that it does, and fails nothing."""

    lab: str
    name: str
    path: Path
    rule: str
    fails: frozenset[str]
    remove: tuple[str, ...]
    says: tuple[tuple[str, str], ...] = ()

    @classmethod
    def load(cls, path: Path) -> KnownSubmission:
        if (path / "good.toml").is_file():
            spec = tomllib.loads((path / "good.toml").read_text())
            return cls(path.parent.name, path.name, path, spec["allows"], frozenset(), ())
        spec = tomllib.loads((path / "bad.toml").read_text())
        fails = frozenset(spec["fails"])
        says = tuple(spec.get("says", {}).items())
        return cls(path.parent.name, path.name, path, spec["breaks"], fails, tuple(spec.get("remove", ())), says)

    @property
    def id(self) -> str:
        return f"{self.lab}/{self.name}"

    def assemble(self, into: Path, *under: Path) -> Path:
        """The whole submission: the reference, overlaid with the programs of ``under`` (in order),
        then with this fixture's."""
        submission = overlaid(into, *under, self.path)
        for name in self.remove:
            (submission / name).unlink()
        return submission


def overlaid(into: Path, *layers: Path) -> Path:
    """``into/submission``: a copy of the reference with each layer's programs put over it, in order."""
    submission = into / "submission"
    shutil.copytree(REFERENCE, submission)
    for layer in layers:
        for program in layer.glob("*.py"):
            shutil.copy(program, submission / program.name)
    return submission


def known_bad() -> list[KnownSubmission]:
    return [KnownSubmission.load(path) for path in sorted(KNOWN_BAD.glob("*/*")) if (path / "bad.toml").is_file()]


def known_good() -> list[KnownSubmission]:
    return [KnownSubmission.load(path) for path in sorted(KNOWN_GOOD.glob("*/*")) if (path / "good.toml").is_file()]
