"""The campaign pass's codes: first-seen order, -1 for missing, growth, checkpoints."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from callwarden.detect.campaign_codes import Codes, KeyCodes
from callwarden.stream.snapshot import read_state, write_state


def _first_seen(batches: list[np.ndarray]) -> list[np.ndarray]:
    """The codes a dictionary gives the keys, batch after batch (-1 for negative keys)."""
    index: dict[int, int] = {}
    return [
        np.array([index.setdefault(int(k), len(index)) if k >= 0 else -1 for k in b], np.int64)
        for b in batches
    ]


@pytest.mark.parametrize("seed", [0, 1])
def test_codes_come_in_first_seen_order_across_batches(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # keys spread over the whole int64 range and clustered ones (neighbouring numbers)
    pool = np.concatenate([rng.integers(0, 2**62, 3000), 8613800000000 + np.arange(3000)])
    batches = [rng.choice(pool, rng.integers(0, 5000)) for _ in range(6)]
    for b in batches:
        b[rng.random(b.shape[0]) < 0.05] = -1
    coder = KeyCodes()
    got = [coder.encode(b) for b in batches]
    for g, want in zip(got, _first_seen(batches), strict=True):
        assert g.dtype == np.int64 and g.tolist() == want.tolist()
    assert len(coder) == len({int(k) for b in batches for k in b if k >= 0})
    order = np.unique(np.concatenate(got), return_index=True)
    assert coder.keys()[order[0][1:]].tolist() == np.concatenate(batches)[order[1][1:]].tolist()


def test_missing_keys_read_minus_one_and_take_no_code() -> None:
    coder = KeyCodes()
    assert coder.encode(np.array([-1, -1], np.int64)).tolist() == [-1, -1]
    assert len(coder) == 0
    assert coder.encode(np.array([], np.int64)).tolist() == []
    assert coder.encode(np.array([0, -1, 0])).tolist() == [0, -1, 0]  # (0 is a key)
    narrow = coder.encode(np.array([7, -1, 0]), np.int32)  # (as the window keeps them)
    assert narrow.dtype == np.int32 and narrow.tolist() == [1, -1, 0]


def test_the_table_grows_past_its_first_size_in_one_batch_and_over_many() -> None:
    keys = np.arange(10_000, dtype=np.int64)[::-1] * 7919
    one = KeyCodes()
    assert one.encode(keys).tolist() == list(range(10_000))
    many = KeyCodes()
    for lo in range(0, 10_000, 700):
        assert many.encode(keys[lo : lo + 700]).tolist() == list(range(lo, min(lo + 700, 10_000)))
    for coder in (one, many):  # every key found again after the table was rebuilt
        assert coder.encode(keys[::-1]).tolist() == list(range(9_999, -1, -1))
        assert coder.keys().tolist() == keys.tolist()


def test_a_pickled_coder_goes_on_with_the_same_codes() -> None:
    coder = KeyCodes()
    coder.encode(np.arange(3000, dtype=np.int64) * 3)
    copy = pickle.loads(pickle.dumps(coder))  # noqa: S301  (its own pickle)
    more = np.array([9, 3001 * 3, 5, 3002 * 3, 3001 * 3], np.int64)
    assert copy.encode(more).tolist() == [3, 3000, 3001, 3002, 3000]
    assert coder.encode(more).tolist() == [3, 3000, 3001, 3002, 3000]
    assert copy.keys().tolist() == coder.keys().tolist()


def test_codes_of_keys_survive_a_stream_checkpoint(tmp_path: Path) -> None:
    codes = Codes()
    codes.encode_keys(np.array([8613800000002, -1, 8613800000001]), "+")
    write_state({"numbers": codes}, tmp_path / "ckpt")
    restored = read_state(tmp_path / "ckpt")["numbers"]
    got = restored.encode_keys(np.array([8613800000001, 8613800000003]), "+")
    assert got.tolist() == [1, 2]
    assert restored.decode(np.array([0, 1, 2])).to_list() == [
        "+8613800000002", "+8613800000001", "+8613800000003",
    ]  # fmt: skip


def test_a_checkpoint_written_with_the_keys_as_a_frame_still_loads(tmp_path: Path) -> None:
    """Checkpoints written before the compiled coder kept the keys' codes as a frame, and the
    class in ``detect/campaign_window.py``."""
    old = Codes()
    old.__dict__.update(
        strings=pl.Series("s", ["+8613800000002", "+8613800000001"]),
        by_key=pl.DataFrame({"k": [8613800000001, 8613800000002], "c": [1, 0]}),
        prefix="+",
    )
    raw = pickle.dumps(old, protocol=2).replace(
        b"callwarden.detect.campaign_codes\nCodes", b"callwarden.detect.campaign_window\nCodes"
    )
    assert b"campaign_window" in raw
    (tmp_path / "old.pkl").write_bytes(raw)
    restored = read_state(tmp_path / "old.pkl")
    assert isinstance(restored, Codes) and isinstance(restored.by_key, KeyCodes)
    got = restored.encode_keys(np.array([8613800000001, 8613800000005, 8613800000002]), "+")
    assert got.tolist() == [1, 2, 0]
    assert restored.decode(np.array([2])).to_list() == ["+8613800000005"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_galloping_search_finds_what_searchsorted_finds(seed: int) -> None:
    """(The window's lookups of sorted keys among its sorted pairs.)"""
    from callwarden.detect.campaign_kernels import sorted_search  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    keys = np.unique(rng.integers(0, 10_000, rng.integers(0, 3000)))
    wanted = np.sort(rng.integers(-5, 10_005, rng.integers(0, 4000)))
    out = np.empty(wanted.shape[0], np.int64)
    sorted_search(keys, wanted, out)
    assert out.tolist() == np.searchsorted(keys, wanted, "left").tolist()


def test_counting_order_is_the_stable_argsort() -> None:
    from callwarden.detect.campaign_kernels import counting_order  # noqa: PLC0415

    values = np.random.default_rng(3).integers(0, 50, 2000).astype(np.int32)
    out = np.empty(values.shape[0], np.int64)
    counting_order(values, 50, out)
    assert out.tolist() == np.argsort(values, kind="stable").tolist()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_counting_sorts_one_column_then_another_order_by_both(seed: int) -> None:
    """(The window's batches put in the order of caller, then callee: by callee, then
    caller; ties keep the order they came in.)"""
    from callwarden.detect.campaign_kernels import counting_sort  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 3000))
    a, b = rng.integers(0, 30, n).astype(np.int32), rng.integers(0, 40, n).astype(np.int32)
    by_b, order = np.empty(n, np.int64), np.empty(n, np.int64)
    counting_sort(b, 40, np.arange(n), by_b)
    counting_sort(a, 30, by_b, order)
    assert order.tolist() == np.lexsort((np.arange(n), b, a)).tolist()


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_keys_merged_in_get_their_old_ids_and_new_ones_in_order(seed: int) -> None:
    """(The window's pairs: a batch's pair keys merged into all pairs' keys.)"""
    from callwarden.detect.campaign_kernels import merge_keys  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    keys = np.unique(rng.integers(0, 5000, rng.integers(0, 2000)))
    ids = rng.permutation(keys.shape[0]).astype(np.int32)
    wanted = np.unique(rng.integers(-3, 5003, rng.integers(0, 2000)))
    m = keys.shape[0] + wanted.shape[0]
    out_keys, out_ids = np.empty(m, np.int64), np.empty(m, np.int32)
    got = np.empty(wanted.shape[0], np.int32)
    fresh = merge_keys(keys, ids, wanted, keys.shape[0], out_keys, out_ids, got)
    new = ~np.isin(wanted, keys)
    assert fresh == int(new.sum())
    held = keys.shape[0] + fresh
    assert out_keys[:held].tolist() == np.union1d(keys, wanted).tolist()
    old = dict(zip(keys.tolist(), ids.tolist(), strict=True))
    want = np.array([old.get(k, -1) for k in wanted.tolist()])
    want[new] = np.arange(keys.shape[0], held)
    assert got.tolist() == want.tolist()
    assert dict(zip(out_keys[:held].tolist(), out_ids[:held].tolist(), strict=True)) == {
        **old,
        **dict(zip(wanted[new].tolist(), want[new].tolist(), strict=True)),
    }


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_runs_merged_give_the_distinct_keys_and_each_keys_place(seed: int) -> None:
    from callwarden.detect.campaign_kernels import merge_runs  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    runs = [np.unique(rng.integers(0, 60, rng.integers(0, 30))) for _ in range(rng.integers(1, 9))]
    keys = np.concatenate([np.zeros(0, np.int64), *runs]).astype(np.int64)
    start = np.cumsum([0] + [r.shape[0] for r in runs]).astype(np.int64)
    want = np.unique(keys)
    out = np.empty(keys.shape[0], np.int64)
    places = keys.copy()
    got = merge_runs(places, start, out)
    assert out[:got].tolist() == want.tolist()
    assert places.tolist() == np.searchsorted(want, keys).tolist()


