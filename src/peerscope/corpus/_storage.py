"""Atomic writes of Parquet and JSON files and of whole corpus folders; streaming one batch ahead."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import errno
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

try:  # POSIX: advisory locks the kernel drops when their holder dies
    import fcntl as _fcntl
except ImportError:  # pragma: no cover - Windows
    _fcntl = None

from peerscope import errors
from peerscope.corpus import schema
from peerscope.corpus._manifest import MANIFEST, QUARANTINE_DIR


#: Rows per Parquet row group: small enough for time filters to skip groups,
#: large enough to keep per-group overhead negligible.
ROW_GROUP_SIZE = 256 * 1024
#: Suffix of the folder a replaced corpus is moved to during an atomic save.
_OLD_SUFFIX = ".peerscope-old"
#: Seconds a save waits for another save to the same path before giving up.
LOCK_TIMEOUT = 10.0
#: Seconds between two attempts to take a lock held by another save.
_LOCK_POLL = 0.05
#: Seconds after which an empty or unreadable lock file (its writer died
#: between creating it and recording its pid) counts as stale.
_UNREADABLE_LOCK_AGE = 5.0


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
    """Write a table, or stream the batches of a reader, to one Parquet file."""
    if isinstance(data, pa.Table):
        pq.write_table(data, target, compression="zstd", row_group_size=ROW_GROUP_SIZE)
        return
    with pq.ParquetWriter(target, data.schema, compression="zstd") as writer:
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


def _lock_path(path: Path) -> Path:
    """The lock file of saves to ``path``: ``.<name>.lock`` beside it (parent resolved, so
    two spellings of one folder share one lock)."""
    return path.parent.resolve() / f".{path.name}.lock"


def _tmp_pattern(path: Path) -> re.Pattern:
    """Names of the temporary folders a save to ``path`` makes: ``.<name>.tmp-`` and the
    eight characters :func:`tempfile.mkdtemp` adds, nothing more (so the temporaries of
    a folder named ``<name>.tmp-x`` never match)."""
    return re.compile(re.escape(f".{path.name}.tmp-") + r"[a-z0-9_]{8}")


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` of this host is running (True when it cannot be told)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":  # pragma: no cover - os.kill(pid, 0) would end the process there
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.get_last_error() == 5  # access denied: it exists
        try:
            code = ctypes.c_ulong()
            return not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)) or code.value == 259
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: it exists, owned by someone else
        return True
    return True


def _holder(text: str) -> tuple[int, str] | None:
    """``(pid, host)`` recorded in a lock file's text; None when it holds neither."""
    parts = text.split()
    if not parts or not parts[0].isdigit():
        return None
    return int(parts[0]), parts[1] if len(parts) > 1 else ""


class _PathLock:
    """An exclusive lock on saves to one path, held in a lock file beside it.

    On POSIX the file is locked with :func:`fcntl.flock`, which the kernel
    releases when the holder dies, so a lock left by a crashed process is
    simply taken.  Where ``flock`` is missing or refused (Windows, some
    network file systems) the file is created with ``O_CREAT | O_EXCL``;
    a lock file whose recorded pid (on this host) is no longer alive is
    taken over.  Either way the file records ``<pid> <host>`` of its holder
    and is removed on release.
    """

    def __init__(self, target: Path, timeout: float):
        self.target = target
        self.file = _lock_path(target)
        self.timeout = timeout
        self._fd: int | None = None
        self._exclusive = False  # held through O_EXCL, not flock
        self._owner = os.getpid()  # a forked child must not remove its parent's lock

    def acquire(self) -> None:
        deadline = time.monotonic() + self.timeout
        use_flock = _fcntl is not None
        while True:
            try:
                taken = self._try_flock() if use_flock else self._try_exclusive()
            except _NoFlock:
                use_flock = False
                continue
            except OSError as exc:
                raise errors.PeerscopeError(
                    f"{self.target}: cannot create the lock file {self.file}: {exc}") from None
            if taken:
                self._owner = os.getpid()
                return
            if time.monotonic() >= deadline:
                holder = self._read_holder()
                by = f" (held by pid {holder[0]}{' on ' + holder[1] if holder[1] else ''})" if holder else ""
                raise errors.PeerscopeError(
                    f"another save to {self.target} is in progress{by}; waited {self.timeout:g} s "
                    f"for its lock {self.file}. Try again when it has finished, or remove the lock "
                    f"file if no save is running")
            time.sleep(_LOCK_POLL)

    def _record(self, fd: int) -> None:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())

    def _try_flock(self) -> bool:
        fd = os.open(self.file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                _fcntl.flock(fd, _fcntl.LOCK_EX | _fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES):
                    os.close(fd)
                    return False
                raise _NoFlock from exc
            # the holder before us may have removed the file after we opened it
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.file))
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                return False
            self._record(fd)
        except BaseException:
            if self._fd != fd:
                try:
                    os.close(fd)
                except OSError:
                    pass
            raise
        self._fd = fd
        return True

    def _try_exclusive(self) -> bool:
        try:
            fd = os.open(self.file, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            self._take_over_if_stale()
            return False
        try:
            self._record(fd)
        finally:
            os.close(fd)
        self._exclusive = True
        return True

    def _read_holder(self) -> tuple[int, str] | None:
        try:
            return _holder(self.file.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            return None

    def _take_over_if_stale(self) -> None:
        """Remove the lock file when its holder is dead; the next attempt then creates it."""
        try:
            text = self.file.read_text(encoding="utf-8", errors="replace")
            age = time.time() - self.file.stat().st_mtime
        except OSError:
            return
        holder = _holder(text)
        if holder is None:
            stale = age > _UNREADABLE_LOCK_AGE
        else:
            pid, host = holder
            stale = host in ("", socket.gethostname()) and not _pid_alive(pid)
        if not stale:
            return
        # move it aside first, so a lock just taken by another waiter is never removed
        aside = self.file.with_name(f"{self.file.name}.stale-{os.getpid()}-{time.monotonic_ns()}")
        try:
            os.replace(self.file, aside)
        except OSError:
            return
        try:
            moved = aside.read_text(encoding="utf-8", errors="replace")
        except OSError:
            moved = text
        if moved != text:  # not the stale file any more: put the new holder's lock back
            try:
                os.link(aside, self.file)
            except OSError:
                pass
        try:
            aside.unlink()
        except OSError:
            pass

    def release(self) -> None:
        """Remove the lock file and release the lock; does nothing when not held."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            if os.getpid() == self._owner:
                try:
                    os.unlink(self.file)  # while still locked: a waiter then sees another file
                except OSError:
                    pass
            try:
                os.close(fd)
            except OSError:
                pass
        elif self._exclusive and os.getpid() == self._owner:
            self._exclusive = False
            try:
                os.unlink(self.file)
            except OSError:
                pass

    def __del__(self):  # a save abandoned without __exit__ must not block the path for good
        try:
            self.release()
        except Exception:
            pass


class _NoFlock(Exception):
    """``flock`` is not supported on this file system."""


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
