"""The pytest plugin: options, points, messages, exit statuses and reports (with pytester)."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

DEMO = '''
from graders.vocabulary.failures import CheckFailed
from graders.vocabulary.checks import lab, points
from graders.vocabulary.wire import Transcript

pytestmark = lab("demo")


@points(2)
def test_passes():
    """A rule that holds."""


@points(3)
def test_fails_with_a_message():
    """A rule that is broken."""
    wire = Transcript()
    wire.client(b"PING\\r\\n")
    wire.server(b"pong\\n")
    raise CheckFailed(expected="PONG", got="pong", wire=wire)


@points(1, group="optional 1: extra")
def test_optional():
    """An optional exercise."""
'''

OTHER = '''
from graders.vocabulary.checks import lab, points

pytestmark = lab("other")


@points(4)
def test_other():
    """Another lab's rule."""
'''


@pytest.fixture
def graders(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_demo=DEMO, test_other=OTHER)
    (pytester.path / "submission").mkdir()
    return pytester


def test_failed_check_reads_rule_expected_got_wire(graders: pytest.Pytester) -> None:
    result = graders.runpytest("--submission", "submission")
    result.assert_outcomes(passed=3, failed=1)
    assert result.ret == 1
    result.stdout.fnmatch_lines([
        "rule:     A rule that is broken. (LABS.md, lab `demo`)",
        "expected: PONG",
        "got:      pong",
        "wire:     C: PING␍␊",
        "          S: pong␊",
    ])
    result.stdout.no_fnmatch_line("*raise CheckFailed*")  # no traceback for a failed check


def test_summary_gives_points_per_lab_and_group(graders: pytest.Pytester) -> None:
    result = graders.runpytest("--submission", "submission")
    result.stdout.fnmatch_lines([
        "*demo*core*2/5*",
        "*optional 1: extra*1/1*",
        "*other*core*4/4*",
        "*total*7/10*",
        "*demo / core / test_fails_with_a_message (0/3): pong*",
    ])


def test_lab_option_selects_labs(graders: pytest.Pytester) -> None:
    result = graders.runpytest("--submission", "submission", "--lab", "other")
    result.assert_outcomes(passed=1, deselected=3)
    assert result.ret == 0


def test_unknown_lab_is_a_usage_error(graders: pytest.Pytester) -> None:
    result = graders.runpytest("--submission", "submission", "--lab", "nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown lab nope; the labs are demo, other*"])


def test_a_misspelled_lab_names_the_nearest(graders: pytest.Pytester) -> None:
    result = graders.runpytest("--submission", "submission", "--lab", "dmeo")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown lab dmeo (did you mean `demo`?); the labs are demo, other*"])


def test_a_file_given_as_the_submission_is_not_a_directory(graders: pytest.Pytester) -> None:
    (graders.path / "submission" / "webserver.py").write_text("")
    result = graders.runpytest("--submission", "submission/webserver.py")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*submission*webserver.py is a file, not a directory (named by --submission): a submission is the folder*"])


def test_the_submission_graded_is_said_before_the_first_check(graders: pytest.Pytester) -> None:
    result = graders.runpytest("--submission", "submission")
    result.stdout.fnmatch_lines(["grading *submission (--submission)", "test_demo.py .F.*"])


def test_with_no_submission_named_the_template_is_graded_saying_how_to_name_one(graders: pytest.Pytester) -> None:
    result = graders.runpytest()
    result.stdout.fnmatch_lines(["grading *student_template, netlab's template: no submission was named*"
                                 "`pytest graders/ --submission DIR`*netlab.toml*", "test_demo.py*"])


@pytest.mark.parametrize(("place", "text"), [
    ("netlab.toml", 'submission = "{path}"\n'),
    ("pyproject.toml", '[tool.netlab]\nsubmission = "{path}"\n'),
])
def test_a_submission_named_in_a_config_file_here_or_above(graders: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                                                         place: str, text: str) -> None:
    """The nearest netlab.toml or pyproject.toml that names one, its path relative to the file."""
    (graders.path / place).write_text(text.format(path="submission"))
    monkeypatch.chdir(graders.mkdir("below"))
    result = graders.runpytest(str(graders.path))
    result.stdout.fnmatch_lines([f"grading {graders.path / 'submission'} (`submission` in {graders.path / place})"])


def test_the_working_directory_holding_the_labs_programs_is_graded(graders: pytest.Pytester) -> None:
    (graders.path / "udp_server.py").write_text("")
    result = graders.runpytest()
    result.stdout.fnmatch_lines([f"grading {graders.path} (the working directory, which holds the labs' programs)"])


def test_the_option_wins_over_the_environment_which_wins_over_a_config_file(graders: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    (graders.path / "netlab.toml").write_text('submission = "no-such-dir"\n')
    (graders.path / "udp_server.py").write_text("")
    graders.mkdir("from-env")
    monkeypatch.setenv("NETLAB_SUBMISSION", "from-env")
    assert graders.runpytest("--submission", "submission").stdout.str().count("(--submission)") == 1
    assert "from-env ($NETLAB_SUBMISSION)" in graders.runpytest().stdout.str()
    monkeypatch.delenv("NETLAB_SUBMISSION")
    refused = graders.runpytest()
    refused.stderr.fnmatch_lines(["*no-such-dir does not exist (named by `submission` in *netlab.toml)*"])


def test_missing_submission_directory_is_a_usage_error(graders: pytest.Pytester) -> None:
    result = graders.runpytest("--submission", "no-such-dir")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*submission directory*no-such-dir does not exist*"])


def test_submission_from_the_environment(graders: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETLAB_SUBMISSION", "no-such-dir-either")
    result = graders.runpytest()
    result.stderr.fnmatch_lines(["*no-such-dir-either does not exist*"])


def test_check_without_points_is_refused(pytester: pytest.Pytester) -> None:
    pytester.makepyfile('import pytest\npytestmark = pytest.mark.lab("x")\ndef test_a(): pass\n')
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*has no @points(...) mark*"])


def test_plain_tests_are_left_alone(pytester: pytest.Pytester) -> None:
    """No score, and the garbage collector as pytest left it (in a process of its own: a graded
    run in this one freezes what this one holds)."""
    pytester.makepyfile("import gc\ndef test_a(): assert gc.get_freeze_count() == 0\n")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*netlab score*")


def test_a_grading_freezes_what_it_loaded_before_its_checks(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_demo='''
import gc
from graders.vocabulary.checks import lab, points

