"""``callwarden score`` and ``callwarden evaluate``: alerts from records, and how good they are."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import polars as pl
import typer

from callwarden.cli.inputs import (
    NoSubscribersOption,
    ServedOption,
    find_parts,
    part_of,
    warn_without_subscribers,
)
from callwarden.cli.progress import console, frame_table, steps
from callwarden.config import Settings
from callwarden.decide.policy import PolicyConfig
from callwarden.detect.alerts_io import read_alerts, write_alerts
from callwarden.detect.call_content import CallContent
from callwarden.detect.evaluate import evaluate_alerts, uncovered
from callwarden.detect.scoring import score_records
from callwarden.errors import ConfigError, InputFileError
from callwarden.features.engines.base import Traffic, load_engine
from callwarden.network import ServedNumbers
from callwarden.records.load import load_known_numbers, load_records
from callwarden.records.quarantine import QuarantineWriter, quarantine_lines
from callwarden.simulate.scenarios import read_scenario, variant_report, variant_tables

if TYPE_CHECKING:
    from collections.abc import Callable

    from callwarden.features.engines.spark import SparkEngine


class Engine(StrEnum):
    """Where scoring runs."""

    embedded = "embedded"
    spark = "spark"


def score(
    calls: Annotated[
        str,
        typer.Argument(
            help="Canonical calls: a Parquet file or folder, or a city or export folder "
            "holding calls/ (its sms/ and subscribers/ are read too, unless given); with "
            "--engine spark also any Hadoop-compatible URI, hdfs://... or s3a://....",
            show_default=False,
        ),
    ],
    out: Annotated[
        str, typer.Option("--out", help="Alerts file (.parquet, or .csv); a folder with --stream.")
    ],
    subscribers: Annotated[
        str | None,
        typer.Option(
            "--subscribers",
            help="Canonical subscribers (file or folder); required unless CALLS is a folder "
            "holding subscribers/, or --no-subscribers is given.",
            show_default="CALLS/subscribers when there",
        ),
    ] = None,
    no_subscribers: NoSubscribersOption = False,
    sms: Annotated[
        str | None,
        typer.Option(
            "--sms",
            help="Canonical SMS (file or folder).",
            show_default="CALLS/sms when there, else no SMS",
        ),
    ] = None,
    transcripts: Annotated[
        Path | None,
        typer.Option(
            "--transcripts",
            exists=True,
            help="Canonical call transcripts (call_id, text; file or folder): answered calls "
            "whose transcripts read as fraud scripts raise their number (the call_content "
            "detector) and give its alerts a content reason (docs/content.md). Unusable rows "
            "are counted and quarantined beside --out. With --stream: a folder of arriving "
            "files, each transcript joined to its call as it comes; unusable ones, and those "
            "whose call does not come within 6 hours, go to OUT/_quarantine/"
            "transcripts-<batch>.jsonl.",
            show_default="CALLS/transcripts when there, else none",
        ),
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            help="A trained model directory (learned scorer).",
            show_default="none: the rules alone",
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
            help="Known fraud numbers (Parquet/CSV with msisdn; labels keep their fraud rows).",
            show_default="none",
        ),
    ] = None,
    served: ServedOption = None,
    engine: Annotated[
        Engine,
        typer.Option(
            "--engine",
            help="embedded: this process; spark: Apache Spark (pip install 'callwarden\\[spark]').",
        ),
    ] = Engine.embedded,
    master: Annotated[
        str,
        typer.Option(
            "--master",
            help="Spark master with --engine spark: local[*], yarn, spark://HOST:7077, k8s://...",
        ),
    ] = "local[*]",
    spark_conf: Annotated[
        list[str] | None,
        typer.Option(
            "--conf",
            help="With --engine spark: a Spark setting KEY=VALUE (repeat for more), e.g. "
            "spark.executor.instances=20.",
            show_default="Spark's own defaults",
        ),
    ] = None,
    stream: Annotated[
        bool,
        typer.Option(
            "--stream",
            help="With --engine spark: read CALLS (and --sms and --transcripts, if given) as "
            "folders of arriving Parquet files and write alerts-<batch>.parquet files into the "
            "--out folder as they come.",
        ),
    ] = False,
    trigger_seconds: Annotated[
        float,
        typer.Option(
            "--trigger-seconds",
            help="With --stream: seconds between micro-batches; 0 scores the files there now "
            "and stops.",
        ),
    ] = 10.0,
    report: Annotated[
        bool,
        typer.Option(
            "--report/--no-report",
            help="Write a summary beside the alerts: OUT.summary.json and a self-contained "
            "OUT.report.html with charts (alerts over time by decision, numbers by type).",
        ),
    ] = True,
) -> None:
    """Score call (and SMS) records into alerts: one row per number and decision change.

    A CSV shows times in the local time zone with their offset and the reasons as text
    columns (reasons_zh, reasons_en); Parquet keeps the typed columns. A summary and an HTML
    report go beside the alerts (docs/reports.md).

    Example:

        callwarden score city/ --out alerts.parquet
    """
    settings = Settings()
    policy_config = PolicyConfig.load(policy)
    prefixes = ServedNumbers.from_csv(served) if served is not None else None
    if engine is Engine.spark or stream:
        if engine is not Engine.spark:
            raise ConfigError("--stream runs on Spark: add --engine spark")
        settings_given = dict(_key_value(item) for item in spark_conf or [])
        load_engine("spark")  # the install hint before anything else
        parts = find_parts(calls, sms, subscribers, no_subscribers=no_subscribers)
        parts.say()
        if no_subscribers:
            warn_without_subscribers()
        _score_on_spark(
            parts.calls, out, parts.subscribers, parts.sms, known, policy_config,
            settings.timezone, master,
            conf=settings_given, stream=stream, trigger_seconds=trigger_seconds, served=prefixes,
            model=model, transcripts=transcripts or part_of(calls, "transcripts"),
        )  # fmt: skip
        return
    uris = [x for x in (calls, out, subscribers, sms) if x and "://" in x]
    if uris:
        raise ConfigError(f"{uris[0]}: Hadoop-compatible locations need --engine spark")
    transcripts = transcripts or part_of(calls, "transcripts")
    for given in (calls, subscribers, sms, transcripts):  # all of them before any work
        if given and not Path(given).exists():
            raise InputFileError(given, "no such file or folder")
    scorer = None
    if model is not None:
        # LightGBM loads only when a model is asked for
        from callwarden.detect.model.events import event_scorer  # noqa: PLC0415

        scorer = event_scorer(model, policy_config.review)
    parts = find_parts(calls, sms, subscribers, no_subscribers=no_subscribers)
    calls, sms, subscribers = parts.calls, parts.sms, parts.subscribers
    parts.say()
    if no_subscribers:
        warn_without_subscribers()
    _small_pages()
    with steps("scoring") as progress:
        progress("reading", 0, 0)
        traffic, said, read = _read_traffic(
            calls, subscribers, sms, transcripts, known, settings.timezone
        )
        result = score_records(
            traffic.pop(), policy_config, model=scorer, progress=progress, served=prefixes,
            transcripts=said,
        )  # fmt: skip
    write_alerts(result.alerts, Path(out), timezone=settings.timezone)
    if said is not None and transcripts is not None:
        _say_transcripts(said, str(transcripts), out)
    counts = result.alerts.group_by("decision").len().sort("decision")
    console.print(
        f"scored {read:,} calls ({result.events:,} events); "
        f"{result.alerts['msisdn'].n_unique():,} numbers alerted -> {out}"
    )
    console.print(frame_table(counts, "alerts by decision"))
    if report:
        # (the charts' library is loaded for the report alone, after the alerts are written)
        from callwarden.report import scoring_report  # noqa: PLC0415

        written = scoring_report(
            result.alerts,
            Path(out),
            timezone=settings.timezone,
            inputs={"calls": calls, "sms": sms, "subscribers": subscribers},
            calls=read,
            events=result.events,
        )
        console.print(f"summary -> {written[0]}; report -> {written[1]}", highlight=False)


def _small_pages() -> None:
    """numpy's arrays in ordinary pages from here on, not huge pages (``madvise``): the
    command makes thousands of large arrays, each written once or twice, and where the
    kernel's transparent huge pages are on request its fault handler compacts memory and
    clears 2 MiB at a time for each of them. On the 1M-subscriber day that cost 3 CPU s of
    system time of 9 (docs/benchmarks.md); the command's peak memory is the same."""
    from numpy._core import multiarray  # noqa: PLC0415

    huge_pages = getattr(multiarray, "_set_madvise_hugepage", None)
    if huge_pages is not None:  # (else another numpy: its default stands)
        huge_pages(False)


