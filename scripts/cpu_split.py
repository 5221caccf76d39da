"""A pytest plugin ``scripts/bench.py`` loads into a grading (``-p cpu_split``): at its end, the CPU
seconds of the processes the grading waited for (the student's programs), written to the file
``NETLAB_BENCH_CPU`` names; the rest of the grading's CPU is the harness's."""

from __future__ import annotations

import os
import resource
from pathlib import Path

import pytest


def pytest_unconfigure(config: pytest.Config) -> None:
    target = os.environ.get("NETLAB_BENCH_CPU")
    if target:
        waited = resource.getrusage(resource.RUSAGE_CHILDREN)
        Path(target).write_text(f"{waited.ru_utime + waited.ru_stime}\n")
