"""What textbook mode costs: the figures issue 8's and issue 23's closing notes report.

    python scripts/bench_textbook.py [--starts 30] [--runs 3] [--lab echo ...] [--case NAME ...]

1. Per program start, median of ``--starts`` (0: skipped): the textbook's WebServer.py
   (port 6789 in its code) in a fresh network namespace, spawn to listening,
   namespace included; the same with a private /etc/hosts (a name to resolve);
   and, for scale, the same code on a free port without a namespace.
2. Per lab, a passing and a failing submission graded in both forms, median of ``--runs``
   each, the two forms taken in turn (so both meet the same load, printed beside them):
   - textbook: the handout-shaped programs (fixtures/textbook/good, with a known-bad of
     fixtures/textbook/bad over them) graded with ``--course textbook``;
   - LABS.md: the same code adapted to LABS.md's command line (each fixture's ``adapted/``)
     graded without the course's programs: a profile holding only the checks the textbook
     profile switches off (smtp's), so both gradings run the same checks.
   A pair counts only if both forms lose exactly the checks the fixture names (none for the
   passing one); one that does not is shown, with what each lost, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from graders.harness import course  # noqa: E402
from graders.harness.launcher import Launcher  # noqa: E402
from graders.harness.submission import Submission  # noqa: E402
from graders.network import netns  # noqa: E402

TEXTBOOK = REPO / "fixtures" / "textbook"
GOOD = TEXTBOOK / "good"
LABS = ("echo", "webserver", "pinger", "smtp", "proxy", "icmp", "traceroute")
GRADING_WITHIN = 600  # seconds for one lab's grading


@dataclass(frozen=True)
class Case:
    """One lab's submission in both forms: the layers put over the reference, and the checks it loses."""

    lab: str
    name: str  # "pass", or the known-bad's name
    textbook: tuple[Path, ...]
    adapted: tuple[Path, ...]
    fails: frozenset[str]


def cases(labs: list[str]) -> list[Case]:
    """Per lab with a handout-shaped program, the passing case, then each known-bad with a LABS.md twin."""
    found = []
    for lab in labs:
        if not course.load("textbook").fixes(lab):
            continue  # no textbook form of this lab yet
        found.append(Case(lab, "pass", (GOOD,), (GOOD / "adapted",), frozenset()))
        for bad in sorted((TEXTBOOK / "bad" / lab).glob("*/adapted")):
            fails = frozenset(tomllib.loads((bad.parent / "bad.toml").read_text())["fails"])
            found.append(Case(lab, bad.parent.name, (GOOD, bad.parent), (GOOD / "adapted", bad), fails))
    return found


def assembled(into: Path, layers: tuple[Path, ...]) -> Path:
    """The reference with each layer's programs put over it, in order."""
    shutil.copytree(REPO / "reference", into)
    for layer in layers:
        for program in layer.glob("*.py"):
            shutil.copy(program, into / program.name)
    return into


def labs_md_profile(lab: str, into: Path) -> Path:
    """A profile with the textbook profile's switched-off checks of ``lab`` and no programs of its own."""
    off = sorted(course.load("textbook").lab(lab).off)
    path = into / f"{lab}-off.toml"
    path.write_text(f"[labs.{lab}]\noff = {json.dumps(off)}\n")
    return path


@dataclass(frozen=True)
class Graded:
    seconds: float
    load: float  # the 1-minute load average as the grading started
    failed: frozenset[str]


