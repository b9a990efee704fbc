"""The embedded columnar engine: DuckDB over Arrow columns, for the joins under the measures.

On the pandas engine the measures read Arrow columns of a corpus and work
on integer arrays; the one step that is a relational join rather than
arithmetic, finding each reply's parent among every post, runs here, in an
in-memory DuckDB database that reads the Arrow columns without copying,
hashes on every core and spills to the temporary folder when its hash table
outgrows memory.  Each call opens its own database (25-100 ms with DuckDB 2.0
on this 2-core machine), so nothing is shared between threads or kept between
calls: one database kept open for the process and used through cursors
costs 2-8 ms a call but held about 110 MB of freed query memory after a
dyadic count at 1M posts, which would add to every later step's peak.

Why DuckDB: at 10M posts its parallel hash join found the parents in 55% of
the time of Arrow's ``dictionary_encode`` over post and parent ids and under
a third of that of Arrow's own hash join (Acero); see ``docs/scaling.md``.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["Dyads", "ReplyEdges", "connect", "dyads", "event_counts", "first_events", "hash_parts", "member_rows",
           "newsletter_members", "parent_rows", "reply_edges"]


def connect() -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB database using every core and spilling to the temporary folder.

    Examples
    --------
    >>> with connect() as con:
    ...     con.execute("SELECT 41 + 1").fetchone()
    (42,)
    """
    config = {"threads": os.cpu_count() or 1,
              "temp_directory": os.path.join(tempfile.gettempdir(), "peerscope-duckdb"),
              "preserve_insertion_order": False}
    return duckdb.connect(":memory:", config=config)


