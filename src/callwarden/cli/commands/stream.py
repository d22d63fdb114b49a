"""``callwarden stream`` and ``callwarden replay``: real-time detection over NATS JetStream."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import polars as pl
import typer

from callwarden.cli.inputs import (
    NoSubscribersOption,
    ServedOption,
    find_parts,
    part_of,
    warn_without_subscribers,
)
from callwarden.cli.progress import Status, console
from callwarden.config import Settings
from callwarden.decide.policy import PolicyConfig
from callwarden.detect.alerts_io import alerts_from_rows, write_alerts
from callwarden.errors import ConfigError, InputFileError
from callwarden.network import ServedNumbers
from callwarden.records.load import check_record_files, load_known_numbers, load_records

if TYPE_CHECKING:
    from callwarden.stream.broker import BrokerSettings, ConsumeStatus
    from callwarden.stream.engine import StreamEngine

ServerOption = Annotated[
    str, typer.Option("--server", envvar="CALLWARDEN_NATS", help="NATS server URL.")
]
StatusEveryOption = Annotated[
    float,
    typer.Option(
        "--status-every",
        help="Seconds between status lines on stderr when it is not a terminal (a terminal "
        "gets a live display).",
    ),
]
#: seconds without a record before ``stream`` says that nothing is published on its subjects
QUIET_HINT_AFTER = 10.0
PrefixOption = Annotated[
    str,
    typer.Option(
        "--subject-prefix",
        help="Subjects: PREFIX.records.<kind>.p<N>, PREFIX.alerts, PREFIX.quarantine.",
    ),
]


def _partition(text: str) -> tuple[int, int]:
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise ConfigError(f"--partition {text}: write it as I/N, e.g. 0/4") from None
    if not 0 <= i < n:
        raise ConfigError(f"--partition {text}: I must be in 0..N-1")
    return i, n


def _seconds(text: str) -> float:
    t = text.strip().lower()
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    for unit in ("ms", "s", "m", "h"):
        if t.endswith(unit):
            try:
                return float(t[: -len(unit)]) * scale[unit]
            except ValueError:
                break
    try:
        return float(t)
    except ValueError:
        raise ConfigError(f"{text!r}: give a duration like 30s, 500ms or 2m") from None


def _case_handler(db: str | None, subscribers: pl.DataFrame | None) -> Any:
    if db is None:
        return None
    from callwarden.cases.from_files import alerts_from_frame  # noqa: PLC0415  (only with --db)
    from callwarden.cli.commands.cases import service as case_service  # noqa: PLC0415

    service = case_service(db, create=True)  # stream --db starts a new database if need be

    def handle(ided: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, str]]:
        """Take the batch in; the alerts that could not become cases, with their reasons."""
        inputs, rejected = alerts_from_frame(alerts_from_rows([a for _, a in ided]), subscribers)
        results = service.intake(inputs)
        ids = [aid for aid, _ in ided]
        out = [(ids[r.row - 1], r.reason) for r in rejected]
        out += [(r.alert_id, r.error) for r in results if r.error is not None]
        return out

    return handle


def stream(
    from_file: Annotated[
        str | None,
        typer.Option(
            "--from-file",
            help="Embedded mode, no broker: canonical calls (Parquet file or folder, or a city "
            "or export folder holding calls/, whose sms/ and subscribers/ are read too), or "
            "'-' for JSON Lines records on stdin.",
            show_default="none: read from the broker",
        ),
    ] = None,
    sms: Annotated[
        Path | None,
        typer.Option(
            "--sms",
            exists=True,
            help="With --from-file: SMS.",
            show_default="FROM_FILE/sms when there, else no SMS",
        ),
    ] = None,
    subscribers: Annotated[
        Path | None,
        typer.Option(
            "--subscribers",
            exists=True,
            help="Canonical subscribers (file or folder, or a city folder holding "
            "subscribers/); required unless --no-subscribers.",
            show_default="FROM_FILE/subscribers when there",
        ),
    ] = None,
    no_subscribers: NoSubscribersOption = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write the alerts emitted (.parquet or .csv).",
            show_default="none: alerts go to the broker only",
        ),
    ] = None,
    server: ServerOption = "nats://127.0.0.1:4222",
    subject_prefix: PrefixOption = "callwarden",
    stream_name: Annotated[
        str, typer.Option("--stream", help="JetStream stream the records are in.")
    ] = "CALLWARDEN",
    durable: Annotated[
        str, typer.Option("--durable", help="Durable consumer name (-p<I> is added).")
    ] = "callwarden",
    partition: Annotated[
        str, typer.Option("--partition", help="This consumer's partition I/N.")
    ] = "0/1",
    checkpoint: Annotated[
        Path, typer.Option("--checkpoint", help="Folder for the state checkpoints.")
    ] = Path("stream-checkpoint"),
    checkpoint_every: Annotated[
        int, typer.Option("--checkpoint-every", help="Records between checkpoints.")
    ] = 1_000_000,
    checkpoint_seconds: Annotated[
        float, typer.Option("--checkpoint-seconds", help="Seconds between checkpoints.")
    ] = 30.0,
    lateness: Annotated[
        str, typer.Option("--lateness", help="Allowed lateness (event time): 30s, 500ms, 2m.")
    ] = "30s",
    idle_exit: Annotated[
        float | None,
        typer.Option(
            "--idle-exit",
            help="Stop after this many seconds without records.",
            show_default="none: run until Ctrl-C",
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Open cases for the alerts in this case database (created if need be).",
            show_default="none: no cases opened",
        ),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option(
            "--policy",
            exists=True,
            help="Policy TOML: thresholds, caps, allow lists.",
            show_default="the shipped policy",
        ),
    ] = None,
    known: Annotated[
        Path | None,
        typer.Option(
            "--known",
            exists=True,
            help="Known fraud numbers (msisdn column).",
            show_default="none",
        ),
    ] = None,
    served: ServedOption = None,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            exists=True,
            help="A trained model directory (learned scorer), as score --model.",
            show_default="none: the rules alone",
        ),
    ] = None,
    status_every: StatusEveryOption = 10.0,
) -> None:
    """Score records as they arrive, with the batch definitions; publish alerts as they rise.

    On a terminal a live line shows records in, rate, messages still waiting (lag), the
    newest event time, alerts and quarantined records; otherwise a plain line every
    --status-every seconds. When nothing arrives on its subjects, it says so and names the
    streams the server has.

    Example:

        callwarden stream --subscribers city/subscribers --db cases.db --idle-exit 60
    """
    # the stream engine's compiled code (numba) loads only for the commands that run it
    from callwarden.stream.broker import BrokerSettings, consume  # noqa: PLC0415
    from callwarden.stream.engine import Quarantined, StreamEngine  # noqa: PLC0415
    from callwarden.stream.files import (  # noqa: PLC0415
        jsonl_records,
        parquet_frames,
        run_frames,
        run_records,
    )

    if from_file not in (None, "-") and not Path(from_file).exists():
        raise InputFileError(from_file, "no such file or folder")
    from_file, sms, subscribers = _inputs(from_file, sms, subscribers, no_subscribers)
    settings = Settings()
    if subscribers is not None:
        check_record_files(subscribers, "subscribers")  # (a wrong file is said at once)
    # the engine reads the subscribers from their path and keeps only what it needs, unless
    # cases are opened (--db): they read the table, which is then read once and shared
    cases_subscribers = load_records(subscribers, "subscribers") if db and subscribers else None
    known_numbers = load_known_numbers(known) if known else None
    prefixes = ServedNumbers.from_csv(served) if served is not None else None
    lateness_ms = int(_seconds(lateness) * 1000)
    handler = _case_handler(db, cases_subscribers)
    scorer = None
    if model is not None:
        # LightGBM loads only when a model is asked for
        from callwarden.detect.model.events import event_scorer  # noqa: PLC0415

        scorer = event_scorer(model, PolicyConfig.load(policy).review)

    def new_engine() -> StreamEngine:
        # refused here, after the broker answered: a wrong --server is said first
        if subscribers is None and not no_subscribers:
            raise ConfigError(
                "no subscribers: give --subscribers PATH (a file, or a city folder holding "
                "subscribers/), or --no-subscribers to score without them"
            )
        if no_subscribers:
            warn_without_subscribers()
        return StreamEngine(
            subscribers if cases_subscribers is None else cases_subscribers,
            PolicyConfig.load(policy), settings.timezone, known_numbers, lateness_ms,
            served=prefixes, model=scorer,
        )  # fmt: skip

    if from_file is not None:
        if out is None:
            raise ConfigError("--from-file needs --out for the alerts")
        engine = new_engine()
        bad: list[Quarantined] = []
        if from_file == "-":
            alerts = run_records(engine, jsonl_records(sys.stdin, bad))
        else:
            alerts = run_frames(engine, parquet_frames(Path(from_file), sms))
        if handler and alerts:
            for _, reason in handler([(str(i), a) for i, a in enumerate(alerts)]):
                typer.echo(json.dumps({"alert_not_opened": reason}, ensure_ascii=False), err=True)
        write_alerts(alerts_from_rows(alerts), out)
        _report(engine, len(bad) + len(engine.quarantined), out)
        for q in bad + engine.quarantined:
            typer.echo(json.dumps({"quarantined": q.reason}, ensure_ascii=False), err=True)
        return

    i, n = _partition(partition)
    broker = BrokerSettings(
        server=server,
        prefix=subject_prefix,
        stream=stream_name,
        durable=durable,
        partition=i,
        partitions=n,
        checkpoint=checkpoint,
        checkpoint_every=checkpoint_every,
        checkpoint_seconds=checkpoint_seconds,
        idle_exit=idle_exit,
        idle_release=max(0.2, lateness_ms / 1000),
    )
    collected: list[dict[str, Any]] = []

    def on_alerts(ided: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, str]]:
        collected.extend(a for _, a in ided)
        return handler(ided) if handler else []

    console.print(
        f"consuming {broker.records_subject}.*.p{i} from {server} (stream {stream_name}, "
        f"durable {durable}-p{i}); alerts to {broker.alerts_subject}"
    )
    with Status("stream", unit="records", every=status_every) as status:
        watch = _Watch(status, broker, settings.timezone)
        engine = asyncio.run(consume(broker, new_engine, on_alerts, on_status=watch))
    if out is not None:
        write_alerts(alerts_from_rows(collected), out)
    _report(engine, engine.stats.late, out)


def _inputs(
    from_file: str | None, sms: Path | None, subscribers: Path | None, no_subscribers: bool
) -> tuple[str | None, Path | None, Path | None]:
    """The calls, SMS and subscribers: a city folder's parts unless given."""
    if from_file not in (None, "-") and part_of(from_file, "calls") is not None:
        city = Path(str(from_file))
        parts = find_parts(
            str(city),
            str(sms) if sms else None,
            str(subscribers) if subscribers else None,
            # the folder's subscribers are taken below; whether they are needed is the
            # engine's to say (after the broker answered)
            no_subscribers=subscribers is None,
        )
        parts.say()
        from_file, sms = parts.calls, Path(parts.sms) if parts.sms else None
        if subscribers is None and not no_subscribers:
            subscribers = part_of(city, "subscribers")
    if subscribers is not None and no_subscribers:
        raise ConfigError("--subscribers and --no-subscribers: give one of them")
    return from_file, sms, subscribers


