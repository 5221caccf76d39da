"""The ``netlab`` command: ``rubric`` prints what every check is worth; ``compare`` grades a
submission beside the reference; ``batch`` grades a class; ``merge-csv`` joins gradebooks;
``classroom`` turns a grading's results.json into GitHub Classroom's points."""

from __future__ import annotations

import argparse
import csv
import errno
import os
import sys

from rich.console import Console
from rich.table import Table

from graders.commands import batch, classroom, compare, rubric_handout
from graders.harness import course
from graders.reports.rubric import collect_checks
from graders.vocabulary.checks import RULES, Check, whole

USAGE = 4  # as pytest's exit status for a usage error
RULE_WIDTH = 80  # columns of the rule, at least, terminal or pipe: beside the longest check id, lab and group
FORMATS = ("table", "csv", "md", "html")


def rubric_table(checks: list[Check], course: str | None) -> Table:
    """Every check with its points and rule, a subtotal under each group and lab, the total."""
    table = Table(title=rubric_handout.title(course), title_justify="left",
                  caption=f"Each rule is quoted from {RULES}, where each lab's whole contract is.", caption_justify="left")
    table.add_column("lab", no_wrap=True)
    table.add_column("group", no_wrap=True)
    table.add_column("check", no_wrap=True)  # an id to copy into a profile: whole, on one line
    table.add_column("points", justify="right", no_wrap=True)
    table.add_column("rule (LABS.md)", min_width=RULE_WIDTH)
    for lab, lab_groups in rubric_handout.groups(checks).items():
        for group in lab_groups:
            for check in group.checks:
                table.add_row(check.lab, check.group, check.name, str(check.points), check.rule)
            table.add_row("", "", f"{group.name} subtotal", str(group.points), "", style="bold")
        table.add_row("", "", f"{lab} subtotal", str(rubric_handout.lab_points(lab_groups)), "", style="bold", end_section=True)
    table.add_row("total", "", "", str(whole(sum(c.points for c in checks))), "", style="bold")
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
    except OSError as error:
        if not reader_gone(error, os.name):
            raise
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's last flush of stdout must not fail again
        return 0


def reader_gone(error: OSError, system: str) -> bool:
    """Whether a write failed because the pipe's reader left: EPIPE, and on Windows (``nt``) EINVAL,
    what a write to a pipe closed at its far end raises there."""
    return isinstance(error, BrokenPipeError) or error.errno == errno.EPIPE or (system == "nt" and error.errno == errno.EINVAL)


def _main(argv: list[str] | None) -> int:
    args = command_line().parse_args(argv)
    if args.command == "compare":
        return compare.run(args)
    if args.command == "batch":
        return batch.run(args)
    if args.command == "merge-csv":
        return batch.run_merge(args)
    if args.command == "classroom":
        return classroom.run(args)
    return print_rubric(args)


def command_line() -> argparse.ArgumentParser:
    """The ``netlab`` command's parser: every sub-command and its options."""
    parser = argparse.ArgumentParser(prog="netlab", description="Graders for the Kurose & Ross socket labs.")
    commands = parser.add_subparsers(dest="command", required=True)
    rubric = commands.add_parser("rubric", help="print the rubric: lab, group, check, points, rule")
    rubric.add_argument("--lab", action="append", help="only this lab (repeatable)")
    rubric.add_argument("--format", choices=FORMATS, default="table",
                        help="table (a terminal's), csv (a spreadsheet's), md or html (a handout, with each lab's and group's points)")
    rubric.add_argument("--csv", action="store_const", const="csv", dest="format", help="as CSV: the same as --format csv")
    rubric.add_argument("--course", metavar="PROFILE", help="the rubric as this course profile grades it")
    compare.add_arguments(commands.add_parser("compare", help="grade a submission and the reference side by side"))
    batch.add_arguments(commands.add_parser("batch", help="grade every submission of a class, N at a time"))
    batch.add_merge_arguments(commands.add_parser("merge-csv", help="join the gradebooks of batch shards into one"))
    classroom.add_arguments(commands.add_parser("classroom", help="a grading's points as GitHub Classroom's reporter reads them"))
    return parser


def print_rubric(args: argparse.Namespace) -> int:
    try:
        checks = collect_checks(args.lab, course.load(args.course))
    except course.ProfileError as error:
        print(f"netlab rubric: {error}", file=sys.stderr)
        return USAGE
    if args.format == "csv":
        write_csv(checks)
    elif args.format == "md":
        sys.stdout.write(rubric_handout.markdown(checks, args.course))
    elif args.format == "html":
        sys.stdout.write(rubric_handout.html(checks, args.course))
    else:
        console = Console()
        console.width = max(console.width, table_width(checks))
        console.print(rubric_table(checks, args.course))
    return 0


def table_width(checks: list[Check]) -> int:
    """Columns for the lab, group, check and points, whole, and the rule beside them at ``RULE_WIDTH``."""
    widest = [max((len(value) for value in values), default=0) for values in
              ([c.lab for c in checks], [c.group for c in checks], [f"{c.group} subtotal" for c in checks] + [c.name for c in checks])]
    borders = 5 * 3 + 1  # a column's padding and rule, and the last edge
    return sum(widest) + len("points") + RULE_WIDTH + borders
