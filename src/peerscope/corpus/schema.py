"""The tables of a corpus, their Arrow schemas, and their validation.

A corpus has four tables (see ``docs/data-model.md``):

``posts``
    what people wrote: one row per post, comment, answer or message.
``members``
    who is registered (the roster) and in what role.
``events``
    what people did without writing: views, newsletter deliveries,
    group attendance, one-to-one sessions.
``newsletter_items``
    items of peer-written newsletters.

Each table is described by a :class:`TableSpec`: its columns, which are
required, which may hold nulls, which hold a closed set of categories, and
which column is its id, its time and its channel.  :func:`coerce_frame` turns
a user's DataFrame into the canonical Arrow types, and :func:`check_tables`
applies every rule of the schema, either raising a
:class:`~peerscope.errors.ValidationError` that names the table, column, rule
and offending rows, or (``repair=True``) moving the offending rows to a
quarantine so that rows in = rows kept + rows quarantined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pyarrow as pa

from peerscope import errors

__all__ = ["EARLIEST_PLAUSIBLE", "EVENTS", "EVENT_KINDS", "FORMS", "MEMBERS", "NEWSLETTER_ITEMS",
           "NON_PERSON_ROLES", "PANDAS_TYPES", "POSTS", "ROLES", "SCHEMA_VERSION", "TABLES",
           "TIMESTAMP", "ColumnSpec", "TableSpec", "coerce_frame", "empty_frame", "table_spec",
           "to_arrow", "to_pandas"]

#: Version of the on-disk layout and schemas; bumped on incompatible change.
SCHEMA_VERSION = 1

TIMESTAMP = pa.timestamp("us", tz="UTC")

#: Roles a member can have.  ``bot``, ``deleted`` and ``anonymous`` are not
#: persons: metrics exclude bots by default and count posts by deleted or
#: anonymous authors in corpus totals but never as one person's.
ROLES = ("member", "moderator", "facilitator", "staff", "bot", "deleted", "anonymous")

#: Roles whose ids do not stand for one person.
NON_PERSON_ROLES = ("bot", "deleted", "anonymous")

#: Forms of peer support (docs/concepts.md, "Forms, channels and participation").
FORMS = ("online", "group", "one_to_one", "newsletter")

#: Event kinds peerscope's metrics know.  Other kinds are kept but ignored.
EVENT_KINDS = ("view", "read", "receive", "attend", "facilitate", "session",
               "react", "join", "leave", "contribute")

#: Times before this are implausible for online communication (the first
#: public mailing lists and Usenet date from the late 1970s / early 1980s).
EARLIEST_PLAUSIBLE = pd.Timestamp("1975-01-01", tz="UTC")


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a table: its name, Arrow type and the rules it obeys.

    Attributes
    ----------
    name : str
    type : pyarrow.DataType
    required : bool
        The column must be present.
    nullable : bool
        Nulls are allowed.
    categories : tuple of str or None
        The allowed values, when the column is categorical.
    doc : str
        What the column holds.

    Examples
    --------
    >>> column = POSTS.known["created_at"]
    >>> column.required, column.nullable, str(column.type)
    (True, False, 'timestamp[us, tz=UTC]')
    """

    name: str
    type: pa.DataType
    required: bool = False
    nullable: bool = True
    categories: tuple[str, ...] | None = None
    doc: str = ""


@dataclass(frozen=True)
class TableSpec:
    """One table of the corpus.

    Attributes
    ----------
    name : str
    columns : tuple of ColumnSpec
        The known columns, in order.
    id_column, time_column, channel_column : str or None
        The unique id, the time windows filter on, and the channel filter.
    doc : str
    lazy_columns : tuple of str
        Columns read only when asked for by name.

    Examples
    --------
    >>> POSTS.required
    ('post_id', 'thread_id', 'parent_id', 'author_id', 'created_at', 'text')
    >>> MEMBERS.id_column, MEMBERS.time_column, POSTS.lazy_columns
    ('member_id', None, ('text', 'title'))
    """

    name: str
    columns: tuple[ColumnSpec, ...]
    id_column: str | None
    time_column: str | None
    channel_column: str | None = None
    doc: str = ""
    #: Columns read only when asked for by name (large free text).
    lazy_columns: tuple[str, ...] = field(default=())

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def known(self) -> dict[str, ColumnSpec]:
        return {c.name: c for c in self.columns}

    def arrow_schema(self) -> pa.Schema:
        """The Arrow schema of the known columns."""
        return pa.schema([pa.field(c.name, c.type, nullable=c.nullable) for c in self.columns])


