"""The learned scorer across cities: trained on city A, scored on city B and on the variants.

    .venv/bin/python benchmarks/bench_model_cities.py
    .venv/bin/python benchmarks/bench_model_cities.py --train 20000:11 --score 30000:23 \\
        --variant-subscribers 5000

City A and city B differ in seed and size; the model alone's review cut is chosen on another
city H (``set_review_cut``: above every honest number's highest score there); each adversarial
variant (``callwarden simulate --variant``, ``simulate/scenarios.py``) is a city of its own seed,
holding the honest look-alikes (couriers, ride-hailing drivers, sales teams, service lines, SMS
service ports) beside the disguised fraud. Every scored city is scored with the rules alone and
with the model (default policy, ``model_alone_ceiling`` = review), side by side; the table gives
precision, recall, honest numbers above ``watch`` (look-alikes among them, and how many the model
alone raised). Targets (issue 23): precision >= 0.99 and no look-alike above ``watch`` with the
model. Results go to ``benchmarks/results/model_cities.json``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from callwarden.detect.model import ModelParams
from callwarden.detect.model.cities import score_city, set_review_cut, train_on_city
from callwarden.simulate import SimulationConfig, simulate_city
from callwarden.simulate.scenarios import VARIANTS


def _size_seed(text: str) -> tuple[int, int]:
    size, _, seed = text.partition(":")
    return int(size), int(seed or 0)


def _row(name: str, how: str, got: dict[str, Any]) -> str:
    return (
        f"| {name} | {how} | {got['precision']:.4f} | {got['recall']:.4f} | "
        f"{got['honest_above_watch']} | {got['legit_heavy_above_watch']} | "
        f"{got['by_model_alone']} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", default="6000:11", help="SUBSCRIBERS:SEED of city A")
    parser.add_argument("--score", default="9000:23", help="SUBSCRIBERS:SEED of city B")
    parser.add_argument(
        "--holdout",
        default="5000:5",
        help="SUBSCRIBERS:SEED of city H, where the review cut is chosen",
    )
    parser.add_argument("--variant-subscribers", type=int, default=3000)
    parser.add_argument("--variant-seed", type=int, default=7)
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated; '' none")
    parser.add_argument("--trees", type=int, default=500)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/model_cities.json"))
    args = parser.parse_args()

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        size, seed = _size_seed(args.train)
        simulate_city(SimulationConfig(subscribers=size, seed=seed), work / "A")
        model = train_on_city(work / "A", ModelParams(n_estimators=args.trees))
        size_b, seed_b = _size_seed(args.score)
        simulate_city(SimulationConfig(subscribers=size_b, seed=seed_b), work / "B")
        scored = [work / "B"]
        for name in [v for v in args.variants.split(",") if v]:
            config = VARIANTS[name].config(subscribers=args.variant_subscribers,
                                           seed=args.variant_seed)  # fmt: skip
            simulate_city(config, work / name)
            scored.append(work / name)
        reports = [score_city(model, city) for city in scored]
        size_h, seed_h = _size_seed(args.holdout)
        simulate_city(SimulationConfig(subscribers=size_h, seed=seed_h), work / "H")
        cut = set_review_cut(model, work / "H")
        for report, city in zip(reports, scored, strict=True):
            report["with_model_cut"] = score_city(model, city)["with_model"]
    seconds = time.perf_counter() - started

    print(f"trained on A ({args.train}), {args.trees} trees; scored below ({seconds:.0f} s)")
    print("| city | scoring | precision | recall | honest above watch | look-alikes above watch "
          "| by the model alone |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for r in reports:
        print(_row(r["city"], "rules", r["rules"]))
        print(_row(r["city"], "rules + model", r["with_model"]))
        print(_row(r["city"], "rules + model, held-out cut", r["with_model_cut"]))
    print(f"held-out cut (city H, {args.holdout}): {cut['review_cut']:.4f}; fraud numbers of H "
          f"at or above it {cut['fraud_at_cut']} of {cut['fraud_numbers']}")  # fmt: skip
    for key in ("with_model", "with_model_cut"):
        worst = min(r[key]["precision"] for r in reports)
        looks = sum(r[key]["legit_heavy_above_watch"] for r in reports)
        print(f"{key}: lowest precision {worst:.4f} (target >= 0.99); look-alikes above "
              f"watch {looks} (target 0)")  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    body = {"args": {k: str(v) for k, v in vars(args).items()}, "seconds": round(seconds, 1),
            "cities": reports, "review_cut": cut}  # fmt: skip
    args.out.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
