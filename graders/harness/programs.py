"""Running a submission's programs: one process tree each, bounded and killed.

A student program is never imported (DESIGN.md principle 1). It runs as
``python FILE ARGS...`` in its own session, in a fresh working directory, with
``PYTHONUNBUFFERED=1``; its output is read by threads as it comes (so printing
never blocks it) and capped; every wait on it has a deadline; and ``stop()``
kills it with every process it started, including ones that left its tree.
"""

from __future__ import annotations

import functools
import itertools
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
import uuid
import venv
from pathlib import Path
from typing import IO, Callable

import psutil

from graders.harness.isolation import Sandbox
from graders.harness.parent_death import killed_with_parent, reaper_tag
from graders.network.ports import Transport, bound_ports
from graders.vocabulary.failures import CheckFailed

OUTPUT_CAP = 1024 * 1024  # bytes kept per stream; the rest is read and counted
LINE_SHOWN = 200  # characters of one output line a message shows
READY_WITHIN = 5.0  # seconds from spawn to a listening socket
POLL = 0.005  # seconds between two looks at a process
TREE_EVERY = 4  # looks at a starting server's root process for one at its whole tree
MARKER = "NETLAB_RUN"  # environment variable that tags every process of one run
ESCAPE_SCAN_EVERY = 0.25  # seconds between two scans for processes that left the tree
CLOCK_SLACK = 1.0  # seconds: a process's create_time is counted in clock ticks from boot
GONE_WITHIN = 5.0  # seconds for killed processes to be gone
EMPTY_AGAIN = 0.05  # seconds: a program and its children must be seen gone twice, this far apart
WRONG_PORT_AFTER = 1.0  # seconds a program may hold only other ports before it is taken to ignore its own
UNRESOLVED = ("gaierror", "Name or service not known", "Temporary failure in name resolution", "nodename nor servname")
SANDBOX_ENV = {"MALLOC_ARENA_MAX": "2"}  # glibc's per-thread arenas would eat the address-space limit


class NotListening(CheckFailed):
    """A server that held no port for the whole bound ``within`` (not one that exited, nor one
    that listened elsewhere): what a lab remembers of a server (harness/never_listened.py)."""

    def __init__(self, expected: str, got: str, within: float) -> None:
        super().__init__(expected, got)
        self.within = within


class CappedOutput:
    """One output stream, read to its end by a thread, the first bytes kept."""

    def __init__(self, stream: IO[bytes], cap: int = OUTPUT_CAP) -> None:
        self._stream = stream
        self._cap = cap
        self._kept = bytearray()
        self.total = 0
        self._changed = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while chunk := self._stream.read1(65536):  # type: ignore[attr-defined]
            with self._changed:
                room = self._cap - len(self._kept)
                if room > 0:
                    self._kept += chunk[:room]
                self.total += len(chunk)
                self._changed.notify_all()
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self._stream.close()

    @property
    def data(self) -> bytes:
        with self._changed:
            return bytes(self._kept)

    @property
    def truncated(self) -> bool:
        return self.total > len(self._kept)

    def text(self) -> str:
        """The kept bytes as text (invalid UTF-8 shown escaped)."""
        return self.data.decode("utf-8", "backslashreplace")

    def lines(self) -> list[str]:
        return self.text().splitlines()

    def join(self, within: float) -> None:
        self._thread.join(within)

    def wait_until(self, predicate: Callable[[str], bool], deadline: float) -> bool:
        """Whether ``predicate(text)`` came to hold before the deadline or the stream's end."""
        with self._changed:
            judged = -1  # the length of the text the predicate last judged: past the cap, nothing new
            while True:
                if len(self._kept) != judged:
                    judged = len(self._kept)
                    if predicate(bytes(self._kept).decode("utf-8", "backslashreplace")):
                        return True
                left = deadline - time.monotonic()
                if self._closed or left <= 0:
                    return False
                self._changed.wait(left)


def pasteable(argv: list[str], windows: bool = os.name == "nt") -> str:
    """A command line that a shell reads back as ``argv``: quoted as POSIX shells read it
    (``shlex.join``), on Windows as its programs split theirs (``subprocess.list2cmdline``)."""
    return subprocess.list2cmdline(argv) if windows else shlex.join(argv)


