"""The hotline's SIP path for real: SIPp callers -> Kamailio (the shipped edge configuration)
-> ``callwarden serve`` on PostgreSQL -> SIPp peers for the agents' queue and the IVR.

One hotline (4001234567) with a policy: a key customer on the allow list, fraud marks blocked,
marketing marks challenged with a business code. Real calls, on loopback:

- allowed, blocked, suspicious and unknown callers end as the policy says: answered by the
  agents, declined with 603, answered by the IVR, answered by the agents;
- the IVR hands a challenged caller back with the digits; the right code reaches the agents, a
  wrong one is declined, and the same header sent by a caller is not believed;
- every decision is in the decision log;
- the decision service down, or silent past the timeout: calls go to the agents (fail-open);
  screening switched off at run time: calls go to the agents unasked.

Needs ``kamailio`` (with http_client and jansson) and ``sipp``: ``make sip`` installs them. In
CI (``CI`` set) their absence fails the run; elsewhere the tests skip with that hint.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select, text

from callwarden.cases.db import open_database
from callwarden.edge import EdgeProxy, EdgeSettings, Peer, free_udp_port, place_calls
from callwarden.edge.proxy import PACKAGES
from callwarden.edge.sipp import Call, Invite
from callwarden.screen.models import ScreenDecision

pytestmark = pytest.mark.integration

HOTLINE = "4001234567"
CUSTOMER = "13800138000"  # on the allow list (and marked fraud by someone: the list wins)
SCAMMER = "13911112222"  # marked fraud
MARKETER = "13722223333"  # marked marketing: challenged
STRANGER = "15855556666"  # no mark, no list
CODE = "2468"

POLICY = f"""\
name = "sip test"
allow = ["{CUSTOMER}"]

[[bands]]
categories = ["fraud", "one_ring"]
action = "block"

[[bands]]
categories = ["marketing", "real_estate", "loans_finance", "insurance"]
action = "challenge"

