"""Stack Exchange data dumps -> :class:`~peerscope.Corpus`.

A Stack Exchange data dump is one folder per site holding ``Users.xml``,
``Posts.xml``, ``Comments.xml`` (and ``Badges``, ``Tags``, ``PostLinks``,
``PostHistory``, ``Votes``, which this loader does not read), each a root
element with one ``<row .../>`` per record and the fields as attributes.  The
fields and their meaning follow the schema documentation of the public dump,
"Database schema documentation for the public data dump and SEDE",
https://meta.stackexchange.com/q/2677.

What becomes what
-----------------
``Users.xml`` -> ``members``
    ``member_id`` = ``Id``, ``joined_at`` = ``CreationDate``, role ``member``,
    except the Community user ``-1`` (a background process that owns tag wikis
    and community edits), whose role is ``bot``.  The profile counters
    ``Views`` and ``Reputation`` become the member attribute columns ``views``
    and ``reputation``.  The dump has no moderator flag, so no member gets the
    role ``moderator``.  Display names, locations and "about me" texts are not
    imported: they identify people and no metric needs them.
``Posts.xml`` -> ``posts``
    Questions (``PostTypeId`` 1) and answers (2).  A question opens its own
    thread (``thread_id`` = ``post_id`` = ``Id``); an answer's ``parent_id``
    and ``thread_id`` are its question (``ParentId``).  ``kind`` is
    ``question`` or ``answer``, ``title`` the question's ``Title``, ``score``
    the ``Score``, ``views`` the question's ``ViewCount``.  ``text`` is the
    ``Body`` (rendered HTML in the dump) turned into plain text: tags removed,
    paragraph and line breaks kept as newlines, character references decoded
    once (``&amp;lt;`` in the HTML is the text ``&lt;``, not ``<``).
    Every other post type (tag wikis and their excerpts, 3-5; moderator
    nominations, 6; wiki placeholders, 7; privilege wikis, 8) is not a
    discussion: it is skipped and counted in the manifest by type.
``Comments.xml`` -> ``posts``
    ``kind`` ``comment``, ``parent_id`` = the commented post (``PostId``),
    ``thread_id`` = that post's thread.  Comment ids are a sequence of their
    own in the dump, so a comment's ``post_id`` is ``"c"`` + its ``Id`` to
    keep it apart from the question or answer with the same number.

Decisions
---------
Unknown authors
    The dump leaves out ``OwnerUserId`` (``UserId`` on comments) when the
    account was deleted; it may keep the name shown at deletion in
    ``OwnerDisplayName`` (e.g. ``user306``).  Such posts get a null
    ``author_id``: they count in corpus totals but are nobody's posts.  No
    member is made from the display name: names are not unique, the same
    deleted person can appear under several, and merging distinct deleted
    users into one "deleted" person would invent a super-user.  An author id
    that *is* given but has no row in ``Users.xml`` (an account removed
    between the two exports) is added to ``members`` with role ``deleted``,
    one member per id, so that the roster stays complete.
Missing parents
    The dump is complete for a site, so an answer whose question is not in
    ``Posts.xml``, or a comment on a post that is not there, has lost its
    context (the parent was deleted): it is skipped with the reason
    ``answer to question not in dump`` / ``comment on post not in dump``.
    Comments on posts that were skipped on purpose (tag wikis) are skipped
    with the reason ``comment on <that post type>``.
Times
    Dump times (``2018-03-12T17:00:45.567``) carry no zone; Stack Exchange
    stores and shows every time in UTC (the convention of the dump and of the
    Data Explorer that documents it), so they are read as UTC and the
    manifest records ``assume_tz="UTC"``.
Channel
    ``channel`` is the site's host name: ``site=`` when given, else the dump
    folder's name when it is one (``quantumcomputing.stackexchange.com``, as
    the archives unpack), else null.

Malformed input
---------------
A file that is not well-formed XML (truncated, wrong encoding), declares
entities (the "billion laughs" bomb; refused by :mod:`defusedxml`) or holds a
value that is not what its attribute needs (an ``Id`` that is not an integer,
a ``CreationDate`` that is not a time) raises
:class:`~peerscope.errors.SourceError` naming the file, line and attribute.
With ``repair=True`` a row with a bad value is skipped instead, counted under
``bad <attribute>``.

Memory and speed
----------------
The XML is parsed as a stream by an expat parser hardened by
:class:`defusedxml.ElementTree.DefusedXMLParser`, whose element handler keeps
only the attributes of each ``row`` (no element tree is built, so there is
nothing to clear).  Rows are handled in chunks of :data:`CHUNK_ROWS`; each
chunk's attributes become typed Arrow columns in a few vectorised passes
(integers, times, HTML to text on the whole column).  With ``out=PATH`` each
chunk goes straight to a :class:`~peerscope.corpus.CorpusWriter`, so memory is
bounded by a few chunks plus the id maps that resolve threads: 16 bytes per
question or answer and 8 per user (numpy ``int64``; Stack Overflow's ~60
million posts need about 1 GB).

Files larger than two :data:`RANGE_BYTES` are parsed by ``workers`` processes
at once: each parses a byte range cut where a line starts with ``<row`` (the
dump writes one row per line), wrapped in the file's root element, and leaves
the typed columns in an Arrow IPC file (in ``/dev/shm`` when there is one)
that the main process maps; the main process takes the ranges in file order,
resolves threads and writes.  Line numbers in errors stay exact (each range
counts its newlines).  A range that is not well-formed on its own makes the
whole file be parsed again in one piece, so that the error reported is the
file's first.  Files that declare an encoding other than UTF-8 are parsed in
one piece.  Workers are started with ``spawn``, so a script that imports a
big dump must call the loader under ``if __name__ == "__main__":``.
"""

