"""Textbook mode: submissions written to the handout (its file names, ports and hosts in the code),
graded with the bundled `textbook` profile, each check in a network namespace of its own (Linux)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from graders.harness import course
from graders.network import netns
from graders.test_icmp import RUN_WITHIN
from tests.conftest import HEAVY
from tests.grading import GRADERS, REPO, Grading, KnownSubmission, grade, overlaid

TEXTBOOK = REPO / "fixtures" / "textbook"
NO_NAMESPACES = netns.refused_to_a_grading()
needs_namespaces = pytest.mark.skipif(NO_NAMESPACES is not None, reason=f"no network namespaces: {NO_NAMESPACES}")
BAD = [KnownSubmission.load(path) for path in sorted((TEXTBOOK / "bad").glob("*/*")) if (path / "bad.toml").is_file()]
TWINNED = [bad for bad in BAD if (bad.path / "adapted").is_dir()]


def textbook_submission(into: Path, bad: KnownSubmission | None = None) -> Path:
    """The reference (for the programs the handout does not name), the textbook-shaped good
    programs over it, and a bad one's over those."""
    return bad.assemble(into, TEXTBOOK / "good") if bad else overlaid(into, TEXTBOOK / "good")


@needs_namespaces
@HEAVY
def test_the_textbook_shaped_submission_gets_full_marks(tmp_path: Path) -> None:
    grading = grade(textbook_submission(tmp_path), [], tmp_path, "--course", "textbook", "-n", "2")
    assert grading.status == 0 and grading.tests and not grading.failed(), grading.output[-4000:]


PORT_80 = TEXTBOOK / "proxy_on_port_80" / "netlab.toml"
BINDS_8888 = "listener.bind((sys.argv[1], 8888))"


def proxy_on_port_80(into: Path) -> Path:
    """A submission of the good textbook proxy moved to port 80, every address's (`bind(("", 80))`),
    as handouts that have it listen on port 80 write it; graded with the profile ``PORT_80``."""
    source = (TEXTBOOK / "good" / "ProxyServer.py").read_text()
    assert BINDS_8888 in source
    submission = into / "submission"
    submission.mkdir()
    (submission / "ProxyServer.py").write_text(source.replace(BINDS_8888, 'listener.bind(("", 80))'))
    return submission


@needs_namespaces
def test_a_proxy_that_listens_on_port_80_gets_full_marks(tmp_path: Path) -> None:
    """A handout whose proxy listens on port 80, where it also reaches its origins: the good textbook
    proxy moved there gets full marks under its profile (3/53, 22 messages tracebacks, when the
    origins listened on port 80 beside it)."""
    grading = grade(proxy_on_port_80(tmp_path), ["proxy"], tmp_path, "--course", str(PORT_80))
    assert grading.status == 0 and grading.tests and not grading.failed(), grading.output[-4000:]


@needs_namespaces
def test_where_no_link_can_be_made_the_proxys_checks_are_skipped_saying_why(tmp_path: Path) -> None:
    """An `ip` that refuses veth pairs (a kernel built without them, say) first on the PATH: the run
    says so once, each check of a proxy that reaches its origins on port 80, in a network linked to
    its own, is skipped with one line saying why, and the run does not exit 0 as if all had passed."""
    tools = tmp_path / "bin"
    tools.mkdir()
    ip = tools / "ip"
    ip.write_text("#!/bin/sh\necho 'RTNETLINK answers: Operation not supported' >&2\nexit 2\n")
    ip.chmod(0o755)
    grading = grade(textbook_submission(tmp_path), ["proxy"], tmp_path, "--course", "textbook",
                    env={"PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"})
    once = [line for line in grading.output.splitlines() if line.startswith("netlab --course: no network can be linked")]
    assert len(once) == 1 and "the checks of proxy.py," in once[0], grading.output[-3000:]
    said = {t["output"] for t in grading.tests}
    assert len(said) == 1 and grading.status == 1, grading.output[-3000:]
    reason = said.pop()
    assert reason.startswith("skipped: `proxy.py` reaches its origins by name on port 80") and "\n" not in reason, reason
    assert reason.endswith("`ip link add ... type veth` was refused: RTNETLINK answers: Operation not supported"), reason