def grading(submission: Path, lab: str, profile: str, workdir: Path) -> Graded:
    """One grading of ``lab``, as a student runs it: wall time, and the checks it lost."""
    results = workdir / "results.json"
    results.unlink(missing_ok=True)
    command = [sys.executable, "-m", "pytest", str(REPO / "graders"), "--submission", str(submission), "--lab", lab,
               "--course", profile, "-q", "-p", "no:cacheprovider", "--results-json", str(results)]
    load = os.getloadavg()[0]
    started = time.monotonic()
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=GRADING_WITHIN)
    seconds = time.monotonic() - started
    if not results.exists():
        raise SystemExit(f"no results from `{' '.join(command)}`:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    tests = json.loads(results.read_text())["tests"]
    failed = frozenset(t["name"].rsplit(" / ", 1)[1] for t in tests if t["score"] < t["max_score"])
    return Graded(seconds, load, failed)


def measure(case: Case, runs: int, scratch: Path) -> bool:
    """Both forms of ``case``, in turn, ``runs`` times; one line of the table. Whether their verdicts were as named."""
    here = scratch / f"{case.lab}-{case.name}"
    here.mkdir()
    forms = {
        "textbook": (assembled(here / "textbook", case.textbook), "textbook"),
        "LABS.md": (assembled(here / "adapted", case.adapted), str(labs_md_profile(case.lab, here))),
    }
    measured: dict[str, list[Graded]] = {form: [] for form in forms}
    for run in range(runs):
        order = list(forms) if run % 2 == 0 else list(reversed(forms))  # neither form always first
        for form in order:
            submission, profile = forms[form]
            measured[form].append(grading(submission, case.lab, profile, here))
    textbook, labs_md = (statistics.median(g.seconds for g in measured[form]) for form in forms)
    load = statistics.mean(g.load for form in forms for g in measured[form])
    verdict = "pass" if case.name == "pass" else f"fail ({len(case.fails)}): {case.name}"
    print(f"| {case.lab:10} | {verdict:48} | {textbook:8.2f} | {labs_md:7.2f} | {textbook / labs_md:5.2f} | {load:4.1f} |", flush=True)
    wrong = {form: sorted(g.failed ^ case.fails) for form in forms for g in measured[form] if g.failed != case.fails}
    for form, checks in wrong.items():
        print(f"|   verdicts differ: {form} form, unlike the fixture's on {checks}", flush=True)
    return not wrong


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


def measure_starts(count: int, scratch: Path) -> None:
    textbook_profile = course.load("textbook")
    textbook = assembled(scratch / "starts-textbook", (GOOD,))
    adapted = assembled(scratch / "starts-adapted", (GOOD / "adapted",))
    print(f"program start, spawn to listening, median of {count}:")
    for label, submission, profile, in_namespace, name in (
        ("WebServer.py on 6789 in a new namespace", textbook, textbook_profile, True, None),
        ("  ... and a private /etc/hosts", textbook, textbook_profile, True, "origin.netlab.test"),
        ("the same code on a free port, no namespace", adapted, course.LABS_MD, False, None),
    ):
        measured = starts(submission, count, profile, in_namespace, name)
        print(f"  {label:44} {statistics.median(measured) * 1000:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--starts", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lab", action="append", choices=LABS, help="a lab to grade (repeatable; default: every lab)")
    parser.add_argument("--case", action="append", help="only this case: pass, or a known-bad's name (repeatable)")
    args = parser.parse_args()
    if (why := netns.refused_to_a_grading()) is not None:
        raise SystemExit(f"a grading could make no network namespaces here: {why}")
    chosen = [case for case in cases(args.lab or list(LABS)) if not args.case or case.name in args.case]
    with tempfile.TemporaryDirectory(prefix="netlab-textbook-") as scratch:
        print(f"grading one lab, wall seconds, median of {args.runs}, the two forms in turn; load: the 1-minute load average, mean:")
        print(f"| {'lab':10} | {'submission (checks it fails)':48} | textbook | LABS.md | ratio | load |")
        print(f"|{'-' * 12}|{'-' * 50}|---------:|--------:|------:|-----:|")
        agreed = [measure(case, args.runs, Path(scratch)) for case in chosen]
        if args.starts:  # last: as a user, prepare() moves this process into a user namespace the gradings would inherit
            if (why := netns.prepare()) is not None:
                raise SystemExit(f"no network namespaces here: {why}")
            measure_starts(args.starts, Path(scratch))
    sys.exit(0 if all(agreed) else 1)


if __name__ == "__main__":
    main()
