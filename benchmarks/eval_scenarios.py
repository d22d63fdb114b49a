"""The adversarial suite: every simulator variant, its recall, look-alikes above watch, precision.

One city per variant (``callwarden simulate --variant``), scored by the rules and the campaign
pass as ``callwarden score`` scores, read as ``callwarden evaluate`` reads it. Prints one
Markdown row per variant (the table of docs/detection.md) and writes them as JSON lines to
``--out`` if given. ``--honest FILE`` writes every honest number that reached ``review`` or
above, one JSON line each: the variant, the number's label and actor, its highest decision,
and the detectors and reasons of that alert (what raised it). ``--variants plain`` scores the
city without a variant (the suite's look-alikes still added).

    .venv/bin/python benchmarks/eval_scenarios.py --subscribers 3000 --seed 7
    .venv/bin/python benchmarks/eval_scenarios.py --subscribers 50000 --seed 1001   # make bench
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import polars as pl

from callwarden.decide.policy import level_of
from callwarden.detect.evaluate import HONEST, evaluate_alerts
from callwarden.detect.scoring import score_records
from callwarden.features.engines.base import Traffic
from callwarden.simulate import simulate_city
from callwarden.simulate.scenarios import VARIANTS, Variant, variant_report

#: the city without a variant: nothing disguised, the suite's look-alikes added
PLAIN = Variant("plain", "none", "none (the ordinary city)")


def honest_flagged(
    alerts: pl.DataFrame, labels: pl.DataFrame, variant: str
) -> list[dict[str, object]]:
    """Every honest number at ``review`` or above, with the reasons of its highest alert."""
    honest = labels.filter(pl.col("label").is_in(HONEST)).select("msisdn", "label", "actor")
    if alerts.height == 0:
        return []
    top = (
        alerts.with_columns(level=pl.col("decision").map_elements(level_of, return_dtype=pl.Int64))
        .filter(pl.col("level") >= level_of("review"))
        .sort("level", "score", descending=True)
        .unique("msisdn", keep="first")
        .join(honest, on="msisdn")
        .sort("msisdn")
    )
    out: list[dict[str, object]] = []
    for r in top.iter_rows(named=True):
        reasons = r["reasons"] or []
        out.append({
            "variant": variant, "msisdn": r["msisdn"], "label": r["label"],
            "actor": r["actor"], "decision": r["decision"], "score": round(r["score"], 4),
            "flagged_at": str(r["flagged_at"]),
            "detectors": [x["code"] for x in reasons],
            "reasons": [x["text_en"] for x in reasons],
        })  # fmt: skip
    return out


def run(
    variant: str, subscribers: int, seed: int, workdir: Path, honest: list[dict[str, object]]
) -> dict[str, object]:
    city = workdir / variant
    spec = PLAIN if variant == PLAIN.name else VARIANTS[variant]
    simulate_city(spec.config(subscribers=subscribers, seed=seed), city)
    calls = pl.read_parquet(city / "calls", hive_partitioning=False)
    sms = pl.read_parquet(city / "sms", hive_partitioning=False)
    subs = pl.read_parquet(city / "subscribers")
    labels = pl.read_parquet(city / "labels")
    start = time.process_time()
    alerts = score_records(Traffic(calls, sms, subs)).alerts
    cpu = time.process_time() - start
    report = variant_report(alerts, labels, spec)
    honest.extend(honest_flagged(alerts, labels, variant))
    ev = evaluate_alerts(alerts, labels.select("msisdn", "label", "behaviour_start"), calls)
    relay = ev.per_type.filter(pl.col("label") == "relay_call")
    report["precision"] = ev.precision
    report["relay_calls_to_flag"] = relay["median_records_to_flag"][0] if relay.height else None
    report["score_cpu_s"] = round(cpu, 2)
    return report


def row(r: dict[str, object]) -> str:
    look = r["look_alikes"]
    assert isinstance(look, dict)
    total = sum(v["numbers"] for v in look.values())
    above = sum(v["above_watch"] for v in look.values())
    return (
        f"| `{r['variant']}` | {r['label']} | {r['cue']} | {r['found']}/{r['numbers']} | "
        f"{r['recall']} | {above} of {total} | {r['precision']} | {r['relay_calls_to_flag']} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--out", type=Path)
    parser.add_argument("--honest", type=Path, help="honest numbers at review or above (JSONL)")
    args = parser.parse_args()
    print("| variant | type | cue disguised | found | recall | look-alikes above watch |"
          " precision | relay calls to flag |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    reports = []
    honest: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for variant in args.variants.split(","):
            r = run(variant, args.subscribers, args.seed, Path(tmp), honest)
            reports.append(r)
            print(row(r), flush=True)
    if args.out:
        args.out.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in reports), encoding="utf-8"
        )
    if args.honest:
        args.honest.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in honest), encoding="utf-8"
        )


if __name__ == "__main__":
    main()
