"""Corpus folders on object storage (an fsspec URL and its file system) and local folders, checked."""

from __future__ import annotations


import posixpath
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any


from peerscope import errors

from peerscope.corpus import partition as partitioning
from peerscope.corpus._manifest import MANIFEST, QUARANTINE_DIR, _parse_manifest


#: A URL of an fsspec file system: ``s3://...``, ``memory://...`` (a scheme of
#: two or more characters, so a Windows drive letter is not one).
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")


@dataclass(frozen=True)
class RemoteFolder:
    """A saved corpus on object storage (or any fsspec file system), named by a URL.

    What :attr:`Corpus.path` is for a corpus opened from a URL.
    ``open_corpus(corpus.path)`` reopens it through the same file system (and
    credentials).  It is path-like only to fail clearly: code that writes
    beside a corpus (caches, derived files) does ``Path(corpus.path)``, which
    raises :class:`~peerscope.errors.PeerscopeError` here, since peerscope
    writes only to local folders.

    Parameters
    ----------
    url : str
        The URL the corpus was opened from, as given.
    fs : fsspec.AbstractFileSystem
        Its file system (from ``fsspec.core.url_to_fs``).
    root : str
        The corpus folder as ``fs`` names it (``bucket/forum`` for ``s3://bucket/forum``).

    Examples
    --------
    >>> import fsspec
    >>> folder = RemoteFolder("memory://forum", fsspec.filesystem("memory"), "/forum")
    >>> str(folder), folder.join("posts.parquet")
    ('memory://forum', '/forum/posts.parquet')
    >>> try:
    ...     Path(folder) / "cache"
    ... except errors.PeerscopeError as error:
    ...     print(str(error).split(";")[0])
    memory://forum: the corpus is not in a local folder
    """

    url: str
    fs: Any
    root: str

    def __str__(self) -> str:
        return self.url

    def __fspath__(self) -> str:
        raise errors.PeerscopeError(
            f"{self.url}: the corpus is not in a local folder; peerscope reads corpora from URLs "
            "but writes (saves, caches, derived files) only to local folders")

    def join(self, *names: str) -> str:
        """The path of ``names`` inside the corpus folder, as the file system names it."""
        return posixpath.join(self.root, *names)

    @cached_property
    def arrow_filesystem(self):
        """The file system as a ``pyarrow.fs.FileSystem``, for ``pyarrow.dataset`` and ``pyarrow.parquet``."""
        from pyarrow.fs import FSSpecHandler, PyFileSystem

        return PyFileSystem(FSSpecHandler(self.fs))


def _is_remote(path) -> bool:
    """Whether ``path`` is a URL to read through fsspec: one with a scheme other than
    ``file``, or a chain of them (``simplecache::s3://...``)."""
    if not isinstance(path, str):
        return False
    if "::" in path and "://" in path:
        return True
    return bool(_URL.match(path)) and not path.startswith("file://")


def _local_folder(path, what: str) -> Path:
    """``path`` (a ``file://`` URL too) as a local Path; other URLs raise, naming ``what`` needs a local folder."""
    if _is_remote(path):
        raise errors.PeerscopeError(
            f"{path}: {what} needs a local folder or a file:// URL; peerscope reads corpora from "
            "URLs but writes and validates them only in local folders")
    if isinstance(path, str) and path.startswith("file://"):
        path = path[len("file://"):]
    return Path(path)


def _remote_folder(url: str, storage_options: dict | None) -> RemoteFolder:
    """The fsspec file system and folder of ``url``; fsspec is imported only here."""
    try:
        from fsspec.core import url_to_fs
    except ImportError:
        raise errors.PeerscopeError(
            f"{url}: opening a corpus from a URL needs fsspec: pip install 'peerscope[remote]', plus "
            "the file system's package (s3fs for s3://, gcsfs for gs://, adlfs for abfs://)") from None
    try:
        fs, root = url_to_fs(url, **(storage_options or {}))
    except (ImportError, ValueError, TypeError, OSError) as exc:   # OSError: a chained URL's archive
        raise errors.PeerscopeError(f"{url}: cannot open its file system: {exc}") from None
    return RemoteFolder(url, fs, root)


def _open_remote(folder: RemoteFolder) -> tuple[dict, dict[str, Any], dict[str, str]]:
    """Manifest, table sources and quarantine files of a corpus on a remote file system.

    Reads ``corpus.json`` and checks that every file it lists exists, with
    one batch of concurrent requests on object stores; nothing is listed (a
    bucket may be too large to list, and read-only credentials may forbid it).
    """
    where = posixpath.join(folder.url, MANIFEST)
    try:
        text = folder.fs.cat_file(folder.join(MANIFEST)).decode("utf-8")
    except FileNotFoundError:
        raise errors.CorpusNotFoundError(f"{folder}: not a peerscope corpus, no {MANIFEST}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise errors.ManifestError(f"{where}: cannot read the manifest: {exc}") from None
    manifest = _parse_manifest(text, where)
    sources, listed = {}, []
    for name, entry in manifest["tables"].items():
        layout = partitioning.check_partition(entry.get("partition"))
        files = partitioning.table_files(folder.root, entry, folder.arrow_filesystem)
        sources[name] = files if layout else files[0]
        listed += files if layout is None else [*files, partitioning.schema_file(
            folder.root, entry, folder.arrow_filesystem)]
    quarantine = {name: folder.join(QUARANTINE_DIR, f"{name}.parquet") for name in manifest.get("quarantine", [])}
    listed += quarantine.values()
    try:
        folder.fs.sizes(listed)
    except FileNotFoundError as exc:
        missing = [path[len(folder.root):].lstrip("/") for path in listed if not folder.fs.exists(path)]
        raise errors.ManifestError(
            f"{folder}: file(s) {missing[:5] or exc} listed in {MANIFEST} are missing") from None
    except OSError as exc:
        raise errors.ManifestError(f"{folder}: cannot check the files listed in {MANIFEST}: {exc}") from None
    return manifest, sources, quarantine
