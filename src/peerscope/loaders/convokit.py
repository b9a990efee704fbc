"""ConvoKit corpus folders <-> peerscope corpora, without ConvoKit installed.

ConvoKit (Chang et al. 2020, "ConvoKit: A Toolkit for the Analysis of
Conversations", SIGDIAL) stores a corpus as a folder (format reference:
https://convokit.cornell.edu/documentation/data_format.html, and
``convokit/model/corpus_helpers.py`` for what ``Corpus.dump`` really writes)::

    corpus_directory/
      utterances.jsonl    one JSON object per line: id, speaker, conversation_id,
                          reply-to (or reply_to), timestamp, text, meta, vectors
      speakers.json       {speaker id: {"meta": {...}, "vectors": [...]}}
                          (older corpora: users.json, {speaker id: {...meta...}})
      conversations.json  {conversation id: {"meta": {...}, "vectors": [...]}}
      corpus.json         corpus-level metadata {key: value}
      index.json          {"utterances-index", "speakers-index" (or "users-index"),
                           "conversations-index", "overall-index": {field: [type, ...]},
                           "version": int, "vectors": [names]}
      <field>-bin.p, <field>-speaker-bin.p, ...   pickled metadata (type "bin")
      vectors.<name>.p                            pickled vector matrices

How :func:`convokit` maps it onto the corpus tables:

* utterances -> ``posts``: ``post_id`` = id, ``thread_id`` = conversation_id,
  ``parent_id`` = reply-to, ``author_id`` = speaker, ``created_at`` = timestamp
  read as Unix seconds (integers or decimals, as ConvoKit writes them),
  ``text`` = text.  Utterance metadata whose key names a posts column
  (``title``, ``channel``, ``kind``, ``score``, ``views``, ``is_removed``) fills
  that column, and ``subreddit`` (Reddit corpora) fills ``channel``; a
  conversation's ``title``/``channel``/``subreddit`` metadata fills its opening
  post's title and its posts' channel where the utterance has none.  Other
  metadata keys are not imported; their names are listed in the manifest
  (``provenance.parameters.utterance_meta_not_imported``).
* A missing conversation_id is the id of the root of the utterance's reply
  chain, as ConvoKit itself fills it in.
* A reply-to naming no utterance of the folder (a filtered or partial corpus)
  becomes a null parent, so the utterance opens a thread of its own; how many
  is counted in the manifest's accounting (``kept_notes`` of ``posts``,
  :data:`NOTE_REPLY_OUTSIDE`).
* A null timestamp stays null, and validation then rejects the utterance
  (``created_at`` is required: every peerscope metric is about time); with
  ``repair=True`` it goes to the quarantine, with the replies below it.  A
  folder whose utterances have no timestamps at all (e.g. the Supreme Court
  corpus) raises :class:`~peerscope.errors.SourceError`.
* speakers -> ``members`` (``roster=False``: ConvoKit lists only people who
  spoke, so lurkers cannot be counted).  Scalar speaker metadata becomes
  attribute columns; ``role``, ``joined_at`` and ``left_at`` fill the members
  columns of those names when every value fits (a peerscope role; Unix
  seconds), and are otherwise kept as ``convokit_role`` etc.  Nested
  (list/dict) metadata is not imported and named in the manifest.
* Pickled metadata (fields the index types as ``"bin"``, stored in ``*-bin.p``)
  and vector matrices (``vectors.*.p``) are never unpickled: unpickling runs
  code from the file.  They are skipped with a :class:`UserWarning` naming them.

:func:`to_convokit` writes the reverse, in the layout ConvoKit 5 loads with
``Corpus(filename=folder)``.

Examples
--------
>>> import tempfile, pandas as pd
>>> from peerscope import Corpus
>>> posts = pd.DataFrame({
...     "post_id": ["p1", "p2"], "thread_id": ["p1", "p1"], "parent_id": [None, "p1"],
...     "author_id": ["ann", "bob"],
...     "created_at": pd.to_datetime(["2024-01-01 20:00", "2024-01-01 21:30"], utc=True),
...     "text": ["Cannot sleep again", "Same here"]})
>>> with tempfile.TemporaryDirectory() as tmp:
...     to_convokit(Corpus.from_frames(posts, name="tiny"), tmp + "/tiny-convokit")
...     loaded = convokit(tmp + "/tiny-convokit")
>>> loaded.posts(columns=["post_id", "thread_id", "author_id"]).to_dict("list")
{'post_id': ['p1', 'p2'], 'thread_id': ['p1', 'p1'], 'author_id': ['ann', 'bob']}
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from peerscope import __version__

from peerscope.corpus import schema
from peerscope.errors import PeerscopeError, SourceError
from peerscope.loaders.build import NoteCounter, SkipCounter, build_corpus

#: Note on utterances kept but changed, counted in the manifest's ``kept_notes``.
NOTE_REPLY_OUTSIDE = "reply_to names no utterance of the corpus: kept with a null parent"
from peerscope.loaders.sources import json_lines

__all__ = ["MEMBER_META_COLUMNS", "NOTE_REPLY_OUTSIDE", "POST_META_ALIASES", "POST_META_COLUMNS",
           "convokit", "to_convokit"]

#: Utterance metadata keys that fill a posts column of the same name.
POST_META_COLUMNS = ("title", "channel", "kind", "score", "views", "is_removed")
#: Metadata keys that mean another posts column (source key -> column).
POST_META_ALIASES = {"subreddit": "channel"}
#: Members columns that speaker metadata may fill, and how their values are read.
MEMBER_META_COLUMNS = ("role", "joined_at", "left_at")
#: Index sections of each ConvoKit component (newer name first).
_INDEX_SECTIONS = {"utterance": ("utterances-index",),
                   "speaker": ("speakers-index", "users-index"),
                   "conversation": ("conversations-index",),
                   "corpus": ("overall-index",)}
#: Largest |Unix seconds| that fits a microsecond timestamp.
_MAX_SECONDS = 9.2e12
_SCALARS = (str, int, float, bool)


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------

def convokit(corpus_dir: str | os.PathLike, *, name: str | None = None, repair: bool = False,
             pseudonymise: str | None = None, scrub_pii: bool = False):
    """Load a ConvoKit corpus folder as a :class:`~peerscope.Corpus`.

    Parameters
    ----------
    corpus_dir : path-like
        The folder holding ``utterances.jsonl`` (or the older
        ``utterances.json``), ``speakers.json`` (or ``users.json``),
        ``conversations.json``, ``corpus.json`` and ``index.json``.  Only
        ``utterances.jsonl`` is required.
    name : str, optional
        Corpus name (default: the folder name).
    repair : bool
        Quarantine utterances that break a corpus rule (duplicate ids, null
        timestamps, reply cycles, ...) instead of raising.
    pseudonymise : str, optional
        Secret salt: replace speaker ids by keyed pseudonyms.
    scrub_pii : bool
        Remove e-mail addresses, URLs, phone numbers and @handles from text.

    Returns
    -------
    Corpus
        ``posts`` from the utterances and ``members`` (``roster=False``) from
        the speakers; the mapping is described in the module docstring.

    Raises
    ------
    peerscope.errors.SourceError
        A file is missing, not valid JSON (naming file and line), wrongly
        encoded, or a field has an impossible value.
    peerscope.errors.ValidationError
        The utterances break a corpus rule and ``repair`` is False.

    Warns
    -----
    UserWarning
        When pickled metadata or vector matrices are skipped.

    Examples
    --------
    A round trip through a ConvoKit folder written by :func:`to_convokit`:

    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2"], "thread_id": ["p1", "p1"],
    ...     "parent_id": [None, "p1"], "author_id": ["ann", "bob"],
    ...     "text": ["Cannot sleep", "Same here"],
    ...     "created_at": pd.to_datetime(["2024-01-01 20:00", "2024-01-01 21:30"], utc=True)})
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "forum-convokit"
    >>> to_convokit(Corpus.from_frames(posts, name="forum"), folder)
    >>> back = convokit(folder)
    >>> back.name, back.posts()[["post_id", "author_id"]].values.tolist()
    ('forum-convokit', [['p1', 'ann'], ['p2', 'bob']])
    >>> back.posts()["parent_id"].tolist()[1]
    'p1'
    """
    folder = Path(corpus_dir)
    if not folder.is_dir():
        raise SourceError("not a folder (a ConvoKit corpus is a folder)", path=os.fspath(folder))
    index = _read_index(folder)
    binary = _binary_fields(index)
    _warn_skipped_pickles(folder, binary, index)
    utterances_path, utterances = _read_utterances(folder)
    conversations = _component_meta(folder, ("conversations.json",))
    speakers = _component_meta(folder, ("speakers.json", "users.json"))
    posts, notes, outside = _posts_frame(utterances_path, utterances, conversations, binary)
    members, member_notes = _members_frame(speakers, binary["speaker"])
    notes.update(member_notes)
    notes["binary_meta_skipped"] = {k: sorted(v) for k, v in binary.items() if v}
    kept_notes = NoteCounter()
    kept_notes.add("posts", NOTE_REPLY_OUTSIDE, outside)
    return build_corpus(posts, members, name=name, source=folder, source_format="convokit",
                        loader="peerscope.loaders.convokit", parameters=notes,
                        skipped=SkipCounter(), kept_notes=kept_notes, repair=repair, roster=False,
                        pseudonymise=pseudonymise, scrub_pii=scrub_pii)


def _read_json(path: Path):
    """A whole JSON file, or a SourceError naming its line."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror}", path=os.fspath(path)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(f"not UTF-8 text ({exc.reason})", path=os.fspath(path),
                          line=raw.count(b"\n", 0, exc.start) + 1) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"not valid JSON ({exc.msg})", path=os.fspath(path),
                          line=exc.lineno) from None
    except (ValueError, RecursionError) as exc:
        raise SourceError(f"not valid JSON ({exc})", path=os.fspath(path)) from None


