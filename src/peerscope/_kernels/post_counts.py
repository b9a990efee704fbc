"""Per-member (and per-month) post counts from linked posts, with numpy.

The post-based parts of :func:`peerscope.participation.ladder_inputs` for a
corpus on the pandas engine: posts, threads started, replies to others,
first and last post, active days, replies received and threads hosted, with
exactly the definitions given there, computed on the integer arrays of
:class:`peerscope._kernels.links.LinkedPosts` instead of on pandas frames of string
ids.  The Dask engine computes the same parts with grouped aggregations
over partitions (``peerscope.participation``); ``tests/test_counting.py``
and ``tests/test_scale.py`` check that both give the same tables.

Groups are encoded as one *key* per post: the author code, or the author
code and the month (``code x span + month offset``); the keys present are
numbered densely (``_Keys.group``: a ``np.bincount`` over the key space when
it is small, else ``np.unique``), and every count is a ``np.bincount`` over
those numbers.  Only the few hundred thousand groups become a
pandas frame, indexed by ``member_id`` (and ``month``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from peerscope._kernels.links import DAY_MICROS, LinkedPosts, encode, select, up
from peerscope._kernels.months import micros
from peerscope._kernels.runs import run_starts

#: Largest key space counted with an array over every key (int32 positions: 32 MB).
_DENSE_LIMIT = 1 << 23


@dataclass(frozen=True)
class _Keys:
    """How (author code, month) pairs are packed into one int64 key."""

    ids: pd.Index
    by_month: bool
    first_month: int
    span: int

    def of(self, codes: np.ndarray, months: np.ndarray | None) -> np.ndarray:
        if not self.by_month:  # the author codes themselves
            return codes
        return codes.astype(np.int64) * self.span + (months - self.first_month)

    def index(self, keys: np.ndarray) -> pd.Index:
        """The ``member_id`` (and ``month``) index of packed keys."""
        members = pd.Index(self.ids.take(keys // self.span), dtype="str", name="member_id")
        if not self.by_month:
            return members
        months = pd.Index(keys % self.span + self.first_month, dtype="int64", name="month")
        return pd.MultiIndex.from_arrays([members, months])

    def group(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(the distinct keys, sorted; each key's position among them).

        Counting over the whole key space (``np.bincount``) when it is at most
        :data:`_DENSE_LIMIT` keys (always, without months: one key per author
        code), else sorting (``np.unique``).
        """
        size = len(self.ids) * self.span
        if size > _DENSE_LIMIT:
            return np.unique(keys, return_inverse=True)
        present = np.flatnonzero(np.bincount(keys, minlength=size))
        position = np.zeros(size, dtype=np.int32)
        position[present] = np.arange(len(present), dtype=np.int32)
        return present, position[keys]

    def counts(self, keys: np.ndarray, name: str) -> pd.Series:
        """Rows per key, as an int64 Series called ``name``."""
        present, position = self.group(keys)
        counts = np.bincount(position, minlength=len(present)).astype(np.int64)
        return pd.Series(counts, index=self.index(present), name=name)


