"""Streaming on Spark: each micro-batch's time and the job's state, micro-batch after micro-batch.

    .venv/bin/python benchmarks/bench_spark_stream.py --subscribers 1000 --parts 12 [--seed 4]

Simulates a day, lands its calls and SMS as ``--parts`` files each (parts of equal time, in
order), trains a small model on the day (as the conformance test does), and runs the
streaming job (``start_stream``, the SMS folder and the model given) on ``local[2]`` with one
file of each folder per micro-batch, so that every growing table of the state is written:
the candidates, the texts and the highest model inputs. Reports each micro-batch's duration
(Spark's own progress: ``triggerExecution``) and, at the end, the files and bytes under
``_state`` apart from Spark's checkpoint and the look-back (``history``, ``sms_history``), and
under the whole of it, and whether the alerts equal batch scoring's with the model. Run it
with ``PYTHONPATH`` on another tree's ``src`` to measure that tree (the script only calls
``start_stream``).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import polars as pl

from callwarden.decide.policy import PolicyConfig
from callwarden.detect.model import ModelParams, train_model
from callwarden.detect.model.events import event_scorer, number_table_of_slices
from callwarden.detect.scoring import score_records
from callwarden.features.engines.base import Traffic, load_engine
from callwarden.features.engines.spark.session import read_records, spark_session
from callwarden.features.engines.spark.stream import start_stream
from callwarden.simulate import SimulationConfig, simulate_city

_LOOK_BACK = ("checkpoint", "history", "sms_history")


def _size(where: Path) -> tuple[int, int]:
    files = [p for p in where.rglob("*") if p.is_file() and not p.name.endswith(".crc")]
    return len(files), sum(p.stat().st_size for p in files)


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--subscribers", type=int, default=1000)
    args.add_argument("--parts", type=int, default=12)
    args.add_argument("--seed", type=int, default=4)
    opts = args.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-spark-stream-"))
    city = work / "city"
    simulate_city(SimulationConfig(subscribers=opts.subscribers, seed=opts.seed, days=1), city)
    calls = pl.read_parquet(city / "calls", hive_partitioning=False).sort("start_time", "call_id")
    sms = pl.read_parquet(city / "sms", hive_partitioning=False).sort("sent_time", "sms_id")
    subs = pl.read_parquet(city / "subscribers")
    _, slices = load_engine("compiled")().features(Traffic(calls, None, subs))
    table = number_table_of_slices(slices, pl.read_parquet(city / "labels"))
    params = ModelParams(n_estimators=40, num_leaves=7, min_child_samples=10, threshold_folds=2)
    train_model(table, params=params, cv_folds=2, seed=0).save(work / "model")
    t0, span = calls["start_time"].min(), 24 * 3600 / opts.parts
    incoming, texts, out = work / "incoming", work / "texts", work / "alerts"
    for frame, folder, at in ((calls, incoming, "start_time"), (sms, texts, "sent_time")):
        folder.mkdir()
        part = ((pl.col(at) - t0).dt.total_seconds() // span).cast(pl.Int32)
        for k in range(opts.parts):  # (one file a part in each folder, empty or not)
            path = folder / f"part-{k:03d}.parquet"
            frame.filter(part == k).write_parquet(path)
            os.utime(path, (1_700_000_000 + k,) * 2)  # (the file source goes by age)
    spark = spark_session("local[2]", conf={
        "spark.sql.shuffle.partitions": "2", "spark.default.parallelism": "2",
        "spark.ui.enabled": "false",
    })  # fmt: skip
    began = time.perf_counter()
    query = start_stream(
        spark, str(incoming), str(out), subscribers=read_records(spark, str(city), "subscribers"),
        policy=PolicyConfig(), trigger_seconds=0, files_per_batch=1, sms_source=str(texts),
        model=event_scorer(work / "model"),
    )  # fmt: skip
    query.awaitTermination()
    wall = time.perf_counter() - began
    seconds = [p["durationMs"]["triggerExecution"] / 1000 for p in query.recentProgress]
    state = out / "_state"
    growing = [_size(t) for t in state.iterdir() if t.name not in _LOOK_BACK]
    files, size = _size(state)
    alerts = pl.read_parquet(sorted(out.glob("alerts-*.parquet")))
    want = score_records(Traffic(calls, sms, subs), model=event_scorer(work / "model")).alerts
    print(json.dumps({
        "micro_batches": len(seconds), "seconds": [round(s, 1) for s in seconds],
        "wall_s": round(wall, 1), "growing_files": sum(f for f, _ in growing),
        "growing_bytes": sum(b for _, b in growing), "state_files": files, "state_bytes": size,
        "alerts": alerts.height, "equal_to_batch": alerts.equals(want), "load": os.getloadavg(),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
