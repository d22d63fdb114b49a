"""Stream benchmark: records/s through the engine, with and without the broker; latency; memory.

    .venv/bin/python benchmarks/bench_stream.py [--subscribers 20000] [--rates 50000,10000]
        [--fetch 1000] [--per-message 200] [--day-city DIR] [--server nats://127.0.0.1:4222]

On one simulated day (records in event-time order), side by side in one run:

1. engine only (no broker), fed ``--fetch`` records at a time: as record batches (columns,
   ``push_frame``) and as decoded records (dictionaries, ``push_many``, what the consumer does),
   records/s; the JSON decoding rate on its own;
2. naive baseline: per record, the acting number's features recomputed from scratch over its
   last 24 hours by the batch engine (same definitions, no running state);
3. the broker alone: publishing (one record a message, and ``--per-message`` records a
   message), and a consumer that only fetches and acknowledges (the pass-through rate
   callwarden cannot beat);
4. broker -> engine -> alerts: ``callwarden stream``'s loop (fetch, decode, push, publish
   alerts, checkpoints), records/s;
5. event-to-alert latency at steady publishing rates (``--rates``), one message per
   ``--tick-ms`` with the records due in it, lateness 0: from publishing the message holding
   the record that crosses a threshold to receiving its alert; and for records, from
   publishing a message to the consumer's progress report after the batch holding its last
   record (a sample every 5 ms at most); sustained: on a two-day city, the consumer first takes
   the whole first day (as fast as it goes), then the second day's records come at the rate;
6. memory: engine state per active number; with ``--day-city``, a whole simulated day (e.g. 1M
   subscribers) through the engine and the state it holds at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pickle
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import nats
import polars as pl
from nats.js.api import AckPolicy, ConsumerConfig

from callwarden.features.engines.base import Traffic, feature_frame, load_engine
from callwarden.records.batch import batch_of
from callwarden.records.load import load_records
from callwarden.records.schema import CALLS, SMS
from callwarden.simulate import SimulationConfig, simulate_city
from callwarden.stream.broker import BrokerSettings, consume, ensure_streams
from callwarden.stream.codec import decode_arrow, decode_lines, encode, encode_arrow, encode_lines
from callwarden.stream.engine import StreamEngine
from callwarden.stream.files import parquet_frames, parquet_records
from callwarden.stream.publish import publish_frame, publish_records

DAY = timedelta(days=1)
CALL_SCHEMA = pl.DataFrame(pl.from_arrow(CALLS.schema.empty_table())).schema
SMS_SCHEMA = pl.DataFrame(pl.from_arrow(SMS.schema.empty_table())).schema


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def naive(records: list[tuple[str, dict[str, Any]]], subs: Any) -> float:
    """Per record, recompute the acting number's features from scratch over its last 24 h.

    The same definitions, computed by the batch engine (``feature_frame``) over the number's
    recent records at each arrival: what a first implementation that keeps history but no
    running state would do.
    """
    history: dict[str, deque[tuple[str, dict[str, Any]]]] = {}
    engine = load_engine("compiled")()
    t = time.perf_counter()
    for kind, r in records:
        actor = r["caller" if kind == "call" else "sender"]
        now = r["start_time" if kind == "call" else "sent_time"]
        h = history.setdefault(actor, deque())
        h.append((kind, r))
        if kind == "call":
            history.setdefault(r["callee"], deque()).append((kind, r))
        while (now - h[0][1]["start_time" if h[0][0] == "call" else "sent_time"]) >= DAY:
            h.popleft()
        calls = [x for k, x in h if k == "call"]
        sms = [x for k, x in h if k == "sms"]
        traffic = Traffic(
            pl.DataFrame(calls, schema=CALL_SCHEMA) if calls else pl.DataFrame(schema=CALL_SCHEMA),
            pl.DataFrame(sms, schema=SMS_SCHEMA) if sms else None,
            subs,
        )
        feature_frame(engine, traffic).filter(pl.col("msisdn") == actor)
    return len(records) / (time.perf_counter() - t)


async def passthrough(settings: BrokerSettings) -> tuple[int, float]:
    """Fetch and acknowledge every message of the records stream, doing nothing else."""
    nc = await nats.connect(settings.server)
    js = nc.jetstream()
    total = (await js.stream_info(settings.stream)).state.messages
    sub = await js.pull_subscribe(
        f"{settings.records_subject}.>",
        stream=settings.stream,
        config=ConsumerConfig(ack_policy=AckPolicy.ALL, max_ack_pending=-1),
    )
    msgs, t = 0, time.perf_counter()
    while msgs < total:
        # never more than are left: the client holds a part-filled batch until its timeout
        batch = await sub.fetch(min(100, total - msgs), timeout=10)
        msgs += len(batch)
        await batch[-1].ack()
    wall = time.perf_counter() - t
    await nc.close()
    return msgs, wall


async def drop(settings: BrokerSettings) -> None:
    nc = await nats.connect(settings.server)
    js = nc.jetstream()
    for name in (settings.stream, f"{settings.stream}_ALERTS"):
        with contextlib.suppress(Exception):  # not there
            await js.delete_stream(name)
    await nc.close()


def messages(
    records: list[tuple[str, dict[str, Any]]], per_tick: int, wire: str
) -> tuple[list[tuple[int, list[tuple[str, str]], bytes]], dict[str, int]]:
    """The latency run's messages, encoded: ``(first record, alert keys, body)`` per tick,
    and each message's last record id -> its tick."""
    ticks = []
    last_ids: dict[str, int] = {}  # a message's last record id -> its tick
    for i in range(0, len(records), per_tick):
        chunk = records[i : i + per_tick]
        kind, rec = chunk[-1]
        last_ids[rec["call_id" if kind == "call" else "sms_id"]] = len(ticks)
        keys = [
            (r["caller" if k == "call" else "sender"],
             r["start_time" if k == "call" else "sent_time"].astimezone(UTC)
             .isoformat(timespec="microseconds"))
            for k, r in chunk
        ]  # fmt: skip
        body = encode_arrow(batch_of(chunk)) if wire == "arrow" else encode_lines(chunk)
        ticks.append((i, keys, body))
    return ticks, last_ids


