"""Complaint statistics in the shape the 12321 centre publishes them: shares by category.

"7 月份中心共收到举报 ... 件次, 其中贷款理财类、违规催收类和房产中介类居前三位, 占比分别为
30.9%、21.0% 和 14.0%": counts and one-decimal shares by category, then by region (归属地: the
province, or the country of a foreign number), carrier, hour of the day and day, and the most
reported numbers. Every count is one GROUP BY over the complaints table, the same on SQLite and
PostgreSQL; days and hours are the operator's local ones, kept with each complaint.

>>> share(309, 1000), share(1, 3), share(0, 0)
(30.9, 33.3, 0.0)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from callwarden.errors import Unprocessable
from callwarden.reputation.categories import Category
from callwarden.reputation.models import Complaint

__all__ = ["complaint_stats", "headline", "share"]

#: days listed one by one at most (a longer range is still counted in every other table)
MAX_DAYS = 3660


def share(count: int, total: int) -> float:
    """A percentage with one decimal, rounded half up as published figures are."""
    if total <= 0:
        return 0.0
    exact = Decimal(count) * 100 / Decimal(total)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _where(since: date | None, until: date | None) -> list[ColumnElement[bool]]:
    if since is not None and until is not None and since > until:
        raise Unprocessable("since", f"since {since} is after until {until}")
    out: list[ColumnElement[bool]] = []
    if since is not None:
        out.append(Complaint.day >= since)
    if until is not None:
        out.append(Complaint.day <= until)
    return out


def _grouped(
    s: Session, where: list[ColumnElement[bool]], *columns: Any, limit: int | None = None
) -> list[tuple[Any, ...]]:
    n = func.count().label("n")
    q = select(*columns, n).where(*where).group_by(*columns).order_by(n.desc(), *columns)
    return [tuple(r) for r in s.execute(q.limit(limit) if limit else q)]


def complaint_stats(
    s: Session,
    *,
    since: date | None = None,
    until: date | None = None,
    top: int = 10,
    shown: Callable[[str], str] = str,
) -> dict[str, Any]:
    """Counts and shares of the complaints on days ``since`` to ``until`` (local, inclusive).

    ``top`` bounds the list of most reported numbers; ``shown`` writes a number as the reader
    may see it (masked for roles that do not need it)."""
    where = _where(since, until)
    total = int(s.scalar(select(func.count()).select_from(Complaint).where(*where)) or 0)
    by_category = []
    for value, n in _grouped(s, where, Complaint.category):
        category = Category(value)
        by_category.append(
            {
                "category": value,
                "name_zh": category.zh,
                "name_en": category.en,
                "count": n,
                "share": share(n, total),
            }
        )
    hours = dict(_grouped(s, where, Complaint.hour))
    days = {d: n for d, n in _grouped(s, where, Complaint.day)}
    numbers = _grouped(s, where, Complaint.msisdn, limit=top)
    first, last = (min(days), max(days)) if days else (since, until)
    return {
        "total": total,
        "since": first.isoformat() if first else None,
        "until": last.isoformat() if last else None,
        "by_category": by_category,
        "by_region": [
            {"region": r, "region_en": en, "count": n, "share": share(n, total)}
            for r, en, n in _grouped(s, where, Complaint.region, Complaint.region_en)
        ],
        "by_carrier": [
            {"carrier": c, "carrier_en": en, "count": n, "share": share(n, total)}
            for c, en, n in _grouped(s, where, Complaint.carrier, Complaint.carrier_en)
        ],
        "by_hour": [{"hour": h, "count": int(hours.get(h, 0))} for h in range(24)],
        "by_day": _days(days, first, last),
        "top_numbers": [{"msisdn": shown(m), "count": n} for m, n in numbers],
        "headline": {"zh": headline(total, by_category, "zh"), "en": headline(total, by_category)},
    }


def _days(days: dict[date, int], first: date | None, last: date | None) -> list[dict[str, Any]]:
    """Every day from the first to the last complaint, quiet days as 0."""
    if first is None or last is None or not days:
        return []
    start = max(first, last - timedelta(days=MAX_DAYS - 1))
    span = (last - start).days + 1
    return [
        {"day": (d := start + timedelta(days=i)).isoformat(), "count": int(days.get(d, 0))}
        for i in range(span)
    ]


def headline(total: int, by_category: list[dict[str, Any]], language: str = "en") -> str:
    """The sentence a monthly report opens with.

    >>> rows = [{"name_zh": "贷款理财", "name_en": "loans and finance", "share": 30.9},
    ...         {"name_zh": "违规催收", "name_en": "debt collection", "share": 21.0}]
    >>> headline(1000, rows, "zh")
    '共收到举报 1,000 件次, 其中贷款理财类、违规催收类居前两位, 占比分别为 30.9%、21.0%。'
    >>> headline(0, [], "en")
    'No complaints.'
    """
    if total == 0:
        return "没有举报。" if language == "zh" else "No complaints."
    lead = by_category[:3]
    shares = [f"{c['share']:.1f}%" for c in lead]
    if language == "zh":
        places = {1: "第一位", 2: "前两位", 3: "前三位"}[len(lead)]
        names = "、".join(f"{c['name_zh']}类" for c in lead)
        each = "分别为 " if len(lead) > 1 else ""
        return f"共收到举报 {total:,} 件次, 其中{names}居{places}, 占比{each}{'、'.join(shares)}。"
    names = ", ".join(c["name_en"] for c in lead)
    return f"{total:,} complaints; the most were {names}: {', '.join(shares)}."
