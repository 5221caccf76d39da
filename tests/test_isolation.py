"""--isolate: what the sandbox takes from a hostile program, and the private network (Linux, where granted)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from graders.harness.isolation import CGROUP_PREFIX, PROCESSES, REPO, Sandbox, make_sandbox
from graders.harness.launcher import Launcher
from graders.harness.submission import Submission
from graders.network import netns
from graders.network.ports import free_port, port_is_taken

PROGRAMS = Path(__file__).resolve().parent / "programs"
SANDBOX, MISSING = make_sandbox(PROGRAMS)
sandboxed = pytest.mark.skipif(SANDBOX is None, reason="; ".join(MISSING))
with_cgroups = pytest.mark.skipif(SANDBOX is None or SANDBOX.cgroups is None, reason="; ".join(MISSING) or "no writable pids cgroup here")
NOBODY = 65534  # a user id no test runs as
CAP_NET_RAW = 1 << 13  # its bit in /proc/PID/status's CapEff


@pytest.fixture(scope="module", autouse=True)
def sandbox_closed() -> Iterator[None]:
    """The sandbox's cgroup goes with the module, as a grading's goes with it."""
    yield
    if SANDBOX is not None:
        SANDBOX.close()


@pytest.fixture
def launcher(tmp_path: Path) -> Iterator[Launcher]:
    launcher = Launcher(Submission(PROGRAMS), tmp_path, SANDBOX)
    yield launcher
    launcher.stop_all()


def _wait_for_file(path: Path, within: float) -> str:
    deadline = time.monotonic() + within
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} not written within {within} s"
        time.sleep(0.01)
    return path.read_text()


@sandboxed
def test_a_sandboxed_program_cannot_read_the_reference(launcher: Launcher) -> None:
    target = REPO / "reference" / "webserver.py"
    unsandboxed = Launcher(launcher.submission, launcher.workdir / "plain")
    try:
        assert unsandboxed.run("reads_file.py", str(target), within=5).stdout.text().startswith("read ")
    finally:
        unsandboxed.stop_all()
    program = launcher.run("reads_file.py", str(target), within=5)
    assert program.stdout.text().startswith("denied: "), program.describe_output()


@with_cgroups
def test_a_fork_bomb_is_capped_and_leaves_nothing(launcher: Launcher) -> None:
    program = launcher.start("fork_bomb.py", str(PROCESSES * 4))
    made = int(_wait_for_file(program.workdir / "forks.txt", within=20))
    assert made < PROCESSES, f"it forked {made} children under a cap of {PROCESSES}"
    processes = program.processes()
    launcher.stop_all()
    assert not [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


@sandboxed
def test_a_memory_bomb_gets_memory_error(launcher: Launcher) -> None:
    program = launcher.run("memory_bomb.py", within=10)
    assert program.stdout.text().strip() == "MemoryError", program.describe_output()


@sandboxed
def test_a_daemon_with_a_scrubbed_environment_dies_with_its_sandbox(launcher: Launcher) -> None:
    """The gap tests/test_programs.py records without --isolate: the PID namespace closes it."""
    port = free_port("tcp")
    program = launcher.start("daemon_clean_env.py", str(port))
    _wait_for_file(program.workdir / "daemon.pid", within=5)
    assert port_is_taken(port, "tcp")
    launcher.stop_all()
    deadline = time.monotonic() + 2
    while port_is_taken(port, "tcp"):
        assert time.monotonic() < deadline, "the daemon still holds its port"
        time.sleep(0.01)


@sandboxed
def test_a_program_that_kills_its_parent_leaves_the_grading_run_alive(tmp_path: Path) -> None:
    """The other gap of tests/test_programs.py: in the sandbox its parent is the sandbox's own shell."""
    grading_run = textwrap.dedent(
        """
        # netlab-kill-target: a grading run that a student program tries to take down
        import sys
        from pathlib import Path
        from graders.harness.isolation import make_sandbox
        from graders.harness.launcher import Launcher
        from graders.harness.submission import Submission
        sandbox = make_sandbox(Path(sys.argv[1]))[0]
        launcher = Launcher(Submission(Path(sys.argv[1])), Path(sys.argv[2]), sandbox)
        try:
            program = launcher.run("kills_parent.py", within=5)
            print("survived", program.returncode, flush=True)
        finally:
            launcher.stop_all()
            sandbox.close()
        """
    )
    result = subprocess.run([sys.executable, "-c", grading_run, str(PROGRAMS), str(tmp_path)],
                            cwd=REPO, capture_output=True, timeout=30)
    assert result.stdout.decode().startswith("survived"), f"status {result.returncode}: {result.stderr[-1000:]!r}"


