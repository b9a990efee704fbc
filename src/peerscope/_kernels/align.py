"""Tables indexed by member id (and month) aligned on one index, by integer codes.

The per-member activity table is put together from eight parts (post
counts, replies received, threads hosted, active days, events, newsletter
items, roles, join times), each indexed by ``member_id`` or by ``member_id``
and ``month``.  Aligning each of them with pandas (``reindex``) turns the
Arrow-backed string ids into Python objects and hashes them again for every
part.  An :class:`Alignment` dictionary-encodes the ids of all the indexes
at once with Arrow, after which every lookup is numpy on integer codes: a scatter into
an array over the codes for an index of ids, a sorted search for one of
(id, month) pairs.  (Id, month) pairs are packed into one integer in the
order in which the pairs sort, so the tables, which come sorted by their
index, sort and search in linear time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc



class Alignment:
    """The indexes of named tables with their member ids coded together.

    Parameters
    ----------
    indexes : dict of str to pandas.Index
        Each an index of string ids, or a MultiIndex whose first level holds
        the ids and whose second level holds integers (months).  Each index
        is expected to hold every key at most once.

    Examples
    --------
    >>> alignment = Alignment({"roster": pd.Index(["cat", "ann"]),
    ...                        "posts": pd.Index(["bob", "ann"])})
    >>> target = alignment.sorted_union(["roster", "posts"])
    >>> target.index.tolist()
    ['ann', 'bob', 'cat']
    >>> alignment.take(pd.Series([1, 3]), "posts", target, fill=0).tolist()
    [3, 1, 0]
    """

    def __init__(self, indexes: dict[str, pd.Index]):
        self._indexes = indexes
        self._months = {name: np.asarray(index.get_level_values(1), dtype=np.int64)
                        for name, index in indexes.items() if isinstance(index, pd.MultiIndex)}
        # a MultiIndex contributes its level of distinct ids, not one string per row (its rows
        # point into the level: 2M (member, month) rows at 1M posts, 20M at 10M posts)
        arrays, first_of, rows_of = [], {}, {}
        for name, index in indexes.items():
            if isinstance(index, pd.MultiIndex):
                ids, rows_of[name] = string_array(index.levels[0]), np.asarray(index.codes[0], dtype=np.int64)
            else:
                ids = string_array(index)
            same = next((other for other, k in first_of.items() if arrays[k].equals(ids)), None)
            first_of[name] = first_of[same] if same is not None else len(arrays)
            if same is None:
                arrays.append(ids)
        encoded = pa.concat_arrays(arrays).dictionary_encode() if arrays else pa.array([], pa.string())
        self.ids = encoded.dictionary if arrays else encoded
        # a null id gets the extra code len(ids), which no lookup table holds
        codes = encoded.indices.fill_null(len(self.ids)).to_numpy().astype(np.int64) if arrays else None
        starts = np.cumsum([0] + [len(a) for a in arrays])
        self._codes = {}
        for name, k in first_of.items():
            own = codes[starts[k]:starts[k + 1]]
            if name in rows_of:   # a level code per row (-1: a null id) to the id's code
                own = np.append(own, len(self.ids))[rows_of[name]]
            self._codes[name] = own
        # (id, month) pairs are packed into one int64 key over the months of every index
        self._low = min((int(m.min()) for m in self._months.values() if len(m)), default=0)
        self._span = max((int(m.max()) for m in self._months.values() if len(m)), default=0) - self._low + 1
        self._sorted: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._positions: dict[tuple[str, int], tuple[Target, np.ndarray]] = {}

    def target(self, name: str) -> "Target":
        """The rows of the index called ``name``, as a target to align other tables on."""
        index = self._indexes[name]
        return Target(index, self._codes[name], self._months.get(name))

    def sorted_union(self, names: list[str], name: str = "member_id") -> "Target":
        """The distinct ids of the (single-level) indexes ``names``, sorted, as a target."""
        if any(other in self._months for other in names):
            raise ValueError("sorted_union takes indexes of ids only, not (id, month) pairs")
        present = np.zeros(len(self.ids) + 1, dtype=bool)
        for other in names:
            present[self._codes[other]] = True
        present[-1] = False
        codes = np.flatnonzero(present)
        codes = codes[np.argsort(sort_ranks(self.ids)[codes], kind="stable")]
        index = pd.Index(self.ids.take(pa.array(codes)).to_pandas(), dtype="str", name=name)
        return Target(index, codes, None)

    def positions(self, name: str, target: "Target") -> np.ndarray:
        """Row of the table ``name`` holding each row of ``target`` (-1: none).

        A table indexed by ids alone is matched on the target's ids, even
        when the target also has months.
        """
        cached = self._positions.get((name, id(target)))
        if cached is None:
            # the target is kept with its positions, so that its id is not reused meanwhile
            # int32 rows where they fit: the positions of every part are kept while aligning
            found = self._find(name, target)
            found = found.astype(np.int32) if len(self._codes[name]) < 2**31 else found
            cached = self._positions[(name, id(target))] = (target, found)
        return cached[1]

    def _find(self, name: str, target: "Target") -> np.ndarray:
        codes = self._codes[name]
        if name not in self._months:
            row = np.full(len(self.ids) + 1, -1, dtype=np.int64)
            row[codes] = np.arange(len(codes))
            row[-1] = -1
            return row[target.codes]
        if target.months is None:
            raise ValueError(f"{name!r} is indexed by id and month; the target by id only")
        if name not in self._sorted:
            keys = self._pair_keys(codes, self._months[name])
            order = np.argsort(keys, kind="stable")
            self._sorted[name] = order, keys[order]
        order, keys = self._sorted[name]
        if not len(keys):
            return np.full(len(target.codes), -1, dtype=np.int64)
        wanted = self._pair_keys(target.codes, target.months)
        at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        found = (keys[at] == wanted) & (target.codes < len(self.ids))
        return np.where(found, order[at], -1)

    def _pair_keys(self, codes: np.ndarray, months: np.ndarray) -> np.ndarray:
        """One int64 per (id, month) pair, ordered as the pairs sort (by id, then month): tables
        sorted by their index then have sorted keys, which sort and search fastest."""
        return self._rank[codes] * self._span + (months - self._low)

    @cached_property
    def _rank(self) -> np.ndarray:
        """Sort rank of each id code, and ``len(ids)`` for the null code (last)."""
        return np.append(sort_ranks(self.ids), len(self.ids))

    def take(self, values: pd.Series, name: str, target: "Target", fill):
        """``values`` (a column of the table ``name``) on the rows of ``target``; ``fill`` where absent.

        Returns a numpy array, or a pandas extension array for extension
        dtypes (UTC times, strings), of the values' dtype.
        """
        array = values.array
        if isinstance(array, pd.arrays.NumpyExtensionArray):
            array = array.to_numpy()
        return pd.api.extensions.take(array, self.positions(name, target), allow_fill=True, fill_value=fill)


@dataclass(frozen=True)
class Target:
    """Rows to align tables on: a pandas index and its ids' codes (and months) in an :class:`Alignment`."""

    index: pd.Index
    codes: np.ndarray
    months: np.ndarray | None


def sort_ranks(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Rank of each value in sorted order (0 for the smallest; ties by position): ``pyarrow.compute.rank``.

    Arrow orders strings by their UTF-8 bytes, which is the order of their
    code points, as Python and pandas order them.

    Examples
    --------
    >>> sort_ranks(pa.array(["b", "é", "a", "b"])).tolist()
    [1, 3, 0, 2]
    """
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    ranks = pc.rank(values, sort_keys="ascending", tiebreaker="first")
    return np.asarray(ranks, dtype=np.int64) - 1


def string_array(ids: pd.Index) -> pa.Array:
    """The ids as one Arrow string array (no copy for Arrow-backed ids).

    Examples
    --------
    >>> string_array(pd.Index(["ann", "bob"], dtype="str")).to_pylist()
    ['ann', 'bob']
    """
    array = pa.array(ids, type=pa.string()) if len(ids) else pa.array([], type=pa.string())
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
