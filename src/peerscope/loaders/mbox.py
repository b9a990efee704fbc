"""Mailing-list archives (mbox, pipermail) -> :class:`~peerscope.Corpus`.

An mbox file holds messages one after another, each starting with a ``From ``
line (RFC 4155); Mailman's pipermail publishes list archives in this form
(``2001-November.txt``), with addresses obfuscated as ``user at domain``.
Messages are read with the standard library (:mod:`mailbox`, :mod:`email`).

What becomes what
-----------------
``post_id``
    The ``Message-ID``.  A message without one gets a stable generated id,
    ``generated:`` + 16 hex digits of a hash of its sender, date, subject and
    body, so that re-imports give the same id; the messages kept with one
    are counted in the manifest's accounting (``kept_notes`` of ``posts``,
    :data:`NOTE_GENERATED_ID`).  A Message-ID seen before (archives are
    often concatenated or overlap) is skipped, keeping the first, and
    counted as ``duplicate Message-ID``.  A Message-ID names the sender's
    host and often holds the address, so with ``pseudonymise`` every post
    id, and the ``parent_id`` and ``thread_id`` made from them, becomes its
    keyed pseudonym (the same hash as member ids,
    :func:`peerscope.privacy.pseudonymise_values`): replies still point to
    their parents, and no id names a person or a host.
``parent_id``, ``thread_id``
    The parent is the ``In-Reply-To`` message when it is in the archive, else
    the last message of ``References`` that is in the archive (References
    lists ancestors oldest first, so that is the nearest one kept), else none:
    the message opens a thread.  A reply to a message outside the archive (an
    earlier month, a private mail) is therefore an opening post, counted in
    ``kept_notes`` (:data:`NOTE_REPLY_OUTSIDE`); archives cut into months
    lose those links, so import a folder of consecutive months at once to
    keep them.  The thread is the root of the chain of parents.
``author_id``
    The sender's address, lower-cased, with pipermail's ``user at domain``
    turned back into ``user@domain``; display names are dropped.  Null when
    there is no ``From``.
``created_at``
    ``Date`` parsed with :func:`email.utils.parsedate_to_datetime` and
    converted to UTC.  Pipermail archives write dates without a zone (the list
    server's local time, unknown from the archive); they are read in
    ``assume_tz`` (default UTC).  A missing or unparseable date raises
    :class:`~peerscope.errors.SourceError` naming the file and the message
    number (1-based); with ``repair=True`` the message is skipped and counted
    as ``unparseable Date``.
``text``
    The ``text/plain`` parts, decoded with their charset (UTF-8, then
    Latin-1, when none is declared or it is unknown).  Pipermail's notices
    that an attachment was scrubbed are removed.  ``strip_quotes=True`` also
    removes quoted lines (``>``) and attributions ("On <date>, <name>
    wrote:"), so that text measures count what the author wrote.
``title``, ``channel``, ``kind``
    The decoded ``Subject``; ``channel`` the list name (``channel=`` when
    given, else ``List-Id``, else the ``[tag]`` of the subject); kind
    ``message``.

There is no roster: an archive shows who wrote, not who subscribed, so
lurkers cannot be counted from it.
"""

from __future__ import annotations

import email.header
import email.message
import email.utils
import hashlib
import mailbox
import os
import re
from collections.abc import Iterator
from datetime import timezone
from pathlib import Path

import numpy as np
import pandas as pd

from peerscope import errors, privacy

from peerscope.corpus import schema
from peerscope.corpus import Corpus
from peerscope.loaders.build import NoteCounter, SkipCounter, build_corpus

__all__ = ["NOTE_GENERATED_ID", "NOTE_REPLY_OUTSIDE", "mbox"]

#: Notes on messages kept but changed, counted in the manifest's ``kept_notes``.
NOTE_GENERATED_ID = "no Message-ID: kept with an id generated from sender, date, subject and body"
NOTE_REPLY_OUTSIDE = ("reply whose In-Reply-To and References are not in the archive: "
                      "kept as an opening post")

