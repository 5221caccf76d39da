"""The pages of ``netlab batch --summary --html``: the class page and each submission's report.

A small class is written as gradings write it (results.json with real failure messages and
wires, grading.log, the gradebook's rows) and paged by ``batch.report``; one test grades a
real class with ``netlab batch --lab echo --html``. Then Chromium renders the pages, headless,
with only the fonts of ``fonts-liberation`` (the metrics and coverage of Arial, Times and
Courier New: what any reader has), and the screenshots are compared: a character is shown
if putting a character that no font has (U+0378, unassigned) in its place changes the
picture; a missing glyph draws the same box for both.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from graders.commands import batch, class_summary
from graders.commands.class_page import write_reports
from graders.commands.gradebook import check_column
from graders.commands.gradebook import missing as gradebook_missing
from graders.commands.gradebook import row as gradebook_row
from graders.commands.grading_run import Outcome
from graders.reports import html_page
from graders.reports.html_report import write_report
from graders.reports.rubric import collect_checks
from graders.vocabulary.checks import Check
from graders.vocabulary.failures import CheckFailed
from graders.vocabulary.wire import Transcript
from tests.grading import KNOWN_BAD, REFERENCE, KnownSubmission

HOSTILE = '<img src=x onerror="document.body.dataset.ran=1">'  # a submission's name: a directory may be called that
SCRIPT = "<script>document.body.dataset.ran = 1</script>"  # what a student's program may print
NO_GLYPH = "\u0378"  # unassigned: no font has it, so it draws as the font's missing-glyph box
SCREENSHOTS = Path(os.environ["NETLAB_SCREENSHOTS"]) if os.environ.get("NETLAB_SCREENSHOTS") else None  # keep copies there
CHROMIUM_WITHIN = 90.0  # seconds for one headless Chromium run: a start, one page, a screenshot
WIDTH = 1280  # pixels: a laptop's window


# A class as its gradings leave it ----------------------------------------------------------


@pytest.fixture(scope="module")
def checks() -> list[Check]:
    return collect_checks(["echo"])


def passed(check: Check) -> dict[str, object]:
    return {"name": check_column(check), "score": check.points, "max_score": check.points, "output": f"rule: {check.rule}"}


def failed(check: Check, expected: str, got: str, wire: Transcript | None = None) -> dict[str, object]:
    """A failed check's entry, its message made as the graders make it."""
    output = CheckFailed(expected, got, wire).render(check.cited_rule)
    return {"name": check_column(check), "score": 0, "max_score": check.points, "output": output}


def crlf_wire() -> Transcript:
    wire = Transcript()
    wire.client(b"hello world\r\n")
    wire.server(b"HELLO WORLD\n")
    wire.client(SCRIPT.encode() + b"\r\n")
    wire.event("closed by the client")
    return wire


def results_of(checks: list[Check], failures: dict[str, dict[str, object]]) -> dict[str, object]:
    tests = [failures.get(check.name) or passed(check) for check in checks]
    return {"score": sum(t["score"] for t in tests), "max_score": sum(c.points for c in checks), "tests": tests}  # type: ignore[misc]


@dataclass(frozen=True)
class Paged:
    page: Path
    results: Path
    rows: list[dict[str, str]]


def class_results(checks: list[Check]) -> dict[str, dict[str, object] | None]:
    """ada: full marks; bo (a hostile name): a wrong reply, with `<script>` in what it printed and
    sent; cy: no tcp_client.py (four checks fail alike); ed: a grading that died (None)."""
    upper = next(c for c in checks if c.name == "test_tcp_server_uppercases_a_message")
    tcp_client = [c for c in checks if c.name.startswith("test_tcp_client")]
    missing = {c.name: failed(c, "`tcp_client.py` at the top of the submission", "`tcp_client.py` not found") for c in tcp_client}
    wrong = failed(upper, "the reply 'HELLO WORLD\\r\\n'", f"the reply {SCRIPT!r}, then the connection closed", crlf_wire())
    return {"ada": results_of(checks, {}), HOSTILE: results_of(checks, {upper.name: wrong}), "cy": results_of(checks, missing), "ed": None}


