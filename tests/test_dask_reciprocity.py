"""Reciprocity on the Dask engine: the pandas engine's numbers, nothing per post collected.

Issue 21: on a corpus opened with ``engine="dask"`` the reply graph (edges,
accounting, reply structure, dyadic reciprocity), responsiveness and give
and receive run as Dask graphs on the workers; what reaches this process is
one row per edge, per opening post or per person.  A synthetic community
with many more posts than members, saved as one file and by month, is
computed on the 2-worker ``LocalCluster`` of ``tests/conftest.py`` (worker
processes: tasks are serialised as on a real cluster) and checked:

- every result equals the pandas engine's, over the whole corpus and a window;
- nothing read or collected on the Dask path has a row per post: the
  client-side readers (``Corpus.arrow``, ``read_linked``) are never called,
  and everything collected is smaller than the posts of the corpus.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from peerscope import open_corpus, synth
from peerscope._kernels import engine
from peerscope.corpus import Corpus, repartition
from peerscope.reciprocity import dyadic_reciprocity, give_receive, reply_graph, responsiveness
from peerscope.reciprocity import graph as graph_module

N_POSTS = 4000
WINDOWS = [(None, None), ("2022-06-01", "2023-01-01")]
LAYOUTS = ["single", "month"]


@pytest.fixture(scope="module")
def corpora(tmp_path_factory, client):
    """The pandas corpus and, per layout, the same corpus on the Dask engine (on the cluster)."""
    folder = tmp_path_factory.mktemp("dask-reciprocity")
    corpus, _ = synth.generate(N_POSTS, seed=11, n_members=150, with_text=False)
    saved = corpus.save(folder / "single")
    repartition(folder / "single", folder / "month", by="month")
    lazy = {layout: open_corpus(folder / layout, engine="dask", scheduler=client) for layout in LAYOUTS}
    assert lazy["month"].posts().npartitions > 12
    return saved, lazy


@pytest.mark.parametrize("window", WINDOWS, ids=["all", "window"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_reply_graph_equals_the_pandas_engine(corpora, layout, window):
    saved, lazy = corpora
    a, b = reply_graph(saved, *window), reply_graph(lazy[layout], *window)
    pd.testing.assert_frame_equal(a.edges, b.edges)
    assert a.accounting == b.accounting
    assert a.accounting["replies"] > a.accounting["edge"] > 0      # some replies are not edges
    assert (a.reply_structure, a.n_edges, a.n_reciprocated) == (b.reply_structure, b.n_edges, b.n_reciprocated)
    pd.testing.assert_frame_equal(dyadic_reciprocity(a).to_frame(), dyadic_reciprocity(b).to_frame())
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    assert a.to_frame().attrs == b.to_frame().attrs


@pytest.mark.parametrize("window", WINDOWS, ids=["all", "window"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_responsiveness_and_balance_equal_the_pandas_engine(corpora, layout, window):
    saved, lazy = corpora
    graph = reply_graph(lazy[layout], *window)
    for responses in ("others", "all") if layout == "month" else ("others",):
        a, b = responsiveness(saved, *window, responses=responses), responsiveness(graph, responses=responses)
        pd.testing.assert_frame_equal(a.threads, b.threads)
        assert (a.opening_posts, a.answered, a.answered_share, a.hours_to_first_response, a.return_share,
                a.parameters) == (b.opening_posts, b.answered, b.answered_share, b.hours_to_first_response,
                                  b.return_share, b.parameters)
    a, b = give_receive(saved, *window), give_receive(graph)
    pd.testing.assert_frame_equal(a.members, b.members)
    assert (a.role_counts, a.balanced_share, a.median_balance, a.parameters) == \
        (b.role_counts, b.balanced_share, b.median_balance, b.parameters)
    assert "_table" not in graph.__dict__          # the per-post arrays were never built


def _rows(value) -> int:
    """Rows of a collected object (0 for scalars), looking inside tuples and lists."""
    if isinstance(value, (pd.DataFrame, pd.Series, pd.Index, np.ndarray)):
        return len(value)
    if isinstance(value, (tuple, list)):
        return max((_rows(item) for item in value), default=0)
    return 0


def test_nothing_per_post_reaches_the_client(corpora, monkeypatch):
    saved, lazy = corpora
    corpus = lazy["month"]
    collected: list[int] = []
    collect, collect_together = engine.collect, engine.collect_together

    def recording_collect(frame):
        result = collect(frame)
        collected.append(_rows(result))
        return result

    def recording_collect_together(*frames):
        results = collect_together(*frames)
        collected.append(_rows(results))
        return results

    def refused(*args, **kwargs):
        raise AssertionError("a per-post reader was called on the Dask path")

    monkeypatch.setattr(engine, "collect", recording_collect)
    monkeypatch.setattr(engine, "collect_together", recording_collect_together)
    monkeypatch.setattr(Corpus, "arrow", refused)
    monkeypatch.setattr(graph_module, "read_linked", refused)
    graph = reply_graph(corpus)
    found = (graph.edges, graph.accounting, graph.reply_structure, dyadic_reciprocity(graph),
             responsiveness(graph), give_receive(graph))
    monkeypatch.undo()

    posts = saved.manifest["tables"]["posts"]["rows"]
    threads, members = len(found[4].threads), len(found[5].members)
    assert len(graph.edges) < posts / 4 and threads < posts / 2 and members < posts / 20
    assert collected, "nothing was collected"
    # the largest object collected is the responsiveness table, one row per opening post
    assert max(collected) == threads, (collected, threads)