async def run_through(
    nc: Any, js: Any, settings: BrokerSettings, records: list[tuple[str, dict[str, Any]]]
) -> None:
    """Publish ``records`` as fast as they go and wait until the consumer has scored them all
    and checkpointed (acknowledged)."""
    frame = batch_of(records)
    for k in range(0, frame.height, 1000):
        await nc.publish(f"{settings.records_subject}.arrow.p0", encode_arrow(frame[k : k + 1000]))
    await nc.flush()
    for _ in range(1200):
        info = await js.consumer_info(settings.stream, "callwarden-p0")
        if info.num_pending == 0 and info.num_ack_pending == 0 and info.delivered.stream_seq:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)


async def latency(
    settings: BrokerSettings,
    records: list[tuple[str, dict[str, Any]]],
    rate: float,
    tick_ms: float,
    workdir: Path,
    subs: Path,
    wire: str = "json",
    warm: list[tuple[str, dict[str, Any]]] | None = None,
    checkpoint_seconds: float = 30.0,
) -> dict[str, Any]:
    """Publish at ``rate`` records/s to a running ``callwarden stream``, one message per
    ``tick_ms`` holding the records due in it; time each alert from the publishing of the
    message that holds the record that crossed the threshold. Messages are encoded before the
    clock starts (the producer's encoding is not the consumer's latency).

    ``warm``: records (earlier in the day) published and consumed first, as fast as they go,
    so that the timed records meet the state of a consumer that has been running, not one
    still growing its arrays from empty."""
    sent: dict[tuple[str, str], float] = {}
    per_tick = max(1, round(rate * tick_ms / 1000))
    ticks, last_ids = messages(records, per_tick, wire)
    # the consumer starts once the messages are ready (it exits after 5 idle seconds)
    consumer = subprocess.Popen(
        [sys.executable, "-m", "callwarden", "stream", "--server", settings.server,
         "--subject-prefix", settings.prefix, "--stream", settings.stream,
         "--checkpoint", str(workdir), "--lateness", "0s", "--idle-exit", "5",
         "--subscribers", str(subs), "--checkpoint-seconds", str(checkpoint_seconds)],
        stdout=(log := (workdir.parent / f"{workdir.name}.log").open("w")), stderr=log,
    )  # fmt: skip
    nc = await nats.connect(settings.server)
    js = nc.jetstream()
    await ensure_streams(js, settings)
    received: dict[tuple[str, str], float] = {}

    async def on_alert(msg: Any) -> None:
        body = json.loads(msg.data)
        received.setdefault((body["msisdn"], body["flagged_at"]), time.perf_counter())

    await nc.subscribe(settings.alerts_subject, cb=on_alert)
    progress: list[tuple[str, float]] = []  # (last record id, when its batch was scored)

    async def on_progress(msg: Any) -> None:
        progress.append((json.loads(msg.data)["last_id"], time.perf_counter()))

    await nc.subscribe(f"{settings.prefix}.progress.p0", cb=on_progress)
    for _ in range(600):
        try:
            await js.consumer_info(settings.stream, "callwarden-p0")
            break
        except nats.js.errors.NotFoundError:
            await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)  # the consumer's first empty fetch is out of the way
    if warm:
        await run_through(nc, js, settings, warm)
        received.clear()
        progress.clear()
    subject = f"{settings.records_subject}.{'arrow' if wire == 'arrow' else 'lines'}.p0"
    start = time.perf_counter()
    tick_sent = []
    for i, keys, body in ticks:
        due = start + i / rate
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        await nc.publish(subject, body)
        now = time.perf_counter()
        tick_sent.append(now)
        for key in keys:
            sent.setdefault(key, now)
    await nc.flush()
    achieved = len(records) / (time.perf_counter() - start)
    await asyncio.sleep(3)
    await nc.close()
    consumer.wait(timeout=120)
    timed = sorted((sent[k] - start, 1000 * (received[k] - sent[k])) for k in received if k in sent)
    # every batch's last record: from the publishing of its message to the consumer's progress
    # report after scoring it (a sample every 5 ms, so the tail is not three alerts)
    decided = sorted(
        1000 * (at - tick_sent[last_ids[rid]]) for rid, at in progress
        if rid in last_ids and last_ids[rid] < len(tick_sent)
    )  # fmt: skip
    return summary(timed, decided, achieved, per_tick)


