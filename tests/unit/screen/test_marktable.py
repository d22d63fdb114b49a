"""The compact marks table: lookups, the overlay of recent changes, folding it in, its size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from callwarden.reputation.categories import Category
from callwarden.screen.marktable import MarkTable

AT = datetime(2026, 12, 1, tzinfo=UTC)


def test_lookup_scores_decay_from_one_reference_moment() -> None:
    rows = [
        (8613800000001, "fraud", 2.0, AT),
        (8613800000001, "marketing", 0.5, AT - timedelta(days=30)),  # one half-life older
        (8613800000002, "delivery", 1.0, AT),
    ]
    table = MarkTable.from_rows(rows, AT)
    got = table.lookup(8613800000001, AT)
    assert [c for c, _ in got] == [Category.FRAUD, Category.MARKETING]
    assert got[1][1] == pytest.approx(1 - np.exp(-0.25), rel=1e-5)
    later = dict(table.lookup(8613800000001, AT + timedelta(days=30)))
    assert later[Category.FRAUD] == pytest.approx(1 - np.exp(-1.0), rel=1e-5)
    assert table.lookup(8613800000003, AT) == []
    assert table.numbers() == 2 and len(table) == 3


def test_the_overlay_replaces_a_number_and_compaction_keeps_every_answer() -> None:
    rng = np.random.default_rng(1)
    keys = np.unique(rng.integers(86130_0000_0000, 86139_9999_9999, 5000))
    table = MarkTable.from_arrays(
        keys,
        np.zeros(len(keys), np.uint8),
        np.ones(len(keys), np.float32),
        AT,
    )
    gone, changed, new = int(keys[0]), int(keys[1]), 8617000000000
    table.put(gone, [])
    table.put(changed, [("one_ring", 3.0, AT)])
    table.put(new, [("marketing", 1.0, AT)])
    before = {k: table.lookup(k, AT) for k in [gone, changed, new, int(keys[2])]}
    assert before[gone] == [] and before[changed][0][0] is Category.ONE_RING
    folded = table.compacted()
    assert folded.overlay == {}
    assert {k: folded.lookup(k, AT) for k in before} == before
    assert len(folded) == len(keys) - 1 + 1  # one withdrawn, one new


def test_a_mark_takes_13_bytes() -> None:
    n = 100_000
    table = MarkTable.from_arrays(
        np.arange(n, dtype=np.int64), np.zeros(n, np.uint8), np.ones(n, np.float32), AT
    )
    assert table.nbytes == 13 * n
