"""Finding a submission's programs: the same on every system.

macOS and Windows file systems find `Webserver.py` when asked for `webserver.py`, and Windows'
glob matches any case; Linux does neither. A laptop must not grade what a Linux autograder calls
missing: a name is matched as on Linux everywhere. Simulated here by a file system, and a glob,
that ignore case.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

import pytest

from graders.harness.submission import MissingProgram, Submission


@pytest.fixture
def case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    """Path.is_file and Path.glob as on macOS and Windows: any case finds the file."""
    real_is_file, real_glob = Path.is_file, Path.glob

    def is_file(path: Path) -> bool:
        parent = path.parent
        return real_is_file(path) or (parent.is_dir() and any(
            entry.lower() == path.name.lower() and real_is_file(parent / entry) for entry in os.listdir(parent)))

    def glob(folder: Path, pattern: str) -> list[Path]:
        return [path for path in real_glob(folder, "**/*") if fnmatch.fnmatch(path.relative_to(folder).as_posix().lower(), pattern.lower())]

    monkeypatch.setattr(Path, "is_file", is_file)
    monkeypatch.setattr(Path, "glob", glob)


def test_a_name_in_another_case_is_missing_on_every_system_with_a_hint(tmp_path: Path, case_insensitive: None) -> None:
    (tmp_path / "Webserver.py").write_text("print('served')\n")
    assert (tmp_path / "webserver.py").is_file()  # the simulation holds: as on macOS
    with pytest.raises(MissingProgram) as missing:
        Submission(tmp_path).program("webserver.py")
    assert "`webserver.py` not found" in missing.value.got
    assert "did you mean `Webserver.py`? (file names are matched exactly, case included, on every system)" in missing.value.got


def test_a_glob_matches_case_as_on_linux(tmp_path: Path, case_insensitive: None) -> None:
    (tmp_path / "lab2").mkdir()
    (tmp_path / "lab2" / "WEBSERVER.PY").write_text("")
    assert list(tmp_path.glob("lab2/*.py"))  # the simulation holds: as on Windows
    with pytest.raises(MissingProgram):
        Submission(tmp_path, {"webserver.py": ("lab2/*.py",)}).program("webserver.py")


def test_the_name_as_asked_is_found_on_a_case_insensitive_system_too(tmp_path: Path, case_insensitive: None) -> None:
    (tmp_path / "webserver.py").write_text("")
    (tmp_path / "lab2").mkdir()
    (tmp_path / "lab2" / "WebServer.py").write_text("")
    assert Submission(tmp_path).program("webserver.py") == (tmp_path / "webserver.py").resolve()
    assert Submission(tmp_path, {"webserver.py": ("lab2/*.py",)}).program("webserver.py") == (tmp_path / "lab2" / "WebServer.py").resolve()


def test_a_near_miss_that_is_not_a_py_file_is_suggested(tmp_path: Path) -> None:
    (tmp_path / "TCPClient,py").write_text("print('sent')\n")
    with pytest.raises(MissingProgram) as missing:
        Submission(tmp_path).program("TCPClient.py")
    assert "did you mean `TCPClient,py`?" in missing.value.got


def test_a_program_in_a_sub_folder_under_another_name_is_suggested(tmp_path: Path) -> None:
    for folder in ("upper_tcp", "upper_udp"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "server.py").write_text("")
    with pytest.raises(MissingProgram) as missing:
        Submission(tmp_path).program("UDPServer.py")
    assert "`upper_udp/server.py` is in a sub-folder" in missing.value.got
    with pytest.raises(MissingProgram) as unlike:
        Submission(tmp_path).program("smtp_client.py")
    assert "sub-folder" not in unlike.value.got
