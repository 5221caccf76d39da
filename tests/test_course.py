"""Course profiles: read, checked (a typo is refused, naming it), and applied to the rubric."""

from __future__ import annotations

from pathlib import Path

import pytest

from graders.harness import course
from graders.harness.course import ProfileError
from graders.harness.launcher import Launcher
from graders.harness.submission import Submission
from graders.reports.rubric import collect_checks


def profile(tmp_path: Path, text: str, name: str = "netlab.toml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[labs.webservr]\n", "no lab `webservr`"),
        ("[labs.webserver]\npoint = 2\n", "unknown key `point`"),
        ("[course]\n", "unknown key `course`"),
        ('[labs.webserver.programs."WebServer.py"]\n', "no program `WebServer.py`"),
        ('[labs.webserver.programs."webserver.py"]\nport = "6789"\n', "port must be a port number"),
        ('[labs.webserver.programs."webserver.py"]\nport = 70000\n', "port must be a port number"),
        ('[labs.webserver.programs."webserver.py"]\nnames = "WebServer.py"\n', "names must be a list"),
        ('[labs.webserver.programs."webserver.py"]\nhost = "x"\n', "unknown key `host`"),
        ("[labs.webserver]\npoints = { test_serves_an_html_file = -1 }\n", "must be a number of points"),
        ("[labs.webserver]\nvisibility = { core = \"secret\" }\n", "visibility of `core` must be one of"),
        ('[labs.webserver.programs."webserver.py"]\nnames = ["../WebServer.py"]\n', "paths inside the submission"),
        ('[labs.webserver.programs."webserver.py"]\nfiles = ["404.html"]\n', "files not found"),
        ('[labs.webserver.programs."webserver.py"]\nfiles = "404.html"\n', "files must be a list"),
        ('[labs.smtp.programs."smtp_client.py"]\nfiles = [{ from = "a.png" }]\n', r"files: each is a file name or a table \{ from"),
        ('[labs.smtp.programs."smtp_client.py"]\nfiles = [{ from = "a.png", to = "../a.png" }]\n', "files: `to` must be a path inside its working folder"),
        ('[labs.smtp.programs."smtp_client.py"]\nfiles = [{ from = "a.png", to = "/tmp/a.png" }]\n', "files: `to` must be a path inside its working folder"),
        ('[labs.smtp.programs."smtp_client.py"]\nfiles = ["netlab.toml", { from = "netlab.toml", to = "netlab.toml" }]\n',
         "two files go to `netlab.toml`"),
        ('[labs.proxy.programs."proxy.py"]\nfolders = ["../cache"]\n', "folders must be paths inside its working folder"),
        ('[labs.proxy.programs."proxy.py"]\nfolders = "cache"\n', "folders must be a list of texts"),
        ('[labs.webserver.programs."webserver.py"]\nargs = "{port}"\n', "args must be a list"),
        ('[labs.echo.programs."udp_client.py"]\nargs = [["{server}", "{port}"], "{port}"]\n', "args must be a list of arguments .* or a list of command lines"),
        ('[labs.echo.programs."udp_client.py"]\nargs = [["{server}", 12000]]\n', "args must be a list of arguments .* or a list of command lines"),
        ('[labs.echo.programs."udp_client.py"]\nargs = [["{port}"], [], ["{port}"]]\n', "args: command line 3 repeats command line 1"),
        ('[labs.echo.programs."udp_client.py"]\nargs = [["{server}"], ["{prot}"]]\n', r"no placeholder `\{prot\}` \(did you mean `port`\?\)"),
        ('[labs.webserver.programs."webserver.py"]\nenv = { PORT = 6789 }\n', "env must be a table of names and texts"),
        ('[labs.smtp.programs."smtp_client.py"]\nstdin = "{sendr}\\n"\n', r"no placeholder `\{sendr\}` \(did you mean `sender`\?\)"),
        ('[labs.webserver.programs."webserver.py"]\nargs = ["{filename}"]\n', r"no placeholder `\{filename\}`"),
        ("[labs.webserver]\ntime_limit = 0\n", "time_limit must be a number of seconds"),
        ("[labs.webserver]\noff = \"test_serves_an_html_file\"\n", "off must be a list"),
        ("[labs\n", "not TOML"),
        ('[labs.pinger.programs."udp_pinger.py"]\nnever_exits = true\n', "`never_exits` is a key of icmp_pinger.py only"),
        ('[labs.icmp.programs."icmp_pinger.py"]\nnever_exits = "yes"\n', "never_exits must be true or false"),
        ('[labs.icmp.programs."icmp_pinger.py"]\nbare_rtt = 1\n', "bare_rtt must be true or false"),
        ('[labs.icmp.programs."icmp_pinger.py"]\nsequence = 65536\n', r"sequence must be a sequence number \(0 to 65535\)"),
        ('[labs.traceroute.programs."traceroute.py"]\nbare_rtt = true\n', "`bare_rtt` is a key of icmp_pinger.py only"),
        ('[labs.pinger.programs."udp_pinger.py"]\nsequence = 1\n', "`sequence` is a key of icmp_pinger.py, traceroute.py only"),
    ],
)
def test_a_profile_that_names_what_does_not_exist_is_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        course.load(profile(tmp_path, text))


