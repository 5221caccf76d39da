"""A student's client run against one of the graders' fake servers, shared by several checks.

Started early (often several at once, so their waits overlap), finished once,
on the first check that reads it, then read by every check that needs it
(DESIGN.md principle 4).
"""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

from graders.harness.programs import Program


class Closable(Protocol):
    def close(self) -> None: ...


Server = TypeVar("Server", bound=Closable)


class PeerRun(Generic[Server]):
    """``program`` talking to ``server``; ``finish()`` lets it end (killed ``within`` seconds
    after it started), then closes the server, once."""

    def __init__(self, program: Program, server: Server, within: float) -> None:
        self.program = program
        self.server = server
        self.within = within
        self.finished = False

    def finish(self) -> None:
        if not self.finished:
            self.finished = True
            self.program.finish(self.within)
            self.server.close()

    def close(self) -> None:
        """At the end of the module: whatever was never finished."""
        self.program.stop()
        if not self.finished:
            self.finished = True
            self.server.close()
