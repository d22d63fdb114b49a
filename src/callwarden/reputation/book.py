"""The mark book: reports in, confirmations and withdrawals from cases, a number's marks out.

Every function works inside the caller's session (the case service's transaction, or the
import's), so a mark changes together with the alert or the case that changed it, or not at
all. Every change appends one :class:`~callwarden.reputation.models.MarkEvent`.

>>> from datetime import UTC, datetime
>>> from callwarden.cases.db import open_database
>>> db = open_database("sqlite://")
>>> now = datetime(2026, 12, 1, tzinfo=UTC)
>>> with db.sessions.begin() as s:
...     _ = report(s, "+8613812345678", Category.FRAUD, Source.COMPLAINT, now, reporter="u1")
...     view = marks_of(s, "+8613812345678", now)
>>> view["marks"][0]["category"], view["marks"][0]["count"], view["marks"][0]["score"]
('fraud', 1, 0.3935)
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from callwarden.cases.models import Alert, Case
from callwarden.reputation.categories import Category, Source, category_of_reason
from callwarden.reputation.models import Mark, MarkEvent, Reporter
from callwarden.reputation.scoring import Scoring

__all__ = ["SCORING", "grant", "marks_of", "on_alert", "on_case", "report", "withdraw_marks"]

SCORING = Scoring()
#: case outcomes that prove the number's marks (from that case) right, or wrong
_CONFIRMING = frozenset({"confirmed_fraud", "intercepted"})
_WITHDRAWING = frozenset({"restored", "cleared", "lifted"})
#: events that hold evidence until withdrawn
_STANDING = ("add", "confirm", "grant")


def _mark(s: Session, msisdn: str, category: Category, now: datetime) -> Mark:
    mark = s.scalar(
        select(Mark).where(Mark.msisdn == msisdn, Mark.category == category.value).with_for_update()
    )
    if mark is None:  # a parallel first report loses on the unique index and is retried
        mark = Mark(
            msisdn=msisdn,
            category=category.value,
            sources={},
            count=0,
            first_seen=now,
            last_seen=now,
            evidence=0.0,
            evidence_at=now,
        )
        s.add(mark)
        s.flush()
    return mark


def _apply(mark: Mark, weight: float, now: datetime, scoring: Scoring) -> None:
    """Bring the evidence up to ``now`` and add ``weight`` (negative: take it away)."""
    decayed = mark.evidence * scoring.decay(now - mark.evidence_at)
    mark.evidence = max(decayed + weight, 0.0)
    mark.evidence_at = max(now, mark.evidence_at)


def _reporter_weight(
    s: Session, mark: Mark, reporter: str, link: str | None, now: datetime, scoring: Scoring
) -> float:
    """The reporter's record, cut for a new reporter, damped within a burst."""
    who = s.get(Reporter, reporter, with_for_update=True)
    if who is None:
        who = Reporter(id=reporter, first_seen=now, reports=0, confirmed=0, refuted=0, link=link)
        s.add(who)
        s.flush()
    elif link is not None and who.link is None:
        who.link = link
    who.reports += 1
    young_since = now - scoring.new_reporter_age
    new = who.first_seen > young_since
    weight = scoring.reporter_weight(
        who.confirmed, who.refuted, new=new, new_factor=scoring.new_reporter_factor
    )
    if not new and who.link is None:
        return weight
    # a burst: how many reports from new or linked reporters this mark had just before
    suspect = [Reporter.first_seen > young_since]
    if who.link is not None:
        suspect.append(Reporter.link == who.link)
    recent = s.scalar(
        select(func.count())
        .select_from(MarkEvent)
        .join(Reporter, Reporter.id == MarkEvent.reporter)
        .where(
            MarkEvent.mark_id == mark.id,
            MarkEvent.action == "add",
            MarkEvent.at > now - scoring.burst_window,
            MarkEvent.reporter != reporter,
            or_(*suspect),
        )
    )
    return weight * scoring.burst_factor(recent or 0)


def report(
    s: Session,
    msisdn: str,
    category: Category,
    source: Source,
    now: datetime,
    *,
    reporter: str | None = None,
    link: str | None = None,
    strength: float = 1.0,
    alert_id: str | None = None,
    case_id: int | None = None,
    note: str | None = None,
    scoring: Scoring = SCORING,
) -> MarkEvent:
    """One report that ``msisdn`` is ``category``; the event that records it.

    ``reporter`` names who reported (their record weighs the report), ``link`` the group they
    act with (a burst from one group is damped), ``strength`` scales the report (an alert's
    score)."""
    mark = _mark(s, msisdn, category, now)
    weight = scoring.weight_of(source) * strength
    if reporter is not None:
        weight *= _reporter_weight(s, mark, reporter, link, now, scoring)
    _apply(mark, weight, now, scoring)
    mark.count += 1
    mark.sources = {**mark.sources, source.value: int(mark.sources.get(source.value, 0)) + 1}
    mark.first_seen = min(mark.first_seen, now)
    mark.last_seen = max(mark.last_seen, now)
    event = MarkEvent(
        mark_id=mark.id,
        at=now,
        action="add",
        source=source.value,
        reporter=reporter,
        weight=round(weight, 6),
        alert_id=alert_id,
        case_id=case_id,
        note=note,
    )
    s.add(event)
    return event


