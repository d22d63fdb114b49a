"""Simulator benchmark: wall time, rows/s and peak memory, against a per-record baseline.

    .venv/bin/python benchmarks/bench_simulate.py [--subscribers 1000000] [--baseline 50000]

Each measurement runs in a fresh process and reports its own peak RSS. The baseline is a
straightforward per-record Python generator of the same everyday social calls (the bulk of the
rows), run on a smaller city; rows/s are compared, since the baseline would take far too long
on the full city.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VECTORISED = """
import sys, time
from pathlib import Path
from callwarden.simulate import SimulationConfig, simulate_city
t = time.perf_counter()
r = simulate_city(SimulationConfig(subscribers=int(sys.argv[1]), days=1, seed=1), Path(sys.argv[2]))
import resource
print(time.perf_counter() - t, r.calls + r.sms, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

BASELINE = """
import random, sys, time
from datetime import datetime, timedelta, timezone
import pyarrow as pa, pyarrow.parquet as pq
n = int(sys.argv[1])
t = time.perf_counter()
rng = random.Random(1)
numbers = [f"+86138{i:08d}" for i in range(n)]
midnight = datetime(2026, 7, 7, 16, tzinfo=timezone.utc)
hours = [0.3, 0.15, 0.1, 0.08, 0.08, 0.25, 1.0, 2.5, 4.0, 5.0, 5.5, 5.0,
         4.5, 4.0, 4.5, 5.0, 5.0, 5.0, 5.5, 6.0, 5.5, 4.5, 3.0, 1.5]
rows = []
for i in range(n):
    k = int(rng.gammavariate(1.4, 8.0 / 1.4) + 0.5)
    for _ in range(k):
        circle = i // 64 * 64
        d = min(int(rng.expovariate(0.3)) + 1, 32)
        j = circle + (i - circle + rng.choice((-1, 1)) * d) % 64
        hour = rng.choices(range(24), hours)[0]
        answered = rng.random() < 0.82
        rows.append({
            "call_id": f"20260708-{len(rows):09d}",
            "caller": numbers[i], "callee": numbers[min(j, n - 1)],
            "start_time": midnight + timedelta(seconds=hour * 3600 + rng.random() * 3600),
            "duration_s": int(rng.lognormvariate(4.25, 1.0)) if answered else 0,
            "ring_s": rng.randint(2, 15) if answered else rng.randint(20, 45),
            "caller_cell": f"C{i // 300:05d}", "caller_imei": str(35332011000000 + i),
        })
rows.sort(key=lambda r: r["start_time"])
pq.write_table(pa.Table.from_pylist(rows), sys.argv[2] + "/calls.parquet")
import resource
print(time.perf_counter() - t, len(rows), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _run(script: str, *args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=True
    ).stdout.split()
    seconds, rows, peak_kib = float(out[0]), int(out[1]), int(out[2])
    return {
        "seconds": round(seconds, 2),
        "rows": rows,
        "rows_per_s": round(rows / seconds),
        "peak_rss_mib": round(peak_kib / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--baseline", type=int, default=50_000)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/simulate.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        baseline = _run(BASELINE, str(args.baseline), tmp)
    with tempfile.TemporaryDirectory() as tmp:
        small = _run(VECTORISED, str(args.baseline), tmp)
    with tempfile.TemporaryDirectory() as tmp:
        full = _run(VECTORISED, str(args.subscribers), tmp)
    result = {
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "when": time.strftime("%Y-%m-%d"),
        "baseline_per_record_python": {"subscribers": args.baseline, **baseline},
        "callwarden_same_city": {"subscribers": args.baseline, **small},
        "callwarden_full_city": {"subscribers": args.subscribers, **full},
        "speed_ratio_rows_per_s": round(full["rows_per_s"] / baseline["rows_per_s"], 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
