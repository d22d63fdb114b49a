"""Offline: would "the callees all live in one area" tell call rounds from relay SIMs?

This is the measurement that led to the cue; the relay rules now read it themselves
(``detect/callee_areas.py``, on every engine), and this script still measures it as it was
first defined, from the features of the rules without it, for comparison.

A class teacher rings the parents of one class, a volunteer the residents of one block: the
people called live near one another. A relay SIM dials a list of strangers bought from
anywhere. This script measures that cue beside the relay rules as they are, without changing
them: on the suite's cities (``simulate --variant``), the engine's features and the two relay
detectors (``relay_call``, ``profile_mismatch``) at every call event, then the same scores
multiplied by ``1 - strength * cue`` where ``cue`` says how far the distinct callees of the
number's own calls in the last 15 minutes (or hour) fall in one area, beyond chance:

- an area is the callee's ``region`` in the subscribers table (the operator's own records;
  a callee of another network has none and counts against the cue);
- ``ramp(m / k, 0.7, 0.9)``: m of the k distinct callees (k at least 3) in one area;
- ``ramp(-log10(p ** m), 2.5, 3.5)``: p is that area's share of the subscribers, so m callees
  in it by chance (a relay dialling anyone) is under 1 in 300 to 1 in 3,000; an operator
  whose subscribers all live in one area gets no cue at all.

The detectors alone (no policy, no campaign pass): a number counts at ``review`` when either
detector reaches 0.6 at one of its events. Prints one line per city.

    .venv/bin/python benchmarks/eval_callee_areas.py --subscribers 20000 --seeds 7,11,23
"""

from __future__ import annotations

import argparse
import bisect
import math
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl

from callwarden.detect.evaluate import HONEST
from callwarden.detect.scoring import detector_scores
from callwarden.features.engines.base import Traffic, feature_frame, load_engine
from callwarden.features.spec import SPOOFED_FLAGS
from callwarden.simulate import simulate_city
from callwarden.simulate.scenarios import VARIANTS, Variant

PLAIN = Variant("plain", "none", "none (the ordinary city)")
RELAY_VARIANTS = "plain,relay_slow,relay_jittered,relay_short_bursts"
REVIEW = 0.6


def ramp(x: float, lo: float, hi: float) -> float:
    return min(max((x - lo) / (hi - lo), 0.0), 1.0)


def one_area(callees: list[str], area: dict[str, str], weight: dict[str, float]) -> float:
    """The cue for these distinct callees: the best area's share of them, beyond chance."""
    k = len(callees)
    if k < 3:
        return 0.0
    counts: dict[str, int] = {}
    for c in callees:
        a = area.get(c)
        if a is not None:
            counts[a] = counts.get(a, 0) + 1
    return max(
        (ramp(m / k, 0.7, 0.9) * ramp(m * weight[a], 2.5, 3.5) for a, m in counts.items()),
        default=0.0,
    )


def cue_at_events(frame: pl.DataFrame, calls: pl.DataFrame, subs: pl.DataFrame) -> np.ndarray:
    """The cue at each row of ``frame`` (call events of the numbers to look at)."""
    regions = subs.filter(pl.col("region").is_not_null())
    area = dict(zip(regions["msisdn"], regions["region"], strict=True))
    total = regions.height
    weight = {a: -math.log10(n / total) for a, n in regions["region"].value_counts().iter_rows()}
    own = calls
    if "caller_flag" in calls.columns:  # a spoofed presentation is not the number's own call
        own = calls.filter((~pl.col("caller_flag").is_in(list(SPOOFED_FLAGS))).fill_null(True))
    own = (
        own.filter(pl.col("caller").is_in(frame["msisdn"].unique().implode()))
        .select("caller", "callee", us=pl.col("start_time").dt.epoch("us"))
        .sort("us")
    )
    by: dict[str, tuple[list[int], list[str]]] = {}
    for caller, callee, us in own.iter_rows():
        t, c = by.setdefault(caller, ([], []))
        t.append(us)
        c.append(callee)
    out = np.zeros(frame.height)
    for i, (num, us) in enumerate(
        frame.select("msisdn", pl.col("time").dt.epoch("us")).iter_rows()
    ):
        t, c = by.get(num, ([], []))
        hi = bisect.bisect_right(t, us)
        for window_us in (15 * 60 * 10**6, 3600 * 10**6):
            lo = bisect.bisect_right(t, us - window_us)
            out[i] = max(out[i], one_area(list(dict.fromkeys(c[lo:hi])), area, weight))
    return out


def first_flags(ev: pl.DataFrame, side: str) -> pl.DataFrame:
    """Each number's first event at ``review`` on one side (``before`` or ``after``)."""
    return ev.filter(pl.col(side) >= REVIEW).sort("seq").group_by("msisdn").first()


def relay_events(
    city: Path,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame, np.ndarray]:
    """A city's calls, subscribers and labels, its call events where a relay detector scores
    (``msisdn``, ``time``, ``seq``) and the higher of the two relay scores at each."""
    calls = pl.read_parquet(city / "calls", hive_partitioning=False)
    sms = pl.read_parquet(city / "sms", hive_partitioning=False)
    subs = pl.read_parquet(city / "subscribers")
    labels = pl.read_parquet(city / "labels").select("msisdn", "label", "actor")
    frame = feature_frame(load_engine("compiled")(), Traffic(calls, sms, subs))
    scores = detector_scores(frame)
    relay = np.maximum(scores["relay_call"], scores["profile_mismatch"])
    look = (frame["kind"] == "call").to_numpy() & (relay > 0)
    ev = frame.filter(pl.Series(look)).select("msisdn", "time", "seq")
    return calls, subs, labels, ev, relay[look]


def cities(
    subscribers: int, seeds: str, variants: str, root: Path, keep: bool = False
) -> Iterator[tuple[int, str, Path]]:
    """Each seed's city of each variant under ``root``, simulated (again, unless ``keep``
    finds it there)."""
    for seed in (int(s) for s in seeds.split(",")):
        for name in variants.split(","):
            spec = PLAIN if name == PLAIN.name else VARIANTS[name]
            city = root / f"{subscribers}_{seed}_{name}"
            if not (keep and (city / "labels").exists()):
                simulate_city(spec.config(subscribers=subscribers, seed=seed), city)
            yield seed, name, city


def run(city: Path, strength: float) -> dict[str, object]:
    calls, subs, labels, ev, relay = relay_events(city)
    lowered = relay * (1 - strength * cue_at_events(ev, calls, subs))
    ev = ev.with_columns(before=pl.Series(relay), after=pl.Series(lowered))
    ev = ev.join(labels, on="msisdn", how="left")
    before, after = first_flags(ev, "before"), first_flags(ev, "after")
    relays = [f.filter(pl.col("label") == "relay_call") for f in (before, after)]
    honest = [f.filter(pl.col("label").is_in(HONEST)) for f in (before, after)]
    later = relays[0].join(relays[1], on="msisdn", suffix="_after")
    return {
        "relays": [r.height for r in relays],
        "relays_flagged_later": later.filter(pl.col("seq_after") > pl.col("seq")).height,
        "honest": [h.height for h in honest],
        "honest_by_actor": [
            dict(h["actor"].value_counts().sort("actor").iter_rows()) for h in honest
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=20000)
    parser.add_argument("--seeds", default="7,11,23")
    parser.add_argument("--variants", default=RELAY_VARIANTS)
    parser.add_argument("--strength", type=float, default=0.4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for seed, name, city in cities(args.subscribers, args.seeds, args.variants, Path(tmp)):
            print(seed, name, run(city, args.strength), flush=True)


if __name__ == "__main__":
    main()
