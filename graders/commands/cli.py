"""The ``netlab`` command: ``rubric`` prints what every check is worth; ``compare`` grades a
submission beside the reference; ``batch`` grades a class; ``merge-csv`` joins gradebooks."""

from __future__ import annotations

import argparse
import csv
import os
import sys

from rich.console import Console
from rich.table import Table

from graders import REPO
from graders.commands import batch, compare
from graders.harness import course
from graders.reports.rubric import collect_checks
from graders.vocabulary.checks import RULES, Check

USAGE = 4  # as pytest's exit status for a usage error
RULES_PATH = REPO / RULES
WIDE = 160  # columns at least, terminal or pipe: the longest check id and its points fit beside a rule


def rubric_table(checks: list[Check], course: str | None) -> Table:
    table = Table(title="netlab rubric" + (f" (course: {course})" if course else ""), title_justify="left",
                  caption=f"Each rule is quoted from {RULES_PATH}, where each lab's whole contract is.", caption_justify="left")
    table.add_column("lab", no_wrap=True)
    table.add_column("group", no_wrap=True)
    table.add_column("check", no_wrap=True)  # an id to copy into a profile: whole, on one line
    table.add_column("points", justify="right", no_wrap=True)
    table.add_column("rule (LABS.md)", ratio=3)
    for check in checks:
        table.add_row(check.lab, check.group, check.name, str(check.points), check.rule)
    table.add_section()
    table.add_row("total", "", "", str(sum(c.points for c in checks)), "")
    return table


def write_csv(checks: list[Check]) -> None:
    writer = csv.writer(sys.stdout)
    writer.writerow(["lab", "group", "check", "points", "rule"])
    for check in checks:
        writer.writerow([check.lab, check.group, check.name, check.points, check.rule])


def main(argv: list[str] | None = None) -> int:
    """The command's exit status; a reader that stops reading early (``| head``) is no error."""
    try:
        return _main(argv)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's last flush of stdout must not fail again
        return 0


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(prog="netlab", description="Graders for the Kurose & Ross socket labs.")
    commands = parser.add_subparsers(dest="command", required=True)
    rubric = commands.add_parser("rubric", help="print the rubric: lab, group, check, points, rule")
    rubric.add_argument("--lab", action="append", help="only this lab (repeatable)")
    rubric.add_argument("--csv", action="store_true", help="as CSV, for a spreadsheet or a gradebook")
    rubric.add_argument("--course", metavar="PROFILE", help="the rubric as this course profile grades it")
    compare.add_arguments(commands.add_parser("compare", help="grade a submission and the reference side by side"))
    batch.add_arguments(commands.add_parser("batch", help="grade every submission of a class, N at a time"))
    batch.add_merge_arguments(commands.add_parser("merge-csv", help="join the gradebooks of batch shards into one"))
    args = parser.parse_args(argv)
    if args.command == "compare":
        return compare.run(args)
    if args.command == "batch":
        return batch.run(args)
    if args.command == "merge-csv":
        return batch.run_merge(args)
    return print_rubric(args)


def print_rubric(args: argparse.Namespace) -> int:
    try:
        checks = collect_checks(args.lab, course.load(args.course))
    except course.ProfileError as error:
        print(f"netlab rubric: {error}", file=sys.stderr)
        return USAGE
    if args.csv:
        write_csv(checks)
    else:
        console = Console()
        console.width = max(console.width, WIDE)
        console.print(rubric_table(checks, args.course))
    return 0
