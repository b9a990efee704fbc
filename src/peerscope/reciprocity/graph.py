"""The reply graph: who replies to whom, built once for every reciprocity measure.

:func:`reply_graph` joins each reply to the post it answers in the columnar
engine and returns a :class:`ReplyGraph`: the edge list and the accounting
of replies that are not edges, and, kept private and built on first use,
the per-post arrays (author codes, times, status, thread and chain root of
every post) that the measures following replies post by post are computed
from.  One graph serves every measure.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from peerscope import errors

from peerscope.corpus import schema
from peerscope.corpus.window import Window
from peerscope._kernels import columnar
from peerscope._kernels.display import Display, fmt, span
from peerscope._kernels.links import read_linked, select, up
from peerscope._kernels.runs import run_lengths, run_starts
from peerscope.participation import roles
from peerscope.reciprocity._replies import (AUTHOR_KINDS, EDGE, OPENING, PERSON, STATUS_NAMES, chain_roots,
                                            status_codes)
from peerscope.reciprocity._workers import OnWorkers

__all__ = ["ReplyGraph", "reply_graph"]



@dataclass(frozen=True, eq=False, repr=False)
class ReplyGraph(Display):
    """The directed reply graph of a corpus window, as :func:`reply_graph` builds it.

    Every measure of :mod:`peerscope.reciprocity` takes it as its first
    argument, so that the posts are read and linked once for all of them.
    Besides the attributes below it carries, privately, the per-post arrays
    the measures are computed from.

    Attributes
    ----------
    edges : pandas.DataFrame
        ``source, target, replies, first_at, last_at``: one row per distinct
        directed edge, sorted by source and target, with the number of
        replies and the first and last reply's time (built on first use).
    accounting : dict
        ``replies`` in the window, ``edge`` (replies that are edges) and the
        count of every reason a reply is not an edge (see
        :func:`reply_graph`); they add up to ``replies``.
    reply_structure : str
        ``"nested"`` (some reply answers a reply), ``"flat"`` (every reply is
        attached to the opening post, so every edge points at the opening
        poster) or ``"no replies"``.
    window : Window
        ``[start, end)`` of the replies counted.
    parameters : dict
        ``start``, ``end`` (None when open) and ``reply_structure``: the
        columns that every result's ``to_frame()`` carries.

    Examples
    --------
    >>> from peerscope.datasets.examples import tiny_thread
    >>> graph = reply_graph(tiny_thread())   # ann <-> bob, cat -> ann
    >>> graph
    ReplyGraph
      edges            3
      replies          3 (3 edges, 0 not edges)
      reply structure  nested
      window           [n/a, n/a)
    >>> graph.to_frame().shape, graph.to_frame().attrs["parameters"]
    ((3, 5), {'start': None, 'end': None, 'reply_structure': 'nested'})
    """

    window: Window
    _read_edges: Callable[[], columnar.ReplyEdges]
    _build_table: Callable[[], "_ReplyTable"]
    _count_dyads: Callable[[], columnar.Dyads]
    #: On a Dask corpus, the computations run on the workers
    #: (:class:`peerscope.reciprocity._workers.OnWorkers`); None on the pandas engine.
    _workers: object = None

    @cached_property
    def _table(self) -> "_ReplyTable":
        """The per-post arrays of the window (:class:`_ReplyTable`), read and linked on first use:
        measures that need only the edges (dyadic reciprocity) never build them."""
        return self._build_table()

    @cached_property
    def _found(self) -> columnar.ReplyEdges:
        """The edges, replies per status and structure: counted from the per-post arrays when
        they were built already, else by one query in the columnar engine (no per-post arrays) or,
        on a Dask corpus, collected from the workers: only :attr:`edges` asks for them there."""
        if "_table" in self.__dict__:
            return self._table.found()
        return self._read_edges()

    @cached_property
    def _dyads(self) -> columnar.Dyads:
        """Edges, reciprocated edges and replies counted: from the edges when they were found
        already, else by a query that counts them without listing them (dyadic reciprocity)."""
        if "_found" in self.__dict__ or "_table" in self.__dict__:
            return columnar.Dyads.of(self._found)
        return self._count_dyads()

    @cached_property
    def accounting(self) -> dict:
        """``replies`` in the window, ``edge`` and the count of every reason a reply is not an edge
        (on a Dask corpus counted on the workers, without the edge list, unless it is here already)."""
        if self._workers is not None and "_found" not in self.__dict__:
            counts = self._workers.replies_by_status()
        else:
            counts = self._found.replies_by_status
        return {"replies": int(counts.sum()),
                **{name: int(counts[i]) for i, name in enumerate(STATUS_NAMES) if i != OPENING}}

    @property
    def reply_structure(self) -> str:
        """``"nested"``, ``"flat"`` or ``"no replies"`` (class docstring)."""
        if not self._dyads.replies:
            return "no replies"
        return "nested" if self._dyads.replies_to_replies else "flat"

    def _display_rows(self) -> list[tuple[str, object]]:
        replies, edge = self.accounting["replies"], self.accounting["edge"]
        return [("edges", self.n_edges),
                ("replies", f"{fmt(replies)} ({fmt(edge)} edges, {fmt(replies - edge)} not edges)"),
                ("reply structure", self.reply_structure),
                ("window", span(self.window.start, self.window.end))]

    @cached_property
    def edges(self) -> pd.DataFrame:
        """The edge list ``source, target, replies, first_at, last_at`` (built on first use)."""
        edges = self._found.edges
        if self._workers is None:
            # a Dask corpus's edges are collected sorted, and their ids become these columns uncopied
            edges = edges.sort_by([("source", "ascending"), ("target", "ascending")])
        return pd.DataFrame({
            "source": pd.Series(edges.column("source").to_pandas(), dtype="str"),
            "target": pd.Series(edges.column("target").to_pandas(), dtype="str"),
            "replies": edges.column("replies").to_numpy().astype("int64"),
            "first_at": as_times(edges.column("first_at").to_numpy()),
            "last_at": as_times(edges.column("last_at").to_numpy())})

    def release(self) -> None:
        """Free the per-post arrays and the edge list held since a measure needed them.

        They take about 100 bytes a post (a gigabyte at 10M posts).  What was
        counted from them stays; anything else is read again from the corpus
        when next asked for.  :func:`peerscope.report.build` calls it once its
        reciprocity tables are made.

        Examples
        --------
        >>> from peerscope.datasets.examples import tiny_thread
        >>> graph = reply_graph(tiny_thread())
        >>> len(graph.edges), graph.n_reciprocated
        (3, 2)
        >>> graph.release()
        >>> "edges" in vars(graph), len(graph.edges)
        (False, 3)
        """
        for name in ("_table", "_found", "edges"):
            self.__dict__.pop(name, None)

    @property
    def n_edges(self) -> int:
        """Distinct directed edges."""
        return self._dyads.edges

    @property
    def n_reciprocated(self) -> int:
        """Edges whose reverse edge exists."""
        return self._dyads.reciprocated

    @property
    def parameters(self) -> dict:
        """What made the graph: ``start``, ``end`` and ``reply_structure``."""
        return {"start": self.window.start, "end": self.window.end,
                "reply_structure": self.reply_structure}

    def to_frame(self) -> pd.DataFrame:
        """The edge list ``source, target, replies`` (int64) ``, first_at, last_at``.

        The parameters (``start``, ``end``, ``reply_structure``) are in
        ``frame.attrs["parameters"]``.
        """
        return with_parameters(self.edges, self.parameters)

    def accounting_frame(self) -> pd.DataFrame:
        """Replies per status (``status``, ``replies``), with the parameters."""
        frame = pd.DataFrame({"status": list(self.accounting),
                              "replies": list(self.accounting.values())})
        return with_parameters(frame, self.parameters)

    def to_networkx(self):
        """The graph as a :class:`networkx.DiGraph` with edge attributes
        ``replies``, ``first_at``, ``last_at`` (``pandas.Timestamp``).

        Needs the ``graph`` extra (``pip install 'peerscope[graph]'``).
        Nodes are the members with at least one edge.
        """
        nx = _import_networkx()
        graph = nx.from_pandas_edgelist(self.edges, "source", "target",
                                        edge_attr=["replies", "first_at", "last_at"],
                                        create_using=nx.DiGraph)
        graph.graph.update({k: str(v) for k, v in self.parameters.items()})
        return graph

    def write_graphml(self, path: str | os.PathLike) -> Path:
        """Write the graph as GraphML (times as ISO 8601 text), atomically.

        Returns the path written.  Needs the ``graph`` extra.
        """
        nx = _import_networkx()
        graph = self.to_networkx()
        for _, _, data in graph.edges(data=True):
            data["first_at"] = data["first_at"].isoformat()
            data["last_at"] = data["last_at"].isoformat()
        path = Path(path)
        handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        os.close(handle)
        try:
            nx.write_graphml(graph, tmp)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path


@dataclass(frozen=True, eq=False)
class _ReplyTable:
    """The linked posts of a corpus window: what every reciprocity measure is computed from.

    Authors are integer codes into :attr:`ids` (``-1``: null author) and times
    are microseconds since the epoch, so that every measure is a handful of
    numpy operations on arrays of one entry per post of the window.

    Attributes
    ----------
    ids : pandas.Index
        Author id of each author code.
    kind : numpy.ndarray
        Per author code, the index into :data:`AUTHOR_KINDS`.
    author, target, grand : numpy.ndarray
        Per post: author code; code of the parent's author; code of the
        parent's parent's author (``-1`` when there is none or it is null).
    time : numpy.ndarray
        Per post: ``created_at`` in microseconds.
    status : numpy.ndarray
        Per post: index into :data:`STATUS_NAMES`.
    root : numpy.ndarray
        Per post: row (in the window) of the opening post of its reply
        chain; ``-1`` when that opening post lies outside the window.
    thread_id : pyarrow.ChunkedArray
        Per post: its thread id (not coded: only the threads the results
        name are looked at).
    opening_post_id : pyarrow.ChunkedArray
        The ids of the opening posts (those with status ``opening``), in
        order: the posts the results name.
    edge_source, edge_target, edge_replies, edge_first, edge_last : numpy.ndarray
        The distinct edges as codes, sorted by (source, target).
    replies_to_replies : bool
        Some reply answers a post that is itself a reply.

    Examples
    --------
    >>> from peerscope.datasets.examples import tiny_thread
    >>> table = reply_graph(tiny_thread())._table   # ann <-> bob, cat -> ann
    >>> table.ids.tolist(), table.author.tolist(), table.target.tolist()
    (['ann', 'bob', 'cat'], [0, 1, 0, 2], [-1, 0, 1, 0])
    >>> [STATUS_NAMES[s] for s in table.status]
    ['opening', 'edge', 'edge', 'edge']
    >>> table.edge_reverse.tolist()   # ann->bob and bob->ann are returned, cat->ann is not
    [1, 0, -1]
    """

    ids: pd.Index
    kind: np.ndarray
    author: np.ndarray
    target: np.ndarray
    grand: np.ndarray
    time: np.ndarray
    status: np.ndarray
    root: np.ndarray
    thread_id: pa.ChunkedArray
    opening_post_id: pa.ChunkedArray
    edge_source: np.ndarray
    edge_target: np.ndarray
    edge_replies: np.ndarray
    edge_first: np.ndarray
    edge_last: np.ndarray
    replies_to_replies: bool

    @property
    def is_person(self) -> np.ndarray:
        """Per post: the author is a person."""
        return (self.author >= 0) & (self.kind[np.maximum(self.author, 0)] == PERSON)

    def found(self) -> columnar.ReplyEdges:
        """What :func:`peerscope._kernels.columnar.reply_edges` finds, counted from these arrays."""
        ids = pa.array(self.ids, type=pa.string())
        edges = pa.table({"source": ids.take(pa.array(self.edge_source)),
                          "target": ids.take(pa.array(self.edge_target)),
                          "replies": pa.array(self.edge_replies, pa.int64()),
                          "first_at": pa.array(self.edge_first, pa.int64()),
                          "last_at": pa.array(self.edge_last, pa.int64()),
                          "reciprocated": pa.array(self.edge_reverse >= 0)})
        replies = self.status != OPENING
        by_status = np.bincount(self.status[replies], minlength=len(STATUS_NAMES)).astype(np.int64)
        return columnar.ReplyEdges(edges, by_status, self.replies_to_replies)

    @cached_property
    def edge_reverse(self) -> np.ndarray:
        """For each edge, the position of its reverse edge in the edge arrays, or -1.

        Computed once (generalised reciprocity and the overview use it): the
        edges are sorted by their unordered pair of persons, so that an edge
        and its reverse (the only two edges of a pair: edges are distinct
        and never a self-reply) are neighbours.  One sort; looking each
        reverse key up by binary search took another 0.2 s at 6M edges.
        """
        n_codes = max(len(self.ids), 1)
        source = self.edge_source.astype(np.int64)
        target = self.edge_target.astype(np.int64)
        pairs = np.minimum(source, target) * n_codes + np.maximum(source, target)
        del source, target
        order = np.argsort(pairs)
        pairs = pairs[order]
        both = np.flatnonzero(pairs[1:] == pairs[:-1])
        reverse = np.full(len(order), -1, dtype=np.int64)
        reverse[order[both]] = order[both + 1]
        reverse[order[both + 1]] = order[both]
        return reverse


def reply_graph(corpus, start=None, end=None) -> ReplyGraph:
    r"""The directed reply graph of ``corpus``: who replies to whom.

    A reply :math:`r` (a post with a ``parent_id``) written by :math:`u` to a
    post written by :math:`v` is an edge :math:`u \to v` when both are
    persons and :math:`u \ne v`.  The directed, weighted reply graph is

    .. math::

        E = \{(u, v) : \exists\, r,\ \mathrm{author}(r) = u,\
            \mathrm{author}(\mathrm{parent}(r)) = v,\ u \ne v\},
        \qquad w(u, v) = |\{r : r \text{ is a reply } u \to v\}|.

    A *person* is an author id that is not null and whose member role is not
    ``bot``, ``deleted`` or ``anonymous``
    (:data:`peerscope.corpus.schema.NON_PERSON_ROLES`).  Replies that are not
    edges are never dropped silently: each gets the first of these reasons
    that applies, and :attr:`ReplyGraph.accounting` counts them.

    =======================  ====================================================
    ``from_unknown``         the reply's author is null
    ``from_bot``             ... is a bot
    ``from_deleted``         ... is a deleted account
    ``from_anonymous``       ... is a shared anonymous account
    ``parent_not_in_corpus`` the parent post is not in the corpus read (only
                             possible through a :meth:`~peerscope.Corpus.window`
                             view that cuts the parent off)
    ``to_unknown``           the parent's author is null
    ``to_bot``, ``to_deleted``, ``to_anonymous``   the parent's author is one
    ``self_reply``           the author replies to their own post
    =======================  ====================================================

    The edges and the accounting are one SQL query in the columnar engine
    (:func:`peerscope._kernels.columnar.reply_edges`) over four id and time
    columns of the posts, never the text.  On a Dask corpus they are Dask
    graphs instead (:mod:`peerscope.reciprocity._workers`): the joins and
    groupings run on the workers and only counts reach this process (the
    edge list only when :attr:`ReplyGraph.edges` is asked for).  On the
    pandas engine the measures that follow replies post by post (exchanges,
    serial and generalised reciprocity, responsiveness, give and receive)
    read the posts' five id and time columns again, once, on first use,
    into per-post arrays; on a Dask corpus they run on the workers too,
    thread by thread or member by member, and collect one row per thread,
    opening post or person.
    Dyadic reciprocity needs only the edges.

    Parameters
    ----------
    corpus : peerscope.Corpus
        Pandas or Dask engine; same graph.
    start, end : time-like, optional
        Count the replies written in ``[start, end)``.  A reply in the
        window to a post written before it is still an edge to that post's
        author: parents are looked up among all posts of the corpus.  (A
        :meth:`~peerscope.Corpus.window` view cannot see posts outside its
        window, so such replies count as ``parent_not_in_corpus``; pass
        ``start``/``end`` here instead, to keep earlier parents.)

    Returns
    -------
    ReplyGraph
        The edge list, the accounting of replies that are not edges, and
        the reply structure: ``"flat"`` when every reply is attached to the
        opening post (many forums store threads so, whoever a reply answers
        in its text; then every edge points at the opening poster),
        ``"nested"`` when some reply answers another reply, ``"no replies"``.

    Notes
    -----
    A window without replies gives a graph without edges; the measures say
    then that they are undefined rather than returning zeros.

    References
    ----------
    docs/concepts.md, "Reply graph"; the edge set is that of a directed
    graph in the sense of Newman, M. E. J. (2010), *Networks: An
    Introduction*, Oxford University Press.

    Examples
    --------
    >>> from peerscope.datasets.examples import tiny_thread
    >>> from peerscope.reciprocity import reply_graph
    >>> graph = reply_graph(tiny_thread())   # ann <-> bob, cat -> ann
    >>> graph.edges[["source", "target", "replies"]].values.tolist()
    [['ann', 'bob', 1], ['bob', 'ann', 1], ['cat', 'ann', 1]]
    >>> graph.accounting["replies"], graph.accounting["edge"], graph.reply_structure
    (3, 3, 'nested')
    >>> reply_graph(tiny_thread(), start="2024-01-03").n_edges   # the replies of Jan 3 and 4
    2
    """
    window = corpus.time_window.narrow(start, end)
    if corpus.engine == "dask":
        workers = OnWorkers(corpus, window)
        return ReplyGraph(window, workers.found, partial(_reply_table, corpus, start, end), workers.dyads,
                          workers)
    return ReplyGraph(window, partial(_read_edges, corpus, window), partial(_reply_table, corpus, start, end),
                      partial(_count_dyads, corpus, window))


def _read_edges(corpus, window: Window) -> columnar.ReplyEdges:
    """The edges and replies per status of the replies in ``window``, by the columnar engine."""
    posts = corpus.arrow("posts", ["post_id", "parent_id", "author_id", "created_at"])
    return columnar.reply_edges(posts, _non_persons(corpus), STATUS_NAMES, window=(window.start, window.end))


def _count_dyads(corpus, window: Window) -> columnar.Dyads:
    """The edges and reciprocated edges of the replies in ``window`` counted by the columnar engine
    (``created_at`` is read only when the window is bounded)."""
    bounded = window.start is not None or window.end is not None
    posts = corpus.arrow("posts", ["post_id", "parent_id", "author_id"] + (["created_at"] if bounded else []))
    return columnar.dyads(posts, _non_persons(corpus), window=(window.start, window.end))


def _non_persons(corpus) -> pa.Table:
    """``member_id``, ``role`` of the members whose role is not a person's (bots, deleted, anonymous)."""
    if not corpus.has_table("members") or "role" not in corpus.manifest["tables"]["members"]["columns"]:
        return pa.table({"member_id": pa.array([], pa.string()), "role": pa.array([], pa.string())})
    members = corpus.arrow("members", ["member_id", "role"])
    return members.filter(pc.is_in(members.column("role"), value_set=pa.array(schema.NON_PERSON_ROLES)))


