"""The pytest glue: options, lab selection, failure messages, score reports.

Registered through the ``pytest11`` entry point, so ``--submission``,
``--lab`` and ``--results-json`` exist wherever netlab is installed. Tests
without a ``lab`` mark are left alone, so the plugin is silent outside graders.
"""

from __future__ import annotations

import difflib
import errno
import gc
import os
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any
from weakref import WeakSet

import pytest

from graders import GRADERS, REPO
from graders.harness import course
from graders.harness.command_lines import CommandLines, NoCommandLine
from graders.harness.course import Course
from graders.harness.isolation import Sandbox, enter_private_network, make_sandbox
from graders.harness.launcher import Launcher, missing_requirements
from graders.harness.programs import Program
from graders.harness.runs import EARLY, FAILED
from graders.harness.submission import MissingProgram, TemplateStub
from graders.harness.submission_choice import Choice, ChoiceError, choose
from graders.network import link, netns
from graders.reports.interruption import Interruption
from graders.reports.machine_paths import MachinePaths
from graders.reports.scoring import MARKDOWN, MISSING, RUN_AS, STUB, TEXT, Scoreboard
from graders.reports.summary import escape_what_cannot_be_encoded, print_summary
from graders.vocabulary.checks import CORE, Check
from graders.vocabulary.failures import CheckFailed, Judgements

TEMPLATE = REPO / "student_template"  # what students copy; graded when nothing else is named

_check = pytest.StashKey[Check]()
_command_lines = pytest.StashKey[CommandLines]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("netlab", "netlab grading")
    group.addoption(
        "--submission",
        metavar="DIR",
        help="the directory of programs to grade (default: $NETLAB_SUBMISSION, else `submission` in a netlab.toml "
        "or [tool.netlab] here or above, else the working directory if it holds the labs' programs, else student_template/)",
    )
    group.addoption(
        "--lab",
        action="append",
        default=[],
        metavar="NAME",
        help="grade only this lab (repeatable): echo, webserver, ...",
    )
    group.addoption("--results-json", metavar="PATH", help="write Gradescope's results.json here")
    group.addoption(
        "--results-format",
        choices=(TEXT, MARKDOWN),
        default=TEXT,
        help="how results.json's test outputs read on Gradescope: text (in a <pre>), or md (the wire in a code block)",
    )
    group.addoption(
        "--course",
        metavar="PROFILE",
        help="a course profile: a netlab.toml, a pyproject.toml with [tool.netlab], or a bundled name "
        "(textbook); default: $NETLAB_COURSE, else LABS.md as it stands",
    )
    group.addoption(
        "--isolate",
        action="store_true",
        help="Linux: a private loopback-only network for the grading, each program in PID and mount "
        "namespaces with rlimits (what cannot be granted is said once, and grading goes on without it)",
    )
    group.addoption(
        "--record-judged",
        action="store_true",
        help="keep, for passing checks too, what each expectation judged (for `netlab compare`)",
    )


def submission_choice(config: pytest.Config) -> Choice:
    """The submission to grade and how it was named (``submission_choice.choose``), chosen once;
    one named that cannot be graded is a usage error."""
    if CHOICE not in config.stash:
        named = [name for names in course_of(config).file_names().values() for name in names if not set(name) & set("*?[")]
        names = [*(name for names in course.PROGRAMS.values() for name in names), *named]
        try:
            config.stash[CHOICE] = choose(config.getoption("submission"), os.environ, config.invocation_params.dir, TEMPLATE, names)
        except ChoiceError as error:
            raise pytest.UsageError(str(error)) from None
    return config.stash[CHOICE]


def submission_dir(config: pytest.Config) -> Path:
    return submission_choice(config).path


CHOICE = pytest.StashKey[Choice]()
SANDBOX = pytest.StashKey["Sandbox | None"]()
COURSE = pytest.StashKey[Course]()
NO_NAMESPACES = pytest.StashKey["str | None"]()
SAID = pytest.StashKey[list[str]]()
TOLD = pytest.StashKey["WeakSet[Program]"]()  # servers whose end a check has had its say on


