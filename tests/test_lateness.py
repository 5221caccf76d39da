"""The graders see a busy machine's delays as the overrun of their own short waits."""

from __future__ import annotations

import time

from graders.harness.lateness import PROBE_EVERY, Lateness

STALL = 0.2  # seconds


def test_a_stall_shows_as_lateness() -> None:
    """The stall: one C call that holds the GIL for about 0.2 s, as a busy CPU keeps a waiting
    thread from running; the probe's wait cannot end before it returns. Three stalls, 50 ms
    apart: on a machine busy enough to keep the probe from starting its next wait before one
    begins, another shows it."""
    count = summed_in(STALL)
    stalls = []
    with Lateness() as seen:
        for _ in range(3):
            time.sleep(0.05)
            began = time.monotonic()
            sum(range(count))
            stalls.append(time.monotonic() - began)
    assert seen.worst >= min(stalls) - PROBE_EVERY, (seen.worst, stalls)


def summed_in(seconds: float) -> int:
    """How many integers one ``sum(range(n))`` adds here in about ``seconds``."""
    began = time.monotonic()
    sum(range(1_000_000))
    return int(1_000_000 * seconds / max(time.monotonic() - began, 1e-6))