_OBFUSCATED = re.compile(r"([\w.+=-]+)\s+at\s+([\w-]+(?:\.[\w-]+)+)")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_SUBJECT_TAG = re.compile(r"^\s*(?:(?:re|fwd?|aw|sv)\s*:\s*)*\[([^\]]+)\]", re.IGNORECASE)
_LIST_ID = re.compile(r"<([^<>]+)>")
_SCRUBBED = re.compile(
    r"^-{2,} next part -{2,}\n(?:An HTML attachment was scrubbed\.\.\.|"
    r"A non-text attachment was scrubbed\.\.\.)\n(?:.*\n)*?URL: <[^>\n]*>\n?", re.MULTILINE)
_ATTRIBUTION = r"(?m)^On\b[^\n]*(?:\n[^\n]*){0,2}?wrote:[ \t]*\n?"
_WROTE_BEFORE_QUOTE = r"(?m)^[^\n>]*wrote:[ \t]*\n(?=[ \t]*>)"
_QUOTED = r"(?m)^[ \t]*>[^\n]*\n?"


def mbox(path: str | os.PathLike, *, strip_quotes: bool = False, channel: str | None = None,
         name: str | None = None, assume_tz: str = "UTC", repair: bool = False,
         pseudonymise: str | None = None, scrub_pii: bool = False) -> Corpus:
    """Import a mailing-list archive: an mbox / pipermail file, or a folder of them.

    Parameters
    ----------
    path : path-like
        An mbox file, or a folder whose files (not starting with ``.``) are
        read in name order as one archive (monthly pipermail files, so that
        replies across months keep their parents).
    strip_quotes : bool
        Remove quoted lines (``>``) and "On ... wrote:" attributions from text.
    channel : str, optional
        The list's name for every message (default: from ``List-Id`` or the
        subject's ``[tag]``).
    name : str, optional
        Corpus name (default: the file or folder name).
    assume_tz : str
        Timezone of dates written without one (pipermail's); default UTC.
    repair : bool
        Skip messages whose date cannot be read (counted) instead of raising,
        and quarantine rows that break a corpus rule.
    pseudonymise : str, optional
        Secret salt of at least 16 characters: sender addresses, and the
        post, parent and thread ids (Message-IDs), become keyed hashes.
    scrub_pii : bool
        Replace e-mail addresses (also ``user at domain``), URLs and phone
        numbers in text and titles with placeholders.  Ids are hidden only
        by ``pseudonymise``.

    Returns
    -------
    Corpus
        ``posts`` only (no roster); skipped messages are counted by reason,
        kept messages the import changed by note (``kept_notes``).

    Raises
    ------
    peerscope.errors.SourceError
        No archive at ``path``, an archive with no message, or (without
        ``repair``) a message with a missing or unparseable date.

    Examples
    --------
    >>> corpus = mbox("numpy-discussion-2001-November.txt", strip_quotes=True)  # doctest: +SKIP
    >>> corpus.posts()["author_id"].nunique()                                    # doctest: +SKIP
    39
    """
    pseudonymise = privacy.check_salt(pseudonymise)
    source = Path(path)
    skipped, notes = SkipCounter(), NoteCounter()
    records = []
    for file, number, message in read_messages(source):
        record = _record(file, number, message, assume_tz, repair, skipped)
        if record is not None:
            records.append(record)
    posts = pd.DataFrame(records, columns=["post_id", "in_reply_to", "references", "author_id",
                                           "created_at", "text", "title", "channel", "generated"])
    duplicate = posts["post_id"].duplicated(keep="first").to_numpy()
    skipped.add("posts", "duplicate Message-ID", int(duplicate.sum()))
    posts = posts[~duplicate].reset_index(drop=True)
    notes.add("posts", NOTE_GENERATED_ID, int(posts["generated"].sum()))
    if channel is not None:
        posts["channel"] = channel
    posts["parent_id"] = _parents(posts)
    replies = posts["in_reply_to"].notna().to_numpy() | (posts["references"].map(len) > 0).to_numpy()
    notes.add("posts", NOTE_REPLY_OUTSIDE, int((replies & posts["parent_id"].isna().to_numpy()).sum()))
    posts["thread_id"] = _threads(posts)
    posts["kind"] = "message"
    posts["created_at"] = pd.to_datetime(posts["created_at"], utc=True).astype("datetime64[us, UTC]")
    posts["text"] = clean_body(posts["text"].astype("str"), strip_quotes)
    posts = posts.drop(columns=["in_reply_to", "references", "generated"])
    if pseudonymise is not None:  # Message-IDs hold addresses and host names
        for column in ("post_id", "parent_id", "thread_id"):
            posts[column] = privacy.pseudonymise_values(posts[column], pseudonymise)
    return build_corpus(posts, name=name, source=source, source_format="mbox", loader=__name__,
                        parameters={"strip_quotes": strip_quotes, "channel": channel},
                        skipped=skipped, kept_notes=notes, repair=repair, roster=False,
                        assume_tz=assume_tz, pseudonymise=pseudonymise, scrub_pii=scrub_pii)