def summary(
    timed: list[tuple[float, float]], decided: list[float], achieved: float, per_tick: int
) -> dict[str, Any]:
    """Percentiles of the alerts' latency (``timed``: when raised, ms) and the records'."""
    lat = sorted(ms for _, ms in timed)
    if not lat:
        return {"alerts": 0}

    def pct(values: list[float], q: float) -> float:
        return round(values[min(len(values) - 1, int(q * len(values)))], 2)

    return {
        "rate_per_s": round(achieved),
        "records_per_message": per_tick,
        "alerts": len(lat),
        "p50_ms": round(statistics.median(lat), 2),
        "p90_ms": pct(lat, 0.9),
        "p99_ms": pct(lat, 0.99),
        "max_ms": round(lat[-1], 2),
        "records_sampled": len(decided),
        "records_p50_ms": round(statistics.median(decided), 2) if decided else None,
        "records_p99_ms": pct(decided, 0.99) if decided else None,
        "records_p999_ms": pct(decided, 0.999) if decided else None,
        "records_max_ms": round(decided[-1], 2) if decided else None,
        # when the slowest alerts were raised (seconds into the run): a pattern tells the cause
        "slowest": [
            [round(at, 2), round(ms, 1)] for at, ms in sorted(timed, key=lambda x: -x[1])[:5]
        ],
    }


def engine_rates(
    subs: pl.DataFrame, frame: pl.DataFrame, records: list[tuple[str, dict[str, Any]]], fetch: int
) -> dict[str, Any]:
    """The engine alone, fed ``fetch`` records at a time: as record batches (columns) and as
    decoded records (dictionaries, what the broker consumer hands it)."""
    out: dict[str, Any] = {}
    before = rss_mb()
    engine = StreamEngine(subs, lateness_ms=30_000)
    t = time.perf_counter()
    alerts = 0
    for start in range(0, frame.height, fetch):
        alerts += len(engine.push_frame(frame.slice(start, fetch)))
    alerts += len(engine.flush())
    wall = time.perf_counter() - t
    active = len(engine.stepper.features.numbers)  # type: ignore[attr-defined]  (compiled state)
    out["columns"] = {"records_per_s": round(frame.height / wall), "alerts": alerts}
    out["state"] = {
        "active_numbers": active,
        "state_array_bytes_per_number": round(engine.stepper.features.state_bytes() / active),
        "rss_growth_bytes_per_number": round((rss_mb() - before) * 2**20 / active),
        "checkpoint_bytes_per_number": round(
            len(pickle.dumps(engine, protocol=pickle.HIGHEST_PROTOCOL)) / active
        ),
    }
    engine = StreamEngine(subs, lateness_ms=30_000)
    t = time.perf_counter()
    alerts = 0
    for start in range(0, len(records), fetch):
        alerts += len(engine.push_many(records[start : start + fetch]))
    alerts += len(engine.flush())
    out["dicts"] = {
        "records_per_s": round(len(records) / (time.perf_counter() - t)),
        "alerts": alerts,
    }
    lines = [encode("call" if k == "call" else "sms", r) for k, r in records[:100_000]]
    t = time.perf_counter()
    for start in range(0, len(lines), fetch):
        decode_lines(b"\n".join(lines[start : start + fetch]))
    out["decode_json_records_per_s"] = round(len(lines) / (time.perf_counter() - t))
    bodies = [
        encode_arrow(frame.slice(s, fetch)) for s in range(0, min(frame.height, 100_000), fetch)
    ]
    t = time.perf_counter()
    for body in bodies:
        decode_arrow(body)
    out["decode_arrow_records_per_s"] = round(
        min(frame.height, 100_000) / (time.perf_counter() - t)
    )
    return out


