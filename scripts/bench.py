"""How long grading takes: the figures an issue's closing note reports.

    python scripts/bench.py [--runs 5] [--starts 30] [--lab echo --lab webserver] [--isolate]

1. Wall time of grading the reference, serially and with ``-n 4``: median of
   ``--runs`` runs of ``pytest graders/ --submission reference --lab ...``.
2. The harness's overhead per program start: spawn to an observed listening
   socket (``Launcher.serve``) for the reference ``webserver.py``, median of
   ``--starts``, next to a bare ``python -c pass`` for scale.

With ``--isolate`` the gradings run with ``--isolate`` and the starts are
measured in the sandbox too, beside the plain ones.
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

from graders.harness.isolation import Sandbox, make_sandbox  # noqa: E402
from graders.harness.launcher import Launcher
from graders.harness.submission import Submission  # noqa: E402


def grading_seconds(labs: list[str], extra: list[str]) -> float:
    command = [sys.executable, "-m", "pytest", str(REPO / "graders"), "--submission", str(REPO / "reference"), "-q"]
    command += [arg for lab in labs for arg in ("--lab", lab)] + extra
    started = time.monotonic()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"grading the reference failed:\n{done.stdout[-3000:]}")
    return elapsed


def start_seconds(starts: int, sandbox: Sandbox | None = None) -> tuple[list[float], list[float]]:
    served, bare = [], []
    with tempfile.TemporaryDirectory() as scratch:
        launcher = Launcher(Submission(REPO / "reference"), Path(scratch), sandbox)
        for _ in range(starts):
            started = time.monotonic()
            program, _ = launcher.serve("webserver.py", "tcp")
            served.append(time.monotonic() - started)
            program.stop()
            started = time.monotonic()
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            bare.append(time.monotonic() - started)
    return served, bare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--starts", type=int, default=30)
    parser.add_argument("--lab", action="append", default=None)
    parser.add_argument("--isolate", action="store_true", help="grade with --isolate; time sandboxed starts too")
    args = parser.parse_args()
    labs = args.lab or ["echo", "webserver"]
    isolate = ["--isolate"] if args.isolate else []
    print(f"grading the reference, labs {', '.join(labs)}{' with --isolate' if isolate else ''}, median of {args.runs}:")
    for name, extra in (("serial", isolate), ("-n 4", ["-n", "4", *isolate])):
        times = [grading_seconds(labs, extra) for _ in range(args.runs)]
        print(f"  {name:7} median {statistics.median(times):6.2f} s  (min {min(times):.2f}, max {max(times):.2f})")
    served, bare = start_seconds(args.starts)
    print(f"program start, median of {args.starts}:")
    print(f"  spawn to listening (webserver.py)  {statistics.median(served) * 1000:6.1f} ms")
    print(f"  bare `python -c pass` to exit      {statistics.median(bare) * 1000:6.1f} ms")
    if args.isolate:
        sandbox, missing = make_sandbox(REPO / "reference")
        if sandbox is None:
            print(f"  sandboxed: not measured ({'; '.join(missing)})")
            return
        sandboxed, _ = start_seconds(args.starts, sandbox)
        print(f"  spawn to listening, sandboxed      {statistics.median(sandboxed) * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
