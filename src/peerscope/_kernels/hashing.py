"""64-bit hashes of Arrow strings, computed with numpy from Arrow's buffers.

pyarrow exposes no hash function for strings, and its hash tables
(``index_in``, ``dictionary_encode``) cannot be kept between calls: looking
up a batch of ids among a million known ones rebuilds a table of the million
every time.  With a hash per string, known ids can instead be kept as a
sorted array of hashes and looked up with ``np.searchsorted``
(:class:`peerscope._kernels.event_counts.Codebook`), and a column can be split into
parts by hash so that equal values share a part (the corpus writer's checks
across rows).

The hash is tabulation hashing (Carter & Wegman 1979; Patrascu & Thorup
2012): a fixed random 64-bit code for each (position in the string modulo
64, byte value), summed over the string's bytes.  It depends on the string
alone (never on the process or the batch), and is computed for the strings
of one length at a time, as a matrix of their bytes (one vectorised gather
per byte position), about a megabyte of string data at a time, so
temporaries stay small.

Kept hand-written because pandas' ``hash_pandas_object`` is much slower on
millions of ids (``benchmarks/kernels.py``; ``docs/benchmarks.md``).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from peerscope._kernels.runs import run_lengths, run_starts

#: Bytes of strings hashed at once (the temporaries take about 8 bytes per byte).
BYTES_PER_STEP = 1 << 20
#: A random 64-bit code for each (position in the string mod 64, byte value).
BYTE_CODES = np.random.default_rng(0).bit_generator.random_raw(size=(64, 256))


def string_hashes(values: pa.Array) -> np.ndarray:
    """uint64 hash of each string (or binary) value; nulls hash like the empty string.

    Parameters
    ----------
    values : pyarrow.Array
        ``string``, ``large_string``, ``binary`` or ``large_binary``.

    Returns
    -------
    numpy.ndarray
        One ``uint64`` per value.

    Examples
    --------
    >>> hashes = string_hashes(pa.array(["ann", "bob", "ann", ""]))
    >>> bool(hashes[0] == hashes[2]), bool(hashes[0] != hashes[1]), int(hashes[3])
    (True, True, 0)
    >>> bool(string_hashes(pa.array(["x", "ann"]).slice(1))[0] == hashes[0])
    True
    """
    if len(values) == 0:
        return np.zeros(0, dtype=np.uint64)
    large = pa.types.is_large_string(values.type) or pa.types.is_large_binary(values.type)
    _, offset_buffer, data_buffer = values.buffers()
    offsets = np.frombuffer(offset_buffer, dtype=np.int64 if large else np.int32)[
        values.offset: values.offset + len(values) + 1].astype(np.int64)
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    lengths = np.diff(offsets)
    hashes = np.zeros(len(values), dtype=np.uint64)
    # strings of one length at a time, as a matrix of bytes: one gather per byte position
    by_length = np.argsort(lengths, kind="stable")
    sorted_lengths = lengths[by_length]
    group_starts = run_starts(sorted_lengths)
    for first, size in zip(group_starts, run_lengths(group_starts, len(lengths))):
        last = first + size
        length = int(sorted_lengths[first])
        if length == 0:
            continue
        position_codes = np.arange(length) & 63
        step = max(1, BYTES_PER_STEP // length)
        for start in range(first, last, step):
            rows = by_length[start: min(last, start + step)]
            bytes_ = data[offsets[rows][:, None] + np.arange(length)]
            hashes[rows] = BYTE_CODES[position_codes, bytes_].sum(axis=1, dtype=np.uint64)
    return hashes


class HashIndex:
    """A table from 64-bit hashes to int64 values: open addressing with linear probing, in numpy.

    Lookups and insertions take whole arrays of hashes at once; each probing
    round is one vectorised gather over the hashes still unresolved, and at a
    load factor of at most one half most are resolved in the first round.
    The table doubles when it fills, so the cost of a batch is proportional
    to the batch, not to the number of hashes stored (a sorted array with
    ``np.searchsorted`` and ``np.insert`` costs a dependent cache miss per
    level and a copy of everything per insertion).  Equal hashes may be
    stored twice; a lookup returns the value stored first, and callers
    confirm matches by comparing the strings themselves.

    Examples
    --------
    >>> index = HashIndex()
    >>> index.put(np.array([11, 22, 33], dtype=np.uint64), np.array([0, 1, 2]))
    >>> index.get(np.array([22, 44, 11], dtype=np.uint64)).tolist()
    [1, -1, 0]
    """

    def __init__(self, capacity: int = 1 << 10):
        self._keys = np.zeros(capacity, dtype=np.uint64)      # 0: an empty slot
        self._values = np.full(capacity, -1, dtype=np.int64)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def get(self, hashes: np.ndarray) -> np.ndarray:
        """The value stored for each hash (int64), ``-1`` where there is none."""
        keys = _nonzero(hashes)
        found = np.full(len(keys), -1, dtype=np.int64)
        mask = np.uint64(len(self._keys) - 1)
        pending = np.arange(len(keys))
        slot = keys & mask
        while len(pending):
            stored = self._keys[slot]
            hit = stored == keys[pending]
            found[pending[hit]] = self._values[slot[hit]]
            unresolved = ~hit & (stored != 0)
            pending, slot = pending[unresolved], (slot[unresolved] + np.uint64(1)) & mask
        return found

    def put(self, hashes: np.ndarray, values: np.ndarray) -> None:
        """Store ``values[i]`` under ``hashes[i]`` (the caller has checked they are new)."""
        if 2 * (self._size + len(hashes)) > len(self._keys):
            self._grow(2 * (self._size + len(hashes)))
        keys = _nonzero(hashes)
        values = np.asarray(values, dtype=np.int64)
        mask = np.uint64(len(self._keys) - 1)
        pending = np.arange(len(keys))
        slot = keys & mask
        while len(pending):
            free = self._keys[slot] == 0
            # of the keys aiming at the same free slot, the first takes it
            _, first = np.unique(slot[free], return_index=True)
            taking = np.flatnonzero(free)[first]
            self._keys[slot[taking]] = keys[pending[taking]]
            self._values[slot[taking]] = values[pending[taking]]
            waiting = np.ones(len(pending), dtype=bool)
            waiting[taking] = False
            pending, slot = pending[waiting], (slot[waiting] + np.uint64(1)) & mask
        self._size += len(keys)

    def _grow(self, at_least: int) -> None:
        stored = self._keys != 0
        keys, values = self._keys[stored], self._values[stored]
        capacity = len(self._keys)
        while capacity < at_least:
            capacity *= 2
        self._keys = np.zeros(capacity, dtype=np.uint64)
        self._values = np.full(capacity, -1, dtype=np.int64)
        self._size = 0
        self.put(keys, values)


def _nonzero(hashes: np.ndarray) -> np.ndarray:
    """Hashes with the lowest bit set, so that none is 0 (the empty slot's key)."""
    return np.asarray(hashes, dtype=np.uint64) | np.uint64(1)
