"""How long grading takes, and what it costs: the figures an issue's closing note reports.

    python scripts/bench.py [--runs 5] [--starts 30] [--lab echo ...] [--isolate] [--beside DIR:PYTHON]

1. One grading of the reference (every lab unless ``--lab``): wall time and CPU seconds (the
   grading process and every program it ran, from ``wait4``), median of ``--runs``, serially
   and with ``-n 4``; serially, split into the student's programs' CPU and the harness's (the
   rest: pytest, the fakes, the clients). With ``--beside DIR:PYTHON``, the same gradings by
   another checkout of netlab (its own interpreter, in whose environment it is installed),
   taken in turn with this one's, so both meet the same machine:
   ``--beside ../netlab-main:../venv-main/bin/python``.
2. The harness's cost per program start: spawn to an observed listening socket, and stop
   (``Launcher.serve``, ``Program.stop``), for the reference ``webserver.py``: wall time and
   the CPU of the harness and of the program, median of ``--starts``; next to a bare
   ``python -c pass`` for scale.

With ``--isolate`` the gradings run with ``--isolate`` and the starts are measured in the
sandbox too, beside the plain ones.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from graders.harness.isolation import Sandbox, make_sandbox  # noqa: E402
from graders.harness.launcher import Launcher  # noqa: E402
from graders.harness.programs import plain_python  # noqa: E402
from graders.harness.submission import Submission  # noqa: E402


@dataclass(frozen=True)
class Netlab:
    """A checkout of netlab and the interpreter it is installed for."""

    name: str
    repo: Path
    python: str


@dataclass(frozen=True)
class Graded:
    wall: float
    cpu: float
    programs: float | None = None  # of ``cpu``, the student's programs' (serial gradings only)


def grading(netlab: Netlab, labs: list[str], extra: list[str], split: bool = False) -> Graded:
    """One grading of the reference, as a student runs it: wall time, and CPU of its whole tree;
    with ``split``, how much of it the programs took (``cpu_split.py``, loaded into the grading)."""
    command = [netlab.python, "-m", "pytest", str(netlab.repo / "graders"), "--submission", str(netlab.repo / "reference"),
               "-q", "-p", "no:cacheprovider", *[arg for lab in labs for arg in ("--lab", lab)], *extra]
    with tempfile.TemporaryDirectory() as scratch:
        env = dict(os.environ)
        if split:
            command += ["-p", "cpu_split"]
            env |= {"PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "scripts"), env.get("PYTHONPATH")])),
                    "NETLAB_BENCH_CPU": str(Path(scratch) / "cpu")}
        started = time.monotonic()
        process = subprocess.Popen(command, cwd=netlab.repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{netlab.name}: grading the reference did not give full marks (`{' '.join(command)}`)")
        programs = float((Path(scratch) / "cpu").read_text()) if split else None
    return Graded(wall, usage.ru_utime + usage.ru_stime, programs)


def _cpu() -> tuple[float, float]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def starts(count: int, sandbox: Sandbox | None = None) -> tuple[list[float], float, float, list[float]]:
    """Per start of webserver.py: wall seconds, then the mean CPU of the harness and of the program;
    and the wall seconds of a bare interpreter."""
    served, bare = [], []
    with tempfile.TemporaryDirectory() as scratch:
        launcher = Launcher(Submission(REPO / "reference"), Path(scratch), sandbox, python=plain_python(Path(scratch) / "python"))
        own_before, children_before = _cpu()
        for _ in range(count):
            started = time.monotonic()
            program, _ = launcher.serve("webserver.py", "tcp")
            program.stop()
            served.append(time.monotonic() - started)
        own_after, children_after = _cpu()
        for _ in range(count):
            started = time.monotonic()
            subprocess.run([launcher.python, "-c", "pass"], check=True)
            bare.append(time.monotonic() - started)
    return served, (own_after - own_before) / count, (children_after - children_before) / count, bare


def beside(text: str) -> Netlab:
    directory, _, python = text.partition(":")
    if not python or not (Path(directory) / "graders").is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is not DIR:PYTHON, DIR a netlab checkout")
    return Netlab(directory, Path(directory).resolve(), python)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--starts", type=int, default=30)
    parser.add_argument("--lab", action="append", default=[])
    parser.add_argument("--isolate", action="store_true", help="grade with --isolate; time sandboxed starts too")
    parser.add_argument("--beside", type=beside, metavar="DIR:PYTHON", help="another netlab, graded in turn with this one")
    args = parser.parse_args()
    sides = [Netlab("this", REPO, sys.executable), *([args.beside] if args.beside else [])]
    isolate = ["--isolate"] if args.isolate else []
    labs = ", ".join(args.lab) or "every lab"
    print(f"grading the reference ({labs}{', --isolate' if isolate else ''}), median of {args.runs}:")
    for mode, extra in (("serial", isolate), ("-n 4", ["-n", "4", *isolate])):
        runs: dict[str, list[Graded]] = {side.name: [] for side in sides}
        for _ in range(args.runs):
            for side in sides:  # in turn: both meet the same machine
                runs[side.name].append(grading(side, args.lab, extra, split=mode == "serial"))
        for side in sides:
            walls, cpus = [g.wall for g in runs[side.name]], [g.cpu for g in runs[side.name]]
            programs = [g.programs for g in runs[side.name] if g.programs is not None]
            split = (f" = harness {statistics.median(c - p for c, p in zip(cpus, programs)):.2f} + programs {statistics.median(programs):.2f}"
                     if programs else "")
            print(f"  {mode:6} {side.name:24} wall {statistics.median(walls):6.2f} s (min {min(walls):.2f}, max {max(walls):.2f}), "
                  f"CPU {statistics.median(cpus):5.2f} s (min {min(cpus):.2f}, max {max(cpus):.2f}){split}")
    served, own, program, bare = starts(args.starts)
    print(f"program start and stop (webserver.py), median of {args.starts}:")
    print(f"  spawn to listening, then stopped  {statistics.median(served) * 1000:6.1f} ms wall; "
          f"CPU {own * 1000:.1f} ms the harness's, {program * 1000:.1f} ms the program's")
    print(f"  bare `python -c pass` to exit     {statistics.median(bare) * 1000:6.1f} ms wall")
    if args.isolate:
        sandbox, missing = make_sandbox(REPO / "reference")
        if sandbox is None:
            print(f"  sandboxed: not measured ({'; '.join(missing)})")
            return
        sandboxed, *_ = starts(args.starts, sandbox)
        sandbox.close()
        print(f"  spawn to listening, sandboxed     {statistics.median(sandboxed) * 1000:6.1f} ms wall")


if __name__ == "__main__":
    main()
