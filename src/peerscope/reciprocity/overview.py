"""All reciprocity and responsiveness measures of a corpus window, from one reply graph."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from peerscope._kernels.memory import release_freed_memory
from peerscope.reciprocity.balance import Balance, give_receive
from peerscope.reciprocity.dyadic import DyadicReciprocity, dyadic_reciprocity
from peerscope.reciprocity.generalised import GeneralisedReciprocity, generalised_reciprocity
from peerscope.reciprocity.graph import ReplyGraph, _as_graph
from peerscope.reciprocity.motifs import Motifs, exchanges
from peerscope.reciprocity.response_times import Responsiveness, responsiveness
from peerscope.reciprocity.serial import SerialReciprocity, serial_reciprocity

__all__ = ["ReciprocitySummary", "summary"]


@dataclass(frozen=True, eq=False)
class ReciprocitySummary:
    """Every reciprocity measure of one corpus window (see :func:`summary`).

    Attributes
    ----------
    graph : ReplyGraph
        The graph the measures were computed from; pass it to any measure
        to compute more (another ``responses``, say) without reading the
        posts again.
    dyadic : DyadicReciprocity
    balance : Balance
    generalised : GeneralisedReciprocity
    serial : SerialReciprocity
    responsiveness : Responsiveness
    motifs : Motifs
    parameters : dict
        Window, reply structure and every parameter of the measures.

    Examples
    --------
    >>> from peerscope.datasets.examples import tiny_thread
    >>> frame = summary(tiny_thread()).to_frame().set_index("statistic")
    >>> frame.loc[["edges", "reciprocated_edges", "answered_share"], "value"].tolist()
    [3.0, 2.0, 1.0]
    """

    graph: ReplyGraph
    dyadic: DyadicReciprocity
    balance: Balance
    generalised: GeneralisedReciprocity
    serial: SerialReciprocity
    responsiveness: Responsiveness
    motifs: Motifs
    parameters: dict = field(default_factory=dict)

    @property
    def edges(self) -> int:
        """Distinct directed person-to-person edges."""
        return self.graph.n_edges

    @property
    def dyadic_reciprocity(self) -> float | None:
        """Share of distinct edges whose reverse exists (None without edges)."""
        return self.dyadic.value

    @property
    def reply_structure(self) -> str:
        """``"nested"``, ``"flat"`` or ``"no replies"``."""
        return self.graph.reply_structure

    def to_frame(self) -> pd.DataFrame:
        """The headline numbers as a tidy table.

        Columns: ``section``, ``statistic``, ``value`` (float; NaN when
        undefined), ``detail`` (text: the reason a value is undefined), and
        one column per parameter (``start``, ``end``, ``reply_structure``,
        ``balanced_ratio``, ``tenure_bins``, ``min_posts``, ``responses``).
        """
        rows = []

        def add(section, statistic, value, detail=None):
            rows.append((section, statistic, None if value is None else float(value), detail))

        for status, n in self.graph.accounting.items():
            add("replies", status, n)
        add("graph", "edges", self.graph.n_edges)
        add("graph", "reciprocated_edges", self.dyadic.reciprocated_edges)
        add("graph", "dyadic_reciprocity", self.dyadic.value, self.dyadic.reason)
        for role, n in self.balance.role_counts.items():
            add("balance", f"members_{role}", n)
        add("balance", "balanced_share", self.balance.balanced_share)
        add("balance", "median_balance", self.balance.median_balance)
        g = self.generalised
        add("generalised", "receivers", g.receivers)
        add("generalised", "paid_forward", g.paid_forward)
        add("generalised", "paid_forward_share", g.paid_forward_share)
        add("generalised", "returned_share", g.returned_share)
        add("generalised", "median_hours_to_pay_forward", g.median_hours_to_pay_forward)
        s = self.serial
        add("serial", "members", s.n_members)
        for part, share in zip(s.trend["part"], s.trend["mean_giving_share"]):
            add("serial", f"mean_giving_share_part_{part}", None if pd.isna(share) else share)
        add("serial", "slope", s.slope)
        add("serial", "rising_share", s.rising_share)
        r = self.responsiveness
        add("responsiveness", "opening_posts", r.opening_posts)
        add("responsiveness", "answered", r.answered)
        add("responsiveness", "answered_share", r.answered_share)
        for q, hours in r.hours_to_first_response.items():
            add("responsiveness", f"hours_to_first_response_q{round(q * 100)}", hours)
        add("responsiveness", "return_share", r.return_share)
        add("motifs", "exchanges", self.motifs.total, self.motifs.reason)
        add("motifs", "threads_with_exchanges", self.motifs.threads_with_exchanges, self.motifs.reason)
        frame = pd.DataFrame(rows, columns=["section", "statistic", "value", "detail"])
        frame = frame.astype({"section": "str", "statistic": "str", "value": "float64"})
        for name, value in self.parameters.items():
            frame[name] = pd.Series([value] * len(frame), dtype="object")
        frame.attrs["parameters"] = dict(self.parameters)
        return frame


def summary(graph, start=None, end=None, *, balanced_ratio: float = 2.0, tenure_bins: int = 4,
            min_posts: int = 3, responses: str = "others") -> ReciprocitySummary:
    """Reply graph, dyadic, generalised and serial reciprocity, give/receive
    balance, responsiveness and A -> B -> A exchanges, from one reply graph.

    The graph is built once (or taken as given) and passed to each measure;
    each measure's docstring states its definition, the case where it is
    undefined and its source.

    Parameters
    ----------
    graph : ReplyGraph or peerscope.Corpus
        The reply graph (:func:`~peerscope.reciprocity.reply_graph`), or a
        corpus (pandas or Dask engine, same numbers) to build it from.
    start, end : time-like, optional
        With a corpus: the window ``[start, end)``.  A reply in the window
        to a post written before it is a reply to that post's author.  A
        graph has its window already.
    balanced_ratio : float
        See :func:`~peerscope.reciprocity.give_receive`.
    tenure_bins, min_posts : int
        See :func:`~peerscope.reciprocity.serial_reciprocity`.
    responses : {"others", "others_and_bots", "all"}
        See :func:`~peerscope.reciprocity.responsiveness`.

    Returns
    -------
    ReciprocitySummary
        Every measure's result, the graph, and all parameters;
        ``to_frame()`` gives the headline numbers as a tidy table.

    Raises
    ------
    PeerscopeError
        When ``start`` or ``end`` is given with a ReplyGraph.

    Notes
    -----
    A measure that is undefined (no edges; flat threads for the exchanges;
    nothing answered) is NaN in ``to_frame()``, with the reason in
    ``detail`` where the measure gives one.

    Examples
    --------
    >>> from peerscope.datasets.examples import tiny_thread
    >>> from peerscope.reciprocity import summary
    >>> result = summary(tiny_thread())   # ann <-> bob, cat -> ann
    >>> result.edges, round(result.dyadic_reciprocity, 4), result.reply_structure
    (3, 0.6667, 'nested')
    >>> summary(result.graph).to_frame().equals(result.to_frame())   # the same graph again
    True
    """
    release_freed_memory()  # what earlier work freed, before the largest arrays are made
    graph = _as_graph(graph, start, end)
    # those with the largest temporaries first, while few results are held
    measures = dict(serial=lambda: serial_reciprocity(graph, tenure_bins=tenure_bins, min_posts=min_posts),
                    responsiveness=lambda: responsiveness(graph, responses=responses),
                    generalised=lambda: generalised_reciprocity(graph),
                    balance=lambda: give_receive(graph, balanced_ratio=balanced_ratio),
                    dyadic=lambda: dyadic_reciprocity(graph), motifs=lambda: exchanges(graph))
    parts = {}
    for name, measure in measures.items():
        release_freed_memory()  # each measure's temporaries go back before the next one's
        parts[name] = measure()
    parts["graph"] = graph
    parameters = {}
    for name in ("graph", "dyadic", "balance", "generalised", "serial", "responsiveness", "motifs"):
        parameters.update(parts[name].parameters)  # in the documented order of to_frame's columns
    return ReciprocitySummary(**parts, parameters=parameters)
