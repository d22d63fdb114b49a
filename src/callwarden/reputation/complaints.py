"""Complaints (12321 举报): a nuisance report about a number, filed into the marks book.

Each complaint is kept with where the number is from (:mod:`callwarden.reputation.region`), the
call's local day and hour, the number's case (open, else its latest), and the report it made in
the marks book (source ``complaint``, weighed by the complainant's record).

Who files, and as whom the marks book knows the complainant:

- a **subscriber**, on a self-service session (their number proven by a one-time code), about a
  call they received: the complainant is their own number, as a pseudonym;
- an **agent**, taking a complaint by phone or in a business hall, naming the caller's number
  as complainant (or nobody);
- a **partner feed** (a system token: the 12321 centre's forward, a hotline's screening),
  naming its own complainant ids, kept apart by the feed's name;
- a **file** (``callwarden complaints import``), like a feed named by ``--feed``.

Nobody files anonymously: an open form would let anyone mark an honest business.

>>> category_of_complaint("贷款理财类"), category_of_complaint("loans and finance")
(<Category.LOANS_FINANCE: 'loans_finance'>, <Category.LOANS_FINANCE: 'loans_finance'>)
>>> category_of_complaint("快递")
Traceback (most recent call last):
...
ValueError: '快递' is a benign category, not a complaint; give one of fraud (诈骗), ...
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, Field, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callwarden.cases import access
from callwarden.cases.access import Actor
from callwarden.cases.machine import Role
from callwarden.cases.models import Case, NumberStatus
from callwarden.cases.schemas import FIRST_YEAR, LAST_YEAR, _In, presented_of
from callwarden.errors import Conflict, Forbidden, NotFound, RateLimited, Unprocessable
from callwarden.numbers import mask, try_normalise
from callwarden.reputation.book import SCORING, marks_of, report
from callwarden.reputation.categories import Category, Source
from callwarden.reputation.models import Complaint, Mark
from callwarden.reputation.region import origin

if TYPE_CHECKING:
    from callwarden.cases.service import CaseService

__all__ = [
    "ComplaintIn",
    "Filer",
    "category_of_complaint",
    "complaint_detail",
    "complaint_view",
    "file_complaint",
    "file_one",
    "filer_of",
    "list_complaints",
    "pseudonym",
]

#: how a complaint names its category: our value, the Chinese or English name, and the words
#: 12321 and callees use (a trailing 类 is dropped: 贷款理财类)
_ALIASES = {"骚扰": Category.MARKETING, "推销": Category.MARKETING, "广告推销": Category.MARKETING}
_COMPLAINABLE = tuple(c for c in Category if not c.benign)
_NAMES = ", ".join(f"{c.value} ({c.zh})" for c in _COMPLAINABLE)
#: a call time this far ahead of the clock is a mistake, not a clock skew
_SKEW = timedelta(minutes=10)


def category_of_complaint(text: str) -> Category:
    """The unwanted category a complaint names, by value, Chinese or English name."""
    key = text.strip().removesuffix("类").strip()
    found = _ALIASES.get(key)
    for category in Category:
        if key.lower() in (category.value, category.en) or key == category.zh:
            found = category
    if found is None:
        raise ValueError(f"{text!r} is not a complaint category; give one of {_NAMES}")
    if found.benign:
        raise ValueError(f"{text!r} is a benign category, not a complaint; give one of {_NAMES}")
    return found


class ComplaintIn(_In):
    """One complaint as the API and the import take it."""

    #: the number complained about (the caller), as dialled or E.164
    msisdn: str = Field(max_length=40)
    category: Category
    #: when the call came; the complaint's own time when not given
    called_at: AwareDatetime | None = None
    #: the complainant: their phone number, or the feed's id for them (staff and feeds only)
    reporter: str | None = Field(default=None, min_length=1, max_length=64)
    #: the feed's id of this complaint (a 12321 ticket number): filed once only
    external_id: str | None = Field(default=None, min_length=1, max_length=64)
    text: str | None = Field(default=None, max_length=2000)

    @field_validator("msisdn")
    @classmethod
    def _number(cls, v: str) -> str:
        return presented_of(v)

    @field_validator("category", mode="before")
    @classmethod
    def _category(cls, v: Any) -> Any:
        return category_of_complaint(v) if isinstance(v, str) else v

    @field_validator("called_at")
    @classmethod
    def _plausible(cls, v: datetime | None) -> datetime | None:
        if v is not None and not FIRST_YEAR <= v.year <= LAST_YEAR:
            raise ValueError(f"must fall between {FIRST_YEAR} and {LAST_YEAR}")
        return v


@dataclass(frozen=True)
class Filer:
    """Who files: the channel, the name kept with the complaint, and for a subscriber their
    own number (the complainant)."""

    channel: str
    name: str
    own_number: str | None = None


def filer_of(actor: Actor) -> Filer:
    """The filer an API caller is; technicians do not take complaints."""
    if actor.role is Role.customer:
        return Filer("self_service", "customer", actor.msisdn)
    if actor.role is Role.technician:
        raise Forbidden("a technician may not file complaints")
    channel = "partner" if actor.role is Role.system else "staff"
    return Filer(channel, f"{actor.role.value}:{actor.name}")


def pseudonym(e164: str) -> str:
    """The marks book's name for a complainant who is a phone number: the same person whatever
    channel they use, and no number in the provenance staff read.

    >>> pseudonym("+8613812345678")
    'tel:8aab38d22de4f8c1888247fd041f0371'
    """
    digest = hashlib.sha256(f"callwarden reporter {e164}".encode()).hexdigest()
    return "tel:" + digest[:32]


def _reporter(filer: Filer, given: str | None) -> str | None:
    if filer.own_number is not None:
        return pseudonym(filer.own_number)
    if given is None:
        return None
    e164, _ = try_normalise(given)
    return pseudonym(e164) if e164 is not None else f"{filer.name}:{given}"[:64]


def _case_of(s: Session, msisdn: str) -> int | None:
    status = s.get(NumberStatus, msisdn)
    if status is not None and status.open_case_id is not None:
        return status.open_case_id
    return s.scalar(select(Case.id).where(Case.msisdn == msisdn).order_by(Case.id.desc()).limit(1))


def _checks(
    s: Session,
    c: ComplaintIn,
    filer: Filer,
    reporter: str | None,
    day: date,
    now: datetime,
    per_day: int | None,
) -> str | None:
    """Refuse what must not be filed; the external id to keep."""
    if filer.own_number is not None:
        for field in ("reporter", "external_id"):
            if getattr(c, field) is not None:
                raise Unprocessable(field, "a subscriber files as their own number, without ids")
        if c.msisdn == filer.own_number:
            raise Unprocessable("msisdn", "that is your own number")
    if c.called_at is not None and c.called_at > now + _SKEW:
        raise Unprocessable("called_at", "is in the future")
    external = f"{filer.name}:{c.external_id}"[:96] if c.external_id else None
    if external is not None:
        seen = s.scalar(select(Complaint.id).where(Complaint.external_id == external))
        if seen is not None:
            raise Conflict(f"external_id: already filed as complaint {seen}", "external_id")
    if reporter is None:
        return external
    access.serialise(s, "complaints:" + reporter)
    if per_day is not None:
        recent = s.scalar(
            select(func.count())
            .select_from(Complaint)
            .where(Complaint.reporter == reporter, Complaint.received_at > now - timedelta(days=1))
        )
        if (recent or 0) >= per_day:
            raise RateLimited(f"reporter: {per_day} complaints in 24 hours is the most")
    again = s.scalar(
        select(Complaint.id).where(
            Complaint.reporter == reporter, Complaint.msisdn == c.msisdn, Complaint.day == day
        )
    )
    if again is not None:
        raise Conflict(
            f"msisdn: this complainant already reported this number for {day} (complaint {again})",
            "msisdn",
        )
    return external


def file_one(
    s: Session,
    c: ComplaintIn,
    filer: Filer,
    now: datetime,
    zone: ZoneInfo,
    *,
    per_day: int | None = None,
) -> Complaint:
    """File one complaint in ``s``: checked, linked to its case, reported into the marks book.

    A complainant reports a number once for a day's calls; ``per_day`` bounds how many
    complaints they file in 24 hours (live channels; a file's rows came in over time).

    Every check comes before any write, so a refused complaint leaves nothing behind. A call
    older than now weighs what the marks' decay has left of it (a complaint about a call a
    month ago counts half)."""
    reporter = _reporter(filer, c.reporter)
    called = min(c.called_at, now) if c.called_at is not None else None
    local = (called or now).astimezone(zone)
    external = _checks(s, c, filer, reporter, local.date(), now, per_day)
    where = origin(c.msisdn)
    row = Complaint(
        msisdn=c.msisdn,
        category=c.category.value,
        called_at=called,
        received_at=now,
        day=local.date(),
        hour=local.hour,
        region=where.region,
        region_en=where.region_en,
        country=where.country,
        carrier=where.carrier,
        carrier_en=where.carrier_en,
        reporter=reporter,
        channel=filer.channel,
        filed_by=filer.name,
        external_id=external,
        text=c.text or None,
        case_id=_case_of(s, c.msisdn),
    )
    s.add(row)
    s.flush()
    event = report(
        s,
        c.msisdn,
        c.category,
        Source.COMPLAINT,
        now,
        reporter=reporter,
        strength=SCORING.decay(now - called) if called is not None else 1.0,
        note=f"complaint {row.id} ({filer.name})",
    )
    s.flush()
    row.mark_event_id = event.id
    return row


def file_complaint(svc: CaseService, actor: Actor, c: ComplaintIn) -> dict[str, Any]:
    """File a complaint from an API caller; the complaint with the mark it stands in now."""
    filer = filer_of(actor)

    def work(s: Session) -> dict[str, Any]:
        now = svc.now()
        row = file_one(
            s, c, filer, now, svc.sla.calendar.zone, per_day=svc.config.complaints_per_day
        )
        mark = s.scalar(
            select(Mark).where(Mark.msisdn == row.msisdn, Mark.category == row.category)
        )
        view = complaint_view(row, actor)
        if mark is not None:
            score = round(SCORING.score(mark.evidence, now - mark.evidence_at), 4)
            view["mark"] = {"category": mark.category, "score": score, "count": mark.count}
        return view

    return svc.retrying(work)


_FULL_NUMBER = (Role.analyst, Role.supervisor, Role.system)


def complaint_view(row: Complaint, actor: Actor) -> dict[str, Any]:
    """A complaint as the API shows it (the number masked for agents and subscribers)."""
    category = Category(row.category)
    return {
        "id": row.id,
        "msisdn": row.msisdn if actor.role in _FULL_NUMBER else mask(row.msisdn),
        "category": category.value,
        "name_zh": category.zh,
        "name_en": category.en,
        "called_at": row.called_at.isoformat() if row.called_at else None,
        "received_at": row.received_at.isoformat(),
        "day": row.day.isoformat(),
        "hour": row.hour,
        "region": row.region,
        "region_en": row.region_en,
        "country": row.country,
        "carrier": row.carrier,
        "carrier_en": row.carrier_en,
        "channel": row.channel,
        "filed_by": row.filed_by,
        "external_id": row.external_id,
        "text": row.text,
        "mark_event_id": row.mark_event_id,
        "case_id": row.case_id,
    }


def list_complaints(
    s: Session, actor: Actor, *, msisdn: str | None = None, after: int = 0, limit: int = 50
) -> dict[str, Any]:
    """Complaints oldest first (about one number, when given); pass ``next`` back as ``after``."""
    if actor.role is Role.customer:
        raise Forbidden("complaints are for staff")
    q = select(Complaint).where(Complaint.id > after)
    if msisdn is not None:
        q = q.where(Complaint.msisdn == msisdn)
    rows = list(s.scalars(q.order_by(Complaint.id).limit(limit)))
    return {
        "items": [complaint_view(r, actor) for r in rows],
        "next": rows[-1].id if len(rows) == limit else None,
    }


def complaint_detail(s: Session, actor: Actor, complaint_id: int, now: datetime) -> dict[str, Any]:
    """One complaint, with its number's marks as they stand now and the case it links to."""
    row = s.get(Complaint, complaint_id)
    if row is None or actor.role is Role.customer:
        raise NotFound(f"no complaint {complaint_id}")
    marks = [
        {k: m[k] for k in ("category", "name_zh", "name_en", "score", "count", "sources")}
        for m in marks_of(s, row.msisdn, now)["marks"]
    ]
    case = s.get(Case, row.case_id) if row.case_id else None
    linked = (
        {"id": case.id, "kind": case.kind, "state": case.state, "outcome": case.outcome}
        if case
        else None
    )
    return complaint_view(row, actor) | {"marks": marks, "case": linked}