def _string(name, required=False, nullable=True, categories=None, doc=""):
    return ColumnSpec(name, pa.string(), required, nullable, categories, doc)


def _time(name, required=False, nullable=True, doc=""):
    return ColumnSpec(name, TIMESTAMP, required, nullable, None, doc)


POSTS = TableSpec(
    "posts",
    (
        _string("post_id", True, False, doc="unique id of the post"),
        _string("thread_id", True, False, doc="id of the thread (usually its opening post)"),
        _string("parent_id", True, True, doc="post this one replies to; null for an opening post"),
        _string("author_id", True, True, doc="member who wrote it; null when unknown"),
        _time("created_at", True, False, doc="when it was written (UTC)"),
        _string("text", True, True, doc="body text"),
        _string("title", doc="title (opening posts)"),
        _string("channel", doc="board, forum, list or subreddit"),
        _string("kind", doc="post, comment, answer, question, message, ..."),
        ColumnSpec("score", pa.int64(), doc="votes or likes"),
        ColumnSpec("views", pa.int64(), doc="view count where the source has one"),
        ColumnSpec("is_removed", pa.bool_(), doc="removed by moderators"),
    ),
    id_column="post_id",
    time_column="created_at",
    channel_column="channel",
    doc="what people wrote",
    lazy_columns=("text", "title"),
)

MEMBERS = TableSpec(
    "members",
    (
        _string("member_id", True, False, doc="unique id of the member"),
        _time("joined_at", doc="registration time"),
        _time("left_at", doc="time the member left or was removed"),
        _string("role", categories=ROLES, doc="member role; null means member"),
    ),
    id_column="member_id",
    time_column=None,
    doc="who is registered, and in what role",
)

EVENTS = TableSpec(
    "events",
    (
        _string("member_id", True, False, doc="who"),
        _time("at", True, False, doc="when (UTC)"),
        _string("kind", True, False, doc="view, read, receive, attend, session, ..."),
        _string("form", True, False, categories=FORMS, doc="form of peer support"),
        _string("target_id", doc="post, thread, issue or meeting the event is about"),
        _string("channel", doc="board, group or newsletter"),
    ),
    id_column=None,
    time_column="at",
    channel_column="channel",
    doc="passive participation and non-text forms of support",
)

NEWSLETTER_ITEMS = TableSpec(
    "newsletter_items",
    (
        _string("item_id", True, False, doc="unique id of the item"),
        _string("issue_id", True, False, doc="issue the item appeared in"),
        _string("newsletter", True, False, doc="name of the newsletter"),
        _time("published_at", True, False, doc="publication time of the issue (UTC)"),
        _string("author_id", True, True, doc="member who wrote it; null for staff or unknown"),
        _string("text", True, True, doc="body text"),
        _string("title", doc="title"),
        _string("item_type", doc="story, poem, letter, notice, ..."),
    ),
    id_column="item_id",
    time_column="published_at",
    channel_column="newsletter",
    doc="items of peer-written newsletters",
    lazy_columns=("text", "title"),
)

TABLES: dict[str, TableSpec] = {t.name: t for t in (POSTS, MEMBERS, EVENTS, NEWSLETTER_ITEMS)}

#: pandas dtypes of Arrow types: the dtypes every table is read back with.
PANDAS_TYPES = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype(),
                 pa.int32(): pd.Int32Dtype()}


