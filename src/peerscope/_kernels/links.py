"""Posts as integer arrays, each linked to the post it replies to.

Participation (:mod:`peerscope.participation`) and reciprocity
(:mod:`peerscope.reciprocity`) both need, for every post, its author, the
author of the post it answers, its thread and its time.  Held as pandas
columns of string ids these cost several times their integer codes; here
every string column is read on its own and turned into integer codes with
Arrow's hash kernels (or by the parent lookup) before the next one is read,
so that what stays in memory is two int32 arrays (author codes, parent
rows), one int64 array (times), a bool array and the post and thread ids as
Arrow string columns (the thread ids are coded when first asked for), and
every measure after that is numpy arithmetic on codes and row positions.

The arrays hold every post of the corpus (of its own window, when the corpus
is a :meth:`~peerscope.Corpus.window` view), in the order they are stored;
:meth:`LinkedPosts.rows` selects the posts of a time window ``[start, end)``.
Keeping all posts, not only the window's, is what lets a reply in a window
to a post written before it still know whom it answers.

The columns are always read locally with pyarrow, whatever the corpus's
engine (on a Dask corpus this is a collection to the client:
``docs/scaling.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa

from peerscope.corpus.window import Window
from peerscope._kernels import columnar
from peerscope._kernels.memory import release_freed_memory
from peerscope._kernels.months import micros, months_from_micros

#: Microseconds in a day.
DAY_MICROS = 86_400_000_000


@dataclass(frozen=True, eq=False)
class LinkedPosts:
    """Every post of a corpus as codes and row positions (module docstring).

    Attributes
    ----------
    ids : pandas.Index
        Author id (``str``) of each author code, in order of first appearance.
    author : numpy.ndarray
        int32 author code per post; ``-1`` for a null author.
    has_parent : numpy.ndarray
        bool per post: ``parent_id`` is not null (the post is a reply).
    parent : numpy.ndarray
        int32 row of each post's parent; ``-1`` for an opening post or a
        parent that is not among the posts read.
    thread_id : pyarrow.ChunkedArray
        The thread id of each post, as read; :attr:`thread` and
        :attr:`thread_ids` code it on first use (hashing 10M ids takes about
        0.9 s, which reciprocity, naming only a few threads, does without).
    time : numpy.ndarray
        int64 ``created_at`` per post, in microseconds since the epoch (UTC).
    post_id : pyarrow.ChunkedArray
        The post ids, for the tables that name posts.
    window : Window
        The corpus's own window (the posts read).

    Examples
    --------
    >>> from peerscope.datasets.examples import tiny_forum
    >>> linked = read_linked(tiny_forum())
    >>> len(linked), linked.ids.tolist()
    (4, ['ann', 'bob'])
    >>> linked.parent.tolist(), linked.targets().tolist()   # bob answers ann, ann answers bob
    ([-1, 0, 1, -1], [-1, 0, 1, -1])
    """

    ids: pd.Index
    author: np.ndarray
    has_parent: np.ndarray
    parent: np.ndarray
    thread_id: pa.ChunkedArray
    time: np.ndarray
    post_id: pa.ChunkedArray
    window: Window

    def __len__(self) -> int:
        return len(self.author)

    @cached_property
    def _thread_codes(self) -> tuple[np.ndarray, pa.Array]:
        return encode(self.thread_id)

    @property
    def thread(self) -> np.ndarray:
        """int32 thread code per post, an index into :attr:`thread_ids` (coded on first use)."""
        return self._thread_codes[0]

    @property
    def thread_ids(self) -> pa.Array:
        """Thread id of each thread code."""
        return self._thread_codes[1]

    def rows(self, start=None, end=None) -> np.ndarray:
        """Rows (int64 positions) of the posts written in ``[start, end)``, in stored order.

        Naive times are UTC, as everywhere in peerscope; without bounds every row.
        """
        window = Window().narrow(start, end)
        keep = np.ones(len(self), dtype=bool)
        if window.start is not None:
            keep &= self.time >= _micros(window.start)
        if window.end is not None:
            keep &= self.time < _micros(window.end)
        return np.flatnonzero(keep)

    def targets(self, rows: np.ndarray | None = None) -> np.ndarray:
        """int32 author code of the parent of each post (or of ``rows``); ``-1`` when
        there is no parent, it was not found, or its author is null."""
        return up(self.parent if rows is None else select(self.parent, rows), self.author)

    def months(self, rows: np.ndarray | None = None) -> np.ndarray:
        """int64 month (UTC, months since 1970-01: :mod:`peerscope._kernels.months`) of each post (or of ``rows``)."""
        return months_from_micros(self.time if rows is None else select(self.time, rows))


def select(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``values[rows]`` for sorted distinct ``rows``, without a copy when they are all rows.

    Examples
    --------
    >>> values = np.array([5, 6, 7])
    >>> select(values, np.array([0, 2])).tolist(), select(values, np.arange(3)) is values
    ([5, 7], True)
    """
    return values if len(rows) == len(values) else values[rows]


