"""Compiled loops of the campaign pass's window (``detect/campaign_window.py``).

Each walks the rows it is given once, and none holds the interpreter (``nogil``): in batch
scoring the pass runs in a thread of its own beside the scoring thread, and a loop that held
the interpreter would take turns with it instead of running on the other core.

- :func:`apply_part` adds (or takes away) one summed batch of calls to the running figures,
  pair by pair, instead of marking the touched pairs in arrays as long as all pairs;
- :func:`key_numbers` reads a pair key's numbers;
- :func:`sorted_search` finds where sorted keys go in sorted keys in one walk, and
  :func:`merge_keys` merges them in;
- :func:`caller_starts` finds where each caller's pairs start, and :func:`pairs_in_window`
  lists the pairs of some callers that have calls in the window;
- :func:`counting_order` and :func:`counting_sort` sort small whole numbers by counting (no
  comparison sort);
- :func:`is_sorted`, :func:`pair_keys`, :func:`pair_order`, :func:`slice_runs` and
  :func:`merge_runs` sum a batch of calls by slice and pair; :func:`pair_counts` counts the
  rows of each pair;
- :func:`reverse_pairs` finds the pair the other way round of every pair;
- :func:`dialling` finds the numbers that may be a campaign's lines; :func:`callee_lines`
  counts the nodes calling each callee; :func:`components` finds the groups the edges make;
  :func:`medians` reads each group's medians;
- :func:`caller_calls` and :func:`modes` read the first and last call and the most used cell
  and device of some callers from the window's slices.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = [
    "apply_part",
    "callee_lines",
    "caller_calls",
    "caller_starts",
    "components",
    "counting_order",
    "counting_sort",
    "dialling",
    "is_sorted",
    "key_numbers",
    "medians",
    "merge_keys",
    "merge_runs",
    "modes",
    "pair_counts",
    "pair_keys",
    "pair_order",
    "pairs_in_window",
    "reverse_pairs",
    "slice_runs",
    "sorted_search",
]

_SHIFT = 32  # a pair's key: caller code << 32 | callee code


@numba.njit(cache=True, inline="always")
def _gallop(keys: np.ndarray, j: int, w: int) -> int:
    """Where ``w`` goes in ``keys[j:]`` (sorted; ``keys[j - 1] < w``), found by galloping
    from ``j``: steps of 1, 2, 4, ... until past it, then halving the last step. Walks over
    sorted wanted keys start each search where the last one ended, near it, instead of
    halving the whole array again from far away."""
    m = keys.shape[0]
    if j < m and keys[j] < w:
        step = 1
        while j + step < m and keys[j + step] < w:
            step *= 2
        lo, hi = j + step // 2, min(j + step, m)
        j = lo + int(np.searchsorted(keys[lo:hi], w))
    return j


@numba.njit(cache=True, nogil=True)
def apply_part(pair: np.ndarray, n: np.ndarray, talk: np.ndarray, answered: np.ndarray,
               sign: int, pair_a: np.ndarray, pair_b: np.ndarray, pair_n: np.ndarray,
               rev: np.ndarray, fig: tuple[np.ndarray, ...]) -> None:  # fmt: skip
    """Add ``sign`` times a part's pairs (ids, calls, long conversations, answered calls) to
    the calls per pair and to the figures per number code (``fig``: calls, talk, answered,
    inbound, callees, callers, repeat, back).

    A pair is mutual while it and the pair the other way round (``rev``) both have calls;
    ``back`` counts a caller's mutual pairs. A pair's change can change only its own and its
    reverse's status, and only where the pair gains its first calls or loses its last, so
    the changes are counted one pair at a time, as they happen. The callees' figures are
    added in a second walk: their numbers come in no order, and apart from the callers'
    (which come in order) their reads wait less on each other."""
    calls, long_, answer, inbound = fig[0], fig[1], fig[2], fig[3]
    callees, callers, repeat, back = fig[4], fig[5], fig[6], fig[7]
    m = pair.shape[0]
    became_of = np.empty(m, np.int8)  # per pair: -1 its last calls gone, 1 its first come
    for k in range(m):
        p = pair[k]
        a, r = pair_a[p], rev[p]
        old = pair_n[p]
        new = old + sign * n[k]
        pair_n[p] = new
        calls[a] += sign * n[k]
        long_[a] += sign * talk[k]
        answer[a] += sign * answered[k]
        became = np.int64(new > 0) - np.int64(old > 0)
        became_of[k] = became
        callees[a] += became
        repeat[a] += (new if new >= 2 else 0) - (old if old >= 2 else 0)
        # mutual: the pair's status changed while the pair the other way round has calls
        # (itself, where a number called itself)
        if became != 0 and r >= 0 and (r == p or pair_n[r] > 0):
            back[a] += became  # the pair itself
            if r != p:
                back[pair_a[r]] += became  # the pair the other way round, alike
    for k in range(m):
        b = pair_b[pair[k]]
        inbound[b] += sign * n[k]
        callers[b] += became_of[k]


@numba.njit(cache=True, nogil=True)
def sorted_search(keys: np.ndarray, wanted: np.ndarray, out: np.ndarray) -> None:
    """``out``: ``np.searchsorted(keys, wanted, "left")`` for ``wanted`` sorted ascending, in
    one walk that gallops over the gaps (:func:`_gallop`)."""
    j = 0
    for k in range(wanted.shape[0]):
        j = _gallop(keys, j, wanted[k])
        out[k] = j


@numba.njit(cache=True, nogil=True)
def merge_keys(keys: np.ndarray, ids: np.ndarray, wanted: np.ndarray, next_id: int,
               out_keys: np.ndarray, out_ids: np.ndarray, got: np.ndarray) -> int:  # fmt: skip
    """``wanted`` (sorted, distinct) merged into ``keys`` (sorted, distinct, with their
    ``ids``) as ``out_keys`` and ``out_ids`` (room for both); ``got[k]``: the id of
    ``wanted[k]``, a new key's ``next_id``, ``next_id + 1``, ... in order. Returns how many
    keys were new. (One walk, :func:`_gallop` over the keys between wanted ones.)"""
    i, o, fresh, m = 0, 0, 0, keys.shape[0]
    for k in range(wanted.shape[0]):
        w = wanted[k]
        j = _gallop(keys, i, w)
        out_keys[o : o + j - i] = keys[i:j]
        out_ids[o : o + j - i] = ids[i:j]
        o += j - i
        i = j
        if i < m and keys[i] == w:
            got[k] = ids[i]
            i += 1
        else:
            got[k] = next_id + fresh
            fresh += 1
        out_keys[o] = w
        out_ids[o] = got[k]
        o += 1
    out_keys[o : o + m - i] = keys[i:]
    out_ids[o : o + m - i] = ids[i:]
    return fresh


@numba.njit(cache=True, nogil=True)
def caller_starts(keys: np.ndarray, size: int, out: np.ndarray) -> None:
    """``out[x]``: where the pairs of caller ``x`` (``0 <= x <= size``) start among ``keys``
    (sorted), ``np.searchsorted(keys, x << 32)``, in one walk."""
    j, m = 0, keys.shape[0]
    for x in range(size + 1):
        while j < m and (keys[j] >> _SHIFT) < x:
            j += 1
        out[x] = j


@numba.njit(cache=True, nogil=True)
def pairs_in_window(starts: np.ndarray, keys: np.ndarray, ids: np.ndarray, pair_n: np.ndarray,
                    callers: np.ndarray, out_a: np.ndarray, out_b: np.ndarray,
                    out_n: np.ndarray) -> int:  # fmt: skip
    """The pairs of ``callers`` (sorted, distinct) with calls in the window, in key order:
    caller code, callee code and calls into ``out_a``, ``out_b``, ``out_n`` (those past
    their room are not written); returns how many. ``keys``: every pair's key, sorted, and
    ``ids`` its id; ``starts``: where each caller's pairs start among them
    (:func:`caller_starts`), so that a caller's pairs are one read away."""
    got, room = 0, out_a.shape[0]
    mask = (np.int64(1) << _SHIFT) - 1
    for k in range(callers.shape[0]):
        c = callers[k]
        for j in range(starts[c], starts[c + 1]):
            calls = pair_n[ids[j]]
            if calls > 0:
                if got < room:
                    out_a[got] = c
                    out_b[got] = keys[j] & mask
                    out_n[got] = calls
                got += 1
    return got


