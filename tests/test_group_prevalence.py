"""Support shares and topic prevalence by a member attribute (issue 20, group comparisons), and their plots."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency

from peerscope import Corpus, support, topics
from peerscope.datasets import synth
from peerscope.errors import PeerscopeError

matplotlib.use("Agg")

REASONS = np.array(["carer", "patient", "friend", None], dtype=object)


@pytest.fixture(scope="module")
def synthetic():
    """The synthetic community with a ``reason_joined`` attribute drawn at random for every member."""
    corpus, _ = synth.generate(3000, seed=1)
    members = corpus.members(columns="all")
    rng = np.random.default_rng(7)
    members["reason_joined"] = pd.array(rng.choice(REASONS, size=len(members), p=[0.4, 0.3, 0.2, 0.1]),
                                        dtype="str")
    with_attribute = Corpus.from_frames(corpus.posts(columns="all"), members)
    classified = support.classify(with_attribute, support.LexiconLabeller())
    return with_attribute, members, classified


def _hand_groups(corpus, members, classified) -> pd.Series:
    """Each labelled post's group by pandas merges: the author's reason, "unknown" when none."""
    posts = corpus.posts(columns=["post_id", "author_id"])
    merged = classified[["post_id"]].merge(posts, on="post_id", how="left").merge(
        members[["member_id", "reason_joined"]], left_on="author_id", right_on="member_id", how="left")
    return merged["reason_joined"].astype(object).where(merged["reason_joined"].notna(), "unknown")


def bar_groups(ax) -> list:
    return [c for c in ax.containers if isinstance(c, matplotlib.container.BarContainer)]


def test_support_shares_per_group_equal_a_pandas_groupby(synthetic):
    corpus, members, classified = synthetic
    table = support.prevalence_by(corpus, classified, "reason_joined", n_boot=200, random_state=0)
    hand = pd.DataFrame({"group": _hand_groups(corpus, members, classified).to_numpy(),
                         "label": classified["label"].astype(str).to_numpy()})
    expected = hand.groupby("group")["label"].value_counts(normalize=True).unstack(fill_value=0.0)
    got = table.pivot(index="group", columns="label", values="raw_share")
    pd.testing.assert_frame_equal(got.sort_index().sort_index(axis=1),
                                  expected.sort_index().sort_index(axis=1), check_names=False,
                                  check_dtype=False)
    assert table.attrs["groups"] == ["carer", "friend", "patient", "unknown"]
    assert table.attrs["sizes"] == hand["group"].value_counts().to_dict()
    assert table.groupby("group")["n"].first().to_dict() == hand["group"].value_counts().to_dict()
    # every share has its bootstrap interval around it
    assert ((table["ci_low"] <= table["raw_share"] + 1e-12) & (table["raw_share"] <= table["ci_high"] + 1e-12)).all()
    # the same shares through the documented helper and support.prevalence
    groups = support.author_groups(corpus, classified, "reason_joined")
    assert (groups.to_numpy() == hand["group"].to_numpy()).all()
    direct = support.prevalence(classified["label"], groups=groups, n_boot=200, random_state=0)
    assert np.allclose(direct.set_index(["group", "label"])["raw_share"].sort_index(),
                       table.set_index(["group", "label"])["raw_share"].sort_index())


def test_support_test_is_the_chi_square_of_the_compared_groups(synthetic):
    corpus, members, classified = synthetic
    table = support.prevalence_by(corpus, classified, "reason_joined", groups=["carer", "patient"], n_boot=50,
                                  random_state=0)
    assert table.attrs["groups"] == ["carer", "patient", "other", "unknown"]
    assert table.attrs["compared"] == ["carer", "patient"]
    hand = _hand_groups(corpus, members, classified).replace({"friend": "other"})
    compared = hand.isin(["carer", "patient"]).to_numpy()
    counts = pd.crosstab(hand[compared].to_numpy(), classified["label"].astype(str)[compared].to_numpy())
    counts = counts.loc[:, counts.sum() > 0]
    expected = chi2_contingency(counts.to_numpy())
    test = table.attrs["test"]
    assert test["groups"] == ["carer", "patient"]   # other and unknown reported, not tested
    assert test["statistic"] == pytest.approx(expected.statistic)
    assert test["p_value"] == pytest.approx(expected.pvalue)
    assert test["dof"] == expected.dof
    assert set(table["group"]) == {"carer", "patient", "other", "unknown"}


def test_support_errors_name_the_problem(synthetic):
    corpus, _, classified = synthetic
    with pytest.raises(PeerscopeError, match="not a member attribute"):
        support.prevalence_by(corpus, classified, "diagnosis")
    with pytest.raises(PeerscopeError, match="forum posts"):
        support.author_groups(corpus, classified.rename(columns={"post_id": "doc_id"}).assign(
            source="newsletter_items"), "reason_joined")


@pytest.fixture(scope="module")
def synthetic_topics(synthetic):
    corpus, members, _ = synthetic
    model = topics.fit(corpus, k=4, method="nmf", seed=0)
    return corpus, members, model


def test_topic_shares_per_group_equal_a_pandas_groupby(synthetic_topics):
    corpus, members, model = synthetic_topics
    table = topics.prevalence(model, by="reason_joined", corpus=corpus, groups=["carer", "patient"])
    docs = model.docs.reset_index(drop=True)
    reason = docs["author_id"].map(members.set_index("member_id")["reason_joined"]).astype(object)
    group = reason.where(reason.notna(), "unknown").replace({"friend": "other"})
    hand = pd.DataFrame({"group": group, "topic": model.dominant_topics()})
    hand = hand[hand["topic"] >= 0]
    expected = hand.groupby("group")["topic"].value_counts(normalize=True).unstack(fill_value=0.0)
    got = table.pivot(index="group", columns="topic", values="dominant_share")
    pd.testing.assert_frame_equal(got.sort_index(), expected.sort_index().reindex(columns=got.columns,
                                                                                  fill_value=0.0),
                                  check_names=False, check_dtype=False)
    assert table.attrs["groups"] == ["carer", "patient", "other", "unknown"]
    # odds ratio of carers against patients, by hand from the 2 x 2 table of each topic
    counts = hand[hand["group"].isin(["carer", "patient"])].groupby("group")["topic"].value_counts().unstack(
        fill_value=0).reindex(columns=range(model.k), fill_value=0)
    carer = table[table["group"] == "carer"].set_index("topic")
    for topic in range(model.k):
        a, c = counts.loc["carer", topic], counts.loc["patient", topic]
        b, d = counts.loc["carer"].sum() - a, counts.loc["patient"].sum() - c
        if min(a, b, c, d) > 0:
            assert carer.loc[topic, "odds_ratio"] == pytest.approx(a * d / (b * c))
    patient = table[table["group"] == "patient"].set_index("topic")
    assert np.allclose(carer["odds_ratio"] * patient["odds_ratio"], 1.0)
    assert table.loc[table["group"].isin(["other", "unknown"]), "odds_ratio"].isna().all()
    # the chi-square test of group x dominant topic, compared groups only
    test = table.attrs["test"]
    compared = hand[hand["group"].isin(["carer", "patient"])]
    expected_test = chi2_contingency(pd.crosstab(compared["group"], compared["topic"]).to_numpy())
    assert test["p_value"] == pytest.approx(expected_test.pvalue)
    assert test["groups"] == ["carer", "patient"]


def test_plots_have_one_bar_group_per_group(synthetic, synthetic_topics):
    corpus, _, classified = synthetic
    shares = support.prevalence_by(corpus, classified, "reason_joined", n_boot=50, random_state=0)
    ax = support.plot_prevalence(shares)
    bars = bar_groups(ax)
    assert [b.get_label() for b in bars] == shares.attrs["groups"]
    assert all(len(b) == shares["label"].nunique() for b in bars)
    corpus, _, model = synthetic_topics
    table = topics.prevalence(model, by="reason_joined", corpus=corpus)
    ax = topics.plot_prevalence(table)
    bars = bar_groups(ax)
    assert [b.get_label() for b in bars] == table.attrs["groups"]
    assert all(len(b) == model.k for b in bars)
    assert len(bar_groups(topics.plot_prevalence(table, share="mean_share"))) == len(table.attrs["groups"])


ALS_MAPPING = {"thread_id": "post_id", "author_id": "user_name", "created_at": "date",
               "text": "body", "title": "title", "is_reply": "reply"}


@pytest.fixture(scope="module")
def als(shared_data):
    from peerscope.loaders.table import table

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # conflicting attribute values are reported at import
        return table(shared_data / "forum-alsforums-caregivers" / "als.csv", ALS_MAPPING, replies="flat",
                     assume_tz="UTC", member_attributes={"reason_joined": "user_reason_joined"})


@pytest.mark.shared_data
def test_als_support_shares_show_cals_and_pals_side_by_side(als):
    classified = support.classify(als, support.LexiconLabeller())
    table = support.prevalence_by(als, classified, "reason_joined", groups=["CALS", "PALS"], n_boot=200,
                                  random_state=0)
    side_by_side = table.pivot(index="label", columns="group", values="raw_share")
    assert {"CALS", "PALS"} <= set(side_by_side.columns)
    assert np.allclose(side_by_side[["CALS", "PALS"]].sum(), 1.0)
    assert table.attrs["test"]["groups"] == ["CALS", "PALS"] and 0 <= table.attrs["test"]["p_value"] <= 1
    assert sum(table.attrs["sizes"].values()) == len(classified)
    assert len(bar_groups(support.plot_prevalence(table))) == len(table.attrs["groups"])


@pytest.mark.shared_data
def test_als_topics_show_cals_and_pals_side_by_side(als):
    model = topics.fit(als, k=5, method="nmf", seed=0)
    table = topics.prevalence(model, by="reason_joined", corpus=als, groups=["CALS", "PALS"])
    side_by_side = table.pivot(index="topic", columns="group", values="dominant_share")
    assert {"CALS", "PALS"} <= set(side_by_side.columns)
    assert np.allclose(side_by_side[["CALS", "PALS"]].sum(), 1.0)
    assert table.loc[table["group"].isin(["CALS", "PALS"]), "odds_ratio"].notna().all()
    assert table.attrs["test"]["groups"] == ["CALS", "PALS"]
    assert len(bar_groups(topics.plot_prevalence(table))) == len(table.attrs["groups"])
