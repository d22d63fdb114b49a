"""``callwarden stream --from-file``: the embedded stream, from Parquet or from stdin."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from tests.unit.cli.runner import run

from callwarden.detect.scoring import score_records
from callwarden.features.engines.base import Traffic
from callwarden.stream.codec import encode


def test_from_file_and_from_stdin_give_the_batch_alerts(
    tmp_path: Path, seed000_records: tuple[pl.DataFrame, pl.DataFrame]
) -> None:
    calls, subs = seed000_records
    calls.write_parquet(tmp_path / "calls.parquet")
    subs.write_parquet(tmp_path / "subs.parquet")
    batch = score_records(Traffic(calls, None, subs)).alerts

    out = tmp_path / "alerts.parquet"
    done = run("stream", "--from-file", str(tmp_path / "calls.parquet"),
               "--subscribers", str(tmp_path / "subs.parquet"), "--out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert pl.read_parquet(out).equals(batch)

    lines = [encode("call", r).decode() for r in calls.iter_rows(named=True)]
    lines.insert(3, '{"kind": "call", "call_id": "x"}')  # a bad line is reported, not fatal
    out2 = tmp_path / "alerts2.parquet"
    done = run("stream", "--from-file", "-", "--subscribers", str(tmp_path / "subs.parquet"),
               "--out", str(out2), stdin="\n".join(lines))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "1 quarantined" in done.stdout and "-:4: caller: missing" in done.stderr
    assert pl.read_parquet(out2).equals(batch)


def test_from_file_needs_out_and_a_broker_error_is_one_line(tmp_path: Path) -> None:
    done = run("stream", "--from-file", "-")
    assert done.returncode == 2 and "--out" in done.stderr
    done = run("stream", "--server", "nats://127.0.0.1:1", "--idle-exit", "1",
               "--checkpoint", str(tmp_path))  # fmt: skip
    assert done.returncode == 2 and "cannot reach NATS" in done.stderr
    done = run("stream", "--partition", "4/4", "--checkpoint", str(tmp_path))
    assert done.returncode == 2 and "0..N-1" in done.stderr


def test_a_wrong_subscribers_file_is_said_before_the_broker_is_asked(tmp_path: Path) -> None:
    """The engine reads the subscribers when it is made, after the broker answered (or never,
    restored from a checkpoint); their file is checked at once all the same."""
    (tmp_path / "subs.parquet").write_text("not parquet")
    done = run("stream", "--server", "nats://127.0.0.1:1", "--idle-exit", "1",
               "--checkpoint", str(tmp_path / "ckpt"),
               "--subscribers", str(tmp_path / "subs.parquet"))  # fmt: skip
    assert done.returncode == 3 and "subs.parquet: not a Parquet file" in done.stderr
    assert "cannot reach NATS" not in done.stderr
