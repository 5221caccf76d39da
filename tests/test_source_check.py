"""The forbidden-module check reads source with ast: every way to import, no false alarm."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from graders.harness.source_check import expect_no_forbidden_imports, forbidden_in
from graders.vocabulary.failures import CheckFailed

FORBIDDEN = ("http.server", "socketserver")


def program(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "webserver.py"
    path.write_text(source)
    return path


@pytest.mark.parametrize(
    "source",
    [
        "import socketserver\n",
        "import http.server as hs\n",
        "from http.server import BaseHTTPRequestHandler\n",
        "from http import server\n",
        "def main():\n    import socketserver\n",
        "x = __import__('socketserver')\n",
        "import importlib\nm = importlib.import_module('http.server')\n",
        "from importlib import import_module\nm = import_module('socketserver')\n",
    ],
)
def test_every_way_to_import_is_found(tmp_path: Path, source: str) -> None:
    assert forbidden_in(program(tmp_path, source), FORBIDDEN)


@pytest.mark.parametrize(
    "source",
    [
        "import socket\nimport http.client\n",
        "import socketserver_notes\n",  # a module whose name only starts the same
        "from . import socketserver\n",  # a relative import: the student's own module
        "# import socketserver\ntext = 'import http.server'\n",
    ],
)
def test_no_false_alarm(tmp_path: Path, source: str) -> None:
    assert forbidden_in(program(tmp_path, source), FORBIDDEN) == []


def test_message_names_module_and_line(tmp_path: Path) -> None:
    path = program(tmp_path, "import socket\n\nfrom http.server import HTTPServer\n")
    with pytest.raises(CheckFailed) as failure:
        expect_no_forbidden_imports([path], FORBIDDEN, "webserver")
    assert failure.value.got == "`webserver.py` imports http.server (line 3)"


def test_syntax_error_is_reported_not_raised(tmp_path: Path) -> None:
    path = program(tmp_path, "import socket\ndef broken(:\n")
    with pytest.raises(CheckFailed) as failure:
        forbidden_in(path, FORBIDDEN)
    assert "syntax error at line 2" in failure.value.got


def test_a_parse_spoiled_by_another_threads_parse_is_taken_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CPython 3.11: a parse while another thread parses (a fake server's thread formatting a
    traceback) may raise "AST constructor recursion depth mismatch"; a reference copy lost its
    forbidden-import check to it in a batch. The grader parses again instead of failing the check."""
    real_parse, spoiled = ast.parse, []

    def parse_spoiled_once(*args: object, **kwargs: object) -> ast.AST:
        if not spoiled:
            spoiled.append(True)
            raise SystemError("AST constructor recursion depth mismatch (before=18, after=1)")
        return real_parse(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ast, "parse", parse_spoiled_once)
    assert forbidden_in(program(tmp_path, "import socketserver\n"), FORBIDDEN) == ["socketserver (line 1)"]
    assert spoiled == [True]
