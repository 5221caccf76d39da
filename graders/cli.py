"""The ``netlab`` command: ``rubric`` prints what every check is worth; ``compare`` grades a
submission beside the reference; ``batch`` grades a class; ``merge-csv`` joins gradebooks."""

from __future__ import annotations

import argparse
import csv
import sys

from rich.console import Console
from rich.table import Table

from . import batch, compare
from .rubric import collect_checks


def rubric_table(labs: list[str] | None) -> Table:
    table = Table(title="netlab rubric", title_justify="left")
    table.add_column("lab", no_wrap=True)
    table.add_column("group", no_wrap=True)
    table.add_column("check", overflow="fold", ratio=2)
    table.add_column("points", justify="right", no_wrap=True)
    table.add_column("rule (LABS.md)", ratio=3)
    checks = collect_checks(labs)
    for check in checks:
        table.add_row(check.lab, check.group, check.name, str(check.points), check.rule)
    table.add_section()
    table.add_row("total", "", "", str(sum(c.points for c in checks)), "")
    return table


def write_csv(labs: list[str] | None) -> None:
    writer = csv.writer(sys.stdout)
    writer.writerow(["lab", "group", "check", "points", "rule"])
    for check in collect_checks(labs):
        writer.writerow([check.lab, check.group, check.name, check.points, check.rule])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="netlab", description="Graders for the Kurose & Ross socket labs.")
    commands = parser.add_subparsers(dest="command", required=True)
    rubric = commands.add_parser("rubric", help="print the rubric: lab, group, check, points, rule")
    rubric.add_argument("--lab", action="append", help="only this lab (repeatable)")
    rubric.add_argument("--csv", action="store_true", help="as CSV, for a spreadsheet or a gradebook")
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
    if args.command == "rubric" and args.csv:
        write_csv(args.lab)
    elif args.command == "rubric":
        console = Console()
        console.width = max(console.width, 140)
        console.print(rubric_table(args.lab))
    return 0
