"""The campaign pass's window of calls, kept as rolling counts instead of re-read.

Every checkpoint looks at the calls of the last ``window_s`` (``detect/campaigns.py``); two
checkpoints an hour apart share 23 of their 24 hours. So the calls are cut into *slices* of
``gcd(every_s, window_s)`` seconds of event time, each slice summed once (per caller and
callee pair: calls, long conversations, answered calls; per caller: first and last call,
calls per cell and per device), and the window's per-number figures are running sums: at a
checkpoint the slices that entered the window are added and those that left it taken away.
What the pass asks of a window then costs the size of a slice and of the numbers it looks at,
not of the window's calls:

- per number: calls, long conversations, answered calls, calls in, distinct callees,
  distinct callers, calls to callees it called more than once (repeats), callees that called
  it back in the window;
- per caller-callee pair: calls in the window (:meth:`CallWindow.pairs_of`);
- per caller, read from the slices for the few numbers that need it: first and last call, the
  most used cell and device (:meth:`CallWindow.callers`).

Numbers, cells and devices get integer codes as they first come (``campaign_codes.py``).
Calls can come in any order and in batches of any size: each batch is summed into the slices
its calls fall in, and a checkpoint adds every summed batch of the window's slices once, so the
window holds exactly the calls known at the checkpoint with times in ``[at - window_s, at)``,
as a filter of all the calls would.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from callwarden.detect.campaign_codes import Codes
from callwarden.detect.campaign_kernels import (
    apply_part,
    caller_calls,
    caller_starts,
    counting_order,
    is_sorted,
    key_numbers,
    merge_keys,
    merge_runs,
    modes,
    pair_keys,
    pair_order,
    pairs_in_window,
    reverse_pairs,
    slice_runs,
    sorted_search,
)
from callwarden.numbers import NumberKind, classify

__all__ = ["CallWindow", "registered"]

_US = 1_000_000
_I = np.int32  # codes, ids and counts: a day of a million subscribers fits, at half the memory
_SHIFT = 32  # a pair's key: caller code << 32 | callee code
#: the running figures per number code
_FIGURES = ("calls", "talk", "answered", "inbound", "callees", "callers", "repeat", "back")


def registered(numbers: pl.Series) -> pl.Series:
    """Which of ``numbers`` are registered enterprise and service numbers (400/800 hotlines,
    95xxx, 100xx, 12xxx: ranges the regulator allocates to named enterprises), which are no
    rotating lines of a call centre.

    >>> registered(pl.Series(["+8695588", "+864008123456", "+8617012345678"])).to_list()
    [True, True, False]
    """
    maybe = numbers.str.starts_with("+86") & (
        (numbers.str.len_chars() <= 11)
        | numbers.str.starts_with("+86400")
        | numbers.str.starts_with("+86800")
    )
    out = np.zeros(numbers.len(), bool)
    at = np.flatnonzero(maybe.fill_null(False).to_numpy())
    for k, m in zip(at.tolist(), numbers.gather(at).to_list(), strict=True):
        out[k] = classify(m) in (NumberKind.ENTERPRISE, NumberKind.SERVICE)
    return pl.Series(out)


def _then(old: np.ndarray, more: np.ndarray) -> np.ndarray:
    """``old``, then ``more`` (``more`` itself where ``old`` is empty: the first pairs are
    not copied once more)."""
    return more if old.shape[0] == 0 else np.concatenate([old, more])


def _grown(a: np.ndarray, n: int) -> np.ndarray:
    if a.shape[0] >= n:
        return a
    out = np.zeros(max(n, 2 * a.shape[0], 1024), a.dtype)
    out[: a.shape[0]] = a
    return out


def _search(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """``np.searchsorted(keys, wanted)`` for sorted ``wanted`` (a compiled walk)."""
    out = np.empty(wanted.shape[0], np.int64)
    sorted_search(keys, wanted, out)
    return out


@dataclass
class _Part:
    """One batch's calls in one slice, summed."""

    pair: np.ndarray  # pair ids (distinct)
    n: np.ndarray  # calls, long conversations, answered calls of each pair
    talk: np.ndarray
    answered: np.ndarray
    caller: np.ndarray  # distinct caller codes, sorted, with their first and last call
    first: np.ndarray
    last: np.ndarray
    row_at: np.ndarray  # where each caller's calls start in the rows, and the rows' end
    row_cell: np.ndarray  # per call, by caller: cell and device codes (-1: none)
    row_imei: np.ndarray
    t_min: int

    def __setstate__(self, state: dict[str, Any]) -> None:
        row_a = state.pop("row_a", None)
        if row_a is not None:  # (a checkpoint that kept each call's caller, not the starts)
            at = np.searchsorted(row_a, state["caller"]).astype(_I)
            state["row_at"] = np.append(at, np.array([row_a.shape[0]], _I))
        self.__dict__.update(state)


