"""Ingest: read an operator's export, write canonical Parquet, quarantine what is wrong.

Nothing is lost: every row read is either accepted or quarantined with its reason, and
:class:`IngestReport` checks that the counts add up. Layout under ``out``::

    out/calls/day=2026-07-08/part-<source>-00000.parquet   records with an event time, by day
    out/subscribers/part-<source>-00000.parquet            records without one
    out/reports/calls-<source>.json                        that source's last ingest report
    out/quarantine/calls-<source>.jsonl                    rejected rows with reasons

``<source>`` is the source file's stem, so files from several sources sit side by side and
ingesting the same source again replaces its own parts (and nothing else). Output is written
under ``out/.staging`` and moved into place only when the whole source was read: a failed
ingest leaves the previous output as it was.

Reading, validating and writing all stream chunk by chunk; memory holds a few chunks (and,
for Parquet, the row group being decoded) plus the keys seen so far (24 bytes per row, see
:class:`~callwarden.records.keys.SeenKeys`), so sources larger than memory work.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from callwarden.config import Settings
from callwarden.errors import ConfigError, InputFileError, InternalError
from callwarden.records.mapping import Mapping
from callwarden.records.quarantine import QuarantineWriter
from callwarden.records.readers import open_source
from callwarden.records.schema import RECORDS, RecordSpec
from callwarden.records.trunks import TrunkTable
from callwarden.records.validate import ChunkValidator, canonical_polars_schema

__all__ = ["IngestReport", "canonical_files", "ingest", "read_canonical"]

Progress = Callable[[int, int], None]
_MAX_OPEN_WRITERS = 32  # a year of daily partitions in one file needs no more than this open
_QUEUED_CHUNKS = 2
_DAY = "__day__"


@dataclass
class IngestReport:
    """What one ingest did: counts that add up, reasons, and where everything went."""

    source: str
    record: str
    mapping: str
    read: int = 0
    accepted: int = 0
    quarantined: int = 0
    #: quarantined rows by reason code
    reasons: dict[str, int] = field(default_factory=dict)
    #: accepted rows kept with a suspect number (a non-null ``*_flag`` column), counted within
    #: accepted; and by flag column and reason code (a row may count under two columns)
    flagged: int = 0
    flags: dict[str, dict[str, int]] = field(default_factory=dict)
    #: folder of the canonical dataset, and the Parquet files this ingest wrote into it
    output: str = ""
    files: list[str] = field(default_factory=list)
    #: the quarantine file, or None when every row was accepted
    quarantine_path: str | None = None
    report_path: str = ""
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the content of ``reports/<record>-<source>.json``).

        >>> IngestReport("calls.csv", "calls", "calls", read=3, accepted=2, quarantined=1,
        ...              reasons={"bad_number": 1}).to_dict()["reasons"]
        {'bad_number': 1}
        """
        return asdict(self)

    def check(self) -> None:
        """Raise :class:`InternalError` unless read = accepted + quarantined (by reason too),
        and flagged rows are among the accepted."""
        if (
            self.read != self.accepted + self.quarantined
            or self.quarantined != sum(self.reasons.values())
            or not 0 <= self.flagged <= self.accepted
        ):
            raise InternalError(
                f"{self.source}: counts do not add up: read {self.read}, accepted "
                f"{self.accepted} ({self.flagged} flagged), quarantined {self.quarantined}, "
                f"by reason {self.reasons}"
            )


