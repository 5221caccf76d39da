"""The score table printed at the end of a grading run."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .scoring import Scoreboard


def score_table(scoreboard: Scoreboard) -> Table:
    table = Table()
    table.add_column("lab")
    table.add_column("group")
    table.add_column("points", justify="right")
    previous_lab = None
    for (lab, group), (earned, possible) in scoreboard.totals().items():
        style = "green" if earned == possible else "red"
        table.add_row(lab if lab != previous_lab else "", group, f"[{style}]{earned}/{possible}[/]")
        previous_lab = lab
    table.add_section()
    style = "bold green" if scoreboard.score == scoreboard.max_score else "bold red"
    table.add_row("total", "", f"[{style}]{scoreboard.score}/{scoreboard.max_score}[/]")
    return table


def failed_lines(scoreboard: Scoreboard) -> list[str]:
    lines = []
    for result in scoreboard.failed():
        check = result.check
        got = next((line[4:].strip() for line in result.output.splitlines() if line.startswith("got:")), "")
        lines.append(f"[red]✗[/] {check.lab} / {check.group} / {check.name} (0/{check.points}): {escape(got)}")
    return lines


def print_summary(scoreboard: Scoreboard, terminalreporter, submission: Path) -> None:  # type: ignore[no-untyped-def]
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=terminalreporter.hasmarkup,
        no_color=not terminalreporter.hasmarkup,
        width=max(80, terminalreporter._tw.fullwidth),
        highlight=False,
    )
    console.print(f"submission: {escape(str(submission))}")
    console.print(score_table(scoreboard))
    for line in failed_lines(scoreboard):
        console.print(line, overflow="ellipsis", no_wrap=True)
    terminalreporter.write_sep("=", "netlab score")
    terminalreporter.write(buffer.getvalue())
