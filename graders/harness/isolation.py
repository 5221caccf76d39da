"""``--isolate``: student programs in a sandbox, where Linux grants one.

Without it a program already runs in its own session, working directory and
time limit (``programs.py``). With it, on Linux:

- The grading gets a network of its own (``enter_private_network``): loopback
  only, no route out, no port shared with another grading. The graders, their
  fakes and the programs talk over loopback, so they must share it: the
  grading process enters it once, before any program starts (root only).
- Each program runs inside a ``Sandbox``: a PID namespace (killing it kills
  everything it started, daemons that left its tree and scrubbed their
  environment included, and it cannot see or signal the grader), a mount
  namespace in which the repository's own directories (reference solutions,
  graders, fixtures, tests) are empty and every file system is read-only but
  its working and temporary directories, no capabilities (so it cannot undo
  either), rlimits on CPU time, address space and file size, and, where a pids
  cgroup can be made, a cap on its processes.

Where any of this is not granted, ``--isolate`` says so once and grading goes
on without that part.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from graders import REPO
from graders.network import netns

HIDDEN = ("reference", "student_template", "fixtures", "graders", "tests", ".git")  # what no program may read
CPU_SECONDS = 120  # far beyond any check's wall time: only a program that spins for long meets it
ADDRESS_SPACE = 1 << 30  # 1 GiB of virtual memory: a memory bomb fails with MemoryError
FILE_SIZE = 256 << 20  # bytes per file a program writes (a 10 MB cache entry is far below)
PROCESSES = 128  # processes and threads per program, where a pids cgroup exists
SHELL_POLL = 0.05  # seconds between two looks of the sandbox's shell for processes left in it
PIDS_CGROUP_ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))  # cgroup v1, then v2
CGROUP_PREFIX = "netlab-"  # a grading's cgroup: netlab-NAMESPACE-PID-START-TOKEN (see _own_name)
OWNED = re.compile(rf"{CGROUP_PREFIX}(?P<namespace>\d+)-(?P<pid>\d+)-(?P<start>\d+)-\w+")
NO_CAPABILITIES = "--bounding-set=-all"  # setpriv's: a program, root or not, gets none at exec
RAW_SOCKETS = "--bounding-set=-all,+net_raw"  # or only the one a raw socket takes


def enter_private_network() -> str | None:
    """Move this process into a new network namespace with loopback up; None, or why it could not.
    A user gets one with a user namespace of its own (``netns.prepare``), root directly."""
    if sys.platform != "linux":
        return "network namespaces exist on Linux only"
    if os.geteuid() != 0:
        return netns.prepare()
    refused = netns.unshare_network()
    return f"{refused} (it needs root)" if refused else None


@dataclass(frozen=True)
class Sandbox:
    """How each program is wrapped: limits by ``prlimit``, namespaces by ``unshare``, capabilities
    dropped by ``setpriv``."""

    prlimit: list[str]
    unshare: list[str]  # the unshare command and its options
    setpriv: list[str]
    shell: str  # bash: it redirects descriptors above 9, which the status pipe may be
    hidden: tuple[Path, ...]
    cgroups: Path | None  # this grading's own cgroup, in which each program's pids cgroup is made, if anywhere

    def wrap(self, command: list[str], marker: str, writable: tuple[Path, ...], status_fd: int) -> list[str]:
        """``command`` as it runs in the sandbox. A shell, the namespace's first process, hides the
        repository's directories, joins the cgroup, makes every file system read-only but the
        ``writable`` directories, and runs the program as its child with no capabilities left (so
        it can undo none of this, and keeps the ordinary signal behaviour a namespace's first
        process loses). It writes the program's exit status to ``status_fd`` (a pipe the program
        never gets), and stays while anything else lives in the namespace (a server
        that daemonized, say): when the shell ends, the kernel kills the rest."""
        steps = [f"mount -t tmpfs -o ro,size=4k netlab-hidden {shlex.quote(str(path))} || exit 125" for path in self.hidden]
        group = self._program_cgroup(marker)
        if group is not None:
            steps.append(f"echo $$ > {shlex.quote(str(group / 'cgroup.procs'))} || exit 125")
        steps += [f"mount --bind {shlex.quote(str(path))} {shlex.quote(str(path))} || exit 125" for path in writable]
        steps.append('cd "$PWD" || exit 125')  # the working directory, through its new writable mount
        kept = "|".join(["/dev", "/dev/*", *(shlex.quote(str(path)) for path in writable)])
        steps.append(f"for m in $(awk '{{print $5}}' /proc/self/mountinfo); do m=$(printf %b \"$m\"); "
                     f"case \"$m\" in {kept}) ;; *) mount -o remount,bind,ro \"$m\" || exit 125;; esac; done")
        steps.append(f'{" ".join(self.setpriv)} "$@" {status_fd}>&-; status=$?; echo $status >&{status_fd}; exec {status_fd}>&-')
        steps.append(f"while set -- /proc/[0-9]*; [ $# -gt 1 ]; do sleep {SHELL_POLL}; done")  # until only the shell is left
        steps.append("exit $status")
        return [*self.prlimit, *self.unshare, self.shell, "-c", "; ".join(steps), "netlab-sandbox", *command]

    def with_raw_sockets(self) -> Sandbox:
        """The same, but its programs keep one capability, CAP_NET_RAW: the icmp and traceroute
        labs' programs open raw sockets, each in a network namespace of its own."""
        return replace(self, setpriv=[RAW_SOCKETS if arg == NO_CAPABILITIES else arg for arg in self.setpriv])

    def _program_cgroup(self, marker: str) -> Path | None:
        """The program's pids cgroup, capped, in the grading's, which is made again if it vanished
        (removed by an older netlab's sweep, say); None where neither can be made: the program then
        runs without the cap rather than lose its check."""
        if self.cgroups is None:
            return None
        group = self.cgroups / marker
        try:
            try:
                group.mkdir()
            except FileNotFoundError:
                _make_grading_cgroup(self.cgroups)
                group.mkdir()
            (group / "pids.max").write_text(f"{PROCESSES}\n")
        except OSError:
            _remove(group)
            return None
        return group

    def release(self, marker: str) -> None:
        """Remove the program's cgroup once its processes are gone."""
        if self.cgroups is not None:
            _remove(self.cgroups / marker)

    def close(self) -> None:
        """At the end of the grading: remove its own cgroup, and any program's still in it (one
        whose last process was not yet reaped at its release)."""
        if self.cgroups is not None:
            _remove_tree(self.cgroups)


