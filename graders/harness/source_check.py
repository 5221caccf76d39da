"""What a program's source says, read with ``ast``, never by importing it: the modules it
imports, and the ports and server names it hard-codes (for a course's ``port = "auto"``)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from graders.vocabulary.failures import CheckFailed

PORTS_READ = 16  # at most this many ports are taken from one program's code
HOST = re.compile(r"^(localhost|(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62})$", re.IGNORECASE)
IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
PARSE_TRIES = 3  # see parse()
NOT_HOSTS = (".py", ".html", ".htm", ".txt", ".png", ".jpg", ".jpeg", ".gif", ".json", ".css", ".js", ".pem", ".crt",
             ".key", ".log", ".csv", ".bin", ".zip", ".md")  # names of files, not of servers


def parse(path: Path) -> ast.AST:
    """The file's syntax tree. CPython 3.11 keeps ast's recursion depth per interpreter, so a
    parse while another thread parses (a fake server's thread formatting a traceback does) can
    fail with "AST constructor recursion depth mismatch" (python/cpython#106905); that failure
    is the grader's, not the program's, and the same parse again succeeds."""
    source = path.read_bytes()
    for attempt in range(PARSE_TRIES):
        try:
            return ast.parse(source, filename=path.name)
        except SystemError:
            if attempt == PARSE_TRIES - 1:
                raise
    raise AssertionError("unreachable")


def imported_modules(path: Path) -> dict[str, int]:
    """Every module the file names in ``import``, ``from ... import``, ``__import__("...")``
    or ``importlib.import_module("...")``, wherever it stands in the file, with its first line."""
    try:
        tree = parse(path)
    except SyntaxError as error:
        raise CheckFailed(
            expected=f"`{path.name}` to be Python that parses",
            got=f"a syntax error at line {error.lineno}: {error.msg}",
        ) from None
    found: dict[str, int] = {}
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func):
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                names = [node.args[0].value]
        for name in names:
            found[name] = min(found.get(name, node.lineno), node.lineno)  # type: ignore[attr-defined]
    return found


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ("__import__", "import_module")
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def forbidden_in(path: Path, forbidden: tuple[str, ...]) -> list[str]:
    """Each forbidden module the file imports (itself or a part of it), with the line, in order."""
    lines: dict[str, int] = {}
    for module, line in imported_modules(path).items():
        for bad in forbidden:
            if module == bad or module.startswith(bad + "."):
                lines[bad] = min(lines.get(bad, line), line)
    return [f"{bad} (line {line})" for bad, line in sorted(lines.items(), key=lambda item: item[1])]


def expect_no_forbidden_imports(paths: list[Path], forbidden: tuple[str, ...], lab: str) -> None:
    """Fail naming every forbidden import, file by file."""
    found = {path.name: bad for path in paths if (bad := forbidden_in(path, forbidden))}
    if found:
        raise CheckFailed(
            expected=f"no import of {', '.join(forbidden)} (lab `{lab}` speaks the protocol over sockets)",
            got="; ".join(f"`{name}` imports {', '.join(modules)}" for name, modules in found.items()),
        )


def _tree(path: Path) -> ast.AST | None:
    try:
        return parse(path)
    except (SyntaxError, ValueError):
        return None


def ports_in_code(path: Path, defaults: tuple[int, ...] = ()) -> tuple[int, ...]:
    """The ports a client's code may connect to: a number second in a pair (``("mail.x", 25)``),
    given as ``port=``, or assigned to a name with ``port`` in it; then the lab's usual ones."""
    found: list[int] = []
    tree = _tree(path)
    for node in ast.walk(tree) if tree is not None else ():
        values: list[ast.expr] = []
        if isinstance(node, ast.Tuple) and len(node.elts) == 2:
            values = [node.elts[1]]
        elif isinstance(node, ast.keyword) and (node.arg or "").lower() == "port":
            values = [node.value]
        elif isinstance(node, ast.Assign) and any("port" in _name(target).lower() for target in node.targets):
            values = [node.value]
        found += [port for value in values if (port := _port(value)) is not None]
    return tuple(dict.fromkeys([*found, *defaults]))[:PORTS_READ]


def hosts_in_code(path: Path) -> list[str]:
    """The server names and IPv4 addresses a client's code names, as string literals."""
    tree = _tree(path)
    texts = [node.value.strip() for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)] if tree else []
    names = [text for text in texts if IPV4.match(text) or (HOST.match(text) and not text.lower().endswith(NOT_HOSTS))]
    return list(dict.fromkeys(names))


def _name(target: ast.expr) -> str:
    if isinstance(target, ast.Name):
        return target.id
    return target.attr if isinstance(target, ast.Attribute) else ""


def _port(value: ast.expr) -> int | None:
    literal = value.value if isinstance(value, ast.Constant) else None
    if isinstance(literal, str) and literal.isdigit():
        literal = int(literal)
    return literal if isinstance(literal, int) and not isinstance(literal, bool) and 0 < literal < 65536 else None
