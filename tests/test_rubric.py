"""The rubric comes from the graders, and every check in it can fail (DESIGN.md principle 8)."""

from __future__ import annotations

import csv
import errno
import html
import io
import os
import re
import subprocess
import sys

from graders import REPO
from graders.commands.cli import RULE_WIDTH, reader_gone
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


def netlab(*args: str, encoding: str = "utf-8") -> subprocess.CompletedProcess[str]:
    """The command's output on a pipe in ``encoding``: UTF-8 as on Linux and macOS (Windows' pipes
    are cp1252, which has a test of its own)."""
    command = [sys.executable, "-c", "from graders.commands.cli import main; raise SystemExit(main())", *args]
    env = os.environ | {"PYTHONIOENCODING": encoding}
    return subprocess.run(command, capture_output=True, text=True, encoding=encoding, timeout=60, env=env)


def test_on_a_windows_pipe_the_rubric_is_drawn_in_what_cp1252_encodes() -> None:
    """Windows' pipes are cp1252: the table's lines are ASCII, every check id whole on its line."""
    done = netlab("rubric", "--lab", "proxy", encoding="cp1252")
    assert done.returncode == 0, done.stderr
    assert done.stdout.isascii()
    for check in collect_checks(["proxy"]):
        assert re.search(rf"\| {check.name}\s+\|", done.stdout), check.name


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


def test_a_reader_gone_is_told_by_each_systems_own_error() -> None:
    """Windows raises OSError(EINVAL), not BrokenPipeError, for a write to a pipe whose reader left
    (simulated: the error as Windows raises it, judged as on Windows and as on POSIX)."""
    windows = OSError(errno.EINVAL, "Invalid argument")
    assert reader_gone(windows, "nt") and not reader_gone(windows, "posix")
    assert reader_gone(BrokenPipeError(errno.EPIPE, "Broken pipe"), "posix") and reader_gone(BrokenPipeError(), "nt")
    assert not reader_gone(OSError(errno.ENOSPC, "No space left on device"), "nt")


def test_check_ids_are_whole_on_one_line_when_piped() -> None:
    """Ids are copied into course profiles: the table never folds one, whatever the width."""
    done = netlab("rubric", "--lab", "proxy")
    for check in collect_checks(["proxy"]):
        assert re.search(rf"│ {check.name}\s+│", done.stdout), check.name


def test_the_piped_table_gives_the_rule_its_width_and_names_no_path() -> None:
    """On a pipe the rule column had 35 characters beside the longest group and check; and the
    caption named LABS.md by the grading machine's path."""
    done = netlab("rubric")
    assert done.returncode == 0, done.stderr
    rule_cells = [line.split("│")[5] for line in done.stdout.splitlines() if line.startswith("│") and line.count("│") == 6]
    assert max(len(cell.strip()) for cell in rule_cells) >= RULE_WIDTH - 2
    assert str(REPO) not in done.stdout


def test_the_table_has_a_subtotal_per_group_and_lab() -> None:
    done = netlab("rubric", "--lab", "pinger")
    checks = collect_checks(["pinger"])
    for group in dict.fromkeys(c.group for c in checks):
        points = sum(c.points for c in checks if c.group == group)
        assert re.search(rf"│ {re.escape(group)} subtotal\s+│\s+{points} │", done.stdout), group
    assert re.search(rf"│ pinger subtotal\s+│\s+{sum(c.points for c in checks)} │", done.stdout)


def test_the_markdown_handout_has_each_lab_and_group_with_its_points_and_every_rule_whole() -> None:
    done = netlab("rubric", "--format", "md")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    checks = collect_checks()
    assert text.startswith(f"# netlab rubric\n\n{sum(c.points for c in checks)} points.")
    for lab in dict.fromkeys(c.lab for c in checks):
        assert f"\n## {lab}: {sum(c.points for c in checks if c.lab == lab)} points\n" in text, lab
        for group in dict.fromkeys(c.group for c in checks if c.lab == lab):
            assert f"\n### {group}: {sum(c.points for c in checks if (c.lab, c.group) == (lab, group))} points\n" in text
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert rows == [f"| `{c.name}` | {c.points} | {c.rule.replace('|', chr(92) + '|')} |" for c in checks]
    assert str(REPO) not in text and str(REPO.parent) not in text


def test_the_html_handout_holds_the_same_sections_and_needs_nothing_from_outside() -> None:
    done = netlab("rubric", "--format", "html", "--lab", "smtp")
    assert done.returncode == 0, done.stderr
    page = done.stdout
    checks = collect_checks(["smtp"])
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page and str(REPO) not in page
    assert f"<h2>smtp: {sum(c.points for c in checks)} points</h2>" in page
    for group in dict.fromkeys(c.group for c in checks):
        assert f"<caption>{html.escape(group)}: {sum(c.points for c in checks if c.group == group)} points</caption>" in page
    for check in checks:
        assert f"<code>{check.name}</code>" in page
    assert page.count("<tr>") == len(checks) + len({c.group for c in checks}), "a row per check, a header per group"
