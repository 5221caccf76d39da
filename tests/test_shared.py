"""runs.Shared under the plugin: a server is lent on to the next check only after a check that
passed (DESIGN.md principle 7), the plugin telling it which checks failed (with pytester)."""

from __future__ import annotations

import pytest

SHARING = '''
import pytest

from graders.harness.runs import FAILED, Shared
from graders.vocabulary.checks import lab, points
from graders.vocabulary.failures import CheckFailed

pytestmark = lab("demo")


class Server:
    """Stands for a server's process: alive until stopped."""

    returncode = None

    def stop(self):
        self.returncode = -9


STARTED = []


def start():
    STARTED.append(Server())
    return STARTED[-1]


@pytest.fixture(scope="module")
def shared():
    return Shared(start, lambda server: server)


@pytest.fixture
def server(request, shared):
    yield from shared.lend(request.node, [])


@points(1)
def test_passes(server):
    """The first server."""
    assert server is STARTED[0]


@points(1)
def test_is_lent_the_same_server(server):
    """Kept after a check that passed."""
    assert server is STARTED[0]


@points(1)
def test_fails_with_a_message(server):
    """A check that breaks its server."""
    raise CheckFailed(expected="an answer", got="none")


@points(1)
def test_is_lent_a_new_server(server):
    """Replaced after a check that failed, the broken one stopped."""
    assert len(STARTED) == 2 and server is STARTED[1]
    assert STARTED[0].returncode is not None


@points(1)
def test_fails_with_an_error(server):
    """A check that fails otherwise (a bug of its own, a fixture's error)."""
    raise OSError("broken pipe")


@points(1)
def test_is_lent_a_third_server(server):
    """Replaced after that one too."""
    assert len(STARTED) == 3 and server is STARTED[2]


@points(1)
def test_the_hook_marked_only_the_failed_checks(request):
    """What the plugin left in each check's stash."""
    marked = [item.name for item in request.session.items if item.stash.get(FAILED, False)]
    assert marked == ["test_fails_with_a_message", "test_fails_with_an_error"]
'''


def test_a_shared_server_is_replaced_after_a_failed_check_and_only_then(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_sharing=SHARING)
    (pytester.path / "submission").mkdir()
    result = pytester.runpytest("--submission", "submission")
    result.assert_outcomes(passed=5, failed=2)
    result.stdout.fnmatch_lines(["*FAILED*test_fails_with_a_message*", "*FAILED*test_fails_with_an_error*"])