pytestmark = lab("demo")


@points(1)
def test_frozen():
    """The collector no longer walks pytest and the graders."""
    assert gc.get_freeze_count() > 0
''')
    (pytester.path / "submission").mkdir()
    pytester.runpytest_subprocess("--submission", "submission").assert_outcomes(passed=1)


GRADESCOPE_KEYS = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
                   "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}  # its specification's
GRADESCOPE_TEST_KEYS = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
                        "tags", "visibility", "extra_data"}


def test_results_json_is_gradescopes_format(graders: pytest.Pytester) -> None:
    """Only the keys Gradescope documents, each as it documents it."""
    graders.runpytest("--submission", "submission", "--results-json", "out/results.json")
    results = json.loads((graders.path / "out" / "results.json").read_text())
    assert set(results) <= GRADESCOPE_KEYS and all(set(test) <= GRADESCOPE_TEST_KEYS for test in results["tests"])
    assert results["score"] == 7 and sum(test["max_score"] for test in results["tests"]) == 10
    assert isinstance(results["execution_time"], int) and results["test_output_format"] == "text"
    by_name = {t["name"]: t for t in results["tests"]}
    failed = by_name["demo / core / test_fails_with_a_message"]
    assert (failed["score"], failed["max_score"], failed["status"], failed["visibility"]) == (0, 3, "failed", "visible")
    assert (failed["tags"], failed["output_format"]) == (["demo", "core"], "text")
    assert failed["output"].startswith("rule:     A rule that is broken. (LABS.md, lab `demo`)\nexpected: PONG\ngot:      pong")
    assert by_name["other / core / test_other"]["score"] == 4 and by_name["other / core / test_other"]["status"] == "passed"
    assert [t["number"] for t in results["tests"]] == ["1.1", "1.2", "1.3", "2.1"]


def test_results_json_in_markdown_puts_the_wire_in_a_code_block(graders: pytest.Pytester) -> None:
    graders.runpytest("--submission", "submission", "--results-json", "r.json", "--results-format", "md")
    results = json.loads((graders.path / "r.json").read_text())
    failed = next(t for t in results["tests"] if t["name"].endswith("test_fails_with_a_message"))
    assert failed["output_format"] == results["test_output_format"] == "md"
    assert failed["output"].startswith("**rule:** A rule that is broken. (LABS.md, lab \\`demo\\`)\n\n**expected:** PONG")
    assert "**wire:**\n\n```text\nC: PING␍␊\nS: pong␊\n```" in failed["output"]


def test_results_json_under_xdist(graders: pytest.Pytester) -> None:
    result = graders.runpytest_subprocess("--submission", "submission", "--results-json", "r.json", "-n", "2")
    assert result.ret == 1
    results = json.loads((graders.path / "r.json").read_text())
    assert (results["score"], sum(test["max_score"] for test in results["tests"])) == (7, 10)
    result.stdout.fnmatch_lines(["*total*7/10*"])


@pytest.fixture
def echo_like(pytester: pytest.Pytester) -> pytest.Pytester:
    """The demo checks under a lab a profile may name."""
    pytester.makepyfile(test_demo=DEMO.replace('lab("demo")', 'lab("echo")'))
    (pytester.path / "submission").mkdir()
    return pytester


def test_a_profile_weighs_hides_and_switches_off_checks_and_groups(echo_like: pytest.Pytester) -> None:
    """Fractional points, Gradescope visibility per check or group, a whole group off."""
    graders = echo_like
    (graders.path / "netlab.toml").write_text(
        '[labs.echo]\npoints = { test_passes = 1.5 }\noff = ["optional 1"]\n'
        'visibility = { core = "after_due_date", test_fails_with_a_message = "hidden" }\n'
    )
    result = graders.runpytest("--submission", "submission", "--course", "netlab.toml", "--results-json", "r.json")
    tests = {t["name"].split(" / ")[-1]: t for t in json.loads((graders.path / "r.json").read_text())["tests"]}
    assert "test_optional" not in tests
    assert (tests["test_passes"]["score"], tests["test_passes"]["visibility"]) == (1.5, "after_due_date")
    assert tests["test_fails_with_a_message"]["visibility"] == "hidden"
    result.stdout.fnmatch_lines(["*total*1.5/4.5*"])


def test_a_mistyped_check_in_a_profile_is_refused_with_the_nearest_name(echo_like: pytest.Pytester) -> None:
    (echo_like.path / "netlab.toml").write_text('[labs.echo]\noff = ["test_fails_with_a_mesage"]\n')
    result = echo_like.runpytest("--submission", "submission", "--course", "netlab.toml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*lab `echo` has no check or group `test_fails_with_a_mesage` (did you mean `test_fails_with_a_message`?)*"])


def test_junitxml_carries_points_as_properties(graders: pytest.Pytester) -> None:
    graders.runpytest("--submission", "submission", "--junitxml", "report.xml")
    tree = ET.parse(graders.path / "report.xml")
    case = next(c for c in tree.iter("testcase") if c.get("name") == "test_fails_with_a_message")
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert properties == {"lab": "demo", "group": "core", "points": "3", "rule": "A rule that is broken.", "visibility": "visible"}


JUDGED = '''
from graders.vocabulary.failures import expect
from graders.vocabulary.checks import lab, points
from graders.vocabulary.wire import Transcript

