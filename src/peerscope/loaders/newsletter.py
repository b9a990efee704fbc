"""Peer-written newsletters -> the ``newsletter_items`` table of a :class:`~peerscope.Corpus`.

Peer newsletters are "made up mainly of members' contributions" (docs/concepts.md,
"Newsletters"): the measures that matter are who contributed to which issue,
and when.  This loader reads a newsletter kept as

* a folder with one file per issue (``.md``, ``.txt``, ``.html``/``.htm``), or
* an mbox file (or folder of mbox files) in which each message is an issue.

Issues
------
``issue_id`` is the file name without its suffix (or the ``Message-ID`` of a
mailed issue; with ``pseudonymise``, its keyed pseudonym, since a
Message-ID names the sender's host and often holds the address).  ``published_at`` comes, in this order, from the file name
(``2024-03.md`` -> 1 March 2024, ``2024-03-15-issue-12.txt`` -> 15 March; or
the ``date`` group of ``issue_pattern``), a ``date:`` line in front matter
(between ``---`` lines at the top), or a date in the first non-empty line
(``# Peer Voices, March 2024``, ``15 March 2024``, ``2024-03-15``); for
mailed issues, the message's ``Date``.  Dates without a time are midnight
UTC.  An issue whose date cannot be found raises
:class:`~peerscope.errors.SourceError` naming the file; with ``repair=True``
its items are skipped and counted as ``no issue date``.

Items
-----
Markdown is split on headings: on ``##`` when the issue has any (a ``#``
heading is then the issue's title, not an item), else on ``#``.  HTML is
split on ``<h2>`` (on ``<h1>`` when it has no ``<h2>``).  Plain text is
split on rule lines (a line of three or more ``-``, ``*``, ``=`` or ``_``
after a blank line) and on underlined titles (a line directly followed by
such a rule).  Text before the first heading becomes an item of its own
when it holds more than a title.  Empty items are not items.  An issue
with no item at all (a masthead or title alone) is counted in the row
accounting as one skipped row, :data:`SKIP_NO_ITEMS`.

Contributors
------------
A line of its own reading ``by NAME`` or ``— NAME`` (also ``– NAME``, ``--
NAME``) names the contributor: it becomes ``author_id`` (whitespace
collapsed) and is removed from the item's text.  Items without such a line,
and items signed by staff (``staff=`` names, and "editor", "the editors",
"staff", "anonymous", ... by default, case-insensitive), have a null
``author_id``: staff or unknown, as the schema defines.

A corpus needs a ``posts`` table; a newsletter has none, so ``posts`` is
empty (with its columns) and there is no roster.
"""

from __future__ import annotations

import hashlib
import html.parser
import os
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from peerscope import errors, privacy

from peerscope.corpus import schema
from peerscope.corpus import Corpus
from peerscope.loaders.build import SkipCounter, build_corpus
from peerscope.loaders.mbox import header_text, message_date, message_text, read_messages

__all__ = ["SKIP_NO_ITEMS", "SKIP_REPEATED_ISSUE", "STAFF_NAMES", "SUFFIXES", "contributor", "newsletter", "split_items"]

#: Skip reason of an issue that holds no item (a masthead or title alone): one row per issue.
SKIP_NO_ITEMS = "issue without items (masthead or title only)"
#: Skip reason of a mailed issue whose Message-ID an earlier message had (archives repeat messages);
#: its items are counted, as the mbox loader counts repeated posts.
SKIP_REPEATED_ISSUE = "duplicate Message-ID"
SUFFIXES = {".md": "md", ".markdown": "md", ".txt": "txt", ".html": "html", ".htm": "html"}
#: Signatures that mean "written by the newsletter's staff", not by a member.
STAFF_NAMES = frozenset({"editor", "the editor", "editors", "the editors", "staff",
                         "the team", "editorial team", "the editorial team", "anonymous", "anon"})
_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|"
           "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
_FILE_DATE = re.compile(r"(?<!\d)(?P<date>\d{4}-\d{2}(?:-\d{2})?)(?!\d)")
_DATES = (
    re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2}|\d{4}-\d{2})(?![\d-])"),
    re.compile(rf"\b(\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\.?,?\s+\d{{4}})\b", re.IGNORECASE),
    re.compile(rf"\b((?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})\b", re.IGNORECASE),
    re.compile(rf"\b((?:{_MONTHS})\.?,?\s+\d{{4}})\b", re.IGNORECASE),
)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.DOTALL)
_NAME = r"([^\W\d_][\w.'’ -]{0,60}?)"
_BYLINE = re.compile(rf"^[ \t*_]*(?:by|By|BY)\s+{_NAME}[ \t*_.]*$|^[ \t*_]*(?:—|–|--)\s*{_NAME}[ \t*_.]*$",
                     re.MULTILINE)