def _read_index(folder: Path) -> dict:
    path = folder / "index.json"
    if not path.is_file():
        return {}
    index = _read_json(path)
    if not isinstance(index, dict):
        raise SourceError("expected a JSON object", path=os.fspath(path))
    return index


def _binary_fields(index: dict) -> dict[str, set[str]]:
    """Metadata fields each component stores pickled (index type ``"bin"``)."""
    fields = {}
    for component, sections in _INDEX_SECTIONS.items():
        section = next((index[s] for s in sections if s in index), {})
        fields[component] = set()
        if isinstance(section, dict):
            for field, types in section.items():
                if types == "bin" or (isinstance(types, list) and "bin" in types):
                    fields[component].add(str(field))
    return fields


def _warn_skipped_pickles(folder: Path, binary: dict[str, set[str]], index: dict) -> None:
    """Warn about pickled metadata and vector matrices, which are never loaded."""
    pickled = sorted(p.name for p in folder.glob("*-bin.p"))
    if any(binary.values()) or pickled:
        named = "; ".join(f"{component}: {', '.join(sorted(fields))}"
                          for component, fields in binary.items() if fields)
        warnings.warn(
            f"{folder}: pickled (binary) ConvoKit metadata is never unpickled and was skipped"
            f" ({named or 'fields not in index.json'}; files: {', '.join(pickled) or 'none'})",
            UserWarning, stacklevel=3)
    vectors = index.get("vectors")
    if not isinstance(vectors, list):
        vectors = [vectors] if vectors else []
    vectors = vectors or sorted(p.name for p in folder.glob("vectors.*"))
    if vectors:
        warnings.warn(f"{folder}: ConvoKit vector matrices were skipped "
                      f"({', '.join(map(str, vectors))})", UserWarning, stacklevel=3)


