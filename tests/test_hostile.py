"""Hostile submissions, graded end to end (DESIGN.md "Targets"): each costs only its own points, with a
message, within its time limit, leaves no process behind, and cannot forge its grade.

Each fixture is a directory ``fixtures/hostile/<name>/``: the program (or two) that replace the
reference's in an otherwise reference submission, written as hostile code would be but bounded so that it
is safe unsandboxed (each says how at its top), and ``hostile.toml``::

    lab = "echo"              # the one lab graded (each fixture picks a fast one)
    breaks = "..."            # what it does, and what that costs
    fails = ["test_..."]      # exactly the checks it fails: with --isolate, and without unless said below
    plain_fails = [...]       # optional: the checks it fails without --isolate, where that differs
    plain_gap = "..."         # optional: why, without --isolate, it defeats the harness (a known gap);
                              # that mode then runs as a strict xfail, so closing the gap shows as XPASS
    isolate_gap = "..."       # optional: the same, with --isolate
    needs_pids_cgroup = true  # optional: its --isolate verdict needs the sandbox's cap on processes (that
                              # mode is skipped where no pids cgroup can be made)
    within = 60               # seconds the whole grading may take, in either mode

Each fixture is graded in two modes: without --isolate, and with it where this machine grants a sandbox
(``make_sandbox(...)[0] is not None``; otherwise that mode is skipped, saying what is missing). A grading
is ``python -m pytest graders/ -q``, its --basetemp and results.json in the test's temporary directory,
its output read through pipes as a terminal or a CI log would. It runs under a watcher (``WATCHER``): a
child subreaper that starts it in a session of its own (so a program that kills its parent's process
group takes down that grading, never this test run) and to which every process the grading leaves
behind is reparented, however it left the tree. Each grading must:

(a) fail exactly the expected checks, each with a message that starts with ``rule:``, and exit 1 (0
    when nothing fails);
(b) end within the fixture's ``within`` seconds;
(c) leave the graders' own results.json: the lab's real checks (as the rubric lists them), each scored 0
    or its points as its verdict says, and the score their sum;
(d) leave no process behind: none of the watcher's descendants, and no process whose command line or
    working directory lies in the test's temporary directory or names the fixture, is alive 1 s after
    the grading ended (those found are then killed, by pid, so that one failure does not spill into
    other tests);
(e) show no forged line as a line of its own: exactly one pytest summary line, one ``netlab score``
    header and one score-table total, with the graders' numbers, and no verbose ``path::test PASSED``
    line (the grading runs with -q, so such a line can only be a program's); a program's output shows
    only inside a failure message, indented.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO

import psutil
import pytest

from tests.conftest import HEAVY

pytestmark = HEAVY

from graders.harness.isolation import make_sandbox
from tests.grading import GRADERS, GRADING_WITHIN, REFERENCE, REPO

HOSTILE = REPO / "fixtures" / "hostile"
SANDBOX, MISSING = make_sandbox(Path(tempfile.gettempdir()))  # what --isolate gets here; the gradings make their own
if SANDBOX is not None:
    SANDBOX.close()
GONE_WITHIN = 1.0  # seconds after the grading's end by which every process it started must be gone
WAIT_PAST_WITHIN = 30.0  # seconds past a fixture's bound before its grading is killed (it fails (b) anyway)

SUMMARY = re.compile(
    r"(=+ )?(\d+ (failed|passed|deselected|errors?|skipped|xfailed|xpassed|warnings?|rerun)(, )?)+"
    r" in [\d.]+s( \([\d:.]+\))?( =+)?"
)
SCORE_HEADER = re.compile(r"=+ netlab score =+")
SCORE_TOTAL = re.compile(r"│ total\s+│\s+│\s+(\d+)/(\d+) │")
VERBOSE_RESULT = re.compile(r"\S+::\S+ (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b")


@dataclass(frozen=True)
class Hostile:
    """A hostile submission: the reference with some programs replaced."""

    name: str
    path: Path
    lab: str
    breaks: str
    fails: frozenset[str]
    plain_fails: frozenset[str]
    plain_gap: str | None
    isolate_gap: str | None
    needs_pids_cgroup: bool
    within: float

    @classmethod
    def load(cls, path: Path) -> Hostile:
        spec = tomllib.loads((path / "hostile.toml").read_text())
        fails = frozenset(spec["fails"])
        return cls(
            path.name, path, spec["lab"], spec["breaks"], fails,
            frozenset(spec.get("plain_fails", fails)), spec.get("plain_gap"), spec.get("isolate_gap"),
            spec.get("needs_pids_cgroup", False), float(spec["within"]),
        )

    def expected_fails(self, isolate: bool) -> frozenset[str]:
        return self.fails if isolate else self.plain_fails

    def assemble(self, into: Path) -> Path:
        submission = into / "submission"
        shutil.copytree(REFERENCE, submission)
        for program in self.path.glob("*.py"):
            shutil.copy(program, submission / program.name)
        return submission


@dataclass(frozen=True)
class Finished:
    """One grading of a hostile submission, as it ended."""

    status: int | None  # None: the watcher itself failed
    seconds: float
    stdout: str
    stderr: str
    results: dict | None  # the results.json it left, if any
    leftovers: list[str]  # processes still alive GONE_WITHIN after its end (killed since)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def tail(self, chars: int = 4000) -> str:
        return f"--- stdout (end) ---\n{self.stdout[-chars:]}\n--- stderr (end) ---\n{self.stderr[-chars:]}"


# The grading's parent: a child subreaper (Linux), so every process the grading leaves, however it left the
# tree (a double fork, setsid, a scrubbed environment, chdir("/")), is reparented to it and found among its
# descendants once the grading has ended. It starts the grading in a session of its own (a program that
# kills its parent's process group takes down the grading, not the watcher), kills that session at the
# deadline, and writes what it saw to a JSON file.
WATCHER = """
import ctypes, json, os, signal, subprocess, sys, time
import psutil
report, deadline, gone_within, command = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4:]
subreaper = sys.platform.startswith("linux") and ctypes.CDLL(None).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
started = time.monotonic()
grading = subprocess.Popen(command, start_new_session=True)
try:
    status = grading.wait(timeout=deadline)