@needs_namespaces
def test_the_handouts_icmp_pinger_is_graded_as_written(tmp_path: Path) -> None:
    """ICMPPinger.py as handed out and filled in: ping("google.com") loops forever, numbers every
    request 1 (in the host's byte order) and prints bare RTTs in seconds. Each run is stopped once
    it printed its request lines, so the lab takes about its four runs' waits (10 requests a second
    apart), not the 30 s bound that kills a program that hangs; the checks the handout cannot meet
    by design are not graded, and every other one passes."""
    started = time.monotonic()
    grading = grade(textbook_submission(tmp_path), ["icmp"], tmp_path, "--course", "textbook")
    took = time.monotonic() - started
    graded = {t["name"].rsplit(" / ", 1)[1] for t in grading.tests}
    off = {"test_exits_0_after_the_last_request", "test_waits_for_each_reply_up_to_the_timeout_given",
           "test_a_reply_to_an_earlier_request_is_not_taken_for_a_later_one", "test_statistics_give_min_avg_max_of_the_rtts",
           "test_statistics_give_the_packet_loss", "test_no_reply_at_all_gives_only_the_loss_line_100_percent",
           "test_a_request_answered_with_an_error_is_lost_in_the_statistics"}
    assert grading.status == 0 and len(graded) == 9 and not graded & off and not grading.failed(), grading.output[-4000:]
    assert took < RUN_WITHIN, f"the icmp lab took {took:.1f} s: its runs were not stopped once they had printed their lines\n{grading.output[-2000:]}"


@needs_namespaces
def test_the_handouts_traceroute_is_graded_as_written(tmp_path: Path) -> None:
    """Traceroute.py as handed out and filled in: get_route("google.com"), its name resolved to the
    route's destination (127.0.0.20, not the 127.0.0.1 the other labs' names get: an answer from
    the program's own address proves nothing), every probe numbered 1, MAX_HOPS and TIMEOUT in its
    code, its time-outs printed without a hop number. The checks it cannot meet by design are not
    graded, and every other one passes."""
    grading = grade(textbook_submission(tmp_path), ["traceroute"], tmp_path, "--course", "textbook")
    graded = {t["name"].rsplit(" / ", 1)[1] for t in grading.tests}
    off = {"test_prints_a_star_for_each_probe_with_no_answer", "test_gives_up_after_max_hops", "test_waits_for_each_probe_up_to_the_timeout_given"}
    assert grading.status == 0 and len(graded) == 4 and not graded & off and not grading.failed(), grading.output[-4000:]


@needs_namespaces
@pytest.mark.parametrize("bad", BAD, ids=[bad.id for bad in BAD])
def test_a_textbook_known_bad_submission_fails_exactly_its_checks(bad: KnownSubmission, tmp_path: Path) -> None:
    grading = grade(textbook_submission(tmp_path, bad), [bad.lab], tmp_path, "--course", "textbook")
    assert grading.failed() == bad.fails, (
        f"{bad.id}: {bad.rule}\nfailed: {sorted(grading.failed())}\n{grading.unexpected(bad.fails)}\n{grading.output[-3000:]}")
    for check in bad.fails:
        assert grading.output_of(check).startswith("rule:"), grading.output_of(check)
    expect_messages(grading, bad.path / "bad.toml")


