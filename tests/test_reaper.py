"""The grading's reaper (graders/harness/reaper.py, Linux): a grading killed with SIGKILL runs no
teardown, and PR_SET_PDEATHSIG kills a program's root only; what the program forked dies too."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from graders import REPO

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the reaper is Linux's (/proc, PR_SET_PDEATHSIG)")

PROGRAMS = Path(__file__).resolve().parent / "programs"
STARTED_WITHIN = 30.0  # seconds for the grading to start its program, and the program its worker and helper
GONE_WITHIN = 5.0  # seconds for them to be gone once the grading is killed
POLL = 0.01
GRADING = textwrap.dedent(
    """
    # A grading reduced to its start of one program, then killed from outside.
    import sys, threading
    from pathlib import Path
    from graders.harness.launcher import Launcher
    from graders.harness.submission import Submission
    program = Launcher(Submission(Path(sys.argv[1])), Path(sys.argv[2])).start("forks_a_worker.py")
    print(program.workdir, flush=True)
    threading.Event().wait()
    """
)


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_what_a_program_forked_dies_with_a_grading_killed_with_sigkill(tmp_path: Path) -> None:
    """Its worker (its environment inherited) and the worker's helper (run with an empty
    environment, in the program's session): neither is the program's root, so no PR_SET_PDEATHSIG
    reaches them."""
    grading = subprocess.Popen([sys.executable, "-c", GRADING, str(PROGRAMS), str(tmp_path)], cwd=REPO,
                               stdout=subprocess.PIPE, text=True)
    pids: list[int] = []
    try:
        assert grading.stdout is not None
        written = Path(grading.stdout.readline().strip()) / "pids.txt"
        deadline = time.monotonic() + STARTED_WITHIN
        while not written.exists():
            assert time.monotonic() < deadline, f"forks_a_worker.py wrote no pids.txt within {STARTED_WITHIN:g} s"
            time.sleep(POLL)
        pids = [int(pid) for pid in written.read_text().split()]
        assert all(alive(pid) for pid in pids)
        grading.kill()
        grading.wait()
        deadline = time.monotonic() + GONE_WITHIN
        while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(POLL)
        left = dict(zip(("root", "worker", "helper"), pids))
        assert [name for name, pid in left.items() if alive(pid)] == [], f"still running {GONE_WITHIN:g} s after the grading's SIGKILL"
    finally:
        if grading.poll() is None:
            grading.kill()
            grading.wait()
        for pid in pids:
            if alive(pid):
                psutil.Process(pid).kill()  # the test's own clean-up of what it caused
