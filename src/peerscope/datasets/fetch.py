"""Public data a peer-support researcher uses, downloaded in one call, cached and verified.

:func:`fetch` downloads one source of the registry (:data:`SOURCES`, and the
families :func:`source` understands) into a cache folder and returns the
path of the file.  peerscope never downloads anything on its own: only a
call to :func:`fetch` goes to the network, and a file already in the cache
is returned without a request.

What :func:`fetch` does, like ConvoKit's ``download()`` but verified:

- **cached**: under ``cache_dir``, by default the ``PEERSCOPE_CACHE``
  environment variable or else the user cache folder (:func:`cache_folder`),
  one sub-folder per family (``stackexchange/``, ``convokit/``, ...);
- **resumable**: bytes arrive in ``<file>.part``; after a network failure
  the next call asks the server for the rest only (an HTTP ``Range``
  request), and starts again when the server ignores ranges;
- **verified**: the size, and the SHA-256 where the registry knows it,
  are checked before ``<file>.part`` becomes ``<file>``; a bad file is
  deleted and a :class:`~peerscope.errors.PeerscopeError` says why.  Where
  the registry cannot know a hash (a file that its publisher may replace,
  or that was never hashed in public), the entry says so in its ``note``
  and only the size is checked: the registry's size when known, else the
  length the server announced;
- **a progress bar** (``tqdm.auto``, so a widget in Jupyter).

The sources (see each entry's ``licence`` before use; most forbid
redistribution of the text or require attribution):

``stackexchange/<site>``
    A Stack Exchange data dump from archive.org's ``stackexchange`` item,
    e.g. ``stackexchange/quantumcomputing`` or
    ``stackexchange/health.stackexchange.com``: one ``.7z`` archive of the
    site's XML files (extract it, then :func:`peerscope.loaders.stackexchange`).
``convokit/<corpus>``
    A ConvoKit corpus by its ConvoKit name (:data:`CONVOKIT_CORPORA`),
    or ``convokit/subreddit-<name>`` for one subreddit of ConvoKit's Reddit
    collection (e.g. ``convokit/subreddit-depression``); a ``.zip`` to
    extract, then :func:`peerscope.loaders.convokit`.
``claff-offmychest/train``, ``claff-offmychest/test``
    The CL-Aff "Get it #OffMyChest" shared task's labelled sentences.
``esconv``
    The ESConv emotional-support conversations.

>>> sorted(SOURCES)
['claff-offmychest/test', 'claff-offmychest/train', 'esconv']
>>> source("stackexchange/quantumcomputing").url
'https://archive.org/download/stackexchange/quantumcomputing.stackexchange.com.7z'
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from peerscope import __version__, errors

__all__ = ["CACHE_ENV", "CONVOKIT_BASE", "CONVOKIT_CORPORA", "SOURCES", "STACKEXCHANGE_BASE", "Source",
           "cache_folder", "fetch", "source"]

#: Environment variable naming the cache folder (overrides the user cache folder).
CACHE_ENV = "PEERSCOPE_CACHE"
#: Where archive.org keeps the Stack Exchange dumps, one ``<site>.7z`` per site.
STACKEXCHANGE_BASE = "https://archive.org/download/stackexchange/"
#: Where ConvoKit keeps its corpora (as in ConvoKit's ``download_config.json``).
CONVOKIT_BASE = "https://zissou.infosci.cornell.edu/convokit/datasets/"
#: Bytes read per step of a download.
_CHUNK = 1 << 20
_NO_HASH = ("no SHA-256 is published for this file and its publisher may replace it, so only its size is "
            "checked")


@dataclass(frozen=True)
class Source:
    """One downloadable file of the registry.

    Attributes
    ----------
    name : str
        What :func:`fetch` is called with.
    url : str
        Where the file is downloaded from.
    filename : str
        Its path inside the cache folder.
    licence : str
        The licence of the data, as its publisher states it.
    description : str
        What the file holds.
    homepage : str
        Where the data and its terms are described.
    size : int or None
        Its size in bytes, when known; else the length the server announces
        is checked.
    sha256 : str or None
        Its SHA-256 in hex, when known; never guessed.
    note : str
        What is not known about the file (for instance why it has no hash).

    Examples
    --------
    >>> entry = SOURCES["esconv"]
    >>> entry.licence, entry.sha256 is None
    ('CC BY-NC 4.0', True)
    """

    name: str
    url: str
    filename: str
    licence: str
    description: str
    homepage: str
    size: int | None = None
    sha256: str | None = None
    note: str = ""


_CLAFF = "https://raw.githubusercontent.com/kj2013/claff-offmychest/HEAD/data/"
_CLAFF_HOME = "https://github.com/kj2013/claff-offmychest"

#: The fixed entries of the registry, by name.
SOURCES: dict[str, Source] = {
    "claff-offmychest/train": Source(
        "claff-offmychest/train", _CLAFF + "training%20data/labeled_training_set.csv",
        "claff-offmychest/labeled_training_set.csv", "CC BY 4.0",
        "CL-Aff 'Get it #OffMyChest' (AffCon @ AAAI 2020): sentences of top comments in r/offmychest and "
        "r/CasualConversation labelled for emotional and informational support and disclosure; training set",
        _CLAFF_HOME, note=_NO_HASH + " (read from the repository's default branch)."),
    "claff-offmychest/test": Source(
        "claff-offmychest/test", _CLAFF + "test%20data/labeled_test_set.csv",
        "claff-offmychest/labeled_test_set.csv", "CC BY 4.0",
        "CL-Aff 'Get it #OffMyChest': the labelled test set", _CLAFF_HOME,
        note=_NO_HASH + " (read from the repository's default branch)."),
    "esconv": Source(
        "esconv", "https://raw.githubusercontent.com/thu-coai/Emotional-Support-Conversation/HEAD/ESConv.json",
        "esconv/ESConv.json", "CC BY-NC 4.0",
        "ESConv emotional-support conversations (Liu et al., ACL 2021), with the supporters' strategies",
        "https://github.com/thu-coai/Emotional-Support-Conversation",
        note=_NO_HASH + " (read from the repository's default branch)."),
}

#: ConvoKit corpora :func:`fetch` knows by name (``convokit/<name>``), with their file under
#: :data:`CONVOKIT_BASE`; ``convokit/subreddit-<name>`` is found through ConvoKit's list of groupings.
CONVOKIT_CORPORA = {
    "reddit-corpus-small": "subreddit-corpus/reddit-corpus-small.corpus.zip",
    "reddit-coarse-discourse-corpus": "reddit-coarse-discourse-corpus/reddit-coarse-discourse-corpus.zip",
    "conversations-gone-awry-cmv-corpus":
        "conversations-gone-awry-cmv-corpus/conversations-gone-awry-cmv-corpus.zip",
    "winning-args-corpus": "winning-args-corpus/winning-args-corpus.zip",
    "persuasionforgood-corpus": "persuasionforgood-corpus/persuasionforgood.zip",
    "stack-exchange-politeness-corpus":
        "stack-exchange-politeness-corpus/stack-exchange-politeness-corpus.zip",
}

_STACKEXCHANGE_LICENCE = ("CC BY-SA (3.0 for content posted before 2 May 2018, 4.0 after); attribute the "
                          "authors and the site")
_CONVOKIT_HOME = "https://convokit.cornell.edu/documentation/datasets.html"


def source(name: str, *, cache_dir=None, progress: bool | None = None) -> Source:
    """The registry entry of ``name``: a fixed entry of :data:`SOURCES` or one of a family.

    ``convokit/subreddit-<name>`` needs ConvoKit's list of which folder holds
    which subreddit: it is fetched (once, into the cache) through
    :func:`fetch`, so only this family may go to the network here.

    Parameters
    ----------
    name : str
        ``stackexchange/<site>``, ``convokit/<corpus>``, or a key of :data:`SOURCES`.
    cache_dir, progress
        As for :func:`fetch` (used only for the list of subreddit folders).

    Returns
    -------
    Source

    Raises
    ------
    peerscope.errors.PeerscopeError
        For a name the registry does not know (the message lists the known ones).

    Examples
    --------
    >>> source("convokit/reddit-corpus-small").filename
    'convokit/reddit-corpus-small.corpus.zip'
    >>> source("stackexchange/health.stackexchange.com").filename
    'stackexchange/health.stackexchange.com.7z'
    """
    if name in SOURCES:
        return SOURCES[name]
    family, _, rest = name.partition("/")
    if family == "stackexchange" and rest and "/" not in rest:
        if rest in ("stackoverflow.com", "stackoverflow"):
            raise errors.PeerscopeError("stackexchange/stackoverflow: Stack Overflow's dump is split into "
                                        "one archive per table of about 100 GB together; download the "
                                        "parts you need from " + STACKEXCHANGE_BASE)
        site = rest if "." in rest else f"{rest}.stackexchange.com"
        return Source(name, STACKEXCHANGE_BASE + urllib.parse.quote(site) + ".7z", f"stackexchange/{site}.7z",
                      _STACKEXCHANGE_LICENCE, f"Stack Exchange data dump of {site} (XML files in a 7z archive)",
                      "https://archive.org/details/stackexchange",
                      note="Stack Exchange replaces the dump with each release and archive.org lists only MD5 "
                           "and SHA-1 sums for it, no SHA-256, so only the length the server announces is "
                           "checked.")
    if family == "convokit" and rest in CONVOKIT_CORPORA:
        path = CONVOKIT_CORPORA[rest]
        return Source(name, CONVOKIT_BASE + path, f"convokit/{path.rsplit('/', 1)[1]}",
                      "varies by corpus: see the corpus's ConvoKit page", f"ConvoKit corpus {rest}",
                      _CONVOKIT_HOME, note="ConvoKit publishes no SHA-256 and versions its corpora in place, "
                                           "so only the length the server announces is checked.")
    if family == "convokit" and rest.startswith("subreddit-") and len(rest) > len("subreddit-"):
        return _subreddit(name, rest[len("subreddit-"):], cache_dir, progress)
    known = sorted(SOURCES) + ["stackexchange/<site>", "convokit/subreddit-<name>"] + \
        [f"convokit/{corpus}" for corpus in CONVOKIT_CORPORA]
    raise errors.PeerscopeError(f"fetch: no public source named {name!r}; known: {', '.join(known)}")


def _subreddit(name: str, subreddit: str, cache_dir, progress) -> Source:
    """The Source of one subreddit of ConvoKit's Reddit collection, found in its list of folders."""
    groupings = Source("convokit/subreddit-groupings", CONVOKIT_BASE + "subreddit-corpus/subreddit-groupings.txt",
                       "convokit/subreddit-groupings.txt", "as the ConvoKit Reddit collection",
                       "Which folder of ConvoKit's Reddit collection holds which subreddits", _CONVOKIT_HOME,
                       note="A small list that ConvoKit may extend; only its announced length is checked.")
    for line in _download(groupings, _cache_root(cache_dir), progress).read_text(encoding="utf-8").splitlines():
        low, _, high = line.strip().partition("~-~")
        if low <= subreddit <= high:
            return Source(name, f"{CONVOKIT_BASE}subreddit-corpus/corpus-zipped/{urllib.parse.quote(line.strip())}/"
                                f"{urllib.parse.quote(subreddit)}.corpus.zip",
                          f"convokit/subreddit-{subreddit}.corpus.zip",
                          "Reddit content, as redistributed by ConvoKit from Pushshift: see ConvoKit's page",
                          f"ConvoKit corpus of r/{subreddit}, from its start to October 2018",
                          "https://convokit.cornell.edu/documentation/subreddit.html",
                          note="ConvoKit publishes no SHA-256, so only the length the server announces is "
                               "checked.")
    raise errors.PeerscopeError(f"fetch: ConvoKit's Reddit collection has no folder for r/{subreddit} "
                                f"(names are case-sensitive, as on Reddit)")


