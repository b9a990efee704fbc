"""How peerscope keeps a process's resident memory close to what it uses.

Arrow's memory pool decides much of how much memory a peerscope process holds
beyond what its arrays need, and peerscope sets it on import, unless the user
already chose, through the environment variable Arrow itself reads.

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

A choice already made with ``ARROW_DEFAULT_MEMORY_POOL`` (``mimalloc``,
``jemalloc`` or ``system``) is respected: peerscope then leaves the pool
alone.  The setting is inherited by child processes (Dask workers started
from the process, for one).

glibc's mmap threshold was tried too (fixing it at 128 KiB so that freed
numpy temporaries go back to the system at once): it lowered reciprocity's
peak at 1M posts by about 20 MB but made ``activity`` a second slower (a
page fault per page of every temporary), so peerscope leaves it alone.
"""

from __future__ import annotations

import os
import sys

#: Environment variable through which Arrow's default pool is chosen (pyarrow's own).
POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"


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
