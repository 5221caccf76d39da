"""The harness's own tests: pytester for the plugin, and xdist's grouping for the heavy ones.

Tests that load the machine (hostile submissions, gradings that run in parallel themselves) carry
``xdist_group("heavy")``: under ``-n`` they run one after another on one worker, so the timing
checks of the gradings running beside them (the pinger's RTTs, say) are not starved into failing.
"""

import signal

import pytest

pytest_plugins = ["pytester"]

HEAVY = pytest.mark.xdist_group("heavy")


def pytest_configure(config: pytest.Config) -> None:
    if getattr(config.option, "numprocesses", None) and getattr(config.option, "dist", "no") in ("no", "load"):
        config.option.dist = "loadgroup"


def as_in_a_terminal() -> None:
    """A ``preexec_fn``: SIGINT as a terminal's foreground job has it (a background job, CI's,
    inherits it ignored, and Python then installs no Ctrl-C handler)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
