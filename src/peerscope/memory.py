"""How peerscope keeps a process's resident memory close to what it uses.

Two allocators decide how much memory a peerscope process holds beyond what
its arrays need, and peerscope sets each on import, unless the user already
chose, through the environment variable that allocator itself reads.

Arrow's memory pool
    pyarrow's wheels allocate with mimalloc, which keeps a heap per thread and
    holds on to pages it has freed; a process that reads Parquet with Arrow's
    thread pools and hashes millions of ids keeps far more resident memory
    than it uses.  ``participation.summary`` plus ``participation.activity``
    on a synthetic corpus of 1M posts peaked at 600 MB with mimalloc and at
    350 MB with jemalloc (same code, same machine).  peerscope asks for
    jemalloc (the system allocator on Windows, whose wheels lack jemalloc)
    by setting ``ARROW_DEFAULT_MEMORY_POOL``, which Arrow reads once, when it
    makes its default pool.  That works when peerscope is imported before
    pyarrow (and before pandas, which imports pyarrow); otherwise only
    allocations through pyarrow's Python functions move to the new pool
    (``pyarrow.set_memory_pool``).

glibc's mmap threshold (Linux)
    numpy allocates with ``malloc``.  glibc serves blocks of 128 KiB or more
    with ``mmap``, returned to the system when freed, but after the first
    such block is freed it raises that threshold (up to 32 MiB), so the
    many temporary arrays of a few MiB that the metrics make then come from
    the heap, whose freed space stays resident.  peerscope fixes the
    threshold at 128 KiB (``mallopt(M_MMAP_THRESHOLD)``), as
    ``MALLOC_MMAP_THRESHOLD_=131072`` would: reciprocity's summary at 1M
    posts then peaks about 20 MB lower.

A choice already made with ``ARROW_DEFAULT_MEMORY_POOL`` (``mimalloc``,
``jemalloc`` or ``system``) or ``MALLOC_MMAP_THRESHOLD_`` is respected:
peerscope then leaves that allocator alone.  Both settings are inherited by
child processes (Dask workers started from the process, for one).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

#: Environment variable through which Arrow's default pool is chosen (pyarrow's own).
POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"
#: glibc's environment variable for the mmap threshold (read when a process starts).
MMAP_VARIABLE = "MALLOC_MMAP_THRESHOLD_"
#: The threshold peerscope fixes: glibc's initial default, 128 KiB.
MMAP_THRESHOLD = 128 * 1024
#: ``M_MMAP_THRESHOLD`` in glibc's ``<malloc.h>``.
_M_MMAP_THRESHOLD = -3


def preferred_backend() -> str:
    """``"jemalloc"``, or ``"system"`` on Windows (pyarrow's Windows wheels lack jemalloc)."""
    return "system" if sys.platform == "win32" else "jemalloc"


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
    >>> os.environ[POOL_VARIABLE] in ("jemalloc", "system", "mimalloc")
    True
    """
    if os.environ.get(POOL_VARIABLE):
        return None
    backend = preferred_backend()
    os.environ[POOL_VARIABLE] = backend
    if "pyarrow" in sys.modules:  # Arrow's own default pool is already made
        import pyarrow as pa

        pa.set_memory_pool(pa.jemalloc_memory_pool() if backend == "jemalloc" else pa.system_memory_pool())
    return backend


def fix_mmap_threshold() -> bool:
    """Fix glibc's mmap threshold at :data:`MMAP_THRESHOLD`, unless the user set one.

    Returns
    -------
    bool
        Whether the threshold was set here (False: not glibc, or the user's
        ``MALLOC_MMAP_THRESHOLD_`` stands).

    Examples
    --------
    >>> fix_mmap_threshold() in (True, False)
    True
    """
    if os.environ.get(MMAP_VARIABLE) or not sys.platform.startswith("linux"):
        return False
    libc_name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(libc_name).mallopt
    except (OSError, AttributeError, TypeError):  # not glibc (musl has no mallopt)
        return False
    if not mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD):
        return False
    os.environ[MMAP_VARIABLE] = str(MMAP_THRESHOLD)  # child processes start with it too
    return True
