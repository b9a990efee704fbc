"""Engagement over time: de-lurking, the participation ladder, frequency, regularity,
tenure and withdrawal, time of use, and monthly series of them.

Every function reads only the non-text columns of a
:class:`~peerscope.Corpus` (pandas or Dask engine, same numbers), takes a
window ``[start, end)`` and leaves bots out unless ``include_bots``; posts by
deleted, anonymous or unknown authors are nobody's.  The ladder and its rungs
are defined in :mod:`peerscope.participation`.  Times are UTC unless a
timezone is asked for (:func:`time_profile`).

References
----------
Nonnecke, B., Preece, J. (2000). Lurker demographics: counting the silent. *CHI 2000*.
Goh, K.-I., Barabasi, A.-L. (2008). Burstiness and memory in complex systems.
*EPL* 81:48002.
Kaplan, E. L., Meier, P. (1958). Nonparametric estimation from incomplete
observations. *J Am Stat Assoc* 53:457-481 (Greenwood's variance for the interval).
Wang, Y.-C., Kraut, R., Levine, J. M. (2012). To stay or leave? The relationship of
emotional and informational support to commitment in online health support
groups. *CSCW 2012*.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa

from peerscope import participation

from peerscope._kernels import columnar, engine
from peerscope._kernels.align import Alignment, sort_ranks, string_array
from peerscope._kernels.display import (Display, axes, draw_ladder_monthly, draw_survival,
                                        draw_time_heatmap, fmt)
from peerscope._kernels.links import encode, read_linked, select
from peerscope._kernels.memory import release_freed_memory
from peerscope._kernels.months import micros, month_starts, months_from_micros, months_from_times
from peerscope._kernels.runs import run_starts
from peerscope.participation import PASSIVE_KINDS
from peerscope.participation.groups import _tenure, member_groups
from peerscope._kernels.post_counts import hosted_openers, posts_per_author

__all__ = ["LadderMoves", "Survival", "TimeProfile", "delurking", "frequency", "kaplan_meier",
           "ladder_by_month", "monthly", "survival", "time_profile"]

_DAY = pd.Timedelta(days=1)


def _person_posts(corpus, start, end, include_bots: bool):
    """(member_id, created_at) of posts by persons in the window.

    On pandas the rows come sorted by member, then time.  On Dask they stay a
    lazy frame, filtered on the workers and in no particular order: the
    callers aggregate it there (per member, per member and month, per hour),
    so that no per-post row is collected to this process (issue 21).
    """
    kinds = participation._kinds(corpus, include_bots)
    if corpus.engine == "pandas":
        # sorted on author codes (ids ranked once by Arrow), not on ten million strings
        table = corpus.arrow("posts", ["author_id", "created_at"], start=start, end=end,
                             dictionary=["author_id"])
        codes, ids = encode(table.column("author_id"))
        times = micros(table.column("created_at"))
        del table
        person = np.append(kinds.person(pd.Index(ids.to_pandas(), dtype="str")), False)[codes]
        codes, times = codes[person], times[person]
        order = np.lexsort((times, sort_ranks(ids)[codes]))
        return pd.DataFrame({
            "member_id": pd.array(ids.take(pa.array(codes[order])).to_pandas(), dtype="str"),
            "created_at": pd.DatetimeIndex(times[order].view("datetime64[us]")).tz_localize("UTC")})
    posts = corpus.posts(columns=["author_id", "created_at"], start=start, end=end)
    keep = ~posts["author_id"].isna()
    # the ids that are nobody's (deleted, anonymous, unknown, and bots unless included) are a
    # few per community: shipped with the graph, tested on the workers
    excluded = kinds.unknown.union(kinds.bots)
    if len(excluded):
        keep &= ~posts["author_id"].isin(list(excluded))
    return posts[keep].rename(columns={"author_id": "member_id"})


def _member_index(table: pd.DataFrame) -> pd.DataFrame:
    """A per-member result collected from Dask, as the pandas engine gives it: ``str`` ids, sorted."""
    return table.set_axis(pd.Index(table.index, dtype="str", name="member_id")).sort_index()


# ---------------------------------------------------------------------------
# De-lurking
# ---------------------------------------------------------------------------

def delurking(corpus, start=None, end=None, *, include_bots: bool = False) -> pd.DataFrame:
    """Time from joining (or first view) to first post, per member.

    Definition (docs/concepts.md, "De-lurking"): origin = ``joined_at`` when the
    roster has it, else the member's first ``view``, ``read`` or ``receive``
    event in the window; first_post = first post in the window;
    ``days_to_first_post = (first_post - origin) / 1 day``.

    Parameters
    ----------
    corpus : peerscope.Corpus
        pandas or Dask engine; the text is never read.
    start, end : time-like, optional
        Window for posts and events (joining dates are taken as recorded).
    include_bots : bool
        Give members with role ``bot`` a row (default False).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``member_id`` (every person with an origin): ``origin``,
        ``origin_kind`` (``joined``/``first view``), ``first_post`` (NaT if
        none), ``days_to_first_post`` (NaN if no post: still lurking, a
        censored observation), ``delurked`` (bool).  A negative delay means
        the source dates posts before registration (imported content); it is
        kept as recorded.  Members with neither a join date nor a passive
        event have no origin and no row.

    Examples
    --------
    ann joined on 31 December and first posted on 1 January at 20:00; cat
    never posted:

    >>> from peerscope.participation import engagement
    >>> from peerscope.datasets.examples import tiny_history
    >>> corpus = tiny_history()
    >>> table = engagement.delurking(corpus)
    >>> table["days_to_first_post"].round(4).to_dict()
    {'ann': 1.8333, 'bob': 2.875, 'cat': nan}
    >>> table["delurked"].tolist()
    [True, True, False]
    """
    kinds = participation._kinds(corpus, include_bots)
    origin = pd.Series(dtype="datetime64[us, UTC]")
    if "joined_at" in participation._columns(corpus, "members"):
        left = ["left_at"] if "left_at" in participation._columns(corpus, "members") else []
        members = engine.collect(corpus.members(columns=["member_id", "joined_at"] + left,
                                                start=start, end=end))
        # the column's array, not to_numpy(): that makes an object array of 1.25M Timestamps (5 s at 10M posts)
        origin = pd.Series(members["joined_at"].array, index=pd.Index(members["member_id"]))
        origin = origin.dropna()
    kind = pd.Series("joined", index=origin.index, dtype="str")
    if corpus.has_table("events"):
        first_view = _first_views(corpus, start, end)
        viewed = first_view.index.difference(origin.index)
        origin = pd.concat([origin, first_view.reindex(viewed)])
        kind = pd.concat([kind, pd.Series("first view", index=viewed, dtype="str")])
    origin = origin[kinds.person(pd.Index(origin.index))]
    if corpus.engine == "pandas":
        first_post = posts_per_author(corpus, start, end)[0]["first_post"]
    else:
        posts = corpus.posts(columns=["author_id", "created_at"], start=start, end=end)
        first_post = engine.aggregate(posts, "author_id", first_post=("created_at", "min"))["first_post"]
    table = pd.DataFrame({"origin": origin.astype("datetime64[us, UTC]"),
                          "origin_kind": kind.reindex(origin.index)})
    table.index = pd.Index(table.index.astype("str"), name="member_id")
    table["first_post"] = first_post.reindex(table.index)
    table["days_to_first_post"] = (table["first_post"] - table["origin"]) / _DAY
    table["delurked"] = table["first_post"].notna()
    return table.sort_index()


def _first_views(corpus, start, end) -> pd.Series:
    """member_id -> time of the first view, read or receive event in the window."""
    if corpus.engine == "pandas":   # tens of millions of events: streamed, on member codes
        batches = corpus.arrow_batches("events", ["member_id", "at", "kind"], start=start, end=end,
                                       batch_size=1 << 18)
        return columnar.first_events(batches, PASSIVE_KINDS)
    events = corpus.events(columns=["member_id", "at", "kind"], start=start, end=end)
    events = events[events["kind"].isin(list(PASSIVE_KINDS))]
    return engine.aggregate(events, "member_id", at=("at", "min"))["at"]


# ---------------------------------------------------------------------------
# The participation ladder, month by month
# ---------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class _LevelRows:
    """The rows of :attr:`LadderMoves.levels` as arrays, sorted by month then member id: five
    bytes a row (19.5M member-months at 10M posts)."""

    ids: pd.Index            # the sorted ids of the rows
    member: np.ndarray       # int32 code of each row's id
    months: np.ndarray       # the month of each run of rows (months since 1970-01)
    run_lengths: np.ndarray  # rows in each run
    level: np.ndarray        # int8 ladder level of each row


@dataclass(frozen=True, eq=False, repr=False)
class LadderMoves(Display):
    """Ladder levels per member and month, and who moved up (see :func:`ladder_by_month`).

    Attributes
    ----------
    levels : DataFrame
        One row per member and month with level >= 1, sorted by month then
        member id: ``member_id`` (categorical, categories the sorted ids of
        the rows: 4 bytes a row), ``month`` (first instant, UTC),
        ``ladder_level`` (int8), ``ladder`` (ordered categorical of
        :data:`peerscope.participation.LADDER`).  Made when first read
        (19.5M rows at 10M posts); the result itself keeps 5 bytes a row.
    monthly : DataFrame
        Per month: ``month``, ``members``, ``moved_up``, ``share_moved_up``
        (NaN in the first month), ``mean_level``.
    share_ever_moved_up : float or None
        Members who moved up in some month after the first, over the
        members of the last month.  A return after a silent month counts
        (0 -> any rung), so with many months this is near 1 by construction.
    members : int
        Members of the last month.
    climbers : int
        Members who reached a rung above every rung of their earlier
        months, after their first active month (a return to a rung held
        before does not count).
    active_members : int
        Members with at least one active month in the window.
    host_repliers : int
    include_bots : bool
        The parameters used.

    Examples
    --------
    >>> from peerscope.participation import engagement
    >>> from peerscope.datasets.examples import tiny_history
    >>> corpus = tiny_history()
    >>> monthly = engagement.ladder_by_month(corpus).to_frame()
    >>> monthly[["members", "moved_up"]].values.tolist()
    [[3, 0], [3, 0], [3, 0], [3, 0], [3, 0], [3, 1]]
    """

    monthly: pd.DataFrame = field(repr=False)
    share_ever_moved_up: float | None
    members: int
    climbers: int
    active_members: int
    host_repliers: int
    include_bots: bool
    _rows: _LevelRows = field(repr=False)

    @cached_property
    def levels(self) -> pd.DataFrame:
        """One row per member and month with level >= 1 (see the class's attributes), made from
        the result's arrays when first read and kept."""
        rows = self._rows
        return pd.DataFrame({
            "member_id": pd.Categorical.from_codes(rows.member, dtype=pd.CategoricalDtype(rows.ids)),
            "month": month_starts(rows.months).repeat(rows.run_lengths).array,
            "ladder_level": rows.level,
            "ladder": pd.Categorical.from_codes(rows.level, categories=list(participation.LADDER), ordered=True)})

    def level_counts(self) -> pd.DataFrame:
        """Members at each ladder level in each month: one row per month with a member at level
        >= 1 (index: the month's first instant, UTC), one int64 column per level number.

        Examples
        --------
        >>> from peerscope.participation import engagement
        >>> from peerscope.datasets.examples import tiny_history
        >>> counts = engagement.ladder_by_month(tiny_history()).level_counts()
        >>> [(str(month.date()), level) for month, level in counts.idxmax(axis=1).items()]
        [('2024-01-01', 3), ('2024-02-01', 2), ('2024-06-01', 3)]
        """
        rows = self._rows
        ends = np.cumsum(rows.run_lengths)
        counts = [np.bincount(rows.level[end - length:end], minlength=len(participation.LADDER))
                  for end, length in zip(ends, rows.run_lengths)]
        return pd.DataFrame(np.array(counts, dtype=np.int64).reshape(len(counts), len(participation.LADDER)),
                            index=month_starts(rows.months))

    def _display_rows(self) -> list[tuple[str, object]]:
        months = self.monthly["month"]
        span = f"{fmt(months.iloc[0])} to {fmt(months.iloc[-1])}" if len(months) else "none"
        return [("months", f"{fmt(len(months))} ({span})"),
                ("members of the last month", self.members),
                ("active members", self.active_members),
                ("climbers", self.climbers),
                ("share ever moved up", self.share_ever_moved_up),
                ("member-months with a level", len(self._rows.level)),
                ("parameters", f"host_repliers {fmt(self.host_repliers)}, include_bots {self.include_bots}")]

    def to_frame(self) -> pd.DataFrame:
        """The monthly series: month, members, moved_up (int64), share_moved_up, mean_level (float).

        ``host_repliers`` and ``include_bots`` are in ``frame.attrs["parameters"]``.
        """
        frame = self.monthly.copy()
        frame.attrs["parameters"] = {"host_repliers": self.host_repliers, "include_bots": self.include_bots}
        return frame

    def plot(self, ax=None, *, min_cell: int = 0):
        """Members at each ladder level per month (log scale), as in the report; needs matplotlib.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Drawn on a new pyplot figure when None.
        min_cell : int
            Counts below it are not drawn (default 0: all).

        Returns
        -------
        matplotlib.axes.Axes
        """
        ax = axes(ax)
        draw_ladder_monthly(ax, self, participation.LADDER, min_cell)
        return ax


def ladder_by_month(corpus, start=None, end=None, *, include_bots: bool = False,
                    host_repliers: int = 2) -> LadderMoves:
    """The ladder level of each member in each calendar month (UTC), and moves up.

    A member's level in month m is the highest rung reached in m
    (:data:`peerscope.participation.LADDER`; 0 when nothing was recorded).
    The members of month m are, with a roster, persons who had joined before
    the month's end (an unknown join date counts as joined); without one,
    persons whose first recorded activity in the window came before the
    month's end.  A member *moved up* in m when level(m) > level(m - 1).

    Parameters
    ----------
    corpus : peerscope.Corpus
        pandas or Dask engine; the text is never read.
    start, end : time-like, optional
        The window ``[start, end)``; its months run from the window's first
        to last month (or the first to last month with activity).
    include_bots : bool
        Count members with role ``bot`` (default False).
    host_repliers : int
        Fewest distinct other repliers for a thread to count as hosted (default 2).

    Returns
    -------
    LadderMoves
        ``levels``: one row per member and month with level >= 1 (member_id
        categorical, month, ladder_level int8, ladder); ``monthly``: per month the members,
        how many moved up and the share (None for the first month, which has
        no previous month in the window) and the mean level over members;
        ``share_ever_moved_up``: members who moved up in at least one month
        after the first, over all members of the last month; ``climbers``:
        members who reached a rung above all their earlier months' rungs
        after their first active month, out of ``active_members``.

    Examples
    --------
    ann and bob reply to each other in January (level 3); ann only opens a
    thread in February (level 2); bob comes back in June (0 -> 3, a move up):

    >>> from peerscope.participation import engagement
    >>> from peerscope.datasets.examples import tiny_history
    >>> corpus = tiny_history()
    >>> moves = engagement.ladder_by_month(corpus)
    >>> moves.levels["ladder"].tolist()
    ['reply to others', 'reply to others', 'post', 'reply to others']
    >>> moves.members, round(moves.share_ever_moved_up, 4)
    (3, 0.3333)
    >>> moves.climbers, moves.active_members
    (0, 2)
    """
    kinds = participation._kinds(corpus, include_bots)
    members, codes, active_months, level = _member_month_levels(corpus, start, end, kinds, host_repliers)
    roster = participation._roster(corpus, start, end, kinds) if corpus.has_roster else None
    joined = participation._joined(corpus) if corpus.has_roster else None
    # one row per (member, month), sorted by month then member id: tens of millions of rows
    # for a large community, kept as codes: the ids a Categorical over the sorted ids of the
    # rows (the same on both engines), 4 bytes a row instead of a string each
    month_runs = run_starts(active_months)
    month_ends = np.append(month_runs[1:], len(active_months))
    used = np.flatnonzero(np.bincount(codes, minlength=len(members)))
    position = np.zeros(len(members), dtype=np.int32)
    position[used] = np.arange(len(used), dtype=np.int32)
    rows = _LevelRows(ids=members[used], member=position[codes], months=active_months[month_runs],
                      run_lengths=month_ends - month_runs, level=level.astype(np.int8))
    del position, used
    alignment = Alignment({"levels": members,
                           "roster": roster if roster is not None else pd.Index([], dtype="str"),
                           "joined": joined.index if joined is not None else pd.Index([], dtype="str")})
    codes = alignment.target("levels").codes.astype(np.int32)[codes]
    months = _months(corpus, start, end, active_months)
    if roster is not None:
        on_roster = alignment.target("roster")
        joined_at = pd.DatetimeIndex(alignment.take(joined, "joined", on_roster, pd.NaT))
        joined_month = np.where(joined_at.isna(), -1, months_from_times(joined_at))
        member_codes = on_roster.codes
    else:  # members from their first recorded activity in the window
        first = np.full(len(alignment.ids) + 1, np.iinfo(np.int64).max)
        np.minimum.at(first, codes, active_months)
        member_codes = np.flatnonzero(np.bincount(codes, minlength=len(alignment.ids)))
        joined_month = first[member_codes]
    # one row per member (and per poster outside the roster window), one column per month
    present = np.zeros(len(alignment.ids) + 1, dtype=bool)
    present[member_codes] = True
    present[codes] = True
    row_codes = np.flatnonzero(present[:-1])
    row_of = np.full(len(alignment.ids) + 1, -1, dtype=np.int64)
    row_of[row_codes] = np.arange(len(row_codes))
    member_since = np.full(len(row_codes), -1, dtype=np.int64)   # -1: a member from the start
    member_since[row_of[member_codes]] = joined_month
    values = np.zeros((len(row_codes), len(months)), dtype=np.int8)
    for begin, stop in zip(month_runs, month_ends):   # month by month: no per-row temporaries
        column = int(active_months[begin]) - (months[0] if months else 0)
        if 0 <= column < len(months):
            values[row_of[codes[begin:stop]], column] = level[begin:stop]
    del codes, active_months, level
    is_member = member_since[:, None] <= np.asarray(months, dtype=np.int64)[None, :]
    rose = np.zeros_like(is_member)
    rose[:, 1:] = values[:, 1:] > values[:, :-1]
    rose &= is_member
    counts = is_member.sum(axis=0)
    monthly = pd.DataFrame({
        "month": month_starts(months),
        "members": counts,
        "moved_up": rose.sum(axis=0),
        "share_moved_up": np.where(counts > 0, rose.sum(axis=0) / np.maximum(counts, 1), np.nan),
        "mean_level": np.where(counts > 0, (values * is_member).sum(axis=0, dtype=np.int64)
                               / np.maximum(counts, 1), np.nan),
    })
    if len(monthly):
        monthly.loc[0, ["moved_up", "share_moved_up"]] = [0, np.nan]
    last_members = int(counts[-1]) if len(counts) else 0
    ever = int(rose[:, 1:].any(axis=1).sum()) if len(months) > 1 else 0
    earlier_best = np.zeros_like(values)
    if len(months) > 1:
        earlier_best[:, 1:] = np.maximum.accumulate(values, axis=1)[:, :-1]
    climbers = int(((values > earlier_best) & (earlier_best >= 1)).any(axis=1).sum())
    return LadderMoves(monthly, ever / last_members if last_members else None, last_members,
                       climbers, int(values.any(axis=1).sum()), host_repliers, include_bots, rows)


def _months(corpus, start, end, active_months: np.ndarray) -> list[int]:
    """Month numbers from the window's first to last month (or the activity's)."""
    window = corpus.time_window.narrow(start, end)
    first = months_from_times(pd.Series([window.start])).iloc[0] if window.start is not None else None
    last = (months_from_times(pd.Series([window.end - pd.Timedelta(microseconds=1)])).iloc[0]
            if window.end is not None else None)
    if first is None:
        first = int(active_months.min()) if len(active_months) else None
    if last is None:
        last = int(active_months.max()) if len(active_months) else None
    if first is None or last is None:
        return []
    return list(range(int(first), int(last) + 1))


#: The rung one row reaches, from :data:`peerscope.participation._RUNG_OF` (the one statement
#: of the ladder): an event of these kinds (others reach none), a post, a reply to others, the
#: opening post of a hosted thread, a newsletter item; and the rung of a moderator or
#: facilitator in any month with a rung.  A level is the highest rung of a member's rows in the
#: month (``tests/test_engagement.py`` checks the levels against the activity ladder).
_RUNG_OF = participation._RUNG_OF
_EVENT_RUNGS = {**dict.fromkeys(participation.LISTENING_KINDS, _RUNG_OF["listening"]),
                "contribute": _RUNG_OF["contribute"], "facilitate": _RUNG_OF["facilitate"]}
_POST, _REPLY_TO_OTHERS, _HOSTED, _ITEM, _MODERATING = (
    _RUNG_OF[name] for name in ("posts", "replies_to_others", "threads_hosted", "newsletter_items", "moderating"))

# a (member code, month, rung) row packed in one int64 that sorts by month, then code, then
# rung: the rung in the low bits, above it the code, above that the month shifted into
# [0, 2**20) (months since 1970, +-43,000 years); a part keeps month and rung in one int32
_RUNG_BITS, _CODE_BITS, _MONTH_BITS = 3, 31, 20
_MONTH_SHIFT = 1 << (_MONTH_BITS - 1)


def _member_month_levels(corpus, start, end, kinds, host_repliers: int):
    """(member ids, code, month, level) of each (person, month) of the window with a level >= 1.

    ``member ids`` is a sorted ``str`` Index; the other three are arrays
    (int32, int64, int8), one row per (member, month), sorted by month then
    member id, the codes pointing into the ids.  On pandas the
    rungs are read and reduced as codes, in bounded memory
    (:func:`_read_rungs`); on Dask they are reduced on the workers
    (:func:`_lazy_rungs`), and one row per (member, month) is collected.
    """
    rungs = _read_rungs if corpus.engine == "pandas" else _lazy_rungs
    ids, codes, months, level = rungs(corpus, start, end, kinds, host_repliers)
    release_freed_memory()   # the sorts' temporaries, before the ladder's table is built
    members = pd.Index(pd.array(ids, dtype="str"))   # from Arrow, no Python string per id
    role = kinds.role
    moderating = members.isin(role.index[role.isin(participation.MODERATING_ROLES).to_numpy(dtype=bool)])
    level = np.where(moderating[codes], np.int8(_MODERATING), level)
    person = kinds.person(members)[codes]
    return members, codes[person], months[person], level[person]


class _HighestRungs:
    """The highest rung per (member id, month) of rows added part by part.

    Each part comes coded against its own ids (the dictionary of a Parquet
    row group of events, the posts' authors).  A part is reduced at once to
    its highest rung per (id, month), and the parts are merged (their ids
    unified by :func:`~peerscope._kernels.links.encode`, and reduced again)
    whenever they hold as many rows as what was merged before: the tens of
    millions of events of a large community are never in memory together.
    The result comes sorted, so that the ladder's table needs no sort of
    its own (one row per (member, month): tens of millions at 10M posts).
    """

    def __init__(self):
        self._merged = (pa.array([], pa.string()), np.zeros(0, np.int32), np.zeros(0, np.int32))
        self._parts: list[tuple[pa.Array, np.ndarray, np.ndarray]] = []
        self._pending = 0

    def add(self, ids: pa.Array, codes: np.ndarray, months: np.ndarray, rungs: np.ndarray) -> None:
        """Rows given as codes into ``ids`` (-1: no id), months and rungs (0: none, left out)."""
        ids, codes, low = _reduced(ids, codes, months, rungs)
        codes, low = _highest(codes, low)
        self._parts.append((ids, codes, low))
        self._pending += len(codes)
        if self._pending >= max(len(self._merged[1]), 1 << 22):
            self._merge()

    def _merge(self, sort_ids: bool = False) -> None:
        """Merge the parts into one; with ``sort_ids`` the ids sorted (code order is id order)."""
        parts = [self._merged, *self._parts]
        column = pa.chunked_array([pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), ids)
                                   for ids, codes, _ in parts], pa.dictionary(pa.int32(), pa.string()))
        codes, ids = encode(column)
        del column
        if sort_ids:
            rank = sort_ranks(ids)
            ids = ids.take(pa.array(np.argsort(rank)))
            codes = rank.astype(np.int32)[codes]
        low = np.concatenate([low for _, _, low in parts])
        self._parts, self._pending = [], 0
        self._merged = (ids, *_highest(codes, low))

    def result(self) -> tuple[pa.Array, np.ndarray, np.ndarray, np.ndarray]:
        """(sorted ids, int32 code, int64 month, int8 rung), one row per (id, month) with a rung,
        sorted by month, then id."""
        self._merge(sort_ids=True)
        ids, codes, low = self._merged
        months = (low >> _RUNG_BITS).astype(np.int64) - _MONTH_SHIFT
        return ids, codes, months, (low & ((1 << _RUNG_BITS) - 1)).astype(np.int8)


