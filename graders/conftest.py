"""Fixtures every lab module shares: the submission, a launcher for its programs, and, for a
course whose programs hard-code their ports, a network namespace for each check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from graders.harness import course
from graders.harness.launcher import Launcher
from graders.harness.never_listened import NeverListened
from graders.harness.programs import plain_python
from graders.harness.runs import EARLY
from graders.harness.submission import Submission
from graders.network import netns
from graders.reports.plugin import TEMPLATE, command_lines_of, course_of, namespaces_refused, sandbox_of, submission_dir
from graders.vocabulary.failures import CheckFailed


@pytest.fixture(scope="session")
def submission(request: pytest.FixtureRequest) -> Submission:
    """The programs to grade; a missing one's message suggests the handout's profile where its names fit,
    and one still the template's stub was not attempted."""
    handout = course.load("textbook").file_names()
    return Submission(submission_dir(request.config), course_of(request.config).file_names(), handout, TEMPLATE)


CHECK = pytest.StashKey[str]()  # the check being set up or run: where a wait for a server was made


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Name the check before its fixtures start anything (a module's, too, is started in a check)."""
    item.config.stash[CHECK] = item.name


@pytest.fixture(scope="module")
def never_listened(request: pytest.FixtureRequest) -> Iterator[NeverListened]:
    """The lab's servers that never listened: its later checks of them fail at once (harness/never_listened.py)."""
    record = NeverListened(lambda: request.config.stash.get(CHECK, ""))
    yield record
    record.close()


@pytest.fixture(scope="session")
def programs_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The interpreter the programs run on: the standard library's alone (``plain_python``)."""
    return plain_python(tmp_path_factory.mktemp("python"))


def _launcher(request: pytest.FixtureRequest, submission: Submission, tmp_path_factory: pytest.TempPathFactory, name: str,
              lab: str | None = None, never_listened: NeverListened | None = None) -> Launcher:
    mark = request.node.get_closest_marker("lab")
    return Launcher(
        submission, tmp_path_factory.mktemp(name), sandbox_of(request.config), course_of(request.config),
        lab=lab or (mark.args[0] if mark else None), no_namespaces=namespaces_refused(request.config),
        python=request.getfixturevalue("programs_python"), never_listened=never_listened,
        command_lines=command_lines_of(request.config),
    )


@pytest.fixture
def launcher(
    submission: Submission, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest, never_listened: NeverListened,
) -> Iterator[Launcher]:
    """Starts a check's programs; kills them all, with their children, when it ends."""
    launcher = _launcher(request, submission, tmp_path_factory, "run", never_listened=never_listened)
    yield launcher
    launcher.stop_all()


@pytest.fixture(scope="module")
def module_launcher(
    submission: Submission, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest, never_listened: NeverListened,
) -> Iterator[Launcher]:
    """For one run shared by several checks (DESIGN.md principle 4)."""
    launcher = _launcher(request, submission, tmp_path_factory, "shared", never_listened=never_listened)
    yield launcher
    launcher.stop_all()


@pytest.fixture(scope="session", autouse=True)
def early_runs(request: pytest.FixtureRequest, submission: Submission, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The long runs of the labs graded (``runs.starts_early``), started as the session starts so
    their waits overlap the other labs' checks; a lab's module fixture takes them (``taken``).
    Not in an xdist worker: its checks are dealt out one at a time, the runs start when needed."""
    started: dict[str, Any] = {}
    launchers = []
    labs = {mark.args[0] for item in request.session.items if (mark := item.get_closest_marker("lab"))}
    for lab, start in EARLY.items() if not hasattr(request.config, "workerinput") else ():
        if lab in labs:
            launcher = _launcher(request, submission, tmp_path_factory, f"early-{lab}", lab)
            launchers.append(launcher)
            try:
                started[lab] = start(launcher)
            except (CheckFailed, pytest.skip.Exception) as why:  # a missing program, say: each check that reads it says so
                started[lab] = why
    yield started
    for launcher in launchers:
        launcher.stop_all()


@pytest.fixture(autouse=True)
def own_network(request: pytest.FixtureRequest) -> Iterator[None]:
    """A check whose programs hard-code their ports runs in a network namespace of its own
    (where none can be made, the launcher skips the checks of those programs)."""
    mark = request.node.get_closest_marker("lab")
    if mark is None or not course_of(request.config).fixes(mark.args[0]) or namespaces_refused(request.config):
        yield
        return
    try:
        namespace = netns.Namespace()
    except OSError as error:
        pytest.skip(f"no network namespace could be made for this check: {error}")
    try:
        with namespace.entered():
            yield
    finally:
        namespace.close()
