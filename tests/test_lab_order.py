"""One lab order everywhere: as taught (echo, webserver, pinger, smtp, proxy, icmp, traceroute), core then the
optional exercises by number; the rubric, the gradebook, the score table and results.json."""

from __future__ import annotations

from graders.commands.gradebook import columns, labs_of
from graders.reports.lab_order import LABS, group_rank, in_lab_order
from graders.reports.rubric import collect_checks
from graders.reports.scoring import Result, Scoreboard
from graders.vocabulary.checks import Check

TAUGHT = ["echo", "webserver", "pinger", "smtp", "proxy", "icmp", "traceroute"]  # the textbook's five, then its companion site's two


def check(lab: str, group: str, name: str) -> Check:
    return Check(lab, group, name, 1, f"the rule of {name}")


def test_the_labs_are_in_the_order_they_are_taught() -> None:
    assert list(LABS) == TAUGHT


def test_the_rubric_lists_labs_as_taught_and_groups_by_number() -> None:
    checks = collect_checks()
    assert labs_of(checks) == TAUGHT
    for lab in TAUGHT:
        groups = list(dict.fromkeys(c.group for c in checks if c.lab == lab))
        assert groups == sorted(groups, key=group_rank) and groups[0] == "core", (lab, groups)
        assert len(groups) == len(set(groups)), f"{lab}'s groups come in one stretch each: {groups}"


def test_the_gradebook_columns_follow_the_labs_order() -> None:
    header = columns(collect_checks())
    assert [column for column in header if column in TAUGHT] == TAUGHT


def test_optional_ten_comes_after_optional_two_and_a_lab_not_listed_comes_last() -> None:
    checks = [check("zeta", "core", "z"), check("echo", "optional 10: ten", "a"), check("echo", "optional 2: two", "b"),
              check("echo", "core", "c"), check("echo", "core", "d")]
    assert [c.name for c in in_lab_order(checks)] == ["c", "d", "b", "a", "z"]


def test_the_score_table_and_results_json_follow_the_labs_order() -> None:
    ran = [check("proxy", "core", "p"), check("pinger", "optional 2: heartbeat", "h"), check("echo", "core", "e"),
           check("pinger", "core", "q"), check("webserver", "core", "w")]
    board = Scoreboard({c.name: Result(c) for c in ran})
    assert list(board.totals()) == [("echo", "core"), ("webserver", "core"), ("pinger", "core"),
                                    ("pinger", "optional 2: heartbeat"), ("proxy", "core")]
    tests = board.gradescope()["tests"]
    assert [t["name"] for t in tests] == ["echo / core / e", "webserver / core / w", "pinger / core / q",  # type: ignore[index]
                                          "pinger / optional 2: heartbeat / h", "proxy / core / p"]