from __future__ import annotations

import html
import multiprocessing
import os
import re
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from itertools import repeat
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from xml.parsers import expat

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from tqdm.auto import tqdm

from peerscope import errors, privacy
from peerscope.corpus import Corpus, CorpusWriter
from peerscope.loaders.build import SkipCounter, build_corpus

__all__ = ["CHUNK_BYTES", "CHUNK_ROWS", "COMMUNITY_USER", "POST_TYPES", "RANGE_BYTES",
           "stackexchange"]

try:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import DefusedXMLParser
except ImportError:  # pragma: no cover - defusedxml is a core dependency
    DefusedXmlException = DefusedXMLParser = None

#: Rows handled (converted, validated, written) at a time, at most ...
CHUNK_ROWS = 100_000
#: ... and at most about this many bytes of XML (bounds memory for long bodies).
CHUNK_BYTES = 24 << 20
#: Bytes of a file one worker process parses at a time.
RANGE_BYTES = 8 << 20
#: Bytes fed to the parser at a time.
_READ_BYTES = 1 << 20
#: The Community user, a background process.
COMMUNITY_USER = -1
QUESTION, ANSWER = 1, 2
#: Names of the post types that are not discussion (schema documentation, PostTypeId).
POST_TYPES = {3: "orphaned tag wiki", 4: "tag wiki excerpt", 5: "tag wiki",
              6: "moderator nomination", 7: "wiki placeholder", 8: "privilege wiki"}
_INTEGER = r"^-?[0-9]{1,18}$"
_DUMP_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,7})?$"
_HOST = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+\.(com|net|org)$")
#: An HTML tag (within one body of a NUL-joined chunk; see :func:`_plain_text`).
_TAG = re.compile("<[^>\x00]*>")
#: A character reference as HTML5 reads it (the pattern :func:`html.unescape` uses,
#: kept within one body of a NUL-joined chunk).
_REFERENCE = re.compile("&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;\x00]{1,32};?)")
#: The references the dump's HTML writer emits, decoded without calling :func:`html.unescape`.
_COMMON_REFERENCES = {"&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&amp;": "&"}
#: Where a range may start: right after a newline that is followed by a row.
_ROW_LINE = re.compile(rb"\n(?=[ \t]*<row[ \t\r\n/>])")
#: How far to look for the next row line before treating the rest of the file as one range.
_MAX_CUT_SEARCH = 64 << 20
_UTF8_DECLARATION = re.compile(rb"^(\xef\xbb\xbf)?(<\?xml[^>]*?encoding=[\"'](?P<encoding>[^\"']+)[\"'])?")


def stackexchange(dump_dir: str | os.PathLike, *, out: str | os.PathLike | None = None,
                  name: str | None = None, site: str | None = None, repair: bool = False,
                  pseudonymise: str | None = None, scrub_pii: bool = False,
                  progress: bool = False, workers: int | None = None) -> Corpus:
    """Import a Stack Exchange data dump folder.

    Parameters
    ----------
    dump_dir : path-like
        The folder of one site's dump, holding ``Posts.xml`` and normally
        ``Users.xml`` and ``Comments.xml``.  Without ``Users.xml`` there is no
        roster (members who never posted cannot be counted); without
        ``Comments.xml`` there are no comments.
    out : path-like, optional
        Stream the corpus to this folder (bounded memory, for dumps of any
        size) and return it opened from there.  Without it the corpus is built
        in memory.
    name : str, optional
        Corpus name (default: the folder name).
    site : str, optional
        The site's host name, used as every post's ``channel`` (default: the
        folder name when it is a host name, else null).
    repair : bool
        Skip rows with bad values instead of raising (counted as ``bad
        <attribute>``), and, in memory, quarantine rows that break a corpus
        rule.  A streamed corpus (``out``) is checked when complete and a
        broken rule raises.
    pseudonymise : str, optional
        Secret salt: member ids become keyed hashes (:mod:`peerscope.privacy`).
    scrub_pii : bool
        Replace e-mail addresses, URLs, phone numbers and @handles in text and
        titles with placeholders.
    progress : bool
        Show a progress bar over the bytes read.
    workers : int, optional
        Processes that parse files larger than two :data:`RANGE_BYTES` in
        parallel (default: the CPUs available to this process, at most 4);
        ``1`` parses everything in this process.  The result does not depend
        on it.

    Returns
    -------
    Corpus
        ``posts`` (questions, answers, comments) and, with ``Users.xml``,
        ``members`` as a roster.  The manifest counts every skipped row by
        reason (see the module docstring for the decisions).

    Raises
    ------
    peerscope.errors.SourceError
        A file is missing, not well-formed, declares entities, or holds a bad
        value (without ``repair``); the message names file, line and attribute.
    peerscope.errors.ValidationError
        The tables break a corpus rule (duplicate ids, for example).

    Examples
    --------
    >>> corpus = stackexchange("quantumcomputing.stackexchange.com")  # doctest: +SKIP
    >>> corpus.posts()["kind"].value_counts()                          # doctest: +SKIP
    """
    if DefusedXMLParser is None:  # pragma: no cover
        raise errors.PeerscopeError("the Stack Exchange loader needs defusedxml: pip install defusedxml")
    pseudonymise = privacy.check_salt(pseudonymise)
    folder = Path(dump_dir)
    if not (folder / "Posts.xml").is_file():
        raise errors.SourceError("not a Stack Exchange dump folder: no Posts.xml", path=str(folder))
    if site is None:
        host = folder.resolve().name.lower()
        site = host if _HOST.match(host) else None
    files = {table: folder / f"{table}.xml" for table in ("Users", "Posts", "Comments")
             if (folder / f"{table}.xml").is_file()}
    roster = "Users" in files
    parameters = {"site": site}
    total = sum(path.stat().st_size for path in files.values())
    if workers is None:
        workers = min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                      else os.cpu_count() or 1)
    with tqdm(total=total, unit="B", unit_scale=True, disable=not progress,
              desc="stackexchange") as bar, _Reader(files, repair, bar.update, workers) as reader:
        dump = _Dump(reader, site)
        if out is None:
            return _in_memory(dump, folder, name, roster, parameters, repair, pseudonymise, scrub_pii)
        return _streamed(dump, folder, out, name, roster, parameters, repair, pseudonymise, scrub_pii)


