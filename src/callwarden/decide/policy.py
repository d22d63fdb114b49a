"""Policy: turn risk scores into graduated decisions, honouring allow lists and a daily cap.

Decisions rise through watch < review < restrict < suspend. Honest subscribers come first:
numbers on the allow list (registered service lines, consented call centres) never go beyond
``allow_list_ceiling``; automatic suspensions are capped per local day and the overflow goes to
a person (review). Decisions only ever rise within a run: a number once restricted stays so
until a person acts on its case.

An operator can restrict or suspend only the numbers it serves (``served``, see
``decide/served.py``). For any other number (another carrier's, a virtual operator's, a foreign
or an invalid one) a score that would restrict or suspend decides ``intercept``: block the
presented number at the gateway and report it to whoever owns it. Interceptions do not count
against the daily suspension cap (no subscriber of the operator is cut off by them); watch and
review stay as they are.

Some alerts are about a number being *impersonated*, not about what its owner does: a burst of
calls presenting it through a foreign or cloud trunk (``spoofed_presentation``, the detectors of
:data:`INTERCEPT_ONLY_DETECTORS`). When such a detector drives the decision (its score is the
combined score: it gives the top reason), a level that would restrict or suspend is
``intercept`` even for the operator's own number: the presented number is blocked on calls
from outside the mobile core, and the subscriber keeps their service. Those interceptions take
nothing from the suspension cap either.

A learned model's score alone never goes above ``model_alone_ceiling`` (``review`` by
default): where no detector scored at least ``review`` at the event, the model's score is held
just under the next threshold (:meth:`PolicyConfig.combine_model`). And it earns ``review`` only
where a detector scored at least ``model_review_needs`` (``watch`` by default) at the same
event; with no detector there, the model alone stays at ``watch``. A model trained on one
population flags honest callers of kinds it never saw (a school's call round, a hospital's
reminder line) in another; restricting or suspending a number needs rule evidence, opening a
review needs at least a detector's ``watch`` beside the model, and the model alone only watches.

The same :class:`DecisionState` is stepped by batch scoring and by the live stream, so both make
the same decisions in the same order.

>>> state = DecisionState(PolicyConfig(daily_suspension_cap=1))
>>> [state.step("+861", day="2026-07-08", score=s, allowed=False) for s in (0.5, 0.97, 0.97)]
['watch', 'suspend', None]
>>> state.step("+862", day="2026-07-08", score=0.99, allowed=False)  # cap reached
'review'
>>> from callwarden.network import ServedNumbers
>>> off_net = DecisionState(PolicyConfig(daily_suspension_cap=0), ServedNumbers())
>>> [off_net.step("+960180379979", day="2026-07-08", score=s, allowed=False)
...  for s in (0.7, 0.99)]
['review', 'intercept']
>>> own = DecisionState(PolicyConfig())  # every number the operator's own
>>> own.step("+8613800000001", day="2026-07-08", score=0.99, allowed=False, impersonated=True)
'intercept'
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Self

import numba
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from callwarden.config import load_model
from callwarden.decide.served import Served
from callwarden.detect.campaigns import CampaignConfig
from callwarden.records.schema import ALERT_DECISIONS, DECISIONS, INTERCEPT

__all__ = [
    "ALERT_LEVEL",
    "INTERCEPT_LEVEL",
    "INTERCEPT_ONLY_DETECTORS",
    "LEVEL",
    "DecisionState",
    "PolicyConfig",
    "ReviewNeed",
    "level_of",
]

LEVEL = {name: i + 1 for i, name in enumerate(DECISIONS)}  # watch=1 ... suspend=4
#: every decision an alert may carry: the operator's four, then intercept (5), which numbers
#: the operator does not serve get instead of restrict or suspend (so it counts as flagged)
ALERT_LEVEL = {name: i + 1 for i, name in enumerate(ALERT_DECISIONS)}
INTERCEPT_LEVEL = ALERT_LEVEL[INTERCEPT]
#: detectors that find a number being impersonated (someone else presents it): where one of
#: them drives an alert, restrict and suspend become intercept, whoever serves the number
INTERCEPT_ONLY_DETECTORS = ("spoofed_presentation",)


#: what ``model_review_needs`` accepts: a decision of :data:`DECISIONS`, or none
ReviewNeed = Literal["none", "watch", "review", "restrict", "suspend"]


def level_of(decision: str | None) -> int:
    """0 for no decision, 1 watch ... 4 suspend, 5 intercept."""
    return ALERT_LEVEL.get(decision or "", 0)


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
    model_alone_ceiling: str = Field(
        default="review",
        description="the highest decision a learned model's score earns at an event where "
        "no detector scored at least `review` (no rule evidence)",
    )
    model_review_needs: ReviewNeed = Field(
        default="watch",
        description="the detectors' decision an event needs for a learned model's score to earn "
        "`review` there: below it the model alone stays at `watch`; `none`: no such need",
    )
    campaigns: CampaignConfig = Field(
        default_factory=CampaignConfig,
        description="the group pass that finds one campaign's many lines (detect/campaigns.py)",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.watch <= self.review <= self.restrict <= self.suspend:
            raise ValueError("thresholds must rise: watch <= review <= restrict <= suspend")
        for name in ("allow_list_ceiling", "model_alone_ceiling"):
            if getattr(self, name) not in DECISIONS:
                raise ValueError(f"{name} must be one of {', '.join(DECISIONS)}")
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

    def combine_model(self, rules: np.ndarray, model: np.ndarray) -> np.ndarray:
        """The combined risk per event: the higher of the detectors' and the model's score,
        the model's held below the threshold above ``model_alone_ceiling`` where no detector
        scored at least ``review`` (rule evidence a person would act on): a model score alone,
        or beside a mere ``watch`` from the rules, never earns more than the ceiling; and held
        below ``review`` where no detector scored at least ``model_review_needs``.

        >>> policy = PolicyConfig()  # ceiling review (below restrict), review needs a watch
        >>> rules = np.array([0.0, 0.5, 0.65, 0.9])
        >>> [policy.decision_for(float(s)) for s in policy.combine_model(rules, np.full(4, 0.99))]
        ['watch', 'review', 'suspend', 'suspend']
        """
        rules = np.asarray(rules, dtype=np.float64)
        model = np.asarray(model, dtype=np.float64)
        above = DECISIONS.index(self.model_alone_ceiling) + 1
        if above < len(DECISIONS):
            cap = float(np.nextafter(getattr(self, DECISIONS[above]), -np.inf))
            model = np.where(rules >= self.review, model, np.minimum(model, cap))
        if self.model_review_needs != "none":
            bare = float(np.nextafter(self.review, -np.inf))
            backed = rules >= getattr(self, self.model_review_needs)
            model = np.where(backed, model, np.minimum(model, bare))
        combined: np.ndarray = np.maximum(rules, model)
        return combined


class DecisionState:
    """Per-number highest decision so far, and suspensions used per day.

    ``served``: the numbers the operator serves; the others are intercepted rather than
    restricted or suspended. None: every number is the operator's own.
    """

    def __init__(self, policy: PolicyConfig, served: Served | None = None) -> None:
        self.policy = policy
        self.served = served
        self.current: dict[str, int] = {}
        self.suspended_on: dict[str, int] = {}

    def on_net(self, msisdn: str) -> bool:
        """Whether the operator serves the number (may restrict or suspend it)."""
        return self.served is None or self.served.serves(msisdn)

    def step(
        self, msisdn: str, *, day: str, score: float, allowed: bool, impersonated: bool = False
    ) -> str | None:
        """The new decision for this event, or None when the number's decision does not rise.

        ``impersonated``: the score comes from calls presenting the number that its owner did
        not make (:data:`INTERCEPT_ONLY_DETECTORS`), so restrict and suspend become intercept.
        """
        decision = self.policy.decision_for(score)
        level = level_of(decision)
        if allowed:
            level = min(level, level_of(self.policy.allow_list_ceiling))
        if level >= LEVEL["restrict"] and (impersonated or not self.on_net(msisdn)):
            level = INTERCEPT_LEVEL
        if level == LEVEL["suspend"]:
            used = self.suspended_on.get(day, 0)
            if used >= self.policy.daily_suspension_cap:
                level = LEVEL["review"]
            elif level > self.current.get(msisdn, 0):
                self.suspended_on[day] = used + 1
        if level <= self.current.get(msisdn, 0):
            return None
        self.current[msisdn] = level
        return ALERT_DECISIONS[level - 1]

    def step_many(
        self,
        numbers: Sequence[str],
        days: Sequence[str],
        scores: np.ndarray,
        allowed: np.ndarray,
        impersonated: np.ndarray | None = None,
    ) -> np.ndarray:
        """:meth:`step` over many events in order, in one compiled pass: each event's new
        level (1 watch ... 4 suspend, 5 intercept), 0 where the decision does not rise. The
        state ends as the same steps one by one leave it. ``impersonated``: per event, as in
        :meth:`step` (None: none is).

        >>> state = DecisionState(PolicyConfig(daily_suspension_cap=1))
        >>> state.step_many(["+861"] * 3 + ["+862"], ["2026-07-08"] * 4,
        ...                 np.array([0.5, 0.97, 0.97, 0.99]), np.zeros(4, bool)).tolist()
        [1, 4, 0, 2]
        """
        if len(numbers) == 0:
            return np.zeros(0, np.int8)
        who, names = _dense(numbers)
        day, day_names = _dense(days)
        p = self.policy
        raw = sum(
            (scores >= t).astype(np.int8) for t in (p.watch, p.review, p.restrict, p.suspend)
        )  # (the thresholds rise: the highest one met is how many are met)
        current = np.array([self.current.get(m, 0) for m in names], np.int8)
        off_net = np.array([not self.on_net(m) for m in names], np.bool_)
        used = np.array([self.suspended_on.get(d, 0) for d in day_names], np.int64)
        before_current, before_used = current.copy(), used.copy()
        out = np.zeros(len(numbers), np.int8)
        spoofed = (
            np.zeros(len(numbers), np.bool_)
            if impersonated is None
            else np.asarray(impersonated, np.bool_)
        )
        _step_levels(who, day, np.asarray(raw, np.int8), np.asarray(allowed, np.bool_),
                     off_net, spoofed, level_of(p.allow_list_ceiling), p.daily_suspension_cap,
                     LEVEL["suspend"], LEVEL["review"], LEVEL["restrict"], INTERCEPT_LEVEL,
                     current, used, out)  # fmt: skip
        for j in np.flatnonzero(current != before_current):
            self.current[names[j]] = int(current[j])
        for j in np.flatnonzero(used != before_used):
            self.suspended_on[day_names[j]] = int(used[j])
        return out


def _dense(values: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Dense codes of the texts (0, 1, ... in sorted order), and the texts of the codes.

    (One dict over the texts and a sort of the distinct ones: the texts come as Python
    strings, a few per number, and a frame of them ranked cost more.)

    >>> codes, names = _dense(["+862", "+861", "+862"])
    >>> codes.tolist(), names
    ([1, 0, 1], ['+861', '+862'])
    """
    index: dict[str, int] = {}
    seen = np.fromiter((index.setdefault(v, len(index)) for v in values), np.int64, len(values))
    names = sorted(index)
    place = np.empty(len(names), np.int64)
    place[np.fromiter((index[v] for v in names), np.int64, len(names))] = np.arange(len(names))
    return place[seen], names


@numba.njit(cache=True)
def _step_levels(who: np.ndarray, day: np.ndarray, raw: np.ndarray, allowed: np.ndarray,
                 off_net: np.ndarray, impersonated: np.ndarray, ceiling: int, cap: int,
                 suspend: int, review: int, restrict: int, intercept: int, current: np.ndarray,
                 used: np.ndarray, out: np.ndarray) -> None:  # fmt: skip
    """:meth:`DecisionState.step`, event after event: ``current`` per number and ``used``
    suspensions per day are updated in place; ``out`` the new level, 0 for none."""
    for i in range(who.shape[0]):
        level = raw[i]
        if allowed[i]:
            level = min(level, ceiling)
        w = who[i]
        if level >= restrict and (off_net[w] or impersonated[i]):
            level = intercept
        if level == suspend:
            if used[day[i]] >= cap:
                level = review
            elif level > current[w]:
                used[day[i]] += 1
        if level > current[w]:
            current[w] = level
            out[i] = level
