"""The campaign pass's counts over the nodes' callees, as arrays, equal the same counts read
as frames (``detect/campaigns.py``)."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from callwarden.detect.campaigns import _dense, _shared_calls


def _frames(
    pairs: pl.DataFrame, nodes: pl.DataFrame
) -> tuple[dict[int, tuple[int, int]], pl.DataFrame]:
    """Per component its calls and those to callees two of its numbers call; per number its
    callees among them (the definitions, as joins of frames)."""
    pairs = pairs.join(nodes.select("i", "component"), on="i")
    k = pairs.group_by("component", "b").agg(k=pl.len())
    both = pairs.join(k, on=["component", "b"]).with_columns(shared=pl.col("k") >= 2)
    per = both.group_by("component").agg(
        calls=pl.col("n").sum(), shared=pl.col("n").filter(pl.col("shared")).sum()
    )
    own = both.group_by("code").agg(grouped=pl.col("shared").sum().cast(pl.Int64))
    return {int(c): (int(n), int(sh)) for c, n, sh in per.iter_rows()}, own


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(-1, 3), min_size=1, max_size=12),
    st.sets(st.tuples(st.integers(0, 11), st.integers(0, 15)), max_size=80),
    st.integers(1, 9),
)
def test_shared_calls_as_arrays_equal_the_frames(
    components: list[int], callees: set[tuple[int, int]], calls: int
) -> None:
    """Numbers in components or in none (-1: left out, as numbers of components too small
    are), each calling its callees once in the pairs, some callees shared."""
    nodes = pl.DataFrame(
        {"i": range(len(components)), "component": components},
        schema={"i": pl.Int64, "component": pl.Int64},
    ).with_columns(code=pl.col("i") * 7 + 3)
    pairs = pl.DataFrame(
        [(i, b, calls + (i * b) % 5) for i, b in sorted(callees) if i < len(components)],
        schema={"i": pl.Int64, "b": pl.Int64, "n": pl.Int64},
        orient="row",
    ).with_columns(code=pl.col("i") * 7 + 3)
    kept = nodes.filter(pl.col("component") >= 0)
    got, own = _shared_calls(pairs, kept)
    want, want_own = _frames(pairs, kept)
    assert got == want
    assert own.sort("code").equals(want_own.sort("code"))


@given(st.lists(st.integers(0, 2**40), max_size=60), st.sampled_from(["small", "sorted", "any"]))
def test_dense_codes_are_numpys_unique(values: list[int], kind: str) -> None:
    """(Components' labels by counts, the pairs' sorted callers by runs, else a sort.)"""
    given_ = np.array(values, np.int64)
    if kind == "small":
        given_ %= max(1, len(values))
    elif kind == "sorted":
        given_.sort()
    got, at = _dense(given_)
    want, want_at = np.unique(given_, return_inverse=True)
    assert got.tolist() == want.tolist()
    assert at.tolist() == want_at.tolist()


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 40), st.lists(st.tuples(st.integers(0, 39), st.integers(0, 39)), max_size=60))
def test_components_are_scipys(n: int, edges: list[tuple[int, int]]) -> None:
    """(The groups' components, numbered as scipy numbers them: by their first node.)"""
    from scipy.sparse import coo_matrix  # noqa: PLC0415
    from scipy.sparse.csgraph import connected_components  # noqa: PLC0415

    from callwarden.detect.campaign_kernels import components  # noqa: PLC0415

    i = np.array([a % n for a, _ in edges], np.int64)
    j = np.array([b % n for _, b in edges], np.int64)
    graph = coo_matrix((np.ones(i.shape[0], np.int8), (i, j)), shape=(n, n))
    _, want = connected_components(graph, directed=False)
    got = np.empty(n, np.int64)
    components(i, j, n, got)
    assert got.tolist() == want.tolist()
