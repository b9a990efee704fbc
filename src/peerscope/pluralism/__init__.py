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
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from peerscope import errors

from peerscope._kernels import columnar, engine
from peerscope._kernels.align import sort_ranks
from peerscope._kernels.display import Display, axes, draw_form_shares, draw_mean_forms, fmt, span
from peerscope._kernels.memory import release_freed_memory
from peerscope._kernels.months import months_from_micros, months_from_times
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
        return _week_ordinals((times.dt.tz_convert(tz).dt.tz_localize(None) - _EPOCH).dt.days).astype("int64")
    months = months_from_times(times, tz).astype("int64")
    return months if freq == "M" else months // 3


def _week_ordinals(days):
    """Ordinals of the Monday-to-Sunday weeks holding days counted from 1970-01-01 (a Thursday,
    in the week with ordinal 1), as pandas numbers weekly periods."""
    return (days + 3) // 7 + 1


def _ordinals_of_micros(at: np.ndarray, freq: str, tz: str) -> np.ndarray:
    """:func:`_period_ordinals` of times given as epoch microseconds (UTC), as int64: the
    same numbers, from numpy's calendar arithmetic (a time zone other than UTC is applied
    by pandas first)."""
    if tz != "UTC":
        local = pd.DatetimeIndex(at.view("datetime64[us]")).tz_localize("UTC").tz_convert(tz).tz_localize(None)
        at = local.asi8
    if freq == "W":
        return _week_ordinals(at // 86_400_000_000)
    months = months_from_micros(at)
    return months if freq == "M" else months // 3


def _ordinal_of(time, freq: str, tz: str) -> int:
    """Ordinal of the period holding one time."""
    return int(_period_ordinals(pd.Series([time]), freq, tz).iloc[0])


def _periods(ordinals, freq: str) -> pd.PeriodIndex:
    return pd.PeriodIndex.from_ordinals(np.asarray(ordinals, dtype=np.int64), freq=freq)


def _ordinals(periods: pd.Series) -> np.ndarray:
    return np.asarray(periods.array.asi8, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class _Cells:
    """The member-periods with any use (*cells*), sorted by member and period: what
    :class:`FormsInUse` stores.

    ``member`` numbers members 0.. in ``member_id`` order (codes into the
    result's ids), ``ordinal`` is the period's ordinal, ``forms`` and
    ``active`` are bit sets (bit i: ``FORMS[i]``) of the forms used, and
    used actively, in the cell.  Ten bytes a cell: at 10M posts 19.5M cells
    take 195 MB, where one row per member, period and form (35.8M rows) took
    22 bytes a row, and every measure rebuilt per-row numbers from them.
    """

    member: np.ndarray   # int32
    ordinal: np.ndarray  # int32
    forms: np.ndarray    # uint8
    active: np.ndarray   # uint8

    @cached_property
    def member_start(self) -> np.ndarray:
        """First cell of each member."""
        return run_starts(self.member)

    @property
    def first(self) -> np.ndarray:
        """First period ordinal of each member (int32)."""
        return self.ordinal[self.member_start]

    def since_first(self) -> np.ndarray:
        """Periods from each cell's member's first period to the cell's (int32; 0 in the first)."""
        return self.ordinal - np.repeat(self.first, run_lengths(self.member_start, len(self.member)))

    def per_member(self, bits: np.ndarray) -> np.ndarray:
        """``bits`` (a bit set per cell) combined over each member's cells (bitwise or)."""
        if not len(bits):
            return np.zeros(0, dtype=np.uint8)
        return np.bitwise_or.reduceat(bits, self.member_start)


def _flags(bits: np.ndarray) -> np.ndarray:
    """Bit sets of forms -> a boolean array, one column per form in :data:`FORMS` order."""
    return (bits[:, None] >> np.arange(len(FORMS), dtype=np.uint8)) & 1 == 1


def _with_form(bits: np.ndarray, form: int) -> np.ndarray:
    """Whether each bit set holds form number ``form`` (a boolean mask: 1 byte an entry)."""
    return (bits >> np.uint8(form)) & np.uint8(1) == 1


def _counts(values: np.ndarray, size: int) -> np.ndarray:
    """``numpy.bincount`` of small non-negative integers (e.g. uint8 bit sets) in blocks, so that
    its cast to 8-byte integers is one block's, not one per value (19.5M cells at 10M posts)."""
    counts = np.zeros(size, dtype=np.int64)
    for lo in range(0, len(values), _BLOCK):
        counts += np.bincount(values[lo:lo + _BLOCK], minlength=size)
    return counts


# ---------------------------------------------------------------------------
# Forms in use
# ---------------------------------------------------------------------------

@dataclass(frozen=True, repr=False, eq=False)
class FormsInUse(Display):
    """Forms of support each member used in each period (see :func:`forms_in_use`).

    The measures of this module read its member-periods (one entry per
    member and period with any use, the forms used as bits), so reusing one
    result for several of them costs no recomputation and no per-row table.

    Attributes
    ----------
    uses : DataFrame
        One row per member, period and form used, sorted by member id,
        period and form: ``member_id`` (categorical, categories the sorted
        ids of the members with a use: a code of 4 bytes a row), ``period``
        (:class:`pandas.Period`), ``form`` (categorical, categories
        :data:`FORMS`) and ``active`` (True when any use that period was
        active).  Made when first read (35.8M rows at 10M posts).
    first_uses : DataFrame
        One row per member and form used, sorted by member id and form:
        ``member_id`` (categorical as in ``uses``), ``form`` and
        ``first_at``, the time of the member's first use of the form.
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

    first_uses: pd.DataFrame = field(repr=False)
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
    _cells: _Cells = field(repr=False)

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
    def _ids(self) -> pd.Index:
        """The ids of the members with a use, sorted (member number i is ``_ids[i]``)."""
        return self.first_uses["member_id"].cat.categories

    @property
    def n_members(self) -> int:
        """Members with at least one use."""
        return len(self._ids)

    @cached_property
    def uses(self) -> pd.DataFrame:
        """One row per member, period and form used (see the class's attributes), made from
        the cells when first read and kept."""
        cells = self._cells
        cell, form = np.nonzero(_flags(cells.forms))   # row-major: by cell, then form
        return pd.DataFrame({
            "member_id": pd.Categorical.from_codes(cells.member[cell], dtype=self.first_uses["member_id"].dtype),
            "period": pd.arrays.PeriodArray(cells.ordinal[cell].astype(np.int64), dtype=pd.PeriodDtype(self.freq)),
            "form": pd.Categorical.from_codes(form.astype(np.int8), categories=list(FORMS)),
            "active": (cells.active[cell] >> form.astype(np.uint8)) & 1 == 1,
        }, copy=False)

    def active_in(self, forms) -> pd.Index:
        """Ids of the members with active use of any of ``forms`` in some period, sorted.

        Examples
        --------
        >>> from peerscope import pluralism
        >>> from peerscope.datasets.examples import tiny_pathways
        >>> pluralism.forms_in_use(tiny_pathways()).active_in(["online", "one_to_one"]).tolist()
        ['ann', 'bob']
        """
        unknown = [f for f in forms if f not in FORMS]
        if unknown:
            raise errors.PeerscopeError(f"unknown form(s) {unknown}; forms are {list(FORMS)}")
        wanted = np.uint8(sum(1 << _CODE[f] for f in set(forms)))
        cells = self._cells
        return self._ids[np.flatnonzero(cells.per_member(cells.active & wanted))]

    def _display_rows(self) -> list[tuple[str, object]]:
        cells = self._cells
        return [("members", self.n_members),
                ("member-periods", f"{fmt(len(cells.member))} with "
                                   f"{fmt(int(np.bitwise_count(cells.forms).sum()))} uses of a form"),
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
        cells = self._cells
        flags = _flags(cells.forms)
        frame = pd.DataFrame({
            "member_id": pd.array(self._ids.take(cells.member), dtype="str"),
            "period": pd.arrays.PeriodArray(cells.ordinal.astype(np.int64), dtype=pd.PeriodDtype(self.freq)),
        })
        for i, form in enumerate(FORMS):
            frame[form] = flags[:, i]
        frame["forms"] = pd.array(_set_labels(flags), dtype="str")
        frame["n_forms"] = np.bitwise_count(cells.forms).astype(np.int64)
        frame["n_active_forms"] = np.bitwise_count(cells.active).astype(np.int64)
        frame["periods_since_first_use"] = cells.since_first().astype(np.int64)
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
    codes = _roster_codes(corpus)
    ignored: dict = {}
    parts = _parts(corpus, start, end, freq, tz, codes, active_kinds, passive_kinds, ignored)
    cells, first_uses, n_excluded = _combine(parts, None if codes is None else codes["member_id"],
                                             ids_with_roles(corpus, exclude_roles))
    if end is not None:  # followed up to the window's end, used or not
        last = _ordinal_of(end - pd.Timedelta(microseconds=1), freq, tz)
    else:
        last = int(cells.ordinal.max()) if len(cells.ordinal) else None
    return FormsInUse(first_uses=first_uses, freq=freq, tz=tz, start=start, end=end,
                      last_period=None if last is None else pd.Period(_periods([last], freq)[0]),
                      exclude_roles=tuple(exclude_roles), active_kinds=active_kinds,
                      passive_kinds=passive_kinds, ignored_events=ignored,
                      excluded_members=n_excluded, _cells=cells)


def _parts(corpus, start, end, freq: str, tz: str, codes, active_kinds, passive_kinds, ignored: dict):
    """The uses of the posts, events and newsletter items, one part at a time.

    With roster ``codes`` each part is four arrays, one entry per use:
    member (the position in the roster), slot (:data:`_SLOTS`), time (epoch
    microseconds) and active.  On the pandas engine they come from the
    columnar engine (:func:`_columnar_parts`); on Dask from the workers'
    aggregates (:func:`_per_period`).  Without a roster each part is a frame
    of :func:`_per_period` with the string ids.  Each source is dropped as
    soon as it is aggregated and the events are read batch by batch; the
    count of each event kind left out is put in ``ignored`` once the events
    are read.
    """
    if codes is not None and corpus.engine == "pandas":
        yield from _columnar_parts(corpus, start, end, freq, tz, codes["member_id"], active_kinds,
                                   passive_kinds, ignored)
        return
    numbers = _numbers if codes is not None else (lambda part: part)
    if corpus.has_table("posts"):
        yield from map(numbers, _per_period(corpus.posts(columns=["author_id", "created_at"], start=start, end=end),
                                            "author_id", "created_at", freq, tz, "online", codes))
        release_freed_memory()  # the posts' temporaries, before the events are read
    if corpus.has_table("events"):
        yield from map(numbers, _event_parts(corpus, start, end, freq, tz, codes, active_kinds, passive_kinds,
                                             ignored))
    if corpus.has_table("newsletter_items"):
        yield from map(numbers, _per_period(corpus.newsletter_items(columns=["author_id", "published_at"],
                                                                    start=start, end=end),
                                            "author_id", "published_at", freq, tz, "newsletter", codes))


def _numbers(part: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A keyed part of :func:`_per_period` as the four arrays of :func:`_parts`."""
    key = part["key"].to_numpy(dtype=np.int64)
    member = key // _SLOTS
    return (member, key - member * _SLOTS, part["first_at"].to_numpy(dtype="datetime64[us]").view(np.int64),
            part["active"].to_numpy(dtype=bool))


#: Rows per batch read and returned by the columnar engine in :func:`_columnar_parts`.
_BATCH = 1 << 20


def _columnar_parts(corpus, start, end, freq: str, tz: str, roster, active_kinds, passive_kinds,
                    ignored: dict):
    """The uses as the arrays of :func:`_parts`, a batch at a time, from a saved corpus on the pandas engine.

    Each table is streamed through one hash join against the roster
    (:func:`~peerscope._kernels.columnar.member_rows`): every id becomes its
    roster position in the engine, on every core, and no frame of string
    ids is made.  At 10M posts and 46M events this took 10 s where pandas
    look-ups and group-bys of each batch took 47 s.
    """
    roster = pa.array(roster, type=pa.string())
    use_kinds = active_kinds + passive_kinds
    kinds: dict = {}
    sources = [("posts", "author_id", "created_at", "online"), ("events", "member_id", "at", None),
               ("newsletter_items", "author_id", "published_at", "newsletter")]
    for table, member, time, form in sources:
        if not corpus.has_table(table):
            continue
        batches = corpus.arrow_batches(table, [member, time] + (["kind", "form"] if form is None else []),
                                       start=start, end=end, batch_size=_BATCH)
        if form is None:
            batches = _counting(batches, "kind", kinds)
        coded = {"form": FORMS, "kind": use_kinds} if form is None else None
        for batch in columnar.member_rows(batches, roster, member, time, codes=coded, rows=_BATCH):
            at = batch.column("at").to_numpy()
            slot = _ordinals_of_micros(at, freq, tz)
            slot += _OFFSET
            slot *= 8
            if form is None:
                slot += batch.column("form").to_numpy()
                active = batch.column("kind").to_numpy() < len(active_kinds)  # use_kinds lists them first
            else:
                slot += _CODE[form]
                active = np.ones(len(at), dtype=bool)
            yield batch.column("member").to_numpy(), slot, at, active
    ignored.update({kind: n for kind, n in sorted(kinds.items()) if kind not in use_kinds})


def _counting(batches, column: str, counts: dict):
    """The batches, unchanged, with the count of each value of ``column`` added to ``counts``
    as they pass (nulls not counted)."""
    for batch in batches:
        for entry in pc.value_counts(batch.column(column)).to_pylist():
            if entry["values"] is not None:
                counts[entry["values"]] = counts.get(entry["values"], 0) + entry["counts"]
        yield batch


#: Events per batch when a corpus on the pandas engine is streamed (:func:`_event_parts`).
_EVENT_BATCH = 1 << 21


def _event_parts(corpus, start, end, freq: str, tz: str, codes, active_kinds, passive_kinds, ignored: dict):
    """The events' parts of :func:`_per_period`, one at a time; the count of each kind left out
    is put in ``ignored`` at the end.

    On the pandas engine the events are streamed batch by batch
    (:meth:`peerscope.Corpus.iter_batches`) and each batch is aggregated to
    member x slot at once: a 10M-post community has 46M events, which as one
    frame of string ids took 8.9 GB.  :func:`_combine` merges the batches'
    parts, which gives the numbers of one pass.  On Dask the events are
    aggregated on the workers.
    """
    use_kinds = list(active_kinds + passive_kinds)
    kinds = []
    for events in _event_frames(corpus, ["member_id", "at", "kind", "form"], start, end):
        kinds.append(engine.count_by(events, "kind"))
        events = events[events["kind"].isin(use_kinds)]
        parts = _per_period(events.assign(active=events["kind"].isin(list(active_kinds))),
                            "member_id", "at", freq, tz, None, codes)
        del events
        release_freed_memory()  # the batch's temporaries, else the heap keeps them between the parts
        yield from parts
    counts = pd.concat(kinds).groupby(level=0, sort=False).sum() if kinds else pd.Series(dtype=np.int64)
    ignored.update({str(k): int(n) for k, n in sorted(counts.items()) if k not in use_kinds})


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
                codes: pd.DataFrame | None):
    """Aggregate one table (pandas or Dask) to member x slot: first time, any active use.

    With roster ``codes`` the group key is one integer (member code and
    slot) and the result has the columns ``key`` (int64: member code x
    :data:`_SLOTS` + slot), ``first_at`` and ``active``, 17 bytes a row,
    made so on the workers on Dask and collected one partition at a time
    (:func:`~peerscope._kernels.engine.partitions`): the client never holds the parts twice (as the
    partitions received and their concatenation); else the key is the pair
    (member id, slot) and the columns are ``member`` (the id), ``slot``,
    ``first_at`` and ``active``.  Rows with a null member are dropped.
    Returns the parts, to be read once: one on pandas, one per partition on
    Dask, collected as they are read.
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
        return engine.partitions(grouped)
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


def _combine(parts, roster_ids: pd.Series | None, excluded: set[str]) -> tuple[_Cells, pd.DataFrame, int]:
    """Parts of :func:`_parts` -> the cells and first uses of a :class:`FormsInUse`, and the
    number of ids left out.

    Every use in a part becomes one int64, its *key*: the rank of the
    member's id among all ids, the slot and the active flag, packed so that
    sorting the keys sorts the uses by member id, period and form
    (:data:`_KEY_SHIFT`, :data:`_SLOTS`).  The first use of each (member,
    form) is folded in as the parts arrive.  The keys are kept in buckets of
    consecutive ranks, and each bucket sorted in place gives its members'
    cells, each a run of keys: a 10M-post community's 56M uses take 8 bytes
    each this way, where one frame of them took 4.7 GB (issue 23).  Uses of
    ids in ``excluded`` are dropped; the number of those ids with a use is
    returned.
    """
    if roster_ids is None:   # ids from the parts themselves (strings): every part is needed first
        parts = list(parts)
        member, ids = pd.factorize(pd.concat([part["member"] for part in parts], ignore_index=True)
                                   if parts else pd.Series(dtype="str"))
        ids = pa.array(np.asarray(ids, dtype=object), type=pa.string())
        parts = _emptied(parts)
    else:
        member = None
        ids = pa.array(roster_ids, type=pa.string())
    rank = sort_ranks(ids)
    dropped = pc.is_in(ids, value_set=pa.array(sorted(excluded), type=pa.string())).to_numpy(
        zero_copy_only=False)
    seen = np.zeros(len(ids), dtype=bool)  # excluded ids with a use
    first = np.full(len(ids) * len(FORMS), _NEVER, dtype=np.int64)  # by (rank, form)
    # keys go to buckets of consecutive id ranks, sorted one bucket at a time: only the keys
    # (8 bytes a use) and one bucket's temporaries are in memory together
    shift = max(len(ids) - 1, 1).bit_length() - min(_BUCKET_BITS, max(len(ids) - 1, 1).bit_length())
    buckets: list[list[np.ndarray]] = [[] for _ in range(1 + ((max(len(ids), 1) - 1) >> shift))]
    done = 0
    for part in parts:
        if member is None:   # the arrays of :func:`_parts`
            code, slot, first_at, active = part
        else:
            code, slot = member[done:done + len(part)], part["slot"].to_numpy(dtype=np.int64)
            first_at = part["first_at"].to_numpy(dtype="datetime64[us]").view(np.int64)
            active = part["active"].to_numpy(dtype=bool)
            done += len(part)
        del part
        keep = ~dropped[code]
        seen[code[~keep]] = True
        key = rank[code[keep]]
        slot = slot[keep]
        np.minimum.at(first, key * len(FORMS) + slot % 8, first_at[keep])
        key *= _SLOTS
        key += slot
        key <<= 1
        key |= active[keep]
        del code, slot, first_at, active, keep
        _into_buckets(key, shift, buckets)
        del key
    del member
    release_freed_memory()  # the parts
    cells, member_rank = _bucket_cells(buckets)
    # the ids as a Categorical over the sorted ids of the members with a use (the same on
    # both engines): a code of 4 bytes a row or cell, not a string each
    by_rank = np.empty(len(rank), dtype=np.int64)
    by_rank[rank] = np.arange(len(rank))
    categories = schema.to_pandas(pa.table({"member_id": ids.take(pa.array(by_rank[member_rank]))}))
    dtype = pd.CategoricalDtype(pd.Index(categories["member_id"]))
    first = first.reshape(-1, len(FORMS))[member_rank]
    member, form = np.nonzero(first != _NEVER)
    first_uses = pd.DataFrame({
        "member_id": pd.Categorical.from_codes(member.astype(np.int32), dtype=dtype),
        "form": pd.Categorical.from_codes(form.astype(np.int8), categories=list(FORMS)),
        "first_at": pd.Series(first[member, form].view("datetime64[us]")).dt.tz_localize("UTC"),
    })
    return cells, first_uses, int(seen.sum())


#: Keys compared per block in :func:`_cells_of`, so that its temporaries stay small.
_BLOCK = 1 << 22
#: The id rank starts at this bit of a key of :func:`_combine` (below it: slot and active flag).
_KEY_SHIFT = 25
#: Keys are sorted in up to 2**_BUCKET_BITS buckets of consecutive id ranks (:func:`_combine`).
_BUCKET_BITS = 4
_NEVER = np.iinfo(np.int64).max


def _into_buckets(key: np.ndarray, shift: int, buckets: list[list[np.ndarray]]) -> None:
    """Append the keys of :func:`_combine` to the bucket of their id rank (the rank >> ``shift``)."""
    bucket = (key >> (_KEY_SHIFT + shift)).astype(np.intp)
    order = np.argsort(bucket, kind="stable")
    ends = np.cumsum(np.bincount(bucket, minlength=len(buckets)))
    key = key[order]
    del bucket, order
    for number, (lo, hi) in enumerate(zip(np.append(0, ends[:-1]), ends)):
        if hi > lo:
            buckets[number].append(key[lo:hi].copy())


def _bucket_cells(buckets: list[list[np.ndarray]]) -> tuple[_Cells, np.ndarray]:
    """The cells of the buckets' keys, bucket after bucket, and the id rank of each member; each
    bucket is sorted in place and freed before the next is joined (the list is emptied)."""
    fields = ("member", "ordinal", "forms", "active")
    pieces: dict[str, list[np.ndarray]] = {name: [] for name in fields}
    ranks: list[np.ndarray] = []
    members = 0
    for bucket in _emptied(buckets):
        key = _joined(bucket)
        key.sort()
        cells, member_rank = _cells_of(key, members)
        del key
        for name in fields:
            pieces[name].append(getattr(cells, name))
        ranks.append(member_rank)
        members += len(member_rank)
        del cells, member_rank
    return _Cells(**{name: _joined(pieces[name]) for name in fields}), _joined(ranks)   # a field at a time


def _emptied(items: list):
    """The items of ``items``, each removed from the list as it is handed out."""
    items.reverse()
    while items:
        yield items.pop()


def _joined(arrays: list[np.ndarray]) -> np.ndarray:
    """One array of ``arrays`` (of one dtype; int64 when empty), each freed once copied
    (the list is emptied)."""
    out = np.empty(sum(len(a) for a in arrays), dtype=arrays[0].dtype if arrays else np.int64)
    n = 0
    for array in _emptied(arrays):
        out[n:n + len(array)] = array
        n += len(array)
    return out


def _cells_of(key: np.ndarray, first_member: int) -> tuple[_Cells, np.ndarray]:
    """Sorted keys of :func:`_combine` -> the cells, and the id rank of each member of them;
    members are numbered from ``first_member``.

    A cell is a run of keys equal but for the form and the active flag
    (their lowest four bits); its forms and active forms are the bitwise or
    of its keys'.  The rows are read a block at a time.
    """
    n = len(key)
    new_cell = np.ones(n, dtype=bool)
    bits = np.empty(n, dtype=np.uint8)  # bit f: form f used; bit 4 + f: used actively
    for lo in range(0, n, _BLOCK):
        block = key[lo:lo + _BLOCK]
        cell = block >> 4
        np.not_equal(cell[1:], cell[:-1], out=new_cell[lo + 1:lo + len(block)])
        if lo:
            new_cell[lo] = cell[0] != key[lo - 1] >> 4
        form = ((block >> 1) & 7).astype(np.uint8)
        bits[lo:lo + len(block)] = (np.uint8(1) << form) | ((block & 1).astype(np.uint8) << (form + np.uint8(4)))
        del block, cell, form
    starts = np.flatnonzero(new_cell)
    del new_cell
    bits = np.bitwise_or.reduceat(bits, starts) if n else bits
    cell = key[starts] >> 4   # rank x 2**(_KEY_SHIFT - 4) + period + _OFFSET
    del starts
    rank = cell >> (_KEY_SHIFT - 4)
    member_start = run_starts(rank)
    member = np.repeat(np.arange(first_member, first_member + len(member_start), dtype=np.int32),
                       run_lengths(member_start, len(rank)))
    rank = rank[member_start]
    cell &= (1 << (_KEY_SHIFT - 4)) - 1
    cell -= _OFFSET
    cells = _Cells(member=member, ordinal=cell.astype(np.int32), forms=bits & np.uint8(15),
                   active=bits >> np.uint8(4))
    return cells, rank


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
    cells = use._cells
    if not len(cells.member) or use.last_period is None:
        empty = pd.DataFrame({"periods_since_first_use": pd.Series(dtype=np.int64),
                              "members": pd.Series(dtype=np.int64),
                              "members_using": pd.Series(dtype=np.int64),
                              "mean_forms": pd.Series(dtype=float),
                              "mean_forms_using": pd.Series(dtype=float),
                              **{f"share_{f}": pd.Series(dtype=float) for f in FORMS}})
        return TenureCurve(empty, use.parameters)
    horizon = use.last_period.ordinal - cells.first  # periods each member is observed after the first
    n_k = int(horizon.max()) + 1
    if max_periods is not None:
        n_k = min(n_k, int(max_periods) + 1)
    observed = np.cumsum(np.bincount(horizon, minlength=n_k)[::-1])[::-1][:n_k]
    since = cells.since_first()
    keep = since < n_k
    since, forms = since[keep], cells.forms[keep]
    del keep
    using = _counts(since, n_k)
    per_form = [_counts(since[_with_form(forms, code)], n_k) for code in range(len(FORMS))]
    forms_sum = np.sum(per_form, axis=0)
    frame = pd.DataFrame({"periods_since_first_use": np.arange(n_k, dtype=np.int64),
                          "members": observed.astype(np.int64),
                          "members_using": using.astype(np.int64),
                          "mean_forms": forms_sum / observed,
                          "mean_forms_using": np.where(using > 0, forms_sum / np.maximum(using, 1),
                                                       np.nan)})
    for count, form in zip(per_form, FORMS):
        frame[f"share_{form}"] = count / observed
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
    cells, firsts = use._cells, use.first_uses
    n_members = use.n_members
    member = firsts["member_id"].cat.codes.to_numpy()
    form = firsts["form"].cat.codes.to_numpy()
    at = firsts["first_at"].array.asi8
    order = np.lexsort((form, at, member))
    member, form, at = member[order], form[order], at[order]
    rank = np.arange(len(member)) - np.searchsorted(member, member, side="left") + 1
    member_ids = pd.Series(use._ids, copy=False)
    firsts = pd.DataFrame({
        "member_id": member_ids.iloc[member].reset_index(drop=True),
        "form": pd.Categorical.from_codes(form, categories=list(FORMS)),
        "order": rank.astype(np.int64),
        "first_at": pd.Series(at.view("datetime64[us]")).dt.tz_localize("UTC"),
    })
    members = _pathway_labels(member_ids, member, form, rank, firsts["first_at"])
    counts = np.bincount(form[rank == 1], minlength=len(FORMS))
    first_forms = pd.DataFrame({"form": list(FORMS), "members": counts.astype(np.int64)})
    first_forms["share"] = first_forms["members"] / max(n_members, 1)
    return Pathways(members=members, first_uses=firsts, first_forms=first_forms,
                    transitions=_transitions(cells, use.last_period), parameters=use.parameters)


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


def _transitions(cells: _Cells, last_period: pd.Period | None) -> pd.DataFrame:
    """Period-to-period transition counts between forms (and no form), from the cells' bit sets.

    Each ``a -> b`` count is a cell whose forms hold ``a`` followed by its
    member's cell of the next period holding ``b``: the pairs of bit sets
    are counted once (256 at most) and spread over their forms.
    """
    states = list(FORMS) + [NO_FORM]
    none = len(FORMS)
    counts = np.zeros((none + 1, none + 1), dtype=np.int64)
    if len(cells.member) and last_period is not None:
        member, ordinal, bits = cells.member, cells.ordinal, cells.forms
        span = last_period.ordinal - cells.first  # pairs (p, p + 1) each member is observed for
        rel = cells.since_first()
        has_next = np.zeros(len(member), dtype=bool)
        has_next[:-1] = (member[1:] == member[:-1]) & (ordinal[1:] == ordinal[:-1] + 1)
        has_prev = np.zeros(len(member), dtype=bool)
        has_prev[1:] = has_next[:-1]
        inside = rel < span.astype(np.int32)[member]  # p + 1 is still observed
        flags = _flags(np.arange(1 << none, dtype=np.uint8)).astype(np.int64)  # bit set -> forms
        pairs = bits[:-1][has_next[:-1]] << np.uint8(none)   # a cell's forms, then the next period's
        pairs |= bits[1:][has_next[:-1]]
        pair_counts = _counts(pairs, 1 << 2 * none).reshape(1 << none, 1 << none)
        del pairs
        counts[:none, :none] = flags.T @ pair_counts @ flags
        counts[:none, none] = _counts(bits[inside & ~has_next], 1 << none) @ flags
        counts[none, :none] = _counts(bits[(rel > 0) & ~has_prev], 1 << none) @ flags
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
    cells = use._cells
    n = use.n_members
    # each form's span: first and last period ordinal, per member (a member's cells are sorted by period)
    lo = np.full((n, len(FORMS)), np.iinfo(np.int32).max, dtype=np.int32)
    hi = np.full((n, len(FORMS)), np.iinfo(np.int32).min, dtype=np.int32)
    for code in range(len(FORMS)):
        with_form = _with_form(cells.forms, code)
        member, ordinal = cells.member[with_form], cells.ordinal[with_form]
        starts = run_starts(member)
        ends = np.append(starts[1:], len(member))[:len(starts)] - 1
        lo[member[starts], code] = ordinal[starts]
        hi[member[ends], code] = ordinal[ends]
    flags = hi >= lo
    concurrent = np.zeros(n, dtype=bool)
    for i in range(len(FORMS)):
        for j in range(i + 1, len(FORMS)):
            concurrent |= flags[:, i] & flags[:, j] & (lo[:, i] <= hi[:, j]) & (lo[:, j] <= hi[:, i])
    bits = (flags.astype(np.int64) << np.arange(len(FORMS))).sum(axis=1)
    members = pd.Series(use._ids, name="member_id").to_frame()
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
    # the forms each member used, and used actively, as bit sets over their cells
    cells = use._cells
    n = use.n_members
    used, active = _flags(cells.per_member(cells.forms)), _flags(cells.per_member(cells.active))
    counts = [(form, int(used[:, i].sum()), int(active[:, i].sum())) for i, form in enumerate(FORMS)]
    counts.append(("any", n, int(active.any(axis=1).sum())))
    frame = pd.DataFrame(counts, columns=["form", "members", "active"])
    frame["passive_only"] = frame["members"] - frame["active"]
    denominator = frame["members"].where(frame["members"] > 0)
    frame["share_active"] = frame["active"] / denominator
    frame["share_passive_only"] = frame["passive_only"] / denominator
    frame[["members", "active", "passive_only"]] = frame[["members", "active", "passive_only"]].astype(np.int64)
    return ActivePassive(frame, use.parameters)
