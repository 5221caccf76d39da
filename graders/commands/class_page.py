"""How a class did, as a page an instructor reads: ``netlab batch --summary --html PAGE``.

At the top, the checks most failed across the class, then the gradings that did not run to
their end and the roster's students with no submission. Per lab: a histogram of the scores
(full marks and 0 in bins of their own), and each check's pass rate, lowest first, with the
submissions that failed it, each name a link to that check in the submission's report
(``html_report``, written beside its results.json). Then every student with their scores,
the roster's name beside the folder, in a table sorted by any column without a script: each
order is a table of its own, shown when its header link makes it the page's target (CSS
``:target``), the order by name otherwise. The figures are ``class_summary``'s, so the page
and the terminal summary never disagree.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from graders.commands.class_summary import (
    attempted,
    bin_label,
    by_pass_rate,
    died_rows,
    failed_by,
    graded_rows,
    histogram,
    median,
    missing_rows,
    most_failed,
    roster_label,
    student_name,
    who,
)
from graders.commands.gradebook import ERROR, SUBMISSION, TOTAL, Row, labs_of
from graders.commands.grading_run import LOG, RESULTS
from graders.harness import course
from graders.reports.html_page import Html, bar, footer, join, legend, link, page, prose, rate_class, tag, text, write
from graders.reports.html_report import anchor, write_report
from graders.reports.scoring import RanAs, ran_as_in
from graders.vocabulary.checks import Check, Points, whole

NAMES_SHOWN = 12  # failing submissions listed in a check's row before the rest fold away


def write_reports(rows: list[Row], results_dir: Path) -> dict[str, Path]:
    """Each submission's page, by name: its report, written beside its results.json, or for a
    grading that did not run to its end, its log (its results.json is not to be believed)."""
    pages: dict[str, Path] = {}
    for row in rows:
        if not row[SUBMISSION]:  # a roster student with no submission
            continue
        directory = results_dir / row[SUBMISSION]
        if row[ERROR]:
            if (directory / LOG).is_file():
                pages[row[SUBMISSION]] = directory / LOG
        elif (directory / RESULTS).is_file():
            pages[row[SUBMISSION]] = write_report(directory / RESULTS, name=row[SUBMISSION])
    return pages


def ran_as(rows: list[Row], results_dir: Path) -> dict[str, list[RanAs]]:
    """Per submission graded to its end, how its programs were run where the course lists several
    command lines (harness/command_lines.py), from its results.json."""
    found = {}
    for row in graded_rows(rows):
        results = results_dir / row[SUBMISSION] / RESULTS
        if results.is_file():
            found[row[SUBMISSION]] = ran_as_in(json.loads(results.read_text(encoding="utf-8")))
    return {name: ran for name, ran in found.items() if ran}


def write_page(path: Path, rows: list[Row], checks: list[Check], source: str, pages: dict[str, Path],
               made: datetime | None = None, ran: dict[str, list[RanAs]] | None = None) -> Path:
    """The class page at ``path``, about the class in ``source``, linking to ``pages``; ``ran``: how
    each submission's programs were run (``ran_as``)."""
    links = {name: link(target, path.parent) for name, target in pages.items()}
    return write(path, render(rows, checks, source, links, made or datetime.now(), ran or {}))


def render(rows: list[Row], checks: list[Check], source: str, links: dict[str, str], made: datetime,
           ran: dict[str, list[RanAs]] | None = None) -> str:
    graded = graded_rows(rows)
    labs = labs_of(checks)
    possible = {lab: whole(sum(c.points for c in checks if c.lab == lab)) for lab in labs}
    submitted = len(rows) - len(missing_rows(rows))
    title = f"netlab class summary: {source}"
    header = tag("header", tag("h1", title),
                 tag("p", f"Graded {made:%Y-%m-%d %H:%M} · {submitted} submissions, {len(graded)} graded to the end · ",
                     "labs: ", ", ".join(f"{lab} ({points} points)" for lab, points in possible.items()), class_="meta"),
                 tag("nav", tag("a", "most failed", href="#most-failed"), *(tag("a", lab, href=f"#lab-{lab}") for lab in labs),
                     tag("a", "students", href="#students")),
                 legend())
    sections = [lab_section(lab, graded, [c for c in checks if c.lab == lab], links) for lab in labs]
    return page(title, header, most_failed_section(checks, graded, links), not_graded(rows, links), not_submitted(rows),
                command_lines_section(ran or {}, rows, links), *sections, students_section(rows, possible, links),
                footer(f"from the gradebook, {made:%Y-%m-%d %H:%M}"))


