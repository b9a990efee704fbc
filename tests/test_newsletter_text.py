"""Topics and support types over newsletter text, and the forum against the newsletter (issue 24).

The synthetic community plants newsletter items whose topics echo the forum's
of the month before and which carry more informational support than the
forum; the tests check that topics, support and the report's "Newsletter
text" section recover both.  The numpy-discussion archive, read as a
newsletter, checks that real mail runs through the same path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from peerscope import Corpus, loaders, support, text, topics
from peerscope.corpus import open_corpus, schema
from peerscope.datasets.synth import generate
from peerscope.errors import PeerscopeError
from peerscope.report.newsletter_text import newsletter_text_tables, topic_prevalence_by_source
from peerscope.support import LexiconLabeller


@pytest.fixture(scope="module")
def planted():
    corpus, truth = generate(6000, seed=3, months=24)
    model = topics.fit(corpus, k=8, method="nmf", seed=0, table="all")
    tables, results, reason = newsletter_text_tables(corpus, topics=model, random_state=0, min_cell=5)
    return {"corpus": corpus, "truth": truth, "model": model, "tables": {t.name: t for t in tables},
            "results": results, "reason": reason}


def _small_corpus(shared_ids: bool = False) -> Corpus:
    posts = pd.DataFrame({
        "post_id": [f"p{i}" for i in range(6)], "thread_id": ["p0"] * 3 + ["p3"] * 3,
        "parent_id": [None, "p0", "p0", None, "p3", "p3"], "author_id": ["ann", "bob", "cat"] * 2,
        "created_at": pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04",
                                      "2024-02-02", "2024-02-03", "2024-02-04"], utc=True),
        "text": ["cannot sleep insomnia night", "sleep insomnia tired", "sending hugs sleep",
                 "benefits appeal tribunal", "benefits claim forms", "tribunal appeal letter"]})
    ids = ["p0", "p1", "p2"] if shared_ids else ["i1", "i2", "i3"]
    items = pd.DataFrame({
        "item_id": ids, "issue_id": ["2024-02", "2024-02", "2024-03"], "newsletter": ["Echo"] * 3,
        "published_at": pd.to_datetime(["2024-02-01", "2024-02-01", "2024-03-01"], utc=True),
        "author_id": ["ann", None, None],
        "text": ["Have you tried talking to your GP about sleep?", "benefits appeal advice line",
                 "sleep clinic insomnia"]})
    return Corpus.from_frames(posts, newsletter_items=items)


# -- text from any table --------------------------------------------------------------------

def test_documents_keep_their_ids_sources_and_times():
    corpus = _small_corpus()
    posts = text.bag_of_words(corpus, min_df=1, max_df=1.0)
    assert posts.docs.columns.tolist() == ["post_id", "doc_id", "source", "author_id", "created_at", "n_terms"]
    assert posts.docs["post_id"].tolist() == posts.docs["doc_id"].tolist() == [f"p{i}" for i in range(6)]
    items = text.bag_of_words(corpus, table="newsletter_items", min_df=1, max_df=1.0)
    assert "post_id" not in items.docs and items.docs["doc_id"].tolist() == ["i1", "i2", "i3"]
    assert (items.docs["created_at"] == corpus.newsletter_items()["published_at"]).all()
    both = text.bag_of_words(corpus, table="all", min_df=1, max_df=1.0)
    assert both.docs["source"].tolist() == ["posts"] * 6 + ["newsletter_items"] * 3
    assert both.docs["author_id"].tolist()[6:7] == ["ann"] and both.docs["author_id"].iloc[7:].isna().all()
    assert both.table == "all" and len(both) == 9


def test_bad_tables_are_refused_clearly():
    corpus = Corpus.from_frames(_small_corpus().posts(columns="all"))
    with pytest.raises(PeerscopeError, match="no newsletter_items table"):
        text.bag_of_words(corpus, table="newsletter_items")
    with pytest.raises(PeerscopeError, match="no newsletter_items table"):
        support.classify(corpus, LexiconLabeller(), table="all")
    with pytest.raises(PeerscopeError, match="choose one of"):
        topics.fit(corpus, k=2, table="items")


def test_the_cache_keys_on_the_table(tmp_path):
    corpus = _small_corpus().save(tmp_path / "c")
    keys = {table: text.cache_key(corpus, text.Preprocessor(), table) for table in text.DOC_TABLES}
    assert len(set(keys.values())) == 3
    first = text.bag_of_words(corpus, table="newsletter_items", min_df=1, max_df=1.0)
    again = text.bag_of_words(corpus, table="newsletter_items", min_df=1, max_df=1.0)
    posts = text.bag_of_words(corpus, min_df=1, max_df=1.0)
    assert again.source is not None and again.source == first.source != posts.source
    assert again.docs["doc_id"].tolist() == ["i1", "i2", "i3"] and len(posts) == 6
    assert sorted(p.name for p in (tmp_path / "c" / "cache").iterdir()) == sorted(
        f"bow-{keys[t]}" for t in ("posts", "newsletter_items"))


def test_source_groups_need_both_forms_and_ids_that_repeat_need_the_source():
    corpus = _small_corpus(shared_ids=True)
    model = topics.fit(corpus, k=2, method="nmf", seed=0, min_df=1, max_df=1.0, table="all")
    table = topics.prevalence(model, by="source")
    assert table.attrs["n_group_posts"] == 3 and table.attrs["n_other_posts"] == 6
    assert table.attrs["group_name"] == "newsletter items"
    with pytest.raises(PeerscopeError, match=r"\(source, doc_id\)"):
        topics.compare_groups(model, pd.Series(True, index=model.docs["doc_id"].unique()))
    posts_only = topics.fit(corpus, k=2, method="nmf", seed=0, min_df=1, max_df=1.0)
    with pytest.raises(PeerscopeError, match="table='all'"):
        topics.prevalence(posts_only, by="source")
    with pytest.raises(PeerscopeError, match="table='all'"):
        topics.lagged_echo(posts_only)


def test_doc_topics_and_saved_models_keep_the_source(tmp_path):
    model = topics.fit(_small_corpus(), k=2, method="lda", seed=0, min_df=1, max_df=1.0, table="all")
    frame = model.doc_topics()
    assert frame.columns.tolist()[:3] == ["doc_id", "source", "author_id"]
    loaded = topics.TopicModel.load(model.save(tmp_path / "m"))
    pd.testing.assert_frame_equal(loaded.doc_topics(), frame)
    assert model.params["table"] == "all"


def test_classify_labels_items_with_their_ids():
    corpus = _small_corpus()
    posts = support.classify(corpus, LexiconLabeller())
    assert posts.columns.tolist()[:3] == ["post_id", "label", "direction"]   # as before tables
    items = support.classify(corpus, LexiconLabeller(), table="newsletter_items")
    assert "post_id" not in items and items["doc_id"].tolist() == ["i1", "i2", "i3"]
    assert items.loc[0, "label"] == "informational"
    both = support.classify(corpus, LexiconLabeller(), table="all", batch_size=2)
    assert both["source"].value_counts().to_dict() == {"posts": 6, "newsletter_items": 3}
    assert both.drop(columns=["doc_id", "source"]).columns.tolist() == items.drop(
        columns=["doc_id", "source"]).columns.tolist()


def test_dask_reads_items_as_pandas_does(tmp_path):
    pytest.importorskip("dask")
    _small_corpus().save(tmp_path / "c")
    pandas_corpus = open_corpus(tmp_path / "c")
    dask_corpus = open_corpus(tmp_path / "c", engine="dask", scheduler="synchronous")
    expected = text.bag_of_words(pandas_corpus, table="all", min_df=1, max_df=1.0, cache=False)
    found = text.bag_of_words(dask_corpus, table="all", min_df=1, max_df=1.0, cache=False)
    pd.testing.assert_frame_equal(found.docs, expected.docs)
    assert found.terms == expected.terms
    pd.testing.assert_frame_equal(support.classify(dask_corpus, LexiconLabeller(), table="all"),
                                  support.classify(pandas_corpus, LexiconLabeller(), table="all"))


# -- planted truth, recovered ----------------------------------------------------------------

def test_synth_plants_newsletter_text_without_changing_the_forum(planted):
    truth, corpus = planted["truth"], planted["corpus"]
    plain, _ = generate(6000, seed=3, months=24, with_text=False)
    pd.testing.assert_frame_equal(plain.posts(columns=["post_id", "author_id", "created_at"]),
                                  corpus.posts(columns=["post_id", "author_id", "created_at"]))
    shares = truth.newsletter_support_shares
    assert shares["newsletter"]["informational"] > shares["forum"]["informational"] + 0.2
    assert shares["newsletter_staff"]["informational"] > shares["newsletter_members"]["informational"]
    assert truth.newsletter_topic_lag == 1
    months = list(truth.forum_topic_shares)
    weights = np.array(truth.newsletter_topic_weights[truth.issues[5]])
    echoed = np.array(truth.forum_topic_shares[months[4]]) ** 4
    np.testing.assert_allclose(weights, echoed / echoed.sum(), atol=1e-5)
    items = corpus.newsletter_items(columns=["text"])
    assert len(items) == truth.n_items and items["text"].str.len().min() > 50


def test_one_topic_space_and_the_lag_is_recovered(planted):
    model, truth = planted["model"], planted["truth"]
    frame = model.doc_topics()
    assert frame["source"].value_counts().to_dict() == {"posts": 6000, "newsletter_items": truth.n_items}
    echo = topics.lagged_echo(model, max_lag=6)
    assert len(echo) == 8 and echo.filter(like="r_lag_").shape[1] == 7
    found = (echo["best_lag"] == truth.newsletter_topic_lag).sum()
    assert found >= 6, echo[["topic", "best_lag", "correlation"]]
    assert (echo.loc[echo["best_lag"] == 1, "correlation"] > 0.5).all()
    monthly = topics.over_time(model, by_source=True)
    assert set(monthly["source"]) == {"posts", "newsletter_items"}
    assert monthly.groupby(["period", "source"])["mean_share"].sum().round(6).eq(1).all()


def test_newsletters_carry_more_informational_support_than_the_forum(planted):
    shares = planted["results"]["newsletter_support_by_form"].set_index(["group", "label"])
    news, forum = shares.loc[("newsletter_items", "informational")], shares.loc[("posts", "informational")]
    assert news["ci_low"] > forum["ci_high"]
    assert news["n"] == planted["truth"].n_items and forum["n"] == 6000


def test_the_report_section_has_its_tables_and_figure(planted):
    assert planted["reason"] is None and planted["results"]["not_computed"] == []
    tables = planted["tables"]
    assert list(tables) == ["newsletter_topic_odds", "newsletter_topic_echo", "newsletter_support_by_form",
                            "newsletter_support_by_writer"]
    odds = tables["newsletter_topic_odds"].frame
    assert len(odds) == 8 and {"newsletter_share", "forum_share", "odds_ratio", "p_holm"} <= set(odds.columns)
    writer = tables["newsletter_support_by_writer"].frame
    assert set(writer["writer"]) == {"items by members", "items by staff or unsigned"}
    assert int(writer["documents"].sum()) == planted["truth"].n_items
    assert tables["newsletter_support_by_form"].protection.people
    pytest.importorskip("matplotlib")
    figure = topic_prevalence_by_source(planted["results"]["newsletter_topic_monthly"], "synthetic", 5)
    assert [ax.get_ylabel() for ax in figure.axes[:2]] == ["Forum posts", "Newsletter items"]


def test_labels_of_the_posts_given_give_the_tables_of_labelling_every_post(planted):
    corpus, model = planted["corpus"], support.pretrained("forum")
    labels = support.classify(corpus, model)[["post_id", "label"]]
    posts = corpus.posts(columns=["post_id", "author_id"]).merge(labels, on="post_id")
    tables, results, _ = newsletter_text_tables(corpus, topics=None, support=model, random_state=0,
                                                min_cell=5, post_labels=posts)
    given = {t.name: t.frame for t in tables}
    assert set(given) == {"newsletter_support_by_form", "newsletter_support_by_writer"}
    for name, frame in given.items():
        pd.testing.assert_frame_equal(frame, planted["tables"][name].frame)
    assert results["newsletter_support"]["label"].eq("emotional").any()


def test_no_section_without_newsletter_text():
    corpus = Corpus.from_frames(_small_corpus().posts(columns="all"))
    assert newsletter_text_tables(corpus) == ([], {}, "the corpus has no newsletter items")


# -- real data: the numpy-discussion archive read as a newsletter ------------------------------

@pytest.fixture(scope="module")
def numpy_items(shared_data):
    archive = loaders.mbox(shared_data / "mbox-numpy-discussion-2001" / "numpy-discussion-2001-November.txt")
    posts = archive.posts(columns="all")
    items = pd.DataFrame({"item_id": posts["post_id"], "issue_id": posts["created_at"].dt.strftime("%Y-%m-%d"),
                          "newsletter": "numpy-discussion", "published_at": posts["created_at"],
                          "author_id": posts["author_id"], "text": posts["text"]})
    return posts, items


def test_numpy_archive_as_a_newsletter_runs_through_topics_and_support(numpy_items):
    posts, items = numpy_items
    corpus = Corpus.from_frames(schema.empty_frame(schema.POSTS), newsletter_items=items)
    model = topics.fit(corpus, k=4, method="nmf", seed=0, table="newsletter_items")
    assert len(model.doc_topics()) == len(items) and (model.docs["source"] == "newsletter_items").all()
    labels = support.classify(corpus, table="newsletter_items")
    assert len(labels) == len(items) and labels["doc_id"].tolist() == items["item_id"].tolist()
    tables, results, reason = newsletter_text_tables(corpus, topics=4, random_state=0)
    assert reason is None and [t.name for t in tables] == ["newsletter_topics"]
    assert len(results["newsletter_support"]) == len(items)
    assert any("no forum posts" in line for line in results["not_computed"])


def test_numpy_archive_as_forum_and_newsletter_in_one_topic_space(numpy_items):
    posts, items = numpy_items
    corpus = Corpus.from_frames(posts, newsletter_items=items)
    model = topics.fit(corpus, k=4, method="nmf", seed=0, table="all")
    assert model.docs["source"].value_counts().to_dict() == {"posts": len(posts), "newsletter_items": len(items)}
    # the same messages as posts and as items: the same topics, odds ratios of 1
    table = topics.prevalence(model, by="source")
    np.testing.assert_allclose(table["odds_ratio"], 1.0)
    labels = support.classify(corpus, table="all")
    assert len(labels) == len(posts) + len(items)
    by_form = support.prevalence(labels["label"], groups=labels["source"], random_state=0)
    assert set(by_form["group"]) == {"posts", "newsletter_items"}


def test_numpy_archive_as_forum_and_newsletter_in_the_report(shared_data):
    """Issue 24: the numpy-discussion archive loaded as a newsletter; its topics and support in the report."""
    from peerscope import Corpus
    from peerscope.loaders import mbox, newsletter
    from peerscope.loaders.newsletter import SKIP_REPEATED_ISSUE
    from peerscope.report import build

    path = shared_data / "mbox-numpy-discussion-2001" / "numpy-discussion-2001-November.txt"
    letters = newsletter(path)
    account = letters.manifest["accounting"]["newsletter_items"]
    assert account["rows_read"] == account["rows_kept"] + account["rows_skipped"]
    assert account["skipped_reasons"] == {SKIP_REPEATED_ISSUE: account["rows_skipped"]}
    items = letters.newsletter_items(columns="all")
    assert items["item_id"].is_unique and len(items) == account["rows_kept"] > 0
    corpus = Corpus.from_frames(mbox(path).posts(columns="all"), newsletter_items=items, name="numpy")
    report = build(corpus, replicates=50, figures=False)
    assert {"newsletter_topic_odds", "newsletter_support_by_form"} <= set(report.tables)
    shares = report.tables["newsletter_support_by_form"]
    assert set(shares["form"]) == {"forum posts", "newsletter items"}
    assert int(shares.loc[shares["form"] == "newsletter items", "documents"].sum()) == len(items)
    assert any(n.startswith("newsletter topic echo: not computed") for n in report.not_computed)
