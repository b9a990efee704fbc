"""The engagement measures on the Dask engine: the pandas engine's numbers, no post collected.

Issue 21: with ``open_corpus(path, engine="dask")`` the engagement measures
run as Dask graphs whose results are per person or smaller.  Two checks on a
synthetic community with far fewer members than posts (8000 posts, 120
persons, 12 months), stored by month (12 partitions):

- every result (frames and scalars) equals the pandas engine's;
- whatever the scheduler hands back to this process (every ``compute``,
  ``len`` and ``collect`` goes through it) has fewer rows than 80% of the
  persons' posts: a per-post frame would be caught.
"""

from __future__ import annotations

import dask
import numpy as np
import pandas as pd
import pytest

from peerscope import open_corpus, synth
from peerscope.participation import engagement

N_POSTS = 8000
WINDOW = {"start": "2022-03-01", "end": "2022-11-01"}


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    """(pandas corpus, Dask corpus): 8000 posts, 120 persons (84 posters), 12 months.

    Few members and months keep the legitimate per member, month and event
    kind counts (which the ladder collects) well below the number of posts.
    """
    folder = tmp_path_factory.mktemp("dask-engagement")
    corpus, _ = synth.generate(N_POSTS, seed=3, n_members=120, lurker_share=0.3, months=12,
                               with_text=False)
    saved = corpus.save(folder / "c", partition="month")
    return saved, open_corpus(folder / "c", engine="dask")


def _rows(value) -> int:
    """Rows of a collected object (0 for scalars), looking inside tuples, lists and dicts."""
    if isinstance(value, (pd.DataFrame, pd.Series, pd.Index, np.ndarray)):
        return len(value)
    if isinstance(value, (tuple, list)):
        return max((_rows(item) for item in value), default=0)
    if isinstance(value, dict):
        return max((_rows(item) for item in value.values()), default=0)
    return 0


@pytest.fixture
def collected():
    """Run Dask on a recording synchronous scheduler; yield the row counts of what came back."""
    sizes: list[int] = []

    def recording_get(graph, keys, **kwargs):
        result = dask.get(graph, keys, **kwargs)
        sizes.append(_rows(result))
        return result

    with dask.config.set(scheduler=recording_get):
        yield sizes


def _assert_small(sizes: list[int], saved, window: dict) -> None:
    """Nothing collected had as many as 80% of the rows of the persons' posts of the window.

    The largest legitimate objects are the ladder's (computed in
    :mod:`peerscope.participation`): one opening post per thread, and
    events per member, month and kind.
    """
    posts = int(engagement.frequency(saved, **window)["posts"].sum())
    assert sizes, "nothing was computed on the Dask scheduler"
    assert max(sizes) < 0.8 * posts, f"a per-post sized object was collected ({max(sizes)} of {posts} rows)"


def _same_survival(a, b) -> None:
    pd.testing.assert_frame_equal(a.members, b.members)
    pd.testing.assert_frame_equal(a.curve, b.curve)
    assert (a.median_tenure_days, a.observation_end, a.withdrawal) == \
        (b.median_tenure_days, b.observation_end, b.withdrawal)


@pytest.mark.parametrize("window", [{}, WINDOW], ids=["all", "window"])
def test_frequency_and_survival_equal_pandas(corpora, collected, window):
    saved, lazy = corpora
    frequency = engagement.frequency(lazy, **window)
    assert len(frequency) > 50   # enough posters for the comparison to mean something
    pd.testing.assert_frame_equal(engagement.frequency(saved, **window), frequency)
    _same_survival(engagement.survival(saved, withdrawal="30D", **window),
                   engagement.survival(lazy, withdrawal="30D", **window))
    _assert_small(collected, saved, window)


def test_bots_included_equal_pandas(corpora, collected):
    saved, lazy = corpora
    pd.testing.assert_frame_equal(engagement.frequency(saved, include_bots=True),
                                  engagement.frequency(lazy, include_bots=True))
    _same_survival(engagement.survival(saved, include_bots=True),
                   engagement.survival(lazy, include_bots=True))
    _assert_small(collected, saved, {})


