"""The reply graph of a Dask corpus, computed on the workers: nothing per post reaches the client.

On the pandas engine :func:`~peerscope.reciprocity.reply_graph` reads the
posts' id and time columns into this process and joins them in the columnar
engine.  On a Dask corpus (``open_corpus(path, engine="dask", scheduler=...)``)
the same steps are Dask graphs instead.  The posts, with their authors'
roles, are shuffled on their thread once and kept in the workers' memory
(:attr:`OnWorkers._threads`): every parent lies in its reply's thread, so
each reply gets its status (the precedence of
:data:`~peerscope.reciprocity._replies.NOT_EDGE_REASONS`, decided by the same
function as the per-post arrays use, :func:`~peerscope.reciprocity._replies.status_codes`)
partition by partition, without a join on the parent id, and the classified
posts and the grouped edges are kept there too (:attr:`OnWorkers._classified`,
:attr:`OnWorkers._edges`), so that the measures of one
:func:`~peerscope.reciprocity.summary` share one shuffle and one
classification; :meth:`OnWorkers.release` drops them.  What the measures
collect is one count per status, two counts of edges and one flag
(:meth:`OnWorkers.dyads`, :meth:`OnWorkers.replies_by_status`); four counts
of opening posts and one integer per answered opening post, without ids
(:meth:`OnWorkers.response_times`); and one row per thread with exchanges
(:meth:`OnWorkers.thread_exchanges`), per person
(:meth:`OnWorkers.members`, :meth:`OnWorkers.paying_forward`) or per
person and tenure part (:meth:`OnWorkers.tenure_parts`), each computed in
one partition by the same per-post function as on the pandas engine
(:mod:`peerscope.reciprocity._replies`).  The edge list, one row per edge,
is collected only when it is asked for (:meth:`OnWorkers.found`), and the
table of the opening posts, one row each, only when
:attr:`~peerscope.reciprocity.Responsiveness.threads` is read
(:meth:`OnWorkers.opening_posts`).
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa

from peerscope.corpus import schema
from peerscope.corpus.window import Window
from peerscope._kernels import columnar, engine
from peerscope._kernels.links import up
from peerscope._kernels.months import micros
from peerscope.reciprocity._replies import (AUTHOR_KINDS, EDGE, NEVER, OPENING, PERSON, STATUS_NAMES,
                                            chain_roots, exchange_closings, first_responses, paying_forward,
                                            status_codes, tenure_cells)


class OnWorkers:
    """The Dask computations of one reply graph: what :class:`~peerscope.reciprocity.graph.ReplyGraph`
    asks for on a Dask corpus, each computed once, on first use, from frames persisted on the
    workers until :meth:`release`.

    Parameters
    ----------
    corpus : peerscope.Corpus
        A corpus opened with ``engine="dask"``.
    window : Window
        The window of the replies counted (the corpus's own window narrowed).
    """

    def __init__(self, corpus, window: Window):
        self.corpus = corpus
        self.window = window

    def found(self) -> columnar.ReplyEdges:
        """The edge list with the counts of :attr:`_counts`: the one collection of one row per
        edge, made only when the edges themselves are asked for
        (:attr:`~peerscope.reciprocity.graph.ReplyGraph.edges`), never by the measures."""
        dyads, by_status = self._counts
        edges = engine.collect(self._edges)
        if self._edges.npartitions > 1:   # each partition is sorted, not the whole
            edges = edges.sort_values(["source", "target"], ignore_index=True)
        edges = _edge_table(edges)
        return columnar.ReplyEdges(edges, by_status, dyads.replies_to_replies)

    def dyads(self) -> columnar.Dyads:
        """Edges, reciprocated edges and replies, counted on the workers (:attr:`_counts`)."""
        return self._counts[0]

    def replies_by_status(self) -> np.ndarray:
        """int64 replies per status code, counted on the workers (:attr:`_counts`)."""
        return self._counts[1]

    @cached_property
    def _counts(self) -> tuple[columnar.Dyads, np.ndarray]:
        """The dyads and the replies per status, counted on the workers and collected in one pass:
        per status one count, two counts of edges, one flag; no row per edge."""
        posts, edges = self._classified, self._edges
        by_status, to_reply, n_edges, reciprocated = engine.collect_together(
            posts.groupby("status", sort=False).size(), posts["to_reply"].any(),
            edges["reciprocated"].count(), edges["reciprocated"].sum())
        by_status = _status_counts(by_status)
        return columnar.Dyads(int(n_edges), int(reciprocated), int(by_status.sum()), bool(to_reply)), by_status

    @cached_property
    def _edges(self):
        """``source, target, replies, first_at, last_at, reciprocated`` per edge, grouped on the
        workers from :attr:`_classified` and persisted until :meth:`release`: the replies that are
        edges are shuffled on their unordered pair of persons (:func:`_pair_hash`), so that an edge
        and its reverse land in one partition, where they are grouped, sorted by source and target
        and flagged (:func:`_grouped_edges`); no partition holds every edge (59.7M at 100M posts).
        Counted by :attr:`_counts`, :meth:`members` and :meth:`sent_edges`, shuffled on the member
        by :meth:`paying_forward`, and collected only by :meth:`found`."""
        posts = self._classified
        replies = posts[posts["status"] == EDGE][["source", "target", "written"]]
        if replies.npartitions > 1:
            replies = replies.assign(pair=replies.map_partitions(_pair_hash, meta=("pair", "uint64")))
            replies = replies.shuffle(on="pair")
        return replies.map_partitions(_grouped_edges, meta=_grouped_edges(replies._meta)).persist()

    @cached_property
    def _threads(self):
        """Every post of the corpus (the window applies later, per thread: parents may be older)
        with its id, parent, author, thread, time, author's role and ``order`` (its stored
        position), shuffled on the thread and persisted on the workers until :meth:`release`.

        The one shuffle of the posts: the classification of the replies
        (:attr:`_classified`), the responses (:meth:`response_times`, :meth:`opening_posts`) and the
        exchanges (:meth:`thread_exchanges`) all run on these partitions.
        """
        posts = self.corpus.posts(columns=["post_id", "parent_id", "author_id", "thread_id", "created_at"])
        posts = posts.map_partitions(_with_order, meta={**posts._meta.dtypes.to_dict(), "order": np.int64})
        posts = engine.attach(posts, "author_id", self.non_persons(), "member_id", "role", "role")
        if posts.npartitions > 1:
            posts = posts.shuffle(on="thread_id")
        return posts.persist()

    @cached_property
    def _classified(self):
        """Each post of the window with its status, author (``source``), parent's author
        (``target``), time (``written``), whether it answers a reply (``to_reply``) and whether its
        author is a person (``person``): classified partition by partition of :attr:`_threads`
        (:func:`_classify`) and persisted on the workers until :meth:`release`, so that the
        edges, the persons' posts and their tenure parts share one classification."""
        threads, bounds = self._threads, self._bounds()
        return threads.map_partitions(lambda part: _classify(part, bounds),
                                      meta=_classify(threads._meta, bounds)).persist()

    def release(self) -> None:
        """Drop the frames persisted on the workers (:attr:`_threads`, :attr:`_classified`, :attr:`_edges`).

        :func:`~peerscope.reciprocity.summary` calls it when its measures
        are done; a later measure of the same graph persists them again.
        """
        for name in ("_threads", "_classified", "_edges"):
            self.__dict__.pop(name, None)

    def non_persons(self):
        """``member_id``, ``role`` of the members that are not persons, as a lazy Dask frame
        (an empty pandas frame when the corpus has no roles)."""
        corpus = self.corpus
        if not corpus.has_table("members") or "role" not in corpus.manifest["tables"]["members"]["columns"]:
            return pd.DataFrame({"member_id": pd.Series(dtype="str"), "role": pd.Series(dtype="str")})
        members = corpus.members(columns=["member_id", "role"])
        return members[members["role"].isin(list(schema.NON_PERSON_ROLES))]

    def members(self) -> pd.DataFrame:
        """``member_id, posts, given, received, partners_given, partners_received`` of give and
        receive, in no particular order: the persons' posts of the window (:attr:`_classified`)
        and the edges (:attr:`_edges`) grouped by source and by target and joined on the workers,
        one row per member collected.

        The members are the persons who posted in the window or received a
        reply in it (every edge's source and target is a person, and every
        source posted).
        """
        posts, edges = self._classified, self._edges
        counts = posts[posts["person"]].groupby("source", sort=False).size().to_frame("posts")
        for end, replies, partners in (("source", "given", "partners_given"),
                                       ("target", "received", "partners_received")):
            # split_out=1: reduced to one partition, not shuffled (a shuffled named aggregation of the
            # edges' partitions fails in Dask's optimiser: KeyError in RenameFrame); it is collected anyway
            grouped = edges.groupby(end, sort=False).agg(split_out=1, **{replies: ("replies", "sum"),
                                                                         partners: ("replies", "count")})
            counts = counts.join(grouped, how="outer")
        found = engine.collect(counts).fillna(0)
        return pd.DataFrame({"member_id": pd.Series(found.index.to_numpy(), dtype="str"),
                             **{name: found[name].to_numpy(np.int64) for name in
                                ("posts", "given", "received", "partners_given", "partners_received")}})

    def sent_edges(self) -> pd.DataFrame:
        """``source, edges, reciprocated``: per person who sent an edge, the edges sent and those
        whose reverse is an edge too, grouped on the workers from :attr:`_edges`, in no particular
        order: one row per such person collected (dyadic reciprocity per group)."""
        grouped = self._edges.groupby("source", sort=False).agg(split_out=1, edges=("reciprocated", "count"),
                                                                reciprocated=("reciprocated", "sum"))
        found = engine.collect(grouped)
        return pd.DataFrame({"source": pd.Series(found.index.to_numpy(), dtype="str"),
                             "edges": found["edges"].to_numpy(np.int64),
                             "reciprocated": found["reciprocated"].to_numpy(np.int64)})

    def response_times(self, responses: str) -> tuple[tuple[int, int, int, int], np.ndarray]:
        """What the numbers of responsiveness need, counted thread by thread on the workers
        (:func:`_thread_responses`) and collected in one pass: the opening posts of the window,
        those answered, those answered whose opening poster is a person and those of them in which
        that person returned (four counts); and per answered opening post the int64 microseconds
        from it to its first response, in no particular order (8 bytes each, no ids).

        The quantiles of the pandas engine are of these same integers divided
        by an hour, so they come out identical; the per-post table is
        :meth:`opening_posts`, collected only when it is asked for.
        """
        found = self._responses(responses, ids=False)
        answered = found["first"] < NEVER
        eligible = answered & found["person_op"]
        returned = eligible & (found["op_last"] >= found["first"])
        *counts, delays = engine.collect_together(
            found["first"].count(), answered.sum(), eligible.sum(), returned.sum(),
            (found["first"] - found["opened"])[answered])
        return tuple(int(n) for n in counts), delays.to_numpy(np.int64)

    def opening_posts(self, responses: str) -> pd.DataFrame:
        """Per opening post of the window, what responsiveness needs, computed thread by thread on
        the workers (:func:`_thread_responses`) and returned in stored order: one row per
        opening post collected (only for :attr:`~peerscope.reciprocity.Responsiveness.threads`)."""
        found = engine.collect(self._responses(responses, ids=True))
        return found.sort_values("order", ignore_index=True).drop(columns="order")

    def _responses(self, responses: str, ids: bool):
        """The lazy frame of :func:`_thread_responses` over the partitions of :attr:`_threads`."""
        threads, bounds = self._threads, self._bounds()
        return threads.map_partitions(lambda part: _thread_responses(part, bounds, responses, ids),
                                      meta=_thread_responses(threads._meta, bounds, responses, ids))

    def thread_exchanges(self) -> pd.DataFrame:
        """``thread_id, exchanges`` of the threads with A -> B -> A exchanges closed in the window,
        counted thread by thread on the workers (:func:`_thread_exchanges`), in no particular
        order: one row per such thread collected."""
        threads, bounds = self._threads, self._bounds()
        return engine.collect(threads.map_partitions(lambda part: _thread_exchanges(part, bounds),
                                                     meta=_thread_exchanges(threads._meta, bounds)))

    def tenure_parts(self, tenure_bins: int, min_posts: int) -> pd.DataFrame:
        """``member_id, part, posts, giving`` of serial reciprocity, computed member by member on
        the workers (:func:`_member_tenure`), in no particular order: one row per measured member
        and tenure part with posts collected.

        The persons' posts of the window are their opening posts (never
        giving) and their replies (giving when an edge; the status comes from
        the classification the edges are counted from), shuffled on the member.
        """
        posts = self._classified
        posts = posts[posts["person"]]
        posts = posts.assign(giving=posts["status"] == EDGE)[["source", "written", "giving"]]
        return engine.per_group(posts, "source", lambda part: _member_tenure(part, tenure_bins, min_posts),
                                meta=_member_tenure(posts._meta, tenure_bins, min_posts))

    def paying_forward(self) -> pd.DataFrame:
        """``member_id``, the four first times (int64 microseconds, ``NEVER`` when undefined) and
        ``returned`` of generalised reciprocity, computed member by member on the workers
        (:func:`_member_forward`), in no particular order: one row per person with an edge collected.

        Each edge (as grouped for :meth:`found`, :attr:`_edges`) is sent to
        both its persons: a member then holds every edge into and out of them.
        """
        edges = self._edges[["source", "target", "first_at", "last_at"]]
        both = _concat([edges.assign(member=edges["source"]), edges.assign(member=edges["target"])])
        return engine.per_group(both, "member", _member_forward, meta=_member_forward(both._meta))

    def _bounds(self) -> tuple:
        """The window as microseconds since the epoch (None: open)."""
        return _bound(self.window.start), _bound(self.window.end)


