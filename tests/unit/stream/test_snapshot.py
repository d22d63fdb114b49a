"""Checkpoints written in the background: complete, in time, and a restored engine goes on
alike; the file is replaced whole (the one before becomes the spare written over next time).

A checkpoint of an engine whose reorder buffer has many chunks, after polars has worked on
threads (serialising such a frame in a forked child once waited forever for a thread pool the
child does not have), with a bound on the wait.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import re
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from callwarden.errors import CallwardenError
from callwarden.records.batch import record_batch
from callwarden.simulate import SimulationConfig, simulate_city
from callwarden.stream import snapshot
from callwarden.stream.engine import StreamEngine
from callwarden.stream.snapshot import SMALL, Checkpointer, read_state


def test_a_checkpoint_of_a_busy_engine_is_written_and_restores_the_same_alerts(
    tmp_path: Path,
) -> None:
    simulate_city(SimulationConfig(subscribers=2000, days=1, seed=5), tmp_path / "city")
    calls = pl.read_parquet(tmp_path / "city" / "calls", hive_partitioning=False)
    subs = pl.read_parquet(tmp_path / "city" / "subscribers")
    batch = record_batch(calls)
    cut = batch.height // 2
    engine = StreamEngine(subs, lateness_ms=600_000)  # ten minutes: a buffer of many batches
    alerts = []
    for start in range(0, cut, 50):
        alerts += engine.push_frame(batch.slice(start, min(50, cut - start)))
    assert engine.buffer.n_chunks() > 1

    writer = Checkpointer(tmp_path / "ckpt")

    async def checkpoint() -> None:
        while not writer.start(engine):  # (a state too big to stage at once: room first)
            await asyncio.wait_for(writer.wait(), timeout=120)
        await asyncio.wait_for(writer.wait(), timeout=120)

    asyncio.run(checkpoint())
    first = read_state(tmp_path / "ckpt")
    asyncio.run(checkpoint())  # the second one goes over the spare, then replaces the first
    assert (tmp_path / "ckpt.spare").exists() and not (tmp_path / "ckpt.old").exists()
    restored = read_state(tmp_path / "ckpt")
    assert isinstance(first, StreamEngine) and first.stats == restored.stats
    assert isinstance(restored, StreamEngine)
    rest = batch.slice(cut)
    expected = engine.push_frame(rest) + engine.flush()
    got = restored.push_frame(rest) + restored.flush()
    assert got == expected
    assert restored.stats == engine.stats


def test_a_state_bigger_than_the_staging_area_waits_for_room_and_is_written_whole(
    tmp_path: Path,
) -> None:
    writer = Checkpointer(tmp_path / "big")
    state = {"sums": np.arange(SMALL // 4, dtype=np.float64), "seq": 41}
    assert writer.start(state) is False  # no room yet: a thread maps it, nothing is written
    asyncio.run(writer.wait())
    assert not (tmp_path / "big").exists() and writer.capacity >= state["sums"].nbytes
    assert writer.start(state) is True
    state["sums"][:] = -1.0  # the state moves on while the checkpoint is written
    state["seq"] = 42
    asyncio.run(writer.wait())
    back = read_state(tmp_path / "big")
    assert back["seq"] == 41 and np.array_equal(back["sums"], np.arange(SMALL // 4, dtype=float))


def test_a_state_over_the_staging_limit_is_written_from_its_own_arrays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshot, "STAGE_LIMIT", 1024)
    writer = Checkpointer(tmp_path / "large")
    state = {"sums": np.arange(1000, dtype=np.float64), "seq": 7}
    assert writer.start(state) is True
    assert writer.unstaged and writer.capacity == 0  # nothing staged: the state must wait
    asyncio.run(writer.wait())
    state["sums"][:] = -1.0
    back = read_state(tmp_path / "large")
    assert back["seq"] == 7 and np.array_equal(back["sums"], np.arange(1000, dtype=float))


def test_a_checkpoint_written_before_the_engines_moved_still_restores(tmp_path: Path) -> None:
    """A state pickled when the live engine was ``features/incremental.py`` (and the live
    scorer ``detect/replay.py``) restores into today's classes and goes on alike."""
    simulate_city(SimulationConfig(subscribers=300, days=1, seed=9), tmp_path / "city")
    calls = pl.read_parquet(tmp_path / "city" / "calls", hive_partitioning=False)
    subs = pl.read_parquet(tmp_path / "city" / "subscribers")
    batch = record_batch(calls)
    cut = batch.height // 2
    engine = StreamEngine(subs, lateness_ms=0)
    engine.push_frame(batch.slice(0, cut))
    text = pickle.dumps(engine, protocol=0)  # (protocol 0 names classes as text lines)
    for new, old in (
        (b"callwarden.features.engines.compiled.live\nIncrementalFeatures",
         b"callwarden.features.incremental\nIncrementalFeatures"),
        (b"callwarden.features.engines.compiled.pools\nPool",
         b"callwarden.features.incremental\n_Pool"),
        (b"callwarden.features.engines.compiled.hashtable\n", b"callwarden.features.hashtable\n"),
        (b"callwarden.features.engines.compiled.textcodes\n", b"callwarden.features.textcodes\n"),
        (b"callwarden.detect.live\nLiveScorer", b"callwarden.detect.replay\nAlertStepper"),
    ):  # fmt: skip
        assert new in text
        text = text.replace(new, old)
    (tmp_path / "old.pickle").write_bytes(text)
    restored = read_state(tmp_path / "old.pickle")
    assert isinstance(restored, StreamEngine)
    rest = batch.slice(cut)
    assert restored.push_frame(rest) + restored.flush() == engine.push_frame(rest) + engine.flush()


