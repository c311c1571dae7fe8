"""The import layers of livebuy: core below the domains, the domains below the edges."""

from __future__ import annotations

import ast
from pathlib import Path

import livebuy

ROOT = Path(livebuy.__file__).parent
CORE = {"clock", "errors", "settings", "redis", "events"}
DOMAINS = {"shows", "chat", "commerce", "analytics", "video", "sessions", "replay", "games"}
EDGES = {"api", "gateway", "web", "app", "cli"}


def _layer_of(module: str) -> str | None:
    """The top-level part of ``livebuy.<part>...`` (``None`` outside livebuy)."""
    parts = module.split(".")
    return parts[1] if parts[0] == "livebuy" and len(parts) > 1 else None


def _imports(path: Path) -> set[str]:
    """Every livebuy part a file imports, at any depth (including ``if TYPE_CHECKING``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "livebuy":
                names += [f"livebuy.{alias.name}" for alias in node.names]
        found.update(part for name in names if (part := _layer_of(name)) is not None)
    return found


def _violations(layer: set[str], forbidden: set[str]) -> list[str]:
    bad = []
    for path in sorted(ROOT.rglob("*.py")):
        top = path.relative_to(ROOT).parts[0].removesuffix(".py")
        if top in layer:
            bad += [
                f"{path.relative_to(ROOT)} imports livebuy.{part}"
                for part in _imports(path) & forbidden
            ]
    return bad


def test_core_imports_no_domain_or_edge() -> None:
    """Core modules (clock, errors, settings, redis, events) import no domain and no edge."""
    assert _violations(CORE, DOMAINS | EDGES) == []


def test_domains_import_no_edge() -> None:
    """Domains (shows, chat, commerce, analytics, video, sessions) import no edge."""
    assert _violations(DOMAINS, EDGES) == []


def test_shows_import_no_other_domain() -> None:
    """Shows publish cues without reaching into chat or commerce (the snapshot joins them)."""
    assert _violations({"shows"}, DOMAINS - {"shows"}) == []