@pytest.fixture(scope="module")
def paged(checks: list[Check], tmp_path_factory: pytest.TempPathFactory) -> Paged:
    """The class written as batch leaves it, its reports written and paged by batch.report (--html)."""
    out = tmp_path_factory.mktemp("paged")
    outcomes = []
    for name, results in class_results(checks).items():
        directory = out / "results" / name
        directory.mkdir(parents=True)
        (directory / "grading.log").write_text("collected 12 items\n")
        if results is not None:
            (directory / "results.json").write_text(json.dumps(results))
        outcomes.append(Outcome(name, results, "" if results else "killed by signal 9", 1.0))
    rows = [gradebook_row(outcome, checks) for outcome in outcomes]
    args = argparse.Namespace(summary=False, html=out / "pages" / "class.html", results_dir=out / "results", submissions=Path("class-2026"))
    batch.report(rows, checks, args, write_reports(rows, args.results_dir))  # as batch.run does
    return Paged(args.html, out / "results", rows)


# What the pages say, read as HTML ----------------------------------------------------------


class Parsed(HTMLParser):
    """A page's text, links, ids, and the tags and attributes it has."""

    def __init__(self, document: str) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.feed(document)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes |= {name for name, _ in attrs}
        found = dict(attrs)
        if found.get("href"):
            self.links.append(str(found["href"]))
        if found.get("id"):
            self.ids.add(str(found["id"]))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def words(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.text))


def parsed(path: Path) -> Parsed:
    return Parsed(path.read_text(encoding="utf-8"))


def test_class_page_names_who_failed_each_check_and_links_their_reports(paged: Paged, checks: list[Check]) -> None:
    page = parsed(paged.page)
    assert "netlab class summary: class-2026" in page.words
    assert "4 submissions, 3 graded to the end" in page.words
    assert "ed: killed by signal 9" in page.words, "the grading that died is named with why"
    reports = {unquote(urlsplit(href).path) for href in page.links if not href.startswith("#")}
    assert reports == {"../results/ada/report.html", f"../results/{HOSTILE}/report.html", "../results/cy/report.html",
                       "../results/ed/grading.log"}, "each graded submission links its report; one that died, its log"


def test_every_link_of_the_class_page_leads_to_a_page_and_a_check_in_it(paged: Paged) -> None:
    page = parsed(paged.page)
    for href in page.links:
        target = urlsplit(href)
        if not target.path:
            assert target.fragment in page.ids, f"{href}: no such section"
            continue
        linked = (paged.page.parent / unquote(target.path)).resolve()
        assert linked.is_file(), f"{href}: {linked} does not exist"
        if target.fragment:
            assert target.fragment in parsed(linked).ids, f"{href}: the report has no check {target.fragment}"


def test_failed_by_lists_exactly_the_submissions_that_failed(paged: Paged, checks: list[Check]) -> None:
    """The check bo failed is failed by bo alone; ed's zeros are counted nowhere."""
    graded = class_summary.graded_rows(paged.rows)
    upper = next(c for c in checks if c.name == "test_tcp_server_uppercases_a_message")
    tcp_client = next(c for c in checks if c.name == "test_tcp_client_exits_0_at_eof")
    assert class_summary.failed_by(upper, graded) == [HOSTILE]
    assert class_summary.failed_by(tcp_client, graded) == ["cy"]
    document = paged.page.read_text()
    assert "#lab-echo" in document and f"report.html#echo-{upper.name}" in document, "a name links to the check in its report"


