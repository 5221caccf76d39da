"""How a class did, as a page an instructor reads: ``netlab batch --summary --html PAGE``.

Per lab: a histogram of the scores (full marks and 0 in bins of their own), and each
check's pass rate, lowest first, with the submissions that failed it, each name a link to
that check in the submission's report (``html_report``, written beside its results.json).
Then every submission with its scores. The figures are ``class_summary``'s, so the page and
the terminal summary never disagree.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from graders.commands.class_summary import bin_label, by_pass_rate, failed_by, graded_rows, histogram, median
from graders.commands.gradebook import ERROR, SUBMISSION, TOTAL, Row, labs_of
from graders.commands.grading_run import LOG, RESULTS
from graders.reports.html_page import Html, bar, footer, join, link, page, prose, rate_class, tag, write
from graders.reports.html_report import anchor, write_report
from graders.vocabulary.checks import Check, whole

NAMES_SHOWN = 12  # failing submissions listed in a check's row before the rest fold away


def write_reports(rows: list[Row], results_dir: Path) -> dict[str, Path]:
    """Each submission's page, by name: its report, written beside its results.json, or for a
    grading that did not run to its end, its log (its results.json is not to be believed)."""
    pages: dict[str, Path] = {}
    for row in rows:
        directory = results_dir / row[SUBMISSION]
        if row[ERROR]:
            if (directory / LOG).is_file():
                pages[row[SUBMISSION]] = directory / LOG
        elif (directory / RESULTS).is_file():
            pages[row[SUBMISSION]] = write_report(directory / RESULTS, name=row[SUBMISSION])
    return pages


def write_page(path: Path, rows: list[Row], checks: list[Check], source: str, pages: dict[str, Path],
               made: datetime | None = None) -> Path:
    """The class page at ``path``, about the class in ``source``, linking to ``pages``."""
    links = {name: link(target, path.parent) for name, target in pages.items()}
    return write(path, render(rows, checks, source, links, made or datetime.now()))


def render(rows: list[Row], checks: list[Check], source: str, links: dict[str, str], made: datetime) -> str:
    graded = graded_rows(rows)
    labs = labs_of(checks)
    possible = {lab: whole(sum(c.points for c in checks if c.lab == lab)) for lab in labs}
    title = f"netlab class summary: {source}"
    header = tag("header", tag("h1", title),
                 tag("p", f"Graded {made:%Y-%m-%d %H:%M} · {len(rows)} submissions, {len(graded)} graded to the end · ",
                     "labs: ", ", ".join(f"{lab} ({points} points)" for lab, points in possible.items()), class_="meta"),
                 tag("nav", *(tag("a", lab, href=f"#lab-{lab}") for lab in labs), tag("a", "submissions", href="#submissions")))
    sections = [lab_section(lab, graded, [c for c in checks if c.lab == lab], links) for lab in labs]
    return page(title, header, not_graded(rows, links), *sections, submissions_table(rows, possible, links),
                footer(f"from the gradebook, {made:%Y-%m-%d %H:%M}"))


def not_graded(rows: list[Row], links: dict[str, str]) -> Html | None:
    """The gradings that did not run to their end, and why: left out of every figure."""
    died = [row for row in rows if row[ERROR]]
    if not died:
        return None
    items = [tag("li", name_link(row[SUBMISSION], links), f": {row[ERROR]}") for row in died]
    return tag("section", tag("h2", f"Not graded to the end ({len(died)})"),
               tag("p", "Left out of the figures below: their zeros say nothing about the checks."), tag("ul", *items),
               id="not-graded")


def lab_section(lab: str, graded: list[Row], checks: list[Check], links: dict[str, str]) -> Html:
    possible = whole(sum(check.points for check in checks))
    middle = median(lab, graded)
    full = sum(float(row[lab]) == possible for row in graded)
    facts = f"{len(graded)} submissions" + ("" if middle is None else f", median {middle:g} of {possible}, {full} with full marks")
    return tag("section", tag("h2", lab), tag("p", facts), score_histogram(lab, graded, checks),
               checks_table(lab, graded, checks, links), id=f"lab-{lab}")


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
        share = passed / len(graded) if graded else 0.0
        kind = rate_class(passed, len(graded))
        rows.append(tag("tr",
                        tag("td", tag("code", check.name), tag("span", prose(check.rule), class_="rule")),
                        tag("td", check.group), tag("td", str(check.points), class_="num"),
                        tag("td", f"{passed}/{len(graded)}", class_="num"),
                        tag("td", tag("span", f"{share:.0%}", class_=kind), " ", bar(share, kind, "narrow"), class_="rate"),
                        tag("td", failing(lab, check, failed_by(check, graded), links), class_="names")))
    head = tag("tr", *(tag("th", label, class_=kind) for label, kind in
                       [("check", None), ("group", None), ("points", "num"), ("passed", "num"), ("rate", None), ("failed by", None)]))
    return tag("table", tag("caption", "Checks by pass rate, lowest first"), tag("thead", head), tag("tbody", *rows), class_="checks")


def failing(lab: str, check: Check, names: list[str], links: dict[str, str]) -> Html:
    """The submissions that failed a check, each linked to that check in its report; a long list folded."""
    if not names:
        return tag("span", "none", class_="none")
    linked = [name_link(name, links, anchor(lab, check.name)) for name in names]
    listed = join(item for index, name in enumerate(linked) for item in ((", " if index else None), name))
    if len(names) <= NAMES_SHOWN:
        return listed
    return tag("details", tag("summary", f"{len(names)} submissions"), listed)


def name_link(name: str, links: dict[str, str], fragment: str = "") -> Html:
    """A submission's name, a link to its page where it has one (to ``fragment`` in a report)."""
    if name not in links:
        return tag("span", name)
    return tag("a", name, href=links[name] + (f"#{fragment}" if fragment else ""))


def submissions_table(rows: list[Row], possible: dict[str, int], links: dict[str, str]) -> Html:
    """Every submission, its total and its score per lab; a grading that died says why."""
    total = sum(possible.values())
    head = tag("tr", tag("th", "submission"), tag("th", "total", class_="num"),
               *(tag("th", lab, class_="num") for lab in possible), tag("th", "not graded because"))
    body = []
    for row in sorted(rows, key=lambda r: r[SUBMISSION]):
        scores = [tag("td", f"{row[lab]}/{points}", class_=f"num {'' if row[ERROR] else rate_class(float(row[lab]), points)}")
                  for lab, points in possible.items()]
        body.append(tag("tr", tag("td", name_link(row[SUBMISSION], links)),
                        tag("td", f"{row[TOTAL]}/{total}", class_="num"), *scores, tag("td", row[ERROR])))
    return tag("section", tag("h2", f"Submissions ({len(rows)})"),
               tag("table", tag("thead", head), tag("tbody", *body), class_="submissions"), id="submissions")