def _in_memory(dump, folder, name, roster, parameters, repair, pseudonymise, scrub_pii) -> Corpus:
    frames: dict[str, list[pd.DataFrame]] = {"members": [], "posts": []}
    for table, frame in dump.chunks():
        frames[table].append(frame)
    members = pd.concat(frames["members"], ignore_index=True) if roster else None
    posts = (pd.concat(frames["posts"], ignore_index=True) if frames["posts"]
             else _to_pandas(_posts_frame({}, 0)))
    return build_corpus(posts, members, name=name, source=folder, source_format="stackexchange",
                        loader=__name__, parameters=parameters, skipped=dump.skipped,
                        repair=repair, roster=roster, assume_tz="UTC",
                        pseudonymise=pseudonymise, scrub_pii=scrub_pii)


def _streamed(dump, folder, out, name, roster, parameters, repair, pseudonymise, scrub_pii) -> Corpus:
    provenance = {"source_format": "stackexchange", "loader": __name__, "source": os.fspath(folder),
                  "parameters": {**parameters, "repair": repair, "assume_tz": "UTC",
                                 "pseudonymised": bool(pseudonymise), "scrub_pii": scrub_pii}}
    name = name or os.path.basename(os.path.normpath(os.fspath(folder)))
    with CorpusWriter(out, name=name, roster=roster, provenance=provenance,
                      assume_tz="UTC") as writer:
        for table, frame in dump.chunks():
            if scrub_pii:
                for column in ("text", "title"):
                    if column in frame.columns:
                        frame[column] = privacy.scrub_pii(frame[column])
            if pseudonymise:
                frame = privacy.pseudonymise_ids({table: frame}, pseudonymise)[table]
            writer.write(table, frame)
        for table, reasons in dump.skipped.as_dict().items():
            for reason, rows in reasons.items():
                writer.skip(table, reason, rows)
    return writer.corpus


# ---------------------------------------------------------------------------
# Reading rows
# ---------------------------------------------------------------------------

def iter_rows(path: Path, on_bytes: Callable[[int], object] = lambda n: None,
              chunk_rows: int = CHUNK_ROWS, *, start: int = 0, end: int | None = None,
              root: bytes | None = None, lines_read: list[int] | None = None
              ) -> Iterator[tuple[list[dict], list[int]]]:
    """The ``<row>`` elements of a dump file, as attribute dicts with their line numbers.

    Yields lists of at most about ``chunk_rows`` rows or :data:`CHUNK_BYTES` of XML.  The parser is expat
    with defusedxml's guards (entity declarations and external references
    raise); only the start of each ``row`` element is handled, so memory stays
    bounded by a chunk whatever the size of the file.

    With ``root``, only the bytes ``start`` to ``end`` are parsed, inside the
    element ``root`` (opened before them unless ``start`` is 0, closed after
    them unless ``end`` is the end of the file): a range of rows parsed on
    its own.  Line numbers then count from the range's first line.  When
    ``lines_read`` is given, the number of newlines parsed is appended to it
    at the end.

    Parameters
    ----------
    path : Path
        A dump file (``Posts.xml``, ``Comments.xml``, ``Users.xml``).
    on_bytes : callable
        Called with the number of bytes parsed since the last call (progress).
    chunk_rows : int
        Rows per yielded chunk, at most.
    start, end : int
        Byte range to parse (``end=None``: to the end of the file).
    root : bytes or None
        Name of the enclosing element, needed when parsing a range on its own.
    lines_read : list of int or None
        Receives the number of newlines parsed.

    Yields
    ------
    tuple of (list of dict, list of int)
        The rows' attributes (names and values as strings) and their 1-based
        line numbers.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> dump = Path(tempfile.mkdtemp()) / "Posts.xml"
    >>> _ = dump.write_text('<?xml version="1.0" encoding="utf-8"?>\\n<posts>\\n'
    ...                     '  <row Id="1" PostTypeId="1" />\\n  <row Id="2" PostTypeId="2" ParentId="1" />\\n'
    ...                     '</posts>\\n', encoding="utf-8")
    >>> [(rows, lines) for rows, lines in iter_rows(dump)]
    [([{'Id': '1', 'PostTypeId': '1'}, {'Id': '2', 'PostTypeId': '2', 'ParentId': '1'}], [3, 4])]
    """
    parser = DefusedXMLParser()
    engine = parser.parser
    engine.ordered_attributes = False
    engine.CharacterDataHandler = None
    engine.DefaultHandlerExpand = None
    engine.EndElementHandler = None
    rows: list[dict] = []
    lines: list[int] = []

    def start_element(tag, attributes):
        if tag == "row":
            rows.append(attributes)
            lines.append(engine.CurrentLineNumber)

    engine.StartElementHandler = start_element
    fed = 0
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            end = size if end is None else end
            handle.seek(start)
            if root is not None and start > 0:
                engine.Parse(b"<" + root + b">", False)
            left = end - start
            while True:
                block = handle.read(min(_READ_BYTES, left))
                left -= len(block)
                if not block and root is not None and end < size:
                    block_end = b"</" + root + b">"
                    engine.Parse(block_end, True)
                else:
                    engine.Parse(block, not block)
                on_bytes(len(block))
                fed += len(block)
                if rows and (len(rows) >= chunk_rows or fed >= CHUNK_BYTES or not block):
                    yield rows, lines
                    rows, lines, fed = [], [], 0
                if not block:
                    break
        if lines_read is not None:
            lines_read.append(engine.CurrentLineNumber - 1)
    except expat.ExpatError as exc:
        raise errors.SourceError(f"not well-formed XML: {expat.ErrorString(exc.code)} "
                                 f"(column {exc.offset})", path=str(path), line=exc.lineno) from None
    except DefusedXmlException as exc:
        raise errors.SourceError(f"refused unsafe XML: {exc}", path=str(path),
                                 line=engine.CurrentLineNumber) from None
    except LookupError as exc:  # an encoding declaration that names no known encoding
        raise errors.SourceError(f"cannot decode: {exc}", path=str(path), line=1) from None
    except OSError as exc:
        raise errors.SourceError(f"cannot read: {exc}", path=str(path)) from None


