"""Thread motifs: A -> B -> A exchanges.

A back-and-forth inside a thread: person :math:`A` writes a post, person
:math:`B \\ne A` replies to it, and :math:`A` replies to :math:`B`'s reply.
Counted on the reply chain: a reply :math:`r` by :math:`A` whose parent is
by :math:`B` and whose grandparent is by :math:`A`,

.. math::

    M = |\\{r : \\mathrm{author}(r) = \\mathrm{author}(\\mathrm{parent}^2(r)) = A,\\
        \\mathrm{author}(\\mathrm{parent}(r)) = B,\\ A \\ne B \\text{ persons}\\}|,

per thread and in total.  A chain A -> B -> A -> B holds two exchanges.  With
a window, :math:`r` must be written in it (its parent and grandparent may be
earlier).  In flat threads every reply's parent is the opening post, so
reply chains are not recorded and the motif count is undefined (None, with
the reason), not zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from peerscope.reciprocity.graph import EDGE, Replies, read_replies, window_parameters, with_parameters


@dataclass(frozen=True, eq=False)
class Motifs:
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
    >>> from peerscope.reciprocity.graph import read_replies
    >>> from peerscope.datasets.examples import tiny_thread
    >>> replies = read_replies(tiny_thread())   # ann<->bob, cat->ann
    >>> motifs_of(replies).to_frame()[["thread_id", "exchanges"]].values.tolist()
    [['p1', 1]]
    """

    threads: pd.DataFrame
    total: int | None
    threads_with_exchanges: int | None
    reason: str | None
    parameters: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The per-thread counts with the parameters as columns."""
        return with_parameters(self.threads, self.parameters)


def exchanges(corpus, start=None, end=None) -> Motifs:
    """Count A -> B -> A exchanges (a reply by A to B's reply to A) per thread.

    Parameters
    ----------
    corpus : peerscope.Corpus
    start, end : time-like, optional
        The closing reply of an exchange is written in ``[start, end)``.

    Returns
    -------
    Motifs

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> from peerscope.reciprocity import exchanges
    >>> posts = pd.DataFrame({
    ...     "post_id": ["p1", "p2", "p3", "p4"], "thread_id": ["p1"] * 4,
    ...     "parent_id": [None, "p1", "p2", "p3"], "author_id": ["ann", "bob", "ann", "bob"],
    ...     "created_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03",
    ...                                   "2024-01-04"], utc=True), "text": ["."] * 4})
    >>> exchanges(Corpus.from_frames(posts)).total
    2
    """
    return motifs_of(read_replies(corpus, start, end))


def motifs_of(replies: Replies) -> Motifs:
    """:class:`Motifs` of a reply table.

    Parameters
    ----------
    replies : Replies
        The reply table of a corpus window (:func:`~peerscope.reciprocity.graph.read_replies`).

    Returns
    -------
    Motifs

    Examples
    --------
    ann -> bob -> ann is one exchange:

    >>> from peerscope.reciprocity.graph import read_replies
    >>> from peerscope.datasets.examples import tiny_thread
    >>> replies = read_replies(tiny_thread())   # ann<->bob, cat->ann
    >>> result = motifs_of(replies)
    >>> result.total, result.threads_with_exchanges, result.reason
    (1, 1, None)
    """
    parameters = window_parameters(replies)
    empty = pd.DataFrame({"thread_id": pd.Series(dtype="str"), "exchanges": pd.Series(dtype="int64")})
    if replies.reply_structure == "flat":
        return Motifs(empty, None, None,
                      "flat threads: every reply is attached to the opening post, so "
                      "reply chains (and A -> B -> A exchanges) are not recorded", parameters)
    closing = (replies.status == EDGE) & (replies.grand == replies.author)
    counts = np.bincount(replies.thread[closing], minlength=len(replies.thread_ids))
    with_exchanges = np.flatnonzero(counts)
    threads = (pd.DataFrame({"thread_id": pd.Series(replies.thread_ids.take(pa.array(with_exchanges))
                                                    .to_pandas(), dtype="str"),
                             "exchanges": counts[with_exchanges].astype(np.int64)})
               .sort_values("thread_id", ignore_index=True)) if len(with_exchanges) else empty
    return Motifs(threads, int(closing.sum()), len(threads), None, parameters)
