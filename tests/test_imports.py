"""No module imports another's private names: what modules share is public, so a change to it
knows who uses it (fake_icmp.py imported threaded_server's ``_receive`` and ``_Wakeable``)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.grading import REPO


def private_imports(source: Path) -> list[str]:
    """``from graders.x import _name`` in ``source``, as ``module._name`` (line N)."""
    found = []
    for node in ast.walk(ast.parse(source.read_text(), str(source))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(("graders", "tests")):
            found += [f"{node.module}.{alias.name} (line {node.lineno})" for alias in node.names if alias.name.startswith("_") and not alias.name.startswith("__")]
    return found


def test_no_module_imports_another_modules_private_names() -> None:
    sources = sorted((REPO / "graders").rglob("*.py")) + sorted((REPO / "tests").rglob("*.py"))
    found = {str(source.relative_to(REPO)): names for source in sources if (names := private_imports(source))}
    assert not found, f"private names imported from another module: {found}"
