"""Clone a roster's repositories (or one shard of them) into DEST/<name>, for ``netlab batch``.

    python ci/github/clone_roster.py roster.txt submissions [--shard K/N] [--jobs 8]
                                     [--before TIME] [--prefix OWNER/ASSIGNMENT]

The roster has one repository a line: ``owner/name`` (on GitHub) or any URL git clones,
then optionally a name for its directory (a student id; default: the repository's name),
``#`` starting a comment. Or it is a CSV as GitHub Classroom exports it: an assignment's
grades (``student_repository_url``, ``github_username``: each repository, named after its
student's GitHub username), or the classroom's roster (``classroom_roster.csv``:
``identifier``, ``github_username``, ``github_id``, ``name``), whose repositories Classroom
named ``OWNER/ASSIGNMENT-<github_username>``, as ``--prefix OWNER/ASSIGNMENT`` says. A student
who never linked a GitHub account has no repository: ``netlab batch --roster`` with the same
CSV gives them a row saying "no submission". ``--shard K/N`` picks the names ``netlab batch
--shard`` would (its own function, on the same sorted names), so a job clones only what it
grades.

``--before TIME`` (a deadline, as git reads a date: ``2026-10-01 23:59 -0400``) grades each
repository's last commit on its default branch whose commit date is before TIME, and lists
each graded commit in ``clone-commits.txt``; a repository with none is an empty submission.
Commit dates are the student's machine's: a student can set them. The time GitHub received a
push is not in git; Classroom's own deadline, or a grading started at the deadline, is the
one to trust.

A repository that does not clone still gets its (empty) directory, so its student has a
row of zeros and a warning in the log rather than no row at all. GIT_TOKEN, if set, is
sent to github.com as an HTTP header on the command line and never written into a clone;
each clone's ``.git`` is removed, so the programs graded next find no credentials there.
"""

from __future__ import annotations

import argparse
import base64
import csv
import io
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
COMMITS = "clone-commits.txt"
CLASSROOM_USER, CLASSROOM_URL = "github_username", "student_repository_url"  # GitHub Classroom's CSV columns


@dataclass(frozen=True)
class Entry:
    url: str
    name: str


def parse(text: str, prefix: str | None = None) -> list[Entry]:
    """The repositories of a roster: a line each, or a GitHub Classroom CSV."""
    if CLASSROOM_USER in text.split("\n", 1)[0]:
        return parse_classroom(text, prefix)
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
    return checked(entries)


def parse_classroom(text: str, prefix: str | None) -> list[Entry]:
    """GitHub Classroom's CSV: its repository URLs, or ``--prefix``-<github_username>; each
    named after its student's username. A row with no username (an account never linked) is
    left out: it has no repository."""
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    with_url = bool(rows) and CLASSROOM_URL in rows[0]
    if not with_url and not prefix:
        raise ValueError("GitHub Classroom's roster names no repository: give --prefix OWNER/ASSIGNMENT "
                         "(the assignment's repositories are OWNER/ASSIGNMENT-<github_username>)")
    entries = []
    for row in rows:
        user = (row.get(CLASSROOM_USER) or "").strip()
        url = (row.get(CLASSROOM_URL) or "").strip() if with_url else f"https://github.com/{prefix}-{user}.git"
        if user and url:
            entries.append(Entry(url if "://" in url else f"https://github.com/{url}.git", user))
    return checked(entries)


def checked(entries: list[Entry]) -> list[Entry]:
    """The entries, refused if two share a directory or there are none."""
    for entry in entries:
        if not NAME.match(entry.name):
            raise ValueError(f"{entry.name!r} cannot name a submission directory (letters, digits, . _ -)")
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


@dataclass(frozen=True)
class Cloned:
    """What cloning one repository gave: the commit graded, or why there is none."""

    commit: str = ""
    error: str | None = None


def git(command: list[str]) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"GIT_TERMINAL_PROMPT": "0"}  # a private repository without a token fails, never prompts
    return subprocess.run(["git", *command], capture_output=True, text=True, timeout=CLONE_WITHIN, env=env, stdin=subprocess.DEVNULL)


def clone(entry: Entry, dest: Path, before: str | None = None) -> Cloned:
    """The repository's commit to grade (its newest, or its last before ``before``) checked out
    in DEST/<name>, its ``.git`` removed; else an empty folder and why, without the token."""
    target = dest / entry.name
    depth = [] if before else ["--depth", "1"]  # a deadline needs the history
    try:
        done = git([*git_options(entry.url), "clone", "--quiet", *depth, entry.url, str(target)])
        error = None if done.returncode == 0 else (done.stderr.strip().splitlines() or [f"git exited {done.returncode}"])[-1]
        since = ["--before", before] if before else []
        commit = "" if error else git(["-C", str(target), "rev-list", "-n", "1", "--first-parent", *since, "HEAD"]).stdout.strip()
        if error is None and not commit:
            error = f"no commit before {before}"
        if error is None and before:
            checkout = git(["-C", str(target), "checkout", "--quiet", commit])
            error = None if checkout.returncode == 0 else f"cannot check out {commit}: {checkout.stderr.strip()}"
    except subprocess.TimeoutExpired:
        error = f"no clone within {CLONE_WITHIN} s"
    if error is None:
        shutil.rmtree(target / ".git", ignore_errors=True)
        return Cloned(commit)
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    return Cloned(error=error)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roster", type=Path)
    parser.add_argument("dest", type=Path)
    parser.add_argument("--shard", type=shard, metavar="K/N", help="only the names netlab batch --shard K/N grades")
    parser.add_argument("--jobs", type=int, default=8, help="clones at a time (default 8)")
    parser.add_argument("--before", metavar="TIME", help="grade each repository's last commit before TIME (a deadline)")
    parser.add_argument("--prefix", metavar="OWNER/ASSIGNMENT", help="for Classroom's classroom_roster.csv: the repositories' prefix")
    args = parser.parse_args(argv)
    try:
        entries = parse(args.roster.read_text(encoding="utf-8"), args.prefix)
    except (OSError, ValueError) as error:
        print(f"::error::roster {args.roster}: {error}", file=sys.stderr)
        return 2
    chosen = select_shard(sorted(entries, key=lambda e: e.name), args.shard)
    args.dest.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        clones = list(pool.map(lambda entry: clone(entry, args.dest, args.before), chosen))
    failed = [(entry, cloned.error) for entry, cloned in zip(chosen, clones) if cloned.error]
    for entry, error in failed:
        print(f"::warning::{entry.name}: {entry.url} did not clone ({error}): graded as an empty submission")
    (args.dest.parent / FAILURES).write_text("".join(f"{e.name}\t{e.url}\t{error}\n" for e, error in failed), encoding="utf-8")
    graded = "".join(f"{entry.name}\t{cloned.commit}\n" for entry, cloned in zip(chosen, clones) if cloned.commit)
    (args.dest.parent / COMMITS).write_text(graded, encoding="utf-8")
    print(f"cloned {len(chosen) - len(failed)} of {len(chosen)} repositories into {args.dest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