class _RosterRungs:
    """:class:`_HighestRungs` for a corpus with a roster: every id coded once, the rungs a table.

    The roster's ids take the first codes, and an id off the roster (a
    deleted account, a poster outside the roster's window) the next free
    code when it first comes.  The parts wait until they name a few times as
    many ids as are coded, and are then coded together by
    :func:`~peerscope._kernels.links.encode` with the coded ids first (which
    keeps their codes): the roster is hashed once per few million rows, not
    once per part, and no merged dictionary is hashed again.  The highest
    rung of each (month, code) is kept in an int8 table of one row per month
    and one column per code, where the rows are folded in as they come with
    ``numpy.maximum.at`` (repeated cells keep their highest rung): no merge
    and no sort of the rows.  The table is no larger than the ladder's own
    (member x month) table of levels.
    """

    def __init__(self, roster: pa.Array):
        self._ids = roster
        self._table = np.zeros((0, 0), dtype=np.int8)
        self._first_month = 0
        self._parts: list[tuple[pa.Array, np.ndarray, np.ndarray]] = []
        self._pending = 0

    def add(self, ids: pa.Array, codes: np.ndarray, months: np.ndarray, rungs: np.ndarray) -> None:
        """Rows given as codes into ``ids`` (-1: no id), months and rungs (0: none, left out)."""
        ids, codes, low = _reduced(ids, codes, months, rungs)
        self._parts.append((ids, codes, low))
        self._pending += len(ids)
        if self._pending >= max(4 * len(self._ids), 1 << 22):
            self._fold()

    def _fold(self) -> None:
        """Code the waiting parts against the ids coded so far and fold them into the table."""
        parts, self._parts, self._pending = self._parts, [], 0
        if not sum(len(codes) for _, codes, _ in parts):
            return
        column = pa.chunked_array(
            [pa.DictionaryArray.from_arrays(pa.array([], pa.int32()), self._ids)]
            + [pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), ids) for ids, codes, _ in parts],
            pa.dictionary(pa.int32(), pa.string()))
        codes, self._ids = encode(column)
        del column
        low = np.concatenate([low for _, _, low in parts])
        del parts
        self._put(codes, low)

    def add_coded(self, codes: np.ndarray, months: np.ndarray, rungs: np.ndarray) -> None:
        """Rows given as positions in the roster (its ids keep them as codes), months and rungs
        (0: none, left out): no id to look up."""
        keep = rungs > 0
        low = _packed(months[keep], rungs[keep])
        self._put(codes[keep], low)

    def _put(self, codes: np.ndarray, low: np.ndarray) -> None:
        """Fold rows of ``codes`` and ``low`` (month and rung packed) into the table."""
        if not len(codes):
            return
        cells = (low >> _RUNG_BITS).astype(np.int64)   # the month, then the cell of the table
        self._fit(int(cells.min()) - _MONTH_SHIFT, int(cells.max()) - _MONTH_SHIFT)
        cells -= self._first_month + _MONTH_SHIFT
        cells *= self._table.shape[1]
        cells += codes
        del codes
        low &= (1 << _RUNG_BITS) - 1
        np.maximum.at(self._table.reshape(-1), cells, low.astype(np.int8))

    def _fit(self, first: int, last: int) -> None:
        """Widen the table to every coded id and to the months ``first`` to ``last``."""
        if len(self._table):
            first = min(first, self._first_month)
            last = max(last, self._first_month + len(self._table) - 1)
        if (first, last - first + 1, len(self._ids)) == (self._first_month, *self._table.shape):
            return
        table = np.zeros((last - first + 1, len(self._ids)), dtype=np.int8)
        rows, columns = self._table.shape
        table[self._first_month - first:][:rows, :columns] = self._table
        self._table, self._first_month = table, first

    def result(self) -> tuple[pa.Array, np.ndarray, np.ndarray, np.ndarray]:
        """As :meth:`_HighestRungs.result`: only the ids with a rung, sorted."""
        self._fold()
        used = np.flatnonzero(self._table.any(axis=0))
        ids = self._ids.take(pa.array(used))
        order = np.argsort(sort_ranks(ids))
        ids, used = ids.take(pa.array(order)), used[order]   # the table's columns in id order
        size = np.count_nonzero(self._table)
        codes, months, rungs = np.empty(size, np.int32), np.empty(size, np.int64), np.empty(size, np.int8)
        begin = 0
        for month, row in enumerate(self._table, start=self._first_month):
            levels = row[used]
            found = np.flatnonzero(levels)
            stop = begin + len(found)
            codes[begin:stop], months[begin:stop], rungs[begin:stop] = found, month, levels[found]
            begin = stop
        return ids, codes, months, rungs


