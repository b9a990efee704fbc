"""Participation: hand-made forums, the synthetic community's planted truth,
real Stack Exchange data recomputed from the raw XML, and the Dask engine."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from defusedxml import ElementTree

from peerscope import Corpus, open_corpus, participation, synth
from peerscope.participation.superusers import MinPosts

from conftest import utc


@pytest.fixture
def tiny(tiny_frames):
    posts, members, events = tiny_frames
    return Corpus.from_frames(posts, members, events, name="tiny")


def test_summary_of_tiny_forum_by_hand(tiny):
    s = participation.summary(tiny, replicates=200)
    # ann 3 posts, bob 2, cat 0; the bot's post is left out of members' posts
    assert (s.posts_total, s.posts_by_members, s.posts_by_bots, s.posts_by_unknown_authors) == (6, 5, 1, 0)
    assert (s.members, s.posters, s.lurkers, s.one_time_posters) == (3, 2, 1, 0)
    assert s.lurker_share == pytest.approx(1 / 3)
    # members [0, 2, 3]: 2 * (1*0 + 2*2 + 3*3) / (3 * 5) - 4/3 = 26/15 - 20/15 = 0.4
    assert s.gini_members.value == pytest.approx(0.4)
    # posters [2, 3]: 2 * (2 + 6) / (2 * 5) - 3/2 = 0.1
    assert s.gini_posters.value == pytest.approx(0.1)
    assert s.super_users.member_ids == ("ann",) and s.super_user_share == pytest.approx(0.6)
    # 3 members: top ceil(0.03) = 1 (ann, 3 of 5), next up to ceil(0.3) = 1: nobody more
    assert s.band_shares == pytest.approx({"superusers": 0.6, "contributors": 0.0, "lurkers": 0.4})
    frame = s.to_frame()
    assert frame.loc[frame["statistic"] == "lurker_share", "value"].item() == pytest.approx(1 / 3)
    assert frame.loc[frame["statistic"] == "super_user", "detail"].tolist() == ["ann"]
    assert frame["value"].dtype == float and (frame["statistic"] == "lorenz").sum() == 4


def test_bots_can_be_included(tiny):
    s = participation.summary(tiny, include_bots=True, replicates=0)
    assert (s.members, s.posters, s.posts_by_members, s.posts_by_bots) == (4, 3, 6, 0)


def test_no_roster_means_no_lurker_share(tiny_frames):
    posts, members, _ = tiny_frames
    s = participation.summary(Corpus.from_frames(posts, members, roster=False), replicates=0)
    assert s.members is None and s.lurker_share is None and s.band_shares is None
    assert "lurkers cannot be counted" in s.lurker_reason
    assert s.gini_members.value is None and s.gini_posters.value == pytest.approx(0.1)
    assert s.lorenz_basis == "posters"


def test_events_without_roster_give_an_event_basis(tiny_frames):
    posts, members, events = tiny_frames
    s = participation.summary(Corpus.from_frames(posts, members, events, roster=False), replicates=0)
    # cat viewed and received but never posted
    assert (s.population_basis, s.members, s.lurkers) == ("events", 3, 1)


def test_window_drops_later_joiners_and_later_posts(tiny):
    s = participation.summary(tiny, end="2024-01-10", replicates=0)
    # cat joined on 2024-01-15: not yet a member; ann 2 posts, bob 1 before the end
    assert (s.members, s.posters, s.lurkers, s.posts_by_members) == (2, 2, 0, 3)
    assert s.window.end == pd.Timestamp("2024-01-10", tz="UTC")


def test_activity_by_hand(tiny):
    a = participation.activity(tiny)
    assert a.index.tolist() == ["ann", "bob", "cat"]
    ann, bob, cat = (a.loc[m] for m in ("ann", "bob", "cat"))
    # ann: p1 opens, p3 answers bob's p2, p5 answers bob's p4 -> 2 replies to others
    assert (ann.posts, ann.threads_started, ann.replies_to_others, ann.replies_received) == (3, 1, 2, 1)
    # bob: receives p3 and p5 (the bot's p6 does not count); days: Jan 1, Feb 1
    assert (bob.posts, bob.replies_received, bob.active_days) == (2, 2, 2)
    assert ann.active_days == 3 and ann.first_post == pd.Timestamp("2024-01-01 20:00", tz="UTC")
    assert (cat.views, cat.deliveries, cat.posts) == (1, 1, 0)
    assert (ann.ladder, bob.ladder, cat.ladder) == ("reply to others", "moderate/facilitate", "read/receive")
    assert a["ladder"].cat.ordered


def test_hosting_a_thread_is_rung_four():
    posts = pd.DataFrame({
        "post_id": ["t", "r1", "r2", "r3"], "thread_id": ["t"] * 4,
        "parent_id": [None, "t", "t", "r1"], "author_id": ["host", "x", "y", "host"],
        "created_at": utc("2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04"), "text": None})
    a = participation.activity(Corpus.from_frames(posts))
    assert a.loc["host", "threads_hosted"] == 1 and a.loc["host", "ladder_level"] == 4
    assert a.loc["x", "ladder"] == "reply to others"
    assert participation.activity(Corpus.from_frames(posts), host_repliers=3).loc["host", "ladder_level"] == 3


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    path = tmp_path_factory.mktemp("synth") / "corpus"
    return synth.generate(6000, seed=3, path=path, with_text=False)


def test_synthetic_truth_is_recovered(synthetic):
    corpus, truth = synthetic
    s = participation.summary(corpus)
    assert s.members == truth.n_members and s.posters == truth.n_posters
    assert s.lurker_share == truth.n_lurkers / truth.n_members
    assert s.posts_by_bots == truth.n_bot_posts
    assert s.posts_by_unknown_authors == truth.n_anonymous_posts + truth.n_null_author_posts
    assert set(s.super_users.member_ids) == set(truth.super_users)
    assert s.super_users.ties_left_out == 0
    counts = truth.members.set_index("member_id")["n_posts"].to_numpy()
    planted = np.sort(counts)
    n = planted.size
    planted_gini = 2 * (np.arange(1, n + 1) * planted).sum() / (n * planted.sum()) - (n + 1) / n
    assert s.gini_members.ci_low <= planted_gini <= s.gini_members.ci_high
    assert s.gini_members.value == pytest.approx(planted_gini, abs=1e-12)


def test_dask_engine_gives_the_same_numbers(synthetic):
    corpus, _ = synthetic
    lazy = open_corpus(corpus.path, engine="dask")
    window = dict(start="2022-03-01", end="2023-02-01")
    for kwargs in ({}, window):
        pandas_summary = participation.summary(corpus, replicates=200, **kwargs).to_frame()
        dask_summary = participation.summary(lazy, replicates=200, **kwargs).to_frame()
        pd.testing.assert_frame_equal(pandas_summary, dask_summary)
        pandas_activity = participation.activity(corpus, **kwargs)
        dask_activity = participation.activity(lazy, **kwargs)
        pd.testing.assert_frame_equal(pandas_activity, dask_activity, check_dtype=False)
    assert participation.summary(lazy, super_users=MinPosts(50), replicates=0).super_users.member_ids == \
        participation.summary(corpus, super_users=MinPosts(50), replicates=0).super_users.member_ids


# ---------------------------------------------------------------------------
# Real data: Stack Exchange (quantumcomputing, 2018), recomputed from the raw XML
# ---------------------------------------------------------------------------

def _rows(path):
    return pd.DataFrame([row.attrib for row in ElementTree.parse(path).getroot()])


def _raw_stack_exchange(folder):
    """Posts per member from Users/Posts/Comments.xml with plain pandas.

    Discussion = questions (PostTypeId 1), answers (2) to questions in the dump
    and comments on either; roster = Users.xml less the Community bot (-1).
    """
    users = _rows(folder / "Users.xml")
    posts = _rows(folder / "Posts.xml")
    comments = _rows(folder / "Comments.xml")
    members = users.loc[users["Id"] != "-1", "Id"]
    questions = posts[posts["PostTypeId"] == "1"]
    answers = posts[(posts["PostTypeId"] == "2") & posts["ParentId"].isin(questions["Id"])]
    discussion = pd.concat([questions, answers])
    comments = comments[comments["PostId"].isin(discussion["Id"])]
    authored = pd.DataFrame({
        "author": pd.concat([discussion["OwnerUserId"], comments["UserId"]], ignore_index=True),
        "at": pd.to_datetime(pd.concat([discussion["CreationDate"], comments["CreationDate"]],
                                       ignore_index=True), utc=True)})
    by_member = authored[authored["author"].isin(members)]
    per_member = by_member.groupby("author").agg(posts=("at", "size"), first=("at", "min"))
    return members, per_member, len(authored)


def _gini(values):
    x = np.sort(np.asarray(values, dtype=float))
    n = x.size
    return 2 * (np.arange(1, n + 1) * x).sum() / (n * x.sum()) - (n + 1) / n


def test_stack_exchange_against_raw_xml(shared_data):
    from peerscope import loaders

    folder = shared_data / "stackexchange-quantumcomputing-2018"
    members, per_member, all_posts = _raw_stack_exchange(folder)
    counts = per_member["posts"].reindex(members, fill_value=0).to_numpy()
    n_members, n_posters = len(members), int((counts > 0).sum())
    ranked = per_member.reset_index().sort_values(["posts", "first", "author"],
                                                  ascending=[False, True, True])
    top = ranked.head(math.ceil(0.01 * n_posters))
    descending = np.sort(counts)[::-1]
    one, ten = math.ceil(0.01 * n_members), math.ceil(0.10 * n_members)
    total = descending.sum()
    bands = {"superusers": descending[:one].sum() / total,
             "contributors": descending[one:ten].sum() / total,
             "lurkers": descending[ten:].sum() / total}

    corpus = loaders.stackexchange(folder)
    s = participation.summary(corpus, replicates=200)
    assert (s.members, s.posters, s.posts_total) == (n_members, n_posters, all_posts)
    assert s.posts_by_members == total
    assert round(s.lurker_share, 4) == round((n_members - n_posters) / n_members, 4)
    assert round(s.gini_members.value, 4) == round(_gini(counts), 4)
    assert round(s.gini_posters.value, 4) == round(_gini(counts[counts > 0]), 4)
    assert s.super_users.member_ids == tuple(top["author"])
    assert round(s.super_user_share, 4) == round(top["posts"].sum() / total, 4)
    assert {k: round(v, 4) for k, v in s.band_shares.items()} == {k: round(v, 4) for k, v in bands.items()}
    a = participation.activity(corpus)
    assert len(a) == n_members and int(a["posts"].sum()) == total


def test_attach_ignores_null_keys_in_the_lookup_table():
    import pandas as pd

    from peerscope._kernels import engine

    # keys and lookup ids share one set of categories (the fast path); "c" is the last
    # category, which a null lookup key (code -1) used to overwrite
    keys = pd.DataFrame({"k": ["a", "b", "c", "c", "a", None]})
    encoded = engine.encode(keys, ["k"])
    left = encoded.iloc[:3].rename(columns={"k": "key"})
    right = encoded.iloc[3:].rename(columns={"k": "id"}).assign(value=pd.Categorical(["z", "x", "y"]))
    result = engine.attach(left, "key", right, "id", "value", "looked_up")
    assert result["looked_up"].astype(object).where(result["looked_up"].notna(), None).tolist() == ["x", None, "z"]