def _reply_table(corpus, start, end) -> _ReplyTable:
    """The per-post arrays of the replies in ``[start, end)``, every post of ``corpus`` read and linked.

    Its edges and statuses are those :func:`reply_graph` finds with the
    columnar engine (``tests/test_reciprocity.py`` checks that both agree).
    """
    linked = read_linked(corpus)
    row = linked.rows(start, end).astype(np.int32)
    parent, codes, ids, n_lookup = linked.parent, linked.author, linked.ids, len(linked)
    thread_id = linked.thread_id if len(row) == len(linked) else linked.thread_id.take(pa.array(row))
    has_parent = select(linked.has_parent, row)
    # only the opening posts are named in the results (responsiveness)
    opening_post_id = linked.post_id.take(pa.array(row[~has_parent]))
    time = select(linked.time, row)
    all_have_parent = linked.has_parent
    del linked
    role = roles(corpus)
    kind = np.zeros(len(ids), dtype=np.int8)
    for code, name in enumerate(AUTHOR_KINDS[1:], start=1):
        # a numpy mask: indexing with the boolean Series makes pandas hash the roster's ids
        kind[ids.isin(role.index[(role == name).to_numpy(dtype=bool)])] = code

    author = select(codes, row)
    parent_row = select(parent, row)
    replies_to_replies = bool(all_have_parent[parent_row[parent_row >= 0]].any())
    del all_have_parent
    target, grand = up(parent_row, codes), up(up(parent_row, parent), codes)
    status = status_codes(has_parent, author, target, parent_row, kind)
    root = chain_roots(parent, row, n_lookup)
    del parent, codes, parent_row

    edge = status == EDGE
    n_codes = max(len(ids), 1)
    keys = author[edge].astype(np.int64) * n_codes + target[edge]
    # the order within an edge does not matter (counts, minimum, maximum): numpy's unstable sort,
    # 2.4x faster than a stable one on 6M int64 keys
    order = np.argsort(keys)
    keys, edge_time = keys[order], time[edge][order]
    del order
    starts = run_starts(keys)
    edge_keys = keys[starts]
    edge_replies = run_lengths(starts, len(keys))
    edge_first = np.minimum.reduceat(edge_time, starts) if len(starts) else np.zeros(0, np.int64)
    edge_last = np.maximum.reduceat(edge_time, starts) if len(starts) else np.zeros(0, np.int64)
    del keys, edge_time
    return _ReplyTable(ids, kind, author, target, grand, time, status, root, thread_id, opening_post_id,
                       (edge_keys // n_codes).astype(np.int32), (edge_keys % n_codes).astype(np.int32),
                       edge_replies, edge_first, edge_last, replies_to_replies)


def _as_graph(graph, start=None, end=None) -> ReplyGraph:
    """The graph a measure is computed on: ``graph`` itself, or the reply graph of the corpus ``graph``.

    Parameters
    ----------
    graph : ReplyGraph or peerscope.Corpus
        The first argument of a measure.
    start, end : time-like, optional
        The window, for a corpus only: a graph's window is fixed when it is built.

    Returns
    -------
    ReplyGraph

    Raises
    ------
    PeerscopeError
        When ``start`` or ``end`` is given with a :class:`ReplyGraph`.

    Examples
    --------
    >>> from peerscope.datasets.examples import tiny_thread
    >>> graph = _as_graph(tiny_thread())
    >>> _as_graph(graph) is graph
    True
    """
    if not isinstance(graph, ReplyGraph):
        return reply_graph(graph, start, end)
    if start is not None or end is not None:
        raise errors.PeerscopeError(
            "start/end cannot be given with a ReplyGraph: its window was set when it was built "
            f"(start={graph.window.start}, end={graph.window.end}); build the graph with "
            "reply_graph(corpus, start, end) or pass the corpus instead")
    return graph


def as_times(micros: np.ndarray) -> pd.Series:
    """Microseconds since the epoch -> UTC times (``NaT`` for the int64 minimum).

    Parameters
    ----------
    micros : array-like of int
        Microseconds since 1970-01-01 UTC.

    Returns
    -------
    pandas.Series
        ``datetime64[us, UTC]`` times.

    Examples
    --------
    >>> as_times([0, 86_400_000_000]).astype(str).tolist()
    ['1970-01-01 00:00:00+00:00', '1970-01-02 00:00:00+00:00']
    """
    return pd.Series(np.asarray(micros, dtype=np.int64).view("datetime64[us]")).dt.tz_localize("UTC")


def with_parameters(frame: pd.DataFrame, parameters: dict) -> pd.DataFrame:
    """A copy of ``frame`` with the parameters in ``attrs["parameters"]``, once (not per row).

    Parameters
    ----------
    frame : pandas.DataFrame
        A result table (not modified).
    parameters : dict
        Parameter name -> value.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> import pandas as pd
    >>> frame = with_parameters(pd.DataFrame({"x": [1, 2]}), {"end": None})
    >>> frame.to_dict("list"), frame.attrs
    ({'x': [1, 2]}, {'parameters': {'end': None}})
    """
    frame = frame.copy()
    frame.attrs["parameters"] = dict(parameters)
    return frame


def _import_networkx():
    try:
        import networkx
    except ImportError:
        raise errors.PeerscopeError(
            "exporting the reply graph needs networkx: pip install 'peerscope[graph]'") from None
    return networkx
