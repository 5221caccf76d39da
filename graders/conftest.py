"""Fixtures every lab module shares: the submission and a launcher for its programs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from graders.plugin import sandbox_of, submission_dir
from graders.programs import Launcher, Submission


@pytest.fixture(scope="session")
def submission(request: pytest.FixtureRequest) -> Submission:
    return Submission(submission_dir(request.config))


@pytest.fixture
def launcher(submission: Submission, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Launcher]:
    """Starts a check's programs; kills them all, with their children, when it ends."""
    launcher = Launcher(submission, tmp_path_factory.mktemp("run"), sandbox_of(request.config))
    yield launcher
    launcher.stop_all()


@pytest.fixture(scope="module")
def module_launcher(submission: Submission, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Launcher]:
    """For one run shared by several checks (DESIGN.md principle 4)."""
    launcher = Launcher(submission, tmp_path_factory.mktemp("shared"), sandbox_of(request.config))
    yield launcher
    launcher.stop_all()
