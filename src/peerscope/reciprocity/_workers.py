"""The reply graph of a Dask corpus, computed on the workers: nothing per post reaches the client.

On the pandas engine :func:`~peerscope.reciprocity.reply_graph` reads the
posts' id and time columns into this process and joins them in the columnar
engine.  On a Dask corpus (``open_corpus(path, engine="dask", scheduler=...)``)
the same steps are Dask graphs instead: replies are merged with their parent
posts by parent id and both authors with the roles of the members that are
not persons, each reply gets its status (the precedence of
:data:`~peerscope.reciprocity._replies.NOT_EDGE_REASONS`, decided by the same
function as the per-post arrays use, :func:`~peerscope.reciprocity._replies.status_codes`)
partition by partition, and the replies are grouped on the workers.  What is
collected is one row per edge, one count per status and one flag; and, for
the measures that follow replies post by post, one row per opening post
(:meth:`OnWorkers.opening_posts`), per thread with exchanges
(:meth:`OnWorkers.thread_exchanges`), per person
(:meth:`OnWorkers.person_posts`, :meth:`OnWorkers.paying_forward`) or per
person and tenure part (:meth:`OnWorkers.tenure_parts`).  Posts are shuffled
on their thread or member so that each of those is computed, in one
partition, by the same per-post function as on the pandas engine
(:mod:`peerscope.reciprocity._replies`).
"""

from __future__ import annotations

import warnings
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa

from peerscope.corpus import schema
from peerscope.corpus.window import Window
from peerscope._kernels import columnar, engine
from peerscope._kernels.links import up
from peerscope._kernels.months import micros
from peerscope.reciprocity._replies import (AUTHOR_KINDS, EDGE, OPENING, PERSON, STATUS_NAMES, chain_roots,
                                            exchange_closings, first_responses, from_person, paying_forward,
                                            status_codes, tenure_cells)


