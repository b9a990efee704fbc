"""Tests of the synthetic community: every planted fact is recomputed here
from the generated tables with plain pandas and compared with the truth."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest

from peerscope import synth
from peerscope.datasets.synth import Truth, generate

N = 20_000
SEED = 11


@pytest.fixture(scope="module")
def made():
    corpus, truth = generate(N, seed=SEED)
    return {
        "corpus": corpus,
        "truth": truth,
        "posts": corpus.posts(columns=["post_id", "thread_id", "parent_id", "author_id",
                                       "created_at", "text", "title", "channel", "kind"]),
        "members": corpus.members(),
        "events": corpus.events(),
        "items": corpus.newsletter_items(columns=["item_id", "issue_id", "newsletter",
                                                  "published_at", "author_id", "text"]),
    }


def _persons(members: pd.DataFrame) -> pd.Series:
    return members.loc[~members["role"].isin(["bot", "anonymous", "deleted"]), "member_id"]


def _reply_edges(posts: pd.DataFrame, persons: set) -> pd.DataFrame:
    """Reply edges author -> parent author between distinct persons, with the reply time."""
    parent_author = posts.set_index("post_id")["author_id"]
    replies = posts[posts["parent_id"].notna()].copy()
    replies["to"] = parent_author.reindex(replies["parent_id"]).to_numpy()
    keep = (replies["author_id"].isin(persons) & replies["to"].isin(persons)
            & (replies["author_id"] != replies["to"]))
    return replies.loc[keep, ["author_id", "to", "created_at"]].rename(columns={"author_id": "u", "to": "v"})


# -- determinism ---------------------------------------------------------------

def test_same_seed_gives_identical_tables():
    c1, t1 = generate(3000, seed=5)
    c2, t2 = generate(3000, seed=5)
    for table in ("posts", "members", "events", "newsletter_items"):
        a = c1.table(table, columns=None) if table != "posts" else c1.posts(columns=None)
        b = c2.table(table, columns=None) if table != "posts" else c2.posts(columns=None)
        pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(t1.members, t2.members)
    pd.testing.assert_frame_equal(t1.posts, t2.posts)
    assert t1.super_users == t2.super_users and t1.dyadic_reciprocity == t2.dyadic_reciprocity


def test_different_seed_differs():
    c1, t1 = generate(3000, seed=5)
    c2, t2 = generate(3000, seed=6)
    p1, p2 = c1.posts(columns=["author_id", "text"]), c2.posts(columns=["author_id", "text"])
    assert not p1.equals(p2)
    assert t1.lurkers != t2.lurkers


# -- roster, lurkers, counts ---------------------------------------------------------

def test_totals_and_special_authors(made):
    posts, members, truth = made["posts"], made["members"], made["truth"]
    assert len(posts) == N == truth.n_posts
    assert posts["post_id"].is_unique
    assert int(posts["author_id"].isna().sum()) == truth.n_null_author_posts > 0
    assert int((posts["author_id"] == synth.ANONYMOUS_ID).sum()) == truth.n_anonymous_posts > 0
    assert int((posts["author_id"] == synth.BOT_ID).sum()) == truth.n_bot_posts > 0
    roles = members.set_index("member_id")["role"]
    assert roles[synth.BOT_ID] == "bot" and roles[synth.ANONYMOUS_ID] == "anonymous"
    assert len(_persons(members)) == truth.n_members == max(50, N // 8)
    assert sorted(truth.moderators) == sorted(roles[roles == "moderator"].index)
    assert len(truth.moderators) >= 1
    # bot posts are replies to opening posts
    bot = posts[posts["author_id"] == synth.BOT_ID]
    openers = set(posts.loc[posts["parent_id"].isna(), "post_id"])
    assert bot["parent_id"].isin(openers).all()


def test_lurkers_exact_and_silent(made):
    posts, members, truth = made["posts"], made["members"], made["truth"]
    persons = set(_persons(members))
    posters = set(posts["author_id"].dropna()) & persons
    lurkers = persons - posters
    assert len(lurkers) == round(0.6 * truth.n_members) == truth.n_lurkers
    assert set(truth.lurkers) == lurkers
    assert set(truth.posters) == posters
    assert not posts["author_id"].isin(truth.lurkers).any()
    # lurkers are visible through events only
    active = set(made["events"]["member_id"])
    assert lurkers <= active


def test_post_counts_match_truth(made):
    posts, truth = made["posts"], made["truth"]
    counts = posts["author_id"].value_counts()
    planted = truth.post_counts
    assert {k: int(counts[k]) for k in planted} == planted
    assert sum(planted.values()) + truth.n_bot_posts + truth.n_anonymous_posts \
        + truth.n_null_author_posts == N


def test_super_users_strictly_above_the_rest(made):
    posts, truth = made["posts"], made["truth"]
    counts = posts.loc[posts["author_id"].isin(truth.posters), "author_id"].value_counts()
    k = math.ceil(0.01 * len(counts))
    assert len(truth.super_users) == k
    top = counts.sort_values(ascending=False)
    assert set(top.index[:k]) == set(truth.super_users)
    assert top.iloc[k - 1] > top.iloc[k]
    assert counts[truth.super_users].min() == truth.super_user_min_posts > truth.max_other_posts
    assert truth.super_user_share == pytest.approx(counts[truth.super_users].sum() / N)
    # heavy tail: a fitted rank-frequency slope well below zero
    ranks = np.arange(1, len(top) + 1)
    slope = np.polyfit(np.log(ranks), np.log(top.to_numpy()), 1)[0]
    assert slope < -0.7
    assert 1.0 < truth.powerlaw_alpha < 3.0


# -- times ----------------------------------------------------------------------------

def test_times_in_period_and_after_parents(made):
    posts, events, members = made["posts"], made["events"], made["members"]
    start = pd.Timestamp("2022-01-01", tz="UTC")
    end = pd.Timestamp("2024-01-01", tz="UTC")
    assert posts["created_at"].between(start, end, inclusive="left").all()
    assert events["at"].between(start, end, inclusive="left").all()
    when = posts.set_index("post_id")["created_at"]
    replies = posts[posts["parent_id"].notna()]
    assert (replies["created_at"].to_numpy() > when.reindex(replies["parent_id"]).to_numpy()).all()
    joined = members.set_index("member_id")["joined_at"]
    first_post = posts.dropna(subset=["author_id"]).groupby("author_id")["created_at"].min()
    first_event = events.groupby("member_id")["at"].min()
    assert (joined.reindex(first_post.index) <= first_post).all()
    assert (joined.reindex(first_event.index) <= first_event).all()


def test_threads_are_consistent(made):
    posts = made["posts"]
    thread = posts.set_index("post_id")["thread_id"]
    replies = posts[posts["parent_id"].notna()]
    assert (thread.reindex(replies["parent_id"]).to_numpy() == replies["thread_id"].to_numpy()).all()
    openers = posts[posts["parent_id"].isna()]
    assert (openers["kind"] == "post").all() and (replies["kind"] == "reply").all()
    assert openers["thread_id"].is_unique
    assert set(posts["thread_id"]) == set(openers["thread_id"])
    assert openers["title"].notna().all() and replies["title"].isna().all()
    # nesting: some replies answer replies
    assert (~replies["parent_id"].isin(openers["post_id"])).sum() > 0


def test_hour_and_weekday_rhythms(made):
    posts, truth = made["posts"], made["truth"]
    hours = posts["created_at"].dt.hour.value_counts(normalize=True)
    assert hours.idxmax() in (20, 21, 22, 23)
    assert hours[[20, 21, 22, 23]].sum() > hours[[8, 9, 10, 11]].sum() * 2
    assert int(np.argmax(truth.hour_weights)) in (20, 21, 22, 23)
    day = posts["created_at"].dt.day_of_week
    per_day = day.value_counts() / posts["created_at"].dt.normalize().groupby(day).nunique()
    assert per_day[[5, 6]].mean() > per_day[[0, 1, 2, 3, 4]].mean()
    assert truth.weekday_weights[6] > truth.weekday_weights[2]


# -- reply graph ------------------------------------------------------------------------

def test_roles_edges_and_reciprocity_recomputed(made):
    posts, members, truth = made["posts"], made["members"], made["truth"]
    persons = set(_persons(members))
    edges = _reply_edges(posts, persons)
    distinct = edges[["u", "v"]].drop_duplicates()
    pairs = set(zip(distinct["u"], distinct["v"]))
    reciprocated = sum((v, u) in pairs for u, v in pairs)
    assert len(pairs) == truth.n_edges
    assert reciprocated == truth.n_reciprocated_edges
    assert truth.dyadic_reciprocity == pytest.approx(reciprocated / len(pairs))
    assert abs(truth.dyadic_reciprocity - 0.3) < 0.1
    gives, receives = set(distinct["u"]), set(distinct["v"])
    expected = {}
    for member in truth.posters:
        g, r = member in gives, member in receives
        expected[member] = "both" if g and r else "giver" if g else "receiver" if r else "neither"
    assert truth.give_roles == expected
    counts = pd.Series(expected).value_counts()
    assert all(counts.get(role, 0) > 0 for role in ("giver", "receiver", "both", "neither"))
    assert truth.role_counts == {r: int(counts.get(r, 0)) for r in synth.GIVE_ROLES}


def test_first_received_and_generalised_giving(made):
    posts, members, truth = made["posts"], made["members"], made["truth"]
    edges = _reply_edges(posts, set(_persons(members)))
    first = edges.groupby(["u", "v"])["created_at"].min()
    recv = first.groupby(level="v").min()
    reverse = first.copy()
    reverse.index = reverse.index.swaplevel()
    rev_time = reverse.reindex(first.index)
    generalised = first[rev_time.isna() | (rev_time >= first)]
    gen = generalised.groupby(level="u").min()
    tm = truth.members.set_index("member_id")
    got_recv = tm["first_received_at"].dropna()
    got_gen = tm["first_generalised_give_at"].dropna()
    pd.testing.assert_series_equal(got_recv.sort_index(), recv.sort_index(), check_names=False,
                                   check_index_type=False)
    pd.testing.assert_series_equal(got_gen.sort_index(), gen.sort_index(), check_names=False,
                                   check_index_type=False)
    assert len(gen) > 0


def test_unanswered_openers(made):
    posts, truth = made["posts"], made["truth"]
    openers = posts.loc[posts["parent_id"].isna(), "post_id"]
    answered = set(posts["thread_id"][posts["parent_id"].notna()])
    thread_of = posts.set_index("post_id")["thread_id"]
    unanswered = {p for p in openers if thread_of[p] not in answered}
    assert unanswered == set(truth.unanswered_openers)
    assert truth.n_unanswered == len(unanswered)
    assert truth.unanswered_share == pytest.approx(len(unanswered) / len(openers))
    assert 0.1 < truth.unanswered_share < 0.6
    assert truth.n_threads == len(openers)


# -- topics and support types ---------------------------------------------------------------

def test_topics_drive_words(made):
    posts, truth = made["posts"], made["truth"]
    tp = truth.posts.set_index("post_id").reindex(posts["post_id"])
    assert len(truth.topics) == 8
    vocab = {i: set(words) for i, words in enumerate(truth.topics.values())}
    sample = posts.assign(topic=tp["topic"].to_numpy()).query("topic >= 0").head(400)
    shares = []
    for text, topic in zip(sample["text"], sample["topic"]):
        words = [w.strip(".?!,").lower() for w in text.split()]
        shares.append(np.mean([w in vocab[topic] for w in words]))
    assert np.mean(shares) > 0.4
    bot = posts["author_id"] == synth.BOT_ID
    assert (tp.loc[bot.to_numpy(), "topic"] == -1).all()
    n_words = posts["text"].str.split().str.len()
    assert n_words[~bot].between(10, 95).mean() > 0.97


def test_super_users_prefer_topics_0_to_2(made):
    posts, truth = made["posts"], made["truth"]
    topic = truth.posts.set_index("post_id")["topic"].reindex(posts["post_id"]).to_numpy()
    pref = np.isin(topic, truth.preferred_topics)
    sup = posts["author_id"].isin(truth.super_users).to_numpy()
    other = posts["author_id"].isin(set(truth.posters) - set(truth.super_users)).to_numpy()
    assert pref[sup].mean() == pytest.approx(truth.super_user_preferred_share)
    assert pref[other].mean() == pytest.approx(truth.other_preferred_share)
    assert pref[sup].mean() > pref[other].mean() + 0.1


def test_support_cues_and_shares(made):
    posts, truth = made["posts"], made["truth"]
    tp = truth.posts.set_index("post_id").reindex(posts["post_id"])
    people = (posts["author_id"] != synth.BOT_ID).to_numpy()
    for text, stype, direction in list(zip(posts["text"][people], tp["support_type"][people],
                                           tp["direction"][people]))[:500]:
        assert any(cue in text for cue in synth.CUES[(stype, direction)])
    socio = tp["support_type"].isin(synth.SOCIO_EMOTIONAL).mean()
    assert socio == pytest.approx(truth.socio_emotional_share)
    assert 0.45 < socio < 0.7
    is_op = posts["parent_id"].isna().to_numpy()
    assert (tp["direction"][is_op] == "seeking").mean() > 0.7
    assert (tp["direction"][~is_op] == "providing").mean() > 0.8


# -- forms, pathways, newsletter --------------------------------------------------------------

def _activity(made) -> pd.DataFrame:
    posts, events = made["posts"], made["events"]
    persons = set(made["truth"].members["member_id"])
    online_posts = posts.loc[posts["author_id"].isin(persons), ["author_id", "created_at"]]
    online_posts = online_posts.rename(columns={"author_id": "member_id", "created_at": "at"})
    online_posts["form"] = "online"
    act = pd.concat([events[["member_id", "at", "form"]], online_posts], ignore_index=True)
    act["month"] = (act["at"].dt.year - 2022) * 12 + act["at"].dt.month - 1
    return act


def test_pathway_first_forms_and_order(made):
    truth = made["truth"]
    act = _activity(made).sort_values(["member_id", "at"], kind="stable")
    first = act.groupby(["member_id", "form"])["at"].min().reset_index()
    first = first.sort_values(["member_id", "at"], kind="stable")
    order = first.groupby("member_id")["form"].agg(">".join)
    tm = truth.members.set_index("member_id")
    assert (tm["first_form"] == order.reindex(tm.index).str.split(">").str[0]).all()
    assert (tm["forms"] == order.reindex(tm.index)).all()
    assert (tm["n_forms"] == first.groupby("member_id").size().reindex(tm.index)).all()
    # posters use the online form, newsletter subscribers are those who receive
    assert tm.loc[truth.posters, "forms"].str.contains("online").all()
    receivers = set(made["events"].loc[made["events"]["kind"] == "receive", "member_id"])
    assert receivers == set(truth.subscribers)


def test_sequential_flag_and_forms_curve(made):
    truth = made["truth"]
    act = _activity(made)
    use = act[["member_id", "month", "form"]].drop_duplicates()
    per_month = use.groupby(["member_id", "month"]).size()
    concurrent = set(per_month[per_month > 1].index.get_level_values("member_id"))
    tm = truth.members.set_index("member_id")
    assert (tm["sequential"] == ~tm.index.isin(concurrent)).all()
    assert tm["sequential"].any() and (~tm["sequential"]).any()
    start = per_month.reset_index().groupby("member_id")["month"].min()
    table = per_month.reset_index(name="forms")
    table["k"] = table["month"] - table["member_id"].map(start)
    curve = []
    for k in range(12):
        observed = start[start + k <= 23].index
        in_use = table[(table["k"] == k)].set_index("member_id")["forms"]
        curve.append(in_use.reindex(observed, fill_value=0).mean())
    assert np.allclose(curve, truth.forms_curve[:12])
    assert 2.2 < curve[0] < 2.8 and 1.7 < curve[5] < 2.3 and 1.2 < curve[11] < 1.8
    assert curve[0] > curve[5] > curve[11]


def test_newsletter(made):
    items, events, truth = made["items"], made["events"], made["truth"]
    assert (items["newsletter"] == synth.NEWSLETTER).all()
    per_issue = items.groupby("issue_id").size()
    assert len(per_issue) == 24 and per_issue.between(4, 8).all()
    assert list(per_issue.index) == sorted(truth.issues)
    assert len(items) == truth.n_items
    member_items = items["author_id"].notna()
    assert int(member_items.sum()) == truth.n_member_items > 0
    assert (~member_items).sum() > 0
    assert set(items["author_id"].dropna()) == set(truth.contributors)
    written = items["author_id"].value_counts()
    tm = truth.members.set_index("member_id")
    assert (tm.loc[written.index, "n_items"] == written).all()
    # every contributor received the issue they wrote for, at publication time
    receive = events[events["kind"] == "receive"]
    got = set(zip(receive["member_id"], receive["target_id"]))
    written_for = zip(items["author_id"][member_items], items["issue_id"][member_items])
    assert all((a, i) in got for a, i in written_for)
    published = items.groupby("issue_id")["published_at"].first()
    assert (receive["at"].to_numpy() == published.reindex(receive["target_id"]).to_numpy()).all()
    assert not receive.duplicated(["member_id", "target_id"]).any()


# -- persistence ------------------------------------------------------------------------------

def test_streaming_to_disk_matches_memory(tmp_path):
    mem_corpus, mem_truth = generate(5000, seed=7)
    disk_corpus, disk_truth = generate(5000, seed=7, path=tmp_path / "c", chunk_size=777)
    assert (tmp_path / "c" / "corpus.json").is_file()
    assert (tmp_path / "c" / "truth.json").is_file()
    assert (tmp_path / "c" / "truth_posts.parquet").is_file()
    for table in ("posts", "members", "events", "newsletter_items"):
        a = mem_corpus.table(table, columns=None) if table != "posts" else mem_corpus.posts(columns=None)
        b = disk_corpus.table(table, columns=None) if table != "posts" else disk_corpus.posts(columns=None)
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
    loaded = Truth.load(tmp_path / "c")
    pd.testing.assert_frame_equal(loaded.posts, mem_truth.posts)
    pd.testing.assert_frame_equal(loaded.members, mem_truth.members)
    pd.testing.assert_frame_equal(disk_truth.read_posts(), mem_truth.posts)
    for name in ("super_users", "lurkers", "n_edges", "dyadic_reciprocity", "forms_curve",
                 "unanswered_openers", "contributors"):
        assert getattr(loaded, name) == getattr(mem_truth, name)
    assert disk_corpus.manifest["provenance"]["source_format"] == "synthetic"
    # the truth generate returns (read back from its files) is the in-memory one, field by field
    pd.testing.assert_frame_equal(disk_truth.members, mem_truth.members)
    for f in dataclasses.fields(Truth):
        if f.name not in ("members", "posts", "source"):
            assert getattr(disk_truth, f.name) == getattr(mem_truth, f.name), f.name
    assert disk_truth.source == str(tmp_path / "c") and disk_truth.posts is None


def test_a_failed_generation_leaves_nothing_behind(tmp_path, monkeypatch):
    def fail(self, path):
        raise OSError("disk full")

    monkeypatch.setattr(Truth, "save", fail)
    with pytest.raises(OSError, match="disk full"):
        generate(1000, seed=2, path=tmp_path / "c", with_text=False)
    assert list(tmp_path.iterdir()) == []  # no corpus without its truth, no temporary folders


def test_truth_save_load_round_trip(tmp_path, made):
    truth = made["truth"]
    target = truth.save(tmp_path / "t")
    data = json.loads(target.read_text())
    assert isinstance(data["lurkers"], list) and data["n_members"] == truth.n_members
    loaded = Truth.load(tmp_path / "t")
    assert loaded.post_counts == truth.post_counts
    assert loaded.give_roles == truth.give_roles
    pd.testing.assert_frame_equal(loaded.posts, truth.posts)


# -- parameters ----------------------------------------------------------------------------------

def test_parameters_are_respected():
    corpus, truth = generate(4000, seed=3, n_members=900, lurker_share=0.3, n_topics=4,
                             months=6, start="2023-03-01", with_text=False)
    posts = corpus.posts(columns=["author_id", "created_at", "text"])
    assert truth.n_members == 900 and truth.n_lurkers == 270 and len(truth.topics) == 4
    assert posts["created_at"].min() >= pd.Timestamp("2023-03-01", tz="UTC")
    assert posts["created_at"].max() < pd.Timestamp("2023-09-01", tz="UTC")
    assert (posts["text"] == "").all()
    assert truth.posts["topic"].max() < 4


@pytest.mark.parametrize("kwargs", [dict(n_posts=5), dict(n_posts=1000, n_members=5000),
                                    dict(n_posts=1000, n_topics=13), dict(n_posts=1000, lurker_share=1.0),
                                    dict(n_posts=1000, start="2022-01-01 12:00")])
def test_impossible_parameters_raise(kwargs):
    with pytest.raises(ValueError):
        generate(**kwargs)
