"""A time window [start, end) over a corpus; naive times are UTC."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from peerscope import errors

__all__ = ["Window"]


def _utc(value, what: str) -> pd.Timestamp | None:
    """A bound of a time window as a UTC timestamp (naive values are taken as UTC)."""
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise errors.PeerscopeError(f"{what}={value!r} is not a time: {exc}") from None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


@dataclass(frozen=True)
class Window:
    """A half-open time window [start, end) in UTC; None means unbounded.

    Parameters
    ----------
    start, end : pandas.Timestamp or None
        UTC bounds; None leaves that side open.

    Examples
    --------
    >>> import pandas as pd
    >>> window = Window(pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-03-01", tz="UTC"))
    >>> narrowed = window.narrow("2024-02-01", "2024-06-01")
    >>> str(narrowed.start), str(narrowed.end)
    ('2024-02-01 00:00:00+00:00', '2024-03-01 00:00:00+00:00')
    >>> Window().start is None
    True
    """

    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None

    def narrow(self, start=None, end=None) -> "Window":
        """The intersection of this window with [start, end)."""
        start, end = _utc(start, "start"), _utc(end, "end")
        if self.start is not None and (start is None or start < self.start):
            start = self.start
        if self.end is not None and (end is None or end > self.end):
            end = self.end
        return Window(start, end)
