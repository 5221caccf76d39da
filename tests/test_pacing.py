"""``netlab batch``'s pacing: another grading starts only while the CPUs have room, and the
batch's last line says what it achieved."""

from __future__ import annotations

import re

import pytest

from graders.commands import pacing


@pytest.fixture
def cpus(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The CPUs' busy %, as the pacer reads it (set ``[0]``); no wait between looks."""
    readings = [0.0]
    monkeypatch.setattr(pacing, "WINDOW", 0.0)
    monkeypatch.setattr(pacing.psutil, "cpu_percent", lambda interval=None: readings[0])
    return readings


def test_another_grading_starts_only_while_the_cpus_have_room(cpus: list[float]) -> None:
    pacer = pacing.Pacer(cores=2, fixed=None)
    cpus[:] = [pacing.BUSY + 5]
    assert pacer.admits(0) and pacer.admits(1), "one grading per core always runs"
    assert not pacer.admits(2) and not pacer.admits(3), "busy CPUs: no more"
    cpus[:] = [pacing.BUSY - 5]
    assert pacer.admits(2) and pacer.admits(11)
    assert not pacer.admits(12), f"{pacing.MOST_PER_CORE} per core at most"
    assert pacer.peak == 12


def test_jobs_fixes_the_number_whatever_the_cpus(cpus: list[float]) -> None:
    pacer = pacing.Pacer(cores=2, fixed=3)
    cpus[:] = [100.0]
    assert pacer.admits(2) and not pacer.admits(3)
    cpus[:] = [0.0]
    assert not pacer.admits(3)


def test_a_look_at_the_cpus_waits_its_window(cpus: list[float], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pacing, "WINDOW", 3600.0)
    pacer = pacing.Pacer(cores=2, fixed=None)
    assert not pacer.admits(2), "the first window has not passed: a grading just started shows no load yet"


def test_the_last_line_says_the_rate_the_cpu_and_the_share_of_the_bound() -> None:
    line = pacing.Throughput.start(cores=2).line(graded=4, peak=3)
    assert re.fullmatch(r"4 gradings in \d+ s: [\d.]+ submissions/min at [\d.]+ CPU s per submission, \d+% of the CPU bound "
                        r"\(2 cores x 60 / [\d.]+ = [\d.]+/min\); up to 3 at once; all the machine's work kept its CPUs \d+% busy", line), line
