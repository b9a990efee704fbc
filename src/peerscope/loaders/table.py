"""Any table of posts -> :class:`~peerscope.Corpus`: CSV, TSV, JSON, JSON Lines, Parquet or a DataFrame.

Most forum scrapes and exports are one table with one row per post.  Their
columns differ from source to source, so :func:`table` takes a ``mapping``
from corpus column to source column, e.g.::

    {"post_id": "id", "thread_id": "thread", "author_id": "user",
     "created_at": "date", "text": "body"}

and two ways of reading the reply structure:

``replies="parent"``
    the source has a parent-post column (``mapping["parent_id"]``); empty
    parents mark opening posts.  Without a ``thread_id`` column the thread of
    a post is the root reached by following parents.
``replies="flat"``
    the source has threads but no parents (most forum scrapes): every post
    that is not its thread's opening post replies to the opening post.  See
    :func:`table` for how the opening post is found.

:func:`nested` reads JSON reply trees (each node a post with a list of child
nodes), as some scrapers and APIs produce them.

Both end in :func:`peerscope.loaders.build.build_corpus`, so every row read is
kept, skipped with a reason, or quarantined by validation (``repair=True``).

Formats: CSV (RFC 4180), TSV, JSON (an array of record objects, RFC 8259),
JSON Lines (one object per line, https://jsonlines.org), Apache Parquet.  All
but Parquet may be compressed (``.gz``, ``.bz2``, ``.xz``, ``.zst``, ``.zip``
of one file); a truncated file raises :class:`~peerscope.errors.SourceError`.
"""

from __future__ import annotations

import csv
import json
import os
import re
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from peerscope import errors

from peerscope.corpus import schema
from peerscope.loaders.build import NoteCounter, SkipCounter, build_corpus
from peerscope.loaders.sources import (STREAM_ERRORS, check_complete, json_lines, load_json, long_csv_rows,
                                      open_binary)

__all__ = ["FLAG_KEYS", "FORMATS", "MAPPABLE", "NOTE_ATTRIBUTE_CONFLICT", "NOTE_ATTRIBUTE_NOT_A_TIME",
           "NOTE_EXTRA_OPENING", "NOTE_GENERATED_ID", "NOTE_NO_OPENING", "PARAGRAPH_SEPARATOR",
           "SKIP_TOO_MANY_FIELDS", "nested", "table"]

#: Source formats :func:`table` reads, by file suffix.
FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".json": "json", ".jsonl": "jsonl",
           ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
#: Compression suffixes read transparently (CSV, TSV, JSON, JSON Lines).
_COMPRESSION = (".gz", ".bz2", ".xz", ".zst", ".zip")

#: Mapping keys that name a flag column rather than a posts column.
FLAG_KEYS = ("is_opening", "is_reply")

#: Corpus columns a mapping may name.
MAPPABLE = tuple(schema.POSTS.known) + FLAG_KEYS

#: Separator between the paragraphs of a body given as a list of strings.
PARAGRAPH_SEPARATOR = "\n\n"

_TRUE = ("true", "t", "yes", "y", "1")

#: Notes on posts kept but changed by ``replies="flat"``, counted in the manifest's ``kept_notes``.
NOTE_EXTRA_OPENING = ("flagged as an opening post but not the thread's first: "
                      "kept as a reply to the opening post")
NOTE_NO_OPENING = "thread has no row flagged as its opening post: kept with a null parent"
NOTE_GENERATED_ID = "no post id in the source: kept with an id made of its thread id and row number"
#: Note on members whose posts give different values of one member attribute (``member_attributes``),
#: counted per attribute in the ``kept_notes`` of ``members``; ``str.format`` it with ``attribute``
#: and ``column``.
NOTE_ATTRIBUTE_CONFLICT = ("{attribute}: the member's posts give different values (source column "
                           "{column!r}): kept the most frequent, ties broken by the latest post")
#: Note on members with a time attribute (``joined_at``, ``left_at``) that is not a time in some post.
NOTE_ATTRIBUTE_NOT_A_TIME = ("{attribute}: a value in the member's posts is not a time (source "
                             "column {column!r}): that value left out")
#: Skip reason of CSV/TSV records with more fields than the header (``repair=True``).
SKIP_TOO_MANY_FIELDS = "too_many_fields"


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------

