"""Reciprocity on the Dask engine: the pandas engine's numbers, nothing per post collected.

Issue 21: on a corpus opened with ``engine="dask"`` the reply graph (edges,
accounting, reply structure, dyadic reciprocity), responsiveness, give and
receive, exchanges, serial and generalised reciprocity, and so the whole
:func:`~peerscope.reciprocity.summary`, run as Dask graphs on the workers;
what reaches this process is counts and one integer per answered opening post
(responsiveness), one row per thread with exchanges, per person or per
person and tenure part; the edge list, one row per edge, and the table of
the opening posts, one row each, only when they are asked for
(``graph.edges``, ``Responsiveness.threads``), never by the summary.  A
synthetic community with many more posts than members, saved as one file
and by month, is computed on the 2-worker ``LocalCluster`` of
``tests/conftest.py`` (worker processes: tasks are serialised as on a real
cluster) and checked:

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
from peerscope.reciprocity import (dyadic_reciprocity, exchanges, generalised_reciprocity, give_receive,
                                   reply_graph, responsiveness, serial_reciprocity, summary)
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


@pytest.mark.parametrize("window", WINDOWS, ids=["all", "window"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_post_by_post_measures_equal_the_pandas_engine(corpora, layout, window):
    """Exchanges, serial and generalised reciprocity: counted per thread or per member on the
    workers, the same frames and numbers as from the pandas engine's per-post arrays."""
    saved, lazy = corpora
    graph = reply_graph(lazy[layout], *window)
    a, b = exchanges(saved, *window), exchanges(graph)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    assert a.to_frame().attrs == b.to_frame().attrs
    assert (a.total, a.threads_with_exchanges, a.reason) == (b.total, b.threads_with_exchanges, b.reason)
    assert a.total > 0
    for tenure_bins, min_posts in ((4, 3), (3, 1)) if layout == "month" else ((4, 3),):
        a = serial_reciprocity(saved, *window, tenure_bins=tenure_bins, min_posts=min_posts)
        b = serial_reciprocity(graph, tenure_bins=tenure_bins, min_posts=min_posts)
        pd.testing.assert_frame_equal(a.members, b.members)
        pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
        assert (a.slope, a.rising_share, a.n_members, a.parameters) == \
            (b.slope, b.rising_share, b.n_members, b.parameters)
        assert a.n_members > 0
    a, b = generalised_reciprocity(saved, *window), generalised_reciprocity(graph)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    assert (a.receivers, a.paid_forward, a.paid_forward_share, a.returned_share,
            a.median_hours_to_pay_forward, a.parameters) == \
        (b.receivers, b.paid_forward, b.paid_forward_share, b.returned_share,
         b.median_hours_to_pay_forward, b.parameters)
    assert a.paid_forward > 0
    assert "_table" not in graph.__dict__          # the per-post arrays were never built


def _rows(value) -> int:
    """Rows of a collected object (0 for scalars), looking inside tuples and lists."""
    if isinstance(value, (pd.DataFrame, pd.Series, pd.Index, np.ndarray)):
        return len(value)
    if isinstance(value, (tuple, list)):
        return max((_rows(item) for item in value), default=0)
    return 0


def _columns(value) -> list[set]:
    """The column names of each frame in a collected object, looking inside tuples and lists."""
    if isinstance(value, pd.DataFrame):
        return [set(value.columns)]
    if isinstance(value, (tuple, list)):
        return [names for item in value for names in _columns(item)]
    return []


def _guard(monkeypatch, columns: list | None = None) -> list[int]:
    """Record the rows of everything collected to the client (and, into ``columns`` when given,
    the column names of every frame collected), and refuse the per-post readers
    (``Corpus.arrow``, ``read_linked``), until ``monkeypatch.undo()``."""
    collected: list[int] = []
    columns = [] if columns is None else columns
    collect, collect_together = engine.collect, engine.collect_together

    def recording_collect(frame):
        result = collect(frame)
        collected.append(_rows(result))
        columns.extend(_columns(result))
        return result

    def recording_collect_together(*frames):
        results = collect_together(*frames)
        collected.append(_rows(results))
        columns.extend(_columns(results))
        return results

    def refused(*args, **kwargs):
        raise AssertionError("a per-post reader was called on the Dask path")

    monkeypatch.setattr(engine, "collect", recording_collect)
    monkeypatch.setattr(engine, "collect_together", recording_collect_together)
    monkeypatch.setattr(Corpus, "arrow", refused)
    monkeypatch.setattr(graph_module, "read_linked", refused)
    return collected


