"""Course profiles: what one course's handout changes in the labs, read and checked once.

A profile is a TOML file (``netlab.toml``, or the ``[tool.netlab]`` table of a
grading repository's ``pyproject.toml``), or the name of one bundled beside this
module (``textbook``). Per lab it may say:

```toml
[labs.webserver]
points = { test_serves_an_html_file = 4, test_content_length_is_exact = 1.5 }  # a check's points
off = ["test_serves_a_10_mb_file_whole", "optional 2"]  # checks, or whole groups, not graded
visibility = { "optional 1" = "after_due_date", test_closes_the_connection_after_the_response = "hidden" }
time_limit = 60                              # seconds per check (pytest-timeout)

[labs.webserver.programs."webserver.py"]    # a program, by its LABS.md file name
names = ["WebServer.py", "lab2/*.py"]        # the files to look for, in order (sub-folders, globs)
port = 6789                                  # fixed: it takes no port on its command line ("auto": any)
files = ["404.html", { from = "pics/c2p22.png", to = "extra/c2p22.png" }]  # copied into its working folder
folders = ["cache"]                          # made, empty, in its working folder
```

A file is named by its path beside the profile and copied to its working folder under its own name,
or placed where ``to`` says; ``to`` and ``folders`` are paths inside the working folder (a program
that always attaches ``extra/c2p22.png``, one that writes into ``./cache/`` and never makes it).

A program's command line, input and environment, where the handout's differ from LABS.md's:
``args = ["{server}"]`` (or several, tried in order for each submission: ``args = [["{server}", "{port}"],
["{port}"], []]``, harness/command_lines.py), ``stdin = "{server}\n{sender}\n"`` (for ``input()``),
``env = { SMTP_PASSWORD = "{password}" }``, and ``requirements = ["dnspython"]`` (packages the
submissions import: said where they are missing). Placeholders: ``{port}`` (its port, or its
server's), ``{server}`` (its server's name, or the address a server binds), ``{args}`` (the
options a check gives it, each an argument), and a check's own values (``OWN_PLACEHOLDERS``).
The textbook's ICMPPinger.py loops forever, numbers every request 1 and prints a bare RTT in
seconds: ``never_exits = true``, ``sequence = 1``, ``bare_rtt = true``; its Traceroute.py numbers
every probe 1 too (``OWN_KEYS``).

A group is named whole (``"optional 1: multithreaded"``) or by its label (``"optional 1"``,
``"core"``). Visibility is Gradescope's: ``visible`` (the default), ``hidden``,
``after_due_date``, ``after_published``; a check's own setting wins over its group's.
A client's program may also fix its peer: ``server = "localhost"`` and ``port``.
Anything the profile names that does not exist (a lab, a check, a group, a program, a
key) is refused with a message that names it and the nearest real name: a typo must
never grade silently.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from graders.vocabulary.checks import Check

BUNDLED = Path(__file__).resolve().parent / "courses"
PROGRAMS: dict[str, tuple[str, ...]] = {  # LABS.md: each lab's programs, the labs in the order taught (reports/lab_order.py)
    "echo": ("udp_server.py", "udp_client.py", "tcp_server.py", "tcp_client.py"),
    "webserver": ("webserver.py", "http_client.py"),
    "pinger": ("udp_pinger.py", "heartbeat_client.py", "heartbeat_server.py"),
    "smtp": ("smtp_client.py",),
    "proxy": ("proxy.py",),
    "icmp": ("icmp_pinger.py",),
    "traceroute": ("traceroute.py",),
}
RAW_SOCKETS = ("icmp", "traceroute")  # labs whose programs open raw sockets: each run in a network namespace of its own
PEERS_APART = ("proxy.py",)  # fixed programs whose peers listen in a network linked to theirs: a proxy may take its origins' port 80
DEFAULT_PORTS: dict[str, tuple[int, ...]] = {  # where a client with ``port = "auto"`` may also go: its lab's usual ports
    "udp_client.py": (12000,),
    "tcp_client.py": (12000,),
    "udp_pinger.py": (12000,),
    "heartbeat_client.py": (12000,),
    "http_client.py": (6789, 80, 8080),
    "smtp_client.py": (25, 587, 2525, 1025, 465),
}
LAB_KEYS = {"points", "off", "visibility", "time_limit", "programs"}
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")  # Gradescope's
PROGRAM_KEYS = {"names", "port", "server", "args", "stdin", "env", "files", "folders", "requirements",
                "never_exits", "sequence", "bare_rtt"}
OWN_KEYS: dict[str, tuple[str, ...]] = {  # keys only some programs' checks know how to honour: the textbook's ICMP labs'
    "icmp_pinger.py": ("never_exits", "sequence", "bare_rtt"),
    "traceroute.py": ("sequence",),
}
FILE_KEYS = {"from", "to"}  # a file placed elsewhere than under its own name
AUTO = "auto"  # a port the program picks: a server's is seen where it listens, a client's read from its code
PLACEHOLDERS = ("port", "server", "args")  # what args, stdin and env may name in braces, for every program
OWN_PLACEHOLDERS: dict[str, tuple[str, ...]] = {  # and what a check gives one program besides (LABS.md's options)
    "smtp_client.py": ("sender", "recipient", "subject", "body", "username", "password"),
    "http_client.py": ("filename",),
    "heartbeat_client.py": ("interval", "count"),
    "heartbeat_server.py": ("timeout",),
}
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class ProfileError(ValueError):
    """A profile that names what does not exist, or gives a value of the wrong kind."""


@dataclass(frozen=True)
class Program:
    """How one program of a lab is found and started under this course."""

    names: tuple[str, ...]  # files to look for, in order: names, paths into sub-folders, globs
    port: int | str | None = None  # fixed port (its own, for a server; its peer's, for a client), or AUTO
    server: str | None = None  # fixed peer host name or address, for a client
    args: tuple[tuple[str, ...], ...] | None = None  # its command lines, with placeholders, tried in order; None: LABS.md's
    stdin: str | None = None  # its input, where a check gives none
    env: dict[str, str] = field(default_factory=dict)  # added to its environment, with placeholders
    files: dict[str, Path] = field(default_factory=dict)  # per path in its working folder, the file copied there
    folders: tuple[str, ...] = ()  # made, empty, in its working folder
    requirements: tuple[str, ...] = ()  # packages it imports
    never_exits: bool = False  # it loops forever: stopped once it printed what a check reads, which is no fault
    sequence: int | None = None  # the sequence number every request of it carries (either byte order), where the handout fixes one
    bare_rtt: bool = False  # a line that is only a number is a reply's RTT, in seconds (LABS.md's unit for one without a unit)

    @property
    def fixed(self) -> bool:
        """Whether it hard-codes its port or peer: it runs in a network namespace of its own."""
        return self.port is not None or self.server is not None

    def filled(self, text: str, values: dict[str, str]) -> str:
        """``text`` with its placeholders filled in from ``values`` (one a check does not give stays as written)."""
        return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)

    def command_lines(self, values: dict[str, str], options: list[str]) -> list[list[str]] | None:
        """Its command lines as the profile writes them, in order (``{args}`` alone: the check's options,
        each an argument), or None where the profile writes none."""
        if self.args is None:
            return None
        return [[part for arg in line for part in (options if arg == "{args}" else [self.filled(arg, values)])] for line in self.args]


@dataclass(frozen=True)
class LabProfile:
    points: dict[str, float] = field(default_factory=dict)
    off: frozenset[str] = frozenset()
    visibility: dict[str, str] = field(default_factory=dict)
    time_limit: float | None = None
    programs: dict[str, Program] = field(default_factory=dict)


@dataclass(frozen=True)
class Course:
    """A course profile; the empty one is LABS.md as it stands."""

    name: str
    labs: dict[str, LabProfile] = field(default_factory=dict)

    def lab(self, lab: str) -> LabProfile:
        return self.labs.get(lab, LabProfile())

    def program_for(self, filename: str) -> Program:
        """A program by its LABS.md file name, whatever its lab."""
        for lab in self.labs.values():
            if filename in lab.programs:
                return lab.programs[filename]
        return Program((filename,))

    def fixes(self, lab: str) -> bool:
        """Whether a program of the lab hard-codes its port or its peer (textbook mode)."""
        return any(program.fixed for program in self.lab(lab).programs.values())

    def requirements(self) -> list[str]:
        """Every package a program of the course imports, as its profile lists them."""
        return list(dict.fromkeys(r for lab in self.labs.values() for program in lab.programs.values() for r in program.requirements))

    def fixed_programs(self) -> list[str]:
        """The programs that hard-code their ports or peers, by their LABS.md file names."""
        return [filename for lab in self.labs.values() for filename, program in lab.programs.items() if program.fixed]

    def unlike_labs_md(self, labs: list[str]) -> list[str]:
        """The programs of ``labs`` (all, if none given) that a submission written to LABS.md, such as
        reference/, cannot be graded as: those with their ports or peers in the code, and those
        looked for under other names only."""
        return [
            filename
            for lab, profile in self.labs.items() if not labs or lab in labs
            for filename, program in profile.programs.items() if program.fixed or filename not in program.names
        ]

    def file_names(self) -> dict[str, tuple[str, ...]]:
        """Per LABS.md file name, the names this course looks for, where it says."""
        return {filename: program.names for lab in self.labs.values() for filename, program in lab.programs.items()}

    def check_names(self, checks: list[Check]) -> None:
        """Refuse checks and groups the graders do not have, naming the nearest real one."""
        labs = {check.lab for check in checks}
        for lab, profile in self.labs.items():
            if lab not in labs:
                continue
            names = {check.name for check in checks if check.lab == lab}
            groups = {label for check in checks if check.lab == lab for label in (check.group, _label(check.group))}
            for name in profile.points:
                if name not in names:
                    raise ProfileError(f"{self.name}: lab `{lab}` has no check `{name}`{_nearest(name, names)}")
            for name in [*profile.off, *profile.visibility]:
                if name not in names | groups:
                    raise ProfileError(f"{self.name}: lab `{lab}` has no check or group `{name}`{_nearest(name, names | groups)}")

    def grade(self, check: Check) -> Check | None:
        """The check as this course grades it: its points and visibility, or None when switched off."""
        lab = self.lab(check.lab)
        if {check.name, check.group, _label(check.group)} & lab.off:
            return None
        visibility = next((lab.visibility[key] for key in (check.name, check.group, _label(check.group)) if key in lab.visibility), check.visibility)
        return replace(check, points=lab.points.get(check.name, check.points), visibility=visibility)


def _label(group: str) -> str:
    """A group's short name: ``optional 1`` for ``optional 1: multithreaded``."""
    return group.split(":")[0]


