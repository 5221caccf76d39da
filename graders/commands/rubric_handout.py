"""``netlab rubric --format md|html``: the rubric as a handout for students.

Per lab, its points and a section per group (core, then each optional exercise) with the
group's points, and per check its points and its rule, whole, as LABS.md words it. Made from
``collect_checks``, so it can never disagree with the graders; it names LABS.md, never a path
of the machine that made it.
"""

from __future__ import annotations

from dataclasses import dataclass

from graders.commands.gradebook import labs_of
from graders.reports.html_page import Html, page, prose, tag
from graders.vocabulary.checks import RULES, Check, Points, whole


@dataclass(frozen=True)
class Group:
    lab: str
    name: str
    checks: list[Check]

    @property
    def points(self) -> Points:
        return whole(sum(check.points for check in self.checks))


def groups(checks: list[Check]) -> dict[str, list[Group]]:
    """Each lab's groups, in the checks' order (lab order: ``lab_order``)."""
    by_lab: dict[str, dict[str, list[Check]]] = {lab: {} for lab in labs_of(checks)}
    for check in checks:
        by_lab[check.lab].setdefault(check.group, []).append(check)
    return {lab: [Group(lab, name, members) for name, members in found.items()] for lab, found in by_lab.items()}


def lab_points(lab_groups: list[Group]) -> Points:
    return whole(sum(group.points for group in lab_groups))


def title(course: str | None) -> str:
    return "netlab rubric" + (f" (course: {course})" if course else "")


def markdown(checks: list[Check], course: str | None) -> str:
    """The rubric as Markdown: a heading per lab and group with its points, a table of its checks."""
    total = whole(sum(check.points for check in checks))
    lines = [f"# {title(course)}", "", f"{total} points. Each rule is quoted from {RULES}, where each lab's whole contract is.", ""]
    for lab, lab_groups in groups(checks).items():
        lines += [f"## {lab}: {lab_points(lab_groups)} points", ""]
        for group in lab_groups:
            lines += [f"### {group.name}: {group.points} points", "", "| check | points | rule |", "|---|--:|---|"]
            lines += [f"| `{check.name}` | {check.points} | {cell(check.rule)} |" for check in group.checks]
            lines.append("")
    return "\n".join(lines)


def cell(text: str) -> str:
    """Text inside a Markdown table cell: its pipes escaped."""
    return text.replace("|", "\\|")


def html(checks: list[Check], course: str | None) -> str:
    """The rubric as a page to print or hand out: the same sections, the shared stylesheet."""
    total = whole(sum(check.points for check in checks))
    body: list[object] = [tag("header", tag("h1", title(course)),
                              tag("p", f"{total} points. Each rule is quoted from ", tag("code", RULES),
                                  ", where each lab's whole contract is.", class_="meta"))]
    for lab, lab_groups in groups(checks).items():
        body.append(tag("section", tag("h2", f"{lab}: {lab_points(lab_groups)} points"), *map(group_table, lab_groups), id=f"lab-{lab}"))
    return page(title(course), *body)


def group_table(group: Group) -> Html:
    head = tag("tr", tag("th", "check"), tag("th", "points", class_="num"), tag("th", "rule"))
    rows = [tag("tr", tag("td", tag("code", check.name)), tag("td", str(check.points), class_="num"), tag("td", prose(check.rule)))
            for check in group.checks]
    return tag("table", tag("caption", f"{group.name}: {group.points} points"), tag("thead", head), tag("tbody", *rows), class_="checks")
