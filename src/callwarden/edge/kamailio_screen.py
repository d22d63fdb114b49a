"""The edge proxy's question to the decision service, run inside Kamailio (app_python3).

Kamailio loads this file with its own Python (``modparam("app_python3", "load", ...)``), so
it uses the standard library only and never imports callwarden. Each Kamailio worker keeps
one HTTP connection to the decision service open and reuses it (Kamailio 5.6's http_client
opens a new one per question, and the service pays for each; docs/sip.md), and waits at
most ``CALLWARDEN_SCREEN_TIMEOUT_MS`` (or what is left of the call's budget) on each step
(connect, send, read).

The configuration calls ``python_exec("ask", "$var(budget)")`` (the milliseconds left of the
call's screening budget) with ``$var(caller)``, ``$var(callee)`` and ``$var(ivr_input)`` set;
afterwards ``$var(action)`` is allow, block, challenge or route, or empty when the service
gave no usable answer (the configuration then fails open), with ``$var(queue)``,
``$var(policy)`` and ``$var(status)`` (the HTTP status, or what went wrong).

>>> question("13800138000", "4001234567", "", datetime(2026, 12, 7, 3, 0, tzinfo=UTC))
b'{"caller": "13800138000", "callee": "4001234567", "time": "2026-12-07T03:00:00Z"}'
>>> answer(200, b'{"action": "route", "queue": "vip", "reasons": [], "policy_version": 3}')
Answer(action='route', queue='vip', policy='3', status='200')
>>> answer(200, b'{"action": "block", "queue": "<sip:x>", "policy_version": 3}').queue
''
>>> answer(503, b'{"detail": "busy"}')
Answer(action='', queue='', policy='', status='503')
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

try:  # present only inside Kamailio
    import KSR  # type: ignore[import-not-found]
except ImportError:
    KSR = None

__all__ = ["Answer", "DecisionClient", "answer", "mod_init", "question"]

ACTIONS = frozenset({"allow", "block", "challenge", "route"})
#: a queue goes into a SIP URI's user part: anything else is ignored (the default is used)
_QUEUE = re.compile(r"[A-Za-z0-9_.:@-]{1,64}")


@dataclass(frozen=True)
class Answer:
    """What the configuration needs of the decision service's answer (strings, as $var)."""

    action: str
    queue: str
    policy: str
    status: str


def question(caller: str, callee: str, ivr_input: str, at: datetime) -> bytes:
    """The JSON body of ``POST /api/v1/screen`` for one call."""
    body: dict[str, str] = {
        "caller": caller,
        "callee": callee,
        "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if ivr_input:
        body["ivr_input"] = ivr_input
    return json.dumps(body).encode()


def answer(status: int, data: bytes) -> Answer:
    """The answer, or one with an empty action when it is not a usable decision."""
    unusable = Answer("", "", "", str(status))
    if status != http.client.OK:
        return unusable
    try:
        parsed: Any = json.loads(data)
    except ValueError:
        return unusable
    if not isinstance(parsed, dict) or parsed.get("action") not in ACTIONS:
        return unusable
    queue = parsed.get("queue")
    queue = queue if isinstance(queue, str) and _QUEUE.fullmatch(queue) else ""
    policy = parsed.get("policy_version")
    return Answer(parsed["action"], queue, str(policy) if policy is not None else "", "200")


class DecisionClient:
    """One kept-open connection to the decision service (per process)."""

    def __init__(self, url: str, token: str, timeout_ms: int) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"CALLWARDEN_SCREEN_URL: {url!r} is not an http(s) URL")
        self.parts = parts
        self.path = parts.path or "/"
        self.headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
            "Connection": "keep-alive",
        }
        self.timeout = timeout_ms / 1000
        self._conn: http.client.HTTPConnection | None = None
        self._pid = 0

    @classmethod
    def from_environment(cls) -> DecisionClient:
        env = os.environ
        return cls(
            env["CALLWARDEN_SCREEN_URL"],
            env.get("CALLWARDEN_HOTLINE_TOKEN", ""),
            int(env.get("CALLWARDEN_SCREEN_TIMEOUT_MS", "500")),
        )

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        """The open connection (and True when it was used before), made anew after a fork."""
        if self._conn is not None and self._pid == os.getpid():
            return self._conn, True
        https = self.parts.scheme == "https"
        kind = http.client.HTTPSConnection if https else http.client.HTTPConnection
        self._conn = kind(self.parts.hostname or "", self.parts.port, timeout=self.timeout)
        self._pid = os.getpid()
        return self._conn, False

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None

    def ask(self, caller: str, callee: str, ivr_input: str, budget_ms: float = 0) -> Answer:
        """Ask about one call, waiting at most ``budget_ms`` on each step (0: the timeout)."""
        body = question(caller, callee, ivr_input, datetime.now(UTC))
        wait = min(self.timeout, budget_ms / 1000) if budget_ms > 0 else self.timeout
        for _ in range(2):
            conn, reused = self._connection()
            conn.timeout = wait
            try:
                if conn.sock is not None:
                    conn.sock.settimeout(wait)
                else:
                    conn.connect()
                    # http.client sends the headers and the body in two writes: without this
                    # the body waits for the service's delayed ACK (40 ms on Linux)
                    _nodelay(conn.sock)
                conn.request("POST", self.path, body, self.headers)
                response = conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # the service closed an idle kept-open connection: ask once more on a new one
                self._drop()
                if reused:
                    continue
                return Answer("", "", "", "disconnected")
            except TimeoutError:
                self._drop()
                return Answer("", "", "", "timeout")
            except (OSError, http.client.HTTPException) as exc:
                self._drop()
                return Answer("", "", "", type(exc).__name__)
            if response.will_close:
                self._drop()
            return answer(response.status, data)
        return Answer("", "", "", "disconnected")


def _nodelay(sock: socket.socket | None) -> None:
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class Screen:
    """The object app_python3 holds; ``python_exec("ask", "")`` calls :meth:`ask`."""

    def __init__(self) -> None:
        self.client = DecisionClient.from_environment()

    def child_init(self, rank: int) -> int:
        return 0

    def ask(self, msg: object, args: str = "") -> int:
        """``args``: the milliseconds left of the screening budget."""
        try:
            budget = float(args)
        except ValueError:
            budget = 0
        caller, callee = _text("$var(caller)"), _text("$var(callee)")
        got = self.client.ask(caller, callee, _text("$var(ivr_input)"), budget)
        KSR.pv.sets("$var(action)", got.action)
        KSR.pv.sets("$var(queue)", got.queue)
        KSR.pv.sets("$var(policy)", got.policy)
        KSR.pv.sets("$var(status)", got.status)
        return 1


def _text(name: str) -> str:
    """A variable's text ("" when unset: an unset $var reads as the number 0)."""
    value = KSR.pv.get(name)
    return value if isinstance(value, str) else ""


def mod_init() -> Screen:
    """app_python3's entry point (``mod_init_function``)."""
    return Screen()