def pytest_configure(config: pytest.Config) -> None:
    try:
        config.stash[COURSE] = course.load(config.getoption("course", None) or os.environ.get("NETLAB_COURSE"))
    except course.ProfileError as error:
        raise pytest.UsageError(str(error)) from None
    config.pluginmanager.register(Grading(config), "netlab-grading")
    config.pluginmanager.register(FailureMarks(), "netlab-failure-marks")
    missing = missing_requirements(tuple(config.stash[COURSE].requirements()))
    if missing:
        _say(config, f"netlab --course: the profile's requirements {', '.join(missing)} are not installed here "
                     f"(`python -m pip install {' '.join(missing)}`): the checks of the programs that import them fail until they are")
    if config.stash[COURSE].fixed_programs() or _grades_raw_sockets(config):
        _namespaces(config)
    if config.getoption("isolate", False):
        _isolate(config)


def _namespaces(config: pytest.Config) -> None:
    """A course whose programs hard-code their ports needs network namespaces: as root, or as
    root of a user namespace made now, while pytest is one thread. Said once where refused."""
    why = "turned off by NETLAB_NAMESPACES=off" if os.environ.get("NETLAB_NAMESPACES") == "off" else None
    why = why or netns.prepare()
    config.stash[NO_NAMESPACES] = why
    fixed = config.stash[COURSE].fixed_programs()
    if why and fixed:
        _say(config, f"netlab --course: no network namespaces here ({why}): the checks of {', '.join(fixed)}, which "
                     "hard-code their ports or servers, are skipped; the rest is graded")
    if why and _grades_raw_sockets(config):
        _say(config, f"netlab: no network namespaces here ({why}): the checks of the labs whose programs open raw "
                     f"sockets ({', '.join(course.RAW_SOCKETS)}) are skipped; the rest is graded")
    apart = _graded_with_peers_apart(config)
    refused = link.refused() if why is None and apart else None
    if refused:
        _say(config, f"netlab --course: no network can be linked to another here ({refused}): the checks of {', '.join(apart)}, "
                     "whose peers listen in a network of their own beside it, are skipped; the rest is graded")


def _graded_with_peers_apart(config: pytest.Config) -> list[str]:
    """The fixed programs this run grades whose peers listen in a network linked to theirs (``course.PEERS_APART``)."""
    if config.option.collectonly or not _grades_only(config):
        return []
    fixed = config.stash[COURSE].fixed_programs()
    labs = config.getoption("lab") or course.PROGRAMS
    return [name for lab in labs for name in course.PROGRAMS[lab] if name in fixed and name in course.PEERS_APART]


def _grades_raw_sockets(config: pytest.Config) -> bool:
    """Whether this run grades a lab whose programs open raw sockets (a collection alone, such as
    `netlab rubric`'s, makes no namespace)."""
    labs = config.getoption("lab") or course.PROGRAMS
    return not config.option.collectonly and _grades_only(config) and any(lab in course.RAW_SOCKETS for lab in labs)


def namespaces_refused(config: pytest.Config) -> str | None:
    """Why the fixed-port checks cannot run here; None when they can (or need not)."""
    return config.stash.get(NO_NAMESPACES, None)


