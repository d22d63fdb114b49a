"""Consent and refusal files in: each row on the register, or quarantined with its reason.

Files are CSV or TSV with a header; columns are found by name, in English or Chinese
(docs/outbound.md lists them). A time without a zone is the business's local time. Every check
runs on whole columns (Polars), so a file of millions of rows goes in at file speed. Counts add
up: ``read == accepted + quarantined``.

Consent rows: ``callee`` and ``granted_at`` with ``evidence`` (where the proof is kept) for a
grant, optionally ``expires_at`` and ``channel``; a row with ``withdrawn_at`` (and no grant)
records a withdrawal. Refusal rows: ``callee`` and ``refused_at``, optionally the ``line`` and
``vendor`` that heard it and the ``evidence``.

>>> columns_of(["手机号", "同意时间", "凭证编号", "备注"], "consent")
{'callee': '手机号', 'granted_at': '同意时间', 'evidence': '凭证编号'}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

import polars as pl
from sqlalchemy import insert
from sqlalchemy.orm import Session

from callwarden.compliance.businesses import business_named
from callwarden.compliance.models import Consent, Refusal
from callwarden.compliance.policy import parse_policy
from callwarden.compliance.timefmt import parse_times
from callwarden.errors import InputFileError
from callwarden.numbers import normalise_series

__all__ = ["Kind", "RegisterCounts", "check_rows", "columns_of", "import_register", "read_register"]

Kind = Literal["consent", "refusal"]

_ALIASES: dict[str, tuple[str, ...]] = {
    "callee": ("callee", "msisdn", "number", "phone", "号码", "手机号", "手机号码", "用户号码"),
    "granted_at": ("granted_at", "consent_at", "agreed_at", "同意时间", "授权时间"),
    "expires_at": ("expires_at", "valid_until", "有效期至", "到期时间"),
    "withdrawn_at": ("withdrawn_at", "revoked_at", "撤回时间", "取消时间"),
    "evidence": ("evidence", "evidence_ref", "proof", "依据", "凭证", "凭证编号", "证据"),
    "channel": ("channel", "渠道", "来源"),
    "refused_at": ("refused_at", "refusal_at", "拒绝时间"),
    "line": ("line", "caller_line", "外呼号码", "主叫号码"),
    "vendor": ("vendor", "外包方", "供应商"),
}
_FIELDS: dict[Kind, tuple[str, ...]] = {
    "consent": ("callee", "granted_at", "expires_at", "withdrawn_at", "evidence", "channel"),
    "refusal": ("callee", "refused_at", "line", "vendor", "evidence"),
}
#: a moment this far past the import is a typing error, not a consent or refusal
_FUTURE = timedelta(days=1)
_BATCH = 20_000


@dataclass(frozen=True)
class RegisterCounts:
    read: int
    accepted: int
    quarantined: int


def columns_of(header: list[str], kind: Kind) -> dict[str, str]:
    """Which header cell each known field is in (the first that names it)."""
    found: dict[str, str] = {}
    for cell in header:
        name = cell.strip().lstrip("\ufeff").lower()
        for field in _FIELDS[kind]:
            if name in _ALIASES[field] and field not in found:
                found[field] = cell
    return found


def read_register(path: Path, kind: Kind) -> pl.DataFrame:
    """The file's rows as text, one column per known field (missing ones null) and ``row``
    (the line number in the file)."""
    try:
        with path.open(encoding="utf-8-sig") as fh:
            first = fh.readline()
        sep = "\t" if path.suffix.lower() in (".tsv", ".tab") or "\t" in first else ","
        raw = pl.read_csv(
            path,
            separator=sep,
            infer_schema=False,
            encoding="utf8-lossy",
            truncate_ragged_lines=True,
        )
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputFileError(path, f"cannot read the {kind} file ({exc})") from None
    found = columns_of(raw.columns, kind)
    need = ("callee", "refused_at") if kind == "refusal" else ("callee",)
    missing = [f for f in need if f not in found]
    if missing:
        names = ", ".join(f"{f} ({'/'.join(_ALIASES[f][:4])})" for f in missing)
        raise InputFileError(path, f"the header has no column for {names}")
    return raw.select(
        (pl.int_range(pl.len(), dtype=pl.Int64) + 2).alias("row"),
        *(
            (pl.col(found[f]) if f in found else pl.lit(None, pl.Utf8)).alias(f)
            for f in _FIELDS[kind]
        ),
    )


def _time_check(frame: pl.DataFrame, field: str, zone: str, limit: datetime | None) -> pl.DataFrame:
    text = frame[field].str.strip_chars()
    parsed = parse_times(text, zone)
    given = text.is_not_null() & (text != "")
    future = (parsed > limit) if limit is not None else pl.Series([False] * len(parsed))
    return frame.with_columns(
        parsed.alias(f"{field}_t"),
        pl.when(given & parsed.is_null())
        .then(pl.lit(f"{field}: not a time (write 2026-07-08 14:23 or ISO 8601)"))
        .when(future)
        .then(pl.lit(f"{field}: in the future"))
        .alias(f"{field}_bad"),
    )


def check_rows(
    frame: pl.DataFrame, kind: Kind, zone: str, now: datetime
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Good rows (stored callee, key, UTC times) and bad ones (``row``: the file's line
    number, ``reason``, and the row's fields as written)."""
    callee, why = normalise_series(frame["callee"])
    frame = frame.with_columns(
        callee.alias("stored"),
        pl.when(callee.is_null()).then(pl.lit("callee: ") + why).alias("callee_bad"),
    )
    limit = now + _FUTURE
    times = ("granted_at", "expires_at", "withdrawn_at") if kind == "consent" else ("refused_at",)
    for field in times:
        frame = _time_check(frame, field, zone, None if field == "expires_at" else limit)
    evidence = pl.col("evidence").str.strip_chars()
    if kind == "consent":
        rules = [
            pl.col("callee_bad"),
            pl.col("granted_at_bad"),
            pl.col("expires_at_bad"),
            pl.col("withdrawn_at_bad"),
            pl.when(pl.col("granted_at_t").is_null() & pl.col("withdrawn_at_t").is_null()).then(
                pl.lit("granted_at: give when the person agreed (withdrawn_at for a withdrawal)")
            ),
            pl.when(pl.col("granted_at_t").is_not_null() & (evidence.fill_null("") == "")).then(
                pl.lit("evidence: a consent needs where its proof is kept (recording, form id)")
            ),
            pl.when(pl.col("expires_at_t") <= pl.col("granted_at_t")).then(
                pl.lit("expires_at: not after granted_at")
            ),
            pl.when(pl.col("channel").str.len_chars() > 32).then(
                pl.lit("channel: over 32 characters")
            ),
        ]
    else:
        line, line_why = normalise_series(frame["line"])
        frame = frame.with_columns(line.alias("line_stored"), line_why.alias("line_why"))
        rules = [
            pl.col("callee_bad"),
            pl.col("refused_at_bad"),
            pl.when(pl.col("refused_at_t").is_null()).then(
                pl.lit("refused_at: give when the person said no")
            ),
            pl.when(pl.col("line_stored").is_null() & (pl.col("line_why") != "missing")).then(
                pl.lit("line: ") + pl.col("line_why")
            ),
            pl.when(pl.col("vendor").str.len_chars() > 64).then(
                pl.lit("vendor: over 64 characters")
            ),
        ]
    rules.append(
        pl.when(evidence.str.len_chars() > 256).then(pl.lit("evidence: over 256 characters"))
    )
    frame = frame.with_columns(pl.coalesce(rules).alias("reason"))
    bad = frame.filter(pl.col("reason").is_not_null()).select("row", "reason", *_FIELDS[kind])
    good = frame.filter(pl.col("reason").is_null()).with_columns(
        pl.col("stored").str.slice(1).cast(pl.Int64).alias("key"),
        evidence.fill_null("").alias("evidence"),
    )
    return good, bad