def on_alert(s: Session, alert: Alert, now: datetime) -> MarkEvent | None:
    """A detection alert marks its number by its top reason (none when no reason names a
    scheme); the alert's score is the report's strength. What the number's texts said
    comes first: a ``content`` reason marks by the category of its label (an SMS burst of
    police-impersonation texts is ``fraud``, not ``marketing``)."""
    reasons = sorted(alert.reasons, key=lambda r: -float(r.get("weight") or 0.0))
    reasons.sort(key=lambda r: r.get("code") != "content")  # (stable: by weight otherwise)
    for reason in reasons:
        category = _category_of(reason)
        if category is not None:
            return report(
                s,
                alert.msisdn,
                category,
                Source.DETECTION_ALERT,
                now,
                strength=alert.score,
                alert_id=alert.alert_id,
                note=str(reason.get("code")),
            )
    return None


def _category_of(reason: dict[str, Any]) -> Category | None:
    """The category a reason stands for: a content reason's label's, else its code's."""
    code = str(reason.get("code", ""))
    if code != "content":
        return category_of_reason(code)
    from callwarden.content.service import category_of_label  # noqa: PLC0415

    try:
        label = json.loads(str(reason.get("evidence") or "{}")).get("label", "")
    except (ValueError, AttributeError):
        return None
    return category_of_label(str(label))


def _case_events(s: Session, case: Case) -> list[MarkEvent]:
    """The standing events that came from this case: its alerts' reports and its confirmations."""
    alerts = select(Alert.alert_id).where(Alert.case_id == case.id)
    withdrawn = select(MarkEvent.withdraws).where(MarkEvent.withdraws.is_not(None))
    return list(
        s.scalars(
            select(MarkEvent)
            .join(Mark, Mark.id == MarkEvent.mark_id)
            .where(
                Mark.msisdn == case.msisdn,
                MarkEvent.action.in_(("add", "confirm")),
                or_(MarkEvent.case_id == case.id, MarkEvent.alert_id.in_(alerts)),
                MarkEvent.id.not_in(withdrawn),
            )
            .order_by(MarkEvent.id)
        )
    )


def _judge_reporters(s: Session, marks: set[int], *, right: bool) -> None:
    """The reporters of these marks were proven right (or wrong)."""
    reporters = s.scalars(
        select(MarkEvent.reporter)
        .where(MarkEvent.mark_id.in_(marks), MarkEvent.reporter.is_not(None))
        .distinct()
    ).all()
    for name in reporters:
        who = s.get(Reporter, name, with_for_update=True)
        if who is not None:
            if right:
                who.confirmed += 1
            else:
                who.refuted += 1


def on_case(
    s: Session, case: Case, action: str, now: datetime, scoring: Scoring = SCORING
) -> list[MarkEvent]:
    """What a case action means for the number's marks: a confirmed case (a rejected request,
    a confirmed interception) strengthens the marks its alerts made; a case that gave the number
    back (restored, cleared, lifted) withdraws them. Each at most once per case."""
    if action not in ("reject", "review", "restore"):
        return []
    done = s.scalar(
        select(func.count())
        .select_from(MarkEvent)
        .where(MarkEvent.case_id == case.id, MarkEvent.action.in_(("confirm", "withdraw")))
    )
    if case.outcome in _CONFIRMING and not done:
        return _confirm(s, case, now, scoring)
    if case.outcome in _WITHDRAWING and case.closed_at == now:
        return _withdraw(s, case, now, scoring)
    return []


def _confirm(s: Session, case: Case, now: datetime, scoring: Scoring) -> list[MarkEvent]:
    marks = {ev.mark_id for ev in _case_events(s, case)}
    out = []
    for mark_id in sorted(marks):
        mark = s.get(Mark, mark_id, with_for_update=True)
        if mark is None:  # an event's mark is there (foreign key); be safe
            continue
        _apply(mark, scoring.confirm_weight, now, scoring)
        mark.last_seen = max(mark.last_seen, now)
        out.append(
            MarkEvent(
                mark_id=mark_id,
                at=now,
                action="confirm",
                source="case",
                weight=scoring.confirm_weight,
                case_id=case.id,
                note=f"case {case.id}: {case.outcome}",
            )
        )
    s.add_all(out)
    _judge_reporters(s, marks, right=True)
    return out