def cache_folder() -> Path:
    """The default cache folder: ``$PEERSCOPE_CACHE``, else the user cache folder of the platform.

    ``~/.cache/peerscope`` on Linux (or ``$XDG_CACHE_HOME/peerscope``),
    ``~/Library/Caches/peerscope`` on macOS, ``%LOCALAPPDATA%\\peerscope\\Cache``
    on Windows.

    Examples
    --------
    >>> import os
    >>> before = os.environ.get("PEERSCOPE_CACHE")
    >>> os.environ["PEERSCOPE_CACHE"] = "/tmp/my-cache"
    >>> cache_folder() == Path("/tmp/my-cache")
    True
    >>> _ = os.environ.pop("PEERSCOPE_CACHE") if before is None else os.environ.update(PEERSCOPE_CACHE=before)
    """
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "peerscope" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "peerscope"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "peerscope"


def _cache_root(cache_dir) -> Path:
    return Path(cache_dir).expanduser() if cache_dir is not None else cache_folder()


def fetch(name: str, cache_dir=None, progress: bool | None = None) -> Path:
    """Download a public source into the cache (once), verify it, and return its path.

    A file already in the cache is returned without a request (its size is
    checked again when the registry knows it; it was verified when it was
    written).  Otherwise the file is downloaded into ``<file>.part``,
    resuming a partial download with an HTTP ``Range`` request, checked
    against the registry's size and SHA-256 (where known; else against the
    length the server announced) and moved into place.

    Parameters
    ----------
    name : str
        A source: ``stackexchange/<site>``, ``convokit/<corpus>``,
        ``convokit/subreddit-<name>``, or a key of :data:`SOURCES` (see the
        module docstring).
    cache_dir : path-like, optional
        The cache folder; default :func:`cache_folder` (``$PEERSCOPE_CACHE``
        or the user cache folder).
    progress : bool, optional
        Show a ``tqdm.auto`` bar (a widget in Jupyter); default: when
        stderr is a terminal or the code runs in a Jupyter kernel.

    Returns
    -------
    pathlib.Path
        The downloaded file (an archive is not extracted).

    Raises
    ------
    peerscope.errors.PeerscopeError
        For an unknown name; when the server cannot be reached or answers
        with an error, or the connection drops (the bytes received stay in
        ``<file>.part`` and the next call resumes); or when the file's size
        or SHA-256 is not the expected one (the file is deleted).

    Examples
    --------
    Served here from a local folder (a real call names a source and needs
    the network once):

    >>> import hashlib, pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "posts.csv").write_bytes(b"post_id,text\\n1,hello\\n")
    >>> SOURCES["example"] = Source("example", (folder / "posts.csv").as_uri(), "example/posts.csv", "CC0",
    ...     "a tiny file", "", size=21, sha256=hashlib.sha256(b"post_id,text\\n1,hello\\n").hexdigest())
    >>> path = fetch("example", cache_dir=folder / "cache", progress=False)
    >>> path.relative_to(folder).as_posix(), path.read_text().splitlines()[1]
    ('cache/example/posts.csv', '1,hello')
    >>> del SOURCES["example"]
    """
    root = _cache_root(cache_dir)
    return _download(source(name, cache_dir=root, progress=progress), root, progress)


