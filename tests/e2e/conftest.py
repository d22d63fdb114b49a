"""Browser tests: the app served by uvicorn on a free port, driven by Playwright in Debian's
chromium (launched by its path, headless; Playwright never downloads a browser here).

``make test`` installs chromium when missing. Without it the tests skip locally, and fail in CI
(``CI`` set), so a CI run cannot pass without having driven a browser.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import uvicorn
from fastapi.staticfiles import StaticFiles

from callwarden.api.app import create_app
from callwarden.cases.db import open_database
from callwarden.cases.schemas import AlertIn
from callwarden.cases.service import CaseService
from callwarden.web import mount_web

OWNER = "+8613812345678"
OTHER = "+8613912345678"
#: the customer of the Chinese self-service test (the agent works OWNER's case)
CUSTOMER = "+8613712345678"
#: axe-core's script, installed from npm by `make axe`
AXE = Path(__file__).with_name("node_modules") / "axe-core" / "axe.min.js"
#: a phone-sized viewport (iPhone 12/13/14 CSS pixels)
PHONE = {"width": 390, "height": 844}


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _alert(msisdn: str, at: str) -> AlertIn:
    return AlertIn.model_validate(
        {
            "msisdn": msisdn,
            "flagged_at": at,
            "score": 0.97,
            "decision": "suspend",
            "reasons": [
                {
                    "code": "relay_call",
                    "weight": 1.0,
                    "text_zh": "60 分钟内主叫 42 次, 平均间隔 118 秒, 被叫 40 个不同号码; "
                    "机主 78 岁",
                    "text_en": "42 outbound calls in 60 min, one every 118 s, to 40 different "
                    "numbers; owner aged 78",
                    "evidence": {"calls_60m": 42, "mean_gap_s": 118, "distinct_callees": 40},
                }
            ],
            "subscriber": {"owner_birth_year": 1948, "region": "江苏"},
        }
    )


def _calls(path: Path) -> Path:
    """An evening of relay calls from OWNER (seed 000: one every two minutes for an hour)."""
    start = datetime(2026, 7, 8, 9, 0, tzinfo=UTC)
    n = 42
    pl.DataFrame(
        {
            "call_id": [f"c{i}" for i in range(n)],
            "caller": [OWNER] * n,
            "callee": [f"+86{('139', '137', '158', '186')[i % 4]}{i:08d}" for i in range(n)],
            "start_time": [start + timedelta(seconds=118 * i) for i in range(n)],
            "duration_s": [0 if i % 3 else 35 for i in range(n)],
        },
        schema_overrides={"duration_s": pl.Int32},
    ).write_parquet(path)
    return path


@dataclass
class Site:
    url: str
    service: CaseService
    tokens: dict[str, str]
    owner: str = OWNER
    other: str = OTHER
    customer: str = CUSTOMER
    phone: tuple[int, int] = (PHONE["width"], PHONE["height"])


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        message = "chromium is not installed: run `make chromium` (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("site")
    # the wall clock (the browser's cookies expire by it too): the alerts an hour or two
    # before it, at whatever hour the suite runs; no assertion depends on the local day or hour
    service = CaseService(open_database(str(folder / "cases.db")))
    now = service.now()
    service.intake(
        [
            _alert(OWNER, (now - timedelta(hours=2)).isoformat()),
            _alert(OTHER, (now - timedelta(hours=1)).isoformat()),
            _alert(CUSTOMER, (now - timedelta(hours=1)).isoformat()),
        ]
    )
    tokens = {
        role: service.add_user(f"{role}-1", role) for role in ("agent", "analyst", "supervisor")
    }
    app = create_app(service)
    # the number page's charts read these records (as CALLWARDEN_CALLS names them in service)
    app.router.routes = [
        r
        for r in app.router.routes
        if getattr(r, "path", "") not in ("/", "/console", "/self", "/static")
    ]
    mount_web(app, service, calls=_calls(folder / "calls.parquet"))
    if AXE.exists():  # axe-core from npm (make axe), for the accessibility check
        app.mount("/__axe", StaticFiles(directory=str(AXE.parent)), name="axe")
    with served(app) as url:
        yield Site(url, service, tokens)


@contextmanager
def served(app: Any) -> Iterator[str]:
    """The app served by uvicorn on a free port, in a thread; its URL while the block runs."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


# module, not session: the sync API keeps an event loop running in this thread until it stops,
# and the suite's later asyncio.run() calls would find it
@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()
