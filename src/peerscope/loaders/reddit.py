"""Reddit -> :class:`~peerscope.Corpus`: Pushshift NDJSON dumps and PRAW-style comment CSVs.

Pushshift dumps (Baumgartner et al. 2020, "The Pushshift Reddit Dataset",
ICWSM) hold one JSON object per line, submissions and comments in separate
files, compressed with zstandard (``.zst``, long window).  The fields used:

==============  =====================================================
``id``          base-36 id (comments: ``t1_`` + id, submissions: ``t3_`` + id)
``author``      user name; ``[deleted]`` once the account is gone
``parent_id``   ``t1_<comment>`` or ``t3_<submission>`` (comments)
``link_id``     ``t3_<submission>``: the thread (comments)
``created_utc`` epoch seconds
``body``        comment text; ``selftext`` and ``title`` for submissions
``subreddit``   -> ``channel``
``score``       -> ``score``; ``is_submitter`` kept as an attribute
==============  =====================================================

Posts get Reddit "fullnames" as ids (``t3_abc``, ``t1_xyz``): comment and
submission ids are drawn from separate counters and could collide without
the prefix, and parent ids already carry it.  Submissions open threads
(thread id = the submission's fullname); comments reply to their parent.

A PRAW-style CSV (one row per comment with ``post_id``, ``comment_id``,
``author``, ``body``, ``score``, ``created_utc``, ``parent_id``,
``is_submitter``) is read too; see :func:`reddit` for how its submissions,
which have no rows of their own, are represented.

Large dumps stream to disk with ``out=PATH``: the file is read twice in
blocks, the first pass collecting 64-bit hashes of the ids (so parents can
be resolved with 24 bytes of memory per post) and staging the parsed rows in
a scratch Parquet file, the second linking them and writing through
:class:`~peerscope.CorpusWriter`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
import pyarrow.parquet as pq

from peerscope import errors, privacy

from peerscope.corpus import schema
from peerscope.corpus import CorpusWriter
from peerscope.loaders.build import NoteCounter, SkipCounter, build_corpus
from peerscope.loaders.sources import ZSTD_WINDOW, ZstdReader
from peerscope.loaders.table import read_records, role_members

__all__ = ["BLOCK_BYTES", "BOT_AUTHORS", "CSV_COLUMNS", "DELETED_AUTHORS", "FIELDS",
           "NOTE_PARENT_IN_OTHER_THREAD", "NOTE_PARENT_MISSING", "NOTE_SUBMISSION_MADE",
           "PARSE_WORKERS", "SUBMISSION_TIMES", "ZSTD_WINDOW", "reddit"]

#: Authors that stand for a deleted account (the PRAW CSV writes ``None``).
DELETED_AUTHORS = ("[deleted]", "None")
#: Accounts that are bots.
BOT_AUTHORS = ("AutoModerator",)

#: Fields read from each NDJSON object (others are ignored).
FIELDS = pa.schema([
    ("id", pa.string()), ("author", pa.string()), ("parent_id", pa.string()),
    ("link_id", pa.string()), ("created_utc", pa.float64()), ("body", pa.string()),
    ("selftext", pa.string()), ("title", pa.string()), ("subreddit", pa.string()),
    ("score", pa.float64()), ("is_submitter", pa.bool_()),
])

#: Columns a PRAW-style comment CSV must have.
CSV_COLUMNS = ("post_id", "comment_id", "author", "body", "score", "created_utc", "parent_id",
               "is_submitter")

#: Bytes of source read at a time: bounds memory whatever the line lengths.
BLOCK_BYTES = 16 * 2**20
#: Blocks parsed at the same time (each by one thread).
PARSE_WORKERS = max(1, min(4, os.cpu_count() or 1))
_LOADER = "peerscope.loaders.reddit.reddit"

#: Notes on posts kept but changed, counted in the manifest's ``kept_notes``.
NOTE_PARENT_MISSING = "parent not in the data: kept with a null parent"
NOTE_PARENT_IN_OTHER_THREAD = "parent in another thread: kept with a null parent"
NOTE_SUBMISSION_MADE = ("submission made from its comments (no row in the CSV): "
                        "null author and text, dated at its first comment")
#: How made submissions are dated (``provenance.parameters.submission_times``, PRAW CSV only).
SUBMISSION_TIMES = "time of the thread's first comment (an upper bound)"


def reddit(source, *, comments=None, out=None, name: str | None = None, repair: bool = False,
           pseudonymise: str | None = None, scrub_pii: bool = False, progress: bool = False,
           chunk_rows: int = 200_000, deleted_authors=DELETED_AUTHORS, bot_authors=BOT_AUTHORS):
    """Load Reddit submissions and comments into a validated corpus.

    Parameters
    ----------
    source : path-like
        Pushshift-style NDJSON (``.ndjson``, ``.jsonl``, ``.json``; plain or
        ``.zst``) of submissions, comments or both, or a PRAW-style comment
        CSV (``.csv``).
    comments : path-like, optional
        A second NDJSON file, e.g. the comments beside a submissions dump.
    out : path-like, optional
        Folder to write the corpus to.  For NDJSON the import then streams:
        memory stays bounded (blocks of at most ``chunk_rows`` lines and 16
        MiB, plus 24 bytes per post) whatever the file size.
    name : str, optional
        Corpus name (default: the file name).
    repair : bool
        Skip rows without an id, thread or time, or with an implausible time
        (counted by reason in the manifest) instead of raising.
    pseudonymise : str, optional
        Secret salt: replace user names by keyed hashes.
    scrub_pii : bool
        Remove e-mail addresses, URLs, phone numbers and handles from text.
    progress : bool
        Show a progress bar (on a terminal only).
    chunk_rows : int
        Most lines parsed and written at a time.
    deleted_authors, bot_authors : iterable of str
        Author names that mean a deleted account (role ``deleted``) or a bot
        (role ``bot``); they are listed in a members table without a roster.

    Returns
    -------
    peerscope.Corpus
        Opened from ``out`` when given.

    Raises
    ------
    peerscope.errors.SourceError
        Malformed JSON (naming file and line), a CSV column missing, a bad
        row without ``repair`` (file and line), a ``.zst`` file without the
        ``zstandard`` package.
    peerscope.errors.ValidationError
        A reply cycle in the source.

    Notes
    -----
    * A comment whose parent is not in the data (not collected, removed from
      the dump, or a row skipped under ``repair``) keeps its thread
      (``link_id``) and gets a null parent, so it looks like an opening post
      to reply metrics.  Such comments are kept, not dropped, and counted in
      the manifest's accounting as ``kept_notes`` of ``posts``
      (:data:`NOTE_PARENT_MISSING`; a parent found in another thread:
      :data:`NOTE_PARENT_IN_OTHER_THREAD`).  A thread whose submission is
      absent exists with its comments only.
    * A post id seen twice (dumps overlap) is kept once; the later rows are
      skipped with reason ``duplicate_id``.  Ids are compared by 64-bit
      hashes (a collision among 10 million ids has probability ~3e-6).
    * ``[deleted]``/``None`` authors get role ``deleted`` and ``AutoModerator``
      role ``bot`` in the members table (``roster=False``: post data cannot
      show lurkers).
    * PRAW-style CSV: submissions have no rows, authors or times there.  Each
      distinct ``post_id`` becomes an opening post (``kind="submission"``)
      with a null author and null text, dated at its thread's first comment
      (an upper bound; ``provenance.parameters.submission_times``), so times
      to first reply are not measurable.  These made posts are counted in
      ``kept_notes`` (:data:`NOTE_SUBMISSION_MADE`).  ``is_submitter`` (a
      posts column; True on the opening posts) marks comments written by
      the submission's author.
      For reciprocity this means that replies to opening posts point to an
      unknown author (the metrics count them as such), and that the original
      poster's own comments are not recognised as the same person unless you
      use ``is_submitter``: the author of any ``is_submitter`` comment is the
      opening post's author.

    Examples
    --------
    >>> corpus = reddit("RS_2019-01.zst", comments="RC_2019-01.zst",
    ...                 out="reddit-2019-01", progress=True)  # doctest: +SKIP
    """
    path = os.fspath(source)
    paths = [path] + ([os.fspath(comments)] if comments is not None else [])
    for item in paths:
        if not os.path.isfile(item):
            raise errors.SourceError("no such file", path=item)
    if chunk_rows < 1:
        raise errors.PeerscopeError(f"chunk_rows must be positive, not {chunk_rows}")
    options = _Options(repair, privacy.check_salt(pseudonymise), scrub_pii, progress and sys.stderr.isatty(),
                       chunk_rows, tuple(map(str, deleted_authors)), tuple(map(str, bot_authors)))
    if _is_csv(path):
        if comments is not None:
            raise errors.PeerscopeError("comments= is for NDJSON dumps; a PRAW CSV holds them already")
        corpus = _csv_corpus(path, name, options)
        return corpus if out is None else corpus.save(out)
    if out is None:
        return _ndjson_corpus(paths, name, options)
    return _ndjson_stream(paths, out, name, options)


@dataclass(frozen=True)
class _Options:
    repair: bool
    pseudonymise: str | None
    scrub_pii: bool
    progress: bool
    chunk_rows: int
    deleted_authors: tuple[str, ...]
    bot_authors: tuple[str, ...]

    def parameters(self, source_format: str) -> dict:
        parameters = {"format": source_format, "deleted_authors": list(self.deleted_authors),
                      "bot_authors": list(self.bot_authors), "chunk_rows": self.chunk_rows}
        if source_format == "reddit-praw-csv":
            parameters["submission_times"] = SUBMISSION_TIMES
        return parameters


# ---------------------------------------------------------------------------
# Reading NDJSON in blocks
# ---------------------------------------------------------------------------

def _is_csv(path: str) -> bool:
    name = path.lower()
    return name.endswith(".csv") or name.endswith(".csv.gz") or name.endswith(".csv.zst")


@contextmanager
def _binary(path: str):
    """The decompressed bytes of ``path`` and the raw file (for progress); a ``.zst``
    file that ends inside a frame raises when its end is read."""
    raw = open(path, "rb")
    try:
        if path.lower().endswith(".zst"):
            try:
                reader = ZstdReader(raw, path)
            except ImportError:
                raise errors.SourceError(
                    "reading .zst needs the zstandard package: pip install 'peerscope[reddit]'",
                    path=path) from None
            yield reader, raw
        else:
            yield raw, raw
    finally:
        raw.close()


def _read(stream, size: int, path: str) -> bytes:
    parts, got = [], 0
    try:
        while got < size:
            data = stream.read(size - got)
            if not data:
                break
            parts.append(data)
            got += len(data)
    except errors.PeerscopeError:
        raise
    except Exception as exc:  # zstandard.ZstdError and OSError: a corrupt or truncated file
        raise errors.SourceError(f"cannot read: {exc}", path=path) from None
    return b"".join(parts)


def _blocks(path: str, chunk_rows: int, bar):
    """Blocks of whole lines: ``(number of the first line, bytes)``."""
    line = 1
    with _binary(path) as (stream, raw):
        rest = b""
        while True:
            data = _read(stream, BLOCK_BYTES, path)
            if bar is not None:
                bar.update(raw.tell() - bar.n)
            if not data:
                if rest.strip():
                    yield line, rest
                return
            cut = data.rfind(b"\n") + 1
            if cut == 0:  # one line longer than a block: keep reading
                rest += data
                continue
            block, rest = rest + data[:cut], data[cut:]
            for piece, lines in _split_lines(block, chunk_rows):
                yield line, piece
                line += lines


def _split_lines(block: bytes, chunk_rows: int):
    """Pieces of at most ``chunk_rows`` lines, with their line counts."""
    lines = block.count(b"\n")
    if lines <= chunk_rows:
        yield block, lines
        return
    ends = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)[chunk_rows - 1::chunk_rows] + 1
    start = 0
    for end in ends:
        yield block[start:end], chunk_rows
        start = int(end)
    if start < len(block):
        yield block[start:], lines % chunk_rows


def _parse(block: bytes, first_line: int, path: str, fields: pa.Schema) -> pa.Table:
    """One block of NDJSON -> the ``fields`` of each object.

    pyarrow's JSON reader is the fast path (one thread per block; blocks are
    parsed in parallel); a block it rejects (a malformed line, a field of an
    unexpected type such as ``created_utc`` written as text, a string that is
    not valid UTF-8) is parsed line by line, which names the bad line.
    """
    try:
        table = pj.read_json(
            pa.BufferReader(block),
            read_options=pj.ReadOptions(block_size=len(block) + 1, use_threads=False),
            parse_options=pj.ParseOptions(explicit_schema=fields, unexpected_field_behavior="ignore"))
        table.validate(full=True)  # the reader passes invalid UTF-8 inside strings through
        return table
    except (pa.ArrowException, UnicodeDecodeError):
        return _parse_lines(block, first_line, path, fields)


def _parse_lines(block: bytes, first_line: int, path: str, fields: pa.Schema) -> pa.Table:
    columns: dict[str, list] = {f.name: [] for f in fields}
    for offset, line in enumerate(block.split(b"\n")):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:  # JSONDecodeError or UnicodeDecodeError
            raise errors.SourceError(f"malformed JSON: {exc}", path=path,
                                     line=first_line + offset) from None
        if not isinstance(record, dict):
            raise errors.SourceError(f"a {type(record).__name__}, not a JSON object", path=path,
                                     line=first_line + offset)
        for f in fields:
            columns[f.name].append(_value(record.get(f.name), f.type))
    return pa.table({f.name: pa.array(columns[f.name], type=f.type) for f in fields})


def _value(value, type_: pa.DataType):
    """A JSON value as the field's type; values that do not fit become null."""
    if value is None:
        return None
    if pa.types.is_string(type_):
        if isinstance(value, str):
            return value
        return json.dumps(value) if isinstance(value, (list, dict)) else str(value)
    if pa.types.is_boolean(type_):
        return value if isinstance(value, bool) else None
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def _line_of(block: bytes, first_line: int, row: int) -> int:
    """Line number of the ``row``-th object of a block (blank lines hold none)."""
    filled = [i for i, line in enumerate(block.split(b"\n")) if line.strip()]
    return first_line + filled[row] if row < len(filled) else first_line


