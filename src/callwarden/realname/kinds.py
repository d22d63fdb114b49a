"""The four kinds of unregistered subscriber (seed 002), each with the reason in words.

前期未进行实名制认证 (never registered), 登记信息不完整 (incomplete), 机主姓名与实际使用者不一致
(the owner is not the user), and 集团卡 (a corporate SIM registered to a company or its agent,
with no named user). The subscriber's ``realname_status`` says which kind; the optional
registration columns (``id_type``, ``id_ref``, ``address_on_file``, ``user_differs``,
``agent_id_ref``, ...) say exactly what is missing, and go into the reason.

>>> import polars as pl
>>> subs = pl.DataFrame({"msisdn": ["+8613800000001", "+8613800000002"],
...     "realname_status": ["verified", "incomplete"], "owner_type": ["individual"] * 2,
...     "activated_on": [None, None], "id_type": [None, "resident_id"],
...     "id_ref": [None, "DOC-1"], "address_on_file": [None, False]})
>>> classify(subs).select("msisdn", "kind", "reason").rows()
[('+8613800000002', 'incomplete', 'registration incomplete: no address')]
"""

from __future__ import annotations

from datetime import date

import polars as pl

__all__ = ["KINDS", "KIND_OF_STATUS", "KIND_TEXT", "classify"]

#: the four kinds, in the order of the seed
KINDS: tuple[str, ...] = ("never_registered", "incomplete", "user_differs", "corporate")
#: the subscribers' ``realname_status`` of each kind
KIND_OF_STATUS: dict[str, str] = {
    "none": "never_registered",
    "incomplete": "incomplete",
    "mismatch": "user_differs",
    "corporate_unassigned": "corporate",
}
#: the kinds as people name them: (zh, en)
KIND_TEXT: dict[str, tuple[str, str]] = {
    "never_registered": ("未实名登记", "never registered"),
    "incomplete": ("登记信息不完整", "incomplete registration"),
    "user_differs": ("机主与实际使用人不一致", "owner is not the user"),
    "corporate": ("集团卡未登记使用人", "corporate SIM without a named user"),
}
#: new lines have needed a registration since 2013-09-01 (工信部令第25号); older ones may never
#: have had one
RULES_SINCE = date(2013, 9, 1)

_OPTIONAL = {
    "id_type": pl.String,
    "id_ref": pl.String,
    "address_on_file": pl.Boolean,
    "user_differs": pl.Boolean,
    "user_id_ref": pl.String,
    "agent_id_ref": pl.String,
    "activated_on": pl.Date,
}


def _join(parts: list[pl.Expr], sep: str) -> pl.Expr:
    return pl.concat_list(parts).list.drop_nulls().list.join(sep)


def classify(subscribers: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """One row per unregistered subscriber: ``msisdn``, ``kind``, ``reason`` (en), ``reason_zh``
    and the columns the campaign needs (``region``, ``owner_type``, ``balance_fen``, ...).

    A subscriber whose ``realname_status`` is ``verified`` is registered and left out; the
    others keep their kind even where the optional columns are empty (the reason then says
    what the status says).
    """
    lf = subscribers.lazy()
    have = lf.collect_schema().names()
    lf = lf.with_columns(
        pl.lit(None, dtype).alias(name) for name, dtype in _OPTIONAL.items() if name not in have
    )
    for name, dtype in (("region", pl.String), ("balance_fen", pl.Int32)):
        if name not in have:
            lf = lf.with_columns(pl.lit(None, dtype).alias(name))
    kind = pl.col("realname_status").replace_strict(KIND_OF_STATUS, default=None)
    lf = lf.with_columns(kind=kind).filter(pl.col("kind").is_not_null())
    old = pl.col("activated_on") < RULES_SINCE
    never_en = pl.concat_str(
        pl.lit("no identity on file"),
        pl.when(old)
        .then(pl.lit(", line activated ") + pl.col("activated_on").cast(pl.String))
        .otherwise(pl.lit("")),
    )
    never_zh = pl.concat_str(
        pl.lit("未登记任何身份信息"),
        pl.when(old)
        .then(pl.lit(", 入网于") + pl.col("activated_on").cast(pl.String))
        .otherwise(pl.lit("")),
    )
    no_type, no_ref = pl.col("id_type").is_null(), pl.col("id_ref").is_null()
    no_addr = pl.col("address_on_file").not_().fill_null(False)
    missing_en = _join(
        [
            pl.when(no_type).then(pl.lit("ID type")),
            pl.when(no_ref).then(pl.lit("ID document")),
            pl.when(no_addr).then(pl.lit("address")),
        ],
        ", ",
    )
    missing_zh = _join(
        [
            pl.when(no_type).then(pl.lit("证件类型")),
            pl.when(no_ref).then(pl.lit("证件")),
            pl.when(no_addr).then(pl.lit("住址")),
        ],
        "、",
    )
    # every optional column empty: the file says only the status
    bare = no_type & no_ref & pl.col("address_on_file").is_null()
    incomplete_en = (
        pl.when(bare)
        .then(pl.lit("registration incomplete (the file does not say what is missing)"))
        .otherwise(pl.lit("registration incomplete: no ") + missing_en)
    )
    incomplete_zh = (
        pl.when(bare)
        .then(pl.lit("登记信息不完整"))
        .otherwise(pl.lit("登记信息不完整: 缺少") + missing_zh)
    )
    user_known = pl.col("user_id_ref").is_not_null()
    differs_en = pl.lit("the person using the line is not the registered owner") + pl.when(
        user_known
    ).then(pl.lit(" (the user is known; a transfer of ownership is needed)")).otherwise(pl.lit(""))
    differs_zh = pl.lit("机主与实际使用人不一致") + pl.when(user_known).then(
        pl.lit("(已知使用人, 需办理过户)")
    ).otherwise(pl.lit(""))
    agent = pl.col("agent_id_ref").is_not_null()
    corp_en = (
        pl.lit("corporate SIM registered to ")
        + pl.when(agent)
        .then(pl.lit("the company and its agent"))
        .otherwise(pl.lit("the company alone"))
        + pl.lit(", no named user")
    )
    corp_zh = (
        pl.lit("集团卡登记为")
        + pl.when(agent).then(pl.lit("单位及经办人")).otherwise(pl.lit("单位"))
        + pl.lit(", 未登记实际使用人")
    )
    k = pl.col("kind")
    reason = (
        pl.when(k == "never_registered")
        .then(never_en)
        .when(k == "incomplete")
        .then(incomplete_en)
        .when(k == "user_differs")
        .then(differs_en)
        .otherwise(corp_en)
    )
    reason_zh = (
        pl.when(k == "never_registered")
        .then(never_zh)
        .when(k == "incomplete")
        .then(incomplete_zh)
        .when(k == "user_differs")
        .then(differs_zh)
        .otherwise(corp_zh)
    )
    return (
        lf.select(
            "msisdn",
            "kind",
            reason.alias("reason"),
            reason_zh.alias("reason_zh"),
            pl.col("region").fill_null(""),
            "owner_type",
            "activated_on",
            pl.col("balance_fen").cast(pl.Int32),
        )
        .sort("msisdn")
        .collect()
    )