def test_unknown_checks_are_refused_against_the_graders(tmp_path: Path) -> None:
    spec = course.load(profile(tmp_path, '[labs.echo]\noff = ["test_udp_server_uppercases_each_datagarm"]\n'))
    with pytest.raises(ProfileError, match="lab `echo` has no check or group `test_udp_server_uppercases_each_datagarm` "
                                           r"\(did you mean `test_udp_server_uppercases_each_datagram`\?\)"):
        collect_checks(["echo"], spec)


def test_a_missing_profile_names_the_bundled_ones(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="textbook"):
        course.load(str(tmp_path / "nowhere.toml"))


def test_a_pyproject_profile_is_its_tool_netlab_table(tmp_path: Path) -> None:
    path = profile(tmp_path, '[project]\nname = "grading"\n\n[tool.netlab.labs.echo]\ntime_limit = 30\n', "pyproject.toml")
    assert course.load(path).lab("echo").time_limit == 30
    with pytest.raises(ProfileError, match=r"no \[tool.netlab\] table"):
        course.load(profile(tmp_path, '[project]\nname = "x"\n', "pyproject.toml"))


def test_points_and_switched_off_checks_make_the_effective_rubric(tmp_path: Path) -> None:
    spec = course.load(profile(tmp_path, '[labs.echo]\npoints = { test_udp_server_uppercases_each_datagram = 7 }\n'
                                         'off = ["test_tcp_client_exits_0_at_eof"]\n'))
    plain = {check.name: check.points for check in collect_checks(["echo"])}
    graded = {check.name: check.points for check in collect_checks(["echo"], spec)}
    assert graded["test_udp_server_uppercases_each_datagram"] == 7 != plain["test_udp_server_uppercases_each_datagram"]
    assert "test_tcp_client_exits_0_at_eof" in plain and "test_tcp_client_exits_0_at_eof" not in graded
    assert len(graded) == len(plain) - 1


def test_the_bundled_textbook_profile_loads_and_fixes_the_handouts_ports() -> None:
    textbook = course.load("textbook")
    assert textbook.program_for("webserver.py") == course.Program(("WebServer.py", "webserver.py"), 6789)
    assert textbook.program_for("smtp_client.py").server == "mail.example.com"
    assert all(textbook.fixes(lab) for lab in ("echo", "webserver", "pinger", "smtp", "proxy"))
    assert not textbook.program_for("http_client.py").fixed  # the handout's client takes its arguments


def test_a_bundled_name_wins_over_a_directory_of_that_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "textbook").mkdir()  # a class's submissions folder, say
    monkeypatch.chdir(tmp_path)
    assert course.load("textbook").program_for("webserver.py").port == 6789


