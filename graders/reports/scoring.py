"""What a run earned, and Gradescope's results.json: read from the test reports alone.

The scoreboard is fed every report (the controller's, under pytest-xdist) and reads each
check's lab, group, points and rule back from its ``user_properties``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import astuple, dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from graders.reports.lab_order import check_rank
from graders.reports.machine_paths import MachinePaths
from graders.vocabulary.checks import Check, Points, whole
from graders.vocabulary.failures import as_markdown

MISSING = "missing program"  # a report property: the message of a check whose program is missing
STUB = "template stub"  # a report property: the program, still the template's stub, of a check not attempted
RUN_AS_DATA = "run_as"  # its key in a test's extra_data in results.json: [[filename, command, line, total]]
RUN_AS = "run as"  # a report property: how the check's programs were run, where a course lists several command lines
TEXT, MARKDOWN = "text", "md"  # the output formats of Gradescope's that results.json is written in


@dataclass(frozen=True)
class RanAs:
    """How a program was run, where its course lists several command lines (harness/command_lines.py)."""

    filename: str  # its LABS.md name
    command: str  # as a student pastes it
    line: int  # the course's command line it runs under, from 1; 0: it got going under none
    total: int  # how many the course lists

    def __str__(self) -> str:
        if not self.line:
            return f"{self.filename}: got going under none of the course's {self.total} command lines"
        return f"run as: {self.command} ({self.filename}'s command line {self.line} of {self.total} in the course profile)"


def command_lines(ran: Iterable[RanAs]) -> list[RanAs]:
    """Per program, each command line it ran under (or none), once, as first seen: a grading's, a class's."""
    first: dict[tuple[str, int], RanAs] = {}
    for one in ran:
        first.setdefault((one.filename, one.line), one)
    return list(first.values())


def ran_as_in(results: dict[str, Any]) -> list[RanAs]:
    """How a grading's programs were run, from its results.json (its tests' ``extra_data``)."""
    return command_lines(RanAs(*ran) for test in results.get("tests", []) for ran in test.get("extra_data", {}).get(RUN_AS_DATA, []))


@dataclass
class Result:
    check: Check
    passed: bool = True
    output: str = ""
    judged: list[tuple[str, str]] = field(default_factory=list)  # with --record-judged: (expected, wire)
    seconds: float = 0.0  # setup, call and teardown
    missing: bool = False  # its program is not in the submission (an optional one: not attempted)
    stub: str | None = None  # its program, still the template's stub (not attempted, core included)
    ran_as: list[RanAs] = field(default_factory=list)  # how its programs were run, where a course lists several command lines

    @property
    def earned(self) -> Points:
        return self.check.points if self.passed else 0


@dataclass(frozen=True)
class GroupScore:
    """A lab's group of checks and what they earned: the one figure the score table and the
    summary's line for a missing program both print."""

    results: list[Result]

    @property
    def earned(self) -> Points:
        return whole(sum(result.earned for result in self.results))

    @property
    def possible(self) -> Points:
        return whole(sum(result.check.points for result in self.results))