def ingest(
    source: Path,
    mapping: Mapping,
    out: Path,
    *,
    settings: Settings | None = None,
    chunk_rows: int = 250_000,
    progress: Progress | None = None,
    fmt: str | None = None,
    trunks: TrunkTable | None = None,
) -> IngestReport:
    """Read ``source`` through ``mapping`` into ``out``; return the counts (see the module doc).

    ``fmt`` (``csv``, ``parquet``, ``jsonl``) overrides the mapping's format and the file name.
    ``trunks`` (calls only) flags callers their ingress trunk could not honestly present
    (:mod:`callwarden.records.trunks`).
    ``progress`` is called after each chunk with the rows read so far and an estimate of the
    total (0 when unknown).

    >>> from callwarden.records.mapping import load_mapping
    >>> report = ingest(Path("calls.csv"), load_mapping("calls"), Path("data"))  # doctest: +SKIP
    >>> report.read == report.accepted + report.quarantined  # doctest: +SKIP
    True
    """
    started = time.perf_counter()
    settings = settings or Settings()
    if chunk_rows < 1:
        raise ConfigError(f"chunk_rows must be at least 1, not {chunk_rows}")
    spec = mapping.spec
    reader = open_source(
        source, fmt or mapping.format, delimiter=mapping.delimiter, encoding=mapping.encoding
    )
    reader.check_columns(mapping.required_source_columns(), f"mapping {mapping.name or '?'}")
    tag = _tag(source)
    dataset = out / spec.name
    if _overlaps(source, dataset):
        raise ConfigError(
            f"{source}: the output {dataset} would overwrite the source; choose another --out"
        )
    report = IngestReport(
        source=str(source),
        record=spec.name,
        mapping=mapping.name or mapping.origin,
        output=str(dataset),
        # beside the dataset, not in it: a folder of Parquet stays readable by any tool
        report_path=str(out / "reports" / f"{spec.name}-{tag}.json"),
    )
    report.warnings += _absent_columns(mapping, reader.columns, trunks is not None)
    staging = out / ".staging" / f"{spec.name}-{tag}-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    estimate = reader.estimated_rows()
    reasons: Counter[str] = Counter()
    flags = _FlagCounter([f for f in spec.flags.values() if f])
    validator = ChunkValidator(mapping, settings, trunks)
    writer = _DatasetWriter(staging / "data", spec, tag, settings.timezone)
    quarantine = QuarantineWriter(staging / "quarantine.jsonl")
    try:
        with quarantine:
            for chunk in reader.chunks(chunk_rows, mapping.source_columns()):
                result = validator.validate(chunk)
                writer.write(result.accepted)
                for rejects in (chunk.rejects, result.rejects):
                    quarantine.write(chunk.file, rejects)
                    reasons.update(rejects["reason"].to_list())
                report.read += chunk.read
                report.accepted += result.accepted.height
                flags.add(result.accepted)
                if progress is not None:
                    progress(report.read, max(estimate, report.read) if estimate else 0)
        staged = writer.close()
        report.quarantined = quarantine.count
        report.reasons = dict(sorted(reasons.items()))
        report.flagged, report.flags = flags.flagged, flags.by_column()
        report.warnings += _unknown_trunks(validator.unknown_trunks)
        report.check()
        report.files = [str(p) for p in _commit(staging, dataset, staged, tag)]
        report.quarantine_path = _commit_quarantine(
            quarantine, out / "quarantine" / f"{spec.name}-{tag}.jsonl"
        )
        report.seconds = round(time.perf_counter() - started, 3)
        _write_json(Path(report.report_path), report.to_dict())
    finally:
        writer.abort()
        shutil.rmtree(staging, ignore_errors=True)
        _remove_if_empty(out / ".staging")
    return report


def canonical_files(path: Path, record: str) -> list[Path]:
    """The Parquet files of ``record`` at ``path``: a file, a dataset folder, or the ``out``
    folder holding one (hidden and ``_``-prefixed entries, such as staging, are skipped)."""
    if path.is_dir() and (path / record).is_dir():
        path = path / record
    if path.is_file():
        return [path]
    if path.is_dir():
        return _parquet_files(path)
    raise InputFileError(path, "no such file or folder")


def read_canonical(path: Path, record: str) -> pl.LazyFrame:
    """Scan canonical Parquet (a file, a dataset folder or the ``out`` folder holding one).

    Exactly the record's canonical columns come back, in order, with canonical dtypes; the
    ``day=`` partition folders are not turned into a column.

    >>> read_canonical(Path("data"), "calls").collect_schema().names()[:3]  # doctest: +SKIP
    ['call_id', 'caller', 'callee']
    """
    if record not in RECORDS:
        raise ConfigError(f"unknown record {record!r} (one of {', '.join(RECORDS)})")
    schema = canonical_polars_schema(RECORDS[record].schema)
    files = canonical_files(path, record)
    if not files:
        return pl.LazyFrame(schema=schema)
    return pl.scan_parquet(
        files,
        schema=schema,
        hive_partitioning=False,
        missing_columns="insert",
        extra_columns="ignore",
    )


class _FlagCounter:
    """Counts accepted rows with a suspect number, in all and by flag column and code."""

    def __init__(self, columns: list[str]) -> None:
        self.columns = columns
        self.flagged = 0
        self._codes: dict[str, Counter[str]] = {c: Counter() for c in columns}

    def add(self, accepted: pl.DataFrame) -> None:
        if not self.columns or accepted.height == 0:
            return
        any_flag = pl.any_horizontal(pl.col(c).is_not_null() for c in self.columns)
        self.flagged += accepted.select(any_flag.sum()).item()
        for column in self.columns:
            counts = accepted[column].drop_nulls().value_counts()
            self._codes[column].update(dict(counts.iter_rows()))

    def by_column(self) -> dict[str, dict[str, int]]:
        return {c: dict(sorted(n.items())) for c, n in self._codes.items() if n}


def _overlaps(source: Path, dataset: Path) -> bool:
    a, b = source.resolve(), dataset.resolve()
    return a == b or a in b.parents or b in a.parents


def _absent_columns(mapping: Mapping, found: list[str], with_trunks: bool) -> list[str]:
    """A warning naming the optional columns the source lacks, if any."""
    spec = mapping.spec
    # A flag column is filled by ingest whether the source has one or not.
    derived = {c for f in spec.flags.values() if f for c in mapping.columns.get(f, ())}
    absent = [c for c in mapping.source_columns() if c not in found and c not in derived]
    if with_trunks and "trunk" not in mapping.columns and "trunk" not in mapping.defaults:
        return [
            "a trunk table was given but the mapping has no trunk column: no trunk flags",
            *_absent_columns(mapping, found, with_trunks=False),
        ]
    if not absent:
        return []
    keys = " (keys are derived)" if spec.key and spec.key in _fed_by(mapping, absent) else ""
    return [f"optional column(s) {', '.join(absent)} not in the source: left empty{keys}"]


