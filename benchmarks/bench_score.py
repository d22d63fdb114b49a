"""Scoring benchmark: Parquet in, alerts out, side by side with two baselines in one run.

    .venv/bin/python benchmarks/bench_score.py --subscribers 1000000 [--city DIR]

Measured, each in a fresh process that reports its own wall time and peak RSS:

- **callwarden score**: the whole command, process start to alerts written, as a user runs it
  (``python -m callwarden score CITY/calls --subscribers CITY --sms CITY/sms --out ...
  --no-report``): imports, reading, features, detectors, policy, the alerts file;
- **callwarden, phase by phase**: ``score_records`` with a progress callback that stamps each
  step as it starts (imports, reading, cross-number signals, triage, features, detectors and
  policy, writing the alerts), each step's wall seconds;
- **callwarden, no triage**: the same with every number's features computed;
- **callwarden, live engine replayed**: batch scoring as the live engine over every record in
  record order (``replay_alerts``), the same alerts by construction;
- **callwarden, with a model** (``--model DIR``): scoring with a learned scorer, every number's
  features a slice of numbers at a time;
- **floor**: what no scoring of these files can skip (reading them, the numbers' texts turned
  into integers, two grouping sorts of the calls), each step's wall seconds;
- **pandas**: a straightforward pandas implementation of the hourly features (calls, distinct
  callees, mean and spread of gaps, share unanswered or short, per caller over a 1 h rolling
  window at every outgoing call), no detectors;
- **DuckDB**: one hand-written SQL query of the same hourly features with window functions;
- **DuckDB, the whole spec** (``spec_duckdb.py``): every signal and windowed feature of
  ``features/spec.py`` as SQL window functions (equal to the compiled engine's on a test city),
  a candidate engine: no static features, detectors or policy, so a lower bound of its cost.

The baselines compute a subset of callwarden's work (five hourly features, no 15 min / 24 h
windows, no pair, device or cell signals, no detectors), so the ratios flatter them.

Before anything is timed, a 2,000-subscriber city is scored once in a child process
(``--no-warm`` leaves it out): the compiled kernels are compiled on a new install (or after
their code changed) and cached by numba from then on. Without it the first timed run would
also measure the compiler, once, and its memory beside the day's.
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

PRELUDE = """
import resource, sys, time
from pathlib import Path
root = Path(sys.argv[1])
t0 = time.perf_counter()
def lap(name, since):
    phases[name] = round(time.perf_counter() - since, 2)
    return time.perf_counter()
"""
EPILOGUE = """
peak = globals().get("EPILOGUE_RSS") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": time.perf_counter() - t0, "rows": rows,
                  "peak_rss_mib": peak / 1024,
                  **({"phases": phases} if "phases" in globals() else {})}))
"""

# the whole command in a child process: its wall time and peak RSS (the child's own)
COMMAND = """
import json, subprocess
import pyarrow.parquet as pq
rows = pq.ParquetDataset(str(root / "calls")).read(columns=["call_id"]).num_rows
t0 = time.perf_counter()
subprocess.run([sys.executable, "-m", "callwarden", "score", str(root / "calls"),
                "--subscribers", str(root), "--sms", str(root / "sms"),
                "--out", str(Path(sys.argv[2]) / "alerts.parquet"), "--no-report"],
               capture_output=True, text=True, check=True)
EPILOGUE_RSS = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
"""

CALLWARDEN = """
import json
from callwarden.records.load import load_records
from callwarden.detect.scoring import score_records
from callwarden.detect.alerts_io import write_alerts
from callwarden.features.engines.base import Traffic
calls = load_records(root, "calls")
sms = load_records(root, "sms", allow_empty=True)
subs = load_records(root, "subscribers")
result = score_records(Traffic(calls, sms, subs), HOW)
write_alerts(result.alerts, Path(sys.argv[2]) / "alerts.parquet")
rows = calls.height
"""

# batch as the live engine replayed over the file (every record, in record order, no triage):
# equal to the stream by construction, so were it fast enough one engine less to keep equal
LIVE = """
import json
from callwarden.detect.alerts_io import write_alerts
from callwarden.detect.live import replay_alerts
from callwarden.features.engines.base import Traffic
from callwarden.records.load import load_records
calls = load_records(root, "calls")
sms = load_records(root, "sms", allow_empty=True)
subs = load_records(root, "subscribers")
alerts = replay_alerts(Traffic(calls, sms, subs), batch_size=1_000_000)
write_alerts(alerts, Path(sys.argv[2]) / "alerts.parquet")
rows = calls.height
"""

# score_records, each step's wall seconds as its progress callback hears them start
PHASES = """
import json
phases = {}
t = time.perf_counter()
from callwarden.detect.alerts_io import write_alerts
from callwarden.detect.scoring import score_records
from callwarden.features.engines.base import Traffic
from callwarden.records.load import load_records
t = lap("imports", t)
calls = load_records(root, "calls")
sms = load_records(root, "sms", allow_empty=True)
subs = load_records(root, "subscribers")
rows = calls.height
t = lap("read", t)
marks = [("before_the_first_step", t)]
def heard(name, done, total):
    marks.append((name, time.perf_counter()))
