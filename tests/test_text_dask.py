"""Text work on Dask workers: the bag of words and support labels equal the pandas engine's.

A small synthetic community with text (4 months) is saved by month, so the
Dask posts frame has one partition per monthly file.  The Dask runs use a
2-worker ``distributed.LocalCluster`` of worker processes (one thread each),
so the preprocessor, the models and the partitions are serialised as on a
real cluster; the task stream shows that tokenising and labelling ran there.
"""

from __future__ import annotations


import pandas as pd
import pytest

from peerscope import synth
from peerscope.corpus import open_corpus
from peerscope.errors import PeerscopeError
from peerscope.support import LexiconLabeller, SupportClassifier, classify
from peerscope.support.labelling import label_partitions
from peerscope.text import Preprocessor, bag_of_words

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def community(tmp_path_factory):
    corpus, truth = synth.generate(1_200, seed=5, months=4)
    folder = tmp_path_factory.mktemp("text_dask")
    corpus.save(folder / "month", partition="month")
    return folder / "month", truth


def _name(key) -> str:
    """The name part of a Dask key (``("name-token", 0)`` or ``"name-token"``)."""
    return str(key[0] if isinstance(key, tuple) else key)


def _ran_on_workers(client, stream, prefix: str) -> int:
    """Tasks whose key starts with ``prefix``, after checking each ran on a cluster worker."""
    workers = set(client.scheduler_info()["workers"])
    tasks = [t for t in stream if _name(t["key"]).startswith(prefix)]
    assert all(t["worker"] in workers for t in tasks)
    return len(tasks)


def _partitions(corpus, columns: list[str]) -> int:
    """Partitions of the posts frame as Dask runs it (it may fuse small monthly files)."""
    return corpus.posts(columns).optimize().npartitions


def _bow_views(bow):
    dictionary = bow.dictionary()
    return {"token2id": dictionary.token2id, "dfs": dictionary.dfs, "cfs": dictionary.cfs,
            "num_docs": dictionary.num_docs, "docs": list(bow.gensim_corpus()), "stats": bow.stats}


@pytest.mark.parametrize("preprocessor", [
    Preprocessor(min_df=2, max_df=0.6),
    Preprocessor(stem="porter", phrases=True, phrases_min_count=3, min_df=3, keep_n=300),
], ids=["plain", "stemmed-bigrams"])
def test_bag_of_words_on_workers_equals_pandas(community, client, preprocessor):
    path, _ = community
    pandas_corpus = open_corpus(path)
    dask_corpus = open_corpus(path, engine="dask", scheduler=client)
    expected = bag_of_words(pandas_corpus, preprocessor, cache=False, batch_size=97, progress=False)
    one_batch = bag_of_words(pandas_corpus, preprocessor, cache=False, batch_size=10**6, progress=False)
    with distributed.get_task_stream(client) as stream:
        found = bag_of_words(dask_corpus, preprocessor, cache=False, batch_size=97, progress=False)
    partitions = _partitions(dask_corpus, ["post_id", "author_id", "created_at", "text"])
    assert partitions >= 2
    assert _ran_on_workers(client, stream.data, "_tally_partition") == partitions
    assert _ran_on_workers(client, stream.data, "_phrase_vocabulary") == (partitions if preprocessor.phrases else 0)
    views = _bow_views(found)
    assert views == _bow_views(expected) == _bow_views(one_batch)
    assert views["num_docs"] == 1_200 and len(views["token2id"]) > 50
    pd.testing.assert_frame_equal(found.docs, expected.docs)
    pd.testing.assert_frame_equal(found.vocabulary, expected.vocabulary)
    if preprocessor.phrases:
        assert any("_" in term for term in views["token2id"])


