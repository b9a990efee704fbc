"""Dyadic reciprocity: the share of reply edges that are returned.

Definition
----------
For the set :math:`E` of distinct directed person-to-person reply edges
(:mod:`peerscope.reciprocity.graph`),

.. math::

    r = \\frac{|\\{(u, v) \\in E : (v, u) \\in E\\}|}{|E|},

the definition of ``networkx.reciprocity(G)`` for a directed graph (the
share of edges that point both ways; see networkx,
``networkx/algorithms/reciprocity.py``, and Newman, *Networks*, 2010,
section 6.12 / 7.10 on reciprocity).  Reply counts do not matter: one
reply each way reciprocates an edge.  With no edges :math:`r` is undefined:
the result is ``None`` with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from peerscope.reciprocity.graph import Replies, read_replies, window_parameters, with_parameters


@dataclass(frozen=True, eq=False)
class DyadicReciprocity:
    """Dyadic reciprocity of a reply graph (see :func:`dyadic_reciprocity`).

    ``value`` is the share of distinct edges whose reverse exists (None, with
    ``reason``, without edges); ``parameters`` the window and reply structure.

    Attributes
    ----------
    value : float or None
        Reciprocated edges / edges.
    edges, reciprocated_edges : int
        Distinct directed person-to-person edges, and those whose reverse exists.
    reason : str or None
        Why ``value`` is undefined.
    parameters : dict
        Window and reply structure.

    Examples
    --------
    >>> from peerscope.reciprocity.graph import read_replies
    >>> from peerscope.datasets.examples import tiny_thread
    >>> replies = read_replies(tiny_thread())   # ann<->bob, cat->ann
    >>> dyadic_of(replies).to_frame()[["edges", "reciprocated_edges"]].values.tolist()
    [[3, 2]]
    """

    value: float | None
    edges: int
    reciprocated_edges: int
    reason: str | None
    parameters: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row: ``edges, reciprocated_edges, dyadic_reciprocity, reason`` and the parameters."""
        frame = pd.DataFrame({"edges": [self.edges], "reciprocated_edges": [self.reciprocated_edges],
                              "dyadic_reciprocity": [self.value], "reason": [self.reason]})
        return with_parameters(frame, self.parameters)


def dyadic_reciprocity(corpus, start=None, end=None) -> DyadicReciprocity:
    """Share of distinct directed reply edges whose reverse edge also exists.

    Parameters
    ----------
    corpus : peerscope.Corpus
    start, end : time-like, optional
        Replies written in ``[start, end)`` (see :func:`~peerscope.reciprocity.reply_graph`).

    Returns
    -------
    DyadicReciprocity
        ``value`` equals ``networkx.reciprocity`` of the reply graph; None
        (with ``reason``) when the graph has no edges.

    Examples
    --------
    >>> from peerscope.reciprocity import dyadic_reciprocity
    >>> from peerscope.datasets.examples import tiny_thread
    >>> dyadic_reciprocity(tiny_thread()).value  # ann<->bob, cat->ann
    0.6666666666666666
    """
    return dyadic_of(read_replies(corpus, start, end))


def reverse_positions(replies: Replies) -> np.ndarray:
    """For each edge, the position of its reverse edge in the (sorted) edge arrays, or -1.

    Parameters
    ----------
    replies : Replies
        The reply table of a corpus window (:func:`~peerscope.reciprocity.graph.read_replies`).

    Returns
    -------
    numpy.ndarray
        One position per edge of ``replies.edge_source``/``edge_target``.

    Examples
    --------
    Edges sorted: ann->bob, bob->ann, cat->ann; only the first two are returned.

    >>> from peerscope.reciprocity.graph import read_replies
    >>> from peerscope.datasets.examples import tiny_thread
    >>> replies = read_replies(tiny_thread())   # ann<->bob, cat->ann
    >>> reverse_positions(replies).tolist()
    [1, 0, -1]
    """
    return replies.edge_reverse


def dyadic_of(replies: Replies) -> DyadicReciprocity:
    """:class:`DyadicReciprocity` of a reply table.

    Parameters
    ----------
    replies : Replies
        The reply table of a corpus window (:func:`~peerscope.reciprocity.graph.read_replies`).

    Returns
    -------
    DyadicReciprocity

    Examples
    --------
    >>> from peerscope.reciprocity.graph import read_replies
    >>> from peerscope.datasets.examples import tiny_thread
    >>> replies = read_replies(tiny_thread())   # ann<->bob, cat->ann
    >>> result = dyadic_of(replies)
    >>> result.edges, result.reciprocated_edges, round(result.value, 4)
    (3, 2, 0.6667)
    """
    n_edges = len(replies.edge_source)
    reciprocated = int((reverse_positions(replies) >= 0).sum())
    parameters = window_parameters(replies)
    if not n_edges:
        return DyadicReciprocity(None, 0, 0, "no person-to-person reply edges: reciprocity is undefined",
                                 parameters)
    return DyadicReciprocity(reciprocated / n_edges, n_edges, reciprocated, None, parameters)