def test_histogram_bins_give_full_marks_and_zero_their_own() -> None:
    for possible in (1, 2, 5, 9, 10, 23, 41, 100):
        bins = class_summary.score_bins(possible)
        assert bins[0] == (0, 0) and bins[-1] == (possible, possible)
        assert [low for low, _ in bins[1:]] == [high + 1 for _, high in bins[:-1]], f"contiguous, no gap: {bins}"
        assert len(bins) <= class_summary.BINS


def test_histogram_counts_each_graded_submission_once(paged: Paged, checks: list[Check]) -> None:
    bins = class_summary.histogram("echo", class_summary.graded_rows(paged.rows), checks)
    possible = sum(c.points for c in checks)
    assert sum(count for *_, count in bins) == 3
    assert bins[-1] == (possible, possible, 1), "ada alone has full marks"


def test_pages_are_escaped_and_need_nothing_from_outside(paged: Paged) -> None:
    pages = [paged.page, *paged.results.glob("*/report.html")]
    assert len(pages) == 4
    for path in pages:
        page = parsed(path)
        assert page.tags.isdisjoint({"script", "img", "iframe", "link", "object", "embed"}), f"{path}: {page.tags}"
        assert page.attributes.isdisjoint({"src", "onerror", "onload"}), path
        assert all(not urlsplit(href).scheme for href in page.links), f"{path} links outside: {page.links}"
    bo = paged.results / HOSTILE / "report.html"
    assert SCRIPT in parsed(bo).words and HOSTILE in parsed(bo).words, "what the student printed is shown, as text"


def test_report_has_each_failure_with_rule_expected_got_and_a_readable_wire(paged: Paged) -> None:
    document = (paged.results / HOSTILE / "report.html").read_text()
    page = Parsed(document)
    for part in ("Rule", "Expected", "Got", "Wire", "tcp_server.py sends back the uppercase", "C: hello world",
                 "S: HELLO WORLD", "-- closed by the client", "Passed checks (11)", "Score 21/23"):
        assert part in page.words, part
    assert "␍" not in document and "␊" not in document, "line ends are badges, not Control Pictures"
    assert re.search(r"hello world<span class=\"eol\"[^>]*>CR</span><span class=\"eol\"[^>]*>LF</span>", document)
    assert re.search(r"HELLO WORLD<span class=\"eol\"[^>]*>LF</span></span>\n", document), "a bare LF shows as LF alone"


def test_a_report_puts_every_failure_before_any_check_passed(tmp_path: Path) -> None:
    """Two labs with a failure each: both failures come before the first passed check, and the
    labs come in the order they are taught, whatever order results.json has."""
    two_labs = collect_checks(["echo", "webserver"])
    first = {lab: next(c for c in two_labs if c.lab == lab) for lab in ("echo", "webserver")}
    failures = {check.name: failed(check, "what the lab asks", "something else") for check in first.values()}
    results = results_of(list(reversed(two_labs)), failures)
    (tmp_path / "results.json").write_text(json.dumps(results))
    document = write_report(tmp_path / "results.json").read_text()
    last_failure = document.rindex('class="failed"')
    first_passed = document.index('id="passed"')
    assert last_failure < first_passed, "a failure after the passed checks"
    assert document.index('id="lab-echo"') < document.index('id="lab-webserver"') < first_passed
    assert f"Passed checks ({len(two_labs) - 2})" in parsed(tmp_path / "report.html").words


def test_checks_that_failed_alike_are_shown_once(paged: Paged) -> None:
    page = parsed(paged.results / "cy" / "report.html")
    assert "4 checks failed the same way" in page.words
    assert page.words.count("not found") == 1
    assert {f"echo-{name}" for name in ("test_tcp_client_exits_0_at_eof", "test_tcp_client_prints_each_reply_line")} <= page.ids


def test_a_report_is_made_from_a_results_json_anywhere(paged: Paged, tmp_path: Path) -> None:
    copy = tmp_path / "results.json"
    shutil.copy(paged.results / "cy" / "results.json", copy)
    made = write_report(copy, tmp_path / "for-cy.html", name="Cy Young")
    assert made == tmp_path / "for-cy.html"
    assert "netlab report: Cy Young" in parsed(made).words


