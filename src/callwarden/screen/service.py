"""The decision service: a hotline's token and a call in, a decision out, logged.

Everything a decision reads is in memory: the marks (:mod:`callwarden.screen.marktable`) and the
hotlines with their policies in force; only a call that keys a business code also reads and
writes the database (the wrong codes each caller keyed lately, shared by every worker). A
background thread keeps them current from the database (:mod:`callwarden.screen.feed`):
``LISTEN callwarden_screen`` on PostgreSQL, a poll of the change log every ``poll`` seconds on
SQLite. Decisions go to the batched log (:mod:`callwarden.screen.decisions`). The same thread
drops, every :data:`EXPIRE_EVERY` by the screener's clock, the wrong codes no challenge window
counts any more (a caller who never called back left them).

>>> from datetime import UTC, datetime
>>> from callwarden.cases.db import open_database
>>> from callwarden.screen.hotlines import add_hotline
>>> db = open_database("sqlite://")
>>> with db.sessions.begin() as s:
...     token = add_hotline(s, "acme", "4001234567", datetime(2026, 12, 1, tzinfo=UTC))
>>> screener = Screener(db).start()
>>> call = ScreenIn(caller="13812345678", callee="4001234567", time="2026-12-01T10:00:00+08:00")
>>> screener.screen(token, call)["action"]
'allow'
>>> screener.close()
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import delete, func, select

from callwarden.cases.access import serialise
from callwarden.cases.db import Database
from callwarden.errors import Forbidden, Unauthorized, Unprocessable
from callwarden.numbers import try_normalise
from callwarden.refresher import Refresher
from callwarden.reputation.categories import Category
from callwarden.screen.callers import Caller, caller_of
from callwarden.screen.decide import Decision, decide
from callwarden.screen.decisions import DecisionLog
from callwarden.screen.feed import MarkFeed
from callwarden.screen.hotlines import HotlineState, digest, load_hotlines
from callwarden.screen.marktable import MarkTable
from callwarden.screen.models import Hotline, HotlinePolicy, WrongCode

__all__ = ["EXPIRE_EVERY", "WRONG_CODES_KEPT", "ScreenIn", "Screener"]

log = logging.getLogger("callwarden.screen")
#: fold the overlay into the arrays once it holds this many numbers
_COMPACT_AT = 200_000
#: how often the refresher drops the wrong codes that have left every challenge window
EXPIRE_EVERY = timedelta(minutes=10)
#: wrong codes are kept this long beyond the longest challenge window in force: a switch whose
#: clock is behind the screener's still finds the tries of its caller's window
WRONG_CODES_KEPT = timedelta(hours=1)


class ScreenIn(BaseModel):
    """One call to screen, as the SIP edge sends it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    #: the presented caller number: anything a switch or a spoofer presents is screened (a
    #: value that is no number is an odd caller, not an error)
    caller: str = Field(max_length=256)
    callee: str = Field(min_length=1, max_length=64)
    #: ISO 8601; without a zone it is read in the policy's time zone
    time: datetime
    #: the digits the caller keyed at the IVR challenge, when asked
    ivr_input: str | None = Field(default=None, max_length=32, pattern=r"^[0-9*#]*$")

    @field_validator("time")
    @classmethod
    def _plausible(cls, value: datetime) -> datetime:
        # a switch's clock, not a date arithmetic can overflow on (year 1 in +08:00)
        if not 2000 <= value.year <= 2999:
            raise ValueError("is not a call's time (give the year 2000 to 2999)")
        return value

    @field_validator("callee")
    @classmethod
    def _printable(cls, value: str) -> str:
        if not value.isprintable():
            raise ValueError("holds characters that are not printable")
        return value