class Program:
    """A student program running as its own process tree."""

    def __init__(
        self,
        path: Path,
        args: list[str],
        workdir: Path,
        stdin: bytes | None = None,
        env: dict[str, str] | None = None,
        sandbox: Sandbox | None = None,
        prefix: list[str] | None = None,
        names: list[str] | None = None,
        python: str = sys.executable,
    ) -> None:
        self.path = path
        self.name = path.name
        self.args = args
        self.names = names or []  # the host names that resolve for it (a course's): to loopback, or to its peers' network
        self.workdir = workdir
        self.marker = uuid.uuid4().hex
        self.started = time.monotonic()
        self.started_wall = time.time()  # what a process's create_time is compared with
        self.killed_after: float | None = None
        self.stopped_once: str | None = None  # what it had printed when the graders stopped it (a program that never exits)
        self.listening: tuple[int, Transport] | None = None  # a server's port, once seen held
        self.chosen: tuple[str, int, int] | None = None  # its LABS.md name, and its command line of the course's several (harness/command_lines.py)
        self._sandbox = sandbox
        tmp = workdir.with_name(workdir.name + "-tmp")  # beside, not in, the working directory
        tmp.mkdir(exist_ok=True)
        self._exited: int | None = None  # in a sandbox: the status its shell reported
        command = [python, str(path), *args]
        status_read, status_write = os.pipe() if sandbox else (-1, -1)
        if sandbox is not None:
            command = sandbox.wrap(command, self.marker, (workdir, tmp), status_write)
        self._popen = subprocess.Popen(
            [*(prefix or []), *command],
            cwd=workdir,
            env=_environment(self.marker, _temporary(tmp) | (env or {}) | (SANDBOX_ENV if sandbox else {})),
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(status_write,) if sandbox else (),
            preexec_fn=killed_with_parent(),
            **own_session(),
        )
        if sandbox is not None:
            os.close(status_write)
            threading.Thread(target=self._read_status, args=(status_read,), daemon=True).start()
        self.pid = self._popen.pid
        self.stdout = CappedOutput(self._popen.stdout)  # type: ignore[arg-type]
        self.stderr = CappedOutput(self._popen.stderr)  # type: ignore[arg-type]
        if stdin is not None:
            threading.Thread(target=self._feed, args=(stdin,), daemon=True).start()

    def _feed(self, data: bytes) -> None:
        assert self._popen.stdin is not None
        try:
            self._popen.stdin.write(data)
            self._popen.stdin.close()
        except OSError:
            pass  # it exited without reading its input: its exit says why

    @property
    def command(self) -> str:
        """How it was run, as a student pastes it into a terminal."""
        return pasteable(["python", self.name, *self.args])

    def _read_status(self, fd: int) -> None:
        """The sandbox's shell writes the program's status as it ends: 128+N for signal N."""
        with os.fdopen(fd, "rb") as pipe:
            written = pipe.read().strip()
        if written.isdigit():
            code = int(written)
            self._exited = 128 - code if code > 128 else code

    @property
    def returncode(self) -> int | None:
        """The program's exit status (negative: the signal that killed it); in a sandbox, as soon
        as the program ended, while what it left behind may still run."""
        status = self._popen.poll()
        return self._exited if self._exited is not None else status

    @property
    def exit_status(self) -> int | None:
        """How it exited by itself: None while it runs, or when it was killed at its deadline or stopped."""
        return None if self.killed_after is not None or self.stopped_once is not None else self.returncode

    def processes(self, escaped: bool = True) -> list[psutil.Process]:
        """The program and every live process it started: in its tree, and (``escaped``)
        those that left it, found by the run's marker in their environment (a full scan)."""
        found: dict[int, psutil.Process] = {}
        try:
            root = psutil.Process(self.pid)
            found[root.pid] = root
            for child in descendants(root):
                found[child.pid] = child
        except psutil.NoSuchProcess:
            pass
        if escaped:
            for process in tagged(MARKER, self.marker, self.started_wall):
                found.setdefault(process.pid, process)
        return list(found.values())

    def wait_listening(self, port: int | None, transport: Transport, within: float = READY_WITHIN, told: bool = True) -> int:
        """The port, once the tree holds it (``None``: whichever it listens on first). Fail, saying
        why, at the deadline, at its exit, or as soon as it has held another port for
        ``WRONG_PORT_AFTER`` (it ignored the port it was ``told`` on its command line)."""
        started = time.monotonic()
        deadline = started + within
        next_scan = started + ESCAPE_SCAN_EVERY
        other_since: float | None = None
        empty_since: float | None = None
        where = f"{transport.upper()} port {port}" if port else f"a {transport.upper()} port"
        root = _process(self.pid)
        for look in itertools.count():
            now = time.monotonic()
            # The full scan for processes that left the tree is costly: at a slower pace, or once the root is gone;
            # the tree's (every /proc/PID/stat) every TREE_EVERY looks; the root alone, where most servers listen, at each.
            scan = self.returncode is not None or now >= next_scan
            if scan:
                next_scan = now + ESCAPE_SCAN_EVERY
            # Never a bind of our own to see whether the port is free: the program's bind at that instant would fail.
            whole = scan or look % TREE_EVERY == TREE_EVERY - 1 or root is None  # not at once: nothing has children yet
            tree = self.processes(escaped=scan) if whole else [root]  # type: ignore[list-item]  # the root: most servers listen there
            held = bound_ports(tree, transport)
            if port in held or (port is None and held):
                return port or min(held)
            if not whole:
                time.sleep(POLL)
                continue
            gone = self.returncode is not None and not self._programs_own(tree)
            # A scan can miss a daemon being born while its parent dies: believe "gone" twice, EMPTY_AGAIN apart.
            empty_since = (empty_since or now) if gone else None
            if empty_since is not None and now - empty_since >= EMPTY_AGAIN:
                self.stdout.join(1)
                self.stderr.join(1)  # its last words: the traceback
                raise CheckFailed(
                    expected=f"`{self.command}` listening on {where}",
                    got=f"it exited ({_status_words(self.returncode)}) before it did; " + self.describe_output(),
                )
            other_since = (other_since or now) if held else None
            wrong_port = other_since is not None and now - other_since >= WRONG_PORT_AFTER
            if wrong_port or now >= deadline:
                waited = now - started
                seen = f"it holds {transport.upper()} port(s) {', '.join(map(str, sorted(held)))}" if held else f"it holds no {transport.upper()} port"
                hint = " (is the port taken from the command line?)" if told else ""
                expected = f"`{self.command}` listening on {where} within {within:g} s"
                got = f"{seen} after {waited:.1f} s{hint}" + self.stderr_tail()
                if held:
                    raise CheckFailed(expected=expected, got=got)
                raise NotListening(expected, got, within)
            time.sleep(POLL)
        raise AssertionError("unreachable")

    def _programs_own(self, tree: list[psutil.Process]) -> list[psutil.Process]:
        """The processes of ``tree`` that are the program's: not the sandbox's launcher, its shell,
        or the shell's pauses between two looks at the namespace."""
        if self._sandbox is None:
            return [process for process in tree if process.pid != self.pid]
        shells = {process.pid for process in tree if _parent(process) == self.pid}
        return [p for p in tree if p.pid != self.pid and p.pid not in shells and not (_parent(p) in shells and _name(p) == "sleep")]

    def holds_its_port(self) -> bool:
        """Whether a server still holds the port it was seen listening on."""
        if self.listening is None:
            return False
        port, transport = self.listening
        return port in bound_ports(self.processes(escaped=False), transport)

    def wait_ended(self, within: float) -> None:
        """Until it has exited by itself, or ``within`` seconds; never kills it."""
        deadline = time.monotonic() + within
        while self.returncode is None and time.monotonic() < deadline:
            time.sleep(POLL)

    def finish(self, within: float) -> int | None:
        """Wait for it to exit, until ``within`` seconds after it started; kill it then.
        Its exit status, or None if killed."""
        deadline = self.started + within
        try:
            if self._sandbox is None:
                self._popen.wait(timeout=max(0.0, deadline - time.monotonic()))
            while self.returncode is None:
                if time.monotonic() >= deadline:
                    raise subprocess.TimeoutExpired(self.command, within)
                time.sleep(POLL)
        except subprocess.TimeoutExpired:
            self.killed_after = within
            self.stop()
            return None
        self.stdout.join(1)
        self.stderr.join(1)
        return self.returncode

    def finish_once_printed(self, printed: Callable[[str], bool], what: str, within: float) -> int | None:
        """For a program that never exits (a course's handout loops forever): stop it as soon as
        ``printed(its whole lines so far)`` holds (``stopped_once`` then says ``what``); else as ``finish``."""
        if self.stdout.wait_until(lambda text: printed(text[: text.rfind("\n") + 1]), self.started + within) and self.returncode is None:
            self.stopped_once = what
            self.stop()
        return self.finish(within)

    def wait_exit(self, within: float) -> int:
        """The exit status; a program still running at the deadline is killed and fails."""
        status = self.finish(within)
        if status is None:
            raise CheckFailed(expected=f"`{self.command}` to exit within {within:g} s", got=self.describe_exit())
        return status

    def describe_exit(self) -> str:
        """How it ended, for a message: its status, or the bound that killed it; and how it was run."""
        ran = f" (run as `{self.command}`)"
        if self.killed_after is not None:
            return f"it was still running after {self.killed_after:g} s and was killed{ran}" + self.stderr_tail()
        if self.stopped_once is not None:
            return f"the graders stopped it once it had printed {self.stopped_once}, as it never exits{ran}" + self.stderr_tail()
        return _status_words(self.returncode) + ran + self.stderr_tail()

    def wait_output(self, predicate: Callable[[str], bool], within: float, what: str) -> None:
        """Return once ``predicate(stdout text)`` holds; fail at the deadline or its exit."""
        if not self.stdout.wait_until(predicate, time.monotonic() + within):
            raise CheckFailed(
                expected=f"`{self.command}` to print {what} within {within:g} s",
                got=self.describe_output(),
            )

    def stderr_tail(self, lines: int = 6) -> str:
        """The end of its stderr, as a suffix for a message (a traceback's last lines), its first
        line naming the last (a message's one-line summary says `SyntaxError: ...`, not `ends:`)."""
        summary, block = self._stderr_end(lines)
        return f"; {summary}:\n" + "\n".join(block) if summary else ""

    def _stderr_end(self, lines: int = 6) -> tuple[str, list[str]]:
        """``its stderr ends with `LAST LINE```, and the tail's lines, indented; a name it could not
        resolve gets the names that do resolve here. Empty where it wrote nothing there."""
        tail = self.stderr.lines()[-lines:]
        if not tail:
            return "", []
        block = [f"  {_cut(line)}" for line in tail]
        if any(marker in line for line in tail for marker in UNRESOLVED):
            block.append("  (here no name resolves but " + ", ".join(["localhost", *self.names]) + ": the graders' network has no DNS)")
        return f"its stderr ends with `{_cut(tail[-1].strip())}`", block

    def death_note(self) -> str:
        """A server's exit, for a failed check's message."""
        self.stderr.join(1)
        return f"`{self.command}` exited with status {self.returncode} during the check" + self.stderr_tail()

    def describe_output(self) -> str:
        """What it printed, for a message: a first line that says it whole (``it printed nothing;
        its stderr ends with `SyntaxError: ...```), then the lines: stdout's, then stderr's end."""
        out = self.stdout.lines()
        shown = [f"  | {_cut(line)}" for line in out[:20]]
        shown += [f"  ... ({len(out) - 20} more lines)"] if len(out) > 20 else []
        shown += [f"  (output cut at {OUTPUT_CAP} bytes of {self.stdout.total})"] if self.stdout.truncated else []
        printed = f"it printed {len(out)} line{'s' if len(out) != 1 else ''}" if out else "it printed nothing"
        summary, block = self._stderr_end()
        if summary and shown:
            block = ["  stderr:", *(f"  {line}" for line in block)]
        lines = shown + block
        first = "; ".join(filter(None, [printed, summary]))
        return first + (":\n" + "\n".join(lines) if lines else "")

    def stop(self) -> None:
        """Kill the program and everything it started; wait until they are gone."""
        kill_tree(self._popen, self.processes())
        self.stdout.join(1)
        self.stderr.join(1)
        if self._sandbox is not None:
            self._sandbox.release(self.marker)