def to_arrow(spec: TableSpec, frame: pd.DataFrame) -> pa.Table:
    """A coerced frame as an Arrow table: known columns get the schema's types,
    extra attribute columns keep their inferred types, and the column order
    is the frame's.

    Parameters
    ----------
    spec : TableSpec
    frame : pandas.DataFrame
        Already coerced (:func:`coerce_frame`).

    Returns
    -------
    pyarrow.Table

    Examples
    --------
    >>> import pandas as pd
    >>> frame = coerce_frame(MEMBERS, pd.DataFrame({"member_id": ["ann"], "tenure": [3]})).frame
    >>> table = to_arrow(MEMBERS, frame)
    >>> table.schema.field("member_id").nullable, str(table.schema.field("tenure").type)
    (False, 'int64')
    """
    inferred = pa.Schema.from_pandas(frame, preserve_index=False)
    known = spec.known
    fields = [pa.field(f.name, known[f.name].type, nullable=known[f.name].nullable)
              if f.name in known else f for f in inferred]
    return pa.Table.from_pandas(frame, schema=pa.schema(fields), preserve_index=False)


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """Arrow -> pandas with peerscope's dtypes.

    Strings become pandas' default ``str`` dtype, times ``datetime64[us, UTC]``,
    integers the nullable ``Int64`` and booleans ``boolean``, so that nulls in
    integer and boolean columns survive the round trip.

    Parameters
    ----------
    table : pyarrow.Table

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> import pyarrow as pa
    >>> frame = to_pandas(pa.table({"score": pa.array([1, None], pa.int64())}))
    >>> str(frame["score"].dtype), frame["score"].isna().tolist()
    ('Int64', [False, True])
    """
    return table.to_pandas(types_mapper=PANDAS_TYPES.get)


def empty_frame(spec: TableSpec, columns: list[str] | None = None) -> pd.DataFrame:
    """An empty DataFrame with the table's columns and dtypes.

    Parameters
    ----------
    spec : TableSpec
    columns : list of str, optional
        Only these known columns, in this order (default all).

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> frame = empty_frame(MEMBERS, ["member_id", "joined_at"])
    >>> len(frame), str(frame["joined_at"].dtype)
    (0, 'datetime64[us, UTC]')
    """
    schema = spec.arrow_schema()
    if columns is not None:
        schema = pa.schema([schema.field(c) for c in columns])
    return to_pandas(schema.empty_table())


# ---------------------------------------------------------------------------
# Coercion: user frames -> canonical types, recording rows that do not fit
# ---------------------------------------------------------------------------

@dataclass
class Coerced:
    """A frame coerced to canonical column types (see :func:`coerce_frame`).

    Attributes
    ----------
    frame : DataFrame
        The coerced frame (values that did not convert are null).
    bad : dict of str -> numpy.ndarray
        Column -> boolean mask of the rows whose value did not convert.
    problems : dict of str -> peerscope.errors.ValidationError
        Column -> the error describing its bad values.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"member_id": [1, 2], "joined_at": ["2024-01-01T00:00Z", "soon"]})
    >>> coerced = coerce_frame(MEMBERS, raw)
    >>> coerced.frame["member_id"].tolist(), coerced.bad["joined_at"].tolist()
    (['1', '2'], [False, True])
    >>> type(coerced.problems["joined_at"]).__name__
    'ColumnTypeError'
    """

    frame: pd.DataFrame
    bad: dict[str, np.ndarray] = field(default_factory=dict)
    problems: dict[str, errors.ValidationError] = field(default_factory=dict)


_INTEGRAL_FLOAT = re.compile(r"^-?\d+\.0+$")


def _as_id_strings(values: pd.Series) -> pd.Series:
    """Ids as strings.  Integers stay as digits; floats that hold integers
    (an integer column with nulls, as CSV readers produce) lose the ``.0``."""
    if pd.api.types.is_bool_dtype(values.dtype):
        raise TypeError("booleans are not ids")
    if pd.api.types.is_float_dtype(values.dtype):
        finite = values.dropna()
        if not np.all(np.mod(finite.to_numpy(), 1) == 0):
            raise TypeError("non-integral numbers are not ids")
        as_int = values.astype("Int64")
        return as_int.astype("str").where(values.notna(), None).astype("str")
    if pd.api.types.is_integer_dtype(values.dtype):
        return values.astype("str").where(values.notna(), None).astype("str")
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values.dtype):
        raise TypeError("times are not ids")
    return values.astype("str")


