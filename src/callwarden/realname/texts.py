"""The campaign's SMS, in plain words: zh-CN by default, English available.

Every text says why (the kind's reason), what to bring, where to go, and the hotline.

>>> import polars as pl

from callwarden.numbers import mask
from callwarden.realname.campaign import Campaign
>>> c = Campaign.model_validate({"name": "t", "phases": {
...     "reminder": ["2026-09-01", "2026-09-30"], "suspension": ["2026-10-01", "2026-10-10"],
...     "registration": ["2026-10-11", "2026-11-30"], "termination": ["2026-12-01", "2026-12-15"]}})
>>> t = sms(c, "reminder", "never_registered", "zh", masked="138****5678", on="2026-10-01")
>>> "实名登记" in t and "身份证件" in t and "10086" in t
True
>>> en = sms(c, "warning", "corporate", "en", masked="138****5678", on="2026-10-01")
>>> "business licence" in en
True
"""

from __future__ import annotations

import polars as pl

from callwarden.numbers import mask
from callwarden.realname.campaign import Campaign
from callwarden.realname.kinds import KIND_TEXT

__all__ = ["TEMPLATES", "mask_numbers", "sms", "yuan"]

TEMPLATES: dict[str, tuple[str, str]] = {
    "reminder": (
        "【实名登记提醒】您的号码{masked}尚未完成实名登记({kind})。根据电话用户实名登记规定, "
        "请于{on}前携带{bring}到{where}办理, 逾期将暂停服务。咨询请拨{hotline}。",
        "[Real-name registration] Your number {masked} is not registered yet ({kind}). Please "
        "bring {bring} to {where} before {on}, or the service will be suspended. Hotline "
        "{hotline}.",
    ),
    "warning": (
        "【停机提醒】您的号码{masked}未完成实名登记({kind}), 将于{on}暂停服务。请尽快携带"
        "{bring}到{where}办理, 登记后即时恢复。咨询请拨{hotline}。",
        "[Suspension notice] Your number {masked} is not registered ({kind}) and will be "
        "suspended on {on}. Bring {bring} to {where}; service returns as soon as you register. "
        "Hotline {hotline}.",
    ),
    "suspended": (
        "【停机通知】您的号码{masked}因未完成实名登记({kind})已暂停服务。请携带{bring}到"
        "{where}办理, 登记完成后号码即时恢复; 逾期未登记将于{on}起办理销户并退还余额。"
        "咨询请拨{hotline}。",
        "[Suspended] Your number {masked} is suspended: it is not registered ({kind}). Bring "
        "{bring} to {where}; it is restored as soon as you register. Unregistered numbers are "
        "cancelled from {on} and the balance refunded. Hotline {hotline}.",
    ),
    "restored": (
        "【复机通知】您的号码{masked}已完成实名登记, 服务已恢复。感谢您的配合。",
        "[Restored] Your number {masked} is registered and works again. Thank you.",
    ),
    "emergency": (
        "【紧急复机】您的号码{masked}已临时恢复服务至{on}。请在此前携带{bring}到{where}完成"
        "实名登记, 否则将再次暂停服务。咨询请拨{hotline}。",
        "[Emergency restore] Your number {masked} works again until {on}. Bring {bring} to "
        "{where} before then, or it will be suspended again. Hotline {hotline}.",
    ),
    "terminated": (
        "【销户通知】您的号码{masked}因未完成实名登记已办理销户, 账户余额{refund}元将退还, "
        "请携带{bring}到{where}办理退款。咨询请拨{hotline}。",
        "[Cancelled] Your number {masked} is cancelled: it was never registered. The balance "
        "of CNY {refund} will be refunded; bring {bring} to {where} to collect it. Hotline "
        "{hotline}.",
    ),
}


def yuan(fen: int) -> str:
    """Fen as yuan with two decimals.

    >>> yuan(1230), yuan(0)
    ('12.30', '0.00')
    """
    return f"{fen // 100}.{fen % 100:02d}"


def sms(
    campaign: Campaign, template: str, kind: str, language: str, *, masked: str, on: str,
    refund: str = "0.00",
) -> str:  # fmt: skip
    """One SMS of the campaign for one number."""
    zh, en = TEMPLATES[template]
    i = 0 if language == "zh" else 1
    return (zh if i == 0 else en).format(
        masked=masked,
        kind=KIND_TEXT[kind][i],
        bring=campaign.bring(kind, language),
        where=campaign.where(language),
        hotline=campaign.hotline,
        on=on,
        refund=refund,
    )


def mask_numbers(numbers: pl.Expr) -> pl.Expr:
    """:func:`callwarden.numbers.mask` as an expression: Chinese numbers in Polars, others one
    by one.

    >>> pl.select(mask_numbers(pl.lit("+8613812345678"))).item()
    '138****5678'
    """
    national = numbers.str.slice(3)
    return (
        pl.when(numbers.str.starts_with("+86") & (national.str.len_chars() >= 8))
        .then(national.str.slice(0, 3) + pl.lit("****") + national.str.slice(-4))
        .otherwise(numbers.map_elements(mask, return_dtype=pl.String))
    )
