"""`netlab compare`: pairing checks, aligning wires, and a real comparison of one fast lab."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from graders.commands import compare
from graders.commands.compare import Outcome, Pair, Row
from graders.commands.grading_run import Outcome as RunOutcome
from graders.harness import course
from graders.vocabulary import failures
from graders.vocabulary.failures import CheckFailed
from graders.vocabulary.wire import Transcript
from tests.grading import KNOWN_BAD, REFERENCE, KnownSubmission

CHECK = "webserver / core / test_missing_file_gets_404_with_html"


def outcome(name: str = CHECK, passed: bool = True, output: str = "", judged: list[tuple[str, str]] | None = None) -> Outcome:
    return Outcome(name, 2 if passed else 0, 2, output or "rule: a rule", judged or [])


def lines(text: str) -> list[str]:
    return text.strip().splitlines()


# Aligning two wires


def test_lines_that_differ_only_in_run_specific_numbers_are_the_same() -> None:
    rows = compare.align(
        ["C: Host: 127.0.0.1:40213␍␊", "S: Date: Thu, 26 Nov 2026 03:11:34 GMT␍␊", "C: Ping 1 1795662681.4066772",
         "C: GET //tmp/pytest-of-me/pytest-12/x HTTP/1.1␍␊", "-- (nothing listens on port 60361)"],
        ["C: Host: 127.0.0.1:51441␍␊", "S: Date: Thu, 26 Nov 2026 03:11:35 GMT␍␊", "C: Ping 1 1795662681.5127504",
         "C: GET //tmp/pytest-of-me/pytest-13/x HTTP/1.1␍␊", "-- (nothing listens on port 33869)"],
    )  # fmt: skip
    assert all(row.same for row in rows)
    assert not Row("S: HTTP/1.1 404 Not Found␍␊", "S: HTTP/1.1 200 OK␍␊").same


def test_a_line_only_one_side_sent_faces_a_gap_and_the_rest_still_meets() -> None:
    rows = compare.align(["S: HTTP/1.1 200 OK", "S: Content-Length: 5", "S: "], ["S: HTTP/1.1 200 OK", "S: X-Extra: 1", "S: Content-Length: 5", "S: "])
    assert rows == [Row("S: HTTP/1.1 200 OK", "S: HTTP/1.1 200 OK"), Row(None, "S: X-Extra: 1"),
                    Row("S: Content-Length: 5", "S: Content-Length: 5"), Row("S: ", "S: ")]  # fmt: skip


def test_the_longer_side_goes_on_alone() -> None:
    rows = compare.align(["C: QUIT", "S: 221 Bye", "-- connection closed by the server"], ["C: QUIT"])
    assert rows[1:] == [Row("S: 221 Bye", None), Row("-- connection closed by the server", None)]


def test_the_excerpt_starts_a_few_lines_before_they_part_and_stops_at_the_limit() -> None:
    common = [f"S: line {i}" for i in range(50)]
    rows = compare.align(common + ["S: 404"] + common, common + ["S: 200"] + common)
    excerpt = compare.where_they_part(rows, context=3, limit=30)
    assert excerpt.before == 47
    assert excerpt.rows[3] == Row("S: 404", "S: 200")
    assert len(excerpt.rows) == 30
    assert excerpt.after == len(rows) - 47 - 30
    assert excerpt.parted


def test_an_excerpt_never_hides_a_single_line() -> None:
    rows = [Row(f"{i}", f"{i}") for i in range(4)] + [Row("a", "b")]
    assert compare.where_they_part(rows, context=3, limit=4).before == 0
    assert compare.where_they_part(rows, context=3, limit=4).after == 0


def test_wires_that_agree_are_shown_from_their_start() -> None:
    rows = [Row(f"{i}", f"{i}") for i in range(10)]
    excerpt = compare.where_they_part(rows, context=3, limit=5)
    assert (excerpt.before, len(excerpt.rows), excerpt.after, excerpt.parted) == (0, 5, 5, False)


# Reading and pairing results


def test_results_json_is_read_with_what_each_check_judged() -> None:
    results = compare.outcomes(json.loads(json.dumps({"tests": [
        {"name": CHECK, "score": 2, "max_score": 2, "output": "rule: r", "extra_data": {"judged": [["status 404", "S: 404"]]}},
        {"name": "echo / core / test_x", "score": 0, "max_score": 1, "output": "rule: r2"},
    ]})))  # fmt: skip
    assert list(results) == [CHECK, "echo / core / test_x"]
    assert results[CHECK].judged == [("status 404", "S: 404")]
    assert not results["echo / core / test_x"].passed


def test_checks_pair_by_name_in_the_references_order() -> None:
    reference = {"a / core / one": outcome("a / core / one"), "a / core / two": outcome("a / core / two")}
    submission = {"a / core / two": outcome("a / core / two", passed=False), "a / core / new": outcome("a / core / new")}
    pairs = compare.pair_checks(reference, submission)
    assert [(p.name, p.reference is not None, p.submission is not None) for p in pairs] == [
        ("a / core / one", True, False), ("a / core / two", True, True), ("a / core / new", False, True)]  # fmt: skip
    assert [p.differs for p in pairs] == [True, True, True]
    assert not compare.keeps_up(pairs)
    assert compare.keeps_up([Pair("x", outcome(passed=False), outcome(passed=False))])
    assert pairs[1].parts == ("a", "core", "two")


def test_a_failure_message_reads_back_into_its_parts() -> None:
    wire = Transcript()
    wire.client(b"GET / HTTP/1.1\r\n\r\n")
    wire.server(b"HTTP/1.1 200 OK\r\n\r\n")
    message = CheckFailed("status 404", "status 200\nand more", wire).render("the rule", ["a note", "another"])
    fields = failures.fields(message)
    assert fields["rule"] == "the rule"
    assert fields["expected"] == "status 404"
    assert fields["got"] == "status 200\nand more"
    assert fields["wire"] == wire.render()
    assert fields["note"] == "a note\nanother"


def test_the_passing_side_shows_the_expectation_where_the_other_failed() -> None:
    judged = [("first", "S: one"), ("second", "S: two"), ("third", "S: three")]
    failed = CheckFailed("second", "not it", _wire(b"TWO")).render("r")
    diff = compare.difference(Pair(CHECK, outcome(judged=judged), outcome(passed=False, output=failed, judged=judged[:1])))
    assert (diff.failing, diff.rule, diff.expected, diff.got) == ("submission", "r", "second", "not it")
    assert diff.excerpt.rows == [Row("S: two", "S: TWO")]


def test_a_side_that_judged_fewer_expectations_shows_its_last() -> None:
    failed = CheckFailed("third", "not it", None).render("r")
    diff = compare.difference(Pair(CHECK, outcome(passed=False, output=failed, judged=[("a", ""), ("b", "")]), outcome(judged=[("a", "S: x")])))
    assert (diff.failing, diff.expected) == ("reference", "third")
    assert diff.excerpt.rows == [Row(None, "S: x")]


def test_a_check_that_failed_without_a_message_shows_what_it_said_and_the_rule_of_the_other_side() -> None:
    skipped = outcome(passed=False, output="skipped: udp_pinger.py is missing")
    diff = compare.difference(Pair(CHECK, outcome(output="rule: every ping answered"), skipped))
    assert (diff.rule, diff.got, diff.excerpt.rows) == ("every ping answered", "skipped: udp_pinger.py is missing", [])


def _wire(data: bytes) -> Transcript:
    wire = Transcript()
    wire.server(data)
    return wire


# Comparing for real: one fast lab


@dataclass(frozen=True)
class Comparison:
    status: int
    output: str


def compare_cli(*argv: str) -> Comparison:
    parser = argparse.ArgumentParser()
    compare.add_arguments(parser)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = compare.run(parser.parse_args(list(argv)))
    return Comparison(status, out.getvalue())


@pytest.fixture(scope="module")
def bad_webserver(tmp_path_factory: pytest.TempPathFactory) -> tuple[Comparison, Path]:
    """The web server that answers a missing file with 200, beside the reference, with --html."""
    into = tmp_path_factory.mktemp("bad")
    submission = KnownSubmission.load(KNOWN_BAD / "webserver" / "not_found_as_200").assemble(into)
    html = into / "compare.html"
    return compare_cli(str(submission), "--lab", "webserver", "--html", str(html)), html


def test_a_submission_that_breaks_a_rule_shows_both_wires_where_they_part(bad_webserver: tuple[Comparison, Path]) -> None:
    comparison, _ = bad_webserver
    assert comparison.status == 1, comparison.output
    assert f"✗ {CHECK}" in comparison.output
    assert "test_serves_an_html_file" in comparison.output  # in the table, not among the differences
    assert comparison.output.count("\n✗ ") == 1
    parted = next(line for line in comparison.output.splitlines() if "≠" in line)
    assert "S: HTTP/1.1 404 Not Found␍␊" in parted and "S: HTTP/1.1 200 OK␍␊" in parted, comparison.output
    assert "1 check differs" in comparison.output


def test_the_html_page_holds_the_same_comparison(bad_webserver: tuple[Comparison, Path]) -> None:
    _, html = bad_webserver
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "test_missing_file_gets_404_with_html" in page
    assert "404 Not Found" in page and "200 OK" in page
    assert "␍" not in page and "␊" not in page, "line ends drawn in letters every font has, not Control Pictures"
    assert re.search(r'title="carriage return[^"]*"><span style="[^"]*">CR</span></span>'
                     r'<span style="[^"]*" title="line feed[^"]*"><span style="[^"]*">LF</span></span>', page)


def test_the_reference_beside_itself_differs_nowhere() -> None:
    comparison = compare_cli(str(REFERENCE), "--lab", "webserver")
    assert comparison.status == 0, comparison.output
    assert "\n✗ " not in comparison.output
    assert "the submission passes every check the reference passes" in comparison.output


def test_a_missing_submission_or_an_unknown_lab_is_a_usage_error(tmp_path: Path) -> None:
    missing = compare_cli(str(tmp_path / "nowhere"))
    assert missing.status == 4
    assert "does not exist" in missing.output
    unknown = compare_cli(str(REFERENCE), "--lab", "nosuchlab")
    assert unknown.status == 4
    assert "unknown lab nosuchlab" in unknown.output


def test_a_course_that_reference_does_not_fit_needs_a_reference_of_its_own(tmp_path: Path) -> None:
    """Under a profile whose programs hard-code their ports or take other names, reference/ would
    lose points for following LABS.md: refused, saying to pass --reference."""
    profile = tmp_path / "netlab.toml"
    profile.write_text('[labs.webserver.programs."webserver.py"]\nnames = ["WebServer.py"]\n')
    refused = compare_cli(str(REFERENCE), "--course", str(profile), "--lab", "webserver")
    assert refused.status == 4 and "pass --reference DIR" in refused.output and "webserver.py" in refused.output
    assert course.load(str(profile)).unlike_labs_md(["echo"]) == []  # a lab the profile leaves alone: compared


def test_a_grading_past_its_limit_is_stopped_and_counts_as_no_results(tmp_path: Path) -> None:
    runs = compare.grade_both(REFERENCE, ["webserver"], tmp_path, within=0.5)
    assert [(graded.status, graded.results) for graded in runs] == [(None, None), (None, None)]


def test_both_sides_limits_are_watched_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each side is waited for in its own thread: waited for one after the other, the second side was
    looked at only once the first had ended, its interrupt's grace (up to INTERRUPT_GRACE) included,
    and a second side that had ended past its limit meanwhile counted as finished in time."""
    both_waiting = threading.Barrier(2, timeout=5)

    class Run:
        """A side whose wait returns only once the other side is being waited for too."""

        def __init__(self, submission: Path, outdir: Path, labs: list[str], pytest_args: list[str]) -> None:
            self.name = submission.name

        def finish(self, within: float) -> RunOutcome:
            both_waiting.wait()
            return RunOutcome(self.name, None, f"timeout after {within:g} s", within)

        def kill(self) -> None:
            pass

        def last_line(self) -> str:
            return ""

    monkeypatch.setattr(compare, "GradingRun", Run)
    runs = compare.grade_both(REFERENCE, ["webserver"], tmp_path, within=0.5)
    assert [graded.log_tail for graded in runs] == ["timeout after 0.5 s"] * 2
