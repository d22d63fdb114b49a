"""The Spark feature engine: the spec's signals and windows as Spark window expressions.

A back-end of ``features/spec.py``, like the compiled engine, computing the same values
(bit for bit, every signal being an integer) on a cluster:

- **Events** are the calls' *out* and *in* sides and the SMS, each with the columns that order
  a number's events as the stream sees them: ``(t, src, t_us, rid, kind)`` (time in ms, calls
  before SMS, then the record's own microseconds and id, the caller's side first).
- **Signals** that look back ("the previous outgoing call", "the last call to this callee") are
  ``last(..., ignorenulls)`` over the rows before the event, partitioned by number (or by
  number and callee, number and cell); those that look at other numbers' calls (shared
  targets, devices, known fraud numbers) are windows over all calls by callee or by device.
- **Spoofed presentations** (``caller_flag`` in ``SPOOFED_FLAGS``) are events of the presented
  number that count only in its ``spoofed_*`` signals, as in every engine (see ``spec.py``).
- **Windowed features** are generated from :data:`~callwarden.features.spec.FEATURES`: a sum
  over ``(t - w, t]`` up to the event is the number's running sum in record order less its sum
  up to ``t - w`` (a range frame on ``t``), both running totals, as the embedded engine's
  prefix sums.

Everything is partitioned by number, so one shuffle by number serves every per-number window.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from callwarden.errors import ConfigError
from callwarden.features.engines.base import DEFAULT_TIMEZONE
from callwarden.features.engines.spark.triage import invalid_numbers, spark_candidates
from callwarden.features.spec import CALL_ORDER as SPEC_CALL_ORDER
from callwarden.features.spec import (
    EVENT_IN,
    EVENT_OUT,
    EVENT_SMS,
    FEATURES,
    HOME_PREFIX,
    LANDLINE_PATTERN,
    NIGHT_HOURS,
    ONE_RING_S,
    RECORD_CALL,
    RECORD_ORDER,
    RECORD_SMS,
    SEQUENTIAL_STEP,
    SHORT_CALL_S,
    SPOOFED_FLAGS,
    VIRTUAL_PATTERN,
    WINDOWS,
    Agg,
    window_signals,
)

__all__ = ["ORDER", "spark_crossing_signals", "spark_events", "spark_features"]

HOUR_MS, SIX_H_MS, DAY_MS = WINDOWS["1h"], WINDOWS["6h"], WINDOWS["24h"]

#: spec.RECORD_ORDER as the event columns here (ms, calls before SMS, µs, id), then the
#: caller's side of a call before the callee's (a call to oneself)
_COLUMNS = {"ms": "t", "kind": "src", "us": "t_us", "id": "rid"}
ORDER = (*(_COLUMNS[c] for c in RECORD_ORDER), "kind")
#: the order of the calls themselves (spec.CALL_ORDER, with the time in µs)
CALL_ORDER = ("t_us", SPEC_CALL_ORDER[1])
_YEAR_MS = 365.2425 * 86_400_000.0
_E164_DIGITS = r"^\+[0-9]{1,18}$"
_EARLIER = (Window.unboundedPreceding, -1)


def _flag(condition: Column) -> Column:
    return F.when(condition, F.lit(1)).otherwise(F.lit(0)).cast("long")


def _digits(number: Column) -> Column:
    """E.164 digits as a long, -1 for anything else (opaque identifiers)."""
    return F.when(number.rlike(_E164_DIGITS), F.substring(number, 2, 18).cast("long")).otherwise(
        F.lit(-1).cast("long")
    )


def _with_window_sums(
    frame: DataFrame,
    sums: dict[str, tuple[str, int]],
    by: list[str],
    order: tuple[str, ...],
) -> DataFrame:
    """Add each ``name: (signal, window_ms)`` of ``sums``: the signal summed over the group's
    rows with time in ``(t - w, t]``, up to and including this row in ``order``.

    Like the embedded engine, a difference of prefix sums: the running sum in record order,
    less the sum of the rows at or before ``t - w``. Both frames start at the group's first
    row, so Spark keeps them as running totals (a sliding frame would re-add every row of a
    24 h window at every event).
    """
    signals = sorted({s for s, _ in sums.values()})
    running = (
        Window.partitionBy(*by)
        .orderBy(*order)
        .rowsBetween(Window.unboundedPreceding, Window.currentRow)
    )
    frame = frame.withColumns({f"_run_{s}": F.sum(s).over(running) for s in signals})
    by_time = Window.partitionBy(*by).orderBy("t")

    def expired(signal: str, window_ms: int) -> Column:
        frame_end = by_time.rangeBetween(Window.unboundedPreceding, -window_ms)
        return F.coalesce(F.sum(signal).over(frame_end), F.lit(0).cast("long"))

    frame = frame.withColumns(
        {name: F.col(f"_run_{s}") - expired(s, w) for name, (s, w) in sums.items()}
    )
    return frame.drop(*(f"_run_{s}" for s in signals))


def _own_call(calls: DataFrame) -> Column | None:
    """True where a call is its caller's own, not a spoofed presentation; None when the calls
    carry no ``caller_flag`` (older files: every call is its caller's own)."""
    if "caller_flag" not in calls.columns:
        return None
    return ~F.coalesce(F.col("caller_flag").isin(*SPOOFED_FLAGS), F.lit(False))


def _timed_calls(calls: DataFrame) -> DataFrame:
    return calls.withColumns(
        {"t": F.unix_millis("start_time"), "t_us": F.unix_micros("start_time")}
    )


def spark_crossing_signals(calls: DataFrame, known: DataFrame | None = None) -> DataFrame:
    """Calls with ``t``, ``t_us`` and the signals that look at other numbers' calls.

    The same as the compiled engine's ``crossing.py``: ``_shared_target`` (the callee's previous
    call came from another number within 6 h), ``_imei_sims`` (numbers on the device in 24 h),
    ``_known_peer`` and ``_shared_victim`` (with ``known``, a frame of ``msisdn``). Spoofed
    presentations take no part: their signals are 0 and no other call's looks at them.
    """
    calls = _timed_calls(calls)
    own = _own_call(calls)
    by_callee = Window.partitionBy("callee").orderBy(*CALL_ORDER)
    if own is None:
        prev_caller, prev_t = F.lag("caller").over(by_callee), F.lag("t").over(by_callee)
        mine: Column = F.lit(True)
    else:  # the callee's previous call that was its caller's own
        before = by_callee.rowsBetween(*_EARLIER)
        prev_caller = F.last(F.when(own, F.col("caller")), ignorenulls=True).over(before)
        prev_t = F.last(F.when(own, F.col("t")), ignorenulls=True).over(before)
        mine = own
    calls = calls.withColumn(
        "_shared_target",
        _flag(
            mine
            & prev_caller.isNotNull()
            & (prev_caller != F.col("caller"))
            & (F.col("t") - prev_t < SIX_H_MS)
        ),
    )
    # Devices: a (device, number) pair is new when not seen on the device in the last 24 h
    # (a spoofed presentation's device is not the number's: as if it had none).
    calls = calls.withColumn(
        "_dev", F.col("caller_imei") if own is None else F.when(own, F.col("caller_imei"))
    )
    by_pair = Window.partitionBy("_dev", "caller").orderBy(*CALL_ORDER)
    seen = F.lag("t").over(by_pair)
    calls = calls.withColumn(
        "_imei_new",
        _flag(F.col("_dev").isNotNull() & (seen.isNull() | (F.col("t") - seen >= DAY_MS))),
    )
    calls = _with_window_sums(calls, {"_imei_sum": ("_imei_new", DAY_MS)}, ["_dev"],
                              CALL_ORDER)  # fmt: skip
    calls = calls.withColumn(
        "_imei_sims", F.when(F.col("_dev").isNotNull(), F.col("_imei_sum")).otherwise(0)
    ).drop("_imei_new", "_imei_sum", "_dev")
    if known is None:
        return calls.withColumns({"_known_peer": F.lit(0).cast("long"),
                                  "_shared_victim": F.lit(0).cast("long")})  # fmt: skip
    listed = known.select(F.col("msisdn").cast("string").alias("_k")).distinct()
    callee_known = F.broadcast(listed.select(F.col("_k").alias("callee"), F.lit(1).alias("_peer")))
    caller_known = F.broadcast(
        listed.select(F.col("_k").alias("caller"), F.lit(1).alias("_by_known"))
    )
    calls = calls.join(callee_known, "callee", "left_outer").join(
        caller_known, "caller", "left_outer"
    )
    before = by_callee.rowsBetween(*_EARLIER)
    by_known = F.col("_by_known").isNotNull() & mine
    src_caller = F.last(F.when(by_known, F.col("caller")), ignorenulls=True).over(before)
    src_t = F.last(F.when(by_known, F.col("t")), ignorenulls=True).over(before)
    return calls.withColumns(
        {
            "_known_peer": _flag(F.col("_peer").isNotNull() & mine),
            "_shared_victim": _flag(
                mine
                & src_caller.isNotNull()
                & (src_caller != F.col("caller"))
                & (F.col("t") - src_t < DAY_MS)
            ),
        }
    ).drop("_peer", "_by_known")


def spark_events(
    calls: DataFrame,
    sms: DataFrame | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    known: DataFrame | None = None,
) -> DataFrame:
    """Every party's events (the compiled engine's ``events.py``), partitioned by number.

    ``calls`` are canonical calls; the crossing signals are added here unless already there.
    """
    if "_shared_target" not in calls.columns:
        calls = spark_crossing_signals(calls, known)
    hour = F.hour(F.from_utc_timestamp(F.col("start_time"), timezone))
    common = {
        "t": F.col("t"),
        "t_us": F.col("t_us"),
        "src": F.lit(RECORD_CALL),
        "rid": F.col("call_id"),
        "time": F.col("start_time"),
        "duration": F.coalesce(F.col("duration_s"), F.lit(0)).cast("long"),
        "ring": F.coalesce(F.col("ring_s"), F.lit(-1)).cast("long"),
        "cell": F.col("caller_cell"),
        "local_hour": hour,
    }
    crossing = ("_shared_target", "_imei_sims", "_known_peer", "_shared_victim")
    # the caller flag says the call presented a number its trunk could not carry (absent in
    # older files: no flag); both sides of the call carry it
    own = _own_call(calls)
    spoofed = F.lit(0).cast("long") if own is None else _flag(~own)
    out = calls.select(
        F.col("caller").alias("num"),
        F.col("callee").alias("other"),
        _digits(F.col("callee")).alias("other_digits"),
        F.lit(EVENT_OUT).alias("kind"),
        *(v.alias(k) for k, v in common.items()),
        *(F.col(c).cast("long").alias(c[1:]) for c in crossing),
        spoofed.alias("spoofed"),
    )
    inc = calls.select(
        F.col("callee").alias("num"),
        F.col("caller").alias("other"),
        _digits(F.col("caller")).alias("other_digits"),
        F.lit(EVENT_IN).alias("kind"),
        *(v.alias(k) for k, v in common.items()),
        *(F.lit(0).cast("long").alias(c[1:]) for c in crossing),
        spoofed.alias("spoofed"),
    )
    events = out.unionByName(inc)
    if sms is not None:
        texts = sms.select(
            F.col("sender").alias("num"),
            F.col("recipient").alias("other"),
            F.lit(-1).cast("long").alias("other_digits"),
            F.lit(EVENT_SMS).alias("kind"),
            F.unix_millis("sent_time").alias("t"),
            F.unix_micros("sent_time").alias("t_us"),
            F.lit(RECORD_SMS).alias("src"),
            F.col("sms_id").alias("rid"),
            F.col("sent_time").alias("time"),
            F.lit(0).cast("long").alias("duration"),
            F.lit(-1).cast("long").alias("ring"),
            F.lit(None).cast("string").alias("cell"),
            F.hour(F.from_utc_timestamp(F.col("sent_time"), timezone)).alias("local_hour"),
            *(F.lit(0).cast("long").alias(c[1:]) for c in crossing),
            F.lit(0).cast("long").alias("spoofed"),
        )
        events = events.unionByName(texts)
    return events.repartition("num")


def _signals(events: DataFrame) -> DataFrame:
    """The spec's :data:`~callwarden.features.spec.SIGNALS`, one long column each."""
    kind, t = F.col("kind"), F.col("t")
    spoofed = F.col("spoofed") != 0
    # ``out``: the number's own outgoing calls; a spoofed presentation counts only as
    # ``spoof`` (spoofed_* signals), and its callee's in event is no callback
    spoof = (kind == EVENT_OUT) & spoofed
    out, inc, sms = (kind == EVENT_OUT) & ~spoofed, kind == EVENT_IN, kind == EVENT_SMS
    duration = F.col("duration")
    frame = events.withColumns(
        {
            "out": _flag(out),
            "in": _flag(inc),
            "sms_out": _flag(sms),
            "short_out": _flag(out & (duration < SHORT_CALL_S)),
            "answered_out": _flag(out & (duration > 0)),
            "one_ring_out": _flag(
                out & (duration == 0) & (F.col("ring") >= 0) & (F.col("ring") <= ONE_RING_S)
            ),
            "night_out": _flag(
                out
                & (F.col("local_hour") >= NIGHT_HOURS[0])
                & (F.col("local_hour") < NIGHT_HOURS[1])
            ),
            "dur_out": F.when(out, duration).otherwise(0).cast("long"),
        }
    )
    # Rhythm: the number's previous outgoing call.
    before = Window.partitionBy("num").orderBy(*ORDER).rowsBetween(*_EARLIER)
    prev_t = F.last(F.when(out, t), ignorenulls=True).over(before)
    prev_digits = F.last(F.when(out, F.col("other_digits")), ignorenulls=True).over(before)
    frame = frame.withColumns({"_prev_t": prev_t, "_prev_digits": prev_digits})
    has_gap = out & F.col("_prev_t").isNotNull() & (t - F.col("_prev_t") < HOUR_MS)
    has_inner = has_gap & (t - F.col("_prev_t") < WINDOWS["15m"])
    gap = F.floor((t - F.col("_prev_t")) / 1000).cast("long")
    step = F.abs(F.col("other_digits") - F.col("_prev_digits"))
    frame = frame.withColumns(
        {
            "gap_out": F.when(has_gap, gap).otherwise(0).cast("long"),
            "gap_out_sq": F.when(has_gap, gap * gap).otherwise(0).cast("long"),
            "has_gap_out": _flag(has_gap),
            "inner_gap_out": F.when(has_inner, gap).otherwise(0).cast("long"),
            "inner_gap_out_sq": F.when(has_inner, gap * gap).otherwise(0).cast("long"),
            "has_inner_gap_out": _flag(has_inner),
            "seq_out": _flag(
                out
                & F.col("_prev_t").isNotNull()
                & (F.col("other_digits") >= 0)
                & (F.col("_prev_digits") >= 0)
                & (step >= 1)
                & (step <= SEQUENTIAL_STEP)
            ),
        }
    )
    # Pairs: this number's earlier events with the same other party.
    pair = Window.partitionBy("num", "other").orderBy(*ORDER).rowsBetween(*_EARLIER)
    frame = frame.withColumns(
        {
            "_last_out": F.last(F.when(out, t), ignorenulls=True).over(pair),
            "_last_sms": F.last(F.when(sms, t), ignorenulls=True).over(pair),
            "_last_spoof": F.last(F.when(spoof, t), ignorenulls=True).over(pair),
        }
    )

    def new_within(last: str, window_ms: int) -> Column:
        return F.col(last).isNull() | (t - F.col(last) >= window_ms)

    # Cells: a cell is new when this number has not called from it in the last 24 h.
    with_cell = out & F.col("cell").isNotNull()
    by_cell = Window.partitionBy("num", "cell").orderBy(*ORDER).rowsBetween(*_EARLIER)
    frame = frame.withColumn(
        "_last_cell", F.last(F.when(with_cell, t), ignorenulls=True).over(by_cell)
    )
    frame = frame.withColumns(
        {
            "new_callee_1h": _flag(out & new_within("_last_out", HOUR_MS)),
            "new_callee_24h": _flag(out & new_within("_last_out", DAY_MS)),
            "new_recipient_1h": _flag(sms & new_within("_last_sms", HOUR_MS)),
            "callback_in": _flag(
                inc & ~spoofed & F.col("_last_out").isNotNull() & (t - F.col("_last_out") < DAY_MS)
            ),
            "new_cell_24h": _flag(with_cell & new_within("_last_cell", DAY_MS)),
            # computed over all calls beforehand (spark_crossing_signals)
            "shared_target_out": F.col("shared_target"),
            "imei_sims": F.col("imei_sims"),
            "known_peer_out": F.col("known_peer"),
            "shared_victim_out": F.col("shared_victim"),
            "spoofed_out": _flag(spoof),
            "spoofed_new_callee_1h": _flag(spoof & new_within("_last_spoof", HOUR_MS)),
        }
    )
    return frame.drop(
        "_prev_t", "_prev_digits", "_last_out", "_last_sms", "_last_spoof", "_last_cell"
    )


def _ratio(num: Column, den: Column) -> Column:
    return F.when(den > 0, num.cast("double") / den.cast("double")).otherwise(F.lit(0.0))


def _feature_columns() -> dict[str, Column]:
    """Every non-static feature of the spec as an expression over the window sums."""
    columns: dict[str, Column] = {}
    for f in FEATURES.values():
        if f.agg is Agg.STATIC:
            continue
        if f.agg is Agg.LAST:
            columns[f.name] = F.col(str(f.signal)).cast("double")
            continue
        num = F.col(f"{f.signal}@{f.window}")
        den = F.col(f"{f.over}@{f.window}")
        if f.agg is Agg.SUM:
            columns[f.name] = num.cast("double")
        elif f.agg in (Agg.SHARE, Agg.MEAN):
            columns[f.name] = _ratio(num, den)
        elif f.agg is Agg.RATIO:
            columns[f.name] = num.cast("double") / (den.cast("double") + F.lit(1.0))
        elif f.agg is Agg.CV:
            mean = _ratio(num, den)
            var = _ratio(F.col(f"{f.signal}_sq@{f.window}"), den) - mean * mean
            columns[f.name] = F.when(
                mean > 0, F.sqrt(F.greatest(var, F.lit(0.0))) / mean
            ).otherwise(F.lit(0.0))
        else:  # pragma: no cover  (a new Agg must be given a Spark form here)
            raise NotImplementedError(f"aggregation {f.agg} has no Spark form yet")
    return columns


def _static(frame: DataFrame, subscribers: DataFrame | None) -> DataFrame:
    msisdn = F.col("msisdn")
    national = F.substring(msisdn, len(HOME_PREFIX) + 1, 64)
    domestic = msisdn.startswith(HOME_PREFIX)
    frame = frame.withColumns(
        {
            "is_international": (~domestic).cast("double"),
            "is_virtual": (domestic & national.rlike(VIRTUAL_PATTERN)).cast("double"),
            "is_landline": (domestic & national.rlike(LANDLINE_PATTERN)).cast("double"),
        }
    )
    # asked once per distinct number, as the embedded engine does (a null reads as invalid)
    frame = frame.join(invalid_numbers(frame), "msisdn", "left_outer").withColumn(
        "is_invalid_number", F.coalesce(F.col("is_invalid_number"), F.lit(1.0))
    )
    if subscribers is None:
        return frame.withColumns(
            {"new_sim_days": F.lit(None).cast("double"), "owner_age": F.lit(None).cast("double")}
        )
    subs = subscribers.select(
        "msisdn",
        (F.unix_date("activated_on").cast("long") * F.lit(86_400_000)).alias("_act_ms"),
        F.col("owner_birth_year").cast("double").alias("_birth"),
    )
    year = F.lit(1970.0) + F.col("t").cast("double") / F.lit(_YEAR_MS)
    return (
        frame.join(subs, "msisdn", "left_outer")
        .withColumns(
            {
                "new_sim_days": (F.col("t") - F.col("_act_ms")).cast("double")
                / F.lit(86_400_000.0),
                "owner_age": F.floor(year).cast("double") - F.col("_birth"),
            }
        )
        .drop("_act_ms", "_birth")
    )


def spark_features(
    calls: DataFrame,
    sms: DataFrame | None = None,
    subscribers: DataFrame | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    known: DataFrame | None = None,
    *,
    triage: bool = False,
) -> DataFrame:
    """Features of the acting number at every outgoing call and sent SMS, as a Spark frame.

    One row per outgoing call or SMS with ``msisdn``, ``kind`` (``call`` / ``sms``), ``time``,
    the record-order columns of :data:`ORDER` and every feature of
    :data:`~callwarden.features.spec.FEATURES` (unknown static figures are null). The same values
    as the compiled engine (``base.feature_frame``).

    With ``triage``, only the numbers that may pass the detectors' gate get features (their
    rows are the same; see ``spark_triage.py``).
    """
    zone = calls.sparkSession.conf.get("spark.sql.session.timeZone")
    if zone != "UTC":
        # Local hours and days are taken with from_utc_timestamp, which reads the session zone.
        raise ConfigError(
            f"the Spark session's time zone is {zone}; set spark.sql.session.timeZone=UTC "
            "(callwarden's spark_session() does); the operator's zone is the timezone setting"
        )
    crossed = spark_crossing_signals(calls, known)
    events = spark_events(crossed, sms, timezone)
    if triage:
        # The hourly bounds need only the calls themselves; the known-fraud sums need the
        # crossing signals (computed again for the group-by rather than kept in memory).
        only = spark_candidates(crossed if known is not None else calls, sms, subscribers)
        events = events.join(only.select(F.col("msisdn").alias("num")), "num", "left_semi")
    frame = _signals(events)
    sums = {
        f"{signal}@{window}": (signal, WINDOWS[window])
        for window, names in window_signals().items()
        for signal in sorted(names)
    }
    frame = _with_window_sums(frame, sums, ["num"], ORDER)
    frame = frame.where(F.col("kind") != EVENT_IN).withColumns(_feature_columns())
    frame = frame.select(
        F.col("num").alias("msisdn"),
        F.when(F.col("kind") == EVENT_SMS, F.lit("sms")).otherwise(F.lit("call")).alias("kind"),
        "time",
        *(c for c in ORDER if c != "kind"),
        *(name for name in FEATURES if not FEATURES[name].static),
    )
    frame = _static(frame, subscribers)
    return frame.select("msisdn", "kind", "time", *(c for c in ORDER if c != "kind"), *FEATURES)
