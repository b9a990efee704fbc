"""Group comparisons: ``participation.summary(..., by=...)`` and ``reciprocity.summary(..., by=...)``."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency, mannwhitneyu

from peerscope import Corpus, errors, participation, reciprocity
from peerscope.datasets import synth
from peerscope.loaders.table import table
from peerscope.participation.groups import OTHER, UNKNOWN, GroupComparison


# ---------------------------------------------------------------------------
# A synthetic community with a planted attribute
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def planted():
    """The synthetic forum with ``cohort``: heavy posters mostly "A", light posters and lurkers mostly "B"
    (lurkers and light posters alike, so the lurker shares differ less than posts per poster).

    A tenth of the members have no cohort (group ``unknown``).
    """
    corpus, _ = synth.generate(3000, seed=7, months=6, with_text=False)
    posts = corpus.posts(columns="all")
    members = corpus.members(columns="all")
    per_member = posts["author_id"].value_counts()
    posts_of = members["member_id"].map(per_member).fillna(0).to_numpy()
    rng = np.random.default_rng(11)
    heavy = posts_of >= 3
    is_a = np.where(heavy, rng.random(len(members)) < 0.85, rng.random(len(members)) < 0.2)
    cohort = np.where(is_a, "A", "B").astype(object)
    cohort[rng.random(len(members)) < 0.1] = None
    members = members.assign(cohort=pd.array(cohort, dtype="str"),
                             coin=pd.array(np.where(rng.random(len(members)) < 0.5, "heads", "tails"),
                                           dtype="str"))
    community = Corpus.from_frames(posts, members, events=corpus.events(columns="all"), roster=True)
    return community, posts, members


def _person_posts(posts: pd.DataFrame, members: pd.DataFrame) -> pd.Series:
    """Posts per person (bots, anonymous and null authors left out), by pandas."""
    persons = members.loc[~members["role"].isin(["bot", "anonymous", "deleted"]), "member_id"]
    return posts.loc[posts["author_id"].isin(persons), "author_id"].value_counts()


def test_planted_difference_is_detected(planted):
    community, posts, members = planted
    result = participation.summary(community, by="cohort", replicates=200)
    assert isinstance(result, GroupComparison)
    assert result.groups == ("A", "B", UNKNOWN) and result.compared == ("A", "B")
    frame = result.to_frame().set_index("statistic")
    tests = result.tests.set_index("statistic")
    # heavier posters in A: more posts per poster, fewer lurkers, both significant
    assert frame.loc["posts_per_poster_median", "A"] > frame.loc["posts_per_poster_median", "B"]
    assert tests.loc["posts_per_poster_median", "test"] == "Mann-Whitney U"
    assert tests.loc["posts_per_poster_median", "p_value"] < 1e-6
    assert frame.loc["lurker_share", "A"] < frame.loc["lurker_share", "B"]
    assert tests.loc["lurker_share", "test"] == "chi-square"
    assert tests.loc["lurker_share", "p_value"] < 0.01
    # the numbers are pandas' numbers
    counts = _person_posts(posts, members)
    cohort = members.set_index("member_id")["cohort"]
    persons = members.loc[~members["role"].isin(["bot", "anonymous", "deleted"])]
    for group in ("A", "B"):
        ids = cohort[cohort == group].index
        group_counts = counts[counts.index.isin(ids)]
        group_members = int(persons["member_id"].isin(ids).sum())
        assert frame.loc["posters", group] == len(group_counts)
        assert frame.loc["members", group] == group_members == result.sizes[group]
        assert frame.loc["posts", group] == group_counts.sum()
        assert frame.loc["posts_per_poster_median", group] == float(np.median(group_counts))
        assert frame.loc["lurker_share", group] == pytest.approx(1 - len(group_counts) / group_members)
        low, high = frame.loc["lurker_share", [f"{group} ci_low", f"{group} ci_high"]]
        assert low < frame.loc["lurker_share", group] < high
    # the members without a cohort are reported, not dropped
    assert sum(result.sizes.values()) == len(persons)
    assert result.sizes[UNKNOWN] == int(persons["cohort"].isna().sum()) > 0
    # the test statistics are scipy's on the same samples
    samples = [counts[counts.index.isin(cohort[cohort == g].index)].to_numpy() for g in ("A", "B")]
    expected = mannwhitneyu(samples[0], samples[1], alternative="two-sided")
    assert tests.loc["posts_per_poster_median", "test_statistic"] == pytest.approx(expected.statistic)
    table_ = [[frame.loc["lurkers", g], frame.loc["posters", g]] for g in ("A", "B")]
    assert tests.loc["lurker_share", "p_value"] == pytest.approx(chi2_contingency(table_).pvalue)


def test_gini_difference_has_a_bootstrap_interval(planted):
    community, _, _ = planted
    result = participation.summary(community, by="cohort", replicates=300)
    frame = result.to_frame().set_index("statistic")
    test = result.tests.set_index("statistic").loc["gini_posters"]
    assert test["test"] == "bootstrap difference" and np.isnan(test["p_value"])
    gini = frame.loc["gini_posters"]
    assert test["difference"] == pytest.approx(gini["A"] - gini["B"])
    assert test["ci_low"] <= test["difference"] <= test["ci_high"]
    for group in ("A", "B"):
        low, high = frame.loc["gini_posters", [f"{group} ci_low", f"{group} ci_high"]]
        assert low <= high


def test_an_attribute_unrelated_to_posting_shows_no_difference(planted):
    community, _, _ = planted
    result = participation.summary(community, by="coin", replicates=100)
    tests = result.tests.set_index("statistic")
    assert tests.loc["posts_per_poster_median", "p_value"] > 0.01
    assert tests.loc["lurker_share", "p_value"] > 0.01


def test_three_groups_use_kruskal_wallis_and_groups_pool_the_rest(planted):
    community, _, members = planted
    result = participation.summary(community, by="role", replicates=0, include_bots=True)
    assert result.tests.set_index("statistic").loc["posts_per_poster_median", "test"] == "Kruskal-Wallis H"
    picked = participation.summary(community, by="cohort", groups=["A"], replicates=0)
    assert picked.compared == ("A",)
    assert set(picked.groups) == {"A", OTHER, UNKNOWN}
    assert picked.sizes[OTHER] == int((members["cohort"] == "B").sum())


def test_display_is_short_and_typed(planted):
    community, _, _ = planted
    result = participation.summary(community, by="cohort", replicates=50)
    text = repr(result)
    assert len(text.splitlines()) <= 15 and "lurker share" in text
    assert result._repr_html_().startswith("<table")
    tidy = result.to_frame(wide=False)
    assert str(tidy["count"].dtype) == "Int64" and str(tidy["value"].dtype) == "float64"
    assert tidy.attrs["parameters"]["sizes"] == result.sizes
    wide = result.to_frame()
    assert list(wide.columns[:5]) == ["statistic", "kind", "A", "A ci_low", "A ci_high"]
    assert {"test", "p_value", "difference"} <= set(wide.columns)


def test_bad_groupings_name_what_there_is(planted):
    community, _, _ = planted
    with pytest.raises(errors.PeerscopeError, match=r"by='nonexistent'.*'cohort'"):
        participation.summary(community, by="nonexistent")
    with pytest.raises(errors.PeerscopeError, match="holds times"):
        participation.summary(community, by="joined_at")
    with pytest.raises(errors.PeerscopeError, match=r"\['C'\] have no member"):
        participation.summary(community, by="cohort", groups=["A", "C"])
    graph = reciprocity.reply_graph(community)
    with pytest.raises(errors.PeerscopeError, match="needs the corpus"):
        reciprocity.summary(graph, by="cohort")


def test_reciprocity_by_group_counts_edges_by_source(planted):
    community, _, members = planted
    result = reciprocity.summary(community, by="cohort")
    edges = reciprocity.reply_graph(community).edges
    pairs = set(zip(edges["source"], edges["target"]))
    back = np.array([(t, s) in pairs for s, t in zip(edges["source"], edges["target"])])
    cohort = edges["source"].map(members.set_index("member_id")["cohort"]).fillna(UNKNOWN)
    frame = result.to_frame().set_index("statistic")
    for group in ("A", "B", UNKNOWN):
        mine = (cohort == group).to_numpy()
        assert frame.loc["edges", group] == mine.sum()
        assert frame.loc["reciprocated_edges", group] == (mine & back).sum()
    balance = reciprocity.give_receive(community).members
    roles = pd.crosstab(balance["member_id"].map(members.set_index("member_id")["cohort"]).fillna(UNKNOWN),
                        balance["role"])
    for role in roles.columns:
        assert frame.loc[f"members_{role}", "A"] == roles.loc["A", role]
    tests = result.tests.set_index("statistic")
    assert tests.loc["roles", "test"] == "chi-square" and 0 <= tests.loc["roles", "p_value"] <= 1
    assert len(repr(result).splitlines()) <= 15


# ---------------------------------------------------------------------------
# The ALS forum: caregivers (CALS) and patients (PALS) side by side
# ---------------------------------------------------------------------------

ALS_MAPPING = {"thread_id": "post_id", "author_id": "user_name", "created_at": "date",
               "text": "body", "title": "title", "is_reply": "reply"}


@pytest.fixture(scope="module")
def als(shared_data):
    path = shared_data / "forum-alsforums-caregivers" / "als.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # 2 members with two reasons: counted in the manifest
        corpus = table(path, ALS_MAPPING, replies="flat", assume_tz="UTC",
                       member_attributes={"reason_joined": "user_reason_joined"})
    return pd.read_csv(path), corpus


def _reason(raw: pd.DataFrame) -> pd.Series:
    """Each user's most frequent reason (ties: latest post), by pandas."""
    rows = raw.assign(row=np.arange(len(raw)), at=pd.to_datetime(raw["date"]))
    rows = rows.dropna(subset=["user_reason_joined"])
    counted = rows.groupby(["user_name", "user_reason_joined"]).agg(n=("row", "size"), at=("at", "max"),
                                                                     row=("row", "max")).reset_index()
    counted = counted.sort_values(["user_name", "n", "at", "row"]).drop_duplicates("user_name", keep="last")
    return counted.set_index("user_name")["user_reason_joined"]


