"""Counting in the columnar engine and on integer codes: events, linked posts, posts per author.

Each fast path is checked against a plain pandas computation of the same
thing, on random inputs and on a synthetic community, with windows and
batches of every size.
"""

from __future__ import annotations

import peerscope
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from peerscope import Corpus, participation, synth
from peerscope._kernels.columnar import event_counts, first_events
from peerscope._kernels.links import read_linked
from peerscope._kernels.post_counts import post_parts, posts_per_author


@pytest.mark.parametrize("batch_rows", [1_777, 50_000])   # many batches, or one
@pytest.mark.parametrize("by_month", [False, True])
def test_event_counts_equal_a_pandas_groupby(by_month, batch_rows):
    rng = np.random.default_rng(11 + by_month)
    n = 20_000
    members = np.array([f"m{i}" for i in range(900)] + [None], dtype=object)
    kinds = np.array([f"kind{i}" for i in range(12)], dtype=object)   # more than the 8 columns to start
    events = pd.DataFrame({
        "member_id": members[rng.integers(0, len(members), n)],
        "kind": kinds[np.minimum(rng.geometric(0.3, n) - 1, len(kinds) - 1)],
        # some before 1970: months since 1970-01 are negative there
        "at": pd.to_datetime(rng.integers(-100_000_000, 1_700_000_000, n), unit="s", utc=True)})
    table = pa.Table.from_pandas(events, preserve_index=False)
    found = event_counts(table.to_batches(max_chunksize=batch_rows), by_month)
    keys = ["member_id"] + (["month"] if by_month else [])
    expected = events.dropna(subset=["member_id"]).assign(
        month=lambda f: ((f["at"].dt.year - 1970) * 12 + f["at"].dt.month - 1).astype("int64"))
    expected = expected.groupby(keys + ["kind"]).size().unstack("kind", fill_value=0)

    def long(table):  # (member_id[, month], kind, n) rows with n > 0, in one order
        rows = table.stack().rename("n").reset_index()
        rows = rows[rows["n"] > 0].astype({"member_id": "object", "kind": "object", "n": "int64"})
        return rows.sort_values(keys + ["kind"], ignore_index=True)

    assert list(found.columns) == sorted(expected.columns)
    assert found.index.is_monotonic_increasing and found.index.is_unique
    pd.testing.assert_frame_equal(long(found), long(expected), check_names=False)


@pytest.mark.parametrize("by_month", [False, True])
def test_event_counts_of_no_events_are_empty(by_month):
    found = event_counts([], by_month)
    assert found.empty and list(found.index.names) == ["member_id"] + (["month"] if by_month else [])


@pytest.fixture(scope="module")
def community():
    corpus, _ = synth.generate(3_000, seed=21, months=8)
    return corpus


@pytest.mark.parametrize("by_month", [False, True])
@pytest.mark.parametrize("window", [{}, {"start": "2022-03-01", "end": "2022-06-15"}])
def test_post_parts_equal_the_grouped_aggregation_path(community, by_month, window):
    """The numpy path (pandas engine) against the grouped-aggregation path the Dask engine uses,
    here run on pandas frames."""
    kinds = participation._kinds(community, include_bots=False)
    linked = read_linked(community)
    fast = post_parts(linked, linked.rows(**window), kinds.bots, by_month=by_month, host_repliers=2)
    grouped = participation._dask_post_parts(community, window.get("start"), window.get("end"),
                                             kinds, by_month, 2)
    assert set(fast) == set(grouped)
    for name in fast:
        left = participation._drop_non_persons(fast[name], kinds).sort_index()
        right = participation._drop_non_persons(grouped[name], kinds).sort_index()
        assert len(left) > 0
        if isinstance(left, pd.DataFrame):
            pd.testing.assert_frame_equal(left, right[left.columns], check_dtype=False, check_index_type=False)
        else:
            pd.testing.assert_series_equal(left, right, check_dtype=False, check_index_type=False,
                                           check_names=False)


def test_linked_posts_know_every_parent(community):
    linked = read_linked(community)
    posts = community.posts(columns=["post_id", "parent_id", "author_id"])
    row_of = pd.Series(np.arange(len(posts)), index=posts["post_id"])
    expected = posts["parent_id"].map(row_of).fillna(-1).astype(int).to_numpy()
    assert (linked.parent == expected).all()
    authors = posts["author_id"].to_numpy(dtype=object)
    coded = np.where(linked.author >= 0, linked.ids.to_numpy(dtype=object)[np.maximum(linked.author, 0)], None)
    assert (pd.Series(coded).fillna("<null>") == pd.Series(authors).fillna("<null>")).all()


@pytest.mark.parametrize("saved", [False, True])   # in memory, or read from Parquet dictionary-encoded
@pytest.mark.parametrize("window", [{}, {"start": "2022-03-01", "end": "2022-06-15"}])
def test_posts_per_author_equal_a_pandas_groupby(community, window, saved, tmp_path):
    posts = community.posts().assign(text="")
    # posts by an unknown (null) author count in the total only
    unknown = posts["thread_id"].isin(posts["thread_id"].drop_duplicates().iloc[::7])
    posts = posts.assign(author_id=posts["author_id"].where(~unknown, None))
    corpus = Corpus.from_frames(posts, name="nulls")
    corpus = corpus.save(tmp_path / "nulls") if saved else corpus
    per_author, total = posts_per_author(corpus, **window)
    in_window = corpus.posts(columns=["author_id", "created_at"], **window)
    assert in_window["author_id"].isna().sum() > 0
    expected = in_window.groupby("author_id").agg(posts=("created_at", "count"),
                                                  first_post=("created_at", "min"))
    assert total == len(in_window)
    pd.testing.assert_frame_equal(per_author.sort_index(), expected.sort_index(), check_index_type=False)


def test_a_window_without_posts_reads_as_no_posts(community):
    """A corpus view whose window holds no post: every metric on linked posts sees none
    (dictionary-encoding its empty columns gave no chunk at all, which once crashed)."""
    empty = community.window("2030-01-01", None)
    linked = read_linked(empty)
    assert len(linked) == 0 and len(linked.ids) == 0
    table = participation.activity(empty)
    assert len(table) > 0 and table["posts"].sum() == 0   # roster members who joined before
    assert peerscope.describe(empty).rows["posts"] == 0


def test_first_events_equal_a_pandas_groupby():
    rng = np.random.default_rng(17)
    n = 20_000
    members = np.array([f"m{i}" for i in range(900)] + [None], dtype=object)
    kinds = np.array(["view", "read", "receive", "attend", "session"], dtype=object)
    events = pd.DataFrame({
        "member_id": members[rng.integers(0, len(members), n)],
        "kind": kinds[rng.integers(0, len(kinds), n)],
        "at": pd.to_datetime(rng.integers(1_600_000_000_000_000, 1_700_000_000_000_000, n), unit="us", utc=True)})
    batches = pa.Table.from_pandas(events, preserve_index=False).to_batches(max_chunksize=1_777)
    found = first_events(batches, ("view", "read"))
    chosen = events[events["kind"].isin(["view", "read"])].dropna(subset=["member_id"])
    expected = chosen.groupby("member_id")["at"].min()
    assert found.index.is_monotonic_increasing
    pd.testing.assert_series_equal(found, expected, check_names=False, check_index_type=False)
