"""The live stream against the machine's NATS JetStream server.

- Kill and restart: the consumer is SIGKILLed mid-stream several times; at the end no record
  was lost, no alert was stored twice, and the alerts equal the batch result.
- Seed 000 live: the relay SIM's calls arrive in real time (sped up); the relay-call alert
  arrives before its sixth call, and the case is open with the SMS notice queued.
- A message that is not a record goes to the quarantine subject with its reason.
- Record batches in Arrow messages (``replay --wire arrow``), with bad Arrow and JSON messages
  after them, give the batch alerts; the bad ones are quarantined with their reasons.
- Progress reports (``<prefix>.progress.p<i>``): counts that add up, the stream sequence, and
  at the end every record and alert accounted for.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import nats
import polars as pl
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy

from callwarden.cases.db import open_database
from callwarden.cases.queries import summary
from callwarden.detect.scoring import score_records
from callwarden.errors import CallwardenError
from callwarden.features.engines.base import Traffic
from callwarden.records.batch import record_batch
from callwarden.simulate import SimulationConfig, simulate_city
from callwarden.stream.broker import BrokerSettings, _Consumer, consume, ensure_streams
from callwarden.stream.codec import encode, encode_arrow
from callwarden.stream.engine import StreamEngine

pytestmark = pytest.mark.integration
SERVER = os.environ.get("CALLWARDEN_NATS", "nats://127.0.0.1:4222")


@pytest.fixture(scope="module")
def nats_server() -> str:
    async def ping() -> None:
        nc = await nats.connect(SERVER, connect_timeout=2, max_reconnect_attempts=0)
        await nc.jetstream().account_info()
        await nc.close()

    try:
        asyncio.run(ping())
    except Exception as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"NATS JetStream not reachable at {SERVER} ({exc.__class__.__name__})")
    return SERVER


@pytest.fixture
def names(nats_server: str) -> Iterator[BrokerSettings]:
    """A stream and subjects of this test's own, deleted afterwards."""
    tag = uuid.uuid4().hex[:8]
    settings = BrokerSettings(server=nats_server, prefix=f"t{tag}", stream=f"T{tag}")
    yield settings

    async def drop() -> None:
        nc = await nats.connect(nats_server)
        js = nc.jetstream()
        for name in (settings.stream, f"{settings.stream}_ALERTS"):
            with contextlib.suppress(Exception):  # already gone
                await js.delete_stream(name)
        await nc.close()

    asyncio.run(drop())


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "callwarden", *args]


def stream_args(s: BrokerSettings, checkpoint: Path, *extra: str) -> list[str]:
    return cli(
        "stream",
        "--server", s.server, "--subject-prefix", s.prefix, "--stream", s.stream,
        "--checkpoint", str(checkpoint), *extra,
    )  # fmt: skip


def read_subject(s: BrokerSettings, subject: str, wait: float = 2.0) -> list[Any]:
    """Every message stored on a subject of the alerts stream."""

    async def fetch() -> list[Any]:
        nc = await nats.connect(s.server)
        js = nc.jetstream()
        sub = await js.pull_subscribe(
            subject,
            stream=f"{s.stream}_ALERTS",
            config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL),
        )
        out: list[Any] = []
        while True:
            try:
                msgs = await sub.fetch(500, timeout=wait)
            except (TimeoutError, nats.errors.TimeoutError):
                break
            out += msgs
        await nc.close()
        return out

    return asyncio.run(fetch())


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("livecity")
    simulate_city(SimulationConfig(subscribers=1500, seed=31, days=1), out)
    return out