def test_als_cals_and_pals_side_by_side(als):
    raw, corpus = als
    result = participation.summary(corpus, by="reason_joined", groups=["CALS", "PALS"])
    frame = result.to_frame().set_index("statistic")
    reason = _reason(raw)
    per_user = raw["user_name"].value_counts()
    samples = {}
    for group in ("CALS", "PALS"):
        counts = per_user[per_user.index.isin(reason[reason == group].index)]
        samples[group] = counts.to_numpy()
        assert frame.loc["posters", group] == len(counts) == result.sizes[group]
        assert frame.loc["posts", group] == counts.sum() == raw["user_name"].map(reason).eq(group).sum()
        assert frame.loc["posts_per_poster_median", group] == counts.median()
    assert (frame.loc["posters", "CALS"], frame.loc["posters", "PALS"]) == (68, 44)
    assert frame.loc["posters", UNKNOWN] == raw["user_name"].nunique() - len(reason) == 1
    assert sum(result.sizes.values()) == raw["user_name"].nunique()
    # a scrape has no roster: lurkers are not counted, and the test says why
    assert np.isnan(frame.loc["lurker_share", "CALS"]) and result.basis == "posters"
    tests = result.tests.set_index("statistic")
    assert "lurkers cannot be counted" in tests.loc["lurker_share", "detail"]
    expected = mannwhitneyu(samples["CALS"], samples["PALS"], alternative="two-sided")
    assert tests.loc["posts_per_poster_median", "p_value"] == pytest.approx(expected.pvalue)
    assert tests.loc["posts_per_poster_median", "groups"] == "CALS vs PALS"