def plain_python(into: Path) -> str:
    """An interpreter for programs that use the standard library only (LABS.md): netlab's, in a
    virtual environment of its own with nothing installed (made in ``into``, 0.05 s), so no
    program's start pays for a package's path hooks (an editable install's cost 14 ms a start) or
    imports one of netlab's packages by accident; netlab's own where none can be made."""
    try:
        venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(into)
    except (OSError, subprocess.CalledProcessError):
        return sys.executable
    python = into / ("Scripts" if os.name == "nt" else "bin") / ("python.exe" if os.name == "nt" else "python")
    return str(python) if python.exists() else sys.executable


def kill_tree(popen: subprocess.Popen[bytes], processes: list[psutil.Process], group: bool = True) -> None:
    """SIGKILL the session's process group (``group``: its leader not yet reaped, so the id is still
    its) and each of ``processes``; wait until they are gone and the leader is reaped."""
    if os.name == "posix" and group:
        try:
            os.killpg(popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    for process in processes:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    wait_gone(processes, GONE_WITHIN)
    try:
        popen.wait(timeout=GONE_WITHIN)
    except subprocess.TimeoutExpired:
        pass


def wait_gone(processes: list[psutil.Process], within: float) -> None:
    """Until each is gone or a zombie: a killed orphan waits for init to reap it, which can take
    seconds, yet holds no port and runs no code."""
    deadline = time.monotonic() + within
    for process in processes:
        while time.monotonic() < deadline:
            try:
                if process.status() == psutil.STATUS_ZOMBIE:
                    break
            except psutil.NoSuchProcess:
                break
            time.sleep(POLL)


def _environment(marker: str, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "NETLAB_"))} | extra
    env.update(PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8", PYTHONDONTWRITEBYTECODE="1")
    env.update(reaper_tag())
    env[MARKER] = marker
    return env


def _status_words(status: int | None) -> str:
    """``exit status 1``, or ``killed by signal SIGKILL`` for a negative status."""
    if status is not None and status < 0:
        try:
            return f"killed by signal {signal.Signals(-status).name}"
        except ValueError:
            return f"killed by signal {-status}"
    return f"exit status {status}"


def _cut(line: str) -> str:
    """A line of a program's output as a message shows it: at most LINE_SHOWN characters."""
    return line if len(line) <= LINE_SHOWN else line[:LINE_SHOWN] + f"... ({len(line) - LINE_SHOWN} more characters)"


def _process(pid: int) -> psutil.Process | None:
    try:
        return psutil.Process(pid)
    except psutil.NoSuchProcess:
        return None


def _parent(process: psutil.Process) -> int | None:
    try:
        return process.ppid()
    except psutil.Error:
        return None


def _name(process: psutil.Process) -> str:
    try:
        return process.name()
    except psutil.Error:
        return ""


def _temporary(tmp: Path) -> dict[str, str]:
    """A temporary directory of its own: what a program puts in ``tempfile`` is not its working
    directory's, and goes with the run's files instead of staying in /tmp."""
    return {"TMPDIR": str(tmp), "TEMP": str(tmp), "TMP": str(tmp)}


def own_session() -> dict:  # type: ignore[type-arg]
    if os.name == "posix":
        return {"start_new_session": True}
    return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined]


