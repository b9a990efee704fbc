"""Arrow's memory pool, chosen on request, and handing freed memory back between steps.

pyarrow's wheels allocate with mimalloc, which keeps a heap per thread and
holds on to pages it has freed; a process that reads Parquet with Arrow's
thread pools and hashes millions of ids then keeps far more resident memory
than it uses (measurements in ``docs/benchmarks.md``).  ``import peerscope``
changes nothing: a script, the ``peerscope`` command and the benchmarks ask
for the system allocator themselves with :func:`set_memory_pool`.

Arrow reads ``ARROW_DEFAULT_MEMORY_POOL`` once, when it makes its default
pool, so the choice covers every allocation only when it is made before
pyarrow (and pandas, which imports pyarrow) is imported; afterwards only
allocations through pyarrow's Python functions move to the new pool.
"""

from __future__ import annotations

import ctypes
import os
import sys

from peerscope.errors import PeerscopeError

#: Environment variable through which Arrow's default pool is chosen (pyarrow's own).
POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"


_BACKENDS = ("system", "jemalloc", "mimalloc")


def set_memory_pool(backend: str = "system", *, override: bool = True) -> str:
    """Choose the allocator Arrow uses for this process (and its child processes).

    Parameters
    ----------
    backend : {"system", "jemalloc", "mimalloc"}
        ``"system"`` (the platform's ``malloc``, in every pyarrow build) gave
        the lowest peak memory for peerscope's measures; ``jemalloc`` is not
        in every build.
    override : bool
        With False, a choice already made through ``ARROW_DEFAULT_MEMORY_POOL``
        stands and is returned.

    Returns
    -------
    str
        The backend in force for allocations made from now on.

    Notes
    -----
    Sets ``ARROW_DEFAULT_MEMORY_POOL`` (read by Arrow once, and inherited by
    child processes such as Dask workers) and, when pyarrow is already
    imported, also swaps pyarrow's default pool.

    Examples
    --------
    >>> import os
    >>> previous = os.environ.get(POOL_VARIABLE)
    >>> set_memory_pool("system")
    'system'
    >>> os.environ[POOL_VARIABLE]
    'system'
    >>> if previous is None: del os.environ[POOL_VARIABLE]
    ... else: os.environ[POOL_VARIABLE] = previous
    """
    if backend not in _BACKENDS:
        raise PeerscopeError(f"memory pool {backend!r} is not one of {', '.join(_BACKENDS)}")
    chosen = os.environ.get(POOL_VARIABLE)
    if chosen and not override:
        return chosen
    os.environ[POOL_VARIABLE] = backend
    if "pyarrow" in sys.modules:  # Arrow's own default pool is already made
        import pyarrow as pa

        pool = {"system": pa.system_memory_pool, "jemalloc": pa.jemalloc_memory_pool,
                "mimalloc": pa.mimalloc_memory_pool}[backend]
        try:
            pa.set_memory_pool(pool())
        except NotImplementedError as missing:
            raise PeerscopeError(f"this pyarrow build has no {backend} allocator") from missing
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