_RULE = re.compile(r"^[ \t]*([-*=_])(?:[ \t]*\1){2,}[ \t]*$")


def newsletter(source: str | os.PathLike, *, newsletter: str | None = None, name: str | None = None,
               issue_pattern: str | None = None, staff: Iterable[str] = (), repair: bool = False,
               pseudonymise: str | None = None, scrub_pii: bool = False) -> Corpus:
    """Import a newsletter: a folder of issue files, or an mbox of mailed issues.

    Parameters
    ----------
    source : path-like
        A folder of ``.md`` / ``.txt`` / ``.html`` issues, or an mbox file
        (a folder without issue files is read as mbox files).
    newsletter : str, optional
        The newsletter's name (default: the folder or file name).
    name : str, optional
        Corpus name (default: the folder or file name).
    issue_pattern : str, optional
        A regular expression searched in each file name, with a group
        ``date`` (``YYYY-MM`` or ``YYYY-MM-DD``) and optionally a group
        ``issue`` (the issue id), for names the default rule cannot read.
    staff : iterable of str
        Names that sign staff items (their ``author_id`` is null), in
        addition to :data:`STAFF_NAMES`.
    repair : bool
        Skip issues without a date (their items counted) instead of raising.
    pseudonymise : str, optional
        Secret salt of at least 16 characters: contributor names, and the
        issue and item ids of mailed issues (Message-IDs), become keyed
        hashes.
    scrub_pii : bool
        Replace e-mail addresses, URLs and phone numbers in item text and
        titles with placeholders.

    Returns
    -------
    Corpus
        ``newsletter_items``, and an empty ``posts`` table.

    Raises
    ------
    peerscope.errors.SourceError
        No such source, an unreadable file, or (without ``repair``) an issue
        without a date.
    peerscope.errors.PeerscopeError
        ``issue_pattern`` is not a valid regular expression (the message
        names the option and the regex error).

    Examples
    --------
    >>> corpus = newsletter("peer-voices/")                   # doctest: +SKIP
    >>> corpus.newsletter_items()[["issue_id", "author_id"]]   # doctest: +SKIP
    """
    pseudonymise = privacy.check_salt(pseudonymise)
    path = Path(source)
    if not path.exists():
        raise errors.SourceError("no such file or folder", path=str(path))
    newsletter = newsletter or (path.stem if path.is_file() else path.name)
    pattern = _issue_pattern(issue_pattern)
    staff_names = STAFF_NAMES | {s.strip().lower() for s in staff}
    skipped = SkipCounter()
    issue_files = sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES) if path.is_dir() else []
    issues = (_file_issues(issue_files, pattern) if issue_files else _mailed_issues(path, pseudonymise))
    rows = []
    seen = set()
    for issue_id, published, title, kind, body, where in issues:
        items = split_items(body, kind)
        if not items:     # a masthead or title alone: read, and counted as left out
            skipped.add("newsletter_items", SKIP_NO_ITEMS)
            continue
        if issue_id in seen:
            skipped.add("newsletter_items", SKIP_REPEATED_ISSUE, len(items))
            continue
        seen.add(issue_id)
        if published is None:
            if not repair:
                raise errors.SourceError("no issue date in the file name, front matter or first line",
                                         path=where)
            skipped.add("newsletter_items", "no issue date", len(items))
            continue
        for number, (item_title, text) in enumerate(items, start=1):
            author, text = contributor(text, staff_names)
            rows.append({"item_id": f"{issue_id}#{number}", "issue_id": issue_id,
                         "newsletter": newsletter, "published_at": published,
                         "author_id": author, "text": text, "title": item_title})
    items = pd.DataFrame(rows, columns=["item_id", "issue_id", "newsletter", "published_at",
                                        "author_id", "text", "title"])
    items["published_at"] = pd.to_datetime(items["published_at"], utc=True).astype("datetime64[us, UTC]")
    return build_corpus(schema.empty_frame(schema.POSTS), newsletter_items=items, name=name,
                        source=path, source_format="newsletter", loader=__name__,
                        parameters={"newsletter": newsletter, "issue_pattern": issue_pattern,
                                    "staff": sorted(set(staff))},
                        skipped=skipped, repair=repair, roster=False, assume_tz="UTC",
                        pseudonymise=pseudonymise, scrub_pii=scrub_pii)


