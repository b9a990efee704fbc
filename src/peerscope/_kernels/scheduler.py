"""Where Dask computations of a corpus run: this machine or a cluster.

peerscope's Dask engine builds lazy Dask DataFrames and computes the small
aggregates it needs (:mod:`peerscope._kernels.engine`).  Which machine does the work is
Dask's business: its *scheduler*.  :func:`connect` turns what a user passes
to ``open_corpus(path, engine="dask", scheduler=...)`` into a scheduler and
makes it the process's default, exactly as creating a ``distributed.Client``
does, so the same analysis script runs on a laptop and on a cluster by
changing one argument:

``None``
    Dask's default: the active ``distributed.Client`` if the program made
    one, else the threaded scheduler of this process.
``"threads"``, ``"processes"``, ``"synchronous"``
    Dask's single-machine schedulers (no ``distributed`` needed).
``"local"``
    A ``distributed.LocalCluster`` on this machine (one worker process per
    core), started once per process and reused.
an address, e.g. ``"tcp://10.0.0.5:8786"``
    A running Dask scheduler (``dask scheduler`` on a head node,
    dask-jobqueue on HPC, the Dask Kubernetes operator, Coiled, ...); the
    client connects to it, once per address.
a ``distributed.Client`` or a cluster object
    Used as given (a cluster gets a client).

See ``docs/scaling.md`` for running on a cluster.

Examples
--------
>>> from peerscope import open_corpus
>>> corpus = open_corpus("forum", engine="dask", scheduler="local")   # doctest: +SKIP
>>> corpus.scheduler                                                   # doctest: +SKIP
<Client: 'tcp://127.0.0.1:40123' processes=2 threads=2, memory=23.5 GiB>
"""

from __future__ import annotations

from typing import Any

from peerscope import errors

#: Dask's schedulers inside one process tree, by the names Dask knows them.
LOCAL_SCHEDULERS = ("threads", "processes", "synchronous", "sync", "single-threaded")
#: Seconds to wait for a remote scheduler before giving up.
CONNECT_TIMEOUT = 30

_clients: dict[str, Any] = {}


def connect(scheduler: Any = None) -> Any:
    """Resolve ``scheduler`` (see the module docstring) and make it Dask's default.

    Parameters
    ----------
    scheduler : None, str, distributed.Client or cluster
        What to compute on.

    Returns
    -------
    distributed.Client, str or None
        The client (for distributed schedulers), the scheduler name, or None
        for Dask's default.

    Raises
    ------
    peerscope.errors.EngineError
        The ``distributed`` package is missing, or no scheduler answers at the
        address within :data:`CONNECT_TIMEOUT` seconds.

    Examples
    --------
    >>> import dask
    >>> connect("synchronous"), dask.config.get("scheduler")
    ('synchronous', 'synchronous')
    >>> reset()
    >>> connect(None) is None
    True
    >>> try:
    ...     connect(42)
    ... except errors.EngineError as error:
    ...     print(str(error).split(":")[0])
    scheduler=42
    """
    import dask

    if scheduler is None:
        return None
    if isinstance(scheduler, str) and scheduler in LOCAL_SCHEDULERS:
        dask.config.set(scheduler=scheduler)
        return scheduler
    distributed = _import_distributed()
    if isinstance(scheduler, str):
        client = _clients.get(scheduler)
        if client is None or client.status in ("closed", "closing"):
            client = _clients[scheduler] = _new_client(distributed, scheduler)
    elif isinstance(scheduler, distributed.Client):
        client = scheduler
    elif hasattr(scheduler, "scheduler_address"):
        client = distributed.Client(scheduler)
    else:
        raise errors.EngineError(
            f"scheduler={scheduler!r}: expected None, an address, 'local', one of "
            f"{list(LOCAL_SCHEDULERS)}, a distributed.Client or a cluster")
    dask.config.set(scheduler=client)
    return client


def _new_client(distributed, address: str):
    """A client of a new LocalCluster (``"local"``) or of the scheduler at ``address``."""
    if address == "local":
        return distributed.Client(distributed.LocalCluster(threads_per_worker=1))
    try:
        return distributed.Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise errors.EngineError(f"cannot reach a Dask scheduler at {address!r}: {exc}") from None


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise errors.EngineError(
            "a distributed scheduler needs the dask extra: pip install 'peerscope[dask]'") from None
    return distributed


def reset() -> None:
    """Undo :func:`connect`'s choice: Dask's own default scheduler again.

    Clients that :func:`connect` opened from an address or ``"local"`` stay
    open (close them with ``client.close()``); a closed client is replaced
    on the next :func:`connect` with its address.

    Examples
    --------
    >>> import dask
    >>> _ = connect("threads")
    >>> reset()
    >>> dask.config.get("scheduler") is None
    True
    """
    import dask

    dask.config.set(scheduler=None)