def post_parts(linked: LinkedPosts, rows: np.ndarray, bots: pd.Index, *, by_month: bool,
               host_repliers: int) -> dict[str, pd.DataFrame | pd.Series]:
    """The ``posts``, ``active_days``, ``received`` and ``hosted`` parts of ladder_inputs.

    Parameters
    ----------
    linked : LinkedPosts
        Every post of the corpus.
    rows : numpy.ndarray
        Rows of the posts of the window (:meth:`LinkedPosts.rows`).
    bots : pandas.Index
        Author ids whose replies are neither replies received nor repliers
        of a hosted thread (empty when bots are included).
    by_month : bool
        Group by member and month instead of member only.
    host_repliers : int
        Fewest distinct other repliers for a thread to count as hosted.

    Returns
    -------
    dict
        ``posts`` (DataFrame: posts, threads_started, replies_to_others,
        first_post, last_post), ``active_days``, ``received``
        (``replies_received``) and ``hosted`` (``threads_hosted``) Series,
        indexed by ``member_id`` (and ``month``).  Rows of non-persons are
        still there: the caller drops them.

    Examples
    --------
    >>> from peerscope.datasets.examples import tiny_forum
    >>> from peerscope._kernels.links import read_linked
    >>> linked = read_linked(tiny_forum())
    >>> parts = post_parts(linked, linked.rows(), pd.Index([]), by_month=False, host_repliers=1)
    >>> parts["posts"][["posts", "replies_to_others"]].to_dict("index")
    {'ann': {'posts': 3, 'replies_to_others': 1}, 'bob': {'posts': 1, 'replies_to_others': 1}}
    >>> parts["received"].to_dict(), parts["hosted"].to_dict()
    ({'ann': 1, 'bob': 1}, {'ann': 1})
    """
    author, has_parent = select(linked.author, rows), select(linked.has_parent, rows)
    target, time = linked.targets(rows), select(linked.time, rows)
    months = linked.months(rows) if by_month else None
    first_month = int(months.min()) if by_month and len(rows) else 0
    span = int(months.max()) - first_month + 1 if by_month and len(rows) else 1
    keys = _Keys(linked.ids, by_month, first_month, span)
    # index -1 (a null author) reads the extra last entry: never a bot
    is_bot = np.append(linked.ids.isin(bots), False)

    by_author = author >= 0
    every = bool(by_author.all())  # then no copies of the per-post arrays

    def of_authors(values):
        return values if every else values[by_author]

    present, dense = keys.group(keys.of(of_authors(author), None if months is None else of_authors(months)))
    n = len(present)
    post_time = of_authors(time)
    first = np.full(n, np.iinfo(np.int64).max)
    last = np.full(n, np.iinfo(np.int64).min)
    np.minimum.at(first, dense, post_time)
    np.maximum.at(last, dense, post_time)
    to_other = of_authors(has_parent & ((target < 0) | (target != author)))
    posts = pd.DataFrame({
        "posts": np.bincount(dense, minlength=n).astype(np.int64),
        "threads_started": np.bincount(dense[~of_authors(has_parent)], minlength=n).astype(np.int64),
        "replies_to_others": np.bincount(dense[to_other], minlength=n).astype(np.int64),
        "first_post": _utc_times(first),
        "last_post": _utc_times(last)}, index=keys.index(present))
    del to_other, first, last
    active_days = pd.Series(_active_days(dense, post_time, n), index=keys.index(present), name="active_days")
    del dense, post_time

    received = has_parent & (target >= 0) & (author != target) & ~is_bot[author]
    received = keys.counts(keys.of(target[received], None if months is None else months[received]),
                           "replies_received")
    hosted = hosted_openers(linked, rows, author, has_parent, is_bot, host_repliers)
    hosted = keys.counts(keys.of(author[hosted], None if months is None else months[hosted]),
                         "threads_hosted")
    return {"posts": posts, "active_days": active_days, "received": received, "hosted": hosted}


def posts_per_author(corpus, start=None, end=None) -> tuple[pd.DataFrame, int]:
    """Posts and first post per author in the window, and the window's number of posts.

    What :func:`peerscope.participation.summary` needs from the posts, for a
    corpus on the pandas engine: ``author_id`` is read dictionary-encoded
    and coded by :func:`peerscope._kernels.links.encode`, and the counts are
    ``np.bincount`` and ``np.minimum.at`` over the codes (the Dask engine
    groups by ``author_id`` instead).  Posts with a null author count in the
    total only.

    Returns
    -------
    (pandas.DataFrame, int)
        ``posts`` (int64) and ``first_post`` (UTC) indexed by ``author_id``,
        in order of first appearance; and the number of posts.

    Examples
    --------
    >>> from peerscope.datasets.examples import tiny_forum
    >>> per_author, total = posts_per_author(tiny_forum())
    >>> per_author["posts"].to_dict(), total
    ({'ann': 3, 'bob': 1}, 4)
    """
    table = corpus.arrow("posts", ["author_id", "created_at"], start=start, end=end, dictionary=["author_id"])
    codes, ids = encode(table.column("author_id"))
    time = micros(table.column("created_at"))
    del table
    by_author = codes >= 0
    if not by_author.all():
        codes, time = codes[by_author], time[by_author]
    posts = np.bincount(codes, minlength=len(ids))
    first = np.full(len(ids), np.iinfo(np.int64).max)
    np.minimum.at(first, codes, time)
    present = np.flatnonzero(posts)  # a window leaves ids in the dictionaries that have no post
    index = pd.Index(ids.take(pa.array(present)).to_pandas(), dtype="str", name="author_id")
    per_author = pd.DataFrame({"posts": posts[present].astype(np.int64), "first_post": _utc_times(first[present])},
                              index=index)
    return per_author, len(by_author)