def table(source, mapping: Mapping[str, str], replies: str = "parent", *, fmt: str | None = None,
          extract: Mapping[str, str] | None = None, date_format: str | None = None,
          assume_tz: str | None = None, anonymous_authors: Iterable[str] = (),
          deleted_authors: Iterable[str] = (), bot_authors: Iterable[str] = (),
          members=None, member_attributes: Mapping[str, str] | None = None,
          name: str | None = None, repair: bool = False,
          pseudonymise: str | None = None, scrub_pii: bool = False, **read_options):
    """Load a table of posts (one row per post) into a validated corpus.

    Parameters
    ----------
    source : path-like or pandas.DataFrame
        A CSV, TSV, JSON (array of records), JSON Lines or Parquet file, or a
        DataFrame.  CSV/TSV cells are read as text and only empty cells are
        missing (so an author called ``"None"`` or ``"NA"`` stays a name).
    mapping : dict
        Corpus column -> source column, e.g. ``{"post_id": "id", "thread_id":
        "thread", "author_id": "user", "created_at": "date", "text": "body"}``.
        Keys are posts columns (``post_id``, ``thread_id``, ``parent_id``,
        ``author_id``, ``created_at``, ``text``, ``title``, ``channel``,
        ``kind``, ``score``, ``views``, ``is_removed``) or the flags
        ``is_opening`` / ``is_reply`` of ``replies="flat"``.  ``created_at``
        is required, and ``post_id`` with ``replies="parent"`` (without
        ``parent_id`` every post opens a thread; without ``thread_id`` the
        thread is the root of the chain of parents) or ``thread_id`` with
        ``replies="flat"``.
    replies : {"parent", "flat"}
        How replies are linked (see the module docstring and Notes).
    fmt : {"csv", "tsv", "json", "jsonl", "parquet"}, optional
        The format, when the file suffix does not tell it.
    extract : dict, optional
        Corpus column -> regular expression with one capture group, applied
        to the mapped source column; the group is the value (no match: empty).
        E.g. ``{"thread_id": r"-(\\d+)\\.htm"}`` with ``mapping["thread_id"] =
        "url"`` takes the thread id out of a URL.
    date_format : str, optional
        A :func:`~datetime.datetime.strptime` format, ``"ISO8601"``,
        ``"mixed"``, or ``"unix"`` / ``"unix_ms"`` for epoch seconds or
        milliseconds.  Default: numbers are epoch seconds (milliseconds when
        above 1e11), text is ISO 8601 or else the format pandas infers.
    assume_tz : str, optional
        Timezone of times written without one (e.g. ``"UTC"``,
        ``"America/New_York"``); without it such times are an error.
    anonymous_authors, deleted_authors, bot_authors : iterable of str
        Author values that are not one person (e.g. ``{"Guest"}``,
        ``{"[deleted]", "None"}``, ``{"AutoModerator"}``).  They are kept as
        author ids and listed in the members table with role ``anonymous``,
        ``deleted`` or ``bot``, so metrics can leave them out.
    members : path-like or DataFrame, optional
        A real member roster (columns of :data:`peerscope.corpus.schema.MEMBERS`).
        With it the corpus has a roster (lurkers can be counted) and every
        author must be in it; without it the members table only records the
        roles above (``roster=False``).
    name : str, optional
        Corpus name (default: the file name).
    repair : bool
        Quarantine rows that break a rule (empty ids, unparseable dates,
        dangling parents, ...) instead of raising.  CSV/TSV records with more
        fields than the header are skipped with reason
        :data:`SKIP_TOO_MANY_FIELDS` (without ``repair`` they are an error
        naming their lines).
    pseudonymise : str, optional
        Secret salt: replace member ids by keyed hashes.
    scrub_pii : bool
        Remove e-mail addresses, URLs, phone numbers and handles from text.
    **read_options
        Passed to :func:`pandas.read_csv` (CSV/TSV) or
        :func:`pyarrow.parquet.read_table` (Parquet).

    Returns
    -------
    peerscope.Corpus

    Raises
    ------
    peerscope.errors.SourceError
        Unreadable file, missing mapped column (naming file and column), empty
        id or unparseable date (naming file, row and column) without
        ``repair``.
    peerscope.errors.ValidationError
        Rows that break the corpus schema, without ``repair``.

    Notes
    -----
    Rows are numbered from 0 in source order (the CSV header is not a row)
    in error messages.  The quarantine's ``row`` column counts the rows
    handed to validation, i.e. after rows skipped on purpose (below).

    With ``replies="flat"`` the opening post of each thread is:

    * with ``mapping["is_opening"]`` (true marks the opening post) or
      ``mapping["is_reply"]`` (false marks it), the earliest flagged row
      (by ``created_at``, then source order).  Scrapers of paginated threads
      often flag the first post of every page: a further flagged row that
      repeats the opening post (same author, time and text) is skipped with
      reason ``repeated_opening_post``; any other becomes a reply to the
      opening post and is counted in the manifest's accounting (``kept_notes``
      of ``posts``, :data:`NOTE_EXTRA_OPENING`).  Rows of a thread without a
      flagged row keep a null parent (counted as :data:`NOTE_NO_OPENING`);
    * without a flag, the earliest row of the thread.

    Without a ``post_id`` column (e.g. ALSForums, whose ``post_id`` is the
    thread id) post ids are generated as ``<thread_id>-<n>``, ``n`` counting
    the thread's rows from 0 in source order: re-importing the same file
    gives the same ids.  The rows given such an id are counted in
    ``kept_notes`` (:data:`NOTE_GENERATED_ID`).

    With ``member_attributes`` each author (but ``anonymous_authors`` and
    ``deleted_authors``, which are not one person) gets the value of each
    attribute found in their posts' rows (the rows handed to validation);
    empty cells are ignored, and an author without any value gets a null.
    When an author's posts give different values (a profile edited between
    scrapes, a typo), the most frequent value is kept, ties broken by the
    latest post (``created_at``, then source order); the members concerned
    are counted per attribute in the ``kept_notes`` of ``members``
    (:data:`NOTE_ATTRIBUTE_CONFLICT`) and a :class:`UserWarning` says how
    many.  Time values that do not parse are left out and counted likewise
    (:data:`NOTE_ATTRIBUTE_NOT_A_TIME`).  With a roster (``members``), the
    attributes fill the roster's rows; the roster may not have a column of
    the same name.  Attribute values are kept as written: map no column
    that identifies a person (a real name, a city with few members) if the
    corpus is to be shared.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope.loaders.table import table
    >>> rows = pd.DataFrame({
    ...     "thread": [7, 7, 7], "user": ["ann", "bob", "Guest"],
    ...     "date": ["2024-01-01 10:00", "2024-01-01 11:00", "2024-01-02 09:00"],
    ...     "body": ["Bad night again", "Same here", "Hang in there"],
    ...     "reply": [False, True, True]})
    >>> corpus = table(rows, {"thread_id": "thread", "author_id": "user",
    ...                       "created_at": "date", "text": "body", "is_reply": "reply"},
    ...                replies="flat", assume_tz="UTC", anonymous_authors={"Guest"})
    >>> corpus.posts()[["post_id", "parent_id", "author_id"]].fillna("").to_dict("list")
    {'post_id': ['7-0', '7-1', '7-2'], 'parent_id': ['', '7-0', '7-0'], 'author_id': ['ann', 'bob', 'Guest']}
    >>> corpus.members().to_dict("list")
    {'member_id': ['Guest'], 'role': ['anonymous']}
    """
    if replies not in ("parent", "flat"):
        raise errors.PeerscopeError(f"replies must be 'parent' or 'flat', not {replies!r}")
    skipped, notes = SkipCounter(), NoteCounter()
    raw, path = _read_records(source, fmt, read_options, skipped if repair else None)
    mapping = _check_mapping(mapping, extract, replies)
    posts = _map_columns(raw, mapping, extract or {}, path)
    posts["created_at"] = parse_times(posts["created_at"], date_format, assume_tz, path,
                                      mapping["created_at"])
    if replies == "flat":
        opening = _opening_flags(raw, mapping)
        posts = _link_flat(posts, opening, "post_id" in mapping, skipped, notes)
    else:
        if "parent_id" not in posts.columns:
            posts["parent_id"] = pd.Series(None, index=posts.index, dtype="str")
        if "thread_id" not in mapping:
            posts["thread_id"] = root_ids(posts["post_id"], posts["parent_id"])
    _check_ids(posts, ["thread_id", "post_id", "created_at"], mapping, path, repair)
    attributes = None
    if member_attributes:
        attributes = _member_attributes(raw.loc[posts.index], posts, member_attributes, mapping,
                                        set(map(str, anonymous_authors)) | set(map(str, deleted_authors)),
                                        assume_tz, path, notes)
    parameters = {"mapping": dict(mapping), "replies": replies, "format": fmt,
                  "extract": dict(extract or {}), "date_format": date_format,
                  **({"member_attributes": dict(member_attributes)} if member_attributes else {})}
    return _finish(posts, path=path, source_format=f"table-{_format_of(source, fmt)}",
                   loader="peerscope.loaders.table.table", parameters=parameters,
                   skipped=skipped, kept_notes=notes, assume_tz=assume_tz,
                   anonymous_authors=anonymous_authors, deleted_authors=deleted_authors,
                   bot_authors=bot_authors, members=members, name=name, repair=repair,
                   pseudonymise=pseudonymise, scrub_pii=scrub_pii, attributes=attributes)


