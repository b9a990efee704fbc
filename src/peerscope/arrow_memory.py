"""Which allocator Arrow uses in a peerscope process, and why.

pyarrow's wheels allocate with mimalloc by default.  mimalloc keeps a heap
per thread and holds on to pages it has freed, so a process that reads
Parquet with Arrow's thread pools and hashes millions of ids keeps far more
resident memory than it uses: ``participation.summary`` plus
``participation.activity`` on a synthetic corpus of 1M posts peaked at
600 MB with mimalloc and at 350 MB with jemalloc (``benchmarks/participation.py``,
same code, same machine).

So ``import peerscope`` asks for jemalloc (the system allocator on Windows,
whose pyarrow wheels have no jemalloc) through the environment variable
``ARROW_DEFAULT_MEMORY_POOL``, which Arrow reads once, when it creates its
default pool.  That works when peerscope is imported before pyarrow (and
before pandas, which imports pyarrow); otherwise only the allocations made
through pyarrow's Python functions move to the new pool (``pyarrow.set_memory_pool``),
and readers and compute kernels inside Arrow keep the pool already made.  The
variable is inherited by child processes (Dask workers started from the
process, for one).

A choice already made with ``ARROW_DEFAULT_MEMORY_POOL`` (``mimalloc``,
``jemalloc`` or ``system``) is always respected: peerscope then changes nothing.
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