def _read_utterances(folder: Path) -> tuple[Path, list[tuple[int | None, dict]]]:
    """The file, and ``(line, utterance)`` pairs from utterances.jsonl (or utterances.json)."""
    path = folder / "utterances.jsonl"
    if path.is_file():
        records = list(json_lines(path))
    elif (folder / "utterances.json").is_file():
        path = folder / "utterances.json"
        data = _read_json(path)
        if not isinstance(data, list):
            raise SourceError("expected a JSON list of utterances", path=os.fspath(path))
        records = [(None, item) for item in data]
    else:
        raise SourceError("no utterances.jsonl (nor utterances.json): not a ConvoKit corpus",
                          path=os.fspath(folder))
    for line, record in records:
        if not isinstance(record, dict):
            raise SourceError(f"expected a JSON object, got {type(record).__name__}",
                              path=os.fspath(path), line=line)
    return path, records


def _component_meta(folder: Path, names: tuple[str, ...]) -> dict[str, dict]:
    """``{id: meta}`` from speakers.json / conversations.json (either layout)."""
    path = next((folder / n for n in names if (folder / n).is_file()), None)
    if path is None:
        return {}
    data = _read_json(path)
    if not isinstance(data, dict):
        raise SourceError("expected a JSON object {id: {...}}", path=os.fspath(path))
    result = {}
    for key, value in data.items():
        meta = value.get("meta") if isinstance(value, dict) and "meta" in value else value
        if meta is None:
            meta = {}
        if not isinstance(meta, dict):
            raise SourceError(f"metadata of {key!r} is not a JSON object", path=os.fspath(path),
                              column=str(key))
        result[str(key)] = meta
    return result