def command_lines_section(ran: dict[str, list[RanAs]], rows: list[Row], links: dict[str, str]) -> Html | None:
    """Per program whose course lists several command lines, which one each submission ran under (one
    student's command as it was run), and the submissions whose program got going under none."""
    if not ran:
        return None
    by_name = {row[SUBMISSION]: row for row in rows}
    used: dict[tuple[str, int], list[tuple[str, RanAs]]] = {}
    for name, programs in ran.items():
        for one in programs:
            used.setdefault((one.filename, one.line), []).append((name, one))
    taught = [filename for programs in course.PROGRAMS.values() for filename in programs]  # the labs' order, then the lines', none last
    body = []
    for (filename, line), who_ran in sorted(used.items(), key=lambda item: (taught.index(item[0][0]), item[0][1] or item[1][0][1].total + 1)):
        first = who_ran[0][1]
        how = tag("code", first.command) if line else tag("span", "none: its checks say what each did", class_="none")
        names = join(item for index, (name, _) in enumerate(who_ran) for item in ((", " if index else None), name_link(by_name[name], links)))
        body.append(tag("tr", tag("td", tag("code", filename)), tag("td", f"{line} of {first.total}" if line else "", class_="num"),
                        tag("td", how), tag("td", str(len(who_ran)), class_="num"), tag("td", names, class_="names")))
    head = tag("tr", *(tag("th", label, class_=kind) for label, kind in
                       [("program", None), ("command line", "num"), ("run as (the first submission)", None), ("submissions", "num"), ("which", None)]))
    return tag("section", tag("h2", "Command lines"),
               tag("p", "Where the course profile lists several command lines for a program, each submission's ran under the "
                        "first it got going under.", class_="meta"),
               tag("table", tag("thead", head), tag("tbody", *body), class_="checks"), id="command-lines")


def most_failed_section(checks: list[Check], graded: list[Row], links: dict[str, str]) -> Html:
    """The checks most failed across the class, each over the submissions that attempted its lab."""
    rows = []
    for check, passed, tried in most_failed(checks, graded):
        failed = failed_rows(check, attempted(check.lab, graded))
        rows.append(tag("tr", tag("td", tag("code", check.name), tag("span", prose(check.rule), class_="rule")),
                        tag("td", tag("a", check.lab, href=f"#lab-{check.lab}")), tag("td", f"{passed}/{tried}", class_="num"),
                        rate_cell(passed, tried), tag("td", failing(check, failed, links), class_="names")))
    head = tag("tr", *(tag("th", label, class_=kind) for label, kind in
                       [("check", None), ("lab", None), ("passed", "num"), ("rate", None), ("failed by", None)]))
    shown = tag("table", tag("thead", head), tag("tbody", *rows), class_="checks", id="most-failed-checks") if rows else tag("p", "No check was failed.")
    return tag("section", tag("h2", "Checks most failed"),
               tag("p", "Each over the submissions that earned a point in its lab: an empty submission fails every check "
                        "alike and says nothing about which are hard.", class_="meta"), shown, id="most-failed")


def rate_cell(passed: int, total: int) -> Html:
    share = passed / total if total else 0.0
    kind = rate_class(passed, total)
    return tag("td", tag("span", f"{share:.0%}", class_=kind), " ", bar(share, kind, "narrow"), class_="rate")


