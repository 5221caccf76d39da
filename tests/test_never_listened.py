"""A server that never listens costs its lab one wait, not one a check (graders/harness/never_listened.py)."""

from __future__ import annotations

import time
from pathlib import Path

from graders.harness.never_listened import LATE_FACTOR
from graders.harness.programs import READY_WITHIN
from tests.grading import KNOWN_BAD, KnownSubmission, grade


def test_a_webserver_that_never_listens_costs_one_wait_and_every_check_says_why(tmp_path: Path) -> None:
    """Each of its checks waited READY_WITHIN before (14 x 5 s: 72.8 s a grading of the lab); now the
    first waits it, the next until twice it, the rest not at all, and each names the first. The old
    waits alone, bounds of wall time, took longer than this whole grading may take on a busy machine
    (14.1 s measured at a load of 13 on 2 cores, 23.8 s at 27)."""
    bad = KnownSubmission.load(KNOWN_BAD / "webserver" / "never_listens_on_tcp")
    started = time.monotonic()
    grading = grade(bad.assemble(tmp_path), [bad.lab], tmp_path)
    took = time.monotonic() - started
    waits_before = len(bad.fails) * READY_WITHIN
    assert took < waits_before, f"the grading took {took:.1f} s; its checks' waits alone were {waits_before:g} s before"
    assert grading.failed() == bad.fails
    outputs = {check: grading.output_of(check) for check in bad.fails}
    (first,) = [check for check, output in outputs.items() if "it holds no TCP port after" in output]
    said = [f"got:      it never listened: started in {first}, `python webserver.py ",
            f"held no TCP port within {READY_WITHIN:g} s, nor {LATE_FACTOR * READY_WITHIN:g} s after its start"]
    for check in outputs.keys() - {first}:
        assert all(part in outputs[check] for part in said), f"{check}:\n{outputs[check]}"
