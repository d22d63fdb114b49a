"""Events as linked lists per owner (a number, a device), with event-time windows over them.

A pool holds every owner's events in shared arrays: each event's time, its signals and the next
event of its owner. Signals that are only ever 0 or 1 (``binary``) are bits of one int32 per
event; the others are int32 columns (every signal is a whole number); a signal that is a
function of others (``derived``: a square, or another signal where a bit is set, such as the
gaps' squares and the inner gaps of the stream's acting events) is not stored at all but read
from them: an event of the stream's 23 acting signals takes 28 bytes instead of 108. Each
window keeps, per owner, a pointer to its
oldest event and the running sums of the signals in it (int32, and int64 for durations: see
:func:`_add`); when an event leaves the longest window its storage goes to a free list and is
reused. :func:`push` and :func:`advance` are compiled inline into the live engine's loop.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from callwarden.features.engines.compiled.hashtable import grow, resized

__all__ = ["Pool", "advance", "advance_to", "push", "push_counted_to", "push_to"]


@numba.njit(cache=True, inline="always")
def _stored(sig: np.ndarray, bits: np.ndarray, col: np.ndarray, e: int, k: int) -> np.int64:
    """Stored signal ``k`` of event ``e``: its column, or its bit (``col[k] < 0``: bit
    ``-1 - col``)."""
    c = col[k]
    if c >= 0:
        return np.int64(sig[e, c])
    return np.int64((bits[e] >> (-1 - c)) & 1)


@numba.njit(cache=True, inline="always")
def _signal(sig: np.ndarray, bits: np.ndarray, col: np.ndarray, der: np.ndarray, e: int,
            k: int) -> np.int64:  # fmt: skip
    """Signal ``k`` of event ``e``, stored or derived (``der[k]``: see :func:`derivations`)."""
    src = der[k, 0]
    if src < 0:
        return _stored(sig, bits, col, e, k)
    x = _stored(sig, bits, col, e, src)
    if der[k, 1]:
        x = x * x
    if der[k, 2] >= 0 and _stored(sig, bits, col, e, der[k, 2]) == 0:
        x = np.int64(0)
    return x


@numba.njit(cache=True, inline="always")
def _add(sums: np.ndarray, longs: np.ndarray, s: int, j: int, x: np.int64) -> None:
    """Add ``x`` to owner ``s``'s running sum ``j``: a column of ``sums`` (int32) when
    ``j >= 0``, else column ``-2 - j`` of ``longs`` (int64: durations); -1 is no sum."""
    if j >= 0:
        sums[s, j] += x
    elif j < -1:
        longs[s, -2 - j] += x


@numba.njit(cache=True, inline="always")
def advance(pool_t: np.ndarray, nxt: np.ndarray, sig: np.ndarray, head: np.ndarray,
             tail: np.ndarray, free: np.ndarray, meta: np.ndarray, bits: np.ndarray,
             col: np.ndarray, der: np.ndarray, sums: np.ndarray, longs: np.ndarray,
             wmap: np.ndarray, wms: np.ndarray, s: int, t: int) -> None:  # fmt: skip
    """Move every window ``(t - w, t]`` of owner ``s`` up to ``t``, taking leavers out of sums.

    ``meta`` is ``[used, free count]``; windows are shortest first, so events that leave the
    last window leave them all and their storage goes back to the free list.
    """
    nw = head.shape[1]
    for w in range(nw):
        h = head[s, w]
        if h < 0:
            continue
        edge = t - wms[w]
        while h >= 0 and pool_t[h] <= edge:
            for k in range(col.shape[0]):
                _add(sums, longs, s, wmap[w, k], -_signal(sig, bits, col, der, h, k))
            h = nxt[h]
        if w == nw - 1:
            g = head[s, w]
            while g != h:
                after = nxt[g]
                free[meta[1]] = g
                meta[1] += 1
                g = after
            if h < 0:
                tail[s] = -1
        head[s, w] = h


@numba.njit(cache=True, inline="always")
def push(pool_t: np.ndarray, nxt: np.ndarray, sig: np.ndarray, head: np.ndarray,
          tail: np.ndarray, free: np.ndarray, meta: np.ndarray, bits: np.ndarray,
          col: np.ndarray, der: np.ndarray, sums: np.ndarray, longs: np.ndarray,
          wmap: np.ndarray, wms: np.ndarray, s: int, t: int, v: np.ndarray) -> None:  # fmt: skip
    """Append an event with signals ``v`` to owner ``s``'s list, then move its windows.

    Derived signals are not stored: ``v`` must hold what :func:`_signal` reads back for them
    (the sums take ``v`` in and :func:`_signal` out)."""
    if meta[1] > 0:
        meta[1] -= 1
        e = free[meta[1]]
    else:
        e = meta[0]
        meta[0] += 1
    pool_t[e] = t
    nxt[e] = -1
    mask = 0
    for k in range(col.shape[0]):
        c = col[k]
        if der[k, 0] >= 0:
            continue
        if c >= 0:
            sig[e, c] = np.int32(v[k])
        elif v[k] != 0.0:
            mask |= 1 << (-1 - c)
    bits[e] = np.int32(mask)
    if tail[s] >= 0:
        nxt[tail[s]] = e
    tail[s] = e
    for w in range(head.shape[1]):
        if head[s, w] < 0:
            head[s, w] = e
        for k in range(col.shape[0]):
            _add(sums, longs, s, wmap[w, k], np.int64(v[k]))
    advance(pool_t, nxt, sig, head, tail, free, meta, bits, col, der, sums, longs, wmap, wms, s,
            t)  # fmt: skip


@numba.njit(cache=True, inline="always")
def push_to(p: Any, tot: Any, wmap: np.ndarray, wms: np.ndarray, s: int, t: int,
            v: np.ndarray) -> None:  # fmt: skip
    """:func:`push` into the pool whose arrays are ``p`` (:meth:`Pool.arrays`), its sums
    ``tot`` (``(sums, longs)``)."""
    push(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], tot[0], tot[1], wmap, wms,
         s, t, v)  # fmt: skip


@numba.njit(cache=True, inline="always")
def advance_to(p: Any, tot: Any, wmap: np.ndarray, wms: np.ndarray, s: int,
               t: int) -> None:  # fmt: skip
    """:func:`advance` in the pool whose arrays are ``p`` (:meth:`Pool.arrays`), its sums
    ``tot`` (``(sums, longs)``)."""
    advance(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], tot[0], tot[1], wmap,
            wms, s, t)  # fmt: skip


@numba.njit(cache=True, inline="always")
def push_counted_to(p: Any, tot: Any, wmap: np.ndarray, wms: np.ndarray, s: int, t: int,
                    v: np.ndarray) -> None:  # fmt: skip
    """:func:`push_to` for a pool read only through its sums (the devices' new SIMs): an event
    whose signals are all 0 adds nothing to them, so it is not kept; the windows move on (the
    pool then holds a device's new SIMs, not all its calls)."""
    for k in range(v.shape[0]):
        if v[k] != 0.0:
            push_to(p, tot, wmap, wms, s, t, v)
            return
    advance_to(p, tot, wmap, wms, s, t)


#: how a derived signal is read from stored ones: ``position -> (source, squared, gate)``, the
#: source's value (squared), or 0 where the gate (a binary signal; -1: none) is 0
Derived = dict[int, tuple[int, bool, int]]


def columns(width: int, binary: tuple[int, ...], derived: tuple[int, ...] = ()) -> np.ndarray:
    """Per signal, its int32 column (``>= 0``) or its bit (``-1 - bit``): ``binary`` names the
    signals (positions) that are only ever 0 or 1; ``derived`` those not stored (their entry,
    0, is not read).

    >>> columns(4, (1, 3)).tolist()
    [0, -1, 1, -2]
    >>> columns(4, (1,), derived=(2,)).tolist()
    [0, -1, 0, 1]
    """
    if len(binary) > 31:
        raise ValueError("at most 31 binary signals fit one int32 per event")
    col = np.zeros(width, np.int64)
    value = bit = 0
    for k in range(width):
        if k in derived:
            continue
        if k in binary:
            col[k], bit = -1 - bit, bit + 1
        else:
            col[k], value = value, value + 1
    return col


def derivations(width: int, derived: Derived) -> np.ndarray:
    """``der[k] = (source, squared, gate)`` for the derived signals, ``(-1, 0, -1)`` for the
    stored ones (what the compiled code reads).

    >>> derivations(3, {2: (0, True, 1)}).tolist()
    [[-1, 0, -1], [-1, 0, -1], [0, 1, 1]]
    """
    der = np.full((width, 3), -1, np.int64)
    der[:, 1] = 0
    for k, (source, squared, gate) in derived.items():
        if source in derived or gate in derived:
            raise ValueError("a derived signal is read from stored signals only")
        der[k] = (source, int(squared), gate)
    return der


class Pool:
    """Events as linked lists per owner (number or device), with windows over them.

    ``binary``: positions of the signals that are only ever 0 or 1, kept as bits;
    ``derived``: signals read from others, not stored (:data:`Derived`); ``times``: the
    events' times' type."""

    def __init__(
        self, width: int, windows: int, binary: tuple[int, ...] = (),
        derived: Derived | None = None, times: type[np.integer[Any]] = np.int64,
    ) -> None:  # fmt: skip
        derived = derived or {}
        # event indices are int32: a pool holds one day's events of one consumer
        self.col = columns(width, binary, tuple(derived))
        self.der = derivations(width, derived)
        self.t = np.zeros(1024, times)  # (int32: offsets from a base, live.py)
        self.next = np.zeros(1024, np.int32)
        self.sig = np.zeros((1024, width - len(binary) - len(derived)), np.int32)
        self.bits = np.zeros(1024, np.int32)
        self.free = np.zeros(1024, np.int32)
        self.meta = np.zeros(2, np.int64)  # used, free count
        self.head = np.full((1024, windows), -1, np.int32)
        self.tail = np.full(1024, -1, np.int32)
        #: owner rows of ``head`` and ``tail`` set to "no event" (-1): rows past them are left
        #: unwritten (zeros the kernel maps only when used) until an owner takes them
        self.owners = 1024

    @property
    def width(self) -> int:
        """Signals per event."""
        return int(self.col.shape[0])

    def reserve(self, events: int, owners: int) -> None:
        """Room for ``events`` more events and ``owners`` owners."""
        room = self.t.shape[0] - int(self.meta[0]) + int(self.meta[1])
        if room < events:
            size = grow(self.t.shape[0], self.t.shape[0] + events - room)
            for name in _EVENT_ARRAYS:
                if name != "free":
                    setattr(self, name, resized(getattr(self, name), size, 0))
            self.free = _free_list(self.free, int(self.meta[1]), size)
        if self.tail.shape[0] < owners:
            size = grow(self.tail.shape[0], owners)
            self.head = resized(self.head, size, 0)
            self.tail = resized(self.tail, size, 0)
        if self.owners < owners:
            self.head[self.owners : owners] = -1
            self.tail[self.owners : owners] = -1
            self.owners = owners

    def arrays(self) -> tuple[np.ndarray, ...]:
        return (self.t, self.next, self.sig, self.head, self.tail, self.free, self.meta,
                self.bits, self.col, self.der)  # fmt: skip

    def signals(self) -> np.ndarray:
        """Every stored event's signals, derived ones included, as one int32 array (events x
        width), for tests."""
        rows = int(self.meta[0])
        out = np.empty((rows, self.width), np.int32)
        for k, c in enumerate(self.col.tolist()):
            if self.der[k, 0] < 0:
                out[:, k] = self.sig[:rows, c] if c >= 0 else (self.bits[:rows] >> (-1 - c)) & 1
        for k in np.flatnonzero(self.der[:, 0] >= 0).tolist():
            source, squared, gate = self.der[k].tolist()
            x = out[:, source] * out[:, source] if squared else out[:, source].copy()
            out[:, k] = np.where(out[:, gate] != 0, x, 0) if gate >= 0 else x
        return out

    def __getstate__(self) -> dict[str, Any]:
        """The events' storage up to its last used row (a checkpoint copies and writes a fifth
        less; :meth:`reserve` grows it again after a restore)."""
        rows = max(int(self.meta[0]), 1024)
        state = dict(self.__dict__)
        for name in _EVENT_ARRAYS:
            if name in state:  # (a pool restored from before bits has none until packed)
                state[name] = state[name][:rows]
        state["free"] = self.free[: int(self.meta[1])]  # (the free list itself)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """A pool pickled before binary signals were bits has every signal as a column: it
        keeps them so (no bits; the owner may repack it, :meth:`pack`)."""
        if "col" not in state:
            width = state["sig"].shape[1]
            state["col"] = columns(width, ())
            state["bits"] = np.zeros(state["t"].shape[0], np.int32)
        # from before derived signals (every signal stored) and lazily set owner rows
        state.setdefault("der", derivations(state["col"].shape[0], {}))
        state.setdefault("owners", state["tail"].shape[0])
        # the free list holds at most every event: room for as many as the arrays
        state["free"] = _free_list(state["free"], int(state["meta"][1]), state["t"].shape[0])
        self.__dict__.update(state)

    def pack(self, binary: tuple[int, ...], derived: Derived | None = None) -> None:
        """Keep the signals ``binary`` as bits and ``derived`` unstored (a pool restored from
        an older checkpoint, where every signal was a column, or only the binary ones bits)."""
        derived = derived or {}
        col = columns(self.width, binary, tuple(derived))
        der = derivations(self.width, derived)
        if np.array_equal(col, self.col) and np.array_equal(der, self.der):
            return
        every = self.signals() if int(self.meta[0]) else np.zeros((0, self.width), np.int32)
        size = self.t.shape[0]
        self.col, self.der = col, der
        self.sig = np.zeros((size, self.width - len(binary) - len(derived)), np.int32)
        self.bits = np.zeros(size, np.int32)
        rows = every.shape[0]
        for k, c in enumerate(col.tolist()):
            if k in derived:
                continue
            if c >= 0:
                self.sig[:rows, c] = every[:, k]
            else:
                self.bits[:rows] |= (every[:, k] != 0).astype(np.int32) << (-1 - c)

    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.arrays())


#: the arrays with a row per event
_EVENT_ARRAYS = ("t", "next", "sig", "bits", "free")


def _free_list(free: np.ndarray, count: int, size: int) -> np.ndarray:
    """The free list in an array of ``size`` rows, its ``count`` entries copied: the rest is
    never written (on a stream's first day nothing leaves the longest window, and the list
    stays empty: its pages are not mapped at all)."""
    out = np.zeros(size, np.int32)
    out[:count] = free[:count]
    return out
