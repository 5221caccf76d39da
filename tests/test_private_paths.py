"""No path of the grading machine in what a student is given: results.json and report.html."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from graders import REPO
from graders.reports.html_report import write_report
from graders.reports.machine_paths import MachinePaths

GRADING_WITHIN = 300.0  # seconds for two labs of the template, beside other gradings


def test_a_graded_submission_s_results_and_report_name_no_path_of_the_machine(tmp_path: Path) -> None:
    """The template fails its checks (tracebacks, a program's command line with a temporary
    file, a missing program's folder), under xdist (whose header names the Python)."""
    submission = tmp_path / "smithjohn_12345"
    shutil.copytree(REPO / "student_template", submission)
    (submission / "proxy.py").unlink()
    results = tmp_path / "out" / "results.json"
    command = [sys.executable, "-m", "pytest", str(REPO / "graders"), "--submission", str(submission), "--lab", "smtp",
               "--lab", "proxy", "--results-json", str(results), "-n", "2", "-p", "no:cacheprovider", "-q"]
    subprocess.run(command, check=False, capture_output=True, text=True, timeout=GRADING_WITHIN, cwd=REPO)
    report = write_report(results)
    private = [str(tmp_path), str(REPO), sys.prefix, tempfile.gettempdir() + "/", str(Path.home())]
    for given in (results, report):
        text = given.read_text(encoding="utf-8")
        assert "smithjohn_12345" in text and "not found in" in text
        leaked = [path for path in private if path in text]
        assert not leaked, f"{given.name} names {leaked}"


def test_a_path_goes_only_where_it_is_whole() -> None:
    paths = MachinePaths.of(Path("/srv/class/alice"))
    text = "ran /srv/class/alice/udp_server.py in /srv/class/alice; /srv/class/alice_2 is another"
    assert paths.scrub(text) == "ran alice/udp_server.py in alice; /srv/class/alice_2 is another"


def test_xdist_s_header_line_goes() -> None:
    text = "[gw1] linux -- Python 3.11.7 /opt/venv/bin/python\nrule:     a rule\n"
    assert MachinePaths.of(Path("/nowhere/sub")).scrub(text) == "rule:     a rule\n"