def nested(source, children_key: str = "children", mapping: Mapping[str, str] | None = None, *,
           date_format: str | None = None, assume_tz: str | None = None,
           anonymous_authors: Iterable[str] = (), deleted_authors: Iterable[str] = (),
           bot_authors: Iterable[str] = (), members=None, name: str | None = None,
           repair: bool = False, pseudonymise: str | None = None, scrub_pii: bool = False):
    """Load JSON reply trees: each node a post, its replies in a list of child nodes.

    The trees are flattened depth-first: a node's ``parent_id`` is the id of
    the node whose child list holds it, its ``thread_id`` the id of its root.

    Parameters
    ----------
    source : path-like, dict or list of dict
        A JSON file holding one root node or an array of root nodes, a JSON
        Lines file with one root node per line, or the parsed nodes.
    children_key : str
        The key of each node's list of child nodes.
    mapping : dict
        Corpus column -> key in a node, as in :func:`table` (default: the
        corpus names).  ``post_id`` and ``created_at`` are required;
        ``thread_id`` and ``parent_id`` come from the tree.
    date_format, assume_tz, anonymous_authors, deleted_authors, bot_authors, members, name, repair, pseudonymise, scrub_pii
        As in :func:`table`.

    Returns
    -------
    peerscope.Corpus

    Raises
    ------
    peerscope.errors.SourceError
        Malformed JSON, a node that is not an object, a node without an id
        (the tree cannot be linked without it), a child list that is not a
        list, or an unparseable date without ``repair``.

    Examples
    --------
    >>> from peerscope.loaders.table import nested
    >>> tree = {"id": "a", "by": "ann", "at": "2024-01-01T10:00Z", "text": "Hello?",
    ...         "children": [{"id": "b", "by": "bob", "at": "2024-01-01T11:00Z",
    ...                       "text": "Hi!", "children": [
    ...                           {"id": "c", "by": "ann", "at": "2024-01-01T12:00Z",
    ...                            "text": "Thanks"}]}]}
    >>> corpus = nested([tree], mapping={"post_id": "id", "author_id": "by",
    ...                                  "created_at": "at", "text": "text"})
    >>> corpus.posts()[["post_id", "thread_id", "parent_id"]].fillna("").to_dict("list")
    {'post_id': ['a', 'b', 'c'], 'thread_id': ['a', 'a', 'a'], 'parent_id': ['', 'a', 'b']}
    """
    mapping = dict(mapping or {"post_id": "post_id", "author_id": "author_id",
                               "created_at": "created_at", "text": "text"})
    for key in ("thread_id", "parent_id", *FLAG_KEYS):
        if key in mapping:
            raise errors.PeerscopeError(f"nested(): {key!r} comes from the tree; remove it from mapping")
    _check_mapping(mapping, None, "parent")
    roots, path = _json_roots(source)
    posts = pd.DataFrame(_flatten_trees(roots, children_key, mapping, path))
    if posts.empty:
        posts = pd.DataFrame(columns=[*mapping, "thread_id", "parent_id"])
    _refuse_bytes(posts, list(mapping), path)
    for column in mapping:
        if column in ("text", "title"):
            posts[column] = text_values(posts[column])
        elif column != "created_at":
            posts[column] = _cell_strings(posts[column])
    posts["created_at"] = parse_times(posts["created_at"], date_format, assume_tz, path,
                                      mapping["created_at"])
    _check_ids(posts, ["created_at"], mapping, path, repair)
    parameters = {"mapping": mapping, "children_key": children_key, "date_format": date_format}
    return _finish(posts, path=path, source_format="json-tree",
                   loader="peerscope.loaders.table.nested", parameters=parameters,
                   skipped=SkipCounter(), assume_tz=assume_tz, anonymous_authors=anonymous_authors,
                   deleted_authors=deleted_authors, bot_authors=bot_authors, members=members,
                   name=name, repair=repair, pseudonymise=pseudonymise, scrub_pii=scrub_pii)


# ---------------------------------------------------------------------------
# Helpers shared with other loaders
# ---------------------------------------------------------------------------

def role_members(authors: pd.Series, *, anonymous_authors: Iterable[str] = (),
                 deleted_authors: Iterable[str] = (), bot_authors: Iterable[str] = ()) -> pd.DataFrame | None:
    """A members table giving the role of the authors that are not one person.

    Only the listed ids that occur in ``authors`` are returned (``member_id``
    and ``role``); None when there are none.  An id in two of the lists is an
    error.

    Parameters
    ----------
    authors : pandas.Series
        The author ids of the posts.
    anonymous_authors, deleted_authors, bot_authors : iterable of str
        Ids of shared anonymous accounts, deleted accounts and bots.

    Returns
    -------
    pandas.DataFrame or None

    Raises
    ------
    peerscope.errors.PeerscopeError
        When an id is in two of the lists.

    Examples
    --------
    >>> role_members(pd.Series(["ann", "[deleted]", "AutoModerator"]),
    ...              deleted_authors={"[deleted]"}, bot_authors={"AutoModerator"}).to_dict("list")
    {'member_id': ['AutoModerator', '[deleted]'], 'role': ['bot', 'deleted']}
    """
    roles: dict[str, str] = {}
    for role, ids in (("anonymous", anonymous_authors), ("deleted", deleted_authors),
                      ("bot", bot_authors)):
        for member in ids:
            if roles.setdefault(str(member), role) != role:
                raise errors.PeerscopeError(
                    f"author {member!r} is listed as both {roles[str(member)]} and {role}")
    present = sorted(set(pd.unique(authors.dropna())) & set(roles))
    if not present:
        return None
    return pd.DataFrame({"member_id": pd.array(present, dtype="str"),
                         "role": pd.array([roles[m] for m in present], dtype="str")})


