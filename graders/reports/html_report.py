"""One submission's report, as a page an instructor can hand to the student.

Made from the grading's results.json alone (Gradescope's format), so it can be made
wherever one is: ``write_report(Path("results.json"))`` writes ``report.html`` beside it.
It shows the score per lab and group; then, lab by lab, every failed check with its rule,
what was expected, what the program did, and the wire as a transcript (``C:``/``S:`` lines,
line ends drawn as ``CR`` ``LF``); then, after every failure, the checks passed. Checks of
one group that failed the same way (a missing program fails all of its checks alike) are
shown once, with every check named.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from graders.reports.html_page import Html, footer, join, page, prose, rate_class, tag, with_line_ends, write
from graders.reports.lab_order import lab_rank
from graders.vocabulary.checks import Points, whole
from graders.vocabulary.failures import fields

REPORT = "report.html"
LABELS = {"expected": "Expected", "got": "Got", "wire": "Wire", "note": "Note"}  # a message's parts, in order


@dataclass(frozen=True)
class Test:
    """One check's entry in results.json."""

    lab: str
    group: str
    check: str
    score: Points
    max_score: Points
    output: str

    @classmethod
    def of(cls, entry: dict[str, Any]) -> Test:
        lab, *group, check = str(entry["name"]).split(" / ")
        return cls(lab, " / ".join(group), check, whole(entry["score"]), whole(entry["max_score"]), str(entry.get("output", "")))

    @property
    def passed(self) -> bool:
        return self.score == self.max_score

    @property
    def fields(self) -> dict[str, str]:
        return fields(self.output)

    @property
    def how(self) -> tuple[tuple[str, str], ...] | str:
        """How it failed, without the rule: the same for checks that failed alike."""
        parts = tuple((label, value) for label, value in self.fields.items() if label != "rule")
        return parts or self.output


def anchor(lab: str, check: str) -> str:
    """The id of a check in its report, for links from the class page."""
    return f"{lab}-{check}"


def write_report(results_json: Path, out: Path | None = None, name: str | None = None) -> Path:
    """The report of the grading that wrote ``results_json``, named after its directory unless
    ``name`` is given; written to ``out`` (default: report.html beside it). Returns its path."""
    results = json.loads(results_json.read_text(encoding="utf-8"))
    graded = datetime.fromtimestamp(results_json.stat().st_mtime)
    return write(out or results_json.with_name(REPORT), render(results, name or results_json.resolve().parent.name, graded))


def render(results: dict[str, Any], name: str, graded: datetime) -> str:
    tests = [Test.of(entry) for entry in results.get("tests", [])]
    labs = sorted(dict.fromkeys(test.lab for test in tests), key=lab_rank)  # a results.json of an older netlab too
    score, possible = whole(sum(t.score for t in tests)), whole(sum(t.max_score for t in tests))
    header = tag("header", tag("h1", f"netlab report: {name}"),
                 tag("p", tag("strong", f"Score {score}/{possible}", class_=rate_class(score, possible)),
                     f" · graded {graded:%Y-%m-%d %H:%M}", class_="meta"),
                 tag("nav", *(tag("a", lab, href=f"#lab-{lab}") for lab in labs)) if len(labs) > 1 else None)
    sections = [lab_section(lab, [test for test in tests if test.lab == lab]) for lab in labs]
    if not tests:
        sections = [tag("p", "This grading recorded no checks.")]
    return page(f"netlab report: {name}", header, scores_table(tests), *sections, passed_section(tests, labs),
                footer(f"from results.json, graded {graded:%Y-%m-%d %H:%M}"))


def scores_table(tests: list[Test]) -> Html:
    """Points per lab and group, core first as the grading ordered them, and the total."""
    totals: dict[tuple[str, str], list[Test]] = {}
    for test in tests:
        totals.setdefault((test.lab, test.group), []).append(test)
    rows = [score_row(lab, group, group_tests) for (lab, group), group_tests in totals.items()]
    head = tag("tr", tag("th", "lab"), tag("th", "group"), tag("th", "points", class_="num"), tag("th", "checks passed", class_="num"))
    return tag("table", tag("caption", "Scores"), tag("thead", head), tag("tbody", *rows, score_row("total", "", tests)), class_="scores")


