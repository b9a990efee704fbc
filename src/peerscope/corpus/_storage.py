"""Atomic writes of Parquet and JSON files and of whole corpus folders; streaming one batch ahead."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from peerscope import errors
from peerscope.corpus import schema
from peerscope.corpus._lock import _PathLock
from peerscope.corpus._manifest import MANIFEST, QUARANTINE_DIR


#: Rows per Parquet row group: small enough for time filters to skip groups,
#: large enough to keep per-group overhead negligible.
ROW_GROUP_SIZE = 256 * 1024
#: Suffix of the folder a replaced corpus is moved to during an atomic save.
_OLD_SUFFIX = ".peerscope-old"
#: Seconds a save waits for another save to the same path before giving up.
LOCK_TIMEOUT = 10.0


def _one_ahead(items: Iterator):
    """The items of ``items``, each next one produced on a second thread while the caller works.

    Reading (decompressing) the next row group overlaps writing (compressing)
    this one, with one row group held ahead, never more.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        upcoming = pool.submit(next, items, _DONE)
        while (item := upcoming.result()) is not _DONE:
            upcoming = pool.submit(next, items, _DONE)
            yield item


#: What :func:`_one_ahead` gets from an exhausted iterator.
_DONE = object()


def _write_parquet(data: pa.Table | pa.RecordBatchReader, target: Path) -> None:
    """Write a table, or stream the batches of a reader, to one Parquet file, with a CRC
    checksum on every page (verified on every read of a saved corpus)."""
    if isinstance(data, pa.Table):
        pq.write_table(data, target, compression="zstd", row_group_size=ROW_GROUP_SIZE,
                       write_page_checksum=True)
        return
    with pq.ParquetWriter(target, data.schema, compression="zstd", write_page_checksum=True) as writer:
        for batch in data:
            if batch.num_rows:
                writer.write_batch(batch, row_group_size=ROW_GROUP_SIZE)


def _write_json(data: dict, target: Path) -> None:
    target.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n",
                      encoding="utf-8")


def _corpus_entries() -> frozenset[str]:
    """The names a corpus owns inside its folder: the manifest, the quarantine and
    every table in either layout (``posts.parquet`` or ``posts/``)."""
    return frozenset({MANIFEST, QUARANTINE_DIR}
                     | {name for table in schema.TABLES for name in (table, f"{table}.parquet")})


def _is_corpus(folder: Path) -> bool:
    return (folder / MANIFEST).is_file()


def _tmp_pattern(path: Path) -> re.Pattern:
    """Names of the temporary folders a save to ``path`` makes: ``.<name>.tmp-`` and the
    eight characters :func:`tempfile.mkdtemp` adds, nothing more (so the temporaries of
    a folder named ``<name>.tmp-x`` never match)."""
    return re.compile(re.escape(f".{path.name}.tmp-") + r"[a-z0-9_]{8}")