class _Rows:
    """One chunk of rows and the typed columns read from its attributes.

    A bad value raises :class:`~peerscope.errors.SourceError` with file, line
    and attribute, or, with ``repair``, marks its row to be skipped under the
    reason ``bad <attribute>``.
    """

    def __init__(self, path: Path, rows: list[dict], lines: list[int], repair: bool):
        self.path = path
        self.rows = rows
        self.lines = lines
        self.repair = repair
        self.bad = np.zeros(len(rows), dtype=bool)
        self.reasons: dict[str, int] = {}
        self._text: dict[str, pa.Array] = {}

    def text(self, attribute: str) -> pa.Array:
        values = self._text.get(attribute)
        if values is None:
            values = self._text[attribute] = pa.array(self.values(attribute), type=pa.string())
        return values

    def values(self, attribute: str) -> list[str | None]:
        return list(map(dict.get, self.rows, repeat(attribute)))

    def integers(self, attribute: str, required: bool = False) -> pa.Array:
        """int64 values, null where missing (or bad, on rows marked bad)."""
        values = self.text(attribute)
        valid = pc.fill_null(pc.match_substring_regex(values, _INTEGER), False)
        missing = values.is_null()
        self._flag(~(np.asarray(valid) | (np.asarray(missing) & (not required))), attribute,
                   "is not an integer" if not required else "is missing or not an integer")
        return pc.cast(pc.if_else(valid, values, None), pa.int64())

    def times(self, attribute: str) -> pa.Array:
        values = self.text(attribute)
        valid = np.asarray(pc.fill_null(pc.match_substring_regex(values, _DUMP_TIME), False))
        parsed = pd.to_datetime(pd.Series(values.to_pandas()).where(valid), format="ISO8601",
                                errors="coerce")
        self._flag(~valid | parsed.isna().to_numpy(), attribute, "is missing or not a time")
        return pa.array(parsed.dt.tz_localize("UTC").astype("datetime64[us, UTC]"))

    def _flag(self, mask: np.ndarray, attribute: str, problem: str) -> None:
        if not mask.any():
            return
        if not self.repair:
            first = int(np.flatnonzero(mask)[0])
            value = self.rows[first].get(attribute)
            error = errors.SourceError(f"{attribute}={value!r} {problem}", path=str(self.path),
                                       line=self.lines[first], column=attribute)
            error.problem = f"{attribute}={value!r} {problem}"
            raise error
        new = mask & ~self.bad
        self.reasons[f"bad {attribute}"] = self.reasons.get(f"bad {attribute}", 0) + int(new.sum())
        self.bad |= mask

    def good(self, columns: dict[str, pa.Array]) -> pa.Table:
        """The columns as a table without the rows marked bad."""
        table = pa.table(columns)
        return table.filter(pa.array(~self.bad)) if self.bad.any() else table


def _typed_users(rows: _Rows) -> pa.Table:
    return rows.good({"id": rows.integers("Id", required=True), "joined": rows.times("CreationDate"),
                      "views": rows.integers("Views"), "reputation": rows.integers("Reputation")})