def score_row(lab: str, group: str, tests: list[Test]) -> Html:
    earned, possible = whole(sum(t.score for t in tests)), whole(sum(t.max_score for t in tests))
    passed = sum(t.passed for t in tests)
    cells = [tag("th" if lab == "total" else "td", lab), tag("td", group),
             tag("td", f"{earned}/{possible}", class_=f"num {rate_class(earned, possible)}"),
             tag("td", f"{passed} of {len(tests)}", class_="num")]
    return tag("tr", *cells)


def lab_section(lab: str, tests: list[Test]) -> Html:
    """A lab's score and its failed checks: what to fix comes first, before any check passed."""
    score, possible = whole(sum(t.score for t in tests)), whole(sum(t.max_score for t in tests))
    failed = [test for test in tests if not test.passed]
    parts: list[object] = [tag("h2", f"{lab}: ", tag("span", f"{score}/{possible}", class_=rate_class(score, possible)))]
    if failed:
        parts += [tag("h3", f"Failed checks ({len(failed)})"), *map(failure, alike(failed))]
    else:
        parts += [tag("p", "Every check passed.", class_="pass")]
    return tag("section", *parts, id=f"lab-{lab}")


def passed_section(tests: list[Test], labs: list[str]) -> Html | None:
    """Every check passed, lab by lab, after all the failures."""
    passed = [test for test in tests if test.passed]
    if not passed:
        return None
    lists = [part for lab in labs if (done := [t for t in passed if t.lab == lab])
             for part in (tag("h3", f"{lab} ({len(done)})"), tag("ul", *map(passed_item, done), class_="passed"))]
    return tag("section", tag("h2", f"Passed checks ({len(passed)})"), *lists, id="passed")


def alike(failed: list[Test]) -> list[list[Test]]:
    """The failed checks, those of one group that failed the same way together, in order."""
    groups: dict[tuple[str, object], list[Test]] = {}
    for test in failed:
        groups.setdefault((test.group, test.how), []).append(test)
    return list(groups.values())


def failure(tests: list[Test]) -> Html:
    """A failed check (or checks that failed alike): which, its rule, expected, got, wire, notes."""
    first = tests[0]
    points = f"{whole(sum(t.score for t in tests))}/{whole(sum(t.max_score for t in tests))}"
    if len(tests) == 1:
        title = tag("h4", tag("code", first.check, id=anchor(first.lab, first.check)), " ", tag("span", points, class_="fail"),
                    f" · {first.group}")
        rules = [labelled("Rule", first.fields.get("rule", ""))] if "rule" in first.fields else []
    else:
        title = tag("h4", f"{len(tests)} checks failed the same way ", tag("span", points, class_="fail"), f" · {first.group}")
        items = [tag("li", tag("code", t.check, id=anchor(t.lab, t.check)), f" ({t.max_score} pt): ",
                     prose(t.fields.get("rule", ""))) for t in tests]
        rules = [labelled("Rules", tag("ul", *items))]
    fields = first.fields
    if not fields:  # not a check's message: a skip, a harness error's traceback
        return tag("article", title, tag("pre", with_line_ends(first.output)), class_="failed")
    described = [labelled(LABELS[label], fields[label]) for label in LABELS if label in fields]
    return tag("article", title, tag("dl", *rules, *described, class_="message"), class_="failed")


def labelled(label: str, value: str | Html) -> Html:
    if label == "Wire":
        shown: Html = transcript(str(value))
    else:
        shown = value if isinstance(value, Html) else prose(value)
    return join([tag("dt", label), tag("dd", shown)])


def transcript(wire: str) -> Html:
    """The wire as an exchange: one line per line sent, C: (the client) and S: (the server) marked,
    events (``-- ...``) and cuts (``... (N more turns)``) dimmed."""
    lines = []
    for line in wire.splitlines():
        who, separator, data = line.partition(": ")
        if separator and who in ("C", "S"):
            lines.append(tag("span", tag("span", f"{who}:", class_="who"), " ", with_line_ends(data), class_=who.lower()))
        else:
            lines.append(tag("span", with_line_ends(line), class_="event"))
    return tag("pre", Html("\n".join(lines)), class_="wire")


def passed_item(test: Test) -> Html:
    rule = test.fields.get("rule", "")
    return tag("li", tag("code", test.check, id=anchor(test.lab, test.check)), " ",
               tag("span", f"{test.score}/{test.max_score}", class_="pass"), f" · {test.group}",
               tag("span", prose(rule), class_="rule") if rule else None)

