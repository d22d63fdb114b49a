"""Stream benchmark: records/s through the engine, with and without the broker; latency; memory.

    .venv/bin/python benchmarks/bench_stream.py [--subscribers 20000] [--rate 1000]
        [--server nats://127.0.0.1:4222]

On one simulated day (records in event-time order), side by side in one run:

1. engine only (no broker): ``StreamEngine.push`` for every record, records/s on one core;
2. naive baseline: per record, the acting number's features recomputed from scratch over its
   last 24 hours (same definitions, no running state), on the day's first 20,000 records;
3. the broker alone: publishing, and a consumer that only fetches and acknowledges (the
   pass-through rate callwarden cannot beat);
4. broker -> engine -> alerts: ``callwarden stream``'s loop (fetch, decode, push, publish
   alerts, checkpoints), records/s;
5. event-to-alert latency at a steady publishing rate (``--rate``), lateness 0: from publishing
   the record that crosses a threshold to receiving its alert;
6. memory: engine state per active number (RSS growth and checkpoint bytes), projected to a
   day of 1M subscribers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pickle
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nats
import polars as pl
from nats.js.api import AckPolicy, ConsumerConfig

from callwarden.features.online import OnlineFeatures
from callwarden.records.load import load_records
from callwarden.simulate import SimulationConfig, simulate_city
from callwarden.stream.broker import BrokerSettings, consume, ensure_streams, publish_records
from callwarden.stream.codec import encode
from callwarden.stream.engine import StreamEngine
from callwarden.stream.files import parquet_records


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def naive(records: list[tuple[str, dict[str, Any]]], subs: Any) -> float:
    """Per record, recompute the acting number's features from scratch over its last 24 h.

    The same definitions (a fresh OnlineFeatures fed the number's recent records), as a first
    implementation that keeps history but no running state would do.
    """
    history: dict[str, deque[tuple[str, dict[str, Any]]]] = {}
    rows = {r["msisdn"]: r for r in subs.iter_rows(named=True)}  # the owner's profile, at hand
    t = time.perf_counter()
    for kind, r in records:
        actor = r["caller" if kind == "call" else "sender"]
        now = r["start_time" if kind == "call" else "sent_time"]
        h = history.setdefault(actor, deque())
        while (
            h
            and (now - h[0][1]["start_time" if h[0][0] == "call" else "sent_time"]).total_seconds()
            >= 86400
        ):
            h.popleft()
        fresh = OnlineFeatures(pl.DataFrame([rows[actor]]) if actor in rows else None)
        for k, old in h:
            fresh.call(old) if k == "call" else fresh.sms(old)
        fresh.call(r) if kind == "call" else fresh.sms(r)
        h.append((kind, r))
        if kind == "call":
            history.setdefault(r["callee"], deque()).append((kind, r))
    return len(records) / (time.perf_counter() - t)


async def passthrough(settings: BrokerSettings, n: int) -> float:
    nc = await nats.connect(settings.server)
    js = nc.jetstream()
    sub = await js.pull_subscribe(
        f"{settings.records_subject}.>",
        stream=settings.stream,
        config=ConsumerConfig(ack_policy=AckPolicy.ALL, max_ack_pending=-1),
    )
    got, t = 0, time.perf_counter()
    while got < n:
        try:
            msgs = await sub.fetch(1000, timeout=5)
        except TimeoutError:
            break
        got += len(msgs)
        await msgs[-1].ack()
    rate = got / (time.perf_counter() - t)
    await nc.close()
    return rate


async def drop(settings: BrokerSettings) -> None:
    nc = await nats.connect(settings.server)
    js = nc.jetstream()
    for name in (settings.stream, f"{settings.stream}_ALERTS"):
        with contextlib.suppress(Exception):  # not there
            await js.delete_stream(name)
    await nc.close()


async def latency(
    settings: BrokerSettings,
    records: list[tuple[str, dict[str, Any]]],
    rate: float,
    workdir: Path,
    subs: Path,
) -> dict[str, Any]:
    """Publish at ``rate``/s to a running ``callwarden stream``; time each alert's arrival."""
    consumer = subprocess.Popen(
        [sys.executable, "-m", "callwarden", "stream", "--server", settings.server,
         "--subject-prefix", settings.prefix, "--stream", settings.stream,
         "--checkpoint", str(workdir / "lat-ckpt"), "--lateness", "0s", "--idle-exit", "5",
         "--subscribers", str(subs)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    nc = await nats.connect(settings.server)
    js = nc.jetstream()
    await ensure_streams(js, settings)
    received: dict[tuple[str, str], float] = {}

    async def on_alert(msg: Any) -> None:
        body = json.loads(msg.data)
        received.setdefault((body["msisdn"], body["flagged_at"]), time.perf_counter())

    await nc.subscribe(settings.alerts_subject, cb=on_alert)
    for _ in range(300):
        try:
            await js.consumer_info(settings.stream, "callwarden-p0")
            break
        except nats.js.errors.NotFoundError:
            await asyncio.sleep(0.1)
    sent: dict[tuple[str, str], float] = {}
    start = time.perf_counter()
    for i, (kind, r) in enumerate(records):
        due = start + i / rate
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        actor = r["caller" if kind == "call" else "sender"]
        at = r["start_time" if kind == "call" else "sent_time"]
        await nc.publish(f"{settings.records_subject}.{kind}.p0", encode(kind, r))
        sent.setdefault(
            (actor, at.astimezone(UTC).isoformat(timespec="microseconds")), time.perf_counter()
        )
    await nc.flush()
    achieved = len(records) / (time.perf_counter() - start)
    await asyncio.sleep(3)
    await nc.close()
    consumer.wait(timeout=120)
    lat = [1000 * (received[k] - sent[k]) for k in received if k in sent]
    lat.sort()
    if not lat:
        return {"alerts": 0}
    return {
        "rate_per_s": round(achieved),
        "alerts": len(lat),
        "p50_ms": round(statistics.median(lat), 2),
        "p99_ms": round(lat[min(len(lat) - 1, int(0.99 * len(lat)))], 2),
        "max_ms": round(lat[-1], 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subscribers", type=int, default=20_000)
    ap.add_argument("--rate", type=float, default=1000)
    ap.add_argument("--latency-records", type=int, default=30_000)
    ap.add_argument("--server", default="nats://127.0.0.1:4222")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-stream-"))
    simulate_city(SimulationConfig(subscribers=args.subscribers, days=1, seed=11), work / "city")
    city = work / "city"
    subs = load_records(city / "subscribers", "subscribers")
    records = list(parquet_records(city / "calls", city / "sms"))
    result: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "subscribers": args.subscribers,
        "records": len(records),
    }

    before = rss_mb()
    engine = StreamEngine(subs, lateness_ms=30_000)
    t = time.perf_counter()
    for kind, r in records:
        engine.push(kind, r)
    engine.flush()
    wall = time.perf_counter() - t
    active = len(engine.stepper.features.numbers)
    grown = rss_mb() - before
    state = len(pickle.dumps(engine, protocol=pickle.HIGHEST_PROTOCOL))
    result["engine_only"] = {
        "records_per_s": round(len(records) / wall),
        "alerts": engine.stats.alerts,
        "active_numbers": active,
        "rss_growth_mb": round(grown, 1),
        "bytes_per_number_rss": round(grown * 2**20 / active),
        "checkpoint_bytes_per_number": round(state / active),
    }
    result["naive_recompute_records_per_s"] = round(naive(records[:20_000], subs))

    settings = BrokerSettings(server=args.server, prefix=f"b{uuid.uuid4().hex[:6]}",
                              stream=f"B{uuid.uuid4().hex[:6]}", checkpoint=work / "ckpt",
                              idle_exit=2.0)  # fmt: skip
    try:
        t = time.perf_counter()
        asyncio.run(publish_records(iter(records), settings))
        result["broker_publish_per_s"] = round(len(records) / (time.perf_counter() - t))
        result["broker_passthrough_consume_per_s"] = round(
            asyncio.run(passthrough(settings, len(records)))
        )
        t = time.perf_counter()
        final = asyncio.run(consume(settings, lambda: StreamEngine(subs, lateness_ms=30_000)))
        wall = time.perf_counter() - t - settings.idle_exit  # type: ignore[operator]
        result["through_broker"] = {
            "records_per_s": round(final.stats.processed / wall),
            "alerts": final.stats.alerts,
        }
    finally:
        asyncio.run(drop(settings))
    lat_settings = BrokerSettings(server=args.server, prefix=f"l{uuid.uuid4().hex[:6]}",
                                  stream=f"L{uuid.uuid4().hex[:6]}")  # fmt: skip
    subs_file = work / "subs.parquet"
    subs.write_parquet(subs_file)
    try:
        result["latency"] = asyncio.run(
            latency(lat_settings, records[: args.latency_records], args.rate, work, subs_file)
        )
    finally:
        asyncio.run(drop(lat_settings))
    per_number = result["engine_only"]["bytes_per_number_rss"]
    result["projected_state_1M_subscribers_gb"] = round(
        per_number * active / args.subscribers * 1_000_000 / 2**30, 2
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
