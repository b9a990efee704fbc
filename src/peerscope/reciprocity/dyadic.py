"""Dyadic reciprocity: how many reply edges are returned, one to one."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from peerscope._kernels.display import Display, fmt, span
from peerscope.reciprocity.graph import _as_graph, with_parameters

__all__ = ["DyadicReciprocity", "dyadic_reciprocity"]


@dataclass(frozen=True, eq=False, repr=False)
class DyadicReciprocity(Display):
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
    >>> from peerscope.datasets.examples import tiny_thread
    >>> frame = dyadic_reciprocity(tiny_thread()).to_frame()   # ann <-> bob, cat -> ann
    >>> frame[["edges", "reciprocated_edges"]].values.tolist(), frame.attrs["parameters"]["reply_structure"]
    ([[3, 2]], 'nested')
    """

    value: float | None
    edges: int
    reciprocated_edges: int
    reason: str | None
    parameters: dict = field(default_factory=dict)

    def _display_rows(self) -> list[tuple[str, object]]:
        return [("dyadic reciprocity", self.reason or self.value),
                ("edges", f"{fmt(self.edges)} ({fmt(self.reciprocated_edges)} reciprocated)"),
                ("window", span(self.parameters.get("start"), self.parameters.get("end"))),
                ("reply structure", self.parameters.get("reply_structure"))]

    def to_frame(self) -> pd.DataFrame:
        """One row: ``edges, reciprocated_edges`` (Int64), ``dyadic_reciprocity`` (float), ``reason``.

        The parameters are in ``frame.attrs["parameters"]``.
        """
        frame = pd.DataFrame({"edges": pd.array([self.edges], dtype="Int64"),
                              "reciprocated_edges": pd.array([self.reciprocated_edges], dtype="Int64"),
                              "dyadic_reciprocity": pd.array([self.value], dtype="float64"),
                              "reason": pd.array([self.reason], dtype="string")})
        return with_parameters(frame, self.parameters)


def dyadic_reciprocity(graph, start=None, end=None) -> DyadicReciprocity:
    r"""Share of the reply graph's edges whose reverse edge also exists.

    For the set :math:`E` of distinct directed person-to-person reply edges
    (see :func:`~peerscope.reciprocity.reply_graph`), the dyadic reciprocity is

    .. math::

        r = \frac{|\{(u, v) \in E : (v, u) \in E\}|}{|E|}.

    Reply counts do not matter: one reply each way reciprocates an edge.
    This is reciprocity between two people; in online peer support much of
    it is generalised instead (:func:`~peerscope.reciprocity.generalised_reciprocity`).

    Parameters
    ----------
    graph : ReplyGraph or peerscope.Corpus
        The reply graph (:func:`~peerscope.reciprocity.reply_graph`), or a
        corpus (pandas or Dask engine, same numbers) to build it from.
    start, end : time-like, optional
        With a corpus: the replies written in ``[start, end)``.  A graph
        has its window already.

    Returns
    -------
    DyadicReciprocity
        ``value`` is :math:`r`; ``edges`` and ``reciprocated_edges`` the
        denominator and numerator.

    Raises
    ------
    PeerscopeError
        When ``start`` or ``end`` is given with a ReplyGraph.

    Notes
    -----
    :math:`r` is undefined for a graph without edges: ``value`` is then
    None and ``reason`` says why.

    References
    ----------
    Newman, M. E. J. (2010). *Networks: An Introduction*. Oxford University
    Press, section 7.10, "Reciprocity"; the definition of
    ``networkx.reciprocity`` for a directed graph.

    Examples
    --------
    >>> from peerscope.datasets.examples import tiny_thread
    >>> from peerscope.reciprocity import dyadic_reciprocity, reply_graph
    >>> result = dyadic_reciprocity(tiny_thread())   # ann <-> bob, cat -> ann
    >>> result.reciprocated_edges, result.edges, round(result.value, 4)
    (2, 3, 0.6667)
    >>> dyadic_reciprocity(reply_graph(tiny_thread(), start="2024-01-05")).reason
    'no person-to-person reply edges: reciprocity is undefined'
    """
    graph = _as_graph(graph, start, end)
    n_edges = graph.n_edges
    reciprocated = graph.n_reciprocated
    parameters = graph.parameters
    if not n_edges:
        return DyadicReciprocity(None, 0, 0, "no person-to-person reply edges: reciprocity is undefined",
                                 parameters)
    return DyadicReciprocity(reciprocated / n_edges, n_edges, reciprocated, None, parameters)