# ---------------------------------------------------------------------------
# Reading messages (shared with the newsletter loader)
# ---------------------------------------------------------------------------

def read_messages(source: Path) -> Iterator[tuple[Path, int, email.message.Message]]:
    """Yield ``(file, number, message)`` for every message of an mbox file or folder.

    ``number`` counts from 1 within its file.  Raises
    :class:`~peerscope.errors.SourceError` when ``source`` does not exist or
    holds no message.

    Parameters
    ----------
    source : pathlib.Path
        An mbox file, or a folder of them (read in name order, hidden files left out).

    Yields
    ------
    tuple of (pathlib.Path, int, email.message.Message)

    A message whose MIME parts nest too deeply for Python's email parser
    (thousands of levels) raises :class:`~peerscope.errors.SourceError`
    naming the file and the message number.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "list.mbox"
    >>> _ = path.write_bytes(b"From ann@example.org Thu Nov  1 10:00:00 2001\\n"
    ...                      b"Subject: Hello\\n\\nHi all\\n\\n"
    ...                      b"From bob@example.org Thu Nov  1 11:00:00 2001\\n"
    ...                      b"Subject: Re: Hello\\n\\nHi Ann\\n")
    >>> [(file.name, number, message["Subject"]) for file, number, message in read_messages(path)]
    [('list.mbox', 1, 'Hello'), ('list.mbox', 2, 'Re: Hello')]
    """
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.is_file() and not p.name.startswith("."))
    elif source.is_file():
        files = [source]
    else:
        raise errors.SourceError("no such file or folder", path=str(source))
    found = False
    for file in files:
        try:
            box = mailbox.mbox(file, create=False)
            keys = box.keys()
        except (OSError, mailbox.Error) as exc:
            raise errors.SourceError(f"cannot read as mbox: {exc}", path=str(file)) from None
        try:
            for number, key in enumerate(keys, start=1):
                found = True
                # from the bytes: the mbox "From " line may hold non-ASCII bytes,
                # which mailbox's own message factory cannot decode
                try:
                    message = email.message_from_bytes(box.get_bytes(key))
                except RecursionError:  # the email parser recurses once per nested part
                    raise errors.SourceError(
                        f"message {number}: its MIME parts are nested too deeply to be read "
                        "(thousands of multipart levels)", path=str(file), line=number) from None
                yield file, number, message
        finally:
            box.close()
    if not found:
        raise errors.SourceError("no messages found (an mbox file starts each message with a "
                                 "'From ' line)", path=str(source))


def header_text(message: email.message.Message, name: str) -> str | None:
    """A header decoded to text (RFC 2047 encoded words included); None when absent.

    Parameters
    ----------
    message : email.message.Message
    name : str
        The header name.

    Returns
    -------
    str or None

    Examples
    --------
    >>> import email
    >>> message = email.message_from_string(
    ...     "From: Ann <ann@example.org>\\nSubject: =?utf-8?q?Caf=C3=A9?=\\n"
    ...     "Date: Thu, 1 Nov 2001 10:00:00 +0100\\n\\nHello list\\n")
    >>> header_text(message, "Subject"), header_text(message, "Cc")
    ('Café', None)
    """
    try:
        value = message.get(name)
    except (TypeError, ValueError):
        return None
    if value is None:
        return None
    try:
        return str(email.header.make_header(email.header.decode_header(str(value)))).strip()
    except (email.errors.HeaderParseError, UnicodeError, LookupError, ValueError, TypeError):
        return str(value).strip()