def _report(engine: StreamEngine, quarantined: int, out: Path | None) -> None:
    s = engine.stats
    console.print(
        f"{s.received:,} records: {s.processed:,} scored ({s.reordered:,} out of order), "
        f"{quarantined:,} quarantined; {s.alerts:,} alerts" + (f" -> {out}" if out else "")
    )


class _Watch:
    """Feeds the consumer's status to the display, and says once, on stderr, when nothing
    has arrived on the subjects (a stream name or subject prefix that is not the
    publisher's)."""

    def __init__(self, status: Status, broker: BrokerSettings, timezone: str) -> None:
        self.status, self.broker, self.timezone = status, broker, timezone
        self.hinted = False

    def __call__(self, st: ConsumeStatus) -> None:
        detail = [f"{st.alerts:,} alerts", f"{st.quarantined:,} quarantined"]
        if st.pending is not None:
            detail.insert(0, f"lag {st.pending:,} msgs")
        if st.newest_us is not None:
            from datetime import UTC, datetime  # noqa: PLC0415
            from zoneinfo import ZoneInfo  # noqa: PLC0415

            newest = datetime.fromtimestamp(st.newest_us / 1e6, UTC)
            detail.insert(
                1, f"newest event {newest.astimezone(ZoneInfo(self.timezone)):%m-%d %H:%M:%S}"
            )
        self.status.update(st.received, ", ".join(detail))
        if st.received == 0 and not self.hinted and (st.final or st.elapsed >= QUIET_HINT_AFTER):
            self.hinted = True
            self.status.console.print(
                f"[yellow]note:[/] {nothing_published(self.broker, st)}",
                highlight=False,
                soft_wrap=True,
            )


