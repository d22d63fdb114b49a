"""Events as linked lists per owner (a number, a device), with event-time windows over them.

A pool holds every owner's events in shared arrays: each event's time, its signals (int32:
every signal is a whole number) and the next event of its owner. Each window keeps, per owner,
a pointer to its oldest event and the running sums of the signals in it; when an event leaves
the longest window its storage goes to a free list and is reused. :func:`push` and
:func:`advance` are compiled inline into the live engine's loop over records.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from callwarden.features.engines.compiled.hashtable import grow, resized

__all__ = ["Pool", "advance", "push"]


@numba.njit(cache=True, inline="always")
def advance(pool_t: np.ndarray, nxt: np.ndarray, sig: np.ndarray, head: np.ndarray,
             tail: np.ndarray, free: np.ndarray, meta: np.ndarray, sums: np.ndarray,
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
            for k in range(sig.shape[1]):
                j = wmap[w, k]
                if j >= 0:
                    sums[s, j] -= sig[h, k]
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
          tail: np.ndarray, free: np.ndarray, meta: np.ndarray, sums: np.ndarray,
          wmap: np.ndarray, wms: np.ndarray, s: int, t: int, v: np.ndarray) -> None:  # fmt: skip
    """Append an event with signals ``v`` to owner ``s``'s list, then move its windows."""
    if meta[1] > 0:
        meta[1] -= 1
        e = free[meta[1]]
    else:
        e = meta[0]
        meta[0] += 1
    pool_t[e] = t
    nxt[e] = -1
    for k in range(sig.shape[1]):
        sig[e, k] = np.int32(v[k])
    if tail[s] >= 0:
        nxt[tail[s]] = e
    tail[s] = e
    for w in range(head.shape[1]):
        if head[s, w] < 0:
            head[s, w] = e
        for k in range(sig.shape[1]):
            j = wmap[w, k]
            if j >= 0:
                sums[s, j] += v[k]
    advance(pool_t, nxt, sig, head, tail, free, meta, sums, wmap, wms, s, t)


class Pool:
    """Events as linked lists per owner (number or device), with windows over them."""

    def __init__(self, width: int, windows: int) -> None:
        # event indices are int32: a pool holds one day's events of one consumer
        self.t = np.zeros(1024, np.int64)
        self.next = np.zeros(1024, np.int32)
        self.sig = np.zeros((1024, width), np.int32)
        self.free = np.zeros(1024, np.int32)
        self.meta = np.zeros(2, np.int64)  # used, free count
        self.head = np.full((1024, windows), -1, np.int32)
        self.tail = np.full(1024, -1, np.int32)

    def reserve(self, events: int, owners: int) -> None:
        """Room for ``events`` more events and ``owners`` owners."""
        room = self.t.shape[0] - int(self.meta[0]) + int(self.meta[1])
        if room < events:
            size = grow(self.t.shape[0], self.t.shape[0] + events - room)
            for name in ("t", "next", "sig", "free"):
                setattr(self, name, resized(getattr(self, name), size, 0))
        if self.tail.shape[0] < owners:
            size = grow(self.tail.shape[0], owners)
            self.head = resized(self.head, size, -1)
            self.tail = resized(self.tail, size, -1)

    def arrays(self) -> tuple[np.ndarray, ...]:
        return (self.t, self.next, self.sig, self.head, self.tail, self.free, self.meta)

    def __getstate__(self) -> dict[str, Any]:
        """The events' storage up to its last used row (a checkpoint copies and writes a fifth
        less; :meth:`reserve` grows it again after a restore)."""
        rows = max(int(self.meta[0]), 1024)
        state = dict(self.__dict__)
        for name in ("t", "next", "sig", "free"):
            state[name] = state[name][:rows]
        return state

    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.arrays())
