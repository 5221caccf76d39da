"""``netlab batch``: grade a class, N submissions at a time; ``netlab merge-csv``: join shards.

    netlab batch SUBMISSIONS_DIR [--jobs N] [--csv grades.csv] [--results-dir DIR] [--lab L ...]
                 [--timeout S] [--shard K/N] [--roster FILE] [--columns all|labs|checks]
                 [--canvas FILE] [--moodle FILE [--moodle-id FIELD]] [--lms-title LAB=TITLE ...]
                 [--regrade NAME | --resume] [--summary] [--html PATH] [--pytest-arg=ARG ...]
    netlab merge-csv OUT.csv IN1.csv IN2.csv ... [--roster FILE] [--canvas FILE] [--moodle FILE]
                     [--summary] [--html PATH]

Every sub-directory of SUBMISSIONS_DIR (but hidden ones and the results directory) is one
submission, graded by ``pytest graders/`` in its own process tree (``grading_run``); each
gets ``DIR/<name>/results.json`` and ``DIR/<name>/grading.log``, and a row in the gradebook
(``gradebook``). SUBMISSIONS_DIR may also be an LMS's download as it comes (Canvas's or
Moodle's zip, or its files and zips, or ``STUDENT.zip`` files): it is unpacked first, one
folder per student, by the rules of ``lms_download``. ``--roster`` joins the class list to the
submissions (``roster``): its columns lead each row, a student who submitted nothing gets a
row of zeros saying so, a submission on no roster row is graded and named.
``--canvas`` and ``--moodle`` write the grades as those LMSs import them (``lms_export``).
``--regrade NAME`` grades one submission again and replaces its row (and its results) in
the ``--csv`` gradebook, every other row left byte for byte as it was. Otherwise the
gradebook is written again as each grading finishes (the rows so far, sorted), so an
interrupted batch leaves its finished gradings; ``--resume`` keeps the rows it has of this
run's submissions, their results too, and grades the others.

``--shard K/N`` grades the submissions at positions K-1, K-1+N, K-1+2N, ...
of the sorted names: round robin, so shards differ in size by one at most and each takes
its share of every stretch of the alphabet (names prefixed by section spread over all shards);
the roster's students with no submission are in shard 1's gradebook. Shards that each hold
only their own submissions (``ci/github/instructor.yml`` clones a shard's repositories) are
graded without ``--roster``, and ``merge-csv --roster`` joins the class list once, at the end.
In a GitHub Actions matrix: ``netlab batch subs --shard ${{ matrix.k }}/4 --csv grades-${{
matrix.k }}.csv``, then ``netlab merge-csv grades.csv grades-*.csv --summary``. ``--pytest-arg`` passes an option on to every grading, split as a shell would:
``--pytest-arg=--isolate``, ``--pytest-arg="-k udp"`` (the ``=`` keeps argparse from
reading the value as an option of its own).

As many gradings run at once as the CPUs sustain, or ``--jobs``; the last line says the
submissions per minute, the CPU seconds per submission and the share of the CPU bound the
batch achieved (``pacing``).

A grading that reaches ``--timeout`` is interrupted; the checks it had finished count, and
its ``error`` says it timed out (``grading_run``).

A submission with nothing to grade (no .py file, or student_template's untouched) is not
graded: its row's ``error`` says ``nothing to grade`` and why (``empty_submission``).

Exit status: 0 every grading ran to its end (or had nothing to grade); 1 some did not (their
rows say why in ``error``; the gradebook is complete all the same); 4 nothing to grade (no such directory,
no sub-directory, an unknown lab), a roster that does not join, gradebooks that do not
merge, or a row ``--regrade`` cannot replace; 2 a malformed option;
130 interrupted (Ctrl-C: the running gradings are killed, the finished ones are in the gradebook).
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from graders.commands import class_page, class_summary, empty_submission, gradebook, lms_download, lms_export, pacing, roster
from graders.commands.grading_run import GradingRun, Outcome, course_option
from graders.harness import course
from graders.reports.rubric import collect_checks
from graders.reports.scoring import RanAs
from graders.vocabulary.checks import Check

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
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = ROSTER_HELP
    parser.add_argument("submissions", type=Path, metavar="SUBMISSIONS_DIR",
                        help="one sub-directory per submission, or an LMS's download as it comes (Canvas's or Moodle's "
                             "zip, or its files, folders and zips, STUDENT.zip files): unpacked into RESULTS_DIR/.unpacked/ first")
    parser.add_argument("--jobs", "-j", type=positive,
                        help=f"gradings at a time (default: as many as the CPUs sustain, up to {pacing.MOST_PER_CORE} per core: "
                             f"another starts while they are less than {pacing.BUSY:g}%% busy)")
    parser.add_argument("--csv", type=Path, default=Path("grades.csv"), help="the gradebook to write (default: grades.csv)")
    parser.add_argument("--course", metavar="PROFILE", help="grade as this course profile says (a file, or a bundled name)")
    parser.add_argument("--results-dir", type=Path, default=Path("netlab-results"),
                        help="where each submission's results.json and grading.log go (default: netlab-results/)")
    parser.add_argument("--lab", action="append", default=[], help="grade only this lab (repeatable)")
    parser.add_argument("--timeout", type=float, default=TIMEOUT,
                        help=f"seconds one submission's grading may take before it is interrupted; the checks it "
                             f"finished count (default: {TIMEOUT:g})")
    parser.add_argument("--shard", type=shard, metavar="K/N", help="grade only the K-th of N round-robin slices of the sorted names")
    parser.add_argument("--roster", type=Path, metavar="FILE", help="a CSV of the class, joined to the submissions (below)")
    parser.add_argument("--columns", choices=gradebook.COLUMN_SETS, default="all",
                        help="the score columns: labs, checks, or all (default: all)")
    add_lms_arguments(parser)
    again = parser.add_mutually_exclusive_group()
    again.add_argument("--regrade", metavar="NAME", help="grade submission NAME again and replace its row in the existing --csv")
    again.add_argument("--resume", action="store_true",
                       help="keep the rows the --csv gradebook has (an interrupted batch's finished gradings) and grade the rest")
    add_summary_arguments(parser)
    parser.add_argument("--pytest-arg", action="append", default=[], metavar="ARG",
                        help="an option for every grading's pytest, after an '=': --pytest-arg=--isolate (repeatable)")


ROSTER_HELP = """\
--roster FILE: a CSV (UTF-8, "," or ";") whose first row names its columns; every column
leads each row of the gradebook. Headers understood (any case; spaces, _ - . ignored):
  submission  submission, folder, directory, dir          (the submission folder's name)
  id          id, user id, canvas id, canvas user id      (the LMS's user id)
  sis id      sis id, sis user id, student id, student number, id number, matriculation number
  login       sis login id, login id, login, username, user name, netid, github username
  email       email, e-mail, email address, mail
  name        name, student, student name, full name; or first (given) name + last name,
              surname or family name
  section     section, group
  participant identifier                                  (Moodle's grading worksheet: Participant N)
Canvas's gradebook export and Moodle's grading worksheet are rosters as they download.
A folder is a student's when it is their submission cell (if the roster has that column);
else their id, SIS id, login, email or email's part before @ (any case); else, for a folder
NAME_NUMBER (an LMS download's), their participant number (a worksheet's), else their id
or SIS id, is NUMBER and NAME shares a word of their name; else their name is NAME
(letters only, either order). A student with no submission gets a row of zeros saying
"no submission"; a submission on no roster row is graded and named; a match that is not
one to one is refused, named.
"""


def add_summary_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--summary", action="store_true", help="print how the class did: scores per lab, pass rate per check")
    parser.add_argument("--html", type=Path, metavar="PATH",
                        help="the class's page: each lab's scores and checks, who failed what, linked to each submission's report.html")


def add_lms_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--canvas", type=Path, metavar="FILE", help="also write the grades as Canvas's gradebook import CSV")
    parser.add_argument("--moodle", type=Path, metavar="FILE", help="also write the grades as Moodle's grade import CSV")
    parser.add_argument("--moodle-id", choices=sorted(lms_export.MOODLE_IDS),
                        help="the user field the Moodle file identifies students by (default: the first the roster has of email, idnumber, username)")
    parser.add_argument("--lms-title", action="append", default=[], metavar="LAB=TITLE",
                        help="the LMS assignment (grade item) a lab's column goes to, e.g. 'webserver=Lab 2: web server' (repeatable)")


def add_merge_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, metavar="OUT.csv")
    parser.add_argument("inputs", type=Path, nargs="+", metavar="IN.csv", help="shard gradebooks, with the same columns")
    parser.add_argument("--roster", type=Path, metavar="FILE",
                        help="join the class list here, to shards graded without it (each shard saw only its own submissions)")
    add_lms_arguments(parser)  # the class's LMS files, from the merged gradebook
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
    try:
        klass = load_class(args, console)
        checks = collect_checks(args.lab or None, course.load(args.course))
        chosen = choose(klass, args)
    except (RuntimeError, course.ProfileError, roster.RosterError, Refused) as error:  # an unknown --lab (pytest has said which), a bad profile
        console.print(f"[red]{escape(str(error))}[/]")
        return USAGE
    pytest_args = [part for arg in args.pytest_arg for part in shlex.split(arg)]
    pytest_args += course_option(args.course)
    book = Book(klass, checks, args)
    try:
        finished, chosen = resumed(book, chosen, args, console)
    except (Refused, OSError) as error:
        console.print(f"[red]{escape(str(error))}[/]")
        return USAGE
    journal = None if args.regrade else gradebook.Journal(args.csv, book.header, book.points, finished)
    not_graded = klass.errors | nothing_to_grade(chosen, klass.errors)
    pacer = pacing.Pacer(cores(), args.jobs)
    throughput = pacing.Throughput.start(cores())
    try:
        outcomes = grade_all(chosen, args, pytest_args, console, not_graded, book.recorder(journal), pacer)
    except KeyboardInterrupt:
        kept = f"the {len(journal.rows)} finished are in {args.csv}: --resume grades the rest" if journal else "no gradebook written"
        console.print(f"[red]interrupted: every running grading was killed; {escape(kept)}[/]")
        return INTERRUPTED
    try:
        if journal is None:
            header, rows, points = book.replace(book.row(outcomes[0]))
        else:
            header, points = book.header, book.points
            rows = journal.rows + book.missing(args.shard)
            gradebook.write(args.csv, header, rows, points)
        export(args, header, rows, points, checks, console)
    except (Refused, lms_export.ExportRefused, OSError) as error:
        console.print(f"[red]{escape(str(error))}[/]")
        return USAGE
    pages = class_page.write_reports(rows, args.results_dir)  # report.html beside each results.json, to release
    console.print(f"gradebook: {escape(str(args.csv))} ({len(rows)} rows); results and reports: {escape(str(args.results_dir))}")
    if args.summary or args.html:
        report(rows, checks, args, pages, class_page.ran_as(rows, args.results_dir))  # the roster's students with no submission too, named
    console.print(throughput.line(len([outcome for outcome in outcomes if outcome.name not in not_graded]), pacer.peak))
    unfinished = [outcome for outcome in outcomes if outcome.error and not empty_submission.is_nothing_to_grade(outcome.error)]
    return 1 if unfinished else 0


def resumed(book: Book, chosen: list[Path], args: argparse.Namespace, console: Console) -> tuple[list[gradebook.Row], list[Path]]:
    """The rows ``--resume`` keeps (none without it), and the submissions left to grade."""
    if not args.resume:
        return [], chosen
    finished = book.finished(chosen)
    console.print(f"resuming {escape(str(args.csv))}: {len(finished)} of {len(chosen)} submissions graded already")
    done = {row[gradebook.SUBMISSION] for row in finished}
    return finished, [path for path in chosen if path.name not in done]


def nothing_to_grade(chosen: list[Path], refused: dict[str, str]) -> dict[str, str]:
    """The submissions with nothing to grade (``empty_submission``), by name: why."""
    template = empty_submission.handed_out()
    whys = {folder.name: empty_submission.why_nothing(folder, template) for folder in chosen if folder.name not in refused}
    return {name: why for name, why in whys.items() if why}


class Refused(Exception):
    """A batch that cannot be run as asked, and why."""


@dataclass
class Class:
    """The submission folders (a download unpacked), their students, and the bad archives."""

    folders: list[Path]
    listed: roster.Roster | None = None  # the roster
    join: roster.Join = field(default_factory=roster.Join)
    errors: dict[str, str] = field(default_factory=dict)


def load_class(args: argparse.Namespace, console: Console) -> Class:
    """The folders to grade, a download unpacked first; joined to the roster, if any."""
    source = downloaded(args.submissions, args.results_dir, console)
    klass = Class(submissions(source, args.results_dir))
    if lms_download.is_download(source):
        unpacked = lms_download.unpack(source, args.results_dir)
        klass = Class(unpacked.folders, errors=unpacked.errors)
        console.print(f"{escape(str(args.submissions))} is an LMS download: {len(unpacked.folders)} submissions "
                      f"unpacked into {escape(str(args.results_dir / lms_download.UNPACKED))}")
        for name in unpacked.skipped:
            console.print(f"[yellow]not a submission (whose is it?), skipped: {escape(name)}[/]")
        for student, (graded, superseded) in unpacked.superseded.items():
            console.print(f"[yellow]{escape(student)}: graded the newest submission, {escape(', '.join(graded))}; "
                          f"superseded: {escape(', '.join(superseded))}[/]")
    if not klass.folders:
        raise Refused(f"no submissions (sub-directories) in {args.submissions}")
    if args.roster:
        klass.listed = roster.Roster.load(args.roster)
        klass.join = klass.listed.join([folder.name for folder in klass.folders])
        for name in klass.join.unknown:
            console.print(f"[yellow]not on the roster, graded all the same: {escape(name)}[/]")
    return klass


def downloaded(submissions: Path, results_dir: Path, console: Console) -> Path:
    """The class's directory: ``submissions`` itself, or the LMS's zip of it unpacked."""
    if submissions.is_dir():
        return submissions
    if not submissions.is_file():
        raise Refused(f"no such directory or zip: {submissions}")
    try:
        unzipped = lms_download.unzip_download(submissions, results_dir)
    except lms_download.BadArchive as error:
        raise Refused(f"{submissions} is neither a directory nor a zip that unpacks: {error}") from error
    console.print(f"{escape(str(submissions))} unpacked into {escape(str(unzipped))}")
    return unzipped


def choose(klass: Class, args: argparse.Namespace) -> list[Path]:
    """The folders this run grades: ``--regrade``'s one, or the shard's."""
    if not args.regrade:
        return select_shard(klass.folders, args.shard)
    if not args.csv.is_file():
        raise Refused(f"--regrade replaces a row of an existing gradebook: no such file {args.csv} (see --csv)")
    chosen = [folder for folder in klass.folders if folder.name == args.regrade]
    if not chosen:
        raise Refused(f"no submission {args.regrade!r} in {args.submissions}")
    return chosen


class Book:
    """The gradebook's columns, rows and points for this class and rubric."""

    def __init__(self, klass: Class, checks: list[Check], args: argparse.Namespace) -> None:
        self.klass = klass
        self.checks = checks
        self.args = args
        self.lead = klass.listed.header if klass.listed else []
        self.header = gradebook.columns(checks, args.columns, self.lead)
        self.points = gradebook.points_row(self.header, checks)

    def row(self, outcome: Outcome) -> gradebook.Row:
        return gradebook.row(outcome, self.checks, self.student_cells(outcome.name))

    def student_cells(self, submission: str) -> dict[str, str]:
        """The roster's cells of the submission's student (empty ones for none)."""
        student = self.klass.join.matched.get(submission)
        return student.cells if student else dict.fromkeys(self.lead, "")

    def recorder(self, journal: gradebook.Journal | None) -> Callable[[Outcome], None]:
        """What to do with a finished grading: its row into the journal (none under --regrade)."""
        def record(outcome: Outcome) -> None:
            if journal is not None:
                journal.add(self.row(outcome))
        return record

    def finished(self, chosen: list[Path]) -> list[gradebook.Row]:
        """``--resume``: the rows the ``--csv`` gradebook has of ``chosen``, their roster cells
        read again; none if it does not exist yet."""
        if not self.args.csv.is_file():
            return []
        header, rows, _ = gradebook.read(self.args.csv)
        if header != self.header:
            raise Refused(f"{self.args.csv} has other columns than this grading makes (other --lab, --course, --columns or --roster?): "
                          "it cannot be resumed")
        names = {path.name for path in chosen}
        return [row | self.student_cells(row[gradebook.SUBMISSION]) for row in rows if row[gradebook.SUBMISSION] in names]

    def missing(self, which: tuple[int, int] | None) -> list[gradebook.Row]:
        """Roster students with no submission: in the first shard only, so shards merge."""
        if which is not None and which[0] != 1:
            return []
        return [gradebook.missing(student.cells, self.checks) for student in self.klass.join.missing]

    def replace(self, new: gradebook.Row) -> tuple[list[str], list[gradebook.Row], gradebook.Row | None]:
        """The existing gradebook with ``new`` in place of its submission's row, written back."""
        header, rows, points = gradebook.read(self.args.csv)
        unknown = [column for column in header if column not in new]
        if unknown:
            raise Refused(f"{self.args.csv} has columns this grading does not make (other --lab, --course or --roster?): {', '.join(unknown[:5])}")
        student = {column: new[column] for column in self.lead}
        at = [i for i, old in enumerate(rows) if old[gradebook.SUBMISSION] == new[gradebook.SUBMISSION]]
        at = at or [i for i, old in enumerate(rows) if self.lead and not old[gradebook.SUBMISSION] and {c: old[c] for c in self.lead} == student]
        if len(at) != 1:
            raise Refused(f"{self.args.csv} has no row for {new[gradebook.SUBMISSION]!r} to replace")
        rows[at[0]] = {column: new[column] for column in header}
        gradebook.write(self.args.csv, header, rows, points)
        return header, rows, points


def export(args: argparse.Namespace, header: list[str], rows: list[gradebook.Row], points: gradebook.Row | None,
           checks: list[Check], console: Console) -> None:
    """``--canvas`` and ``--moodle``: one grade column per lab."""
    if not (args.canvas or args.moodle):
        return
    labs = gradebook.labs_of(checks)
    if points is None or any(lab not in header for lab in labs):
        raise Refused("the LMS exports need a column per lab and the points-possible row: not --columns checks, nor an older gradebook")
    titles = dict(lms_title(text) for text in args.lms_title)
    if args.canvas:
        lms_export.canvas(args.canvas, header, rows, points, labs, titles)
        console.print(f"Canvas gradebook: {escape(str(args.canvas))}")
    if args.moodle:
        left_out = lms_export.moodle(args.moodle, header, rows, labs, titles, args.moodle_id)
        console.print(f"Moodle grade import: {escape(str(args.moodle))}")
        for name in left_out:
            console.print(f"[yellow]not in the Moodle file (no identifier: not on the roster): {escape(name)}[/]")


def lms_title(text: str) -> tuple[str, str]:
    lab, _, title = text.partition("=")
    if not (lab and title):
        raise Refused(f"--lms-title {text!r} is not LAB=TITLE")
    return lab, title


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


def grade_all(chosen: list[Path], args: argparse.Namespace, pytest_args: list[str], console: Console,
              refused: dict[str, str], record: Callable[[Outcome], None], pacer: pacing.Pacer) -> list[Outcome]:
    """Grade each submission, as many at a time as ``pacer`` admits, under a progress bar with
    an ETA, each outcome ``record``-ed as it comes; one whose archive was refused or that has
    nothing to grade (``refused``: name → why) is not graded, and says why."""
    gradings = Gradings(args, pytest_args)
    outcomes = [Outcome(path.name, None, refused[path.name], 0.0) for path in chosen if path.name in refused]
    for outcome in outcomes:
        record(outcome)
        console.print(describe(outcome))
    waiting = deque(path for path in chosen if path.name not in refused)
    columns = [TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn()]
    with Progress(*columns, console=console, speed_estimate_period=ETA_WINDOW) as progress, ThreadPoolExecutor(pacer.most) as pool:
        task = progress.add_task("grading", total=len(waiting))
        running: set[Future[Outcome]] = set()
        try:
            with sigterm_interrupts():
                while waiting or running:
                    while waiting and pacer.admits(len(running)):
                        running.add(pool.submit(gradings.grade, waiting.popleft()))
                    finished, running = wait(running, timeout=pacing.WINDOW, return_when=FIRST_COMPLETED)
                    for future in finished:
                        outcomes.append(future.result())
                        record(outcomes[-1])
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
    """One finished grading, for the log under the progress bar: graded, partly graded
    (timed out with some checks finished), or not graded, and why."""
    if outcome.results is None:
        return f"[red]not graded[/] {escape(outcome.name)}: {escape(outcome.error)}"
    score = gradebook.number(outcome.results.get("score", 0))
    if outcome.error:  # its max_score is that of the checks that finished: not the lab's
        return f"[yellow]partly graded[/] {escape(outcome.name)}: {score} points ({escape(outcome.error)})"
    possible = sum(test.get("max_score", 0) for test in outcome.results.get("tests", []))
    return f"[green]graded[/] {escape(outcome.name)}: {score}/{gradebook.number(possible)} in {outcome.seconds:.0f} s"


def report(rows: list[gradebook.Row], checks: list[Check], args: argparse.Namespace, pages: dict[str, Path] | None = None,
           ran: dict[str, list[RanAs]] | None = None) -> None:
    """The class summary, printed (--summary) and drawn (--html) as a page that links each
    submission's report (``pages``) and says how their programs were run (``ran``); merge-csv knows
    no results: no links, no command lines."""
    if args.summary:
        class_summary.print_summary(class_summary.summary(rows, checks))
    if args.html:
        class_page.write_page(args.html, rows, checks, str(getattr(args, "submissions", None) or args.out), pages or {}, ran=ran)


def joined(header: list[str], rows: list[gradebook.Row], points: gradebook.Row | None, checks: list[Check],
           listed: roster.Roster) -> tuple[list[str], list[gradebook.Row], gradebook.Row | None]:
    """Gradebooks graded without the roster, joined to it: each row led by its student's cells,
    a row of zeros for each student with no submission (as ``batch --roster`` makes them)."""
    if header[0] != gradebook.SUBMISSION:
        raise Refused(f"the gradebooks already lead with other columns ({header[0]}, ...): were they graded with --roster?")
    join = listed.join([row[gradebook.SUBMISSION] for row in rows])
    empty = dict.fromkeys(listed.header, "")
    led = [{**(join.matched[row[gradebook.SUBMISSION]].cells if row[gradebook.SUBMISSION] in join.matched else empty), **row} for row in rows]
    led += [gradebook.missing(student.cells, checks) for student in join.missing]
    moved = None if points is None else points | {gradebook.SUBMISSION: ""} | empty | {listed.header[0]: gradebook.POINTS_POSSIBLE}
    return [*listed.header, *header], led, moved


def run_merge(args: argparse.Namespace) -> int:
    """Join shard gradebooks; refuse, saying why, gradebooks that do not fit together."""
    console = Console(stderr=True, highlight=False, soft_wrap=True)  # messages whole, for logs and greps
    try:
        header, rows, points = gradebook.merge(args.inputs)
    except (gradebook.MergeRefused, OSError) as error:
        console.print(f"[red]merge-csv: {escape(str(error))}[/]")
        return USAGE
    checks = [check for check in collect_checks() if gradebook.check_column(check) in header or check.lab in header]
    try:
        if args.roster:
            header, rows, points = joined(header, rows, points, checks, roster.Roster.load(args.roster))
        gradebook.write(args.out, header, rows, points)
        console.print(f"gradebook: {escape(str(args.out))} ({len(rows)} rows from {len(args.inputs)} files)")
        export(args, header, rows, points, checks, console)
    except (Refused, roster.RosterError, lms_export.ExportRefused, OSError) as error:
        console.print(f"[red]merge-csv: {escape(str(error))}[/]")
        return USAGE
    if args.summary or args.html:
        report(rows, [check for check in checks if gradebook.check_column(check) in header], args)
    return 0