def _nearest(name: str, known: set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


LABS_MD = Course("LABS.md")


def load(spec: str | None) -> Course:
    """The profile named by ``--course``: a bundled name, a TOML file, or a pyproject.toml."""
    if not spec:
        return LABS_MD
    path = Path(spec)
    if not path.is_file() and (BUNDLED / f"{spec}.toml").is_file():
        path = BUNDLED / f"{spec}.toml"
    if not path.is_file():
        raise ProfileError(f"no course profile {spec!r}: neither a file nor one of {', '.join(bundled())}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(f"{path}: not TOML: {error}") from None
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("netlab")
        if data is None:
            raise ProfileError(f"{path} has no [tool.netlab] table")
    return parse(data, str(path), path.resolve().parent)


def bundled() -> list[str]:
    return sorted(path.stem for path in BUNDLED.glob("*.toml"))


def parse(data: dict[str, Any], name: str, base: Path = Path.cwd()) -> Course:
    """A profile from its TOML data; ``base`` is where its ``files`` are."""
    _only(data, {"labs", "submission"}, name)  # submission: what a student's own netlab.toml names (submission_choice)
    labs = data.get("labs", {})
    _kind(labs, dict, f"{name}: labs")
    for lab in labs:
        if lab not in PROGRAMS:
            raise ProfileError(f"{name}: no lab `{lab}` (the labs are {', '.join(PROGRAMS)})")
    return Course(name, {lab: _lab(lab, table, f"{name}: lab `{lab}`", base) for lab, table in labs.items()})


def _lab(lab: str, table: Any, where: str, base: Path) -> LabProfile:
    _kind(table, dict, where)
    _only(table, LAB_KEYS, where)
    points = table.get("points", {})
    _kind(points, dict, f"{where}: points")
    for check, value in points.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value < float("inf"):
            raise ProfileError(f"{where}: points for `{check}` must be a number of points (0, 2, 1.5), not {value!r}")
    visibility = table.get("visibility", {})
    _kind(visibility, dict, f"{where}: visibility")
    for name, value in visibility.items():
        if value not in VISIBILITIES:
            raise ProfileError(f"{where}: visibility of `{name}` must be one of {', '.join(VISIBILITIES)}, not {value!r}")
    off = table.get("off", [])
    if not isinstance(off, list) or not all(isinstance(check, str) for check in off):
        raise ProfileError(f"{where}: off must be a list of check and group names")
    limit = table.get("time_limit")
    if limit is not None and (not isinstance(limit, (int, float)) or isinstance(limit, bool) or limit <= 0):
        raise ProfileError(f"{where}: time_limit must be a number of seconds, not {limit!r}")
    programs = table.get("programs", {})
    _kind(programs, dict, f"{where}: programs")
    for filename in programs:
        if filename not in PROGRAMS[lab]:
            raise ProfileError(f"{where}: no program `{filename}` (the lab's programs are {', '.join(PROGRAMS[lab])})")
    return LabProfile(
        points=dict(points),
        off=frozenset(off),
        visibility=dict(visibility),
        time_limit=float(limit) if limit is not None else None,
        programs={filename: _program(filename, spec, f"{where}: program `{filename}`", base) for filename, spec in programs.items()},
    )


def _program(filename: str, spec: Any, where: str, base: Path) -> Program:
    _kind(spec, dict, where)
    _only(spec, PROGRAM_KEYS, where)
    names = _strings(spec, "names", where) or [filename]
    if not all(_relative(name) for name in names):
        raise ProfileError(f"{where}: names must be file names or paths inside the submission (`lab2/WebServer.py`)")
    port = spec.get("port")
    if port is not None and port != AUTO and (not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536):
        raise ProfileError(f"{where}: port must be a port number or \"{AUTO}\", not {port!r}")
    server = spec.get("server")
    if server is not None and (not isinstance(server, str) or not server):
        raise ProfileError(f"{where}: server must be a host name or an address")
    args = _command_lines(spec.get("args"), where)
    stdin = spec.get("stdin")
    if stdin is not None and not isinstance(stdin, str):
        raise ProfileError(f"{where}: stdin must be text")
    env = spec.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(value, str) for value in env.values()):
        raise ProfileError(f"{where}: env must be a table of names and texts")
    files = _files(spec.get("files", []), f"{where}: files", base)
    folders = _strings(spec, "folders", where)
    outside = [folder for folder in folders if not _relative(folder)]
    if outside:
        raise ProfileError(f"{where}: folders must be paths inside its working folder (`cache`), not {outside[0]!r}")
    requirements = tuple(_strings(spec, "requirements", where))
    _placeholders_known(filename, [*(arg for line in args or () for arg in line), stdin or "", *env.values()], where)
    never_exits, sequence, bare_rtt = _own_keys(filename, spec, where)
    return Program(tuple(names), port, server, args, stdin, dict(env), files, tuple(folders), requirements, never_exits, sequence, bare_rtt)


def _own_keys(filename: str, spec: dict[str, Any], where: str) -> tuple[bool, int | None, bool]:
    """``never_exits``, ``sequence`` and ``bare_rtt``: refused for a program whose checks cannot honour them."""
    foreign = sorted(key for key in set(spec) & {key for keys in OWN_KEYS.values() for key in keys} if key not in OWN_KEYS.get(filename, ()))
    if foreign:
        owners = ", ".join(owner for owner, keys in OWN_KEYS.items() if foreign[0] in keys)
        raise ProfileError(f"{where}: `{foreign[0]}` is a key of {owners} only")
    for key in ("never_exits", "bare_rtt"):
        if not isinstance(spec.get(key, False), bool):
            raise ProfileError(f"{where}: {key} must be true or false, not {spec[key]!r}")
    sequence = spec.get("sequence")
    if sequence is not None and (not isinstance(sequence, int) or isinstance(sequence, bool) or not 0 <= sequence < 65536):
        raise ProfileError(f"{where}: sequence must be a sequence number (0 to 65535), not {sequence!r}")
    return spec.get("never_exits", False), sequence, spec.get("bare_rtt", False)


def _command_lines(args: Any, where: str) -> tuple[tuple[str, ...], ...] | None:
    """``args``: one command line (a list of texts; ``[]``, none), or several (a list of such lists),
    tried in order; None where the profile gives none."""
    if args is None:
        return None
    if isinstance(args, list) and all(isinstance(arg, str) for arg in args):
        return (tuple(args),)
    if not isinstance(args, list) or not all(isinstance(line, list) and all(isinstance(arg, str) for arg in line) for line in args):
        raise ProfileError(f"{where}: args must be a list of arguments ([\"{{server}}\", \"{{port}}\"]) or a list of command lines "
                           f"([[\"{{server}}\", \"{{port}}\"], [\"{{port}}\"], []]), not {args!r}")
    lines = tuple(tuple(line) for line in args)
    repeated = next((k for k, line in enumerate(lines) if line in lines[:k]), None)
    if repeated is not None:
        raise ProfileError(f"{where}: args: command line {repeated + 1} repeats command line {lines.index(lines[repeated]) + 1}")
    return lines


def _files(items: Any, where: str, base: Path) -> dict[str, Path]:
    """Per path in the working folder, the file beside the profile copied there: ``"404.html"``
    keeps its name, ``{ from = "pics/c2p22.png", to = "extra/c2p22.png" }`` goes where ``to`` says."""
    if not isinstance(items, list):
        raise ProfileError(f"{where} must be a list of file names and {{ from, to }} tables")
    files: dict[str, Path] = {}
    for item in items:
        source, destination = _file(item, where)
        path = (base / source).resolve()
        if not path.is_file():
            raise ProfileError(f"{where}: files not found: {path} (paths are relative to the profile)")
        if destination in files:
            raise ProfileError(f"{where}: two files go to `{destination}`")
        files[destination] = path
    return files


def _file(item: Any, where: str) -> tuple[str, str]:
    """A file's source beside the profile and its path in the working folder."""
    if isinstance(item, str):
        return item, Path(item).name
    if not isinstance(item, dict) or set(item) != FILE_KEYS or not all(isinstance(value, str) for value in item.values()):
        raise ProfileError(f"{where}: each is a file name or a table {{ from = \"pics/a.png\", to = \"extra/a.png\" }}, not {item!r}")
    if not _relative(item["to"]):
        raise ProfileError(f"{where}: `to` must be a path inside its working folder (`extra/c2p22.png`), not {item['to']!r}")
    return item["from"], item["to"]


def _placeholders_known(filename: str, texts: list[str], where: str) -> None:
    """Refuse a placeholder no check gives this program (a typo would reach it as written)."""
    known = (*PLACEHOLDERS, *OWN_PLACEHOLDERS.get(filename, ()))
    for text in texts:
        for name in PLACEHOLDER.findall(str(text)):
            if name not in known:
                raise ProfileError(f"{where}: no placeholder `{{{name}}}`{_nearest(name, set(known))} "
                                   f"(the placeholders are {', '.join('{' + known_name + '}' for known_name in known)})")


def _strings(spec: dict[str, Any], key: str, where: str) -> list[str]:
    value = spec.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ProfileError(f"{where}: {key} must be a list of texts")
    return value


def _relative(name: str) -> bool:
    """A non-empty path inside the submission: not absolute, no `..`."""
    parts = Path(name).parts
    return bool(name) and not Path(name).is_absolute() and ".." not in parts and "\\" not in name


def _only(table: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ProfileError(f"{where}: unknown key `{unknown[0]}` (the keys are {', '.join(sorted(allowed))})")


def _kind(value: Any, kind: type, where: str) -> None:
    if not isinstance(value, kind):
        raise ProfileError(f"{where} must be a table, not {value!r}")
