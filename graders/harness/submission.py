"""A student's submission: the directory of programs, and what to say when one is missing.

A missing program fails its checks with "`X` not found in `DIR`" (LABS.md), and the
message helps the student find the slip: the ``.py`` files that are there, the nearest
name (`Webserver.py`), a file of that name in a sub-folder, or a name that says the
program was written to the textbook's handout (`WebServer.py`: grade with ``--course``).
A program that is still the template's stub, its ``TODO(student)`` parts untouched, was not
attempted either: its checks say so, in one line, rather than fail one by one.
"""

from __future__ import annotations

import ast
import difflib
import fnmatch
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

from graders.vocabulary.failures import CheckFailed

LISTED = 12  # .py files a message names before it says how many more
SEARCH_DEPTH = 3  # sub-folder levels looked into for a misplaced program
NEAR = 0.75  # how alike two file names are (difflib's ratio) to suggest one for the other


class MissingProgram(CheckFailed):
    """The program a check needs is not in the submission: its part was not attempted, or the
    file has another name or place."""


class TemplateStub(MissingProgram):
    """The program is the template's, as handed out: not attempted, core included."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            expected=f"`{path.name}` with its TODO(student) parts written",
            got=f"`{path.name}` is still the template's stub: not attempted",
        )
        self.program = path.name


@dataclass(frozen=True)
class Submission:
    """A directory of a student's programs; ``names`` gives, per LABS.md file name, the names a
    course profile looks for instead (``WebServer.py``), in order; ``handout_names`` the names
    the bundled handout profile would look for, to suggest it."""

    root: Path
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    handout_names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    template: Path | None = None  # student_template/: a program still its stub was not attempted

    def program(self, filename: str) -> Path:
        """The program's path; a missing file, or the template's stub, fails the check that needs it."""
        names = self.names.get(filename, (filename,))
        for name in names:
            for path in self._found(name):
                if self.template is not None and is_stub(path, self.template / filename):
                    raise TemplateStub(path)
                return path
        wanted = " or ".join(f"`{name}`" for name in names)
        raise MissingProgram(
            expected=f"{wanted} at the top of the submission",
            got=f"{wanted} not found in `{self.root}`" + "".join(f"\n{hint}" for hint in self.hints(filename, names)),
        )

    def _found(self, name: str) -> list[Path]:
        """The files ``name`` stands for, inside the submission: itself, or a glob's (sorted); spelled
        as named, case included, on every system (``_as_named``)."""
        root = self.root.resolve()
        paths = sorted(self.root.glob(name)) if any(char in name for char in "*?[") else [self.root / name]
        found = [path for path in paths if path.is_file() and _as_named(path, self.root, name)]
        return [path.resolve() for path in found if path.resolve().is_relative_to(root)]

    def hints(self, filename: str, names: tuple[str, ...]) -> list[str]:
        """What the directory holds instead, and what it suggests."""
        files = sorted(path.name for path in self.root.iterdir() if path.is_file()) if self.root.is_dir() else []
        present = [name for name in files if name.endswith(".py")]
        hints = [_listing(present)]
        lowered = {name.lower(): name for name in files}  # every file: `TCPClient,py` is a near miss too
        near = [lowered[match] for name in names for match in difflib.get_close_matches(name.lower(), lowered, n=1, cutoff=NEAR)]
        handout = [name for name in self.handout_names.get(filename, ()) if name in present and name not in names]
        if handout:
            hints.append(f"`{handout[0]}` is the textbook handout's name for it: grade with `--course textbook` "
                         "(or a course profile that names it)")
        elif near:
            hints.append(f"did you mean `{near[0]}`? (file names are matched exactly, case included, on every system)")
        deeper = _in_sub_folders(self.root, names)
        if deeper:
            hints.append(f"`{deeper}` is in a sub-folder: programs must be at the top of the submission "
                         f"(or a course profile names it: names = [\"{deeper}\"])")
        return hints


def _as_named(path: Path, root: Path, name: str) -> bool:
    """Whether ``path`` is spelled on disk as ``name`` asks, case included. macOS and Windows find
    `Webserver.py` when asked for `webserver.py`, and Windows' glob matches any case; Linux does
    neither: a laptop would grade what a Linux autograder calls missing. So a name is matched as
    Linux matches it, everywhere, and the message suggests the file that is there."""
    parent = root
    relative = path.relative_to(root)
    for part in relative.parts:
        if part not in os.listdir(parent):
            return False
        parent = parent / part
    return fnmatch.fnmatchcase(relative.as_posix(), name)


def is_stub(program: Path, stub: Path) -> bool:
    """Whether ``program`` is the template's ``stub`` as handed out: the same code, whatever its
    comments, blank lines, line ends and layout (a ``TODO(student)`` comment deleted, a file
    saved with CRLF), so the same Python syntax tree. A program that does not parse was attempted."""
    if not stub.is_file():
        return False
    mine = _syntax_tree(program.read_bytes())
    return mine is not None and mine == _syntax_tree(stub.read_bytes())


@functools.lru_cache(maxsize=64)
def _syntax_tree(source: bytes) -> str | None:
    """The code's syntax tree as text; None where it does not parse (asked once a content)."""
    try:
        return ast.dump(ast.parse(source))
    except (SyntaxError, ValueError):
        return None


def _listing(present: list[str]) -> str:
    if not present:
        return "the directory holds no .py file"
    more = f" and {len(present) - LISTED} more" if len(present) > LISTED else ""
    return "its .py files: " + ", ".join(present[:LISTED]) + more


def _in_sub_folders(root: Path, names: tuple[str, ...]) -> str | None:
    """A file of one of ``names`` (any case) below the top, else the nearest to one, by its name
    or its path read as one name (`upper_udp/server.py` for `UDPServer.py`), as a path relative to ``root``."""
    wanted = [Path(name).name.lower() for name in names]
    below = [path for depth in range(2, SEARCH_DEPTH + 2) for path in sorted(root.glob("/".join(["*"] * depth))) if path.is_file()]
    exact = [path for path in below if path.name.lower() in wanted]
    scored = sorted(((max(_likeness(path, root, name) for name in wanted), path) for path in below), key=lambda pair: pair[0], reverse=True)
    near = [path for (by_name, _), path in scored if by_name >= NEAR]
    found = (exact or near)[:1]
    return found[0].relative_to(root).as_posix() if found else None


def _likeness(path: Path, root: Path, name: str) -> tuple[float, float]:
    """How near ``path`` is to the file name ``name``: by the better of its own name and its path run
    together (folders and name), then by the path (of `upper_tcp/server.py` and `upper_udp/server.py`,
    the second is nearer `UDPServer.py`)."""
    joined = difflib.SequenceMatcher(None, path.relative_to(root).as_posix().lower().replace("/", ""), name).ratio()
    return max(difflib.SequenceMatcher(None, path.name.lower(), name).ratio(), joined), joined