def _show_progress(progress: bool | None) -> bool:
    if progress is None:
        return sys.stderr.isatty() or "ipykernel" in sys.modules
    return bool(progress)


def _download(entry: Source, root: Path, progress: bool | None) -> Path:
    """``entry``'s file in the cache under ``root``: taken from the cache, or downloaded and verified."""
    target = root / entry.filename
    if target.is_file():
        if entry.size is None or target.stat().st_size == entry.size:
            return target
        target.unlink()  # not what the registry describes (an older release, or damaged): download again
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    expected = _receive(entry, part, _show_progress(progress))
    _verify(entry, part, expected)
    os.replace(part, target)
    return target


def _receive(entry: Source, part: Path, progress: bool) -> int | None:
    """Append the missing bytes of ``entry`` to ``part``; the full length the server announced, if any."""
    offset = part.stat().st_size if part.is_file() else 0
    if entry.size is not None and offset >= entry.size:
        return entry.size  # a complete (or too long) part file: verify it without a request
    headers = {"User-Agent": f"peerscope/{__version__}"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(entry.url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=60)
    except urllib.error.HTTPError as error:
        if error.code == 416 and offset:  # nothing left to send: the part file is whole
            return entry.size
        raise errors.PeerscopeError(f"fetch {entry.name}: {entry.url} answered HTTP {error.code} "
                                    f"{error.reason}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise errors.PeerscopeError(f"fetch {entry.name}: cannot reach {entry.url} ({reason})"
                                    + _resume_hint(part, offset)) from None
    with response:
        resumed = offset and getattr(response, "status", 200) == 206
        if not resumed:
            offset = 0  # a fresh download, or a server that ignored the Range request
        length = response.headers.get("Content-Length")
        expected = offset + int(length) if length and length.isdigit() else None
        bar = tqdm(total=expected, initial=offset, unit="B", unit_scale=True, unit_divisor=1024,
                   desc=entry.name, disable=not progress)
        try:
            with open(part, "ab" if resumed else "wb") as out, bar:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    bar.update(len(chunk))
        except (OSError, http.client.HTTPException) as error:
            raise errors.PeerscopeError(f"fetch {entry.name}: the download from {entry.url} broke off ({error})"
                                        + _resume_hint(part, part.stat().st_size)) from None
    received = part.stat().st_size
    if expected is not None and received < expected:
        raise errors.PeerscopeError(f"fetch {entry.name}: the download from {entry.url} broke off after "
                                    f"{received:,} of {expected:,} bytes" + _resume_hint(part, received))
    return expected


def _resume_hint(part: Path, kept: int) -> str:
    return f"; {kept:,} bytes kept in {part}, call fetch again to resume" if kept else ""


def _verify(entry: Source, part: Path, announced: int | None) -> None:
    """Check the size and, where known, the SHA-256 of a finished download; delete a bad one."""
    size = part.stat().st_size
    expected = entry.size if entry.size is not None else announced
    if expected is not None and size != expected:
        whole = size > expected or size == announced  # more than expected, or all the server has
        if whole:
            part.unlink()
        raise errors.PeerscopeError(
            f"fetch {entry.name}: got {size:,} bytes, expected {expected:,}"
            + (" (the file was deleted: the server's file is not the one the registry describes)" if whole
               else _resume_hint(part, size)))
    if entry.sha256 is not None:
        digest = hashlib.sha256()
        with open(part, "rb") as handle:
            while block := handle.read(_CHUNK):
                digest.update(block)
        if digest.hexdigest() != entry.sha256.lower():
            part.unlink()
            raise errors.PeerscopeError(f"fetch {entry.name}: SHA-256 {digest.hexdigest()} is not the expected "
                                        f"{entry.sha256} (the file was deleted; call fetch again, and report "
                                        f"it if it persists)")