def _active_days(groups: np.ndarray, time: np.ndarray, n: int) -> np.ndarray:
    """Distinct UTC days with a post, per group (int64, ``n`` groups), by one in-place sort."""
    if not len(time):
        return np.zeros(n, dtype=np.int64)
    keys = time // DAY_MICROS
    first_day = keys.min()
    n_days = int(keys.max() - first_day) + 1
    keys -= first_day
    keys += np.multiply(groups, n_days, dtype=np.int64)
    keys.sort()
    return np.bincount(keys[run_starts(keys)] // n_days, minlength=n).astype(np.int64)


def hosted_openers(linked: LinkedPosts, rows: np.ndarray, author: np.ndarray, has_parent: np.ndarray,
                   is_bot: np.ndarray, host_repliers: int) -> np.ndarray:
    """Positions (in ``rows``) of the opening posts of hosted threads (``post_parts`` and the
    ladder by month, :func:`peerscope.participation.engagement.ladder_by_month`).

    A thread's starter is its earliest opening post in the window (ties: the
    smallest ``post_id``); the thread is hosted when at least
    ``host_repliers`` distinct people other than the starter, not bots,
    replied to it in the window.  Starters with a null author host nothing.
    """
    thread = select(linked.thread, rows)
    n_threads = len(linked.thread_ids)
    openers = np.flatnonzero(~has_parent)
    order = np.lexsort((_post_id_ranks(linked, rows, openers, thread),
                        select(linked.time, rows)[openers], thread[openers]))
    starters = openers[order[run_starts(thread[openers][order])]]
    starter_of = np.full(n_threads, -1, dtype=np.int32)  # -1: no starter, or a null author
    starter_of[thread[starters]] = author[starters]
    replier = has_parent & (author >= 0)
    starter = up(thread, starter_of)
    other = replier & (starter >= 0) & (author != starter) & ~is_bot[author]
    pairs = distinct(thread[other].astype(np.int64) * max(len(linked.ids), 1) + author[other])
    repliers = np.bincount(pairs // max(len(linked.ids), 1), minlength=n_threads)
    return starters[(repliers[thread[starters]] >= host_repliers) & (author[starters] >= 0)]


def _post_id_ranks(linked: LinkedPosts, rows: np.ndarray, openers: np.ndarray,
                   thread: np.ndarray) -> np.ndarray:
    """Rank of each opener's ``post_id`` among the openers, when a thread has two
    openers (zeros otherwise: the post ids are then never compared)."""
    if not len(openers) or np.bincount(thread[openers]).max() < 2:
        return np.zeros(len(openers), dtype=np.int64)
    ids = linked.post_id.take(pa.array(rows[openers]))
    ids = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    return pc.rank(ids, sort_keys="ascending", tiebreaker="first").to_numpy().astype(np.int64)


def distinct(keys: np.ndarray) -> np.ndarray:
    """The distinct values of an int64 array, sorted.

    ``np.unique`` by sorting: numpy 2's default hash-based path is several
    times slower on a million int64 keys.

    Examples
    --------
    >>> distinct(np.array([3, 1, 3, 2])).tolist()
    [1, 2, 3]
    """
    values = np.sort(keys)
    return values[run_starts(values)]


def _utc_times(micros: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(micros.view("datetime64[us]")).tz_localize("UTC")