@numba.njit(cache=True, nogil=True)
def counting_order(values: np.ndarray, size: int, out: np.ndarray) -> None:
    """``out``: the positions of ``values`` (whole numbers ``0 <= v < size``) in a stable
    ascending order, ``np.argsort(values, kind="stable")``, by counting."""
    counting_sort(values, size, np.arange(values.shape[0]), out)


@numba.njit(cache=True, nogil=True)
def counting_sort(values: np.ndarray, size: int, order: np.ndarray, out: np.ndarray) -> None:
    """``out``: the positions ``order`` stably sorted by their ``values`` (whole numbers
    ``0 <= v < size``), ``order[np.argsort(values[order], kind="stable")]``, by counting.
    Sorted by one column, then by another, positions are in the order of both (the last
    first), ties in their first order."""
    start = np.zeros(size + 1, np.int64)
    for k in range(order.shape[0]):
        start[values[order[k]] + 1] += 1
    for v in range(size):
        start[v + 1] += start[v]
    for k in range(order.shape[0]):
        i = order[k]
        v = values[i]
        out[start[v]] = i
        start[v] += 1


@numba.njit(cache=True, nogil=True)
def is_sorted(t: np.ndarray) -> bool:
    """Whether ``t`` is in ascending order (as batch scoring hands over the day's calls)."""
    for k in range(1, t.shape[0]):  # noqa: SIM110  (compiled: no generators)
        if t[k] < t[k - 1]:
            return False
    return True


