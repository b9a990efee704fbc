"""Thread motifs: A -> B -> A exchanges, the back-and-forth of a conversation."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from peerscope._kernels.display import Display
from peerscope.reciprocity._replies import exchange_closings
from peerscope.reciprocity.graph import _as_graph, with_parameters

__all__ = ["Motifs", "exchanges"]


@dataclass(frozen=True, eq=False, repr=False)
class Motifs(Display):
    """A -> B -> A exchanges (see :func:`exchanges`).

    Attributes
    ----------
    threads : pandas.DataFrame
        ``thread_id, exchanges`` for threads with at least one exchange.
    total : int or None
        Exchanges in all threads; None when the threads are flat.
    threads_with_exchanges : int or None
    reason : str or None
        Why ``total`` is undefined.
    parameters : dict

    Examples
    --------
    >>> from peerscope.datasets.examples import tiny_thread
    >>> frame = exchanges(tiny_thread()).to_frame()   # ann -> bob -> ann in thread p1
    >>> frame[["thread_id", "exchanges"]].values.tolist(), frame.attrs["parameters"]["reply_structure"]
    ([['p1', 1]], 'nested')
    """

    threads: pd.DataFrame
    total: int | None
    threads_with_exchanges: int | None
    reason: str | None
    parameters: dict = field(default_factory=dict)

    def _display_rows(self) -> list[tuple[str, object]]:
        return [("exchanges", self.reason or self.total),
                ("threads with exchanges", self.threads_with_exchanges),
                ("reply structure", self.parameters.get("reply_structure"))]

    def to_frame(self) -> pd.DataFrame:
        """The per-thread counts (``thread_id``, ``exchanges`` int64); the parameters in ``attrs``."""
        return with_parameters(self.threads, self.parameters)


def exchanges(graph, start=None, end=None) -> Motifs:
    r"""Count A -> B -> A exchanges (a reply by A to B's reply to A) per thread.

    An exchange is a back-and-forth inside a thread, the smallest unit of a
    conversation rather than a one-off answer: person :math:`A` writes a
    post, person :math:`B \ne A` replies to it, and :math:`A` replies to
    :math:`B`'s reply.  It is counted on the reply chain, as the replies
    :math:`r` by :math:`A` whose parent is by :math:`B` and whose
    grandparent is by :math:`A`:

    .. math::

        M = |\{r : \mathrm{author}(r) = \mathrm{author}(\mathrm{parent}^2(r)) = A,\
            \mathrm{author}(\mathrm{parent}(r)) = B,\ A \ne B \text{ persons}\}|,

    per thread and in total.  A chain A -> B -> A -> B holds two exchanges.

    Parameters
    ----------
    graph : ReplyGraph or peerscope.Corpus
        The reply graph (:func:`~peerscope.reciprocity.reply_graph`), or a
        corpus (pandas or Dask engine, same numbers) to build it from.
    start, end : time-like, optional
        With a corpus: the closing reply :math:`r` is written in
        ``[start, end)`` (its parent and grandparent may be earlier).  A
        graph has its window already.

    Returns
    -------
    Motifs
        :math:`M` per thread with exchanges, in total, and the number of
        threads with exchanges.

    Raises
    ------
    PeerscopeError
        When ``start`` or ``end`` is given with a ReplyGraph.

    Notes
    -----
    In flat threads every reply's parent is the opening post, so reply
    chains are not recorded and :math:`M` is undefined: ``total`` and
    ``threads_with_exchanges`` are then None, with the ``reason``, not zero.

    References
    ----------
    docs/concepts.md, "Reciprocity" (Exchanges): peerscope's definition, a
    three-node chain motif of the reply tree in the sense of Milo, R., et
    al. (2002). Network motifs: simple building blocks of complex networks.
    *Science* 298(5594):824-827.

    Examples
    --------
    >>> from peerscope.datasets.examples import tiny_thread
    >>> from peerscope.reciprocity import exchanges
    >>> result = exchanges(tiny_thread())   # p1 ann, p2 bob -> ann, p3 ann -> bob
    >>> result.total, result.threads_with_exchanges, result.reason
    (1, 1, None)
    """
    graph = _as_graph(graph, start, end)
    parameters = graph.parameters
    empty = pd.DataFrame({"thread_id": pd.Series(dtype="str"), "exchanges": pd.Series(dtype="int64")})
    if graph.reply_structure == "flat":
        return Motifs(empty, None, None,
                      "flat threads: every reply is attached to the opening post, so "
                      "reply chains (and A -> B -> A exchanges) are not recorded", parameters)
    if graph._workers is not None and "_table" not in graph.__dict__:
        # a Dask corpus: counted thread by thread on the workers, one row per thread with exchanges
        threads = graph._workers.thread_exchanges()
        threads = pd.DataFrame({"thread_id": pd.Series(threads["thread_id"].to_numpy(), dtype="str"),
                                "exchanges": threads["exchanges"].to_numpy(np.int64)})
    else:
        table = graph._table
        closing = np.flatnonzero(exchange_closings(table.status, table.author, table.grand))
        counts = pc.value_counts(table.thread_id.take(pa.array(closing)))
        threads = pd.DataFrame({"thread_id": pd.Series(counts.field("values").to_pandas(), dtype="str"),
                                "exchanges": counts.field("counts").to_numpy().astype(np.int64)})
    threads = threads.sort_values("thread_id", ignore_index=True) if len(threads) else empty
    return Motifs(threads, int(threads["exchanges"].sum()), len(threads), None, parameters)
