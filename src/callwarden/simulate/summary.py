"""Counts by actor type over canonical records and labels: what the city did today.

>>> import tempfile
>>> from callwarden.simulate import SimulationConfig, simulate_city
>>> with tempfile.TemporaryDirectory() as d:
...     _ = simulate_city(SimulationConfig(subscribers=500, seed=2), Path(d))
...     table = actor_summary(Path(d))
>>> table.filter(pl.col("actor") == "relay_call")["numbers"].item() >= 1
True
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from callwarden.records.ingest import canonical_files, read_canonical

__all__ = ["actor_summary"]


def _scan(root: Path, record: str) -> pl.LazyFrame | None:
    if not (root / record).is_dir() or not canonical_files(root, record):
        return None
    return read_canonical(root, record)


def actor_summary(root: Path) -> pl.DataFrame:
    """One row per actor type: numbers, calls placed and received, SMS sent, mean per number.

    ``root`` holds canonical ``calls/``, ``sms/`` and ``labels/`` folders (simulator output or
    ``callwarden ingest`` output).
    """
    labels = _scan(root, "labels")
    if labels is None:
        raise FileNotFoundError(f"{root / 'labels'}: no labels to group by actor")
    who = labels.select("msisdn", "label", actor=pl.coalesce("actor", "label"))
    calls = _scan(root, "calls")
    sms = _scan(root, "sms")
    frames = [who.group_by("actor", "label").agg(numbers=pl.len())]
    if calls is not None:
        placed = calls.group_by("caller").agg(n=pl.len()).rename({"caller": "msisdn"})
        received = calls.group_by("callee").agg(n=pl.len()).rename({"callee": "msisdn"})
        frames.append(
            who.join(placed, on="msisdn").group_by("actor").agg(calls_placed=pl.col("n").sum())
        )
        frames.append(
            who.join(received, on="msisdn").group_by("actor").agg(calls_received=pl.col("n").sum())
        )
    if sms is not None:
        sent = sms.group_by("sender").agg(n=pl.len()).rename({"sender": "msisdn"})
        frames.append(who.join(sent, on="msisdn").group_by("actor").agg(sms_sent=pl.col("n").sum()))
    out = frames[0]
    for frame in frames[1:]:
        out = out.join(frame, on="actor", how="left")
    result = out.collect()
    for col in ("calls_placed", "calls_received", "sms_sent"):
        if col not in result.columns:
            result = result.with_columns(pl.lit(0, dtype=pl.UInt32).alias(col))
    return (
        result.with_columns(pl.col("calls_placed", "calls_received", "sms_sent").fill_null(0))
        .with_columns(
            calls_per_number=(pl.col("calls_placed") / pl.col("numbers")).round(1),
        )
        .sort(pl.col("label") == "normal", "label", "actor")
    )