def day_state(city: Path) -> dict[str, Any]:
    """A whole simulated day through the engine (columns): the state it holds at the end."""
    subs = load_records(city / "subscribers", "subscribers")
    before = rss_mb()
    engine = StreamEngine(subs, lateness_ms=30_000)
    t = time.perf_counter()
    n = 0
    for frame in parquet_frames(city / "calls", city / "sms", chunk=20_000):
        engine.push_frame(frame)
        n += frame.height
    engine.flush()
    wall = time.perf_counter() - t
    features = engine.stepper.features
    return {
        "subscribers": subs.height,
        "records": n,
        "records_per_s": round(n / wall),
        "numbers_seen": len(features.numbers),  # type: ignore[attr-defined]
        "state_arrays_gib": round(features.state_bytes() / 2**30, 2),
        "rss_growth_gib": round((rss_mb() - before) / 1024, 2),
        "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
    }


def rss_samples(pid: int, every: float = 5.0, step: float = 0.1) -> tuple[list[Any], list[int]]:
    """The resident memory of process ``pid`` while it runs, read from /proc every ``step``
    seconds by a thread: the highest of each ``every`` seconds as (seconds since the start,
    MiB), and the process's own high-water mark (VmHWM, kB, as last read). Both fill as the
    process runs."""
    samples: list[tuple[float, int]] = []
    hwm = [0]

    def field(text: str, name: str) -> int:
        return next((int(x.split()[1]) for x in text.splitlines() if x.startswith(name)), 0)

    def watch() -> None:
        status, start = Path(f"/proc/{pid}/status"), time.perf_counter()
        high, since = 0, start
        while True:
            try:
                text = status.read_text()
            except OSError:
                break
            kb = field(text, "VmRSS")
            if kb == 0:
                break
            high, hwm[0] = max(high, kb), max(hwm[0], field(text, "VmHWM"))
            now = time.perf_counter()
            if now - since >= every:
                samples.append((round(now - start, 1), round(high / 1024)))
                high, since = 0, now
            time.sleep(step)
        if high:
            samples.append((round(time.perf_counter() - start, 1), round(high / 1024)))

    threading.Thread(target=watch, daemon=True).start()
    return samples, hwm


