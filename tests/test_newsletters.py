"""Tests of peerscope.pluralism.newsletters: the planted "Peer Post" of the synthetic
community, hand-made newsletters, and the numpy-discussion mailing list read as
a newsletter-like archive (one issue per day, like a daily digest)."""

from __future__ import annotations

import mailbox
import re
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from peerscope import Corpus, errors, newsletters, pluralism

from peerscope.corpus import schema
from peerscope.corpus import open_corpus
from peerscope.datasets.synth import generate

from conftest import utc


@pytest.fixture(scope="module")
def synthetic():
    corpus, truth = generate(6000, seed=8, with_text=False)
    return corpus, truth, newsletters.summary(corpus)


# -- planted truth -------------------------------------------------------------------

def test_planted_issues_items_and_contributors_are_recovered(synthetic):
    _, truth, result = synthetic
    row = result.frame.set_index("newsletter").loc[truth.newsletter]
    assert len(result.frame) == 1
    assert result.issues["issue_id"].tolist() == truth.issues
    assert row["issues"] == len(truth.issues)
    assert row["items"] == truth.n_items
    assert row["member_items"] == truth.n_member_items
    assert row["member_item_share"] == pytest.approx(truth.n_member_items / truth.n_items)
    assert set(result.contributors["member_id"]) == set(truth.contributors)
    assert row["contributors"] == len(truth.contributors)
    written = truth.members.set_index("member_id")["n_items"]
    got = result.contributors.set_index("member_id")["items"]
    assert (got == written.loc[got.index]).all()
    top5 = np.sort(written.to_numpy())[::-1][:5].sum()
    assert row["top_contributor_share"] == pytest.approx(top5 / truth.n_member_items)


def test_planted_reach_and_passive_recipients_are_recovered(synthetic):
    _, truth, result = synthetic
    row = result.frame.iloc[0]
    members = truth.members.set_index("member_id")
    assert set(result.recipients["member_id"]) == set(truth.subscribers)
    assert row["recipients"] == len(truth.subscribers)
    # active elsewhere: posters (online) and anyone with a one-to-one session
    sessions = set(members.index[members["forms"].str.contains("one_to_one")])
    active_elsewhere = set(truth.posters) | sessions
    passive = set(truth.subscribers) - set(truth.contributors) - active_elsewhere
    assert set(result.recipients.loc[result.recipients["passive_only"], "member_id"]) == passive
    assert row["passive_only_recipients"] == len(passive)
    assert row["contributors_active_elsewhere"] == len(set(truth.contributors) & active_elsewhere)
    # contributors write only in months they are subscribed, so all of them receive it
    assert row["contributors_receiving"] == len(truth.contributors)
    assert result.parameters["unmatched_receive_events"] == 0


def test_planted_monthly_cadence(synthetic):
    _, truth, result = synthetic
    # issues come out at 09:00 on the 3rd of each month: gaps are month lengths
    months = pd.PeriodIndex([i.removeprefix("peer-post-") for i in truth.issues], freq="M")
    gaps = np.array([m.days_in_month for m in months[:-1]], dtype=float)
    row = result.frame.iloc[0]
    assert row["gap_days_mean"] == pytest.approx(gaps.mean())
    assert row["gap_days_median"] == pytest.approx(np.median(gaps))
    assert row["gap_days_cv"] == pytest.approx(gaps.std(ddof=1) / gaps.mean())
    assert row["items_per_issue"] == pytest.approx(truth.n_items / len(truth.issues))
    assert 4 <= result.issues["items"].min() and result.issues["items"].max() <= 8


def test_dask_engine_gives_the_same_numbers(tmp_path):
    generate(2500, seed=6, with_text=False, path=tmp_path / "c")
    a = newsletters.summary(open_corpus(tmp_path / "c"), top=3)
    b = newsletters.summary(open_corpus(tmp_path / "c", engine="dask"), top=3)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    pd.testing.assert_frame_equal(a.recipients, b.recipients)
    pd.testing.assert_frame_equal(a.contributors, b.contributors)
    assert a.parameters == b.parameters