def test_merged_gradebooks_page_without_links(paged: Paged, checks: list[Check], tmp_path: Path) -> None:
    args = argparse.Namespace(summary=False, html=tmp_path / "merged.html", out=Path("grades.csv"))
    batch.report(paged.rows, checks, args)
    page = parsed(tmp_path / "merged.html")
    assert "netlab class summary: grades.csv" in page.words
    assert all(href.startswith("#") for href in page.links), "merge-csv knows no results directory"


def test_batch_writes_a_report_beside_each_results_json(tmp_path: Path) -> None:
    """A real class graded: the reference and a known-bad echo submission."""
    klass = tmp_path / "class"
    shutil.copytree(REFERENCE, klass / "alice")
    bad = KnownSubmission.load(KNOWN_BAD / "echo" / "udp_server_swapcase")
    shutil.move(bad.assemble(tmp_path / "bad"), klass / "bob")
    parser = argparse.ArgumentParser()
    batch.add_arguments(parser)
    argv = [klass, "--lab", "echo", "--csv", tmp_path / "grades.csv", "--results-dir", tmp_path / "results", "--html", tmp_path / "class.html"]
    assert batch.run(parser.parse_args([str(arg) for arg in argv])) == 0
    (failed_check,) = bad.fails
    report = parsed(tmp_path / "results" / "bob" / "report.html")
    assert f"echo-{failed_check}" in report.ids and "Failed checks (1)" in report.words
    assert f"results/bob/report.html#echo-{failed_check}" in (tmp_path / "class.html").read_text()
    assert (tmp_path / "results" / "alice" / "report.html").is_file()


# A class with a roster, an empty submission and a student who submitted nothing -------------


@dataclass(frozen=True)
class Rostered:
    page: Path
    rows: list[dict[str, str]]


@pytest.fixture(scope="module")
def rostered(checks: list[Check], tmp_path_factory: pytest.TempPathFactory) -> Rostered:
    """ada (Ada Lovelace) full marks; bo (Bo Diddley) fails one check; cy (Cy Young) has no
    tcp_client.py; em (Em Pty) submitted nothing that runs (0 everywhere); Zed Zero is on the
    roster with no submission."""
    out = tmp_path_factory.mktemp("rostered")
    upper = next(c for c in checks if c.name == "test_tcp_server_uppercases_a_message")
    tcp_client = {c.name: failed(c, "`tcp_client.py`", "not found") for c in checks if c.name.startswith("test_tcp_client")}
    empty = {c.name: failed(c, "a program", "none") for c in checks}
    results = {"ada": {}, "bo": {upper.name: failed(upper, "HELLO", "hello")}, "cy": tcp_client, "em": empty}
    names = {"ada": "Ada Lovelace", "bo": "Bo Diddley", "cy": "Cy Young", "em": "Em Pty"}
    rows = [gradebook_row(Outcome(folder, results_of(checks, failures), "", 1.0), checks, {"Name": names[folder], "SIS User ID": folder.upper()})
            for folder, failures in results.items()]
    rows.append(gradebook_missing({"Name": "Zed Zero", "SIS User ID": "ZED"}, checks))
    args = argparse.Namespace(summary=False, html=out / "class.html", results_dir=out / "results", submissions=Path("class-2026"))
    batch.report(rows, checks, args, {})
    return Rostered(args.html, rows)