def read_records(source, fmt: str | None = None, **read_options) -> tuple[pd.DataFrame, str | None]:
    """Read a CSV, TSV, JSON, JSON Lines or Parquet file (or take a DataFrame) as a frame.

    Returns the frame and the path as text (None for a DataFrame).  Every
    failure to read becomes a :class:`~peerscope.errors.SourceError` naming
    the file (and the line, where the parser knows it).

    Parameters
    ----------
    source : path-like or pandas.DataFrame
        The file, or a frame to take as it is.
    fmt : str, optional
        ``"csv"``, ``"tsv"``, ``"json"``, ``"jsonl"`` or ``"parquet"``
        (default: from the file name).
    **read_options
        Passed to the reader (``pandas.read_csv`` or ``pyarrow.parquet.read_table``).

    Returns
    -------
    tuple of (pandas.DataFrame, str or None)
        CSV and TSV cells are read as text, empty cells as null.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "posts.csv"
    >>> _ = path.write_text("id,body\\n1,hello\\n2,\\n", encoding="utf-8")
    >>> frame, where = read_records(path)
    >>> frame["id"].tolist(), frame["body"].isna().tolist(), where == str(path)
    (['1', '2'], [False, True], True)
    >>> try:
    ...     read_records(path.with_name("missing.csv"))
    ... except errors.SourceError as error:
    ...     print(str(error).endswith("no such file"))
    True
    """
    return _read_records(source, fmt, read_options, None)


def _read_records(source, fmt: str | None, read_options: dict,
                  skipped: SkipCounter | None) -> tuple[pd.DataFrame, str | None]:
    """:func:`read_records`; with ``skipped`` (repair), long CSV records are skipped and counted."""
    if isinstance(source, pd.DataFrame):
        return source.reset_index(drop=True), None
    path = os.fspath(source)
    kind = fmt or _format_of(source, None)
    if not os.path.isfile(path):
        raise errors.SourceError("no such file", path=path)
    try:
        if kind in ("csv", "tsv"):
            check_complete(path)   # pandas reads a .zst cut inside a frame without an error
            return _read_delimited(path, kind, read_options, skipped), path
        if kind == "parquet":
            return schema.to_pandas(pq.read_table(path, **read_options)), path
        if kind == "json":
            return _records_frame(_load_json(path), path), path
        if kind == "jsonl":
            return _records_frame([record for _, record in json_lines(path)], path), path
    except errors.PeerscopeError:
        raise
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError,
            pa.ArrowException, csv.Error, *STREAM_ERRORS) as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise errors.SourceError(f"cannot read as {kind}: {exc}", path=path,
                                 line=int(line.group(1)) if line else None) from None
    raise errors.SourceError(f"unknown format {kind!r}; use one of {sorted(set(FORMATS.values()))}",
                             path=path)