def test_large_sets_and_dictionaries_of_texts_go_out_of_band_and_come_back_equal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshot, "MANY", 3)
    numbers = [f"+86138{k:08d}" for k in range(10)]
    shared = frozenset(numbers)
    state = {
        "served": shared, "again": shared, "seen": set(numbers[:5]),
        "index": {n: k for k, n in enumerate(reversed(numbers))},
        "mixed": {**{n: k for k, n in enumerate(numbers)}, 7: 1},  # (not all texts: as before)
        "floats": {n: 0.5 for n in numbers}, "few": {"a": 1}, "ints": set(range(10)),
        "nul": {"a\x00b", *numbers},  # (a NUL in a text: pickled as before)
        # a series of several chunks goes chunk by chunk (to_arrow copies it into one)
        "chunks": pl.concat([pl.Series("s", numbers[:4]), pl.Series("s", numbers[4:])],
                            rechunk=False),
    }  # fmt: skip
    data, _ = snapshot._pickled({k: state[k] for k in ("served", "seen", "index")})
    assert not any(n.encode() in data for n in numbers)  # (the texts are out of band)
    snapshot.write_state(state, tmp_path / "ckpt")
    back = read_state(tmp_path / "ckpt")
    chunks = back.pop("chunks")
    assert back == {k: v for k, v in state.items() if k != "chunks"}
    assert chunks.to_list() == numbers and chunks.name == "s" and chunks.n_chunks() == 2
    assert type(back["served"]) is frozenset and type(back["seen"]) is set
    assert list(back["index"]) == list(state["index"])  # (in the same order)
    assert back["served"] is back["again"]


class _RunsACommand:
    """What a tampered checkpoint holds: unpickled, it would run a shell command."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (f"touch {self.marker}",)


def test_a_checkpoint_naming_anything_else_is_refused_and_nothing_in_it_runs(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "ran"
    state = {"sums": np.arange(4.0), "evil": _RunsACommand(marker)}
    snapshot.write_state(state, tmp_path / "ckpt")
    (tmp_path / "plain.pickle").write_bytes(pickle.dumps(state["evil"]))
    for name in ("ckpt", "plain.pickle"):
        with pytest.raises(snapshot.UntrustedCheckpointError, match=r"system, which no") as err:
            read_state(tmp_path / name)
        assert str(tmp_path / name) in str(err.value) and f"{os.system.__module__}." in str(
            err.value
        )
        assert isinstance(err.value, CallwardenError)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        # a module never imported is not imported to look the name up
        (b"cthis\nd\n.", "this.d"),
        # getattr reaches a function's globals (and from them, any module): only the
        # attributes real checkpoints read are allowed
        (b"\x80\x02cbuiltins\ngetattr\nccallwarden.stream.snapshot\n_frame\nX\x0b\x00\x00\x00"
         b"__globals__\x86R.", "getattr("),
        # the state modules give their own classes only, not what they import
        (b"\x80\x02ccallwarden.stream.engine\nmath\n.", "callwarden.stream.engine.math"),
        (b"\x80\x02ccallwarden.stream.snapshot\nwrite_state\n.", "snapshot.write_state"),
        (b"\x80\x02ccallwarden.detect.live\nreplay_alerts\n.", "live.replay_alerts"),
    ],
)  # fmt: skip
def test_modules_functions_and_attributes_a_checkpoint_never_holds_are_refused(
    tmp_path: Path, raw: bytes, named: str
) -> None:
    (tmp_path / "ckpt").write_bytes(raw)
    with pytest.raises(snapshot.UntrustedCheckpointError, match=re.escape(named)):
        read_state(tmp_path / "ckpt")
    assert "this" not in sys.modules
