"""Policy: turn risk scores into graduated decisions, honouring allow lists and a daily cap.

Decisions rise through watch < review < restrict < suspend. Honest subscribers come first:
numbers on the allow list (registered service lines, consented call centres) never go beyond
``allow_list_ceiling``; automatic suspensions are capped per local day and the overflow goes to
a person (review). Decisions only ever rise within a run: a number once restricted stays so
until a person acts on its case.

The same :class:`DecisionState` is stepped by batch scoring and by the live stream, so both make
the same decisions in the same order.

>>> state = DecisionState(PolicyConfig(daily_suspension_cap=1))
>>> [state.step("+861", day="2026-07-08", score=s, allowed=False) for s in (0.5, 0.97, 0.97)]
['watch', 'suspend', None]
>>> state.step("+862", day="2026-07-08", score=0.99, allowed=False)  # cap reached
'review'
"""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from callwarden.config import load_model
from callwarden.records.schema import DECISIONS

__all__ = ["DecisionState", "PolicyConfig", "level_of"]

LEVEL = {name: i + 1 for i, name in enumerate(DECISIONS)}  # watch=1 ... suspend=4


def level_of(decision: str | None) -> int:
    """0 for no decision, 1 watch ... 4 suspend."""
    return LEVEL.get(decision or "", 0)


class PolicyConfig(BaseModel):
    """Thresholds and safeguards, one typed file (``--policy policy.toml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    watch: float = Field(default=0.4, ge=0, le=1, description="score to start watching")
    review: float = Field(default=0.6, ge=0, le=1, description="score to open a review case")
    restrict: float = Field(default=0.8, ge=0, le=1, description="score to restrict outbound")
    suspend: float = Field(default=0.95, ge=0, le=1, description="score to suspend")
    daily_suspension_cap: int = Field(
        default=500, ge=0, description="automatic suspensions per local day; the rest go to review"
    )
    allow_list_ceiling: str = Field(
        default="watch", description="the highest decision for an allow-listed number"
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.watch <= self.review <= self.restrict <= self.suspend:
            raise ValueError("thresholds must rise: watch <= review <= restrict <= suspend")
        if self.allow_list_ceiling not in DECISIONS:
            raise ValueError(f"allow_list_ceiling must be one of {', '.join(DECISIONS)}")
        return self

    @classmethod
    def load(cls, path: Path | None) -> Self:
        return load_model(cls, path)

    def decision_for(self, score: float) -> str | None:
        """The decision a score earns before safeguards."""
        for name in reversed(DECISIONS):
            if score >= getattr(self, name):
                return name
        return None


class DecisionState:
    """Per-number highest decision so far, and suspensions used per day."""

    def __init__(self, policy: PolicyConfig) -> None:
        self.policy = policy
        self.current: dict[str, int] = {}
        self.suspended_on: dict[str, int] = {}

    def step(self, msisdn: str, *, day: str, score: float, allowed: bool) -> str | None:
        """The new decision for this event, or None when the number's decision does not rise."""
        decision = self.policy.decision_for(score)
        level = level_of(decision)
        if allowed:
            level = min(level, level_of(self.policy.allow_list_ceiling))
        if level == LEVEL["suspend"]:
            used = self.suspended_on.get(day, 0)
            if used >= self.policy.daily_suspension_cap:
                level = LEVEL["review"]
            elif level > self.current.get(msisdn, 0):
                self.suspended_on[day] = used + 1
        if level <= self.current.get(msisdn, 0):
            return None
        self.current[msisdn] = level
        return DECISIONS[level - 1]
