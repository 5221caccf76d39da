"""Leave a valid Gradescope ``results.json`` whatever became of the grading run.

``run_autograder`` calls this once pytest has exited. When the plugin's results are
there and the run ended normally, they go into place with the run's notes (which
folder was graded, a time limit hit) as the top-level output. When they are not (a
crash, a usage error, a missing interpreter), the student gets a score of 0 and an
output that says what happened, with the end of the grader's log: never a missing file.

Standard library only: it must work even when netlab's own environment is broken.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

LOG_TAIL_LINES = 40
LOG_TAIL_CHARS = 4000
TIMED_OUT = 124  # `timeout`'s status when the limit was hit

WHY = {
    -1: "the autograder script failed before grading started (see the autograder's log)",
    2: "the grading run was interrupted (an error while collecting the checks?)",
    3: "the grading run hit an internal error",
    4: "the autograder was misconfigured (a usage error)",
    5: "no checks were collected",
    TIMED_OUT: "grading hit the autograder's time limit before any check finished",
    126: "the grading command could not be run",
    127: "the grading command was not found (is netlab installed? run setup.sh)",
    137: "grading hit the autograder's time limit and had to be killed",
}


def usable(path: Path | None) -> dict | None:
    """The plugin's results, if they are a results.json at all."""
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("score"), (int, float)):
        return None
    if not isinstance(data.get("tests", []), list):
        return None
    return data


def tail(log: Path | None) -> str:
    if log is None:
        return ""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-LOG_TAIL_LINES:])[-LOG_TAIL_CHARS:]


def results(status: int, found: dict | None, notes: list[str], log: Path | None) -> dict:
    # Exit 0 (all passed) and 1 (some failed) are normal ends. After a time limit,
    # whatever checks finished still count; the ones that did not run score nothing.
    if found is not None and (status in (0, 1) or (status == TIMED_OUT and found.get("tests"))):
        if status == TIMED_OUT:
            notes = [*notes, "Grading hit the autograder's time limit: the checks that did not finish are missing below and score 0."]
        said = [text for text in (found.get("output"), *notes) if text]  # the graders' own notes (a part not graded here) first
        return {**found, **({"output": "\n".join(said)} if said else {})}
    why = WHY.get(status, f"the grading run ended with status {status}")
    if status in (0, 1):
        why = "the graders finished but wrote no results"
    message = [
        f"The autograder could not grade this submission: {why}.",
        "This is not a verdict on your code: please tell your instructor.",
        *notes,
    ]
    end = tail(log)
    if end:
        message += ["", "The end of the grader's log:", end]
    return {"score": 0, "output": "\n".join(message), "tests": []}


def write_atomically(data: dict, out: Path) -> None:
    """Readers (Gradescope's harness) see the old file or the new one, never half of one."""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=".results.", suffix=".json")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        json.dump(data, file, indent=2)
        file.write("\n")
    os.chmod(temporary, 0o644)
    os.replace(temporary, out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--status", type=int, required=True, help="the grading command's exit status")
    parser.add_argument("--found", type=Path, help="the results.json the plugin wrote, if any")
    parser.add_argument("--notes", type=Path, help="a file of lines for the top-level output")
    parser.add_argument("--log", type=Path, help="the grading run's log, whose end explains a crash")
    parser.add_argument("--out", type=Path, required=True, help="where results.json goes")
    args = parser.parse_args(argv)
    notes: list[str] = []
    if args.notes is not None and args.notes.is_file():
        notes = [line for line in args.notes.read_text(encoding="utf-8").splitlines() if line.strip()]
    write_atomically(results(args.status, usable(args.found), notes, args.log), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