def parent_rows(post_id: pa.ChunkedArray | pa.Array, parent_id: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """int32 row of each post's parent among ``post_id`` (``-1``: no parent, or none with that id).

    Post ids are unique (validation guarantees it), so the equi-join of
    ``parent_id`` on ``post_id`` gives each reply at most one parent row.

    Parameters
    ----------
    post_id, parent_id : pyarrow.Array or ChunkedArray
        Strings of equal length: row ``i`` is post ``post_id[i]``, replying
        to ``parent_id[i]`` (null for an opening post).

    Returns
    -------
    numpy.ndarray
        ``int32``, one per post.

    Examples
    --------
    >>> parent_rows(pa.chunked_array([["p1", "p2", "p3"]]), pa.chunked_array([[None, "p1", "p9"]])).tolist()
    [-1, 0, -1]
    """
    n = len(post_id)
    found = np.full(n, -1, dtype=np.int32)
    if n == 0:
        return found
    rows = pa.array(np.arange(n, dtype=np.int32))
    posts = pa.table({"post_id": post_id, "row": rows})
    replies = pa.table({"parent_id": parent_id, "row": rows})
    with connect() as con:
        con.register("posts", posts)
        con.register("replies", replies)
        pairs = con.execute("SELECT replies.row AS reply, posts.row AS parent "
                            "FROM replies JOIN posts ON replies.parent_id = posts.post_id").fetchnumpy()
    found[np.asarray(pairs["reply"])] = np.asarray(pairs["parent"])
    return found


@dataclass(frozen=True)
class ReplyEdges:
    """What :func:`reply_edges` finds: the distinct edges, the replies per status, the structure.

    Attributes
    ----------
    edges : pyarrow.Table
        ``source``, ``target`` (strings), ``replies`` (int64), ``first_at``,
        ``last_at`` (int64 microseconds since the epoch, UTC) and
        ``reciprocated`` (the reverse edge exists): one row per distinct
        edge, in no particular order.
    replies_by_status : numpy.ndarray
        int64 replies per status code (the ``statuses`` given; opening
        posts are not counted).
    replies_to_replies : bool
        Some reply answers a post that is itself a reply.
    """

    edges: pa.Table
    replies_by_status: np.ndarray
    replies_to_replies: bool


#: The status of each reply, in order of precedence: (status name, SQL condition on the joined reply).
_STATUS_CONDITIONS = (
    ("from_unknown", "r.author_id IS NULL"),
    ("from_bot", "ra.role = 'bot'"),
    ("from_deleted", "ra.role = 'deleted'"),
    ("from_anonymous", "ra.role = 'anonymous'"),
    ("parent_not_in_corpus", "p.post_id IS NULL"),
    ("to_unknown", "p.author_id IS NULL"),
    ("to_bot", "pa.role = 'bot'"),
    ("to_deleted", "pa.role = 'deleted'"),
    ("to_anonymous", "pa.role = 'anonymous'"),
    ("self_reply", "r.author_id = p.author_id"),
)


def reply_edges(posts: pa.Table, non_persons: pa.Table, statuses: tuple[str, ...], *,
                window=(None, None)) -> ReplyEdges:
    """The person-to-person reply edges of a posts table, and why every other reply is not one.

    One SQL query over the posts' id and time columns (read by the caller
    with pyarrow, which reads Parquet on every core and checks its page
    checksums; the engine scans the Arrow columns without copying them and
    hashes on every core): each reply (a post with a
    ``parent_id``) is joined to its parent post and both authors to their
    roles; each reply gets the first status of :data:`_STATUS_CONDITIONS`
    that applies, else ``edge``; replies are then grouped by status, and
    edges by (source, target) with their count and first and last time,
    and each edge is joined to its reverse.  Only the edges and one row per
    other status leave the engine.

    Parameters
    ----------
    posts : pyarrow.Table
        Every post that exists (a corpus's own window), with ``post_id``,
        ``parent_id``, ``author_id``, ``created_at``.
    non_persons : pyarrow.Table
        ``member_id``, ``role``: the members whose role is ``bot``,
        ``deleted`` or ``anonymous`` (every other author is a person).
    statuses : tuple of str
        Status names in the order of their codes: ``"edge"`` and the names
        of :data:`_STATUS_CONDITIONS`; other names are counted as 0.
    window : (start, end)
        The replies counted, ``[start, end)`` (None: unbounded; parents are
        looked up among all ``posts``).

    Returns
    -------
    ReplyEdges

    Examples
    --------
    >>> import pandas as pd
    >>> posts = pa.table({"post_id": ["p1", "p2", "p3", "p4"], "parent_id": [None, "p1", "p2", "p1"],
    ...     "author_id": ["ann", "bob", "ann", "ann"],
    ...     "created_at": pa.array(pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"], utc=True))})
    >>> found = reply_edges(posts, pa.table({"member_id": pa.array([], pa.string()), "role": pa.array([], pa.string())}),
    ...                     ("edge", "self_reply"))
    >>> sorted(found.edges.select(["source", "target", "replies", "reciprocated"]).to_pylist(),
    ...        key=lambda edge: edge["source"])   # doctest: +NORMALIZE_WHITESPACE
    [{'source': 'ann', 'target': 'bob', 'replies': 1, 'reciprocated': True},
     {'source': 'bob', 'target': 'ann', 'replies': 1, 'reciprocated': True}]
    >>> found.replies_by_status.tolist(), found.replies_to_replies
    ([2, 1], True)
    """
    codes = {name: code for code, name in enumerate(statuses)}
    cases = " ".join(f"WHEN {condition} THEN {codes[name]}" for name, condition in _STATUS_CONDITIONS
                     if name in codes)
    parameters: list = []
    reply_filter = "".join(f" AND {bound}" for bound in _bounds("r.created_at", *window, parameters))
    query = f"""
        WITH grouped AS (
            SELECT status,
                   CASE WHEN status = {codes["edge"]} THEN source END AS source,
                   CASE WHEN status = {codes["edge"]} THEN target END AS target,
                   count(*) AS replies, epoch_us(min(written)) AS first_at,
                   epoch_us(max(written)) AS last_at, bool_or(to_reply) AS to_reply
            FROM (SELECT CASE {cases} ELSE {codes["edge"]} END AS status,
                         r.author_id AS source, p.author_id AS target, r.created_at AS written,
                         p.parent_id IS NOT NULL AS to_reply
                  FROM posts r
                  LEFT JOIN posts p ON r.parent_id = p.post_id
                  LEFT JOIN non_persons ra ON r.author_id = ra.member_id
                  LEFT JOIN non_persons pa ON p.author_id = pa.member_id
                  WHERE r.parent_id IS NOT NULL{reply_filter})
            GROUP BY ALL)
        SELECT g.*, back.source IS NOT NULL AS reciprocated
        FROM grouped g LEFT JOIN grouped back
          ON g.source = back.target AND g.target = back.source"""
    with connect() as con:
        con.register("posts", posts)
        con.register("non_persons", non_persons)
        grouped = con.sql(query, params=parameters).to_arrow_table()
    status = grouped.column("status").to_numpy()
    replies = grouped.column("replies").to_numpy()
    by_status = np.bincount(status, weights=replies, minlength=len(statuses)).astype(np.int64)
    to_reply = bool(np.asarray(grouped.column("to_reply").fill_null(False)).any())
    edges = grouped.filter(pc.equal(grouped.column("status"), codes["edge"]))
    edges = edges.select(["source", "target", "replies", "first_at", "last_at", "reciprocated"])
    return ReplyEdges(edges, by_status, to_reply)


@dataclass(frozen=True)
class Dyads:
    """What :func:`dyads` counts: the distinct edges, the reciprocated ones, and the replies.

    Attributes
    ----------
    edges : int
        Distinct directed person-to-person reply edges.
    reciprocated : int
        Edges whose reverse edge exists.
    replies : int
        Replies (posts with a ``parent_id``) in the window.
    replies_to_replies : bool
        Some reply answers a post that is itself a reply.
    """

    edges: int
    reciprocated: int
    replies: int
    replies_to_replies: bool

    @classmethod
    def of(cls, found: ReplyEdges) -> "Dyads":
        """The counts of edges :func:`reply_edges` found already."""
        return cls(found.edges.num_rows, int(pc.sum(found.edges.column("reciprocated")).as_py() or 0),
                   int(found.replies_by_status.sum()), found.replies_to_replies)


def dyads(posts: pa.Table, non_persons: pa.Table, *, window=(None, None)) -> Dyads:
    """The edges of :func:`reply_edges` counted, without listing them: what dyadic reciprocity needs.

    The same edges as :func:`reply_edges` (a reply joined to its parent,
    neither author null nor a non-person, not a self-reply), counted by
    unordered pair of people: one group per pair ``{a, b}`` records whether
    some reply went ``a -> b`` and whether some went ``b -> a``, so the
    edges are the directions present and the reciprocated edges twice the
    pairs with both.  One aggregation instead of listing the distinct edges
    and joining them to their reverses (0.14 s against 0.17 s at 1M posts,
    1.4 s against 2.1 s and 200 MB less at 10M); no reply's time or status
    is kept, so the query reads one column fewer than :func:`reply_edges`.

    Parameters
    ----------
    posts : pyarrow.Table
        ``post_id``, ``parent_id``, ``author_id`` of every post that exists
        (a corpus's own window), and ``created_at`` when ``window`` is bounded.
    non_persons : pyarrow.Table
        ``member_id`` of the members that are not persons (bots, deleted, anonymous).
    window : (start, end)
        The replies counted, ``[start, end)`` (None: unbounded).

    Returns
    -------
    Dyads

    Examples
    --------
    >>> posts = pa.table({"post_id": ["p1", "p2", "p3", "p4"], "parent_id": [None, "p1", "p2", "p1"],
    ...                   "author_id": ["ann", "bob", "ann", "cat"]})
    >>> dyads(posts, pa.table({"member_id": pa.array([], pa.string())}))
    Dyads(edges=3, reciprocated=2, replies=3, replies_to_replies=True)
    """
    parameters: list = []
    reply_filter = "".join(f" AND {bound}" for bound in _bounds("r.created_at", *window, parameters))
    query = f"""
        WITH pairs AS MATERIALIZED (
            SELECT r.author_id AS source, p.author_id AS target, p.parent_id IS NOT NULL AS to_reply
            FROM posts r JOIN posts p ON r.parent_id = p.post_id
            WHERE r.parent_id IS NOT NULL{reply_filter}),
        dyads AS (
            SELECT bool_or(source < target) AS forward, bool_or(source > target) AS backward
            FROM pairs
            WHERE source <> target
              AND source NOT IN (SELECT member_id FROM non_persons)
              AND target NOT IN (SELECT member_id FROM non_persons)
            GROUP BY least(source, target), greatest(source, target))
        SELECT (SELECT coalesce(sum(forward::INTEGER + backward::INTEGER), 0) FROM dyads),
               (SELECT 2 * count(*) FILTER (forward AND backward) FROM dyads),
               (SELECT count(*) FROM posts r WHERE r.parent_id IS NOT NULL{reply_filter}),
               (SELECT coalesce(bool_or(to_reply), false) FROM pairs)"""
    with connect() as con:
        con.register("posts", posts)
        con.register("non_persons", non_persons.select(["member_id"]))
        edges, reciprocated, replies, to_reply = con.execute(query, parameters * 2).fetchone()
    return Dyads(int(edges), int(reciprocated), int(replies), bool(to_reply))


def _bounds(column: str, start, end, parameters: list) -> list[str]:
    """SQL conditions ``start <= column < end`` (bounds that are None are left out), their
    values appended to ``parameters`` as UTC datetimes."""
    conditions = []
    for bound, operator in ((start, ">="), (end, "<")):
        if bound is not None:
            conditions.append(f"{column} {operator} ?")
            parameters.append(bound.to_pydatetime())
    return conditions


#: The month of ``at`` (UTC) as months since 1970-01 (:mod:`peerscope._kernels.months`), from
#: the naive UTC timestamp of its epoch microseconds (no time zone is looked up).
_MONTH_SQL = ('(year(make_timestamp(epoch_us("at"))) - 1970) * 12 '
              '+ month(make_timestamp(epoch_us("at"))) - 1')


def event_counts(batches, by_month: bool) -> pd.DataFrame:
    """Events per ``member_id`` (and ``month``), one int64 column per kind.

    One grouped count in the columnar engine, which streams the events and
    spills to disk when the groups outgrow memory; rows come back sorted by
    member id (code-point order) and month, and only the distinct member
    ids become pandas strings (the (member, month) index is built from
    codes: there are tens of millions of pairs at 10M posts).

    Parameters
    ----------
    batches : iterable of pyarrow.RecordBatch
        Events with columns ``member_id`` and ``kind`` (and ``at`` when
        ``by_month``), e.g. :meth:`peerscope.Corpus.arrow_batches`; read
        once, as the engine asks for them.
    by_month : bool
        Index by ``member_id`` and ``month`` (UTC, months since 1970-01).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``member_id`` (and ``month``), sorted; columns are the
        kinds, sorted; events with a null member id and members with no
        event are absent.

    Examples
    --------
    >>> events = pa.table({"member_id": ["ann", "bob", "ann", None],
    ...                    "kind": ["view", "view", "receive", "view"]})
    >>> event_counts(events.to_batches(), by_month=False).to_dict("index")
    {'ann': {'receive': 1, 'view': 1}, 'bob': {'receive': 0, 'view': 1}}
    >>> event_counts([], by_month=True).index.names
    FrozenList(['member_id', 'month'])
    """
    events = _reader(batches, {"member_id": pa.string(), "kind": pa.string(), "at": _TIMESTAMP})
    month = f", {_MONTH_SQL} AS month" if by_month else ""
    keys = "member_id, month" if by_month else "member_id"
    with connect() as con:
        con.register("events", events)
        con.execute(f"""CREATE TEMP TABLE counted AS
                        SELECT {keys}, kind, count(*) AS n
                        FROM (SELECT member_id, kind{month} FROM events WHERE member_id IS NOT NULL)
                        GROUP BY ALL""")
        kinds = [row[0] for row in con.execute("SELECT DISTINCT kind FROM counted ORDER BY kind").fetchall()]
        counted = con.sql(f"SELECT {keys}, list_position(?, kind) - 1 AS kind, n FROM counted "
                          f"ORDER BY {keys}", params=[kinds]).to_arrow_table()
    member = counted.column("member_id").combine_chunks() if counted.num_rows else pa.array([], pa.string())
    new_member = _changes(member)
    months = counted.column("month").to_numpy().astype(np.int64) if by_month else None
    new_row = new_member if months is None else new_member | np.append(True, months[1:] != months[:-1])
    row = np.cumsum(new_row) - 1
    wide = np.zeros((int(new_row.sum()), len(kinds)), dtype=np.int64)
    wide[row, counted.column("kind").to_numpy()] = counted.column("n").to_numpy()
    ids = pd.Index(member.filter(pa.array(new_member)).to_pandas(), dtype="str", name="member_id")
    if months is None:
        index = ids
    else:
        starts = np.flatnonzero(new_row)
        member_code = (np.cumsum(new_member) - 1)[starts]
        month_values, month_code = np.unique(months[starts], return_inverse=True)
        index = pd.MultiIndex(levels=[ids, pd.Index(month_values, dtype="int64")],
                              codes=[member_code, month_code], names=["member_id", "month"],
                              verify_integrity=False)
    return pd.DataFrame(wide, index=index, columns=pd.Index(kinds, dtype="str", name="kind"), copy=False)


def first_events(batches, kinds: tuple[str, ...]) -> pd.Series:
    """Time of each member's first event of one of ``kinds``.

    The same as filtering the events on ``kind``, grouping by ``member_id``
    and taking the smallest ``at`` (null member ids left out), as one
    grouped query in the columnar engine.

    Parameters
    ----------
    batches : iterable of pyarrow.RecordBatch
        Events with columns ``member_id``, ``at`` and ``kind``.
    kinds : tuple of str
        The kinds that count.

    Returns
    -------
    pandas.Series
        ``at`` (UTC) indexed by ``member_id``, sorted; members without such
        an event are absent.

    Examples
    --------
    >>> events = pa.table({"member_id": ["ann", "bob", "ann"], "kind": ["view", "post", "view"],
    ...     "at": pa.array([3, 1, 2], pa.timestamp("us", tz="UTC"))})
    >>> {k: str(v) for k, v in first_events(events.to_batches(), ("view",)).items()}
    {'ann': '1970-01-01 00:00:00.000002+00:00'}
    """
    events = _reader(batches, {"member_id": pa.string(), "kind": pa.string(), "at": _TIMESTAMP})
    with connect() as con:
        con.register("events", events)
        first = con.sql('SELECT member_id, epoch_us(min("at")) AS first_at FROM events '
                        "WHERE member_id IS NOT NULL AND list_contains(?, kind) "
                        "GROUP BY member_id ORDER BY member_id", params=[list(kinds)]).to_arrow_table()
    ids = pd.Index(first.column("member_id").to_pandas(), dtype="str", name="member_id")
    times = pd.DatetimeIndex(first.column("first_at").to_numpy().astype("datetime64[us]")).tz_localize("UTC")
    return pd.Series(times, index=ids, name="at")


def member_rows(batches, ids: pa.Array, member: str, time: str, *,
                codes: dict[str, tuple[str, ...]] | None = None, rows: int = 1 << 20):
    """The rows of ``batches`` whose ``member`` is one of ``ids``, as numbers, in batches.

    One hash join in the columnar engine against ``ids`` (its hash table is
    built once, where a look-up per batch rebuilt it every time: 0.5 s a
    batch against 1.25M ids), streamed back as record batches of about
    ``rows`` rows, in no particular order.  Rows with a null member are
    left out.

    Parameters
    ----------
    batches : iterable of pyarrow.RecordBatch
        Rows with the string column ``member``, the timestamp ``time`` and
        the string columns named in ``codes``.
    ids : pyarrow.Array
        The ids to keep, strings.
    member, time : str
        Column names.
    codes : dict, optional
        Column name -> the values wanted, in order: the column comes back as
        each value's position in its tuple (int8), and rows whose value is
        not listed are left out (e.g. ``{"kind": ("view", "post")}``).
    rows : int
        Rows per batch returned.

    Yields
    ------
    pyarrow.RecordBatch
        ``member`` (int64: the position in ``ids``), ``at`` (int64:
        microseconds since the epoch) and the columns of ``codes`` (int8).

    Examples
    --------
    >>> events = pa.table({"member_id": ["bob", None, "ann", "eve", "ann"],
    ...                    "at": pa.array([5, 6, 7, 8, 9], pa.timestamp("us", tz="UTC")),
    ...                    "kind": ["post", "post", "view", "post", "join"]})
    >>> out = pa.Table.from_batches(member_rows(events.to_batches(), pa.array(["ann", "bob"]),
    ...                                         "member_id", "at", codes={"kind": ("view", "post")}))
    >>> sorted(zip(out["member"].to_pylist(), out["at"].to_pylist(), out["kind"].to_pylist()))
    [(0, 7, 0), (1, 5, 1)]
    """
    codes = dict(codes or {})
    selected = [f'r.position AS member, epoch_us(t."{time}") AS at']
    selected += [f'CAST(list_position(?, t."{column}") - 1 AS TINYINT) AS "{column}"' for column in codes]
    conditions = [f'list_contains(?, t."{column}")' for column in codes]
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    parameters = [list(values) for values in codes.values()] * 2
    table = _reader(batches, {member: pa.string(), time: _TIMESTAMP, **dict.fromkeys(codes, pa.string())})
    known = pa.table({"id": ids.cast(pa.string()), "position": pa.array(np.arange(len(ids), dtype=np.int64))})
    with connect() as con:
        _stream_probes(con)   # ``known`` is hashed
        con.register("source", table)
        con.register("known", known)
        query = con.sql(f'SELECT {", ".join(selected)} FROM source t JOIN known r ON t."{member}" = r.id {where}',
                        params=parameters or None)
        with query.to_arrow_reader(batch_size=rows) as reader:
            yield from reader


def _changes(values: pa.Array) -> np.ndarray:
    """bool per value: it differs from the one before (True for the first)."""
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    differs = pc.not_equal(values.slice(1), values.slice(0, len(values) - 1))
    return np.append(True, np.asarray(differs.fill_null(True), dtype=bool))


def hash_parts(values: pa.ChunkedArray, parts: int) -> np.ndarray:
    """Part (``0 .. parts - 1``) of each value by the engine's hash of it; ``parts`` for a null.

    Equal values always share a part, so a check across rows (repeated ids)
    can look at one part at a time.  The hash is DuckDB's ``hash()``, which
    depends on the value alone.

    Examples
    --------
    >>> found = hash_parts(pa.chunked_array([["a", "b"], ["a", None]]), 4)
    >>> bool(found[0] == found[2]), int(found[3]), bool(found[:3].max() < 4)
    (True, 4, True)
    """
    with connect() as con:
        con.execute("SET preserve_insertion_order = true")   # one part per row, in row order
        con.register("hashed", pa.table({"value": values}))
        found = con.sql(f"SELECT CASE WHEN value IS NULL THEN {int(parts)} ELSE hash(value) % {int(parts)} END "
                        "AS part FROM hashed")
        part = found.fetchnumpy()["part"]
    return np.asarray(part).astype(np.uint8 if parts < 255 else np.uint16)


#: The event kinds :func:`newsletter_members` matches to newsletters.
_NEWSLETTER_KINDS = ("receive", "contribute")


def newsletter_members(batches, names: list[str], issues: pa.Table) -> tuple[dict[str, pd.DataFrame], int]:
    """Distinct (newsletter, member_id) of ``receive`` and ``contribute`` events, and the
    ``receive`` events that match no newsletter.

    An event matches newsletter N when its ``channel`` is N (one of
    ``names``) or its ``target_id`` is an issue id of N (an issue id several
    newsletters share matches all of them).  The events are streamed once:
    the other kinds are dropped as they are read, each event is joined to
    the newsletter(s) of its target (the hash table is built over
    ``issues``, never over the stream) and the events are counted per
    (kind, member, matched channel, target's newsletter), so what stays in
    memory is a few groups per member, not the tens of millions of events
    (46M, 7M of them ``receive``, at 10M posts).  The pairs and the count
    are read from those groups: an event of an issue two newsletters share
    is in two groups, but one that matches nothing joined no issue, so it
    is counted once.

    Parameters
    ----------
    batches : iterable of pyarrow.RecordBatch
        Events with columns ``member_id`` and ``kind``, and ``channel``
        and/or ``target_id`` (a column that is absent matches nothing).
    names : list of str
        The newsletters' names.
    issues : pyarrow.Table
        ``issue_id``, ``newsletter`` (strings): the newsletter(s) of each issue.

    Returns
    -------
    pairs : dict
        ``"receive"`` and ``"contribute"`` -> DataFrame of ``newsletter``
        and ``member_id`` (``str``), distinct, sorted by both.
    unmatched : int
        ``receive`` events matched to no newsletter.

    Examples
    --------
    >>> events = pa.table({"member_id": ["ann", "bob", "ann", "cat", "dan"],
    ...                    "kind": ["receive", "receive", "contribute", "receive", "view"],
    ...                    "channel": ["Post", None, None, "Other", "Post"],
    ...                    "target_id": [None, "s1", "s1", None, None]})
    >>> issues = pa.table({"issue_id": ["s1", "s1"], "newsletter": ["Echo", "Post"]})
    >>> pairs, unmatched = newsletter_members(events.to_batches(), ["Echo", "Post"], issues)
    >>> pairs["receive"].values.tolist(), pairs["contribute"].values.tolist(), unmatched
    ([['Echo', 'bob'], ['Post', 'ann'], ['Post', 'bob']], [['Echo', 'ann'], ['Post', 'ann']], 1)
    """
    events = _reader(batches, {"member_id": pa.string(), "kind": pa.string(), "channel": pa.string(),
                               "target_id": pa.string()})
    links = {column: f'e."{column}"' if column in events.schema.names else "NULL::VARCHAR"
             for column in ("channel", "target_id")}
    with connect() as con:
        _stream_probes(con)   # ``issues`` is hashed
        con.register("events", events)
        con.register("issues", issues)
        con.execute(f"""CREATE TEMP TABLE found AS
                        SELECT e.kind, e.member_id,
                               CASE WHEN list_contains(?::VARCHAR[], {links["channel"]})
                                    THEN {links["channel"]} END AS channel,
                               i.newsletter, count(*) AS events
                        FROM events e LEFT JOIN issues i ON {links["target_id"]} = i.issue_id
                        WHERE list_contains(?, e.kind)
                        GROUP BY ALL""", [list(names), list(_NEWSLETTER_KINDS)])
        [(unmatched,)] = con.execute("SELECT coalesce(sum(events), 0) FROM found WHERE kind = 'receive' "
                                     "AND channel IS NULL AND newsletter IS NULL").fetchall()
        pairs = con.sql("SELECT kind, channel AS newsletter, member_id FROM found WHERE channel IS NOT NULL "
                        "UNION SELECT kind, newsletter, member_id FROM found WHERE newsletter IS NOT NULL "
                        "ORDER BY kind, newsletter, member_id").to_arrow_table()
    out = {}
    for kind in _NEWSLETTER_KINDS:
        mine = pairs.filter(pc.equal(pairs.column("kind"), kind))
        out[kind] = pd.DataFrame({column: pd.Series(mine.column(column).to_pandas(), dtype="str")
                                  for column in ("newsletter", "member_id")})
    return out, int(unmatched)


#: The type of peerscope's times (``schema.TIMESTAMP``).
_TIMESTAMP = pa.timestamp("us", tz="UTC")


def _stream_probes(con) -> None:
    """Keep each join's written order: the right side is hashed and the left one probes it.

    The planner guesses a Python Arrow stream to be one row long, so left to
    itself it builds the hash table over the stream (46M events: 5.2 GB for
    the forms in use at 10M posts) instead of the small table it is joined to.
    """
    con.execute("SET disabled_optimizers = 'join_order,build_side_probe_side'")


def _reader(batches, empty: dict[str, pa.DataType]) -> pa.RecordBatchReader | pa.Table:
    """The batches as one stream the engine pulls from (an empty table of ``empty``'s
    columns when there is none)."""
    batches = iter(batches)
    first = next(batches, None)
    if first is None:
        return pa.schema(empty).empty_table()
    return pa.RecordBatchReader.from_batches(first.schema, itertools.chain([first], batches))
