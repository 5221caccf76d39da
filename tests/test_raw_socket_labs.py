"""The labs whose programs open raw sockets (icmp, traceroute) where no network namespace can be made."""

from __future__ import annotations

from pathlib import Path

from graders.reports.rubric import collect_checks
from tests.grading import REFERENCE, grade


def test_without_namespaces_the_raw_socket_labs_are_skipped_saying_why(tmp_path: Path) -> None:
    """Where no namespace can be made (forced here, as on macOS or Windows), one line says why
    and which labs; each of their checks is skipped with that reason; a lab beside them is
    graded; and the run does not exit 0 as if all had passed."""
    grading = grade(REFERENCE, ["icmp", "traceroute", "echo"], tmp_path, "-rs", env={"NETLAB_NAMESPACES": "off"})
    said = [line for line in grading.output.splitlines() if line.startswith("netlab: no network namespaces")]
    assert len(said) == 1 and "(icmp, traceroute)" in said[0], grading.output[-3000:]
    skipped = {t["name"] for t in grading.tests if t["output"].startswith("skipped:")}
    assert {name.split(" / ")[0] for name in skipped} == {"icmp", "traceroute"}, grading.output[-3000:]
    assert all("open raw sockets" in grading.output_of(name.rsplit(" / ", 1)[1]) for name in skipped)
    assert len(skipped) == len(collect_checks(["icmp", "traceroute"])) and grading.failed() == {name.rsplit(" / ", 1)[1] for name in skipped}, grading.output[-3000:]
    assert grading.status == 1
