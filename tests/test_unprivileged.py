"""The paths a student takes, who is never root: run as an unprivileged user when these tests run as
root (as CI does). Run as a user, the rest of the suite takes those paths already, and this module
has nothing to add.

The user is ``nobody``, with a Python of the same version that ``nobody`` may run (this one, or the
system's), netlab and its dependencies on ``PYTHONPATH``, and a home of its own in /tmp.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from graders.harness.isolation import PIDS_CGROUP_ROOTS
from graders.reports.rubric import collect_checks
from tests.conftest import HEAVY
from tests.grading import GRADERS, REPO, overlaid
from tests.test_textbook import PORT_80, proxy_on_port_80

TEXTBOOK_GOOD = REPO / "fixtures" / "textbook" / "good"
WITHIN = 300  # seconds for one grading


def _user() -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam("nobody")
    except KeyError:
        return None


USER = _user()
SETPRIV = shutil.which("setpriv")


def as_user(command: list[str]) -> list[str]:
    assert USER is not None and SETPRIV is not None
    return [SETPRIV, f"--reuid={USER.pw_uid}", f"--regid={USER.pw_gid}", "--clear-groups", *command]


def _runs_as_user(python: str) -> bool:
    """Whether the user can run it, and it can run itself again (as the graders and xdist do)."""
    wanted = f"{sys.version_info.major}.{sys.version_info.minor}"
    again = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'pass'], check=True); print('%d.%d' % sys.version_info[:2])"
    probe = subprocess.run(as_user([python, "-c", again]), capture_output=True, text=True, timeout=30)
    return probe.returncode == 0 and probe.stdout.strip() == wanted


def _python() -> str | None:
    """This Python, or the system's of the same version, whichever ``nobody`` may run."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [os.path.realpath(sys.executable), getattr(sys, "_base_executable", ""), f"/usr/bin/{version}", f"/usr/local/bin/{version}"]
    return next((python for python in candidates if python and os.path.exists(python) and _runs_as_user(python)), None)


def _user_environment(home: Path) -> dict[str, str]:
    """netlab's code and dependencies on the user's path (it cannot run this checkout's venv)."""
    paths = [str(REPO), *dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])]
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "PYTHONPATH": os.pathsep.join(paths), "LANG": "C.UTF-8"}


def _unreadable(python: str) -> str | None:
    """Why ``nobody`` cannot import netlab from here (a folder above the checkout closed to others, say)."""
    done = subprocess.run(as_user([python, "-c", "import graders.reports.plugin"]), cwd="/", env=_user_environment(Path("/")),
                          capture_output=True, text=True, timeout=60)
    return None if done.returncode == 0 else f"`nobody` cannot import netlab from {REPO}: {done.stderr.strip()[-300:]}"


def _why_not() -> str | None:
    if os.name != "posix" or os.geteuid() != 0:
        return "not root: the whole suite runs as an unprivileged user already"
    if USER is None or SETPRIV is None:
        return "no user `nobody`, or no setpriv, to become"
    if PYTHON is None:
        return "no Python of this version that `nobody` may run"
    return _unreadable(PYTHON)


PYTHON = _python() if os.name == "posix" and os.geteuid() == 0 and USER and SETPRIV else None
WHY_NOT = _why_not()
pytestmark = [pytest.mark.skipif(WHY_NOT is not None, reason=WHY_NOT or ""), HEAVY]


