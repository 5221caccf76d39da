"""A server's death is told by the failed check during which it happened, once: not again by
each later check of its lab (a lab's shared servers and runs are in every check's fixtures),
and a server the harness stopped (a shared one replaced after a failed check) did not die."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.grading import KNOWN_BAD, KnownSubmission, grade

DURING = "during the check"
LATER_FAULT = KnownSubmission.load(KNOWN_BAD / "webserver" / "http_client_no_host")


@pytest.mark.parametrize(("breaks_the_server", "notes"), [
    ("exits_on_a_missing_file", ["exited with status 1 during the check", "no such file, the server stops"]),
    ("not_found_deadlocks_every_later_request", []),
])
def test_a_death_is_told_once_by_its_own_check(breaks_the_server: str, notes: list[str], tmp_path: Path) -> None:
    """The shared server dies in the 404 check (or is wedged there and replaced); a later check
    of the lab fails for a fault of its own (the client's Host header) and says nothing of it."""
    broken = KnownSubmission.load(KNOWN_BAD / "webserver" / breaks_the_server)
    grading = grade(broken.assemble(tmp_path, LATER_FAULT.path), ["webserver"], tmp_path)
    assert grading.failed() == broken.fails | LATER_FAULT.fails, grading.output[-4000:]
    [died_in] = broken.fails
    [later] = LATER_FAULT.fails
    told = grading.output_of(died_in)
    assert told.count(DURING) == len(notes[:1]), told
    assert all(note in told for note in notes), told
    assert DURING not in grading.output_of(later), grading.output_of(later)
