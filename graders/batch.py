"""``netlab batch``: grade a class, N submissions at a time; ``netlab merge-csv``: join shards.

    netlab batch SUBMISSIONS_DIR [--jobs N] [--csv grades.csv] [--results-dir DIR] [--lab L ...]
                 [--timeout S] [--shard K/N] [--summary] [--html PATH] [--pytest-arg=ARG ...]
    netlab merge-csv OUT.csv IN1.csv IN2.csv ... [--summary] [--html PATH]

Every sub-directory of SUBMISSIONS_DIR (but hidden ones and the results directory) is one
submission, graded by ``pytest graders/`` in its own process tree (``grading_run``); each
gets ``DIR/<name>/results.json`` and ``DIR/<name>/grading.log``, and a row in the gradebook
(``gradebook``). ``--shard K/N`` grades the submissions at positions K-1, K-1+N, K-1+2N, ...
of the sorted names: round robin, so shards differ in size by one at most and each takes
its share of every stretch of the alphabet (names prefixed by section spread over all shards).
In a GitHub Actions matrix: ``netlab batch subs --shard ${{ matrix.k }}/4 --csv grades-${{
matrix.k }}.csv``, then ``netlab merge-csv grades.csv grades-*.csv --summary``. ``--pytest-arg`` passes an option on to every grading, split as a shell would:
``--pytest-arg=--isolate``, ``--pytest-arg="-k udp"`` (the ``=`` keeps argparse from
reading the value as an option of its own).

Exit status: 0 every grading ran to its end; 1 some did not (their rows say why in
``error``; the gradebook is complete all the same); 4 nothing to grade (no such directory,
no sub-directory, an unknown lab) or gradebooks that do not merge; 2 a malformed option;
130 interrupted (Ctrl-C: the running gradings are killed, no gradebook is written).
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from . import class_page, class_summary, course, gradebook
from .grading_run import GradingRun, Outcome, course_option
from .rubric import collect_checks
from .scoring import Check

# A full grading waits ~55% of its wall time, so one per core leaves the cores idle. Measured on
# 2 cores, 16 copies of reference/, all labs: 4 jobs 7.5 submissions/min, 8 jobs 7.9, 16 jobs 9.0
# but with a timing check failed under the load: 2 per core is the knee, and stays safe.
JOBS_PER_CORE = 2
TIMEOUT = 600.0  # seconds of wall time for one submission's whole grading
ETA_WINDOW = 3600.0  # seconds of finished gradings the ETA averages over: gradings are slow
USAGE = 4  # the exit status of a usage error, as pytest's
INTERRUPTED = 130  # the exit status of a shell command ended by Ctrl-C


def cores() -> int:
    """The cores this process may run on (a CI container's share, not the host's)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def shard(text: str) -> tuple[int, int]:
    """``K/N``, 1 <= K <= N."""
    k, _, n = text.partition("/")
    if not (k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise argparse.ArgumentTypeError(f"{text!r} is not K/N with 1 <= K <= N (e.g. 2/4)")
    return int(k), int(n)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("submissions", type=Path, metavar="SUBMISSIONS_DIR", help="one sub-directory per submission")
    parser.add_argument("--jobs", "-j", type=positive, default=JOBS_PER_CORE * cores(),
                        help=f"gradings at a time (default: {JOBS_PER_CORE} per core, {JOBS_PER_CORE * cores()} here: they mostly wait)")
    parser.add_argument("--csv", type=Path, default=Path("grades.csv"), help="the gradebook to write (default: grades.csv)")
    parser.add_argument("--course", metavar="PROFILE", help="grade as this course profile says (a file, or a bundled name)")
    parser.add_argument("--results-dir", type=Path, default=Path("netlab-results"),
                        help="where each submission's results.json and grading.log go (default: netlab-results/)")
    parser.add_argument("--lab", action="append", default=[], help="grade only this lab (repeatable)")
    parser.add_argument("--timeout", type=float, default=TIMEOUT,
                        help=f"seconds one submission's grading may take before it is killed (default: {TIMEOUT:g})")
    parser.add_argument("--shard", type=shard, metavar="K/N", help="grade only the K-th of N round-robin slices of the sorted names")
    add_summary_arguments(parser)
    parser.add_argument("--pytest-arg", action="append", default=[], metavar="ARG",
                        help="an option for every grading's pytest, after an '=': --pytest-arg=--isolate (repeatable)")


def add_summary_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--summary", action="store_true", help="print how the class did: scores per lab, pass rate per check")
    parser.add_argument("--html", type=Path, metavar="PATH", help="draw the same summary as an HTML page")


def add_merge_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, metavar="OUT.csv")
    parser.add_argument("inputs", type=Path, nargs="+", metavar="IN.csv", help="shard gradebooks, with the same columns")
    add_summary_arguments(parser)


def submissions(directory: Path, results_dir: Path) -> list[Path]:
    """The sub-directories to grade, sorted by name: not hidden ones (.git), not our output."""
    ours = results_dir.resolve()
    found = [p for p in directory.iterdir() if p.is_dir() and not p.name.startswith(".") and p.resolve() != ours]
    return sorted(found, key=lambda p: p.name)


def select_shard(names: list[Path], which: tuple[int, int] | None) -> list[Path]:
    """The K-th of N round-robin slices: every submission in exactly one shard."""
    if which is None:
        return names
    k, n = which
    return names[k - 1::n]


