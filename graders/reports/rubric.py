"""The rubric, read from the graders themselves so it can never disagree with them."""

from __future__ import annotations

import pytest

from graders import GRADERS
from graders.harness.course import LABS_MD, Course
from graders.reports.lab_order import in_lab_order
from graders.vocabulary.checks import Check


class _Collector:
    def __init__(self) -> None:
        self.checks: list[Check] = []

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.checks = [check for item in session.items if (check := Check.of(item))]


def collect_checks(labs: list[str] | None = None, course: Course = LABS_MD) -> list[Check]:
    """Every grader check (of the given labs), in lab order (``lab_order``), as the course
    grades them (its points; the checks it switches off left out). A profile that names a
    check the graders do not have is refused (``ProfileError``)."""
    collector = _Collector()
    args = [str(GRADERS), "--collect-only", "-p", "no:cacheprovider", "-p", "no:terminal"]
    for lab in labs or []:
        args += ["--lab", lab]
    status = pytest.main(args, plugins=[collector])
    if status not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise RuntimeError(f"collecting the graders failed with exit status {status}")
    course.check_names(collector.checks)
    return in_lab_order(graded for check in collector.checks if (graded := course.grade(check)))
