"""The process harness on hostile and broken programs (DESIGN.md principles 1, 2, 5 and "Targets").

Every test runs one of the tiny scripts in ``tests/programs/`` through the
harness itself (``Launcher`` / ``Program``) and checks what really happened:
exit statuses, messages, ports held, processes left. Nothing sleeps to wait:
every wait is a poll with a deadline, or one of the harness's own waits.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from graders.harness import launcher as launcher_module
from graders.harness import programs
from graders.harness.launcher import Launcher
from graders.harness.never_listened import LATE_FACTOR, NeverListened
from graders.harness.programs import OUTPUT_CAP, READY_WITHIN, WRONG_PORT_AFTER, CappedOutput, NotListening, Program, pasteable
from graders.harness.submission import Submission
from graders.network.ports import LOOPBACK, bound_ports, free_port, port_is_taken
from graders.vocabulary.failures import CheckFailed

PROGRAMS = Path(__file__).resolve().parent / "programs"
REPO = Path(__file__).resolve().parent.parent
SHORT_READY = 1.0  # seconds: the readiness bound where a test does not need the real READY_WITHIN
GONE_WITHIN = 1.0  # seconds after stop_all() by which every process of a program must be gone
MB = 1024 * 1024

posix_only = pytest.mark.skipif(os.name != "posix", reason="fork, setsid and process groups are POSIX")
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and prctl")


@pytest.fixture
def launcher(tmp_path: Path) -> Iterator[Launcher]:
    """A launcher on tests/programs/ whose programs are all stopped when the test ends, pass or fail."""
    launcher = Launcher(Submission(PROGRAMS), tmp_path)
    try:
        yield launcher
    finally:
        launcher.stop_all()


def _alive(process: psutil.Process) -> bool:
    """Whether it still runs. A zombie is dead: it holds no port, no CPU, only a pid for init to reap."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _survivors(processes: list[psutil.Process], within: float = GONE_WITHIN) -> list[psutil.Process]:
    """The processes still alive once the deadline has passed (an empty list as soon as all are gone)."""
    deadline = time.monotonic() + within
    while True:
        alive = [process for process in processes if _alive(process)]
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.01)


def _poll(condition: Callable[[], bool], within: float) -> bool:
    """Whether ``condition()`` came to hold before the deadline."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True


def _require(condition: bool, what: str) -> None:
    """A test's precondition: raises RuntimeError, so that an xfail(raises=AssertionError) cannot hide it."""
    if not condition:
        raise RuntimeError(f"precondition failed: {what}")


def _pids_in(path: Path, count: int, within: float = 5.0) -> list[psutil.Process]:
    """The processes whose pids a program wrote, one a line, to ``path``; waits until there are ``count``."""

    def written() -> list[str]:
        return path.read_text().split() if path.exists() else []

    _require(_poll(lambda: len(written()) >= count, within), f"{path.name} has {len(written())} of {count} pids after {within} s")
    return [psutil.Process(int(pid)) for pid in written()]


# 1. A missing program


def test_missing_program_fails_the_check_naming_file_and_directory(launcher: Launcher, tmp_path: Path) -> None:
    """A submission without the file must fail the check that needs it with a message, not a harness crash."""
    with pytest.raises(CheckFailed) as failure:
        launcher.start("nope.py")
    assert failure.value.got.startswith(f"`nope.py` not found in `{PROGRAMS}`\nits .py files: crash_at_start.py, ")
    assert launcher.running == []
    assert list(tmp_path.iterdir()) == [], "no working directory is made for a program that does not exist"


# 2. Servers that do listen


@pytest.mark.parametrize(("script", "transport"), [("tcp_server.py", "tcp"), ("udp_server.py", "udp")])
def test_server_listening_on_its_argument_is_observed_ready(launcher: Launcher, script: str, transport: str) -> None:
    """serve() hands the server a free port as argv[1] and returns once that port is held in its tree."""
    program, port = launcher.serve(script, transport)  # type: ignore[arg-type]
    assert program.args == [str(port)]
    assert port in bound_ports(program.processes(), transport)  # type: ignore[arg-type]
    assert program.returncode is None
    assert port_is_taken(port, transport)  # type: ignore[arg-type]