def import_register(
    s: Session, business: str, path: Path, kind: Kind, now: datetime
) -> tuple[RegisterCounts, pl.DataFrame]:
    """Put a file's good rows on the business's register; the counts and the bad rows."""
    row = business_named(s, business)
    zone = parse_policy(row.policy, f"{business} policy").timezone
    frame = read_register(path, kind)
    good, bad = check_rows(frame, kind, zone, now)
    if kind == "consent":
        table: type[Consent | Refusal] = Consent
        rows = good.select(
            pl.col("stored").alias("callee"),
            pl.col("key").alias("callee_key"),
            pl.col("granted_at_t").alias("granted_at"),
            pl.col("expires_at_t").alias("expires_at"),
            pl.col("withdrawn_at_t").alias("withdrawn_at"),
            "evidence",
            pl.col("channel").str.strip_chars(),
        )
    else:
        table = Refusal
        rows = good.select(
            pl.col("stored").alias("callee"),
            pl.col("key").alias("callee_key"),
            pl.col("refused_at_t").alias("refused_at"),
            pl.col("line_stored").alias("line"),
            pl.col("vendor").str.strip_chars(),
            "evidence",
        )
    rows = rows.with_columns(pl.lit(row.id).alias("business_id"), pl.lit(now).alias("imported_at"))
    for chunk in rows.iter_slices(_BATCH):
        s.execute(insert(table), chunk.to_dicts())
    return RegisterCounts(frame.height, good.height, bad.height), bad
