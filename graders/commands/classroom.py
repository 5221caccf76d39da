"""``netlab classroom RESULTS_JSON``: a grading's points as GitHub Classroom reads them.

Classroom takes a repository's points from ``classroom-resources/autograding-grading-reporter``,
which reads each runner it is given (``runners: a,b,c``) from the environment variable
``<RUNNER>_RESULTS`` (the id upper-cased): base64 of the JSON an autograding runner writes,
``{"version": 1, "status", "max_score", "tests": [{"name", "status", "score", "message",
"test_code", "filename", "line_no", "duration"}]}`` (``autograding-command-grader``'s shape).
The reporter's notice to Classroom sums every test's ``score`` and every runner's
``max_score``; its table in the log gives a runner ``max_score`` times the share of its tests
whose ``status`` is ``pass``. So each check is a runner of its own, its one test worth the
check's points: both figures are then netlab's, check by check.

The checks are the rubric's (``--lab``, ``--course`` as the grading had them): a check the
results do not hold (a grading that died, no results.json at all) is a runner with status
``error`` and 0 points, so Classroom's maximum never shrinks with a crash.

In a workflow it appends ``<RUNNER>_RESULTS=...`` lines to ``$GITHUB_ENV`` (for the reporter's
step) and ``runners=...`` to ``$GITHUB_OUTPUT`` (its ``runners`` input); ``ci/github/classroom.yml``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from graders.commands.gradebook import check_column
from graders.harness import course
from graders.reports.rubric import collect_checks
from graders.vocabulary.checks import Check
from graders.vocabulary.failures import fields

USAGE = 4  # as pytest's exit status for a usage error
PASS, FAIL, ERROR = "pass", "fail", "error"  # the runners' statuses
NOT_GRADED = "not graded: the grading ended before this check"
MESSAGE_CHARACTERS = 300  # of a failure's message: the reporter prints names, the grading's log has the rest


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", type=Path, metavar="RESULTS_JSON", help="the grading's results.json (missing: every check 0)")
    parser.add_argument("--lab", action="append", help="the labs the grading graded (repeatable; default: every lab)")
    parser.add_argument("--course", metavar="PROFILE", help="the course profile the grading used")
    parser.add_argument("--env-file", type=Path, default=_from_environment("GITHUB_ENV"),
                        help="where the <RUNNER>_RESULTS lines go (default: $GITHUB_ENV; none: standard output)")
    parser.add_argument("--output-file", type=Path, default=_from_environment("GITHUB_OUTPUT"),
                        help="where the runners=... line goes (default: $GITHUB_OUTPUT; none: standard output)")


def _from_environment(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None


def runner_id(check: Check, number: int) -> str:
    """A runner's id: letters and digits only (the reporter's ``runners`` input), the lab's name
    and the check's place in it."""
    return re.sub(r"[^A-Za-z0-9]", "", check.lab) + f"{number:02d}"


def runners(checks: list[Check], results: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Each check's runner result, by runner id, in rubric order."""
    graded = {str(test["name"]): test for test in (results or {}).get("tests", [])}
    numbers: dict[str, int] = {}
    made = {}
    for check in checks:
        numbers[check.lab] = numbers.get(check.lab, 0) + 1
        made[runner_id(check, numbers[check.lab])] = runner_result(check, graded.get(check_column(check)))
    return made


def runner_result(check: Check, test: dict[str, Any] | None) -> dict[str, Any]:
    """One check as a runner with one test, in ``autograding-command-grader``'s shape."""
    if test is None:
        status, score, message = ERROR, 0, NOT_GRADED
    else:
        passed = test["score"] == test["max_score"]
        status, score, message = (PASS, test["score"], "") if passed else (FAIL, test["score"], short(str(test.get("output", ""))))
    entry = {"name": check_column(check), "status": status, "score": score, "message": message,
             "test_code": "", "filename": "", "line_no": 0, "duration": 0}
    return {"version": 1, "status": status, "max_score": check.points, "tests": [entry]}


def short(output: str) -> str:
    """What a failure got, in a line: its ``got`` part, else its first line."""
    got = fields(output).get("got") or next(iter(output.strip().splitlines()), "")
    line = " ".join(got.split())
    return line if len(line) <= MESSAGE_CHARACTERS else line[: MESSAGE_CHARACTERS - 3] + "..."


def encoded(result: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(result).encode()).decode()


def run(args: argparse.Namespace) -> int:
    try:
        checks = collect_checks(args.lab, course.load(args.course))
    except (course.ProfileError, RuntimeError) as error:
        print(f"netlab classroom: {error}", file=sys.stderr)
        return USAGE
    results = json.loads(args.results.read_text(encoding="utf-8")) if args.results.is_file() else None
    made = runners(checks, results)
    _append(args.env_file, "".join(f"{runner.upper()}_RESULTS={encoded(result)}\n" for runner, result in made.items()))
    _append(args.output_file, f"runners={','.join(made)}\n")
    earned = sum(test["score"] for result in made.values() for test in result["tests"])
    possible = sum(result["max_score"] for result in made.values())
    print(f"netlab classroom: {len(made)} runners, points {earned:g}/{possible:g}", file=sys.stderr)
    return 0


def _append(path: Path | None, text: str) -> None:
    if path is None:
        sys.stdout.write(text)
        return
    with path.open("a", encoding="utf-8") as file:
        file.write(text)
