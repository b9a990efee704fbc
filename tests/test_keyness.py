"""Keyness (Monroe et al.'s weighted log odds, z of two proportions, G2), its plot, and keyword in context.

The ALS forum's carers (CALS) and patients (PALS) are the issue's example
(issue 20); ``tests/test_member_attributes.py`` checks the counts and G2 of
the same call against a hand count of the bag of words.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from peerscope import Corpus
from peerscope.errors import PeerscopeError
from peerscope.text import Preprocessor, bag_of_words, keyness, kwic, plot_keyness


def _tiny():
    """ann (a carer) and bob (a patient); cat has no reason_joined, so her post counts for no group."""
    texts = (["feeding tube nurse"] * 2 + ["feeding tube"] * 2 + ["ventilator nurse"] * 2
             + ["ventilator mask"] * 2 + ["nurse nurse ventilator"])
    n = len(texts)
    posts = pd.DataFrame({"post_id": [f"p{i}" for i in range(n)], "thread_id": ["p0"] * n,
                          "parent_id": [None] + ["p0"] * (n - 1),
                          "author_id": ["ann"] * 4 + ["bob"] * 4 + ["cat"],
                          "created_at": pd.date_range("2024-01-01", periods=n, freq="D", tz="UTC"),
                          "text": texts})
    members = pd.DataFrame({"member_id": ["ann", "bob", "cat"], "reason_joined": ["carer", "patient", None]})
    return Corpus.from_frames(posts, members)


def _monroe(y_i, y_j, n_i, n_j, alpha, a0):
    """Monroe, Colaresi & Quinn (2008), eqs. 16 and 18, written out for one term."""
    delta = math.log((y_i + alpha) / (n_i + a0 - y_i - alpha)) - math.log((y_j + alpha) / (n_j + a0 - y_j - alpha))
    return delta, delta / math.sqrt(1 / (y_i + alpha) + 1 / (y_j + alpha))


def test_weighted_log_odds_equal_a_hand_computation_on_a_tiny_corpus():
    frame = keyness(_tiny(), "reason_joined", min_count=1, min_df=1, max_df=1.0)
    assert list(frame.columns) == ["group", "term", "count", "count_rest", "rate", "rate_rest", "log_odds", "z",
                                   "z_proportions", "g2", "p_value"]
    # carer: feeding 4, tube 4, nurse 2 (10 terms); patient: ventilator 4, nurse 2, mask 2 (8 terms);
    # cat's post (nurse nurse ventilator) belongs to no group and is left out
    assert frame.attrs["documents_without_group"] == 1
    n_i, n_j = 10, 8
    totals = {"feeding": 4, "tube": 4, "nurse": 4, "ventilator": 4, "mask": 2}
    a0 = 18  # default prior size: all term occurrences of the grouped documents
    assert frame.attrs["prior_size"] == a0
    carer = frame[frame["group"] == "carer"].set_index("term")
    for term, (y_i, y_j) in {"feeding": (4, 0), "nurse": (2, 2), "ventilator": (0, 4), "mask": (0, 2)}.items():
        delta, z = _monroe(y_i, y_j, n_i, n_j, a0 * totals[term] / 18, a0)
        assert carer.at[term, "log_odds"] == pytest.approx(delta)
        assert carer.at[term, "z"] == pytest.approx(z)
    # feeding: log(8/20) - log(4/22), by hand
    assert carer.at["feeding", "log_odds"] == pytest.approx(math.log(0.4) - math.log(4 / 22))
    # the two-proportion z, by hand: (0.4 - 0) / sqrt(p(1-p)(1/10 + 1/8)) with p = 4/18
    p = 4 / 18
    assert carer.at["feeding", "z_proportions"] == pytest.approx(0.4 / math.sqrt(p * (1 - p) * (1 / 10 + 1 / 8)))
    # each group's rows by z, highest first; with two groups one's z is minus the other's
    assert frame.groupby("group")["z"].apply(lambda z: z.is_monotonic_decreasing).all()
    patient = frame[frame["group"] == "patient"].set_index("term")
    assert np.allclose(patient.loc[carer.index, "z"], -carer["z"])


def test_prior_size_sets_the_shrinkage():
    strong = keyness(_tiny(), "reason_joined", min_count=1, min_df=1, max_df=1.0).set_index(["group", "term"])
    weak = keyness(_tiny(), "reason_joined", min_count=1, min_df=1, max_df=1.0,
                   prior_size=1.8).set_index(["group", "term"])
    delta, _ = _monroe(4, 0, 10, 8, 1.8 * 4 / 18, 1.8)
    assert weak.at[("carer", "feeding"), "log_odds"] == pytest.approx(delta)
    # a weaker prior shrinks less: larger log odds for the same counts
    assert weak.at[("carer", "feeding"), "log_odds"] > strong.at[("carer", "feeding"), "log_odds"] > 0
    assert weak.attrs["prior_size"] == 1.8
    with pytest.raises(PeerscopeError, match="prior_size=0"):
        keyness(_tiny(), "reason_joined", prior_size=0)


def test_keyness_errors_name_what_is_wrong():
    with pytest.raises(PeerscopeError, match="no such attribute; it has \\['reason_joined'\\]"):
        keyness(_tiny(), "diagnosis")


@pytest.fixture(scope="module")
def als(shared_data):
    from peerscope.loaders import table

    mapping = {"thread_id": "post_id", "author_id": "user_name", "created_at": "date", "text": "body",
               "title": "title", "is_reply": "reply"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the loader reports members with conflicting values
        return table(shared_data / "forum-alsforums-caregivers" / "als.csv", mapping, replies="flat",
                     assume_tz="UTC", member_attributes={"reason_joined": "user_reason_joined"})


@pytest.fixture(scope="module")
def als_keyness(als):
    return keyness(als, "reason_joined")


def test_carers_and_patients_on_the_als_forum_match_a_hand_computation(als, als_keyness):
    frame = als_keyness
    assert {"term", "group", "log_odds", "z", "count", "count_rest"} <= set(frame.columns)
    assert {"CALS", "PALS"} <= set(frame["group"])
    # by hand, from the bag of words: CALS against every other grouped post
    bow = bag_of_words(als)
    reason = als.members(columns="all").set_index("member_id")["reason_joined"]
    group = bow.docs["author_id"].map(reason).to_numpy()
    matrix = bow.matrix()
    cals = np.asarray(matrix[group == "CALS"].sum(axis=0)).ravel().astype(float)
    rest = np.asarray(matrix[(group != "CALS") & pd.notna(group)].sum(axis=0)).ravel().astype(float)
    n = cals.sum() + rest.sum()
    assert frame.attrs["prior_size"] == n
    rows = frame[frame["group"] == "CALS"]
    terms = list(bow.terms)
    for _, row in pd.concat([rows.head(5), rows.tail(5)]).iterrows():
        w = terms.index(row["term"])
        alpha = n * (cals[w] + rest[w]) / n
        delta, z = _monroe(cals[w], rest[w], cals.sum(), rest.sum(), alpha, n)
        assert (row["count"], row["count_rest"]) == (cals[w], rest[w])
        assert row["log_odds"] == pytest.approx(delta) and row["z"] == pytest.approx(z)
    # every CALS term of at least min_count=5 occurrences is there
    assert len(rows) == int(((cals + rest) >= 5).sum())
    # the prior keeps rare terms off the top: the top 20 CALS terms by z are used more often than the
    # top 20 by the unshrunk z of two proportions
    by_proportions = rows.nlargest(20, "z_proportions")
    assert rows.head(20)["count"].median() > by_proportions["count"].median()
    print("CALS top terms:", rows.head(10)["term"].tolist(), "by z of two proportions:",
          by_proportions.head(10)["term"].tolist())
    assert rows["z"].iloc[0] > 2.5 > rows["z_proportions"].abs().min()


def test_plot_keyness_draws_the_top_terms_of_each_group(als_keyness):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frame = als_keyness[als_keyness["group"].isin(["CALS", "PALS"])]
    ax = plot_keyness(frame, top=7)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    expected = [*frame[frame["group"] == "CALS"]["term"].head(7), *frame[frame["group"] == "PALS"]["term"].head(7)]
    assert labels == expected
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["CALS", "PALS"]
    assert len(ax.patches) == 14 and ax.get_title() == "Key terms by reason_joined"
    _, given = plt.subplots()
    assert plot_keyness(frame, ax=given, top=3) is given
    plt.close("all")
    with pytest.raises(PeerscopeError, match="missing columns \\['z'\\]"):
        plot_keyness(frame.drop(columns="z"))


def test_kwic_shows_a_term_in_context_with_the_preprocessors_tokens():
    texts = ["Hi all, the feeding tube came out again, call me on 0161 496 0000",
             "No tube here", "FEEDING tube, feeding TUBE!", None, "my e-mail is ann@example.org, feeding soon"]
    n = len(texts)
    posts = pd.DataFrame({"post_id": [f"p{i}" for i in range(n)], "thread_id": [f"p{i}" for i in range(n)],
                          "parent_id": [None] * n, "author_id": ["ann"] * n,
                          "created_at": pd.date_range("2024-01-01", periods=n, freq="D", tz="UTC"), "text": texts})
    corpus = Corpus.from_frames(posts)
    frame = kwic(corpus, "Feeding tube", window=3)
    assert list(frame.columns) == ["post_id", "left", "keyword", "right"]
    assert frame.values.tolist() == [["p0", "hi all the", "feeding tube", "came out again"],
                                     ["p2", "", "feeding tube", "feeding tube"],
                                     ["p2", "feeding tube", "feeding tube", ""]]
    assert frame.attrs == {"term": "Feeding tube", "window": 3, "limit": 100, "truncated": False}
    # personal details stay placeholders in the context
    feeding = kwic(corpus, "feeding", window=5, batch_size=2)
    assert feeding["post_id"].tolist() == ["p0", "p2", "p2", "p4"]
    assert feeding["left"].iloc[-1] == "my e mail is _email_"
    assert "0161" not in " ".join(kwic(corpus, "call", window=6)["right"])
    # the same tokens as the Preprocessor's tokeniser; a bigram written with "_" matches the pair
    assert kwic(corpus, "feeding_tube", window=0)["keyword"].tolist() == ["feeding tube"] * 3
    # limit stops early and says so
    limited = kwic(corpus, "feeding", limit=2)
    assert len(limited) == 2 and limited.attrs["truncated"] is True
    assert kwic(corpus, "feeding", limit=None).attrs["truncated"] is False
    # stems match with a stemming preprocessor
    stemmed = kwic(corpus, "feeds", window=1, preprocessor=Preprocessor(stem="porter"))
    assert stemmed["keyword"].tolist() == ["feeding"] * 4
    assert kwic(corpus, "absent").empty and list(kwic(corpus, "absent").columns) == ["post_id", "left",
                                                                                       "keyword", "right"]
    with pytest.raises(PeerscopeError, match="holds no word"):
        kwic(corpus, "!!!")
    with pytest.raises(PeerscopeError, match="window=-1"):
        kwic(corpus, "tube", window=-1)


def test_kwic_on_the_als_forum_equals_a_plain_search(als):
    frame = kwic(als, "riluzole", window=5, limit=None)
    tokenize = Preprocessor()._tokenizer().tokenize
    posts = als.posts(columns=["post_id", "text"])
    normalised = Preprocessor().normalise_texts(__import__("pyarrow").array(posts["text"].tolist())).to_pylist()
    expected = sum(tokenize(text).count("riluzole") for text in normalised)
    assert len(frame) == expected > 10
    assert set(frame["keyword"]) == {"riluzole"}
    assert frame["left"].str.split().map(len).max() <= 5 and frame["right"].str.split().map(len).max() <= 5