def _isolate(config: pytest.Config) -> None:
    """Enter the private network and make the sandbox, before any program starts; say once what
    could not be had (xdist workers do the same, silently: the controller speaks for them)."""
    refused = [f"no private network: {why}" for why in [enter_private_network()] if why]
    sandbox, missing = make_sandbox(submission_dir(config))
    config.stash[SANDBOX] = sandbox
    for line in refused + missing:
        _say(config, f"netlab --isolate: {line}; grading goes on without it")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove what the grading made outside its temporary directories (its cgroup)."""
    sandbox = sandbox_of(config)
    if sandbox is not None:
        sandbox.close()


def _say(config: pytest.Config, line: str) -> None:
    """A line for the terminal at the session's start (the terminal is not there at configure
    time); xdist workers stay silent, the controller speaks for them."""
    if not hasattr(config, "workerinput"):
        config.stash.setdefault(SAID, []).append(line)


def sandbox_of(config: pytest.Config) -> Sandbox | None:
    return config.stash.get(SANDBOX, None)


def command_lines_of(config: pytest.Config) -> CommandLines:
    """This grading's choices among a course's command lines (one pytest process's)."""
    if _command_lines not in config.stash:
        config.stash[_command_lines] = CommandLines()
    return config.stash[_command_lines]


def course_of(config: pytest.Config) -> Course:
    return config.stash.get(COURSE, course.LABS_MD)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    graded = [(item, Check.of(item)) for item in items if item.get_closest_marker("lab")]
    for item, check in graded:
        if check is None:
            raise pytest.UsageError(f"grader check {item.nodeid} has no @points(...) mark")
    checks = [check for _, check in graded if check is not None]
    profile = course_of(config)
    try:
        profile.check_names(checks)
    except course.ProfileError as error:
        raise pytest.UsageError(str(error)) from None
    if graded:
        submission_choice(config)  # a usage error where it cannot be graded
    labs = {check.lab for check in checks}
    wanted = config.getoption("lab")
    unknown = sorted(set(wanted) - labs)
    if graded and unknown:
        raise pytest.UsageError(f"unknown lab {', '.join(unknown)}{_nearest_lab(unknown[0], labs)}; the labs are {', '.join(sorted(labs))}")
    dropped = []
    for item, check in graded:
        graded_as = profile.grade(check)  # type: ignore[arg-type]
        if graded_as is None or (wanted and graded_as.lab not in wanted):
            dropped.append(item)
            continue
        item.stash[_check] = graded_as
        item.user_properties.extend(graded_as.properties())
        if (limit := profile.lab(graded_as.lab).time_limit) is not None:
            item.add_marker(pytest.mark.timeout(limit))
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]
    items.sort(key=lambda item: item.stash[_check].lab in EARLY if _check in item.stash else False)  # long runs' labs last


def _nearest_lab(name: str, labs: set[str]) -> str:
    near = difflib.get_close_matches(name, sorted(labs), n=1, cutoff=0.6)
    return f" (did you mean `{near[0]}`?)" if near else ""


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under ``-n``, a grading deals out whole lab modules: a lab's shared runs (the ten mail
    sessions, the shared servers) start once, in the worker given the lab, not again in every
    worker given one of its checks (-n 4 took 2.5 times the CPU of a serial grading, and longer).
    An explicit ``--dist`` other than load, and any run that is not of the graders, xdist's."""
    if config.getoption("dist") != "load" or not _grades_only(config):
        return None
    from xdist.scheduler import LoadFileScheduling  # type: ignore[import-untyped]

    return LoadFileScheduling(config, log)


def _grades_only(config: pytest.Config) -> bool:
    """Whether every path the run was given is in the graders (``pytest graders/``)."""
    paths = [config.invocation_params.dir / arg.split("::")[0] for arg in config.args]
    return bool(paths) and all(path.resolve().is_relative_to(GRADERS) for path in paths)


