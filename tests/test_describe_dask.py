"""``describe`` on a Dask corpus: computed on the workers, equal to the pandas engine's description."""

from __future__ import annotations

import pandas as pd
import pytest

from peerscope import Corpus, describe, open_corpus, synth

pytest.importorskip("dask")


def _both(path, start=None, end=None):
    return [describe(open_corpus(path, engine=engine, scheduler=scheduler).window(start, end))
            for engine, scheduler in (("pandas", None), ("dask", "synchronous"))]


@pytest.fixture(scope="module")
def monthly(tmp_path_factory):
    corpus, _ = synth.generate(3_000, seed=8, months=5, with_text=False)
    return corpus.save(tmp_path_factory.mktemp("describe") / "forum", partition="month").path


@pytest.mark.parametrize("window", [(None, None), ("2022-02-01", "2022-04-01")])
def test_describe_on_dask_equals_pandas(monthly, window):
    on_pandas, on_dask = _both(monthly, *window)
    assert on_dask == on_pandas
    assert on_pandas.replies > 0 and on_pandas.bots > 0 and on_pandas.event_kinds


def test_describe_on_dask_by_hand(tmp_path):
    """Flat threads, times to the day, a null author, a deleted member, a reply off the window."""
    day = lambda *days: pd.to_datetime([f"2024-0{m}-{d:02d}" for m, d in days], utc=True)  # noqa: E731
    posts = pd.DataFrame({
        "post_id": ["a1", "a2", "a3", "b1", "b2", "c1"],
        "thread_id": ["a1", "a1", "a1", "b1", "b1", "c1"],
        "parent_id": [None, "a1", "a1", None, "b1", None],
        "author_id": ["ann", "bob", None, "gone", "ann", "bob"],
        "created_at": day((1, 3), (1, 4), (1, 5), (2, 1), (2, 2), (3, 9)),
        "text": ["x"] * 6,
    })
    members = pd.DataFrame({"member_id": ["ann", "bob", "gone", "cat"],
                            "role": ["member", "member", "deleted", "member"]})
    path = Corpus.from_frames(posts, members).save(tmp_path / "flat", partition="month").path
    on_pandas, on_dask = _both(path)
    assert on_dask == on_pandas
    assert (on_dask.rows["posts"], on_dask.replies, on_dask.reply_structure) == (6, 3, "flat")
    assert on_dask.time_resolution == "day" and not on_dask.can("time of day")
    assert on_dask.posters == 2 and on_dask.members == 3 and on_dask.posts_by_unknown_authors == 2
    assert on_dask.largest_thread_share == 0.5
    # bob -> ann and ann -> gone have both authors known; the null author's reply does not
    assert on_dask.capabilities[2].reason.startswith("2 replies with both authors known")
    # in February only, ann's reply to the deleted member's post is the one reply
    february_pandas, february_dask = _both(path, "2024-02-01", "2024-03-01")
    assert february_dask == february_pandas
    assert (february_dask.rows["posts"], february_dask.replies, february_dask.first_post) == (
        2, 1, pd.Timestamp("2024-02-01", tz="UTC"))
