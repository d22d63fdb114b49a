"""SIPp on both sides of the edge proxy: callers placing calls, and peers answering them.

- :class:`Peer` answers every call it gets (the agents' queue, the IVR) and keeps a log of the
  messages; :meth:`Peer.invites` reads back which calls reached it, with the headers the proxy
  added (``X-Callwarden-Queue``, ``X-Callwarden-Action``, ...).
- :func:`place_calls` runs a SIPp caller scenario over a list of calls (the caller's number in
  From and P-Asserted-Identity) and returns the counts of calls that went as the scenario
  expects and the call set-up times (INVITE to 200 OK, or to 603 on ``caller_declined``).

>>> sorted(p.name for p in SCENARIOS.glob("*.xml"))
['answer.xml', 'caller_answered.xml', 'caller_declined.xml']
>>> [invite] = _invites('''----- 2026-12-06 10:18:33.894471
... UDP message received [834] bytes :
...
... INVITE sip:vip@127.0.0.2:5170 SIP/2.0
... From: "138" <sip:13800000001@127.0.0.1:5060>;tag=1
... X-Callwarden-Queue: vip
...
... v=0
... ''')
>>> (invite.uri, invite.caller, invite.headers["x-callwarden-queue"])
('sip:vip@127.0.0.2:5170', '13800000001', 'vip')
"""

from __future__ import annotations

import csv
import re
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from callwarden.edge.process import ChildProcess
from callwarden.edge.proxy import require
from callwarden.errors import EdgeError

__all__ = ["SCENARIOS", "Call", "CallRun", "Invite", "Peer", "place_calls"]

#: the SIPp scenarios shipped with the package
SCENARIOS = Path(__file__).with_name("sipp")

_SEPARATOR = re.compile(r"^-{5,} .*$", re.MULTILINE)
_FROM_USER = re.compile(r"<?(?:sips?|tel):([^@;>]+)")


@dataclass(frozen=True)
class Invite:
    """One INVITE a peer received: its Request-URI, the caller (From user), its headers."""

    uri: str
    caller: str
    #: header names in lower case; the last value when a header repeats
    headers: dict[str, str]


def _invites(log: str) -> list[Invite]:
    found: list[Invite] = []
    for block in _SEPARATOR.split(log):
        head, _, message = block.partition("\n\n")
        if "received" not in head or not message.startswith("INVITE "):
            continue
        lines = message.split("\n\n", 1)[0].splitlines()
        uri = lines[0].split(" ")[1]
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        user = _FROM_USER.search(headers.get("from", ""))
        found.append(Invite(uri, user.group(1) if user else "", headers))
    return found


class Peer(ChildProcess):
    """A SIPp answering every call on ``host:port`` (``name`` is its Contact user); a context
    manager. ``trace`` keeps the message log that :meth:`invites` reads (off for load runs)."""

    def __init__(self, name: str, host: str, port: int, workdir: Path, trace: bool = True) -> None:
        self.name, self.host, self.port = name, host, port
        self.workdir = workdir
        self.trace = trace
        self.messages = workdir / f"{name}_messages.log"
        self.errors = workdir / f"{name}_errors.log"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        args = [
            require("sipp"),
            "-sf", str(SCENARIOS / "answer.xml"),
            "-s", self.name,
            "-i", self.host,
            "-p", str(self.port),
            "-nostdin",
            "-trace_err", "-error_file", str(self.errors),
        ]  # fmt: skip
        if self.trace:
            args += ["-trace_msg", "-message_file", str(self.messages)]
        process = self._launch(args, cwd=self.workdir)
        time.sleep(0.3)
        if process.poll() is not None:
            raise EdgeError(
                f"SIPp peer {self.name} on {self.address} exited at start "
                f"(code {process.returncode}); see {self.errors}"
            )

    def invites(self) -> list[Invite]:
        """The INVITEs received so far (retransmissions included once each)."""
        if not self.messages.exists():
            return []
        seen: dict[str, Invite] = {}
        for invite in _invites(self.messages.read_text(encoding="utf-8", errors="replace")):
            seen.setdefault(invite.headers.get("call-id", invite.uri), invite)
        return list(seen.values())


