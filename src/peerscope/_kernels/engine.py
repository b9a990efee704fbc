"""Run the same metric code on pandas and Dask frames.

A :class:`~peerscope.Corpus` opened with ``engine="dask"`` hands out Dask
DataFrames; one opened with the default engine hands out pandas DataFrames.
The participation and engagement metrics are written once against the part
of the DataFrame API the two share (column arithmetic, ``groupby().agg``,
``drop_duplicates``) and finish in pandas: every aggregate is small (one row
per member, thread or month), so it is *collected* (computed, for Dask) and
the remaining arithmetic is plain pandas/numpy: aggregate with the engine,
finish in pandas (``docs/scaling.md``).

The one operation where the two engines need different code is looking a
value up by id (the author of a reply's parent post): a hash join is the only
way on Dask, while on pandas a pyarrow ``index_in`` over the id column is
several times faster than ``DataFrame.merge``.  :func:`attach` hides that.

Examples
--------
>>> import pandas as pd
>>> from peerscope._kernels import engine
>>> posts = pd.DataFrame({"author_id": ["ann", "bob", "ann"], "score": [1, 2, 3]})
>>> engine.aggregate(posts, "author_id", posts=("score", "count"), best=("score", "max")).to_dict()
{'posts': {'ann': 2, 'bob': 1}, 'best': {'ann': 3, 'bob': 2}}
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from peerscope.corpus import schema


def is_dask(frame) -> bool:
    """Whether ``frame`` is a (lazy) Dask collection rather than a pandas object.

    Parameters
    ----------
    frame : object

    Returns
    -------
    bool

    Examples
    --------
    >>> import pandas as pd
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2", "p3"], "parent_id": [None, "p1", "p1"],
    ...                       "author_id": ["ann", "bob", "cat"]})
    >>> import dask.dataframe as dd
    >>> lazy = dd.from_pandas(posts, npartitions=2)
    >>> is_dask(lazy), is_dask(posts)
    (True, False)
    """
    return type(frame).__module__.split(".")[0] == "dask"


def collect(frame):
    """Compute a Dask collection into pandas; pass pandas objects through unchanged.

    Parameters
    ----------
    frame : pandas or Dask DataFrame or Series

    Returns
    -------
    pandas.DataFrame or pandas.Series

    Examples
    --------
    >>> import pandas as pd
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2", "p3"], "parent_id": [None, "p1", "p1"],
    ...                       "author_id": ["ann", "bob", "cat"]})
    >>> import dask.dataframe as dd
    >>> lazy = dd.from_pandas(posts, npartitions=2)
    >>> collect(lazy)["author_id"].tolist(), collect(posts) is posts
    (['ann', 'bob', 'cat'], True)
    """
    return frame.compute() if is_dask(frame) else frame


def aggregate(frame, by: str | list[str], **aggregations) -> pd.DataFrame:
    """Grouped named aggregations, computed by the frame's engine, returned as pandas.

    Parameters
    ----------
    frame : pandas.DataFrame or dask.dataframe.DataFrame
    by : str or list of str
        Grouping column(s).  Rows with a null key are dropped (as pandas does).
    **aggregations
        ``name=(column, function)`` pairs, with functions both engines know
        (``count``, ``sum``, ``min``, ``max``, ``mean``).

    Returns
    -------
    pandas.DataFrame
        One row per group, indexed by ``by`` (categorical keys turned back
        into their values), in no particular order.

    Examples
    --------
    >>> import pandas as pd
    >>> posts = pd.DataFrame({"author_id": ["ann", "bob", "ann", None], "score": [1, 2, 3, 4]})
    >>> aggregate(posts, "author_id", posts=("score", "count"), best=("score", "max")).sort_index().to_dict()
    {'posts': {'ann': 2, 'bob': 1}, 'best': {'ann': 3, 'bob': 2}}
    """
    grouped = frame.groupby(by, sort=False, dropna=True, observed=True)
    return _plain_index(collect(grouped.agg(**aggregations)))


def count_by(frame, by: str | list[str], name: str = "n") -> pd.Series:
    """Rows per group (null keys dropped) as a pandas Series called ``name``.

    Parameters
    ----------
    frame : pandas or Dask DataFrame
    by : str or list of str
        Grouping column(s).
    name : str
        Name of the result.

    Returns
    -------
    pandas.Series
        Indexed by ``by``, in no particular order.

    Examples
    --------
    >>> import pandas as pd
    >>> posts = pd.DataFrame({"author_id": ["ann", "bob", "ann", None]})
    >>> count_by(posts, "author_id", "posts").sort_index().to_dict()
    {'ann': 2, 'bob': 1}
    """
    grouped = frame.groupby(by, sort=False, dropna=True, observed=True)
    return _plain_index(collect(grouped.size())).rename(name)


def _plain_index(result):
    """Replace categorical index levels by their values (ids as ``str``)."""
    index = result.index
    if isinstance(index, pd.MultiIndex):
        levels = [level.categories[level.codes] if isinstance(level, pd.CategoricalIndex) else level
                  for level in (index.get_level_values(i) for i in range(index.nlevels))]
        return result.set_axis(pd.MultiIndex.from_arrays(levels, names=index.names))
    if isinstance(index, pd.CategoricalIndex):
        return result.set_axis(pd.Index(index.categories[index.codes], name=index.name))
    return result


def encode(frame, *groups: list[str]):
    """Turn id columns of a pandas frame into categoricals; pass Dask frames through.

    Each group of columns is factorised together, so columns of one group
    share categories and can be compared with ``==``.  Later groupbys,
    ``isin`` and ``drop_duplicates`` then hash small integer codes instead
    of strings, which on tens of millions of rows is several times faster.
    Values and nulls are unchanged, so results are the same as without it.

    Parameters
    ----------
    frame : pandas or Dask DataFrame
    *groups : list of str
        Groups of string columns; each group shares one set of categories.

    Returns
    -------
    pandas or Dask DataFrame
        A new pandas frame with the columns encoded, or the Dask frame unchanged.

    Examples
    --------
    >>> import pandas as pd
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2", "p3"], "parent_id": [None, "p1", "p1"],
    ...                       "author_id": ["ann", "bob", "cat"]})
    >>> encoded = encode(posts, ["post_id", "parent_id"], ["author_id"])
    >>> encoded["parent_id"].cat.categories.equals(encoded["post_id"].cat.categories)
    True
    >>> encoded["parent_id"].tolist() == posts["parent_id"].tolist()
    True
    """
    if is_dask(frame):
        return frame
    encoded = {}
    for columns in groups:
        codes, categories = _factorize([frame[c] for c in columns])
        for column, part in zip(columns, np.split(codes, len(columns))):
            encoded[column] = pd.Series(pd.Categorical.from_codes(part, categories=categories),
                                        index=frame.index)
    return frame.assign(**encoded)


def _factorize(columns: list[pd.Series]) -> tuple[np.ndarray, pd.Index]:
    """Codes (-1 for null) and distinct values of string columns, with one shared dictionary.

    pyarrow's ``dictionary_encode`` of a chunked array gives every chunk the
    same dictionary, and is faster than ``pandas.factorize`` on Arrow strings.
    """
    chunks = []
    for column in columns:
        array = pa.array(column, type=pa.string())
        chunks += array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    encoded = pa.chunked_array(chunks, type=pa.string()).dictionary_encode()
    if not encoded.num_chunks:
        return np.zeros(0, dtype=np.int64), pd.Index([], dtype="str")
    codes = np.concatenate([chunk.indices.fill_null(-1).to_numpy().astype(np.int64)
                            for chunk in encoded.chunks])
    dictionary = encoded.chunks[0].dictionary
    return codes, pd.Index(dictionary.to_pandas(types_mapper=lambda _: pd.StringDtype(na_value=np.nan)),
                           dtype="str")


def attach(frame, key: str, table: pd.DataFrame, table_key: str, value: str, name: str):
    """Add column ``name``: for each row, ``table[value]`` where ``table[table_key] == frame[key]``.

    A left lookup: rows whose key is null or not found get null.  ``table``
    must have unique keys.  ``frame`` may be pandas or Dask; ``table`` may
    be either too.  On pandas, when key columns share categories
    (:func:`encode`) and the value is categorical, the lookup is an array
    index on the codes.

    Parameters
    ----------
    frame : pandas or Dask DataFrame
    key : str
        The column of ``frame`` to look up.
    table : pandas or Dask DataFrame
        The lookup table.
    table_key : str
        Its (unique) key column.
    value : str
        Its column to copy.
    name : str
        Name of the new column.

    Returns
    -------
    pandas or Dask DataFrame
        ``frame`` with the column ``name`` added (same engine as ``frame``).

    Examples
    --------
    The author of each post's parent:

    >>> import pandas as pd
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2", "p3"], "parent_id": [None, "p1", "p1"],
    ...                       "author_id": ["ann", "bob", "cat"]})
    >>> attach(posts, "parent_id", posts, "post_id", "author_id", "parent_author")["parent_author"].tolist()
    [nan, 'ann', 'ann']
    """
    if is_dask(frame):
        right = table[[table_key, value]].rename(columns={table_key: key, value: name})
        right = right.astype({key: frame[key].dtype})
        with warnings.catch_warnings():
            # both sides hold strings; Dask only sees pandas' str and string dtypes differ
            warnings.filterwarnings("ignore", "Merging dataframes with merge column data type")
            return frame.merge(right, on=key, how="left")
    table = collect(table)
    keys, table_keys, values = frame[key], table[table_key], table[value]
    if _shared_categories(keys, table_keys) and isinstance(values.dtype, pd.CategoricalDtype):
        by_code = np.full(len(keys.cat.categories), -1, dtype=np.int64)
        table_codes = table_keys.cat.codes.to_numpy()
        known = table_codes >= 0  # a null key (code -1) must not write into the last category
        by_code[table_codes[known]] = values.cat.codes.to_numpy()[known]
        codes = keys.cat.codes.to_numpy()
        found = np.where(codes >= 0, by_code[codes], -1)
        column = pd.Series(pd.Categorical.from_codes(found, dtype=values.dtype), index=frame.index)
        return frame.assign(**{name: column})
    positions = pc.index_in(pa.array(keys, type=pa.string()),
                            value_set=pa.array(table_keys, type=pa.string()))
    looked_up = pa.array(values).take(positions)
    column = schema.to_pandas(pa.table({name: looked_up}))[name]
    return frame.assign(**{name: column.set_axis(frame.index)})


def _shared_categories(left: pd.Series, right: pd.Series) -> bool:
    return (isinstance(left.dtype, pd.CategoricalDtype) and isinstance(right.dtype, pd.CategoricalDtype)
            and left.cat.categories.equals(right.cat.categories))


def distinct(frame, columns: list[str]):
    """The distinct rows of ``frame[columns]`` (lazy on Dask).

    Parameters
    ----------
    frame : pandas or Dask DataFrame
    columns : list of str

    Returns
    -------
    pandas or Dask DataFrame

    Examples
    --------
    >>> import pandas as pd
    >>> replies = pd.DataFrame({"thread_id": ["t1", "t1", "t2"], "author_id": ["ann", "ann", "ann"]})
    >>> distinct(replies, ["thread_id", "author_id"]).values.tolist()
    [['t1', 'ann'], ['t2', 'ann']]
    """
    return frame[columns].drop_duplicates()


def length(frame) -> int:
    """Number of rows (computes a Dask frame's length).

    Parameters
    ----------
    frame : pandas or Dask DataFrame

    Returns
    -------
    int

    Examples
    --------
    >>> import pandas as pd
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2", "p3"], "parent_id": [None, "p1", "p1"],
    ...                       "author_id": ["ann", "bob", "cat"]})
    >>> import dask.dataframe as dd
    >>> lazy = dd.from_pandas(posts, npartitions=2)
    >>> length(lazy), length(posts)
    (3, 3)
    """
    return int(len(frame))


def partitions(frame):
    """The partitions of a Dask collection as pandas objects, one at a time; a pandas object as its one.

    The collection is computed once (persisted on the workers) and each
    partition collected when the caller asks for it, so that a consumer that
    reduces them one by one never holds their concatenation (nor the
    partitions received and a concatenation together).  The workers drop
    their copies when the iteration ends.

    Examples
    --------
    >>> import pandas as pd
    >>> import dask.dataframe as dd
    >>> lazy = dd.from_pandas(pd.DataFrame({"score": [1, 2, 3]}), npartitions=2)
    >>> [len(part) for part in partitions(lazy)]
    [2, 1]
    """
    if not is_dask(frame):
        yield frame
        return
    persisted = frame.persist()
    try:
        for i in range(persisted.npartitions):
            yield persisted.partitions[i].compute()
    finally:
        del persisted


def collect_together(*frames) -> tuple:
    """Compute several Dask collections in one pass over their shared inputs; pass pandas through.

    Asking for two results of one lazy frame with two :func:`collect` calls
    reads (and filters) the frame's partitions twice; computed together the
    workers read them once.

    Parameters
    ----------
    *frames : pandas or Dask objects (DataFrame, Series, scalar)

    Returns
    -------
    tuple
        The computed objects, in the order given.

    Examples
    --------
    >>> import pandas as pd
    >>> import dask.dataframe as dd
    >>> lazy = dd.from_pandas(pd.DataFrame({"score": [1, 2, 3]}), npartitions=2)
    >>> total, rows = collect_together(lazy["score"].sum(), lazy["score"].count())
    >>> int(total), int(rows)
    (6, 3)
    """
    lazy = [position for position, frame in enumerate(frames) if is_dask(frame)]
    if not lazy:
        return tuple(frames)
    import dask

    computed = dask.compute(*(frames[position] for position in lazy))
    results = list(frames)
    for position, value in zip(lazy, computed):
        results[position] = value
    return tuple(results)


def per_group(frame, by: str, function, meta: pd.DataFrame | None = None) -> pd.DataFrame:
    """Apply ``function`` to row sets that hold every row of their groups; concatenate the results.

    For figures that need all rows of a group together (the gaps between one
    member's consecutive posts), which grouped sums and extremes cannot give.
    On pandas ``function`` gets the whole frame.  On Dask the rows are
    shuffled on ``by`` so that each group lies in one partition, ``function``
    runs on the workers, partition by partition, and only its (per group)
    results are collected: no row of ``frame`` reaches this process.

    Parameters
    ----------
    frame : pandas or Dask DataFrame
    by : str
        The grouping column.
    function : callable
        pandas DataFrame (every row of some groups, in no particular order)
        -> pandas DataFrame with one row per group.  It must accept an empty
        frame (a partition may hold no group).
    meta : pandas.DataFrame, optional
        An empty frame shaped like the result (default: ``function`` applied
        to the Dask frame's empty meta).

    Returns
    -------
    pandas.DataFrame
        The results of all groups, in no particular order.

    Examples
    --------
    >>> import pandas as pd
    >>> import dask.dataframe as dd
    >>> posts = pd.DataFrame({"author_id": ["ann", "bob", "ann", "bob"], "score": [1, 5, 4, 2]})
    >>> def spread(rows):
    ...     grouped = rows.groupby("author_id")["score"]
    ...     return (grouped.max() - grouped.min()).to_frame("spread")
    >>> lazy = dd.from_pandas(posts, npartitions=2)
    >>> per_group(lazy, "author_id", spread).sort_index()["spread"].to_dict()
    {'ann': 3, 'bob': 3}
    """
    return collect(within_groups(frame, by, function, meta))


def concat(frames: list):
    """Stack frames with the same columns row-wise, lazily on Dask.

    Lets parts computed from different tables (posts, events, newsletter
    items) be reduced by one grouped aggregation on the workers instead of
    one aggregation, one collection and one join per part.

    Parameters
    ----------
    frames : list of pandas or Dask DataFrames
        All of one engine, with the same columns and dtypes.

    Returns
    -------
    pandas or Dask DataFrame
        A pandas frame with a fresh ``RangeIndex``, or a lazy Dask frame.

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"member_id": ["ann"], "n": [1]})
    >>> b = pd.DataFrame({"member_id": ["bob"], "n": [2]})
    >>> concat([a, b]).values.tolist()
    [['ann', 1], ['bob', 2]]
    """
    if any(is_dask(frame) for frame in frames):
        import dask.dataframe as dd

        return dd.concat(frames)
    return pd.concat(frames, ignore_index=True)


def within_groups(frame, by: str, function, meta: pd.DataFrame | None = None):
    """:func:`per_group` without collecting: the lazy result on Dask, ``function(frame)`` on pandas.

    For a per-group step whose result feeds further work on the workers
    (one opening post per thread, joined to the replies), so that it never
    passes through the client.

    Parameters
    ----------
    frame : pandas or Dask DataFrame
    by : str
        The grouping column: on Dask the rows are shuffled on it so that
        every group lies in one partition.
    function : callable
        pandas DataFrame (every row of some groups) -> pandas DataFrame; it
        must accept an empty frame.
    meta : pandas.DataFrame, optional
        An empty frame shaped like the result (default: ``function`` of the
        Dask frame's empty meta).

    Returns
    -------
    pandas or Dask DataFrame

    Examples
    --------
    >>> import pandas as pd
    >>> import dask.dataframe as dd
    >>> posts = pd.DataFrame({"thread_id": ["t1", "t2", "t1"], "at": [3, 1, 2]})
    >>> def earliest(rows):
    ...     return rows.sort_values("at").drop_duplicates("thread_id")
    >>> lazy = within_groups(dd.from_pandas(posts, npartitions=2), "thread_id", earliest)
    >>> is_dask(lazy), sorted(collect(lazy)["at"].tolist())
    (True, [1, 2])
    """
    if not is_dask(frame):
        return function(frame)
    if meta is None:
        meta = function(frame._meta)
    shuffled = frame.shuffle(on=by) if frame.npartitions > 1 else frame
    return shuffled.map_partitions(function, meta=meta)