# ---------------------------------------------------------------------------
# Objects -> posts
# ---------------------------------------------------------------------------

def _column(table: pa.Table, name: str):
    if name in table.column_names:
        return table[name]
    return pa.nulls(table.num_rows, FIELDS.field(name).type)


def _pick(condition, when_true, when_false):
    """``if_else`` that skips the copy when the condition is the same for every row
    (dumps hold comments only or submissions only)."""
    if condition.null_count == 0 and pc.all(condition).as_py() is not False:
        return when_true
    if not pc.any(condition).as_py():
        return when_false
    return pc.if_else(condition, when_true, when_false)


def _filled(value, n: int):
    """An Arrow column from what :func:`_pick` returned (a column, or one Python value)."""
    return value if isinstance(value, (pa.Array, pa.ChunkedArray)) else pa.repeat(value, n)


def _prefixed(values, prefix: str):
    """``prefix + value`` unless the value has it already."""
    has = pc.fill_null(pc.starts_with(values, prefix), False)
    return _pick(has, values, pc.binary_join_element_wise(prefix, values, ""))


def _posts_of(table: pa.Table) -> pa.Table:
    """Pushshift objects -> posts columns, plus ``parent_ref``: the parent named in the source."""
    n = table.num_rows
    no_text = pa.nulls(n, pa.string())
    link, parent = _column(table, "link_id"), _column(table, "parent_id")
    is_comment = pc.or_(pc.is_valid(link), pc.is_valid(parent))
    bare = pc.replace_substring_regex(_column(table, "id"), r"^t[13]_", "")
    post_id = pc.binary_join_element_wise(_pick(is_comment, "t1_", "t3_"), bare, "")
    parent_submission = _pick(pc.fill_null(pc.starts_with(parent, "t3_"), False), parent, no_text)
    thread = _pick(is_comment, pc.coalesce(_prefixed(link, "t3_"), parent_submission), post_id)
    text = _pick(is_comment, _column(table, "body"), _column(table, "selftext"))
    text = _pick(pc.fill_null(pc.match_substring_regex(text, r"^\s*$"), False), no_text, text)
    return pa.table({
        "post_id": post_id,
        "thread_id": thread,
        "parent_ref": _pick(is_comment, parent, no_text),
        "author_id": _column(table, "author"),
        "created_at": _epoch_seconds(_column(table, "created_utc")),
        "text": text,
        "title": _pick(is_comment, no_text, _column(table, "title")),
        "channel": _column(table, "subreddit"),
        "kind": _filled(_pick(is_comment, "comment", "submission"), n),
        "score": _integers(_column(table, "score")),
        "is_removed": pc.fill_null(pc.equal(text, "[removed]"), False),
        "is_submitter": _filled(_pick(is_comment, _column(table, "is_submitter"), True), n),
    })