def _field(records: list, keys: tuple[str, ...]) -> list:
    """One field of every utterance; older names are used when the first utterance has them."""
    key = next((k for k in keys if records and k in records[0][1]), keys[0])
    return [record.get(key) for _, record in records]


_NONE = type(None)


def _check(values: list, allowed: tuple[type, ...], records: list, path: Path, column: str,
           message: str, ok=None) -> None:
    """Raise a SourceError at the first value not of an ``allowed`` type (or not ``ok``).

    The common case (every type allowed, no extra test) costs one pass in C.
    """
    if ok is None and set(map(type, values)) <= set(allowed):
        return
    bad = next((i for i, v in enumerate(values)
                if type(v) not in allowed or (ok is not None and not ok(v))), None)
    if bad is not None:
        raise SourceError(message.format(value=repr(values[bad])[:100]), path=os.fspath(path),
                          line=records[bad][0], column=column)


def _ids(records: list, keys: tuple[str, ...], path: Path, column: str) -> list:
    """Ids as text (ConvoKit casts integer ids to str too)."""
    values = _field(records, keys)
    _check(values, (str, int, _NONE), records, path, column,
           "expected an id (text or integer), got {value}")
    return [v if v is None or type(v) is str else str(v) for v in values]


def _seconds(value) -> float | int | None:
    """Unix seconds from a number or a number written as text; None if it is neither."""
    if type(value) is str:
        try:
            value = float(value)
        except ValueError:
            return None
    if type(value) not in (int, float) or not (math.isfinite(value) and abs(value) < _MAX_SECONDS):
        return None
    return value


def _micros(records: list, path: Path) -> list:
    """Timestamps (Unix seconds) -> integer microseconds; null stays null."""
    values = _field(records, ("timestamp",))
    _check(values, (int, float, str, _NONE), records, path, "timestamp",
           "timestamp {value} is not Unix seconds in range",
           ok=lambda v: v is None or _seconds(v) is not None)
    return [None if v is None else v * 1_000_000 if type(v) is int else round(_seconds(v) * 1_000_000)
            for v in values]


def _texts(records: list, path: Path) -> list:
    values = _field(records, ("text",))
    _check(values, (str, int, float, _NONE), records, path, "text", "text {value} is not text")
    return [v if v is None or type(v) is str else str(v) for v in values]  # ConvoKit casts too


def _post_meta(records: list, path: Path, binary: set[str]) -> tuple[dict[str, list], set[str]]:
    """Posts columns from utterance metadata, and every metadata key seen."""
    metas = _field(records, ("meta",))
    _check(metas, (dict, _NONE), records, path, "meta", "meta {value} is not a JSON object")
    metas = [m or {} for m in metas]
    seen = set().union(*metas)
    columns = {}
    for column in POST_META_COLUMNS:
        keys = [k for k in (column, *[a for a, c in POST_META_ALIASES.items() if c == column])
                if k in seen and k not in binary]
        if not keys:
            continue
        values = [m.get(keys[0]) for m in metas]
        for alias in keys[1:]:
            values = [m.get(alias) if v is None else v for v, m in zip(values, metas)]
        _check(values, (*_SCALARS, _NONE), records, path, f"meta.{column}",
               "expected a single value, got {value}")
        columns[column] = values
    return columns, seen


