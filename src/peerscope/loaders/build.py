"""The last step every loader shares: privacy options, provenance, accounting, validation.

A loader parses its source into the four tables (pandas frames in the shapes
of :mod:`peerscope.corpus.schema`), counts the rows it left out on purpose
(:class:`SkipCounter`) and the rows it kept but changed on the way in
(:class:`NoteCounter`); then :func:`build_corpus` applies the privacy options,
records where the data came from, and hands everything to
:meth:`peerscope.Corpus.from_frames`, so that the manifest's accounting
covers every row read (rows read = kept + skipped + quarantined) and says
which kept rows the import altered.
"""

from __future__ import annotations

import os
import warnings
from collections import Counter

import pandas as pd

from peerscope import privacy
from peerscope.corpus import Corpus
from peerscope.corpus.description import thread_share_warning

__all__ = ["NoteCounter", "SkipCounter", "build_corpus"]


class _TableCounts:
    """Rows per table and label; counts of zero rows are not recorded."""

    def __init__(self) -> None:
        self._counts: dict[str, Counter] = {}

    def add(self, table: str, label: str, rows: int = 1) -> None:
        if rows:
            self._counts.setdefault(table, Counter())[label] += int(rows)

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {t: dict(sorted(c.items())) for t, c in self._counts.items() if c}


class SkipCounter(_TableCounts):
    """Counts of rows a loader left out on purpose, per table and reason.

    >>> skipped = SkipCounter()
    >>> skipped.add("posts", "tag wiki", 3)
    >>> skipped.as_dict()
    {'posts': {'tag wiki': 3}}
    """

    def total(self, table: str) -> int:
        return sum(self._counts.get(table, Counter()).values())


class NoteCounter(_TableCounts):
    """Counts of rows a loader kept but changed, per table and note of what it did.

    The manifest keeps them in each table's ``kept_notes``
    (:class:`peerscope.corpus.validation.TableAccount`).  Notes may overlap (one
    row can carry two), so unlike skip reasons they have no total.  Write a
    note as a methods section would: what was wrong with the row, and what
    the import did to it.

    >>> notes = NoteCounter()
    >>> notes.add("posts", "no Message-ID: kept with a generated id", 2)
    >>> notes.add("posts", "parent not in the data: kept with a null parent", 0)   # not recorded
    >>> notes.as_dict()
    {'posts': {'no Message-ID: kept with a generated id': 2}}
    """


def build_corpus(posts: pd.DataFrame, members: pd.DataFrame | None = None,
                 events: pd.DataFrame | None = None,
                 newsletter_items: pd.DataFrame | None = None, *, name: str | None,
                 source: str | os.PathLike | None, source_format: str, loader: str,
                 parameters: dict | None = None, skipped: SkipCounter | None = None,
                 kept_notes: NoteCounter | None = None, repair: bool = False,
                 roster: bool | None = None, assume_tz: str | None = None,
                 pseudonymise: str | None = None, scrub_pii: bool = False) -> Corpus:
    """Apply privacy options and validate the tables into a :class:`~peerscope.Corpus`.

    Parameters
    ----------
    posts, members, events, newsletter_items : DataFrame or None
        The parsed tables.
    name : str or None
        Corpus name (default: the source file or folder name).
    source : path-like or None
        Where the data came from (recorded in the manifest).
    source_format, loader : str
        E.g. ``"stackexchange"`` and ``"peerscope.loaders.stackexchange"``.
    parameters : dict, optional
        The loader's options, recorded in the manifest (the salt never is).
    skipped : SkipCounter, optional
        Rows left out on purpose before validation.
    kept_notes : NoteCounter, optional
        Rows kept but changed on the way in (a null parent for a reply whose
        parent is missing, a generated id, ...), counted before validation.
    repair, roster, assume_tz
        As in :meth:`peerscope.Corpus.from_frames`.
    pseudonymise : str, optional
        A secret salt of at least 16 characters: replace every member id by
        its keyed hash (:func:`peerscope.privacy.pseudonymise_ids`).  An
        empty, short or non-string salt raises
        :class:`~peerscope.errors.PeerscopeError` (:func:`peerscope.privacy.check_salt`).
    scrub_pii : bool
        Remove e-mail addresses, URLs, phone numbers and @handles from text
        and titles.

    Returns
    -------
    Corpus

    Examples
    --------
    A loader that read three rows, left one out (empty body) and gave
    another a generated id accounts for all three, and notes the change:

    >>> import pandas as pd
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2"], "thread_id": ["p1", "p1"],
    ...     "parent_id": [None, "p1"], "author_id": ["ann", "bob"],
    ...     "text": ["Cannot sleep", "Same here"],
    ...     "created_at": pd.to_datetime(["2024-01-01 20:00", "2024-01-01 21:30"], utc=True)})
    >>> skipped = SkipCounter()
    >>> skipped.add("posts", "empty body")
    >>> notes = NoteCounter()
    >>> notes.add("posts", "no post id: kept with a generated id")
    >>> corpus = build_corpus(posts, name="forum", source=None, source_format="csv",
    ...                       loader="example", skipped=skipped, kept_notes=notes)
    >>> account = corpus.manifest["accounting"]["posts"]
    >>> account["rows_read"], account["rows_kept"], account["skipped_reasons"]
    (3, 2, {'empty body': 1})
    >>> account["kept_notes"]
    {'no post id: kept with a generated id': 1}
    """
    pseudonymise = privacy.check_salt(pseudonymise)
    frames = {"posts": posts, "members": members, "events": events,
              "newsletter_items": newsletter_items}
    if scrub_pii:
        frames = {name_: _scrubbed(frame) for name_, frame in frames.items()}
    if pseudonymise:
        frames = privacy.pseudonymise_ids(frames, pseudonymise)
    provenance = {
        "source_format": source_format,
        "loader": loader,
        "source": None if source is None else os.fspath(source),
        "parameters": {**(parameters or {}), "repair": repair, "assume_tz": assume_tz,
                       "pseudonymised": bool(pseudonymise), "scrub_pii": scrub_pii},
    }
    if name is None and source is not None:
        name = os.path.basename(os.path.normpath(os.fspath(source)))
    corpus = Corpus.from_frames(frames["posts"], frames["members"], frames["events"],
                                frames["newsletter_items"], name=name, repair=repair,
                                roster=roster, assume_tz=assume_tz, provenance=provenance,
                                skipped=(skipped.as_dict() if skipped else None),
                                kept_notes=(kept_notes.as_dict() if kept_notes else None))
    threads = corpus.posts(columns=["thread_id"])["thread_id"]
    if len(threads):   # a mapping that put many threads under one id passes every schema rule
        warning = thread_share_warning(len(threads), int(threads.value_counts().max()))
        if warning is not None:
            warnings.warn(f"{corpus.name}: {warning}", UserWarning, stacklevel=3)
    return corpus


def _scrubbed(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    if frame is None:
        return None
    frame = frame.copy()
    for column in ("text", "title"):
        if column in frame.columns:
            frame[column] = privacy.scrub_pii(frame[column].astype("str"))
    return frame