pytestmark = lab("judged")


@points(1)
def test_two_expectations():
    """Two expectations, the second one broken."""
    wire = Transcript()
    wire.client(b"HELLO\\r\\n")
    expect(True, expected="a greeting", got="", wire=wire)
    expect(False, expected="a reply", got="none")
'''


@pytest.mark.parametrize("record", [True, False])
def test_record_judged_keeps_what_passing_expectations_saw(pytester: pytest.Pytester, record: bool) -> None:
    pytester.makepyfile(test_judged=JUDGED)
    (pytester.path / "submission").mkdir()
    options = ["--record-judged"] if record else []
    pytester.runpytest("--submission", "submission", "--results-json", "results.json", *options)
    test = json.loads((pytester.path / "results.json").read_text())["tests"][0]
    if record:
        assert test["extra_data"] == {"judged": [["a greeting", "C: HELLO␍␊"]]}
    else:
        assert "extra_data" not in test


MISSING = '''
import pytest
from pathlib import Path

from graders.vocabulary.checks import lab, points
from graders.harness.submission import Submission

pytestmark = lab("demo")


@pytest.fixture(scope="module")
def run():
    return Submission(Path("submission")).program("beat.py")


@points(2)
def test_core_needs_it(run):
    """A core rule of a program that is missing."""


@points(1, group="optional 1: extra")
def test_optional_needs_it(run):
    """An optional exercise's rule."""


@points(3, group="optional 1: extra")
def test_optional_needs_it_too(run):
    """Another of its rules."""


@points(1, group="optional 2: skipped")
def test_skipped_for_a_reason():
    """A check that cannot run here."""
    pytest.skip("no network namespace here")
