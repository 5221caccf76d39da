"""Starting a check's programs as the course says, and stopping every one of them.

Under LABS.md a program gets the check's command line; under a course profile whose
programs hard-code their ports and peers (textbook mode), a fixed program gets the
profile's command line (none by default), a server is awaited on its own port (or
wherever it listens), a client's fake peer listens where it expects, and the host names
and addresses it uses reach the graders' servers, in a network namespace of the check's own.
"""

from __future__ import annotations

import importlib.metadata
import ipaddress
import itertools
import shutil
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import pytest
from packaging.requirements import InvalidRequirement, Requirement

from graders.harness.command_lines import CommandLines, Peer, Watch, reaching
from graders.harness.course import AUTO, DEFAULT_PORTS, LABS_MD, RAW_SOCKETS, Course
from graders.harness.course import Program as CourseProgram
from graders.harness.isolation import Sandbox
from graders.harness.never_listened import NeverListened
from graders.harness.programs import NotListening, Program
from graders.harness.source_check import hosts_in_code, ports_in_code
from graders.harness.submission import Submission
from graders.network import link, netns
from graders.network.ports import LOOPBACK, Ports, Transport, free_port, port_is_taken
from graders.vocabulary.failures import CheckFailed

ADDRESS_IN_USE = ("Address already in use", "Only one usage of each socket address")  # EADDRINUSE: Linux, macOS; Windows
DYING_WITHIN = 1.0  # seconds a server that let go of its port has to end, so its last words can be shown