[challenge]
code = "{CODE}"
retries = 2
queue = "ivr"
"""

MARKS = f"""msisdn,category
{SCAMMER},fraud
{CUSTOMER},fraud
{MARKETER},marketing
"""


def _binaries() -> None:
    missing = [p for p in ("kamailio", "kamcmd", "sipp") if shutil.which(p, path=_PATH) is None]
    if missing:
        hint = f"{', '.join(missing)} not installed: run `make sip` (apt-get install -y {PACKAGES})"
        if os.environ.get("CI"):
            pytest.fail(hint)
        pytest.skip(hint)


_PATH = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"


def _free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "callwarden", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, f"callwarden {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


@dataclass
class Line:
    """The running hotline: its API, its proxy and the two peers behind it."""

    db_url: str
    api: str
    token: str
    proxy: EdgeProxy
    agents: Peer
    ivr: Peer
    workdir: Path

    def call(
        self,
        caller: str,
        scenario: str = "caller_answered.xml",
        header: str = "",
        source: str = "127.0.0.1",
    ) -> bool:
        """Place one call; True when it went as ``scenario`` expects."""
        run = place_calls(
            self.proxy.settings.address,
            [Call(caller, HOTLINE, header)],
            scenario,
            source=source,
            timeout_s=15,
            workdir=Path(os.path.join(self.workdir, f"call{time.monotonic_ns()}")),
        )
        return run.returncode == 0 and run.successful == 1


def _reached(peer: Peer, caller: str) -> list[Invite]:
    return [i for i in peer.invites() if i.caller == caller]


def _wait_http(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, f"callwarden serve exited: {log.read_text()[-2000:]}"
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"callwarden serve did not answer on {url}: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def line(pg_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Line]:
    _binaries()
    engine = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    work = tmp_path_factory.mktemp("sip")

    marks = work / "marks.csv"
    marks.write_text(MARKS, encoding="utf-8")
    _cli("marks", "import", str(marks), "--db", pg_server)
    added = _cli("hotline", "add", "acme", "--number", HOTLINE, "--db", pg_server)
    token = added.split()[-1]
    policy = work / "policy.toml"
    policy.write_text(POLICY, encoding="utf-8")
    _cli("hotline", "policy", "set", "acme", str(policy), "--db", pg_server)

    port = _free_tcp_port()
    log = work / "serve.log"
    with log.open("wb") as out:
        api = subprocess.Popen(
            [sys.executable, "-m", "callwarden", "serve", "--port", str(port), "--db", pg_server],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"{base}/openapi.json", api, log)
        settings = EdgeSettings(
            listen=f"udp:127.0.0.1:{free_udp_port()}",
            screen_url=f"{base}/api/v1/screen",
            token=token,
            agents=f"127.0.0.2:{free_udp_port('127.0.0.2')}",
            ivr=f"127.0.0.3:{free_udp_port('127.0.0.3')}",
            control=f"unix:{work / 'kamailio.ctl'}",
        )
        agents_port = int(settings.agents.rsplit(":", 1)[1])
        ivr_port = int(settings.ivr.rsplit(":", 1)[1])
        with (
            Peer("agents", "127.0.0.2", agents_port, work) as agents,
            Peer("ivr", "127.0.0.3", ivr_port, work) as ivr,
            EdgeProxy(settings, work / "kamailio") as proxy,
        ):
            yield Line(pg_server, base, token, proxy, agents, ivr, work)
    finally:
        api.terminate()
        api.wait(20)


def test_each_caller_ends_as_the_policy_says(line: Line) -> None:
    # the key customer: answered by the agents though someone marked the number fraud
    assert line.call(CUSTOMER), "the key customer's call was not answered"
    [got] = _reached(line.agents, CUSTOMER)
    assert got.uri.startswith("sip:agents@")
    assert got.headers["x-callwarden-action"] == "allow"
    assert got.headers["x-callwarden-screen"] == "ok"
    assert got.headers["x-callwarden-policy"] == "1"

    # the scammer: 603 Decline (the scenario fails on any other answer), reaches nobody
    assert line.call(SCAMMER, "caller_declined.xml"), "the scammer's call was not declined"
    assert _reached(line.agents, SCAMMER) == [] and _reached(line.ivr, SCAMMER) == []

    # the marketer: answered by the IVR, which asks for the business code
    assert line.call(MARKETER), "the marketer's call was not answered by the IVR"
    [got] = _reached(line.ivr, MARKETER)
    assert got.uri.startswith("sip:ivr@")
    assert got.headers["x-callwarden-action"] == "challenge"
    assert _reached(line.agents, MARKETER) == []

    # a stranger: no mark, no list: the agents
    assert line.call(STRANGER)
    [got] = _reached(line.agents, STRANGER)
    assert got.headers["x-callwarden-action"] == "allow"
    assert got.headers["x-callwarden-queue"] == "agents"


def test_the_ivr_hands_a_challenged_caller_back_with_the_digits(line: Line) -> None:
    caller = "13722224444"
    _cli_marks(line, caller, "marketing")
    before = len(_reached(line.ivr, caller))
    assert line.call(caller)
    assert len(_reached(line.ivr, caller)) == before + 1

    # a caller cannot pass the challenge by sending the IVR's header itself
    assert line.call(caller, header=f"X-Callwarden-IVR-Input: {CODE}")
    assert len(_reached(line.ivr, caller)) == before + 2
    assert _reached(line.agents, caller) == []

    # the IVR (from its own address) hands the caller back: a wrong code is asked again ...
    ivr = "127.0.0.3"
    assert line.call(caller, header="X-Callwarden-IVR-Input: 1111", source=ivr)
    assert len(_reached(line.ivr, caller)) == before + 3
    # ... the second wrong code (retries = 2) is declined ...
    assert line.call(caller, "caller_declined.xml", "X-Callwarden-IVR-Input: 1111", ivr)
    assert _reached(line.agents, caller) == []
    # ... the right one reaches the agents, and the header does not travel on
    assert line.call(caller, header=f"X-Callwarden-IVR-Input: {CODE}", source=ivr)
    [got] = _reached(line.agents, caller)
    assert got.headers["x-callwarden-action"] in {"allow", "route"}
    assert "x-callwarden-ivr-input" not in got.headers


def _cli_marks(line: Line, caller: str, category: str) -> None:
    path = line.workdir / f"marks-{caller}.csv"
    path.write_text(f"msisdn,category\n{caller},{category}\n", encoding="utf-8")
    _cli("marks", "import", str(path), "--db", line.db_url)
    # the decision path follows the marks' change notifications; give it a moment
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answer = httpx.post(
            f"{line.api}/api/v1/screen",
            json={"caller": caller, "callee": HOTLINE, "time": "2026-12-07T03:00:00Z"},
            headers={"Authorization": f"Bearer {line.token}"},
            timeout=5,
        ).json()
        if answer["action"] == "challenge":
            return
        time.sleep(0.2)
    raise AssertionError(f"the mark on {caller} did not reach the decision path")


def test_every_screened_call_is_in_the_decision_log(line: Line) -> None:
    db = open_database(line.db_url)
    wanted = {
        f"+86{CUSTOMER}": "allow",
        f"+86{SCAMMER}": "block",
        f"+86{MARKETER}": "challenge",
        f"+86{STRANGER}": "allow",
    }
    deadline = time.monotonic() + 15
    while True:
        with db.sessions() as s:
            rows = s.execute(select(ScreenDecision.caller, ScreenDecision.action)).all()
        logged = {caller: action for caller, action in rows if caller in wanted}
        if logged == wanted or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    db.engine.dispose()
    assert logged == wanted


def test_fail_open_when_the_decision_service_is_down_or_silent(line: Line) -> None:
    dead = f"http://127.0.0.1:{_free_tcp_port()}/api/v1/screen"
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        mute = f"http://127.0.0.1:{silent.getsockname()[1]}/api/v1/screen"
        for name, url in (("down", dead), ("silent", mute)):
            s = line.proxy.settings
            settings = EdgeSettings(
                listen=f"udp:127.0.0.1:{free_udp_port()}",
                screen_url=url,
                token=line.token,
                agents=s.agents,
                ivr=s.ivr,
                control=f"unix:{line.workdir / f'{name}.ctl'}",
            )
            before = len(_reached(line.agents, SCAMMER))
            with EdgeProxy(settings, line.workdir / name) as proxy:
                started = time.monotonic()
                run = place_calls(
                    proxy.settings.address,
                    [Call(SCAMMER, HOTLINE)],
                    timeout_s=15,
                    workdir=line.workdir / f"{name}-call",
                )
                took = time.monotonic() - started
            assert run.returncode == 0 and run.successful == 1, f"decision service {name}"
            got = _reached(line.agents, SCAMMER)
            assert len(got) == before + 1
            assert got[-1].headers["x-callwarden-screen"] == "unavailable"
            assert took < 10, f"{name}: the call waited {took:.1f} s for the decision service"


def test_screening_switched_off_at_run_time(line: Line) -> None:
    before = len(_reached(line.agents, SCAMMER))
    line.proxy.screening(False)
    try:
        assert line.call(SCAMMER)
    finally:
        line.proxy.screening(True)
    got = _reached(line.agents, SCAMMER)
    assert len(got) == before + 1 and got[-1].headers["x-callwarden-screen"] == "off"
    assert line.call(SCAMMER, "caller_declined.xml"), "screening did not come back on"


def test_a_connection_the_service_closed_while_idle_is_replaced(line: Line) -> None:
    # each screening worker keeps its connection open; uvicorn closes idle ones after 5 s
    assert line.call(SCAMMER, "caller_declined.xml")
    time.sleep(6)
    assert line.call(SCAMMER, "caller_declined.xml"), "the call after a quiet spell failed open"


def test_withheld_and_foreign_callers_are_screened_not_refused(line: Line) -> None:
    # a withheld number is an odd caller: this policy has a challenge, so the IVR asks
    assert line.call("anonymous"), "the withheld caller's call was not answered"
    [got] = _reached(line.ivr, "anonymous")
    assert got.headers["x-callwarden-action"] == "challenge"
    # a foreign number someone can own: the policy lets foreign callers through
    assert line.call("+12025550123")
    [got] = _reached(line.agents, "+12025550123")
    assert got.headers["x-callwarden-screen"] == "ok"