def test_killed_and_restarted_consumer_loses_nothing_and_duplicates_nothing(
    city: Path, names: BrokerSettings, tmp_path: Path
) -> None:
    published = subprocess.run(
        cli("replay", str(city / "calls"), "--sms", str(city / "sms"), "--server", names.server,
            "--subject-prefix", names.prefix, "--stream", names.stream),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert published.returncode == 0, published.stderr
    checkpoint = tmp_path / "ckpt"
    args = stream_args(
        names, checkpoint, "--subscribers", str(city / "subscribers"),
        "--checkpoint-every", "400", "--checkpoint-seconds", "0.3", "--idle-exit", "4",
    )  # fmt: skip
    rng = random.Random(7)
    kills = 0
    for _ in range(3):
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        ckpt = checkpoint / "callwarden-p0.pickle"
        before = ckpt.stat().st_mtime_ns if ckpt.exists() else 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if ckpt.exists() and ckpt.stat().st_mtime_ns != before:
                break  # it is working: a fresh checkpoint was written
            time.sleep(0.05)
        time.sleep(rng.uniform(0.1, 1.0))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 2, "the consumer finished before it could be killed: use a bigger city"
    final = subprocess.run(args, capture_output=True, text=True, check=False)
    assert final.returncode == 0, final.stderr

    assert_alerts_equal_batch(names, city)


def assert_alerts_equal_batch(names: BrokerSettings, city: Path) -> None:
    """The alerts stored on the broker: each once, and exactly the batch result."""
    messages = read_subject(names, names.alerts_subject)
    ids = [m.headers["Nats-Msg-Id"] for m in messages]
    assert len(ids) == len(set(ids)), "an alert was stored twice"
    got = (
        pl.DataFrame(
            [json.loads(m.data) for m in messages],
            schema={"msisdn": pl.String, "decision": pl.String, "flagged_at": pl.String},
            orient="row",
            strict=False,
        )
        if messages
        else pl.DataFrame()
    )
    calls = pl.read_parquet(city / "calls", hive_partitioning=False)
    sms = pl.read_parquet(city / "sms", hive_partitioning=False)
    subs = pl.read_parquet(city / "subscribers")
    batch = score_records(Traffic(calls, sms, subs)).alerts.with_columns(
        flagged_at=pl.col("flagged_at").dt.to_string("%Y-%m-%dT%H:%M:%S%.6f+00:00")
    )
    key = ["msisdn", "decision", "flagged_at"]
    assert batch.height > 0
    assert got.select(key).sort(key).equals(batch.select(key).sort(key))


def test_seed000_live_alert_before_the_sixth_call(
    names: BrokerSettings, tmp_path: Path, seed000_records: tuple[pl.DataFrame, pl.DataFrame]
) -> None:
    calls, subscribers = seed000_records
    subscribers.write_parquet(tmp_path / "subscribers.parquet")
    db = tmp_path / "cases.db"
    consumer = subprocess.Popen(
        stream_args(
            names, tmp_path / "ckpt", "--subscribers", str(tmp_path / "subscribers.parquet"),
            "--db", str(db), "--idle-exit", "6", "--checkpoint-seconds", "0.5",
            "--lateness", "1s",
        ),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    speed = 60.0  # the SIM dials every 2 minutes: every 2 s here
    burst = calls.sort("start_time").tail(30)

    async def live() -> tuple[list[float], float | None]:
        nc = await nats.connect(names.server)
        js = nc.jetstream()
        await ensure_streams(js, names)
        alerts: list[float] = []

        async def got(msg: Any) -> None:
            alerts.append(time.monotonic())

        await nc.subscribe(names.alerts_subject, cb=got)
        for _ in range(200):  # until the consumer has bound its durable
            try:
                await js.consumer_info(names.stream, "callwarden-p0")
                break
            except nats.js.errors.NotFoundError:
                await asyncio.sleep(0.1)
        sent: list[float] = []
        t0 = burst["start_time"][0]
        start = time.monotonic()
        for row in burst.iter_rows(named=True):
            due = start + (row["start_time"] - t0).total_seconds() / speed
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            sent.append(time.monotonic())
            await js.publish(f"{names.records_subject}.call.p0", encode("call", row))
            if alerts and len(sent) >= 6:
                break
        await asyncio.sleep(1.0)
        await nc.close()
        return sent, alerts[0] if alerts else None

    sent, first_alert = asyncio.run(live())
    _, err = consumer.communicate(timeout=120)
    assert consumer.returncode == 0, err
    assert first_alert is not None, "no alert"
    assert first_alert < sent[5], "the alert came after the sixth call"

    messages = read_subject(names, names.alerts_subject)
    first = json.loads(messages[0].data)
    assert first["reasons"][0]["code"] == "relay_call"
    cases = open_database(str(db))
    with cases.sessions() as s:
        counts = summary(s)
    assert counts["cases_by_state"] == {"awaiting_request": 1}
    assert counts["notices_queued"] >= 1


def test_a_bad_message_is_quarantined_with_its_reason(
    names: BrokerSettings, tmp_path: Path
) -> None:
    async def publish() -> None:
        nc = await nats.connect(names.server)
        js = nc.jetstream()
        await ensure_streams(js, names)
        await js.publish(f"{names.records_subject}.call.p0", b'{"kind": "call", "caller": "x"}')
        await nc.close()

    asyncio.run(publish())
    done = subprocess.run(
        stream_args(names, tmp_path / "ckpt", "--no-subscribers", "--idle-exit", "2"),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (msg,) = read_subject(names, names.quarantine_subject)
    assert "call_id: missing" in msg.headers["Callwarden-Reason"]


def replay_arrow(city: Path, names: BrokerSettings, per_message: int) -> None:
    """Publish the city's day as Arrow record-batch messages (``replay --wire arrow``)."""
    published = subprocess.run(
        cli("replay", str(city / "calls"), "--sms", str(city / "sms"), "--server", names.server,
            "--subject-prefix", names.prefix, "--stream", names.stream, "--wire", "arrow",
            "--per-message", str(per_message)),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert published.returncode == 0, published.stderr


def test_arrow_messages_give_the_batch_alerts_and_bad_ones_are_quarantined(
    city: Path, names: BrokerSettings, tmp_path: Path
) -> None:
    replay_arrow(city, names, per_message=250)
    calls = pl.read_parquet(city / "calls", hive_partitioning=False)
    late = calls.sort("start_time").tail(1).with_columns(call_id=pl.lit("bad-row"),
                                                         caller=pl.lit("13800000001"))  # fmt: skip

    async def publish_bad() -> None:
        nc = await nats.connect(names.server)
        js = nc.jetstream()
        await js.publish(f"{names.records_subject}.arrow.p0", b"not arrow at all")
        await js.publish(f"{names.records_subject}.call.p0", b'{"kind": "call", "caller": "x"}')
        await js.publish(f"{names.records_subject}.arrow.p0", encode_arrow(record_batch(late)))
        await nc.close()

    asyncio.run(publish_bad())
    done = subprocess.run(
        stream_args(names, tmp_path / "ckpt", "--subscribers", str(city / "subscribers"),
                    "--idle-exit", "3"),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert_alerts_equal_batch(names, city)
    reasons = sorted(m.headers["Callwarden-Reason"] for m in
                     read_subject(names, names.quarantine_subject))  # fmt: skip
    assert reasons == [
        "bad record: call_id: missing",
        "bad record: caller: not an E.164 number: '13800000001'",
        "bad record: not an Arrow IPC stream of a record batch",
    ]


def test_progress_reports_say_where_the_partition_stands(
    city: Path, names: BrokerSettings, tmp_path: Path
) -> None:
    replay_arrow(city, names, per_message=100)
    reports: list[dict[str, Any]] = []

    async def run() -> int:
        nc = await nats.connect(names.server)

        async def on_report(msg: Any) -> None:
            reports.append(json.loads(msg.data))

        await nc.subscribe(names.progress_subject, cb=on_report)
        await nc.flush()
        proc = await asyncio.create_subprocess_exec(
            *stream_args(names, tmp_path / "ckpt", "--subscribers", str(city / "subscribers"),
                         "--idle-exit", "2"),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        code = await proc.wait()
        await asyncio.sleep(0.2)
        await nc.close()
        return code

    assert asyncio.run(run()) == 0
    assert len(reports) > 1
    for r in reports:  # the counts add up in every report
        assert r["received"] == r["scored"] + r["late"] + r["buffered"]
    seqs = [r["seq"] for r in reports]
    assert seqs == sorted(seqs)
    last = reports[-1]
    records = sum(pl.read_parquet(city / kind, hive_partitioning=False).height
                  for kind in ("calls", "sms"))  # fmt: skip
    assert last["received"] == records and last["buffered"] == 0 and last["late"] == 0
    assert last["alerts"] == len(read_subject(names, names.alerts_subject)) > 0
    assert last["last_id"] is not None and last["watermark_ms"] is not None


def test_a_spoofed_foreign_burst_is_intercepted_and_the_stream_goes_on(
    names: BrokerSettings, tmp_path: Path, seed000_records: tuple[pl.DataFrame, pl.DataFrame]
) -> None:
    """Issue 19's finding: one alert on a number the operator does not serve (and that no
    numbering plan allows) stopped `stream --db` for everyone. Now it is an interception case,
    and the relay SIM after it is still suspended."""
    calls, subscribers = seed000_records
    subscribers.write_parquet(tmp_path / "subscribers.parquet")
    start = calls["start_time"].min()
    spoofed = [
        {
            "call_id": f"w{i}",
            "caller": "+371573613369",  # Latvia has 8 national digits: a spoofed caller ID
            "callee": f"+86138{10_000_000 + 7919 * i:08d}",
            "start_time": start + timedelta(minutes=i),
            "duration_s": 0,
            "ring_s": 1,
            "caller_cell": None,
            "caller_imei": None,
        }
        for i in range(12)
    ]
    frame = pl.concat([pl.DataFrame(spoofed, schema=calls.schema), calls]).sort("start_time")
    db = tmp_path / "cases.db"

    async def publish() -> None:
        nc = await nats.connect(names.server)
        js = nc.jetstream()
        await ensure_streams(js, names)
        for row in frame.iter_rows(named=True):
            await js.publish(f"{names.records_subject}.call.p0", encode("call", row))
        await nc.close()

    asyncio.run(publish())
    done = subprocess.run(
        stream_args(
            names, tmp_path / "ckpt", "--subscribers", str(tmp_path / "subscribers.parquet"),
            "--db", str(db), "--idle-exit", "3",
        ),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    cases = open_database(str(db))
    with cases.reads() as s:
        counts = summary(s)
    cases.engine.dispose()
    assert counts["cases_by_kind"].get("interception") == 1, counts
    assert counts["cases_by_kind"].get("suspension") == 1, counts


class CuttingProxy:
    """A TCP relay to the NATS server whose connections the test cuts, as a network blip or the
    broker dropping a slow client would."""

    def __init__(self, server: str) -> None:
        host, port = server.removeprefix("nats://").rsplit(":", 1)
        self.target = (host, int(port))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"nats://127.0.0.1:{self.listener.getsockname()[1]}"
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Break every connection now (bytes in flight are lost)."""
        with self.lock:
            cut, self.open = self.open, []
        for s in cut:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """No more connections (a blocked accept is woken), and every one open broken."""
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.cut()


def test_a_consumer_whose_connection_breaks_reconnects_and_loses_nothing(
    city: Path, names: BrokerSettings, tmp_path: Path
) -> None:
    """The connection broken three times while the consumer works: it reconnects each time,
    takes up again where its engine stands (records in flight when it broke are delivered
    again, not settled unseen), and ends with exactly the batch alerts, each stored once."""
    published = subprocess.run(
        cli("replay", str(city / "calls"), "--sms", str(city / "sms"), "--server", names.server,
            "--subject-prefix", names.prefix, "--stream", names.stream),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert published.returncode == 0, published.stderr
    proxy = CuttingProxy(names.server)
    checkpoint = tmp_path / "ckpt"
    args = stream_args(
        replace(names, server=proxy.url), checkpoint, "--subscribers", str(city / "subscribers"),
        "--checkpoint-seconds", "0.3", "--idle-exit", "5",
    )  # fmt: skip
    said: list[str] = []
    try:
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        assert proc.stderr is not None
        reader = threading.Thread(target=lambda: said.extend(iter(proc.stderr.readline, "")),
                                  daemon=True)  # fmt: skip
        reader.start()
        ckpt = checkpoint / "callwarden-p0.pickle"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None and not ckpt.exists():
            time.sleep(0.05)  # working: its first checkpoint is written
        cuts = 0
        for _ in range(3):
            if proc.poll() is not None:
                break
            proxy.cut()
            cuts += 1
            deadline = time.monotonic() + 60  # (the client waits 2 s before it reconnects)
            while (
                proc.poll() is None
                and time.monotonic() < deadline
                and sum("broker: reconnected" in line for line in said) < cuts
            ):
                time.sleep(0.05)
        proc.wait(timeout=180)
        reader.join(timeout=10)
    finally:
        proxy.close()
    err = "".join(said)
    assert proc.returncode == 0, err
    assert cuts >= 2, "the consumer finished before its connection could be cut: a bigger city"
    assert err.count("broker: reconnected") >= cuts - 1, err
    assert_alerts_equal_batch(names, city)


def _an_alert(i: int) -> dict[str, Any]:
    return {"msisdn": f"+86138000000{i:02d}", "decision": "review",
            "flagged_at": datetime(2026, 7, 8, 10, i, tzinfo=UTC), "score": 0.7}  # fmt: skip


def test_an_alert_whose_acknowledgement_is_lost_is_published_again_and_stored_once(
    names: BrokerSettings, tmp_path: Path
) -> None:
    """A dropped connection takes the broker's answers with it: an alert whose answer never
    came is published again under its id before the checkpoint, and stored once."""

    async def run() -> None:
        nc = await nats.connect(names.server)
        js = nc.jetstream()
        await ensure_streams(js, names)
        settings = replace(names, checkpoint=tmp_path, confirm_wait=0.3)
        consumer = _Consumer(settings, js, cast(Any, None), None)
        await consumer.emit([_an_alert(1), _an_alert(2)])
        stored, subject, data, aid = consumer.out.pending[0]
        await stored
        never: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        consumer.out.pending[0] = (never, subject, data, aid)  # its answer was lost on the way
        await consumer.confirm()
        assert never.cancelled()
        assert consumer.out.pending == []
        await nc.close()

    asyncio.run(run())
    messages = read_subject(names, names.alerts_subject)
    assert sorted(json.loads(m.data)["msisdn"] for m in messages) == [
        "+8613800000001", "+8613800000002"
    ]  # fmt: skip


def test_alerts_the_broker_never_confirms_stop_the_consumer_with_a_clear_error(
    names: BrokerSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No checkpoint without the alerts stored: after ``confirm_tries`` waits the consumer
    stops and says what to do, rather than waiting for ever."""

    async def run() -> None:
        nc = await nats.connect(names.server)
        js = nc.jetstream()
        await ensure_streams(js, names)
        settings = replace(names, checkpoint=tmp_path, confirm_wait=0.1, confirm_tries=2)
        consumer = _Consumer(settings, js, cast(Any, None), None)
        tries: list[str] = []

        async def unanswered(subject: str, data: bytes, mid: str) -> asyncio.Future[Any]:
            tries.append(mid)
            return asyncio.get_running_loop().create_future()

        monkeypatch.setattr(consumer.out, "_send", unanswered)
        await consumer.emit([_an_alert(3)])
        try:
            with pytest.raises(
                CallwardenError,
                match=r"did not confirm 1 alerts in 2 tries.*start the consumer again",
            ):
                await consumer.confirm()
        finally:
            await nc.close()
        assert len(tries) == 2  # published, then once again

    asyncio.run(run())


def test_a_broker_gone_for_good_stops_the_consumer_with_a_clear_error(
    names: BrokerSettings, tmp_path: Path
) -> None:
    """When no reconnection succeeds the consumer stops and says what to do, rather than an
    internal error from the client."""
    proxy = CuttingProxy(names.server)
    settings = replace(names, server=proxy.url, checkpoint=tmp_path, reconnect_attempts=1)

    def gone(status: object) -> None:  # (the consumer's loop runs: the broker goes)
        proxy.close()

    with pytest.raises(CallwardenError, match="1 tries to reconnect failed") as got:
        run = consume(settings, StreamEngine, on_status=gone, status_every=0.1)
        asyncio.run(asyncio.wait_for(run, timeout=60))
    assert proxy.url in str(got.value)


def test_a_replay_whose_connection_breaks_stores_every_record_once(
    city: Path, names: BrokerSettings
) -> None:
    """``callwarden replay`` through a connection broken while it publishes: it reconnects,
    publishes again what the broker had not confirmed, and the stream holds each record once."""
    calls = pl.read_parquet(city / "calls", hive_partitioning=False)
    proxy = CuttingProxy(names.server)
    folder = city.parent / f"replay-{names.prefix}"
    folder.mkdir()
    calls.write_parquet(folder / "calls.parquet")
    try:
        proc = subprocess.Popen(
            cli("replay", str(folder / "calls.parquet"), "--server", proxy.url,
                "--subject-prefix", names.prefix, "--stream", names.stream),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not proxy.open and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)  # connected: publishing starts
        time.sleep(0.2)
        publishing = proc.poll() is None
        proxy.cut()
        _, err = proc.communicate(timeout=180)
    finally:
        proxy.close()
    assert proc.returncode == 0, err
    assert publishing, "the replay ended before its connection could be cut: more records"

    async def stored() -> int:
        nc = await nats.connect(names.server)
        info = await nc.jetstream().stream_info(names.stream)
        await nc.close()
        return int(info.state.messages)

    assert asyncio.run(stored()) == calls.height
