"""A lab's long runs are closed whatever happens: those started before one failed to start, and
every one after the module's last check (a run left open is a student program left running)."""

from __future__ import annotations

import pytest

from graders.harness.runs import closed_at_the_end, closed_on_failure


class Run:
    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_runs_started_before_a_failed_start_are_closed() -> None:
    runs: dict[str, Run] = {}
    with pytest.raises(OSError), closed_on_failure(runs):
        runs["first"] = Run()
        raise OSError("the second could not start")
    assert runs["first"].closed


def test_runs_that_all_started_stay_open_until_the_end() -> None:
    runs: dict[str, Run] = {}
    with closed_on_failure(runs):
        runs["first"] = Run()
    assert not runs["first"].closed
    fixture = closed_at_the_end(runs)
    assert next(fixture) is runs and not runs["first"].closed
    with pytest.raises(StopIteration):
        next(fixture)
    assert runs["first"].closed
