"""The feature spec (features/spec.py) written once as DuckDB SQL window functions.

A candidate third engine, measured in ``bench_score.py`` beside the compiled one (issue 22):
every per-event signal of :data:`~callwarden.features.spec.SIGNALS` and every windowed feature
of :data:`~callwarden.features.spec.FEATURES` at every acting event (an outgoing call, spoofed
presentations included, and a sent SMS), in event time and record order. Static features
(subscriber profile, number flags) and known fraud numbers are left out: they are a join and
two ``IN`` lists, the same work in any engine.

How the spec maps onto SQL: a window ``(t - w, t]`` "up to and including this event in record
order" is a running sum in record order (``ROWS UNBOUNDED PRECEDING``) minus the running sum of
the events at or before ``t - w`` (``RANGE ... w PRECEDING`` on the millisecond), exact when
several events share a millisecond. "The previous own call" and "the pair's previous call" are
``max(t) FILTER`` over the rows before (event time never goes back in record order).

    .venv/bin/python benchmarks/spec_duckdb.py CITY [--check]

``--check`` compares every windowed feature with the compiled engine's (``feature_frame``) on
the city and prints, per feature, how many events differ.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from callwarden.features.engines.base import Traffic, feature_frame, load_engine
from callwarden.features.spec import (
    FEATURES,
    NIGHT_HOURS,
    ONE_RING_S,
    SEQUENTIAL_STEP,
    SHORT_CALL_S,
    SPOOFED_FLAGS,
    WINDOWS,
    Agg,
    window_signals,
)
from callwarden.records.load import load_records

# (S608 below: statements built from the spec's own constants and the benchmark's paths)

ORDER = "t, rk, us, id, side"  # record order: ms, calls before SMS, µs, record id; out before in


def _events_sql(calls: str, sms: str | None, timezone: str) -> str:
    flags = ", ".join(f"'{f}'" for f in SPOOFED_FLAGS)
    call_cols = f"""
        call_id AS id, caller, callee, epoch_us(start_time) // 1000 AS t,
        epoch_us(start_time) AS us,
        duration_s AS dur, coalesce(ring_s, -1) AS ring, caller_cell AS cell, caller_imei AS imei,
        coalesce(caller_flag IN ({flags}), false) AS spoofed,
        hour(timezone('{timezone}', start_time)) AS hr"""
    parts = [
        """SELECT caller AS num, callee AS other, 0 AS kind, t, 0 AS rk, us, id, 0 AS side,
               spoofed, dur, ring, cell, hr FROM c""",
        """SELECT callee AS num, caller AS other, 1 AS kind, t, 0 AS rk, us, id, 1 AS side,
               spoofed, 0 AS dur, -1 AS ring, NULL AS cell, hr FROM c""",
    ]
    if sms:
        parts.append(
            f"""SELECT sender AS num, recipient AS other, 2 AS kind,
                   epoch_us(sent_time) // 1000 AS t, 1 AS rk, epoch_us(sent_time) AS us,
                   sms_id AS id, 0 AS side, false AS spoofed, 0 AS dur, -1 AS ring,
                   NULL AS cell, 0 AS hr
               FROM read_parquet('{sms}/**/*.parquet')"""  # noqa: S608
        )
    union = "\nUNION ALL\n".join(parts)
    return f"""
    CREATE OR REPLACE TEMP TABLE c AS SELECT {call_cols} FROM read_parquet('{calls}/**/*.parquet');
    CREATE OR REPLACE TEMP TABLE ev AS
    SELECT *, kind = 0 AND NOT spoofed AS own_out FROM ({union});
    """  # noqa: S608


def _crossing_sql() -> str:
    """Per call (its id): shared target and the numbers on its device (own calls only)."""
    six_h, day = WINDOWS["6h"], WINDOWS["24h"]
    return f"""
    CREATE OR REPLACE TEMP TABLE target AS
    SELECT id, CASE WHEN lag(caller) OVER w IS NOT NULL AND lag(caller) OVER w <> caller
                     AND t - lag(t) OVER w < {six_h} THEN 1 ELSE 0 END AS shared_target_out
    FROM c WHERE NOT spoofed
    WINDOW w AS (PARTITION BY callee ORDER BY t, us, id);
    CREATE OR REPLACE TEMP TABLE dev_new AS
    SELECT id, imei, t, us,
           CASE WHEN lag(t) OVER (PARTITION BY imei, caller ORDER BY t, us, id) IS NULL
                  OR t - lag(t) OVER (PARTITION BY imei, caller ORDER BY t, us, id) >= {day}
                THEN 1 ELSE 0 END AS new
    FROM c WHERE NOT spoofed AND imei IS NOT NULL;
    CREATE OR REPLACE TEMP TABLE device AS
    SELECT id,
           sum(new) OVER (PARTITION BY imei ORDER BY t, us, id ROWS UNBOUNDED PRECEDING)
           - coalesce(sum(new) OVER (PARTITION BY imei ORDER BY t
                      RANGE BETWEEN UNBOUNDED PRECEDING AND {day} PRECEDING), 0) AS imei_sims
    FROM dev_new;
    """  # noqa: S608


def _signals_sql() -> str:
    hour, day = WINDOWS["1h"], WINDOWS["24h"]

    def since(cond: str, part: str) -> str:
        return (
            f"max(t) FILTER (WHERE {cond}) OVER (PARTITION BY {part} ORDER BY {ORDER} "
            "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
        )

    def new(prev: str, window: int) -> str:
        return f"CASE WHEN {prev} IS NULL OR t - {prev} >= {window} THEN 1 ELSE 0 END"

    return f"""
    CREATE OR REPLACE TEMP TABLE own AS
    SELECT id, kind, side, t - lag(t) OVER w AS gap_ms,
           abs(try_cast(substr(other, 2) AS BIGINT)
               - try_cast(substr(lag(other) OVER w, 2) AS BIGINT)) AS step
    FROM ev WHERE own_out
    WINDOW w AS (PARTITION BY num ORDER BY {ORDER});
    CREATE OR REPLACE TEMP TABLE pair AS
    SELECT id, kind, side,
           {since("own_out", "num, other")} AS last_out,
           {since("kind = 2", "num, other")} AS last_sms,
           {since("kind = 0 AND spoofed", "num, other")} AS last_spoof
    FROM ev;
    CREATE OR REPLACE TEMP TABLE cell AS
    SELECT id, {new(since("true", "num, cell"), day)} AS new_cell_24h
    FROM ev WHERE own_out AND cell IS NOT NULL;
    CREATE OR REPLACE TEMP TABLE sig AS
    SELECT ev.num, ev.kind, ev.t, ev.rk, ev.us, ev.id, ev.side,
      CASE WHEN own_out THEN 1 ELSE 0 END AS "out",
      CASE WHEN kind = 1 THEN 1 ELSE 0 END AS "in",
      CASE WHEN kind = 2 THEN 1 ELSE 0 END AS sms_out,
      CASE WHEN own_out AND dur < {SHORT_CALL_S} THEN 1 ELSE 0 END AS short_out,
      CASE WHEN own_out AND dur > 0 THEN 1 ELSE 0 END AS answered_out,
      CASE WHEN own_out AND dur = 0 AND ring BETWEEN 0 AND {ONE_RING_S} THEN 1 ELSE 0 END
        AS one_ring_out,
      CASE WHEN own_out AND hr >= {NIGHT_HOURS[0]} AND hr < {NIGHT_HOURS[1]} THEN 1 ELSE 0 END
        AS night_out,
      CASE WHEN own_out THEN dur ELSE 0 END AS dur_out,
      CASE WHEN gap_ms < {hour} THEN gap_ms // 1000 ELSE 0 END AS gap_out,
      CASE WHEN gap_ms < {hour} THEN (gap_ms // 1000) * (gap_ms // 1000) ELSE 0 END AS gap_out_sq,
      CASE WHEN gap_ms < {hour} THEN 1 ELSE 0 END AS has_gap_out,
      CASE WHEN step BETWEEN 1 AND {SEQUENTIAL_STEP} THEN 1 ELSE 0 END AS seq_out,
      CASE WHEN own_out THEN {new("last_out", hour)} ELSE 0 END AS new_callee_1h,
      CASE WHEN own_out THEN {new("last_out", day)} ELSE 0 END AS new_callee_24h,
      CASE WHEN kind = 2 THEN {new("last_sms", hour)} ELSE 0 END AS new_recipient_1h,
      CASE WHEN kind = 1 AND NOT spoofed AND t - last_out < {day} THEN 1 ELSE 0 END
        AS callback_in,
      coalesce(new_cell_24h, 0) AS new_cell_24h,
      CASE WHEN own_out THEN coalesce(shared_target_out, 0) ELSE 0 END AS shared_target_out,
      CASE WHEN own_out THEN coalesce(imei_sims, 0) ELSE 0 END AS imei_sims,
      0 AS known_peer_out, 0 AS shared_victim_out,
      CASE WHEN kind = 0 AND spoofed THEN 1 ELSE 0 END AS spoofed_out,
      CASE WHEN kind = 0 AND spoofed THEN {new("last_spoof", hour)} ELSE 0 END
        AS spoofed_new_callee_1h
    FROM ev
    JOIN pair USING (id, kind, side)
    LEFT JOIN own USING (id, kind, side)
    LEFT JOIN cell ON ev.side = 0 AND ev.kind = 0 AND cell.id = ev.id
    LEFT JOIN target ON ev.side = 0 AND ev.kind = 0 AND target.id = ev.id
    LEFT JOIN device ON ev.side = 0 AND ev.kind = 0 AND device.id = ev.id;
    """  # noqa: S608


def _features_sql() -> str:
    sums = [
        f'sum("{s}") OVER (PARTITION BY num ORDER BY {ORDER} ROWS UNBOUNDED PRECEDING)'
        f' - coalesce(sum("{s}") OVER (PARTITION BY num ORDER BY t RANGE BETWEEN '
        f'UNBOUNDED PRECEDING AND {WINDOWS[window]} PRECEDING), 0) AS "{s}@{window}"'
        for window, names in window_signals().items()
        for s in sorted(names)
    ]

    def share(a: str, b: str) -> str:
        return f'CASE WHEN "{b}" > 0 THEN "{a}"::DOUBLE / "{b}" ELSE 0 END'

    values = []
    for f in FEATURES.values():
        if f.agg is Agg.STATIC:
            continue
        a, b = f"{f.signal}@{f.window}", f"{f.over}@{f.window}"
        if f.agg is Agg.LAST:
            expr = f'"{f.signal}"::DOUBLE'
        elif f.agg is Agg.SUM:
            expr = f'"{a}"::DOUBLE'
        elif f.agg in (Agg.SHARE, Agg.MEAN):
            expr = share(a, b)
        elif f.agg is Agg.RATIO:
            expr = f'"{a}" / ("{b}" + 1.0)'
        else:  # CV
            mean = share(a, b)
            sq = share(f"gap_out_sq@{f.window}", b)
            expr = (
                f"CASE WHEN ({mean}) > 0 THEN sqrt(greatest(({sq}) - ({mean}) * ({mean}), 0)) "
                f"/ ({mean}) ELSE 0 END"
            )
        values.append(f'{expr} AS "{f.name}"')
    return f"""
    SELECT num AS msisdn, kind, t, rk, us, id, {", ".join(values)}
    FROM (SELECT num, kind, t, rk, us, id, side, "imei_sims", {", ".join(sums)} FROM sig)
    WHERE kind <> 1
    """  # noqa: S608


def spec_query(calls: str, sms: str | None, timezone: str = "Asia/Shanghai") -> list[str]:
    """The statements: events, crossing signals, signals; the last one selects the features."""
    setup = _events_sql(calls, sms, timezone) + _crossing_sql() + _signals_sql()
    return [*(s for s in setup.split(";") if s.strip()), _features_sql()]


def run(city: Path, out: Path, threads: int = 2, memory_limit: str | None = None) -> int:
    """Every windowed feature of the city's acting events, written to ``out`` (Parquet)."""
    import duckdb  # noqa: PLC0415  (the bench extra: only this command needs it)

    con = duckdb.connect()
    con.execute(f"PRAGMA threads={threads}")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        # what spills goes beside the output, not into ``.tmp`` of the working folder
        con.execute(f"SET temp_directory = '{out.parent / 'duckdb_spill'}'")
    sms = city / "sms"
    *setup, select = spec_query(str(city / "calls"), str(sms) if sms.exists() else None)
    for statement in setup:
        con.execute(statement)
    con.execute(f"COPY ({select}) TO '{out}' (FORMAT parquet)")
    return int(con.execute("SELECT count(*) FROM c").fetchone()[0])  # type: ignore[index]


def check(city: Path, out: Path) -> dict[str, int]:
    """Per windowed feature, how many acting events differ from the compiled engine's."""
    traffic = Traffic(
        load_records(city, "calls"),
        load_records(city, "sms", allow_empty=True),
        load_records(city, "subscribers"),
    )
    ours = feature_frame(load_engine("compiled")(), traffic)
    theirs = pl.read_parquet(out).sort("t", "rk", "us", "id")
    assert ours.height == theirs.height, (ours.height, theirs.height)
    differ = {}
    for f in FEATURES.values():
        if f.agg is Agg.STATIC or f.name in ("known_contacts_24h", "shared_victims_24h"):
            continue
        a, b = ours[f.name].to_numpy(), theirs[f.name].to_numpy()
        differ[f.name] = int((~np.isclose(a, b, rtol=1e-9, atol=1e-9)).sum())
    return differ


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("city", type=Path)
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "spec.parquet")
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    started = time.perf_counter()
    rows = run(args.city, args.out)
    print(json.dumps({"rows": rows, "seconds": round(time.perf_counter() - started, 2)}))
    if args.check:
        print(json.dumps(check(args.city, args.out), indent=1))
    sys.exit(0)


if __name__ == "__main__":
    main()