@dataclass(frozen=True)
class Call:
    """One call to place: the caller's number, the number dialled, and one extra header line
    (``"X-Callwarden-IVR-Input: 1234"`` when the IVR hands a caller back), or none."""

    caller: str
    callee: str
    header: str = ""


@dataclass(frozen=True)
class CallRun:
    """What a SIPp caller run saw."""

    returncode: int
    successful: int
    failed: int
    #: call set-up times in ms (SIPp counts whole milliseconds), one per successful call
    setup_ms: list[float] = field(default_factory=list)
    workdir: Path | None = None


def _injection(calls: Iterable[Call]) -> str:
    lines = ["SEQUENTIAL"]
    for c in calls:
        for part in (c.caller, c.callee, c.header):
            if ";" in part or "\n" in part or "\r" in part:
                raise EdgeError(f"a SIPp injection field cannot hold ';' or a line break: {part!r}")
        lines.append(f"{c.caller};{c.callee};{c.header};")
    return "\n".join(lines) + "\n"


def _last_stats(path: Path) -> dict[str, str]:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter=";"))
    if len(rows) < 2:
        return {}
    return dict(zip(rows[0], rows[-1], strict=False))


def place_calls(
    proxy: str,
    calls: Sequence[Call],
    scenario: str = "caller_answered.xml",
    *,
    rate: float = 10.0,
    source: str = "127.0.0.1",
    max_calls: int | None = None,
    timeout_s: float = 30.0,
    workdir: Path | None = None,
) -> CallRun:
    """Place ``max_calls`` calls (default: one per entry of ``calls``, reused in turn) at
    ``rate`` calls a second from ``source`` to the proxy at ``proxy`` (``IP:PORT``).

    A call succeeds when it goes as ``scenario`` expects (answered, or declined with 603).
    """
    if not calls:
        raise EdgeError("no calls to place")
    work = workdir or Path(tempfile.mkdtemp(prefix="callwarden-sipp-"))
    work.mkdir(parents=True, exist_ok=True)
    (work / "calls.csv").write_text(_injection(calls), encoding="utf-8")
    total = max_calls or len(calls)
    args = [
        require("sipp"), proxy,
        "-sf", str(SCENARIOS / scenario),
        "-inf", str(work / "calls.csv"),
        "-i", source, "-p", "0",
        "-m", str(total),
        "-r", str(rate),
        "-timeout", f"{timeout_s:.0f}s", "-timeout_error",
        "-nostdin",
        "-trace_rtt", "-rtt_freq", "1",
        "-trace_stat", "-stf", str(work / "stats.csv"), "-fd", "1",
        "-trace_err", "-error_file", str(work / "errors.log"),
    ]  # fmt: skip
    done = subprocess.run(  # noqa: S603
        args, cwd=work, capture_output=True, check=False, timeout=timeout_s + 30
    )
    stats = _last_stats(work / "stats.csv") if (work / "stats.csv").exists() else {}
    if not stats:
        raise EdgeError(f"SIPp wrote no statistics (code {done.returncode}): "
                        f"{done.stderr.decode(errors='replace')[-500:]}")  # fmt: skip
    setup: list[float] = []
    for rtt in work.glob("*_rtt.csv"):
        with rtt.open(newline="", encoding="utf-8") as f:
            setup += [float(row["response_time_ms"]) for row in csv.DictReader(f, delimiter=";")]
    return CallRun(
        returncode=done.returncode,
        successful=int(stats.get("SuccessfulCall(C)", 0)),
        failed=int(stats.get("FailedCall(C)", 0)),
        setup_ms=setup,
        workdir=work,
    )
