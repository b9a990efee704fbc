"""The facts about a corpus's posts that :func:`~peerscope.corpus.description.describe` reports.

Counts, time span and time resolution, posters and unknown authors, replies
and whether threads nest, the largest thread, and how many replies have both
authors known.  On the pandas engine they are read from the posts as integer
arrays (:func:`~peerscope._kernels.links.read_linked`, 30 bytes a post).  On
a Dask corpus they are computed on the workers: one row of counts per
partition, the distinct posters and the thread sizes reduced there, and the
join of each reply to its parent done there as a Dask merge; the client
receives a few numbers per partition and never a post.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from peerscope._kernels import engine
from peerscope._kernels.links import read_linked
from peerscope._kernels.months import micros

#: Units a time can be recorded in, finest first; each but the last with the next coarser unit's length in µs.
UNITS = ("sub-second", "second", "minute", "hour", "day")
_COARSER_MICROS = (1_000_000, 60_000_000, 3_600_000_000, 86_400_000_000)


@dataclass(frozen=True)
class PostFacts:
    """What :func:`~peerscope.corpus.description.describe` needs to know of the posts.

    Attributes
    ----------
    rows : int
    first_post, last_post : int or None
        Earliest and latest ``created_at``, µs since the epoch (None without posts).
    posters : int
        Distinct authors who are persons (not null, not a non-person role).
    posts_by_unknown_authors : int
        Posts whose author is null, deleted or anonymous (neither a person nor a bot).
    replies : int
        Posts with a parent.
    nested : bool
        Some reply's parent, among the posts, is itself a reply.
    finest_unit : int or None
        Index into :data:`UNITS` of the finest unit the times are recorded in.
    largest_thread : int
        Posts in the largest thread (0 without posts).
    replies_both_known : int
        Replies by a person to a post among the posts whose author is not null.
    """

    rows: int
    first_post: int | None
    last_post: int | None
    posters: int
    posts_by_unknown_authors: int
    replies: int
    nested: bool
    finest_unit: int | None
    largest_thread: int
    replies_both_known: int


def post_facts(corpus, non_person: pd.Index, bots: pd.Index) -> PostFacts:
    """The :class:`PostFacts` of ``corpus`` (of its window), computed by its engine.

    Parameters
    ----------
    corpus : peerscope.Corpus
    non_person, bots : pandas.Index
        Author ids of the roster's non-person roles, and of its bots.

    Returns
    -------
    PostFacts

    Examples
    --------
    >>> from peerscope.datasets.examples import tiny_forum
    >>> facts = post_facts(tiny_forum(), pd.Index([]), pd.Index([]))
    >>> facts.rows, facts.posters, facts.replies, facts.nested, UNITS[facts.finest_unit]
    (4, 2, 2, True, 'hour')
    """
    if corpus.engine == "dask":
        return _on_workers(corpus, non_person, bots)
    return _from_arrays(corpus, non_person, bots)


def finest_unit(times: np.ndarray) -> int | None:
    """Index into :data:`UNITS` of the finest unit ``times`` (µs since the epoch) are recorded in;
    None when empty.  A day-resolution forum has every time at midnight, and then hour-of-day
    profiles are meaningless.

    Examples
    --------
    >>> UNITS[finest_unit(np.array([0, 3_600_000_000]))], finest_unit(np.array([], np.int64))
    ('hour', None)
    """
    if not len(times):
        return None
    for index, coarser in enumerate(_COARSER_MICROS):
        if np.any(times % coarser):
            return index
    return len(UNITS) - 1


def _from_arrays(corpus, non_person: pd.Index, bots: pd.Index) -> PostFacts:
    linked = read_linked(corpus)
    # flags per author code, with a last entry for code -1 (a null author)
    is_person = np.append(~linked.ids.isin(non_person), False)[linked.author]
    is_bot = np.append(linked.ids.isin(bots), False)[linked.author]
    found = linked.parent >= 0   # the parent is among the posts read (of the window)
    replies = int(linked.has_parent.sum())
    empty = not len(linked)
    both_known = is_person & found & (linked.author[np.where(found, linked.parent, 0)] >= 0)
    return PostFacts(
        rows=len(linked),
        first_post=None if empty else int(linked.time.min()),
        last_post=None if empty else int(linked.time.max()),
        posters=int(np.count_nonzero(np.bincount(linked.author[is_person], minlength=len(linked.ids)))),
        posts_by_unknown_authors=int((~(is_person | is_bot)).sum()),
        replies=replies,
        nested=bool(replies and linked.has_parent[linked.parent[found]].any()),
        finest_unit=finest_unit(linked.time),
        largest_thread=0 if empty else int(np.bincount(linked.thread).max()),
        replies_both_known=int(both_known.sum()),
    )


#: The one row of counts per partition that :func:`_partition_counts` returns.
_PARTITION_META = pd.DataFrame({"rows": pd.Series(dtype="int64"), "first": pd.Series(dtype="int64"),
                                "last": pd.Series(dtype="int64"), "unknown": pd.Series(dtype="int64"),
                                "replies": pd.Series(dtype="int64"), "unit": pd.Series(dtype="int64")})


def _partition_counts(part: pd.DataFrame, bots: pd.Index) -> pd.DataFrame:
    """One row of counts of a partition of posts with their ``person`` flags (min and max
    sentinels and the coarsest unit when it is empty, which the sums, extremes and minimum over
    partitions ignore)."""
    times = micros(part["created_at"])
    person = part["person"].to_numpy(bool)
    bot = part["author_id"].isin(bots).to_numpy(bool)
    unit = finest_unit(times)
    return pd.DataFrame({
        "rows": [len(part)],
        "first": [times.min() if len(times) else np.iinfo(np.int64).max],
        "last": [times.max() if len(times) else np.iinfo(np.int64).min],
        "unknown": [int((~(person | bot)).sum())],
        "replies": [int(part["parent_id"].notna().sum())],
        "unit": [len(UNITS) - 1 if unit is None else unit],
    })


def _on_workers(corpus, non_person: pd.Index, bots: pd.Index) -> PostFacts:
    """:class:`PostFacts` as Dask graphs computed together; see the module docstring."""
    posts = corpus.posts(columns=["post_id", "thread_id", "parent_id", "author_id", "created_at"])
    posts = posts.assign(person=posts["author_id"].notnull() & ~posts["author_id"].isin(list(non_person)))
    counts = posts.map_partitions(_partition_counts, bots, meta=_PARTITION_META)
    posters = posts.loc[posts["person"], "author_id"].nunique()
    largest = posts["thread_id"].value_counts().max()
    replies = posts.loc[posts["parent_id"].notnull(), ["parent_id", "person"]]
    parents = posts[["post_id"]].assign(is_reply=posts["parent_id"].notnull(),
                                        author_known=posts["author_id"].notnull())
    joined = replies.merge(parents, left_on="parent_id", right_on="post_id", how="inner")
    nested = joined["is_reply"].any()
    both_known = (joined["person"] & joined["author_known"]).sum()
    counts, posters, largest, nested, both_known = engine.collect_together(
        counts, posters, largest, nested, both_known)
    rows = int(counts["rows"].sum())
    return PostFacts(
        rows=rows,
        first_post=int(counts["first"].min()) if rows else None,
        last_post=int(counts["last"].max()) if rows else None,
        posters=int(posters),
        posts_by_unknown_authors=int(counts["unknown"].sum()),
        replies=int(counts["replies"].sum()),
        nested=bool(nested),
        finest_unit=int(counts["unit"].min()) if rows else None,
        largest_thread=int(largest) if rows else 0,
        replies_both_known=int(both_known),
    )