def test_bag_of_words_cache_is_shared_by_both_engines(community, client, monkeypatch):
    path, _ = community
    window = {"start": "2022-02-01", "end": "2022-04-01"}
    made = bag_of_words(open_corpus(path, engine="dask", scheduler=client).window(**window),
                        min_df=2, progress=False)
    assert made.source is not None and made.source.parent == path / "cache"
    expected = bag_of_words(open_corpus(path).window(**window), min_df=2, cache=False, progress=False)
    assert list(made.texts()) == list(expected.texts())
    pd.testing.assert_frame_equal(made.docs, expected.docs)

    def no_tokenising(*args, **kwargs):
        raise AssertionError("tokenised again")

    monkeypatch.setattr(Preprocessor, "_batch", no_tokenising)
    again = bag_of_words(open_corpus(path).window(**window), min_df=2, progress=False)
    assert again.source == made.source and list(again.texts()) == list(made.texts())


@pytest.fixture(scope="module")
def trained(community):
    path, truth = community
    posts = open_corpus(path).posts(["post_id", "text"]).merge(truth.read_posts(), on="post_id")
    sample = posts.sample(600, random_state=0)
    return SupportClassifier(scheme="ssbc", calibration_folds=2, random_state=0).fit(
        sample["text"], sample["support_type"])


@pytest.mark.parametrize("which", ["lexicon", "trained"])
def test_labels_on_workers_equal_pandas_classify(community, client, trained, which):
    path, _ = community
    model = LexiconLabeller() if which == "lexicon" else trained
    expected = classify(open_corpus(path), model, batch_size=101, progress=False)
    dask_corpus = open_corpus(path, engine="dask", scheduler=client)
    lazy = label_partitions(dask_corpus, model, batch_size=101)
    graph = dict(lazy.__dask_graph__())
    assert sum(_name(k).startswith(type(model).__name__) for k in graph) == 1  # the model, once
    with distributed.get_task_stream(client) as stream:
        found = lazy.compute().reset_index(drop=True)
    partitions = lazy.optimize().npartitions
    assert partitions >= 2
    assert _ran_on_workers(client, stream.data, "_label_partition") == partitions
    assert len(expected) == 1_200 and expected["label"].nunique() > 2
    pd.testing.assert_frame_equal(found, expected)
    assert (found.dtypes.iloc[3:] == "float32").all()   # post_id, label, direction, then scores
    with distributed.get_task_stream(client) as stream:  # classify itself takes the Dask path
        through_classify = classify(dask_corpus, model, batch_size=101, progress=False)
    assert _ran_on_workers(client, stream.data, "_label_partition") == partitions
    pd.testing.assert_frame_equal(through_classify.reset_index(drop=True), expected)


def test_labels_on_workers_keep_the_window_and_refuse_pandas(community, client):
    path, _ = community
    window = {"start": "2022-02-15", "end": "2022-03-20"}
    expected = classify(open_corpus(path).window(**window), LexiconLabeller(), progress=False)
    found = label_partitions(open_corpus(path, engine="dask", scheduler=client).window(**window),
                             LexiconLabeller()).compute().reset_index(drop=True)
    assert 0 < len(found) < 1_200
    pd.testing.assert_frame_equal(found, expected)
    with pytest.raises(PeerscopeError, match="engine='dask'"):
        label_partitions(open_corpus(path), LexiconLabeller())
    with pytest.raises(PeerscopeError, match="batch_size"):
        label_partitions(open_corpus(path, engine="dask", scheduler=client), LexiconLabeller(), batch_size=0)


def test_bag_of_words_on_a_local_dask_scheduler(community):
    from peerscope._kernels import scheduler

    path, _ = community
    preprocessor = Preprocessor(min_df=2, phrases=True, phrases_min_count=3)
    try:
        found = bag_of_words(open_corpus(path, engine="dask", scheduler="threads"), preprocessor,
                             cache=False, batch_size=50, progress=False)
    finally:
        scheduler.reset()
    expected = bag_of_words(open_corpus(path), preprocessor, cache=False, progress=False)
    assert _bow_views(found) == _bow_views(expected)
    pd.testing.assert_frame_equal(found.docs, expected.docs)
