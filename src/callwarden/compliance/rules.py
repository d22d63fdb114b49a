"""The outbound rules, written once for the pre-dial check (one person) and the audit (Polars).

A person's consent is the latest grant (G) with its expiry (E) and the latest withdrawal (W);
a refusal is the first time they said no (R). At moment ``t``:

- consent holds when ``G <= t < E`` and no withdrawal at or after the grant has happened by
  ``t`` (``not (G <= W <= t)``): a grant after a withdrawal is a new consent;
- a refusal binds from ``R`` on, on every line and vendor of the business, unless the person
  gave consent again after refusing (a grant with ``G > R`` that holds at ``t``);
- calling hours are the callee's local time (:mod:`callwarden.compliance.policy`);
- a frequency limit ``{calls, days}`` allows at most ``calls`` calls to one person in any
  ``days`` x 24 hours, this one included.

Every broken rule is a reason with a code, the rule's name and texts in zh-CN and English.

>>> consent_state(10, FOREVER, NEVER, 20), consent_state(10, 15, NEVER, 20)
('valid', 'expired')
>>> consent_state(10, FOREVER, 12, 20), consent_state(13, FOREVER, 12, 20)
('withdrawn', 'valid')
>>> refused(5, consent=("valid", 10), t=20), refused(5, consent=("none", 0), t=20)
(False, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from callwarden.compliance.table import FOREVER, NEVER

__all__ = [
    "CODES",
    "Reason",
    "consent_expr",
    "consent_people",
    "consent_state",
    "describe",
    "merge_consent",
    "refusal_people",
    "refused",
    "refused_expr",
]

#: code -> (rule, rule name zh, rule name en), in the order reasons are given
CODES: dict[str, tuple[str, str, str]] = {
    "line_not_registered": ("lines", "外呼号码未登记", "caller line not registered"),
    "refused": ("refusal", "用户已拒绝", "called after refusal"),
    "no_consent": ("consent", "未经用户同意", "no consent"),
    "consent_expired": ("consent", "用户同意已过期", "consent expired"),
    "consent_withdrawn": ("consent", "用户已撤回同意", "consent withdrawn"),
    "outside_hours": ("hours", "不在允许外呼时段", "outside calling hours"),
    "frequency": ("frequency", "超过呼叫频次上限", "over the frequency limit"),
}


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a dial is not allowed, for the seat's screen and the evidence log."""

    code: str
    text_zh: str
    text_en: str

    @property
    def rule(self) -> str:
        return CODES[self.code][0]

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "rule": self.rule,
            "text_zh": self.text_zh,
            "text_en": self.text_en,
        }


def consent_state(g: int, e: int, w: int, t: int) -> str:
    """``valid``, ``none``, ``expired`` or ``withdrawn`` at stamp ``t``."""
    if g == NEVER or g > t:
        return "withdrawn" if w != NEVER and w <= t and g == NEVER else "none"
    if w != NEVER and g <= w <= t:
        return "withdrawn"
    if e <= t:
        return "expired"
    return "valid"


def refused(r: int, *, consent: tuple[str, int], t: int) -> bool:
    """Whether a refusal at ``r`` binds at ``t``, given the consent's state and grant."""
    state, g = consent
    if r == NEVER or r > t:
        return False
    return not (state == "valid" and g > r)


def consent_expr(g: pl.Expr, e: pl.Expr, w: pl.Expr, t: pl.Expr) -> pl.Expr:
    """:func:`consent_state` for columns (nulls read as no grant, no expiry, no withdrawal)."""
    g, e, w = g.fill_null(NEVER), e.fill_null(FOREVER), w.fill_null(NEVER)
    none = (g == NEVER) | (g > t)
    withdrawn_only = none & (g == NEVER) & (w != NEVER) & (w <= t)
    return (
        pl.when(withdrawn_only)
        .then(pl.lit("withdrawn"))
        .when(none)
        .then(pl.lit("none"))
        .when((w != NEVER) & (g <= w) & (w <= t))
        .then(pl.lit("withdrawn"))
        .when(e <= t)
        .then(pl.lit("expired"))
        .otherwise(pl.lit("valid"))
    )