def _typed_posts(rows: _Rows) -> pa.Table:
    ids = rows.integers("Id", required=True)
    types = rows.integers("PostTypeId", required=True)
    parents = rows.integers("ParentId")
    missing_parent = (np.asarray(pc.fill_null(types, 0)) == ANSWER) & np.asarray(
        rows.text("ParentId").is_null())
    rows._flag(missing_parent, "ParentId", "is missing on an answer")
    return rows.good({"id": ids, "type": types, "parent": parents,
                      "created": rows.times("CreationDate"), "score": rows.integers("Score"),
                      "views": rows.integers("ViewCount"), "author": rows.integers("OwnerUserId"),
                      "text": _plain_text(rows.values("Body")), "title": rows.text("Title")})


def _typed_comments(rows: _Rows) -> pa.Table:
    return rows.good({"id": rows.integers("Id", required=True),
                      "post": rows.integers("PostId", required=True),
                      "created": rows.times("CreationDate"), "score": rows.integers("Score"),
                      "author": rows.integers("UserId"), "text": rows.text("Text")})


#: How each file's rows become typed columns (run in worker processes for big files).
_TYPED = {"Users": _typed_users, "Posts": _typed_posts, "Comments": _typed_comments}
#: A chunk of typed rows and the counts of rows left out for bad values, by reason.
_Chunk = tuple[pa.Table, dict[str, int]]


def _typed_chunks(table: str, path: Path, repair: bool, on_bytes: Callable[[int], object] = lambda n: None,
                  **span) -> Iterator[_Chunk]:
    for rows, lines in iter_rows(path, on_bytes, **span):
        chunk = _Rows(path, rows, lines, repair)
        yield _TYPED[table](chunk), chunk.reasons


# ---------------------------------------------------------------------------
# Parallel parsing of big files
# ---------------------------------------------------------------------------

def _row_line_at(handle, offset: int, size: int) -> int:
    """The first offset >= ``offset`` where a row line starts (``size`` if none close)."""
    if offset <= 0:
        return 0
    handle.seek(offset - 1)
    buffer = b""
    while len(buffer) < _MAX_CUT_SEARCH:
        block = handle.read(1 << 16)
        buffer += block
        found = _ROW_LINE.search(buffer)
        if found:
            return offset + found.start()
        if not block:
            break
    return size


def _parse_range(table: str, path: str, nominal: tuple[int, int], root: bytes, repair: bool,
                 spool: str) -> tuple[str, object, int, int]:
    """Worker: parse the rows between the row lines at or after the ``nominal`` offsets.

    The typed chunks go to an Arrow IPC file in the folder ``spool`` (the
    main process maps it: no copy through a pipe).  Returns ``("ok", (file or
    None, reasons of each chunk), bytes, newlines)`` or, when a value or the
    XML is bad, ``("value", (message, line in the range, attribute), ...)`` or
    ``("xml", None, ...)``.
    """
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        start, end = (_row_line_at(handle, offset, size) for offset in nominal)
    if start >= end:
        return "ok", (None, []), 0, 0
    newlines: list[int] = []
    try:
        chunks = list(_typed_chunks(table, Path(path), repair, start=start, end=end, root=root,
                                    lines_read=newlines))
    except errors.SourceError as exc:
        if hasattr(exc, "problem"):
            return "value", (exc.problem, exc.line, exc.column), end - start, 0
        return "xml", None, end - start, 0
    target = os.path.join(spool, f"{table}-{start}.arrow")
    with pa.OSFile(target, "wb") as sink, pa.ipc.new_file(sink, chunks[0][0].schema) as writer:
        for typed, _ in chunks:
            writer.write_table(typed)
    return "ok", (target, [reasons for _, reasons in chunks]), end - start, newlines[0]


def _spooled(target: str | None, reasons: list[dict[str, int]]) -> Iterator[_Chunk]:
    """The typed chunks a worker wrote to ``target``, memory-mapped; the file is removed."""
    if target is None:
        return
    batches = pa.ipc.open_file(pa.memory_map(target))
    try:
        os.unlink(target)  # the mapping stays readable (POSIX); the folder goes at the end anyway
    except OSError:  # pragma: no cover - Windows keeps mapped files
        pass
    for i, chunk_reasons in enumerate(reasons):
        yield pa.Table.from_batches([batches.get_batch(i)]), chunk_reasons


def _spool_dir() -> str | None:
    """Where workers leave parsed ranges: ``/dev/shm`` (memory) when it has room, else the temp folder."""
    try:
        usage = shutil.disk_usage("/dev/shm")
    except OSError:
        return None
    return "/dev/shm" if os.access("/dev/shm", os.W_OK) and usage.free > (512 << 20) else None


def _root_name(path: Path) -> bytes | None:
    """The root element's name when the file can be cut into ranges (UTF-8), else None."""
    with open(path, "rb") as handle:
        head = handle.read(1 << 16)
    declared = _UTF8_DECLARATION.match(head)
    encoding = declared.group("encoding") if declared else None
    if encoding is not None and encoding.lower() not in (b"utf-8", b"utf8"):
        return None
    found = re.search(rb"<([A-Za-z_][A-Za-z0-9_.-]*)[\s>/]", head)
    return found.group(1) if found else None


