"""Which of a course's command lines each program gets going under: tried once per grading, then kept.

In one class, students' programs take different command lines for the same program (`server_ip`,
`IP PORT`, `PORT`, none, `--host H --port P`); a course profile lists them in order
(``args = [["{server}", "{port}"], ["{port}"], []]``). The first check that starts a program tries
them in that order, and the first under which it gets going is used by every later check: a server
gets going once it listens where the grader expects it, a client once its peer heard from it. One
that exits first (a usage error: argparse's exit 2, an `IndexError` on `sys.argv`) or shows neither
within its bound has not; it is stopped and the next is tried. A program that gets going under none
fails each check at once, with what each command line did.

The choices are one grading's: one pytest process's (each pytest-xdist worker makes its own).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from graders.harness.programs import POLL, READY_WITHIN, Program
from graders.vocabulary.failures import CheckFailed

Watch = Callable[[Program], None]  # returns once the program got going; raises CheckFailed where it did not


class Peer(Protocol):
    """A fake peer of the graders' (peers/threaded_server.py): how often programs reached it."""

    contacts: int

    def heard_since(self, contacts: int) -> bool: ...


def reaching(peer: Peer, within: float = READY_WITHIN) -> Callable[[], Watch]:
    """A client gets going once ``peer`` heard from it: a connection, a datagram. One that exits
    first, or that its peer has not heard from within ``within`` seconds of its start, has not."""

    def watcher() -> Watch:
        before = peer.contacts

        def watch(program: Program) -> None:
            deadline = program.started + within
            while not peer.heard_since(before):
                if program.returncode is not None and not peer.heard_since(before):  # all it sent is in the peer's sockets by now
                    raise CheckFailed(expected=f"`{program.command}` to reach its peer", got="it exited before its peer heard from it")
                if time.monotonic() >= deadline:
                    raise CheckFailed(expected=f"`{program.command}` to reach its peer within {within:g} s",
                                      got=f"still running after {within:g} s, and its peer had heard nothing from it")
                time.sleep(POLL)

        return watch

    return watcher


@dataclass(frozen=True)
class Trial:
    """One command line tried: how it was run, and what it did."""

    command: str  # as a student pastes it into a terminal
    did: str  # "exit status 2: `usage: UDPClient.py [-h] host port`", or "got going"


@dataclass(frozen=True)
class Choice:
    """A program's command line for the rest of the grading, and the trials that chose it."""

    filename: str  # its LABS.md name
    trials: tuple[Trial, ...]
    index: int | None  # the command line used (from 0), or None: it got going under none
    total: int  # how many the course lists

    def refusal(self) -> NoCommandLine:
        """The failure of every check of a program that got going under none of them."""
        tried = "\n".join(f"  {k}. `{trial.command}`: {trial.did}" for k, trial in enumerate(self.trials, 1))
        return NoCommandLine(
            self.filename, self.total,
            expected=f"`{self.filename}` to get going under one of the course's {self.total} command lines "
                     "(a server listening, a client reaching its peer)",
            got=f"it got going under none:\n{tried}",
        )


class NoCommandLine(CheckFailed):
    """A check's failure: its program got going under none of the course's command lines."""

    def __init__(self, filename: str, total: int, expected: str, got: str) -> None:
        super().__init__(expected, got)
        self.filename = filename
        self.total = total


class CommandLines:
    """One grading's choices, per program (by its LABS.md name)."""

    def __init__(self) -> None:
        self._choices: dict[str, Choice] = {}

    def of(self, filename: str) -> Choice | None:
        return self._choices.get(filename)

    def start(self, filename: str, commands: list[list[str]], launch: Callable[[list[str]], Program],
              watcher: Callable[[], Watch] | None) -> Program:
        """The program started under its command line: the one chosen earlier in the grading, or the
        first of ``commands`` it gets going under, as ``watcher()`` sees it (made before each start,
        so it knows what the program's peer had heard before)."""
        choice = self._choices.get(filename)
        if choice is not None:
            if choice.index is None:
                raise choice.refusal()
            return chosen(launch(commands[choice.index]), choice)
        if watcher is None:
            raise AssertionError(f"{filename}: the first check to start it must say how it is seen to get going")
        trials = []
        for index, command in enumerate(commands):
            watch = watcher()
            program = launch(command)
            try:
                watch(program)
            except CheckFailed as failure:
                trials.append(Trial(program.command, did(program, failure)))
                program.stop()
                continue
            choice = Choice(filename, (*trials, Trial(program.command, "got going")), index, len(commands))
            self._choices[filename] = choice
            return chosen(program, choice)
        choice = Choice(filename, tuple(trials), None, len(commands))
        self._choices[filename] = choice
        raise choice.refusal()


def chosen(program: Program, choice: Choice) -> Program:
    """The program, marked with the command line it runs under, for its checks' reports."""
    assert choice.index is not None
    program.chosen = (choice.filename, choice.index + 1, choice.total)
    return program


def did(program: Program, failure: CheckFailed) -> str:
    """What a program did under a command line it did not get going under: its exit status and the
    first line of its stderr (a traceback's last: `IndexError: list index out of range`), or why not."""
    status = program.exit_status
    if status is None:
        return failure.got.splitlines()[0]
    program.stderr.join(1)
    lines = [line.strip() for line in program.stderr.lines() if line.strip()]
    said = lines[-1] if lines and lines[0].startswith("Traceback") else lines[0] if lines else ""
    return f"exit status {status}" + (f": `{said[:200]}`" if said else ", nothing on stderr")