def up(rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values[rows]`` where a row is ``>= 0``, ``-1`` where it is ``-1`` (int32).

    Examples
    --------
    >>> up(np.array([2, -1, 0]), np.array([7, 8, 9])).tolist()
    [9, -1, 7]
    """
    return np.where(rows >= 0, values[np.maximum(rows, 0)], -1).astype(np.int32)


def encode(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Integer codes of a string column: (int32 codes with ``-1`` for null, the distinct values).

    Codes follow the order of first appearance (Arrow's ``dictionary_encode``);
    a dictionary-encoded column keeps the codes of its unified dictionaries.

    Examples
    --------
    >>> codes, values = encode(pa.chunked_array([["b", None, "a"], ["b"]]))
    >>> codes.tolist(), values.to_pylist()
    ([0, -1, 1, 0], ['b', 'a'])
    """
    if isinstance(column, pa.Array):
        column = pa.chunked_array([column])
    if len(column) == 0:  # (dictionary-encoding empty chunks can give no chunk at all)
        value_type = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
        return np.zeros(0, dtype=np.int32), pa.array([], type=value_type)
    # read dictionary-encoded (as Parquet stores ids): unify the chunks' dictionaries,
    # which hashes each row group's distinct values rather than every row
    encoded = (column.unify_dictionaries() if pa.types.is_dictionary(column.type)
               else column.dictionary_encode())
    values = encoded.chunk(encoded.num_chunks - 1).dictionary  # one dictionary for every chunk
    codes = np.empty(len(column), dtype=np.int32)
    offset = 0
    for chunk in encoded.chunks:
        codes[offset:offset + len(chunk)] = chunk.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        offset += len(chunk)
    return codes, values


def read_linked(corpus) -> LinkedPosts:
    """Read the id and time columns of every post of ``corpus`` and link each post to its parent.

    Columns are read one at a time (``post_id``, then ``parent_id``,
    ``author_id``, ``thread_id``, ``created_at``) so that at most two string
    columns are in memory at once; parents are found by the columnar engine's
    join of ``parent_id`` on ``post_id``
    (:func:`peerscope._kernels.columnar.parent_rows`).  The text is never read.

    Parameters
    ----------
    corpus : peerscope.Corpus
        Any engine (the columns are read locally with pyarrow).

    Returns
    -------
    LinkedPosts

    Examples
    --------
    >>> from peerscope.datasets.examples import tiny_forum
    >>> linked = read_linked(tiny_forum())
    >>> linked.has_parent.tolist()
    [False, True, True, False]
    """
    def column(name, dictionary=False):
        return corpus.arrow("posts", [name], dictionary=[name] if dictionary else ()).column(0)

    post_id = column("post_id")
    parent_id = column("parent_id")
    has_parent = np.asarray(parent_id.is_valid(), dtype=bool) if len(parent_id) else np.zeros(0, bool)
    parent = columnar.parent_rows(post_id, parent_id)
    del parent_id
    author, ids = encode(column("author_id", dictionary=True))
    # thread ids are read as plain strings: the posts of a row group belong to nearly as
    # many threads as there are posts, so its dictionary saves nothing and costs time
    thread_id = column("thread_id")
    time = micros(column("created_at"))
    release_freed_memory()  # the hash tables of the lookups above
    return LinkedPosts(pd.Index(ids.to_pandas(), dtype="str"), author, has_parent, parent, thread_id, time,
                       post_id, corpus.time_window)


def _micros(timestamp: pd.Timestamp) -> int:
    return int(timestamp.as_unit("us").asm8.view("int64"))
