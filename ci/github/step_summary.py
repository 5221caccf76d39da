"""A results.json as Markdown for a GitHub job summary: points per lab and group, then each failed check.

    python ci/github/step_summary.py results.json >> "$GITHUB_STEP_SUMMARY"

Standard library only, and never fails: a missing or broken results.json becomes a line
that says so (the grading step's own log says why).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUTPUT_CHARS = 3000  # of one failed check's message: the whole of it is in results.json
SUMMARY_CHARS = 900_000  # GitHub takes at most 1 MiB of summary per step


def split_name(name: str) -> tuple[str, str, str]:
    """``lab / group / check``; a group's own name may hold " / "."""
    parts = name.split(" / ")
    if len(parts) < 3:
        return "?", "?", name
    return parts[0], " / ".join(parts[1:-1]), parts[-1]


def fenced(text: str) -> str:
    """A code block no message can close early."""
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}text\n{text}\n{fence}"


def markdown(results: dict) -> str:
    tests = results.get("tests", [])
    lines = [f"## netlab: {results.get('score', 0)}/{results.get('max_score', sum(t.get('max_score', 0) for t in tests))}", ""]
    if results.get("output"):
        lines += [str(results["output"]), ""]
    totals: dict[tuple[str, str], list[float]] = {}
    for test in tests:
        lab, group, _ = split_name(test.get("name", ""))
        earned = totals.setdefault((lab, group), [0, 0])
        earned[0] += test.get("score", 0)
        earned[1] += test.get("max_score", 0)
    if totals:
        lines += ["| lab | group | points |", "|---|---|---:|"]
        lines += [f"| {lab} | {group} | {earned:g}/{possible:g} |" for (lab, group), (earned, possible) in totals.items()]
        lines.append("")
    failed = [t for t in tests if t.get("score", 0) < t.get("max_score", 0)]
    if failed:
        lines += [f"### {len(failed)} failed check{'s' if len(failed) > 1 else ''}", ""]
    for test in failed:
        output = str(test.get("output", ""))
        if len(output) > OUTPUT_CHARS:
            output = output[:OUTPUT_CHARS] + "\n... (the rest is in results.json)"
        lines += [
            f"<details><summary>{test.get('name', '?')} ({test.get('score', 0):g}/{test.get('max_score', 0):g})</summary>",
            "",
            fenced(output),
            "",
            "</details>",
            "",
        ]
    text = "\n".join(lines)
    return text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS] + "\n\n... (cut: see results.json)\n"


def main(argv: list[str]) -> int:
    path = Path(argv[1] if len(argv) > 1 else "results.json")
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
        text = markdown(results)
    except (OSError, ValueError, AttributeError, TypeError) as error:
        text = f"## netlab: no score\n\n`{path}` could not be read ({type(error).__name__}): see the grading step's log.\n"
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