class OnWorkers:
    """The Dask computations of one reply graph: what :class:`~peerscope.reciprocity.graph.ReplyGraph`
    asks for on a Dask corpus, each computed once, on first use.

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
        """The edges, replies per status and structure (:attr:`_found`)."""
        return self._found

    def dyads(self) -> columnar.Dyads:
        """Edges, reciprocated edges and replies, counted from :meth:`found` (one row per edge)."""
        return columnar.Dyads.of(self._found)

    @cached_property
    def _found(self) -> columnar.ReplyEdges:
        """The edges and the accounting, grouped on the workers and collected in one pass.

        Collected: per edge its two ids, the count and the first and last
        time (the ``edges`` table); per status one count; one flag.
        """
        replies = self._classified_replies()
        grouped = _grouped_edges(replies)
        by_status = replies.groupby("status", sort=False).size()
        edges, by_status, to_reply = engine.collect_together(grouped, by_status, replies["to_reply"].any())
        return columnar.ReplyEdges(_edge_table(edges.reset_index()), _status_counts(by_status), bool(to_reply))

    def _classified_replies(self):
        """The replies of the window, each with its status, authors, time and whether it answers a
        reply: a lazy Dask frame (the merges and the classification run on the workers)."""
        corpus, window = self.corpus, self.window
        replies = corpus.posts(columns=["parent_id", "author_id", "created_at"],
                               start=window.start, end=window.end)
        replies = replies[replies["parent_id"].notnull()]
        parents = corpus.posts(columns=["post_id", "author_id", "parent_id"]).rename(
            columns={"post_id": "parent_id", "author_id": "target", "parent_id": "grandparent_id"})
        parents = parents.assign(found=True).astype({"parent_id": replies["parent_id"].dtype})
        with warnings.catch_warnings():
            # both sides hold strings; Dask only sees pandas' str and string dtypes differ
            warnings.filterwarnings("ignore", "Merging dataframes with merge column data type")
            linked = replies.merge(parents, on="parent_id", how="left")
        roles = self.non_persons()
        linked = engine.attach(linked, "author_id", roles, "member_id", "role", "source_role")
        linked = engine.attach(linked, "target", roles, "member_id", "role", "target_role")
        return linked.map_partitions(_classify, meta=_classify(linked._meta))

    def non_persons(self):
        """``member_id``, ``role`` of the members that are not persons, as a lazy Dask frame
        (an empty pandas frame when the corpus has no roles)."""
        corpus = self.corpus
        if not corpus.has_table("members") or "role" not in corpus.manifest["tables"]["members"]["columns"]:
            return pd.DataFrame({"member_id": pd.Series(dtype="str"), "role": pd.Series(dtype="str")})
        members = corpus.members(columns=["member_id", "role"])
        return members[members["role"].isin(list(schema.NON_PERSON_ROLES))]

    @cached_property
    def person_posts(self) -> pd.Series:
        """Posts of the window per person (int64, indexed by author id): grouped on the workers,
        one row per author collected (give and receive)."""
        corpus, window = self.corpus, self.window
        posts = corpus.posts(columns=["author_id"], start=window.start, end=window.end)
        posts = engine.attach(posts, "author_id", self.non_persons(), "member_id", "role", "role")
        people = posts[posts["role"].isna()]
        return engine.count_by(people, "author_id", "posts").astype(np.int64)

    def opening_posts(self, responses: str) -> pd.DataFrame:
        """Per opening post of the window, what responsiveness needs, computed thread by thread on
        the workers (:func:`_thread_responses`) and returned in stored order: one row per
        opening post collected."""
        posts = self._thread_posts(ordered=True)
        bounds = self._bounds()
        found = engine.per_group(posts, "thread_id", lambda part: _thread_responses(part, bounds, responses),
                                 meta=_thread_responses(posts._meta, bounds, responses))
        return found.sort_values("order", ignore_index=True).drop(columns="order")

    def thread_exchanges(self) -> pd.DataFrame:
        """``thread_id, exchanges`` of the threads with A -> B -> A exchanges closed in the window,
        counted thread by thread on the workers (:func:`_thread_exchanges`), in no particular
        order: one row per such thread collected."""
        posts = self._thread_posts(ordered=False)
        bounds = self._bounds()
        return engine.per_group(posts, "thread_id", lambda part: _thread_exchanges(part, bounds),
                                meta=_thread_exchanges(posts._meta, bounds))

    def tenure_parts(self, tenure_bins: int, min_posts: int) -> pd.DataFrame:
        """``member_id, part, posts, giving`` of serial reciprocity, computed member by member on
        the workers (:func:`_member_tenure`), in no particular order: one row per measured member
        and tenure part with posts collected.

        The persons' posts of the window are their opening posts (never
        giving) and their replies (giving when an edge; the status comes from
        the classification the edges are counted from), shuffled on the member.
        """
        corpus, window = self.corpus, self.window
        replies = self._classified_replies()
        replies = replies[from_person(replies["status"])]
        replies = replies.assign(giving=replies["status"] == EDGE)[["source", "written", "giving"]]
        opened = corpus.posts(columns=["parent_id", "author_id", "created_at"], start=window.start, end=window.end)
        opened = opened[opened["parent_id"].isna() & opened["author_id"].notnull()]
        opened = engine.attach(opened, "author_id", self.non_persons(), "member_id", "role", "role")
        opened = opened[opened["role"].isna()]
        opened = opened.map_partitions(_as_member_posts, meta=_as_member_posts(opened._meta))
        posts = _concat([replies, opened])
        return engine.per_group(posts, "source", lambda part: _member_tenure(part, tenure_bins, min_posts),
                                meta=_member_tenure(posts._meta, tenure_bins, min_posts))

    def paying_forward(self) -> pd.DataFrame:
        """``member_id``, the four first times (int64 microseconds, ``NEVER`` when undefined) and
        ``returned`` of generalised reciprocity, computed member by member on the workers
        (:func:`_member_forward`), in no particular order: one row per person with an edge collected.

        Each edge is grouped on the workers (as for :meth:`found`) and sent to
        both its persons: a member then holds every edge into and out of them.
        """
        edges = _grouped_edges(self._classified_replies()).reset_index()
        edges = edges[["source", "target", "first_at", "last_at"]]
        both = _concat([edges.assign(member=edges["source"]), edges.assign(member=edges["target"])])
        return engine.per_group(both, "member", _member_forward, meta=_member_forward(both._meta))

    def _thread_posts(self, ordered: bool):
        """Every post of the corpus (the window applies later, per thread: parents may be older)
        with its id, parent, author, thread, time and author's role, and with ``order``, its
        stored position, when ``ordered``: a lazy Dask frame."""
        posts = self.corpus.posts(columns=["post_id", "parent_id", "author_id", "thread_id", "created_at"])
        if ordered:
            posts = posts.map_partitions(_with_order, meta={**posts._meta.dtypes.to_dict(), "order": np.int64})
        return engine.attach(posts, "author_id", self.non_persons(), "member_id", "role", "role")

    def _bounds(self) -> tuple:
        """The window as microseconds since the epoch (None: open)."""
        return _bound(self.window.start), _bound(self.window.end)


def _grouped_edges(replies):
    """Per edge (indexed by ``source, target``) its replies and first and last time, grouped on
    the workers from the classified replies: a lazy Dask frame."""
    edges = replies[replies["status"] == EDGE]
    return edges.groupby(["source", "target"], sort=False, dropna=True, observed=True).agg(
        replies=("status", "count"), first_at=("written", "min"), last_at=("written", "max"))


def _concat(frames: list):
    """The rows of lazy Dask frames with the same columns, one after the other (their partitions
    side by side)."""
    import dask.dataframe as dd

    return dd.concat(frames, ignore_index=True)


def _classify(part: pd.DataFrame) -> pd.DataFrame:
    """Status, source, target, time and ``to_reply`` of each merged reply of one partition.

    The author ids of the partition become codes and the roles kinds, so
    that :func:`~peerscope.reciprocity._replies.status_codes` decides every status
    as it does for the per-post arrays.
    """
    n = len(part)
    codes, kind = _codes_and_kinds(pd.concat([part["author_id"], part["target"]], ignore_index=True),
                                   pd.concat([part["source_role"], part["target_role"]], ignore_index=True))
    found = part["found"].notna().to_numpy()
    status = status_codes(np.ones(n, dtype=bool), codes[:n], codes[n:], np.where(found, 0, -1), kind)
    return pd.DataFrame({"status": status, "source": part["author_id"].astype("str"),
                         "target": part["target"].astype("str"), "written": part["created_at"],
                         "to_reply": found & part["grandparent_id"].notna().to_numpy()}, index=part.index)


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
    """The collected edges as :class:`~peerscope._kernels.columnar.ReplyEdges` holds them, with
    whether each edge's reverse is an edge too (found among the collected edges)."""
    pairs = pd.MultiIndex.from_arrays([edges["source"], edges["target"]])
    reverse = pd.MultiIndex.from_arrays([edges["target"], edges["source"]])
    return pa.table({"source": pa.array(edges["source"], pa.string()),
                     "target": pa.array(edges["target"], pa.string()),
                     "replies": pa.array(edges["replies"].to_numpy(np.int64)),
                     "first_at": pa.array(micros(pa.array(edges["first_at"]))),
                     "last_at": pa.array(micros(pa.array(edges["last_at"]))),
                     "reciprocated": pa.array(reverse.isin(pairs), pa.bool_())})


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
    time = _micros(part["created_at"])
    keep = np.ones(len(part), dtype=bool)
    if bounds[0] is not None:
        keep &= time >= bounds[0]
    if bounds[1] is not None:
        keep &= time < bounds[1]
    return parent, time, np.flatnonzero(keep).astype(np.int32)


