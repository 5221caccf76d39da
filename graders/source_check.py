"""Which modules a program imports, read from its source with ``ast``; never by importing it."""

from __future__ import annotations

import ast
from pathlib import Path

from .failures import CheckFailed


def imported_modules(path: Path) -> dict[str, int]:
    """Every module the file names in ``import``, ``from ... import``, ``__import__("...")``
    or ``importlib.import_module("...")``, wherever it stands in the file, with its first line."""
    try:
        tree = ast.parse(path.read_bytes(), filename=path.name)
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