result = score_records(Traffic(calls, sms, subs), progress=heard)
marks.append(("", time.perf_counter()))
for (name, at), (_, end) in zip(marks, marks[1:]):
    phases[name] = round(end - at, 2)
t = marks[-1][1]
write_alerts(result.alerts, Path(sys.argv[2]) / "alerts.parquet")
t = lap("write_alerts", t)
phases["events_evaluated"] = result.events
phases["alerts"] = result.alerts.height
"""

# What no scoring of these files can skip, each step's wall seconds: reading the records,
# turning the caller and callee texts into integers, and the two stable sorts that group the
# calls by callee and by device (here: by caller, the same size of sort)
FLOOR = """
import json
from callwarden.features.engines.compiled.textcodes import whole_numbers
from callwarden.features.engines.compiled.threads import run_both
from callwarden.features.engines.compiled.windows import stable_argsort
from callwarden.records.load import load_records
phases = {}
t = time.perf_counter()
calls = load_records(root, "calls")
sms = load_records(root, "sms", allow_empty=True)
rows = calls.height
t = lap("read", t)
caller, callee = run_both(lambda: whole_numbers(calls["caller"], "+")[0],
                          lambda: whole_numbers(calls["callee"], "+")[0])
t = lap("numbers_to_integers", t)
stable_argsort(callee)
stable_argsort(caller)
t = lap("two_grouping_sorts", t)
"""

PANDAS = """
import json
import numpy as np
import pandas as pd
calls = pd.read_parquet(root / "calls", columns=["caller", "callee", "start_time", "duration_s"])
calls = calls.sort_values(["caller", "start_time"], kind="stable").reset_index(drop=True)
calls["gap"] = calls.groupby("caller")["start_time"].diff().dt.total_seconds()
calls.loc[calls["gap"] >= 3600, "gap"] = np.nan
calls["short"] = (calls["duration_s"] < 10).astype(float)
calls["one"] = 1.0
calls["gap_sq"] = calls["gap"] ** 2
calls["has_gap"] = calls["gap"].notna().astype(float)
calls["gap"] = calls["gap"].fillna(0.0)
calls["gap_sq"] = calls["gap_sq"].fillna(0.0)
calls["prev_pair"] = calls.groupby(["caller", "callee"])["start_time"].shift()
calls["new_callee"] = (
    calls["prev_pair"].isna()
    | ((calls["start_time"] - calls["prev_pair"]).dt.total_seconds() >= 3600)
).astype(float)
rolled = (
    calls.set_index("start_time")
    .groupby("caller")[["one", "new_callee", "short", "gap", "gap_sq", "has_gap"]]
    .rolling("1h")
    .sum()
)
mean = rolled["gap"] / rolled["has_gap"].where(rolled["has_gap"] > 0)
var = rolled["gap_sq"] / rolled["has_gap"].where(rolled["has_gap"] > 0) - mean**2
features = pd.DataFrame({
    "out_calls_1h": rolled["one"],
    "uniq_callees_1h": rolled["new_callee"],
    "short_or_unanswered_share_1h": rolled["short"] / rolled["one"],
    "gap_mean_1h": mean.fillna(0.0),
    "gap_cv_1h": (np.sqrt(var.clip(lower=0)) / mean).fillna(0.0),
})
features.reset_index().to_parquet(Path(sys.argv[2]) / "pandas.parquet")
rows = len(calls)
"""

DUCKDB = """
import json
import duckdb
con = duckdb.connect()
con.execute("PRAGMA threads=2")
query = '''
COPY (
  WITH c AS (
    SELECT caller, callee, start_time, duration_s,
           date_diff('millisecond', lag(start_time) OVER (PARTITION BY caller ORDER BY start_time),
                     start_time) / 1000.0 AS gap_raw,
           lag(start_time) OVER (PARTITION BY caller, callee ORDER BY start_time) AS prev_pair
    FROM read_parquet('CALLS/**/*.parquet')
  ), s AS (
    SELECT *,
      CASE WHEN gap_raw < 3600 THEN gap_raw END AS gap,
      CASE WHEN prev_pair IS NULL OR start_time - prev_pair >= INTERVAL 1 HOUR THEN 1 ELSE 0 END
        AS new_callee,
      CASE WHEN duration_s < 10 THEN 1 ELSE 0 END AS short
    FROM c
  )
  SELECT caller, start_time,
    count(*) OVER w AS out_calls_1h,
    sum(new_callee) OVER w AS uniq_callees_1h,
    avg(short) OVER w AS short_or_unanswered_share_1h,
    coalesce(avg(gap) OVER w, 0) AS gap_mean_1h,
    coalesce(stddev_pop(gap) OVER w / nullif(avg(gap) OVER w, 0), 0) AS gap_cv_1h
  FROM s
  WINDOW w AS (PARTITION BY caller ORDER BY start_time
               RANGE BETWEEN INTERVAL 1 HOUR PRECEDING AND CURRENT ROW)
) TO 'OUT/duckdb.parquet' (FORMAT parquet)
'''
con.execute(query.replace("CALLS", str(root / "calls")).replace("OUT", sys.argv[2]))
rows = con.execute(
    f"SELECT count(*) FROM read_parquet('{root}/calls/**/*.parquet')"
).fetchone()[0]
"""


# the spec written once as SQL (benchmarks/spec_duckdb.py), capped at the memory goal
DUCKDB_SPEC = """
import json
sys.path.insert(0, BENCH)
from spec_duckdb import run
rows = run(root, Path(sys.argv[2]) / "spec.parquet", memory_limit="4GB")
""".replace("BENCH", repr(str(Path(__file__).resolve().parent)))


def _run(body: str, city: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as out:
        script = PRELUDE + body + EPILOGUE
        done = subprocess.run(
            [sys.executable, "-c", script, str(city), out],
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}  # type: ignore[dict-item]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["rows_per_s"] = round(result["rows"] / result["seconds"])
    result["seconds"] = round(result["seconds"], 2)
    result["peak_rss_mib"] = round(result["peak_rss_mib"])
    return result


def _warm_caches() -> None:
    """Score a small city once in a child process: numba compiles (or loads) every kernel the
    command uses and caches it, as the first run after an install does."""
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "city"
        simulate_city(SimulationConfig(subscribers=2000, seed=1), small)
        subprocess.run(
            [sys.executable, "-m", "callwarden", "score", str(small),
             "--out", str(Path(tmp) / "alerts.parquet"), "--no-report"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--city", type=Path, help="reuse a simulated city (default: simulate)")
    parser.add_argument(
        "--skip", default="", help="comma list: pandas,duckdb,spec,full,live,phases,floor"
    )
    parser.add_argument("--model", type=Path, help="also score with this model directory")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/score.json"))
    parser.add_argument(
        "--no-warm", action="store_true", help="time a first run, numba's compiler included"
    )
    args = parser.parse_args()
    if not args.no_warm:
        _warm_caches()
    skip = set(filter(None, args.skip.split(",")))
    city = args.city or Path(tempfile.mkdtemp()) / "city"
    if not (city / "calls").exists():
        simulate_city(SimulationConfig(subscribers=args.subscribers, seed=args.seed), city)
    runs: dict[str, dict[str, float]] = {"callwarden": _run(COMMAND, city)}
    if "phases" not in skip:
        runs["callwarden_phases"] = _run(PHASES, city)
    if "floor" not in skip:
        runs["floor_read_parse_sort"] = _run(FLOOR, city)
    if args.model is not None:
        # (every number's features, by slices of numbers)
        how = f"model=event_scorer(Path({str(args.model.resolve())!r}))"
        loads = "from callwarden.detect.model.events import event_scorer\n"
        runs["callwarden_model"] = _run(loads + CALLWARDEN.replace("HOW", how), city)
    if "full" not in skip:
        runs["callwarden_no_triage"] = _run(CALLWARDEN.replace("HOW", "triage=False"), city)
    if "live" not in skip:
        runs["callwarden_live_replayed"] = _run(LIVE, city)
    if "duckdb" not in skip:
        # (the command's figure beside the query's: the target is a ratio of at most 1)
        runs["callwarden_per_duckdb"] = {}
    if "spec" not in skip:
        runs["duckdb_whole_spec"] = _run(DUCKDB_SPEC, city)
    if "pandas" not in skip:
        runs["pandas_hourly_features"] = _run(PANDAS, city)
    if "duckdb" not in skip:
        runs["duckdb_hourly_features"] = _run(DUCKDB, city)
        duck = runs["duckdb_hourly_features"].get("seconds")
        if duck and runs["callwarden"].get("seconds"):
            runs["callwarden_per_duckdb"] = {
                "ratio": round(runs["callwarden"]["seconds"] / duck, 2)
            }
    runs = {k: v for k, v in runs.items() if v}
    base = runs["callwarden"].get("rows_per_s", 0)
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "when": time.strftime("%Y-%m-%d"),
        "subscribers": args.subscribers,
        "runs": runs,
        "callwarden_speedup": {
            name: round(base / r["rows_per_s"], 2)
            for name, r in runs.items()
            if name
            not in (
                "callwarden",
                "callwarden_phases",
                "floor_read_parse_sort",
                "callwarden_per_duckdb",
            )
            and r.get("rows_per_s")
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