class _Reader:
    """Typed chunks of the dump's files, in file order, parsed here or by worker processes.

    Ranges of big files are submitted ahead (at most two per worker waiting),
    across files, so workers stay busy while this process resolves and writes.
    """

    def __init__(self, files: dict[str, Path], repair: bool, on_bytes: Callable[[int], object],
                 workers: int):
        self.files = files
        self.repair = repair
        self.on_bytes = on_bytes
        self.workers = workers
        self.tasks: deque = deque()        # (table, nominal range, root) not yet submitted
        self.pending: deque = deque()      # (table, Future) in file order
        self.pool: ProcessPoolExecutor | None = None
        self.spool: str | None = None      # where workers leave their chunks
        self.ranged: dict[str, bytes] = {}
        for table, path in files.items():
            size = path.stat().st_size
            root = _root_name(path) if workers > 1 and size >= 2 * RANGE_BYTES else None
            if root is None:
                continue
            self.ranged[table] = root
            bounds = list(range(0, size, RANGE_BYTES)) + [size]
            self.tasks.extend((table, (a, b), root) for a, b in zip(bounds, bounds[1:]))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            shutil.rmtree(self.spool, ignore_errors=True)

    def chunks(self, table: str) -> Iterator[_Chunk]:
        path = self.files[table]
        if table not in self.ranged:
            yield from _typed_chunks(table, path, self.repair, self.on_bytes)
            return
        lines_before = 0
        while True:
            self._submit()
            if not self.pending or self.pending[0][0] != table:
                return
            try:
                status, payload, n_bytes, newlines = self.pending.popleft()[1].result()
            except BrokenProcessPool:
                raise errors.PeerscopeError(
                    "a worker process parsing the dump died; a script that imports a dump must "
                    "call stackexchange() under `if __name__ == \"__main__\":` (worker processes "
                    "re-import it), or pass workers=1") from None
            except OSError as exc:  # the spool folder is full or gone
                raise errors.PeerscopeError(f"a worker could not store parsed rows: {exc}; "
                                            "free space in the temporary folder or pass workers=1"
                                            ) from None
            if status == "xml":
                self._first_error(table, path)
            if status == "value":
                message, line, attribute = payload
                raise errors.SourceError(message, path=str(path), line=lines_before + line,
                                         column=attribute)
            self.on_bytes(n_bytes)
            lines_before += newlines
            if not self.tasks and not self.pending:
                self.pool.shutdown()  # free the workers' memory before the corpus is checked
            yield from _spooled(*payload)

    def _submit(self) -> None:
        while self.tasks and len(self.pending) < 2 * self.workers:
            if self.pool is None:
                self.spool = tempfile.mkdtemp(prefix="peerscope-stackexchange-", dir=_spool_dir())
                self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
            table, nominal, root = self.tasks.popleft()
            future: Future = self.pool.submit(_parse_range, table, str(self.files[table]), nominal,
                                              root, self.repair, self.spool)
            self.pending.append((table, future))

    def _first_error(self, table: str, path: Path) -> None:
        """A range was not well-formed: parse the whole file to report its first error."""
        for _ in _typed_chunks(table, path, self.repair):
            pass
        raise errors.SourceError("not well-formed XML once cut at row lines (comments or CDATA "
                                 "holding rows?); import with workers=1", path=str(path))


# ---------------------------------------------------------------------------
# Id maps
# ---------------------------------------------------------------------------