class CallWindow:
    """Calls summed by slices, and the running figures of the slices in the window.

    ``add`` takes calls in the pass's columns (``a``, ``b``, ``t`` µs, ``d`` s, ``cell``,
    ``imei``; or, for ``a``, ``b`` and ``imei``, their integer keys ``a_key``, ``b_key``
    and ``imei_key`` of ``records/codes.py``) in any order; ``move_to(lo, hi)`` makes the
    window the calls with ``lo <= t < hi`` (both whole slices); the figures are then read
    per number code.
    """

    def __init__(self, slice_s: int, talk_s: int, context: pl.DataFrame | None = None) -> None:
        self.slice_us = slice_s * _US
        self.talk_s = talk_s
        self.numbers, self.cells, self.devices = Codes(), Codes(), Codes()
        # per number code: registered enterprise or service number, activation, enterprise
        self.context = pl.DataFrame(
            schema={"msisdn": pl.String, "activated_us": pl.Int64, "enterprise": pl.Boolean}
        )
        if context is not None:
            self.context = context.select(self.context.columns).cast(self.context.schema)
        self.is_registered = np.zeros(0, bool)
        self.served = np.zeros(0, bool)  # in the subscriber table: the operator's own number
        self.activated_us = pl.Series("activated_us", [], pl.Int64)
        self.enterprise = pl.Series("enterprise", [], pl.Boolean)
        self._keys = np.zeros(0, np.int64)  # every pair's key, sorted, and its id
        self._ids = np.zeros(0, _I)
        self.pair_a = np.zeros(0, _I)
        self.pair_b = np.zeros(0, _I)
        self._rev = np.zeros(0, _I)  # the pair the other way round, -1 if none
        self.pair_n = np.zeros(0, _I)  # calls in the window per pair
        self.fig = {k: np.zeros(0, _I) for k in _FIGURES}
        self.parts: dict[int, list[_Part]] = {}  # slice -> its summed batches
        self.applied: set[tuple[int, int]] = set()  # (slice, part) in the running figures
        self.span = (0, 0)  # the window's slices [lo, hi)

    # -- adding calls ------------------------------------------------------------------------

    #: whether another window shares this one's slices and pairs (:meth:`twin`). (A class
    #: default too: a stream checkpoint written before it loads.)
    _twinned = False

    def twin(self) -> CallWindow:
        """A window over the same summed calls, with running figures of its own, to be
        moved to other checkpoints than this one in another thread (batch scoring's
        checkpoints, once every call is added). The two share the slices and the pairs, so
        from then on neither takes calls nor forgets pairs (forgetting only saves memory:
        the groups are the same)."""
        twin = copy.copy(self)
        twin.fig = {k: v.copy() for k, v in self.fig.items()}
        twin.pair_n = self.pair_n.copy()
        twin.applied = set(self.applied)
        twin.parts = {s: list(parts) for s, parts in self.parts.items()}
        self._twinned = twin._twinned = True
        return twin

    def caught_up(self, other: CallWindow) -> None:
        """This window's running figures become those of ``other``, a twin (the same
        slices and pairs), where it stands: a copy of them instead of adding the slices
        ``other`` has moved past (batch scoring's two threads of checkpoints, each window a
        checkpoint behind the other)."""
        n = len(self.numbers)
        for k, v in self.fig.items():
            v[:n] = other.fig[k][:n]
        self.pair_n[:] = other.pair_n
        self.applied = set(other.applied)
        self.parts = {s: list(parts) for s, parts in other.parts.items()}
        self.span = other.span

    #: where each caller's pairs start among the keys (``caller_starts``), found once the keys
    #: are read after they change; not kept in a checkpoint (a class default: one written
    #: before it loads)
    _starts: np.ndarray | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_starts", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if "served" not in state:  # (a checkpoint from before ``served``: as it read then)
            state["served"] = state["activated_us"].is_not_null().to_numpy()
        self.__dict__.update(state)

    def add(self, calls: pl.DataFrame) -> None:
        """Sum calls (pass columns) into their slices.

        The window holds ``calls`` no longer than this: a caller that hands over its last
        reference (as :class:`~callwarden.detect.campaign_steps.CampaignTracker` does) has
        the texts go once they are coded."""
        n = calls.height
        if n == 0:
            return
        if self._twinned:
            raise RuntimeError("a window that shares its slices (twin) takes no more calls")
        before = len(self.numbers)
        if "a_key" in calls.columns:  # integer keys (records/codes.py): no text to code
            # (callers, then callees: the codes come in that order, as from the texts)
            a = self.numbers.encode_keys(calls["a_key"].to_numpy(), "+", _I)
            b = self.numbers.encode_keys(calls["b_key"].to_numpy(), "+", _I)
        else:
            a, b = self.numbers.encode(calls["a"]), self.numbers.encode(calls["b"])
        self._numbered(before)
        if "imei_key" in calls.columns:
            imei = self.devices.encode_keys(calls["imei_key"].to_numpy(), "", _I)
        else:
            imei = self.devices.encode(calls["imei"], _I)
        cell = self.cells.encode(calls["cell"], _I)
        t = calls["t"].to_numpy()
        d = calls["d"].cast(pl.Int32).to_numpy()
        del calls
        coded = [a, b, t, d, cell, imei]
        del a, b, t, d, cell, imei  # (let go once summed: see _add_coded)
        for slice_, part in self._add_coded(coded).items():
            self.parts.setdefault(slice_, []).append(part)

    def _add_coded(self, coded: list[np.ndarray]) -> dict[int, _Part]:
        """Coded calls (``coded``: caller and callee codes, µs, seconds, cell and device
        codes) summed, a part per slice. ``coded`` is emptied once the slices are summed, so
        that the calls go before the pairs are numbered (where the caller held no other
        reference).

        The calls are taken a slice at a time (a range of rows where they come in time
        order, as batch scoring hands them over; else found by counting), each slice's put
        in the order of its pair keys (caller, then callee) by one sort of its own, so that a
        run of them is one pair's calls, and summed in one compiled walk; then the batch's
        pairs are numbered at once."""
        a, b, t, d, cell, imei = coded
        n = a.shape[0]
        if n == 0:
            return {}
        if int(a.min()) < 0 or int(b.min()) < 0:  # (a code past the counts' ends)
            raise ValueError("a call without its caller's or its callee's number")
        step = self.slice_us
        rows: np.ndarray | None = None  # the calls by slice where they are not in time order
        if is_sorted(t) and (int(t[-1]) - int(t[0])) // step <= max(n, 1 << 16):
            lo, hi = int(t[0]) // step, int(t[-1]) // step
            at = np.searchsorted(t, np.arange(lo, hi + 2, dtype=np.int64) * step)
        else:
            s = t // step
            lo, hi = int(s.min()), int(s.max())
            s -= lo
            if hi - lo <= max(n, 1 << 16):  # (else a few calls years apart: compared)
                rows = np.empty(n, np.int64)
                counting_order(s, hi - lo + 1, rows)
            else:
                rows = np.argsort(s, kind="stable")
            at = np.searchsorted(s[rows], np.arange(hi - lo + 2, dtype=np.int64))
            del s
        bits = max(len(self.numbers) - 1, 1).bit_length()  # (every code below 2 ** bits)
        summed: dict[int, tuple[np.ndarray, ...]] = {}
        keys = np.empty(n, np.int64)  # every slice's run keys, one slice after the other
        start = [0]
        which: np.ndarray | None = None
        for k in np.flatnonzero(np.diff(at)).tolist():
            if rows is None:
                cut = slice(int(at[k]), int(at[k + 1]))
                x = (a[cut], b[cut], t[cut], d[cut], cell[cut], imei[cut])
            else:
                which = rows[at[k] : at[k + 1]]
                x = (a[which], b[which], t[which], d[which], cell[which], imei[which])
            runs = slice_runs(*_by_pair(x[0], x[1], bits), *x[2:], self.talk_s, keys[start[-1] :])
            summed[lo + k] = runs
            start.append(start[-1] + runs[0].shape[0])
        del a, b, t, d, cell, imei, x, runs
        rows = which = None
        coded.clear()
        # the batch's pairs: every slice's keys merged, distinct, numbered at once (each
        # slice's run keys then read their place among them)
        uniq = np.empty(start[-1], np.int64)
        uniq = uniq[: merge_runs(keys, np.array(start, np.int64), uniq)]
        ids = self._pair_ids(uniq)
        del uniq
        out: dict[int, _Part] = {}
        for (slice_, runs), r0, r1 in zip(summed.items(), start[:-1], start[1:], strict=True):
            calls, talk, answered, caller, first, last, row_at, row_cell, row_imei = runs
            pair = ids[keys[r0:r1]]
            out[slice_] = _Part(pair, calls, talk, answered, caller, first, last, row_at,
                                row_cell, row_imei, int(first.min()))  # fmt: skip
        return out

    def _numbered(self, before: int) -> None:
        """What is known of the numbers given codes from ``before`` on."""
        if len(self.numbers) == before:
            return
        new = self.numbers.strings.slice(before)
        self.is_registered = np.concatenate([self.is_registered, registered(new).to_numpy()])
        known = pl.DataFrame({"msisdn": new}).join(
            self.context, on="msisdn", how="left", maintain_order="left"
        )
        self.activated_us = pl.concat([self.activated_us, known["activated_us"]])
        # (a subscriber's ``enterprise`` is never null; a number not in the table has none)
        self.served = np.concatenate([self.served, known["enterprise"].is_not_null().to_numpy()])
        self.enterprise = pl.concat([self.enterprise, known["enterprise"].fill_null(False)])
        for k, v in self.fig.items():
            self.fig[k] = _grown(v, len(self.numbers))

    def _pair_ids(self, uniq: np.ndarray) -> np.ndarray:
        """Ids of the pairs with these keys (sorted, distinct), new pairs numbered as they
        come."""
        start = self.pair_a.shape[0]
        if start == 0 or uniq.shape[0] == 0 or uniq[0] > self._keys[-1]:
            # every pair new, past the known ones (the first calls)
            ids = fresh = np.arange(start, start + uniq.shape[0], dtype=_I)
            new = uniq
            self._keys = _then(self._keys, uniq)
            self._starts = None
            self._ids = _then(self._ids, fresh)
        else:
            m = self._keys.shape[0] + uniq.shape[0]
            keys, ids_of = np.empty(m, np.int64), np.empty(m, _I)
            ids = np.empty(uniq.shape[0], _I)
            count = merge_keys(self._keys, self._ids, uniq, start, keys, ids_of, ids)
            held = m - uniq.shape[0] + count
            # (the merged keys alone, not the room for all: they are the window's state)
            self._keys, self._ids = (
                x[:held] if held == m else x[:held].copy() for x in (keys, ids_of)
            )
            self._starts = None
            new = uniq[ids >= start]
            fresh = np.arange(start, start + count, dtype=_I)
        if new.shape[0]:
            callers, callees = np.empty(new.shape[0], _I), np.empty(new.shape[0], _I)
            key_numbers(new, callers, callees)
            self.pair_a = _then(self.pair_a, callers)
            self.pair_b = _then(self.pair_b, callees)
            del callers, callees
            self.pair_n = _then(self.pair_n, np.zeros(new.shape[0], _I))
            if start == 0:  # (the first pairs: each one's id is its place among the keys)
                self._rev = np.empty(self.pair_a.shape[0], _I)
                reverse_pairs(self.pair_a, self.pair_b, len(self.numbers), self._rev)
                return ids
            # the pair the other way round, for the new pairs and the pairs they reverse: the
            # new pairs come by caller, then callee, so by callee (stable) they are in the
            # order of their reverse keys
            order = np.empty(new.shape[0], np.int64)
            counting_order(self.pair_b[fresh], len(self.numbers), order)
            back = (self.pair_b[fresh].astype(np.int64) << _SHIFT) | self.pair_a[fresh]
            rev = self._id_of(back, order)
            self._rev = np.concatenate([self._rev, rev])
            self._rev[rev[rev >= 0]] = fresh[rev >= 0]
        return ids

    def _id_of(self, keys: np.ndarray, order: np.ndarray) -> np.ndarray:
        """The id of the pair of each key, -1 where there is none (looked up in the sorted
        keys, the wanted keys in ``order``, ascending: no table as large as all pairs)."""
        wanted = keys[order]
        pos = _search(self._keys, wanted)
        inside = pos < self._keys.shape[0]
        found = np.zeros(keys.shape[0], bool)
        found[inside] = self._keys[pos[inside]] == wanted[inside]
        out = np.full(keys.shape[0], -1, _I)
        out[order[found]] = self._ids[pos[found]]
        return out

    # -- the window --------------------------------------------------------------------------

    def move_to(self, lo_us: int, hi_us: int) -> None:
        """The window becomes the calls with ``lo_us <= t < hi_us`` (whole slices)."""
        lo, hi = lo_us // self.slice_us, hi_us // self.slice_us
        for s, k in sorted(self.applied):
            if not lo <= s < hi:
                self._apply(self.parts[s][k], -1)
                self.applied.discard((s, k))
        for s in sorted(self.parts):
            if lo <= s < hi:
                for k, part in enumerate(self.parts[s]):
                    if (s, k) not in self.applied:
                        self._apply(part, 1)
                        self.applied.add((s, k))
            elif s < lo:  # checkpoints move forward: a slice before the window is done
                del self.parts[s]
                self._idle_seen = None  # (its pairs may be idle now)
        self.span = (lo, hi)
        self._forget_pairs()

    #: pairs no call of the window or of a later slice holds are dropped once they are this
    #: many and at least half of all (a stream that runs for days meets new pairs every day)
    forget_at = 1_000_000
    #: the idle pairs the last count found, while no slice has gone since (None: unknown).
    #: Only a slice that goes leaves pairs idle (calls added or read into the window hold
    #: theirs), so until one does there are no more idle pairs than that: in batch scoring the
    #: later slices' pairs, not yet in the window, are counted once, not at every checkpoint.
    #: (A class default too: a stream checkpoint written before it loads.)
    _idle_seen: int | None = None

    def _forget_pairs(self) -> None:
        if self._twinned:  # (the pairs are shared: see twin)
            return
        idle_most = int(self.pair_n.shape[0] - np.count_nonzero(self.pair_n))
        if idle_most < self.forget_at or 2 * idle_most < self.pair_n.shape[0]:
            return  # (fewer idle pairs than that even before the later slices' are counted)
        seen = self._idle_seen
        if seen is not None and (seen < self.forget_at or 2 * seen < self.pair_n.shape[0]):
            return
        keep = self.pair_n > 0
        for parts in self.parts.values():
            for part in parts:
                keep[part.pair] = True
        idle = self._idle_seen = int(keep.shape[0] - keep.sum())
        if idle < self.forget_at or 2 * idle < keep.shape[0]:
            return
        self._idle_seen = 0
        new_id = (np.cumsum(keep) - 1).astype(_I)
        rev = self._rev[keep]
        there = rev >= 0
        there[there] = keep[rev[there]]
        self._rev = np.where(there, new_id[np.maximum(rev, 0)], -1).astype(_I)
        self.pair_a, self.pair_b, self.pair_n = (
            x[keep] for x in (self.pair_a, self.pair_b, self.pair_n)
        )
        held = keep[self._ids]
        self._keys, self._ids = self._keys[held], new_id[self._ids[held]]
        self._starts = None
        for parts in self.parts.values():
            for part in parts:
                part.pair = new_id[part.pair]

    def _apply(self, part: _Part, sign: int) -> None:
        fig = tuple(self.fig[k] for k in _FIGURES)
        apply_part(part.pair, part.n, part.talk, part.answered, sign,
                   self.pair_a, self.pair_b, self.pair_n, self._rev, fig)  # fmt: skip

    def _window_parts(self) -> list[_Part]:
        return [self.parts[s][k] for s, k in sorted(self.applied)]

    def first_time(self) -> int | None:
        """The time of the window's first call (µs), None when it is empty."""
        times = [p.t_min for p in self._window_parts()]
        return min(times) if times else None

    def pairs_of(self, callers: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(caller code, callee code, calls) of every pair of ``callers`` (distinct) in the
        window, by caller code, then callee code."""
        callers = np.sort(callers)
        # room for each caller's callees in the window (its running figure: the pairs
        # found, one more walk where that does not hold)
        room = int(self.fig["callees"][callers].sum())
        starts = self._starts
        if starts is None or starts.shape[0] != len(self.numbers) + 1:
            fits = self._keys.shape[0] < np.iinfo(_I).max
            starts = np.empty(len(self.numbers) + 1, _I if fits else np.int64)
            caller_starts(self._keys, len(self.numbers), starts)
            self._starts = starts
        while True:
            a, b, n = (np.empty(room, np.int64) for _ in range(3))
            got = pairs_in_window(starts, self._keys, self._ids, self.pair_n, callers, a, b, n)
            if got == room:
                return a, b, n
            room = got

    def callers(self, codes: np.ndarray) -> pl.DataFrame:
        """``code, first, last, cell, imei`` of ``codes`` (sorted, distinct) in the window:
        their first and last call, and their most used cell and device (the smallest of
        equals, as text).

        Read from each slice with one compiled walk over its sorted callers: their first and
        last call and, from where each caller's calls start, their cells and devices, into
        room as large as each one's calls in the window; each caller's most used found in its
        own few; only ties are decided on the texts."""
        out = pl.DataFrame({"code": codes})
        parts = self._window_parts()
        if not parts:
            return out.with_columns(
                first=pl.lit(None, pl.Int64), last=pl.lit(None, pl.Int64),
                cell=pl.lit(None, pl.String), imei=pl.lit(None, pl.String),
            )  # fmt: skip
        wanted = codes.astype(_I)  # (searched as the slices' own type: no copy of them)
        m = wanted.shape[0]
        first = np.full(m, np.iinfo(np.int64).max, np.int64)
        last = np.full(m, np.iinfo(np.int64).min, np.int64)
        # a caller's calls in the window's slices are its running calls: room for each
        # without a walk over the slices to count them (one where that does not hold)
        start = np.zeros(m + 1, np.int64)
        np.cumsum(self.fig["calls"][codes], out=start[1:])
        got = _gathered(parts, wanted, start, first, last)
        if got is None:
            rows = np.zeros(m, np.int64)
            for part in parts:
                caller_calls(part.caller, part.first, part.last, part.row_at, _NO_ROWS, wanted,
                             first, last, rows, _NO_ROWS, rows, True)  # fmt: skip
            np.cumsum(rows, out=start[1:])
            got = _gathered(parts, wanted, start, first, last)
            assert got is not None  # noqa: S101  (counted just now)
        cell, imei = got
        seen = pl.Series(first <= last)
        return out.with_columns(
            first=pl.when(seen).then(pl.Series(first)),
            last=pl.when(seen).then(pl.Series(last)),
            cell=_mode_texts(cell, start, self.cells),
            imei=_mode_texts(imei, start, self.devices),
        )


_NO_ROWS = (np.zeros(0, _I), np.zeros(0, _I))


#: calls in a slice from which its order by pair is counted (:func:`pair_order`), not compared
_RADIX_FROM = 1 << 14


def _by_pair(a: np.ndarray, b: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """The calls' positions in the order of their pair keys (caller, then callee codes,
    each below ``2 ** bits``), and the keys in that order: counted in a few passes where the
    calls are many, sorted where they are few."""
    key = np.empty(a.shape[0], np.int64)
    if a.shape[0] < _RADIX_FROM:
        pair_keys(a, b, key)
        order = np.argsort(key)
        return order, key[order]
    order = np.empty(a.shape[0], np.int64)
    pair_order(a, b, bits, key, order)
    return order, key


def _gathered(
    parts: list[_Part], wanted: np.ndarray, start: np.ndarray, first: np.ndarray,
    last: np.ndarray,
) -> tuple[np.ndarray, np.ndarray] | None:  # fmt: skip
    """The cells and devices of the calls of ``wanted`` in ``parts``, those of ``wanted[k]``
    at ``start[k]:start[k + 1]``, and their first and last calls (into ``first``, ``last``);
    None where they are not that many."""
    cell, imei = np.empty(int(start[-1]), _I), np.empty(int(start[-1]), _I)
    at = start[:-1].copy()
    for part in parts:
        columns = (part.row_cell, part.row_imei)
        caller_calls(part.caller, part.first, part.last, part.row_at, columns, wanted,
                     first, last, at, (cell, imei), start[1:], False)  # fmt: skip
    return (cell, imei) if np.array_equal(at, start[1:]) else None


def _mode_texts(values: np.ndarray, start: np.ndarray, codes_of: Codes) -> pl.Series:
    """The text of the most frequent code of each run ``values[start[k]:start[k + 1]]``
    (null: none), the smallest text of equally frequent codes."""
    best = np.empty(start.shape[0] - 1, np.int64)
    tied = np.empty((values.shape[0], 2), np.int64)
    got = modes(values, start, len(codes_of), best, tied)
    has = best >= 0
    if has.any():
        texts = pl.select(
            pl.when(pl.Series(has)).then(codes_of.decode(np.where(has, best, 0)))
        ).to_series()
    else:  # (perhaps no code at all: no text to gather)
        texts = pl.repeat(None, best.shape[0], dtype=pl.String, eager=True)
    if got:  # (a code's text is its own: the smallest of the tied texts)
        ties = pl.DataFrame({"k": tied[:got, 0], "text": codes_of.decode(tied[:got, 1])})
        won = ties.sort("k", "text").group_by("k", maintain_order=True).first()
        texts = texts.scatter(won["k"], won["text"])
    return texts


def slice_seconds(every_s: int, window_s: int) -> int:
    """The slice: every checkpoint and every window edge falls on a slice's edge.

    >>> slice_seconds(3600, 86_400), slice_seconds(900, 1000)
    (3600, 100)
    """
    return math.gcd(every_s, window_s)
