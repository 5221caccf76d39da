"""Every known-good submission, written the ways LABS.md allows that ours is not, gets full marks
on its lab: a grader stricter than LABS.md fails here."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.grading import KnownSubmission, grade, known_good

CASES = known_good()


@pytest.mark.parametrize("good", CASES, ids=[good.id for good in CASES])
def test_known_good_gets_full_marks(good: KnownSubmission, tmp_path: Path) -> None:
    grading = grade(good.assemble(tmp_path), [good.lab], tmp_path)
    assert grading.tests, f"no results were written:\n{grading.output}"
    assert not grading.failed(), (
        f"{good.id} does what LABS.md allows: {good.rule}\n"
        f"failed: {sorted(grading.failed())}\n{grading.output[-4000:]}"
    )
    assert grading.status == 0
