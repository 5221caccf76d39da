"""Which submission a grading grades, and why: the first of, in order,

1. ``--submission DIR``;
2. ``$NETLAB_SUBMISSION``;
3. ``submission = "DIR"`` in a ``netlab.toml``, or in the ``[tool.netlab]`` table of a
   ``pyproject.toml``, in the working directory or the nearest folder above it that has one
   (DIR relative to that file);
4. the working directory, when one of the labs' programs is at its top (``pytest
   ~/netlab/graders`` run from the labs' folder);
5. ``student_template/``, said loudly: every program in it is a stub, not attempted.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

CONFIG_FILES = ("netlab.toml", "pyproject.toml")
KEY = "submission"
HOW_TO_NAME_ONE = ("to grade yours: `pytest graders/ --submission DIR`, or `NETLAB_SUBMISSION=DIR`, "
                   "or `submission = \"DIR\"` in a netlab.toml in the folder you run pytest from (or above), "
                   "or run pytest from your labs' folder")


class ChoiceError(ValueError):
    """A submission named that cannot be graded: not there, or not a directory."""


@dataclass(frozen=True)
class Choice:
    path: Path
    why: str  # how it was named: "--submission", "$NETLAB_SUBMISSION", "submission in /x/netlab.toml"...
    template: bool = False

    def announcement(self) -> str:
        """What the grading says before its first check."""
        if self.template:
            return f"grading {self.path}, netlab's template: no submission was named, so nothing is attempted; {HOW_TO_NAME_ONE}"
        return f"grading {self.path} ({self.why})"


def choose(option: str | None, environ: Mapping[str, str], cwd: Path, template: Path, programs: Iterable[str]) -> Choice:
    """The submission to grade (see the module's docstring); ``programs``: the file names that make
    a folder a submission. A directory named that is not one is refused, saying why."""
    if option:
        return _checked(Choice((cwd / option).resolve(), "--submission"))
    if environ.get("NETLAB_SUBMISSION"):
        return _checked(Choice((cwd / environ["NETLAB_SUBMISSION"]).resolve(), "$NETLAB_SUBMISSION"))
    configured = _configured(cwd)
    if configured is not None:
        return _checked(configured)
    if any((cwd / name).is_file() for name in programs):
        return Choice(cwd.resolve(), "the working directory, which holds the labs' programs")
    return Choice(template, "the template", template=True)


def _configured(cwd: Path) -> Choice | None:
    """``submission`` in the nearest netlab.toml or pyproject.toml that names one."""
    for folder in [cwd, *cwd.parents]:
        for name in CONFIG_FILES:
            path = folder / name
            value = _key(path)
            if value is not None:
                return Choice((folder / value).resolve(), f"`{KEY}` in {path}")
    return None


def _key(path: Path) -> str | None:
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError):
        return None  # not ours to judge: another tool's file
    table = data.get("tool", {}).get("netlab", {}) if path.name == "pyproject.toml" else data
    value = table.get(KEY) if isinstance(table, dict) else None
    return value if isinstance(value, str) else None


def _checked(choice: Choice) -> Choice:
    if choice.path.is_file():
        raise ChoiceError(f"submission {choice.path} is a file, not a directory (named by {choice.why}): a submission is "
                          f"the folder that holds your programs (this file's is {choice.path.parent})")
    if not choice.path.is_dir():
        raise ChoiceError(f"submission directory {choice.path} does not exist (named by {choice.why})")
    return choice