def _unknown_trunks(unknown: Counter[str]) -> list[str]:
    if not unknown:
        return []
    named = ", ".join(f"{t} ({n})" for t, n in unknown.most_common(5))
    more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
    return [
        f"{unknown.total()} calls came in on trunks the trunk table does not list, so their "
        f"trunks were not checked: {named}{more}"
    ]


def _fed_by(mapping: Mapping, sources: list[str]) -> set[str]:
    return {canon for canon, srcs in mapping.columns.items() if set(srcs) & set(sources)}


def _tag(source: Path) -> str:
    """The source's name as it appears in output file names: its stem, filename-safe."""
    name = source.name
    for suffix in (".gz", ".csv", ".tsv", ".txt", ".parquet", ".pq", ".jsonl", ".ndjson", ".json"):
        name = name.removesuffix(suffix)
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", name).strip("._") or "source"


def _parquet_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*.parquet")
        if not any(part.startswith((".", "_")) for part in p.relative_to(folder).parts)
    )


class _DatasetWriter:
    """Streams canonical rows into Parquet files, one open writer per day partition.

    Writing runs on one background thread, so compressing chunk n overlaps validating chunk
    n+1 (pyarrow and polars release the GIL); at most two chunks wait, which bounds memory.
    """

    def __init__(self, root: Path, spec: RecordSpec, tag: str, timezone: str) -> None:
        self.root = root
        self.spec = spec
        self.tag = tag
        self.timezone = timezone
        self._open: OrderedDict[str, pq.ParquetWriter] = OrderedDict()
        self._parts: Counter[str] = Counter()
        self.files: list[Path] = []
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="callwarden-write")
        self._pending: deque[Future[None]] = deque()

    def write(self, frame: pl.DataFrame) -> None:
        """Queue one chunk of canonical rows; raises what an earlier queued write raised."""
        if frame.height == 0:
            return
        while len(self._pending) >= _QUEUED_CHUNKS:
            self._pending.popleft().result()
        self._pending.append(self._pool.submit(self._write_chunk, frame))

    def _write_chunk(self, frame: pl.DataFrame) -> None:
        if self.spec.time is None:
            self._write("", frame)
            return
        # The day a person would say the call happened on: the date in the operator's zone.
        day = pl.col(self.spec.time).dt.convert_time_zone(self.timezone).dt.date()
        parts = frame.with_columns(day.alias(_DAY)).partition_by(
            _DAY, as_dict=True, maintain_order=True
        )
        for (value,), part in parts.items():
            self._write(f"day={value}", part.drop(_DAY))

    def _write(self, partition: str, frame: pl.DataFrame) -> None:
        writer = self._open.get(partition)
        if writer is None:
            folder = self.root / partition if partition else self.root
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"part-{self.tag}-{self._parts[partition]:05d}.parquet"
            self._parts[partition] += 1
            writer = pq.ParquetWriter(
                path, self.spec.schema, compression="zstd", compression_level=1
            )
            self._open[partition] = writer
            self.files.append(path)
            if len(self._open) > _MAX_OPEN_WRITERS:
                _, oldest = self._open.popitem(last=False)
                oldest.close()
        self._open.move_to_end(partition)
        table = frame.select(self.spec.columns).to_arrow().cast(self.spec.schema)
        writer.write_table(table)

    def close(self) -> list[Path]:
        """Finish every queued write and close the files; return the files written."""
        try:
            while self._pending:
                self._pending.popleft().result()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
            while self._open:
                _, writer = self._open.popitem()
                writer.close()
        return list(self.files)

    def abort(self) -> None:
        """Stop without raising (ingest is failing already, or has finished)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pending.clear()
        while self._open:
            _, writer = self._open.popitem()
            with contextlib.suppress(Exception):
                writer.close()


def _commit(staging: Path, dataset: Path, staged: list[Path], tag: str) -> list[Path]:
    """Replace this source's earlier parts with the new ones; leave other sources' alone."""
    dataset.mkdir(parents=True, exist_ok=True)
    for old in dataset.rglob(f"part-{tag}-*.parquet"):
        old.unlink()
    final = []
    for path in staged:
        target = dataset / path.relative_to(staging / "data")
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        final.append(target)
    for folder in sorted(dataset.glob("*/"), reverse=True):
        _remove_if_empty(folder)
    return final


def _commit_quarantine(quarantine: QuarantineWriter, target: Path) -> str | None:
    if quarantine.count == 0:
        target.unlink(missing_ok=True)  # a stale file from an earlier ingest would mislead
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(quarantine.path, target)
    return str(target)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _remove_if_empty(folder: Path) -> None:
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