def test_readiness_is_observed_without_connecting(launcher: Launcher) -> None:
    """A connect-and-close probe would kill the textbook server (principle 5); serve() must not make one."""
    program, port = launcher.serve("fragile_server.py")
    with socket.create_connection((LOOPBACK, port), timeout=2) as client:
        client.sendall(b"GET /hello.html HTTP/1.1\r\n\r\n")
        reply = client.makefile("rb").readline()
    assert reply == b"got /hello.html\n", "the server died before the first real client: something probed it"
    program.wait_output(lambda text: "connection" in text, within=2, what="a connection line")
    assert program.stdout.lines() == ["connection"], "exactly one client, the test's, reached the server"
    assert program.returncode is None


@contextmanager
def first_port_handed_out_is_taken(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """The launcher's first free_port() names a port another socket listens on (while the block runs)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind((LOOPBACK, 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        handed_out = iter([taken])
        monkeypatch.setattr(launcher_module, "free_port", lambda transport="tcp": next(handed_out, None) or free_port(transport))
        yield taken


def test_serve_retries_when_the_port_was_taken_only_a_moment(launcher: Launcher, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another grading's free_port() holds a port for an instant: the server's bind fails, and by
    the time the harness looks the port is free again. Its `Address already in use` says the race."""
    with first_port_handed_out_is_taken(monkeypatch) as taken:
        monkeypatch.setattr(launcher_module, "port_is_taken", lambda port, transport="tcp": False)  # gone when looked at
        program, port = launcher.serve("tcp_server.py")
    assert port != taken and [p.args for p in launcher.running] == [[str(taken)], [str(port)]]


def test_a_server_that_died_is_reported_with_its_traceback_as_soon_as_it_refuses(launcher: Launcher) -> None:
    """A client sees "connection refused" a moment before the dying server is gone: its death,
    with its traceback, must be in the message all the same."""
    program, port = launcher.serve("fragile_server.py")
    socket.create_connection((LOOPBACK, port), timeout=2).close()  # leaves without a request: IndexError
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            socket.create_connection((LOOPBACK, port), timeout=2).close()
        except ConnectionResetError:
            continue  # queued, then dropped with the listening socket: it is closing
        except ConnectionRefusedError:
            break
    died = launcher.servers_that_died()
    assert died == [program]
    assert "IndexError" in program.death_note()


def test_readiness_never_binds_the_programs_port(launcher: Launcher, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bind of the harness's own to see whether the port is taken yet would make the program's
    bind fail at that instant: a fixed-port server (textbook mode) exited with EADDRINUSE."""
    bound: list[object] = []
    original = socket.socket.bind
    monkeypatch.setattr(socket.socket, "bind", lambda sock, address: (bound.append(address), original(sock, address))[1])
    program, port = launcher.serve("tcp_server.py")
    assert [address for address in bound if isinstance(address, tuple) and address[1] == port] == []


def test_serve_retries_when_it_loses_the_race_for_its_port(launcher: Launcher, monkeypatch: pytest.MonkeyPatch) -> None:
    """A port taken between free_port() and the server's bind is the harness's bad luck, not the student's."""
    with first_port_handed_out_is_taken(monkeypatch) as taken:
        program, port = launcher.serve("tcp_server.py")
    assert port != taken
    assert [p.args for p in launcher.running] == [[str(taken)], [str(port)]]
    loser = launcher.running[0]
    assert loser.returncode not in (None, 0)
    assert "OSError" in loser.stderr.text(), "it died on its bind, the port being taken"
    assert port in bound_ports(program.processes(), "tcp")


# 3. A crash before listening


def test_crash_at_start_reports_exit_status_and_traceback(launcher: Launcher) -> None:
    """A server that dies at start fails at once (not at the readiness deadline) and says how it died."""
    started = time.monotonic()
    with pytest.raises(CheckFailed) as failure:
        launcher.serve("crash_at_start.py")
    elapsed = time.monotonic() - started
    got = failure.value.got
    assert "it exited (exit status 1) before it did" in got
    assert "RuntimeError: boom: the server could not start" in got
    assert elapsed < READY_WITHIN / 2, f"the crash was reported after {elapsed:.2f} s, as if it were a hang"
    assert len(launcher.running) == 1, "a crash on a free port is not a lost port race: no retry"


def test_the_command_a_message_shows_pastes_back_as_it_ran(launcher: Launcher) -> None:
    """`run as` quoted: a subject with spaces, a quote and a newline is one argument each."""
    args = ["--subject", "Lab 3: a mail client", "it's", "Hello Bob,\n.a dot"]
    program = launcher.start("crash_at_start.py", *args)
    program.finish(READY_WITHIN)
    shown = program.describe_exit().split("(run as `", 1)[1].split("`)", 1)[0]
    assert shlex.split(shown) == ["python", "crash_at_start.py", *args]


def test_on_windows_the_command_is_quoted_as_windows_programs_split_it() -> None:
    argv = ["python", "smtp_client.py", "--subject", "Lab 3: a mail client", 'say "hi"']
    assert pasteable(argv, windows=True) == 'python smtp_client.py --subject "Lab 3: a mail client" "say \\"hi\\""'


class _StarvedStream:
    """A pipe whose reader thread is scheduled late, as on a machine with every core busy."""

    LATE = 0.3  # seconds before each read

    def __init__(self, stream: object) -> None:
        self._stream = stream

    def read1(self, size: int) -> bytes:
        time.sleep(self.LATE)
        return self._stream.read1(size)  # type: ignore[attr-defined]

    def close(self) -> None:
        self._stream.close()  # type: ignore[attr-defined]


def test_crash_message_has_the_traceback_even_when_the_reader_runs_late(
    launcher: Launcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under load the stderr reader lags the exit; the message must still carry the traceback (seen 2/60 loaded)."""
    monkeypatch.setattr(programs, "CappedOutput", lambda stream: CappedOutput(_StarvedStream(stream)))  # type: ignore[arg-type]
    with pytest.raises(CheckFailed) as failure:
        launcher.serve("crash_at_start.py")
    assert "RuntimeError: boom: the server could not start" in failure.value.got


# 4. A server that never listens


def test_server_that_never_listens_fails_at_the_readiness_deadline(launcher: Launcher) -> None:
    """A hang before listening costs READY_WITHIN, says no port was held, and leaves nothing running."""
    started = time.monotonic()
    with pytest.raises(CheckFailed) as failure:
        launcher.serve("hangs.py")
    elapsed = time.monotonic() - started
    assert READY_WITHIN <= elapsed <= READY_WITHIN + 1, f"failed after {elapsed:.2f} s"
    assert f"it holds no TCP port after {READY_WITHIN:.1f} s" in failure.value.got
    assert f"within {READY_WITHIN:g} s" in failure.value.expected
    (program,) = launcher.running
    launcher.stop_all()
    assert not psutil.pid_exists(program.pid)
    assert program.returncode is not None


class _Checks:
    """The check a lab's record of servers that never listened takes to be running, set by the test."""

    def __init__(self) -> None:
        self.name = "test_first"

    def current(self) -> str:
        return self.name


def test_a_server_that_never_listened_fails_the_labs_later_checks_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first check waits its bound, the next until twice that bound after that start (the server
    might have been late), every later one not at all; each says where the wait was made and its bound."""
    monkeypatch.setattr(Program.wait_listening, "__defaults__", (SHORT_READY, True))
    checks = _Checks()
    record = NeverListened(checks.current)
    launchers = [Launcher(Submission(PROGRAMS), tmp_path / str(n), never_listened=record) for n in range(3)]
    try:
        started = time.monotonic()
        with pytest.raises(NotListening):
            launchers[0].serve("hangs.py")
        assert launchers[0].running == [], "the server is kept by the record, as its witness"
        failures, took = [], []
        for n, launcher in enumerate(launchers[1:], 2):
            checks.name = f"test_{n}"
            before = time.monotonic()
            with pytest.raises(CheckFailed) as failure:
                launcher.serve("hangs.py")
            failures.append(failure.value)
            took.append(time.monotonic() - before)
        assert time.monotonic() - started < LATE_FACTOR * SHORT_READY + 1, f"took {took}"
        assert took[1] < 0.5, f"the third check waited {took[1]:.2f} s for a server that never listened"
        for failure in failures:
            assert not isinstance(failure, NotListening)
            assert failure.got.startswith("it never listened: started in test_first, `python hangs.py "), failure.got
            assert f"held no TCP port within {SHORT_READY:g} s, nor {LATE_FACTOR * SHORT_READY:g} s after its start" in failure.got
            assert failure.expected == f"`hangs.py` listening on a TCP port within {SHORT_READY:g} s of its start"
        assert all(launcher.running == [] for launcher in launchers[1:]), "a server that never listened is not started again"
    finally:
        record.close()
        for launcher in launchers:
            launcher.stop_all()
    assert not [p for p in psutil.process_iter() if _is_run_of(p, tmp_path)], "the witness was stopped"


def test_a_server_that_listened_late_is_started_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that missed its bound in one check but listened before twice that bound (a slow first
    start, a stalled machine) is not condemned: the next check starts it again as usual."""
    bound = 2.0  # seconds: room for a busy machine's interpreter start between the bound and twice it
    monkeypatch.setattr(Program.wait_listening, "__defaults__", (bound, True))
    record = NeverListened(lambda: "test_first")
    first, second = (Launcher(Submission(PROGRAMS), tmp_path / str(n), never_listened=record) for n in (1, 2))
    late_once = (str(tmp_path / "started-once"), str(1.1 * bound))  # listens 1.1 bounds after its first start
    try:
        with pytest.raises(NotListening):
            first.serve("listens_late_once.py", "tcp", *late_once)
        program, port = second.serve("listens_late_once.py", "tcp", *late_once)
        assert port in bound_ports(program.processes(), "tcp")
    finally:
        record.close()
        first.stop_all()
        second.stop_all()


def test_a_crash_before_listening_is_not_remembered(tmp_path: Path) -> None:
    """A server that exited before it listened is started again by the next check, and says why again."""
    record = NeverListened(lambda: "test_first")
    launchers = [Launcher(Submission(PROGRAMS), tmp_path / str(n), never_listened=record) for n in range(2)]
    try:
        for launcher in launchers:
            with pytest.raises(CheckFailed) as failure:
                launcher.serve("crash_at_start.py")
            assert "it exited (exit status 1) before it did" in failure.value.got
            assert len(launcher.running) == 1, "started in each check"
    finally:
        record.close()
        for launcher in launchers:
            launcher.stop_all()


def _is_run_of(process: psutil.Process, tmp_path: Path) -> bool:
    """Whether a live process runs in a working directory under ``tmp_path``."""
    try:
        return _alive(process) and Path(process.cwd()).is_relative_to(tmp_path)
    except (psutil.Error, OSError):
        return False


# 5. A server on the wrong port


def test_server_on_the_wrong_port_fails_naming_the_port_it_holds(launcher: Launcher) -> None:
    """A hard-coded (here: kernel-chosen) port is reported as such, so the student sees their mistake,
    as soon as the program has held only that port for WRONG_PORT_AFTER, not at the full readiness bound."""
    started = time.monotonic()
    with pytest.raises(CheckFailed) as failure:
        launcher.serve("wrong_port.py")
    elapsed = time.monotonic() - started
    (program,) = launcher.running
    held = int(program.stdout.text().strip())
    assert re.search(rf"it holds TCP port\(s\) {held} after \d+\.\d s", failure.value.got), failure.value.got
    assert WRONG_PORT_AFTER <= elapsed < READY_WITHIN, f"failed after {elapsed:.2f} s"
    assert f"listening on TCP port {program.args[0]}" in failure.value.expected
    assert not port_is_taken(held, "tcp"), "the program was stopped and its port released"


# 6. Programs that outlive, escape or ignore their stop


@posix_only
def test_forked_child_keeping_the_port_is_killed_and_the_port_released(launcher: Launcher) -> None:
    """A forking server whose parent exits leaves its child holding the port: stop_all() must get the child."""
    program, port = launcher.serve("fork_keeps_port.py")
    (child,) = _pids_in(program.workdir / "child.pid", 1)
    assert child.pid in {p.pid for p in program.processes()}
    launcher.stop_all()
    assert _survivors([child]) == []
    assert not port_is_taken(port, "tcp")


@posix_only
def test_daemon_that_escaped_the_tree_is_killed_and_its_port_released(launcher: Launcher) -> None:
    """setsid() and a double fork leave the process group and the tree; the run's marker still finds it."""
    port = free_port("tcp")
    program = launcher.start("daemonize.py", str(port))
    (daemon,) = _pids_in(program.workdir / "daemon.pid", 1)  # written once it listens
    assert port_is_taken(port, "tcp")
    assert os.getsid(daemon.pid) != program.pid, "the daemon left the program's session"
    assert daemon.pid not in {c.pid for c in psutil.Process(program.pid).children(recursive=True)}
    seen = program.processes()
    assert daemon.pid in {p.pid for p in seen}
    launcher.stop_all()
    assert _survivors([daemon, *seen]) == []
    assert not port_is_taken(port, "tcp")


@posix_only
def test_bounded_fork_bomb_is_killed_whole(launcher: Launcher) -> None:
    """Thirty-one processes, four generations deep: stop_all() leaves none of them."""
    program = launcher.start("fork_tree.py")
    tree = _pids_in(program.workdir / "pids.txt", 31)
    assert {p.pid for p in tree} <= {p.pid for p in program.processes()}
    launcher.stop_all()
    assert _survivors(tree) == []


@pytest.mark.parametrize("script", ["ignores_sigterm.py", "hangs.py"])
def test_program_that_will_not_stop_by_itself_is_killed(launcher: Launcher, script: str) -> None:
    """Ignoring SIGTERM or hanging forever must not outlive the test, and must not slow its end."""
    program = launcher.start(script)
    if script == "ignores_sigterm.py":
        program.wait_output(lambda text: "ready" in text, within=5, what="ready")
    seen = program.processes()
    assert [p.pid for p in seen] == [program.pid]
    started = time.monotonic()
    launcher.stop_all()
    assert time.monotonic() - started < 1.0
    assert _survivors(seen) == []
    assert program.returncode is not None


@posix_only
def test_server_that_daemonizes_and_exits_is_observed_listening(launcher: Launcher) -> None:
    """A server may detach (parent exits 0, daemon listens a moment later): that daemon is the server."""
    program, port = launcher.serve("daemon_exits.py")
    assert port in bound_ports(program.processes(), "tcp")


@posix_only
def test_server_whose_listener_escaped_the_tree_is_observed_listening(
    launcher: Launcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The port held by a daemon that left the tree is the server's port, while its launcher still runs too."""
    monkeypatch.setattr(Program.wait_listening, "__defaults__", (SHORT_READY, True))
    program, port = launcher.serve("daemonize.py")
    assert port in bound_ports(program.processes(), "tcp")


@posix_only
@pytest.mark.xfail(
    strict=True,
    reason="gap: processes that left the tree are found only by an environment variable the program controls",
    raises=AssertionError,
)
def test_daemon_with_a_scrubbed_environment_is_killed(launcher: Launcher) -> None:
    """A daemon started with env={...} (no NETLAB_RUN) has left tree, group and marker; it must still not survive."""
    port = free_port("tcp")
    program = launcher.start("daemon_clean_env.py", str(port))
    (daemon,) = _pids_in(program.workdir / "daemon.pid", 1)
    try:
        _require(programs.MARKER not in daemon.environ(), "the daemon's environment has no marker")
        _require(os.getsid(daemon.pid) != program.pid, "the daemon left the program's session")
        launcher.stop_all()
        assert _survivors([daemon], within=0.3) == [], "the daemon survived stop_all()"
        assert not port_is_taken(port, "tcp")
    finally:
        if _alive(daemon):
            daemon.kill()  # the test's own clean-up of the process it caused


@linux_only
@pytest.mark.xfail(
    strict=True,
    reason="gap: the program's parent is the grading process itself, so killing it ends the run",
    raises=AssertionError,
)
def test_program_that_kills_its_parent_does_not_end_the_grading_run(tmp_path: Path) -> None:
    """Targets: a program that kills its parent costs its own points; the grading run goes on."""
    grading_run = textwrap.dedent(
        """
        # netlab-kill-target: a grading run that a student program tries to take down
        import sys
        from pathlib import Path
        from graders.harness.launcher import Launcher
        from graders.harness.submission import Submission
        launcher = Launcher(Submission(Path(sys.argv[1])), Path(sys.argv[2]))
        try:
            program = launcher.run("kills_parent.py", within=5)
            print("survived", program.returncode, flush=True)
        finally:
            launcher.stop_all()
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", grading_run, str(PROGRAMS), str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        timeout=30,
    )
    _require(result.returncode in (0, -9), f"the grading run ended with {result.returncode}: {result.stderr[-1000:]!r}")
    assert result.stdout.decode().startswith("survived"), f"the grading run was killed (status {result.returncode})"


@linux_only
def test_stop_does_not_wait_for_init_to_reap_killed_orphans(tmp_path: Path) -> None:
    """A dead child is dead: stop() must not wait (up to 5 s each time) for a slow or absent init to reap it."""
    grading_run = textwrap.dedent(
        """
        import sys, threading, time
        from pathlib import Path
        from graders.harness.launcher import Launcher
        from graders.harness.submission import Submission
        launcher = Launcher(Submission(Path(sys.argv[1])), Path(sys.argv[2]))
        program, port = launcher.serve("fork_keeps_port.py")
        while not (program.workdir / "child.pid").exists():
            time.sleep(0.01)
        started = time.monotonic()
        stopping = threading.Thread(target=launcher.stop_all, daemon=True)
        stopping.start()
        stopping.join(1.0)
        print("returned" if not stopping.is_alive() else "waiting", f"{time.monotonic() - started:.2f}", flush=True)
        """
    )
    # The grading run's ancestor adopts its orphans (as PID 1 does) and, like some container inits, never reaps them.
    ancestor = textwrap.dedent(
        """
        import ctypes, subprocess, sys
        if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
            sys.exit("prctl failed")
        sys.exit(subprocess.run([sys.executable, "-c", *sys.argv[1:]]).returncode)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", ancestor, grading_run, str(PROGRAMS), str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        timeout=30,
    )
    _require(result.returncode == 0, f"the grading run failed: {result.stderr.decode()[-1000:]}")
    state, _ = result.stdout.decode().split()
    assert state == "returned", f"stop_all() still waiting after 1 s: {result.stdout.decode().strip()}"


# 7. Output floods


def test_output_flood_is_drained_counted_and_capped(launcher: Launcher) -> None:
    """12 MiB of stdout (and 2 MiB of stderr) must neither block the program on a full pipe nor fill memory."""
    started = time.monotonic()
    program = launcher.run("flood.py", within=10)
    elapsed = time.monotonic() - started
    assert program.returncode == 0 and program.killed_after is None, program.describe_exit()
    assert elapsed < 5, f"run() took {elapsed:.2f} s"
    assert program.stdout.truncated
    assert len(program.stdout.data) == OUTPUT_CAP
    assert program.stdout.total == 12 * MB >= 10 * 1000 * 1000
    assert program.stderr.truncated and program.stderr.total == 2 * MB
    assert f"(output cut at {OUTPUT_CAP} bytes of {12 * MB})" in program.describe_output()


# 8. A program that does not finish


def test_run_kills_a_program_that_outlives_its_bound(launcher: Launcher) -> None:
    """run() never waits past ``within``: the program is killed, and the message names the bound."""
    started = time.monotonic()
    program = launcher.run("hangs.py", within=0.5)
    elapsed = time.monotonic() - started
    assert 0.5 <= elapsed < 1.5, f"run() took {elapsed:.2f} s"
    assert program.killed_after == 0.5
    assert program.describe_exit() == f"it was still running after 0.5 s and was killed (run as `{program.command}`)"
    assert program.returncode is not None
    assert not psutil.pid_exists(program.pid)


def test_wait_exit_fails_a_program_that_outlives_its_bound(launcher: Launcher) -> None:
    """wait_exit() turns the hang into a failed check saying which bound was hit (principle 2)."""
    program = launcher.start("hangs.py")
    with pytest.raises(CheckFailed) as failure:
        program.wait_exit(0.3)
    assert failure.value.expected == "`python hangs.py` to exit within 0.3 s"
    assert failure.value.got.startswith("it was still running after 0.3 s and was killed (run as `python ")
    assert not psutil.pid_exists(program.pid)


# 9. Standard input


@pytest.mark.parametrize("data", [b"a\nb\n", bytes(range(256)) * 4096], ids=["two-lines", "1MiB"])
def test_stdin_is_delivered_then_closed(launcher: Launcher, data: bytes) -> None:
    """The program gets all of its input and then EOF, even when input and output both exceed a pipe."""
    program = launcher.run("echo_stdin.py", stdin=data, within=5)
    assert program.returncode == 0, program.describe_exit()
    assert program.stdout.data == data
    assert program.stderr.text() == f"EOF after {len(data)} bytes\n"


def test_without_stdin_the_program_sees_eof_at_once(launcher: Launcher) -> None:
    """A program reading input it was not given must not hang waiting for it: its stdin is empty."""
    started = time.monotonic()
    program = launcher.run("echo_stdin.py", within=5)
    assert program.returncode == 0 and program.killed_after is None, program.describe_exit()
    assert time.monotonic() - started < 3
    assert program.stdout.data == b""
    assert program.stderr.text() == "EOF after 0 bytes\n"


# 10. Working directory and environment


def test_each_program_gets_a_fresh_working_directory_and_unbuffered_python(launcher: Launcher, tmp_path: Path) -> None:
    """Files a program leaves must not reach the next one; pytest's variables must not reach any."""
    first = launcher.run("environment.py", within=5)
    second = launcher.run("environment.py", within=5)
    seen = [json.loads(program.stdout.text()) for program in (first, second)]
    assert first.workdir != second.workdir
    for program, view in zip((first, second), seen):
        assert program.returncode == 0, program.describe_exit()
        assert Path(view["cwd"]).resolve() == program.workdir.resolve()
        assert program.workdir.resolve().parent == tmp_path.resolve()
        assert view["files"] == [], "the working directory was not fresh"
        assert view["PYTHONUNBUFFERED"] == "1"
        assert view["pytest_vars"] == []
        assert (program.workdir / "left_behind.txt").exists()
    assert "PYTEST_CURRENT_TEST" in os.environ, "the check above would be vacuous"


def test_output_is_seen_while_the_program_still_runs(launcher: Launcher) -> None:
    """print() without flush() reaches the grader at once, so a hanging program still shows what it said."""
    program = launcher.start("unflushed.py")
    program.wait_output(lambda text: "hello before hanging" in text, within=3, what="its greeting")
    assert program.returncode is None


def test_programs_run_on_the_standard_library_alone(tmp_path: Path) -> None:
    """LABS.md's programs use the standard library only: netlab's own packages are not theirs to
    import (nor to pay for at every start), whatever the grading's environment holds."""
    program_file = tmp_path / "imports.py"
    program_file.write_text("import json, socket\ntry:\n    import psutil\nexcept ImportError:\n    print('standard library only')\n")
    launcher = Launcher(Submission(tmp_path), tmp_path / "runs", python=programs.plain_python(tmp_path / "python"))
    try:
        program = launcher.run("imports.py", within=10)
    finally:
        launcher.stop_all()
    assert program.stdout.lines() == ["standard library only"], program.describe_output()


FAMILY = """
import subprocess, sys, threading
sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
grandparent = [sys.executable, "-c", "import subprocess, sys, time; subprocess.Popen(sys.argv[1:]); time.sleep(60)", *sleeper]
children = [subprocess.Popen(sleeper), subprocess.Popen(grandparent)]
spawned = threading.Event()


def spawn_and_stay():  # a thread's child is listed under that thread while the thread lives
    subprocess.Popen(sleeper)
    spawned.set()
    threading.Event().wait()


threading.Thread(target=spawn_and_stay, daemon=True).start()
spawned.wait()
print("ready", flush=True)
sys.stdin.read()
"""


def test_descendants_are_every_process_below_as_psutil_finds_them(tmp_path: Path) -> None:
    """Children of the program, of its threads, and their children: the same as psutil's scan."""
    family = subprocess.Popen([sys.executable, "-c", FAMILY], stdin=subprocess.PIPE, stdout=subprocess.PIPE, **programs.own_session())
    try:
        assert family.stdout is not None and family.stdout.readline() == b"ready\n"
        root = psutil.Process(family.pid)
        deadline = time.monotonic() + READY_WITHIN  # the grandchild is the grandparent's to start
        while len(root.children(recursive=True)) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sorted(p.pid for p in programs.descendants(root)) == sorted(p.pid for p in root.children(recursive=True))
        assert len(programs.descendants(root)) == 4
    finally:
        programs.kill_tree(family, programs.descendants(psutil.Process(family.pid)))
        family.stdin.close()  # type: ignore[union-attr]
        family.stdout.close()  # type: ignore[union-attr]


@pytest.mark.parametrize(("source", "first"), [
    ("def broken(:\n", "it printed nothing; its stderr ends with `SyntaxError: invalid syntax`"),
    ("print('ready')\nprint('set')\nraise SystemExit('no port given')\n", "it printed 2 lines; its stderr ends with `no port given`"),
    ("print('ready')\nraise SystemExit(1)\n", "it printed 1 line"),
])
def test_what_a_program_printed_says_itself_in_its_first_line(tmp_path: Path, source: str, first: str) -> None:
    """A message's one-line summary is its first line: it said `stdout was:` and, after a
    SyntaxError, `(nothing); its stderr ends:`, the story in the lines below."""
    (tmp_path / "server.py").write_text(source)
    launcher = Launcher(Submission(tmp_path), tmp_path / "runs")
    try:
        with pytest.raises(CheckFailed) as failed:
            launcher.serve("server.py")
    finally:
        launcher.stop_all()
    lines = failed.value.got.splitlines()
    assert lines[0] == f"it exited (exit status 1) before it did; {first}:"
    assert lines[1:2] in ([], ["  | ready"], ["    File \"" + str(tmp_path / "server.py") + "\", line 1"])


def test_a_program_that_never_exits_is_stopped_once_it_printed_enough(tmp_path: Path) -> None:
    """The textbook's ping() loops forever: it is stopped as soon as its output holds what the check
    reads (a whole line, not one half written), long before the run's bound, and that is no exit of
    its own; a program that ends first is only waited for."""
    (tmp_path / "pinger.py").write_text(
        "import sys, time\nfor k in range(1, 10**6):\n    sys.stdout.write(f'{k}'); sys.stdout.flush(); time.sleep(0.02)\n"
        "    print(''); time.sleep(0.05)\n")
    (tmp_path / "brief.py").write_text("print(1)\n")
    launcher = Launcher(Submission(tmp_path), tmp_path / "runs")
    try:
        forever, brief = launcher.start("pinger.py"), launcher.start("brief.py")
        seen: list[str] = []
        started = time.monotonic()
        status = forever.finish_once_printed(lambda text: seen.append(text) or len(text.splitlines()) >= 3, "3 lines", within=30)
        stopped_after = time.monotonic() - started
        assert len(seen) > 3 and all(text.endswith("\n") for text in seen if text), seen  # its lines whole, as they came
        assert status is not None and status < 0 and forever.exit_status is None and forever.killed_after is None
        assert forever.stdout.lines()[:3] == ["1", "2", "3"] and stopped_after < 5, (forever.stdout.lines(), stopped_after)
        assert forever.describe_exit().startswith("the graders stopped it once it had printed 3 lines, as it never exits")
        assert brief.finish_once_printed(lambda text: "2" in text, "2", within=30) == 0 and brief.stopped_once is None
    finally:
        launcher.stop_all()