def _posts_frame(path: Path, utterances, conversations, binary) -> tuple[pd.DataFrame, dict, int]:
    """The posts table, what the manifest should record about the mapping, and how many
    replies name a parent outside the corpus (kept with a null parent)."""
    ids = _ids(utterances, ("id",), path, "id")
    _check(ids, (str,), utterances, path, "id", "utterance has no id")
    parents = _ids(utterances, ("reply_to", "reply-to"), path, "reply_to")
    known = set(ids)
    outside = [p is not None and p not in known for p in parents]
    micros = pd.array(_micros(utterances, path), dtype="Int64")
    if len(micros) and micros.isna().all():
        raise SourceError("no utterance has a timestamp; peerscope needs the time of every post",
                          path=os.fspath(path), column="timestamp")
    posts = pd.DataFrame({
        "post_id": pd.array(ids, dtype="str"),
        "thread_id": pd.array(_ids(utterances, ("conversation_id", "root"), path, "conversation_id"),
                              dtype="str"),
        "parent_id": pd.array([None if out else p for p, out in zip(parents, outside)], dtype="str"),
        "author_id": pd.array(_ids(utterances, ("speaker", "user"), path, "speaker"), dtype="str"),
        "created_at": pd.to_datetime(micros, unit="us", utc=True),
        "text": pd.array(_texts(utterances, path), dtype="str"),
    })
    meta_columns, meta_keys = _post_meta(utterances, path, binary["utterance"])
    for column, values in meta_columns.items():
        posts[column] = values
    if posts["thread_id"].isna().any():
        posts["thread_id"] = posts["thread_id"].fillna(_root_ids(posts))
    _fill_from_conversations(posts, conversations)
    conversation_keys = set().union(*conversations.values()) if conversations else set()
    used = set(POST_META_COLUMNS) | set(POST_META_ALIASES)
    notes = {
        "utterance_meta_not_imported": sorted(meta_keys - used),
        "conversation_meta_not_imported": sorted(conversation_keys - {"title", "channel", "subreddit"}),
    }
    return posts, notes, sum(outside)


def _root_ids(posts: pd.DataFrame) -> pd.Series:
    """The id of the top of each post's reply chain (for missing conversation ids)."""
    ids = posts["post_id"]
    first = pd.Series(np.arange(len(ids)), index=ids)[~ids.duplicated().to_numpy()]
    parent = posts["parent_id"].map(first).fillna(-1).to_numpy(dtype=np.int64)
    # pointer jumping: after k rounds each post points 2**k levels up (roots to themselves)
    top = np.where(parent >= 0, parent, np.arange(len(ids)))
    for _ in range(int(np.ceil(np.log2(len(ids) + 1))) + 1):
        jumped = top[top]
        if (jumped == top).all():
            break
        top = jumped
    return pd.Series(ids.to_numpy()[top], index=posts.index, dtype="str")


def _fill_from_conversations(posts: pd.DataFrame, conversations: dict[str, dict]) -> None:
    """Conversation title -> its opening post's title; conversation channel -> its posts."""
    if not conversations:
        return
    for column, keys in (("title", ("title",)), ("channel", ("channel", "subreddit"))):
        by_thread = {cid: next((meta[k] for k in keys if isinstance(meta.get(k), str)), None)
                     for cid, meta in conversations.items()}
        values = posts["thread_id"].map(by_thread)
        if column == "title":
            values = values.where(posts["thread_id"] == posts["post_id"])
        if values.notna().any():
            current = posts[column] if column in posts else pd.Series(None, index=posts.index,
                                                                      dtype="str")
            posts[column] = current.where(current.notna(), values)