@dataclass
class Scoreboard:
    """The results of one grading run, keyed by test id, in the order they ran; reported in lab order."""

    results: dict[str, Result] = field(default_factory=dict)
    _set_up: dict[str, float] = field(default_factory=dict)  # seconds of a setup that passed, until its call reports

    def record(self, report: pytest.TestReport) -> None:
        check = Check.from_properties(report.head_line or report.nodeid, report.user_properties)
        if check is None:
            return
        if report.passed and report.when != "call" and report.nodeid not in self.results:
            self._set_up[report.nodeid] = report.duration  # no verdict yet: an interrupted call never gives one
            return
        result = self.results.setdefault(report.nodeid, Result(check, seconds=self._set_up.pop(report.nodeid, 0.0)))
        result.seconds += report.duration
        ran_as = next((value for key, value in report.user_properties if key == RUN_AS), None)
        result.ran_as = [RanAs(*ran) for ran in ran_as] if isinstance(ran_as, list) else result.ran_as
        result.judged = next((list(map(tuple, value)) for key, value in report.user_properties if key == "judged"), result.judged)  # type: ignore[arg-type]
        if report.failed or report.skipped:
            result.passed = False
            missing = next((str(value) for key, value in report.user_properties if key == MISSING), None)
            result.missing = missing is not None
            result.stub = next((str(value) for key, value in report.user_properties if key == STUB), None)
            text = missing or (report.longreprtext if report.failed else f"skipped: {_skip_reason(report)}")
            result.output = "\n".join(filter(None, [result.output, text]))

    def command_lines(self) -> list[str]:
        """Per program, the command line chosen among its course's (by each process that chose), and how
        it was first run, or that it got going under none: for the summary and results.json."""
        return [str(ran) for ran in command_lines(ran for result in self.ordered() for ran in result.ran_as)]

    def __bool__(self) -> bool:
        return bool(self.results)

    def ordered(self) -> list[Result]:
        return sorted(self.results.values(), key=lambda r: check_rank(r.check))

    def groups(self) -> dict[tuple[str, str], GroupScore]:
        """(lab, group) -> its checks and score, core first within each lab."""
        grouped: dict[tuple[str, str], list[Result]] = {}
        for result in self.ordered():
            grouped.setdefault((result.check.lab, result.check.group), []).append(result)
        return {key: GroupScore(results) for key, results in grouped.items()}

    def totals(self) -> dict[tuple[str, str], tuple[Points, Points]]:
        """(lab, group) -> (earned, possible), core first within each lab."""
        return {key: (score.earned, score.possible) for key, score in self.groups().items()}

    @property
    def score(self) -> Points:
        return whole(sum(r.earned for r in self.results.values()))

    @property
    def max_score(self) -> Points:
        return whole(sum(r.check.points for r in self.results.values()))

    def failed(self) -> list[Result]:
        return [r for r in self.ordered() if not r.passed]

    def gradescope(self, output: str = "", output_format: str = TEXT, seconds: float | None = None,
                   private: MachinePaths | None = None) -> dict[str, object]:
        """Gradescope's ``results.json``, with only the keys its specification documents:
        https://gradescope-autograders.readthedocs.io/en/latest/specs/ . ``output`` is what the
        whole run has to say (a part it could not grade here); ``output_format`` is the tests'
        (``text``, in a <pre>; ``md``, the wire in a code block). It goes to the student: the
        grading machine's ``private`` paths are left out of every output."""
        scrub = private.scrub if private else str
        labs = list(dict.fromkeys(r.check.lab for r in self.ordered()))
        numbers: dict[str, int] = {}
        tests = []
        for r in self.ordered():
            numbers[r.check.lab] = numbers.get(r.check.lab, 0) + 1
            ran_as = [replace(ran, command=scrub(ran.command)) for ran in r.ran_as]
            shown = [str(ran) for ran in ran_as if ran.line]  # under none: its message says what each did
            text = "\n".join([scrub(r.output) if not r.passed else f"rule: {r.check.cited_rule}", *shown])
            extra = {**({"judged": r.judged} if r.judged else {}), **({RUN_AS_DATA: [astuple(ran) for ran in ran_as]} if ran_as else {})}
            tests.append({
                "name": f"{r.check.lab} / {r.check.group} / {r.check.name}",
                "number": f"{labs.index(r.check.lab) + 1}.{numbers[r.check.lab]}",
                "score": r.earned,
                "max_score": r.check.points,
                "status": "passed" if r.passed else "failed",
                "output": as_markdown(text) if output_format == MARKDOWN else text,
                "output_format": output_format,
                "tags": [r.check.lab, r.check.group],
                "visibility": r.check.visibility,
                **({"extra_data": extra} if extra else {}),
            })
        return {
            "score": self.score,
            **({"execution_time": round(seconds)} if seconds is not None else {}),
            **({"output": scrub(output), "output_format": TEXT} if output else {}),
            "test_output_format": output_format,
            "tests": tests,
        }

    def write_gradescope(self, path: Path, output: str = "", output_format: str = TEXT, seconds: float | None = None,
                         private: MachinePaths | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        results = self.gradescope(output, output_format, seconds, private)
        path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    reason = str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return reason.removeprefix("Skipped: ")
