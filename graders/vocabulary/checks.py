"""A grader check and its points: the marks a lab module puts on its checks, read back anywhere.

Each grader check carries ``@points(n, group=...)`` and its module a ``lab(...)`` mark. The
plugin copies both, with the rule (the docstring), into the test report's
``user_properties``, so the numbers survive pytest-xdist and appear in JUnit XML.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pytest

CORE = "core"
RULES = "LABS.md"  # the contract every check quotes, at the top of the repository


Points = float  # a check's points: whole in the graders, fractional where a course profile says (1.5)
VISIBLE = "visible"  # Gradescope's default visibility of a test


def points(n: Points, group: str = CORE) -> pytest.MarkDecorator:
    """What a check is worth, and the group (core or an optional exercise) it counts in."""
    return pytest.mark.points(n, group=group)


def lab(name: str) -> pytest.MarkDecorator:
    """The LABS.md lab a grader module checks."""
    return pytest.mark.lab(name)


@dataclass(frozen=True)
class Check:
    """A grader check as the rubric lists it."""

    lab: str
    group: str
    name: str
    points: Points
    rule: str
    visibility: str = VISIBLE  # Gradescope's, as the course profile sets it

    @classmethod
    def of(cls, item: pytest.Item) -> Check | None:
        lab_mark = item.get_closest_marker("lab")
        points_mark = item.get_closest_marker("points")
        if lab_mark is None or points_mark is None:
            return None
        doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
        return cls(
            lab=lab_mark.args[0],
            group=points_mark.kwargs.get("group", CORE),
            name=item.name,
            points=points_mark.args[0],
            rule=first_paragraph(doc),
        )

    @property
    def cited_rule(self) -> str:
        """The rule, and where to read it whole."""
        return f"{self.rule} ({RULES}, lab `{self.lab}`)"

    def properties(self) -> list[tuple[str, object]]:
        return [("lab", self.lab), ("group", self.group), ("points", self.points), ("rule", self.rule), ("visibility", self.visibility)]

    @classmethod
    def from_properties(cls, name: str, props: Iterable[tuple[str, object]]) -> Check | None:
        found = dict(props)
        if not {"lab", "group", "points"} <= found.keys():
            return None
        return cls(str(found["lab"]), str(found["group"]), name, whole(float(found["points"])),  # type: ignore[arg-type]
                   str(found.get("rule", "")), str(found.get("visibility", VISIBLE)))


def whole(value: Points) -> Points:
    """``3.0`` as ``3``, and a sum's float noise gone (0.1 + 0.2): points print and serialize as
    the profile wrote them."""
    value = round(float(value), 6)
    return int(value) if value.is_integer() else value


def first_paragraph(doc: str) -> str:
    paragraph = doc.strip().split("\n\n")[0]
    return re.sub(r"\s+", " ", paragraph)
