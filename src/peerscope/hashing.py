"""64-bit hashes of Arrow strings, computed with numpy from Arrow's buffers.

pyarrow exposes no hash function for strings, and its hash tables
(``index_in``, ``dictionary_encode``) cannot be kept between calls: looking
up a batch of ids among a million known ones rebuilds a table of the million
every time.  With a hash per string, known ids can instead be kept as a
sorted array of hashes and looked up with ``np.searchsorted``
(:class:`peerscope.event_counts.Codebook`), and a column can be split into
parts by hash so that equal values share a part (the corpus writer's checks
across rows).

The hash is tabulation hashing (Carter & Wegman 1979; Patrascu & Thorup
2012): a fixed random 64-bit code for each (position in the string modulo
64, byte value), summed over the string's bytes.  It depends on the string
alone (never on the process or the batch), and is computed a slice of about
a megabyte of string data at a time, so temporaries stay small.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

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
    hashes = np.empty(len(values), dtype=np.uint64)
    step = max(1, len(values) * BYTES_PER_STEP // max(1, int(offsets[-1] - offsets[0])))
    for start in range(0, len(values), step):
        bounds = offsets[start: start + step + 1] - offsets[start]
        within = np.arange(bounds[-1]) - np.repeat(bounds[:-1], np.diff(bounds))
        codes = BYTE_CODES[within & 63, data[offsets[start]: offsets[start] + bounds[-1]]]
        sums = np.zeros(len(codes) + 1, dtype=np.uint64)
        np.cumsum(codes, out=sums[1:])
        hashes[start: start + step] = sums[bounds[1:]] - sums[bounds[:-1]]
    return hashes