class _AtomicFolder:
    """Build a folder beside ``path`` and swap it in only when complete, deleting
    nothing it did not write.

    The swap is two renames (old -> ``<path>.peerscope-old``, new -> path);
    then every entry of the old folder that is not one of the artefact's own
    names (``own``) is moved into the new folder, and only then is the old
    folder, by now holding the replaced artefact's own files alone, removed.
    So a user's ``notes.txt``, a ``derived/`` or ``cache/`` folder written
    beside a corpus, survive a save onto it unchanged.  A crash before the
    swap leaves the old folder untouched; a crash after the first rename
    leaves it (with anything not yet moved back) under the
    ``.peerscope-old`` name, which :func:`open_corpus` points out and which
    a later save removes only when it holds nothing but the artefact's own
    files.

    Parameters
    ----------
    path : path-like
        The folder to write.
    kind : str
        What is saved, for messages ("peerscope corpus").
    is_kind : callable, optional
        ``is_kind(folder) -> bool``: whether an existing folder holds this
        kind of artefact (default: it holds a ``corpus.json``).  A non-empty
        folder that does not is refused, so nothing else is ever replaced.
    own : iterable of str, optional
        Top-level names the artefact writes (default: a corpus's own names).

    lock_timeout : float, optional
        Seconds to wait for another save to the same path (default
        :data:`LOCK_TIMEOUT`).

    Saves to one path are serialised by a lock file ``.<name>.lock`` beside
    it (see :class:`_PathLock`), held from ``__enter__`` to the end of
    ``__exit__`` and released on every exit, also on errors.  Holding it, a
    save removes the ``.<name>.tmp-XXXXXXXX`` folders that crashed saves to
    the same path left beside it (no live save can own them), and removes
    its own temporary folder whenever it fails.

    Raises
    ------
    peerscope.errors.PeerscopeError
        ``path`` is a file, or a non-empty folder of another kind; or a
        ``.peerscope-old`` folder left by an interrupted save still holds
        files that are not the artefact's own; or another save to ``path``
        held its lock longer than ``lock_timeout``.
    """

    def __init__(self, path: Path, kind: str = "peerscope corpus", is_kind=_is_corpus, own=None,
                 lock_timeout: float | None = None):
        self.path = Path(path)
        self.kind = kind
        self.is_kind = is_kind
        self.own = frozenset(own) if own is not None else _corpus_entries()
        self.lock_timeout = lock_timeout
        self.tmp: Path | None = None
        self._lock: _PathLock | None = None

    def __enter__(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        timeout = LOCK_TIMEOUT if self.lock_timeout is None else self.lock_timeout
        self._lock = _PathLock(self.path, timeout)
        self._lock.acquire()
        try:
            if self.path.exists() and not self.path.is_dir():
                raise errors.PeerscopeError(f"{self.path}: is a file, not a folder; refusing to replace it")
            if self.path.exists() and not self.is_kind(self.path) and any(self.path.iterdir()):
                raise errors.PeerscopeError(
                    f"{self.path}: exists and is not a {self.kind}; refusing to replace it")
            self._remove_stale_temporaries()
            self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.tmp-", dir=self.path.parent))
        except BaseException:
            self._lock.release()
            raise
        return self.tmp

    def _remove_stale_temporaries(self) -> None:
        """Remove the temporary folders of crashed saves to this path (the lock is held,
        so no running save owns one)."""
        pattern = _tmp_pattern(self.path)
        for entry in self.path.parent.iterdir():
            if pattern.fullmatch(entry.name) and entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if exc_type is None:
                self._swap()
        finally:
            try:
                if self.tmp is not None and os.path.lexists(self.tmp):
                    shutil.rmtree(self.tmp, ignore_errors=True)
            finally:
                if self._lock is not None:
                    self._lock.release()
        return False

    def _swap(self) -> None:
        old = None
        if self.path.exists():
            old = self.path.with_name(self.path.name + _OLD_SUFFIX)
            if old.exists():
                self._remove_old(old)
            os.replace(self.path, old)
        try:
            os.replace(self.tmp, self.path)
        except BaseException:
            if old is not None and not os.path.lexists(self.path):
                os.replace(old, self.path)  # put the replaced artefact back
            raise
        if old is not None:
            for entry in old.iterdir():
                if entry.name not in self.own:
                    os.replace(entry, self.path / entry.name)
            shutil.rmtree(old, ignore_errors=True)

    def _remove_old(self, old: Path) -> None:
        """Remove a ``.peerscope-old`` folder left by an interrupted save, unless it holds
        anything but the artefact's own files."""
        foreign = sorted(entry.name for entry in old.iterdir() if entry.name not in self.own)
        if foreign:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise errors.PeerscopeError(
                f"{old}: left by an interrupted save and holds {', '.join(foreign[:5])}, which are "
                f"not the {self.kind}'s own files; move them back into {self.path} and remove it")
        shutil.rmtree(old)


def _footer_non_nulls(dataset: ds.FileSystemDataset, column: str) -> int | None:
    """Non-null values of ``column`` from the Parquet footers' statistics; None when a
    row group lacks the null count (then the column must be read)."""
    counted = 0
    for fragment in dataset.get_fragments():
        metadata = fragment.metadata
        index = metadata.schema.to_arrow_schema().get_field_index(column)
        if index < 0:
            return None
        for group in range(metadata.num_row_groups):
            statistics = metadata.row_group(group).column(index).statistics
            if statistics is None or not statistics.has_null_count:
                return None
            counted += metadata.row_group(group).num_rows - statistics.null_count
    return counted