def test_als_reciprocity_by_reason(als):
    raw, corpus = als
    result = reciprocity.summary(corpus, by="reason_joined", groups=["CALS", "PALS"])
    # flat threads: each reply is an edge from its author to the thread's opening poster
    rows = raw.assign(row=np.arange(len(raw)), at=pd.to_datetime(raw["date"]))
    opener = (rows[~rows["reply"]].sort_values(["post_id", "at", "row"]).drop_duplicates("post_id")
              .set_index("post_id")["user_name"])
    first = rows.sort_values(["post_id", "at", "row"]).drop_duplicates("post_id")["row"]
    replies = rows[~rows["row"].isin(first)].assign(target=lambda f: f["post_id"].map(opener))
    edges = replies.loc[replies["user_name"] != replies["target"], ["user_name", "target"]].drop_duplicates()
    pairs = set(zip(edges["user_name"], edges["target"]))
    back = np.array([(t, s) in pairs for s, t in zip(edges["user_name"], edges["target"])])
    reason = _reason(raw)
    frame = result.to_frame().set_index("statistic")
    for group in ("CALS", "PALS"):
        mine = edges["user_name"].map(reason).eq(group).to_numpy()
        assert frame.loc["edges", group] == mine.sum()
        assert frame.loc["reciprocated_edges", group] == (mine & back).sum()
        assert frame.loc["dyadic_reciprocity", group] == pytest.approx((mine & back).sum() / mine.sum())