def parse_times(values: pd.Series, date_format: str | None, assume_tz: str | None,
                path: str | None, column: str) -> pd.Series:
    """Source times -> ``datetime64[us, UTC]``; values that do not parse become NaT.

    Numbers are epoch seconds (``date_format="unix"``) or milliseconds
    (``"unix_ms"``); without a format, each number above 1e11 is taken as
    milliseconds and the others as seconds.  Text is parsed with ``date_format`` or, without one, as
    ISO 8601, falling back to the format pandas infers when ISO 8601 leaves
    values unparsed.  Naive times are localised with ``assume_tz``; without it
    they raise :class:`~peerscope.errors.NaiveTimestampError`.

    Parameters
    ----------
    values : pandas.Series
        The source column (text, numbers or times).
    date_format : str or None
        A ``strptime`` format, ``"unix"`` or ``"unix_ms"``; None to infer.
    assume_tz : str or None
        IANA zone of naive times.
    path : str or None
        The source file, for error messages.
    column : str
        The source column, for error messages.

    Returns
    -------
    pandas.Series
        ``datetime64[us, UTC]``.

    Examples
    --------
    >>> import pandas as pd
    >>> times = parse_times(pd.Series(["2024-01-01 10:00", "nonsense"]), None, "Europe/Paris",
    ...                     None, "date")
    >>> [str(t) for t in times]
    ['2024-01-01 09:00:00+00:00', 'NaT']
    >>> [str(t) for t in parse_times(pd.Series(["1704067200"]), "unix", None, None, "date")]
    ['2024-01-01 00:00:00+00:00']
    >>> [str(t) for t in parse_times(pd.Series(["1704067200", "1704067200000"]), None, None, None, "date")]
    ['2024-01-01 00:00:00+00:00', '2024-01-01 00:00:00+00:00']
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    present = values.notna() & (values.astype("str").str.strip() != "")
    numbers = pd.to_numeric(values.where(present), errors="coerce")
    numeric = date_format in ("unix", "unix_ms") or (
        date_format is None and present.any() and numbers[present].notna().all())
    if numeric:
        if date_format is None:
            # per value: 1e11 s is the year 5138, 1e11 ms is 1973
            scale = np.where(numbers.abs() > 1e11, 1_000, 1_000_000)
        else:
            scale = 1_000 if date_format == "unix_ms" else 1_000_000
        micros = (numbers * scale).round()
        micros = micros.where(micros.abs() < 2**62)
        parsed = pd.to_datetime(micros.astype("Int64"), unit="us", utc=True)
        return parsed.astype("datetime64[us, UTC]")
    text = values.astype("str").where(present)
    parsed = _to_datetime(text, date_format, path, column) if date_format else _infer_datetime(text)
    if not isinstance(parsed.dtype, pd.DatetimeTZDtype):
        if assume_tz is None and parsed.notna().any():
            first = int(np.flatnonzero(parsed.notna().to_numpy())[0])
            raise errors.NaiveTimestampError(
                "posts", "created_at",
                f"{path or 'the frame'}, column {column!r}: times have no timezone; pass "
                "assume_tz (e.g. 'UTC' or 'Europe/London') to say where they were recorded",
                [{"row": first, column: str(values.iloc[first])}], int(parsed.notna().sum()))
        try:
            parsed = parsed.dt.tz_localize(assume_tz or "UTC", ambiguous="NaT", nonexistent="NaT")
        except Exception as exc:  # unknown timezone name
            raise errors.PeerscopeError(f"assume_tz={assume_tz!r}: {exc}") from None
    return parsed.dt.tz_convert("UTC").astype("datetime64[us, UTC]")


def text_values(values: pd.Series) -> pd.Series:
    """Body text: lists of paragraphs joined by a blank line, empty bodies null.

    Parameters
    ----------
    values : pandas.Series
        Text, or lists of paragraphs (object dtype).

    Returns
    -------
    pandas.Series
        ``str`` dtype; blank or missing bodies null.

    Examples
    --------
    >>> import pandas as pd
    >>> bodies = text_values(pd.Series([["Para one", "Para two"], "  ", "ok"], dtype=object))
    >>> bodies[0], bodies.isna().tolist()
    ('Para one\\n\\nPara two', [False, True, False])
    """
    if values.dtype == object:
        values = values.map(_join_paragraphs, na_action="ignore")
    text = values.astype("str")
    return text.where(text.notna() & (text.str.strip() != ""), None).astype("str")


def root_ids(post_ids: pd.Series, parent_ids: pd.Series) -> pd.Series:
    """The id of the root each post's chain of parents reaches (its thread).

    A chain ending at a parent missing from the table ends at the last post
    found; validation reports such posts as dangling.  Pointer jumping, as in
    :func:`peerscope.corpus.schema.cycle_mask`: ceil(log2 n) + 1 rounds.

    Parameters
    ----------
    post_ids : pandas.Series
    parent_ids : pandas.Series
        Parent of each post (null for an opening post).

    Returns
    -------
    pandas.Series
        ``str`` root ids, same index as ``post_ids``.

    Examples
    --------
    >>> root_ids(pd.Series(["a", "b", "c"]), pd.Series([None, "a", "b"])).tolist()
    ['a', 'a', 'a']
    """
    frame = pd.DataFrame({"post_id": post_ids.astype("str"), "parent_id": parent_ids})
    parent = schema.parent_positions(frame)
    anc = np.where(parent >= 0, parent, np.arange(len(parent)))
    for _ in range(int(np.ceil(np.log2(len(anc) + 1))) + 1):
        anc = anc[anc]
    roots = frame["post_id"].to_numpy()[anc] if len(anc) else np.empty(0, dtype=object)
    return pd.Series(roots, index=post_ids.index, dtype="str")


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------

def _format_of(source, fmt: str | None) -> str:
    if fmt is not None:
        return fmt
    if isinstance(source, pd.DataFrame):
        return "frame"
    suffixes = [s.lower() for s in Path(os.fspath(source)).suffixes]
    if suffixes and suffixes[-1] in _COMPRESSION:
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in FORMATS:
        return FORMATS[suffixes[-1]]
    raise errors.SourceError(
        f"cannot tell the format from the file name; pass fmt= one of "
        f"{sorted(set(FORMATS.values()))}", path=os.fspath(source))


#: read_csv options under which :func:`long_csv_rows` may not see the records pandas sees.
_OWN_PARSING = ("engine", "header", "names", "index_col", "skiprows", "skipfooter", "nrows",
                "comment", "quotechar", "quoting", "escapechar", "doublequote", "lineterminator",
                "delimiter", "sep", "on_bad_lines", "skip_blank_lines", "usecols", "dialect")


def _read_delimited(path: str, kind: str, read_options: dict,
                    skipped: SkipCounter | None) -> pd.DataFrame:
    """CSV/TSV cells as text; records with more fields than the header are found and reported.

    pandas either stops at the first long record or, when the first record is
    long, silently takes the first column as the index (shifting every
    column); both are caught here and the long records named by line.
    """
    sep = "," if kind == "csv" else "\t"
    options = {"sep": sep, "dtype": "str", "keep_default_na": False, "na_values": [""],
               **read_options}
    try:
        frame = pd.read_csv(path, **options)
        if isinstance(frame.index, pd.RangeIndex) or "index_col" in read_options:
            return frame
        problem = None
    except pd.errors.ParserError as exc:
        if "Expected" not in str(exc) or "fields" not in str(exc):
            raise
        problem = exc
    if any(key in read_options for key in _OWN_PARSING):
        if problem is not None:
            raise problem
        raise errors.SourceError("some records have more fields than the header (the file "
                                 "reads as if its first column were an index)", path=path)
    encoding = read_options.get("encoding") or "utf-8"
    with pd.io.common.get_handle(path, "r", encoding=encoding, compression="infer",
                                 errors=read_options.get("encoding_errors", "strict")) as handles:
        header, long = long_csv_rows(handles.handle, sep)
    if not long:
        if problem is not None:
            raise problem
        return frame
    if skipped is None:
        lines = ", ".join(str(line) for _, line, _ in long[:10]) + (", ..." if len(long) > 10 else "")
        raise errors.SourceError(
            f"{len(long)} record(s) have more fields than the header's {len(header)} "
            f"(at lines {lines}; a separator inside an unquoted cell?); fix the file or pass "
            f"repair=True to skip them", path=path, line=long[0][1],
            column=f"field {len(header) + 1}")
    bad = {record for record, _, _ in long}
    with pd.io.common.get_handle(path, "r", encoding=encoding, compression="infer",
                                 errors=read_options.get("encoding_errors", "strict")) as handles:
        records = [fields for fields in csv.reader(handles.handle, delimiter=sep) if fields][1:]
    kept = [[cell if cell != "" else None for cell in fields]
            + [None] * (len(header) - len(fields))
            for number, fields in enumerate(records) if number not in bad]
    columns = pd.read_csv(path, **{**options, "nrows": 0, "index_col": False}).columns
    frame = pd.DataFrame(kept, columns=columns, dtype="str") if kept else \
        pd.DataFrame({c: pd.Series(dtype="str") for c in columns})
    skipped.add("posts", SKIP_TOO_MANY_FIELDS, len(bad))
    return frame


def _load_json(path: str):
    with open_binary(path) as handle:
        try:
            data = handle.read()
        except STREAM_ERRORS as exc:   # a damaged compressed stream
            raise errors.SourceError(f"cannot decompress: {exc}", path=path) from None
    try:
        return load_json(data)
    except json.JSONDecodeError as exc:
        raise errors.SourceError(f"malformed JSON: {exc.msg} (char {exc.colno})", path=path,
                                 line=exc.lineno) from None
    except UnicodeDecodeError as exc:
        raise errors.SourceError(f"not UTF-8 text: {exc}", path=path) from None


def _records_frame(records, path: str) -> pd.DataFrame:
    if not isinstance(records, list):
        raise errors.SourceError(f"expected an array of records, found a {type(records).__name__}",
                                 path=path)
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise errors.SourceError(f"record {number} is a {type(record).__name__}, not an object",
                                     path=path)
    return pd.DataFrame.from_records(records) if records else pd.DataFrame()


def _json_roots(source) -> tuple[list, str | None]:
    if isinstance(source, (dict, list)):
        roots, path = source, None
    else:
        path = os.fspath(source)
        if not os.path.isfile(path):
            raise errors.SourceError("no such file", path=path)
        if _format_of(source, None) == "jsonl":
            roots = [record for _, record in json_lines(path)]
        else:
            roots = _load_json(path)
    return (roots if isinstance(roots, list) else [roots]), path


def _flatten_trees(roots: list, children_key: str, mapping: dict, path: str | None) -> dict:
    """Depth-first, children in order: columns of the flattened posts."""
    columns = {key: [] for key in (*mapping, "thread_id", "parent_id")}
    id_key = mapping["post_id"]
    stack = [(node, None, None) for node in reversed(roots)]
    while stack:
        node, parent, thread = stack.pop()
        if not isinstance(node, dict):
            raise errors.SourceError(f"a node is a {type(node).__name__}, not an object "
                                     f"(under parent {parent!r})", path=path)
        post_id = node.get(id_key)
        if post_id is None or str(post_id).strip() == "":
            raise errors.SourceError(f"a node has no id (under parent {parent!r}, node #"
                                     f"{len(columns['thread_id'])} in depth-first order)",
                                     path=path, column=id_key)
        post_id = str(post_id)
        thread = post_id if thread is None else thread
        for key, source_key in mapping.items():
            columns[key].append(node.get(source_key))
        columns["thread_id"].append(thread)
        columns["parent_id"].append(parent)
        children = node.get(children_key) or []
        if not isinstance(children, list):
            raise errors.SourceError(f"node {post_id!r}: {children_key!r} is not a list",
                                     path=path, column=children_key)
        stack.extend((child, post_id, thread) for child in reversed(children))
    return columns


# ---------------------------------------------------------------------------
# Mapping source columns to corpus columns
# ---------------------------------------------------------------------------

def _check_mapping(mapping, extract, replies: str) -> dict:
    if not isinstance(mapping, Mapping):
        raise errors.PeerscopeError("mapping must be a dict: corpus column -> source column")
    mapping = {str(k): str(v) for k, v in mapping.items()}
    unknown = [k for k in mapping if k not in MAPPABLE]
    unknown += [k for k in (extract or {}) if k not in mapping]
    if unknown:
        raise errors.PeerscopeError(
            f"mapping/extract keys {unknown} are not corpus columns (or not mapped); "
            f"use some of {list(MAPPABLE)}")
    needed = ["thread_id", "created_at"] if replies == "flat" else ["post_id", "created_at"]
    missing = [k for k in needed if k not in mapping]
    if missing:
        raise errors.PeerscopeError(f"replies={replies!r} needs mapping keys {missing}")
    if replies == "flat" and "parent_id" in mapping:
        raise errors.PeerscopeError("replies='flat' derives parents; remove 'parent_id' from mapping")
    if replies == "parent" and any(k in mapping for k in FLAG_KEYS):
        raise errors.PeerscopeError(f"{list(FLAG_KEYS)} are flags of replies='flat'")
    if "is_opening" in mapping and "is_reply" in mapping:
        raise errors.PeerscopeError("map either 'is_opening' or 'is_reply', not both")
    return mapping


def _map_columns(raw: pd.DataFrame, mapping: dict, extract: Mapping[str, str],
                 path: str | None) -> pd.DataFrame:
    """The mapped source columns under their corpus names (flags left out)."""
    missing = [c for c in mapping.values() if c not in raw.columns]
    if missing:
        raise errors.SourceError(f"mapped column not found; the source has {list(map(str, raw.columns))}",
                                 path=path, column=missing[0])
    _refuse_bytes(raw, list(mapping.values()), path)
    posts = {}
    for key, column in mapping.items():
        if key in FLAG_KEYS:
            continue
        values = raw[column]
        if key in extract:
            try:
                pattern = re.compile(extract[key])
            except re.error as exc:
                raise errors.PeerscopeError(f"extract[{key!r}]: bad pattern: {exc}") from None
            if pattern.groups != 1:
                raise errors.PeerscopeError(f"extract[{key!r}] needs exactly one capture group")
            values = _cell_strings(values).str.extract(pattern, expand=False)
        if key in ("text", "title"):
            posts[key] = text_values(values)
        elif key == "created_at" or key in ("score", "views", "is_removed"):
            posts[key] = values
        elif key in _ID_KEYS:
            posts[key] = _whole_number_ids(_empty_as_null(_cell_strings(values)))
        else:
            posts[key] = _empty_as_null(_cell_strings(values))
    return pd.DataFrame(posts, index=raw.index)


#: Columns whose values are ids matched against each other (a parent against post ids).
_ID_KEYS = ("post_id", "thread_id", "parent_id", "author_id")
_NUMBER_ID = re.compile(r"^-?\d+(?:\.0+)?$")


def _whole_number_ids(values: pd.Series) -> pd.Series:
    """Ids of a column of whole numbers, some written as floats (``2.0``, as a CSV written from
    a float column with gaps holds them), without the ``.0``, so ``2.0`` matches ``2``.

    A column holding any other value (``1.5``, ``v2.0``, ``abc``) is left as it is.
    """
    present = values.dropna()
    if present.empty or not present.str.contains(".", regex=False).any() \
            or not present.str.fullmatch(_NUMBER_ID).all():
        return values
    return values.str.replace(r"\.0+$", "", regex=True)


def _refuse_bytes(frame: pd.DataFrame, columns: list, path: str | None) -> None:
    """Raise on a bytes cell: its text is unknown until the caller says how it is encoded."""
    for column in dict.fromkeys(columns):
        values = frame[column]
        if isinstance(values, pd.DataFrame):  # a repeated column name
            raise errors.SourceError("the source has two columns of this name", path=path,
                                     column=str(column))
        if values.dtype != object:
            continue
        found = np.flatnonzero(values.map(lambda v: isinstance(v, (bytes, bytearray, memoryview)))
                               .to_numpy(dtype=bool))
        if len(found):
            raise errors.SourceError(
                f"row {int(found[0])} (0-based, in source order) holds bytes, not text "
                f"({len(found)} such cells); decode the column first, e.g. "
                f"frame[{str(column)!r}].str.decode('utf-8')", path=path, column=str(column))


def _cell_strings(values: pd.Series) -> pd.Series:
    """Id-like cells as text; integers stay digits (no ``.0``)."""
    if values.dtype == object:
        values = values.map(lambda v: v if isinstance(v, str) else _dumps(v)
                            if isinstance(v, (list, dict)) else v, na_action="ignore")
        values = values.infer_objects()
    try:
        return schema._as_id_strings(values)
    except TypeError:
        return values.astype("str")


def _dumps(value) -> str:
    try:
        return json.dumps(value)
    except (RecursionError, ValueError) as exc:
        raise errors.PeerscopeError(f"a cell holding a list or object cannot be written as an "
                                    f"id: {type(exc).__name__}: {str(exc)[:80]}") from None


def _empty_as_null(values: pd.Series) -> pd.Series:
    values = values.astype("str")
    return values.where(values.notna() & (values.str.strip() != ""), None).astype("str")


def _join_paragraphs(value):
    if isinstance(value, (list, tuple)):
        parts = [str(p) for p in value if p is not None and str(p).strip()]
        return PARAGRAPH_SEPARATOR.join(parts) if parts else None
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _flag(values: pd.Series) -> np.ndarray:
    """Truthy cells (True, 1, "true", "yes", ...) as a boolean array."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.fillna(False).to_numpy(dtype=bool)
    return values.astype("str").str.strip().str.lower().isin(_TRUE).to_numpy()


