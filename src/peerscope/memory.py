"""How peerscope keeps a process's resident memory close to what it uses.

Arrow's memory pool decides much of how much memory a peerscope process holds
beyond what its arrays need, and peerscope sets it on import, unless the user
already chose, through the environment variable Arrow itself reads.

pyarrow's wheels allocate with mimalloc, which keeps a heap per thread and
holds on to pages it has freed; a process that reads Parquet with Arrow's
thread pools and hashes millions of ids keeps far more resident memory
than it uses.  ``participation.summary`` plus ``participation.activity``
on a synthetic corpus of 1M posts peaked at 600 MB with mimalloc, 308 MB
with jemalloc and 298 MB with the system allocator (glibc's ``malloc`` on
Linux); ``participation.summary`` plus ``reciprocity.summary`` at 349 MB
with jemalloc and 321 MB with the system allocator, whose freed memory
:func:`release_freed_memory` can hand back (same code, same machine, the
same speed).  So ``import peerscope`` asks for the system allocator by
setting ``ARROW_DEFAULT_MEMORY_POOL``, which Arrow reads once, when it
makes its default pool.  That works when peerscope is imported before
pyarrow (and before pandas, which imports pyarrow); otherwise only
allocations through pyarrow's Python functions move to the new pool
(``pyarrow.set_memory_pool``).

A choice already made with ``ARROW_DEFAULT_MEMORY_POOL`` (``mimalloc``,
``jemalloc`` or ``system``) is respected: peerscope then leaves the pool
alone.  The setting is inherited by child processes (Dask workers started
from the process, for one).

glibc keeps the freed holes of its heap, where numpy's temporaries of a
few MiB end up once glibc has raised its mmap threshold, so a sequence of
measures, each freeing its temporaries, still creeps upwards;
:func:`release_freed_memory` hands such memory back between steps (fixing
the mmap threshold instead made ``activity`` a second slower at 1M posts,
with a page fault per page of every temporary).
"""

from __future__ import annotations

import ctypes
import os
import sys

#: Environment variable through which Arrow's default pool is chosen (pyarrow's own).
POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"


def preferred_backend() -> str:
    """``"system"``: the platform's ``malloc``, which every pyarrow build has (module docstring)."""
    return "system"


def choose_memory_pool() -> str | None:
    """Ask Arrow for :func:`preferred_backend` unless the user chose a pool; return what was asked.

    Returns
    -------
    str or None
        The backend asked for, or None when ``ARROW_DEFAULT_MEMORY_POOL``
        was already set (the user's choice stands).

    Examples
    --------
    >>> import os
    >>> choose_memory_pool() is None   # peerscope's import already set the variable
    True
    >>> os.environ[POOL_VARIABLE] in ("system", "jemalloc", "mimalloc")
    True
    """
    if os.environ.get(POOL_VARIABLE):
        return None
    backend = preferred_backend()
    os.environ[POOL_VARIABLE] = backend
    if "pyarrow" in sys.modules:  # Arrow's own default pool is already made
        import pyarrow as pa

        pa.set_memory_pool(pa.system_memory_pool())
    return backend


def release_freed_memory() -> None:
    """Give memory freed so far back to the operating system, between the steps of a long computation.

    Arrow's pool keeps blocks it freed (``release_unused``), and glibc keeps
    the free holes of its heap until ``malloc_trim`` is called (Linux only;
    skipped where the C library has no such function).  Both take
    milliseconds.

    Examples
    --------
    >>> release_freed_memory()
    """
    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None).malloc_trim(0)
        except (OSError, AttributeError):  # a C library without malloc_trim (musl)
            pass
