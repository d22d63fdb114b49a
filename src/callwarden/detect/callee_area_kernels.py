"""The callee-area features at many events in one compiled walk: ``callee_areas.cue_at``'s rule.

Batch scoring reads the area features at some 65,000 call events of the 1M-subscriber day,
each over up to an hour of its caller's calls: read one event at a time in Python (a dict of
the window's callees, a count of their areas), that was most of the time the record features
took. :func:`cues_at` walks the same calls in compiled code and gives the same figures, bit
for bit (``tests/unit/detect/test_callee_areas.py`` holds it to ``cue_at``).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["cues_at"]


@numba.njit(cache=True)
def _ramp(x: float, lo: float, hi: float) -> float:
    return min(max((x - lo) / (hi - lo), 0.0), 1.0)


@numba.njit(cache=True, nogil=True)
def cues_at(us: np.ndarray, callee: np.ndarray, area: np.ndarray, starts: np.ndarray,
            ends: np.ndarray, at_us: np.ndarray, weights: np.ndarray, windows: np.ndarray,
            least: int, out: np.ndarray) -> None:  # fmt: skip
    """``out[e]``: the features (cue, callees in the area, callees, area code, minutes) at the
    event ``e`` at ``at_us[e]``, of its caller's calls ``starts[e]`` up to ``ends[e]`` (sorted
    by start ``us``; ``callee`` keys, the callees' ``area`` codes, -1 for none): of each
    window of ``windows`` (µs, ascending) up to the event, the different callees (each with
    its first call's area); the window with the strongest cue, the longest on a tie. A cue
    needs ``least`` callees; ``weights``: each area's ``-log10`` share."""
    counts = np.zeros(weights.shape[0], np.int64)
    for e in range(at_us.shape[0]):
        first, t = starts[e], at_us[e]
        hi = first + np.searchsorted(us[first : ends[e]], t, side="right")
        for w in range(windows.shape[0] - 1, -1, -1):  # (the longest first: it wins ties)
            lo = first + np.searchsorted(us[first:hi], t - windows[w], side="right")
            seen = callee[lo:hi]
            order = np.argsort(seen, kind="mergesort")  # (stable: each callee's first call)
            counts[:] = 0
            k = 0
            for j in range(order.shape[0]):
                if j == 0 or seen[order[j]] != seen[order[j - 1]]:
                    k += 1
                    a = area[lo + order[j]]
                    if a >= 0:
                        counts[a] += 1
            m, code = 0, -1
            for a in range(counts.shape[0]):  # (the first area of the most callees)
                if counts[a] > m:
                    m, code = counts[a], a
            cue = 0.0
            if m > 0 and k >= least:
                cue = _ramp(m / k, 0.7, 0.9) * _ramp(m * weights[code], 2.5, 3.5)
            if w == windows.shape[0] - 1 or cue > out[e, 0]:
                out[e, 0] = cue
                out[e, 1] = m
                out[e, 2] = k
                out[e, 3] = code
                out[e, 4] = windows[w] // 60_000_000


@numba.njit(cache=True, nogil=True)
def busy_slots(ordered: np.ndarray, need: int) -> np.ndarray:
    """Of the sorted (caller, clock hour) slots ``ordered`` (uint64, a caller's next hour one
    more): each slot holding, with the next hour's, at least ``need`` of them, and each slot
    that follows one of those, ascending; one pass over their runs."""
    n = ordered.shape[0]
    out = np.empty(n, ordered.dtype)
    kept = 0
    one = np.uint64(1)
    start, last = False, ordered[0] if n else one
    i = 0
    while i < n:
        slot = ordered[i]
        j = i + 1
        while j < n and ordered[j] == slot:
            j += 1
        pair = j - i
        if j < n and ordered[j] - slot == one:  # (the next hour, its caller's)
            k = j + 1
            while k < n and ordered[k] == ordered[j]:
                k += 1
            pair += k - j
        follows = i > 0 and start and slot - last == one
        start = pair >= need
        if start or follows:
            out[kept] = slot
            kept += 1
        last = slot
        i = j
    return out[:kept]
