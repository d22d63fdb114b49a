"""docs/architecture.md draws the package as it is: every package, and every feature module."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "callwarden"


def _tree() -> str:
    """The layout block of docs/architecture.md (the first fenced block)."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    match = re.search(r"```\n(src/callwarden/\n.*?)```", text, re.DOTALL)
    assert match, "docs/architecture.md has no src/callwarden/ layout block"
    return match.group(1)


def test_every_package_is_drawn() -> None:
    drawn = set(re.findall(r"^ {2,}(\w+)/", _tree(), re.MULTILINE))
    packages = {p.parent.name for p in PACKAGE.glob("*/*.py")}
    assert packages <= drawn, f"not in docs/architecture.md: {sorted(packages - drawn)}"


def test_every_drawn_package_exists() -> None:
    drawn = set(re.findall(r"^ {2,}(\w+)/", _tree(), re.MULTILINE))
    real = {p.parent.name for p in PACKAGE.rglob("*.py")}
    assert drawn <= real, f"drawn but not in src/callwarden: {sorted(drawn - real)}"


def test_every_feature_module_is_named() -> None:
    """The feature engines' shape: each module of features/ is named where it sits."""
    tree = _tree()
    modules = {p.name for p in (PACKAGE / "features").rglob("*.py") if p.name != "__init__.py"}
    missing = sorted(m for m in modules if not re.search(rf"\b{re.escape(m)}\b", tree))
    assert not missing, f"features/ modules not in docs/architecture.md: {missing}"
