"""Course profiles: read, checked (a typo is refused, naming it), and applied to the rubric."""

from __future__ import annotations

from pathlib import Path

import pytest

from graders.harness import course
from graders.harness.course import ProfileError
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
        ('[labs.webserver.programs."webserver.py"]\nargs = "{port}"\n', "args must be a list"),
        ('[labs.webserver.programs."webserver.py"]\nenv = { PORT = 6789 }\n', "env must be a table of names and texts"),
        ('[labs.smtp.programs."smtp_client.py"]\nstdin = "{sendr}\\n"\n', r"no placeholder `\{sendr\}` \(did you mean `sender`\?\)"),
        ('[labs.webserver.programs."webserver.py"]\nargs = ["{filename}"]\n', r"no placeholder `\{filename\}`"),
        ("[labs.webserver]\ntime_limit = 0\n", "time_limit must be a number of seconds"),
        ("[labs.webserver]\noff = \"test_serves_an_html_file\"\n", "off must be a list"),
        ("[labs\n", "not TOML"),
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
    assert (proxy.names, proxy.port, proxy.args, proxy.stdin) == (("lab4/ProxyServer.py",), "auto", ("{server}", "{port}"), "y\n")
    assert proxy.files == ((tmp_path / "404.html").resolve(),) and proxy.requirements == ("dnspython",)
    assert proxy.command_line({"port": "8888", "server": "127.0.0.1"}, []) == ["127.0.0.1", "8888"]
    heartbeat = course.parse({"labs": {"pinger": {"programs": {"heartbeat_client.py": {"port": 12000, "args": ["-v", "{args}"]}}}}}, "t")
    assert heartbeat.program_for("heartbeat_client.py").command_line({}, ["--interval", "0.2"]) == ["-v", "--interval", "0.2"]
    assert proxy.fixed


def test_a_profile_may_also_name_the_students_submission(tmp_path: Path) -> None:
    """One netlab.toml can name both: ``submission`` is read by the grading's choice of submission."""
    profile = tmp_path / "netlab.toml"
    profile.write_text('submission = "my_labs"\n[labs.echo]\noff = ["optional 1"]\n')
    assert course.load(str(profile)).name == str(profile)