@pytest.mark.parametrize("timezone", ["UTC", "America/New_York"])
def test_time_profile_equals_pandas(corpora, collected, timezone):
    saved, lazy = corpora
    a = engagement.time_profile(saved, timezone=timezone, **WINDOW)
    b = engagement.time_profile(lazy, timezone=timezone, **WINDOW)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert (a.timezone, a.day_resolution) == (b.timezone, b.day_resolution)
    _assert_small(collected, saved, WINDOW)


def test_ladder_delurking_and_monthly_equal_pandas(corpora, collected):
    saved, lazy = corpora
    a, b = engagement.ladder_by_month(saved), engagement.ladder_by_month(lazy)
    pd.testing.assert_frame_equal(a.levels, b.levels)
    pd.testing.assert_frame_equal(a.monthly, b.monthly)
    assert (a.share_ever_moved_up, a.members, a.climbers, a.active_members) == \
        (b.share_ever_moved_up, b.members, b.climbers, b.active_members)
    pd.testing.assert_frame_equal(engagement.delurking(saved), engagement.delurking(lazy))
    for window in ({}, WINDOW):
        pd.testing.assert_frame_equal(engagement.monthly(saved, withdrawal="60D", **window),
                                      engagement.monthly(lazy, withdrawal="60D", **window))
    _assert_small(collected, saved, {})


def test_the_guard_catches_a_per_post_collect(corpora, collected):
    """The recording scheduler does see a per-post frame when one is collected."""
    _, lazy = corpora
    lazy.posts(columns=["author_id"]).compute()
    assert max(collected) == N_POSTS
    with pytest.raises(AssertionError, match="per-post"):
        _assert_small(collected, corpora[0], {})


def _event_rows(saved, window: dict) -> tuple[int, int]:
    """(events, distinct (member, month, kind) of events) of the window, from the pandas engine."""
    from peerscope._kernels.months import months_from_times

    events = saved.events(columns=["member_id", "kind", "at"], **window)
    triples = events.assign(month=months_from_times(events["at"]))[["member_id", "month", "kind"]]
    return len(events), len(triples.drop_duplicates())


@pytest.mark.parametrize("options", [{}, WINDOW, {"include_bots": True}], ids=["all", "window", "bots"])
def test_ladder_and_activity_count_on_the_workers(corpora, collected, options):
    """Issue 21: the ladder and the activity table equal the pandas engine's, and what comes back
    to the client is per member (and month): never per event, thread or (member, month, kind)."""
    from peerscope import participation

    saved, lazy = corpora
    a, b = engagement.ladder_by_month(saved, **options), engagement.ladder_by_month(lazy, **options)
    assert len(a.levels) > 100
    pd.testing.assert_frame_equal(a.levels, b.levels)
    pd.testing.assert_frame_equal(a.monthly, b.monthly)
    assert (a.share_ever_moved_up, a.members, a.climbers, a.active_members) == \
        (b.share_ever_moved_up, b.members, b.climbers, b.active_members)
    pd.testing.assert_frame_equal(participation.activity(saved, **options),
                                  participation.activity(lazy, **options))
    for by_month in (False, True):   # the parts themselves: same rows, values and dtypes
        expected = participation.ladder_inputs(saved, by_month=by_month, **options)
        found = participation.ladder_inputs(lazy, by_month=by_month, **options)
        assert set(found) == set(expected)
        for name, part in expected.items():
            compare = pd.testing.assert_frame_equal if isinstance(part, pd.DataFrame) else \
                pd.testing.assert_series_equal
            compare(part.sort_index(), found[name].sort_index(), check_index_type=False)
    window = {key: options[key] for key in ("start", "end") if key in options}
    events, triples = _event_rows(saved, window)
    threads = len(saved.posts(columns=["parent_id"], **window).query("parent_id.isna()"))
    assert min(events, triples, threads) > 1000   # all well above the (member, month) pairs
    assert collected and max(collected) < min(triples, threads), \
        f"{max(collected)} rows collected: per event, thread or (member, month, kind)"
