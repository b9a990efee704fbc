"""Labelled support data: tidy DataFrames for training and checking support classifiers.

These sources are not communities but annotated conversations, so they load
as tidy frames (one row per turn or sentence), not as corpora.  Each loader
reads the published files as they are, checks every column it needs, and
raises :class:`~peerscope.errors.SourceError` naming the file, the line (JSON
Lines) or CSV record (the header is record 1) and the column when the input
is malformed.

``esconv``
    ESConv (Liu, Zheng, Demasi, Sabour, Li, Yu, Jiang & Huang 2021, "Towards
    Emotional Support Dialog Systems", ACL): crowd-sourced help-seeker /
    supporter chats; every supporter turn is annotated with one of eight
    support strategies.  Human labels.
``counselchat_mi``
    CounselChat answers split into sentences with motivational-interviewing
    (MI) behaviour labels (Welivita & Pu 2023, "Boosting Distress Support
    Dialogue Responses with Motivational Interviewing Strategy", Findings of
    ACL).  The labels are **automatic** (n-gram and embedding-similarity
    classifiers), not human codes: ``mi_intersection`` (both agree: high
    precision) and ``mi_union`` (either: broad).
``epitome``
    EPITOME empathy annotations of Reddit seeker posts and responses (Sharma,
    Miner, Atkins & Althoff 2020, "A Computational Approach to Understanding
    Empathy Expressed in Text-Based Mental Health Support", EMNLP): one file
    per mechanism (emotional reactions, interpretations, explorations), each
    response rated 0 (none), 1 (weak) or 2 (strong), with rationale spans.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa

from peerscope.errors import PeerscopeError, SourceError
from peerscope.loaders.sources import json_lines

__all__ = ["COUNSELCHAT_ROLES", "EPITOME_LEVELS", "EPITOME_MECHANISMS", "ESCONV_ROLES",
           "ESCONV_SPLITS", "counselchat_mi", "epitome", "esconv"]

#: ESConv split files, in the order a folder is read.
ESCONV_SPLITS = ("train", "valid", "test")
#: ESConv speaker codes (processed release / original release) -> role.
ESCONV_ROLES = {"usr": "seeker", "seeker": "seeker", "sys": "supporter", "supporter": "supporter"}
#: CounselChat-MI ``author`` -> role.
COUNSELCHAT_ROLES = {"speaker": "seeker", "listener": "supporter"}
#: EPITOME communication mechanisms, and the file-name word that names each.
EPITOME_MECHANISMS = {"emotional_reactions": "emotional", "interpretations": "interpretation",
                      "explorations": "exploration"}
#: EPITOME empathy levels: 0 none, 1 weak, 2 strong.
EPITOME_LEVELS = (0, 1, 2)

_LABEL_LIST = re.compile(r"\[(?:'[^']*'(?:, '[^']*')*)?\]")
_LABEL_ITEM = re.compile(r"'([^']*)'")
_LABELS = pd.ArrowDtype(pa.list_(pa.string()))


# ---------------------------------------------------------------------------
# ESConv
# ---------------------------------------------------------------------------

def esconv(path: str | os.PathLike) -> pd.DataFrame:
    """ESConv dialogues as one row per turn.

    Parameters
    ----------
    path : path-like
        One split file (``train.txt``, ``valid.txt``, ``test.txt``: one JSON
        dialogue per line), or the folder holding them (every split present
        is read, train, valid, test in that order).  Turns may use the
        processed release's keys (``text``, ``speaker`` ``usr``/``sys``,
        ``strategy``) or the original release's (``content``, ``speaker``
        ``seeker``/``supporter``, ``annotation.strategy``).

    Returns
    -------
    DataFrame
        ``dialogue_id`` (file stem and 1-based line, e.g. ``"train-12"``),
        ``split`` (file stem), ``turn`` (0-based position in the dialogue),
        ``role`` (``seeker`` or ``supporter``), ``text``, ``strategy`` (the
        supporter's strategy; null on seeker turns), ``emotion_type``,
        ``problem_type`` and ``situation`` (the seeker's, per dialogue).

    Raises
    ------
    peerscope.errors.SourceError
        Missing files, undecodable or invalid JSON lines, a dialogue without a
        ``dialog`` list, an unknown speaker or a turn without text.

    Examples
    --------
    >>> import tempfile, json, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     file = pathlib.Path(tmp, "test.txt")
    ...     _ = file.write_text(json.dumps({"emotion_type": "anxiety", "problem_type": "job crisis",
    ...         "situation": "...", "dialog": [{"text": "Hi", "speaker": "usr"},
    ...         {"text": "How are you?", "speaker": "sys", "strategy": "Question"}]}) + "\\n")
    ...     turns = esconv(file)
    >>> turns[["dialogue_id", "turn", "role"]].to_dict("list")
    {'dialogue_id': ['test-1', 'test-1'], 'turn': [0, 1], 'role': ['seeker', 'supporter']}
    >>> turns["strategy"].isna().tolist()
    [True, False]
    """
    source = Path(path)
    if source.is_dir():
        files = [source / f"{split}.txt" for split in ESCONV_SPLITS if (source / f"{split}.txt").is_file()]
        if not files:
            raise SourceError(f"no ESConv split files ({', '.join(s + '.txt' for s in ESCONV_SPLITS)})",
                              path=os.fspath(source))
    else:
        files = [source]
    rows = [row for file in files for row in _esconv_turns(file)]
    columns = ("dialogue_id", "split", "turn", "role", "text", "strategy", "emotion_type",
               "problem_type", "situation")
    frame = pd.DataFrame.from_records(rows, columns=columns)
    for column in columns:
        frame[column] = frame[column].astype("int64" if column == "turn" else "str")
    return frame


def _esconv_turns(file: Path):
    """Rows of one split file (a generator, so the file is read once)."""
    for line, dialogue in json_lines(file):
        where = {"path": os.fspath(file), "line": line}
        if not isinstance(dialogue, dict):
            raise SourceError("expected a JSON object (one dialogue)", **where)
        turns = dialogue.get("dialog")
        if not isinstance(turns, list):
            raise SourceError("no 'dialog' list of turns", column="dialog", **where)
        context = [_optional_text(dialogue, key, where) for key in
                   ("emotion_type", "problem_type", "situation")]
        dialogue_id = f"{file.stem}-{line}"
        for position, turn in enumerate(turns):
            if not isinstance(turn, dict):
                raise SourceError(f"turn {position} is not a JSON object", column="dialog", **where)
            role = ESCONV_ROLES.get(turn.get("speaker"))
            if role is None:
                raise SourceError(f"turn {position}: unknown speaker {turn.get('speaker')!r}"[:200],
                                  column="speaker", **where)
            text = turn.get("text", turn.get("content"))
            if not isinstance(text, str):
                raise SourceError(f"turn {position} has no text", column="text", **where)
            annotation = turn.get("annotation")
            strategy = turn.get("strategy",
                                annotation.get("strategy") if isinstance(annotation, dict) else None)
            if strategy is not None and not isinstance(strategy, str):
                raise SourceError(f"turn {position}: strategy is not text", column="strategy", **where)
            yield (dialogue_id, file.stem, position, role, text,
                   strategy if role == "supporter" else None, *context)


def _optional_text(record: dict, key: str, where: dict) -> str | None:
    value = record.get(key)
    if value is not None and not isinstance(value, str):
        raise SourceError(f"{key} is not text", column=key, **where)
    return value


# ---------------------------------------------------------------------------
# CSV sources
# ---------------------------------------------------------------------------

def _read_csv(path: str | os.PathLike, required: tuple[str, ...]) -> pd.DataFrame:
    """A UTF-8 CSV as text columns, with every required column present."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror}", path=os.fspath(path)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path=os.fspath(path),
                          line=raw.count(b"\n", 0, exc.start) + 1) from None
    try:
        frame = pd.read_csv(io.StringIO(text), dtype="str", keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise SourceError("empty file (no header)", path=os.fspath(path)) from None
    except (pd.errors.ParserError, ValueError) as exc:
        found = re.search(r"line (\d+)", str(exc))
        raise SourceError(f"not a well-formed CSV ({exc})".strip(), path=os.fspath(path),
                          line=int(found.group(1)) if found else None) from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise SourceError(f"required column(s) {missing} missing; the file has {list(frame.columns)}",
                          path=os.fspath(path), column=missing[0])
    return frame


def _fail_at(path, mask: pd.Series, column: str, message: str) -> None:
    """Raise a SourceError at the first row of ``mask`` (as a CSV record: header = 1)."""
    if mask.any():
        position = int(mask.to_numpy().nonzero()[0][0])
        raise SourceError(message, path=os.fspath(path), line=position + 2, column=column)


def _blank_to_null(values: pd.Series) -> pd.Series:
    values = values.str.strip()
    return values.where(values != "", None)


def _integers(path, frame: pd.DataFrame, column: str) -> pd.Series:
    numbers = pd.to_numeric(frame[column].str.strip(), errors="coerce")
    bad = numbers.isna() | (numbers % 1 != 0)
    _fail_at(path, bad, column, f"{column} is not an integer")
    return numbers.astype("int64")


# ---------------------------------------------------------------------------
# CounselChat with MI labels
# ---------------------------------------------------------------------------

_COUNSELCHAT_UNION = ("Union (without disambiguities)", "Union")


def counselchat_mi(path: str | os.PathLike) -> pd.DataFrame:
    """MI-labelled CounselChat (Welivita & Pu 2023) as one row per sentence.

    Each CounselChat question (the seeker's turn, one row) is followed by its
    answer split into sentences (the listener's turn, one row each).  The MI
    behaviour labels (Give Information, Advise with/without Permission,
    Support, Affirm, Simple/Complex Reflection, Open/Closed Question, ...) were
    assigned **automatically**, not by human coders: treat them as silver
    labels and say so when reporting agreement.

    Parameters
    ----------
    path : path-like
        ``MI_Augmented_CounselChat.csv``.

    Returns
    -------
    DataFrame
        ``dialogue_id`` (the question, e.g. ``"counsel_chat | 0"``), ``title``
        (of the question), ``turn`` (1 question, 2 answer), ``sentence``
        (0-based position within the turn), ``role`` (``seeker`` for the
        question, ``supporter`` for answer sentences), ``text``,
        ``mi_intersection`` (label both automatic labellers agree on: high
        precision), ``mi_union`` (either labeller's label, ambiguous cases
        left out: broad), ``mi_cosine`` (the embedding-similarity label) and,
        as lists, ``mi_ngram`` and ``mi_all`` (candidate labels).  Label
        columns are null where the source has none (questions and unlabelled
        sentences).

    Raises
    ------
    peerscope.errors.SourceError
        Undecodable or malformed CSV, a missing column, an unknown
        ``author``, a non-integer ``turn`` or an unreadable label list.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "MI_Augmented_CounselChat.csv"
    >>> _ = path.write_text(
    ...     "dialog_id,title,turn,author,text,Intersection,Union\\n"
    ...     "counsel_chat | 0,Worthless,1,speaker,I feel worthless.,,\\n"
    ...     "counsel_chat | 0,Worthless,2,listener,That sounds painful.,Simple Reflection,Simple Reflection\\n"
    ...     "counsel_chat | 0,Worthless,2,listener,Have you seen someone?,,Closed Question\\n",
    ...     encoding="utf-8")
    >>> frame = counselchat_mi(path)
    >>> frame[["turn", "sentence", "role", "mi_union"]].values.tolist()
    [[1, 0, 'seeker', nan], [2, 0, 'supporter', 'Simple Reflection'], [2, 1, 'supporter', 'Closed Question']]
    """
    frame = _read_csv(path, ("dialog_id", "turn", "author", "text", "Intersection"))
    union = next((c for c in _COUNSELCHAT_UNION if c in frame.columns), None)
    if union is None:
        raise SourceError(f"required column {_COUNSELCHAT_UNION[0]!r} missing", path=os.fspath(path),
                          column=_COUNSELCHAT_UNION[0])
    author = frame["author"].str.strip()
    role = author.map(COUNSELCHAT_ROLES)
    _fail_at(path, role.isna(), "author", f"author is not one of {sorted(COUNSELCHAT_ROLES)}")
    result = pd.DataFrame({
        "dialogue_id": frame["dialog_id"].str.strip(),
        "title": _blank_to_null(frame["title"]) if "title" in frame else None,
        "turn": _integers(path, frame, "turn"),
        "role": role,
        "text": frame["text"],
        "mi_intersection": _blank_to_null(frame["Intersection"]),
        "mi_union": _blank_to_null(frame[union]),
        "mi_cosine": _blank_to_null(frame["Cosine label"]) if "Cosine label" in frame else None,
    })
    result.insert(3, "sentence", result.groupby(["dialogue_id", "turn"]).cumcount().astype("int64"))
    for column, source in (("mi_ngram", "N-gram labels"), ("mi_all", "All labels")):
        result[column] = _label_lists(path, frame, source) if source in frame else None
    for column in ("dialogue_id", "title", "role", "text", "mi_intersection", "mi_union", "mi_cosine"):
        result[column] = result[column].astype("str")
    return result


def _label_lists(path, frame: pd.DataFrame, column: str) -> pd.Series:
    """Python-literal label lists (``"['Affirm', 'Support']"``) as list<string>; blank -> null."""
    values = _blank_to_null(frame[column])
    bad = values.notna() & ~values.fillna("[]").str.fullmatch(_LABEL_LIST)
    _fail_at(path, bad, column, "not a list of quoted labels like ['Affirm', 'Support']")
    lists = values.str.findall(_LABEL_ITEM)
    return pd.Series(lists.where(values.notna(), None).tolist(), index=frame.index, dtype=_LABELS)


# ---------------------------------------------------------------------------
# EPITOME
# ---------------------------------------------------------------------------

def epitome(path: str | os.PathLike, mechanism: str | None = None) -> pd.DataFrame:
    """EPITOME empathy annotations (Sharma et al. 2020) of one mechanism file.

    Parameters
    ----------
    path : path-like
        A CSV with columns ``sp_id, rp_id, seeker_post, response_post, level,
        rationales`` (e.g. ``emotional-reactions-reddit.csv``).
    mechanism : {"emotional_reactions", "interpretations", "explorations"}, optional
        The communication mechanism the file rates; by default inferred from
        the file name (``emotional``, ``interpretation`` or ``exploration``).

    Returns
    -------
    DataFrame
        ``seeker_post_id``, ``response_post_id``, ``seeker_post``,
        ``response_post``, ``mechanism``, ``level`` (0 no, 1 weak, 2 strong
        communication) and ``rationales`` (the annotated spans of the
        response, ``|``-separated as in the source; null when none).

    Raises
    ------
    peerscope.errors.SourceError
        Undecodable or malformed CSV, a missing column, or a level outside 0-2.
    peerscope.errors.PeerscopeError
        ``mechanism`` is unknown, or not given and not in the file name.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     file = pathlib.Path(tmp, "explorations-reddit.csv")
    ...     _ = file.write_text("sp_id,rp_id,seeker_post,response_post,level,rationales\\n"
    ...                         "s1,r1,I feel lost,What happened?,2,What happened?|\\n")
    ...     rated = epitome(file)
    >>> rated[["mechanism", "level"]].to_dict("list")
    {'mechanism': ['explorations'], 'level': [2]}
    """
    mechanism = _epitome_mechanism(Path(path), mechanism)
    frame = _read_csv(path, ("sp_id", "rp_id", "seeker_post", "response_post", "level", "rationales"))
    level = _integers(path, frame, "level")
    _fail_at(path, ~level.isin(EPITOME_LEVELS), "level", f"level is not one of {list(EPITOME_LEVELS)}")
    return pd.DataFrame({
        "seeker_post_id": frame["sp_id"].str.strip().astype("str"),
        "response_post_id": frame["rp_id"].str.strip().astype("str"),
        "seeker_post": frame["seeker_post"].astype("str"),
        "response_post": frame["response_post"].astype("str"),
        "mechanism": pd.Series(mechanism, index=frame.index, dtype="str"),
        "level": level,
        "rationales": _blank_to_null(frame["rationales"]).astype("str"),
    })


def _epitome_mechanism(path: Path, mechanism: str | None) -> str:
    if mechanism is not None:
        if mechanism not in EPITOME_MECHANISMS:
            raise PeerscopeError(f"mechanism={mechanism!r}: expected one of {list(EPITOME_MECHANISMS)}")
        return mechanism
    name = path.name.lower()
    found = [m for m, word in EPITOME_MECHANISMS.items() if word in name]
    if len(found) != 1:
        raise PeerscopeError(f"{path}: cannot tell the EPITOME mechanism from the file name; "
                             f"pass mechanism= one of {list(EPITOME_MECHANISMS)}")
    return found[0]
