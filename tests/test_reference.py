"""The reference gets full marks from every grader, serially and in parallel."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import HEAVY
from tests.grading import REFERENCE, grade


@pytest.mark.parametrize("parallel", [[], pytest.param(["-n", "2"], marks=HEAVY)], ids=["serial", "xdist"])
def test_reference_gets_full_marks(parallel: list[str], tmp_path: Path) -> None:
    grading = grade(REFERENCE, [], tmp_path, *parallel)
    assert grading.status == 0, grading.output[-4000:]
    assert grading.tests and not grading.failed(), grading.output[-4000:]
    assert {t["name"].split(" / ")[0] for t in grading.tests} == {"echo", "webserver", "pinger", "smtp", "proxy"}
