"""Offline: would "the callees are usually found in one cell" tell call rounds from relay SIMs?

The sibling of ``eval_callee_areas.py`` at a finer grain. The region cue
(``detect/callee_areas.py``) reads the callees' home areas from the subscribers table; a round
whose callees live in an area where many subscribers live (成都, 40% of the simulated ones)
shows no more than a relay dialling anyone there. A class's parents or a block's residents are
found in a few cells; a bought list is spread over many. Nothing in the records says where a
callee lives, but the callee's own earlier calls say which cell served it (``caller_cell``).

At each call event the relay detectors score, of the distinct callees of the caller's own calls
in the last 15 minutes (or hour), each callee's cell as known from the callee's own
(non-spoofed) calls that started before the call to it, by one of three definitions:

- ``last``: the cell of its latest call;
- ``mode``: the cell of most of its calls (the latest to reach the count on a tie);
- ``any``: every cell it was seen in (a callee counts in each of them);
- ``night``: every cell it was seen in from 20:00 to 07:00 Beijing time (where it sleeps).

A callee never seen calling (another network's, or silent so far) has none and counts against
the cue. ``m`` of the ``k`` callees in one cell, ``p`` that cell's share of the numbers with a
known cell (as the definition reads them at the end of the records: an offline estimate; an
engine would have to know it at the event), the same rule as the areas':
``ramp(m / k, 0.7, 0.9) * ramp(-log10(p ** m), 2.5, 3.5)``. The relay detectors' scores are
multiplied by ``1 - 0.4 * max(area cue, cell cue)``. Two readings of ``any`` for comparison:
``any_known`` counts only the callees of a known cell (at least three of them);
``any_half`` asks half of them in one cell (``ramp(m / k, 0.5, 0.7)``, at least three in it):
a callee is served by its work cell by day and its home cell at night.

The detectors alone (no policy, no campaign pass): a number counts at ``review`` when either
relay detector reaches 0.6 at one of its events. Prints one JSON line per city: relays and
honest numbers at ``review`` without a cue, with the area cue and with the area or cell cue,
relays flagged at a later event, and at the first event that raised each number without a cue
how many rounds and relays carry each cue.

    .venv/bin/python benchmarks/eval_callee_cells.py --subscribers 20000 --seeds 7,11,23
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl
from eval_callee_areas import RELAY_VARIANTS, cities, first_flags, ramp, relay_events

from callwarden.detect.evaluate import HONEST
from callwarden.features.spec import SPOOFED_FLAGS

WINDOWS_US = (15 * 60 * 10**6, 3600 * 10**6)
DEFINITIONS = ("last", "mode", "any", "night")
#: the ``any`` definition read otherwise: only the callees of a known cell counted; half of
#: them in one cell enough (``ramp(m / k, 0.5, 0.7)``, at least three)
EXTRA = ("any_known", "any_half")


def own_calls(calls: pl.DataFrame) -> pl.DataFrame:
    own = calls.filter(pl.col("caller").is_not_null() & pl.col("callee").is_not_null())
    if "caller_flag" in calls.columns:  # a spoofed presentation is not the number's own call
        own = own.filter((~pl.col("caller_flag").is_in(list(SPOOFED_FLAGS))).fill_null(True))
    return own.with_columns(us=pl.col("start_time").dt.epoch("us"))


class Cells:
    """Each number's cells as known before a time, by the three definitions."""

    def __init__(self, calls: pl.DataFrame) -> None:
        seen = (
            own_calls(calls)
            .filter(pl.col("caller_cell").is_not_null())
            .select(
                number="caller",
                us="us",
                cell=pl.col("caller_cell").cast(pl.String),
                night=pl.col("start_time")
                .dt.convert_time_zone("Asia/Shanghai")
                .dt.hour()
                .is_in([*range(20, 24), *range(7)]),
            )
            .sort("number", "us", "cell")
        )
        self.by: dict[str, tuple[list[int], list[str]]] = {}
        self.nights: dict[str, tuple[list[int], list[str]]] = {}
        for number, us, cell, night in seen.iter_rows():
            for into in (self.by, self.nights) if night else (self.by,):
                t, c = into.setdefault(number, ([], []))
                t.append(us)
                c.append(cell)
        # the chance weights: each cell's share of the numbers with a known cell, as each
        # definition reads them at the end of the records
        self.weights: dict[str, dict[str, float]] = {}
        end = 2**62
        for name in DEFINITIONS:
            counts: Counter[str] = Counter()
            for number in self.by:
                counts.update(self.known(number, end, name))
            total = len(self.by)
            self.weights[name] = {c: -math.log10(n / total) for c, n in counts.items()}

    def known(self, number: str, before_us: int, definition: str) -> list[str]:
        t, c = (self.nights if definition == "night" else self.by).get(number, ((), ()))
        hi = bisect.bisect_left(t, before_us)  # (calls that started before)
        if hi == 0:
            return []
        if definition == "last":
            return [c[hi - 1]]
        if definition in ("any", "night"):
            return sorted(set(c[:hi]))
        counts: Counter[str] = Counter()
        best, top = "", 0
        for cell in c[:hi]:
            counts[cell] += 1
            if counts[cell] >= top:
                best, top = cell, counts[cell]
        return [best]


