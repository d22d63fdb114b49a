"""The pre-dial check: a business's token and a dial in, ``{allowed, reasons}`` out, logged.

Everything a check reads is in memory: the consent and refusal registers
(:mod:`callwarden.compliance.table`), the businesses with their policies, and the dials each
person got lately (for the frequency limits). A background thread keeps them current from the
database every ``poll`` seconds (:mod:`callwarden.compliance.feed`). Every check, allowed or
not, goes to ``outbound_checks`` through the batched log of hotline screening
(:class:`callwarden.screen.decisions.DecisionLog`): durable within ``log_interval`` seconds
plus one insert. The frequency limits count the dials this service allowed.

>>> from datetime import UTC, datetime
>>> from callwarden.cases.db import open_database
>>> from callwarden.compliance.businesses import add_business
>>> db = open_database("sqlite://")
>>> with db.sessions.begin() as s:
...     token = add_business(s, "seaview", 'lines = ["02161234567"]',
...                          datetime(2026, 12, 1, tzinfo=UTC))
>>> checker = Checker(db).start(background=False)
>>> dial = DialIn(business="seaview", caller_line="021-6123-4567", callee="13812345678",
...               time="2026-12-02T10:00:00+08:00")
>>> answer = checker.check(token, dial)
>>> answer["allowed"], [r["code"] for r in answer["reasons"]]
(False, ['no_consent'])
>>> checker.close()
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import func, select

from callwarden.cases.db import Database
from callwarden.compliance.businesses import BusinessState, load_businesses
from callwarden.compliance.feed import RegisterFeed, Registers
from callwarden.compliance.models import Business, Check, Consent, Refusal
from callwarden.compliance.rules import Reason, consent_state, describe, refused
from callwarden.compliance.table import moment, stamp
from callwarden.errors import Forbidden, Unauthorized, Unprocessable
from callwarden.numbers import is_chinese_mobile_national, presented_number
from callwarden.refresher import Refresher
from callwarden.screen.callers import key_of
from callwarden.screen.decisions import DecisionLog
from callwarden.screen.hotlines import digest

__all__ = ["Checker", "DialIn"]

log = logging.getLogger("callwarden.compliance")
#: fold an overlay into its arrays once it holds this many people
_COMPACT_AT = 200_000
#: a dial's time must fall in these years (the registers' moments are kept as uint32 seconds)
_YEARS = (2000, 2100)


def _printable(value: str) -> str:
    if not value.isprintable():
        raise ValueError("holds characters that are not printable")
    return value


class DialIn(BaseModel):
    """One dial a seat is about to make."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    business: str = Field(min_length=1, max_length=64)
    #: the number the call will present (one of the business's registered lines)
    caller_line: str = Field(min_length=1, max_length=64)
    callee: str = Field(min_length=1, max_length=64)
    #: ISO 8601; without a zone it is read in the business policy's time zone
    time: datetime

    _check_text = field_validator("business", "caller_line", "callee")(_printable)