def test_the_private_network_has_loopback_and_no_route_out() -> None:
    probe = textwrap.dedent(
        """
        import socket, sys
        from graders.harness.isolation import enter_private_network
        refused = enter_private_network()
        if refused:
            print("refused:", refused); sys.exit(0)
        server = socket.create_server(("127.0.0.1", 0))
        socket.create_connection(server.getsockname(), timeout=1).close()
        try:
            socket.create_connection(("192.0.2.1", 80), timeout=1)  # TEST-NET-1: reachable only with a route
            print("route out")
        except OSError as error:
            print("loopback only:", error.strerror)
        """
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=30)
    if result.stdout.startswith("refused:"):
        pytest.skip(result.stdout.strip())
    assert result.stdout.startswith("loopback only: Network is unreachable"), result.stdout + result.stderr


@sandboxed
def test_a_sandboxed_program_cannot_undo_its_sandbox(launcher: Launcher) -> None:
    """No capabilities: it cannot unmount what hides the repository, and every file system but its
    working and temporary directories is read-only, its cgroup's limits included."""
    program = launcher.run("escapes_the_sandbox.py", str(REPO / "reference"), within=5)
    lines = program.stdout.lines()
    assert [line.split(":")[0].split(" ")[0] for line in lines] == ["refused", "refused", "refused", "done"], program.describe_output()
    assert not (program.workdir.parent / "planted.txt").exists()
    assert (program.workdir / "allowed.txt").exists()


@sandboxed
@pytest.mark.parametrize(("lab", "capabilities", "raw_socket"), [("icmp", CAP_NET_RAW, "opened"), ("echo", 0, "denied")])
def test_only_the_raw_socket_labs_programs_keep_cap_net_raw(lab: str, capabilities: int, raw_socket: str, tmp_path: Path) -> None:
    """A program of the icmp lab keeps CAP_NET_RAW alone, and its raw socket opens in the network
    namespace of its own that the lab gives it (a user's capability opens none outside one); a
    program of another lab keeps no capability at all."""
    launcher = Launcher(Submission(PROGRAMS), tmp_path, SANDBOX, lab=lab)
    try:
        namespace = netns.Namespace()
    except OSError as refused:  # a user's test process: a grading enters a user namespace first (netns.prepare)
        pytest.skip(f"this process can make no network namespace: {refused}")
    try:
        with namespace.entered():
            program = launcher.run("opens_a_raw_socket.py", within=5)
    finally:
        launcher.stop_all()
        namespace.close()
    said = program.stdout.lines()
    assert int(said[0].split()[1], 16) == capabilities and said[1].startswith(f"raw socket: {raw_socket}"), program.describe_output()


def _capped_in(sandbox: Sandbox, workdir: Path) -> Path:
    """The pids cgroup a program of ``sandbox`` ran in, as it read it in /proc/self/cgroup."""
    launcher = Launcher(Submission(PROGRAMS), workdir, sandbox)
    try:
        program = launcher.run("prints_its_cgroups.py", within=5)
    finally:
        launcher.stop_all()
    assert sandbox.cgroups is not None
    mount = sandbox.cgroups.parent
    paths = [line.split(":", 2)[2] for line in program.stdout.lines() if line.split(":")[1] in ("pids", "")]
    return mount / paths[0].lstrip("/")


@with_cgroups
def test_two_sandboxes_of_one_process_keep_their_own_cgroups(tmp_path: Path) -> None:
    """A process may make two (test_hostile's and this module's, imported by one xdist worker):
    the second's start and end leave the first's cgroup alone, and its programs capped in it."""
    first, second = make_sandbox(PROGRAMS)[0], make_sandbox(PROGRAMS)[0]
    assert first is not None and second is not None and first.cgroups is not None
    try:
        second.close()
        assert _capped_in(first, tmp_path).parent == first.cgroups
    finally:
        first.close()


