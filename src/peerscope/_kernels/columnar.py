"""The embedded columnar engine: DuckDB over Arrow columns, for the joins under the measures.

On the pandas engine the measures read Arrow columns of a corpus and work
on integer arrays; the one step that is a relational join rather than
arithmetic, finding each reply's parent among every post, runs here, in an
in-memory DuckDB database that reads the Arrow columns without copying,
hashes on every core and spills to the temporary folder when its hash table
outgrows memory.  Each call opens its own connection (a few milliseconds),
so nothing is shared between threads or kept between calls.

Why DuckDB: at 10M posts its parallel hash join found the parents in 55% of
the time of Arrow's ``dictionary_encode`` over post and parent ids and under
a third of that of Arrow's own hash join (Acero); see ``docs/scaling.md``.
"""

from __future__ import annotations

import os
import tempfile

import duckdb
import numpy as np
import pyarrow as pa

__all__ = ["connect", "parent_rows"]


def connect() -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB database using every core and spilling to the temporary folder.

    Examples
    --------
    >>> with connect() as con:
    ...     con.execute("SELECT 41 + 1").fetchone()
    (42,)
    """
    config = {"threads": os.cpu_count() or 1,
              "temp_directory": os.path.join(tempfile.gettempdir(), "peerscope-duckdb"),
              "preserve_insertion_order": False}
    return duckdb.connect(":memory:", config=config)


def parent_rows(post_id: pa.ChunkedArray | pa.Array, parent_id: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """int32 row of each post's parent among ``post_id`` (``-1``: no parent, or none with that id).

    Post ids are unique (validation guarantees it), so the equi-join of
    ``parent_id`` on ``post_id`` gives each reply at most one parent row.

    Parameters
    ----------
    post_id, parent_id : pyarrow.Array or ChunkedArray
        Strings of equal length: row ``i`` is post ``post_id[i]``, replying
        to ``parent_id[i]`` (null for an opening post).

    Returns
    -------
    numpy.ndarray
        ``int32``, one per post.

    Examples
    --------
    >>> parent_rows(pa.chunked_array([["p1", "p2", "p3"]]), pa.chunked_array([[None, "p1", "p9"]])).tolist()
    [-1, 0, -1]
    """
    n = len(post_id)
    found = np.full(n, -1, dtype=np.int32)
    if n == 0:
        return found
    rows = pa.array(np.arange(n, dtype=np.int32))
    posts = pa.table({"post_id": post_id, "row": rows})
    replies = pa.table({"parent_id": parent_id, "row": rows})
    with connect() as con:
        con.register("posts", posts)
        con.register("replies", replies)
        pairs = con.execute("SELECT replies.row AS reply, posts.row AS parent "
                            "FROM replies JOIN posts ON replies.parent_id = posts.post_id").fetchnumpy()
    found[np.asarray(pairs["reply"])] = np.asarray(pairs["parent"])
    return found