def _reduced(ids: pa.Array, codes: np.ndarray, months: np.ndarray,
             rungs: np.ndarray) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """A part's rows with an id (not -1) and a rung (not 0), as (the ids used, int32 codes into
    them, month and rung packed as ``low``).

    Only the ids used are kept: a row group's dictionary holds every id of the row group.
    """
    keep = (codes >= 0) & (rungs > 0)
    low = _packed(months[keep], rungs[keep])
    codes = codes[keep]
    used = np.flatnonzero(np.bincount(codes, minlength=len(ids)))
    position = np.zeros(len(ids), dtype=np.int32)
    position[used] = np.arange(len(used), dtype=np.int32)
    return ids.cast(pa.string()).take(pa.array(used)), position[codes], low


def _packed(months: np.ndarray, rungs: np.ndarray) -> np.ndarray:
    """Each row's month and rung packed as ``low`` (int32), as :class:`_HighestRungs` keeps them."""
    low = months.astype(np.int32)   # in place from here: a part can be millions of rows
    low += _MONTH_SHIFT
    low <<= _RUNG_BITS
    low |= rungs
    return low


def _highest(codes: np.ndarray, low: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The highest rung of each (code, month): (codes, month and rung packed as ``low``),
    sorted by month, then code.

    ``low`` holds each row's month and rung packed as in :class:`_HighestRungs`.
    """
    rung = (1 << _RUNG_BITS) - 1
    packed = (low >> _RUNG_BITS).astype(np.int64)
    packed <<= _CODE_BITS + _RUNG_BITS
    wide = codes.astype(np.int64)
    wide <<= _RUNG_BITS
    packed |= wide
    packed |= low & rung
    del codes, low
    packed.sort()
    np.right_shift(packed, _RUNG_BITS, out=wide)   # (month, code) of each row
    last = np.ones(len(packed), dtype=bool)   # the highest rung of a (month, code) sorts last
    np.not_equal(wide[1:], wide[:-1], out=last[:-1])
    del wide
    packed = packed[last]
    del last
    codes = ((packed >> _RUNG_BITS) & ((1 << _CODE_BITS) - 1)).astype(np.int32)
    low = ((packed >> (_CODE_BITS + _RUNG_BITS)) << _RUNG_BITS).astype(np.int32)
    low |= (packed & rung).astype(np.int32)
    return codes, low


def _read_rungs(corpus, start, end, kinds, host_repliers: int):
    """The highest rung per (member, month) of the window's posts, events and newsletter items (pandas).

    The posts as :class:`~peerscope._kernels.links.LinkedPosts` (hosted
    threads as in :func:`~peerscope._kernels.post_counts.post_parts`), the
    events a Parquet row group at a time, the ids as codes throughout: no
    frame of string ids, and no count that the ladder does not need.
    With a roster the ids are coded against it (:class:`_RosterRungs`).
    Returns what :meth:`_HighestRungs.result` does.
    """
    roster = _roster_ids(corpus)
    highest = _HighestRungs() if roster is None else _RosterRungs(roster)
    linked = read_linked(corpus)
    rows = linked.rows(start, end)
    author, has_parent = select(linked.author, rows), select(linked.has_parent, rows)
    target = linked.targets(rows)
    rung = np.where(has_parent & ((target < 0) | (target != author)), _REPLY_TO_OTHERS, _POST).astype(np.int8)
    del target
    is_bot = np.append(linked.ids.isin(kinds.bots), False)
    rung[hosted_openers(linked, rows, author, has_parent, is_bot, host_repliers)] = _HOSTED
    highest.add(pa.array(linked.ids, pa.string()), author, linked.months(rows), rung)
    del linked, rows, author, has_parent, rung
    release_freed_memory()
    if roster is None:
        for batch in corpus.arrow_batches("events", ["member_id", "kind", "at"], start=start, end=end,
                                          batch_size=1 << 20, dictionary=("member_id", "kind")):
            kind, kinds_read = encode(batch.column("kind"))
            rung_of_kind = np.array([_EVENT_RUNGS.get(name, 0) for name in kinds_read.to_pylist()] + [0], np.int8)
            codes, ids = encode(batch.column("member_id"))
            highest.add(ids, codes, months_from_micros(micros(batch.column("at"))), rung_of_kind[kind])
    else:   # the events' ids found on the roster by one hash join in the columnar engine
        rung_of_kind = np.array(list(_EVENT_RUNGS.values()), dtype=np.int8)
        batches = corpus.arrow_batches("events", ["member_id", "kind", "at"], start=start, end=end,
                                       batch_size=1 << 20)
        for batch in columnar.member_rows(batches, roster, "member_id", "at", codes={"kind": tuple(_EVENT_RUNGS)}):
            highest.add_coded(batch.column("member").to_numpy(), months_from_micros(batch.column("at").to_numpy()),
                              rung_of_kind[batch.column("kind").to_numpy()])
    items = corpus.arrow("newsletter_items", ["author_id", "published_at"], start=start, end=end)
    codes, ids = encode(items.column("author_id"))
    highest.add(ids, codes, months_from_micros(micros(items.column("published_at"))),
                np.full(len(codes), _ITEM, dtype=np.int8))
    return highest.result()


def _roster_ids(corpus) -> pa.Array | None:
    """The roster's member ids as one Arrow string array (None without a roster)."""
    if not corpus.has_roster:
        return None
    return corpus.arrow("members", ["member_id"]).column(0).combine_chunks().cast(pa.string())


def _lazy_rungs(corpus, start, end, kinds, host_repliers: int):
    """:func:`_read_rungs` as grouped aggregations of the corpus's engine (Dask: on the workers).

    One frame of (member_id, month, rung) rows per source (posts, the opening
    posts of hosted threads as :func:`peerscope.participation.ladder_inputs`
    finds them, events, newsletter items), non-persons and rows without a
    rung left out, stacked and reduced to the highest rung per (member,
    month) in one aggregation: the client receives one int8 per (member,
    month), never a row per post, event or (member, month) of each source.
    On pandas frames the same code runs in process (``tests/test_engagement.py``
    checks it against :func:`_read_rungs`).
    """
    excluded = list(kinds.unknown) + list(kinds.bots)

    def rungs(frame, member: str, time: str, rung):
        frame = frame.assign(member_id=frame[member], month=months_from_times(frame[time]).astype("int32"),
                             rung=rung)[["member_id", "month", "rung"]].astype({"rung": "int8"})
        return frame[(frame["rung"] > 0) & ~frame["member_id"].isna() & ~frame["member_id"].isin(excluded)]

    posts = corpus.posts(columns=participation._POST_COLUMNS, start=start, end=end)
    posts = participation._with_parent_authors(corpus, posts, start, end)
    to_other = ~posts["parent_id"].isna() & (posts["parent_author_id"].isna()
                                             | (posts["parent_author_id"] != posts["author_id"]))
    hosted = participation._hosted_starters(posts, kinds.bots, host_repliers)
    frames = [rungs(posts, "author_id", "created_at", to_other.astype("int8") * (_REPLY_TO_OTHERS - _POST) + _POST),
              rungs(hosted, "starter_id", "created_at", _HOSTED)]
    if corpus.has_table("events"):
        events = corpus.events(columns=["member_id", "kind", "at"], start=start, end=end)
        rung = sum((events["kind"] == kind).fillna(False).astype("int8") * value
                   for kind, value in _EVENT_RUNGS.items())
        frames.append(rungs(events, "member_id", "at", rung))
    if corpus.has_table("newsletter_items"):
        items = corpus.newsletter_items(columns=["author_id", "published_at"], start=start, end=end)
        frames.append(rungs(items, "author_id", "published_at", _ITEM))
    highest = engine.concat(frames).groupby(["member_id", "month"], sort=False, dropna=True,
                                            observed=True)["rung"].max()
    highest = participation._id_levels(engine.collect(highest))
    # one row per (member, month) already: sorted as _read_rungs sorts them, ids first
    index, levels = highest.index, highest.to_numpy(dtype=np.int8)
    ids = string_array(index.levels[0])
    rank = sort_ranks(ids)
    codes = rank.astype(np.int32)[index.codes[0]]
    months = index.levels[1].to_numpy()[index.codes[1]]
    del highest, index
    order = np.lexsort((codes, months))
    return ids.take(pa.array(np.argsort(rank))), codes[order], months[order], levels[order]


# ---------------------------------------------------------------------------
# Frequency and regularity
# ---------------------------------------------------------------------------

def _week_number(times: pd.Series) -> np.ndarray:
    """Weeks (Monday to Sunday, UTC) since the epoch; 1970-01-01 was a Thursday."""
    days = times.astype("int64").to_numpy() // 86_400_000_000
    return (days + 3) // 7


def frequency(corpus, start=None, end=None, *, include_bots: bool = False) -> pd.DataFrame:
    """Posting frequency and regularity per poster.

    Definitions:

    - ``active_weeks``: distinct calendar weeks (Monday-Sunday, UTC) with a post;
    - ``posts_per_active_week = posts / active_weeks``;
    - ``burstiness`` of the gaps between consecutive posts (Goh & Barabasi
      2008): B = (sigma - mu) / (sigma + mu), mu and sigma the mean and
      (population) standard deviation of the gaps in seconds.  B = -1 for
      perfectly regular posting, about 0 for a Poisson process, near 1 for
      bursts.  Undefined (NaN) with fewer than 2 gaps (3 posts) or when every
      gap is 0.

    Parameters
    ----------
    corpus : peerscope.Corpus
        pandas or Dask engine (on Dask the posts are shuffled by member on the
        workers and only the per-poster table is collected).
    start, end : time-like, optional
        The window ``[start, end)``.
    include_bots : bool
        Give members with role ``bot`` a row (default False).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``member_id`` (posters only): ``posts``, ``active_weeks``,
        ``posts_per_active_week``, ``gaps``, ``mean_gap_days``, ``burstiness``.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope.participation import engagement
    >>> from peerscope.datasets.examples import tiny_history
    >>> corpus = tiny_history()
    >>> table = engagement.frequency(corpus)
    >>> table.loc["ann", ["posts", "active_weeks", "gaps"]].tolist()
    [3, 2, 2]
    >>> round(float(table.loc["ann", "burstiness"]), 4), bool(pd.isna(table.loc["bob", "burstiness"]))
    (-0.0678, True)
    """
    posts = _person_posts(corpus, start, end, include_bots)
    if engine.is_dask(posts):
        # the gaps need each member's posts in time order: the rows are shuffled by member on
        # the workers and the same per-member arithmetic runs there, partition by partition;
        # only the per-member table comes back
        return _member_index(engine.per_group(posts, "member_id", _sorted_frequency_table))
    return _frequency_table(posts)


def _sorted_frequency_table(posts: pd.DataFrame) -> pd.DataFrame:
    """:func:`_frequency_table` of rows in any order (a Dask partition holding whole members)."""
    return _frequency_table(posts.sort_values(["member_id", "created_at"], kind="stable"))


def _frequency_table(posts: pd.DataFrame) -> pd.DataFrame:
    """The per-member figures of :func:`frequency` from (member_id, created_at) rows sorted by
    member, then time (every member's posts in one frame)."""
    # every per-member figure is a bincount over the member's group number (no groupby over
    # millions of string ids); sums run in each member's time order, so the numbers are the
    # same bits whichever rows of other members share the frame
    group, members = pd.factorize(posts["member_id"])
    n = len(members)
    week = _week_number(posts["created_at"])
    later = np.ones(len(group), dtype=bool)   # every post but each member's first
    later[run_starts(group)] = False
    times = posts["created_at"].astype("int64").to_numpy()
    gap_group = group[later]
    gaps = np.diff(times)[later[1:]] / 1e6   # seconds between a member's consecutive posts
    gap_count = np.bincount(gap_group, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_gap = np.bincount(gap_group, weights=gaps, minlength=n) / gap_count
        # the population variance in two passes (about the mean), as stable as pandas' own
        sd_gap = np.sqrt(np.bincount(gap_group, weights=(gaps - mean_gap[gap_group]) ** 2, minlength=n)
                         / gap_count)
    table = pd.DataFrame({
        "posts": np.bincount(group, minlength=n),
        "active_weeks": np.bincount(group[run_starts(group, week)], minlength=n),
        "gaps": gap_count,
        "mean_gap": mean_gap,
        "sd_gap": sd_gap,
    }, index=pd.Index(members, name="member_id"))
    table["posts_per_active_week"] = table["posts"] / table["active_weeks"]
    spread = table["sd_gap"] + table["mean_gap"]
    burst = (table["sd_gap"] - table["mean_gap"]) / spread.where(spread > 0)
    table["burstiness"] = burst.where(table["gaps"] >= 2)
    table["mean_gap_days"] = table["mean_gap"] / 86_400
    return table[["posts", "active_weeks", "posts_per_active_week", "gaps", "mean_gap_days",
                  "burstiness"]].rename_axis("member_id")


# ---------------------------------------------------------------------------
# Tenure, withdrawal and survival
# ---------------------------------------------------------------------------

@dataclass(frozen=True, eq=False, repr=False)
class Survival(Display):
    """Tenure per poster and its Kaplan-Meier survival curve (see :func:`survival`).

    Attributes
    ----------
    members : DataFrame
        Per poster (index ``member_id``): ``first_post``, ``last_post``,
        ``tenure_days``, ``withdrawn``.
    curve : DataFrame
        The Kaplan-Meier curve (:func:`kaplan_meier`).
    withdrawal : pandas.Timedelta
        Silence that counts as withdrawal.
    observation_end : pandas.Timestamp or None
        The window's end, or the last post of an open window.
    median_tenure_days : float or None
        First time the survival falls to 0.5 or below (None: never).
    confidence : float
        Coverage of the interval.

    Examples
    --------
    >>> from peerscope.participation import engagement
    >>> from peerscope.datasets.examples import tiny_history
    >>> corpus = tiny_history()
    >>> engagement.survival(corpus).to_frame()[["at_risk", "withdrawn", "censored", "survival"]].values.tolist()
    [[2.0, 1.0, 0.0, 0.5], [1.0, 0.0, 1.0, 0.5]]
    """

    members: pd.DataFrame = field(repr=False)
    curve: pd.DataFrame = field(repr=False)
    withdrawal: pd.Timedelta
    observation_end: pd.Timestamp | None
    median_tenure_days: float | None
    confidence: float

    def _display_rows(self) -> list[tuple[str, object]]:
        return [("posters", len(self.members)),
                ("withdrawn", int(self.members["withdrawn"].sum()) if len(self.members) else 0),
                ("median tenure (days)", self.median_tenure_days),
                ("withdrawal after", self.withdrawal),
                ("observation end", self.observation_end),
                ("curve", self.curve),
                ("confidence", self.confidence)]

    def to_frame(self) -> pd.DataFrame:
        """The survival curve: days (float), at_risk, withdrawn, censored (int64), survival, ci_low, ci_high.

        ``withdrawal_days``, ``observation_end`` and ``confidence`` are in
        ``frame.attrs["parameters"]``.
        """
        frame = self.curve.copy()
        frame.attrs["parameters"] = {"withdrawal_days": self.withdrawal / _DAY,
                                     "observation_end": self.observation_end,
                                     "confidence": self.confidence}
        return frame

    def plot(self, ax=None, *, min_cell: int = 0, **kw):
        """The Kaplan-Meier curve with its interval, as in the report; needs matplotlib.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Drawn on a new pyplot figure when None.
        min_cell : int
            Points with fewer posters at risk are not drawn (default 0: all).
        **kw
            Passed to the curve's ``ax.step``.

        Returns
        -------
        matplotlib.axes.Axes
        """
        ax = axes(ax)
        draw_survival(ax, self, min_cell, **kw)
        return ax


def kaplan_meier(durations, events, confidence: float = 0.95) -> pd.DataFrame:
    """Kaplan-Meier estimate S(t) = prod_{t_i <= t} (1 - d_i / n_i) (Kaplan & Meier 1958).

    ``durations`` are times to the event or to censoring, ``events`` True
    where the event was observed.  n_i = subjects with duration >= t_i, d_i =
    events at t_i.  The interval is Greenwood's: S +- z sqrt(S^2 sum d / (n (n - d))),
    clipped to [0, 1] (undefined, NaN, once S reaches 0).  ``scipy.stats.ecdf``
    computes the same estimate as products of (n_i - d_i) / n_i, which round
    differently and move the median tenure where S reaches exactly 0.5, so
    the published products of 1 - d_i / n_i are kept.

    Parameters
    ----------
    durations : array-like of float
        Time (days) to the event or to censoring, one per subject.
    events : array-like of bool
        True where the event (withdrawal) was observed, False where censored.
    confidence : float
        Coverage of the Greenwood interval (default 0.95).

    Returns
    -------
    pandas.DataFrame
        One row per distinct duration: ``days``, ``at_risk``, ``withdrawn``,
        ``censored``, ``survival``, ``ci_low``, ``ci_high``.  Empty without subjects.

    Examples
    --------
    >>> curve = kaplan_meier([2, 3, 3, 5], [True, True, False, True])
    >>> curve[["days", "at_risk", "survival"]].values.tolist()
    [[2.0, 4.0, 0.75], [3.0, 3.0, 0.5], [5.0, 1.0, 0.0]]
    >>> round(float(curve.loc[0, "ci_low"]), 4)
    0.3257
    """
    from scipy.stats import norm

    frame = pd.DataFrame({"days": np.asarray(durations, dtype=float),
                          "event": np.asarray(events, dtype=bool)})
    table = frame.groupby("days").agg(withdrawn=("event", "sum"), subjects=("event", "size"))
    table["censored"] = table["subjects"] - table["withdrawn"]
    table["at_risk"] = table["subjects"][::-1].cumsum()[::-1]
    hazard = table["withdrawn"] / table["at_risk"]
    table["survival"] = (1 - hazard).cumprod()
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = table["withdrawn"] / (table["at_risk"] * (table["at_risk"] - table["withdrawn"]))
    spread = norm.ppf(0.5 + confidence / 2) * np.sqrt(table["survival"] ** 2 * terms.cumsum())
    table["ci_low"] = (table["survival"] - spread).clip(0, 1)
    table["ci_high"] = (table["survival"] + spread).clip(0, 1)
    table = table.reset_index()
    return table[["days", "at_risk", "withdrawn", "censored", "survival", "ci_low", "ci_high"]].astype(
        {"at_risk": "int64", "withdrawn": "int64", "censored": "int64"})


def survival(corpus, start=None, end=None, *, withdrawal="90D", include_bots: bool = False,
             confidence: float = 0.95, by: str | None = None, groups=None):
    """Tenure and withdrawal of posters, with a Kaplan-Meier survival curve.

    Definitions (docs/concepts.md, "Frequency and length of engagement"):

    - tenure = last post - first post in the window, in days;
    - a poster has *withdrawn* when no post follows their last one for
      ``withdrawal`` (default 90 days) before the observation end (the
      window's end, or the last post of the window when it is open-ended):
      last_post + withdrawal <= observation_end.  Others are still active:
      their tenure is censored (it is at least what was seen).

    Parameters
    ----------
    corpus : peerscope.Corpus
        pandas or Dask engine (on Dask only each poster's first and last
        post are collected).
    start, end : time-like, optional
        The window ``[start, end)``.
    withdrawal : str or pandas.Timedelta
        Silence after the last post that counts as withdrawal (default ``"90D"``).
    include_bots : bool
        Count members with role ``bot`` (default False).
    confidence : float
        Coverage of the Kaplan-Meier interval (default 0.95).
    by : str, optional
        A member attribute (a column of ``members``, e.g. ``reason_joined``):
        compare its groups instead (:mod:`peerscope.participation.groups`):
        posters, withdrawn share (Wilson interval, chi-square) and the
        Kaplan-Meier median tenure per group, with the log-rank test of two
        groups.
    groups : sequence of str, optional
        With ``by``: the groups to compare (the other values are pooled
        into ``other``); two groups for the log-rank test.

    Returns
    -------
    Survival
        ``members`` (first_post, last_post, tenure_days, withdrawn), the
        Kaplan-Meier ``curve`` of tenure with withdrawal as the event
        (:func:`kaplan_meier`), the median tenure (first time S <= 0.5; None
        if never reached), and the parameters.  With ``by``, a
        :class:`~peerscope.participation.groups.GroupComparison`.

    Examples
    --------
    The observation ends with bob's last post (1 June); ann's last post
    (10 February) is more than 90 days earlier, so ann withdrew:

    >>> from peerscope.participation import engagement
    >>> from peerscope.datasets.examples import tiny_history
    >>> corpus = tiny_history()
    >>> result = engagement.survival(corpus)
    >>> result.members["withdrawn"].to_dict()
    {'ann': True, 'bob': False}
    >>> round(result.median_tenure_days, 4)
    40.0208
    """
    withdrawal = pd.Timedelta(withdrawal)
    posts = _person_posts(corpus, start, end, include_bots)
    window = corpus.time_window.narrow(start, end)
    if engine.is_dask(posts):   # each poster's first and last post, found on the workers
        members = _member_index(engine.aggregate(posts, "member_id", first_post=("created_at", "min"),
                                                 last_post=("created_at", "max")))
        last = members["last_post"].max() if len(members) else None
    else:
        grouped = posts.groupby("member_id")["created_at"]
        members = pd.DataFrame({"first_post": grouped.min(), "last_post": grouped.max()})
        last = posts["created_at"].max() if len(posts) else None
    observation_end = window.end if window.end is not None else last
    members["tenure_days"] = (members["last_post"] - members["first_post"]) / _DAY
    members["withdrawn"] = (members["last_post"] + withdrawal) <= observation_end \
        if observation_end is not None else False
    if by is not None:
        parameters = {"start": window.start, "end": window.end, "withdrawal_days": withdrawal / _DAY,
                      "observation_end": observation_end, "confidence": confidence, "include_bots": include_bots}
        return _tenure(member_groups(corpus, by, groups), members, kaplan_meier, attribute=by, groups=groups,
                       confidence=confidence, parameters=parameters)
    curve = kaplan_meier(members["tenure_days"], members["withdrawn"], confidence)
    reached = curve.loc[curve["survival"] <= 0.5, "days"]
    return Survival(members.rename_axis("member_id"), curve, withdrawal, observation_end,
                    float(reached.iloc[0]) if len(reached) else None, confidence)


# ---------------------------------------------------------------------------
# Time of use
# ---------------------------------------------------------------------------

@dataclass(frozen=True, eq=False, repr=False)
class TimeProfile(Display):
    """Posts by weekday and hour in one timezone (see :func:`time_profile`).

    Attributes
    ----------
    table : DataFrame
        7 x 24 rows: ``weekday`` (0 = Monday), ``weekday_name``, ``hour``,
        ``posts``, ``share``.
    timezone : str
        The IANA zone of the local clock.
    day_resolution : bool
        True when every time is at midnight UTC (the source recorded days only).

    Examples
    --------
    >>> from peerscope.participation import engagement
    >>> from peerscope.datasets.examples import tiny_history
    >>> corpus = tiny_history()
    >>> frame = engagement.time_profile(corpus).to_frame()
    >>> len(frame), int(frame["posts"].sum())
    (168, 5)
    """

    table: pd.DataFrame = field(repr=False)
    timezone: str
    day_resolution: bool

    def _display_rows(self) -> list[tuple[str, object]]:
        table = self.table
        busiest = table.loc[table["posts"].idxmax()] if table["posts"].any() else None
        return [("posts", int(table["posts"].sum())),
                ("busiest hour", "n/a" if busiest is None else
                 f"{busiest['weekday_name']} {int(busiest['hour']):02d}:00 ({fmt(int(busiest['posts']))} posts)"),
                ("timezone", self.timezone),
                ("day resolution", self.day_resolution),
                ("table", table)]

    def to_frame(self) -> pd.DataFrame:
        """weekday (0 = Monday), weekday_name, hour, posts (int64), share (float): 7 x 24 rows.

        ``timezone`` and ``day_resolution`` are in ``frame.attrs["parameters"]``.
        """
        frame = self.table.copy()
        frame.attrs["parameters"] = {"timezone": self.timezone, "day_resolution": self.day_resolution}
        return frame

    def plot(self, ax=None, **kw):
        """Posts by weekday and hour as a grey heatmap, as in the report; needs matplotlib.

        ``kw`` go to ``ax.imshow``.  Returns the matplotlib Axes (a new
        pyplot figure's when ``ax`` is None).
        """
        ax = axes(ax)
        draw_time_heatmap(ax, self, **kw)
        return ax


_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def time_profile(corpus, start=None, end=None, *, timezone: str = "UTC",
                 include_bots: bool = False) -> TimeProfile:
    """Hour-of-day x weekday profile of members' posts in ``timezone``.

    Each post is placed at its local weekday and hour in ``timezone`` (an
    IANA name such as ``"Europe/London"``; daylight saving is applied per
    post); ``share`` = posts in the cell / all posts.  When every time is at
    midnight UTC the source only recorded days: hours are meaningless and
    ``day_resolution`` is True (the table is still returned).

    Parameters
    ----------
    corpus : peerscope.Corpus
        pandas or Dask engine (on Dask only the 7 x 24 counts are collected).
    start, end : time-like, optional
        The window ``[start, end)``.
    timezone : str
        IANA timezone of the local clock (default ``"UTC"``).
    include_bots : bool
        Count posts by members with role ``bot`` (default False).

    Returns
    -------
    TimeProfile
        7 x 24 rows, every cell present (0 when empty); ``share`` is NaN when
        there are no posts.

    Examples
    --------
    The post of Saturday 1 June 2024 08:00 UTC is at 09:00 in London (BST):

    >>> from peerscope.participation import engagement
    >>> from peerscope.datasets.examples import tiny_history
    >>> corpus = tiny_history()
    >>> profile = engagement.time_profile(corpus, timezone="Europe/London")
    >>> cells = profile.to_frame().query("posts > 0")
    >>> cells[["weekday_name", "hour", "posts"]].values.tolist()[-2:]
    [['Saturday', 9, 1], ['Saturday', 20, 1]]
    >>> profile.day_resolution
    False
    """
    posts = _person_posts(corpus, start, end, include_bots)
    times = posts["created_at"]
    local = times.dt.tz_convert(timezone)
    if engine.is_dask(posts):
        # the 7 x 24 counts, the posts and those off midnight UTC, in one pass on the workers
        placed = posts.assign(weekday=local.dt.day_of_week, hour=local.dt.hour)
        cells, n_posts, off_midnight = engine.collect_together(
            placed.groupby(["weekday", "hour"]).size(), times.count(),
            (times != times.dt.floor("D")).sum())
        day_resolution = bool(n_posts) and not off_midnight
    else:
        day_resolution = bool(len(times)) and not (times.astype("int64") % 86_400_000_000).any()
        cells = pd.DataFrame({"weekday": local.dt.day_of_week, "hour": local.dt.hour}).value_counts()
    full = pd.MultiIndex.from_product([range(7), range(24)], names=["weekday", "hour"])
    table = cells.reindex(full, fill_value=0).rename("posts").reset_index()
    table["posts"] = table["posts"].astype("int64")
    total = table["posts"].sum()
    table["share"] = table["posts"] / total if total else np.nan
    table.insert(1, "weekday_name", pd.Categorical.from_codes(table["weekday"], list(_WEEKDAYS),
                                                              ordered=True))
    return TimeProfile(table, timezone, day_resolution)


# ---------------------------------------------------------------------------
# Monthly series
# ---------------------------------------------------------------------------

def monthly(corpus, start=None, end=None, *, withdrawal="90D", include_bots: bool = False,
            host_repliers: int = 2) -> pd.DataFrame:
    """Monthly series (calendar months, UTC) of the engagement measures.

    Columns: ``month``; ``posts`` and ``posters`` (members' posts and distinct
    posters in the month); ``new_posters`` (first post of the window in the
    month: de-lurked or new); ``posts_per_poster``; ``median_burstiness`` of
    the month's posters (their whole-window burstiness,
    :func:`frequency`); ``withdrawn`` (posters whose last post falls in the
    month and who withdrew, :func:`survival`); and from
    :func:`ladder_by_month` ``members``, ``moved_up``, ``share_moved_up``
    and ``mean_level``.

    Parameters
    ----------
    corpus : peerscope.Corpus
        pandas or Dask engine; the text is never read.
    start, end : time-like, optional
        The window ``[start, end)``.
    withdrawal : str or pandas.Timedelta
        Silence that counts as withdrawal (:func:`survival`; default ``"90D"``).
    include_bots : bool
        Count members with role ``bot`` (default False).
    host_repliers : int
        Fewest distinct other repliers of a hosted thread (:func:`ladder_by_month`).

    Returns
    -------
    pandas.DataFrame
        One row per month from the first to the last (months without posts
        included), ``month`` the first instant of the month (UTC).

    Examples
    --------
    >>> from peerscope.participation import engagement
    >>> from peerscope.datasets.examples import tiny_history
    >>> corpus = tiny_history()
    >>> series = engagement.monthly(corpus)
    >>> series[["posts", "posters", "new_posters", "withdrawn"]].values.tolist()
    [[3, 2, 2, 0], [1, 1, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [1, 1, 0, 0]]
    """
    posts = _person_posts(corpus, start, end, include_bots)
    if engine.is_dask(posts):
        # posts per member and month, counted on the workers; the rest is arithmetic on those
        counts = engine.count_by(posts.assign(month=months_from_times(posts["created_at"])),
                                 ["member_id", "month"], "posts")
        pairs = counts.index.to_frame(index=False)
        pairs["member_id"] = pairs["member_id"].astype("str")
        by_month = counts.groupby(level="month")
        series = pd.DataFrame({"posts": by_month.sum(), "posters": by_month.size()}).sort_index()
        first = pairs.groupby("member_id")["month"].min()
    else:
        month = months_from_times(posts["created_at"])
        frame = pd.DataFrame({"member_id": posts["member_id"], "month": month})
        series = frame.groupby("month").agg(posts=("member_id", "size"), posters=("member_id", "nunique"))
        first = frame.groupby("member_id")["month"].min()
        pairs = frame.drop_duplicates()
    series["new_posters"] = first.value_counts().reindex(series.index, fill_value=0)
    series["posts_per_poster"] = series["posts"] / series["posters"]
    burst = frequency(corpus, start, end, include_bots=include_bots)["burstiness"]
    pairs = pairs.assign(burstiness=burst.reindex(pairs["member_id"]).to_numpy())
    series["median_burstiness"] = pairs.groupby("month")["burstiness"].median()
    tenure = survival(corpus, start, end, withdrawal=withdrawal, include_bots=include_bots).members
    gone = months_from_times(tenure.loc[tenure["withdrawn"], "last_post"])
    series["withdrawn"] = gone.value_counts().reindex(series.index, fill_value=0)
    ladder = ladder_by_month(corpus, start, end, include_bots=include_bots,
                             host_repliers=host_repliers).monthly
    series = series.reset_index()
    series["month"] = month_starts(series["month"]).to_numpy()
    result = ladder.merge(series, on="month", how="outer").sort_values("month")
    for column in ("posts", "posters", "new_posters", "withdrawn", "moved_up"):
        result[column] = result[column].fillna(0).astype("int64")
    return result[["month", "posts", "posters", "new_posters", "posts_per_poster",
                   "median_burstiness", "withdrawn", "members", "moved_up", "share_moved_up",
                   "mean_level"]].reset_index(drop=True)
