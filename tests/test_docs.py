"""Documentation stays true: the CLI reference is generated, the README shows the two commands."""

from __future__ import annotations

import re
from pathlib import Path

from callwarden.api import create_app
from callwarden.cases.db import open_database
from callwarden.cases.service import CaseService
from callwarden.cli.docgen import render

ROOT = Path(__file__).resolve().parents[1]


def test_cli_reference_is_up_to_date() -> None:
    current = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == render(), "run: .venv/bin/python -m callwarden.cli.docgen docs/cli.md"


def test_readme_quick_start_is_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme
    assert "make test" in readme


def _anchors(page: Path) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces
    as hyphens."""
    headings = re.findall(r"^#+ (.+)$", page.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_readme_and_docs_links_resolve() -> None:
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        for target, anchor in re.findall(r"\]\(([^)#:]*\.md|)(?:#([^)]+))?\)", text):
            linked = page.parent / target if target else page
            assert linked.exists(), f"{page.name} links to missing {target}"
            if anchor:
                assert anchor in _anchors(linked), f"{page.name} links to {target}#{anchor}"


def test_ci_calls_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_api_route_is_documented() -> None:
    page = (ROOT / "docs" / "cases.md").read_text(encoding="utf-8")
    app = create_app(CaseService(open_database("sqlite://")))
    for path, methods in app.openapi()["paths"].items():
        for method in methods:
            assert f"`{method.upper()} {path}`" in page, f"docs/cases.md lacks {method} {path}"