class _IdMap:
    """A growing map int64 id -> int64 value, sorted lazily for vectorised look-ups.

    Appends are amortised O(1) (capacity doubles); look-ups sort once after
    appends (SE ids arrive almost sorted, so the sort is cheap).
    """

    def __init__(self):
        self._keys = np.empty(1024, dtype=np.int64)
        self._values = np.empty(1024, dtype=np.int64)
        self._size = 0
        self._sorted = True

    def add(self, keys: np.ndarray, values: np.ndarray) -> None:
        end = self._size + len(keys)
        if end > len(self._keys):
            capacity = max(end, 2 * len(self._keys))
            self._keys = np.resize(self._keys, capacity)
            self._values = np.resize(self._values, capacity)
        if len(keys) and self._size and keys[0] < self._keys[self._size - 1]:
            self._sorted = False
        self._sorted = self._sorted and bool(np.all(keys[1:] >= keys[:-1]))
        self._keys[self._size:end] = keys
        self._values[self._size:end] = values
        self._size = end

    def get(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found mask, values; undefined where not found)."""
        if not self._sorted:
            order = np.argsort(self._keys[: self._size], kind="stable")
            self._keys[: self._size] = self._keys[: self._size][order]
            self._values[: self._size] = self._values[: self._size][order]
            self._sorted = True
        known = self._keys[: self._size]
        if not len(known):
            return np.zeros(len(keys), dtype=bool), np.zeros(len(keys), dtype=np.int64)
        where = np.searchsorted(known, keys).clip(0, len(known) - 1)
        return known[where] == keys, self._values[: self._size][where]


# ---------------------------------------------------------------------------
# The dump, chunk by chunk
# ---------------------------------------------------------------------------

def _numbers(column: pa.ChunkedArray) -> np.ndarray:
    """int64 values, 0 where null."""
    return pc.fill_null(column, 0).to_numpy()


def _given(column: pa.ChunkedArray) -> np.ndarray:
    return column.is_valid().to_numpy()


def _ids(column: pa.ChunkedArray | np.ndarray) -> pa.ChunkedArray:
    """Integer ids as decimal strings (null stays null)."""
    return pc.cast(column, pa.string())


class _Dump:
    """Reads a dump's files in order (users, posts, comments) and yields table chunks."""

    def __init__(self, reader: _Reader, site: str | None):
        self.reader = reader
        self.files = reader.files
        self.site = site
        self.skipped = SkipCounter()
        self.users = _IdMap()
        self.threads = _IdMap()        # kept question/answer id -> thread (question) id
        self.left_out = _IdMap()       # skipped post id -> code of the reason
        self.reasons: list[str] = []   # reason code -> text
        self.unknown_authors: set[int] = set()

    def chunks(self) -> Iterator[tuple[str, pd.DataFrame]]:
        if "Users" in self.files:
            for typed in self._typed("Users", "members"):
                yield "members", self._members(typed)
        pending = []
        for typed in self._typed("Posts", "posts"):
            frame, waiting = self._posts(typed)
            pending.extend(waiting)
            yield "posts", frame
        if pending:
            yield "posts", self._answers_waiting(pending)
        if "Comments" in self.files:
            for typed in self._typed("Comments", "posts"):
                yield "posts", self._comments(typed)
        if "Users" in self.files and self.unknown_authors:
            yield "members", self._deleted_members()

    def _typed(self, file: str, table: str) -> Iterator[pa.Table]:
        """Typed chunks of a file, counting the rows left out for bad values.

        Small chunks (one per worker range) are put together up to about
        :data:`CHUNK_ROWS` rows or half :data:`CHUNK_BYTES`, so that each write
        is big enough to be cheap.
        """
        group, rows, size = [], 0, 0
        for typed, reasons in self.reader.chunks(file):
            for reason, n in reasons.items():
                self.skipped.add(table, reason, n)
            group.append(typed)
            rows, size = rows + typed.num_rows, size + typed.nbytes
            if rows >= CHUNK_ROWS or size >= CHUNK_BYTES // 2:
                yield pa.concat_tables(group).combine_chunks()
                group, rows, size = [], 0, 0
        if group:
            yield pa.concat_tables(group).combine_chunks()

    def _reason_code(self, reason: str) -> int:
        if reason not in self.reasons:
            self.reasons.append(reason)
        return self.reasons.index(reason)

    # -- users ------------------------------------------------------------

    def _members(self, typed: pa.Table) -> pd.DataFrame:
        ids = _numbers(typed["id"])
        self.users.add(ids, ids)
        return pa.table({
            "member_id": _ids(typed["id"]),
            "joined_at": typed["joined"],
            "role": pc.if_else(pa.array(ids == COMMUNITY_USER), "bot", "member"),
            "views": typed["views"],
            "reputation": typed["reputation"],
        }).to_pandas(types_mapper=_PANDAS_TYPES.get)

    def _deleted_members(self) -> pd.DataFrame:
        ids = np.array(sorted(self.unknown_authors), dtype=np.int64)
        none = pd.Series(pd.array([None] * len(ids), dtype="Int64"))
        return pd.DataFrame({
            "member_id": pd.Series(ids.astype(str), dtype="str"),
            "joined_at": pd.Series(pd.NaT, index=range(len(ids)), dtype="datetime64[us, UTC]"),
            "role": pd.Series(["deleted"] * len(ids), dtype="str"),
            "views": none, "reputation": none.copy(),
        })

    def _note_unknown(self, ids: np.ndarray, kept: np.ndarray) -> None:
        """Remember author ids of kept rows that have no row in Users.xml."""
        if "Users" in self.files and kept.any():
            found, _ = self.users.get(ids[kept])
            self.unknown_authors.update(ids[kept][~found].tolist())

    # -- posts ------------------------------------------------------------

    def _posts(self, typed: pa.Table) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
        ids = _numbers(typed["id"])
        types = _numbers(typed["type"])
        parents = _numbers(typed["parent"])
        discussion = (types == QUESTION) | (types == ANSWER)
        other = ~discussion
        for code in np.unique(types[other]):
            reason = POST_TYPES.get(int(code), f"post type {int(code)}")
            n = int(np.sum(types[other] == code))
            self.skipped.add("posts", reason, n)
            self.left_out.add(ids[other & (types == code)],
                              np.full(n, self._reason_code(reason), dtype=np.int64))
        keep = discussion.copy()
        is_question = types == QUESTION
        self.threads.add(ids[is_question], ids[is_question])
        answer = types == ANSWER
        found = self._is_question(parents)
        waiting = answer & ~found
        keep &= ~waiting
        answer &= found
        self.threads.add(ids[answer], parents[answer])
        self._note_unknown(_numbers(typed["author"]), keep & _given(typed["author"]))
        question_mask = pa.array(is_question)
        frame = _posts_frame({
            "post_id": _ids(typed["id"]),
            "thread_id": _ids(np.where(is_question, ids, parents)),
            "parent_id": pc.if_else(question_mask, None, _ids(parents)),
            "author_id": _ids(typed["author"]),
            "created_at": typed["created"],
            "text": typed["text"],
            "title": typed["title"],
            "channel": self.site,
            "kind": pc.if_else(question_mask, "question", "answer"),
            "score": typed["score"],
            "views": pc.if_else(question_mask, typed["views"], None),
        }, len(ids))
        held = []
        if waiting.any():
            early = _to_pandas(frame.filter(pa.array(waiting)))
            held.append(early.assign(_parent=parents[waiting], _id=ids[waiting]))
        return _to_pandas(frame.filter(pa.array(keep))), held

    def _answers_waiting(self, pending: list[pd.DataFrame]) -> pd.DataFrame:
        """Answers read before their question: keep those whose question came later."""
        frame = pd.concat(pending, ignore_index=True)
        found = self._is_question(frame["_parent"].to_numpy())
        lost = ~found
        self.skipped.add("posts", "answer to question not in dump", int(lost.sum()))
        orphans = frame["_id"].to_numpy()[lost]
        self.left_out.add(orphans, np.full(len(orphans), self._reason_code(
            "answer to question not in dump"), dtype=np.int64))
        kept = frame[found]
        self.threads.add(kept["_id"].to_numpy(), kept["_parent"].to_numpy())
        author_ids = kept["author_id"].dropna().astype("int64").to_numpy()
        self._note_unknown(author_ids, np.ones(len(author_ids), dtype=bool))
        return kept.drop(columns=["_parent", "_id"]).reset_index(drop=True)

    def _is_question(self, ids: np.ndarray) -> np.ndarray:
        """Whether each id is a kept question (a question is its own thread)."""
        found, thread = self.threads.get(ids)
        return found & (thread == ids)

    # -- comments -----------------------------------------------------------

    def _comments(self, typed: pa.Table) -> pd.DataFrame:
        on = _numbers(typed["post"])
        found, thread = self.threads.get(on)
        lost = ~found
        if lost.any():
            skipped, code = self.left_out.get(on[lost])
            self.skipped.add("posts", "comment on post not in dump", int((~skipped).sum()))
            for value in np.unique(code[skipped]):
                self.skipped.add("posts", f"comment on {self.reasons[int(value)]}",
                                 int(np.sum(code[skipped] == value)))
        keep = found
        self._note_unknown(_numbers(typed["author"]), keep & _given(typed["author"]))
        frame = _posts_frame({
            "post_id": pc.binary_join_element_wise("c", _ids(typed["id"]), ""),
            "thread_id": _ids(thread),
            "parent_id": _ids(typed["post"]),
            "author_id": _ids(typed["author"]),
            "created_at": typed["created"],
            "text": typed["text"],
            "title": None,
            "channel": self.site,
            "kind": "comment",
            "score": typed["score"],
            "views": None,
        }, len(on))
        return _to_pandas(frame.filter(pa.array(keep)))