@pytest.mark.parametrize("bits", [1, 5, 6, 16, 21, 31])
def test_the_pair_order_by_counting_is_the_stable_argsort_of_the_keys(bits: int) -> None:
    """(A slice's calls put in the order of their pairs: one pass of counts or several, an
    odd or an even number of them.)"""
    from callwarden.detect.campaign_kernels import pair_order  # noqa: PLC0415

    rng = np.random.default_rng(bits)
    n = 5000
    a = rng.integers(0, 1 << bits, n).astype(np.int32)
    b = rng.integers(0, min(1 << bits, 40), n).astype(np.int32)  # (callees repeat: ties)
    key, order = np.empty(n, np.int64), np.empty(n, np.int64)
    pair_order(a, b, bits, key, order)
    keys = (a.astype(np.int64) << 32) | b
    assert order.tolist() == np.argsort(keys, kind="stable").tolist()
    assert key.tolist() == keys[order].tolist()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reverse_pairs_finds_each_pair_the_other_way_round(seed: int) -> None:
    from callwarden.detect.campaign_kernels import reverse_pairs  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    size = int(rng.integers(1, 60))
    keys = np.unique(rng.integers(0, size, 800) * (1 << 32) + rng.integers(0, size, 800))
    a, b = (keys >> 32).astype(np.int32), (keys & 0xFFFFFFFF).astype(np.int32)
    rev = np.empty(keys.shape[0], np.int32)
    reverse_pairs(a, b, size, rev)
    place = {(int(x), int(y)): k for k, (x, y) in enumerate(zip(a, b, strict=True))}
    want = [place.get((int(y), int(x)), -1) for x, y in zip(a, b, strict=True)]
    assert rev.tolist() == want
    assert (a == b).any() == (rev == np.arange(keys.shape[0])).any()  # (itself, where one)
