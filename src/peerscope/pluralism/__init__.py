"""Pluralistic use of peer support: which forms each member uses, when, in what order.

People in distress often use several forms of peer support (online forums,
face-to-face or video groups, one-to-one peer support, peer newsletters), one
after another or side by side, and each form gives something different
(docs/concepts.md, "Forms, channels and participation").  The Side by Side
evaluation found participants giving or receiving support in about 2.5 forms
at the start, 2 by month 5 and 1.5 by month 11; an 18-person interview study
found 6 people using group, online and one-to-one support, 3 group and
online, 7 group and one to one, and 2 online and one to one.  This module
measures the same things on a corpus:

:func:`forms_in_use`
    per member and period, the set of forms used and whether each was used
    actively or only passively;
:func:`forms_over_tenure`
    the mean number of forms in use by periods since a member's first use
    (the Side by Side curve);
:func:`pathways`
    the order in which each member first used each form, the counts of first
    forms and a period-to-period transition matrix between forms;
:func:`combinations`
    members by the set of forms they ever used (UpSet-style intersections)
    and whether their use was single, sequential or concurrent;
:func:`active_passive`
    for each form, the share of its users who only read, receive or attend
    versus those who contribute.

Definition of use
-----------------
A member *uses* form ``f`` in period ``p`` when, within the analysis window,
at least one of these falls in ``p``:

* a post they wrote (form ``online``, active);
* an event of theirs with ``events.form == f`` and a kind that is a use
  (:data:`PASSIVE_KINDS` or :data:`ACTIVE_KINDS`);
* an item they wrote in a newsletter (form ``newsletter``, active).

``join`` and ``leave`` events change membership but are not use of a form;
they, and any kind that is neither active nor passive, are left out and
counted in ``FormsInUse.ignored_events``.

Active and passive kinds follow the participation ladder of docs/concepts.md
(``none < read/receive < post < reply < contribute < moderate/facilitate``):
``view``, ``read``, ``receive``, ``attend`` and ``react`` are passive;
posting, ``contribute``, ``facilitate``, ``moderate`` and ``session`` are
active.  Three choices need a word:

* ``attend`` (being at a group meeting) is **passive**: an attendance record
  says a member was there, not that they spoke, and docs/concepts.md counts
  "attending and listening" as passive.  Running the meeting is recorded as
  ``facilitate``, which is active.
* ``session`` (a one-to-one peer-support session) is **active**: a session is
  a conversation between two people with no audience to listen from, so
  taking part in one is taking part in the exchange.
* ``react`` (a like or other reaction) is passive: it writes nothing, and on
  the ladder participation turns active with the first post.

Pass ``active_kinds`` / ``passive_kinds`` to use another classification; the
values used are stored in every result.

Periods and people
------------------
Periods are calendar months (``freq="M"``), ISO weeks starting on Monday
(``"W"``) or calendar quarters (``"Q"``) in UTC, or in the calendar of
``tz``.  "Periods since first use" counts from the member's first period of
any form (period 0).  Ids whose role is in :data:`peerscope.corpus.schema.NON_PERSON_ROLES`
(bots, deleted and anonymous accounts) are left out by default, as are
posts and items with no author.  No function reads the ``text`` column.

Every function takes a :class:`~peerscope.Corpus` opened with either engine
(pandas or Dask); the per-table aggregation runs on the corpus's engine via
the engine shim (``docs/scaling.md``) and the small per-member tables are finished in
pandas, so both engines give the same numbers.

Examples
--------
>>> import pandas as pd
>>> from peerscope import Corpus, pluralism
>>> t = lambda *s: pd.to_datetime(list(s), utc=True)
>>> posts = pd.DataFrame({"post_id": ["p1"], "thread_id": ["p1"], "parent_id": [None],
...                       "author_id": ["ann"], "created_at": t("2024-01-03"), "text": ["hi"]})
>>> events = pd.DataFrame({"member_id": ["ann", "ann", "bob"],
...                        "at": t("2024-01-10", "2024-02-07", "2024-02-01"),
...                        "kind": ["attend", "attend", "session"],
...                        "form": ["group", "group", "one_to_one"]})
>>> corpus = Corpus.from_frames(posts, events=events)
>>> pluralism.combinations(corpus).sets[["forms", "members"]].to_dict("list")
{'forms': ['online+group', 'one_to_one'], 'members': [1, 1]}
>>> pluralism.forms_over_tenure(corpus).frame["mean_forms"].tolist()
[1.5, 1.0]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from peerscope import errors

from peerscope._kernels import engine
from peerscope._kernels.display import Display, axes, draw_form_shares, draw_mean_forms, fmt, span
from peerscope._kernels.memory import release_freed_memory
from peerscope._kernels.months import months_from_times
from peerscope._kernels.runs import run_lengths, run_starts

from peerscope.corpus import schema

__all__ = ["FORMS", "PASSIVE_KINDS", "ACTIVE_KINDS", "FREQS", "FormsInUse", "TenureCurve",
           "Pathways", "Combinations", "ActivePassive", "forms_in_use", "forms_over_tenure",
           "pathways", "combinations", "active_passive", "NO_FORM", "ids_with_roles"]

#: The forms of peer support, in the order used for ties and for labels.
FORMS: tuple[str, ...] = schema.FORMS

#: Event kinds that are passive use of a form (reading, receiving, attending, reacting).
PASSIVE_KINDS: tuple[str, ...] = ("view", "read", "receive", "attend", "react")

#: Event kinds that are active use of a form (contributing, facilitating, moderating,
#: one-to-one sessions); posts and newsletter items are active too.
ACTIVE_KINDS: tuple[str, ...] = ("contribute", "facilitate", "moderate", "session", "post", "reply")

#: Period frequencies: calendar month, week (Monday to Sunday), calendar quarter.
FREQS: tuple[str, ...] = ("M", "W", "Q")

#: Label of "no form in use" in the transition matrix.
NO_FORM = "none"

_EPOCH = pd.Timestamp("1970-01-01")
_CODE = {form: i for i, form in enumerate(FORMS)}


# ---------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------

def _check_freq(freq: str) -> str:
    if freq not in FREQS:
        raise errors.PeerscopeError(f"freq must be one of {list(FREQS)}, not {freq!r}")
    return freq


def _period_ordinals(times, freq: str, tz: str):
    """Period ordinals (as :class:`pandas.Period` numbers them) of UTC times, pandas or Dask.

    Computed with column arithmetic both engines share: months are the
    months since 1970-01 of :mod:`peerscope._kernels.months` (pandas numbers
    monthly periods the same way), quarters three months each, weeks from
    days since 1970-01-01 (a Thursday; the week holding it has ordinal 1).
    """
    if freq == "W":
        days = (times.dt.tz_convert(tz).dt.tz_localize(None) - _EPOCH).dt.days
        return ((days + 3) // 7 + 1).astype("int64")
    months = months_from_times(times, tz).astype("int64")
    return months if freq == "M" else months // 3


def _ordinal_of(time, freq: str, tz: str) -> int:
    """Ordinal of the period holding one time."""
    return int(_period_ordinals(pd.Series([time]), freq, tz).iloc[0])


def _periods(ordinals, freq: str) -> pd.PeriodIndex:
    return pd.PeriodIndex.from_ordinals(np.asarray(ordinals, dtype=np.int64), freq=freq)


def _ordinals(periods: pd.Series) -> np.ndarray:
    return np.asarray(periods.array.asi8, dtype=np.int64)


@dataclass(frozen=True)
class _Rows:
    """Positions in ``FormsInUse.uses``, which is sorted by member, period and form.

    ``member`` numbers members 0.. in ``member_id`` order; a *cell* is one
    member-period.  Every array is per row unless its name says otherwise.
    """

    member: np.ndarray
    ordinal: np.ndarray
    form: np.ndarray
    cell: np.ndarray
    member_start: np.ndarray  # first row of each member
    cell_start: np.ndarray  # first row of each cell

    @property
    def first(self) -> np.ndarray:
        """First period ordinal of each member."""
        return self.ordinal[self.member_start]

    def cell_bits(self) -> np.ndarray:
        """Forms in use in each cell as a bit set (bit i: FORMS[i]), int8: one byte a cell."""
        if not len(self.cell_start):
            return np.zeros(0, dtype=np.int8)
        return np.add.reduceat(np.left_shift(np.int8(1), self.form), self.cell_start, dtype=np.int8)


def _rows(uses: pd.DataFrame) -> _Rows:
    """Member and cell numbers of sorted ``uses``, found where the id or period changes.

    Per-row numbers are int32 (members, cells) and int8 (forms), and the ids
    are compared as pandas holds them (the codes of a categorical, else
    strings, with no cast): at 10M posts ``uses`` has
    35.8M rows, and each of the functions that take a FormsInUse makes these.
    """
    column = uses["member_id"]
    n = len(column)
    ordinal = _ordinals(uses["period"])
    new_member = np.ones(n, dtype=bool)
    if n > 1 and isinstance(column.dtype, pd.CategoricalDtype):   # as forms_in_use makes them
        codes = column.cat.codes.to_numpy()
        np.not_equal(codes[1:], codes[:-1], out=new_member[1:])
        del codes
    elif n > 1:
        ids = pa.array(column)
        new_member[1:] = pc.not_equal(ids[1:], ids[:-1]).to_numpy(zero_copy_only=False)
        del ids
    member = np.cumsum(new_member, dtype=np.int32) - np.int32(1)
    cell_start = run_starts(member, ordinal)
    return _Rows(member=member, ordinal=ordinal,
                 form=uses["form"].cat.codes.to_numpy().astype(np.int8),
                 cell=np.repeat(np.arange(len(cell_start), dtype=np.int32), run_lengths(cell_start, n)),
                 member_start=np.flatnonzero(new_member), cell_start=cell_start)


def _member_ids(uses: pd.DataFrame, rows: _Rows) -> pd.Series:
    """The id of each member of ``rows`` (in member order) as ``str``, whatever ``uses`` holds."""
    ids = uses["member_id"].iloc[rows.member_start].reset_index(drop=True)
    return ids.astype("str") if isinstance(ids.dtype, pd.CategoricalDtype) else ids


# ---------------------------------------------------------------------------
# Forms in use
# ---------------------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class FormsInUse(Display):
    """Forms of support each member used in each period (see :func:`forms_in_use`).

    Attributes
    ----------
    uses : DataFrame
        One row per member, period and form used, sorted by member id,
        period and form: ``member_id`` (categorical, categories the sorted
        ids of the rows: a code of 4 bytes a row), ``period``
        (:class:`pandas.Period`), ``form`` (categorical, categories
        :data:`FORMS`), ``active`` (True when any use that period was
        active) and ``first_at`` (the first use in that period).
    freq, tz : str
        Period frequency and the calendar the periods are in.
    start, end : Timestamp or None
        The analysis window ``[start, end)`` (None: the corpus's own).
    last_period : Period or None
        The last period observed: that of ``end`` when given, else the
        latest period with any use.  Members are followed up to it.
    exclude_roles, active_kinds, passive_kinds : tuple of str
        Roles left out and the event kinds counted as active / passive use.
    ignored_events : dict
        Events left out because their kind is not a use, by kind.
    excluded_members : int
        Ids with at least one use left out because of their role.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import pluralism
    >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
    >>> from peerscope.datasets.examples import tiny_pathways
    >>> corpus = tiny_pathways()
    >>> frame = pluralism.forms_in_use(corpus).to_frame()
    >>> frame[["member_id", "periods_since_first_use", "n_active_forms"]].values.tolist()
    [['ann', 0, 1], ['ann', 1, 0], ['bob', 0, 1]]
    """

    uses: pd.DataFrame = field(repr=False)
    freq: str
    tz: str
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    last_period: pd.Period | None
    exclude_roles: tuple[str, ...]
    active_kinds: tuple[str, ...]
    passive_kinds: tuple[str, ...]
    ignored_events: dict
    excluded_members: int

    @property
    def parameters(self) -> dict:
        """The parameters that made this result (for reports)."""
        return {"freq": self.freq, "tz": self.tz,
                "start": None if self.start is None else self.start.isoformat(),
                "end": None if self.end is None else self.end.isoformat(),
                "last_period": None if self.last_period is None else str(self.last_period),
                "exclude_roles": list(self.exclude_roles),
                "active_kinds": list(self.active_kinds),
                "passive_kinds": list(self.passive_kinds),
                "ignored_events": dict(self.ignored_events),
                "excluded_members": self.excluded_members}

    @property
    def n_members(self) -> int:
        """Members with at least one use."""
        return int(self.uses["member_id"].nunique())

    def _display_rows(self) -> list[tuple[str, object]]:
        return [("members", self.n_members),
                ("uses", self.uses),
                ("periods", f"freq {self.freq}, calendar {self.tz}, last {fmt(self.last_period)}"),
                ("window", span(self.start, self.end)),
                ("excluded members", f"{fmt(self.excluded_members)} (roles {fmt(self.exclude_roles)})"),
                ("ignored events", self.ignored_events)]

    def to_frame(self) -> pd.DataFrame:
        """One row per member and period with any use.

        Columns: ``member_id``, ``period``, one boolean column per form (used
        that period), ``forms`` (the set, forms joined by ``+`` in
        :data:`FORMS` order), ``n_forms``, ``n_active_forms`` and
        ``periods_since_first_use`` (0 in the member's first period).  The
        parameters are in ``frame.attrs["parameters"]``.
        """
        uses = self.uses
        rows = _rows(uses)
        starts = rows.cell_start
        bits = rows.cell_bits()
        flags = (bits[:, None] >> np.arange(len(FORMS))) & 1 == 1
        active = uses["active"].to_numpy(dtype=np.int64)
        n_active = np.add.reduceat(active, starts) if len(starts) else np.zeros(0, np.int64)
        frame = uses[["member_id", "period"]].iloc[starts].reset_index(drop=True)
        if isinstance(frame["member_id"].dtype, pd.CategoricalDtype):
            frame["member_id"] = frame["member_id"].astype("str")
        for i, form in enumerate(FORMS):
            frame[form] = flags[:, i]
        frame["forms"] = pd.array(_set_labels(flags), dtype="str")
        frame["n_forms"] = flags.sum(axis=1).astype(np.int64)
        frame["n_active_forms"] = n_active.astype(np.int64)
        frame["periods_since_first_use"] = rows.ordinal[starts] - rows.first[rows.member[starts]]
        frame.attrs["parameters"] = self.parameters
        return frame


def _set_labels(flags: np.ndarray) -> np.ndarray:
    """Labels of form sets from a boolean (rows x FORMS) array, e.g. ``online+group``."""
    bits = (flags.astype(np.int64) << np.arange(len(FORMS))).sum(axis=1)
    labels = np.array(["+".join(f for i, f in enumerate(FORMS) if b >> i & 1) or NO_FORM
                       for b in range(1 << len(FORMS))], dtype=object)
    return labels[bits]


def forms_in_use(corpus, freq: str = "M", *, start=None, end=None, tz: str = "UTC",
                 exclude_roles: tuple[str, ...] = schema.NON_PERSON_ROLES,
                 active_kinds: tuple[str, ...] = ACTIVE_KINDS,
                 passive_kinds: tuple[str, ...] = PASSIVE_KINDS) -> FormsInUse:
    """The forms of peer support each member used in each period.

    Parameters
    ----------
    corpus : peerscope.Corpus
        Any corpus (pandas or Dask engine, or a window of one).
    freq : {"M", "W", "Q"}
        Calendar months (default), Monday-to-Sunday weeks or quarters.
    start, end : time-like, optional
        Analysis window ``[start, end)``; naive times are UTC.
    tz : str
        Calendar the periods are counted in (default UTC).
    exclude_roles : tuple of str
        Member roles left out (default: bots, deleted and anonymous ids).
    active_kinds, passive_kinds : tuple of str
        Event kinds counted as active / passive use (see the module
        docstring for why ``attend`` is passive and ``session`` active).

    Returns
    -------
    FormsInUse

    Raises
    ------
    peerscope.errors.PeerscopeError
        For an unknown ``freq`` or a kind listed as both active and passive.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1"], "thread_id": ["p1"], "parent_id": [None],
    ...     "author_id": ["ann"], "created_at": pd.to_datetime(["2024-03-05"], utc=True),
    ...     "text": ["hello"]})
    >>> events = pd.DataFrame({"member_id": ["ann"], "at": pd.to_datetime(["2024-03-09"], utc=True),
    ...     "kind": ["receive"], "form": ["newsletter"]})
    >>> forms_in_use(Corpus.from_frames(posts, events=events)).to_frame()[["period", "forms"]]
        period              forms
    0  2024-03  online+newsletter
    """
    _check_freq(freq)
    active_kinds, passive_kinds = tuple(active_kinds), tuple(passive_kinds)
    both = set(active_kinds) & set(passive_kinds)
    if both:
        raise errors.PeerscopeError(f"kinds {sorted(both)} are listed as both active and passive")
    window = corpus.time_window.narrow(start, end)
    start, end = window.start, window.end
    parts, ignored = [], {}
    codes = _roster_codes(corpus)
    if corpus.has_table("posts"):
        posts = corpus.posts(columns=["author_id", "created_at"], start=start, end=end)
        parts += _per_period(posts, "author_id", "created_at", freq, tz, "online", codes)
        del posts
        release_freed_memory()  # the posts' temporaries, before the events are read
    if corpus.has_table("events"):
        ignored, event_parts = _event_parts(corpus, start, end, freq, tz, codes, active_kinds, passive_kinds)
        parts += event_parts
        del event_parts  # else this list keeps every part alive while _combine frees them one by one
    if corpus.has_table("newsletter_items"):
        items = corpus.newsletter_items(columns=["author_id", "published_at"], start=start, end=end)
        parts += _per_period(items, "author_id", "published_at", freq, tz, "newsletter", codes)
    uses, n_excluded = _combine(parts, None if codes is None else codes["member_id"],
                                ids_with_roles(corpus, exclude_roles), freq)
    if end is not None:  # followed up to the window's end, used or not
        last = _ordinal_of(end - pd.Timedelta(microseconds=1), freq, tz)
    else:
        last = int(_ordinals(uses["period"]).max()) if len(uses) else None
    return FormsInUse(uses=uses, freq=freq, tz=tz, start=start, end=end,
                      last_period=None if last is None else pd.Period(_periods([last], freq)[0]),
                      exclude_roles=tuple(exclude_roles), active_kinds=active_kinds,
                      passive_kinds=passive_kinds, ignored_events=ignored,
                      excluded_members=n_excluded)


#: Events per batch when a corpus on the pandas engine is streamed (:func:`_event_parts`).
_EVENT_BATCH = 1 << 21


def _event_parts(corpus, start, end, freq: str, tz: str, codes, active_kinds, passive_kinds):
    """The events' parts of :func:`_per_period`, and the count of each kind left out.

    On the pandas engine the events are streamed batch by batch
    (:meth:`peerscope.Corpus.iter_batches`) and each batch is aggregated to
    member x slot at once: a 10M-post community has 46M events, which as one
    frame of string ids took 8.9 GB.  :func:`_combine` aggregates the
    batches' parts again (first time: min, active: any), which gives the
    numbers of one pass.  On Dask the events are aggregated on the workers.
    """
    use_kinds = list(active_kinds + passive_kinds)
    kinds, parts = [], []
    for events in _event_frames(corpus, ["member_id", "at", "kind", "form"], start, end):
        kinds.append(engine.count_by(events, "kind"))
        events = events[events["kind"].isin(use_kinds)]
        events = events.assign(active=events["kind"].isin(list(active_kinds)))
        parts += _per_period(events, "member_id", "at", freq, tz, None, codes)
        del events
        release_freed_memory()  # the batch's temporaries, else the heap keeps them between the parts
    counts = pd.concat(kinds).groupby(level=0, sort=False).sum() if kinds else pd.Series(dtype=np.int64)
    return {str(k): int(n) for k, n in counts.items() if k not in use_kinds}, parts


def _event_frames(corpus, columns: list[str], start, end):
    """The window's events as frames to aggregate one after the other: on Dask the lazy frame
    (one), on the pandas engine batches of about :data:`_EVENT_BATCH` rows (:func:`_chunks`),
    so that tens of millions of events are never one frame of string ids."""
    if corpus.engine == "dask":
        return [corpus.events(columns=columns, start=start, end=end)]
    return _chunks(corpus.iter_batches("events", columns, start, end, batch_size=_EVENT_BATCH), _EVENT_BATCH)


def _chunks(frames, rows: int):
    """Consecutive frames joined into frames of at least ``rows`` rows (the last may be shorter).

    A saved table is read one row group at a time (262,144 rows as saved),
    and each part of :func:`_per_period` costs a roster look-up and repeats
    the keys its neighbours share, so batches are joined first.
    """
    pending, size = [], 0
    for frame in frames:
        pending.append(frame)
        size += len(frame)
        if size >= rows:
            yield pd.concat(pending, ignore_index=True)
            pending, size = [], 0
    if pending:
        yield pd.concat(pending, ignore_index=True)


#: Period and form packed in one integer, the *slot*: (period + _OFFSET) * 8 + form code;
#: a member's key is member code * _SLOTS + slot.  Weekly ordinals stay far below
#: 2**20 until the year 20,000, so keys of 500 million members fit exactly in
#: int64 and in float64 (which a Dask left join may produce).
_OFFSET = 1 << 20
_SLOTS = (1 << 21) * 8


def _form_codes(forms):
    """Codes of a form column (pandas or Dask): the position in :data:`FORMS`."""
    code = None
    for i, form in enumerate(FORMS[1:], start=1):
        term = (forms == form).astype("int64") * i
        code = term if code is None else code + term
    return code


def _roster_codes(corpus) -> pd.DataFrame | None:
    """``member_id -> code`` (0, 1, ...) from the roster, when every id must be on it.

    Only a validated roster guarantees that every author and event member is
    listed; a time-windowed corpus may leave members out, so it gets None
    (and grouping is on the string ids, slower but the same numbers).
    """
    window = corpus.time_window
    if not corpus.has_roster or window.start is not None or window.end is not None:
        return None
    ids = engine.collect(corpus.members(columns=["member_id"]))
    return pd.DataFrame({"member_id": ids["member_id"].to_numpy(),
                         "code": pd.array(np.arange(len(ids)), dtype="Int64")})


def _per_period(frame, member: str, time: str, freq: str, tz: str, form: str | None,
                codes: pd.DataFrame | None) -> list[pd.DataFrame]:
    """Aggregate one table (pandas or Dask) to member x slot: first time, any active use.

    With roster ``codes`` the group key is one integer (member code and
    slot) and the result has the columns ``key`` (int64: member code x
    :data:`_SLOTS` + slot), ``first_at`` and ``active``, 17 bytes a row,
    made so on the workers on Dask and collected one partition at a time
    (:func:`~peerscope._kernels.engine.partitions`): the client never holds the parts twice (as the
    partitions received and their concatenation); else the key is the pair
    (member id, slot) and the columns are ``member`` (the id), ``slot``,
    ``first_at`` and ``active``.  Rows with a null member are dropped.
    Returns the parts (one on pandas, one per partition on Dask).
    """
    aggregations = {"first_at": (time, "min")}
    if form is None:
        aggregations["active"] = ("active", "max")
    frame = frame[[member, time] + (["active", "form"] if form is None else [])]
    if codes is not None:
        # the slot is computed after the lookup: on Dask the lookup is a merge,
        # which reorders rows, so a column computed before it would not align
        frame = engine.attach(frame, member, codes, "member_id", "code", "member_code")
        slot = _slot(frame, time, freq, tz, form)
        frame = frame[[time] + (["active"] if form is None else [])].assign(
            key=frame["member_code"] * _SLOTS + slot)
        grouped = frame.groupby("key", sort=False, dropna=True, observed=True)
        if engine.is_dask(frame):
            # hashed into several partitions, so that no one partition (and its buffers while
            # it is received) is the whole part: 3.6M rows of events at 1M posts
            grouped = grouped.agg(split_out=_split_out(frame), **aggregations)
            grouped = grouped.map_partitions(_keyed, meta=_keyed(grouped._meta))
        else:
            grouped = _keyed(grouped.agg(**aggregations))
        return list(engine.partitions(grouped))
    else:
        frame = frame.assign(slot=_slot(frame, time, freq, tz, form))
        out = engine.aggregate(frame, [member, "slot"], **aggregations).reset_index()
        out = out.rename(columns={member: "member"})
    if form is not None:
        out["active"] = True
    return [out.astype({"slot": np.int64, "active": bool})[["member", "slot", "first_at", "active"]]]


def _keyed(grouped: pd.DataFrame) -> pd.DataFrame:
    """A part of :func:`_per_period` grouped on the packed key -> columns ``key`` (int64),
    ``first_at`` and ``active`` (bool, True when not aggregated: a form of active use)."""
    active = grouped["active"].to_numpy(dtype=bool) if "active" in grouped else True
    return pd.DataFrame({"key": grouped.index.to_numpy(dtype=np.int64), "first_at": grouped["first_at"].array,
                         "active": active}, index=pd.RangeIndex(len(grouped)), copy=False)


def _split_out(frame) -> int:
    """Partitions of a grouped result on Dask: one per two of the input's (at least 1)."""
    return max(1, frame.npartitions // 2)


def _slot(frame, time: str, freq: str, tz: str, form: str | None):
    """Period and form packed into one integer: (period + offset) x 8 + form code."""
    period = _period_ordinals(frame[time], freq, tz)
    return (period + _OFFSET) * 8 + (_form_codes(frame["form"]) if form is None else _CODE[form])


def _combine(parts: list[pd.DataFrame], roster_ids: pd.Series | None, excluded: set[str],
             freq: str) -> tuple[pd.DataFrame, int]:
    """Parts of :func:`_per_period` -> the rows of ``FormsInUse.uses``, and the ids left out.

    Members are numbered by the rank of their id, so sorting the integer key
    sorts by ``member_id``, period and form.  Rows of ids in ``excluded`` are
    dropped; the number of those ids with a use is returned with the rows.
    The parts of a 10M-post community hold about 40M rows and the result
    35.8M (issue 23: 4.7 GB), so ``parts`` is emptied as it is read, each
    array is freed as soon as the next is made, columns are made in place
    and no id string is made before the rows are final.
    """
    if roster_ids is None:
        member, ids = pd.factorize(pd.concat([part["member"] for part in parts], ignore_index=True)
                                   if parts else pd.Series(dtype="str"))
        ids = pa.array(np.asarray(ids, dtype=object), type=pa.string())
    else:
        member = None
        ids = pa.array(roster_ids, type=pa.string())
    order = np.asarray(pc.array_sort_indices(ids))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    dropped = pc.is_in(ids, value_set=pa.array(sorted(excluded), type=pa.string())).to_numpy(
        zero_copy_only=False)
    seen = np.zeros(len(ids), dtype=bool)  # excluded ids with a use
    size = sum(len(part) for part in parts)
    key, first_at = np.empty(size, dtype=np.int64), np.empty(size, dtype=np.int64)
    active, n, done = np.empty(size, dtype=bool), 0, 0
    while parts:
        part = parts.pop(0)
        if member is not None:
            code, slot = member[done:done + len(part)], part["slot"].to_numpy(dtype=np.int64)
        elif "key" in part:  # roster codes and slots packed (:func:`_per_period`)
            slot = part["key"].to_numpy(dtype=np.int64)
            code = slot // _SLOTS
            slot = slot - code * _SLOTS
        else:
            code, slot = part["member"].to_numpy(dtype=np.int64), part["slot"].to_numpy(dtype=np.int64)
        done += len(part)
        keep = ~dropped[code]
        seen[code[~keep]] = True
        m = n + int(keep.sum())
        key[n:m] = (rank[code] * _SLOTS + slot)[keep]
        del slot
        first_at[n:m] = part["first_at"].to_numpy(dtype="datetime64[us]").view(np.int64)[keep]
        active[n:m] = part["active"].to_numpy(dtype=bool)[keep]
        n = m
        del part
    del member, rank
    key, first_at, active = key[:n], first_at[:n], active[:n]
    release_freed_memory()  # the parts' frames
    # one sort of the packed keys, then the first time (min) and any active use (max) per key;
    # min and max do not depend on the order within a key, so the sort need not be stable
    by_key = np.argsort(key)
    key = key[by_key]  # one at a time: each copy is freed before the next is made
    first_at = first_at[by_key]
    active = active[by_key]
    del by_key
    starts = run_starts(key)
    key = key[starts]
    first_at = np.minimum.reduceat(first_at, starts) if n else first_at
    active = np.maximum.reduceat(active, starts) if n else active
    del starts
    release_freed_memory()  # the sort's arrays, before the ids are made
    # the ids as a Categorical over the sorted ids of the rows (the same on both engines): a
    # code of 4 bytes a row, not a string each (35.8M rows at 10M posts)
    rank = key // _SLOTS
    member_start = run_starts(rank)
    member = np.repeat(np.arange(len(member_start), dtype=np.int32), run_lengths(member_start, len(key)))
    categories = schema.to_pandas(pa.table({"member_id": ids.take(pa.array(order[rank[member_start]]))}))
    del rank, member_start
    member_ids = pd.Categorical.from_codes(member, dtype=pd.CategoricalDtype(pd.Index(categories["member_id"])))
    del member
    key %= _SLOTS  # the slot: (period + _OFFSET) * 8 + form code
    form = pd.Categorical.from_codes((key % 8).astype(np.int8), categories=list(FORMS))
    key //= 8
    key -= _OFFSET  # the period ordinal
    uses = pd.DataFrame({
        "member_id": member_ids,
        "period": pd.arrays.PeriodArray(key, dtype=pd.PeriodDtype(freq)),
        "form": form,
        "active": active,
        "first_at": pd.Series(first_at.view("datetime64[us]")).dt.tz_localize("UTC"),
    }, copy=False)
    return uses, int(seen.sum())


def ids_with_roles(corpus, roles: tuple[str, ...] = schema.NON_PERSON_ROLES) -> set[str]:
    """Member ids whose role is one of ``roles`` (empty without a role column).

    Parameters
    ----------
    corpus : peerscope.Corpus
        Any engine; ``member_id`` and ``role`` of ``members`` are read.
    roles : tuple of str
        Roles wanted (default :data:`peerscope.corpus.schema.NON_PERSON_ROLES`).

    Returns
    -------
    set of str

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus, pluralism
    >>> from peerscope.datasets.examples import tiny_pathways
    >>> corpus = tiny_pathways()
    >>> members = pd.DataFrame({"member_id": ["ann", "bob", "helper"], "role": [None, None, "bot"]})
    >>> with_roles = Corpus.from_frames(corpus.posts(columns="all"), members,
    ...                                 events=corpus.events(columns="all"))
    >>> pluralism.ids_with_roles(with_roles)
    {'helper'}
    """
    if not roles or not corpus.has_table("members"):
        return set()
    if "role" not in corpus.manifest["tables"]["members"]["columns"]:
        return set()
    members = engine.collect(corpus.members(columns=["member_id", "role"]))
    return set(members.loc[members["role"].isin(list(roles)), "member_id"].astype(str))


def _resolve(data, options: dict) -> FormsInUse:
    """A :class:`FormsInUse` from a corpus (computed with ``options``) or as given."""
    if isinstance(data, FormsInUse):
        if options:
            raise errors.PeerscopeError(
                f"options {sorted(options)} apply only when a corpus is given; "
                "pass them to forms_in_use instead")
        return data
    return forms_in_use(data, **options)


# ---------------------------------------------------------------------------
# The Side by Side curve
# ---------------------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class TenureCurve(Display):
    """Forms in use by periods since first use (see :func:`forms_over_tenure`).

    Attributes
    ----------
    frame : DataFrame
        One row per ``periods_since_first_use`` k = 0, 1, ...: ``members``
        (observed that long: first period + k <= last period),
        ``members_using`` (with at least one form in use at k),
        ``mean_forms`` (over observed members, 0 for those using none),
        ``mean_forms_using`` (over members using at least one), and
        ``share_<form>`` (share of observed members using that form at k).
    parameters : dict
        Those of the :class:`FormsInUse` it was made from.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import pluralism
    >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
    >>> from peerscope.datasets.examples import tiny_pathways
    >>> corpus = tiny_pathways()
    >>> pluralism.forms_over_tenure(corpus).to_frame()[["periods_since_first_use", "members"]].values.tolist()
    [[0, 2], [1, 1]]
    """

    frame: pd.DataFrame
    parameters: dict

    @property
    def mean_forms(self) -> pd.Series:
        """Mean forms in use, indexed by periods since first use."""
        return self.frame.set_index("periods_since_first_use")["mean_forms"]

    def _display_rows(self) -> list[tuple[str, object]]:
        frame = self.frame
        rows = [("periods", f"{fmt(len(frame))} (freq {self.parameters.get('freq')})")]
        for k in sorted({0, 1, 3, 6, 12, 24}):
            row = frame[frame["periods_since_first_use"] == k]
            if len(row):
                rows.append((f"mean forms at {k}", f"{fmt(float(row['mean_forms'].iloc[0]))} "
                                                   f"({fmt(int(row['members'].iloc[0]))} members)"))
        return rows + [("frame", frame)]

    def to_frame(self) -> pd.DataFrame:
        """The curve (counts int64, means and shares float); the parameters (``freq``, ...) in ``attrs``."""
        frame = self.frame.copy()
        frame.attrs["parameters"] = self.parameters
        return frame

    def plot(self, ax=None, *, kind: str = "mean_forms", reference: dict | None = None, min_cell: int = 0,
             **kw):
        """Forms in use over tenure, as in the report's figure; needs matplotlib.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Drawn on a new pyplot figure when None.
        kind : str
            ``"mean_forms"`` (default; the report's top panel, with the
            published means of ``reference`` when given) or ``"shares"``
            (the share of members using each form, the bottom panel).
        reference : dict, optional
            Period -> published mean forms
            (:data:`peerscope.report.tables.SIDE_BY_SIDE_FORMS`).
        min_cell : int
            Periods resting on fewer members are not drawn (default 0: all).
        **kw
            Passed to the mean curve's ``ax.plot`` (``kind="mean_forms"``).

        Returns
        -------
        matplotlib.axes.Axes
        """
        if kind not in ("mean_forms", "shares"):
            raise errors.PeerscopeError(f"kind must be 'mean_forms' or 'shares', not {kind!r}")
        ax = axes(ax)
        if kind == "mean_forms":
            draw_mean_forms(ax, self, reference, min_cell, **kw)
        else:
            draw_form_shares(ax, self, FORMS, min_cell)
        return ax


def forms_over_tenure(data, *, max_periods: int | None = None, **options) -> TenureCurve:
    """Mean number of forms in use by periods since each member's first use.

    For each k = 0, 1, ..., over the members *observed* k periods after their
    first period of any form (first period + k <= the last period of the
    data or of ``end``):

    .. math:: \\bar n(k) = \\frac{1}{|O_k|} \\sum_{i \\in O_k} |F_i(p_i + k)|

    where :math:`p_i` is member i's first period and :math:`F_i(p)` the forms
    they used in period p.  Members who use nothing at k count with 0, so the
    curve shows the drop from several forms to fewer *and* to none; the mean
    over members still using something is in ``mean_forms_using``.  This is
    the measure of the Side by Side evaluation (about 2.5 forms at the start,
    2 by month 5 and 1.5 by month 11).  Members first seen late are observed
    for few periods only, so the number behind each point (``members``) falls
    with k; the curve is undefined past the longest observed tenure.

    Parameters
    ----------
    data : Corpus or FormsInUse
        A corpus (then ``options`` go to :func:`forms_in_use`) or a result
        of :func:`forms_in_use` to reuse.
    max_periods : int, optional
        Keep k = 0 .. max_periods only.
    **options
        ``freq``, ``start``, ``end``, ``tz``, ``exclude_roles``,
        ``active_kinds``, ``passive_kinds`` for :func:`forms_in_use`.

    Returns
    -------
    TenureCurve
        Empty frame when nothing was used.

    Examples
    --------
    In her first month ann posted online and attended a group (2 forms);
    in her second only the group (1); bob had one session (1):

    >>> import pandas as pd
    >>> from peerscope import Corpus, pluralism
    >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
    >>> from peerscope.datasets.examples import tiny_pathways
    >>> corpus = tiny_pathways()
    >>> pluralism.forms_over_tenure(corpus).mean_forms.to_dict()
    {0: 1.5, 1: 1.0}
    """
    use = _resolve(data, options)
    release_freed_memory()   # what the step before freed (these run one after another on one FormsInUse)
    uses = use.uses
    if not len(uses) or use.last_period is None:
        empty = pd.DataFrame({"periods_since_first_use": pd.Series(dtype=np.int64),
                              "members": pd.Series(dtype=np.int64),
                              "members_using": pd.Series(dtype=np.int64),
                              "mean_forms": pd.Series(dtype=float),
                              "mean_forms_using": pd.Series(dtype=float),
                              **{f"share_{f}": pd.Series(dtype=float) for f in FORMS}})
        return TenureCurve(empty, use.parameters)
    rows = _rows(uses)
    first = rows.first
    since = rows.ordinal.astype(np.int32)   # period ordinals fit: int32 halves these per-row arrays
    since -= first.astype(np.int32)[rows.member]
    last = use.last_period.ordinal
    horizon = last - first  # periods each member is observed after the first
    n_k = int(horizon.max()) + 1
    if max_periods is not None:
        n_k = min(n_k, int(max_periods) + 1)
    observed = np.cumsum(np.bincount(horizon, minlength=n_k)[::-1])[::-1][:n_k]
    keep = since < n_k
    forms_sum = np.bincount(since[keep], minlength=n_k)[:n_k]
    cell_since = since[rows.cell_start]
    using = np.bincount(cell_since[cell_since < n_k], minlength=n_k)[:n_k]
    frame = pd.DataFrame({"periods_since_first_use": np.arange(n_k, dtype=np.int64),
                          "members": observed.astype(np.int64),
                          "members_using": using.astype(np.int64),
                          "mean_forms": forms_sum / observed,
                          "mean_forms_using": np.where(using > 0, forms_sum / np.maximum(using, 1),
                                                       np.nan)})
    for code, form in enumerate(FORMS):
        sel = keep & (rows.form == code)
        frame[f"share_{form}"] = np.bincount(since[sel], minlength=n_k)[:n_k] / observed
    return TenureCurve(frame, use.parameters)


# ---------------------------------------------------------------------------
# Pathways
# ---------------------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class Pathways(Display):
    """Order of first use and movement between forms (see :func:`pathways`).

    Attributes
    ----------
    members : DataFrame
        One row per member: ``member_id``, ``first_use_at``, ``first_form``,
        ``pathway`` (forms in order of first use joined by ``>``) and
        ``n_forms``.
    first_uses : DataFrame
        One row per member and form used: ``member_id``, ``form``, ``order``
        (1 = first form) and ``first_at``.
    first_forms : DataFrame
        ``form``, ``members`` (whose first form it was) and ``share``.
    transitions : DataFrame
        ``from_form``, ``to_form`` (forms and :data:`NO_FORM`), ``n`` and
        ``share`` (of the ``from_form`` row).
    parameters : dict

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import pluralism
    >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
    >>> from peerscope.datasets.examples import tiny_pathways
    >>> corpus = tiny_pathways()
    >>> pluralism.pathways(corpus).to_frame("first_forms")[["form", "members"]].values.tolist()
    [['online', 1], ['group', 0], ['one_to_one', 1], ['newsletter', 0]]
    """

    members: pd.DataFrame
    first_uses: pd.DataFrame
    first_forms: pd.DataFrame
    transitions: pd.DataFrame
    parameters: dict

    def _display_rows(self) -> list[tuple[str, object]]:
        members = self.members
        top = members["pathway"].value_counts().head(3)
        first = self.first_forms.sort_values("members", ascending=False).head(4)
        return [("members", len(members)),
                ("first forms", ", ".join(f"{f}: {fmt(int(n))}" for f, n in zip(first["form"], first["members"]))
                 or "none"),
                ("top pathways", ", ".join(f"{p}: {fmt(int(n))}" for p, n in top.items()) or "none"),
                ("transitions", self.transitions)]

    @property
    def matrix(self) -> pd.DataFrame:
        """Transition counts as a square table: rows ``from_form``, columns ``to_form``."""
        states = list(FORMS) + [NO_FORM]
        return (self.transitions.pivot(index="from_form", columns="to_form", values="n")
                .reindex(index=states, columns=states, fill_value=0).fillna(0).astype(np.int64))

    def to_frame(self, table: str = "members") -> pd.DataFrame:
        """One of the tables (``members``, ``first_uses``, ``first_forms``, ``transitions``),
        with the parameters in ``attrs``."""
        if table not in ("members", "first_uses", "first_forms", "transitions"):
            raise errors.PeerscopeError(f"no table {table!r} in Pathways")
        frame = getattr(self, table).copy()
        frame.attrs["parameters"] = self.parameters
        return frame


def pathways(data, **options) -> Pathways:
    """Each member's order of first use of the forms, first forms, and transitions.

    *Order of first use*: forms sorted by the time of their first use (to the
    microsecond, not the period); forms first used at the same instant are
    ordered as in :data:`FORMS`.

    *Transitions*: for each member and each pair of consecutive periods
    ``(p, p + 1)`` from their first period to the last period observed, and
    each form ``a`` in use in ``p`` and ``b`` in use in ``p + 1``, one count
    of ``a -> b``; a period with no form in use counts as the state
    :data:`NO_FORM`.  The diagonal is staying with a form, ``a -> none``
    stopping everything, ``none -> b`` returning.  A member using two forms in
    both periods contributes four counts, so rows are flows of member-forms,
    not of members; ``share`` is the count over its row's total.

    Parameters
    ----------
    data : Corpus or FormsInUse
        A corpus (then ``options`` go to :func:`forms_in_use`) or a result
        of :func:`forms_in_use` to reuse.
    **options
        For :func:`forms_in_use` when ``data`` is a corpus.

    Returns
    -------
    Pathways

    Examples
    --------
    ann posted (3 January) before she attended a group (10 January):

    >>> import pandas as pd
    >>> from peerscope import Corpus, pluralism
    >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
    >>> from peerscope.datasets.examples import tiny_pathways
    >>> corpus = tiny_pathways()
    >>> pluralism.pathways(corpus).members[["member_id", "pathway"]].values.tolist()
    [['ann', 'online>group'], ['bob', 'one_to_one']]
    """
    use = _resolve(data, options)
    release_freed_memory()   # what the step before freed (these run one after another on one FormsInUse)
    uses = use.uses
    rows = _rows(uses)
    n_members = len(rows.member_start)
    # first use of each (member, form): one slot per member and form
    slot = rows.member * len(FORMS) + rows.form
    never = np.iinfo(np.int64).max
    first_at = np.full(n_members * len(FORMS), never, dtype=np.int64)
    np.minimum.at(first_at, slot, uses["first_at"].array.asi8)
    used = np.flatnonzero(first_at != never)
    member, form, at = used // len(FORMS), used % len(FORMS), first_at[used]
    order = np.lexsort((form, at, member))
    member, form, at = member[order], form[order], at[order]
    rank = np.arange(len(member)) - np.searchsorted(member, member, side="left") + 1
    member_ids = _member_ids(uses, rows)
    firsts = pd.DataFrame({
        "member_id": member_ids.iloc[member].reset_index(drop=True),
        "form": pd.Categorical.from_codes(form, categories=list(FORMS)),
        "order": rank.astype(np.int64),
        "first_at": pd.Series(at.view("datetime64[us]")).dt.tz_localize("UTC"),
    })
    members = _pathway_labels(member_ids, member, form, rank, firsts["first_at"])
    counts = np.bincount(form[rank == 1], minlength=len(FORMS))
    del slot, first_at, used   # per row and per (member, form): freed before the transitions' arrays
    first_forms = pd.DataFrame({"form": list(FORMS), "members": counts.astype(np.int64)})
    first_forms["share"] = first_forms["members"] / max(n_members, 1)
    return Pathways(members=members, first_uses=firsts, first_forms=first_forms,
                    transitions=_transitions(rows, use.last_period), parameters=use.parameters)


def _pathway_labels(member_ids: pd.Series, member: np.ndarray, form: np.ndarray,
                    rank: np.ndarray, first_at: pd.Series) -> pd.DataFrame:
    """One row per member from their first uses, sorted by member and rank.

    Each member's sequence of forms is encoded as a base-5 number (digit =
    form code + 1), so labels are built once per distinct sequence (at most
    64), not once per member.
    """
    digits = (form + 1) * 5 ** (rank - 1)
    code = np.bincount(member, weights=digits, minlength=len(member_ids)).astype(np.int64)
    labels = {}
    for value in np.unique(code):
        parts, rest = [], int(value)
        while rest:
            parts.append(FORMS[rest % 5 - 1])
            rest //= 5
        labels[value] = ">".join(parts)
    starts = np.flatnonzero(rank == 1)  # one per member, in member order
    return pd.DataFrame({
        "member_id": member_ids,
        "first_use_at": first_at.iloc[starts].reset_index(drop=True),
        "first_form": pd.array(np.asarray(FORMS, dtype=object)[form[starts]], dtype="str"),
        "pathway": pd.array(pd.Series(code).map(labels).to_numpy(), dtype="str"),
        "n_forms": np.bincount(member, minlength=len(member_ids)).astype(np.int64),
    })


def _transitions(rows: _Rows, last_period: pd.Period | None) -> pd.DataFrame:
    """Period-to-period transition counts between forms (and no form), vectorised."""
    states = list(FORMS) + [NO_FORM]
    none = len(FORMS)
    counts = np.zeros((none + 1, none + 1), dtype=np.int64)
    if len(rows.cell_start) and last_period is not None:
        starts = rows.cell_start
        # per cell (millions at 1M posts) as int32: period ordinals fit
        cell_member, cell_ordinal = rows.member[starts], rows.ordinal[starts].astype(np.int32)
        first = rows.first
        span = last_period.ordinal - first  # pairs (p, p + 1) each member is observed for
        rel = cell_ordinal - first.astype(np.int32)[cell_member]
        bits = rows.cell_bits()   # one bit per form: the per-row copy below is 1 byte a row
        has_next = np.zeros(len(starts), dtype=bool)
        has_next[:-1] = (cell_member[1:] == cell_member[:-1]) & (cell_ordinal[1:] == cell_ordinal[:-1] + 1)
        has_prev = np.zeros(len(starts), dtype=bool)
        has_prev[1:] = has_next[:-1]
        inside = rel < span.astype(np.int32)[cell_member]  # p + 1 is still observed
        # a -> b: each form of a row against each form of the next period's cell
        next_bits = np.zeros(len(starts), dtype=np.int8)
        next_bits[:-1] = np.where(has_next[:-1], bits[1:], 0)
        row_next = next_bits[rows.cell]
        for b in range(none):
            counts[:none, b] += np.bincount(rows.form[(row_next >> b) & 1 == 1], minlength=none)
        stop = (inside & ~has_next)[rows.cell]
        counts[:none, none] = np.bincount(rows.form[stop], minlength=none)
        back = ((rel > 0) & ~has_prev)[rows.cell]
        counts[none, :none] = np.bincount(rows.form[back], minlength=none)
        # none -> none: pairs where neither period is in use
        counts[none, none] = int(span.sum() - inside.sum() - (rel > 0).sum() + has_next.sum())
    frame = pd.DataFrame({"from_form": np.repeat(states, len(states)),
                          "to_form": np.tile(states, len(states)),
                          "n": counts.ravel()})
    totals = frame.groupby("from_form", sort=False)["n"].transform("sum")
    frame["share"] = np.where(totals > 0, frame["n"] / totals.where(totals > 0, 1), np.nan)
    return frame


# ---------------------------------------------------------------------------
# Combinations
# ---------------------------------------------------------------------------

USE_PATTERNS = ("single", "sequential", "concurrent")


@dataclass(frozen=True, repr=False)
class Combinations(Display):
    """Members by the set of forms ever used (see :func:`combinations`).

    Attributes
    ----------
    members : DataFrame
        One row per member: ``member_id``, one boolean column per form
        (ever used), ``forms`` (the set, joined by ``+``), ``n_forms``,
        ``pattern`` (``single``, ``sequential`` or ``concurrent``) and
        ``sequential`` (True when no two forms' spans overlap, single-form
        members included).
    sets : DataFrame
        UpSet-style exclusive intersections: one row per set of forms that
        some member used exactly: the form flags, ``forms``, ``n_forms``,
        ``members`` and ``share``; most members first.
    totals : DataFrame
        Per form, ``members`` who ever used it (with or without others) and
        ``share``.
    co_use : DataFrame
        Form x form: members who ever used both (the diagonal: the form's
        total).
    patterns : DataFrame
        Members per ``pattern``.
    parameters : dict

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import pluralism
    >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
    >>> from peerscope.datasets.examples import tiny_pathways
    >>> corpus = tiny_pathways()
    >>> result = pluralism.combinations(corpus)
    >>> result.count("online", "group"), result.count("group", exact=False), result.count("group")
    (1, 1, 0)
    >>> result.to_frame("patterns")[["pattern", "members"]].values.tolist()
    [['single', 1], ['sequential', 0], ['concurrent', 1]]
    """

    members: pd.DataFrame
    sets: pd.DataFrame
    totals: pd.DataFrame
    co_use: pd.DataFrame
    patterns: pd.DataFrame
    parameters: dict

    def _display_rows(self) -> list[tuple[str, object]]:
        sets = self.sets.head(3)
        return [("members", len(self.members)),
                ("top sets", ", ".join(f"{f}: {fmt(int(n))}" for f, n in zip(sets["forms"], sets["members"]))
                 or "none"),
                ("patterns", ", ".join(f"{p}: {fmt(int(n))}" for p, n
                                       in zip(self.patterns["pattern"], self.patterns["members"]))),
                ("sets", self.sets)]

    def count(self, *forms: str, exact: bool = True) -> int:
        """Members whose forms are exactly ``forms`` (or include them, ``exact=False``)."""
        unknown = [f for f in forms if f not in FORMS]
        if unknown:
            raise errors.PeerscopeError(f"unknown form(s) {unknown}; forms are {list(FORMS)}")
        flags = self.members[list(FORMS)]
        wanted = np.array([f in forms for f in FORMS])
        hit = flags.loc[:, wanted].all(axis=1)
        if exact:
            hit &= ~flags.loc[:, ~wanted].any(axis=1)
        return int(hit.sum())

    def to_frame(self, table: str = "sets") -> pd.DataFrame:
        """One of the tables (``sets``, ``members``, ``totals``, ``co_use``, ``patterns``),
        with the parameters in ``attrs``."""
        if table not in ("sets", "members", "totals", "co_use", "patterns"):
            raise errors.PeerscopeError(f"no table {table!r} in Combinations")
        frame = getattr(self, table).copy()
        frame.attrs["parameters"] = self.parameters
        return frame


def combinations(data, **options) -> Combinations:
    """Members by the set of forms they ever used, and whether use was sequential.

    *Set of forms*: the forms with any use in the window (UpSet-style
    exclusive intersections: a member using group, online and one to one
    counts in that set only, not in group+online).  Inclusive counts are in
    ``totals`` and ``co_use``.

    *Pattern*: each form's *span* runs from the first to the last period it
    was used in.  Use is ``sequential`` when no two spans share a period,
    ``concurrent`` when some two do, ``single`` with one form.  Forms
    dropped and taken up in the same period therefore count as concurrent;
    a coarser ``freq`` makes more use concurrent.

    Parameters
    ----------
    data : Corpus or FormsInUse
        A corpus (then ``options`` go to :func:`forms_in_use`) or a result
        of :func:`forms_in_use` to reuse.
    **options
        For :func:`forms_in_use` when ``data`` is a corpus.

    Returns
    -------
    Combinations

    Examples
    --------
    ann used online and group in the same month (concurrent); bob one form:

    >>> import pandas as pd
    >>> from peerscope import Corpus, pluralism
    >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
    >>> from peerscope.datasets.examples import tiny_pathways
    >>> corpus = tiny_pathways()
    >>> result = pluralism.combinations(corpus)
    >>> result.members[["member_id", "forms", "pattern"]].values.tolist()
    [['ann', 'online+group', 'concurrent'], ['bob', 'one_to_one', 'single']]
    """
    use = _resolve(data, options)
    release_freed_memory()   # what the step before freed (these run one after another on one FormsInUse)
    uses = use.uses
    rows = _rows(uses)
    n = len(rows.member_start)
    # each form's span: first and last period ordinal, per member
    slot = rows.member * len(FORMS) + rows.form
    lo = np.full(n * len(FORMS), np.iinfo(np.int64).max, dtype=np.int64)
    hi = np.full(n * len(FORMS), np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(lo, slot, rows.ordinal)
    np.maximum.at(hi, slot, rows.ordinal)
    lo, hi = lo.reshape(n, len(FORMS)), hi.reshape(n, len(FORMS))
    flags = hi >= lo
    concurrent = np.zeros(n, dtype=bool)
    for i in range(len(FORMS)):
        for j in range(i + 1, len(FORMS)):
            concurrent |= flags[:, i] & flags[:, j] & (lo[:, i] <= hi[:, j]) & (lo[:, j] <= hi[:, i])
    bits = (flags.astype(np.int64) << np.arange(len(FORMS))).sum(axis=1)
    members = _member_ids(uses, rows).to_frame()
    for i, form in enumerate(FORMS):
        members[form] = flags[:, i]
    members["forms"] = pd.array(_set_labels(flags), dtype="str")
    members["n_forms"] = flags.sum(axis=1).astype(np.int64)
    members["pattern"] = pd.array(np.where(members["n_forms"] == 1, "single",
                                           np.where(concurrent, "concurrent", "sequential")),
                                  dtype="str")
    members["sequential"] = ~concurrent
    sizes = np.bincount(bits, minlength=1 << len(FORMS))
    present = np.flatnonzero(sizes)
    set_flags = (present[:, None] >> np.arange(len(FORMS))) & 1 == 1
    sets = pd.DataFrame(set_flags, columns=list(FORMS))
    sets["forms"] = pd.array(_set_labels(set_flags), dtype="str")
    sets["n_forms"] = set_flags.sum(axis=1).astype(np.int64)
    sets["members"] = sizes[present].astype(np.int64)
    sets = sets.sort_values(["members", "n_forms", "forms"], ascending=[False, False, True],
                            ignore_index=True)
    sets["share"] = sets["members"] / max(n, 1)
    totals = pd.DataFrame({"form": list(FORMS),
                           "members": flags.sum(axis=0).astype(np.int64)})
    totals["share"] = totals["members"] / max(n, 1)
    as_int = flags.astype(np.int64)
    co_use = pd.DataFrame(as_int.T @ as_int, index=pd.Index(list(FORMS), name="form"),
                          columns=list(FORMS))
    patterns = (members["pattern"].value_counts().reindex(list(USE_PATTERNS), fill_value=0)
                .rename("members").rename_axis("pattern").reset_index())
    patterns["members"] = patterns["members"].astype(np.int64)
    patterns["share"] = patterns["members"] / max(n, 1)
    return Combinations(members=members, sets=sets, totals=totals, co_use=co_use,
                        patterns=patterns, parameters=use.parameters)


# ---------------------------------------------------------------------------
# Active vs passive
# ---------------------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class ActivePassive(Display):
    """Active and passive users of each form (see :func:`active_passive`).

    Attributes
    ----------
    frame : DataFrame
        One row per form and one for ``any`` form: ``form``, ``members``
        (who used it), ``active`` (with at least one active use of it),
        ``passive_only`` (who only read, received or attended),
        ``share_active`` and ``share_passive_only``.
    parameters : dict

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import pluralism
    >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
    >>> from peerscope.datasets.examples import tiny_pathways
    >>> corpus = tiny_pathways()
    >>> frame = pluralism.active_passive(corpus).to_frame()
    >>> frame.loc[frame["form"] == "any", ["members", "active"]].values.tolist()
    [[2, 2]]
    """

    frame: pd.DataFrame
    parameters: dict

    def _display_rows(self) -> list[tuple[str, object]]:
        return [(str(row.form), f"{fmt(int(row.members))} members, {fmt(int(row.active))} active "
                                f"(share {fmt(row.share_active)})")
                for row in self.frame.itertuples(index=False)]

    def to_frame(self) -> pd.DataFrame:
        """The table (counts int64, shares float), with the parameters in ``attrs``."""
        frame = self.frame.copy()
        frame.attrs["parameters"] = self.parameters
        return frame


def active_passive(data, **options) -> ActivePassive:
    """For each form, the share of its users who contribute vs only read/receive/attend.

    A member is *active* in a form when any of their uses of it in the
    window was active (a post, a newsletter item, or an event of a kind in
    ``active_kinds``), *passive only* when all were passive.  The ``any``
    row counts a member as active when they were active in some form.  The
    shares are undefined (NaN) for a form nobody used.

    Parameters
    ----------
    data : Corpus or FormsInUse
        A corpus (then ``options`` go to :func:`forms_in_use`) or a result
        of :func:`forms_in_use` to reuse.
    **options
        For :func:`forms_in_use` when ``data`` is a corpus.

    Returns
    -------
    ActivePassive

    Examples
    --------
    ann only attended the group (passive); bob's session is an active use:

    >>> import pandas as pd
    >>> from peerscope import Corpus, pluralism
    >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
    >>> from peerscope.datasets.examples import tiny_pathways
    >>> corpus = tiny_pathways()
    >>> frame = pluralism.active_passive(corpus).frame.set_index("form")
    >>> frame.loc[["group", "one_to_one"], ["active", "passive_only"]].values.tolist()
    [[0, 1], [1, 0]]
    """
    use = _resolve(data, options)
    release_freed_memory()   # what the step before freed (these run one after another on one FormsInUse)
    uses = use.uses
    # users and active users of each (member, form), from the member numbers of the sorted
    # rows: no grouping on the ids (millions of rows)
    rows = _rows(uses)
    n = len(rows.member_start)
    slot = rows.member.astype(np.int64) * len(FORMS) + rows.form
    used = np.zeros(n * len(FORMS), dtype=bool)
    used[slot] = True
    active = np.zeros(n * len(FORMS), dtype=bool)
    active[slot[uses["active"].to_numpy(dtype=bool)]] = True
    del slot, rows
    used, active = used.reshape(n, len(FORMS)), active.reshape(n, len(FORMS))
    counts = [(form, int(used[:, i].sum()), int(active[:, i].sum())) for i, form in enumerate(FORMS)]
    counts.append(("any", n, int(active.any(axis=1).sum())))
    frame = pd.DataFrame(counts, columns=["form", "members", "active"])
    frame["passive_only"] = frame["members"] - frame["active"]
    denominator = frame["members"].where(frame["members"] > 0)
    frame["share_active"] = frame["active"] / denominator
    frame["share_passive_only"] = frame["passive_only"] / denominator
    frame[["members", "active", "passive_only"]] = frame[["members", "active", "passive_only"]].astype(np.int64)
    return ActivePassive(frame, use.parameters)
