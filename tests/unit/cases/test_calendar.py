"""Business time: weekends, holidays and make-up working days; budgets that add up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import hypothesis.strategies as st
from hypothesis import given

from callwarden.cases.calendar import BusinessCalendar
from callwarden.cases.config import CalendarConfig

CAL = BusinessCalendar(CalendarConfig())
SH = CAL.zone


def test_national_day_holiday_and_make_up_saturday() -> None:
    before = datetime(2026, 9, 30, 17, 0, tzinfo=SH)
    # one hour left on 30 Sept; 1-7 Oct off; Thursday 8 Oct is a normal working day
    assert CAL.add(before, 2 * 3600) == datetime(2026, 10, 8, 10, 0, tzinfo=SH).astimezone(UTC)
    assert CAL.is_workday(datetime(2026, 10, 10).date())  # Saturday, worked instead


@given(
    start=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
    ),
    seconds=st.integers(0, 30 * 9 * 3600),
)
def test_add_and_seconds_between_agree(start: datetime, seconds: int) -> None:
    end = CAL.add(start, seconds)
    assert end >= start
    assert CAL.seconds_between(start, end) == seconds


@given(
    a=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
    ),
    hours=st.integers(0, 400),
)
def test_never_negative(a: datetime, hours: int) -> None:
    assert CAL.seconds_between(a, a - timedelta(hours=hours)) == 0
    assert CAL.seconds_between(a, a + timedelta(hours=hours)) <= hours * 3600