except subprocess.TimeoutExpired:
    os.killpg(grading.pid, signal.SIGKILL)
    status = grading.wait()
seconds = time.monotonic() - started

def reap():
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass

def alive():
    reap()
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE:
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found

until = time.monotonic() + gone_within
while (left := alive()) and time.monotonic() < until:
    time.sleep(0.05)
described = []
for process in left:
    try:
        described.append(f"pid {process.pid} ({process.status()}, cwd {process.cwd()}): {' '.join(process.cmdline())[:200]}")
        process.kill()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        pass
psutil.wait_procs(left, timeout=5)
reap()
with open(report, "w") as f:
    json.dump({"status": status, "seconds": seconds, "leftovers": described, "subreaper": subreaper}, f)
"""


def grade(submission: Path, hostile: Hostile, workdir: Path, isolate: bool) -> Finished:
    """Grade under the watcher, the output read through pipes (as a terminal or a CI log would read it)."""
    results, report = workdir / "results.json", workdir / "watcher.json"
    command = [sys.executable, "-m", "pytest", str(GRADERS), "--submission", str(submission), "--lab", hostile.lab,
               "--results-json", str(results), "--basetemp", str(workdir / "basetemp"), "-q", "-p", "no:cacheprovider"]
    if isolate:
        command.append("--isolate")
    deadline = min(hostile.within + WAIT_PAST_WITHIN, GRADING_WITHIN)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "NETLAB_"))}  # as run by hand
    watcher = subprocess.Popen([sys.executable, "-c", WATCHER, str(report), str(deadline), str(GONE_WITHIN), *command],
                               cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)
    stdout, stderr = _Reader(watcher.stdout), _Reader(watcher.stderr)  # type: ignore[arg-type]
    try:
        watcher.wait(timeout=deadline + GONE_WITHIN + 30)
    except subprocess.TimeoutExpired:
        os.killpg(watcher.pid, signal.SIGKILL)
        watcher.wait()
    try:
        seen = json.loads(report.read_text())
    except (OSError, ValueError):
        seen = {"status": None, "seconds": float("inf"), "leftovers": [f"the watcher failed (status {watcher.returncode})"]}
    left = seen["leftovers"] + _leftovers([str(workdir), str(hostile.path)])
    try:
        found = json.loads(results.read_text())
    except (OSError, ValueError):
        found = None
    return Finished(seen["status"], seen["seconds"], stdout.text(), stderr.text(), found, left)


class _Reader:
    """A pipe read to its end by a thread; ``text()`` waits a little for that end (a process that kept the
    pipe open past the grading would be a leftover, found and killed by then)."""

    def __init__(self, pipe: IO[bytes]) -> None:
        self._pipe = pipe
        self._chunks: list[bytes] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while chunk := self._pipe.read1(65536):  # type: ignore[attr-defined]
            self._chunks.append(chunk)

    def text(self) -> str:
        self._thread.join(5)
        return b"".join(self._chunks).decode("utf-8", "replace")


def _leftovers(markers: list[str]) -> list[str]:
    """Processes that name the grading's directory (or the fixture) still alive GONE_WITHIN after its end, where
    the watcher could not be their subreaper; each is then killed."""
    deadline = time.monotonic() + GONE_WITHIN
    while True:
        found = [p for p in psutil.process_iter() if p.pid != os.getpid() and _belongs(p, markers)]
        if not found or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    described = []
    for process in found:
        try:
            described.append(f"pid {process.pid} ({process.status()}, cwd {process.cwd()}): {' '.join(process.cmdline())[:200]}")
            process.kill()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    psutil.wait_procs(found, timeout=5)
    return described


def _belongs(process: psutil.Process, markers: list[str]) -> bool:
    try:
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        command = " ".join(process.cmdline())
        try:
            cwd = process.cwd()
        except (psutil.AccessDenied, FileNotFoundError):
            cwd = ""
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
        return False
    return any(marker in command or cwd == marker or cwd.startswith(marker + os.sep) for marker in markers)


@cache
def rubric(lab: str) -> dict[str, tuple[str, int]]:
    """The lab's checks, as the graders themselves list them: name -> (group, points)."""
    script = (
        "import json, sys\n"
        "from graders.reports.rubric import collect_checks\n"
        "checks = collect_checks([sys.argv[1]])\n"
        "print('RUBRIC ' + json.dumps([[c.name, c.group, c.points] for c in checks]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, lab], cwd=REPO, capture_output=True, text=True, timeout=120)
    line = next((line for line in done.stdout.splitlines() if line.startswith("RUBRIC ")), None)
    assert line is not None, f"collecting the rubric of {lab} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
    return {name: (group, points) for name, group, points in json.loads(line.removeprefix("RUBRIC "))}


def _cases() -> list:  # type: ignore[type-arg]
    fixtures = sorted((Hostile.load(path.parent) for path in HOSTILE.glob("*/hostile.toml")), key=lambda h: (-h.within, h.name))
    cases = []
    for hostile in fixtures:
        for mode, gap in (("plain", hostile.plain_gap), ("isolate", hostile.isolate_gap)):
            marks = [pytest.mark.timeout(hostile.within + WAIT_PAST_WITHIN + 60)]
            if gap:
                marks.append(pytest.mark.xfail(strict=True, raises=AssertionError, reason=f"gap: {gap}"))
            if mode == "isolate":
                no_cap = hostile.needs_pids_cgroup and SANDBOX is not None and SANDBOX.cgroups is None
                marks.append(pytest.mark.skipif(SANDBOX is None or no_cap, reason="; ".join(MISSING)))
            cases.append(pytest.param(hostile, mode == "isolate", id=f"{hostile.name}-{mode}", marks=marks))
    return cases


@pytest.mark.parametrize(("hostile", "isolate"), _cases())
def test_hostile_submission_costs_only_its_own_points(hostile: Hostile, isolate: bool, tmp_path: Path) -> None:
    grading = grade(hostile.assemble(tmp_path), hostile, tmp_path, isolate)
    mode = "with --isolate" if isolate else "without --isolate"
    about = f"{hostile.name} ({mode}): {hostile.breaks}"

    # (d) first: a process left behind explains most other failures.
    assert not grading.leftovers, f"{about}\nprocesses left behind:\n" + "\n".join(grading.leftovers) + "\n" + grading.tail()

    # (a) exactly its own checks, each with its message
    assert grading.results is not None, f"{about}\nno results.json (exit status {grading.status})\n{grading.tail()}"
    tests = grading.results["tests"]
    failed = {t["name"].rsplit(" / ", 1)[1] for t in tests if t["score"] < t["max_score"]}
    wanted = hostile.expected_fails(isolate)
    assert failed == wanted, (
        f"{about}\nexpected to fail: {sorted(wanted)}\nfailed:           {sorted(failed)}\n{grading.tail()}"
    )
    for t in tests:
        if t["score"] < t["max_score"]:
            assert t["output"].startswith("rule:"), f"{about}\n{t['name']} fails without its message:\n{t['output'][:3000]}"
    assert grading.status == (1 if wanted else 0), f"{about}\nexit status {grading.status}\n{grading.tail()}"

    # (b) within its bound
    assert grading.seconds <= hostile.within, f"{about}\nthe grading took {grading.seconds:.1f} s, over {hostile.within:g} s"

    # (c) the graders' own results.json
    checks = rubric(hostile.lab)
    assert {t["name"] for t in tests} == {f"{hostile.lab} / {group} / {name}" for name, (group, _) in checks.items()}, (
        f"{about}\nresults.json names other checks than the rubric's: {sorted(t['name'] for t in tests)}"
    )
    for t in tests:
        name = t["name"].rsplit(" / ", 1)[1]
        points = checks[name][1]
        assert (t["max_score"], t["score"]) == (points, 0 if name in wanted else points), f"{about}\nforged or wrong score: {t}"
    score, possible = sum(t["score"] for t in tests), sum(points for _, points in checks.values())
    assert grading.results["score"] == score, f"{about}\nresults.json says {grading.results['score']}, its checks {score}"

    # (e) no forged line of its own
    lines = grading.output.splitlines()
    summaries = [line for line in lines if SUMMARY.fullmatch(line)]
    assert len(summaries) == 1, f"{about}\npytest summary lines: {summaries}"
    counts = {word.rstrip("s"): int(n) for n, word in re.findall(r"(\d+) (failed|passed|errors?)", summaries[0])}
    # A check whose server never came up fails in its fixture's setup: pytest counts it as an error.
    failed_or_errors = counts.get("failed", 0) + counts.get("error", 0)
    assert (failed_or_errors, counts.get("passed", 0)) == (len(wanted), len(checks) - len(wanted)), (
        f"{about}\nthe summary line {summaries[0]!r} disagrees with the verdicts"
    )
    headers = [line for line in lines if SCORE_HEADER.fullmatch(line)]
    totals = [match.groups() for line in lines if (match := SCORE_TOTAL.fullmatch(line))]
    assert len(headers) == 1 and totals == [(str(score), str(possible))], (
        f"{about}\nscore headers {headers}, score totals {totals} (the graders': {score}/{possible})"
    )
    verbose = [line for line in lines if VERBOSE_RESULT.match(line)]
    assert not verbose, f"{about}\nforged result lines in the grading's output: {verbose[:5]}"