@pytest.fixture
def home() -> Iterator[Path]:
    """A directory of the user's own, for its submission copy, its gradings and its pytest temp."""
    path = Path(tempfile.mkdtemp(prefix="netlab-user-"))
    assert USER is not None
    os.chown(path, USER.pw_uid, USER.pw_gid)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def run_as_user(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python ARGS...`` as the user, from its home, with netlab's code and dependencies on its path."""
    assert PYTHON is not None
    return subprocess.run(as_user([PYTHON, *args]), cwd=home, env=_user_environment(home), capture_output=True, text=True, timeout=WITHIN)


def grade_as_user(home: Path, submission: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return run_as_user(home, "-m", "pytest", str(GRADERS), "--submission", str(submission), "-q", "-p", "no:cacheprovider",
                       "--basetemp", str(home / "pytest"), *options)


def readable_copy(home: Path, *layers: Path) -> Path:
    """The reference with ``layers`` over it, where the user can read it."""
    submission = overlaid(home, *layers)
    for path in [submission, *submission.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return submission


def test_textbook_mode_as_a_user_gets_full_marks(home: Path) -> None:
    """Fixed ports as a user: a user namespace of its own, then a network namespace per check
    (the first check of every process errored with EPERM on setns)."""
    done = grade_as_user(home, readable_copy(home, TEXTBOOK_GOOD), "--course", "textbook", "-n", "2")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert re.search(r"^\d+ passed in [\d.]+s$", done.stdout, re.MULTILINE), done.stdout[-4000:]


def test_a_proxy_on_port_80_as_a_user_gets_full_marks(home: Path) -> None:
    """The origins in a network of their own, linked to the proxy's by a veth pair that `ip` makes
    as root of the user's namespace."""
    submission = proxy_on_port_80(home)
    submission.chmod(0o755)
    (submission / "ProxyServer.py").chmod(0o644)
    done = grade_as_user(home, submission, "--course", str(PORT_80), "--lab", "proxy")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert re.search(r"^\d+ passed, \d+ deselected in [\d.]+s$", done.stdout, re.MULTILINE), done.stdout[-4000:]


def test_the_raw_socket_labs_as_a_user_get_full_marks(home: Path) -> None:
    """icmp and traceroute as a user: the grading becomes root of a user namespace of its own,
    where each program opens its raw socket in a network namespace of its own (none is skipped)."""
    done = grade_as_user(home, readable_copy(home), "--lab", "icmp", "--lab", "traceroute")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    checks = len(collect_checks(["icmp", "traceroute"]))
    assert re.search(rf"^{checks} passed, \d+ deselected in [\d.]+s$", done.stdout, re.MULTILINE), done.stdout[-4000:]


@pytest.fixture
def root_left_a_cgroup() -> Iterator[None]:
    """What a root grading of netlab 0.1 left behind: a root-owned ``netlab`` pids cgroup."""
    made = [root / "netlab" for root in PIDS_CGROUP_ROOTS if (root / "cgroup.procs").exists() and not (root / "netlab").exists()]
    for cgroup in made:
        try:
            cgroup.mkdir()
        except OSError:
            made.remove(cgroup)
    yield
    for cgroup in made:
        cgroup.rmdir()


@pytest.mark.usefixtures("root_left_a_cgroup")
def test_isolate_as_a_user_grades_and_says_once_what_it_cannot(home: Path) -> None:
    """--isolate as a user, whatever a root run left in the cgroup hierarchy: full marks (the icmp
    lab's raw sockets too, its programs keeping CAP_NET_RAW in their namespaces), and what it cannot
    have (a cap on processes, unless delegated) said once."""
    done = grade_as_user(home, readable_copy(home), "--isolate", "--lab", "echo", "--lab", "webserver", "--lab", "icmp")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    said = [line for line in done.stdout.splitlines() if line.startswith("netlab --isolate:")]
    assert len(said) == len(set(said)) <= 2, said


def test_a_user_whose_namespaces_fail_half_way_keeps_its_loopback(home: Path) -> None:
    """A distribution that lets a user namespace be made but not used (AppArmor's restriction, say):
    one reason, and this process untouched: its own loopback still works."""
    probe = (
        "import pathlib, socket\n"
        "real = pathlib.Path.write_text\n"
        "def refuse(self, *args, **kwargs):\n"
        "    if self.name == 'uid_map': raise PermissionError(1, 'Operation not permitted', str(self))\n"
        "    return real(self, *args, **kwargs)\n"
        "pathlib.Path.write_text = refuse\n"
        "from graders.network import netns\n"
        "print(netns.prepare())\n"
        "server = socket.create_server(('127.0.0.1', 0))\n"
        "socket.create_connection(server.getsockname(), timeout=1).close()\n"
        "print('loopback works')\n"
    )
    done = run_as_user(home, "-c", probe)
    assert done.stdout.splitlines() == [
        "a user namespace was made but not usable: [Errno 1] Operation not permitted: '/proc/self/uid_map'",
        "loopback works",
    ], done.stdout + done.stderr
