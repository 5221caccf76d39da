"""``netlab classroom``: the JSON it builds, read as GitHub Classroom's reporter reads it.

``reported`` is classroom-resources/autograding-grading-reporter's reading, re-implemented
from its source (src/main.js, src/notify-classroom.js, src/helpers/test-helpers.js at
43c2d9f): the runners input, each ``<RUNNER>_RESULTS`` decoded, the points of the notice
Classroom takes (every test's ``score``, every runner's ``max_score``), each runner's score in
the log's table (``max_score`` times the share of tests with status ``pass``), and whether the
step fails.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from graders.commands.cli import main as netlab
from graders.commands.gradebook import check_column
from graders.reports.rubric import collect_checks
from tests.grading import REFERENCE

REPO = Path(__file__).resolve().parent.parent
RUNNERS_INPUT = re.compile(r"^([a-zA-Z0-9]+,)*[a-zA-Z0-9]+$")  # main.js: what the runners input must be
GRADING_WITHIN = 120.0  # seconds to grade the reference's echo lab


@dataclass(frozen=True)
class Reported:
    total_points: float  # notify-classroom.js: the "Points X/Y" notice Classroom reads
    max_points: float
    table: dict[str, tuple[float, float]]  # aggregate-results.js: runner -> (score, max score) in the log
    tests: dict[str, str]  # console-results.js: each test's name -> its status
    step_fails: bool  # main.js: core.setFailed on a "fail" or "error" runner


def reported(runners_input: str, env: dict[str, str]) -> Reported:
    assert RUNNERS_INPUT.match(runners_input), runners_input
    runner_results = []
    for runner in runners_input.split(","):
        encoded = env[f"{runner.strip().upper()}_RESULTS"]
        runner_results.append((runner, json.loads(base64.b64decode(encoded).decode("utf-8"))))
    total = maximum = 0.0
    for _, results in runner_results:
        if not results.get("max_score"):
            continue
        maximum += results["max_score"]
        total += sum(test["score"] for test in results["tests"])
    table = {}
    for runner, results in runner_results:
        passed = sum(test["status"] == "pass" for test in results["tests"])
        max_score = results.get("max_score") or 0
        table[runner.strip()] = (passed / len(results["tests"]) * max_score, max_score)
    tests = {test["name"]: test["status"] for _, results in runner_results for test in results["tests"]}
    fails = any(results["status"] in ("fail", "error") for _, results in runner_results)
    return Reported(total, maximum, table, tests, fails)


def classroom(results: Path, tmp_path: Path, *options: str) -> tuple[str, dict[str, str]]:
    """Run ``netlab classroom`` as the workflow does; the runners output and the variables set."""
    env_file, output_file = tmp_path / "github_env", tmp_path / "github_output"
    env_file.write_text("EARLIER=kept\n")
    assert netlab(["classroom", str(results), "--env-file", str(env_file), "--output-file", str(output_file), *options]) == 0
    variables = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
    assert variables.pop("EARLIER") == "kept", "GITHUB_ENV is appended to"
    (output,) = output_file.read_text().splitlines()
    name, _, runners = output.partition("=")
    assert name == "runners"
    return runners, variables


def test_each_check_s_points_reach_classroom_and_the_log_s_table(tmp_path: Path) -> None:
    checks = collect_checks(["echo"])
    failed = checks[0]
    tests = [{"name": check_column(c), "score": 0 if c is failed else c.points, "max_score": c.points, "status": "failed" if c is failed else "passed",
              "output": "rule: r\nexpected: e\ngot:      the reply 'hello'\nwire:     C: hello" if c is failed else "rule: r"} for c in checks]
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"score": sum(t["score"] for t in tests), "tests": tests}))
    runners, env = classroom(results, tmp_path, "--lab", "echo")
    seen = reported(runners, env)
    possible = sum(c.points for c in checks)
    assert (seen.total_points, seen.max_points) == (possible - failed.points, possible)
    assert [score for score, _ in seen.table.values()] == [t["score"] for t in tests], "the log's table agrees, check by check"
    assert seen.tests[check_column(failed)] == "fail" and seen.step_fails
    first = json.loads(base64.b64decode(env[runners.split(",")[0].upper() + "_RESULTS"]))
    assert first["tests"][0]["message"] == "the reply 'hello'"


def test_without_results_every_check_counts_zero_of_its_points(tmp_path: Path) -> None:
    """A grading that crashed before writing results.json: Classroom's maximum stays the rubric's."""
    checks = collect_checks(["echo", "webserver"])
    runners, env = classroom(tmp_path / "no-results.json", tmp_path, "--lab", "echo", "--lab", "webserver")
    seen = reported(runners, env)
    assert (seen.total_points, seen.max_points) == (0, sum(c.points for c in checks))
    assert set(seen.tests.values()) == {"error"} and len(seen.tests) == len(checks)


def test_the_reference_graded_reaches_classroom_with_full_marks(tmp_path: Path) -> None:
    submission = shutil.copytree(REFERENCE, tmp_path / "submission")
    results = tmp_path / "results.json"
    subprocess.run([sys.executable, "-m", "pytest", "graders/", "--submission", str(submission), "--lab", "echo",
                    "--results-json", str(results), "-q", "-p", "no:cacheprovider"], cwd=REPO, check=True,
                   capture_output=True, timeout=GRADING_WITHIN)
    seen = reported(*classroom(results, tmp_path, "--lab", "echo"))
    full = sum(c.points for c in collect_checks(["echo"]))
    assert (seen.total_points, seen.max_points, seen.step_fails) == (full, full, False)


def test_every_check_of_every_lab_is_a_runner_the_reporter_takes(tmp_path: Path) -> None:
    runners, env = classroom(tmp_path / "none.json", tmp_path)
    assert RUNNERS_INPUT.match(runners) and len(set(runners.split(","))) == len(env) == len(collect_checks())
