"""The one order every list of labs and groups follows: the gradebook's columns, the exports,
the pages, the rubric and the score table.

Labs come in the order they are taught, which is the order ``course.PROGRAMS`` lists them:
a new lab is one entry there and takes its place everywhere. Within a lab, core comes
first, then the optional exercises by their number (``optional 2`` before ``optional 10``),
and the checks of one group keep the order the graders run them in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from graders.harness.course import PROGRAMS
from graders.vocabulary.checks import CORE, Check

LABS = tuple(PROGRAMS)  # echo, webserver, pinger, smtp, proxy, icmp, traceroute
OPTIONAL = re.compile(r"optional (\d+)")


def lab_rank(lab: str) -> tuple[int, str]:
    """A lab's place: its teaching order; a lab not listed after every one that is, by name."""
    return (LABS.index(lab), "") if lab in LABS else (len(LABS), lab)


def group_rank(group: str) -> tuple[int, int, str]:
    """Core first, then ``optional N`` by N, then any other group by name."""
    if group == CORE:
        return (0, 0, "")
    numbered = OPTIONAL.match(group)
    return (1, int(numbered[1]), group) if numbered else (2, 0, group)


def check_rank(check: Check) -> tuple[tuple[int, str], tuple[int, int, str]]:
    return lab_rank(check.lab), group_rank(check.group)


def in_lab_order(checks: Iterable[Check]) -> list[Check]:
    """The checks by lab and group; within a group, as they came."""
    return sorted(checks, key=check_rank)
