"""Detection on bigger cities of ``tests/unit/detect/fraud_world.py`` (written apart from the
simulator): relay SIMs, SIM boxes, auto-dialers and wangiri among honest heavy callers.

For each seed the city is drawn (``--actors`` sets of the fraud and honest actors, by default
one per 3,000 people) and scored through ``score_records`` (the path of
``callwarden score``); the tables, as Markdown, give per variant the numbers, those reaching
``review`` or above, the median of the calls each had made by then (all, and since its behaviour
began: an owner's own life aside) and how many carried a reason
of their type; per type recall and precision (of the numbers whose first alert at ``review`` or
above gives that type's reason, the share truly of that type); and per honest kind the numbers
above ``watch``. ``--detectors`` adds each variant's highest score per detector (the features'
scores before the policy, the campaign pass aside)::

    .venv/bin/python benchmarks/eval_fraud_world.py --people 20000 --seeds 31 32 33
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import polars as pl

from callwarden.detect.scoring import detector_scores, score_records
from callwarden.features.engines.base import Traffic, feature_frame, load_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.unit.detect.fraud_world import (
    ATTRIBUTION,
    FRAUD_KINDS,
    HONEST_KINDS,
    LEVELS,
    VARIANTS,
    outcomes,
    world,
)

NAMES = {0: "", **{v: k for k, v in LEVELS.items()}}
#: the reasons that name each type (a SIM box's lines found as one group also name a box)
OWN_REASONS = {
    "relay": {"relay_call", "profile_mismatch"},
    "simbox": {"simbox", "campaign", "rotation"},
    "robocall": {"autodialer", "sequential_dialing", "rotation", "campaign"},
    "wangiri": {"wangiri"},
}


def _city(
    seed: int, people: int, actors: int, detectors: bool
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    t0 = time.perf_counter()
    calls, subs, truth = world(seed, people=people, actors=actors)
    t1 = time.perf_counter()
    alerts = score_records(Traffic(calls, None, subs)).alerts
    t2 = time.perf_counter()
    print(f"seed {seed}: {calls.height:,} calls, {subs.height:,} subscribers; "
          f"drawn in {t1 - t0:.1f} s, scored in {t2 - t1:.1f} s", file=sys.stderr)  # fmt: skip
    made = outcomes(calls, truth, alerts).with_columns(seed=pl.lit(seed))
    if not detectors:
        return made, None
    frame = feature_frame(load_engine("compiled")(), Traffic(calls, None, subs))
    scores = pl.DataFrame({"msisdn": frame["msisdn"], **detector_scores(frame)})
    top = scores.group_by("msisdn").max()
    known = truth.filter(pl.col("family") != "person").drop("start")
    return made, known.join(top, on="msisdn", how="left")


def _table(frame: pl.DataFrame) -> str:
    head = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * frame.width
    rows = ["| " + " | ".join("" if v is None else str(v) for v in r) + " |" for r in frame.rows()]
    return "\n".join([head, rule, *rows])


def _per_seed(col: pl.Expr) -> pl.Expr:
    return col.cast(pl.String).str.join(", ")


def report(made: pl.DataFrame) -> str:
    """The Markdown tables of the cities' outcomes (``outcomes`` of each seed, stacked)."""
    made = made.with_columns(
        found=pl.col("level") >= 2,
        named=pl.col("codes").fill_null("").str.split(",").list.eval(pl.element()),
        said=pl.col("detector").replace_strict(ATTRIBUTION, default="other"),
    )
    own = pl.struct("family", "named").map_elements(
        lambda r: bool(OWN_REASONS.get(r["family"], set()) & set(r["named"])),
        return_dtype=pl.Boolean,
    )
    made = made.with_columns(own=own)
    fraud = made.filter(pl.col("family").is_in(list(VARIANTS)))
    by_seed = fraud.group_by("kind", "seed").agg(
        n=pl.len(), found=pl.col("found").sum(), named=(pl.col("found") & pl.col("own")).sum()
    ).sort(pl.col("kind").replace_strict(FRAUD_KINDS, range(len(FRAUD_KINDS))), "seed")  # fmt: skip
    variants = by_seed.group_by("kind", maintain_order=True).agg(
        numbers=_per_seed(pl.col("n")), found=_per_seed(pl.col("found")),
        named=_per_seed(pl.col("named")),
    ).join(
        fraud.group_by("kind").agg(
            recall=(pl.col("found").mean()).round(2),
            median_calls_at_review=pl.col("calls_by").median(),
            median_into=pl.col("calls_into").median(),
            first_reasons=pl.col("detector").filter("found").unique().sort().str.join(", "),
        ), on="kind", maintain_order="left",
    )  # fmt: skip
    flagged = made.filter("found")
    types = []
    for family in VARIANTS:
        them = fraud.filter(pl.col("family") == family)
        said = flagged.filter(pl.col("said") == family)
        right = said.filter(pl.col("family") == family).height
        types.append({
            "type": family, "numbers": them.height, "found (review+)": int(them["found"].sum()),
            "recall": round(int(them["found"].sum()) / max(them.height, 1), 3),
            "first reason says so": said.height,
            "precision": round(right / said.height, 3) if said.height else None,
        })  # fmt: skip
    lines = flagged.filter(pl.col("said") == "lines")
    types.append({
        "type": "lines together (rotation, campaign)", "numbers": None, "found (review+)": None,
        "recall": None, "first reason says so": lines.height,
        "precision": round(lines.filter(pl.col("family").is_in(list(VARIANTS))).height
                           / max(lines.height, 1), 3),
    })  # fmt: skip
    everyone = {
        "type": "all fraud", "numbers": fraud.height, "found (review+)": int(fraud["found"].sum()),
        "recall": round(int(fraud["found"].sum()) / max(fraud.height, 1), 3),
        "first reason says so": flagged.height,
        "precision": round(flagged.filter(pl.col("family").is_in(list(VARIANTS))).height
                           / max(flagged.height, 1), 3),
    }  # fmt: skip
    honest = (
        made.filter(pl.col("family").is_in(["honest", "person"]))
        .group_by("kind")
        .agg(
            numbers=pl.len(),
            above_watch=(pl.col("level") > 1).sum(),
            at_watch=(pl.col("level") == 1).sum(),
            highest=pl.col("level").max().replace_strict(NAMES, default=""),
            reasons=pl.col("detector").filter(pl.col("level") > 1).unique().sort().str.join(", "),
        )
        .sort("kind")
    )
    order = [*HONEST_KINDS, "person"]
    honest = honest.sort(pl.col("kind").replace_strict(order, list(range(len(order)))))
    return "\n\n".join([
        _table(variants.rename({"median_calls_at_review": "median calls at review",
                                "median_into": "of them into its behaviour"})),
        _table(pl.DataFrame([*types, everyone])),
        _table(honest.rename({"above_watch": "above watch", "at_watch": "at watch",
                              "highest": "highest decision"})),
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[31, 32, 33])
    parser.add_argument(
        "--actors", type=int, default=None,
        help="times each actor's count (default: one set per 3,000 people)",
    )  # fmt: skip
    parser.add_argument(
        "--list", nargs="*", default=[], metavar="KIND",
        help="print each number of these kinds (honest:teacher, relay:minor_slow, ...)",
    )  # fmt: skip
    parser.add_argument("--detectors", action="store_true", help="each detector's top scores")
    args = parser.parse_args()
    made, scores = [], []
    for seed in args.seeds:
        actors = args.actors or max(1, args.people // 3000)
        m, s = _city(seed, args.people, actors, args.detectors)
        made.append(m)
        if s is not None:
            scores.append(s)
    print(report(pl.concat(made, how="diagonal_relaxed")))
    if args.list:
        them = pl.concat(made, how="diagonal_relaxed").filter(pl.col("kind").is_in(args.list))
        cols = ["seed", "kind", "msisdn", "level", "calls_by", "calls_into", "detector", "codes"]
        print()
        print(_table(them.select(cols).sort("kind", "seed", "level")))
    if scores:
        top = pl.concat(scores).drop("msisdn", "family").group_by("kind").max().sort("kind")
        keep = [c for c in top.columns if c == "kind" or top[c].cast(pl.Float64).max() or 0.0]
        print()
        print(_table(top.select(keep).with_columns(pl.exclude("kind").round(2))))


if __name__ == "__main__":
    main()
