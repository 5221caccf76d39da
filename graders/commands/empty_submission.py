"""A submission with nothing to grade: no program at all (a README alone, an empty zip), or
only ``student_template/``'s programs as they were handed out (their comments aside). ``netlab batch`` does not run
its grading: its row is zeros and its ``error`` says ``nothing to grade`` and why, as do the
exports' comments, and the class's figures leave it out with the gradings that did not run.
"""

from __future__ import annotations

import ast
from pathlib import Path

from graders import REPO

TEMPLATE = REPO / "student_template"
NOTHING_TO_GRADE = "nothing to grade"
LARGEST_TEMPLATE = 64 * 1024  # bytes: a larger .py is not a template's
LISTED = 5  # files named in the reason


def handed_out(template: Path = TEMPLATE) -> frozenset[str | bytes]:
    """The template's programs, as compared (none where the checkout has no template)."""
    return frozenset(code_of(path.read_bytes()) for path in sorted(template.glob("*.py")))


def code_of(text: bytes) -> str | bytes:
    """A program as compared: its syntax tree, comments, layout and line ends aside (as the
    graders' ``harness.submission.is_stub`` reads a stub); its bytes where it does not parse."""
    try:
        return ast.dump(ast.parse(text))
    except (SyntaxError, ValueError):
        return text


def why_nothing(folder: Path, template: frozenset[str | bytes]) -> str:
    """Why ``folder`` has nothing to grade; "" when it has a program of its own."""
    files = sorted(path for path in folder.rglob("*") if path.is_file() and not path.is_symlink())
    programs = [path for path in files if path.suffix.lower() == ".py"]
    if not programs:
        return f"{NOTHING_TO_GRADE}: no .py file ({listing(folder, files)})"
    if all(path.stat().st_size <= LARGEST_TEMPLATE and code_of(path.read_bytes()) in template for path in programs):
        return f"{NOTHING_TO_GRADE}: student_template's programs, unchanged"
    return ""


def listing(folder: Path, files: list[Path]) -> str:
    """What the folder holds instead: ``only README.md``, ``an empty folder``."""
    if not files:
        return "an empty folder"
    names = ", ".join(str(path.relative_to(folder)) for path in files[:LISTED])
    more = f" and {len(files) - LISTED} more" if len(files) > LISTED else ""
    return f"only {names}{more}"


def is_nothing_to_grade(error: str) -> bool:
    return error.startswith(NOTHING_TO_GRADE)