def _read_traffic(
    calls: str,
    subscribers: str | None,
    sms: str | None,
    transcripts: Path | None,
    known: Path | None,
    timezone: str,
) -> tuple[list[Traffic], CallContent | None, int]:
    """The records to score, in a list to be popped (handed over, not kept by the caller:
    scoring lets the calls as read go once it has what it needs of them, and they are the
    largest thing the command holds); the transcripts joined to the calls; the calls read."""
    frame = load_records(Path(calls), "calls")
    read = frame.height
    subs = load_records(Path(subscribers), "subscribers") if subscribers else None
    texts = load_records(Path(sms), "sms", allow_empty=True) if sms else None
    said = None
    if transcripts is not None:
        said = CallContent.of_records(
            load_records(transcripts, "transcripts", allow_empty=True), frame
        )
    listed = load_known_numbers(known) if known else None
    return [Traffic(frame, texts, subs, known=listed, timezone=timezone)], said, read


def _say_transcripts(
    said: CallContent,
    source: str,
    out: str,
    write: Callable[[str, bytes], None] | None = None,
) -> None:
    """How many transcripts were joined to their calls; the others to a quarantine file
    beside ``out`` (``write``: how to write it where ``out`` is not a local file, as Spark
    writes to a Hadoop URI)."""
    counts = said.counts
    line = f"transcripts: {counts['joined']:,} of {counts['read']:,} joined to answered calls"
    left = {k: v for k, v in counts.items() if k not in ("read", "joined") and v}
    if left:
        path = f"{out.rstrip('/')}.transcripts-quarantine.jsonl"
        if write is not None:
            write(path, quarantine_lines(source, said.rejects))
        else:
            with QuarantineWriter(Path(path)) as quarantine:
                quarantine.write(source, said.rejects)
        named = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in left.items())
        line += f"; not used: {named} -> {path}"
    console.print(line, highlight=False)


