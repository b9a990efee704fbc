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
    paragraph and line breaks kept as newlines, character references decoded.
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

Memory
------
The XML is parsed as a stream by an expat parser hardened by
:class:`defusedxml.ElementTree.DefusedXMLParser`, whose element handler keeps
only the attributes of each ``row`` (no element tree is built, so there is
nothing to clear).  Rows are handled in chunks of :data:`CHUNK_ROWS`; with
``out=PATH`` each chunk goes straight to a :class:`~peerscope.corpus.CorpusWriter`,
so memory is bounded by a chunk plus the id maps that resolve threads: 16 bytes
per question or answer and 8 per user (numpy ``int64``; Stack Overflow's
~60 million posts need about 1 GB).
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable, Iterator
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

try:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import DefusedXMLParser
except ImportError:  # pragma: no cover - defusedxml is a core dependency
    DefusedXmlException = DefusedXMLParser = None

#: Rows handled (converted, validated, written) at a time, at most ...
CHUNK_ROWS = 100_000
#: ... and at most about this many bytes of XML (bounds memory for long bodies).
CHUNK_BYTES = 24 << 20
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
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "'"), ("&amp;", "&"))


def stackexchange(dump_dir: str | os.PathLike, *, out: str | os.PathLike | None = None,
                  name: str | None = None, site: str | None = None, repair: bool = False,
                  pseudonymise: str | None = None, scrub_pii: bool = False,
                  progress: bool = False) -> Corpus:
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
    with tqdm(total=total, unit="B", unit_scale=True, disable=not progress,
              desc="stackexchange") as bar:
        dump = _Dump(files, site, repair, bar.update)
        if out is None:
            return _in_memory(dump, folder, name, roster, parameters, repair, pseudonymise, scrub_pii)
        return _streamed(dump, folder, out, name, roster, parameters, repair, pseudonymise, scrub_pii)


def _in_memory(dump, folder, name, roster, parameters, repair, pseudonymise, scrub_pii) -> Corpus:
    frames: dict[str, list[pd.DataFrame]] = {"members": [], "posts": []}
    for table, frame in dump.chunks():
        frames[table].append(frame)
    members = pd.concat(frames["members"], ignore_index=True) if roster else None
    posts = (pd.concat(frames["posts"], ignore_index=True) if frames["posts"]
             else _posts_frame({}))
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
              chunk_rows: int = CHUNK_ROWS) -> Iterator[tuple[list[dict], list[int]]]:
    """The ``<row>`` elements of a dump file, as attribute dicts with their line numbers.

    Yields lists of at most about ``chunk_rows`` rows or :data:`CHUNK_BYTES` of XML.  The parser is expat
    with defusedxml's guards (entity declarations and external references
    raise); only the start of each ``row`` element is handled, so memory stays
    bounded by a chunk whatever the size of the file.
    """
    parser = DefusedXMLParser()
    engine = parser.parser
    engine.ordered_attributes = False
    engine.CharacterDataHandler = None
    engine.DefaultHandlerExpand = None
    engine.EndElementHandler = None
    rows: list[dict] = []
    lines: list[int] = []

    def start(tag, attributes):
        if tag == "row":
            rows.append(attributes)
            lines.append(engine.CurrentLineNumber)

    engine.StartElementHandler = start
    fed = 0
    try:
        with open(path, "rb") as handle:
            while True:
                block = handle.read(_READ_BYTES)
                engine.Parse(block, not block)
                on_bytes(len(block))
                fed += len(block)
                if rows and (len(rows) >= chunk_rows or fed >= CHUNK_BYTES or not block):
                    yield rows, lines
                    rows, lines, fed = [], [], 0
                if not block:
                    break
    except expat.ExpatError as exc:
        raise errors.SourceError(f"not well-formed XML: {expat.ErrorString(exc.code)} "
                                 f"(column {exc.offset})", path=str(path), line=exc.lineno) from None
    except DefusedXmlException as exc:
        raise errors.SourceError(f"refused unsafe XML: {exc}", path=str(path),
                                 line=engine.CurrentLineNumber) from None
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
            values = self._text[attribute] = pa.array([row.get(attribute) for row in self.rows],
                                                      type=pa.string())
        return values

    def integers(self, attribute: str, required: bool = False) -> np.ndarray:
        """int64 values; missing values are 0 (see :meth:`present`)."""
        values = self.text(attribute)
        valid = pc.fill_null(pc.match_substring_regex(values, _INTEGER), False)
        missing = values.is_null()
        self._flag(~(np.asarray(valid) | (np.asarray(missing) & (not required))), attribute,
                   "is not an integer" if not required else "is missing or not an integer")
        return np.asarray(pc.fill_null(pc.cast(pc.if_else(valid, values, None), pa.int64()), 0))

    def optional_integers(self, attribute: str) -> pd.Series:
        values = self.integers(attribute)
        present = ~np.asarray(self.text(attribute).is_null())
        return pd.Series(pd.arrays.IntegerArray(values, ~present))

    def times(self, attribute: str) -> pd.Series:
        values = self.text(attribute)
        valid = np.asarray(pc.fill_null(pc.match_substring_regex(values, _DUMP_TIME), False))
        parsed = pd.to_datetime(pd.Series(values.to_pandas()).where(valid), format="ISO8601",
                                errors="coerce")
        self._flag(~valid | parsed.isna().to_numpy(), attribute, "is missing or not a time")
        return parsed.dt.tz_localize("UTC").astype("datetime64[us, UTC]")

    def _flag(self, mask: np.ndarray, attribute: str, problem: str) -> None:
        if not mask.any():
            return
        if not self.repair:
            first = int(np.flatnonzero(mask)[0])
            value = self.rows[first].get(attribute)
            raise errors.SourceError(f"{attribute}={value!r} {problem}", path=str(self.path),
                                     line=self.lines[first], column=attribute)
        new = mask & ~self.bad
        self.reasons[f"bad {attribute}"] = self.reasons.get(f"bad {attribute}", 0) + int(new.sum())
        self.bad |= mask


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

