"""All reciprocity and responsiveness measures of a corpus window, from one read."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from peerscope._kernels.memory import release_freed_memory
from peerscope.reciprocity.balance import Balance, balance_of
from peerscope.reciprocity.dyadic import DyadicReciprocity, dyadic_of
from peerscope.reciprocity.generalised import GeneralisedReciprocity, generalised_of
from peerscope.reciprocity.graph import ReplyGraph, graph_of, read_replies
from peerscope.reciprocity.motifs import Motifs, motifs_of
from peerscope.reciprocity.response_times import Responsiveness, responsiveness_of
from peerscope.reciprocity.serial import SerialReciprocity, serial_of


@dataclass(frozen=True, eq=False)
class ReciprocitySummary:
    """Every reciprocity measure of one corpus window (see :func:`summary`).

    Attributes
    ----------
    graph : ReplyGraph
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


def summary(corpus, start=None, end=None, *, balanced_ratio: float = 2.0, tenure_bins: int = 4,
            min_posts: int = 3, responses: str = "others") -> ReciprocitySummary:
    """Reply graph, dyadic, generalised and serial reciprocity, give/receive
    balance, responsiveness and A -> B -> A exchanges of ``corpus``.

    The posts are read and linked once (:mod:`peerscope.reciprocity.graph`);
    each measure is documented, with its formula and source, in its module.

    Parameters
    ----------
    corpus : peerscope.Corpus
        Pandas or Dask engine; same numbers.
    start, end : time-like, optional
        Window ``[start, end)``.  A reply in the window to a post written
        before it is a reply to that post's author.
    balanced_ratio : float
        See :func:`~peerscope.reciprocity.give_receive`.
    tenure_bins, min_posts : int
        See :func:`~peerscope.reciprocity.serial_reciprocity`.
    responses : {"others", "others_and_bots", "all"}
        See :func:`~peerscope.reciprocity.responsiveness`.

    Returns
    -------
    ReciprocitySummary

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> from peerscope.reciprocity import summary
    >>> posts = pd.DataFrame({
    ...     "post_id": ["p1", "p2", "p3"], "thread_id": ["p1"] * 3,
    ...     "parent_id": [None, "p1", "p2"], "author_id": ["ann", "bob", "ann"],
    ...     "created_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"], utc=True),
    ...     "text": ["."] * 3})
    >>> result = summary(Corpus.from_frames(posts))
    >>> result.edges, result.dyadic_reciprocity, result.reply_structure
    (2, 1.0, 'nested')
    """
    release_freed_memory()  # what earlier work freed, before the largest arrays are made
    replies = read_replies(corpus, start, end)
    # those with the largest temporaries first, while few results are held
    measures = dict(serial=lambda: serial_of(replies, tenure_bins, min_posts),
                    responsiveness=lambda: responsiveness_of(replies, responses),
                    generalised=lambda: generalised_of(replies),
                    balance=lambda: balance_of(replies, balanced_ratio),
                    dyadic=lambda: dyadic_of(replies), motifs=lambda: motifs_of(replies),
                    graph=lambda: graph_of(replies))
    parts = {}
    for name, measure in measures.items():
        release_freed_memory()  # each measure's temporaries go back before the next one's
        parts[name] = measure()
    parameters = {}
    for name in ("graph", "dyadic", "balance", "generalised", "serial", "responsiveness", "motifs"):
        parameters.update(parts[name].parameters)  # in the documented order of to_frame's columns
    return ReciprocitySummary(**parts, parameters=parameters)