def refused_expr(r: pl.Expr, state: pl.Expr, g: pl.Expr, t: pl.Expr) -> pl.Expr:
    """:func:`refused` for columns."""
    r = r.fill_null(NEVER)
    return (r != NEVER) & (r <= t) & ~((state == "valid") & (g.fill_null(NEVER) > r))


def consent_people(rows: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
    """Consent rows (``key, granted, expires, withdrawn`` as stamps or nulls, ``id``) merged
    into one row per person: ``key, g, e, w`` (:data:`NEVER`/:data:`FOREVER` for none)."""
    lazy = rows.lazy()
    return (
        lazy.sort(["granted", "id"], nulls_last=False)
        .group_by("key")
        .agg(
            pl.col("granted").max().fill_null(NEVER).alias("g"),
            pl.col("expires").filter(pl.col("granted").is_not_null()).last().alias("e"),
            pl.col("withdrawn").max().fill_null(NEVER).alias("w"),
        )
        .with_columns(
            pl.when(pl.col("g") == NEVER)
            .then(FOREVER)
            .otherwise(pl.col("e"))
            .fill_null(FOREVER)
            .alias("e")
        )
        .select(
            pl.col("key").cast(pl.Int64),
            *(pl.col(c).cast(pl.UInt32) for c in ("g", "e", "w")),
        )
    )


def refusal_people(rows: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
    """Refusal rows (``key, refused`` as stamps) merged: ``key, r`` (the first refusal)."""
    return (
        rows.lazy()
        .group_by("key")
        .agg(pl.col("refused").min().cast(pl.UInt32).alias("r"))
        .with_columns(pl.col("key").cast(pl.Int64))
    )


def merge_consent(old: tuple[int, ...] | None, g: int, e: int, w: int) -> tuple[int, int, int]:
    """A person's consent after one more row (a grant with its expiry, or a withdrawal)."""
    if old is None:
        return (g, e if g != NEVER else FOREVER, w)
    og, oe, ow = old
    if g != NEVER and g >= og:
        og, oe = g, e
    return (og, oe, max(ow, w))


def describe(code: str, **facts: Any) -> Reason:
    """A reason with its texts; ``facts`` fill in what the rule saw."""
    zh, en = _TEXTS[code]
    return Reason(code, zh.format(**facts), en.format(**facts))


_TEXTS: dict[str, tuple[str, str]] = {
    "line_not_registered": (
        "外呼号码 {line} 未登记为本企业的外呼业务号码(规则: 外呼号码登记)",
        "caller line {line} is not one of the business's registered lines (rule: lines)",
    ),
    "refused": (
        "用户已于 {when} 明确拒绝, 本企业任何线路和外包方均不得再呼叫(规则: 拒绝后不得呼叫)",
        "the person refused on {when}; no line or vendor of the business may call again "
        "(rule: refusal)",
    ),
    "no_consent": (
        "未取得用户同意, 白名单中没有该用户(规则: 营销外呼须征得同意)",
        "no consent from this person on the register (rule: consent)",
    ),
    "consent_expired": (
        "用户同意已于 {when} 过期(规则: 营销外呼须征得同意)",
        "the person's consent expired on {when} (rule: consent)",
    ),
    "consent_withdrawn": (
        "用户已于 {when} 撤回同意(规则: 营销外呼须征得同意)",
        "the person withdrew consent on {when} (rule: consent)",
    ),
    "outside_hours": (
        "用户当地时间 {local} 不在允许外呼时段 {windows}(规则: 外呼时段)",
        "{local} in the person's local time is outside the calling hours {windows} (rule: hours)",
    ),
    "frequency": (
        "{days} 天内已呼叫该用户 {count} 次, 上限 {calls} 次(规则: 呼叫频次)",
        "{count} calls to this person in {days} day(s) already; the limit is {calls} "
        "(rule: frequency)",
    ),
}
