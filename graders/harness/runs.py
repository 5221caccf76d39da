"""A student's client run against one of the graders' fake servers, shared by several checks.

Started early (often several at once, so their waits overlap), finished once,
on the first check that reads it, then read by every check that needs it
(DESIGN.md principle 4). A lab whose runs take long (the pinger's ten lost pings) registers
them with ``@starts_early(lab)``: a grading starts them with the session, so their waits
overlap every other lab's checks, and runs that lab's checks last.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Generic, Protocol, TypeVar

import pytest

from graders.harness.programs import Program
from graders.network import netns

EARLY: dict[str, Callable[[Any], Any]] = {}  # per lab: what starts its long runs, given a launcher
FAILED = pytest.StashKey[bool]()  # set by the plugin on a check that failed (any phase)


def starts_early(lab: str) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
    """Register ``start(launcher) -> runs`` as the lab's long runs (see the module's docstring)."""

    def register(start: Callable[[Any], Any]) -> Callable[[Any], Any]:
        EARLY[lab] = start
        return start

    return register


def taken(early_runs: dict[str, Any], lab: str) -> Any:
    """The lab's long runs, if the session started them (once: the module's fixture then owns them)."""
    runs = early_runs.pop(lab, None)
    if isinstance(runs, BaseException):
        raise runs
    return runs


class Closable(Protocol):
    def close(self) -> None: ...


Server = TypeVar("Server", bound=Closable)
Runs = TypeVar("Runs", bound=Mapping[str, Closable])


@contextmanager
def closed_on_failure(runs: Runs) -> Iterator[Runs]:
    """Runs being started, into ``runs``: should starting one fail, those already started are closed."""
    try:
        yield runs
    except BaseException:
        _close_all(runs)
        raise


def closed_at_the_end(runs: Runs) -> Iterator[Runs]:
    """A module fixture's body: the lab's runs for its checks, every one closed after the last."""
    try:
        yield runs
    finally:
        _close_all(runs)


def _close_all(runs: Mapping[str, Closable]) -> None:
    for run in runs.values():
        run.close()


class PeerRun(Generic[Server]):
    """``program`` talking to ``server``; ``finish()`` lets it end (killed ``within`` seconds
    after it started), then closes the server, once."""

    def __init__(self, program: Program, server: Server, within: float) -> None:
        self.program = program
        self.server = server
        self.within = within
        self.finished = False

    def finish(self) -> None:
        if not self.finished:
            self.finished = True
            self.program.finish(self.within)
            self.server.close()

    def close(self) -> None:
        """At the end of the module: whatever was never finished."""
        self.program.stop()
        if not self.finished:
            self.finished = True
            self.server.close()


Started = TypeVar("Started")


class Shared(Generic[Started]):
    """A server the checks of a module share while they leave it as they found it (DESIGN.md
    principle 7): started on first use, and again after a check that failed (it may be what is
    broken) or a server that died; ``program(started)`` is its process. One that hard-codes its
    port (``network`` makes a namespace for it, else None) lives in a network namespace of its own,
    made with each start and closed with it, and each check it is lent to runs there: in each
    check's own network it was started again for every check (9 more starts of a textbook
    WebServer.py, 0.15 s each beside other gradings); a new start, a new network, so its port is
    never held by the last one's closed connections."""

    def __init__(
        self, start: Callable[[], Started], program: Callable[[Started], Program],
        network: Callable[[], netns.Namespace | None] = lambda: None,
    ) -> None:
        self._start = start
        self._program = program
        self._new_network = network
        self._current: Started | None = None
        self._network: netns.Namespace | None = None

    def lend(self, check: pytest.Item, servers: list[Program]) -> Iterator[Started]:
        """The server for ``check``, a fixture's body, the check in the server's network meanwhile:
        added to ``servers`` (the check's launcher's, so its death during the check is the check's
        to tell); discarded after it if it failed."""
        if self._current is None or self._program(self._current).returncode is not None:
            self.discard()
            self._network = self._new_network()
            with netns.inside(self._network):
                self._current = self._start()
        servers.append(self._program(self._current))
        with netns.inside(self._network):
            yield self._current
        if check.stash.get(FAILED, False):
            self.discard()

    def discard(self) -> None:
        if self._current is not None:
            self._program(self._current).stop()
            self._current = None
        if self._network is not None:
            self._network.close()
            self._network = None
