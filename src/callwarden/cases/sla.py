"""SLA clocks: one per operator step, in business time, paused while the customer has the ball.

A case carries the clock of its current step: the budget, the business seconds already used,
since when it runs (None while paused) and the resulting deadline. Entering a step that has an
SLA starts a fresh clock; entering a step that waits for the customer stops it; going from
``awaiting_customer`` back to ``under_review`` resumes the paused review clock where it stopped.
"""

from __future__ import annotations

from datetime import datetime

from callwarden.cases.calendar import BusinessCalendar
from callwarden.cases.config import CaseConfig
from callwarden.cases.models import Case

__all__ = ["SlaClock"]

#: the operator steps still ahead on the way to a restore, from each state
_AHEAD = {
    "awaiting_request": ("under_review", "awaiting_second_approval", "approved"),
    "awaiting_verification": ("under_review", "awaiting_second_approval", "approved"),
    "under_review": ("awaiting_second_approval", "approved"),
    "awaiting_customer": ("awaiting_second_approval", "approved"),
    "awaiting_second_approval": ("approved",),
    "approved": (),
}
#: the same for an appeal: a second approval always, then it is done
_AHEAD_OF = {
    "suspension": _AHEAD,
    "appeal": {
        "under_review": ("awaiting_second_approval",),
        "awaiting_customer": ("awaiting_second_approval",),
        "awaiting_second_approval": (),
    },
}


class SlaClock:
    """Applies :class:`CaseConfig`'s SLAs to cases on a :class:`BusinessCalendar`."""

    def __init__(self, config: CaseConfig) -> None:
        self.config = config
        self.calendar = BusinessCalendar(config.calendar)

    def budget(self, state: str) -> int | None:
        minutes = self.config.sla_minutes.get(state)
        return None if minutes is None else minutes * 60

    def used(self, case: Case, now: datetime) -> int:
        """Business seconds used on the current step so far (never negative)."""
        running = 0
        if case.sla_running_since is not None:
            running = self.calendar.seconds_between(case.sla_running_since, now)
        return max(0, case.sla_used_s) + running

    def remaining(self, case: Case, now: datetime) -> int | None:
        if case.sla_budget_s is None:
            return None
        return case.sla_budget_s - self.used(case, now)

    def _run(self, case: Case, now: datetime) -> None:
        case.sla_running_since = now
        left = max(0, (case.sla_budget_s or 0) - case.sla_used_s)
        case.due_at = self.calendar.add(now, left)

    def pause(self, case: Case, now: datetime) -> None:
        case.sla_used_s = self.used(case, now)
        case.sla_running_since = None
        case.due_at = None

    def enter(self, case: Case, old_state: str | None, new_state: str, now: datetime) -> None:
        """Move the clock along with a change of state."""
        if old_state == new_state:
            return
        if new_state == "awaiting_customer":
            self.pause(case, now)
            return
        if old_state == "awaiting_customer" and new_state == "under_review":
            self._run(case, now)
            return
        case.sla_budget_s = self.budget(new_state)
        case.sla_used_s = 0
        case.breached = False
        if case.sla_budget_s is None:
            case.sla_running_since = None
            case.due_at = None
        else:
            self._run(case, now)

    def expected_completion(self, case: Case, now: datetime) -> datetime | None:
        """When the customer may expect the number back (an appeal: its answer) if everyone
        acts now (None: ended)."""
        ahead = _AHEAD_OF.get(case.kind, {}).get(case.state)
        if ahead is None:
            return None
        left = max(0, self.remaining(case, now) or 0)
        for step in ahead:
            if step == "awaiting_second_approval" and not case.high_risk and case.kind != "appeal":
                continue
            left += self.budget(step) or 0
        return self.calendar.add(now, left)