def day_through_broker(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """A whole simulated day (``--day-city``) through the broker: every record published as
    Arrow messages of ``--per-message`` records, then ``callwarden stream`` (a child process,
    checkpoints on) consumes them all; its peak resident memory, rate and alerts."""
    city = args.day_city
    settings = BrokerSettings(server=args.server, prefix=f"d{uuid.uuid4().hex[:6]}",
                              stream=f"D{uuid.uuid4().hex[:6]}")  # fmt: skip
    out: dict[str, Any] = {"per_message": args.per_message}
    try:
        # Published by `callwarden replay` in a process of its own: a parent that held the day
        # (GBs) would lend its peak to the consumer's ru_maxrss (the child's high-water mark is
        # carried over from the parent's memory at the spawn), which is how the 7.3 GB figure
        # of the issue came about.
        records = sum(
            pl.scan_parquet(city / kind / "**" / "*.parquet", hive_partitioning=False)
            .select(pl.len()).collect().item()
            for kind in ("calls", "sms") if (city / kind).exists()
        )  # fmt: skip
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "callwarden", "replay", str(city / "calls"),
             "--sms", str(city / "sms"), "--speed", "max", "--wire", "arrow",
             "--per-message", str(args.per_message), "--server", settings.server,
             "--subject-prefix", settings.prefix, "--stream", settings.stream],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        out["records"] = records
        out["publish_s"] = round(time.perf_counter() - t, 1)
        log = work / "day-consumer.log"
        idle = 5.0
        t = time.perf_counter()
        alerts = args.day_alerts or work / "day-alerts.parquet"
        with log.open("w") as fh:
            child = subprocess.Popen(
                [sys.executable, "-m", "callwarden", "stream", "--server", settings.server,
                 "--subject-prefix", settings.prefix, "--stream", settings.stream,
                 "--checkpoint", str(work / "day-ckpt"), "--idle-exit", str(idle),
                 "--subscribers", str(city / "subscribers"), "--out", str(alerts),
                 "--checkpoint-seconds", str(args.checkpoint_seconds)],
                stdout=fh, stderr=fh,
            )  # fmt: skip
            samples, high = rss_samples(child.pid)
            _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - t - idle  # (the idle wait before it exits is not work)
        out["exit_status"] = status
        out["seconds"] = round(wall, 1)
        out["records_per_s"] = round(records / wall)
        # the consumer's own high-water mark (VmHWM, read every 0.1 s until it exits), and
        # ru_maxrss, which is at least the parent's resident memory at the spawn
        out["peak_rss_mib"] = round(high[0] / 1024)
        out["ru_maxrss_mib"] = round(usage.ru_maxrss / 1024)
        out["parent_rss_mib"] = round(rss_mb())
        # the highest resident memory of every 5 s (read every 0.1 s): state and passing peaks
        out["rss_mib_sampled"] = samples
        out["alerts"] = pl.read_parquet(alerts).height
        out["alerts_file"] = str(alerts)
        out["consumer_says"] = log.read_text().strip().splitlines()[-3:]
        # a consumer that stopped before the end (the broker dropped it, it waited out
        # --idle-exit) scored fewer records than were published: such a run does not count
        said = out["consumer_says"][-1].split(" records:")[0].replace(",", "")
        out["records_scored"] = int(said) if said.isdigit() else None
        out["complete"] = out["records_scored"] == records
    finally:
        asyncio.run(drop(settings))
    return out