def _take_back(
    s: Session, ev: MarkEvent, now: datetime, scoring: Scoring, case_id: int, note: str
) -> MarkEvent | None:
    """Withdraw one standing event from its mark: the evidence it still holds, its report."""
    mark = s.get(Mark, ev.mark_id, with_for_update=True)
    if mark is None:  # an event's mark is there (foreign key); be safe
        return None
    left = ev.weight * scoring.decay(now - ev.at)
    _apply(mark, -left, now, scoring)
    if ev.action in ("add", "grant"):  # a report (or a granted label) no longer stands
        mark.count = max(mark.count - 1, 0)
        standing = int(mark.sources.get(ev.source, 0)) - 1
        sources = {k: v for k, v in mark.sources.items() if k != ev.source}
        mark.sources = sources | ({ev.source: standing} if standing > 0 else {})
    return MarkEvent(
        mark_id=ev.mark_id,
        at=now,
        action="withdraw",
        source=ev.source,
        weight=-round(left, 6),
        case_id=case_id,
        withdraws=ev.id,
        note=note,
    )


def _withdraw(s: Session, case: Case, now: datetime, scoring: Scoring) -> list[MarkEvent]:
    note = f"case {case.id}: {case.outcome}"
    taken = [_take_back(s, ev, now, scoring, case.id, note) for ev in _case_events(s, case)]
    out = [ev for ev in taken if ev is not None]
    s.add_all(out)
    _judge_reporters(s, {ev.mark_id for ev in out}, right=False)
    return out


def withdraw_marks(
    s: Session,
    msisdn: str,
    categories: list[Category],
    now: datetime,
    *,
    case_id: int,
    note: str,
    scoring: Scoring = SCORING,
) -> list[MarkEvent]:
    """Take these marks off the number (an upheld appeal): every report and confirmation still
    standing is withdrawn, one event each, and the reporters are counted as proven wrong. The
    marks stay, empty, with their history; later reports mark the number again."""
    marks = s.scalars(
        select(Mark)
        .where(Mark.msisdn == msisdn, Mark.category.in_([c.value for c in categories]))
        .order_by(Mark.id)
        .with_for_update()
    ).all()
    events = s.scalars(
        select(MarkEvent).where(MarkEvent.mark_id.in_([m.id for m in marks])).order_by(MarkEvent.id)
    ).all()
    gone = {ev.withdraws for ev in events if ev.withdraws is not None}
    standing = [ev for ev in events if ev.action in _STANDING and ev.id not in gone]
    taken = [_take_back(s, ev, now, scoring, case_id, note) for ev in standing]
    out = [ev for ev in taken if ev is not None]
    for mark in marks:  # nothing stands: no rounding left over
        mark.evidence, mark.evidence_at, mark.count, mark.sources = 0.0, now, 0, {}
    s.add_all(out)
    _judge_reporters(s, {m.id for m in marks}, right=False)
    return out


def grant(
    s: Session,
    msisdn: str,
    category: Category,
    now: datetime,
    *,
    case_id: int,
    note: str,
    scoring: Scoring = SCORING,
) -> MarkEvent:
    """A case grants the number a benign label (认证企业 after an upheld application): one
    event adding ``scoring.grant_weight``, counted under the source ``appeal``; the label fades
    like any mark unless renewed."""
    mark = _mark(s, msisdn, category, now)
    _apply(mark, scoring.grant_weight, now, scoring)
    mark.count += 1
    mark.sources = {**mark.sources, "appeal": int(mark.sources.get("appeal", 0)) + 1}
    mark.last_seen = max(mark.last_seen, now)
    event = MarkEvent(
        mark_id=mark.id,
        at=now,
        action="grant",
        source="appeal",
        weight=scoring.grant_weight,
        case_id=case_id,
        note=note,
    )
    s.add(event)
    return event


def marks_of(s: Session, msisdn: str, now: datetime, scoring: Scoring = SCORING) -> dict[str, Any]:
    """A number's marks, strongest first, each with its provenance (every event, oldest first)."""
    marks = s.scalars(select(Mark).where(Mark.msisdn == msisdn)).all()
    events = s.scalars(
        select(MarkEvent).where(MarkEvent.mark_id.in_([m.id for m in marks])).order_by(MarkEvent.id)
    ).all()
    out: list[dict[str, Any]] = []
    for mark in marks:
        category = Category(mark.category)
        out.append(
            {
                "category": category.value,
                "name_zh": category.zh,
                "name_en": category.en,
                "benign": category.benign,
                "score": round(scoring.score(mark.evidence, now - mark.evidence_at), 4),
                "count": mark.count,
                "sources": dict(sorted(mark.sources.items())),
                "first_seen": mark.first_seen.isoformat(),
                "last_seen": mark.last_seen.isoformat(),
                "events": [
                    {
                        "id": ev.id,
                        "at": ev.at.isoformat(),
                        "action": ev.action,
                        "source": ev.source,
                        "reporter": ev.reporter,
                        "weight": ev.weight,
                        "alert_id": ev.alert_id,
                        "case_id": ev.case_id,
                        "withdraws": ev.withdraws,
                        "note": ev.note,
                    }
                    for ev in events
                    if ev.mark_id == mark.id
                ],
            }
        )
    out.sort(key=lambda m: (-m["score"], m["category"]))
    return {"msisdn": msisdn, "marks": out}