def _members_frame(speakers: dict[str, dict], binary: set[str]) -> tuple[pd.DataFrame | None, dict]:
    """Members from speaker metadata: scalar meta as attribute columns."""
    if not speakers:
        return None, {"speaker_meta_not_imported": []}
    ids = list(speakers)
    keys = sorted({k for meta in speakers.values() for k in meta} - binary)
    frame = {"member_id": pd.array(ids, dtype="str")}
    nested = []
    for key in keys:
        values = [speakers[i].get(key) for i in ids]
        if any(v is not None and not isinstance(v, _SCALARS) for v in values):
            nested.append(key)
            continue
        column, series = _member_column(str(key), values)
        frame[column] = series
    return pd.DataFrame(frame), {"speaker_meta_not_imported": nested}


def _member_column(key: str, values: list) -> tuple[str, pd.Series]:
    """Name and values of one speaker attribute; members columns only when every value fits."""
    if key in ("joined_at", "left_at"):
        numbers = [v for v in values if v is not None]
        if all(isinstance(v, (int, float)) and not isinstance(v, bool)
               and math.isfinite(v) and abs(v) < _MAX_SECONDS for v in numbers):
            micros = pd.array([None if v is None else round(v * 1_000_000) for v in values],
                              dtype="Int64")
            return key, pd.Series(pd.to_datetime(micros, unit="us", utc=True))
    elif key == "role":
        if all(v in schema.ROLES for v in values if v is not None):
            return key, pd.Series(pd.array(values, dtype="str"))
    if key in schema.MEMBERS.known:
        key = f"convokit_{key}"
    array = pd.array(values)
    if array.dtype == object:
        array = pd.array([None if v is None else str(v) for v in values], dtype="str")
    return key, pd.Series(array)


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------

def to_convokit(corpus, out_dir: str | os.PathLike) -> None:
    """Write a corpus as a ConvoKit corpus folder (the layout ConvoKit 5 loads).

    Posts become utterances (``conversation_id`` = thread, ``reply-to`` =
    parent, ``speaker`` = author, ``timestamp`` = Unix seconds: an integer, or a
    decimal when the time has a fraction of a second); the optional posts
    columns (``title``, ``channel``, ``score``, ...) go into utterance
    metadata under their own names, which :func:`convokit` reads back, and so
    do extra columns, which it lists as not imported.  Members (and authors
    missing from the members table) become speakers, with ``role``,
    ``joined_at`` and ``left_at`` (Unix seconds) and attribute columns as
    metadata; ConvoKit itself keeps only the speakers of some utterance when
    it loads the folder, so lurkers do not survive there.  Every thread is a
    conversation.  ``index.json`` lists the type of every metadata field
    written, as ConvoKit's own ``Corpus.dump`` does; nothing is pickled and no
    vectors are written.

    A post with no author is written with a null ``speaker`` (ConvoKit loads
    it as a speaker whose id is None, with a warning), and a post with no text
    with null ``text`` (ConvoKit casts it to ``""``).  Null metadata values are
    left out, which ConvoKit reads as missing.

    Parameters
    ----------
    corpus : Corpus
    out_dir : path-like
        The folder to create.  It must not exist or be empty; it is written
        in a temporary sibling folder and renamed into place when complete.

    Raises
    ------
    peerscope.errors.PeerscopeError
        ``out_dir`` exists and is not empty.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2"], "thread_id": ["p1", "p1"],
    ...     "parent_id": [None, "p1"], "author_id": ["ann", "bob"],
    ...     "text": ["Cannot sleep", "Same here"],
    ...     "created_at": pd.to_datetime(["2024-01-01 20:00", "2024-01-01 21:30"], utc=True)})
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "forum-convokit"
    >>> to_convokit(Corpus.from_frames(posts, name="forum"), folder)
    >>> sorted(path.name for path in folder.iterdir())
    ['conversations.json', 'corpus.json', 'index.json', 'speakers.json', 'utterances.jsonl']
    >>> first = next(json_lines(folder / "utterances.jsonl"))[1]
    >>> first["speaker"], first["timestamp"], first["reply-to"]
    ('ann', 1704139200, None)
    """
    target = Path(out_dir)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise PeerscopeError(f"{target}: exists and is not an empty folder; refusing to overwrite")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        posts = _in_memory(corpus.posts(columns="all"))
        members = _in_memory(corpus.members(columns="all")) if corpus.has_table("members") else None
        index = {"utterances-index": _write_utterances(posts, tmp / "utterances.jsonl"),
                 "speakers-index": _write_speakers(posts, members, tmp / "speakers.json"),
                 "conversations-index": {}}
        _write_json({cid: {"meta": {}, "vectors": []}
                     for cid in pd.unique(posts["thread_id"])}, tmp / "conversations.json")
        overall = {"name": corpus.name, "exported_by": f"peerscope {__version__}"}
        _write_json(overall, tmp / "corpus.json")
        index["overall-index"] = {k: [str(type(v))] for k, v in overall.items()}
        index["version"] = 1
        index["vectors"] = []
        _write_json(index, tmp / "index.json")
        if target.exists():
            target.rmdir()
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _in_memory(frame):
    """A pandas frame (computing a Dask one)."""
    return frame.compute() if hasattr(frame, "compute") else frame