def test_columnar_matching_equals_plain_pandas_and_dask(tmp_path):
    """The pandas engine matches events to newsletters in the columnar engine, Dask on its
    workers: both give what a plain pandas merge gives, with events matched by channel and by
    issue id, an issue id ("both") that two newsletters share, repeated events, other kinds
    on a newsletter's channel, and receive events that match nothing."""
    posts = pd.DataFrame({"post_id": ["p1"], "thread_id": ["p1"], "parent_id": [None],
                          "author_id": ["dan"], "created_at": utc("2024-01-05"), "text": [""]})
    items = pd.DataFrame({"item_id": ["a", "b", "c", "d"], "issue_id": ["p1", "both", "both", "e1"],
                          "newsletter": ["Post", "Post", "Echo", "Echo"], "author_id": ["ann", None, "cat", None],
                          "published_at": utc("2024-01-01", "2024-01-08", "2024-01-08", "2024-01-15"),
                          "text": [""] * 4})
    events = pd.DataFrame({
        "member_id": ["ann", "ann", "ann", "bob", "bob", "cat", "dan", "eve", "fay", "gus", "hal", "hal"],
        "at": utc(*["2024-01-09"] * 12),
        "kind": ["receive", "receive", "receive", "receive", "contribute", "contribute", "receive", "receive",
                 "receive", "view", "receive", "receive"],
        "form": ["newsletter"] * 9 + ["online"] + ["newsletter"] * 2,
        "channel": ["Post", None, "Post", None, "Echo", None, "Other", None, "Echo", "Post", None, None],
        "target_id": [None, "p1", "both", "both", None, "both", None, "x9", "e1", "p1", None, None]})
    corpus = Corpus.from_frames(posts, events=events, newsletter_items=items)
    corpus.save(tmp_path / "c")

    issue_map = items[["issue_id", "newsletter"]].drop_duplicates()
    names = ["Echo", "Post"]
    mine = events[events["kind"].isin(["receive", "contribute"])]
    pairs = pd.concat([mine[mine["channel"].isin(names)].rename(columns={"channel": "newsletter"}),
                       mine.merge(issue_map, left_on="target_id", right_on="issue_id")])
    pairs = pairs[["kind", "newsletter", "member_id"]].drop_duplicates().astype("str")
    expected = {kind: pairs.loc[pairs["kind"] == kind, ["newsletter", "member_id"]]
                .sort_values(["newsletter", "member_id"], ignore_index=True) for kind in ("receive", "contribute")}
    receive = mine[mine["kind"] == "receive"]
    unmatched = int((~receive["channel"].isin(names) & ~receive["target_id"].isin(issue_map["issue_id"])).sum())
    assert unmatched == 4  # dan (another channel), eve (another issue), hal twice (no link)
    assert expected["receive"].values.tolist() == [["Echo", "ann"], ["Echo", "bob"], ["Echo", "fay"],
                                                   ["Post", "ann"], ["Post", "bob"]]

    for engine in ("pandas", "dask"):
        opened = open_corpus(tmp_path / "c", engine=engine)
        matched, n = newsletters._matched_members(opened, names, issue_map, opened.time_window)
        assert n == unmatched
        for kind in expected:
            pd.testing.assert_frame_equal(matched[kind], expected[kind])
    a = newsletters.summary(open_corpus(tmp_path / "c"))
    b = newsletters.summary(open_corpus(tmp_path / "c", engine="dask"))
    for name in ("frame", "issues", "contributors", "recipients"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.parameters == b.parameters


# -- hand-made newsletters ----------------------------------------------------------------

@pytest.fixture
def two_newsletters():
    """"Post" has issues on Jan 1, Jan 11, Jan 31 (gaps 10 and 20 days); "Echo" one issue.

    Items: Post jan1 by ann, bot, staff; jan11 by ann, bob; jan31 by ann.  Echo e1 by cat.
    Receive events: by channel "Post" (ann, dan, eve, bot), by target "e1" (dan),
    one with no link (fay), one for an unknown channel (gus).  bob contributes to Echo by a
    contribute event.  dan posts online; eve attends a group (passive).
    """
    posts = pd.DataFrame({"post_id": ["p1"], "thread_id": ["p1"], "parent_id": [None],
                          "author_id": ["dan"], "created_at": utc("2024-01-05"), "text": [""]})
    members = pd.DataFrame({"member_id": ["ann", "bob", "cat", "dan", "eve", "fay", "gus", "bot"],
                            "role": ["member"] * 7 + ["bot"]})
    items = pd.DataFrame({
        "item_id": ["a", "b", "c", "d", "e", "f", "g"],
        "issue_id": ["jan1", "jan1", "jan1", "jan11", "jan11", "jan31", "e1"],
        "newsletter": ["Post"] * 6 + ["Echo"],
        "author_id": ["ann", "bot", None, "ann", "bob", "ann", "cat"],
        "published_at": utc("2024-01-01", "2024-01-01", "2024-01-01", "2024-01-11",
                            "2024-01-11", "2024-01-31", "2024-01-15"),
        "text": [""] * 7})
    events = pd.DataFrame({
        "member_id": ["ann", "dan", "eve", "bot", "dan", "fay", "gus", "bob", "eve"],
        "at": utc(*["2024-01-02"] * 9),
        "kind": ["receive"] * 7 + ["contribute", "attend"],
        "form": ["newsletter"] * 8 + ["group"],
        "channel": ["Post", "Post", "Post", "Post", None, None, "Other", "Echo", "tuesdays"],
        "target_id": [None, None, None, None, "e1", None, None, None, None]})
    return Corpus.from_frames(posts, members, events, items)


def test_hand_made_newsletters(two_newsletters):
    result = newsletters.summary(two_newsletters, top=1)
    frame = result.frame.set_index("newsletter")
    post, echo = frame.loc["Post"], frame.loc["Echo"]
    assert post["issues"] == 3 and echo["issues"] == 1
    assert post["gap_days_mean"] == 15.0 and post["gap_days_median"] == 15.0
    assert post["gap_days_cv"] == pytest.approx(np.std([10, 20], ddof=1) / 15)
    assert np.isnan(echo["gap_days_mean"]) and np.isnan(echo["gap_days_cv"])
    assert post["items"] == 6 and post["items_per_issue"] == 2.0
    assert post["member_items"] == 4  # the bot's and the staff item are not members'
    assert post["member_item_share"] == pytest.approx(4 / 6)
    assert post["contributors"] == 2  # ann and bob
    assert post["contributors_per_issue"] == pytest.approx((1 + 2 + 1) / 3)
    assert post["top_contributor_share"] == pytest.approx(3 / 4)  # ann wrote 3 of 4
    assert post["recipients"] == 3  # ann, dan, eve (not the bot)
    assert post["passive_only_recipients"] == 1  # eve: attending is passive
    assert post["contributors_receiving"] == 1  # ann
    assert post["contributors_active_elsewhere"] == 0
    assert echo["contributors"] == 2  # cat (item) and bob (contribute event)
    assert echo["recipients"] == 1  # dan, by the issue id
    assert echo["passive_only_recipients"] == 0  # dan posts online
    assert result.parameters["unmatched_receive_events"] == 2  # fay and gus
    assert result.to_frame().attrs["parameters"]["top"] == 1
    issues = result.issues.set_index("issue_id")
    assert issues.loc["jan1", "member_items"] == 1 and issues.loc["jan11", "contributors"] == 2
    assert issues.loc["jan11", "gap_days"] == 10.0 and issues.loc["jan31", "gap_days"] == 20.0
    assert np.isnan(issues.loc["jan1", "gap_days"]) and np.isnan(issues.loc["e1", "gap_days"])


def test_window_and_reused_uses(two_newsletters):
    result = newsletters.summary(two_newsletters, end="2024-01-20")
    post = result.frame.set_index("newsletter").loc["Post"]
    assert post["issues"] == 2 and post["gap_days_mean"] == 10.0
    uses = pluralism.forms_in_use(two_newsletters)
    again = newsletters.summary(two_newsletters, uses=uses)
    pd.testing.assert_frame_equal(again.frame, newsletters.summary(two_newsletters).frame)
    with pytest.raises(errors.PeerscopeError, match="another window"):
        newsletters.summary(two_newsletters, end="2024-01-20", uses=uses)
    with pytest.raises(errors.PeerscopeError, match="top"):
        newsletters.summary(two_newsletters, top=0)


def test_corpus_without_newsletters():
    corpus = Corpus.from_frames(schema.empty_frame(schema.POSTS))
    result = newsletters.summary(corpus)
    assert result.frame.empty and list(result.frame.columns)[:2] == ["newsletter", "issues"]


# -- real data: numpy-discussion, November 2001 ---------------------------------------------

SEPARATOR = re.compile(r"^From (\S+ at \S+)\s+(\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4})$")


def _items_from_mbox(path) -> pd.DataFrame:
    """The archive as newsletter items: one item per message (its author the
    sender's address, written "user at domain"), one issue per day (what a daily
    digest would hold)."""
    rows = []
    for i, message in enumerate(mailbox.mbox(path)):
        sender = message["From"].split(" (")[0].strip().lower()
        rows.append({"item_id": f"m{i:03d}", "published_at": message["Date"], "author_id": sender})
    items = pd.DataFrame(rows)
    items["published_at"] = pd.to_datetime(items["published_at"], format="%a %b %d %H:%M:%S %Y")
    items["issue_id"] = items["published_at"].dt.strftime("%Y-%m-%d")
    items["newsletter"] = "numpy-discussion"
    items["text"] = ""
    return items


def test_numpy_discussion_archive_as_a_newsletter(shared_data):
    path = shared_data / "mbox-numpy-discussion-2001" / "numpy-discussion-2001-November.txt"
    corpus = Corpus.from_frames(schema.empty_frame(schema.POSTS), newsletter_items=_items_from_mbox(path),
                                assume_tz="UTC")
    row = newsletters.summary(corpus, top=3).frame.iloc[0]

    # expected values straight from the raw file's "From " separator lines
    senders, first_of_day = [], {}
    for line in path.read_text(encoding="latin-1").splitlines():
        match = SEPARATOR.match(line)
        if match:
            senders.append(match.group(1).lower())
            sent = pd.Timestamp(match.group(2))
            day = sent.normalize()
            first_of_day[day] = min(first_of_day.get(day, sent), sent)
    assert len(senders) == 164
    counts = Counter(senders)
    # an issue's date is its earliest item: the day's first message
    issue_days = sorted(first_of_day)
    gaps = np.diff([first_of_day[d].value for d in issue_days]) / (86400 * 1e9)

    assert row["items"] == 164
    assert row["member_items"] == 164 and row["member_item_share"] == 1.0
    assert row["contributors"] == len(counts) == 39
    assert row["issues"] == len(issue_days)
    assert row["gap_days_mean"] == pytest.approx(gaps.mean())
    assert row["gap_days_median"] == pytest.approx(np.median(gaps))
    assert row["gap_days_cv"] == pytest.approx(gaps.std(ddof=1) / gaps.mean())
    top3 = sum(n for _, n in counts.most_common(3))
    assert top3 == 20 + 18 + 14  # Nils Wagner, Konrad Hinsen, Chris Barker
    assert row["top_contributor_share"] == pytest.approx(top3 / 164)
    assert row["recipients"] == 0  # an archive has no delivery list: reach is unknown


def test_receive_events_without_channel_or_target_match_nothing(two_newsletters):
    events = two_newsletters.events(columns=["member_id", "at", "kind", "form"])
    corpus = Corpus.from_frames(two_newsletters.posts(columns="all"), two_newsletters.members(),
                                events, two_newsletters.newsletter_items(columns="all"))
    result = newsletters.summary(corpus)
    assert result.frame["recipients"].tolist() == [0, 0]
    assert result.parameters["unmatched_receive_events"] == 7
    # bob's contribute event no longer matches Echo: only cat's item counts
    assert result.frame.set_index("newsletter").loc["Echo", "contributors"] == 1