#: The posts columns as Arrow types (every chunk has them: the streamed schema must not vary).
_POST_SCHEMA = pa.schema([("post_id", pa.string()), ("thread_id", pa.string()),
                          ("parent_id", pa.string()), ("author_id", pa.string()),
                          ("created_at", pa.timestamp("us", tz="UTC")), ("text", pa.string()),
                          ("title", pa.string()), ("channel", pa.string()), ("kind", pa.string()),
                          ("score", pa.int64()), ("views", pa.int64())])
#: Arrow -> pandas dtypes of the corpus tables (``str`` and nullable ``Int64``).
_PANDAS_TYPES = {pa.string(): pd.StringDtype("pyarrow", na_value=np.nan), pa.int64(): pd.Int64Dtype()}


def _posts_frame(columns: dict, n: int) -> pa.Table:
    """A posts chunk as an Arrow table of :data:`_POST_SCHEMA`; a str or None fills a column."""
    arrays = []
    for field in _POST_SCHEMA:
        value = columns.get(field.name)
        if value is None or isinstance(value, str):
            value = pa.repeat(pa.scalar(value, field.type), n)
        elif isinstance(value, pa.ChunkedArray):
            value = value.combine_chunks()
        arrays.append(value)
    return pa.Table.from_arrays(arrays, schema=_POST_SCHEMA)


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(types_mapper=_PANDAS_TYPES.get)


def _decode_reference(match: re.Match) -> str:
    reference = match.group()
    return _COMMON_REFERENCES.get(reference) or html.unescape(reference)


def _plain_text(bodies: list[str | None]) -> pa.Array:
    """Rendered HTML -> plain text for a chunk of bodies: tags dropped, character references decoded once.

    A ``Body`` is escaped twice in the dump: the post's HTML escapes ``<``,
    ``&`` ... as character references, and the XML attribute escapes that
    HTML again.  The XML parser undoes the second layer; this function undoes
    the first, exactly once, so the text ``&lt;`` written by a poster (HTML
    ``&amp;lt;``, XML ``&amp;amp;lt;``) stays ``&lt;`` and HTML ``&lt;``
    becomes ``<``.  Every reference is decoded as :func:`html.unescape`
    decodes it (the HTML5 rules, https://html.spec.whatwg.org/#named-character-references),
    after the tags are removed, and the result is never decoded again.

    Vectorised over the chunk: the bodies are joined into one string with NUL
    between them (XML cannot hold a NUL, so none is in a body), the tags are
    removed in one regular-expression pass and the references decoded in
    another, then the string is split again (two C-speed passes over the
    chunk instead of a Python loop per body).  The dump's HTML already ends
    every block element and ``<br>`` with a newline, so dropping the tags
    keeps paragraphs and line breaks.

    Examples
    --------
    >>> _plain_text(["<p>a &lt; b &amp;lt; c</p>", None]).to_pylist()
    ['a < b &lt; c', None]
    """
    try:
        joined, missing = "\x00".join(bodies), None
    except TypeError:  # a row without a body
        joined, missing = "\x00".join([body or "" for body in bodies]), [body is None for body in bodies]
    joined = _REFERENCE.sub(_decode_reference, _TAG.sub("", joined))
    text = pc.utf8_trim_whitespace(pa.array(joined.split("\x00"), type=pa.string()))
    if missing is not None:
        text = pc.if_else(pa.array(missing), None, text)
    return text
