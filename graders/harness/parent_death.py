"""A program dies with the grading that started it, even one killed with SIGKILL (Linux).

pytest killed outright runs no teardown: the programs, each in a session of its own, would run
on for good. ``PR_SET_PDEATHSIG`` has the kernel send SIGKILL to a program's root when the thread
that started it ends; programs are started from the thread that runs the checks, which lives as
long as the grading. Elsewhere (macOS, Windows) there is no such request: None.
"""

from __future__ import annotations

import ctypes
import functools
import os
import signal
import sys
from typing import Callable

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


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
