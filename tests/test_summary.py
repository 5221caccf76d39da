"""The summary's line for a group whose program is missing gives the group's score as the score
table does: one computation (a proxy without proxy.py read 0/8 in its line and 0/10 in the table,
one check of the group having failed with another message)."""

from __future__ import annotations

import re

from graders.reports.scoring import Result, Scoreboard
from graders.reports.summary import failed_lines
from graders.vocabulary.checks import Check

MISSING = "rule:     r\nexpected: `x.py`\ngot:      `x.py` not found in `submission`"
GROUP_LINE = re.compile(r"(?P<lab>\w+) / (?P<group>[^/(]+) \((?P<count>[^,]+), (?P<figure>[\d.]+/[\d.]+)\)")


def result(group: str, name: str, points: int, passed: bool = False, missing: bool = False) -> Result:
    check = Check("lab", group, name, points, f"the rule of {name}")
    return Result(check, passed, MISSING if missing else "rule:     r\ngot:      something else", missing=missing)


def test_a_group_line_gives_the_tables_figure() -> None:
    board = Scoreboard({r.check.name: r for r in [
        result("core", "served", 3, passed=True),
        result("optional 1: all missing", "a", 2, missing=True),
        result("optional 1: all missing", "b", 2, missing=True),
        result("optional 2: one fails otherwise", "c", 4, missing=True),
        result("optional 2: one fails otherwise", "d", 4, missing=True),
        result("optional 2: one fails otherwise", "e", 2),
        result("optional 3: two programs, one there", "f", 2, passed=True),
        result("optional 3: two programs, one there", "g", 1, missing=True),
    ]})
    lines = {(m["lab"], m["group"]): m for line in failed_lines(board) if (m := GROUP_LINE.search(line))}
    assert {group: line["count"] for (_, group), line in lines.items()} == {
        "optional 1: all missing": "2 checks",
        "optional 2: one fails otherwise": "2 of 3 checks",
        "optional 3: two programs, one there": "1 of 2 checks",
    }
    for key, line in lines.items():
        earned, possible = board.totals()[key]
        assert line["figure"] == f"{earned:g}/{possible:g}", line.string