def _row_examples(frame: pd.DataFrame, mask: np.ndarray, spec: TableSpec,
                  column: str | None, positions: np.ndarray | None = None) -> list[dict]:
    """Up to MAX_EXAMPLES offending rows as dicts: row position, id, value."""
    index = np.flatnonzero(mask)[: errors.MAX_EXAMPLES]
    rows = []
    for i in index:
        row = {"row": int(positions[i]) if positions is not None else int(i)}
        if spec.id_column and spec.id_column in frame.columns and spec.id_column != column:
            row[spec.id_column] = _plain(frame[spec.id_column].iloc[i])
        if column is not None and column in frame.columns:
            row[column] = _plain(frame[column].iloc[i])
        rows.append(row)
    return rows


def _plain(value):
    """A value as it should appear in an error message."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        try:
            return value.isoformat()
        except NotImplementedError:  # years outside Python's datetime (1-9999)
            return f"{value.asm8}Z"
    if isinstance(value, np.generic):
        return value.item()
    return value


def _coerce_time(values: pd.Series, spec: TableSpec, column: str, assume_tz: str | None,
                 frame: pd.DataFrame) -> tuple[pd.Series, np.ndarray]:
    """Times -> tz-aware UTC microseconds, plus a mask of values that did not parse."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        parsed = values
    elif pd.api.types.is_datetime64_dtype(values.dtype):
        parsed = values
    elif pd.api.types.is_numeric_dtype(values.dtype) and not values.isna().all():
        raise errors.ColumnTypeError(
            spec.name, column,
            "numbers are not times: convert epoch values first, e.g. "
            "pd.to_datetime(values, unit='s', utc=True)",
            _row_examples(frame, values.notna().to_numpy(), spec, column),
            int(values.notna().sum()))
    else:
        strings = values.astype("str")
        try:
            parsed = pd.to_datetime(strings, errors="coerce", format="ISO8601")
        except (ValueError, TypeError):
            # mixed offsets: every value carries its own offset, so UTC is exact
            parsed = pd.to_datetime(strings, errors="coerce", format="ISO8601", utc=True)
    bad = (parsed.isna() & values.notna()).to_numpy()
    if not isinstance(parsed.dtype, pd.DatetimeTZDtype):
        if assume_tz is None:
            naive = parsed.notna().to_numpy()
            raise errors.NaiveTimestampError(
                spec.name, column,
                "times have no timezone; pass assume_tz (e.g. assume_tz='UTC' or "
                "'Europe/London') to say which zone they were recorded in",
                _row_examples(frame, naive, spec, column), int(naive.sum()))
        parsed = parsed.dt.tz_localize(assume_tz, ambiguous="NaT", nonexistent="NaT")
        bad = bad | (parsed.isna() & values.notna()).to_numpy()
    return parsed.dt.tz_convert("UTC").astype("datetime64[us, UTC]"), bad


