"""A grading ended by a signal leaves no program running (DESIGN.md "Targets").

Ctrl-C (SIGINT), a shutdown or ``kill`` (SIGTERM), a closed terminal (SIGHUP, its terminal gone
too) and, on Linux, SIGKILL: each sent to ``pytest graders/`` mid-grading, while its programs
run (each in a session of its own, out of reach of the terminal's signals). A program is any
process that inherited this test's tag in its environment, found wherever it went; after the
grading ends, none may be left. The web server is the reference's, silent: a server that prints
per request dies of a broken pipe at its next client, an idle one would run for good. Or it forks
per request, as students write, and its children, forgetting to exit, serve on beside it: the
signal then comes once one runs (a grandchild of the grading, which no PR_SET_PDEATHSIG reaches).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psutil
import pytest

from graders.harness.programs import tagged
from tests.conftest import HEAVY, as_in_a_terminal
from tests.grading import GRADERS, REFERENCE

pytestmark = [HEAVY, pytest.mark.skipif(os.name != "posix", reason="signals and a pseudo-terminal: POSIX")]

TAG = "GRADING_UNDER_TEST"  # inherited by every program the grading starts
RUNNING_WITHIN = 60.0  # seconds for the grading to have programs running (a loaded machine)
ENDED_WITHIN = 60.0  # seconds for pytest to end after the signal (its teardown kills each program)
GONE_WITHIN = 5.0  # seconds for what it left to die (SIGKILL: the kernel's PR_SET_PDEATHSIG)
SILENT = "import os, sys; sys.stdout = sys.stderr = open(os.devnull, 'w')\n"  # no broken pipe to die of
SERVER = "webserver.py"  # a program that runs until it is killed: what must be running at the signal
POLL = 0.05
THREAD = """threading.Thread(target=handle_connection,
                         args=(connection, address, root), daemon=True).start()"""
FORK = """if os.fork() == 0:  # the child answers, then forgets to exit: it accepts on, as its parent does
            handle_connection(connection, address, root)
        else:
            connection.close()"""


def forking(threaded: str) -> str:
    """The reference with a process per connection for a thread: it answers right, so the graders
    keep it from check to check, and its children live as long (a server that answered 404 was
    replaced after each check, its children with it, too soon to be seen at a busy moment)."""
    assert THREAD in threaded, "the reference no longer starts a thread per connection as this test expects"
    return threaded.replace(THREAD, FORK)


SERVERS = {"threaded": SILENT + (REFERENCE / SERVER).read_text(), "forking": SILENT + forking((REFERENCE / SERVER).read_text())}

SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]
if sys.platform == "linux":
    SIGNALS.append(signal.SIGKILL)


def programs_of(tag: str, grading: int) -> list[psutil.Process]:
    return [process for process in tagged(TAG, tag) if process.pid != grading]


def servers(tag: str, grading: int) -> list[psutil.Process]:
    return [process for process in programs_of(tag, grading) if SERVER in command_line(process)]


def serving(tag: str, grading: int, forked: bool) -> bool:
    """A server runs; ``forked``: one a server forked, too."""
    running = servers(tag, grading)
    pids = {process.pid for process in running}
    return any(parent(process) in pids for process in running) if forked else bool(running)


def parent(process: psutil.Process) -> int | None:
    try:
        return process.ppid()
    except psutil.Error:
        return None


def command_line(process: psutil.Process) -> str:
    """Its command line; empty once it is gone, or a zombie (a forked child exits as it is looked at)."""
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


def wait_for(predicate, within: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(POLL)
    return predicate()


def drain(fd: int) -> None:
    """Read the terminal's output until it closes, so a write never blocks the grading."""
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("signum", SIGNALS, ids=[sig.name for sig in SIGNALS])
def test_a_grading_ended_by_a_signal_leaves_no_program_running(signum: signal.Signals, server: str, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex
    submission = shutil.copytree(REFERENCE, tmp_path / "submission")
    (submission / SERVER).write_text(SERVERS[server])
    terminal, its_end = os.openpty()
    grading = subprocess.Popen(
        [sys.executable, "-m", "pytest", str(GRADERS), "--submission", str(submission), "--lab", "pinger", "--lab", "webserver",
         "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "base")],
        stdin=subprocess.DEVNULL, stdout=its_end, stderr=its_end, env=os.environ | {TAG: tag}, start_new_session=True,
        preexec_fn=as_in_a_terminal,
    )
    os.close(its_end)
    reader = threading.Thread(target=drain, args=(terminal,), daemon=True)
    reader.start()
    try:
        forked = server == "forking"
        running = wait_for(lambda: serving(tag, grading.pid, forked), RUNNING_WITHIN)
        assert running, f"the grading started no {SERVER}{' that forked' if forked else ''} within {RUNNING_WITHIN:g} s"
        if signum == signal.SIGHUP:
            os.close(terminal)  # the window closed: its writes now fail (EIO)
        grading.send_signal(signum)
        status = grading.wait(ENDED_WITHIN)
        if signum == signal.SIGHUP:  # its terminal gone, a last write fails (EIO): any status but a whole grading's 0
            assert status != pytest.ExitCode.OK, "it graded to the end: the signal did not interrupt it"
        else:
            assert status == (-signum if signum == signal.SIGKILL else pytest.ExitCode.INTERRUPTED), f"it ended with {status}, not interrupted"
        wait_for(lambda: not programs_of(tag, grading.pid), GONE_WITHIN)
        left = [f"{process.pid} {command_line(process)}" for process in programs_of(tag, grading.pid)]
        assert left == [], f"after {signum.name}, {len(left)} program(s) still run:\n" + "\n".join(left)
    finally:  # the grading first, so that it starts no more; then, by pid, what it left
        if grading.poll() is None:
            grading.kill()
            grading.wait()
        for process in programs_of(tag, grading.pid):
            try:
                process.kill()
            except psutil.NoSuchProcess:
                continue  # ended meanwhile: a forked child exits as it is killed
        if signum != signal.SIGHUP:
            os.close(terminal)