# ---------------------------------------------------------------------------
# Tenure by group
# ---------------------------------------------------------------------------

def test_tenure_by_group_equals_kaplan_meier_per_group_and_the_log_rank_test(planted):
    from scipy.stats import CensoredData, logrank

    from peerscope.participation import engagement

    corpus = planted[0]
    # a short withdrawal, so that half of each group withdraws within the six months
    comparison = engagement.survival(corpus, withdrawal="14D", by="cohort", groups=["A", "B"])
    assert isinstance(comparison, GroupComparison) and comparison.compared == ("A", "B")
    # by hand: the poster table of the plain survival, split by each poster's cohort
    members = engagement.survival(corpus, withdrawal="14D").members
    cohort = corpus.members(columns="all").set_index("member_id")["cohort"]
    group = members.index.map(cohort).to_series(index=members.index).fillna(UNKNOWN)
    estimates = comparison.estimates.set_index(["statistic", "group"])
    for name in ("A", "B"):
        mine = members[group == name]
        assert estimates.loc[("posters", name), "count"] == len(mine)
        assert estimates.loc[("withdrawn", name), "count"] == int(mine["withdrawn"].sum())
        curve = engagement.kaplan_meier(mine["tenure_days"], mine["withdrawn"])
        for column, estimate in (("survival", "value"), ("ci_low", "ci_low"), ("ci_high", "ci_high")):
            reached = curve.loc[curve[column] <= 0.5, "days"]   # first day the curve (or band) is <= 0.5
            expected = float(reached.iloc[0]) if len(reached) else np.nan
            assert estimates.loc[("median_tenure_days", name), estimate] == pytest.approx(expected, nan_ok=True)
    assert estimates.loc[[("median_tenure_days", "A"), ("median_tenure_days", "B")], "value"].notna().all()
    samples = [CensoredData(uncensored=m["tenure_days"][m["withdrawn"]].to_numpy(dtype=float),
                            right=m["tenure_days"][~m["withdrawn"]].to_numpy(dtype=float))
               for m in (members[group == "A"], members[group == "B"])]
    tests = comparison.tests.set_index("statistic")
    assert tests.loc["median_tenure_days", "test"] == "log-rank"
    assert tests.loc["median_tenure_days", "p_value"] == pytest.approx(logrank(*samples).pvalue)
    table = pd.crosstab(group[group.isin(["A", "B"])], members["withdrawn"][group.isin(["A", "B"])])
    assert tests.loc["withdrawn_share", "p_value"] == pytest.approx(chi2_contingency(table.to_numpy()).pvalue)
    # one compared group: no log-rank test, and it says how to get one
    three = engagement.survival(corpus, withdrawal="14D", by="cohort", groups=["A"])
    assert "pass groups=[a, b]" in three.tests.set_index("statistic").loc["median_tenure_days", "detail"]