def one_place(
    places: list[list[str]],
    weight: dict[str, float],
    *,
    known_only: bool = False,
    share: tuple[float, float] = (0.7, 0.9),
) -> tuple[float, int, int]:
    """The cue of distinct callees whose places (areas or cells) are ``places``: (cue, m, k);
    ``known_only``: ``k`` counts only the callees with a place; ``share``: the ramp of m / k
    (at least three in the place where it is lower than the areas')."""
    k = sum(1 for p in places if p) if known_only else len(places)
    counts: Counter[str] = Counter()
    for p in places:
        counts.update(p)
    best = (0.0, 0, k)
    for place, m in counts.items():
        enough = k >= 3 and (share[0] >= 0.7 or m >= 3)
        cue = ramp(m / k, *share) * ramp(m * weight[place], 2.5, 3.5) if enough else 0.0
        if (cue, m) > best[:2]:
            best = (cue, m, k)
    return best


def cues_at_events(
    ev: pl.DataFrame, calls: pl.DataFrame, subs: pl.DataFrame, cells: Cells
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The area cue and the cell cues (by each definition) at each row of ``ev``; and over the
    hour's callees: how many (``k``), how many of a known cell, the most in one cell (``any``)."""
    regions = subs.filter(pl.col("region").is_not_null())
    area = dict(zip(regions["msisdn"], regions["region"], strict=True))
    total = regions.height
    area_w = {a: -math.log10(n / total) for a, n in regions["region"].value_counts().iter_rows()}
    own = (
        own_calls(calls)
        .filter(pl.col("caller").is_in(ev["msisdn"].unique().implode()))
        .select("caller", "callee", "us")
        .sort("us")
    )
    by: dict[str, tuple[list[int], list[str]]] = {}
    for caller, callee, us in own.iter_rows():
        t, c = by.setdefault(caller, ([], []))
        t.append(us)
        c.append(callee)
    names = ("area", *DEFINITIONS, *EXTRA)
    out = {n: np.zeros(ev.height) for n in names}
    shape = {n: np.zeros(ev.height) for n in ("callees", "known", "in_one_cell")}
    for i, (num, us) in enumerate(ev.select("msisdn", pl.col("time").dt.epoch("us")).iter_rows()):
        t, c = by.get(num, ([], []))
        hi = bisect.bisect_right(t, us)
        for window in WINDOWS_US:
            lo = bisect.bisect_right(t, us - window)
            first: dict[str, int] = {}
            for j in range(lo, hi):
                first.setdefault(c[j], t[j])
            places = [[area[x]] if x in area else [] for x in first]
            out["area"][i] = max(out["area"][i], one_place(places, area_w)[0])
            for d in DEFINITIONS:
                got = [cells.known(x, at, d) for x, at in first.items()]
                out[d][i] = max(out[d][i], one_place(got, cells.weights[d])[0])
                if d == "any":
                    cue = one_place(got, cells.weights[d], known_only=True)[0]
                    out["any_known"][i] = max(out["any_known"][i], cue)
                    cue = one_place(got, cells.weights[d], share=(0.5, 0.7))[0]
                    out["any_half"][i] = max(out["any_half"][i], cue)
                    if window == WINDOWS_US[-1]:
                        shape["callees"][i] = len(got)
                        shape["known"][i] = sum(1 for g in got if g)
                        counts = Counter(x for g in got for x in g)
                        shape["in_one_cell"][i] = max(counts.values(), default=0)
    return out, shape


def run(city: Path, strength: float) -> dict[str, object]:
    calls, subs, labels, ev, relay = relay_events(city)
    cues, shape = cues_at_events(ev, calls, subs, Cells(calls))
    sides = {"none": relay, "area": relay * (1 - strength * cues["area"])}
    for d in (*DEFINITIONS, *EXTRA):
        sides[d] = relay * (1 - strength * np.maximum(cues["area"], cues[d]))
    ev = ev.with_columns(
        *(pl.Series(f"s_{s}", v) for s, v in sides.items()),
        *(pl.Series(f"cue_{s}", v) for s, v in cues.items()),
        *(pl.Series(s, v) for s, v in shape.items()),
    ).join(labels, on="msisdn", how="left")
    firsts = {s: first_flags(ev, f"s_{s}") for s in sides}
    out: dict[str, object] = {}
    for s, f in firsts.items():
        relays = f.filter(pl.col("label") == "relay_call")
        honest = f.filter(pl.col("label").is_in(HONEST))
        later = (
            firsts["none"]
            .filter(pl.col("label") == "relay_call")
            .join(relays, on="msisdn", how="left", suffix="_x")
        )
        out[s] = {
            "relays": relays.height,
            "relays_later_or_lost": later.filter(
                pl.col("seq_x").is_null() | (pl.col("seq_x") > pl.col("seq"))
            ).height,
            "honest": honest.height,
            "honest_by_actor": dict(honest["actor"].value_counts().sort("actor").iter_rows()),
        }
    # at the first event that raised each number without a cue: who carries which cue
    raised = firsts["none"].with_columns(
        kind=pl.when(pl.col("label") == "relay_call")
        .then(pl.lit("relay"))
        .when(pl.col("actor").is_in(["call_round", "school_round"]))
        .then(pl.lit("round"))
        .when(pl.col("label").is_in(HONEST))
        .then(pl.lit("other_honest"))
        .otherwise(pl.lit("other"))
    )
    out["at_first_event"] = {
        kind: {
            "numbers": g.height,
            **{f"cue_{s}>0": int((g[f"cue_{s}"] > 0).sum()) for s in cues},
            **{f"cue_{s}_mean": round(float(np.mean(g[f"cue_{s}"].to_numpy())), 3) for s in cues},
            "callees": g["callees"].to_list(),
            "known": g["known"].to_list(),
            "in_one_cell": g["in_one_cell"].to_list(),
        }
        for (kind,), g in raised.group_by("kind")
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=20000)
    parser.add_argument("--seeds", default="7,11,23")
    parser.add_argument("--variants", default=RELAY_VARIANTS)
    parser.add_argument("--strength", type=float, default=0.4)
    parser.add_argument("--cities", type=Path, help="keep the cities here (reused if present)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root, keep = (args.cities, True) if args.cities else (Path(tmp), False)
        for seed, name, city in cities(args.subscribers, args.seeds, args.variants, root, keep):
            got = {"seed": seed, "variant": name, **run(city, args.strength)}
            print(json.dumps(got, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