def _write_json(data, path: Path) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, default=str)


def _unix_seconds(times: pd.Series) -> list:
    """UTC times -> Unix seconds: int when whole, else float; None for NaT."""
    micros = times.astype("datetime64[us, UTC]").astype("int64").to_numpy()
    whole = micros % 1_000_000 == 0
    seconds = [int(m // 1_000_000) if w else m / 1_000_000 for m, w in zip(micros.tolist(), whole)]
    return [None if missing else s for s, missing in zip(seconds, times.isna().to_numpy())]


def _json_values(values: pd.Series) -> list:
    """A column as plain JSON values (times as Unix seconds, nulls as None)."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return _unix_seconds(values)
    nulls = values.isna().to_numpy()
    return [None if null else (v.item() if isinstance(v, np.generic) else v)
            for v, null in zip(values.astype(object), nulls)]


def _meta_columns(frame: pd.DataFrame, core: tuple[str, ...]) -> dict[str, list]:
    return {c: _json_values(frame[c]) for c in frame.columns if c not in core}


def _note_types(types: dict[str, list], key: str, value) -> None:
    kind = str(type(value))
    seen = types.setdefault(key, [])
    if kind not in seen:
        seen.append(kind)


def _write_utterances(posts: pd.DataFrame, path: Path) -> dict[str, list]:
    """Write utterances.jsonl; return the utterances index of the metadata written."""
    core = ("post_id", "thread_id", "parent_id", "author_id", "created_at", "text")
    meta_columns = _meta_columns(posts, core)
    times = _unix_seconds(posts["created_at"])
    types: dict[str, list] = {}
    with open(path, "w", encoding="utf-8") as handle:
        for i, (uid, cid, parent, author, text) in enumerate(zip(
                *(_json_values(posts[c]) for c in ("post_id", "thread_id", "parent_id",
                                                   "author_id", "text")))):
            meta = {k: v[i] for k, v in meta_columns.items() if v[i] is not None}
            for key, value in meta.items():
                _note_types(types, key, value)
            handle.write(json.dumps({"id": uid, "conversation_id": cid, "text": text,
                                     "speaker": author, "meta": meta, "reply-to": parent,
                                     "timestamp": times[i], "vectors": []},
                                    ensure_ascii=False, default=str))
            handle.write("\n")
    return types


def _write_speakers(posts: pd.DataFrame, members: pd.DataFrame | None, path: Path) -> dict[str, list]:
    """Write speakers.json (members, then authors not among them); return its index."""
    speakers: dict[str, dict] = {}
    types: dict[str, list] = {}
    if members is not None:
        meta_columns = _meta_columns(members, ("member_id",))
        for i, member in enumerate(members["member_id"].tolist()):
            meta = {k: v[i] for k, v in meta_columns.items() if v[i] is not None}
            for key, value in meta.items():
                _note_types(types, key, value)
            speakers[member] = {"meta": meta, "vectors": []}
    for author in pd.unique(posts["author_id"].dropna()):
        speakers.setdefault(str(author), {"meta": {}, "vectors": []})
    _write_json(speakers, path)
    return types
