"""Runs of equal values in sorted arrays: where each run starts and how long it is.

Grouping by sorting is how the kernels count: sort the keys (member codes,
packed (member, month) pairs, reply edges), then find where each run of
equal keys starts; the distinct keys are the values at those positions, the
group sizes the lengths of the runs, and per-group minima, maxima and sums
are ``np.minimum.reduceat`` and its kind over the starts.
"""

from __future__ import annotations

import numpy as np


def run_starts(values, *more) -> np.ndarray:
    """Positions where a run of equal values starts in a sorted array.

    With several arrays of the same length (``more``), the rows are the
    tuples of their values, sorted lexicographically, and a run starts where
    any of them changes.

    Parameters
    ----------
    values : array-like
        A sorted array (or the first key of sorted rows).
    *more : array-like
        Further keys of the rows, each as long as ``values``.

    Returns
    -------
    numpy.ndarray
        int64 positions, ascending; empty for an empty array, else starting with 0.

    Examples
    --------
    >>> run_starts([1, 1, 2, 5, 5, 5]).tolist()
    [0, 2, 3]
    >>> run_starts([1, 1, 1, 2], [7, 8, 8, 8]).tolist()   # rows (1, 7), (1, 8), (1, 8), (2, 8)
    [0, 1, 3]
    >>> run_starts([]).tolist()
    []
    """
    keys = [np.asarray(key) for key in (values, *more)]
    first = np.zeros(len(keys[0]), dtype=bool)
    first[:1] = True
    for key in keys:
        first[1:] |= key[1:] != key[:-1]
    return np.flatnonzero(first)


def run_lengths(starts: np.ndarray, size: int) -> np.ndarray:
    """The length of each run, given where the runs start (:func:`run_starts`) and the array's length.

    Parameters
    ----------
    starts : numpy.ndarray
        Positions where the runs start, ascending.
    size : int
        Length of the array the runs cover.

    Returns
    -------
    numpy.ndarray
        int64 run lengths; they add up to ``size``.

    Examples
    --------
    >>> values = [1, 1, 2, 5, 5, 5]
    >>> run_lengths(run_starts(values), len(values)).tolist()
    [2, 1, 3]
    """
    return np.diff(np.append(starts, size)).astype(np.int64)