def message_text(message: email.message.Message, subtype: str = "plain") -> str:
    """The ``text/<subtype>`` parts of a message, decoded with their charset and joined.

    Attached files are left out; a part whose charset is unknown or wrong is
    decoded as UTF-8, else Latin-1.

    Parameters
    ----------
    message : email.message.Message
    subtype : str
        ``"plain"`` (default) or ``"html"``.

    Returns
    -------
    str
        The parts joined by newlines; empty when there is none.

    Examples
    --------
    >>> import email
    >>> message = email.message_from_string(
    ...     "From: Ann <ann@example.org>\\nSubject: =?utf-8?q?Caf=C3=A9?=\\n"
    ...     "Date: Thu, 1 Nov 2001 10:00:00 +0100\\n\\nHello list\\n")
    >>> message_text(message), message_text(message, "html")
    ('Hello list\\n', '')
    """
    parts = []
    for part in _walk(message):
        if part.get_content_maintype() != "text" or part.get_content_subtype() != subtype:
            continue
        if part.get_filename():  # an attached file, not the message
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        parts.append(_decode(payload, part.get_content_charset()))
    return "\n".join(parts)


def _walk(message: email.message.Message):
    """The parts of a message depth first, as :meth:`~email.message.Message.walk` gives
    them, with an explicit stack (``walk`` recurses once per level of nesting)."""
    stack = [message]
    while stack:
        part = stack.pop()
        yield part
        if part.is_multipart():
            stack.extend(reversed(part.get_payload()))


def _decode(payload: bytes, charset: str | None) -> str:
    for candidate in ([charset] if charset else []) + ["utf-8"]:
        try:
            return payload.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("latin-1")


def message_date(message: email.message.Message, assume_tz: str):
    """The ``Date`` header as a UTC :class:`pandas.Timestamp`; None when missing or unreadable.

    Parameters
    ----------
    message : email.message.Message
    assume_tz : str
        IANA zone of a date without an offset.

    Returns
    -------
    pandas.Timestamp or None

    Examples
    --------
    >>> import email
    >>> message = email.message_from_string(
    ...     "From: Ann <ann@example.org>\\nSubject: =?utf-8?q?Caf=C3=A9?=\\n"
    ...     "Date: Thu, 1 Nov 2001 10:00:00 +0100\\n\\nHello list\\n")
    >>> str(message_date(message, "UTC"))
    '2001-11-01 09:00:00+00:00'
    >>> message_date(email.message_from_string("Subject: no date\\n\\nbody\\n"), "UTC") is None
    True

    A two-digit year is read as RFC 5322 says (``01`` -> 2001), but a year
    written with four digits is kept as written: ``0001`` is year 1, which
    no timestamp holds, so the date is unreadable (not 2001):

    >>> message_date(email.message_from_string("Date: Mon, 1 Jan 0001 10:00:00 +0000\\n\\nx"), "UTC") is None
    True
    """
    value = header_text(message, "Date")
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    written = [int(year) for year in _YEAR.findall(value)]
    if written and parsed.year not in written:
        return None   # a year of 3+ digits below 100 (``0001``), which the parser moves to 2001
    try:
        stamp = pd.Timestamp(parsed)
        if stamp.tzinfo is None:
            stamp = stamp.tz_localize(assume_tz, ambiguous="NaT", nonexistent="NaT")
        return None if pd.isna(stamp) else stamp.tz_convert(timezone.utc)
    except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
        return None


#: Numbers of three or more digits in a Date header that are not part of a time
#: (``10:00:00``) or an offset (``+0100``): the year as written.
_YEAR = re.compile(r"(?<![\d:+-])\d{3,}(?![\d:])")


def normalise_address(value: str | None) -> str | None:
    """A sender as a bare lower-case address: ``"Ann <Ann@X.org>"`` and ``"ann at x.org (Ann)"`` -> ``ann@x.org``.

    Parameters
    ----------
    value : str or None
        A ``From`` header (or part of one).

    Returns
    -------
    str or None
        The bare address in lower case (the whole text, stripped and
        lower-cased, when no address is found); None for empty input.

    Examples
    --------
    >>> normalise_address("jjl at pobox.com (John J. Lee)")
    'jjl@pobox.com'
    >>> normalise_address('"Ann" <Ann@Example.ORG>')
    'ann@example.org'
    """
    if not value:
        return None
    value = _OBFUSCATED.sub(r"\1@\2", re.sub(r"\([^()]*\)", " ", value))
    _, address = email.utils.parseaddr(value)
    address = (address or value).strip().strip("<>").lower()
    return address or None


