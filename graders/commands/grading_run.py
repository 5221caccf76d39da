"""One submission's grading for ``netlab batch``: its own process tree, bounded, logged, killed.

``pytest graders/ --submission DIR`` runs in its own session with the results directory as
its working directory (never the submission's, whose ``pytest.ini`` or ``conftest.py``
must not configure its own grading), its output in a log file (a flood goes to disk, not
to memory), and a wall-time limit; at the limit, and after every grading, whatever is left
of its tree is killed, including processes that left it, found by a marker in their
environment (the graders strip ``NETLAB_*`` variables from student programs, so it is not one).

At the limit the grading is interrupted as Ctrl-C would (SIGINT, as the Gradescope
autograder's ``timeout --signal=INT`` does): pytest stops the check under way, ends every
program, and writes results.json with the checks that finished, which then count; it has
``INTERRUPT_GRACE`` seconds for that before the tree is killed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from graders import GRADERS
from graders.harness.programs import descendants, kill_tree, own_session, tagged

MARKER = "GRADING_TREE"  # environment variable that tags every process of one grading
LOG_TAIL = 4096  # bytes read from the end of a log for its last line
LINE_CUT = 200  # characters of the log's last line kept in the error column
RESULTS = "results.json"
LOG = "grading.log"
INTERRUPT_GRACE = 15.0  # seconds an interrupted grading has to write the checks that finished
INTERRUPTED = 2  # pytest's exit status when interrupted


@dataclass(frozen=True)
class Outcome:
    """How one grading ended: its results.json (None if it wrote none) and, if it did not
    run to its end, why (empty otherwise)."""

    name: str
    results: dict[str, Any] | None
    error: str
    seconds: float
    status: int | None = None  # pytest's exit status; None when it was stopped at its limit


def grading_command(submission: Path, results: Path, labs: list[str], pytest_args: list[str]) -> list[str]:
    """The command a student or CI would run, plus the batch's extra pytest options."""
    command = [sys.executable, "-m", "pytest", str(GRADERS), f"--submission={submission.resolve()}",
               f"--results-json={results}", "-q", "-p", "no:cacheprovider"]
    return command + [f"--lab={lab}" for lab in labs] + pytest_args


def course_option(profile: str | None) -> list[str]:
    """``--course`` for a grading, a file's path made absolute (gradings run in their own directory)."""
    if not profile:
        return []
    return ["--course", str(Path(profile).resolve()) if Path(profile).is_file() else profile]


class GradingRun:
    """A started grading: ``finish()`` waits for it within its limit, ``kill()`` ends it."""

    def __init__(self, submission: Path, outdir: Path, labs: list[str], pytest_args: list[str]) -> None:
        self.name = submission.name
        outdir.mkdir(parents=True, exist_ok=True)
        self.results = outdir / RESULTS
        self.results.unlink(missing_ok=True)  # a stale one would pass for this grading's
        self.log = outdir / LOG
        self.marker = uuid.uuid4().hex
        self.started = time.monotonic()
        with self.log.open("wb") as log:
            self._popen = subprocess.Popen(
                grading_command(submission, self.results.resolve(), labs, pytest_args),
                cwd=outdir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=os.environ | {MARKER: self.marker, "PYTHONUNBUFFERED": "1"}, **own_session(),
                preexec_fn=_interruptible if os.name == "posix" else None,
            )

    def finish(self, within: float) -> Outcome:
        """Wait until ``within`` seconds after the start; kill the tree then, or its leftovers."""
        try:
            status = self._popen.wait(timeout=max(0.0, self.started + within - time.monotonic()))
        except subprocess.TimeoutExpired:
            return self._timed_out(within)
        self.kill()  # a student daemon the graders missed must not outlive its grading
        results, unreadable = _read_results(self.results)
        error = self._error(status, results, unreadable)
        # A grading that did not end by itself did not write the file last: a program may have.
        return Outcome(self.name, None if error else results, error, time.monotonic() - self.started, status)

    def _timed_out(self, within: float) -> Outcome:
        """Interrupt the grading; keep the checks it finished, if it wrote them in its grace."""
        status: int | None = None
        try:
            if os.name == "posix":  # its own session: the group is pytest (and xdist's workers), not the programs
                os.killpg(self._popen.pid, signal.SIGINT)
                status = self._popen.wait(timeout=INTERRUPT_GRACE)
        except (ProcessLookupError, PermissionError, subprocess.TimeoutExpired):
            status = None
        self.kill()
        results, _ = _read_results(self.results) if status == INTERRUPTED else (None, "")
        finished = len((results or {}).get("tests", []))
        why = f"timeout after {within:g} s" + (f": only the {finished} checks that finished count" if finished else "")
        return Outcome(self.name, results if finished else None, why, time.monotonic() - self.started)  # status None: stopped at its limit

    def _error(self, status: int, results: dict[str, Any] | None, unreadable: str) -> str:
        """Empty for a grading that ran to its end (0: all passed, 1: some failed)."""
        if status < 0:
            return f"killed by signal {signal.Signals(-status).name}: {self.last_line()}"
        if status not in (0, 1):
            return f"exit status {status}: {self.last_line()}"
        if results is None:
            return f"no {RESULTS} ({unreadable or 'not written'}), exit status {status}: {self.last_line()}"
        return ""

    def last_line(self) -> str:
        """The log's last non-empty line: pytest's verdict, or the traceback's last words."""
        with self.log.open("rb") as log:
            log.seek(max(0, log.seek(0, os.SEEK_END) - LOG_TAIL))
            lines = log.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1].strip()[:LINE_CUT] if lines else "(empty log)"

    def kill(self) -> None:
        """Kill the grading and every process it started, wherever they went; wait until gone."""
        alive = self._popen.returncode is None  # once reaped, its pid may be another process's
        tree = _tree(self._popen.pid) if alive else []
        processes = tree + [p for p in tagged(MARKER, self.marker) if p.pid not in {t.pid for t in tree}]
        kill_tree(self._popen, processes, group=alive)


def _interruptible() -> None:
    """The grading heeds SIGINT, its interrupt at the limit: a batch started in the background (CI,
    nohup, a scheduler) passes SIGINT on ignored, and pytest then installs no handler for it, so a
    grading that reached its limit was killed after its grace with nothing kept."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _read_results(path: Path) -> tuple[dict[str, Any] | None, str]:
    """results.json, or None and why it could not be read."""
    if not path.is_file():
        return None, ""
    try:
        return json.loads(path.read_text(encoding="utf-8")), ""
    except (OSError, ValueError) as error:
        return None, f"unreadable: {error}"


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *descendants(root)]
    except psutil.NoSuchProcess:
        return []
