"""``serve``'s /docs and /redoc work on a network without internet access (issue 20)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from callwarden.api.app import create_app
from callwarden.cases.db import open_database
from callwarden.cases.service import CaseService

#: src= and href= of scripts, styles and icons; url(...) in inline styles
ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\(["']?([^"')]+)""")
#: what a page must not fetch: any absolute http(s) URL (a CDN, Google Fonts, fastapi.tiangolo.com)
EXTERNAL = re.compile(r"""["'(]\s*(?:https?:)?//[^"')\s]+""")


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(CaseService(open_database("sqlite://"))))


@pytest.mark.parametrize(
    ("page", "needs"),
    [
        ("/docs", ["swagger-ui-bundle.js", "swagger-ui.css"]),
        ("/redoc", ["redoc.standalone.js"]),
    ],
)
def test_the_api_docs_load_nothing_from_outside(
    client: TestClient, page: str, needs: list[str]
) -> None:
    r = client.get(page)
    assert r.status_code == 200
    html = r.text
    assert not EXTERNAL.findall(html), EXTERNAL.findall(html)
    assert "cdn" not in html.lower() and "fonts.googleapis" not in html
    assets = [a or b for a, b in ASSET.findall(html)]
    for name in needs:
        assert any(a.endswith(name) for a in assets), (name, assets)
    for asset in assets:
        got = client.get(asset)
        assert got.status_code == 200, asset
        assert len(got.content) > 1000, asset  # the real file, not an error page
    assert client.get("/openapi.json").status_code == 200
