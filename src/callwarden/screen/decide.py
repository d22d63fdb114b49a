"""One call, one decision: a pure function of the policy, the caller, its marks and the time.

The order is the policy's promise to the hotline (docs/screening.md):

1. a caller on the **allow list** is never blocked or challenged (routing still applies);
2. the **block list** and block prefixes block;
3. an **odd caller** (spoofed, unallocated, malformed, withheld) gets ``odd_caller``;
   a **foreign caller** gets ``foreign_caller``;
4. the **bands**: the first band matching one of the caller's marks decides;
5. a **challenge** asks for the business code; the right code lets the call on, a wrong one
   asks again until the retry limit, then blocks;
6. **hours**: outside them the call goes to the auto-reply;
7. **routes** by time of day and region; else the default queue.

>>> from datetime import UTC, datetime
>>> from callwarden.screen.callers import caller_of
>>> from callwarden.screen.policy import parse_policy
>>> from callwarden.reputation.categories import Category
>>> p = parse_policy('[[bands]]\\ncategories = ["fraud"]\\nmin_score = 0.5\\naction = "block"')
>>> at = datetime(2026, 12, 1, 2, tzinfo=UTC)
>>> d = decide(p, caller_of("13812345678"), [(Category.FRAUD, 0.9)], at)
>>> d.action, [r.code for r in d.reasons]
('block', ['mark_band'])
>>> decide(p, caller_of("13812345678"), [], at).action
'allow'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from callwarden.numbers import mask
from callwarden.reputation.categories import Category
from callwarden.screen.callers import Caller
from callwarden.screen.policy import Band, Policy, weekday

__all__ = ["Decision", "Reason", "decide"]


@dataclass(frozen=True, slots=True)
class Reason:
    """Why, in both languages; ``code`` is stable for machines and analytics."""

    code: str
    text_zh: str
    text_en: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "text_zh": self.text_zh, "text_en": self.text_en}


@dataclass(frozen=True, slots=True)
class Decision:
    action: str
    queue: str | None
    reasons: tuple[Reason, ...]
    #: the mark that decided, or the caller's strongest one
    category: str | None = None
    score: float | None = None
    #: the caller keyed a wrong business code (the service counts these per caller)
    wrong_code: bool = False
    extra: dict[str, str] = field(default_factory=dict)


def _band_of(policy: Policy, marks: list[tuple[Category, float]]) -> tuple[Band, Category, float]:
    for band in policy.bands:
        for category, score in marks:
            if category in band.categories and band.min_score <= score <= band.max_score:
                return band, category, score
    raise LookupError


def _mark_reason(band: Band, category: Category, score: float) -> Reason:
    verb_zh = {"block": "拦截", "challenge": "需输入业务编码", "allow": "放行"}[band.action]
    return Reason(
        "mark_band",
        f"号码被标记为「{category.zh}」，标记分 {score:.2f}，按策略{verb_zh}",
        f"the number is marked {category.en} (score {score:.2f}); the policy says {band.action}",
    )


def _screened(
    policy: Policy, caller: Caller, marks: list[tuple[Category, float]]
) -> tuple[str, list[Reason], Category | None, float | None]:
    """Steps 2 to 4: the lists, odd and foreign callers, the bands (the allow list is 1)."""
    stored = caller.stored or ""
    top = marks[0] if marks else (None, None)
    prefixes = policy.block_prefixes
    if stored in policy.block_set or (stored and prefixes and stored.startswith(prefixes)):
        shown = mask(stored)
        listed = Reason("block_list", f"{shown} 在黑名单中", f"{shown} is on the block list")
        return "block", [listed], *top
    if caller.flag is not None:
        action = policy.odd_action
        return action, [_odd_reason(caller)], *top
    abroad = bool(caller.country) and caller.country != policy.home_country
    if abroad and policy.foreign_caller != "allow":
        reason = Reason(
            "foreign_caller",
            f"境外来电（{caller.region_zh or caller.country}）",
            f"a call from abroad ({caller.region_en or caller.country})",
        )
        return policy.foreign_caller, [reason], *top
    try:
        band, category, score = _band_of(policy, marks)
    except LookupError:
        return "allow", [], *top
    return band.action, [_mark_reason(band, category, score)], category, score


_ODD = {
    "unreadable": ("来电号码无法识别或被隐藏", "the caller's number is withheld or unreadable"),
    "malformed": (
        "来电号码不属于任何号码规划，疑似改号",
        "no numbering plan has this number: likely spoofed",
    ),
    "impossible": (
        "来电号码位数不可能存在，疑似改号",
        "the number has a length its country cannot have: likely spoofed",
    ),
    "unallocated": (
        "来电号码未分配，疑似改号",
        "the number is in no allocated range: likely spoofed",
    ),
}


def _odd_reason(caller: Caller) -> Reason:
    zh, en = _ODD.get(caller.flag or "", _ODD["unreadable"])
    return Reason(f"odd_caller_{caller.flag}", zh, en)


def _challenge(
    policy: Policy, reasons: list[Reason], ivr_input: str | None, failures: int
) -> tuple[str | None, bool]:
    """The challenge's outcome: an action that ends it (challenge again, block), or None when
    the caller passed; and whether this input was a wrong code."""
    challenge = policy.challenge
    if challenge is None:  # the policy's check rules this out; be safe: let the call on
        return None, False
    if ivr_input is None:
        reasons.append(Reason("challenge", "请输入业务编码", "asked for the business code"))
        return "challenge", False
    if ivr_input.strip() == challenge.code:
        reasons.append(Reason("challenge_passed", "业务编码正确", "the business code is right"))
        return None, False
    left = challenge.retries - failures - 1
    if left <= 0:
        reasons.append(
            Reason(
                "challenge_failed",
                f"业务编码连续输错 {challenge.retries} 次",
                f"the business code was wrong {challenge.retries} times",
            )
        )
        return "block", True
    reasons.append(
        Reason(
            "challenge_retry", f"业务编码错误，还可再试 {left} 次", f"wrong code; {left} tries left"
        )
    )
    return "challenge", True


def _route(policy: Policy, caller: Caller, at: datetime, reasons: list[Reason]) -> tuple[str, str]:
    """Steps 6 and 7: hours, then routes; ``(action, queue)``."""
    local = at.astimezone(policy.zone)
    day = weekday(local.weekday())
    hours = policy.hours
    if hours is not None and (
        day not in hours.days
        or local.date().isoformat() in hours.closed_on
        or not hours.open.covers(local.time())
    ):
        reasons.append(Reason("out_of_hours", hours.message_zh, hours.message_en))
        return "route", hours.auto_reply_queue
    foreign = bool(caller.country) and caller.country != policy.home_country
    for i, route in enumerate(policy.routes):
        if route.hours is not None and not route.hours.covers(local.time()):
            continue
        if route.days is not None and day not in route.days:
            continue
        if route.regions and not any(
            caller.region_zh.startswith(r) or caller.region_en.startswith(r) for r in route.regions
        ):
            continue
        if route.countries and caller.country not in route.countries:
            continue
        if route.foreign is not None and route.foreign != foreign:
            continue
        where = caller.region_zh or caller.country or "未知"
        reasons.append(
            Reason(
                "route",
                f"按第 {i + 1} 条路由规则转至 {route.queue}（来电地：{where}）",
                f"route {i + 1} sends it to {route.queue} "
                f"(caller from {caller.region_en or caller.country or 'unknown'})",
            )
        )
        return "route", route.queue
    return "allow", policy.default_queue


def decide(
    policy: Policy,
    caller: Caller,
    marks: list[tuple[Category, float]],
    at: datetime,
    ivr_input: str | None = None,
    failures: int = 0,
) -> Decision:
    """The decision for one call; ``failures`` is the wrong codes this caller keyed lately."""
    stored = caller.stored or ""
    if stored and stored in policy.allow_set:
        reasons = [Reason("allow_list", "重点客户（白名单）", "a key customer (allow list)")]
        action, kept = _route(policy, caller, at, reasons)
        top = marks[0] if marks else (None, None)
        return Decision(action, kept, tuple(reasons), _value(top[0]), top[1])
    action, reasons, category, score = _screened(policy, caller, marks)
    wrong = False
    if action == "challenge":
        ended, wrong = _challenge(policy, reasons, ivr_input, failures)
        if ended is not None:
            ivr = policy.challenge.queue if ended == "challenge" and policy.challenge else None
            return Decision(ended, ivr, tuple(reasons), _value(category), score, wrong)
    elif action == "block":
        return Decision("block", None, tuple(reasons), _value(category), score)
    action, routed = _route(policy, caller, at, reasons)
    return Decision(action, routed, tuple(reasons), _value(category), score, wrong)


def _value(category: Category | None) -> str | None:
    return category.value if category is not None else None
