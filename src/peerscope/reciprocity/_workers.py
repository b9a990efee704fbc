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
the measures that follow replies within a thread, one row per opening post
(:meth:`OnWorkers.opening_posts`) or per person (:meth:`OnWorkers.person_posts`).
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
from peerscope._kernels.months import micros
from peerscope.reciprocity._replies import (AUTHOR_KINDS, EDGE, OPENING, PERSON, STATUS_NAMES, chain_roots,
                                            first_responses, status_codes)


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
        edges = replies[replies["status"] == EDGE]
        grouped = edges.groupby(["source", "target"], sort=False, dropna=True, observed=True).agg(
            replies=("status", "count"), first_at=("written", "min"), last_at=("written", "max"))
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
        corpus = self.corpus
        posts = corpus.posts(columns=["post_id", "parent_id", "author_id", "thread_id", "created_at"])
        posts = posts.map_partitions(_with_order, meta={**posts._meta.dtypes.to_dict(), "order": np.int64})
        posts = engine.attach(posts, "author_id", self.non_persons(), "member_id", "role", "role")
        bounds = (_bound(self.window.start), _bound(self.window.end))
        found = engine.per_group(posts, "thread_id", lambda part: _thread_responses(part, bounds, responses),
                                 meta=_thread_responses(posts._meta, bounds, responses))
        return found.sort_values("order", ignore_index=True).drop(columns="order")


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


def _thread_responses(part: pd.DataFrame, bounds: tuple, responses: str) -> pd.DataFrame:
    """Responses to the opening posts of whole threads (one partition after the shuffle on thread).

    Validation keeps every parent in its reply's thread, so the chain of
    parents of every post of these threads lies in the partition: each
    post's chain root is found here (:func:`~peerscope.reciprocity._replies.chain_roots`)
    exactly as among all posts, and the responses are counted by the same
    function as on the pandas engine
    (:func:`~peerscope.reciprocity._replies.first_responses`).
    """
    post_id = pd.Index(part["post_id"])
    parent = post_id.get_indexer(part["parent_id"]).astype(np.int32)
    parent[part["parent_id"].isna().to_numpy()] = -1
    time = (micros(pa.array(part["created_at"], pa.timestamp("us", tz="UTC"))) if len(part)
            else np.zeros(0, np.int64))
    keep = np.ones(len(part), dtype=bool)
    if bounds[0] is not None:
        keep &= time >= bounds[0]
    if bounds[1] is not None:
        keep &= time < bounds[1]
    row = np.flatnonzero(keep).astype(np.int32)
    root = chain_roots(parent, row, len(part))
    codes, kind = _codes_and_kinds(part["author_id"], part["role"])
    opening = part["parent_id"].isna().to_numpy()[row]
    found = first_responses(codes[row], time[row], opening, root, kind, responses)
    rows = row[opening]
    return pd.DataFrame({"order": part["order"].to_numpy(np.int64)[rows],
                         "thread_id": pd.Series(part["thread_id"].to_numpy()[rows], dtype="str"),
                         "post_id": pd.Series(part["post_id"].to_numpy()[rows], dtype="str"),
                         "opened": time[rows], **found})