def broker_rates(
    args: argparse.Namespace,
    subs: pl.DataFrame,
    records: list[Any],
    frame: pl.DataFrame,
    work: Path,
    wire: str,
) -> dict[str, Any]:
    """Publishing, the broker's own pass-through, and broker -> engine -> alerts, with
    ``wire`` messages (json: JSON Lines; arrow: record batches)."""
    result: dict[str, Any] = {}
    fetch = max(1, args.fetch // args.per_message)  # messages per fetch
    settings = BrokerSettings(server=args.server, prefix=f"b{uuid.uuid4().hex[:6]}",
                              stream=f"B{uuid.uuid4().hex[:6]}", checkpoint=work / "ckpt",
                              idle_exit=2.0, batch=fetch)  # fmt: skip
    one = BrokerSettings(server=args.server, prefix=f"o{uuid.uuid4().hex[:6]}",
                         stream=f"O{uuid.uuid4().hex[:6]}")  # fmt: skip
    try:
        t = time.perf_counter()
        asyncio.run(publish_records(iter(records[:50_000]), one))
        result["broker_publish_one_per_message_per_s"] = round(
            min(50_000, len(records)) / (time.perf_counter() - t)
        )
        t = time.perf_counter()
        if wire == "arrow":
            asyncio.run(publish_frame(frame, settings, per_message=args.per_message))
        else:
            asyncio.run(publish_records(iter(records), settings, per_message=args.per_message))
        result["broker_publish_per_s"] = round(len(records) / (time.perf_counter() - t))
        result["per_message"] = args.per_message
        msgs, wall = asyncio.run(passthrough(settings))
        result["broker_passthrough"] = {
            "messages_per_s": round(msgs / wall),
            "records_per_s": round(len(records) / wall),
        }
        done: list[float] = []

        def progress(stats: Any) -> None:
            if stats.received >= len(records) and not done:
                done.append(time.perf_counter())

        t = time.perf_counter()
        final = asyncio.run(
            consume(settings, lambda: StreamEngine(subs, lateness_ms=30_000), None, progress)
        )
        # from the start (connecting, setting up the consumer) to the last record scored; the
        # idle wait before the consumer exits is not the consumer's work
        wall = (done[0] if done else time.perf_counter()) - t
        result["through_broker"] = {
            "records_per_s": round(final.stats.processed / wall),
            "alerts": final.stats.alerts,
            "seconds": round(wall, 2),
            "checkpoints_every": f"{settings.checkpoint_every} records or "
            f"{settings.checkpoint_seconds} s",
        }
    finally:
        asyncio.run(drop(settings))
        asyncio.run(drop(one))
    return result


def arguments() -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subscribers", type=int, default=20_000)
    ap.add_argument("--rates", default="50000,10000", help="latency runs: records/s, comma list")
    ap.add_argument("--tick-ms", type=float, default=1.0, help="latency run: ms per message")
    ap.add_argument("--latency-records", type=int, default=600_000, help="timed records")
    ap.add_argument(
        "--latency-warm",
        type=int,
        default=300_000,
        help="records consumed first (a running consumer's state), not timed",
    )
    ap.add_argument(
        "--checkpoint-seconds", type=float, default=30.0, help="latency runs' checkpoints"
    )
    ap.add_argument("--fetch", type=int, default=1000, help="records per engine batch")
    ap.add_argument("--per-message", type=int, default=200, help="records per broker message")
    ap.add_argument("--naive-records", type=int, default=2000)
    ap.add_argument("--day-city", type=Path, help="measure a whole day's state on this city")
    ap.add_argument("--server", default="nats://127.0.0.1:4222")
    ap.add_argument("--wires", default="json,arrow", help="message formats to run, comma list")
    ap.add_argument("--skip-naive", action="store_true", help="leave out the naive baseline")
    ap.add_argument(
        "--day-broker-only",
        action="store_true",
        help="only --day-city's day through the broker (Arrow messages of --per-message "
        "records into `callwarden stream`): its peak resident memory",
    )
    ap.add_argument("--day-alerts", type=Path, help="--day-broker-only: write its alerts here")
    args = ap.parse_args()
    if args.day_broker_only and args.day_city is None:
        ap.error("--day-broker-only needs --day-city")
    return args


def main() -> None:
    args = arguments()
    if args.day_broker_only:
        work = Path(tempfile.mkdtemp(prefix="bench-stream-"))
        day = day_through_broker(args, work)
        print(json.dumps({"when": datetime.now(UTC).isoformat(timespec="seconds"), **day}))
        return
    load_engine("compiled")().warm_up()
    work = Path(tempfile.mkdtemp(prefix="bench-stream-"))
    simulate_city(SimulationConfig(subscribers=args.subscribers, days=1, seed=11), work / "city")
    city = work / "city"
    subs = load_records(city / "subscribers", "subscribers")
    records = list(parquet_records(city / "calls", city / "sms"))
    frame = pl.concat(list(parquet_frames(city / "calls", city / "sms")))
    result: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "subscribers": args.subscribers,
        "records": len(records),
        "fetch": args.fetch,
    }
    result["engine_only"] = engine_rates(subs, frame, records, args.fetch)
    if not args.skip_naive:
        result["naive_recompute_records_per_s"] = round(naive(records[: args.naive_records], subs))
    wires = args.wires.split(",")
    result["broker"] = {w: broker_rates(args, subs, records, frame, work, w) for w in wires}
    result["latency"] = {}
    # Sustained: a consumer that has run a whole day (its state past growing: storage of events
    # older than a day is reused) meets the next day's records at the timed rate.
    two_days = work / "city2"
    simulate_city(SimulationConfig(subscribers=args.subscribers, days=2, seed=11), two_days)
    both = list(parquet_records(two_days / "calls", two_days / "sms"))
    first_day = next(
        i for i, (k, r) in enumerate(both)
        if (r["start_time" if k == "call" else "sent_time"] - both[0][1]["start_time"]) >= DAY
    )  # fmt: skip
    warm = both[: first_day + args.latency_warm]
    timed = both[len(warm) : len(warm) + args.latency_records]
    subs_file = work / "subs2.parquet"
    load_records(two_days / "subscribers", "subscribers").write_parquet(subs_file)
    for wire in wires:
        for rate in (float(r) for r in args.rates.split(",")):
            lat_settings = BrokerSettings(server=args.server, prefix=f"l{uuid.uuid4().hex[:6]}",
                                          stream=f"L{uuid.uuid4().hex[:6]}")  # fmt: skip
            try:
                result["latency"][f"{wire} {rate:.0f}/s"] = asyncio.run(
                    latency(lat_settings, timed, rate, args.tick_ms,
                            work / f"lat{wire}{rate:.0f}", subs_file, wire, warm,
                            args.checkpoint_seconds)
                )  # fmt: skip
            finally:
                asyncio.run(drop(lat_settings))
    if args.day_city is not None:
        result["day"] = day_state(args.day_city)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