def expect_messages(grading: Grading, spec: Path) -> None:
    """What a student of a textbook class reads: each text of ``said`` in its check's message, no
    text of ``unsaid`` in its check's."""
    messages = tomllib.loads(spec.read_text())
    for check, texts in messages.get("said", {}).items():
        missing = [text for text in texts if text not in grading.output_of(check)]
        assert not missing, f"{check}: its message lacks {missing}:\n{grading.output_of(check)}"
    for check, texts in messages.get("unsaid", {}).items():
        found = [text for text in texts if text in grading.output_of(check)]
        assert not found, f"{check}: its message says {found}:\n{grading.output_of(check)}"


@needs_namespaces
@HEAVY
def test_four_gradings_of_one_fixed_port_server_at_once_never_collide(tmp_path: Path) -> None:
    """Four WebServer.py on port 6789 at the same time, each check of each in its own namespace."""
    submission = textbook_submission(tmp_path)
    runs = []
    for k in range(4):
        workdir = tmp_path / f"grading-{k}"
        workdir.mkdir()
        command = [sys.executable, "-m", "pytest", str(GRADERS), "--submission", str(submission), "--course", "textbook",
                   "--lab", "webserver", "-q", "-p", "no:cacheprovider", "--results-json", str(workdir / "results.json")]
        runs.append(subprocess.Popen(command, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0, 0], "\n".join(output[-2000:] for output in outputs)


def test_without_namespaces_only_the_fixed_programs_checks_are_skipped(tmp_path: Path) -> None:
    """Where no namespace can be made (forced here), one line says why and which programs; their
    checks are skipped with that reason; the lab's other program, and a lab the profile leaves
    alone, are graded; and the run does not exit 0 as if all had passed."""
    profile = tmp_path / "netlab.toml"
    profile.write_text('[labs.webserver.programs."webserver.py"]\nnames = ["WebServer.py"]\nport = 6789\n')
    grading = grade(textbook_submission(tmp_path), ["webserver", "echo"], tmp_path, "--course", str(profile), "-rs",
                    env={"NETLAB_NAMESPACES": "off"})
    said = [line for line in grading.output.splitlines() if line.startswith("netlab --course: no network namespaces")]
    assert len(said) == 1 and "the checks of webserver.py," in said[0], grading.output[-3000:]
    skipped = {t["name"].split(" / ")[-1] for t in grading.tests if t["output"].startswith("skipped:")}
    assert skipped and all("`webserver.py` hard-codes its port" in grading.output_of(name) for name in skipped)
    graded = {t["name"].split(" / ")[0] + " / " + t["name"].split(" / ")[1] for t in grading.tests if t["name"].split(" / ")[-1] not in skipped}
    assert {"echo / core", "webserver / optional 2: http_client.py"} <= graded, graded
    assert grading.failed() == skipped and grading.status == 1, grading.output[-3000:]


@needs_namespaces
def test_compare_and_batch_take_the_course(tmp_path: Path) -> None:
    """`netlab compare --course textbook --reference GOOD` sets a known-bad beside a handout-shaped
    reference; `netlab batch --course textbook` grades a class of them."""
    bad = next(case for case in BAD if case.lab == "smtp")
    good, worse = textbook_submission(tmp_path / "good"), textbook_submission(tmp_path / "bad", bad)
    netlab = [sys.executable, "-c", "import sys; from graders.commands.cli import main; sys.exit(main(sys.argv[1:]))"]
    compared = subprocess.run([*netlab, "compare", str(worse), "--reference", str(good), "--course", "textbook", "--lab", "smtp"],
                              cwd=REPO, capture_output=True, text=True, timeout=300)
    assert compared.returncode == 1 and f"✗ smtp / core / {next(iter(bad.fails))}" in compared.stdout, compared.stdout[-3000:]
    klass = tmp_path / "class"
    klass.mkdir()
    shutil.move(good, klass / "good")
    shutil.move(worse, klass / "bad")
    batch = subprocess.run([*netlab, "batch", str(klass), "--course", "textbook", "--lab", "smtp", "--csv", str(tmp_path / "g.csv"),
                            "--results-dir", str(tmp_path / "results")], cwd=REPO, capture_output=True, text=True, timeout=300)
    rows = {line.split(",")[0]: line.split(",")[1] for line in (tmp_path / "g.csv").read_text().splitlines()[2:]}  # after the header and Points Possible
    assert batch.returncode == 0 and rows == {"bad": "11", "good": "14"}, batch.stdout + batch.stderr


def textbook_checks_only(into: Path) -> Path:
    """A profile with no programs of its own, only the checks the textbook profile switches off: a
    handout's program adapted to LABS.md's command line is graded on the checks the program is."""
    labs = course.load("textbook").labs.items()
    path = into / "textbook-checks.toml"
    path.write_text("".join(f"[labs.{lab}]\noff = {json.dumps(sorted(profile.off))}\n" for lab, profile in labs if profile.off))
    return path


@HEAVY
def test_the_labs_md_twins_of_the_textbook_shaped_programs_get_full_marks(tmp_path: Path) -> None:
    """fixtures/textbook/good/adapted: the handout-shaped programs adapted to LABS.md's command line,
    which scripts/bench_textbook.py times beside them; the same verdict on the same checks."""
    labs = sorted({lab for lab, profile in course.load("textbook").labs.items() if profile.programs})
    submission = overlaid(tmp_path, TEXTBOOK / "good" / "adapted")
    grading = grade(submission, labs, tmp_path, "--course", str(textbook_checks_only(tmp_path)), "-n", "2")
    assert grading.status == 0 and grading.tests and not grading.failed(), grading.output[-4000:]


@pytest.mark.parametrize("bad", TWINNED, ids=[bad.id for bad in TWINNED])
def test_a_textbook_known_bads_labs_md_twin_fails_the_same_checks(bad: KnownSubmission, tmp_path: Path) -> None:
    """Its ``adapted/``: the same code adapted to LABS.md's command line, broken the same way, which
    scripts/bench_textbook.py times beside it, loses exactly its checks without the course's programs."""
    submission = overlaid(tmp_path, TEXTBOOK / "good" / "adapted", bad.path / "adapted")
    grading = grade(submission, [bad.lab], tmp_path, "--course", str(textbook_checks_only(tmp_path)))
    assert grading.failed() == bad.fails, (
        f"{bad.id}: {bad.rule}\nfailed: {sorted(grading.failed())}\n{grading.unexpected(bad.fails)}\n{grading.output[-3000:]}")


def server_starts(basetemp: Path, filename: str) -> int:
    """How many times a grading started ``filename``: each start has a working folder ``N-STEM``."""
    stem = Path(filename).stem
    return sum(1 for folder in basetemp.rglob(f"*-{stem}") if folder.is_dir() and folder.name.split("-", 1)[0].isdigit())


@needs_namespaces
@pytest.mark.parametrize(("lab", "filename"), [("webserver", "webserver.py"), ("proxy", "proxy.py")])
def test_a_fixed_port_server_is_shared_by_checks_as_under_labs_md(lab: str, filename: str, tmp_path: Path) -> None:
    """WebServer.py and ProxyServer.py, which hard-code their ports, are started as often as their
    LABS.md twins: once for the checks that leave the server as they found it, and once for each
    check that tries to break it. In each check's own network they were started for every check
    (14 starts, not 5; 27, not 10: the proxy lab's grading took 2.1 times its twin's at a load of 10)."""
    starts = {}
    for form, submission, profile in (("textbook", textbook_submission(tmp_path / "textbook"), "textbook"),
                                      ("LABS.md", overlaid(tmp_path / "adapted", TEXTBOOK / "good" / "adapted"), None)):
        basetemp = tmp_path / f"{form}-runs"
        grading = grade(submission, [lab], tmp_path, "--basetemp", str(basetemp), *(["--course", profile] if profile else []))
        assert grading.status == 0, grading.output[-3000:]
        starts[form] = server_starts(basetemp, filename)
    assert starts["textbook"] == starts["LABS.md"] > 0, starts
