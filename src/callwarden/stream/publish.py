"""Publishing records onto NATS JetStream (``callwarden replay``): one record, JSON Lines or an
Arrow record batch per message, to the partition of the acting number, in event time and at
any speed. The subjects and streams are :mod:`callwarden.stream.broker`'s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Any

import nats
import numpy as np
import polars as pl
from nats.js.client import JetStreamContext

from callwarden.stream.acked import AckedPublisher
from callwarden.stream.broker import (
    BrokerSettings,
    _connect,
    ensure_streams,
    lost_broker,
    partition_of,
)
from callwarden.stream.codec import encode, encode_arrow, encode_lines

__all__ = ["publish_frame", "publish_records"]


async def publish_records(
    records: Iterable[tuple[str, dict[str, Any]]],
    settings: BrokerSettings,
    *,
    speed: float | None = None,
    per_message: int = 1,
    on_sent: Callable[[int], None] | None = None,
) -> int:
    """Publish records in the order given (event time), ``speed`` times faster than real time.

    ``speed`` None publishes as fast as the broker takes them. With ``per_message`` > 1,
    consecutive records of a partition share a message (JSON Lines) of up to that many; a
    message goes out when it is full, or before waiting for the next record's time. Each
    message carries an id made of its first record's id (``Nats-Msg-Id``), so a replay that
    is repeated the same way is stored once.
    """
    nc = await _connect(settings.server, attempts=settings.reconnect_attempts)
    js = nc.jetstream(publish_async_max_pending=4000)
    await ensure_streams(js, settings)
    sent, t0_event, t0_wall = 0, None, time.monotonic()
    out = _publisher(js, settings)
    groups: dict[int, list[tuple[str, dict[str, Any]]]] = {}

    async def send(part: int) -> None:
        group = groups.pop(part)
        kind, first = group[0]
        rid = first["call_id" if kind == "call" else "sms_id"]
        if len(group) == 1:
            subject, body, mid = f"{kind}.p{part}", encode(kind, first), f"{kind}:{rid}"
        else:
            subject, body = f"lines.p{part}", encode_lines(group)
            mid = f"lines:{kind}:{rid}:{len(group)}"
        # acknowledged publishing, pipelined: nothing is lost, and it stays fast
        await out.publish(f"{settings.records_subject}.{subject}", body, mid)

    try:
        for kind, record in records:
            at = record["start_time" if kind == "call" else "sent_time"]
            if speed is not None:
                t0_event = t0_event or at
                due = t0_wall + (at - t0_event).total_seconds() / speed
                if due > time.monotonic():
                    for part in list(groups):  # nothing waits in a half-full message
                        await send(part)
                    if (wait := due - time.monotonic()) > 0:
                        await asyncio.sleep(wait)
            actor = record["caller" if kind == "call" else "sender"]
            part = partition_of(actor, settings.partitions)
            groups.setdefault(part, []).append((kind, record))
            if len(groups[part]) >= per_message:
                await send(part)
            sent += 1
            if len(out.pending) >= 2000:
                await out.confirm()  # raises if the broker refused one
                if on_sent:
                    on_sent(sent)
        for part in list(groups):
            await send(part)
        await out.confirm()
    except nats.errors.ConnectionClosedError:
        raise lost_broker(settings, _AGAIN) from None
    finally:
        await nc.close()
    return sent


async def publish_frame(
    batch: pl.DataFrame,
    settings: BrokerSettings,
    *,
    speed: float | None = None,
    per_message: int = 1000,
    on_sent: Callable[[int], None] | None = None,
) -> int:
    """Publish a record batch (processing order) as Arrow messages of up to ``per_message``
    records of one partition each (``<prefix>.records.arrow.p<partition>``), ``speed`` times
    faster than real time (None: as fast as the broker takes them).

    The columnar twin of :func:`publish_records`: with a speed, each message holds the records
    that fell due since the last, so none waits in a half-full message. Each message's id is
    its first record's id and its size, so a repeated replay is stored once.
    """
    nc = await _connect(settings.server, attempts=settings.reconnect_attempts)
    js = nc.jetstream(publish_async_max_pending=4000)
    await ensure_streams(js, settings)
    n = batch.height
    parts = (
        np.array([partition_of(a, settings.partitions) for a in batch["actor"].to_list()])
        if settings.partitions > 1
        else np.zeros(n, np.int64)
    )
    t_us = batch["time"].to_physical().to_numpy()
    out = _publisher(js, settings)
    sent, start, t0_wall = 0, 0, time.monotonic()
    due = (t_us - t_us[0]) / 1e6 / speed if speed is not None and n else None
    try:
        while start < n:
            end = n
            if due is not None:
                end = int(np.searchsorted(due, time.monotonic() - t0_wall, "right"))
                if end <= start:
                    await asyncio.sleep(float(due[start]) - (time.monotonic() - t0_wall))
                    continue
            for part in np.unique(parts[start:end]):
                rows = start + np.flatnonzero(parts[start:end] == part)
                for k in range(0, rows.shape[0], per_message):
                    chunk = batch[rows[k : k + per_message]]
                    mid = f"arrow:{chunk['id'][0]}:{chunk.height}"
                    subject = f"{settings.records_subject}.arrow.p{part}"
                    await out.publish(subject, encode_arrow(chunk), mid)
                    if len(out.pending) >= 2000:
                        await out.confirm()  # raises if the broker refused one
            sent += end - start
            start = end
            if on_sent:
                on_sent(sent)
        await out.confirm()
    except nats.errors.ConnectionClosedError:
        raise lost_broker(settings, _AGAIN) from None
    finally:
        await nc.close()
    return sent


#: what to do when the broker is gone
_AGAIN = (
    "run the replay again once the broker is back: a record stored already is stored once if "
    "it comes again within the records stream's duplicate window (two minutes)"
)


def _publisher(js: JetStreamContext, settings: BrokerSettings) -> AckedPublisher:
    """Records are stored once whatever is published again: the records stream's duplicate
    window (two minutes) is longer than the waits (``acked.py``)."""
    return AckedPublisher(js, settings.server, "records", settings.confirm_wait,
                          settings.confirm_tries)  # fmt: skip