@numba.njit(cache=True, nogil=True)
def pair_keys(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """``out``: each call's pair key, ``a << 32 | b`` (caller and callee codes)."""
    for k in range(a.shape[0]):
        out[k] = (np.int64(a[k]) << _SHIFT) | np.int64(b[k])


_DIGIT = 11  # bits a pass of :func:`pair_order` sorts by: its counts fit the first cache


@numba.njit(cache=True, nogil=True)
def pair_order(a: np.ndarray, b: np.ndarray, bits: int, key: np.ndarray,
               order: np.ndarray) -> None:  # fmt: skip
    """``order``: the calls in the order of their pair keys (:func:`pair_keys`), ties in the
    order they came (``np.argsort(keys, kind="stable")``); ``key``: the keys in that order.
    By a least-significant-digit radix sort of the codes (``0 <= a, b < 2 ** bits``): a few
    passes of counts and one write each, no comparisons."""
    m = a.shape[0]
    size = 1 << _DIGIT
    mask = size - 1
    passes = max(1, (2 * bits + _DIGIT - 1) // _DIGIT)
    value = np.empty(m, np.int64)  # (caller and callee codes side by side, 2 * bits)
    count = np.zeros((passes, size + 1), np.int64)
    for k in range(m):
        v = (np.int64(a[k]) << bits) | np.int64(b[k])
        value[k] = v
        for p in range(passes):
            count[p, ((v >> (p * _DIGIT)) & mask) + 1] += 1
    src_v, src_i = value, np.arange(m)
    dst_v, dst_i = np.empty(m, np.int64), order
    for p in range(passes):
        at = count[p]
        for j in range(size):
            at[j + 1] += at[j]
        shift = p * _DIGIT
        for k in range(m):
            v = src_v[k]
            d = (v >> shift) & mask
            dst_v[at[d]] = v
            dst_i[at[d]] = src_i[k]
            at[d] += 1
        src_v, dst_v = dst_v, src_v
        src_i, dst_i = dst_i, src_i
    if passes % 2 == 0:  # (the last pass wrote the scratch positions)
        order[:] = src_i
    low = (np.int64(1) << bits) - 1
    for k in range(m):
        key[k] = ((src_v[k] >> bits) << _SHIFT) | (src_v[k] & low)


@numba.njit(cache=True, nogil=True)
def pair_counts(a: np.ndarray, b: np.ndarray, bits: int, out: np.ndarray) -> None:
    """``out[k]``: how many rows hold the pair ``(a[k], b[k])`` (``0 <= a, b < 2 ** bits``),
    ``np.unique(a << 32 | b, return_inverse=True, return_counts=True)``'s counts of each
    row's pair, found by :func:`pair_order` and one walk over its runs (no comparisons)."""
    m = a.shape[0]
    key, order = np.empty(m, np.int64), np.empty(m, np.int64)
    pair_order(a, b, bits, key, order)
    lo = 0
    for k in range(1, m + 1):
        if k == m or key[k] != key[lo]:
            for r in range(lo, k):
                out[order[r]] = k - lo
            lo = k


@numba.njit(cache=True, nogil=True)
def slice_runs(order: np.ndarray, key: np.ndarray, t: np.ndarray, d: np.ndarray,
               cell: np.ndarray, imei: np.ndarray, talk_s: int,
               run_key: np.ndarray) -> tuple[np.ndarray, ...]:  # fmt: skip
    """One slice's calls in ``order`` (by pair key: :func:`pair_keys`; ``key``: the keys in
    that order), summed in one walk: per run of one pair's calls, its key (into ``run_key``,
    from its start), calls, long conversations (``d >= talk_s``), answered calls (``d > 0``);
    per caller, its code, first and last call (``t``) and where its calls start in the rows
    (then the rows' end); per call in that order, its ``cell`` and ``imei``."""
    m = order.shape[0]
    calls = np.zeros(m, np.int32)
    talk = np.zeros(m, np.int32)
    answered = np.zeros(m, np.int32)
    caller = np.empty(m, np.int32)
    first = np.empty(m, t.dtype)
    last = np.empty(m, t.dtype)
    row_at = np.empty(m + 1, np.int32)
    row_cell = np.empty(m, np.int32)
    row_imei = np.empty(m, np.int32)
    r, c = -1, -1
    prev_key, prev_a = np.int64(-1), np.int64(-1)
    for k in range(m):
        i = order[k]
        ki, ti, di = key[k], t[i], d[i]
        if ki != prev_key:
            r += 1
            run_key[r] = ki
            prev_key = ki
            a = ki >> _SHIFT
            if a != prev_a:
                c += 1
                caller[c] = a
                first[c] = ti
                last[c] = ti
                row_at[c] = k
                prev_a = a
        calls[r] += 1
        talk[r] += di >= talk_s
        answered[r] += di > 0
        first[c] = min(first[c], ti)
        last[c] = max(last[c], ti)
        row_cell[k] = cell[i]
        row_imei[k] = imei[i]
    r, c = r + 1, c + 1
    row_at[c] = m
    return (calls[:r].copy(), talk[:r].copy(), answered[:r].copy(), caller[:c].copy(),
            first[:c].copy(), last[:c].copy(), row_at[: c + 1].copy(), row_cell,
            row_imei)  # fmt: skip


@numba.njit(cache=True, nogil=True)
def merge_runs(keys: np.ndarray, start: np.ndarray, out: np.ndarray) -> int:
    """The runs ``keys[start[s]:start[s + 1]]`` (each sorted) merged: their distinct keys
    into ``out``, ascending, and each key's place among them written over it in ``keys``;
    returns how many. (A heap of the runs' next keys: one walk over each run, no sort.)"""
    m = start.shape[0] - 1
    head = start[:-1].copy()
    heap = np.empty(m, np.int64)  # runs, by their next key
    top = np.empty(m, np.int64)  # (their next keys)
    size = 0
    for r in range(m):
        if head[r] < start[r + 1]:
            # (sift up)
            j = size
            size += 1
            w = keys[head[r]]
            while j > 0 and top[(j - 1) // 2] > w:
                heap[j], top[j] = heap[(j - 1) // 2], top[(j - 1) // 2]
                j = (j - 1) // 2
            heap[j], top[j] = r, w
    got = 0
    while size > 0:
        r, w = heap[0], top[0]
        if got == 0 or out[got - 1] != w:
            out[got] = w
            got += 1
        i = head[r]
        keys[i] = got - 1
        head[r] = i + 1
        if head[r] < start[r + 1]:
            w = keys[head[r]]
        else:
            size -= 1
            r, w = heap[size], top[size]
        # (sift down from the root)
        j = 0
        while True:
            c = 2 * j + 1
            if c >= size:
                break
            if c + 1 < size and top[c + 1] < top[c]:
                c += 1
            if top[c] >= w:
                break
            heap[j], top[j] = heap[c], top[c]
            j = c
        if size > 0:
            heap[j], top[j] = r, w
    return got


@numba.njit(cache=True, nogil=True)
def key_numbers(keys: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    """The caller and callee codes of pair keys (``a << 32 | b``), into ``a`` and ``b``."""
    mask = (np.int64(1) << _SHIFT) - 1
    for k in range(keys.shape[0]):
        a[k] = keys[k] >> _SHIFT
        b[k] = keys[k] & mask


@numba.njit(cache=True, nogil=True)
def reverse_pairs(pair_a: np.ndarray, pair_b: np.ndarray, size: int, rev: np.ndarray) -> None:
    """``rev``: for each pair (caller ``pair_a``, callee ``pair_b``, codes ``< size``; the
    pairs distinct and in key order, each one's id its place), the id of the pair the other
    way round, -1 where there is none (itself where a number called itself).

    Each number's pairs as caller are in the order of their callees; its pairs as callee,
    put in the order of their callers by one counting sort (by callee, stable over the key
    order), are in the order of their callers: the two lists are walked side by side, and a
    number in both is a pair both ways. (No sort of the pairs, no search.)"""
    m = pair_a.shape[0]
    out_at = np.zeros(size + 1, np.int64)  # where each number's pairs as caller start
    in_at = np.zeros(size + 1, np.int64)  # ... and as callee, once sorted so
    for k in range(m):
        out_at[pair_a[k] + 1] += 1
        in_at[pair_b[k] + 1] += 1
    for v in range(size):
        out_at[v + 1] += out_at[v]
        in_at[v + 1] += in_at[v]
    fill = in_at[:-1].copy()
    in_id = np.empty(m, np.int32)  # the pairs by callee, then caller: id and caller
    in_caller = np.empty(m, np.int32)
    for k in range(m):
        v = pair_b[k]
        in_id[fill[v]] = k
        in_caller[fill[v]] = pair_a[k]
        fill[v] += 1
    for k in range(m):
        rev[k] = -1
    for x in range(size):
        i, i_end = out_at[x], out_at[x + 1]  # pairs (x, y), y ascending
        j, j_end = in_at[x], in_at[x + 1]  # pairs (y, x), y ascending
        while i < i_end and j < j_end:
            y_out, y_in = pair_b[i], in_caller[j]
            if y_out < y_in:
                i += 1
            elif y_out > y_in:
                j += 1
            else:
                rev[i] = in_id[j]
                i += 1
                j += 1


@numba.njit(cache=True, nogil=True)
def caller_calls(caller: np.ndarray, first: np.ndarray, last: np.ndarray, row_at: np.ndarray,
                 columns: tuple[np.ndarray, np.ndarray], wanted: np.ndarray,
                 out_first: np.ndarray, out_last: np.ndarray, at: np.ndarray,
                 out: tuple[np.ndarray, np.ndarray], room: np.ndarray,
                 count_only: bool) -> None:  # fmt: skip
    """For each of ``wanted`` (sorted, distinct) found in a slice's ``caller`` (sorted,
    distinct, with their ``first`` and ``last`` call, and ``row_at``, where their calls start
    in the slice's rows): ``out_first`` lowered to its first call, ``out_last`` raised to its
    last; with ``count_only``, ``at[k]`` grows by its calls; else the calls' ``columns`` are
    copied to ``out`` from ``at[k]`` on, which moves past them (those at or past ``room[k]``
    are not written: a room too small shows as ``at[k]`` past it). One galloping walk over
    the callers, :func:`_gallop`."""
    j, m = 0, caller.shape[0]
    for k in range(wanted.shape[0]):
        w = wanted[k]
        j = _gallop(caller, j, w)
        if j < m and caller[j] == w:
            out_first[k] = min(out_first[k], first[j])
            out_last[k] = max(out_last[k], last[j])
            lo, hi = row_at[j], row_at[j + 1]
            if count_only:
                at[k] += hi - lo
                continue
            p = at[k]
            for r in range(lo, hi):
                if p < room[k]:
                    out[0][p] = columns[0][r]
                    out[1][p] = columns[1][r]
                p += 1
            at[k] = p


@numba.njit(cache=True, nogil=True)
def dialling(calls: np.ndarray, talk: np.ndarray, inbound: np.ndarray, registered: np.ndarray,
             min_calls: int, out: np.ndarray) -> int:  # fmt: skip
    """The codes of the numbers that may be a campaign's lines into ``out``, ascending; returns
    how many: ``min_calls`` calls or more, under 35% of them long conversations, under 30% as
    many calls in, not registered (``np.flatnonzero`` of those tests, in one walk)."""
    got = 0
    for k in range(calls.shape[0]):
        c = calls[k]
        if c >= min_calls and talk[k] < 0.35 * c and inbound[k] < 0.3 * c and not registered[k]:
            out[got] = k
            got += 1
    return got


@numba.njit(cache=True, nogil=True)
def components(i: np.ndarray, j: np.ndarray, n: int, label: np.ndarray) -> None:
    """``label``: the connected component of each of ``n`` nodes, the edges ``i[k]-j[k]``
    read both ways, numbered in the order of their first node (as scipy's
    ``connected_components(directed=False)`` numbers them): a union-find over the edges,
    then one walk over the nodes."""
    root = np.arange(n)
    for k in range(i.shape[0]):
        x, y = i[k], j[k]
        while root[x] != x:  # (halving the path as it goes)
            root[x] = root[root[x]]
            x = root[x]
        while root[y] != y:
            root[y] = root[root[y]]
            y = root[y]
        if x != y:
            root[max(x, y)] = min(x, y)  # (a component's root its smallest node)
    got = 0
    for v in range(n):
        r = v
        while root[r] != r:
            r = root[r]
        if r == v:
            label[v] = got
            got += 1
        else:
            label[v] = label[r]


@numba.njit(cache=True, nogil=True)
def medians(values: np.ndarray, valid: np.ndarray, start: np.ndarray, out: np.ndarray) -> None:
    """``out[g]``: the median (``np.median``'s: the middle value, or the mean of the two
    middle ones) of the ``valid`` values of the run ``values[start[g]:start[g + 1]]``, NaN
    where it has none; each run's few values sorted on their own."""
    for g in range(start.shape[0] - 1):
        lo, hi = start[g], start[g + 1]
        mine = np.empty(hi - lo, np.float64)
        m = 0
        for r in range(lo, hi):
            if valid[r]:
                mine[m] = values[r]
                m += 1
        if m == 0:
            out[g] = np.nan
            continue
        mine = np.sort(mine[:m])
        top = m // 2
        out[g] = (mine[top if m % 2 == 1 else top - 1] + mine[top]) / 2


@numba.njit(cache=True, nogil=True)
def callee_lines(b: np.ndarray, counted: np.ndarray, size: int) -> np.ndarray:
    """Per pair, how many of the pairs ``counted`` have its callee ``b`` (``0 <= b <
    size``): ``np.bincount(b[counted], minlength=size)[b]``, counted in a table of int32."""
    count = np.zeros(size, np.int32)
    for k in range(b.shape[0]):
        if counted[k]:
            count[b[k]] += 1
    out = np.empty(b.shape[0], np.int64)
    for k in range(b.shape[0]):
        out[k] = count[b[k]]
    return out


@numba.njit(cache=True, nogil=True)
def modes(values: np.ndarray, start: np.ndarray, size: int, best: np.ndarray,
          tied: np.ndarray) -> int:  # fmt: skip
    """The most frequent value (``0 <= v < size``; a negative one is none) of each run
    ``values[start[k]:start[k + 1]]`` into ``best[k]`` (-1: none). Where several values are
    as frequent, ``best[k]`` is -2 and the run's number and each of those values are written
    to ``tied`` (rows ``(k, value)``, room for as many as ``values``); returns how many rows.
    (Counted in one table of ``size`` counts, each run's counts cleared after it: no sort.)"""
    count = np.zeros(size, np.int32)
    got = 0
    for k in range(start.shape[0] - 1):
        lo, hi = start[k], start[k + 1]
        top = 0
        for r in range(lo, hi):
            v = values[r]
            if v >= 0:
                count[v] += 1
                top = max(top, count[v])
        many = 0
        for r in range(lo, hi):  # the values that reach it, each once (its count cleared)
            v = values[r]
            if v >= 0:
                if count[v] == top:
                    tied[got + many, 0] = k
                    tied[got + many, 1] = v
                    many += 1
                count[v] = 0
        if many == 0:
            best[k] = -1
        elif many == 1:
            best[k] = tied[got, 1]
        else:
            best[k] = -2
            got += many
    return got