@with_cgroups
def test_a_sandbox_makes_its_cgroup_again_if_it_vanished(tmp_path: Path) -> None:
    """Removed by anyone (an old netlab's sweep, an instructor's clean-up) between two programs:
    the next program is still capped, and its check is not lost to a FileNotFoundError."""
    sandbox = make_sandbox(PROGRAMS)[0]
    assert sandbox is not None and sandbox.cgroups is not None
    try:
        sandbox.cgroups.rmdir()
        assert _capped_in(sandbox, tmp_path).parent == sandbox.cgroups
    finally:
        sandbox.close()


@with_cgroups
def test_a_sweep_removes_only_the_cgroups_certainly_abandoned(tmp_path: Path) -> None:
    """A grading's start removes what a grading of this user, in this PID namespace, left when it
    ended without removing it; never what a live grading, one of another PID namespace (whose
    PIDs mean other processes, or none, here), another user, or an older netlab made."""
    assert SANDBOX is not None and SANDBOX.cgroups is not None
    mount = SANDBOX.cgroups.parent
    namespace = os.stat("/proc/self/ns/pid").st_ino
    dead = subprocess.Popen(["true"])
    dead.wait()
    start = _start_ticks(os.getpid())
    left = {
        "ended": mount / f"{CGROUP_PREFIX}{namespace}-{dead.pid}-{start}-0ended",
        "reused": mount / f"{CGROUP_PREFIX}{namespace}-{os.getpid()}-{start + 1}-0reused",  # its PID now another's
    }
    kept = {
        "live": mount / f"{CGROUP_PREFIX}{namespace}-{os.getpid()}-{start}-0live",
        "other namespace": mount / f"{CGROUP_PREFIX}{namespace + 1}-{dead.pid}-{start}-0other",
        "older netlab": mount / f"{CGROUP_PREFIX}{dead.pid}",
    }
    for cgroup in [*left.values(), *kept.values()]:
        cgroup.mkdir()
    if os.geteuid() == 0:  # another user's, though its owner ended too
        kept["another user's"] = mount / f"{CGROUP_PREFIX}{namespace}-{dead.pid}-{start}-0user"
        kept["another user's"].mkdir()
        os.chown(kept["another user's"], NOBODY, NOBODY)
    (left["ended"] / "a-program").mkdir()  # a program's, its processes gone
    try:
        sandbox = make_sandbox(PROGRAMS)[0]
        assert sandbox is not None
        sandbox.close()
        assert [name for name, cgroup in left.items() if cgroup.exists()] == []
        assert [name for name, cgroup in kept.items() if not cgroup.exists()] == []
    finally:
        for cgroup in [left["ended"] / "a-program", *left.values(), *kept.values()]:
            if cgroup.exists():
                cgroup.rmdir()


def _start_ticks(pid: int) -> int:
    """A process's start time, in clock ticks from boot (/proc/PID/stat's 22nd field)."""
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[19])


@with_cgroups
def test_a_grading_removes_the_cgroup_it_made(tmp_path: Path) -> None:
    """Its own ``netlab-NAMESPACE-PID-START-TOKEN``, made at its start and gone at its end: nothing left for the next
    grading, of this user or another, to trip over."""
    assert SANDBOX is not None and SANDBOX.cgroups is not None
    command = [sys.executable, "-m", "pytest", str(REPO / "graders"), "--submission", str(REPO / "reference"), "--isolate",
               "--lab", "echo", "-k", "udp_server_uppercases", "-q", "-p", "no:cacheprovider"]
    grading = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    namespace = os.stat("/proc/self/ns/pid").st_ino
    its_own = f"{CGROUP_PREFIX}{namespace}-{grading.pid}-*"
    seen: list[Path] = []
    while grading.poll() is None and not seen:
        seen = list(SANDBOX.cgroups.parent.glob(its_own))
        time.sleep(0.01)
    output = grading.communicate(timeout=60)[0]
    assert grading.returncode == 0, output
    assert seen, f"the grading made no cgroup of its own ({its_own})"
    assert not seen[0].exists(), f"{seen[0]} is left behind"
