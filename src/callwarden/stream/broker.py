"""NATS JetStream: consume records crash-safely, publish alerts (publishing records: publish.py).

Subjects (the prefix is configurable):

- ``callwarden.records.<kind>.p<partition>``: canonical call and SMS records, one per message,
  on the stream ``CALLWARDEN``; the partition is a stable hash of the acting number;
  ``callwarden.records.lines.p<partition>``: several records of one partition per message
  (JSON Lines), for throughput; ``callwarden.records.arrow.p<partition>``: a record batch per
  message (Arrow IPC), for more;
- ``callwarden.alerts``: alerts, with their idempotent id as ``Nats-Msg-Id`` (the broker drops
  a repeat inside the stream's duplicate window, one hour), on ``CALLWARDEN_ALERTS``;
- ``callwarden.quarantine``: records that are not canonical or arrive too late, with a reason.

Crash safety: the consumer acknowledges a message only after a checkpoint that reflects it has
been written (atomically, by rename). Alerts are published, and handed to the case service,
before that checkpoint. After a crash the consumer resumes from its checkpoint: its durable
consumer is set up again to deliver from the first stream sequence the checkpoint does not
hold, in order; alerts raised again carry the same id, so neither the broker nor the case
service stores them twice.

A dropped connection (a network blip, a broker restart, or the broker cutting off a client that
read nothing for 10 s) is survived: the client reconnects, and the consumer then sets its
durable consumer up again at the engine's position, since records in flight when the
connection broke are lost on the way and acknowledging later ones (``AckPolicy.ALL``) would
settle them unseen; alerts whose acknowledgement did not come are published again under the
same id (``acked.py``). Scoring runs in a worker thread, so the event loop keeps
reading from the socket while a batch (an hourly campaign pass, seconds on a large day) is
scored.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import math
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nats
import polars as pl
from nats.aio.client import Client as NATS
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import StreamConfig
from nats.js.client import JetStreamContext
from nats.js.errors import BadRequestError, NotFoundError

from callwarden.detect.alerts_io import alert_id
from callwarden.errors import CallwardenError, ConfigError
from callwarden.features.engines.base import load_engine
from callwarden.stream.acked import AckedPublisher
from callwarden.stream.codec import (
    decode_arrow,
    decode_batch,
    encode,
    encode_alert,
)
from callwarden.stream.engine import StreamEngine, StreamStats
from callwarden.stream.memory import release_unused
from callwarden.stream.pull import Puller, subscribe
from callwarden.stream.snapshot import Checkpointer, read_state

__all__ = [
    "BrokerSettings",
    "ConsumeStatus",
    "consume",
    "ensure_streams",
    "load_checkpoint",
    "partition_of",
]

#: takes a batch of (alert id, alert) into the case database; returns the (alert id, reason) of
#: those that could not become cases, which go to the quarantine subject instead of stopping
#: the stream (a restart would meet the same alert again)
AlertHandler = Callable[[list[tuple[str, dict[str, Any]]]], list[tuple[str, str]] | None]


def partition_of(msisdn: str, partitions: int) -> int:
    """Stable partition of a number (the same on every machine and run).

    >>> partition_of("+8613800000001", 4), partition_of("+8613800000001", 1)
    (1, 0)
    """
    return zlib.crc32(msisdn.encode()) % partitions


@dataclass
class BrokerSettings:
    server: str = "nats://127.0.0.1:4222"
    prefix: str = "callwarden"
    stream: str = "CALLWARDEN"
    durable: str = "callwarden"
    partition: int = 0
    partitions: int = 1
    #: most messages one fetch asks for
    batch: int = 1000
    #: about how many bytes one fetch may bring: the broker cuts off a client that has more
    #: than its pending limit (64 MB by default) in flight, which a fetch of 1,000 Arrow
    #: batches would be; so the messages asked for follow their running mean size
    fetch_bytes: int = 8 * 2**20
    #: longest wait for a message when none has arrived (then the loop looks at its clocks:
    #: idle release, quiet checkpoints); a message that arrives ends the wait at once
    fetch_wait: float = 0.01
    checkpoint: Path = field(default_factory=lambda: Path("stream-checkpoint"))
    checkpoint_every: int = 1_000_000
    checkpoint_seconds: float = 30.0
    #: stop after this many seconds without a message (flushing the buffer); None = run forever
    idle_exit: float | None = None
    #: with nothing arriving for this long (wall clock), score what the buffer holds (an idle
    #: source must not hold alerts back); records older than those that arrive later are late
    idle_release: float = 1.0
    #: at most this often (seconds), after a batch, a progress report (JSON: the stream
    #: sequence, last record id, counts, watermark) goes to ``<prefix>.progress.p<partition>``
    #: on plain NATS, for lag monitoring; None: none
    progress_every: float | None = 0.005
    #: longest wait (seconds) for the broker to confirm the alerts published before a
    #: checkpoint; those still unconfirmed are published again (same id), at most
    #: ``confirm_tries`` times in all, then the consumer stops with an error
    confirm_wait: float = 15.0
    confirm_tries: int = 3
    #: reconnection attempts after a drop, 2 s apart (30: about a minute, a broker's restart);
    #: then the consumer stops with an error
    reconnect_attempts: int = 30

    @property
    def records_subject(self) -> str:
        return f"{self.prefix}.records"

    @property
    def alerts_subject(self) -> str:
        return f"{self.prefix}.alerts"

    @property
    def quarantine_subject(self) -> str:
        return f"{self.prefix}.quarantine"

    @property
    def progress_subject(self) -> str:
        return f"{self.prefix}.progress.p{self.partition}"

    @property
    def checkpoint_file(self) -> Path:
        return self.checkpoint / f"{self.durable}-p{self.partition}.pickle"


@dataclass(frozen=True)
class ConsumeStatus:
    """Where one partition's consumer stands, for a progress display (``consume``'s
    ``on_status``, about every ``status_every`` seconds and once at the end)."""

    #: seconds since the consumer was set up
    elapsed: float
    received: int
    alerts: int
    #: records set aside: late, undecodable, alerts the case database could not take
    quarantined: int
    #: messages on this partition's subjects not yet taken (None: the broker did not say)
    pending: int | None
    #: event time (µs since the epoch, UTC) of the newest record taken
    newest_us: int | None
    #: while nothing has been taken: the server's streams, (name, subjects, messages), to
    #: tell a stream name or subject prefix that does not match the publisher's
    streams: tuple[tuple[str, tuple[str, ...], int], ...] = ()
    final: bool = False


class _Link:
    """What became of the connection: reconnections counted, each drop said on stderr."""

    def __init__(self, server: str) -> None:
        self.server, self.reconnects, self.closing = server, 0, False
        self.up = False  # connected once (before: the command's own error says it)

    async def dropped(self) -> None:
        if self.closing:
            return
        print(f"broker: disconnected from {self.server}; reconnecting", file=sys.stderr)

    async def back(self) -> None:
        self.reconnects += 1
        print(f"broker: reconnected to {self.server}", file=sys.stderr)

    async def error(self, exc: Exception) -> None:
        if not self.up:
            return
        print(f"broker: {exc.__class__.__name__}: {exc}", file=sys.stderr)


def lost_broker(settings: BrokerSettings, then: str) -> CallwardenError:
    """The error of a connection that broke for good (every reconnection attempt failed)."""
    return CallwardenError(
        f"--server {settings.server}: the connection to the broker broke and "
        f"{settings.reconnect_attempts} tries to reconnect failed; {then}"
    )


async def _connect(server: str, link: _Link | None = None, attempts: int = 3) -> NATS:
    events: dict[str, Any] = {}
    if link is not None:
        events = {"disconnected_cb": link.dropped, "reconnected_cb": link.back,
                  "error_cb": link.error}  # fmt: skip
    try:
        # a server that is not there is said at once (3 tries), not after a minute of them
        nc = await nats.connect(server, connect_timeout=3, max_reconnect_attempts=3, **events)
    except (OSError, NatsTimeout, nats.errors.NoServersError) as exc:
        raise ConfigError(
            f"--server {server}: cannot reach NATS ({exc.__class__.__name__}); start "
            "nats-server -js, or use --from-file for the embedded path"
        ) from None
    nc.options["max_reconnect_attempts"] = attempts  # (read at each reconnection)
    if link is not None:
        link.up = True
    return nc


async def ensure_streams(js: JetStreamContext, settings: BrokerSettings) -> None:
    """Create the records and alerts streams when they do not exist yet."""
    wanted = [
        StreamConfig(name=settings.stream, subjects=[f"{settings.records_subject}.>"]),
        StreamConfig(
            name=f"{settings.stream}_ALERTS",
            subjects=[settings.alerts_subject, settings.quarantine_subject],
            duplicate_window=3600.0,
        ),
    ]
    for cfg in wanted:
        try:
            await js.stream_info(str(cfg.name))
        except NotFoundError:
            try:
                await js.add_stream(cfg)
            except BadRequestError as exc:
                if exc.err_code != _SUBJECTS_OVERLAP:
                    raise
                raise ConfigError(await _overlap(js, cfg)) from None


_SUBJECTS_OVERLAP = 10065  # JetStream: the subjects are another stream's already


async def _overlap(js: JetStreamContext, cfg: StreamConfig) -> str:
    """One line: the stream named does not exist, and the one holding its subjects does."""
    wanted = list(cfg.subjects or ())
    holders = [
        str(info.config.name)
        for info in await js.streams_info()
        if any(s in (info.config.subjects or ()) for s in wanted)
    ]
    where = f"stream {', '.join(holders)}" if holders else "another stream"
    return (
        f"--stream {cfg.name}: no such stream, and its subjects ({', '.join(wanted)}) are in "
        f"{where} on the server; give --stream {holders[0] if holders else 'NAME'}, or "
        "another --subject-prefix"
    )


def load_checkpoint(path: Path) -> StreamEngine | None:
    if not path.exists():
        return None
    engine = read_state(path)
    if not isinstance(engine, StreamEngine):
        raise ConfigError(f"{path}: not a callwarden stream checkpoint")
    return engine


class _Consumer:
    """One partition's loop: fetch, decode, push, emit, checkpoint, acknowledge."""

    def __init__(
        self,
        settings: BrokerSettings,
        js: JetStreamContext,
        engine: StreamEngine,
        on_alerts: AlertHandler | None,
    ) -> None:
        self.settings, self.js, self.engine, self.on_alerts = settings, js, engine, on_alerts
        self.last_msg: Any = None
        self.to_ack: Any = None
        self.writer = Checkpointer(settings.checkpoint_file)
        self.since = 0
        self.last_ckpt = time.monotonic()
        #: alerts published and not yet confirmed by the broker
        self.out = AckedPublisher(
            js, settings.server, "alerts", settings.confirm_wait, settings.confirm_tries
        )
        #: the last record taken (arrival order): its id and event time (µs), for progress
        self.last_record: tuple[str, int] | None = None
        self.last_progress = 0.0
        #: alerts the case database could not take (sent to the quarantine subject)
        self.cases_reported = 0
        #: records that could not be decoded (sent to the quarantine subject)
        self.bad = 0

    async def emit(self, alerts: list[dict[str, Any]]) -> None:
        if not alerts:
            return
        ided = [(alert_id(a["msisdn"], a["flagged_at"], a["decision"]), a) for a in alerts]
        for aid, a in ided:
            # pipelined: the next batch need not wait for the broker's acknowledgement; every
            # one is awaited before a checkpoint (acked) says the records behind it are done
            data = encode_alert(a, aid)
            await self.out.publish(self.settings.alerts_subject, data, aid)
        # the client writes to the socket from a task of its own: let it run now, or the
        # alerts wait for the loop's next pause (with records queued, a batch or more)
        await asyncio.sleep(0)
        if self.on_alerts is not None:
            by_id = dict(ided)
            for aid, reason in self.on_alerts(ided) or []:
                self.cases_reported += 1
                await self.quarantine(
                    encode_alert(by_id[aid], aid), f"alert not opened as a case: {reason}"
                )

    async def quarantine(self, data: bytes, reason: str) -> None:
        await self.js.publish(
            self.settings.quarantine_subject, data, headers={"Callwarden-Reason": reason[:500]}
        )

    async def checkpoint(self, *, now: bool = False) -> None:
        """Snapshot the state; write it in the background (a thread: snapshot.py), and
        acknowledge what it holds once it is on disk (records keep flowing meanwhile; a crash
        before that leaves the previous checkpoint and the messages unacknowledged).

        When the state has outgrown the checkpointer's staging area, a thread prepares a
        larger one and the checkpoint comes at the next chance (``now``: wait for it)."""
        await self.settle()
        await self.confirm()
        while not self.writer.start(self.engine):
            if not now:
                return
            await self.writer.wait()
        self.to_ack = self.last_msg
        self.last_msg, self.since, self.last_ckpt = None, 0, time.monotonic()
        release_unused()  # (the batches since the last checkpoint: stream/memory.py)
        if self.writer.unstaged:  # written from the state itself: no record until it is done
            await self.settle()

    async def confirm(self) -> None:
        """Wait until the broker has stored every alert published so far (raises if it
        refused one: then no checkpoint, and the records come again after a restart). An
        answer lost with a dropped connection would never come: what is unanswered after
        ``confirm_wait`` is published again under its id (``acked.py``)."""
        try:
            await self.out.confirm()
        except CallwardenError as exc:
            raise CallwardenError(
                f"{exc}; nothing past the last checkpoint is acknowledged: start the consumer "
                "again to score those records again (their alerts keep their ids)"
            ) from None

    async def settle(self) -> None:
        """Wait for the checkpoint being written, then acknowledge what it holds."""
        if not self.writer.writing:
            return
        await self.writer.wait()
        if self.to_ack is not None:
            await self.to_ack.ack()  # AckPolicy.ALL: everything up to it is acknowledged
            self.to_ack = None

    async def take(self, msgs: list[Any]) -> None:
        """One fetch: every new record in it goes to the engine as one batch, in order."""
        frames: list[pl.DataFrame] = []
        lines: list[bytes] = []
        arrows: list[bytes] = []
        bad: list[tuple[bytes, str]] = []

        def flush() -> None:
            """Decode what has gathered (runs of one wire format keep the fetch's order)."""
            for gathered, decoder in ((lines, decode_batch), (arrows, decode_arrow)):
                if gathered:
                    frame, wrong = decoder(gathered)
                    frames.append(frame)
                    bad.extend(wrong)
                    self.since += frame.height + len(wrong)  # records, as --checkpoint-every
                    gathered.clear()

        for msg in msgs:
            self.last_msg = msg
            seq = msg.metadata.sequence.stream
            if seq <= self.engine.last_seq:
                continue  # already in the checkpoint: a redelivery after a crash
            self.engine.last_seq = seq
            if msg.subject.rsplit(".", 2)[-2] == "arrow":
                if lines:
                    flush()
                arrows.append(msg.data)
            else:
                if arrows:
                    flush()
                lines += [line for line in msg.data.split(b"\n") if line.strip()]
        flush()
        self.bad += len(bad)
        for body, reason in bad:
            await self.quarantine(body, f"bad record: {reason}")
        if frames:
            frame = frames[0] if len(frames) == 1 else pl.concat(frames)
            # (in a worker thread: the event loop goes on reading the socket meanwhile)
            await self.emit(await asyncio.to_thread(self.engine.push_frame, frame))
            if frame.height:
                self.last_record = (frame["id"][-1], int(frame["time"].to_physical()[-1]))
        for q in self.engine.take_quarantined():
            await self.quarantine(encode(q.kind, q.record), q.reason)

    async def report(
        self,
        nc: NATS,
        now: float,
        *,
        force: bool = False,
        heard: Callable[[StreamStats], None] | None = None,
    ) -> None:
        """Publish where this partition stands (at most every ``progress_every`` seconds, and
        after the buffer is scored for want of records: ``force``); ``heard`` hears the
        engine's counts each time."""
        if heard is not None:
            heard(self.engine.stats)
        every = self.settings.progress_every
        if every is None or (now - self.last_progress < every and not force):
            return
        self.last_progress = now
        st, eng = self.engine.stats, self.engine
        last_id, last_us = self.last_record or (None, None)
        body = {
            "partition": self.settings.partition, "seq": eng.last_seq, "last_id": last_id,
            "last_time_us": last_us, "received": st.received, "scored": st.processed,
            "late": st.late, "reordered": st.reordered, "buffered": eng.buffer.height,
            "alerts": st.alerts,
            "watermark_ms": None if math.isinf(eng.watermark_ms) else eng.watermark_ms,
        }  # fmt: skip
        await nc.publish(self.settings.progress_subject, json.dumps(body).encode())

    def due(self, now: float) -> bool:
        """Time for a checkpoint (and the last one is written: records do not wait for a slow
        disk; the next checkpoint comes when it is free)."""
        s = self.settings
        due = self.since >= s.checkpoint_every or now - self.last_ckpt >= s.checkpoint_seconds
        return due and self.writer.done()