def pytest_collection_finish(session: pytest.Session) -> None:
    """In a grading, what is loaded by now (pytest, the graders, their libraries) lives to its end:
    frozen, the garbage collector stops walking it at every full collection (0.1 s a grading)."""
    if any(_check in item.stash for item in session.items):
        gc.freeze()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):  # type: ignore[no-untyped-def]
    """With --record-judged: what the check's expectations judged, in its report's properties."""
    recording = item.config.getoption("record_judged") and _check in item.stash
    if recording:
        Judgements.start()
    yield
    if recording:
        item.user_properties.append(("judged", Judgements.stop()))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport | None:
    """A failed check reads as rule / expected / got / wire, without a traceback; an optional
    exercise whose program is missing, or any check whose program is the template's stub, reads
    as one "not attempted" skip.

    The report is made here, so pytest never formats the check's traceback: on Python
    3.11 that parses source with ast, which can fail when a fake server's thread formats
    a traceback at the same moment ("AST constructor recursion depth mismatch").
    """
    if _check in item.stash:
        _note_command_lines(item, call.excinfo.value if call.excinfo else None)
    if call.excinfo is None or _check not in item.stash:
        return None
    failure = call.excinfo.value
    if isinstance(failure, Exception) and not isinstance(failure, CheckFailed):
        return _report(item, call, "failed", grader_fault(failure), item.user_properties)
    if not isinstance(failure, CheckFailed):  # a skip, pytest's own failure (a timeout), an interruption: none is an Exception
        return None
    check = item.stash[_check]
    text = failure.report(check.cited_rule, _servers_that_died(item))
    missing = isinstance(failure, MissingProgram)
    stub = [(STUB, failure.program)] if isinstance(failure, TemplateStub) else []
    properties = [*item.user_properties, (MISSING, text.text), *stub] if missing else item.user_properties
    not_attempted = missing and (check.group != CORE or bool(stub))  # a core's missing program fails: a stub is the template's
    outcome, longrepr = ("skipped", _not_attempted(item, failure)) if not_attempted else ("failed", text)
    return _report(item, call, outcome, longrepr, properties)


def _report(
    item: pytest.Item, call: pytest.CallInfo[None], outcome: str, longrepr: object, properties: list[tuple[str, object]],
) -> pytest.TestReport:
    return pytest.TestReport(
        item.nodeid,
        item.location,
        {name: 1 for name in item.keywords},
        outcome,  # type: ignore[arg-type]
        longrepr,  # type: ignore[arg-type]
        call.when,  # type: ignore[arg-type]
        [(f"Captured {key} {when}", content) for when, key, content in item._report_sections],
        call.duration,
        call.start,
        call.stop,
        properties,
    )


def grader_fault(error: Exception) -> str:
    """An error of the graders' own (student code is never imported, so any error that is not a
    check's failure is ours): one line that says so and what happened, never a traceback."""
    taken = isinstance(error, OSError) and error.errno == errno.EADDRINUSE
    gloss = "a port the graders' own servers needed was taken: " if taken else ""
    return f"netlab's own fault, not the program's: {gloss}{type(error).__name__}: {error}".splitlines()[0]


def _note_command_lines(item: pytest.Item, failure: BaseException | None) -> None:
    """In the check's report, how each program it ran or read was run, where the course lists several
    command lines for it (harness/command_lines.py): its name, its command, which line of how many
    (0: under none did it get going, the check's ``failure``)."""
    ran: list[tuple[str, str, int, int]] = []
    for program in _programs(item):
        if program.chosen is not None:
            filename, line, total = program.chosen
            ran.append((filename, program.command, line, total))
    if isinstance(failure, NoCommandLine):
        ran.append((failure.filename, "", 0, failure.total))
    kept = [prop for prop in item.user_properties if prop[0] != RUN_AS]
    item.user_properties[:] = kept + ([(RUN_AS, [list(one) for one in dict.fromkeys(ran)])] if ran else [])


def _programs(item: pytest.Item) -> list[Program]:
    """The programs a check ran or read: its own launcher's (a shared server lent to it included), and
    those its fixtures hold (a program, a run's ``program``, a table of runs)."""
    found: list[Program] = []
    fixtures = item._fixtureinfo.name2fixturedefs  # type: ignore[attr-defined]
    for name, value in getattr(item, "funcargs", {}).items():
        if isinstance(value, Launcher) and fixtures[name][-1].scope == "function":
            found += [*value.running, *value.servers]
        for held in value.values() if isinstance(value, dict) else [value]:
            program = held if isinstance(held, Program) else getattr(held, "program", None)
            found += [program] if isinstance(program, Program) else []
    return found


def _not_attempted(item: pytest.Item, failure: CheckFailed) -> tuple[str, int, str]:
    """A skip's longrepr: where, and why."""
    path, line, _ = item.location
    return str(path), (line or 0) + 1, "not attempted: " + failure.got.splitlines()[0]


