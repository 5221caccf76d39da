"""Which modules a program imports, read from its source with ``ast``; never by importing it."""

from __future__ import annotations

import ast
from pathlib import Path

from .failures import CheckFailed


def imported_modules(path: Path) -> set[str]:
    """Every module the file names in ``import``, ``from ... import``, ``__import__("...")``
    or ``importlib.import_module("...")``, wherever it stands in the file."""
    try:
        tree = ast.parse(path.read_bytes(), filename=path.name)
    except SyntaxError as error:
        raise CheckFailed(
            expected=f"`{path.name}` to be Python that parses",
            got=f"a syntax error at line {error.lineno}: {error.msg}",
        ) from None
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func):
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
    return found


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ("__import__", "import_module")
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def forbidden_in(path: Path, forbidden: tuple[str, ...]) -> list[str]:
    """The forbidden modules (or their submodules) the file imports, sorted."""
    return sorted(
        module
        for module in imported_modules(path)
        if any(module == bad or module.startswith(bad + ".") for bad in forbidden)
    )


def expect_no_forbidden_imports(paths: list[Path], forbidden: tuple[str, ...], lab: str) -> None:
    """Fail naming every forbidden import, file by file."""
    found = {path.name: bad for path in paths if (bad := forbidden_in(path, forbidden))}
    if found:
        raise CheckFailed(
            expected=f"no import of {', '.join(forbidden)} (lab `{lab}` speaks the protocol over sockets)",
            got="; ".join(f"`{name}` imports {', '.join(modules)}" for name, modules in found.items()),
        )
