"""A program dies with the grading that started it, even one killed with SIGKILL (Linux).

pytest killed outright runs no teardown: the programs, each in a session of its own, would run
on for good. ``PR_SET_PDEATHSIG`` has the kernel send SIGKILL to a program's root when the thread
that started it ends; programs are started from the thread that runs the checks, which lives as
long as the grading. The request is not inherited: what a program forks itself (a server's child
per request) would outlive it. The grading's reaper (``reaper.py``, one process per grading, not
per program) kills those: every program carries the grading's tag in its environment. Elsewhere
(macOS, Windows) there is neither: None, and no tag.
"""

from __future__ import annotations

import atexit
import ctypes
import functools
import os
import secrets
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
GRADING = "NETLAB_GRADING"  # environment variable that tags every program of one grading, for its reaper
REAPER = Path(__file__).with_name("reaper.py")
REAPER_GONE_WITHIN = 15.0  # seconds for the reaper to end after the grading's normal end (its own bound is 10 s)


def killed_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that asks for SIGKILL at the parent's death; None where there is none."""
    if sys.platform != "linux":
        return None
    prctl = _prctl()
    parent = os.getpid()

    def ask() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the request was made: nothing will send it
            os.kill(os.getpid(), signal.SIGKILL)

    return ask


@functools.cache
def _prctl() -> Callable[..., int]:
    """libc's prctl, looked up once, before any fork: the interpreter's own symbols hold it."""
    return ctypes.CDLL(None, use_errno=True).prctl  # type: ignore[no-any-return]


_starting = threading.Lock()


def reaper_tag() -> dict[str, str]:
    """The environment that tags a program for this grading's reaper, which the first call starts
    (once per grading: a program's start pays nothing more); empty where there is none."""
    with _starting:
        return _reaper_tag()


@functools.cache
def _reaper_tag() -> dict[str, str]:
    if sys.platform != "linux":
        return {}
    token = secrets.token_hex(8)
    reaper = subprocess.Popen(
        [sys.executable, "-I", "-S", str(REAPER), GRADING, token],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    atexit.register(_dismiss, reaper)
    return {GRADING: token}


def _dismiss(reaper: subprocess.Popen[bytes]) -> None:
    """At the grading's normal end: its pipe closed, the reaper finds nothing left and ends; it is
    reaped here, so that no process of the grading outlives it."""
    assert reaper.stdin is not None
    reaper.stdin.close()
    try:
        reaper.wait(REAPER_GONE_WITHIN)
    except subprocess.TimeoutExpired:
        reaper.kill()
        reaper.wait()