def _pair_hash(replies: pd.DataFrame) -> pd.Series:
    """A hash of each reply's unordered pair of persons (the same for A -> B and B -> A): the key
    :attr:`OnWorkers._edges` shuffles the edges' replies on."""
    source, target = (pd.util.hash_pandas_object(replies[end], index=False) for end in ("source", "target"))
    return (source + target).rename("pair")


def _grouped_edges(replies: pd.DataFrame) -> pd.DataFrame:
    """The edges of one partition of replies that holds every reply of its unordered pairs
    (:attr:`OnWorkers._edges`), as columns sorted by source and target (the order
    :attr:`~peerscope.reciprocity.graph.ReplyGraph.edges` lists them in), with
    ``reciprocated``: whether each edge's reverse is an edge too, found by integer keys of the
    two ids' codes (no per-edge Python objects)."""
    edges = (replies.groupby(["source", "target"], sort=False, observed=True)["written"]
             .agg(["count", "min", "max"]).set_axis(["replies", "first_at", "last_at"], axis=1))
    edges = edges.reset_index().sort_values(["source", "target"], ignore_index=True)
    source, target = pa.array(edges["source"]), pa.array(edges["target"])
    both = pa.concat_arrays([source, target]).dictionary_encode()   # one dictionary for both ends
    codes, width = both.indices.to_numpy().astype(np.int64), max(len(both.dictionary), 1)
    keys = np.sort(codes[:len(source)] * width + codes[len(source):])
    reverse = codes[len(source):] * width + codes[:len(source)]
    reciprocated = np.zeros(len(keys), dtype=bool)
    if len(keys):
        reciprocated = keys[np.minimum(np.searchsorted(keys, reverse), len(keys) - 1)] == reverse
    return edges.assign(reciprocated=reciprocated)


