"""A lab's servers that never listened: the checks after the first wait for one fail at once.

A server that never listens cost every check of it the whole readiness bound (a webserver.py
that never listens: 14 checks x 5 s = 71 s). Once a check has waited its bound for a server
that held no port, the lab's later checks of that program say so at once, naming that check
and its bound; each still loses its points.

Only a server that held nothing for its whole bound is remembered. One that exited first is
started again by the next check, as usual: a crash belongs to its check. Nor is a server that
was only late condemned: the one that held nothing is kept running as a witness, and the next
check to start that program first gives the witness until ``LATE_FACTOR`` times the bound after
its start. If it listens by then (a slow first start, a stall of a busy machine) or exits, it is
stopped and the program started again as usual; if it still holds no port, it never listened.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from graders.harness.programs import NotListening, Program
from graders.network.ports import Transport
from graders.vocabulary.failures import CheckFailed

LATE_FACTOR = 2  # a witness holding no port at this many times its check's bound after its start never listened


@dataclass
class Witness:
    """A server that held no port for a check's whole bound, kept running to see whether it was only late."""

    program: Program
    port: int | None
    transport: Transport
    check: str  # the check whose wait it was
    bound: float  # that wait, in seconds
    never: bool = False  # judged: it never listened

    def verdict(self) -> CheckFailed:
        where = f"a {self.transport.upper()} port"
        return CheckFailed(
            expected=f"`{self.program.name}` listening on {where} within {self.bound:g} s of its start",
            got=f"it never listened: started in {self.check}, `{self.program.command}` held no {self.transport.upper()} port within "
            f"{self.bound:g} s, nor {LATE_FACTOR * self.bound:g} s after its start, so it is not started again for this check"
            + self.program.stderr_tail(),
        )


class NeverListened:
    """The witnesses of one lab's checks, by program name; ``current_check()`` names the check running now."""

    def __init__(self, current_check: Callable[[], str]) -> None:
        self._current_check = current_check
        self._witnesses: dict[str, Witness] = {}

    def keep(self, filename: str, program: Program, port: int | None, transport: Transport, failure: NotListening) -> None:
        """Keep ``program``, which held no port for ``failure``'s bound, as the witness for ``filename``."""
        self._witnesses[filename] = Witness(program, port, transport, self._current_check(), failure.within)

    def judge(self, filename: str) -> None:
        """Before ``filename`` is started: fail at once if it never listened; else, if a witness is
        on trial, wait for its verdict (until its late bound), and let the start go on unless it is
        that it never listened."""
        witness = self._witnesses.get(filename)
        if witness is None:
            return
        if not witness.never:
            late_bound = witness.program.started + LATE_FACTOR * witness.bound
            try:
                witness.program.wait_listening(witness.port, witness.transport, within=max(0.0, late_bound - time.monotonic()))
            except NotListening:
                witness.never = True
            except CheckFailed:
                pass  # it exited, or listened elsewhere: not what is remembered
            witness.program.stop()
            if not witness.never:
                del self._witnesses[filename]
                return
        raise witness.verdict()

    def close(self) -> None:
        """Stop every witness still running (at the lab's end)."""
        for witness in self._witnesses.values():
            if not witness.never:  # a condemned one was stopped when judged
                witness.program.stop()
        self._witnesses.clear()
