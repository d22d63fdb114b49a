"""Live-engine checkpoints written by earlier versions, brought to today's layout.

A consumer restarted on a new version resumes from the checkpoint the old one wrote: each
layout change of the state (``live.py``) says here how a state from before it is read, and
``tests/unit/features/engines/compiled/test_state_layout.py`` holds that such a state goes on as
one that never stopped.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from callwarden.features.engines.compiled.hashtable import NONE, Table
from callwarden.features.engines.compiled.offsets import FLOOR, UNSET, absolute_to_offsets

__all__ = ["upgraded"]

#: what a checkpoint written before the quarter hour's talk and inner gaps holds
_QUARTER_SUMS = ("answered_out@15m", "dur_out@15m", "short_out@15m", "has_inner_gap_out@15m",
                 "inner_gap_out@15m", "inner_gap_out_sq@15m")  # fmt: skip
_QUARTER_SIGNALS = ("has_inner_gap_out", "inner_gap_out", "inner_gap_out_sq")


def _widen(values: np.ndarray, old: tuple[str, ...], new: tuple[str, ...]) -> np.ndarray:
    """Columns named ``old`` placed among the columns ``new`` (the others 0)."""
    out = np.zeros((values.shape[0], len(new)), values.dtype)
    for j, name in enumerate(old):
        out[:, new.index(name)] = values[:, j]
    return out


def upgraded(state: dict[str, Any]) -> dict[str, Any]:
    """The ``IncrementalFeatures`` state ``state`` (its pickled ``__dict__``) in today's
    layout; a state in today's layout is returned as it is."""
    # (live.py calls this from unpickling, so its layout is read once it is loaded)
    from callwarden.features.engines.compiled import live  # noqa: PLC0415

    names, signals = live.SUM_NAMES, live.ACT_SIGNALS
    sums_before_quarter = tuple(n for n in names if n not in _QUARTER_SUMS)
    act_before_quarter = tuple(n for n in signals if n not in _QUARTER_SIGNALS)
    sums_before_spoofed = tuple(n for n in sums_before_quarter if not n.startswith("spoofed_"))
    act_before_spoofed = tuple(n for n in act_before_quarter if not n.startswith("spoofed_"))
    # From before ``is_invalid_number`` was kept: asked again as numbers act. From before it
    # was int8 (-1, 0, 1) and birth years float32: float64.
    if "invalid" not in state:
        state["invalid"] = np.full(state["num"].shape[0], -1, np.int8)
    state["invalid"] = state["invalid"].astype(np.int8, copy=False)
    state["birth"] = state["birth"].astype(np.float32, copy=False)
    # From before spoofed presentations kept their own pair times: none known (a callee
    # a presentation reached within the hour before the checkpoint counts as new again).
    state.setdefault("pair_spoof", Table())
    # A checkpoint from before the spoofed-presentation signals: their sums start at 0
    # (no call before it carried a caller flag on the wire).
    # From before the quarter hour's talk and inner gaps: those sums start at 0 too (the
    # relay rule reads the quarter hour's own figures a quarter hour after a restart).
    for old in (sums_before_spoofed, sums_before_quarter):
        if "long_sums" not in state and state["sums"].shape[1] == len(old):
            state["sums"] = _widen(state["sums"], old, names)
    if "long_sums" not in state:  # from before: every sum a float64 column of SUM_NAMES
        every = state["sums"]
        state["sums"] = every[:, list(live._SHORT)].astype(np.int32)
        state["long_sums"] = every[:, list(live._LONG)].astype(np.int64)
        state["device_sums"] = state["device_sums"].astype(np.int32)
    acting = state["acting"]
    for old in (act_before_spoofed, act_before_quarter):
        if acting.width == len(old) and acting.sig.shape[1] == len(old):
            acting.sig = _widen(acting.sig, old, signals)
            acting.col = np.arange(len(signals))
            acting.der = np.tile(np.array([-1, 0, -1], np.int64), (len(signals), 1))
    # From before binary signals were bits (every signal an int32 column), or before the
    # gaps' squares and the inner gaps were read from the gap.
    acting.pack(live._ACT_BITS, live._ACT_DERIVED)
    state["incoming"].pack((0, 1))
    state["device"].pack((0,))
    # From before ``num`` was int32: int64, the last callee's digits its second column and
    # NONE for none (and, before offsets, the times epoch milliseconds).
    if state["num"].shape[1] == 6:
        old_num = state["num"]
        callee = old_num[:, 1].copy()
        callee[callee == NONE] = -1
        state["last_callee"] = callee
        state["num"] = np.ascontiguousarray(old_num[:, [0, 2, 3, 4, 5]])
    # From before times were int32 offsets from a base: epoch milliseconds, int64.
    if "base_ms" not in state:
        pools = [state[k] for k in live._POOLS]
        tables = [state[k] for k in live._TABLES]
        state["base_ms"] = absolute_to_offsets(pools, tables, state["num"])
    if state["num"].dtype != np.int32:
        wide = state["num"]
        num = np.full(wide.shape, UNSET, np.int32)
        known = wide != NONE
        num[known] = np.maximum(wide[known], FLOOR)  # (times and slots both fit once offsets)
        state["num"] = num
    return state