class Checker:
    """Checks dials for every business in one database."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], datetime] | None = None,
        poll: float = 1.0,
        log_interval: float = 0.5,
        registers: Registers | None = None,
    ) -> None:
        self.db = db
        self.clock = clock or (lambda: datetime.now(UTC))
        self.poll = poll
        self.feed = RegisterFeed(db)
        self.registers = registers
        self.log = DecisionLog(db, interval=log_interval, table=Check)
        self._by_token: dict[str, BusinessState] = {}
        self._seen: tuple[Any, ...] = ()
        #: (business id, person key) -> stamps of the dials allowed lately, oldest first
        self._dials: dict[tuple[int, int], list[int]] = {}
        self._lock = threading.Lock()
        self._refresher = Refresher(
            db, self.refresh, poll=poll, name="outbound-feed", log=log, label="outbound"
        )

    # -- keeping current -------------------------------------------------------------------
    def start(self, *, background: bool = True) -> Checker:
        """Load the registers, businesses and recent dials; start the log writer and refresher."""
        if self.registers is None:
            self.registers = self.feed.load()
        else:  # registers given (a benchmark's): follow the tables from their newest rows on
            with self.db.reads() as s:
                self.feed.consents.last = s.scalar(select(func.max(Consent.id))) or 0
                self.feed.refusals.last = s.scalar(select(func.max(Refusal.id))) or 0
        self._reload_businesses()
        longest = max((b.policy.longest_window_s for b in self._by_token.values()), default=0)
        if longest:
            since = self.clock() - timedelta(seconds=longest)
            self._dials = self.feed.recent_dials(since)
        self.log.start()
        if background:
            self._refresher.start()
        return self

    def refresh(self) -> int:
        """Catch up with the registers and the businesses; the rows applied."""
        with self._lock:
            registers = self.registers
            if registers is None:
                return 0
            applied = self.feed.catch_up(registers)
            for tables in (registers.consents, registers.refusals):
                for business, table in list(tables.items()):
                    if len(table.overlay) >= _COMPACT_AT:
                        tables[business] = table.compacted()
            self._reload_businesses()
            return applied

    def _reload_businesses(self) -> None:
        with self.db.reads() as s:
            seen = tuple(
                s.execute(select(func.count(Business.id), func.max(Business.updated_at))).one()
            )
            if seen == self._seen:
                return
            states = load_businesses(s)
        self._by_token = {b.token_hash: b for b in states}
        self._seen = seen

    def close(self) -> None:
        self._refresher.stop()
        self.log.close()

    # -- checking ----------------------------------------------------------------------------
    def business(self, token: str | None) -> BusinessState:
        """The business a bearer token belongs to."""
        state = self._by_token.get(digest(token)) if token else None
        if state is None:
            raise Unauthorized("give the business's API token (callwarden outbound business add)")
        return state

    def check(self, token: str | None, dial: DialIn) -> dict[str, Any]:
        """The answer for one dial by the token's business, logged; the API's answer."""
        business = self.business(token)
        if dial.business != business.name:
            raise Forbidden(
                f"business: this token checks dials of {business.name!r}, not {dial.business!r}",
                "business",
            )
        policy = business.policy
        line, _ = _number(dial.caller_line, policy.home_country, "caller_line")
        callee, key = _number(dial.callee, policy.home_country, "callee")
        at = dial.time if dial.time.tzinfo else dial.time.replace(tzinfo=policy.zone)
        if not _YEARS[0] <= at.year < _YEARS[1]:
            raise Unprocessable("time", f"give a time between {_YEARS[0]} and {_YEARS[1]}")
        reasons = self.evaluate(business, line, callee, key, at)
        return {
            "allowed": not reasons,
            "reasons": [r.as_dict() for r in reasons],
            "business": business.name,
            "callee": callee,
        }

    def evaluate(
        self, business: BusinessState, line: str, callee: str, key: int, at: datetime
    ) -> list[Reason]:
        """The broken rules of one dial (none: allowed), logged; an allowed dial is counted."""
        policy = business.policy
        registers = self.registers if self.registers is not None else _NONE
        t = stamp(at)
        reasons: list[Reason] = []
        if line not in policy.line_set:
            reasons.append(describe("line_not_registered", line=line))
        consent = registers.consents.get(business.id)
        g, e, w = (consent.lookup(key) if consent is not None else None) or (0, 0, 0)
        state = consent_state(g, e, w, t) if g or w else "none"
        refusal = registers.refusals.get(business.id)
        found = refusal.lookup(key) if refusal is not None else None
        if found is not None and refused(found[0], consent=(state, g), t=t):
            reasons.append(describe("refused", when=_day(found[0], policy.timezone)))
        if policy.consent_required and state != "valid":
            when = _day(w if state == "withdrawn" else e, policy.timezone)
            reasons.append(describe(_CONSENT_CODE[state], when=when))
        if not policy.inside_hours(at, callee):
            local = at.astimezone(policy.zone).strftime("%a %H:%M")
            windows = ", ".join(f"{w.start:%H:%M}-{w.end:%H:%M}" for w in policy.hours.windows)
            reasons.append(describe("outside_hours", local=local, windows=windows))
        dials = self._dials.get((business.id, key), [])
        if dials:
            dials = [d for d in dials if d > t - policy.longest_window_s]
        for limit in policy.limits:
            count = sum(1 for d in dials if t - limit.days * 86_400 < d <= t)
            if count >= limit.calls:
                reasons.append(
                    describe("frequency", days=limit.days, count=count, calls=limit.calls)
                )
                break
        if not reasons and policy.limits:
            dials.append(t)
        if dials:
            self._dials[(business.id, key)] = dials
        else:
            self._dials.pop((business.id, key), None)
        self.log.append(
            {
                "business_id": business.id,
                "at": at.astimezone(UTC),
                "checked_at": self.clock(),
                "caller_line": line,
                "callee": callee,
                "callee_key": key,
                "allowed": not reasons,
                "reasons": [r.code for r in reasons],
            }
        )
        return reasons


_NONE = Registers()
#: a Chinese mobile as diallers send it (national, 86 or +86 in front): no phonenumbers call
_PLAIN_MOBILE = re.compile(r"(?:\+?86)?(1[0-9]{10})")


def _number(raw: str, home: str, field: str) -> tuple[str, int]:
    """A dialled number as stored and its key; 422 naming ``field`` when nobody can own it."""
    text = raw.strip()
    plain = _PLAIN_MOBILE.fullmatch(text) if home == "CN" else None
    if plain is not None and is_chinese_mobile_national(plain.group(1)):
        national = plain.group(1)
        return "+86" + national, int("86" + national)
    stored, flag, reason = presented_number(text[:64], home)
    key = key_of(stored) if stored is not None else None
    if stored is None or key is None:
        raise Unprocessable(field, f"{raw[:64]!r} is not a phone number ({reason})")
    if flag is not None:
        raise Unprocessable(field, f"{stored} is not a number anyone can own ({flag})")
    return stored, key


_CONSENT_CODE = {
    "none": "no_consent",
    "expired": "consent_expired",
    "withdrawn": "consent_withdrawn",
}


def _day(value: int, zone: str) -> str:
    """A stamp as the local date and time a person reads (``2026-07-08 14:23``)."""
    at = moment(value)
    if at is None:
        return "-"
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