def _opening_flags(raw: pd.DataFrame, mapping: dict) -> np.ndarray | None:
    if "is_opening" in mapping:
        return _flag(raw[mapping["is_opening"]])
    if "is_reply" in mapping:
        return ~_flag(raw[mapping["is_reply"]])
    return None


# ---------------------------------------------------------------------------
# Flat threads
# ---------------------------------------------------------------------------

def _link_flat(posts: pd.DataFrame, opening: np.ndarray | None, has_post_ids: bool,
               skipped: SkipCounter, notes: NoteCounter) -> pd.DataFrame:
    """Parents (and generated ids) for flat threads; see :func:`table`'s Notes."""
    n = len(posts)
    threads = posts["thread_id"]
    if not has_post_ids:
        number = threads.groupby(threads, dropna=True).cumcount().fillna(0).astype("int64")
        posts["post_id"] = (threads + "-" + number.astype("str")).where(threads.notna(), None)
    candidates = np.ones(n, dtype=bool) if opening is None else opening
    order = pd.DataFrame({"thread": threads, "at": posts["created_at"], "row": np.arange(n)})
    order = order[candidates & threads.notna().to_numpy()]
    order = order.sort_values(["thread", "at", "row"], na_position="last", kind="stable")
    first = order.drop_duplicates("thread", keep="first")
    opening_row = pd.Series(first["row"].to_numpy(), index=first["thread"].to_numpy())
    opening_pos = threads.map(opening_row).to_numpy(dtype=float, na_value=np.nan)
    has_opening = ~np.isnan(opening_pos)
    opening_pos = np.where(has_opening, opening_pos, -1).astype(np.int64)
    is_opening = opening_pos == np.arange(n)
    parent = posts["post_id"].to_numpy(dtype=object)[np.clip(opening_pos, 0, None)] if n else np.empty(0, object)
    parent = np.where(has_opening & ~is_opening, parent, None)
    posts["parent_id"] = pd.array(parent, dtype="str")
    keep = np.ones(n, dtype=bool)
    if opening is not None:
        extra = opening & has_opening & ~is_opening
        repeats = extra & _same_as(posts, opening_pos)
        keep = ~repeats
        skipped.add("posts", "repeated_opening_post", int(repeats.sum()))
        notes.add("posts", NOTE_EXTRA_OPENING, int((extra & ~repeats).sum()))
        notes.add("posts", NOTE_NO_OPENING, int((~has_opening & threads.notna().to_numpy()).sum()))
    if not has_post_ids:
        notes.add("posts", NOTE_GENERATED_ID, int((keep & threads.notna().to_numpy()).sum()))
    return posts.loc[keep]


