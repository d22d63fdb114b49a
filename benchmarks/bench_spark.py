"""Spark benchmark: local mode against the embedded engine on the same simulated day.

    .venv/bin/python benchmarks/bench_spark.py --subscribers 200000 [--city DIR] [--cores 2]

Each run is a fresh process reporting its own wall time, from canonical Parquet to the alerts
file:

- **embedded**: ``score_records`` as ``callwarden score`` runs it (triage on);
- **embedded, no triage**: every number's features, the same work Spark does;
- **spark**: ``score_records_spark`` on ``local[N]`` (N = ``--cores``), the session started
  before the clock starts (a cluster job's executors are up before its first stage too).

For Spark it also reads, from Spark's own stage metrics, the shuffle bytes written and the
task time, and reports the shuffle volume per million records and the records per second per
core, the figures docs/scale-out.md projects a cluster from. The alerts of every run are
checked to be equal.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from callwarden.simulate import SimulationConfig, simulate_city

EMBEDDED = """
import json, sys, time
from pathlib import Path
from callwarden.records.load import load_records
from callwarden.detect.scoring import score_records
from callwarden.detect.alerts_io import write_alerts
from callwarden.features.engines.base import Traffic
root, out = Path(sys.argv[1]), Path(sys.argv[2])
t0 = time.perf_counter()
calls = load_records(root, "calls")
sms = load_records(root, "sms", allow_empty=True)
subs = load_records(root, "subscribers")
result = score_records(Traffic(calls, sms, subs), triage=TRIAGE)
write_alerts(result.alerts, out / "alerts.parquet")
print(json.dumps({"seconds": time.perf_counter() - t0, "records": calls.height + sms.height,
                  "alerts": result.alerts.height}))
"""

SPARK = """
import json, sys, time
from pathlib import Path
from callwarden.features.engines.spark.session import read_records, spark_session
from callwarden.features.engines.spark.scoring import score_records_spark, write_alerts_to
root, out, cores = sys.argv[1], sys.argv[2], int(sys.argv[3])
t0 = time.perf_counter()
spark = spark_session(f"local[{cores}]", conf={
    "spark.driver.memory": "6g",
    "spark.sql.shuffle.partitions": str(4 * cores),
    "spark.ui.enabled": "true",
})
started = time.perf_counter() - t0
t0 = time.perf_counter()
calls = read_records(spark, root, "calls")
sms = read_records(spark, root, "sms")
result = score_records_spark(spark, calls, sms, read_records(spark, root, "subscribers"))
write_alerts_to(spark, result.alerts, str(Path(out) / "alerts.parquet"))
seconds = time.perf_counter() - t0
# Spark's own metrics, from its monitoring API (the same figures its web UI shows)
import urllib.request
sc = spark.sparkContext
with urllib.request.urlopen(f"{sc.uiWebUrl}/api/v1/applications/{sc.applicationId}/stages") as r:
    stages = json.load(r)
shuffle_write = sum(s["shuffleWriteBytes"] for s in stages)
shuffle_read = sum(s["shuffleRemoteBytesRead"] + s["shuffleLocalBytesRead"] for s in stages)
task_ms = sum(s["executorRunTime"] for s in stages)
records = calls.count() + sms.count()
print(json.dumps({"seconds": seconds, "session_start_s": started, "records": records,
                  "alerts": result.alerts.height, "shuffle_write_bytes": shuffle_write,
                  "shuffle_read_bytes": shuffle_read, "task_seconds": task_ms / 1000,
                  "stages": len(stages)}))
"""


def _run(script: str, *args: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-3:] if done.stderr else ["failed"]
        return {"error": " | ".join(tail)}  # type: ignore[dict-item]
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    result["records_per_s"] = round(result["records"] / result["seconds"])
    return result


def _same_alerts(a: Path, b: Path) -> bool:
    import polars as pl  # noqa: PLC0415

    x, y = pl.read_parquet(a), pl.read_parquet(b)
    keys = ["msisdn", "decision", "flagged_at"]
    close = bool(((x["score"] - y["score"]).abs() <= 1e-9).all()) if x.height == y.height else False
    return close and x.select(keys).equals(y.select(keys))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--city", type=Path, help="reuse a simulated city (default: simulate)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/spark.json"))
    args = parser.parse_args()
    city = args.city or Path(tempfile.mkdtemp()) / "city"
    if not (city / "calls").exists():
        simulate_city(SimulationConfig(subscribers=args.subscribers, seed=args.seed), city)
    runs: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        outs = {name: Path(tmp) / name for name in ("embedded", "embedded_no_triage", "spark")}
        for out in outs.values():
            out.mkdir()
        runs["embedded"] = _run(
            EMBEDDED.replace("TRIAGE", "True"), str(city), str(outs["embedded"])
        )
        runs["embedded_no_triage"] = _run(
            EMBEDDED.replace("TRIAGE", "False"), str(city), str(outs["embedded_no_triage"])
        )
        runs["spark"] = _run(SPARK, str(city), str(outs["spark"]), str(args.cores))
        equal = all(
            _same_alerts(outs["embedded"] / "alerts.parquet", out / "alerts.parquet")
            for name, out in outs.items()
            if name != "embedded" and "error" not in runs[name]
        )
    spark = runs["spark"]
    derived: dict[str, float] = {}
    if "error" not in spark:
        per_million = 1e6 / spark["records"]
        derived = {
            "spark_over_embedded_seconds": round(spark["seconds"] / runs["embedded"]["seconds"], 2),
            "spark_over_embedded_no_triage_seconds": round(
                spark["seconds"] / runs["embedded_no_triage"]["seconds"], 2
            ),
            "spark_records_per_s_per_core": round(spark["records"] / spark["seconds"] / args.cores),
            "spark_records_per_task_second": round(spark["records"] / spark["task_seconds"]),
            "shuffle_write_mib_per_million_records": round(
                spark["shuffle_write_bytes"] * per_million / 2**20, 1
            ),
        }
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "when": time.strftime("%Y-%m-%d"),
        "subscribers": args.subscribers,
        "spark_cores": args.cores,
        "alerts_equal": equal,
        "runs": runs,
        "derived": derived,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
