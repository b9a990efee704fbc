"""Calendar months as integers: the one month encoding of peerscope.

A month is numbered by the months since January 1970: 1970-01 is 0,
2024-01 is 648, 1969-12 is -1.  This is how numpy's ``datetime64[M]`` and
pandas' monthly ``Period`` ordinals number months, so the numbers convert to
and from both without arithmetic, sort in time order, and a difference of
two numbers is a number of months.  Every per-month table (activity by
month, the participation ladder, event counts, monthly part files, the
forms of support in use) keys its months this way, and turns them back into
the first instant of the month (:func:`month_starts`) or a ``YYYY-MM`` label
(:func:`iso_months`) only for display.

Months are those of UTC unless a time zone is asked for
(:func:`months_from_times`); times without a zone are taken as UTC, as
everywhere in peerscope.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa


def micros(times: pa.Array | pa.ChunkedArray | pd.Series) -> np.ndarray:
    """Microseconds since the epoch (UTC) of a column of times, as an int64 numpy array.

    Parameters
    ----------
    times : pyarrow.Array, pyarrow.ChunkedArray or pandas.Series
        Timestamps (any unit; with or without a zone; a Series of UTC times).

    Returns
    -------
    numpy.ndarray
        int64 microseconds since 1970-01-01 00:00 UTC.

    Examples
    --------
    >>> micros(pa.array(pd.to_datetime(["1970-01-01 00:00:01"], utc=True))).tolist()
    [1000000]
    """
    if isinstance(times, pd.Series):
        if not len(times):
            return np.zeros(0, np.int64)
        times = pa.array(times, pa.timestamp("us", tz="UTC"))
    values = times.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], type=pa.int64())
    return np.ascontiguousarray(values.to_numpy(zero_copy_only=False), dtype=np.int64)


def months_from_micros(times: np.ndarray) -> np.ndarray:
    """The month (UTC) of times in microseconds since the epoch, as months since 1970-01.

    Parameters
    ----------
    times : array-like of int
        Microseconds since 1970-01-01 00:00 UTC (negative before it).

    Returns
    -------
    numpy.ndarray
        int64 months since 1970-01.

    Examples
    --------
    >>> DAY = 86_400_000_000
    >>> months_from_micros([0, 31 * DAY, -1]).tolist()   # 1970-01-01, 1970-02-01, 1969-12-31
    [0, 1, -1]
    """
    times = np.asarray(times, dtype=np.int64)
    if len(times) < _TABLE_MIN:
        return times.view("datetime64[us]").astype("datetime64[M]").astype(np.int64)
    # numpy's conversion to months costs about 50 ns a time; the day's month read from a
    # table of the days spanned costs a tenth of that (the table has a few thousand days)
    days = times // _DAY
    first, last = int(days.min()), int(days.max())
    if last - first >= len(times):
        return times.view("datetime64[us]").astype("datetime64[M]").astype(np.int64)
    table = np.arange(first, last + 1).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    days -= first
    return table[days]


_DAY = 86_400_000_000
#: Below this many times :func:`months_from_micros` converts them directly.
_TABLE_MIN = 1 << 12


def months_from_arrow(times: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The month (UTC) of each time of an Arrow column, as months since 1970-01.

    Parameters
    ----------
    times : pyarrow.Array or pyarrow.ChunkedArray
        Timestamps without nulls.

    Returns
    -------
    numpy.ndarray
        int64 months since 1970-01.

    Examples
    --------
    >>> times = pa.array(pd.to_datetime(["2022-01-31 23:59", "2022-02-01 00:00"], utc=True))
    >>> months_from_arrow(times).tolist()
    [624, 625]
    """
    return months_from_micros(micros(times))


def months_from_times(times, tz: str | None = None):
    """The month of each time as months since 1970-01, in UTC or in the time zone ``tz``.

    Computed from the calendar year and month of each time, so it works on
    the columns of either engine.

    Parameters
    ----------
    times : pandas.Series, dask Series or pandas.DatetimeIndex
        Timestamps; times without a zone are UTC.
    tz : str, optional
        IANA time zone whose calendar months are wanted (default UTC).

    Returns
    -------
    Series or Index
        One month number per time, same index (and engine) as ``times``;
        NaN where a time is missing.

    Examples
    --------
    >>> times = pd.Series(pd.to_datetime(["2024-01-31 23:00", "2024-02-01 00:00"], utc=True))
    >>> months_from_times(times).tolist(), months_from_times(times, tz="Europe/Paris").tolist()
    ([648, 649], [649, 649])
    >>> months_from_times(pd.DatetimeIndex(["1969-12-31 23:59", None])).tolist()
    [-1.0, nan]
    """
    def calendar(values):  # the year and month attributes of an index, or of a column's .dt
        return values if isinstance(values, pd.DatetimeIndex) else values.dt

    if tz is not None:
        if getattr(times.dtype, "tz", None) is None:
            times = calendar(times).tz_localize("UTC")
        times = calendar(times).tz_convert(tz)
    return (calendar(times).year - 1970) * 12 + calendar(times).month - 1


def month_starts(months) -> pd.DatetimeIndex:
    """The first instant (UTC) of each month given as months since 1970-01.

    Parameters
    ----------
    months : array-like of int
        Months since 1970-01.

    Returns
    -------
    pandas.DatetimeIndex
        ``datetime64[us, UTC]``, one time per month.

    Examples
    --------
    >>> [str(t) for t in month_starts([648, -1])]
    ['2024-01-01 00:00:00+00:00', '1969-12-01 00:00:00+00:00']
    """
    first_days = np.asarray(months, dtype=np.int64).astype("datetime64[M]").astype("datetime64[us]")
    return pd.DatetimeIndex(first_days).tz_localize("UTC")


def iso_months(months) -> np.ndarray:
    """The ``YYYY-MM`` label of each month given as months since 1970-01.

    Parameters
    ----------
    months : int or array-like of int
        Months since 1970-01.

    Returns
    -------
    numpy.ndarray
        Strings (a 0-d array for one month).

    Examples
    --------
    >>> iso_months([624, -1]).tolist(), str(iso_months(648))
    (['2022-01', '1969-12'], '2024-01')
    """
    return np.asarray(months, dtype=np.int64).astype("datetime64[M]").astype(str)