async def _open(
    settings: BrokerSettings, new_engine: Callable[[], StreamEngine], link: _Link
) -> tuple[NATS, JetStreamContext, StreamEngine]:
    """Connect, make sure the streams exist, and take the checkpoint's engine or a new one
    (a factory that refuses closes the connection before its error goes up)."""
    nc = await _connect(settings.server, link, settings.reconnect_attempts)
    try:
        js = nc.jetstream()
        await ensure_streams(js, settings)
        engine = load_checkpoint(settings.checkpoint_file) or new_engine()
    except BaseException:
        await nc.close()
        raise
    return nc, js, engine


async def _status(
    js: JetStreamContext, loop: _Consumer, started: float, durable: str, *, final: bool = False
) -> ConsumeStatus:
    settings, st = loop.settings, loop.engine.stats
    pending: int | None = None
    streams: tuple[tuple[str, tuple[str, ...], int], ...] = ()
    with contextlib.suppress(Exception):  # a status line never stops the consumer
        pending = int((await js.consumer_info(settings.stream, durable)).num_pending)
    if st.received == 0:
        with contextlib.suppress(Exception):
            streams = tuple(
                (
                    str(info.config.name),
                    tuple(info.config.subjects or ()),
                    int(info.state.messages),
                )
                for info in await js.streams_info()
            )
    return ConsumeStatus(
        elapsed=time.monotonic() - started,
        received=st.received,
        alerts=st.alerts,
        quarantined=st.late + loop.bad + loop.cases_reported,
        pending=pending,
        newest_us=loop.last_record[1] if loop.last_record else None,
        streams=streams,
        final=final,
    )