class _Dump:
    """Reads a dump's files in order (users, posts, comments) and yields table chunks."""

    def __init__(self, files: dict[str, Path], site: str | None, repair: bool,
                 on_bytes: Callable[[int], object]):
        self.files = files
        self.site = site
        self.repair = repair
        self.on_bytes = on_bytes
        self.skipped = SkipCounter()
        self.users = _IdMap()
        self.threads = _IdMap()        # kept question/answer id -> thread (question) id
        self.left_out = _IdMap()       # skipped post id -> code of the reason
        self.reasons: list[str] = []   # reason code -> text
        self.unknown_authors: set[int] = set()

    def chunks(self) -> Iterator[tuple[str, pd.DataFrame]]:
        if "Users" in self.files:
            for rows in self._rows("Users"):
                yield "members", self._members(rows)
        pending = []
        for rows in self._rows("Posts"):
            frame, waiting = self._posts(rows)
            pending.extend(waiting)
            yield "posts", frame
        if pending:
            yield "posts", self._answers_waiting(pending)
        if "Comments" in self.files:
            for rows in self._rows("Comments"):
                yield "posts", self._comments(rows)
        if "Users" in self.files and self.unknown_authors:
            yield "members", self._deleted_members()

    def _rows(self, table: str) -> Iterator[_Rows]:
        path = self.files[table]
        for rows, lines in iter_rows(path, self.on_bytes):
            yield _Rows(path, rows, lines, self.repair)

    def _finish(self, table: str, rows: _Rows, keep: np.ndarray) -> np.ndarray:
        """Count the rows skipped for bad values; return the mask of rows still kept."""
        for reason, n in rows.reasons.items():
            self.skipped.add(table, reason, n)
        return keep & ~rows.bad

    def _reason_code(self, reason: str) -> int:
        if reason not in self.reasons:
            self.reasons.append(reason)
        return self.reasons.index(reason)

    # -- users ------------------------------------------------------------

    def _members(self, rows: _Rows) -> pd.DataFrame:
        ids = rows.integers("Id", required=True)
        joined = rows.times("CreationDate")
        views = rows.optional_integers("Views")
        reputation = rows.optional_integers("Reputation")
        keep = self._finish("members", rows, np.ones(len(ids), dtype=bool))
        self.users.add(ids[keep], ids[keep])
        frame = pd.DataFrame({
            "member_id": pd.Series(ids.astype(str), dtype="str"),
            "joined_at": joined,
            "role": pd.Series(np.where(ids == COMMUNITY_USER, "bot", "member"), dtype="str"),
            "views": views,
            "reputation": reputation,
        })
        return frame[keep].reset_index(drop=True)

    def _deleted_members(self) -> pd.DataFrame:
        ids = np.array(sorted(self.unknown_authors), dtype=np.int64)
        none = pd.Series(pd.array([None] * len(ids), dtype="Int64"))
        return pd.DataFrame({
            "member_id": pd.Series(ids.astype(str), dtype="str"),
            "joined_at": pd.Series(pd.NaT, index=range(len(ids)), dtype="datetime64[us, UTC]"),
            "role": pd.Series(["deleted"] * len(ids), dtype="str"),
            "views": none, "reputation": none.copy(),
        })

    def _authors(self, rows: _Rows, attribute: str) -> tuple[pd.Series, np.ndarray, np.ndarray]:
        """Author ids as strings (null when the account was deleted), the ids, and where given."""
        ids = rows.integers(attribute)
        given = ~np.asarray(rows.text(attribute).is_null())
        return pd.Series(ids.astype(str), dtype="str").where(given, None), ids, given

    def _note_unknown(self, ids: np.ndarray, kept: np.ndarray) -> None:
        """Remember author ids of kept rows that have no row in Users.xml."""
        if "Users" in self.files and kept.any():
            found, _ = self.users.get(ids[kept])
            self.unknown_authors.update(ids[kept][~found].tolist())

    # -- posts ------------------------------------------------------------

    def _posts(self, rows: _Rows) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
        ids = rows.integers("Id", required=True)
        types = rows.integers("PostTypeId", required=True)
        discussion = (types == QUESTION) | (types == ANSWER)
        parents = rows.integers("ParentId")
        missing_parent = (types == ANSWER) & np.asarray(rows.text("ParentId").is_null())
        rows._flag(missing_parent, "ParentId", "is missing on an answer")
        created = rows.times("CreationDate")
        score = rows.optional_integers("Score")
        views = rows.optional_integers("ViewCount")
        authors, author_ids, given = self._authors(rows, "OwnerUserId")
        keep = self._finish("posts", rows, np.ones(len(ids), dtype=bool))
        other = keep & ~discussion
        for code in np.unique(types[other]):
            reason = POST_TYPES.get(int(code), f"post type {int(code)}")
            n = int(np.sum(types[other] == code))
            self.skipped.add("posts", reason, n)
            self.left_out.add(ids[other & (types == code)],
                              np.full(n, self._reason_code(reason), dtype=np.int64))
        keep &= discussion
        question = keep & (types == QUESTION)
        self.threads.add(ids[question], ids[question])
        answer = keep & (types == ANSWER)
        found = self._is_question(parents)
        waiting = answer & ~found
        keep &= ~waiting
        answer &= found
        self.threads.add(ids[answer], parents[answer])
        self._note_unknown(author_ids, keep & given)
        is_question = types == QUESTION
        frame = _posts_frame({
            "post_id": ids.astype(str),
            "thread_id": np.where(is_question, ids, parents).astype(str),
            "parent_id": pd.Series(parents.astype(str), dtype="str").where(~is_question, None),
            "author_id": authors,
            "created_at": created,
            "text": _plain_text(rows.text("Body")),
            "title": rows.text("Title"),
            "channel": self.site,
            "kind": np.where(is_question, "question", "answer"),
            "score": score,
            "views": views.where(is_question, None),
        })
        held = [frame[waiting].assign(_parent=parents[waiting], _id=ids[waiting])] if waiting.any() else []
        return frame[keep].reset_index(drop=True), held

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

    def _comments(self, rows: _Rows) -> pd.DataFrame:
        ids = rows.integers("Id", required=True)
        on = rows.integers("PostId", required=True)
        created = rows.times("CreationDate")
        score = rows.optional_integers("Score")
        authors, author_ids, given = self._authors(rows, "UserId")
        keep = self._finish("posts", rows, np.ones(len(ids), dtype=bool))
        found, thread = self.threads.get(on)
        lost = keep & ~found
        if lost.any():
            skipped, code = self.left_out.get(on[lost])
            self.skipped.add("posts", "comment on post not in dump", int((~skipped).sum()))
            for value in np.unique(code[skipped]):
                self.skipped.add("posts", f"comment on {self.reasons[int(value)]}",
                                 int(np.sum(code[skipped] == value)))
        keep &= found
        self._note_unknown(author_ids, keep & given)
        frame = _posts_frame({
            "post_id": np.char.add("c", ids.astype(str)),
            "thread_id": thread.astype(str),
            "parent_id": on.astype(str),
            "author_id": authors,
            "created_at": created,
            "text": rows.text("Text"),
            "title": None,
            "channel": self.site,
            "kind": "comment",
            "score": score,
            "views": pd.Series(pd.array([None] * len(ids), dtype="Int64")),
        })
        return frame[keep].reset_index(drop=True)