def _same_as(posts: pd.DataFrame, other: np.ndarray) -> np.ndarray:
    """Rows equal to row ``other[i]`` in author, time and text (nulls equal nulls)."""
    same = np.ones(len(posts), dtype=bool)
    where = np.clip(other, 0, None)
    for column in ("author_id", "created_at", "text"):
        if column not in posts.columns:
            continue
        values = posts[column].reset_index(drop=True)
        theirs = values.iloc[where].reset_index(drop=True)
        equal = (values == theirs).fillna(False).to_numpy(dtype=bool)
        same &= equal | (values.isna() & theirs.isna()).to_numpy()
    return same


# ---------------------------------------------------------------------------
# Checks and the last step
# ---------------------------------------------------------------------------

def _check_ids(posts: pd.DataFrame, columns: list[str], mapping: dict, path: str | None,
               repair: bool) -> None:
    """Raise on the first empty id or unparseable time, unless repairing (then validation quarantines)."""
    if repair:
        return
    for column in columns:
        missing = posts[column].isna().to_numpy()
        if missing.any():
            row = int(posts.index[np.flatnonzero(missing)[0]])
            what = ("time is empty or unparseable" if column == "created_at"
                    else "id is empty (or its extract pattern did not match)")
            raise errors.SourceError(
                f"row {row} (0-based, in source order): {what} ({int(missing.sum())} such rows; "
                f"pass repair=True to quarantine them)", path=path,
                column=mapping.get(column, column))


def _to_datetime(text: pd.Series, date_format: str, path: str | None = None,
                 column: str | None = None) -> pd.Series:
    try:
        try:
            return pd.to_datetime(text, format=date_format, errors="coerce")
        except ValueError:
            # mixed UTC offsets: each value carries its own, so converting to UTC is exact
            return pd.to_datetime(text, format=date_format, errors="coerce", utc=True)
    except (TypeError, ValueError) as exc:
        # errors="coerce" turns bad values into NaT: what is left is a bad format
        raise errors.SourceError(f"date_format={date_format!r} cannot be used: {exc}",
                                 path=path, column=column) from None


def _infer_datetime(text: pd.Series) -> pd.Series:
    parsed = _to_datetime(text, "ISO8601")
    if parsed.isna().sum() > text.isna().sum():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            try:
                inferred = pd.to_datetime(text, errors="coerce")
            except (ValueError, TypeError):
                inferred = pd.to_datetime(text, errors="coerce", utc=True)
        if inferred.notna().sum() > parsed.notna().sum():
            parsed = inferred
    return parsed


#: Member columns of the schema that ``member_attributes`` may not fill: the id, and the role
#: (which ``anonymous_authors``, ``deleted_authors`` and ``bot_authors`` give).
_NOT_ATTRIBUTES = ("member_id", "role")


