"""A real forum through Corpus.from_frames: the ALSForums caregivers board.

The scrape has flat threads: ``post_id`` is the thread id, the row with
``reply=False`` is the opening post (pagination repeats it on some threads),
and every other row replies to the opening post.  The test builds the corpus
tables itself and checks every count against the raw CSV.
"""

from __future__ import annotations

import peerscope
import numpy as np
import pandas as pd
import pytest

from peerscope import Corpus


@pytest.fixture(scope="module")
def raw(shared_data):
    return pd.read_csv(shared_data / "forum-alsforums-caregivers" / "als.csv")


def _frames(raw: pd.DataFrame):
    rows = raw.reset_index(names="row")
    rows["thread_id"] = rows["post_id"].astype("str")
    rows["created_at"] = pd.to_datetime(rows["date"]).dt.tz_localize("UTC")
    # the opening post: the earliest reply=False row of the thread (file order breaks ties)
    openers = (rows[~rows["reply"]].sort_values(["thread_id", "created_at", "row"])
               .drop_duplicates("thread_id"))
    rows["post_id"] = rows["thread_id"] + "-" + rows["row"].astype("str")
    opening_id = pd.Series(openers["thread_id"].to_numpy() + "-" + openers["row"].astype("str").to_numpy(),
                           index=openers["thread_id"].to_numpy())
    is_opening = rows["row"].isin(openers["row"])
    rows["parent_id"] = rows["thread_id"].map(opening_id).where(~is_opening, None)
    posts = rows.rename(columns={"user_name": "author_id", "body": "text"})[
        ["post_id", "thread_id", "parent_id", "author_id", "created_at", "text", "title"]]
    members = (raw.drop_duplicates("user_name")
               .rename(columns={"user_name": "member_id"})
               .assign(joined_at=lambda f: pd.to_datetime(f["user_date_joined"]).dt.tz_localize("UTC"))
               [["member_id", "joined_at", "user_num_posts", "user_country"]])
    return posts, members


def test_als_counts_match_the_raw_csv(raw):
    posts, members = _frames(raw)
    # the scrape knows only members who posted: a members table, not a roster
    corpus = Corpus.from_frames(posts, members, name="alsforums-caregivers", roster=False)
    stored = corpus.posts(columns="all")

    assert len(stored) == len(raw) == 2447
    assert stored["thread_id"].nunique() == raw["post_id"].nunique() == 172
    assert stored["author_id"].nunique() == raw["user_name"].nunique() == 200
    opening = stored[stored["parent_id"].isna()]
    assert len(opening) == raw["post_id"].nunique()
    # pagination: rows with reply=False beyond the first of their thread became replies
    extra_openers = int((~raw["reply"]).sum()) - raw["post_id"].nunique()
    assert extra_openers == 253 - 172
    assert int(stored["parent_id"].notna().sum()) == int(raw["reply"].sum()) + extra_openers
    # every reply points at its own thread's opening post (flat threads)
    opening_of = opening.set_index("thread_id")["post_id"]
    replies = stored[stored["parent_id"].notna()]
    assert (replies["parent_id"] == replies["thread_id"].map(opening_of)).all()
    # posts per author equal the raw CSV's, to the member
    assert (stored["author_id"].value_counts().sort_index()
            == raw["user_name"].value_counts().sort_index()).all()
    # text survives untouched, day-resolution dates become midnight UTC
    assert stored["text"].tolist() == raw["body"].tolist()
    assert (stored["created_at"].dt.hour == 0).all()
    assert str(stored["created_at"].dt.tz) == "UTC"

    manifest = corpus.manifest
    assert manifest["roster"] is False
    assert manifest["accounting"]["posts"] == {
        "rows_read": 2447, "rows_skipped": 0, "skipped_reasons": {}, "rows_quarantined": 0,
        "quarantine_reasons": {}, "rows_kept": 2447, "kept_notes": {}}
    assert manifest["accounting"]["members"]["rows_kept"] == 200


def test_als_round_trips_through_parquet(raw, tmp_path):
    posts, members = _frames(raw)
    corpus = Corpus.from_frames(posts, members, name="als", roster=False).save(tmp_path / "als")
    again = corpus.posts(columns="all")
    expected = Corpus.from_frames(posts, members, roster=False).posts(columns="all")
    pd.testing.assert_frame_equal(again, expected)
    members_back = corpus.members()
    assert members_back["user_num_posts"].sum() == members["user_num_posts"].sum()


def test_als_describe_knows_what_it_cannot_measure(raw):
    posts, members = _frames(raw)
    description = peerscope.describe(Corpus.from_frames(posts, members, roster=False))
    assert description.reply_structure == "flat"
    assert description.time_resolution == "day"
    assert not description.can("time of day")
    assert not description.can("lurkers")  # scraped profiles of posters are no roster
    assert description.posters == 200
    assert description.members is None
    assert description.opening_posts == 172
    assert np.isclose(description.replies, 2447 - 172)


def test_describe_frame_says_when_a_number_is_not_available(raw):
    posts, members = _frames(raw)
    frame = peerscope.describe(Corpus.from_frames(posts, members, roster=False)).to_frame()
    value = frame.set_index(["section", "item"]).loc[("people", "members"), "value"]
    assert value == "not available"
