"""SIGTERM and SIGHUP end a grading as Ctrl-C does, so no program outlives it.

pytest turns only SIGINT into ``KeyboardInterrupt``, whose unwinding tears down every fixture:
each launcher kills its programs. SIGTERM (a shutdown, ``kill``) and SIGHUP (the terminal
closed) would end pytest on the spot, and the programs, each in a session of its own, out of
reach of the terminal's signals, would run on for good. Here they raise the same
``KeyboardInterrupt``; once pytest has it, a signal more is let go, so the teardown finishes.
Python drops an exception raised where it cannot propagate (a fork's after-fork handler, seen
here: ``Exception ignored in _releaseLock``): ``pending()`` raises it again at the next check.
"""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any

CTRL_C = "Ctrl-C"
LIKE_CTRL_C = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))  # no SIGHUP on Windows


class Interruption:
    """What ended a grading early, once it has been: ``by`` (``SIGTERM``, ``SIGHUP``, Ctrl-C)."""

    def __init__(self) -> None:
        self.by: str | None = None
        self.unwinding = False  # pytest has the KeyboardInterrupt: its teardown is under way
        self._previous: dict[int, Any] = {}

    def catch(self) -> None:
        """From now on SIGTERM and SIGHUP raise ``KeyboardInterrupt`` (from the main thread only)."""
        for signum in LIKE_CTRL_C:
            self._previous.setdefault(signum, signal.signal(signum, self._interrupt))

    def release(self) -> None:
        """The handlers as they were."""
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def interrupted(self) -> None:
        """pytest has a ``KeyboardInterrupt``: a Ctrl-C of its own, or one of ours."""
        self.by = self.by or CTRL_C
        self.unwinding = True

    def pending(self) -> None:
        """Raise again a signal's ``KeyboardInterrupt`` that Python dropped."""
        if self.by is not None and not self.unwinding:
            raise KeyboardInterrupt(self.by)

    @property
    def ended_early(self) -> str | None:
        """What ended the grading before its last check: None when nothing did."""
        return self.by if self.unwinding else None

    def _interrupt(self, signum: int, frame: FrameType | None) -> None:
        if self.unwinding:
            return  # the teardown is under way: let it finish
        self.by = signal.Signals(signum).name
        raise KeyboardInterrupt(self.by)