def _servers_that_died(item: pytest.Item) -> list[str]:
    """A server that exited during a check is often the whole story: say so beside the message,
    once (a shared server is in the check's launcher and in its module's), and only in the check
    during which it ended (``pytest_runtest_teardown``)."""
    told = item.config.stash.setdefault(TOLD, WeakSet())
    died = [server for launcher in _launchers(item) for server in launcher.servers_that_died() if server not in told]
    return [server.death_note() for server in dict.fromkeys(died)]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    """A check's servers that have ended by the end of its teardown (died, or were stopped: a
    shared server replaced after the check failed) are the check's story, never a later one's."""
    launchers = _launchers(item)
    try:
        return (yield)
    finally:
        ended = [server for launcher in launchers for server in launcher.servers if server.returncode is not None]
        item.config.stash.setdefault(TOLD, WeakSet()).update(ended)


def _launchers(item: pytest.Item) -> list[Launcher]:
    """The check's launchers: its own, and its module's (shared servers, shared runs)."""
    return [value for value in getattr(item, "funcargs", {}).values() if isinstance(value, Launcher)]


class FailureMarks:
    """Marks each test that failed, in any phase, for a server it shares with the next
    (``runs.Shared``). An object of its own: pytest takes a hook only by its ``pytest_`` name
    (``specname`` or not), and this module's ``pytest_runtest_makereport`` makes the report."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if report.failed:
            item.stash[FAILED] = True
        return report


class Grading:
    """The scoreboard of one run: fed by every report, printed and written at the end."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.scoreboard = Scoreboard()
        self.is_worker = hasattr(config, "workerinput")  # an xdist worker: the controller reports
        self.started = time.monotonic()
        self.interruption = Interruption()
        self.announced = False
        if _grades_only(config):
            self.interruption.catch()  # SIGTERM, SIGHUP: as clean an end as Ctrl-C's (an xdist controller collects nothing)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if any(_check in item.stash for item in session.items):
            self.interruption.catch()
            self._announce()

    def pytest_keyboard_interrupt(self) -> None:
        self.interruption.interrupted()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self) -> None:
        self.interruption.pending()

    def pytest_unconfigure(self) -> None:
        self.interruption.release()

    def pytest_sessionstart(self) -> None:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        for line in self.config.stash.get(SAID, []):
            if reporter is not None:
                reporter.write_line(line, yellow=True)

    def pytest_report_header(self) -> list[str]:
        """In pytest's header of ``pytest graders/`` (an xdist controller collects nothing): which
        submission is graded, before any check."""
        if not _grades_only(self.config):
            return []
        try:
            return [self._announcement()]
        except pytest.UsageError:
            return []  # the collection says why

    def _announce(self) -> None:
        """The same, for a run of checks outside graders/, once they are collected."""
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if not self.announced and not self.is_worker and reporter is not None:
            reporter.write_line(self._announcement())

    def _announcement(self) -> str:
        """Which submission is graded, and how it was named; from then on a character the terminal
        cannot encode is escaped alone."""
        self.announced = True
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            escape_what_cannot_be_encoded(reporter)
        return submission_choice(self.config).announcement()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.scoreboard.record(report)

    def pytest_terminal_summary(self, terminalreporter) -> None:  # type: ignore[no-untyped-def]
        if self.scoreboard and not self.is_worker:
            print_summary(self.scoreboard, terminalreporter, submission_dir(self.config), self.interruption.ended_early)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.is_worker:
            return
        path = self.config.getoption("results_json")
        if path:
            said = "\n".join([*self.config.stash.get(SAID, []), *self.scoreboard.command_lines()])
            private = MachinePaths.of(submission_dir(self.config), self.config.option.basetemp and Path(self.config.option.basetemp))
            self.scoreboard.write_gradescope(Path(path), said, self.config.getoption("results_format"), time.monotonic() - self.started, private)
        if session.exitstatus == pytest.ExitCode.OK and self.scoreboard.failed():
            session.exitstatus = pytest.ExitCode.TESTS_FAILED  # a skipped check (not attempted, no namespace here) did not pass
