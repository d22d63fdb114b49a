"""Business time: how many working seconds lie between two instants, and when a budget ends.

SLA clocks count only working hours on working days (weekdays minus public holidays, plus the
weekend days that are worked instead). Times go in and come out as aware UTC datetimes; the
calendar itself is read in the operator's zone.

>>> from datetime import datetime, UTC
>>> cal = BusinessCalendar(CalendarConfig())
>>> friday_5pm = datetime(2026, 7, 10, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai
>>> cal.add(friday_5pm, 2 * 3600).isoformat()  # one hour on Friday, one on Monday
'2026-07-13T02:00:00+00:00'
>>> cal.seconds_between(friday_5pm, cal.add(friday_5pm, 2 * 3600))
7200
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from callwarden.cases.config import CalendarConfig

__all__ = ["BusinessCalendar"]

_MAX_DAYS = 3660  # ten years: a budget that needs longer is a configuration error


class BusinessCalendar:
    """Working-hours arithmetic on one :class:`CalendarConfig`."""

    def __init__(self, config: CalendarConfig) -> None:
        self.config = config
        self.zone = ZoneInfo(config.timezone)
        self._holidays = set(config.holidays)
        self._extra = set(config.extra_workdays)

    def missing_year(self, day: date) -> str | None:
        """Why the calendar cannot be trusted on ``day``: it lists public holidays, but none
        in ``day``'s year (the State Council publishes each year's days off and make-up days
        late in the year before, and the operator adds them), so that year's holidays would
        count as working days. None when the year is covered or no holidays are kept at all.

        >>> cal = BusinessCalendar(CalendarConfig())
        >>> cal.missing_year(date(2026, 7, 8)) is None
        True
        >>> cal.missing_year(date(2027, 1, 4))  # doctest: +ELLIPSIS
        'the SLA calendar lists no public holidays for 2027: add them ...'
        """
        listed = self._holidays | self._extra
        if not listed or any(d.year == day.year for d in listed):
            return None
        return (
            f"the SLA calendar lists no public holidays for {day.year}: add them ([calendar] "
            "holidays and extra_workdays in the case settings), or its holidays count as "
            "working days"
        )

    def is_workday(self, day: date) -> bool:
        if day in self._extra:
            return True
        if day in self._holidays:
            return False
        return day.isoweekday() in self.config.weekdays

    def _window(self, day: date) -> tuple[datetime, datetime]:
        opens = datetime.combine(day, self.config.opens, tzinfo=self.zone)
        closes = datetime.combine(day, self.config.closes, tzinfo=self.zone)
        return opens, closes

    def seconds_between(self, start: datetime, end: datetime) -> int:
        """Working seconds in [start, end); 0 when end is not after start (never negative)."""
        if end <= start:
            return 0
        total = 0.0
        day = start.astimezone(self.zone).date()
        last = end.astimezone(self.zone).date()
        while day <= last:
            if self.is_workday(day):
                opens, closes = self._window(day)
                lo, hi = max(opens, start), min(closes, end)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return int(total)

    def add(self, start: datetime, seconds: int) -> datetime:
        """The instant when ``seconds`` of working time after ``start`` have passed (UTC)."""
        left = max(0, seconds)
        day = start.astimezone(self.zone).date()
        for _ in range(_MAX_DAYS):
            if self.is_workday(day):
                opens, closes = self._window(day)
                lo = max(opens, start)
                if closes > lo:
                    room = (closes - lo).total_seconds()
                    if left <= room:
                        return (lo + timedelta(seconds=left)).astimezone(UTC)
                    left -= int(room)
            day += timedelta(days=1)
        raise ValueError(f"no {seconds} s of working time within ten years: check the calendar")
