"""The rubric comes from the graders, and every check in it can fail (DESIGN.md principle 8)."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys

from graders.reports.rubric import collect_checks
from tests.grading import known_bad


def test_every_check_is_failed_by_a_known_bad_submission() -> None:
    checks = {(check.lab, check.name) for check in collect_checks()}
    failed = {(bad.lab, name) for bad in known_bad() for name in bad.fails}
    never_failed = sorted(checks - failed)
    assert not never_failed, f"checks no known-bad submission fails: {never_failed}"
    unknown = sorted(failed - checks)
    assert not unknown, f"known-bad submissions name checks that do not exist: {unknown}"


def test_every_check_has_a_rule_and_points() -> None:
    for check in collect_checks():
        assert check.rule, f"{check.name} has no docstring to quote as its rule"
        assert check.points > 0


def netlab(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from graders.commands.cli import main; raise SystemExit(main())", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_rubric_csv_lists_every_check_of_the_lab() -> None:
    done = netlab("rubric", "--lab", "echo", "--csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    wanted = [(c.lab, c.group, c.name, str(c.points), c.rule) for c in collect_checks(["echo"])]
    assert [(r["lab"], r["group"], r["check"], r["points"], r["rule"]) for r in rows] == wanted


def test_rubric_table_has_a_total() -> None:
    done = netlab("rubric")
    assert done.returncode == 0, done.stderr
    total = sum(check.points for check in collect_checks())
    assert re.search(rf"total\b.*\b{total}\b", done.stdout)


def test_a_reader_that_stops_early_ends_no_rubric_in_a_traceback() -> None:
    """`netlab rubric --csv | head -1`: the pipe closes under it; no BrokenPipeError."""
    command = [sys.executable, "-c", "from graders.commands.cli import main; raise SystemExit(main())", "rubric", "--csv"]
    reader = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.close()  # a reader gone before the first line
    stderr = reader.stderr.read().decode()
    assert reader.wait(timeout=60) == 0 and "Traceback" not in stderr, stderr


def test_check_ids_are_whole_on_one_line_when_piped() -> None:
    """Ids are copied into course profiles: the table never folds one, whatever the width."""
    done = netlab("rubric", "--lab", "proxy")
    for check in collect_checks(["proxy"]):
        assert re.search(rf"│ {check.name}\s+│", done.stdout), check.name
