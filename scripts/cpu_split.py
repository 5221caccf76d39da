"""A pytest plugin ``scripts/bench.py`` loads into a grading (``-p cpu_split``): at its end, the CPU
seconds of the grading process itself (the harness: pytest, the fakes, the clients) and of the
processes it waited for (the student's programs), written to the file ``NETLAB_BENCH_CPU`` names."""

from __future__ import annotations

import os
import resource
from pathlib import Path

import pytest


def pytest_unconfigure(config: pytest.Config) -> None:
    target = os.environ.get("NETLAB_BENCH_CPU")
    if target:
        own, waited = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        Path(target).write_text(f"{own.ru_utime + own.ru_stime} {waited.ru_utime + waited.ru_stime}\n")