# ---------------------------------------------------------------------------
# Issues
# ---------------------------------------------------------------------------

def _issue_pattern(issue_pattern: str | None) -> re.Pattern:
    """``issue_pattern`` compiled (the default rule when None); a bad one raises naming the option."""
    if not issue_pattern:
        return _FILE_DATE
    if not isinstance(issue_pattern, str):
        raise errors.PeerscopeError(f"issue_pattern must be a regular expression (text), "
                                    f"not {type(issue_pattern).__name__}")
    try:
        pattern = re.compile(issue_pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        raise errors.PeerscopeError(f"issue_pattern {issue_pattern!r} is not a valid regular "
                                    f"expression: {exc}") from None
    return pattern


def _file_issues(files: list[Path], pattern: re.Pattern):
    for file in files:
        try:
            text = file.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            text = file.read_bytes().decode("latin-1")
        except OSError as exc:
            raise errors.SourceError(f"cannot read: {exc}", path=str(file)) from None
        text = text.replace("\r\n", "\n")
        kind = SUFFIXES[file.suffix.lower()]
        found = pattern.search(file.name)
        issue_id = file.stem
        published = None
        if found:
            groups = found.groupdict()
            published = _date(groups.get("date") or found.group(0))
            issue_id = groups.get("issue") or issue_id
        front = _FRONT_MATTER.match(text)
        if front:
            text = text[front.end():]
            if published is None:
                date_line = re.search(r"^date:\s*['\"]?([^'\"\n]+)", front.group(1), re.MULTILINE)
                published = _date(date_line.group(1)) if date_line else None
        if published is None:
            published = _first_line_date(_html_text(text) if kind == "html" else text)
        yield issue_id, published, None, kind, text, str(file)


def _mailed_issues(path: Path, salt: str | None = None):
    for file, number, message in read_messages(path):
        issue_id = header_text(message, "Message-ID")
        if not issue_id:
            digest = hashlib.sha256(f"{file.name}:{number}".encode()).hexdigest()[:16]
            issue_id = f"generated:{digest}"
        elif salt is not None:  # a Message-ID holds the sender's host and often the address
            issue_id = privacy.pseudonym(issue_id, salt)
        body, kind = message_text(message), "txt"
        if not body.strip():
            body, kind = message_text(message, "html"), "html"
        elif re.search(r"^#{1,2} ", body, re.MULTILINE):
            kind = "md"
        yield (issue_id, message_date(message, "UTC"), header_text(message, "Subject"), kind, body,
               f"{file} (message {number})")


def _date(value: str) -> pd.Timestamp | None:
    """A date written as ISO (``2024-03``, ``2024-03-15``) or with a month name; None if not one."""
    value = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", value.strip(), flags=re.IGNORECASE).replace(",", " ")
    formats = ("%Y-%m-%d", "%Y-%m", "%d %B %Y", "%d %b %Y", "%B %d %Y", "%b %d %Y", "%B %Y", "%b %Y")
    value = " ".join(value.replace(".", " ").split()) if not re.match(r"^\d{4}-", value) else value
    for fmt in formats:
        try:
            return pd.Timestamp(pd.to_datetime(value, format=fmt)).tz_localize("UTC")
        except (ValueError, TypeError):
            continue
    return None


def _first_line_date(text: str) -> pd.Timestamp | None:
    line = next((line for line in text.splitlines() if line.strip()), "")
    for expression in _DATES:
        found = expression.search(line)
        if found:
            return _date(found.group(1))
    return None


# ---------------------------------------------------------------------------
# Items
# ---------------------------------------------------------------------------

def split_items(body: str, kind: str) -> list[tuple[str | None, str]]:
    """Split one issue into ``(title, text)`` items; see the module docstring for the rules.

    Parameters
    ----------
    body : str
        The text of one issue.
    kind : str
        Its format: ``"html"``, ``"md"``, or anything else for plain text;
        it sets how item headings are found.

    Returns
    -------
    list of tuple of (str or None, str)
        ``(title, text)`` per item, in order.

    Examples
    --------
    >>> split_items("# May issue\\n\\n## Walking helps\\nby Ann Lee\\nI walk.\\n## Notices\\nAGM soon", "md")
    [('Walking helps', 'by Ann Lee\\nI walk.'), ('Notices', 'AGM soon')]
    """
    if kind == "html":
        sections = _html_sections(body)
    elif kind == "md":
        sections = _markdown_sections(body)
    else:
        sections = _text_sections(body)
    return [(title, text) for title, text in ((t, x.strip()) for t, x in sections) if text or title]


def _markdown_sections(body: str) -> list[tuple[str | None, str]]:
    level = "##" if re.search(r"^##[ \t]", body, re.MULTILINE) else "#"
    heading = re.compile(rf"^{level}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
    if level == "##":
        body = re.sub(r"^#[ \t].*$", "", body, flags=re.MULTILINE)
    sections, start, title = [], 0, None
    for found in heading.finditer(body):
        sections.append((title, body[start:found.start()]))
        title, start = found.group(1).strip(), found.end()
    sections.append((title, body[start:]))
    if sections and sections[0][0] is None and _only_title(sections[0][1]):
        sections = sections[1:]
    return sections


def _text_sections(body: str) -> list[tuple[str | None, str]]:
    lines = body.split("\n")
    sections: list[tuple[str | None, list[str]]] = [(None, [])]
    for i, line in enumerate(lines):
        if _RULE.match(line):
            previous = lines[i - 1].strip() if i else ""
            if previous and sections[-1][1] and sections[-1][1][-1].strip() == previous:
                sections[-1][1].pop()
                sections.append((previous, []))          # underlined title
            else:
                sections.append((None, []))              # separator
            continue
        sections[-1][1].append(line)
    result = []
    for title, text_lines in sections:
        text = "\n".join(text_lines).strip()
        if title is None:
            parts = text.split("\n", 1)
            if len(parts) == 2 and len(parts[0]) <= 80 and parts[1].startswith("\n"):
                title, text = parts[0].strip(), parts[1]
        result.append((title, text))
    if result and _only_title(result[0][1]) and result[0][0] is None:
        result = result[1:]
    return result


def _only_title(text: str) -> bool:
    return len([line for line in text.splitlines() if line.strip()]) <= 1 and len(text.strip()) <= 120


class _HTMLSections(html.parser.HTMLParser):
    """Text of an HTML issue, cut at headings of one level."""

    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "pre"}

    def __init__(self, level: str):
        super().__init__(convert_charrefs=True)
        self.level = level
        self.sections: list[list] = [[None, []]]
        self.in_heading = False
        self.heading: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        elif tag == self.level:
            self.in_heading, self.heading = True, []
        elif tag in self.BLOCKS:
            self.sections[-1][1].append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag == self.level and self.in_heading:
            self.in_heading = False
            self.sections.append([" ".join("".join(self.heading).split()), []])
        elif tag in self.BLOCKS:
            self.sections[-1][1].append("\n")

    def handle_data(self, data):
        if self.skip:
            return
        (self.heading if self.in_heading else self.sections[-1][1]).append(data)


def _html_sections(body: str) -> list[tuple[str | None, str]]:
    level = "h2" if re.search(r"<h2\b", body, re.IGNORECASE) else "h1"
    parser = _HTMLSections(level)
    parser.feed(body)
    parser.close()
    sections = [(title, re.sub(r"\n[ \t]*\n(\s*\n)+", "\n\n", "".join(parts)).strip())
                for title, parts in parser.sections]
    first_title, first_text = sections[0]
    if first_title is None and _only_title(re.sub(r"\s+", " ", first_text)):
        sections = sections[1:]
    return sections


def _html_text(body: str) -> str:
    return "\n".join(text for _, text in _html_sections(body) if text) or ""


def contributor(text: str, staff_names: frozenset[str] = STAFF_NAMES) -> tuple[str | None, str]:
    """The contributor named on a by-line of the item, and the text without that line.

    Parameters
    ----------
    text : str
        The item's text.
    staff_names : frozenset of str
        By-line names that mean staff (no member contributor).

    Returns
    -------
    tuple of (str or None, str)
        The contributor's name (None for none or staff) and the text without the by-line.

    Examples
    --------
    >>> contributor("I walk every day.\\n— Ann  Lee")
    ('Ann Lee', 'I walk every day.')
    >>> contributor("by the Editors\\nAGM on Friday")
    (None, 'AGM on Friday')
    """
    found = _BYLINE.search(text)
    if not found:
        return None, text
    author = " ".join((found.group(1) or found.group(2)).split()).strip(" .")
    text = (text[:found.start()] + text[found.end():]).strip()
    if author.lower() in staff_names:
        return None, text
    return author, text