_POST_COLUMNS = {"post_id": "str", "thread_id": "str", "parent_id": "str", "author_id": "str",
                 "created_at": "datetime64[us, UTC]", "text": "str", "title": "str",
                 "channel": "str", "kind": "str", "score": "Int64", "views": "Int64"}


def _posts_frame(columns: dict) -> pd.DataFrame:
    """A posts chunk with the same dtypes in every chunk (the streamed schema must not vary)."""
    n = max((len(v) for v in columns.values() if v is not None and not isinstance(v, str)), default=0)
    data = {}
    for column, dtype in _POST_COLUMNS.items():
        value = columns.get(column)
        if value is None or isinstance(value, str):
            value = [value] * n
        if isinstance(value, pa.Array):
            value = value.to_pandas()
        data[column] = pd.Series(value).astype(dtype)
    return pd.DataFrame(data)


def _plain_text(body: pa.Array) -> pa.Array:
    """Rendered HTML -> plain text, vectorised: tags dropped, character references decoded.

    The dump's HTML already ends every block element and ``<br>`` with a
    newline, so dropping the tags keeps paragraphs and line breaks.
    """
    text = pc.replace_substring_regex(body, r"<[^>]*>", "")
    for entity, character in _ENTITIES:
        text = pc.replace_substring(text, entity, character)
    text = pc.utf8_trim_whitespace(text)
    rare = np.asarray(pc.fill_null(pc.match_substring_regex(text, r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);"),
                                   False))
    if rare.any():
        values = text.to_pylist()
        for i in np.flatnonzero(rare):
            values[i] = html.unescape(values[i])
        text = pa.array(values, type=pa.string())
    return text