class Screener:
    """Screens calls for every hotline in one database."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], datetime] | None = None,
        poll: float = 1.0,
        log_interval: float = 0.5,
        table: MarkTable | None = None,
    ) -> None:
        self.db = db
        self.clock = clock or (lambda: datetime.now(UTC))
        self.poll = poll
        self.feed = MarkFeed(db)
        self.table = table
        self.log = DecisionLog(db, interval=log_interval)
        self._by_token: dict[str, HotlineState] = {}
        self._hotlines_seen: tuple[Any, ...] = ()
        self._lock = threading.Lock()
        self._expire_at: datetime | None = None
        self._refresher = Refresher(
            db,
            self.refresh,
            poll=poll,
            name="screen-feed",
            channel="callwarden_screen",
            log=log,
            label="screening",
        )

    # -- keeping current -------------------------------------------------------------------
    def start(self, *, background: bool = True) -> Screener:
        """Load the marks and hotlines; start the log writer and the refresher thread."""
        if self.table is None:
            self.table = self.feed.load(self.clock())
        else:  # a table given (a benchmark's): follow the log from now on
            self.feed.last_event = self.feed.newest()
        self._reload_hotlines()
        self.log.start()
        if background:  # LISTEN callwarden_screen on PostgreSQL, a poll on SQLite
            self._refresher.start()
        return self

    def refresh(self) -> int:
        """Catch up with the marks' change log and the hotlines, and drop the wrong codes that
        have expired when :data:`EXPIRE_EVERY` has passed; the numbers updated."""
        with self._lock:
            table = self.table
            if table is None:
                return 0
            updated = self.feed.catch_up(table)
            if len(table.overlay) >= _COMPACT_AT:
                self.table = table.compacted()
            self._reload_hotlines()
        now = self.clock()
        if self._expire_at is None or now >= self._expire_at:
            self._expire_at = now + EXPIRE_EVERY
            self.expire_wrong_codes(now)
        return updated

    def expire_wrong_codes(self, now: datetime) -> int:
        """Drop the wrong codes keyed before the longest challenge window in force (and
        :data:`WRONG_CODES_KEPT` more) as of ``now``: no call counts them any more. Most are
        dropped by the caller's next wrong code; these are the callers who never came back.
        How many rows were dropped."""
        longest = max(
            (
                h.policy.challenge.window_minutes
                for h in self._by_token.values()
                if h.policy.challenge
            ),
            default=30,
        )
        before = now.astimezone(UTC) - timedelta(minutes=longest) - WRONG_CODES_KEPT
        with self.db.sessions.begin() as s:
            done = s.execute(delete(WrongCode).where(WrongCode.at < before))
        return int(getattr(done, "rowcount", 0))

    def _reload_hotlines(self) -> None:
        with self.db.reads() as s:
            count, updated = s.execute(
                select(func.count(Hotline.id), func.max(Hotline.updated_at))
            ).one()
            seen = (count, updated, s.scalar(select(func.max(HotlinePolicy.id))))
            if seen == self._hotlines_seen:
                return
            states = load_hotlines(s)
        self._by_token = {h.token_hash: h for h in states}
        self._hotlines_seen = seen

    def close(self) -> None:
        self._refresher.stop()
        self.log.close()

    # -- deciding ----------------------------------------------------------------------------
    def hotline(self, token: str | None) -> HotlineState:
        """The hotline a bearer token belongs to."""
        state = self._by_token.get(digest(token)) if token else None
        if state is None:
            raise Unauthorized("give the hotline's API token (callwarden hotline add prints it)")
        return state

    def screen(self, token: str | None, call: ScreenIn) -> dict[str, Any]:
        """The decision for one call to the token's hotline, logged; the API's answer."""
        hotline = self.hotline(token)
        callee, _ = try_normalise(call.callee)
        if callee is None:
            raise Unprocessable("callee", f"{call.callee!r} is not a phone number")
        if callee != hotline.number:
            raise Forbidden(
                f"callee: this token screens calls to {hotline.number}, not {callee}", "callee"
            )
        at = call.time if call.time.tzinfo else call.time.replace(tzinfo=hotline.policy.zone)
        decision = self.decide(hotline, call.caller, at, call.ivr_input)
        return {
            "action": decision.action,
            "queue": decision.queue,
            "reasons": [r.as_dict() for r in decision.reasons],
            "policy_version": hotline.version,
        }

    def decide(
        self, hotline: HotlineState, raw_caller: str, at: datetime, ivr_input: str | None = None
    ) -> Decision:
        """Decide and log one call (no token or callee check: the caller did them)."""
        table = self.table
        caller = caller_of(raw_caller, hotline.policy.home_country)
        marks = table.lookup(caller.key, at) if table is not None and caller.key else []
        decision = decide(hotline.policy, caller, marks, at, ivr_input)
        if ivr_input is not None and _challenged(decision):  # only then do earlier tries count
            key = caller.stored or raw_caller[:64]
            if decision.wrong_code:  # the tries before it say: ask again, or block
                decision = self._keyed(hotline, caller, key, marks, at, ivr_input)
            else:  # the right code passes whatever came before: forget those tries
                self._forget(hotline.id, key)
        self.log.append(
            {
                "hotline_id": hotline.id,
                "at": at.astimezone(UTC),
                "decided_at": self.clock(),
                "caller": caller.stored or _cleaned(raw_caller),
                "caller_flag": caller.flag,
                "action": decision.action,
                "queue": decision.queue,
                "category": decision.category,
                "score": None if decision.score is None else round(decision.score, 4),
                "country": caller.country,
                "region": caller.region_zh[:64],
                "policy_version": hotline.version,
                "reasons": [r.code for r in decision.reasons],
            }
        )
        return decision

    def _keyed(
        self,
        hotline: HotlineState,
        caller: Caller,
        key: str,
        marks: list[tuple[Category, float]],
        at: datetime,
        ivr_input: str,
    ) -> Decision:
        """Decide a call that keyed a wrong code, counting wrong codes in the database.

        One transaction per wrong code, serialised per (hotline, caller): the tries in the
        window are counted, the call decided and the try recorded before the next try of the
        same caller is counted, whichever worker or thread it reaches. So a caller gets
        exactly ``retries`` tries however many workers serve and however many arrive at once.
        """
        window = hotline.policy.challenge.window_minutes if hotline.policy.challenge else 30
        utc = at.astimezone(UTC)
        since = utc - timedelta(minutes=window)
        mine = (WrongCode.hotline_id == hotline.id, WrongCode.caller == key)
        with self.db.sessions.begin() as s:
            serialise(s, f"screen-wrong-code:{hotline.id}:{key}")
            s.execute(delete(WrongCode).where(*mine, WrongCode.at < since))
            failures = s.scalar(
                select(func.count()).select_from(WrongCode).where(*mine, WrongCode.at <= utc)
            )
            decision = decide(hotline.policy, caller, marks, at, ivr_input, failures or 0)
            s.add(WrongCode(hotline_id=hotline.id, caller=key, at=utc))
        return decision

    def _forget(self, hotline_id: int, key: str) -> None:
        """The caller passed the challenge: their wrong tries no longer count."""
        mine = (WrongCode.hotline_id == hotline_id, WrongCode.caller == key)
        with self.db.reads() as s:  # most who pass never keyed a wrong code: no write then
            tried = s.scalar(select(WrongCode.id).where(*mine).limit(1))
        if tried is not None:
            with self.db.sessions.begin() as s:
                s.execute(delete(WrongCode).where(*mine))


def _challenged(decision: Decision) -> bool:
    """Whether the decision went through the IVR challenge (a keyed code was checked)."""
    return any(r.code.startswith("challenge") for r in decision.reasons)


def _cleaned(raw: str) -> str:
    """A presented value that is no number, safe to store: printable ASCII, at most 64."""
    text = "".join(ch if ch.isascii() and ch.isprintable() else "?" for ch in raw[:64])
    return text or "(empty)"