def make_sandbox(submission: Path) -> tuple[Sandbox | None, list[str]]:
    """The sandbox this machine grants, and what it could not grant (said once by the plugin)."""
    if sys.platform != "linux":
        return None, ["no sandbox: --isolate needs Linux namespaces"]
    unshare, prlimit, setpriv, bash = (shutil.which(name) for name in ("unshare", "prlimit", "setpriv", "bash"))
    if unshare is None or prlimit is None or setpriv is None or bash is None:
        return None, ["no sandbox: --isolate needs bash and util-linux's unshare, prlimit and setpriv"]
    options = [unshare, "--pid", "--fork", "--kill-child", "--mount", "--propagation", "private", "--mount-proc"]
    if os.geteuid() != 0:
        options.insert(1, "--map-root-user")  # an unprivileged user namespace, where the kernel allows one
    trial = subprocess.run([*options, "true"], capture_output=True, text=True, timeout=10)
    if trial.returncode != 0:
        return None, [f"no sandbox: `{' '.join(options[1:])}` was refused ({trial.stderr.strip()})"]
    limits = [prlimit, f"--cpu={CPU_SECONDS}", f"--as={ADDRESS_SPACE}", f"--fsize={FILE_SIZE}", "--core=0", "--"]
    hidden = tuple(REPO / name for name in HIDDEN if (REPO / name).is_dir() and not submission.is_relative_to(REPO / name))
    cgroups = _pids_cgroups()
    missing = [] if cgroups else ["no cap on processes: no writable pids cgroup (a fork bomb is stopped only at the end of its check)"]
    drop = [setpriv, NO_CAPABILITIES, "--inh-caps=-all", "--ambient-caps=-all", "--no-new-privs", "--"]
    return Sandbox(limits, options + ["--"], drop, bash, hidden, cgroups), missing


