"""Clone a roster's repositories (or one shard of them) into DEST/<name>, for ``netlab batch``.

    python ci/github/clone_roster.py roster.txt submissions [--shard K/N] [--jobs 8]

The roster has one repository a line: ``owner/name`` (on GitHub) or any URL git clones,
then optionally a name for its directory (a student id; default: the repository's name),
``#`` starting a comment. ``--shard K/N`` picks the names ``netlab batch --shard`` would
(its own function, on the same sorted names), so a job clones only what it grades.

A repository that does not clone still gets its (empty) directory, so its student has a
row of zeros and a warning in the log rather than no row at all. GIT_TOKEN, if set, is
sent to github.com as an HTTP header on the command line and never written into a clone;
each clone's ``.git`` is removed, so the programs graded next find no credentials there.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from graders.commands.batch import select_shard, shard

NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")  # no hidden names: netlab batch skips those
CLONE_WITHIN = 180  # seconds for one clone; a student repository is a few files
FAILURES = "clone-failures.txt"


@dataclass(frozen=True)
class Entry:
    url: str
    name: str


def parse(text: str) -> list[Entry]:
    entries: list[Entry] = []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        repository = fields[0]
        url = repository if "://" in repository or repository.startswith("git@") else f"https://github.com/{repository}.git"
        name = fields[1] if len(fields) > 1 else repository.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].removesuffix(".git")
        if not NAME.match(name):
            raise ValueError(f"line {number}: {name!r} cannot name a submission directory (letters, digits, . _ -)")
        entries.append(Entry(url, name))
    names = [entry.name for entry in entries]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(f"two repositories would share a directory: {', '.join(twice)} (give them names in a second column)")
    if not entries:
        raise ValueError("the roster names no repository")
    return entries


def git_options(url: str) -> list[str]:
    token = os.environ.get("GIT_TOKEN", "")
    if not token or not url.startswith("https://github.com/"):
        return []
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return ["-c", f"http.https://github.com/.extraheader=AUTHORIZATION: basic {basic}"]


def clone(entry: Entry, dest: Path) -> str | None:
    """None when cloned; else why not, without the token."""
    target = dest / entry.name
    command = ["git", *git_options(entry.url), "clone", "--quiet", "--depth", "1", entry.url, str(target)]
    env = os.environ | {"GIT_TERMINAL_PROMPT": "0"}  # a private repository without a token fails, never prompts
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=CLONE_WITHIN, env=env, stdin=subprocess.DEVNULL)
        error = None if done.returncode == 0 else (done.stderr.strip().splitlines() or [f"git exited {done.returncode}"])[-1]
    except subprocess.TimeoutExpired:
        error = f"no clone within {CLONE_WITHIN} s"
    if error is None:
        shutil.rmtree(target / ".git", ignore_errors=True)
        return None
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    return error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roster", type=Path)
    parser.add_argument("dest", type=Path)
    parser.add_argument("--shard", type=shard, metavar="K/N", help="only the names netlab batch --shard K/N grades")
    parser.add_argument("--jobs", type=int, default=8, help="clones at a time (default 8)")
    args = parser.parse_args(argv)
    try:
        entries = parse(args.roster.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        print(f"::error::roster {args.roster}: {error}", file=sys.stderr)
        return 2
    chosen = select_shard(sorted(entries, key=lambda e: e.name), args.shard)
    args.dest.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        errors = list(pool.map(lambda entry: clone(entry, args.dest), chosen))
    failed = [(entry, error) for entry, error in zip(chosen, errors) if error]
    for entry, error in failed:
        print(f"::warning::{entry.name}: {entry.url} did not clone ({error}): graded as an empty submission")
    (args.dest.parent / FAILURES).write_text("".join(f"{e.name}\t{e.url}\t{error}\n" for e, error in failed), encoding="utf-8")
    print(f"cloned {len(chosen) - len(failed)} of {len(chosen)} repositories into {args.dest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