def _member_attributes(raw: pd.DataFrame, posts: pd.DataFrame, attributes, mapping: dict,
                       not_persons: set, assume_tz: str | None, path: str | None,
                       notes: NoteCounter) -> pd.DataFrame:
    """One row per author with the attributes their posts give (see :func:`table`'s Notes).

    ``raw`` holds the source rows of ``posts`` (same index).  Conflicts and
    unparseable times are counted in ``notes`` (table ``members``) and
    warned about.
    """
    if not isinstance(attributes, Mapping):
        raise errors.PeerscopeError("member_attributes must be a dict: member attribute -> source column")
    attributes = {str(k): str(v) for k, v in attributes.items()}
    bad = [k for k in attributes if k in _NOT_ATTRIBUTES or not k.strip()]
    if bad:
        raise errors.PeerscopeError(
            f"member_attributes keys {bad} cannot be filled from posts: 'member_id' is the author "
            f"and 'role' comes from anonymous_authors, deleted_authors and bot_authors")
    if "author_id" not in mapping:
        raise errors.PeerscopeError("member_attributes needs mapping['author_id']: whose attributes they are")
    missing = [c for c in attributes.values() if c not in raw.columns]
    if missing:
        raise errors.SourceError(f"member_attributes: column not found; the source has "
                                 f"{list(map(str, raw.columns))}", path=path, column=missing[0])
    _refuse_bytes(raw, list(attributes.values()), path)
    authors = posts["author_id"]
    person = (authors.notna() & ~authors.isin(not_persons)).to_numpy(dtype=bool)
    ids = pd.unique(authors[authors.notna()].to_numpy(dtype=object))
    members = pd.DataFrame({"member_id": pd.array(ids, dtype="str")})
    # the order in which values are "latest": created_at, then source order
    order = np.lexsort((np.arange(len(posts)), posts["created_at"].to_numpy(dtype="datetime64[us]")
                        .astype("int64", copy=False)))
    rank = np.empty(len(posts), dtype=np.int64)
    rank[order] = np.arange(len(posts))
    for attribute, column in attributes.items():
        values = raw[column]
        if attribute in schema.MEMBERS.known and schema.MEMBERS.known[attribute].type == schema.TIMESTAMP:
            present = _empty_as_null(_cell_strings(values)).notna().to_numpy(dtype=bool)
            try:
                values = parse_times(values, None, assume_tz, path, column)
            except errors.NaiveTimestampError as exc:
                raise errors.NaiveTimestampError(
                    "members", attribute, f"member_attributes[{attribute!r}]: {exc.detail}",
                    exc.rows, exc.n_offending) from None
            unparsed = present & values.isna().to_numpy(dtype=bool) & person
            _note(notes, NOTE_ATTRIBUTE_NOT_A_TIME, attribute, column,
                  authors[unparsed].nunique(), "a value that is not a time")
        else:
            values = _empty_as_null(_cell_strings(values).str.strip())
        members[attribute], conflicts = _resolve(members["member_id"], authors, values, person, rank)
        _note(notes, NOTE_ATTRIBUTE_CONFLICT, attribute, column, conflicts, "different values")
    return members


def _resolve(ids: pd.Series, authors: pd.Series, values: pd.Series, person: np.ndarray,
             rank: np.ndarray) -> tuple[pd.Series, int]:
    """Each author's most frequent value (ties: the latest post's), aligned on ``ids``, and the
    number of authors whose posts give more than one value."""
    given = person & values.notna().to_numpy(dtype=bool)
    rows = pd.DataFrame({"member": authors.to_numpy(dtype=object)[given],
                         "value": values.to_numpy(dtype=object)[given], "rank": rank[given]})
    counted = rows.groupby(["member", "value"], sort=False).agg(n=("rank", "size"), last=("rank", "max"))
    counted = counted.reset_index().sort_values(["member", "n", "last"], kind="stable")
    chosen = counted.drop_duplicates("member", keep="last").set_index("member")["value"]
    conflicts = int((counted.groupby("member").size() > 1).sum())
    resolved = ids.map(chosen)
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return pd.to_datetime(resolved, utc=True).astype("datetime64[us, UTC]"), conflicts
    return resolved.astype("str"), conflicts


def _note(notes: NoteCounter, template: str, attribute: str, column: str, members: int, what: str) -> None:
    if not members:
        return
    notes.add("members", template.format(attribute=attribute, column=column), int(members))
    warnings.warn(f"member_attributes: {members} member(s) have {what} of {attribute!r} in their "
                  f"posts (source column {column!r}); see the kept_notes of 'members' in the "
                  f"manifest's accounting", UserWarning, stacklevel=4)


def _read_members(members) -> pd.DataFrame | None:
    if members is None:
        return None
    frame, _ = read_records(members)
    return frame


def _with_attributes(members: pd.DataFrame | None, attributes: pd.DataFrame,
                     is_roster: bool) -> pd.DataFrame:
    """The members table with the authors' attributes: a roster's rows filled, or one row per author."""
    if members is None:
        return attributes
    clash = [c for c in attributes.columns if c != "member_id" and c in members.columns]
    if clash:
        raise errors.PeerscopeError(f"member_attributes {clash}: the members table already has "
                                    f"these columns; give each attribute once")
    if is_roster:  # the roster says who the members are; authors missing from it stay an error
        return members.merge(attributes, on="member_id", how="left", sort=False)
    return attributes.merge(members, on="member_id", how="outer", sort=False)


def _finish(posts: pd.DataFrame, *, path, source_format, loader, parameters, skipped,
            assume_tz, anonymous_authors, deleted_authors, bot_authors, members, name, repair,
            pseudonymise, scrub_pii, kept_notes=None, attributes=None):
    """Members with roles (plus any roster, plus the authors' ``attributes``), then privacy,
    provenance and validation."""
    for column in ("parent_id", "author_id", "text"):  # required, but may be unknown
        if column not in posts.columns:
            posts[column] = pd.Series(None, index=posts.index, dtype="str")
    known = [c for c in schema.POSTS.known if c in posts.columns]
    posts = posts[known + [c for c in posts.columns if c not in known]].reset_index(drop=True)
    roles = role_members(posts["author_id"], anonymous_authors=anonymous_authors,
                         deleted_authors=deleted_authors, bot_authors=bot_authors) \
        if "author_id" in posts.columns else None
    roster = _read_members(members)
    if roster is not None:
        if "member_id" not in roster.columns:
            raise errors.MissingColumnError("members", "member_id",
                                            f"the roster has columns {list(roster.columns)}")
        roster = roster.copy()
        roster["member_id"] = _cell_strings(roster["member_id"])
        if roles is not None:
            known = roles["member_id"].isin(roster["member_id"])
            if "role" not in roster.columns:
                roster["role"] = pd.Series(None, index=roster.index, dtype="str")
            role_of = pd.Series(roles["role"].to_numpy(), index=roles["member_id"].to_numpy())
            given = roster["member_id"].map(role_of)
            roster["role"] = roster["role"].where(roster["role"].notna(), given)
            roster = pd.concat([roster, roles[~known]], ignore_index=True)
    members_table = roster if roster is not None else roles
    if attributes is not None:
        members_table = _with_attributes(members_table, attributes, roster is not None)
    parameters = {**parameters, "anonymous_authors": sorted(map(str, anonymous_authors)),
                  "deleted_authors": sorted(map(str, deleted_authors)),
                  "bot_authors": sorted(map(str, bot_authors)),
                  "members": None if members is None or isinstance(members, pd.DataFrame)
                  else os.fspath(members)}
    return build_corpus(posts, members_table, name=name, source=path,
                        source_format=source_format, loader=loader, parameters=parameters,
                        skipped=skipped, kept_notes=kept_notes, repair=repair,
                        roster=roster is not None, assume_tz=assume_tz,
                        pseudonymise=pseudonymise, scrub_pii=scrub_pii)