def _key_value(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--conf {item!r}: expected KEY=VALUE, e.g. spark.executor.memory=8g")
    return key.strip(), value.strip()


def _score_on_spark(
    calls: str,
    out: str,
    subscribers: str | None,
    sms: str | None,
    known: Path | None,
    policy: PolicyConfig,
    timezone: str,
    master: str,
    *,
    conf: dict[str, str],
    stream: bool,
    trigger_seconds: float,
    served: ServedNumbers | None,
    model: Path | None = None,
    transcripts: Path | None = None,
) -> None:
    scorer = None
    if model is not None:
        # LightGBM loads only when a model is asked for
        from callwarden.detect.model.events import event_scorer  # noqa: PLC0415

        scorer = event_scorer(model, policy.review)
    # PySpark loads only here: the base install has no Spark, and says how to get it.
    spark_engine = cast("type[SparkEngine]", load_engine("spark"))
    with console.status(f"starting Spark on {master}"):
        spark = spark_engine.start(master, conf)
    subs = spark.read(subscribers, "subscribers") if subscribers else None
    listed = spark.known(load_known_numbers(known)) if known is not None else None
    if stream:
        query = spark.stream(
            calls, out, subscribers=subs, policy=policy, timezone=timezone, known=listed,
            trigger_seconds=trigger_seconds, served=served, sms_source=sms, model=scorer,
            transcripts_source=str(transcripts) if transcripts else None,
        )  # fmt: skip
        how = "the files there now" if trigger_seconds <= 0 else "Ctrl-C stops; a rerun goes on"
        also = "".join(f" and {x}" for x in (sms, transcripts) if x)
        console.print(f"streaming {calls}{also} -> {out} ({how})")
        if transcripts:
            console.print(f"transcripts not used -> {out}/_quarantine/", highlight=False)
        query.awaitTermination()
        return
    with console.status("scoring on Spark"):
        frame = spark.read(calls, "calls")
        said = None
        if transcripts:
            said = spark.call_content(spark.read(str(transcripts), "transcripts"), frame)
        result = spark.score(
            frame, spark.read(sms, "sms") if sms else None, subs, policy,
            timezone=timezone, known=listed, served=served, model=scorer, transcripts=said,
        )  # fmt: skip
        spark.write_alerts(result.alerts, out)
    if said is not None and transcripts:
        _say_transcripts(said, str(transcripts), out, write=spark.write_file)
    counts = result.alerts.group_by("decision").len().sort("decision")
    console.print(
        f"scored on Spark ({master}): {result.events:,} outgoing calls and SMS after triage; "
        f"{result.alerts['msisdn'].n_unique():,} numbers alerted -> {out}"
    )
    console.print(frame_table(counts, "alerts by decision"))


class TruthCovers(StrEnum):
    """Which numbers a truth file speaks for."""

    all = "all"
    listed = "listed"


def evaluate(
    alerts: Annotated[Path, typer.Argument(exists=True, help="Alerts from `callwarden score`.")],
    truth: Annotated[
        Path,
        typer.Option(
            "--truth",
            exists=True,
            help="Labels (msisdn, label, behaviour_start): a file or folder, or a city folder "
            "holding labels/ (its calls/ and sms/ are read too, unless given).",
        ),
    ],
    calls: Annotated[
        Path | None,
        typer.Option(
            "--calls",
            exists=True,
            help="Calls, to count a number's calls to flag.",
            show_default="TRUTH/calls when --truth is a city folder, else not counted",
        ),
    ] = None,
    sms: Annotated[
        Path | None,
        typer.Option(
            "--sms",
            exists=True,
            help="SMS, to count texts to flag.",
            show_default="TRUTH/sms when --truth is a city folder, else not counted",
        ),
    ] = None,
    truth_covers: Annotated[
        TruthCovers | None,
        typer.Option(
            "--truth-covers",
            help="Which numbers --truth speaks for, when it does not list every alerted "
            "number: all (it lists every fraud number; the others are honest) or listed "
            "(only its numbers are judged, as with case outcomes from `labels export`). "
            "Not needed when it lists them all.",
            show_default="none: refused unless the truth lists every alerted number",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Where the evaluation goes: OUT.summary.json and a self-contained "
            "OUT.report.html with charts (precision-recall, recall per type, alerts over time).",
            show_default="beside ALERTS: ALERTS.evaluation.summary.json and .report.html",
        ),
    ] = None,
) -> None:
    """Precision, recall and F1 per actor type, PR-AUC, false-positive rates, time-to-flag.

    A number counts as flagged at review or higher. The summary (JSON) and an HTML report with
    charts go beside the alerts, or to --out (docs/reports.md).

    Example:

        callwarden evaluate alerts.parquet --truth city/
    """
    scenario = None
    if (labels := part_of(truth, "labels")) is not None:
        scenario = read_scenario(truth)
        calls = calls or part_of(truth, "calls")
        sms = sms or part_of(truth, "sms")
        truth = labels
    alerted = read_alerts(alerts)
    labelled = load_records(truth, "labels")
    missing = uncovered(alerted, labelled)
    if missing.len() and truth_covers is None:
        raise ConfigError(
            f"--truth {truth} does not list {missing.len():,} of the "
            f"{alerted['msisdn'].n_unique():,} numbers alerted in {alerts} (e.g. "
            f"{missing[0]}): add --truth-covers all if it lists every fraud number (the "
            "others are then honest), or --truth-covers listed if it speaks only for its own "
            "numbers (case outcomes: the others are left out)"
        )
    ev = evaluate_alerts(
        alerted,
        labelled,
        load_records(calls, "calls") if calls else None,
        load_records(sms, "sms", allow_empty=True) if sms else None,
        covers=str(truth_covers or TruthCovers.all),
    )
    console.print(frame_table(ev.per_type, "by actor type"))
    head = pl.DataFrame({"metric": list(ev.headline()), "value": list(ev.headline().values())})
    console.print(frame_table(head, "overall (flagged = review or higher)"))
    if scenario is not None:
        recall, alikes = variant_tables(variant_report(alerted, labelled, scenario))
        console.print(frame_table(recall, "adversarial variant: recall (flagged = review+)"))
        console.print(frame_table(alikes, "look-alikes above watch"))
    inputs = {"alerts": str(alerts), "truth": str(truth)}
    inputs |= {k: str(v) for k, v in (("calls", calls), ("sms", sms)) if v is not None}
    if truth_covers is not None:
        inputs["truth covers"] = str(truth_covers)
    from callwarden.report import evaluation_report  # noqa: PLC0415  (the charts' library)

    written = evaluation_report(
        ev,
        alerted,
        out or alerts.with_name(alerts.stem + ".evaluation"),
        timezone=Settings().timezone,
        inputs=inputs,
    )
    console.print(f"summary -> {written[0]}; report -> {written[1]}", highlight=False)