class Launcher:
    """Starts a test's programs and stops every one of them at its end.

    Under a course profile whose programs hard-code their ports and peers (textbook mode), a
    fixed program gets no arguments, a server is awaited on its own port, a client's fake peer
    listens where it expects (``peer_port``), and the host names it uses resolve to loopback
    (``resolve_locally``); ``network()`` gives a group of them a network namespace of its own.
    Where no namespace can be made (``no_namespaces`` says why), a fixed program's checks are
    skipped, saying so, and the lab's other programs run as under LABS.md."""

    def __init__(
        self, submission: Submission, workdir: Path, sandbox: Sandbox | None = None, course: Course = LABS_MD,
        lab: str | None = None, no_namespaces: str | None = None, python: str = sys.executable,
        never_listened: NeverListened | None = None, command_lines: CommandLines | None = None,
    ) -> None:
        self.submission = submission
        self.workdir = workdir
        self.sandbox = sandbox
        self.course = course
        self.lab = lab
        self.no_namespaces = no_namespaces
        self.python = python  # for programs of the standard library only; one with a course's requirements gets netlab's
        self.never_listened = never_listened  # the lab's servers that never listened, shared by its checks' launchers
        self.command_lines = command_lines or CommandLines()  # the grading's: which of a course's command lines each program takes
        self.running: list[Program] = []
        self.servers: list[Program] = []
        self.local_names: dict[str, str] = {}  # a name its programs resolve: the address they reach
        self._dirs = itertools.count(1)

    def fresh_dir(self, name: str) -> Path:
        """A new, empty working directory for one run of the program ``name``."""
        path = self.workdir / f"{next(self._dirs)}-{Path(name).stem}"
        path.mkdir(parents=True)
        return path

    def network(self) -> AbstractContextManager[None]:
        """A network namespace of its own for a group of programs that hard-code their ports."""
        return netns.fresh() if self.fixes_ports else nullcontext()

    def raw_network(self) -> AbstractContextManager[None]:
        """A network namespace of its own for a program that opens raw sockets (it may there, as
        root or as root of the grading's user namespace); a skip, saying why, where none can be made."""
        if self.no_namespaces is not None:
            pytest.skip(f"{self.lab or 'this lab'}: its programs open raw sockets, which the graders give them only in a "
                        f"network namespace of their own, and none can be made here: {self.no_namespaces}")
        return netns.fresh()

    def namespace(self) -> netns.Namespace | None:
        """The same, to enter again later (``entered()``) and ``close()``; None where not needed."""
        return netns.Namespace() if self.fixes_ports else None

    @property
    def fixes_ports(self) -> bool:
        """Whether its lab's programs hard-code ports: each check then has a network of its own."""
        return self.lab is not None and self.course.fixes(self.lab) and self.no_namespaces is None

    def _fixed(self, filename: str) -> bool:
        """Whether the program hard-codes its port or peer; a skip where that cannot be given it."""
        fixed = self.course.program_for(filename).fixed
        if fixed and self.no_namespaces is not None:
            pytest.skip(f"`{filename}` hard-codes its port or server ({self.course.name}), and no network "
                        f"namespace can be made here: {self.no_namespaces}")
        return fixed

    def peer_port(self, filename: str) -> Ports:
        """Where a client's fake peer must listen: the port it hard-codes, or (``auto``, or a server
        named without its port) each port its code names; else any (0)."""
        if not self._fixed(filename):
            return 0
        self._give_loopback_the_addresses(filename)  # before the fake that listens for it is made
        spec = self.course.program_for(filename)
        if isinstance(spec.port, int):
            return spec.port
        return ports_in_code(self.submission.program(filename), DEFAULT_PORTS.get(filename, ()))

    def _give_loopback_the_addresses(self, filename: str) -> None:
        for address in self.server_names(filename):
            if _is_address(address) and not address.startswith("127."):
                netns.add_local_address(address)

    def server_names(self, filename: str) -> list[str]:
        """The names a client may use for its server here: the profile's, and (``auto``) those
        its code names; a certificate the client must trust names them all."""
        spec = self.course.program_for(filename)
        names = [spec.server] if spec.server else []
        if spec.fixed and spec.port in (None, AUTO):
            names += hosts_in_code(self.submission.program(filename))
        return list(dict.fromkeys(names))

    def resolve_locally(self, name: str, address: str = LOOPBACK) -> None:
        """From now on, the programs this launcher starts resolve ``name`` to ``address``."""
        self.local_names[name] = address

    def linked_network(self) -> netns.Namespace:
        """A network namespace of its own, linked to the calling thread's (``link.beside``): where
        peers listen that must not share a port with the programs of that network. One for each
        network it is asked from, deleted with that network; OSError where none can be made."""
        network = netns.current()
        if network is None:
            raise OSError("the check runs in no network namespace of the graders' own, to link another to")
        return link.beside(network)

    def start(
        self, filename: str, *args: str, stdin: bytes | None = None, workdir: Path | None = None,
        env: dict[str, str] | None = None, port: int | None = None, options: tuple[str, ...] = (),
        values: dict[str, str] | None = None, names_to: str = LOOPBACK, peer: Peer | None = None,
        watcher: Callable[[], Watch] | None = None,
    ) -> Program:
        """Start ``python FILE ARGS... OPTIONS...`` (``args``: where its server is, or its port; ``options``:
        the rest). Under a course, with its own command line instead (none for a program that hard-codes
        its port), its input where the check gives none, its environment and files; placeholders filled
        from ``port`` (a server's own, a client's server's), its server, the options (``{args}``) and the
        check's ``values`` (``{sender}``, ``{filename}``...). ``env`` adds to the environment it inherits;
        its server's names (the profile's, its code's) resolve to ``names_to`` (a traceroute's destination, say).
        Where the course lists several command lines, the grading's choice (``command_lines``), made
        by the first start: a client's, seen reaching its ``peer``; a server's, by ``watcher``."""
        path = self.submission.program(filename)
        spec = self.course.program_for(filename)
        fixed = self._fixed(filename)
        missing = missing_requirements(spec.requirements)
        if missing:
            raise CheckFailed(
                expected=f"`{path.name}`'s packages installed where netlab runs (the course profile's requirements)",
                got=f"{', '.join(missing)} not installed: `python -m pip install {' '.join(missing)}`",
            )
        if fixed:
            self._give_loopback_the_addresses(filename)
        servers = {name: names_to for name in self.server_names(filename)} if fixed else {}
        addresses = {name: address for name, address in (self.local_names | servers).items() if not _resolves_anyway(name)}
        prefix = netns.hosts_wrapper(netns.hosts_file(addresses, self.fresh_dir("hosts"))) if addresses else None
        workdir = workdir or self.fresh_dir(filename)
        _lay_out(workdir, spec)
        filling = {"server": spec.server or LOOPBACK, "args": " ".join(options), **({"port": str(port)} if port else {}), **(values or {})}
        commands = spec.command_lines(filling, list(options)) or [[] if fixed else [*args, *options]]
        given = stdin if stdin is not None else spec.filled(spec.stdin, filling).encode() if spec.stdin is not None else None
        environment = {name: spec.filled(value, filling) for name, value in spec.env.items()} | (env or {})
        python = sys.executable if spec.requirements else self.python
        sandbox = self.sandbox.with_raw_sockets() if self.sandbox is not None and self.lab in RAW_SOCKETS else self.sandbox

        def launch(command: list[str]) -> Program:
            program = Program(path, command, workdir, given, environment, sandbox, prefix, list(addresses), python)
            self.running.append(program)
            return program

        if len(commands) == 1:
            return launch(commands[0])
        return self.command_lines.start(filename, commands, launch, watcher or (reaching(peer) if peer is not None else None))

    def run(
        self, filename: str, *args: str, stdin: bytes | None = None, within: float = 10.0, port: int | None = None,
        options: tuple[str, ...] = (), values: dict[str, str] | None = None, peer: Peer | None = None,
    ) -> Program:
        """Start a program and let it finish (it is killed at the deadline: see ``killed_after``)."""
        program = self.start(filename, *args, stdin=stdin, port=port, options=options, values=values, peer=peer)
        program.finish(within)
        return program

    def serve(
        self, filename: str, transport: Transport = "tcp", *options: str, workdir: Path | None = None, tries: int = 3,
        values: dict[str, str] | None = None,
    ) -> tuple[Program, int]:
        """Start ``python FILE PORT OPTIONS...`` on a free port, observed listening; retried on a
        lost port race. A server that hard-codes its port is awaited there; one whose port is
        ``auto`` wherever it listens. One that never listened in an earlier check of the lab fails
        at once (``never_listened``; not in a network of the check's own, which ends with it)."""
        fixed = self.course.program_for(filename).port if self._fixed(filename) else None
        remembered = None if self.fixes_ports else self.never_listened
        if remembered is not None:
            remembered.judge(filename)
        for attempt in range(tries):
            port = fixed if isinstance(fixed, int) else None if fixed == AUTO else free_port(transport)
            told = fixed is None
            watcher = listening(port, transport, told)
            program = self.start(filename, *([str(port)] if port else []), workdir=workdir, port=port, options=options, values=values,
                                 watcher=watcher)
            try:
                port = program.wait_listening(port, transport, told=told)
                program.listening = (port, transport)
                self.servers.append(program)
                return program, port
            except NotListening as failure:
                if remembered is None:
                    program.stop()
                    raise
                self.running.remove(program)  # the lab's record keeps it running, as its witness, and stops it
                remembered.keep(filename, program, port, transport, failure)
                raise
            except CheckFailed:
                lost_race = not fixed and program.returncode is not None and port is not None and (
                    port_is_taken(port, transport) or any(said in program.stderr.text() for said in ADDRESS_IN_USE)
                )  # another process had the port a moment: a free_port() of a grading beside this one, say
                program.stop()
                if not lost_race or attempt == tries - 1:
                    raise
        raise AssertionError("unreachable")

    def servers_that_died(self) -> list[Program]:
        """Servers that were up and have exited (servers run until they are killed). One that let go
        of its port is dying: it is given DYING_WITHIN to end, so its traceback can be shown (a
        client's "connection refused" often comes before the process is gone)."""
        for server in self.servers:
            if server.returncode is None and server.killed_after is None and not server.holds_its_port():
                server.wait_ended(DYING_WITHIN)
        return [server for server in self.servers if server.returncode is not None and server.killed_after is None]

    def stop_all(self) -> None:
        for program in self.running:
            program.stop()


def listening(port: int | None, transport: Transport, told: bool) -> Callable[[], Watch]:
    """A server gets going once it listens where the grader expects it (``port``; None: anywhere)."""

    def watch(program: Program) -> None:
        program.wait_listening(port, transport, told=told)

    return lambda: watch


def _lay_out(workdir: Path, spec: CourseProgram) -> None:
    """Its working folder as the course hands it out: its files where the profile puts them, its folders made."""
    for destination, source in spec.files.items():
        target = workdir / destination
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    for folder in spec.folders:
        (workdir / folder).mkdir(parents=True, exist_ok=True)


def missing_requirements(requirements: tuple[str, ...]) -> list[str]:
    """The packages a course's program needs that are not installed beside netlab."""
    missing = []
    for requirement in requirements:
        try:
            importlib.metadata.distribution(Requirement(requirement).name)
        except (importlib.metadata.PackageNotFoundError, InvalidRequirement):
            missing.append(requirement)
    return missing


def _is_address(name: str) -> bool:
    try:
        return ipaddress.ip_address(name).version == 4
    except ValueError:
        return False


def _resolves_anyway(name: str) -> bool:
    """localhost and address literals need no private /etc/hosts."""
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return name == "localhost"
