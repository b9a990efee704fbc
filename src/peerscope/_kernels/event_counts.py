"""Events per member (and month) and kind, counted batch by batch on integer codes.

A community has several events (views, deliveries, attendance, sessions)
per post.  Grouping them by their string ids (in pandas, or with Arrow's
``group_by``) holds hash tables of strings several times the size of the
result.  Here the events stream past one batch (one Parquet row group) at a
time, and each member id becomes an integer code:

- with ``known_ids`` (the roster), the code is the id's position in it,
  found by Arrow's ``index_in`` evaluated in one scanner over all batches,
  so the hash table of the roster is built once and probed on Arrow's
  threads: the probes into a table of a million ids miss the cache
  whichever way they are made, and Arrow makes them in C++, in parallel;
- ids not in ``known_ids`` (all of them, without a roster) get the next
  codes from a :class:`Codebook` that grows as new ids appear.

The events are added into a (member, kind) array that grows by doubling.  By
month, the batches' packed (member, month, kind) keys are kept raw until
they are as many as the keys already counted; they are then sorted,
run-length counted and merged in (so each key is merged O(log n) times).
Memory holds one batch, the codes, the raw keys and the counts.  The result is the same table as grouping
the events by ``member_id`` (and ``month``) and ``kind`` and counting rows,
with null member ids left out.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from peerscope._kernels.align import pair_index, sort_ranks, string_array
from peerscope._kernels.hashing import HashIndex, string_hashes
from peerscope._kernels.months import iso_months, micros, months_from_micros
from peerscope._kernels.runs import run_lengths, run_starts

#: Bits of a packed key given to the kind code and to the month (months since 1970-01,
#: never negative in a corpus: its times start in 1975, ``schema.EARLIEST_PLAUSIBLE``).
_KIND_BITS, _MONTH_BITS = 8, 20
#: Raw (member, month, kind) keys held before they are sorted and merged into the counts
#: (16M keys: 128 MB), unless the counts already hold more keys.
_MERGE_AT = 1 << 24


class Codebook:
    """Integer codes for string ids, in order of first appearance, growing as ids appear.

    Known ids are kept in a :class:`~peerscope._kernels.hashing.HashIndex` of their
    64-bit hashes (:func:`~peerscope._kernels.hashing.string_hashes`), so a batch is
    coded by hashing its distinct ids and one vectorised lookup: the work is
    proportional to the batch, never to the ids already known (Arrow's
    ``index_in`` would rebuild a hash table of every known id for each batch).  Every match is
    confirmed by comparing the strings; ids whose hash collides with another
    id's are looked up exactly instead.

    Examples
    --------
    >>> book = Codebook()
    >>> book.codes(pa.array(["b", "a", None, "b"])).tolist()
    [0, 1, -1, 0]
    >>> book.codes(pa.array(["c", "a"])).tolist(), book.values.to_pylist()
    ([2, 1], ['b', 'a', 'c'])
    """

    def __init__(self):
        self.values = pa.array([], type=pa.string())
        self._index = HashIndex()

    def codes(self, column: pa.Array) -> np.ndarray:
        """int64 code of each value of ``column`` (``-1`` for null), adding unseen values.

        A dictionary-encoded ``column`` has only its dictionary looked up.
        """
        if not pa.types.is_dictionary(column.type):
            column = column.dictionary_encode()
        # one more entry, -1, read by the null indices (filled with -1)
        of_distinct = np.append(self._code_distinct(column.dictionary.cast(pa.string())), -1)
        return of_distinct[column.indices.fill_null(-1).to_numpy(zero_copy_only=False)]

    def _code_distinct(self, distinct: pa.Array) -> np.ndarray:
        """Codes of distinct non-null strings, adding the unseen ones."""
        hashes = string_hashes(distinct)
        codes = self._index.get(hashes)
        hit = np.flatnonzero(codes >= 0)
        if len(hit):
            confirmed = pc.equal(self.values.take(pa.array(codes[hit])),
                                 distinct.take(pa.array(hit))).to_numpy(zero_copy_only=False)
            collided = hit[~confirmed]
            if len(collided):  # another id has the same hash: look these up exactly
                exact = pc.index_in(distinct.take(pa.array(collided)), value_set=self.values)
                codes[collided] = exact.fill_null(-1).to_numpy(zero_copy_only=False)
        unseen = np.flatnonzero(codes < 0)
        if len(unseen):
            first = len(self.values)
            self.values = pa.concat_arrays([self.values, distinct.take(pa.array(unseen))])
            codes[unseen] = np.arange(first, first + len(unseen))
            self._index.put(hashes[unseen], codes[unseen])
        return codes


def event_counts(batches, by_month: bool, known_ids: pa.Array | pa.ChunkedArray | None = None) -> pd.DataFrame:
    """Events per ``member_id`` (and ``month``), one int64 column per kind.

    Parameters
    ----------
    batches : iterable of pyarrow.RecordBatch
        Events with columns ``member_id`` and ``kind`` (and ``at`` when
        ``by_month``), e.g. :meth:`peerscope.Corpus.arrow_batches`.
    by_month : bool
        Index by ``member_id`` and ``month`` (UTC, months since 1970-01:
        :mod:`peerscope._kernels.months`).
    known_ids : pyarrow.Array or pyarrow.ChunkedArray, optional
        Distinct ids most events are expected to carry (the member roster):
        they are coded by their position here, in one hash table built once.
        Other ids are counted all the same.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``member_id`` (and ``month``), sorted; columns are the
        kinds, sorted; members with no event are absent.

    Examples
    --------
    >>> events = pa.record_batch({"member_id": ["ann", "bob", "ann", None],
    ...                           "kind": ["view", "view", "receive", "view"]})
    >>> event_counts([events], by_month=False).to_dict("index")
    {'ann': {'receive': 1, 'view': 1}, 'bob': {'receive': 0, 'view': 1}}
    >>> event_counts([events], by_month=False, known_ids=pa.array(["bob", "cat"])).index.tolist()
    ['ann', 'bob']
    """
    members, kinds = _MemberCodes(known_ids), Codebook()
    # [member, kind] counts (not by month), grown by doubling
    dense = np.zeros((max(1024, len(members)), 8), dtype=np.int64)
    # by month: sorted distinct (member, month, kind) keys and their counts, and the raw
    # keys of the batches since they were last merged in
    merged = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    pending: list[np.ndarray] = []
    for batch, member in members.coded(batches):
        kind = kinds.codes(batch.column("kind"))
        known = member >= 0
        member, kind = member[known], kind[known]
        if not by_month:
            needed = (len(members), len(kinds.values))
            if needed[0] > dense.shape[0] or needed[1] > dense.shape[1]:
                grown = np.zeros((max(dense.shape[0], 2 * needed[0]), max(dense.shape[1], 2 * needed[1])),
                                 dtype=np.int64)
                grown[:dense.shape[0], :dense.shape[1]] = dense
                dense = grown
            np.add.at(dense.reshape(-1), member * dense.shape[1] + kind, 1)
            continue
        if len(kinds.values) >= 1 << _KIND_BITS:
            raise OverflowError(f"more than {(1 << _KIND_BITS) - 1} event kinds")
        month = months_from_micros(micros(batch.column("at")))[known]
        if len(month) and (month.min() < 0 or month.max() >= 1 << _MONTH_BITS):
            raise OverflowError(f"events by month must lie in 1970-01 .. {iso_months((1 << _MONTH_BITS) - 1)}")
        pending.append((member << _MONTH_BITS | month) << _KIND_BITS | kind)
        # merged when the raw keys match the merged ones in number: each key is merged
        # O(log n) times, however many batches there are
        if sum(len(keys) for keys in pending) >= max(_MERGE_AT, len(merged[0])):
            merged, pending = _merge(merged, np.concatenate(pending)), []
    member_ids = pd.Index(members.ids().to_pandas(), dtype="str", name="member_id")
    kind_names = pd.Index(kinds.values.to_pandas(), dtype="str", name="kind")
    if not by_month:
        table = pd.DataFrame(dense[:len(member_ids), :len(kind_names)], index=member_ids, columns=kind_names)
        table = table[table.sum(axis=1) > 0] if len(kind_names) else table.iloc[:0]
        return table.sort_index().sort_index(axis=1)
    raw = np.concatenate(pending) if pending else np.zeros(0, np.int64)
    del pending
    counted = _merge(merged, raw)
    del merged, raw
    return _by_month_table(counted, member_ids, kind_names)


def _by_month_table(counted: tuple[np.ndarray, np.ndarray], member_ids: pd.Index,
                    kind_names: pd.Index) -> pd.DataFrame:
    """The (member_id, month) x kind table of sorted distinct packed keys and their counts.

    Rows come out sorted by member id and month, columns by kind name; only
    kinds that were counted are columns (as an ``unstack`` would give).
    Intermediate arrays (each one int per key) are dropped as soon as they
    are used.
    """
    keys, counts = counted
    del counted
    kind = (keys & ((1 << _KIND_BITS) - 1)).astype(np.int32)
    pair = keys >> _KIND_BITS
    del keys
    starts = run_starts(pair)
    run = run_lengths(starts, len(pair))
    pairs = pair[starts]
    del pair, starts
    member, month = pairs >> _MONTH_BITS, pairs & ((1 << _MONTH_BITS) - 1)
    del pairs
    # rows in the order of the result (member id, then month): each key's row is found
    # through the inverse of that order, so the counts are written in place once
    ids = string_array(member_ids)
    rank = sort_ranks(ids)
    order = np.lexsort((month, rank[member]))
    row_of_pair = np.empty(len(order), dtype=np.int64)
    row_of_pair[order] = np.arange(len(order))
    member, month = member[order], month[order]
    del order
    row = np.repeat(row_of_pair, run)
    del row_of_pair, run
    used = np.flatnonzero(np.bincount(kind, minlength=len(kind_names)))
    column = np.full(len(kind_names), -1, dtype=np.int64)
    column[used] = np.arange(len(used))
    wide = np.zeros((len(member), len(used)), dtype=np.int64)
    row *= len(used)
    row += column[kind]   # the flat position of each key in wide
    del kind
    wide.reshape(-1)[row] = counts
    del row, counts
    index = pair_index(ids, member, month, rank=rank)
    table = pd.DataFrame(wide, index=index, columns=kind_names.take(used), copy=False)
    return table.sort_index(axis=1)


def first_events(batches, kinds: tuple[str, ...],
                 known_ids: pa.Array | pa.ChunkedArray | None = None) -> pd.Series:
    """Time of each member's first event of one of ``kinds``, batch by batch on member codes.

    The same as filtering the events on ``kind``, grouping by ``member_id``
    and taking the smallest ``at`` (null member ids left out), holding one
    batch and one time per member instead of the events table.

    Parameters
    ----------
    batches : iterable of pyarrow.RecordBatch
        Events with columns ``member_id``, ``at`` and ``kind`` (plain strings).
    kinds : tuple of str
        The kinds that count.
    known_ids : pyarrow.Array or pyarrow.ChunkedArray, optional
        As in :func:`event_counts`.

    Returns
    -------
    pandas.Series
        ``at`` (UTC) indexed by ``member_id``, sorted; members without such
        an event are absent.

    Examples
    --------
    >>> events = pa.record_batch({"member_id": ["ann", "bob", "ann"], "kind": ["view", "post", "view"],
    ...     "at": pa.array([3, 1, 2], pa.timestamp("us", tz="UTC"))})
    >>> {k: str(v) for k, v in first_events([events], ("view",)).items()}
    {'ann': '1970-01-01 00:00:00.000002+00:00'}
    """
    wanted = pa.array(kinds, type=pa.string())
    members = _MemberCodes(known_ids)
    first = np.full(max(1024, len(members)), np.iinfo(np.int64).max)
    chosen = (batch.filter(pc.is_in(batch.column("kind"), value_set=wanted)) for batch in batches)
    for batch, member in members.coded(chosen):
        known = member >= 0
        if len(members) > len(first):
            first = np.append(first, np.full(max(len(first), len(members) - len(first)), np.iinfo(np.int64).max))
        np.minimum.at(first, member[known], micros(batch.column("at"))[known])
    seen = np.flatnonzero(first[:len(members)] < np.iinfo(np.int64).max)
    ids = pd.Index(members.ids().take(pa.array(seen)).to_pandas(), dtype="str", name="member_id")
    times = pd.DatetimeIndex(first[seen].astype("datetime64[us]")).tz_localize("UTC")
    return pd.Series(times, index=ids, name="at").sort_index()


class _MemberCodes:
    """Codes of ``member_id``: the position in ``known_ids``, then a :class:`Codebook`'s codes after them."""

    def __init__(self, known_ids: pa.Array | pa.ChunkedArray | None):
        if known_ids is None:
            known_ids = pa.array([], type=pa.string())
        if isinstance(known_ids, pa.ChunkedArray):
            known_ids = known_ids.combine_chunks()
        self.known = known_ids.cast(pa.string())
        self.others = Codebook()

    def __len__(self) -> int:
        return len(self.known) + len(self.others.values)

    def ids(self) -> pa.Array:
        """The id of each code."""
        return pa.concat_arrays([self.known, self.others.values])

    def coded(self, batches):
        """(batch, int64 code of each row's ``member_id``; -1 for null) for each non-empty batch."""
        batches = (batch for batch in batches if batch.num_rows)
        first = next(batches, None)
        if first is None:
            return
        if not len(self.known):
            for batch in itertools.chain([first], batches):
                yield batch, self.others.codes(batch.column("member_id"))
            return
        # one scanner, so that index_in builds its hash table of the known ids once
        projection = {name: pc.field(name) for name in first.schema.names}
        projection[_KNOWN_ROW] = pc.index_in(pc.field("member_id"), value_set=self.known)
        scanner = ds.Scanner.from_batches(itertools.chain([first], batches), schema=first.schema,
                                          columns=projection, batch_readahead=1)
        for batch in scanner.to_batches():
            row = batch.column(_KNOWN_ROW)
            if row.null_count == 0:
                yield batch, row.to_numpy().astype(np.int64)
                continue
            codes = row.fill_null(-1).to_numpy().astype(np.int64)
            unknown = np.flatnonzero(codes < 0)
            other = self.others.codes(batch.column("member_id").take(pa.array(unknown)))
            codes[unknown] = np.where(other >= 0, other + len(self.known), -1)
            yield batch, codes


#: Column the scanner of :meth:`_MemberCodes.coded` adds: the row of ``member_id`` in the known ids.
_KNOWN_ROW = "__known_row"


def _merge(merged: tuple[np.ndarray, np.ndarray], raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Add ``raw`` keys (one count each) to ``merged`` (sorted distinct keys, counts).

    The raw keys are sorted in place and run-length counted; counts of keys
    already merged are added where they stand, and the new keys are inserted
    at their sorted places (one allocation of the result, no sort of the
    whole).
    """
    raw.sort()
    starts = run_starts(raw)
    distinct, runs = raw[starts], run_lengths(starts, len(raw))
    keys, counts = merged
    at = np.searchsorted(keys, distinct)
    known = at < len(keys)
    known[known] = keys[at[known]] == distinct[known]
    counts[at[known]] += runs[known]   # distinct keys: each position once
    new = ~known
    return np.insert(keys, at[new], distinct[new]), np.insert(counts, at[new], runs[new])
