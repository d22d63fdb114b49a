"""The action handlers depend on the narrow case context, never on the service itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from callwarden.cases import service

HANDLER_MODULES = ("actions", "appeal", "interception", "realname_case", "context")


@pytest.mark.parametrize("name", HANDLER_MODULES)
def test_handlers_never_import_the_service(name: str) -> None:
    # type-only imports count too: they are the cycle that made the two modules one knot
    path = Path(service.__file__).parent / f"{name}.py"
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
            imported.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
    assert "callwarden.cases.service" not in imported
