"""The docs show commands and profiles that work: every command of a ``sh`` block of
``docs/`` and of README.md (but its set-up block, which tests/test_ci.py holds) is one
netlab's own parsers accept, and every profile of docs/course-profiles.md loads with
netlab's reader and names only checks the graders have."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from graders.commands.cli import command_line
from graders.harness import course, submission_choice
from graders.reports.rubric import collect_checks

REPO = Path(__file__).resolve().parent.parent
DOCS = sorted((REPO / "docs").glob("*.md"))
PROFILES = REPO / "docs" / "course-profiles.md"
COLLECT_WITHIN = 120.0  # seconds for pytest to collect the graders, beside other tests
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(path: Path, language: str) -> list[str]:
    return [body for found, body in FENCE.findall(path.read_text(encoding="utf-8")) if found == language]


def commands(path: Path) -> list[list[str]]:
    """Each command of the file's ``sh`` blocks, split as a shell would, comments and
    ``NAME=value`` prefixes left out; README's first block (the set-up) is not read."""
    found = blocks(path, "sh")[1:] if path.name == "README.md" else blocks(path, "sh")
    split = [shlex.split(line, comments=True) for body in found for line in body.splitlines()]
    return [[word for word in words if not re.match(r"^[A-Z_]+=", word)] for words in split if words]


def shown_id(value: str | list[str]) -> str:
    return value if isinstance(value, str) else shlex.join(value)


SHOWN = [(path.relative_to(REPO).as_posix(), words) for path in [*DOCS, REPO / "README.md"] for words in commands(path)]


def test_the_docs_exist_and_the_readme_leads_to_them() -> None:
    names = {path.name for path in DOCS}
    assert {"instructors.md", "course-profiles.md", "how-it-works.md"} <= names
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in names:
        assert f"(docs/{name})" in readme, f"README.md does not link docs/{name}"
    for path in [*DOCS, REPO / "README.md", REPO / "ci" / "README.md"]:
        for target in re.findall(r"\]\((?!https?:|#)([^)#]+)", path.read_text(encoding="utf-8")):
            assert (path.parent / target).exists(), f"{path.name} links {target}, which does not exist"


def test_every_command_shown_is_netlab_or_pytest() -> None:
    assert SHOWN, "the docs show no command"
    others = [(where, shlex.join(words)) for where, words in SHOWN if words[0] not in ("netlab", "pytest")]
    assert not others, f"commands no test runs: {others}"


@pytest.mark.parametrize(("where", "words"), [shown for shown in SHOWN if shown[1][0] == "netlab"], ids=shown_id)
def test_each_netlab_command_shown_is_one_netlab_accepts(where: str, words: list[str]) -> None:
    try:
        command_line().parse_args(words[1:])
    except SystemExit as exit:
        pytest.fail(f"{where}: `{shlex.join(words)}` is refused (exit {exit.code})")


@pytest.mark.parametrize(("where", "words"), [shown for shown in SHOWN if shown[1][0] == "pytest"], ids=shown_id)
def test_each_pytest_command_shown_grades_with_the_options_it_shows(where: str, words: list[str], tmp_path: Path) -> None:
    """Run as shown, but collecting only, from a folder where its submission exists: an option
    pytest or the netlab plugin does not have is a usage error (exit 4)."""
    assert words[1] == "graders/", f"{where}: `{shlex.join(words)}` does not grade graders/"
    shutil.copytree(REPO / "student_template", tmp_path / "my_labs")
    (tmp_path / "netlab.toml").write_text("# the profile a page names: LABS.md as it stands\n")
    command = [sys.executable, "-m", "pytest", str(REPO / "graders"), *words[2:], "--collect-only", "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=COLLECT_WITHIN)
    assert done.returncode == 0, f"{where}: `{shlex.join(words)}` exits {done.returncode}: {done.stderr[-1500:]}"


@pytest.mark.parametrize("block", blocks(PROFILES, "toml"), ids=lambda block: block.split("]")[0].strip("["))
def test_each_profile_shown_loads_and_names_real_checks(block: str, tmp_path: Path) -> None:
    data = tomllib.loads(block)
    name = "pyproject.toml" if "tool" in data else "netlab.toml"
    for lab in (data.get("tool", {}).get("netlab", data)).get("labs", {}).values():
        for program in lab.get("programs", {}).values():
            for file in program.get("files", []):
                source = tmp_path / (file["from"] if isinstance(file, dict) else file)  # "404.html", or { from, to }
                source.parent.mkdir(parents=True, exist_ok=True)
                source.write_text("shown in the docs\n")
    (tmp_path / name).write_text(block, encoding="utf-8")
    profile = course.load(str(tmp_path / name))  # a key, program or placeholder that does not exist is refused
    collect_checks(None, profile)  # a check or group that does not exist is refused


def test_the_profile_reference_names_every_key_and_placeholder_and_has_an_example_per_lab() -> None:
    text = PROFILES.read_text(encoding="utf-8")
    for key in sorted(course.LAB_KEYS | course.PROGRAM_KEYS | {submission_choice.KEY}):
        assert f"| `{key}` |" in text, f"key {key} is not in the tables"
    own = {name for names in course.OWN_PLACEHOLDERS.values() for name in names}
    for placeholder in sorted({*course.PLACEHOLDERS, *own}):
        assert f"`{{{placeholder}}}`" in text, f"placeholder {{{placeholder}}} is not in the table"
    examples = [tomllib.loads(block) for block in blocks(PROFILES, "toml")]
    shown = {lab for example in examples for lab in example.get("labs", {})}
    assert shown == set(course.PROGRAMS), f"labs with no example: {sorted(set(course.PROGRAMS) - shown)}"
    for visibility in course.VISIBILITIES:
        assert f"`{visibility}`" in text
