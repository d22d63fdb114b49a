"""Detection quality on simulated cities whose seeds were never used in development.

    .venv/bin/python benchmarks/eval_detection.py --subscribers 200000 --seeds 1001,1002,1003

Development and tuning used seeds 1-8; seeds from 1000 up are kept for this evaluation. For each
seed: simulate a day, score it (``score_records``, default policy), evaluate against the ground
truth. Prints and writes per-type recall and time-to-flag, overall precision, PR-AUC and the
false-positive rates among honest heavy callers and ordinary subscribers.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import polars as pl

from callwarden.detect.evaluate import evaluate_alerts
from callwarden.detect.scoring import score_records
from callwarden.features.engines.base import Traffic
from callwarden.records.load import load_records
from callwarden.simulate import SimulationConfig, simulate_city


def evaluate_seed(subscribers: int, seed: int, days: int, workdir: Path) -> dict[str, object]:
    city = workdir / f"city-{seed}"
    simulate_city(SimulationConfig(subscribers=subscribers, seed=seed, days=days), city)
    calls = load_records(city, "calls")
    sms = load_records(city, "sms", allow_empty=True)
    subs = load_records(city, "subscribers")
    started = time.perf_counter()
    result = score_records(Traffic(calls, sms, subs))
    seconds = time.perf_counter() - started
    ev = evaluate_alerts(result.alerts, load_records(city, "labels"), calls, sms)
    return {
        "seed": seed,
        "calls": calls.height,
        "score_seconds": round(seconds, 2),
        **ev.headline(),
        "per_type": ev.per_type.to_dicts(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=200_000)
    parser.add_argument("--seeds", default="1001,1002,1003")
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/detection.json"))
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in (int(s) for s in args.seeds.split(",")):
            runs.append(evaluate_seed(args.subscribers, seed, args.days, Path(tmp)))
            row = {k: v for k, v in runs[-1].items() if k != "per_type"}
            print(json.dumps(row))
    per_type = pl.concat([pl.DataFrame(r["per_type"]) for r in runs])
    summary = (
        per_type.group_by("label")
        .agg(
            numbers=pl.col("numbers").sum(),
            flagged=pl.col("flagged").sum(),
            median_records_to_flag=pl.col("median_records_to_flag").median(),
            median_minutes_to_flag=pl.col("median_minutes_to_flag").median(),
        )
        .with_columns(recall=(pl.col("flagged") / pl.col("numbers")).round(4))
        .sort("label")
    )
    print(summary)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "subscribers": args.subscribers,
                "days": args.days,
                "runs": runs,
                "by_type": summary.to_dicts(),
            },
            indent=2,
            default=str,
        )
    )


if __name__ == "__main__":
    main()
