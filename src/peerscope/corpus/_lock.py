"""One save at a time to a path: a lock file beside it, taken over from a dead holder.

A save to ``<folder>/<name>`` holds ``<folder>/.<name>.lock`` from start to
swap.  On POSIX the lock is ``fcntl.flock``, which the kernel drops when its
holder dies; elsewhere the file is created exclusively and records
``<pid> <host>``, so a lock whose process on this host is gone is stale and
taken over.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
import time
from pathlib import Path

try:  # POSIX: advisory locks the kernel drops when their holder dies
    import fcntl as _fcntl
except ImportError:  # pragma: no cover - Windows
    _fcntl = None

from peerscope import errors

#: Seconds between two attempts to take a lock held by another save.
_LOCK_POLL = 0.05
#: Seconds after which an empty or unreadable lock file (its writer died
#: between creating it and recording its pid) counts as stale.
_UNREADABLE_LOCK_AGE = 5.0


def _lock_path(path: Path) -> Path:
    """The lock file of saves to ``path``: ``.<name>.lock`` beside it (parent resolved, so
    two spellings of one folder share one lock)."""
    return path.parent.resolve() / f".{path.name}.lock"


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