def not_graded(rows: list[Row], links: dict[str, str]) -> Html | None:
    """The gradings that did not run to their end, and the submissions with nothing to grade, and
    why: left out of every figure."""
    died = died_rows(rows)
    if not died:
        return None
    items = [tag("li", name_link(row, links), f": {row[ERROR]}") for row in died]
    return tag("section", tag("h2", f"Not graded ({len(died)})"),
               tag("p", "Left out of the figures below: their zeros say nothing about the checks."), tag("ul", *items),
               id="not-graded")


def not_submitted(rows: list[Row]) -> Html | None:
    """The roster's students with no submission."""
    missing = missing_rows(rows)
    if not missing:
        return None
    items = [tag("li", roster_label(row)) for row in missing]
    return tag("section", tag("h2", f"No submission ({len(missing)})"), tag("ul", *items), id="no-submission")


def lab_section(lab: str, graded: list[Row], checks: list[Check], links: dict[str, str]) -> Html:
    possible = whole(sum(check.points for check in checks))
    middle = median(lab, graded)
    full = sum(float(row[lab]) == possible for row in graded)
    tried = attempted(lab, graded)
    facts = f"{len(graded)} submissions" + ("" if middle is None else f", median {middle:g} of {possible}, {full} with full marks")
    facts += f"; {len(graded) - len(tried)} earned no point in {lab}, left out of its pass rates" if len(tried) < len(graded) else ""
    return tag("section", tag("h2", lab), tag("p", facts), score_histogram(lab, graded, checks),
               checks_table(lab, tried, checks, links), id=f"lab-{lab}")


def score_histogram(lab: str, graded: list[Row], checks: list[Check]) -> Html:
    possible = whole(sum(check.points for check in checks))
    bins = histogram(lab, graded, checks)
    most = max((count for _, _, count in bins), default=0) or 1
    rows = []
    for low, high, count in bins:
        kind = "pass" if low == possible else "fail" if high == 0 else "count"
        rows.append(tag("tr", tag("td", bin_label(low, high), class_="num"), tag("td", str(count), class_="num"),
                        tag("td", bar(count / most, kind))))
    head = tag("tr", tag("th", "points", class_="num"), tag("th", "submissions", class_="num"), tag("th", ""))
    return tag("table", tag("caption", f"Scores out of {possible}"), tag("thead", head), tag("tbody", *rows), class_="histogram")


def checks_table(lab: str, graded: list[Row], checks: list[Check], links: dict[str, str]) -> Html:
    """Each check's pass rate, lowest first, and who failed it."""
    rows = []
    for check, passed in by_pass_rate(checks, graded):
        rows.append(tag("tr",
                        tag("td", tag("code", check.name), tag("span", prose(check.rule), class_="rule")),
                        tag("td", check.group), tag("td", str(check.points), class_="num"),
                        tag("td", f"{passed}/{len(graded)}", class_="num"), rate_cell(passed, len(graded)),
                        tag("td", failing(check, failed_rows(check, graded), links), class_="names")))
    head = tag("tr", *(tag("th", label, class_=kind) for label, kind in
                       [("check", None), ("group", None), ("points", "num"), ("passed", "num"), ("rate", None), ("failed by", None)]))
    return tag("table", tag("caption", "Checks by pass rate, lowest first"), tag("thead", head), tag("tbody", *rows), class_="checks")


def failed_rows(check: Check, graded: list[Row]) -> list[Row]:
    """The rows of ``failed_by``'s submissions, in its order."""
    by_name = {row[SUBMISSION]: row for row in graded}
    return [by_name[name] for name in failed_by(check, graded)]


def failing(check: Check, failed: list[Row], links: dict[str, str]) -> Html:
    """The submissions that failed a check, each linked to that check in its report; a long list folded."""
    if not failed:
        return tag("span", "none", class_="none")
    linked = [name_link(row, links, anchor(check.lab, check.name)) for row in failed]
    listed = join(item for index, name in enumerate(linked) for item in ((", " if index else None), name))
    if len(failed) <= NAMES_SHOWN:
        return listed
    return tag("details", tag("summary", f"{len(failed)} submissions"), listed)