def _concat(frames: list):
    """The rows of lazy Dask frames with the same columns, one after the other (their partitions
    side by side)."""
    import dask.dataframe as dd

    return dd.concat(frames, ignore_index=True)


def _classify(part: pd.DataFrame, bounds: tuple) -> pd.DataFrame:
    """Status, ``source`` (author), ``target`` (parent's author), ``written``, ``to_reply`` and
    ``person`` of each post of the window ``bounds``, of whole threads (one partition of
    :attr:`OnWorkers._threads`).

    Every parent lies in its reply's thread (validation), so each post's
    parent is found in the partition exactly as among all posts (a parent
    not found: ``parent_not_in_corpus``); the author ids of the partition
    become codes and the roles kinds, so that
    :func:`~peerscope.reciprocity._replies.status_codes` decides every status
    as it does for the per-post arrays.
    """
    parent, _, row = _thread_arrays(part, bounds)
    codes, kind = _codes_and_kinds(part["author_id"], part["role"])
    has_parent = part["parent_id"].notna().to_numpy()
    parent_row, author = parent[row], codes[row]
    status = status_codes(has_parent[row], author, up(parent_row, codes), parent_row, kind)
    ids = part["author_id"].astype("str").reset_index(drop=True)
    return pd.DataFrame({"status": status, "source": ids.take(row).reset_index(drop=True),
                         "target": ids.reindex(parent_row).reset_index(drop=True),
                         "written": part["created_at"].take(row).reset_index(drop=True),
                         "to_reply": (parent_row >= 0) & has_parent[np.maximum(parent_row, 0)],
                         "person": (author >= 0) & (kind[np.maximum(author, 0)] == PERSON)})