def _pids_cgroups() -> Path | None:
    """This grading's own directory for per-program pids cgroups, made under the first hierarchy
    that lets us, its name taken by no other (``_own_name``); those that gradings certainly
    abandoned go first. Never a directory another user made: it is tried, not assumed writable."""
    for root in PIDS_CGROUP_ROOTS:
        if not (root / "pids.max").exists() and not (root / "cgroup.procs").exists():
            continue
        if root.name != "pids" and "pids" not in _read(root / "cgroup.subtree_control"):
            continue
        for cgroup in root.glob(f"{CGROUP_PREFIX}*"):
            if _abandoned(cgroup):
                _remove_tree(cgroup)
        place = root / _own_name()
        try:
            _make_grading_cgroup(place)
            return place
        except OSError:
            _remove(place)
    return None


def _make_grading_cgroup(place: Path) -> None:
    """A grading's cgroup; under cgroup v2, one whose children may cap their processes."""
    place.mkdir()
    if place.parent.name != "pids":
        (place / "cgroup.subtree_control").write_text("+pids\n")


def _own_name() -> str:
    """``netlab-NAMESPACE-PID-START-TOKEN``: this process's PID namespace, its PID there and its
    start time name its owner for a later sweep (a PID alone is another process's, or none, seen
    from another namespace, and is reused); the token tells apart two sandboxes of one process."""
    pid, start = _identity("self")
    return f"{CGROUP_PREFIX}{_pid_namespace()}-{pid}-{start}-{secrets.token_hex(4)}"


def _abandoned(cgroup: Path) -> bool:
    """Whether a grading's cgroup is certainly abandoned: made by this user, in this PID namespace,
    for a process that is gone (its PID free, or another process's since). An older netlab's
    ``netlab-PID``, another namespace's or user's is left alone: empty, it is harmless."""
    owner = OWNED.fullmatch(cgroup.name)
    if owner is None or int(owner["namespace"]) != _pid_namespace():
        return False
    try:
        if cgroup.stat().st_uid != os.geteuid():
            return False
    except OSError:
        return False
    try:
        pid, start = _identity(owner["pid"])
    except OSError:
        return True  # no such process
    return (pid, start) != (int(owner["pid"]), int(owner["start"]))


def _identity(pid: str) -> tuple[int, int]:
    """A process's PID (as this /proc numbers it) and start time (clock ticks from boot), from
    /proc/PID/stat; its name, between the PID and the fields after it, may hold any character."""
    with open(f"/proc/{pid}/stat") as stat:
        head, tail = stat.read().rsplit(")", 1)
    return int(head.split()[0]), int(tail.split()[19])


def _pid_namespace() -> int:
    """This process's PID namespace, by the inode that names it across the machine."""
    return os.stat("/proc/self/ns/pid").st_ino


def _remove_tree(cgroup: Path) -> None:
    """Remove a grading's cgroup and its programs' (each only once empty: the kernel refuses the rest)."""
    try:
        programs = [child for child in cgroup.iterdir() if child.is_dir()]
    except OSError:
        programs = []
    for program in programs:
        _remove(program)
    _remove(cgroup)


def _remove(cgroup: Path) -> None:
    try:
        cgroup.rmdir()
    except OSError:
        pass  # never made, or a process not yet reaped: it stays, empty and harmless


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""