def descendants(root: psutil.Process) -> list[psutil.Process]:
    """Every process below ``root``. Linux lists each thread's children in
    ``/proc/PID/task/TID/children``: a few reads for a program's tree, where psutil's
    ``children()`` reads every process's ``/proc/PID/stat`` (hundreds beside other gradings)."""
    if not _lists_children():
        return root.children(recursive=True)
    found: list[psutil.Process] = []
    parents = [root.pid]
    while parents:
        parent = parents.pop()
        try:
            threads = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue  # gone meanwhile
        for thread in threads:
            try:
                with open(f"/proc/{parent}/task/{thread}/children") as listed:
                    pids = [int(pid) for pid in listed.read().split()]
            except OSError:
                continue
            for pid in pids:
                try:
                    found.append(psutil.Process(pid))
                except psutil.NoSuchProcess:
                    continue
                parents.append(pid)
    return found


@functools.cache
def _lists_children() -> bool:
    """Whether this kernel has ``/proc/PID/task/TID/children`` (not other systems, nor a kernel
    built without it): asked once, of this process, not of a program that may be gone."""
    return os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children")


def tagged(variable: str, marker: str, since: float = 0.0) -> list[psutil.Process]:
    """Live processes whose environment has ``variable=marker``: children that escaped a tree. Only
    those started from ``since`` (epoch seconds) on are read: the tag's owner was not there before."""
    found = []
    for process in psutil.process_iter():  # no attrs: as_dict() per process cost more than the scan
        try:
            if process.create_time() >= since - CLOCK_SLACK and process.environ().get(variable) == marker:
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
            continue
    return found


