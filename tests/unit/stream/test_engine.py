"""The stream engine reads the subscribers it is given as a path itself, keeps what it needs of
them and lets the table go; given a table (cases opened from the stream read it too), it keeps
no reference to it either."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import polars as pl
import pytest

from callwarden.records.batch import record_batch
from callwarden.stream import engine as engine_module
from callwarden.stream.engine import StreamEngine


def test_subscribers_from_a_path_are_read_then_let_go_and_score_as_the_table(
    tmp_path: Path,
    seed000_records: tuple[pl.DataFrame, pl.DataFrame],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls, subs = seed000_records
    subs.write_parquet(tmp_path / "subs.parquet")
    read: list[weakref.ref[pl.DataFrame]] = []

    def load_records(path: Path, record: str) -> pl.DataFrame:
        table = pl.read_parquet(path)
        read.append(weakref.ref(table))
        return table

    monkeypatch.setattr(engine_module, "load_records", load_records)
    from_path = StreamEngine(tmp_path / "subs.parquet")
    gc.collect()
    assert len(read) == 1 and read[0]() is None  # (read once, held by nothing)
    assert from_path.subscribers is None

    from_table = StreamEngine(subs)
    assert from_table.subscribers is None
    batch = record_batch(calls)
    got = from_path.push_frame(batch) + from_path.flush()
    assert got and got == from_table.push_frame(batch) + from_table.flush()
    assert len(read) == 1  # (a table given is not read again)
