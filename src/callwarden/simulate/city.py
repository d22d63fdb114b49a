"""Simulate a city: build the population, run every behaviour day by day, write Parquet.

Output (canonical schemas, DESIGN.md section 4)::

    OUT/calls/day=2026-07-08/part-00000.parquet   sorted by start_time
    OUT/sms/day=2026-07-08/part-00000.parquet     sorted by sent_time
    OUT/subscribers/part-00000.parquet
    OUT/labels/part-00000.parquet                 ground truth, with behaviour_start
    OUT/trunks.csv                                the operator's trunks (ingest --trunks)

Calls carry their ingress trunk, and the flags ingest would give them with that trunk table
(``caller_flag``, ``callee_flag``; ``sender_flag``, ``recipient_flag`` for SMS), so scoring the
simulator's files directly sees what scoring their ingested copy sees.

Each (seed, day, behaviour) has its own random stream, so a run is reproducible and a day can
be regenerated alone.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from callwarden.numbers import presented_series
from callwarden.records.trunks import TrunkTable

# Importing the behaviour modules registers them.
from callwarden.simulate.behaviour import BEHAVIOURS, Day, Traffic
from callwarden.simulate.behaviour.base import CallBatch, SmsBatch
from callwarden.simulate.config import SimulationConfig
from callwarden.simulate.groups import GROUP_ACTORS
from callwarden.simulate.population import ACTORS, LABEL_OF, REALNAME, Population, build_population
from callwarden.simulate.registration import registration_columns
from callwarden.simulate.trunks import TRUNKS, trunk_names, write_trunks

__all__ = ["SimulationResult", "simulate_city"]

Progress = Callable[[str, int, int], None]  # (step, done, total)


@dataclass
class SimulationResult:
    """What a simulation wrote."""

    out: str
    subscribers: int
    days: int
    seed: int
    calls: int = 0
    sms: int = 0
    actors: dict[str, int] = field(default_factory=dict)  # numbers per actor type

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _e164(values: np.ndarray) -> pl.Series:
    digits = pl.Series(values, dtype=pl.Int64).cast(pl.String)
    return pl.select(pl.concat_str([pl.lit("+"), pl.lit(digits)])).to_series()


def _optional(values: np.ndarray, fmt: Callable[[pl.Expr], pl.Expr]) -> pl.Series:
    s = pl.Series(values)
    return pl.select(pl.when(s >= 0).then(fmt(pl.lit(s))).otherwise(None)).to_series()


def _midnight_us(config: SimulationConfig, day_index: int) -> int:
    local = datetime.combine(
        config.start_date + timedelta(days=day_index),
        datetime.min.time(),
        ZoneInfo(config.timezone),
    )
    return int(local.astimezone(UTC).timestamp()) * 1_000_000


_TRUNK_TABLE = TrunkTable({name: kind for name, kind, _ in TRUNKS})


def _flag(numbers: np.ndarray) -> pl.Series:
    """The flag ingest gives each number (int64 E.164 digits; null for a number someone can
    own), worked out once per distinct number."""
    distinct, inverse = np.unique(numbers, return_inverse=True)
    flags = presented_series(_e164(distinct))[1]
    return flags.gather(pl.Series(inverse.ravel()))


def _calls_frame(
    pop: Population, batches: list[CallBatch], midnight_us: int, day_tag: str
) -> pl.DataFrame:
    b = CallBatch.concat(batches)
    order = np.argsort(b.t, kind="stable")
    start = midnight_us + np.rint(b.t[order] * 1e6).astype(np.int64)
    n = len(b)
    caller = _e164(b.caller[order])
    trunk = trunk_names(b.caller[order], b.trunk_codes()[order], lambda n: pop.index_of(n) >= 0)
    frame = pl.DataFrame(
        {
            "call_id": pl.select(
                pl.lit(f"{day_tag}-") + pl.int_range(n, eager=True).cast(pl.String).str.zfill(9)
            ).to_series(),
            "caller": _e164(b.caller[order]),
            "callee": _e164(b.callee[order]),
            "start_time": pl.Series(start).cast(pl.Datetime("us", "UTC")),
            "duration_s": pl.Series(b.duration[order], dtype=pl.Int32),
            "ring_s": pl.Series(b.ring[order], dtype=pl.Int32),
            "caller_cell": _optional(
                b.cell[order], lambda e: pl.lit("C") + e.cast(pl.String).str.zfill(5)
            ),
            "caller_imei": _optional(b.imei[order], lambda e: e.cast(pl.String)),
        }
    )
    return frame.with_columns(
        caller_flag=pl.coalesce(_flag(b.caller[order]), _TRUNK_TABLE.flags(caller, trunk)),
        callee_flag=_flag(b.callee[order]),
        trunk=trunk,
    )


def _sms_frame(
    parts: list[tuple[SmsBatch, list[str]]], midnight_us: int, day_tag: str
) -> pl.DataFrame:
    frames = []
    for batch, texts in parts:
        table = pl.Series(texts or [""], dtype=pl.String)
        idx = pl.Series(np.maximum(batch.content, 0))
        content = table.gather(idx)
        content = pl.select(
            pl.when(pl.Series(batch.content) >= 0).then(content).otherwise(None)
        ).to_series()
        frames.append(
            pl.DataFrame(
                {
                    "t": batch.t,
                    "sender": _e164(batch.sender),
                    "recipient": _e164(batch.recipient),
                    "length": pl.Series(batch.length, dtype=pl.Int32),
                    "content": content.cast(pl.String),
                }
            )
        )
    sms = pl.concat(frames).sort("t", maintain_order=True)
    n = sms.height
    return sms.select(
        sms_id=pl.lit(f"{day_tag}-s") + pl.int_range(n).cast(pl.String).str.zfill(9),
        sender="sender",
        recipient="recipient",
        sent_time=(pl.lit(midnight_us) + (pl.col("t") * 1e6).round().cast(pl.Int64)).cast(
            pl.Datetime("us", "UTC")
        ),
        length="length",
        content="content",
        sender_flag=pl.lit(_flag(sms["sender"].str.slice(1).cast(pl.Int64).to_numpy())),
        recipient_flag=pl.lit(_flag(sms["recipient"].str.slice(1).cast(pl.Int64).to_numpy())),
    )


def _subscribers_frame(pop: Population) -> pl.DataFrame:
    cfg = pop.config
    return pl.DataFrame(
        {
            "msisdn": _e164(pop.number),
            "owner_birth_year": pl.Series(pop.birth_year, dtype=pl.Int16).replace(-1, None),
            "owner_type": pl.Series(np.where(pop.enterprise, "enterprise", "individual")),
            "activated_on": pl.Series(pop.activated_on).cast(pl.Date),
            "realname_status": pl.Series(np.array(REALNAME)[pop.realname]),
            "region": pl.Series(np.array(cfg.regions)[pop.region]),
            "whitelisted": pl.Series(pop.whitelisted),
            **registration_columns(pop),
        }
    )


def _labels_frame(pop: Population, onsets: dict[int, int]) -> pl.DataFrame:
    outside = (
        ("wangiri", pop.wangiri, np.arange(pop.wangiri.shape[0], dtype=np.int32)),
        ("spoofed_caller_id", pop.spoofed, np.arange(pop.spoofed.shape[0], dtype=np.int32)),
        ("cloud_trunk", pop.cloud, pop.cloud_group),
    )
    actor = np.concatenate(
        [np.array(ACTORS)[pop.actor], *(np.full(n.shape[0], a) for a, n, _ in outside)]
    )
    numbers = np.concatenate([pop.number, *(n for _, n, _ in outside)])
    group = np.concatenate([pop.group, *(g for _, _, g in outside)])
    start = np.array([onsets.get(int(x), -1) for x in numbers], dtype=np.int64)
    frame = pl.DataFrame(
        {
            "msisdn": _e164(numbers),
            "label": pl.Series(actor).replace_strict(LABEL_OF, return_dtype=pl.String),
            "behaviour_start": pl.Series(start).cast(pl.Datetime("us", "UTC")),
            "actor": pl.Series(actor),
            "group_id": pl.Series(group),
        }
    )
    grouped = frame["actor"].is_in(
        ["robocall_rotation", "simbox", "wangiri", "spoofed_caller_id", "cloud_trunk",
         *GROUP_ACTORS]
    )  # fmt: skip
    return frame.with_columns(
        behaviour_start=pl.when(pl.col("behaviour_start").dt.epoch("us") >= 0)
        .then("behaviour_start")
        .otherwise(None),
        group_id=pl.when(grouped)
        .then(pl.col("actor") + pl.lit("-") + pl.col("group_id").cast(pl.String))
        .otherwise(None),
    )


def _write(frame: pl.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(path, compression="zstd", compression_level=1, row_group_size=1 << 20)


def simulate_city(
    config: SimulationConfig, out: Path, progress: Progress | None = None
) -> SimulationResult:
    """Simulate ``config.days`` days of the city into ``out`` and return what was written.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     r = simulate_city(SimulationConfig(subscribers=500, seed=1), Path(d))
    >>> r.calls > 0 and r.actors["relay_call"] >= 1
    True
    """
    steps = BEHAVIOURS.names()
    total = 1 + config.days * (len(steps) + 1)
    done = 0

    def tick(step: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(step, done, total)

    pop = build_population(config)
    tick("population")
    result = SimulationResult(str(out), config.subscribers, config.days, config.seed)
    onsets: dict[int, int] = {}
    for d in range(config.days):
        date = config.start_date + timedelta(days=d)
        midnight = _midnight_us(config, d)
        calls: list[CallBatch] = []
        sms: list[tuple[SmsBatch, list[str]]] = []
        for name in steps:
            seq = np.random.SeedSequence([config.seed, d, zlib.crc32(name.encode())])
            traffic: Traffic = BEHAVIOURS.get(name)(pop, Day(d, date, np.random.default_rng(seq)))
            calls.extend(traffic.calls)
            sms.extend((b, traffic.texts) for b in traffic.sms)
            for number, t in traffic.onsets.items():
                at = midnight + round(t * 1e6)
                onsets[number] = min(onsets.get(number, at), at)
            tick(name)
        tag = date.strftime("%Y%m%d")
        partition = f"day={date.isoformat()}"
        call_frame = _calls_frame(pop, calls, midnight, tag)
        _write(call_frame, out / "calls" / partition / "part-00000.parquet")
        result.calls += call_frame.height
        if sms:
            sms_frame = _sms_frame(sms, midnight, tag)
            _write(sms_frame, out / "sms" / partition / "part-00000.parquet")
            result.sms += sms_frame.height
        tick("write")
    _write(_subscribers_frame(pop), out / "subscribers" / "part-00000.parquet")
    write_trunks(out / "trunks.csv")
    labels = _labels_frame(pop, onsets)
    _write(labels, out / "labels" / "part-00000.parquet")
    result.actors = dict(labels.group_by("actor").len().sort("actor").iter_rows())
    (out / "simulation.json").write_text(
        json.dumps(
            {"config": config.model_dump(mode="json"), "result": result.to_dict()},
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )
    return result
