"""``catalog/`` stands alone: livebuy builds on it, never the other way round."""

from __future__ import annotations

import ast
from pathlib import Path

CATALOG = Path(__file__).resolve().parents[2] / "catalog"


def _livebuy_imports(path: Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [
            f"{path.name}:{node.lineno} {name}"
            for name in names
            if name == "livebuy" or name.startswith("livebuy.")
        ]
    return found


def test_catalog_imports_nothing_from_livebuy() -> None:
    """No module under catalog/ imports livebuy (the package cycle stays broken)."""
    modules = sorted(CATALOG.rglob("*.py"))
    assert modules
    assert [found for path in modules for found in _livebuy_imports(path)] == []