def _codes_and_kinds(ids: pd.Series, roles: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Author codes of one partition's ids (``-1``: null) and, per code, its index into
    :data:`~peerscope.reciprocity._replies.AUTHOR_KINDS`, from each row's role (null: a person):
    the codes the per-post functions of :mod:`peerscope.reciprocity.graph` take."""
    codes, uniques = pd.factorize(ids)
    kind_of_role = {role: code for code, role in enumerate(AUTHOR_KINDS)}
    row_kind = roles.map(kind_of_role).fillna(PERSON).to_numpy(np.int8)
    kind = np.full(max(len(uniques), 1), PERSON, dtype=np.int8)
    known = codes >= 0
    kind[codes[known]] = row_kind[known]
    return codes.astype(np.int32), kind


def _edge_table(edges: pd.DataFrame) -> pa.Table:
    """The collected edges (with ``reciprocated``, :func:`_grouped_edges`; sorted by source and
    target) as :class:`~peerscope._kernels.columnar.ReplyEdges` holds them.

    The ids stay in the Arrow ``large_string`` buffers pandas' ``str``
    columns hold, so that :attr:`~peerscope.reciprocity.graph.ReplyGraph.edges`
    shares them rather than sorting and copying them again.
    """
    return pa.table({"source": pa.array(edges["source"]), "target": pa.array(edges["target"]),
                     "replies": pa.array(edges["replies"].to_numpy(np.int64)),
                     "first_at": pa.array(micros(pa.array(edges["first_at"]))),
                     "last_at": pa.array(micros(pa.array(edges["last_at"]))),
                     "reciprocated": pa.array(edges["reciprocated"].to_numpy(bool), pa.bool_())})


def _status_counts(by_status: pd.Series) -> np.ndarray:
    """int64 replies per status code (opening posts are never replies, so their count is 0)."""
    counts = np.zeros(len(STATUS_NAMES), dtype=np.int64)
    counts[by_status.index.to_numpy(np.int64)] = by_status.to_numpy(np.int64)
    counts[OPENING] = 0
    return counts


def _with_order(part: pd.DataFrame, partition_info=None) -> pd.DataFrame:
    """The partition with ``order``: its stored position (partition, then row), so that results
    computed thread by thread can be put back in the order the pandas engine reads the posts."""
    number = partition_info["number"] if partition_info else 0
    return part.assign(order=(np.int64(number) << 32) + np.arange(len(part), dtype=np.int64))


def _bound(at) -> int | None:
    """A window bound as microseconds since the epoch (None stays None)."""
    return None if at is None else int(at.as_unit("us").asm8.view("int64"))


def _thread_arrays(part: pd.DataFrame, bounds: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Of the posts of whole threads (one partition after the shuffle on thread): each post's
    parent position (``-1``: none, or not among them), its time in microseconds, and the positions
    of the posts written in the window ``bounds`` (the window rows of the pandas engine)."""
    post_id = pd.Index(part["post_id"])
    parent = post_id.get_indexer(part["parent_id"]).astype(np.int32)
    parent[part["parent_id"].isna().to_numpy()] = -1
    time = micros(part["created_at"])
    keep = np.ones(len(part), dtype=bool)
    if bounds[0] is not None:
        keep &= time >= bounds[0]
    if bounds[1] is not None:
        keep &= time < bounds[1]
    return parent, time, np.flatnonzero(keep).astype(np.int32)


def _thread_exchanges(part: pd.DataFrame, bounds: tuple) -> pd.DataFrame:
    """A -> B -> A exchanges closed in the window per thread, of whole threads (one partition after
    the shuffle on thread); threads without one are left out.

    Every parent lies in its reply's thread (validation), so each post's
    parent and grandparent are found in the partition exactly as among all
    posts; statuses and closings are decided by the functions the pandas
    engine uses (:func:`~peerscope.reciprocity._replies.status_codes`,
    :func:`~peerscope.reciprocity._replies.exchange_closings`).
    """
    parent, _, row = _thread_arrays(part, bounds)
    codes, kind = _codes_and_kinds(part["author_id"], part["role"])
    parent_row = parent[row]
    author = codes[row]
    target, grand = up(parent_row, codes), up(up(parent_row, parent), codes)
    status = status_codes(part["parent_id"].notna().to_numpy()[row], author, target, parent_row, kind)
    closing = row[exchange_closings(status, author, grand)]
    counts = pd.Series(part["thread_id"].to_numpy()[closing], dtype="str").value_counts(sort=False)
    return pd.DataFrame({"thread_id": pd.Series(counts.index.to_numpy(), dtype="str"),
                         "exchanges": counts.to_numpy(np.int64)})


def _member_tenure(part: pd.DataFrame, tenure_bins: int, min_posts: int) -> pd.DataFrame:
    """Posts and giving posts per measured member and tenure part, of every post of the members of
    one partition (after the shuffle on the member), by the function the pandas engine uses
    (:func:`~peerscope.reciprocity._replies.tenure_cells`)."""
    codes, ids = pd.factorize(part["source"])
    found = tenure_cells(codes.astype(np.int64), micros(part["written"]), part["giving"].to_numpy(bool),
                         len(ids), tenure_bins, min_posts)
    return pd.DataFrame({"member_id": pd.Series(np.asarray(ids, dtype=object)[found["member"]], dtype="str"),
                         **{name: found[name] for name in ("part", "posts", "giving")}})


def _member_forward(part: pd.DataFrame) -> pd.DataFrame:
    """Generalised reciprocity's times per member, of the edges into and out of the members of one
    partition (after the shuffle on the member).

    An edge whose two persons fell in this partition arrives twice and is
    kept once.  Every edge of this partition's members is here, with its
    reverse, so :func:`~peerscope.reciprocity._replies.paying_forward` (the
    pandas engine's function) gives them their numbers exactly; its values
    for their partners, whose other edges are elsewhere, are dropped.
    """
    edges = part.drop_duplicates(["source", "target"])
    n = len(edges)
    codes, ids = pd.factorize(pd.concat([edges["source"], edges["target"]], ignore_index=True))
    source, target = codes[:n], codes[n:]
    pairs = pd.MultiIndex.from_arrays([source, target])
    reverse = pairs.get_indexer(pd.MultiIndex.from_arrays([target, source])) if n else np.zeros(0, np.int64)
    found = paying_forward(source, target, micros(edges["first_at"]), micros(edges["last_at"]),
                           reverse, len(ids))
    mine = ids.get_indexer(pd.unique(part["member"])) if n else np.zeros(0, np.int64)
    return pd.DataFrame({"member_id": pd.Series(np.asarray(ids, dtype=object)[mine], dtype="str"),
                         **{name: values[mine] for name, values in found.items()}})


def _thread_responses(part: pd.DataFrame, bounds: tuple, responses: str, ids: bool) -> pd.DataFrame:
    """Responses to the opening posts of whole threads (one partition after the shuffle on thread):
    ``opened`` and the arrays of :func:`~peerscope.reciprocity._replies.first_responses`, with
    ``ids`` also ``order``, ``thread_id`` and ``post_id`` (for the per-post table only).

    Validation keeps every parent in its reply's thread, so the chain of
    parents of every post of these threads lies in the partition: each
    post's chain root is found here (:func:`~peerscope.reciprocity._replies.chain_roots`)
    exactly as among all posts, and the responses are counted by the same
    function as on the pandas engine
    (:func:`~peerscope.reciprocity._replies.first_responses`).
    """
    parent, time, row = _thread_arrays(part, bounds)
    root = chain_roots(parent, row, len(part))
    codes, kind = _codes_and_kinds(part["author_id"], part["role"])
    opening = part["parent_id"].isna().to_numpy()[row]
    found = first_responses(codes[row], time[row], opening, root, kind, responses)
    rows = row[opening]
    if not ids:
        return pd.DataFrame({"opened": time[rows], **found})
    return pd.DataFrame({"order": part["order"].to_numpy(np.int64)[rows],
                         "thread_id": pd.Series(part["thread_id"].to_numpy()[rows], dtype="str"),
                         "post_id": pd.Series(part["post_id"].to_numpy()[rows], dtype="str"),
                         "opened": time[rows], **found})
