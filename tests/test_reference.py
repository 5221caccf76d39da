"""The reference gets full marks from every grader, serially and in parallel."""

from __future__ import annotations

import collections
import re
from pathlib import Path

import pytest

from graders.harness.course import PROGRAMS
from tests.conftest import HEAVY
from tests.grading import REFERENCE, grade


@pytest.mark.parametrize("parallel", [[], pytest.param(["-n", "2"], marks=HEAVY)], ids=["serial", "xdist"])
def test_reference_gets_full_marks(parallel: list[str], tmp_path: Path) -> None:
    grading = grade(REFERENCE, [], tmp_path, *parallel)
    assert grading.status == 0, grading.output[-4000:]
    assert grading.tests and not grading.failed(), grading.output[-4000:]
    assert {t["name"].split(" / ")[0] for t in grading.tests} == set(PROGRAMS)


@HEAVY
def test_under_xdist_a_lab_is_graded_by_one_worker(tmp_path: Path) -> None:
    """Its shared runs then start once, not in every worker given one of its checks."""
    grading = grade(REFERENCE, ["echo", "webserver"], tmp_path, "-n", "2", "-v", "-v")
    workers = collections.defaultdict(set)
    for worker, module in re.findall(r"(?m)^\[(gw\d+)\].* PASSED .*?(test_\w+)\.py::", grading.output):
        workers[module].add(worker)
    assert {module: len(seen) for module, seen in workers.items()} == {"test_echo": 1, "test_webserver": 1}, grading.output[-4000:]