def _finite(values, limit: float):
    ok = pc.fill_null(pc.less(pc.abs(values), limit), False)
    return _pick(ok, values, pa.nulls(len(values), pa.float64()))


def _epoch_seconds(seconds: pa.Array) -> pa.Array:
    micros = pc.round(pc.multiply(_finite(seconds, 1e12), 1e6))
    return micros.cast(pa.int64()).cast(schema.TIMESTAMP)


def _integers(values: pa.Array) -> pa.Array:
    return pc.round(_finite(values, 2.0**62)).cast(pa.int64())


def _problems(posts: pa.Table, now: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """A reason per row ("" for a good row) and the column each bad row breaks."""
    n = posts.num_rows
    reason = np.full(n, "", dtype=object)
    column = np.full(n, "", dtype=object)
    for name in ("post_id", "thread_id", "created_at"):
        missing = np.asarray(posts[name].is_null()) & (reason == "")
        reason[missing], column[missing] = "null_required", name
    times = posts["created_at"]
    early = pc.less(times, pa.scalar(schema.EARLIEST_PLAUSIBLE.to_pydatetime(), schema.TIMESTAMP))
    late = pc.greater(times, pa.scalar(now.to_pydatetime(), schema.TIMESTAMP))
    implausible = np.asarray(pc.fill_null(pc.or_(early, late), False)) & (reason == "")
    reason[implausible], column[implausible] = "implausible_time", "created_at"
    return reason, column


_SOURCE_FIELD = {"post_id": "id", "thread_id": "link_id", "created_at": "created_utc"}
_PROBLEM = {"null_required": "value is missing, or not an id or a number",
            "implausible_time": "time outside the plausible range"}


def _raise_bad_row(reason, column, where, posts: pa.Table) -> None:
    bad = np.flatnonzero(reason != "")
    if not len(bad):
        return
    i = int(bad[0])
    detail = _PROBLEM[reason[i]]
    if reason[i] == "implausible_time":
        detail += f" ({posts['created_at'][i].as_py()})"
    raise errors.SourceError(
        f"{detail} ({len(bad)} bad rows in this block; pass repair=True to skip them)",
        column=_SOURCE_FIELD.get(column[i], column[i]), **where(i))


# ---------------------------------------------------------------------------
# Linking posts by hashed ids
# ---------------------------------------------------------------------------

def hash_ids(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """64-bit hashes of string ids, vectorised; nulls hash to 0, which no id gets.

    Ids of up to :data:`_WIDE` bytes are zero-padded to a multiple of 8 and
    mixed 8 bytes at a time with their length, each step finished by the
    splitmix64 mixer (Steele, Lea & Flood 2014); longer ids (rare in any
    dump) are hashed one by one with BLAKE2b.

    Parameters
    ----------
    values : pyarrow.Array or pyarrow.ChunkedArray
        String ids (nulls allowed).

    Returns
    -------
    numpy.ndarray
        One 64-bit hash per value.

    Examples
    --------
    >>> a, b, c, d = hash_ids(pa.array(["t1_abc", None, "t1_abc", "t1_abc\\x00"]))
    >>> bool(a == c and b == 0 and a != 0 and a != d)
    True
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    values = values.cast(pa.large_binary())
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    buffers = values.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64, count=n + 1, offset=values.offset * 8)
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else np.zeros(0, np.uint8)
    starts, lengths = offsets[:-1], np.diff(offsets)
    wide = lengths > _WIDE
    padded_width = max(8, -(-int(lengths[~wide].max(initial=0)) // 8) * 8)
    padded = np.empty((n, padded_width), dtype=np.uint8)
    source = np.append(data, np.uint8(0))  # the zero byte pads
    for k in range(padded_width):
        padded[:, k] = source[np.where(lengths > k, starts + k, len(data))]
    words = padded.view("<u8")
    hashed = lengths.astype(np.uint64)
    with np.errstate(over="ignore"):
        for j in range(words.shape[1]):
            hashed = _mix(hashed ^ words[:, j])
    for i in np.flatnonzero(wide):
        digest = hashlib.blake2b(data[starts[i]:starts[i] + lengths[i]].tobytes(), digest_size=8)
        hashed[i] = np.uint64(int.from_bytes(digest.digest(), "little"))
    hashed[hashed == 0] = 1
    hashed[np.asarray(values.is_null())] = 0
    return hashed


#: Longest id hashed in the vectorised way (bytes).
_WIDE = 32


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijection of uint64 with good avalanche."""
    x = (x + np.uint64(0x9E3779B97F4A7C15))
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@dataclass
class _Index:
    """Hashed ids of all good rows: the first row holding each id, and its thread."""

    parts: list = field(default_factory=list)
    rows: int = 0
    ids: np.ndarray | None = None
    thread: np.ndarray | None = None
    repeated_rows: np.ndarray | None = None

    def add(self, posts: pa.Table, good: np.ndarray) -> None:
        rows = self.rows + np.arange(posts.num_rows)
        self.parts.append((hash_ids(posts["post_id"])[good], hash_ids(posts["thread_id"])[good],
                           rows[good]))
        self.rows += posts.num_rows

    def finish(self) -> None:
        ids, threads, rows = (np.concatenate([p[i] for p in self.parts] or [np.zeros(0, t)])
                              for i, t in enumerate((np.uint64, np.uint64, np.int64)))
        self.parts = []
        self.ids, first = np.unique(ids, return_index=True)
        self.thread = threads[first]
        later = np.ones(len(rows), dtype=bool)
        later[first] = False
        self.repeated_rows = rows[later]

    def lookup(self, hashed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per hash: found?, and the hash of its thread (0 when not found)."""
        if not len(self.ids):
            return np.zeros(len(hashed), bool), np.zeros(len(hashed), np.uint64)
        where = np.searchsorted(self.ids, hashed).clip(0, len(self.ids) - 1)
        found = (self.ids[where] == hashed) & (hashed != 0)
        return found, np.where(found, self.thread[where], np.uint64(0))

    def repeated(self, rows: np.ndarray) -> np.ndarray:
        """Rows whose id an earlier row has already."""
        if not len(self.repeated_rows):
            return np.zeros(len(rows), dtype=bool)
        return np.isin(rows, self.repeated_rows)


@dataclass
class _Linker:
    """Second pass: drops bad and repeated rows, resolves parents, counts what it did."""

    index: _Index
    special: frozenset = frozenset()
    rows: int = 0
    skipped: SkipCounter = field(default_factory=SkipCounter)
    notes: NoteCounter = field(default_factory=NoteCounter)
    authors: set = field(default_factory=set)
    now: pd.Timestamp = field(default_factory=schema.plausible_until)

    def link(self, posts: pa.Table) -> pa.Table:
        """Posts of one chunk, in pass order; bad rows exist only under ``repair``
        (the first pass raised on them otherwise)."""
        rows = self.rows + np.arange(posts.num_rows)
        self.rows += posts.num_rows
        reason, _ = _problems(posts, self.now)
        for label in set(reason) - {""}:
            self.skipped.add("posts", label, int((reason == label).sum()))
        good = reason == ""
        repeated = good & self.index.repeated(rows)
        self.skipped.add("posts", "duplicate_id", int(repeated.sum()))
        parent_hash = hash_ids(posts["parent_ref"])
        found, parent_thread = self.index.lookup(parent_hash)
        same_thread = parent_thread == hash_ids(posts["thread_id"])
        keep = good & ~repeated
        self.notes.add("posts", NOTE_PARENT_MISSING, int((keep & (parent_hash != 0) & ~found).sum()))
        self.notes.add("posts", NOTE_PARENT_IN_OTHER_THREAD, int((keep & found & ~same_thread).sum()))
        parent = pc.if_else(pa.array(found & same_thread), posts["parent_ref"],
                            pa.nulls(posts.num_rows, pa.string()))
        posts = posts.drop_columns(["parent_ref"]).add_column(2, "parent_id", parent)
        posts = posts.filter(pa.array(keep))
        if self.special:
            authors = pc.unique(posts["author_id"])
            seen = authors.filter(pc.is_in(authors, value_set=pa.array(sorted(self.special))))
            self.authors.update(seen.to_pylist())
        return posts


def _progress(path: str, label: str, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=os.path.getsize(path), unit="B", unit_scale=True, desc=f"{label} {os.path.basename(path)}")


def _source_blocks(paths, options: _Options, label: str):
    """``(path, first line, block)`` for every block of every file."""
    for path in paths:
        bar = _progress(path, label, options.progress)
        try:
            for first_line, block in _blocks(path, options.chunk_rows, bar):
                yield path, first_line, block
        finally:
            if bar is not None:
                bar.close()


def _where_ndjson(path, block, first_line):
    return lambda row: {"path": path, "line": _line_of(block, first_line, row)}


# ---------------------------------------------------------------------------
# The three ways in
# ---------------------------------------------------------------------------

def _index(chunks, options: _Options, keep) -> _Index:
    """First pass: hashed ids of the good rows (raising on a bad row without repair).

    ``keep`` receives every parsed chunk (a list's ``append``, or a staging
    Parquet writer), so the second pass need not parse the JSON again.
    """
    index, now = _Index(), schema.plausible_until()
    for posts, where in chunks:
        reason, column = _problems(posts, now)
        if not options.repair:
            _raise_bad_row(reason, column, where, posts)
        index.add(posts, reason == "")
        keep(posts)
    index.finish()
    return index


def _ndjson_chunks(paths, options, label):
    """Posts of every block, parsed by :data:`PARSE_WORKERS` threads, in file order.

    pyarrow parses and computes outside the GIL, so blocks k + 1 .. k + w are
    parsed while block k is linked and written; at most w blocks are in
    flight, which bounds memory.
    """
    with ThreadPoolExecutor(max_workers=PARSE_WORKERS) as pool:
        pending: deque = deque()
        for path, first_line, block in _source_blocks(paths, options, label):
            pending.append((path, first_line, block,
                            pool.submit(_parsed_posts, block, first_line, path)))
            if len(pending) > PARSE_WORKERS:
                yield _ready(*pending.popleft())
        while pending:
            yield _ready(*pending.popleft())


def _parsed_posts(block: bytes, first_line: int, path: str) -> pa.Table:
    return _posts_of(_parse(block, first_line, path, FIELDS))


def _ready(path, first_line, block, future):
    return future.result(), _where_ndjson(path, block, first_line)


def _ndjson_corpus(paths, name, options: _Options):
    """In memory: parse once, index, link."""
    parsed: list[pa.Table] = []
    linker = _new_linker(_index(_ndjson_chunks(paths, options, "reading"), options, parsed.append),
                         options)
    linked = [linker.link(posts) for posts in parsed]
    posts = (pa.concat_tables(linked) if linked
             else _posts_of(FIELDS.empty_table()).drop_columns(["parent_ref"]))
    return _build(schema.to_pandas(posts), linker, paths, name, options, "reddit-ndjson")


def _ndjson_stream(paths, out, name, options: _Options):
    """To disk, in two passes with bounded memory.

    Pass 1 parses the files block by block, collects the hashed ids and
    stages the parsed rows in a scratch Parquet file beside ``out`` (JSON is
    slow to parse; Parquet fast to re-read).  Pass 2 reads the staged rows
    back in batches, links them and writes through :class:`CorpusWriter`.
    """
    parent = os.path.dirname(os.path.abspath(os.fspath(out)))
    os.makedirs(parent, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix=".peerscope-reddit-", dir=parent)
    try:
        staged = os.path.join(scratch, "posts.parquet")
        with pq.ParquetWriter(staged, _posts_of(FIELDS.empty_table()).schema,
                              compression="lz4", use_dictionary=False) as staging:
            index = _index(_ndjson_chunks(paths, options, "pass 1/2"), options,
                           lambda posts: staging.write_table(posts.cast(staging.schema)))
        linker = _new_linker(index, options)
        provenance = {"source_format": "reddit-ndjson", "loader": _LOADER, "source": paths[0],
                      "parameters": {**options.parameters("reddit-ndjson"), "sources": paths,
                                     "repair": options.repair, "assume_tz": None,
                                     "pseudonymised": bool(options.pseudonymise),
                                     "scrub_pii": options.scrub_pii}}
        del index
        with CorpusWriter(out, name=name or os.path.basename(paths[0]), roster=False,
                          provenance=provenance) as writer:
            _write_linked(writer, staged, linker, options)
            members = _members(sorted(linker.authors), options)
            if members is not None:
                writer.write("members", _private({"members": members}, options)["members"])
            for reason, rows in linker.skipped.as_dict().get("posts", {}).items():
                writer.skip("posts", reason, rows)
            for note, rows in linker.notes.as_dict().get("posts", {}).items():
                writer.note("posts", note, rows)
            # the writer's closing checks hold every id: free what is ours first
            linker.index = None
            pa.default_memory_pool().release_unused()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return writer.corpus


def _write_linked(writer: CorpusWriter, staged: str, linker: _Linker, options: _Options) -> None:
    """Pass 2: staged rows -> linked posts -> the writer, batch by batch."""
    staged_file = pq.ParquetFile(staged)
    batches = staged_file.iter_batches(batch_size=_batch_rows(staged_file, options.chunk_rows))
    bar = _row_progress(linker.index.rows, options.progress)
    try:
        for batch in batches:
            posts = linker.link(pa.Table.from_batches([batch]))
            writer.write("posts", _private({"posts": schema.to_pandas(posts)}, options)["posts"])
            if bar is not None:
                bar.update(linker.rows - bar.n)
    finally:
        if bar is not None:
            bar.close()


def _batch_rows(staged: pq.ParquetFile, chunk_rows: int) -> int:
    """Rows per batch of the second pass: at most ``chunk_rows`` and about
    :data:`BLOCK_BYTES` of data (pandas and the writer copy each batch a few times)."""
    meta = staged.metadata
    size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    per_row = size / max(meta.num_rows, 1)
    return max(1_000, min(chunk_rows, int(BLOCK_BYTES / max(per_row, 1.0))))


def _row_progress(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="rows", unit_scale=True, desc="pass 2/2 linking and writing")


def _csv_corpus(path: str, name, options: _Options):
    """A PRAW-style comment CSV: comments, plus one opening post per submission."""
    raw, _ = read_records(path, "csv")
    missing = [c for c in CSV_COLUMNS if c not in raw.columns]
    if missing:
        raise errors.SourceError(f"not a PRAW-style comment CSV; it has {list(raw.columns)}",
                                 path=path, column=missing[0])
    objects = pa.table({
        "id": pa.array(raw["comment_id"], pa.string()),
        "author": pa.array(raw["author"], pa.string()),
        "parent_id": pa.array(raw["parent_id"], pa.string()),
        "link_id": pa.array(raw["post_id"], pa.string()),
        "created_utc": pa.array(pd.to_numeric(raw["created_utc"], errors="coerce"), pa.float64()),
        "body": pa.array(raw["body"], pa.string()),
        "subreddit": pa.array(raw["subreddit"] if "subreddit" in raw.columns
                              else pd.Series(None, index=raw.index, dtype="str"), pa.string()),
        "score": pa.array(pd.to_numeric(raw["score"], errors="coerce"), pa.float64()),
        "is_submitter": pa.array(raw["is_submitter"].str.strip().str.lower().map(
            {"true": True, "false": False}), pa.bool_()),
    })
    comments = _posts_of(objects)
    reason, column = _problems(comments, schema.plausible_until())
    if not options.repair and (reason != "").any():
        i = int(np.flatnonzero(reason != "")[0])
        raise errors.SourceError(
            f"row {i} (0-based, header excluded): {_PROBLEM[reason[i]]} ({int((reason != '').sum())} "
            "bad rows; pass repair=True to skip them)", path=path,
            column={"post_id": "comment_id", "thread_id": "post_id",
                    "created_at": "created_utc"}.get(column[i], column[i]))
    submissions = _csv_submissions(comments, reason == "")
    posts = pa.concat_tables([submissions, comments])
    linker = _new_linker(_index([(posts, None)], options, lambda _: None), options)
    linked = schema.to_pandas(linker.link(posts))
    linker.notes.add("posts", NOTE_SUBMISSION_MADE, submissions.num_rows)
    return _build(linked, linker, [path], name, options, "reddit-praw-csv")


def _csv_submissions(comments: pa.Table, good: np.ndarray) -> pa.Table:
    """One opening post per thread of the comments, dated at its first comment."""
    frame = comments.select(["thread_id", "created_at", "channel"]).filter(pa.array(good))
    first = frame.group_by("thread_id", use_threads=False).aggregate(
        [("created_at", "min"), ("channel", "first")])
    first = first.sort_by("thread_id")
    n = first.num_rows
    empty = pa.nulls(n, pa.string())
    return pa.table({
        "post_id": first["thread_id"], "thread_id": first["thread_id"],
        "parent_ref": empty, "author_id": empty, "created_at": first["created_at_min"],
        "text": empty, "title": empty, "channel": first["channel_first"],
        "kind": pa.array(["submission"] * n, pa.string()),
        "score": pa.nulls(n, pa.int64()), "is_removed": pa.array([False] * n),
        "is_submitter": pa.array([True] * n),
    }).cast(comments.schema)


def _new_linker(index: _Index, options: _Options) -> _Linker:
    return _Linker(index, frozenset(options.deleted_authors + options.bot_authors))


def _members(authors, options: _Options) -> pd.DataFrame | None:
    return role_members(pd.Series(authors, dtype="str"), deleted_authors=options.deleted_authors,
                        bot_authors=options.bot_authors)


def _private(frames: dict, options: _Options) -> dict:
    if options.scrub_pii:
        frames = {n: _scrubbed(f) for n, f in frames.items()}
    if options.pseudonymise:
        frames = privacy.pseudonymise_ids(frames, options.pseudonymise)
    return frames


def _scrubbed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for column in ("text", "title"):
        if column in frame.columns:
            frame[column] = privacy.scrub_pii(frame[column])
    return frame


def _build(posts: pd.DataFrame, linker: _Linker, paths, name, options: _Options, source_format):
    members = _members(sorted(linker.authors), options)
    parameters = {**options.parameters(source_format), "sources": list(paths)}
    return build_corpus(posts, members, name=name, source=paths[0], source_format=source_format,
                        loader=_LOADER, parameters=parameters, skipped=linker.skipped,
                        kept_notes=linker.notes,
                        repair=options.repair, roster=False, pseudonymise=options.pseudonymise,
                        scrub_pii=options.scrub_pii)