def test_a_programs_command_line_input_environment_and_files_come_from_the_profile(tmp_path: Path) -> None:
    (tmp_path / "404.html").write_text("<h1>gone</h1>")
    spec = course.load(profile(tmp_path, '[labs.proxy.programs."proxy.py"]\nnames = ["lab4/ProxyServer.py"]\nport = "auto"\n'
                                         'args = ["{server}", "{port}"]\nstdin = "y\\n"\nenv = { KEY = "{port}" }\n'
                                         'files = ["404.html"]\nrequirements = ["dnspython"]\n'))
    proxy = spec.program_for("proxy.py")
    assert (proxy.names, proxy.port, proxy.args, proxy.stdin) == (("lab4/ProxyServer.py",), "auto", (("{server}", "{port}"),), "y\n")
    assert proxy.files == {"404.html": (tmp_path / "404.html").resolve()} and proxy.requirements == ("dnspython",)
    assert proxy.command_lines({"port": "8888", "server": "127.0.0.1"}, []) == [["127.0.0.1", "8888"]]
    heartbeat = course.parse({"labs": {"pinger": {"programs": {"heartbeat_client.py": {"port": 12000, "args": ["-v", "{args}"]}}}}}, "t")
    assert heartbeat.program_for("heartbeat_client.py").command_lines({}, ["--interval", "0.2"]) == [["-v", "--interval", "0.2"]]
    assert proxy.fixed


def test_a_program_may_take_several_command_lines_tried_in_order(tmp_path: Path) -> None:
    """``args = [[...], [...], []]``: each a command line, in order; ``[]`` alone is still one, empty."""
    spec = course.load(profile(tmp_path, '[labs.echo.programs."udp_client.py"]\nnames = ["UDPClient.py"]\n'
                                         'args = [["{server}", "{port}"], ["--port", "{port}", "{args}"], []]\n'
                                         '[labs.echo.programs."udp_server.py"]\nargs = []\n'))
    client = spec.program_for("udp_client.py")
    assert client.command_lines({"server": "127.0.0.1", "port": "40123"}, ["-v"]) == [
        ["127.0.0.1", "40123"], ["--port", "40123", "-v"], []]
    assert spec.program_for("udp_server.py").command_lines({}, []) == [[]]


def test_a_profile_may_also_name_the_students_submission(tmp_path: Path) -> None:
    """One netlab.toml can name both: ``submission`` is read by the grading's choice of submission."""
    profile = tmp_path / "netlab.toml"
    profile.write_text('submission = "my_labs"\n[labs.echo]\noff = ["optional 1"]\n')
    assert course.load(str(profile)).name == str(profile)


def test_a_file_may_be_placed_in_a_sub_folder_and_a_folder_made(tmp_path: Path) -> None:
    """A program that always attaches `extra/c2p22.png`, one that writes into `./cache/`: the file
    goes where `to` says, the folder is named for the launcher to make."""
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "c2p22.png").write_bytes(b"\x89PNG")
    (tmp_path / "notes.txt").write_text("notes")
    spec = course.load(profile(tmp_path, '[labs.smtp.programs."smtp_client.py"]\n'
                                         'files = ["notes.txt", { from = "pics/c2p22.png", to = "extra/c2p22.png" }]\n'
                                         'folders = ["cache", "out/logs"]\n'))
    client = spec.program_for("smtp_client.py")
    assert client.files == {"notes.txt": (tmp_path / "notes.txt").resolve(), "extra/c2p22.png": (tmp_path / "pics" / "c2p22.png").resolve()}
    assert client.folders == ("cache", "out/logs")


HANDED_OUT = """\
with open("extra/c2p22.png", "rb") as image:
    print(len(image.read()), "bytes attached")
with open("cache/www.example.com_index.html", "w") as cached:
    cached.write("kept")
print("cached")
"""


def test_a_programs_working_folder_has_its_files_where_the_profile_puts_them(tmp_path: Path) -> None:
    """Started under the profile, the program finds `extra/c2p22.png` and can write into `cache/`."""
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "c2p22.png").write_bytes(b"\x89PNG\r\n")
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "SMTPClient.py").write_text(HANDED_OUT)
    spec = course.load(profile(tmp_path, '[labs.smtp.programs."smtp_client.py"]\nnames = ["SMTPClient.py"]\nargs = []\n'
                                         'files = [{ from = "pics/c2p22.png", to = "extra/c2p22.png" }]\nfolders = ["cache"]\n'))
    launcher = Launcher(Submission(tmp_path / "submission", spec.file_names()), tmp_path / "runs", course=spec)
    try:
        program = launcher.run("smtp_client.py", within=10.0)
    finally:
        launcher.stop_all()
    assert program.returncode == 0, program.stderr.text()
    assert program.stdout.text().splitlines() == ["6 bytes attached", "cached"]
    assert (program.workdir / "cache" / "www.example.com_index.html").read_text() == "kept"
