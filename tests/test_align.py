"""Alignment on integer codes against pandas' reindex, on random indexes of ids and of (id, month)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from peerscope._kernels.align import Alignment


def _ids(rng, n, pool=500):
    return pd.Index(rng.choice([f"m{i:03d}é" if i % 11 == 0 else f"m{i}" for i in range(pool)], n,
                               replace=False), dtype="str", name="member_id")


def _pairs(rng, n):
    members = [f"m{i}" for i in rng.integers(0, 80, 3 * n)]
    months = rng.integers(24_000, 24_040, 3 * n)
    return pd.MultiIndex.from_arrays([pd.Index(members, dtype="str"), months],
                                     names=["member_id", "month"]).unique()[:n]


def test_ids_are_aligned_as_reindex_aligns_them():
    rng = np.random.default_rng(1)
    target, source, other = _ids(rng, 300), _ids(rng, 200), _ids(rng, 50)
    values = pd.Series(rng.integers(1, 9, len(source)), index=source)
    times = pd.Series(pd.to_datetime(rng.integers(0, 10**9, len(source)), unit="s", utc=True), index=source)
    alignment = Alignment({"target": target, "source": source, "other": other})
    aligned = alignment.target("target")
    assert list(alignment.take(values, "source", aligned, fill=0)) == values.reindex(target, fill_value=0).tolist()
    pd.testing.assert_series_equal(pd.Series(alignment.take(times, "source", aligned, fill=pd.NaT), index=target),
                                   times.reindex(target), check_names=False)


def test_sorted_union_is_the_sorted_distinct_ids():
    rng = np.random.default_rng(2)
    indexes = {"a": _ids(rng, 120), "b": _ids(rng, 300), "c": pd.Index([], dtype="str"), "d": _ids(rng, 10)}
    alignment = Alignment({**indexes, "same as b": indexes["b"].copy()})
    union = alignment.sorted_union(["a", "c", "d"])
    expected = indexes["a"].append(indexes["d"]).unique().sort_values()
    assert union.index.tolist() == expected.tolist()
    values = pd.Series(np.arange(len(indexes["b"])), index=indexes["b"])
    assert list(alignment.take(values, "same as b", union, fill=-1)) == values.reindex(expected, fill_value=-1).tolist()


def test_id_month_pairs_are_matched_on_both_and_ids_alone_on_the_id():
    rng = np.random.default_rng(3)
    target, source = _pairs(rng, 150), _pairs(rng, 120)
    roles = pd.Series([f"r{i % 3}" for i in range(40)], index=pd.Index([f"m{i}" for i in range(40)], dtype="str"))
    values = pd.Series(rng.integers(1, 99, len(source)), index=source)
    alignment = Alignment({"target": target, "source": source, "roles": roles.index})
    aligned = alignment.target("target")
    assert list(alignment.take(values, "source", aligned, fill=0)) == values.reindex(target, fill_value=0).tolist()
    expected = roles.reindex(target.get_level_values("member_id")).fillna("member").tolist()
    assert list(alignment.take(roles, "roles", aligned, fill="member")) == expected


def test_a_table_of_pairs_cannot_be_aligned_on_ids_alone():
    alignment = Alignment({"ids": pd.Index(["a"]), "pairs": pd.MultiIndex.from_tuples([("a", 1)])})
    with pytest.raises(ValueError, match="by id and month"):
        alignment.positions("pairs", alignment.target("ids"))
