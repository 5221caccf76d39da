"""Every known-bad submission loses exactly the checks of the rule it breaks (DESIGN.md principle 8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from graders.vocabulary.failures import GOT_LINE_CHARS, GOT_LINES, fields
from tests.grading import KNOWN_BAD, KnownSubmission, grade, known_bad

CASES = known_bad()


@pytest.mark.parametrize("bad", CASES, ids=[bad.id for bad in CASES])
def test_known_bad_fails_exactly_its_checks(bad: KnownSubmission, tmp_path: Path) -> None:
    grading = grade(bad.assemble(tmp_path), [bad.lab], tmp_path)
    assert grading.tests, f"no results were written:\n{grading.output}"
    assert grading.failed() == bad.fails, (
        f"{bad.id} breaks: {bad.rule}\n"
        f"expected to fail: {sorted(bad.fails)}\n"
        f"failed:           {sorted(grading.failed())}\n{grading.unexpected(bad.fails)}\n{grading.output[-4000:]}"
    )
    assert grading.status == (1 if bad.fails else 0)
    for check in bad.fails:
        output = grading.output_of(check)
        assert output.startswith("rule:"), f"{check} fails with a harness error, not its message:\n{output}"
        for program in bad.remove:
            assert f"`{program}` not found" in output, f"{check} fails for something else than the missing {program}:\n{output}"
        got = fields(output)["got"].splitlines()
        widest = max(map(len, got), default=0)
        assert len(got) <= GOT_LINES and widest <= GOT_LINE_CHARS, f"{check}'s got: is {len(got)} lines, {widest} characters wide"
    for check, said in bad.says:
        assert said in grading.output_of(check), f"{check}'s message does not say {said!r}:\n{grading.output_of(check)}"


def test_a_failed_path_traversal_check_names_every_path_not_refused(tmp_path: Path) -> None:
    """It named the first of its 5 paths only: a student fixed that one and met the next."""
    bad = KnownSubmission.load(KNOWN_BAD / "webserver" / "no_traversal_check")
    grading = grade(bad.assemble(tmp_path), ["webserver"], tmp_path)
    got = grading.output_of("test_paths_that_leave_the_root_never_get_the_file")
    assert "got:      5 of 5 not refused:" in got
    named = [line.strip() for line in got.splitlines() if line.startswith("            GET /")]
    assert len(named) == 5, got
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/sub/../../secret.txt", "/%2F"):
        assert any(line.startswith(f"GET {path}") for line in named), got


def test_statistics_without_a_unit_say_they_were_read_in_the_rtts_unit(tmp_path: Path) -> None:
    """LABS.md reads them in the RTTs' unit: the message said only `min/avg/max = 0.0/0.0/0.0 ms`."""
    bad = KnownSubmission.load(KNOWN_BAD / "pinger" / "statistics_in_seconds_without_unit")
    grading = grade(bad.assemble(tmp_path), ["pinger"], tmp_path)
    got = grading.output_of("test_statistics_give_min_avg_max_of_the_rtts")
    assert "(printed without a unit: read in ms, the unit of its RTTs, as LABS.md says)" in got, got