def name_link(row: Row, links: dict[str, str], fragment: str = "", named: bool = True) -> Html:
    """A submission's folder, after its student's roster name where ``named`` ("Bo Diddley (bo)"),
    a link to its page where it has one (to ``fragment`` in a report)."""
    folder = row[SUBMISSION]
    student = student_name(row) if named else ""
    shown = f"{student} ({folder})" if student else folder
    if folder not in links:
        return tag("span", shown)
    return tag("a", shown, href=links[folder] + (f"#{fragment}" if fragment else ""))


@dataclass(frozen=True)
class Column:
    """A column of the students' table: its header, its cell, and its order (each row's sort key)."""

    label: str
    cell: Callable[[Row], Html]
    key: Callable[[Row], Any]
    numeric: bool = False

    @property
    def order_id(self) -> str:
        return f"by-{self.label}"


def students_section(rows: list[Row], possible: dict[str, Points], links: dict[str, str]) -> Html:
    """Every student, their total and their score per lab, the roster's name beside the folder; a
    table per order (scores lowest first), the one by name shown unless a header link picked another."""
    columns = student_columns(rows, possible, links)
    default = columns[0]
    tables = [students_table(rows, columns, column) for column in columns if column is not default]
    note = tag("p", "Click a column's header to sort by it (scores lowest first); the page needs no script for it.", class_="meta")
    return tag("section", tag("h2", f"Students ({len(rows)})"), note,
               tag("div", *tables, students_table(rows, columns, default, "default"), class_="orders"), id="students")


def student_columns(rows: list[Row], possible: dict[str, Points], links: dict[str, str]) -> list[Column]:
    total = whole(sum(possible.values()))
    named = any(student_name(row) for row in rows)
    columns = [Column("student", lambda row: text(student_name(row)), lambda row: (who(row).casefold(), row[SUBMISSION]))] if named else []
    columns.append(Column("submission", lambda row: name_link(row, links, named=False) if row[SUBMISSION] else text(""),
                          lambda row: (not row[SUBMISSION], row[SUBMISSION].casefold(), who(row).casefold())))
    columns += [score_column(column, points) for column, points in {TOTAL: total, **possible}.items()]
    columns.append(Column("not graded because", lambda row: text(row[ERROR]), lambda row: (not row[ERROR], row[ERROR], who(row))))
    return columns


def score_column(column: str, possible: Points) -> Column:
    """The total's or a lab's column: its points out of ``possible``."""
    return Column(column, lambda row: score_cell(row, column, possible), lambda row: score_key(row, column), numeric=True)


def score_cell(row: Row, column: str, possible: Points) -> Html:
    if row[ERROR]:
        return text(f"{row[column]}/{possible}")
    return tag("span", f"{row[column]}/{possible}", class_=rate_class(float(row[column]), possible))


def score_key(row: Row, column: str) -> tuple[bool, float, str]:
    """Lowest first; the gradings that did not run to their end, and the missing, after the rest."""
    return (bool(row[ERROR]), float(row[column]), who(row).casefold())


def students_table(rows: list[Row], columns: list[Column], order: Column, kind: str | None = None) -> Html:
    """The students in ``order``; each header a link to the table in its own order."""
    head = tag("tr", *(tag("th", tag("a", column.label, href=f"#{column.order_id}", class_="sort"),
                           class_="num" if column.numeric else None, aria_sort="ascending" if column is order else None)
                       for column in columns))
    body = [tag("tr", *(tag("td", column.cell(row), class_="num" if column.numeric else None) for column in columns))
            for row in sorted(rows, key=order.key)]
    caption = tag("caption", f"by {order.label}" + (", lowest first" if order.numeric else ""))
    return tag("table", caption, tag("thead", head), tag("tbody", *body), class_=" ".join(filter(None, ["submissions", kind])),
               id=order.order_id)