def run(args: argparse.Namespace) -> int:
    console = Console(stderr=True, highlight=False, soft_wrap=True)  # messages whole, for logs and greps
    if not args.submissions.is_dir():
        console.print(f"[red]no such directory: {escape(str(args.submissions))}[/]")
        return USAGE
    everyone = submissions(args.submissions, args.results_dir)
    if not everyone:
        console.print(f"[red]no submissions (sub-directories) in {escape(str(args.submissions))}[/]")
        return USAGE
    try:
        checks = collect_checks(args.lab or None, course.load(args.course))
    except (RuntimeError, course.ProfileError) as error:  # an unknown --lab (pytest has said which), a bad profile
        console.print(f"[red]{escape(str(error))}[/]")
        return USAGE
    pytest_args = [part for arg in args.pytest_arg for part in shlex.split(arg)]
    pytest_args += course_option(args.course)
    try:
        outcomes = grade_all(select_shard(everyone, args.shard), args, pytest_args, console)
    except KeyboardInterrupt:
        console.print("[red]interrupted: every running grading was killed; no gradebook written[/]")
        return INTERRUPTED
    rows = [gradebook.row(outcome, checks) for outcome in outcomes]
    gradebook.write(args.csv, gradebook.columns(checks), rows)
    console.print(f"gradebook: {escape(str(args.csv))} ({len(rows)} submissions); results: {escape(str(args.results_dir))}")
    if args.summary or args.html:
        report(rows, checks, args)
    return 1 if any(outcome.error for outcome in outcomes) else 0


class Gradings:
    """The gradings under way, so that an interrupted batch can kill every one of them:
    they run in sessions of their own, which neither Ctrl-C nor a CI's SIGTERM reaches."""

    def __init__(self, args: argparse.Namespace, pytest_args: list[str]) -> None:
        self.args = args
        self.pytest_args = pytest_args
        self.running: set[GradingRun] = set()
        self.lock = threading.Lock()
        self.stopping = False

    def grade(self, submission: Path) -> Outcome:
        with self.lock:
            if self.stopping:
                return Outcome(submission.name, None, "interrupted", 0.0)
            try:
                grading = GradingRun(submission, self.args.results_dir / submission.name, self.args.lab, self.pytest_args)
            except OSError as error:
                return Outcome(submission.name, None, f"could not start: {error}", 0.0)
            self.running.add(grading)
        try:
            return grading.finish(self.args.timeout)
        finally:
            with self.lock:
                self.running.discard(grading)

    def stop(self) -> None:
        """Start no more; kill the running ones."""
        with self.lock:
            self.stopping = True
            for grading in self.running:
                grading.kill()


def grade_all(chosen: list[Path], args: argparse.Namespace, pytest_args: list[str], console: Console) -> list[Outcome]:
    """Grade each submission, ``args.jobs`` at a time, under a progress bar with an ETA."""
    gradings = Gradings(args, pytest_args)
    outcomes = []
    columns = [TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn()]
    with Progress(*columns, console=console, speed_estimate_period=ETA_WINDOW) as progress, ThreadPoolExecutor(args.jobs) as pool:
        task = progress.add_task("grading", total=len(chosen))
        futures: list[Future[Outcome]] = [pool.submit(gradings.grade, submission) for submission in chosen]
        try:
            with sigterm_interrupts():
                for future in as_completed(futures):
                    outcomes.append(future.result())
                    progress.console.print(describe(outcomes[-1]))
                    progress.advance(task)
        except KeyboardInterrupt:
            gradings.stop()
            raise
    return outcomes


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """SIGTERM (a cancelled CI job) interrupts like Ctrl-C, so the gradings are killed too."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def describe(outcome: Outcome) -> str:
    """One finished grading, for the log under the progress bar."""
    if outcome.error:
        return f"[red]✗[/] {escape(outcome.name)}: {escape(outcome.error)}"
    results = outcome.results or {}
    return f"[green]✓[/] {escape(outcome.name)}: {results.get('score')}/{results.get('max_score')} in {outcome.seconds:.0f} s"


def report(rows: list[gradebook.Row], checks: list[Check], args: argparse.Namespace) -> None:
    """The class summary, printed (--summary) and drawn (--html) as a page that links each
    submission's report, written beside its results.json (merge-csv knows no results: no links)."""
    if args.summary:
        class_summary.print_summary(class_summary.summary(rows, checks))
    if args.html:
        results_dir = getattr(args, "results_dir", None)
        pages = class_page.write_reports(rows, results_dir) if results_dir else {}
        class_page.write_page(args.html, rows, checks, str(getattr(args, "submissions", None) or args.out), pages)


def run_merge(args: argparse.Namespace) -> int:
    """Join shard gradebooks; refuse, saying why, gradebooks that do not fit together."""
    console = Console(stderr=True, highlight=False, soft_wrap=True)  # messages whole, for logs and greps
    try:
        header, rows = gradebook.merge(args.inputs)
    except (gradebook.MergeRefused, OSError) as error:
        console.print(f"[red]merge-csv: {escape(str(error))}[/]")
        return USAGE
    gradebook.write(args.out, header, rows)
    console.print(f"gradebook: {escape(str(args.out))} ({len(rows)} submissions from {len(args.inputs)} files)")
    if args.summary or args.html:
        report(rows, [check for check in collect_checks() if gradebook.check_column(check) in header], args)
    return 0
