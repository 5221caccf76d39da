"""The score table printed at the end of a grading run."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from graders.reports.scoring import GroupScore, Result, Scoreboard
from graders.vocabulary.checks import CORE

FAILED_MARK, PLAIN_FAILED_MARK = "✗", "x"  # the second where the terminal cannot encode the first


def score_table(scoreboard: Scoreboard, partial: bool = False) -> Table:
    table = Table()
    table.add_column("lab")
    table.add_column("group")
    table.add_column("points", justify="right")
    previous_lab = None
    for (lab, group), (earned, possible) in scoreboard.totals().items():
        style = "green" if earned == possible else "red"
        table.add_row(lab if lab != previous_lab else "", group, f"[{style}]{earned:g}/{possible:g}[/]")
        previous_lab = lab
    table.add_section()
    style = "bold green" if scoreboard.score == scoreboard.max_score else "bold red"
    table.add_row("total (partial)" if partial else "total", "", f"[{style}]{scoreboard.score:g}/{scoreboard.max_score:g}[/]")
    return table


def failed_lines(scoreboard: Scoreboard) -> list[str]:
    """A line per failed check; one per group for the checks whose program is missing (an
    optional exercise's: not attempted); one per lab for those whose program is the template's stub."""
    lines: list[str] = []
    missing: dict[tuple[str, str], list[Result]] = {}
    stubs: dict[str, list[Result]] = {}
    for result in scoreboard.failed():
        check = result.check
        if result.stub:
            stubs.setdefault(check.lab, []).append(result)
        elif result.missing:
            missing.setdefault((check.lab, check.group), []).append(result)
        else:
            lines.append(f"[red]{FAILED_MARK}[/] {check.lab} / {check.group} / {check.name} (0/{check.points:g}): {escape(_got(result))}")
    groups = scoreboard.groups()
    missing_lines = [_missing(lab, group, results, groups[lab, group]) for (lab, group), results in missing.items()]
    return lines + missing_lines + [_stubs(lab, results) for lab, results in stubs.items()]


def _stubs(lab: str, results: list[Result]) -> str:
    """One line for a lab's checks whose programs are still the template's stubs."""
    possible = sum(result.check.points for result in results)
    groups = ", ".join(dict.fromkeys(result.check.group.split(":")[0] for result in results))
    programs = list(dict.fromkeys(f"`{result.stub}`" for result in results))
    are = "is still the template's stub" if len(programs) == 1 else "are still the template's stubs"
    checks = f"{len(results)} check{'s' if len(results) > 1 else ''}, 0/{possible:g}"
    return f"[yellow]–[/] {lab} ({groups}: {checks}): not attempted: {escape(', '.join(programs))} {are}, TODO(student) untouched"


def _missing(lab: str, group: str, results: list[Result], score: GroupScore) -> str:
    """The group's line: how many of its checks need the missing program, and the group's score
    as the table gives it."""
    of_all = "" if len(results) == len(score.results) else f" of {len(score.results)}"
    checks = f"{len(results)}{of_all} check{'s' if len(score.results) > 1 else ''}, {score.earned:g}/{score.possible:g}"
    mark, what = (f"[red]{FAILED_MARK}[/]", "") if group == CORE else ("[yellow]–[/]", "not attempted: ")
    return f"{mark} {lab} / {group} ({checks}): {what}{escape(_got(results[0]))}"


def terminal_encoding(terminalreporter) -> str:  # type: ignore[no-untyped-def]
    """The encoding of what pytest writes to: cp1252 on a Windows pipe, where UTF-8 elsewhere."""
    return getattr(terminalreporter._tw._file, "encoding", None) or "utf-8"


def escape_what_cannot_be_encoded(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    """A character the terminal cannot encode (a wire's ␍␊ on cp1252) is escaped alone: pytest,
    given an error, escapes the whole message it was writing, a failure's into one line."""
    stream = terminalreporter._tw._file
    if hasattr(stream, "reconfigure") and getattr(stream, "errors", None) == "strict":
        stream.reconfigure(errors="backslashreplace")


class _Drawing(io.StringIO):
    """What rich draws the summary into, with the terminal's encoding: rich then picks the table's
    lines from what it can encode (ASCII on cp1252), where a StringIO's none meant UTF-8, and pytest
    escaped the whole summary into one line of \\u2502... on a Windows pipe."""

    def __init__(self, encoding: str) -> None:
        super().__init__()
        self._encoding = encoding

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding


def _encodable(text: str, encoding: str) -> str:
    """``text`` with the marks the terminal cannot encode made plain."""
    try:
        text.encode(encoding)
        return text
    except UnicodeEncodeError:
        return text.replace(FAILED_MARK, PLAIN_FAILED_MARK)


def _partial(scoreboard: Scoreboard, interrupted: str) -> str:
    ran = len(scoreboard.results)
    return (f"[bold yellow]partial: the grading was interrupted ({interrupted}) after {ran} check{'s' if ran != 1 else ''}; "
            "the checks that did not run are in no line of this table, and its total is not a grade[/]")


def _got(result: Result) -> str:
    """The first line of what the check saw, or why it was skipped; alone on its line, without the
    colon that led to the lines below it."""
    if result.output.startswith("skipped:"):
        return result.output.splitlines()[0]
    return next((line[4:].strip().removesuffix(":") for line in result.output.splitlines() if line.startswith("got:")), "")


def print_summary(scoreboard: Scoreboard, terminalreporter, submission: Path, interrupted: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """The table, then a line per failed check; ``interrupted`` (by Ctrl-C, SIGTERM...): a partial
    table, said above and below it."""
    encoding = terminal_encoding(terminalreporter)
    buffer = _Drawing(encoding)
    console = Console(
        file=buffer,
        force_terminal=terminalreporter.hasmarkup,
        no_color=not terminalreporter.hasmarkup,
        width=max(80, terminalreporter._tw.fullwidth),
        highlight=False,
    )
    console.print(f"submission: {escape(str(submission))}", soft_wrap=True)  # a path to copy: never wrapped
    if interrupted:
        console.print(_partial(scoreboard, interrupted), soft_wrap=True)
    for line in scoreboard.command_lines():
        console.print(escape(line), soft_wrap=True)
    console.print(score_table(scoreboard, partial=interrupted is not None))
    on_a_terminal = terminalreporter.isatty()
    for line in failed_lines(scoreboard):
        if on_a_terminal:
            console.print(line, overflow="ellipsis", no_wrap=True)  # one line a check, cut to the screen
        else:
            console.print(line, soft_wrap=True)  # a log or a pipe: whole, never wrapped inside a check id
    if interrupted:
        console.print(_partial(scoreboard, interrupted), soft_wrap=True)  # also where the eye lands last
    terminalreporter.write_sep("=", "netlab score (partial)" if interrupted else "netlab score")
    terminalreporter.write(_encodable(buffer.getvalue(), encoding))