def nothing_published(broker: BrokerSettings, st: ConsumeStatus) -> str:
    """One line: nothing has arrived on the consumer's subjects, and which streams hold
    records instead (a ``--stream`` or ``--subject-prefix`` that is not the publisher's)."""
    subject = f"{broker.records_subject}.*.p{broker.partition}"
    text = f"nothing published on {subject} in stream {broker.stream} after {st.elapsed:.0f}s"
    others = [
        f"{name} ({', '.join(subjects)}: {messages:,} messages)"
        for name, subjects, messages in st.streams
        if messages and name != broker.stream and any(".records." in x for x in subjects)
    ]
    own = next((m for name, _, m in st.streams if name == broker.stream), 0)
    if others:
        text += f"; records are in {'; '.join(others)}: give replay's --stream and --subject-prefix"
    elif own:
        text += (
            f"; stream {broker.stream} holds {own:,} messages on other subjects: check "
            "--subject-prefix and --partition against replay's"
        )
    else:
        text += "; is replay publishing to this server with the same --stream and --subject-prefix?"
    return text


def replay(
    calls: Annotated[
        Path,
        typer.Argument(
            exists=True,
            help="Canonical calls (Parquet file or folder), or a city or export folder holding "
            "calls/ (its sms/ is sent too, unless --sms is given).",
        ),
    ],
    sms: Annotated[
        Path | None,
        typer.Option(
            "--sms",
            exists=True,
            help="Canonical SMS.",
            show_default="CALLS/sms when there, else no SMS",
        ),
    ] = None,
    speed: Annotated[
        str, typer.Option("--speed", help="10x = ten times real time; max = as fast as possible.")
    ] = "max",
    server: ServerOption = "nats://127.0.0.1:4222",
    subject_prefix: PrefixOption = "callwarden",
    stream_name: Annotated[
        str, typer.Option("--stream", help="JetStream stream to publish into.")
    ] = "CALLWARDEN",
    partitions: Annotated[
        int, typer.Option("--partitions", help="Partitions (by acting number) to publish to.")
    ] = 1,
    per_message: Annotated[
        int,
        typer.Option(
            "--per-message",
            help="Records per message (JSON Lines, or an Arrow batch) for throughput; "
            "1 = one record a message.",
        ),
    ] = 1,
    wire: Annotated[
        str,
        typer.Option(
            "--wire",
            help="Message format: json (one JSON object a record) or arrow (record batches, "
            "read without a Python object per record).",
        ),
    ] = "json",
    status_every: StatusEveryOption = 10.0,
) -> None:
    """Publish a day of records to the broker in event-time order (demos and benchmarks).

    On a terminal a live bar shows records sent, the rate and the time left; otherwise a plain
    line every --status-every seconds.

    Example:

        callwarden replay city/ --speed 10x --partitions 4
    """
    from callwarden.records.batch import record_batch  # noqa: PLC0415
    from callwarden.stream.broker import BrokerSettings  # noqa: PLC0415
    from callwarden.stream.files import parquet_records  # noqa: PLC0415
    from callwarden.stream.publish import publish_frame, publish_records  # noqa: PLC0415

    if per_message < 1:
        raise ConfigError("--per-message must be 1 or more")
    if wire not in ("json", "arrow"):
        raise ConfigError(f"--wire {wire}: choose json or arrow")
    if speed == "max":
        factor = None
    else:
        try:
            factor = float(speed.removesuffix("x"))
        except ValueError:
            raise ConfigError(f"--speed {speed}: write 10x, 0.5x or max") from None
        if factor <= 0:
            raise ConfigError("--speed must be above 0")
    if (inner := part_of(calls, "calls")) is not None:
        sms = sms or part_of(calls, "sms")
        calls = inner
    broker = BrokerSettings(
        server=server, prefix=subject_prefix, stream=stream_name, partitions=max(1, partitions)
    )
    with Status("replay", total=_count(calls, sms), every=status_every) as status:
        if wire == "arrow":
            batch = record_batch(
                load_records(calls, "calls"),
                load_records(sms, "sms", allow_empty=True) if sms is not None else None,
            )
            sent = asyncio.run(
                publish_frame(
                    batch, broker, speed=factor, per_message=per_message, on_sent=status.update
                )
            )
        else:
            sent = asyncio.run(
                publish_records(
                    parquet_records(calls, sms),
                    broker,
                    speed=factor,
                    per_message=per_message,
                    on_sent=status.update,
                )
            )
    console.print(f"published {sent:,} records to {broker.records_subject}.* on {server}")


def _count(calls: Path, sms: Path | None) -> int | None:
    """How many records a replay sends (None when the files cannot tell: their error comes
    when they are read, after the broker answered)."""
    from callwarden.records.ingest import read_canonical  # noqa: PLC0415

    try:
        total = 0
        for path, kind in ((calls, "calls"), (sms, "sms")):
            if path is not None:
                total += int(read_canonical(path, kind).select(pl.len()).collect().item())
    except Exception:  # any unreadable file: no total here, and its own error when read
        return None
    return total