def coerce_frame(spec: TableSpec, frame: pd.DataFrame, assume_tz: str | None = None) -> Coerced:
    """Coerce ``frame`` to the canonical types of ``spec``.

    Raises :class:`~peerscope.errors.MissingColumnError` when a required column
    is absent and :class:`~peerscope.errors.NaiveTimestampError` when times
    carry no timezone and ``assume_tz`` is None (neither can be repaired row by
    row).  Values that cannot be converted become null in the result and are
    reported in :attr:`Coerced.bad` so the caller can raise or quarantine.
    Extra columns (member attributes, for example) are kept as they are.

    Parameters
    ----------
    spec : TableSpec
    frame : pandas.DataFrame
        The user's table (not modified).
    assume_tz : str, optional
        IANA zone of naive times (e.g. ``"UTC"``).

    Returns
    -------
    Coerced

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"member_id": [7, 8], "joined_at": ["2024-01-01 09:00", None]})
    >>> frame = coerce_frame(MEMBERS, raw, assume_tz="Europe/London").frame
    >>> frame["member_id"].tolist(), str(frame["joined_at"][0])
    (['7', '8'], '2024-01-01 09:00:00+00:00')
    >>> try:
    ...     coerce_frame(MEMBERS, raw)
    ... except errors.NaiveTimestampError as error:
    ...     print(error.rule)
    naive_timestamp
    """
    if not isinstance(frame, pd.DataFrame):
        raise errors.ColumnTypeError(spec.name, None,
                                     f"expected a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in spec.required if c not in frame.columns]
    if missing:
        raise errors.MissingColumnError(
            spec.name, missing[0],
            f"required column(s) {missing} missing; the table has {list(map(str, frame.columns))}")
    frame = frame.reset_index(drop=True)
    out = {}
    result = Coerced(frame=frame)
    for name in frame.columns:
        values = frame[name]
        col = spec.known.get(name)
        if col is None:
            out[name] = values
            continue
        if pa.types.is_timestamp(col.type):
            converted, bad = _coerce_time(values, spec, name, assume_tz, frame)
            detail = "values that are not times"
        elif pa.types.is_string(col.type):
            try:
                converted = _as_id_strings(values) if name.endswith("_id") else values.astype("str")
            except (TypeError, ValueError) as exc:
                raise errors.ColumnTypeError(
                    spec.name, name, f"cannot be read as text ({exc})",
                    _row_examples(frame, values.notna().to_numpy(), spec, name),
                    int(values.notna().sum())) from None
            converted = converted.where(values.notna(), None).astype("str")
            bad = np.zeros(len(frame), dtype=bool)
            detail = ""
        elif pa.types.is_integer(col.type):
            numbers = pd.to_numeric(values, errors="coerce")
            integral = numbers.isna() | (np.mod(numbers.fillna(0).to_numpy(dtype=float), 1) == 0)
            bad = ((numbers.isna() & values.notna()) | ~integral).to_numpy()
            converted = numbers.where(~pd.Series(bad)).round().astype("Int64")
            detail = "values that are not integers"
        elif pa.types.is_boolean(col.type):
            converted, bad = _coerce_bool(values)
            detail = "values that are not true/false"
        else:  # pragma: no cover - every spec column is one of the above
            raise AssertionError(col.type)
        if bad.any():
            result.bad[name] = bad
            result.problems[name] = errors.ColumnTypeError(
                spec.name, name, f"{detail} (expected {col.type})",
                _row_examples(frame, bad, spec, name), int(bad.sum()))
        out[name] = converted
    result.frame = pd.DataFrame(out, index=frame.index)
    return result


_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


def _coerce_bool(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("boolean"), np.zeros(len(values), dtype=bool)
    text = values.astype("str").str.strip().str.lower()
    result = pd.Series(pd.NA, index=values.index, dtype="boolean")
    result[text.isin(_TRUE)] = True
    result[text.isin(_FALSE)] = False
    bad = (result.isna() & values.notna()).to_numpy()
    return result, bad


# ---------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------

def row_rules(spec: TableSpec, frame: pd.DataFrame, now: pd.Timestamp) -> list[tuple[str, np.ndarray, errors.ValidationError]]:
    """Rules each row can break on its own: nulls, categories, implausible times.

    Returns ``(reason, mask, error)`` for every broken rule; ``frame`` must be
    coerced already.

    Parameters
    ----------
    spec : TableSpec
    frame : pandas.DataFrame
        A coerced frame.
    now : pandas.Timestamp
        The latest plausible time (:func:`plausible_until`).

    Returns
    -------
    list of tuple
        ``(reason, mask, error)``: the rule, a boolean mask of the rows
        breaking it, and a :class:`~peerscope.errors.ValidationError`.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"member_id": ["ann", "ann", None], "role": ["member", "wizard", None]})
    >>> [(reason, mask.tolist()) for reason, mask, _ in row_rules(MEMBERS, frame, plausible_until())]
    [('null_required', [False, False, True]), ('invalid_category', [False, True, False]), ('duplicate_id', [False, True, False])]
    """
    broken = []
    for col in spec.columns:
        if col.name not in frame.columns:
            continue
        values = frame[col.name]
        if not col.nullable:
            mask = values.isna().to_numpy()
            if mask.any():
                broken.append(("null_required", mask, errors.MissingValueError(
                    spec.name, col.name, "required value is null",
                    _row_examples(frame, mask, spec, col.name), int(mask.sum()))))
        if col.categories is not None:
            mask = (values.notna() & ~values.isin(col.categories)).to_numpy()
            if mask.any():
                broken.append(("invalid_category", mask, errors.InvalidCategoryError(
                    spec.name, col.name, f"value not one of {list(col.categories)}",
                    _row_examples(frame, mask, spec, col.name), int(mask.sum()))))
        if pa.types.is_timestamp(col.type):
            mask = ((values < EARLIEST_PLAUSIBLE) | (values > now)).fillna(False).to_numpy(dtype=bool)
            if mask.any():
                broken.append(("implausible_time", mask, errors.ImplausibleTimeError(
                    spec.name, col.name,
                    f"time outside the plausible range {EARLIEST_PLAUSIBLE.date()} .. {now.isoformat()}",
                    _row_examples(frame, mask, spec, col.name), int(mask.sum()))))
    if spec.id_column and spec.id_column in frame.columns:
        ids = frame[spec.id_column]
        mask = (ids.duplicated(keep="first") & ids.notna()).to_numpy()
        if mask.any():
            broken.append(("duplicate_id", mask, errors.DuplicateIdError(
                spec.name, spec.id_column, "id repeats an earlier row's id",
                _row_examples(frame, mask, spec, spec.id_column), int(mask.sum()))))
    return broken


def parent_positions(posts: pd.DataFrame) -> np.ndarray:
    """Position of each post's parent in ``posts`` (-1: opening post, -2: no such post).

    Parameters
    ----------
    posts : pandas.DataFrame
        With ``post_id`` and ``parent_id``.

    Returns
    -------
    numpy.ndarray
        int64 positions, one per post.

    Examples
    --------
    >>> import pandas as pd
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2", "p3"], "parent_id": [None, "p1", "gone"]})
    >>> parent_positions(posts).tolist()
    [-1, 0, -2]

    A repeated post id (which validation reports) names its first post:

    >>> parent_positions(pd.DataFrame({"post_id": ["p1", "p1", "p2"], "parent_id": [None, None, "p1"]})).tolist()
    [-1, -1, 0]
    """
    ids = posts["post_id"]
    first = ~ids.duplicated(keep="first").to_numpy(dtype=bool)  # a repeated id names its first post
    parents = posts["parent_id"]
    pos = pd.Index(ids[first]).get_indexer(parents.fillna("")) if len(parents) else np.empty(0, dtype=np.intp)
    pos = np.where(pos < 0, pos, np.flatnonzero(first)[np.maximum(pos, 0)])
    pos = np.where(parents.isna().to_numpy(), -1, np.where(pos < 0, -2, pos))
    return pos.astype(np.int64)


def cycle_mask(parent: np.ndarray) -> np.ndarray:
    """Posts whose chain of parents never reaches an opening post.

    ``parent`` holds parent positions (-1 for opening posts; dangling parents
    must be resolved first).  Pointer jumping: after k rounds ``anc`` holds the
    2**k-th ancestor, so after ceil(log2 n) + 1 rounds every chain that ends
    has ended; the rest are in, or hang below, a cycle.

    Parameters
    ----------
    parent : numpy.ndarray
        Parent position of each post (-1: opening post).

    Returns
    -------
    numpy.ndarray
        Boolean mask of the posts in or below a cycle.

    Examples
    --------
    Posts 2 and 3 are each other's parent:

    >>> import numpy as np
    >>> cycle_mask(np.array([-1, 0, 3, 2])).tolist()
    [False, False, True, True]
    """
    n = len(parent)
    if n == 0:
        return np.zeros(0, dtype=bool)
    anc = parent.copy()
    for _ in range(int(np.ceil(np.log2(n + 1))) + 1):
        live = anc >= 0
        if not live.any():
            break
        anc[live] = anc[anc[live]]
    return anc >= 0


def reference_rules(frames: dict[str, pd.DataFrame], roster: bool) -> list[tuple[str, str, np.ndarray, errors.ValidationError]]:
    """Rules across rows and tables: dangling parents, cross-thread replies,
    reply cycles, and (with a roster) authors and event members not in it.

    Returns ``(table, reason, mask, error)`` for every broken rule.

    Parameters
    ----------
    frames : dict
        Table name -> coerced frame (tables may be missing or None).
    roster : bool
        Whether ``members`` is the complete roster (then authors and event
        members must be on it).

    Returns
    -------
    list of tuple
        ``(table, reason, mask, error)``.

    Examples
    --------
    >>> import pandas as pd
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2", "p3"], "thread_id": ["p1", "p1", "p1"],
    ...                       "parent_id": [None, "p1", "gone"], "author_id": ["ann", "bob", "ann"]})
    >>> [(table, reason, mask.tolist()) for table, reason, mask, _ in reference_rules({"posts": posts}, False)]
    [('posts', 'dangling_parent', [False, False, True])]
    """
    broken = []
    posts = frames.get("posts")
    if posts is not None and len(posts):
        parent = parent_positions(posts)
        dangling = parent == -2
        if dangling.any():
            broken.append(("posts", "dangling_parent", dangling, errors.DanglingReferenceError(
                "posts", "parent_id", "parent_id names no post in the table",
                _row_examples(posts, dangling, POSTS, "parent_id"), int(dangling.sum()),
                rule="dangling_parent")))
        has_parent = parent >= 0
        threads = posts["thread_id"].to_numpy()
        other_thread = np.zeros(len(posts), dtype=bool)
        other_thread[has_parent] = threads[parent[has_parent]] != threads[has_parent]
        if other_thread.any():
            broken.append(("posts", "parent_in_other_thread", other_thread, errors.CrossThreadReplyError(
                "posts", "parent_id", "the parent post belongs to another thread",
                _row_examples(posts, other_thread, POSTS, "parent_id"), int(other_thread.sum()))))
        cycles = cycle_mask(np.where(parent == -2, -1, parent))
        if cycles.any():
            broken.append(("posts", "reply_cycle", cycles, errors.ReplyCycleError(
                "posts", "parent_id", "following parent_id never reaches an opening post",
                _row_examples(posts, cycles, POSTS, "parent_id"), int(cycles.sum()))))
    members = frames.get("members")
    if roster and members is not None:
        known = pd.Index(members["member_id"])
        for table, column in (("posts", "author_id"), ("events", "member_id"),
                              ("newsletter_items", "author_id")):
            frame = frames.get(table)
            if frame is None or not len(frame):
                continue
            values = frame[column]
            mask = (values.notna() & ~values.isin(known)).to_numpy()
            if mask.any():
                broken.append((table, "unknown_member", mask, errors.DanglingReferenceError(
                    table, column, "not in the member roster (members.member_id)",
                    _row_examples(frame, mask, TABLES[table], column), int(mask.sum()),
                    rule="unknown_member")))
    return broken


def plausible_until() -> pd.Timestamp:
    """The latest plausible time: one day after now (clock skew, time zones).

    Returns
    -------
    pandas.Timestamp
        UTC.

    Examples
    --------
    >>> import pandas as pd
    >>> plausible_until() > pd.Timestamp.now(tz="UTC")
    True
    """
    return pd.Timestamp(datetime.now(timezone.utc)) + pd.Timedelta(days=1)


def table_spec(name: str) -> TableSpec:
    """The :class:`TableSpec` of table ``name``; a :class:`~peerscope.errors.PeerscopeError` for an unknown name."""
    try:
        return TABLES[name]
    except KeyError:
        raise errors.PeerscopeError(
            f"no table {name!r}; a corpus has {list(TABLES)}") from None
