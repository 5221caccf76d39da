"""What trying a course's command lines costs: one submission graded when each program is matched by
its first command line, and when by its third (harness/command_lines.py).

    python scripts/bench_command_lines.py [--runs 5]

The submission is fixtures/textbook/command_lines/ip_and_port (its servers take `PORT`, its clients
`SERVER_IP SERVER_PORT`); the profiles are that class's, as written (each program matched by its first
command line) and with each list turned so the matching line comes third (two failed starts before it,
each program). Each run is a whole `pytest graders/ --lab echo` in its own process, the two profiles
taken in turn so both meet the same machine; the median wall time of each, and the difference.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.test_profiles import CLASS, STUDENTS  # noqa: E402

THIRD = {  # per program, its command lines with the one ip_and_port's programs get going under third
    "server": '[["--port", "{port}"], [], ["{port}"]]',
    "client": '[["--host", "{server}", "--port", "{port}"], ["{port}"], ["{server}", "{port}"], []]',
}


def third(profile: str) -> str:
    """The class profile with each program's matching command line moved third."""
    lines = []
    for line in profile.splitlines():
        if line.startswith("args = "):
            line = f"args = {THIRD['server' if '--host' not in line else 'client']}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def graded(submission: Path, profile: Path, workdir: Path) -> float:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", str(REPO / "graders"), "--submission", str(submission), "--course", str(profile),
                           "--lab", "echo", "-q", "-p", "no:cacheprovider"], cwd=workdir, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"the grading under {profile.name} failed:\n{done.stdout[-3000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    student = next(student for student in STUDENTS if student.path.name == "ip_and_port")
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        submission = student.submission(work)
        profiles = {"first": CLASS / "netlab.toml", "third": work / "third.toml"}
        profiles["third"].write_text(third((CLASS / "netlab.toml").read_text()))
        times: dict[str, list[float]] = {name: [] for name in profiles}
        for _ in range(args.runs):
            for name, profile in profiles.items():
                times[name].append(graded(submission, profile, work))
    first, third_ = statistics.median(times["first"]), statistics.median(times["third"])
    for name, seconds in times.items():
        print(f"matched by its {name} command line: median {statistics.median(seconds):.2f} s of {args.runs} "
              f"({', '.join(f'{s:.2f}' for s in seconds)})")
    print(f"the two failed command lines before the third, for each of the 4 programs: {third_ - first:+.2f} s a grading of the lab")


if __name__ == "__main__":
    main()
