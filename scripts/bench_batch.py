"""Batch throughput: the figures a closing note reports.

    python scripts/bench_batch.py [--copies 20] [--bad 20] [--jobs 0 --jobs 4] [--repeat 3] [--isolate] [--beside DIR:PYTHON]

Builds a class in a temporary directory: ``--copies`` copies of ``reference/`` and
``--bad`` known-bad submissions (taken in turn from every lab's ``fixtures/bad``),
then grades it with ``netlab batch`` (all labs) once per ``--jobs`` value (0: netlab's
default, paced by the CPUs), and ``--repeat`` times with the last one. For each batch:
wall time, submissions per minute, CPU seconds per submission (the batch's children, from
``getrusage``),
peak memory (the resident memory of the whole process tree, sampled every 0.2 s), and the
batch's own last line (its rate, CPU per submission, share of the CPU bound, the machine's load).
A row is flaky when its failed checks are not the ones its submission must fail
(none for a reference copy; ``bad.toml``'s ``fails`` for a known-bad one). With ``--beside
DIR:PYTHON`` each batch is also run, in turn, by another checkout of netlab (the ``netlab``
command beside PYTHON); give it ``--bad 0``, since the known-bad fixtures' expectations are
this checkout's.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.grading import KnownSubmission, known_bad  # noqa: E402


def build_class(into: Path, copies: int, bad: int) -> dict[str, frozenset[str]]:
    """The class's submissions, each with the checks it must fail."""
    expected: dict[str, frozenset[str]] = {}
    for k in range(copies):
        shutil.copytree(REPO / "reference", into / f"ref-{k:02}")
        expected[f"ref-{k:02}"] = frozenset()
    by_lab: dict[str, list[KnownSubmission]] = {}
    for case in known_bad():
        if not case.remove:  # a missing file fails every check of its lab: no news per row
            by_lab.setdefault(case.lab, []).append(case)
    labs = sorted(by_lab)
    chosen = [by_lab[labs[i % len(labs)]][i // len(labs)] for i in range(bad)]  # each lab in turn
    for case in chosen:
        name = f"bad-{case.lab}-{case.name}"
        with tempfile.TemporaryDirectory() as scratch:
            shutil.move(case.assemble(Path(scratch)), into / name)
        expected[name] = case.fails
    return expected


def peak_memory(pid: int, stop: threading.Event, peak: list[int]) -> None:
    """The highest resident memory of ``pid`` and its descendants, sampled until ``stop``."""
    while not stop.wait(0.2):
        try:
            root = psutil.Process(pid)
            total = 0
            for process in [root, *root.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    continue
            peak[0] = max(peak[0], total)
        except psutil.Error:
            return


def grade(netlab: str, klass: Path, jobs: int, out: Path, isolate: bool) -> tuple[float, float, int, Path]:
    """One batch by the ``netlab`` command given (``jobs`` 0: its default): wall seconds, CPU
    seconds of its children, peak memory, the gradebook; its output in ``out/batch.log``."""
    gradebook = out / "grades.csv"
    command = [netlab, "batch", str(klass), "--csv", str(gradebook), "--results-dir", str(out / "results")]
    command += ["--jobs", str(jobs)] if jobs else []
    command += ["--pytest-arg=--isolate"] if isolate else []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    with (out / "batch.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=out.parent, stdout=subprocess.DEVNULL, stderr=log)
    stop, peak = threading.Event(), [0]
    sampler = threading.Thread(target=peak_memory, args=(process.pid, stop, peak), daemon=True)
    sampler.start()
    process.wait()
    wall = time.monotonic() - started
    stop.set()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, peak[0], gradebook


def flaky_rows(gradebook: Path, expected: dict[str, frozenset[str]]) -> list[str]:
    """Rows whose failed checks are not the ones their submission must fail, or that errored."""
    flaky = []
    with gradebook.open(newline="") as file:
        reader = csv.DictReader(file)
        checks = [column for column in reader.fieldnames or [] if column.count(" / ") == 2]
        for row in reader:
            if row["submission"] == "Points Possible":
                continue
            failed = {column.rsplit(" / ", 1)[1] for column in checks if row[column] == "0"}
            if row["error"] or failed != expected[row["submission"]]:
                flaky.append(f"{row['submission']}: {row['error'] or sorted(failed ^ expected[row['submission']])}")
    return flaky


def why_flaky(results: Path, expected: frozenset[str]) -> str:
    """What a flaky row's unexpected failures said (its results.json), so a flake explains itself."""
    try:
        tests = json.loads((results / "results.json").read_text())["tests"]
    except (OSError, ValueError, KeyError):
        return f"    ({results / 'grading.log'} holds its output)"
    said = [f"    {test['name']}:\n" + textwrap.indent(test.get("output", "")[:3000], "      ")
            for test in tests if test.get("status") == "failed" and test["name"].rsplit(" / ", 1)[-1] not in expected]
    return "\n".join(said) or f"    ({results / 'grading.log'} holds its output)"


def last_line(log: Path) -> str:
    lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return lines[-1] if lines else "(none)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--bad", type=int, default=20)
    parser.add_argument("--jobs", type=int, action="append", default=None)
    parser.add_argument("--repeat", type=int, default=3, help="batches with the last --jobs value")
    parser.add_argument("--isolate", action="store_true")
    parser.add_argument("--beside", metavar="DIR:PYTHON", help="another netlab checkout, its batches run in turn with this one's")
    args = parser.parse_args()
    netlabs = {"this": str(Path(sys.executable).parent / "netlab")}
    if args.beside:
        directory, _, python = args.beside.partition(":")
        netlabs[directory] = str(Path(python).parent / "netlab")
    jobs = args.jobs or [1, 4]
    with tempfile.TemporaryDirectory(prefix="netlab-bench-") as scratch:
        klass = Path(scratch) / "class"
        klass.mkdir()
        expected = build_class(klass, args.copies, args.bad)
        print(f"class: {len(expected)} submissions ({args.copies} reference copies, {args.bad} known-bad), all labs")
        runs = [jobs_value for jobs_value in jobs[:-1]] + [jobs[-1]] * args.repeat
        for number, jobs_value in enumerate(runs):
            for side, (name, netlab) in enumerate(netlabs.items()):  # in turn: each meets the same machine
                out = Path(scratch) / f"run-{number}-{side}"
                out.mkdir()
                wall, cpu, peak, gradebook = grade(netlab, klass, jobs_value, out, args.isolate)
                flaky = flaky_rows(gradebook, expected)
                print(f"{name:>6} --jobs {jobs_value or 'default'}: {wall:7.1f} s, {len(expected) / wall * 60:5.1f} submissions/min, "
                      f"{cpu / len(expected):5.1f} CPU s per submission, peak {peak / 2**20:6.0f} MiB, "
                      f"flaky rows {len(flaky)}" + (f": {'; '.join(flaky)}" if flaky else ""), flush=True)
                print(f"         its last line: {last_line(out / 'batch.log')}", flush=True)
                for row in flaky:
                    print(why_flaky(out / "results" / row.split(":", 1)[0], expected[row.split(":", 1)[0]]), flush=True)


if __name__ == "__main__":
    main()