def test_nothing_per_post_reaches_the_client(corpora, monkeypatch):
    saved, lazy = corpora
    corpus = lazy["month"]
    collected = _guard(monkeypatch)
    graph = reply_graph(corpus)
    found = (graph.edges, graph.accounting, graph.reply_structure, dyadic_reciprocity(graph),
             responsiveness(graph), give_receive(graph))
    monkeypatch.undo()

    posts = saved.manifest["tables"]["posts"]["rows"]
    threads, members = len(found[4].threads), len(found[5].members)   # the table made only here
    assert len(graph.edges) < posts / 4 and threads < posts / 2 and members < posts / 20
    assert collected, "nothing was collected"
    # the largest object collected is the time to first response of each answered opening post
    # (one integer each, no ids), not the responsiveness table of one row per opening post
    assert max(collected) == found[4].answered < threads, (collected, found[4].answered, threads)


def test_the_summary_runs_on_the_workers(corpora, monkeypatch):
    """The whole :func:`~peerscope.reciprocity.summary` with the per-post readers refused: every
    measure on the workers, the same table as the pandas engine's, nothing per post collected."""
    saved, lazy = corpora
    expected = summary(saved)
    columns: list[set] = []
    collected = _guard(monkeypatch, columns)
    found = summary(lazy["month"])
    monkeypatch.undo()
    # no per-edge frame was collected: the edges were counted and grouped on the workers
    assert columns and not [names for names in columns if {"source", "target"} <= names], columns
    assert "_found" not in found.graph.__dict__

    pd.testing.assert_frame_equal(expected.to_frame(), found.to_frame())
    assert expected.to_frame().attrs == found.to_frame().attrs
    pd.testing.assert_frame_equal(expected.motifs.to_frame(), found.motifs.to_frame())
    pd.testing.assert_frame_equal(expected.serial.members, found.serial.members)
    pd.testing.assert_frame_equal(expected.generalised.members, found.generalised.members)
    assert "_table" not in found.graph.__dict__
    # the posts, classification and edges the measures shared were dropped from the workers' memory
    assert not {"_threads", "_classified", "_edges"} & set(found.graph._workers.__dict__)
    posts = saved.manifest["tables"]["posts"]["rows"]
    # the largest objects collected: the times to first response (responsiveness), the members
    # (give and receive), the persons by tenure part (serial); each far fewer rows than the posts
    largest = max(found.responsiveness.answered, len(found.balance.members), len(found.serial.members))
    assert collected and max(collected) <= largest < posts / 2, (collected, largest)


@pytest.mark.parametrize("window", WINDOWS, ids=["all", "window"])
def test_the_summary_collects_no_row_per_opening_post(corpora, monkeypatch, window):
    """Responsiveness in :func:`~peerscope.reciprocity.summary` on Dask: counts and the times to
    first response are collected, not the per-opening-post table (no frame with ``post_id``); that
    table is made when ``threads`` is first read, equals the pandas engine's, and the posts it
    needed leave the workers' memory again."""
    saved, lazy = corpora
    expected = summary(saved, *window).responsiveness
    columns: list[set] = []
    collected = _guard(monkeypatch, columns)
    found = summary(lazy["month"], *window)
    monkeypatch.undo()
    # the only frame with thread ids is the exchanges' (one row per thread with an exchange)
    assert columns and not [names for names in columns if {"post_id", "opened"} & names], columns
    r = found.responsiveness
    assert callable(r.__dict__["_threads"])                  # not made yet
    assert max(collected) < r.opening_posts, (collected, r.opening_posts)
    assert (expected.opening_posts, expected.answered, expected.answered_share,
            expected.hours_to_first_response, expected.return_share, expected.parameters) == \
        (r.opening_posts, r.answered, r.answered_share, r.hours_to_first_response, r.return_share,
         r.parameters)
    assert expected.answered > 0 and repr(expected) == repr(r)   # the repr does not make the table
    pd.testing.assert_frame_equal(expected.threads, r.threads)
    pd.testing.assert_frame_equal(expected.to_frame(), r.to_frame())
    assert not {"_threads", "_classified", "_edges"} & set(found.graph._workers.__dict__)


def test_the_summary_by_group_equals_the_pandas_engine(corpora, monkeypatch):
    """``summary(by=...)``: dyadic reciprocity per group from the edges the workers grouped, roles
    from give and receive; the same tables as the pandas engine's, no per-post arrays built."""
    saved, lazy = corpora
    a = summary(saved, by="role")

    def refused(*args, **kwargs):
        raise AssertionError("the per-post arrays were built on the Dask path")

    monkeypatch.setattr(graph_module, "read_linked", refused)
    b = summary(lazy["single"], by="role")
    monkeypatch.undo()
    pd.testing.assert_frame_equal(a.estimates, b.estimates)
    pd.testing.assert_frame_equal(a.tests, b.tests)
    assert (a.groups, a.sizes, a.parameters) == (b.groups, b.sizes, b.parameters)
    assert len(a.groups) > 1