async def consume(
    settings: BrokerSettings,
    new_engine: Callable[[], StreamEngine],
    on_alerts: AlertHandler | None = None,
    on_progress: Callable[[StreamStats], None] | None = None,
    on_status: Callable[[ConsumeStatus], None] | None = None,
    status_every: float = 1.0,
) -> StreamEngine:
    """Consume one partition until idle (or forever); return the final engine.

    ``on_status`` hears where the consumer stands (:class:`ConsumeStatus`) about every
    ``status_every`` seconds, and once when it stops for want of records."""
    link = _Link(settings.server)
    nc, js, engine = await _open(settings, new_engine, link)
    try:
        return await _serve(
            settings, nc, js, engine, link, on_alerts, on_progress, on_status, status_every
        )
    except nats.errors.ConnectionClosedError:
        raise lost_broker(
            settings,
            "nothing past the last checkpoint is acknowledged: start the consumer "
            "again once the broker is back (it resumes from its checkpoint)",
        ) from None
    finally:
        link.closing = True
        await nc.close()


async def _serve(
    settings: BrokerSettings,
    nc: NATS,
    js: JetStreamContext,
    engine: StreamEngine,
    link: _Link,
    on_alerts: AlertHandler | None,
    on_progress: Callable[[StreamStats], None] | None,
    on_status: Callable[[ConsumeStatus], None] | None,
    status_every: float,
) -> StreamEngine:
    """:func:`consume` once connected."""
    load_engine("compiled")().warm_up()  # before the first record waits (a restored state too)
    # What lives now (the libraries' objects, the state) lives as long as the process: out of
    # the collector's sight, so that a full collection walks only what came later (50-70 ms
    # for the libraries' 180,000 objects otherwise, every record behind it waiting)
    gc.collect()
    gc.freeze()
    durable = await subscribe(js, settings, engine)
    puller = Puller(nc, settings.stream, durable)
    await puller.start()
    loop = _Consumer(settings, js, engine, on_alerts)
    idle_since = started = last_status = time.monotonic()
    while True:
        if link.reconnects != puller.reconnects or puller.broken:
            await puller.rejoin(js, settings, engine, link.reconnects)
            idle_since = time.monotonic()  # (time away is not time without records)
        msgs = await puller.fetch(settings)
        now = time.monotonic()
        if loop.writer.writing and loop.writer.done():
            await loop.settle()
        if msgs:
            await loop.take(msgs)
            await loop.report(nc, now, heard=on_progress)
            if loop.due(now):
                await loop.checkpoint()
            # idle from here: time spent scoring or writing a checkpoint (seconds for a
            # large state, while no message is asked for) is not time without records
            idle_since = time.monotonic()
        elif settings.idle_exit is not None and now - idle_since >= settings.idle_exit:
            await loop.emit(await asyncio.to_thread(engine.flush))
            await loop.report(nc, now, force=True)
            await loop.checkpoint(now=True)
            await loop.settle()
            if on_status is not None:
                on_status(await _status(js, loop, started, durable, final=True))
            return engine
        elif engine.buffer.height and now - idle_since >= settings.idle_release:
            await loop.emit(await asyncio.to_thread(engine.flush))
            await loop.report(nc, now, force=True)
        elif loop.last_msg is not None and now - idle_since >= min(
            1.0, loop.settings.checkpoint_seconds
        ):
            await loop.checkpoint()  # quiet for a while: make what was taken durable
        if on_status is not None and now - last_status >= status_every:
            last_status = now
            on_status(await _status(js, loop, started, durable))