'''


def test_an_optional_exercise_whose_program_is_missing_is_not_attempted(pytester: pytest.Pytester) -> None:
    """One line per group, not an ERROR per check; the core's missing program still fails; and a
    run with a skipped check does not exit 0 as if all had passed."""
    pytester.makepyfile(test_missing=MISSING)
    (pytester.path / "submission").mkdir()
    (pytester.path / "submission" / "Beat.py").write_text("")
    result = pytester.runpytest("--submission", "submission", "--results-json", "r.json")
    result.assert_outcomes(skipped=3, errors=1)
    assert result.ret == 1
    result.stdout.fnmatch_lines([
        "*demo / core (1 check, 0/2): `beat.py` not found in `*submission`",
        "*demo / optional 1: extra (2 checks, 0/4): not attempted: `beat.py` not found*",
    ])
    result.stdout.fnmatch_lines(["*demo / optional 2: skipped / test_skipped_for_a_reason (0/1): skipped: no*"])
    result.stdout.fnmatch_lines(["*got:      `beat.py` not found in `*submission`", "*its .py files: Beat.py",
                                 "*did you mean `Beat.py`? (file names are matched exactly, case included, on every system)"])
    tests = {t["name"].split(" / ")[-1]: t for t in json.loads((pytester.path / "r.json").read_text())["tests"]}
    assert tests["test_optional_needs_it"]["output"].startswith("rule:     An optional exercise's rule. (LABS.md, lab `demo`)")
    assert tests["test_skipped_for_a_reason"]["output"] == "skipped: no network namespace here"
    assert sum(t["score"] for t in tests.values()) == 0


def test_the_plugin_loads_where_fcntl_does_not_exist() -> None:
    """Windows has no fcntl: the plugin loads through its entry point in every pytest run there,
    for other projects too, so nothing POSIX-only may be imported at its import."""
    probe = "import sys; sys.modules['fcntl'] = None; import graders.reports.plugin, graders.conftest; print('loaded')"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "loaded", done.stderr[-2000:]


INTERRUPTED = '''
import os
import signal

from graders.vocabulary.checks import lab, points

pytestmark = lab("demo")


@points(2)
def test_first():
    """A rule that holds."""


@points(3)
def test_interrupted():
    """The grading is interrupted here."""
    signal.signal(signal.SIGINT, signal.default_int_handler)  # a terminal's: a background job inherits SIGINT ignored
    os.kill(os.getpid(), signal.{signal})


@points(4)
def test_never_run():
    """A rule never checked."""
'''


@pytest.mark.parametrize("signal", ["SIGINT", "SIGTERM"])
def test_a_grading_interrupted_says_its_table_is_partial(pytester: pytest.Pytester, signal: str) -> None:
    """A signal ends the grading as Ctrl-C does, and the table of what ran says it is not a grade."""
    pytester.makepyfile(test_demo=INTERRUPTED.format(signal=signal))
    (pytester.path / "submission").mkdir()
    result = pytester.runpytest_subprocess("--submission", "submission")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    said = "Ctrl-C" if signal == "SIGINT" else signal
    result.stdout.fnmatch_lines([
        "*netlab score (partial)*",
        f"partial: the grading was interrupted ({said}) after 1 check; the checks that did not run are in no line*",
        "*total (partial)*2/2*",
    ])
    assert "test_never_run" not in result.stdout.str()


def test_on_a_windows_pipe_the_summary_is_drawn_in_what_cp1252_encodes(graders: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows writes to a pipe in cp1252: the table was one line of \\u2502 escapes (pytest escapes a
    whole message it cannot encode), and so was a failure whose wire shows ␍␊. Simulated here."""
    monkeypatch.setenv("PYTHONIOENCODING", "cp1252")
    result = graders.runpytest_subprocess("--submission", "submission")
    text = result.stdout.str()
    assert "\\u2502" not in text and "\\u2501" not in text
    result.stdout.fnmatch_lines([
        "wire:     C: PING\\u240d\\u240a",  # the control pictures alone escaped, the message whole
        "| lab *| group *| points |",
        "| total *| *| *7/10 |",
        "x demo / core / test_fails_with_a_message (0/3): pong",
    ])


FAULTS = '''
import errno

import pytest

from graders.vocabulary.checks import lab, points

pytestmark = lab("demo")


@pytest.fixture
def origin():
    raise OSError(errno.EADDRINUSE, "Address already in use")


@points(2)
def test_setup_fails(origin):
    """A rule whose fake server could not listen."""


@points(1)
def test_body_fails():
    """A rule whose check has a bug."""
    {}["wire"]
'''


def test_a_fault_of_the_graders_reads_as_one_line_saying_so(pytester: pytest.Pytester) -> None:
    """An error of the graders' own (a fake server that cannot listen, a bug in a check) is one line
    that says it is netlab's fault and what happened, never a traceback a student must read."""
    pytester.makepyfile(test_faults=FAULTS)
    (pytester.path / "submission").mkdir()
    result = pytester.runpytest("--submission", "submission", "--results-json", "r.json")
    result.assert_outcomes(failed=1, errors=1)
    tests = {t["name"].split(" / ")[-1]: t["output"] for t in json.loads((pytester.path / "r.json").read_text())["tests"]}
    setup, body = tests["test_setup_fails"], tests["test_body_fails"]
    assert len(setup.splitlines()) == 1 and len(body.splitlines()) == 1, tests
    assert setup.startswith("netlab's own fault, not the program's:") and "Address already in use" in setup, setup
    assert "a port the graders' own servers needed was taken" in setup, setup
    assert body.startswith("netlab's own fault, not the program's:") and "KeyError: 'wire'" in body, body
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*raise OSError*")