class Tables(HTMLParser):
    """Each table of a page by id: its class and its body rows' cell texts."""

    def __init__(self, document: str) -> None:
        super().__init__()
        self.tables: dict[str, tuple[str, list[list[str]]]] = {}
        self.order: list[str] = []
        self._table: str | None = None
        self._in_body = False
        self._cell: list[str] | None = None
        self.feed(document)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and found.get("id"):
            self._table = str(found["id"])
            self.tables[self._table] = (str(found.get("class")), [])
            self.order.append(self._table)
        elif self._table and tag == "tbody":
            self._in_body = True
        elif self._table and self._in_body and tag == "tr":
            self.tables[self._table][1].append([])
        elif self._table and self._in_body and tag == "td":
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table, self._in_body = None, False
        elif tag == "td" and self._table and self._cell is not None:
            self.tables[self._table][1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def test_the_class_page_names_each_student_beside_their_folder(rostered: Rostered) -> None:
    tables = Tables(rostered.page.read_text())
    _, rows = tables.tables["by-student"]
    assert [row[:2] for row in rows] == [["Ada Lovelace", "ada"], ["Bo Diddley", "bo"], ["Cy Young", "cy"], ["Em Pty", "em"],
                                         ["Zed Zero", ""]]


def test_who_failed_a_check_is_named_as_the_roster_names_them(rostered: Rostered) -> None:
    rows = Tables(rostered.page.read_text()).tables["most-failed-checks"][1]
    assert {row[-1] for row in rows} == {"Bo Diddley (bo)", "Cy Young (cy)"}


def test_the_class_page_lists_the_students_with_no_submission(rostered: Rostered) -> None:
    words = parsed(rostered.page).words
    assert "No submission (1)Zed Zero" in words
    assert "4 submissions, 4 graded to the end" in words, "a student who submitted nothing is no submission"


def test_the_students_table_sorts_by_each_column_without_a_script(rostered: Rostered, checks: list[Check]) -> None:
    """Each header links to the table in its order; the one by name is shown by default, last, so
    that a targeted table hides it (CSS ``:target ~``); nothing needs a script."""
    document = rostered.page.read_text()
    page = Parsed(document)
    assert "script" not in page.tags
    tables = Tables(document)
    orders = [table for table in tables.order if table.startswith("by-")]
    assert orders == ["by-submission", "by-total", "by-echo", "by-not graded because", "by-student"]
    assert tables.tables["by-student"][0] == "submissions default", "the order by name is the default, and last"
    assert {f"#{order}" for order in orders} <= set(page.links), "every order has its header link"
    total = sum(c.points for c in checks)
    lost = {"cy": sum(c.points for c in checks if c.name.startswith("test_tcp_client")), "bo": 2}
    by_total = [(row[1], row[2]) for row in tables.tables["by-total"][1]]
    lowest_first = [("em", f"0/{total}"), ("cy", f"{total - lost['cy']}/{total}"), ("bo", f"{total - lost['bo']}/{total}"), ("ada", f"{total}/{total}")]
    assert by_total[:4] == lowest_first and by_total[4][0] == "", "scores lowest first; no submission last"
    assert ".orders > table:target ~ table.default { display: none; }" in document


def test_the_most_failed_checks_lead_and_leave_out_empty_submissions(rostered: Rostered, checks: list[Check]) -> None:
    """em's zeros are left out: cy's four tcp_client checks failed by 1 of 3, not 2 of 4."""
    document = rostered.page.read_text()
    tables = Tables(document)
    assert tables.order[0] == "most-failed-checks", "the most failed checks come first"
    rows = tables.tables["most-failed-checks"][1]
    failed = [c for c in checks if c.name.startswith("test_tcp_client") or c.name == "test_tcp_server_uppercases_a_message"]
    assert [(row[0].startswith(check.name), row[2]) for row, check in zip(rows, failed, strict=True)] == [(True, "2/3")] * len(failed)


def luminance(colour: str) -> float:
    """WCAG's relative luminance of ``#rrggbb``."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_a_share_of_84_percent_and_full_marks_look_different() -> None:
    """Five steps of colour; 84% and 100% apart in lightness (3:1, as WCAG asks of shapes that
    must be told apart), so a reader who cannot tell green from amber, or a grey print, tells
    them too; and each step's text readable on its fill (4.5:1)."""
    steps = [html_page.rate_class(share, 100) for share in (100, 95, 84, 60, 10)]
    assert len(set(steps)) == 5, steps
    fills = dict(re.findall(r"--([a-z]+): (#[0-9a-f]{6});", html_page.STYLE))
    texts = {kind: "#ffffff" if re.search(rf"\.{kind} {{ background: var\(--{kind}\); color: #fff; }}", html_page.STYLE) else "#1f2328"
             for kind in steps}
    assert contrast(fills[html_page.rate_class(84, 100)], fills[html_page.rate_class(100, 100)]) >= 3
    for kind in steps:
        assert contrast(fills[kind], texts[kind]) >= 4.5, kind


# What a reader sees: headless Chromium ----------------------------------------------------


FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>{fonts}</dir>
  <cachedir>{cache}</cachedir>
  <include ignore_missing="yes">/etc/fonts/conf.d</include>
  <alias><family>sans-serif</family><prefer><family>Liberation Sans</family></prefer></alias>
  <alias><family>serif</family><prefer><family>Liberation Serif</family></prefer></alias>
  <alias><family>monospace</family><prefer><family>Liberation Mono</family></prefer></alias>
</fontconfig>
"""
LIBERATION = Path("/usr/share/fonts/truetype/liberation")  # Debian's fonts-liberation, which chromium pulls in


class Chromium:
    """Headless Chromium with nothing but the Liberation fonts: a page, its screenshot or its DOM."""

    FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--force-device-scale-factor=1"]

    def __init__(self, executable: str, workdir: Path) -> None:
        self.executable = executable
        self.workdir = workdir
        conf = workdir / "fonts.conf"
        conf.write_text(FONTS_CONF.format(fonts=LIBERATION, cache=workdir / "font-cache"))
        self.env = {**os.environ, "FONTCONFIG_FILE": str(conf)}

    def run(self, page: Path, *flags: str, height: int = 800) -> str:
        with tempfile.TemporaryDirectory(dir=self.workdir) as profile:
            command = [self.executable, *self.FLAGS, f"--user-data-dir={profile}", f"--window-size={WIDTH},{height}", *flags, page.as_uri()]
            done = subprocess.run(command, capture_output=True, text=True, timeout=CHROMIUM_WITHIN, env=self.env)
        assert done.returncode == 0, f"chromium exited {done.returncode}: {done.stderr[-2000:]}"
        return done.stdout

    def height(self, page: Path) -> int:
        """How tall the page lays out at WIDTH: measured in a copy with a script added (the page has none)."""
        measuring = page.with_name(f".measure-{page.name}")
        script = "<script>document.body.dataset.height = document.documentElement.scrollHeight</script></body>"
        measuring.write_text(page.read_text(encoding="utf-8").replace("</body>", script), encoding="utf-8")
        try:
            found = re.search(r'data-height="(\d+)"', self.run(measuring, "--dump-dom"))
        finally:
            measuring.unlink()
        assert found, "the measuring script did not run"
        return int(found[1])

    def screenshot(self, page: Path, png: Path, height: int) -> bytes:
        """The whole page (``height`` tall) as a PNG; returns its pixels, to compare."""
        self.run(page, f"--screenshot={png}", height=height)
        if SCREENSHOTS is not None:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(png, SCREENSHOTS / png.name)
        return pixels(png)


def pixels(png: Path) -> bytes:
    """A PNG's header and its (filtered) pixel rows: equal for equal pictures from one encoder."""
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{png} is not a PNG"
    header, rows, at = b"", [], 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        body = data[at + 8 : at + 8 + length]
        header = body if kind == b"IHDR" else header
        rows += [body] if kind == b"IDAT" else []
        at += 12 + length
    return header + zlib.decompress(b"".join(rows))


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("no chromium on PATH to render the pages: `apt-get install chromium` (Debian) installs it")
    if not LIBERATION.is_dir():
        pytest.skip(f"no {LIBERATION}: `apt-get install fonts-liberation`, the ordinary fonts the pages are rendered with")
    yield Chromium(executable, tmp_path_factory.mktemp("chromium"))


@dataclass
class Rendered:
    """A page and its screenshot, to render again with a change and compare."""

    chromium: Chromium
    page: Path
    height: int
    picture: bytes

    @classmethod
    def of(cls, chromium: Chromium, page: Path, name: str) -> Rendered:
        height = chromium.height(page) + 40
        png = chromium.workdir / f"{name}.png"
        return cls(chromium, page, height, chromium.screenshot(page, png, height))

    def changes_with(self, old: str, new: str) -> bool:
        """Whether the page looks different with ``old`` replaced by ``new`` in its source."""
        document = self.page.read_text(encoding="utf-8")
        assert old in document, f"{old!r} is not in {self.page}"
        changed = self.page.with_name(f".changed-{self.page.name}")
        changed.write_text(document.replace(old, new), encoding="utf-8")
        try:
            self.chromium.run(changed, f"--screenshot={changed.with_suffix('.png')}", height=self.height)
            return pixels(changed.with_suffix(".png")) != self.picture
        finally:
            changed.unlink()


@pytest.fixture(scope="module")
def class_page(chromium: Chromium, paged: Paged) -> Rendered:
    return Rendered.of(chromium, paged.page, "class-page")


@pytest.fixture(scope="module")
def report(chromium: Chromium, paged: Paged) -> Rendered:
    return Rendered.of(chromium, paged.results / HOSTILE / "report.html", "report")


def test_the_glyph_comparison_tells_a_missing_character_from_a_shown_one(chromium: Chromium, tmp_path: Path) -> None:
    """The method, checked both ways: a letter shows; an unassigned character, and the Control
    Pictures that wire.py writes (␍ ␊, missing from the ordinary fonts), draw as the same box."""
    probe = tmp_path / "probe.html"
    probe.write_text('<!DOCTYPE html><meta charset="utf-8"><body><pre style="font-size: 40px">[A] [\u0379] [␍␊]</pre></body>', encoding="utf-8")
    rendered = Rendered.of(chromium, probe, "probe")
    assert rendered.changes_with("A", NO_GLYPH), "a letter that shows looks unlike the missing-glyph box"
    assert not rendered.changes_with("\u0379", NO_GLYPH), "two characters no font has draw the same box"
    assert not rendered.changes_with("␍␊", NO_GLYPH * 2), "the Control Pictures are missing from the ordinary fonts"


def test_line_ends_on_the_wire_show_with_ordinary_fonts(report: Rendered) -> None:
    """Each CR and LF badge of the wire draws its label, not a missing-glyph box."""
    for label, _ in html_page.LINE_ENDS.values():
        assert report.changes_with(f">{label}</span>", f">{NO_GLYPH * len(label)}</span>"), f"the {label} badge draws as missing glyphs"


@pytest.mark.parametrize("which", ["class_page", "report"])
def test_every_character_of_the_pages_shows_with_ordinary_fonts(which: str, request: pytest.FixtureRequest) -> None:
    rendered: Rendered = request.getfixturevalue(which)
    unusual = sorted({char for char in rendered.page.read_text(encoding="utf-8") if ord(char) > 127})
    missing = [f"U+{ord(char):04X} {char}" for char in unusual if not rendered.changes_with(char, NO_GLYPH)]
    assert not missing, f"{rendered.page.name}: these draw as missing-glyph boxes with ordinary fonts: {missing}"


def test_a_script_in_a_submission_does_not_run(chromium: Chromium, paged: Paged) -> None:
    for page in (paged.page, paged.results / HOSTILE / "report.html"):
        dom = chromium.run(page, "--dump-dom")
        body = re.search(r"<body[^>]*>", dom)
        assert body and "data-ran" not in body[0], f"{page.name}: a submission's markup ran as code"
        assert "&lt;script&gt;" in dom or "&lt;img" in dom, f"{page.name}: the markup shows as text"