def _record(file: Path, number: int, message, assume_tz: str, repair: bool,
            skipped: SkipCounter) -> dict | None:
    created = message_date(message, assume_tz)
    if created is None:
        if not repair:
            raise errors.SourceError(f"message {number}: missing or unparseable Date "
                                     f"{header_text(message, 'Date')!r}", path=str(file),
                                     line=number, column="Date")
        skipped.add("posts", "unparseable Date")
        return None
    sender = header_text(message, "From")
    subject = header_text(message, "Subject")
    body = message_text(message)
    message_id = _first_id(header_text(message, "Message-ID"))
    generated = message_id is None
    if generated:
        digest = hashlib.sha256("\x1f".join([sender or "", created.isoformat(), subject or "",
                                             body]).encode("utf-8", "surrogatepass"))
        message_id = "generated:" + digest.hexdigest()[:16]
    return {
        "post_id": message_id,
        "in_reply_to": _first_id(header_text(message, "In-Reply-To")),
        "references": _MESSAGE_ID.findall(header_text(message, "References") or ""),
        "author_id": normalise_address(sender),
        "created_at": created,
        "text": body,
        "title": subject,
        "channel": _list_name(message, subject),
        "generated": generated,
    }


def _first_id(value: str | None) -> str | None:
    if not value:
        return None
    found = _MESSAGE_ID.search(value)
    return found.group(0) if found else (value.split()[0] if value.split() else None)


def _list_name(message, subject: str | None) -> str | None:
    list_id = header_text(message, "List-Id")
    if list_id:
        found = _LIST_ID.search(list_id)
        return found.group(1) if found else list_id
    found = _SUBJECT_TAG.match(subject or "")
    return found.group(1).strip() if found else None


def _parents(posts: pd.DataFrame) -> pd.Series:
    """In-Reply-To if in the archive, else the last References id in the archive, else null."""
    known = set(posts["post_id"])
    parents = []
    for own, reply_to, references in zip(posts["post_id"], posts["in_reply_to"], posts["references"]):
        candidates = ([reply_to] if reply_to else []) + list(reversed(references))
        parents.append(next((c for c in candidates if c in known and c != own), None))
    return pd.Series(parents, dtype="str")


def _threads(posts: pd.DataFrame) -> pd.Series:
    """The root of each message's chain of parents (pointer doubling, vectorised).

    A message whose chain never reaches a root (a reply cycle) keeps itself as
    its thread; validation then reports or quarantines it.
    """
    n = len(posts)
    parent = pd.Index(posts["post_id"]).get_indexer(posts["parent_id"].fillna(""))
    parent = np.where(posts["parent_id"].isna().to_numpy() | (parent < 0), -1, parent)
    up = np.where(parent < 0, np.arange(n), parent)
    for _ in range(int(np.ceil(np.log2(n + 1))) + 1):
        up = up[up]
    cycles = schema.cycle_mask(parent)
    root = np.where(cycles, np.arange(n), up)
    return pd.Series(posts["post_id"].to_numpy()[root] if n else [], dtype="str")


def clean_body(text: pd.Series, strip_quotes: bool) -> pd.Series:
    """Remove pipermail's scrubbed-attachment notices and, optionally, quotes and attributions.

    Parameters
    ----------
    text : pandas.Series
        Message bodies.
    strip_quotes : bool
        Also remove quoted lines and the attribution lines above them.

    Returns
    -------
    pandas.Series

    Examples
    --------
    >>> clean_body(pd.Series(["On Mon, Ann wrote:\\n> hi\\nHello"]), strip_quotes=True).tolist()
    ['Hello']
    """
    text = text.str.replace("\r\n", "\n", regex=False).str.replace(_SCRUBBED, "", regex=True)
    if strip_quotes:
        text = (text.str.replace(_ATTRIBUTION, "", regex=True)
                .str.replace(_WROTE_BEFORE_QUOTE, "", regex=True)
                .str.replace(_QUOTED, "", regex=True))
    return text.str.strip()