def _micros(times: pd.Series) -> np.ndarray:
    """int64 microseconds since the epoch of a column of UTC times (an empty one too)."""
    return micros(pa.array(times, pa.timestamp("us", tz="UTC"))) if len(times) else np.zeros(0, np.int64)


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


def _as_member_posts(part: pd.DataFrame) -> pd.DataFrame:
    """Opening posts of persons in the columns of the replies serial reciprocity counts:
    ``source`` (the author), ``written`` and ``giving`` (False: an opening post seeks support)."""
    return pd.DataFrame({"source": part["author_id"].astype("str"), "written": part["created_at"],
                         "giving": np.zeros(len(part), dtype=bool)}, index=part.index)


def _member_tenure(part: pd.DataFrame, tenure_bins: int, min_posts: int) -> pd.DataFrame:
    """Posts and giving posts per measured member and tenure part, of every post of the members of
    one partition (after the shuffle on the member), by the function the pandas engine uses
    (:func:`~peerscope.reciprocity._replies.tenure_cells`)."""
    codes, ids = pd.factorize(part["source"])
    found = tenure_cells(codes.astype(np.int64), _micros(part["written"]), part["giving"].to_numpy(bool),
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
    found = paying_forward(source, target, _micros(edges["first_at"]), _micros(edges["last_at"]),
                           reverse, len(ids))
    mine = ids.get_indexer(pd.unique(part["member"])) if n else np.zeros(0, np.int64)
    return pd.DataFrame({"member_id": pd.Series(np.asarray(ids, dtype=object)[mine], dtype="str"),
                         **{name: values[mine] for name, values in found.items()}})


def _thread_responses(part: pd.DataFrame, bounds: tuple, responses: str) -> pd.DataFrame:
    """Responses to the opening posts of whole threads (one partition after the shuffle on thread).

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
    return pd.DataFrame({"order": part["order"].to_numpy(np.int64)[rows],
                         "thread_id": pd.Series(part["thread_id"].to_numpy()[rows], dtype="str"),
                         "post_id": pd.Series(part["post_id"].to_numpy()[rows], dtype="str"),
                         "opened": time[rows], **found})
