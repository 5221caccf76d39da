"""What textbook mode costs: the figures issue 8's closing note reports.

    python scripts/bench_textbook.py [--starts 30] [--runs 5]

1. Per program start, median of ``--starts``: the textbook's WebServer.py
   (port 6789 in its code) in a fresh network namespace, spawn to listening,
   namespace included; the same with a private /etc/hosts (a name to resolve);
   and, for scale, the same code on a free port without a namespace.
2. Grading the webserver lab, median of ``--runs``: the textbook-shaped
   submission with ``--course textbook``, and the same WebServer.py adapted to
   LABS.md's command line (its port from ``argv``) without a profile.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from graders.harness import course
from graders.harness.launcher import Launcher
from graders.harness.submission import Submission  # noqa: E402
from graders.network import netns  # noqa: E402

TEXTBOOK = REPO / "fixtures" / "textbook" / "good"
BIND = 'serverSocket.bind(("", 6789))'


def submissions(into: Path) -> tuple[Path, Path]:
    """The textbook-shaped submission, and the same WebServer.py taking its port from argv."""
    textbook, adapted = into / "textbook", into / "adapted"
    for target in (textbook, adapted):
        shutil.copytree(REPO / "reference", target)
    shutil.copy(TEXTBOOK / "WebServer.py", textbook / "WebServer.py")
    source = (TEXTBOOK / "WebServer.py").read_text()
    assert BIND in source
    (adapted / "webserver.py").write_text(source.replace(BIND, 'serverSocket.bind(("", int(sys.argv[1])))').replace("import os\n", "import os\nimport sys\n"))
    return textbook, adapted


def starts(submission: Path, count: int, profile: course.Course, in_namespace: bool, name: str | None) -> list[float]:
    seconds = []
    with tempfile.TemporaryDirectory() as scratch:
        for k in range(count):
            launcher = Launcher(Submission(submission, profile.file_names()), Path(scratch) / str(k), course=profile)
            if name:
                launcher.resolve_locally(name)
            started = time.monotonic()
            if in_namespace:
                namespace = netns.Namespace()
                with namespace.entered():
                    launcher.serve("webserver.py", "tcp")
                    seconds.append(time.monotonic() - started)
                    launcher.stop_all()
                namespace.close()
            else:
                launcher.serve("webserver.py", "tcp")
                seconds.append(time.monotonic() - started)
                launcher.stop_all()
    return seconds


def grading(submission: Path, extra: list[str]) -> float:
    command = [sys.executable, "-m", "pytest", str(REPO / "graders"), "--submission", str(submission), "--lab", "webserver",
               "-q", "-p", "no:cacheprovider", *extra]
    started = time.monotonic()
    done = subprocess.run(command, cwd=submission.parent, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"grading failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--starts", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if (why := netns.prepare()) is not None:
        raise SystemExit(f"no network namespaces here: {why}")
    textbook_profile = course.load("textbook")
    with tempfile.TemporaryDirectory(prefix="netlab-textbook-") as scratch:
        textbook, adapted = submissions(Path(scratch))
        print(f"program start, spawn to listening, median of {args.starts}:")
        for label, submission, profile, in_namespace, name in (
            ("WebServer.py on 6789 in a new namespace", textbook, textbook_profile, True, None),
            ("  ... and a private /etc/hosts", textbook, textbook_profile, True, "origin.netlab.test"),
            ("the same code on a free port, no namespace", adapted, course.LABS_MD, False, None),
        ):
            measured = starts(submission, args.starts, profile, in_namespace, name)
            print(f"  {label:44} {statistics.median(measured) * 1000:6.1f} ms")
        print(f"grading the webserver lab, median of {args.runs}:")
        for label, submission, extra in (("textbook mode (--course textbook)", textbook, ["--course", "textbook"]),
                                         ("adapted to LABS.md's command line", adapted, [])):
            measured = [grading(submission, extra) for _ in range(args.runs)]
            print(f"  {label:36} median {statistics.median(measured):5.2f} s  (min {min(measured):.2f}, max {max(measured):.2f})")


if __name__ == "__main__":
    main()
