"""Fixtures every lab module shares: the submission, a launcher for its programs, and, for a
course whose programs hard-code their ports, a network namespace for each check."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from graders import netns
from graders.plugin import course_of, namespaces_refused, sandbox_of, submission_dir
from graders.programs import Launcher, Submission


@pytest.fixture(scope="session")
def submission(request: pytest.FixtureRequest) -> Submission:
    return Submission(submission_dir(request.config), course_of(request.config).file_names())


@pytest.fixture
def launcher(submission: Submission, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Launcher]:
    """Starts a check's programs; kills them all, with their children, when it ends."""
    launcher = Launcher(submission, tmp_path_factory.mktemp("run"), sandbox_of(request.config), course_of(request.config))
    yield launcher
    launcher.stop_all()


@pytest.fixture(scope="module")
def module_launcher(submission: Submission, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Launcher]:
    """For one run shared by several checks (DESIGN.md principle 4)."""
    launcher = Launcher(submission, tmp_path_factory.mktemp("shared"), sandbox_of(request.config), course_of(request.config))
    yield launcher
    launcher.stop_all()


def _fixes_ports(request: pytest.FixtureRequest) -> bool:
    mark = request.node.get_closest_marker("lab")
    return mark is not None and course_of(request.config).fixes(mark.args[0])


@pytest.fixture(scope="module", autouse=True)
def fixed_ports_possible(request: pytest.FixtureRequest) -> None:
    """Before any run of the module starts: a lab whose programs hard-code their ports is
    skipped where no network namespace can be made (said once by the plugin)."""
    why = namespaces_refused(request.config)
    if why and _fixes_ports(request):
        pytest.skip(f"its programs hard-code their ports, and no network namespace can be made here: {why}")


@pytest.fixture(autouse=True)
def own_network(request: pytest.FixtureRequest) -> Iterator[None]:
    """A check whose programs hard-code their ports runs in a network namespace of its own."""
    if not _fixes_ports(request):
        yield
        return
    with netns.fresh():
        yield
