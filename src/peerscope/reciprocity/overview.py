"""All reciprocity and responsiveness measures of a corpus window, from one reply graph.

With ``by=`` a member attribute, :func:`summary` compares its groups instead
(a :class:`~peerscope.participation.groups.GroupComparison`; groups, the
``"unknown"`` and ``"other"`` groups and the group sizes as in
:mod:`peerscope.participation.groups`) on two measures of the one reply graph:

- **dyadic reciprocity of a group**: the share of the distinct
  person-to-person edges *whose source is in the group* whose reverse edge
  exists (:func:`~peerscope.reciprocity.dyadic_reciprocity` restricted to
  the edges the group's members send), with a Wilson interval; the test is
  Pearson's chi-square of group against reciprocated / not reciprocated
  (``scipy.stats.chi2_contingency``, Yates' correction for two groups).
- **give/receive roles** (:func:`~peerscope.reciprocity.give_receive`): the
  group's members who only gave, only received, did both or neither, as
  counts and shares; the test is the chi-square of group against role.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from peerscope._kernels.display import Display, fmt, int_array, span
from peerscope._kernels.memory import release_freed_memory
from peerscope.errors import PeerscopeError
from peerscope.participation.groups import (GroupComparison, _chi_square, _group_of, _order, _Rows,
                                            member_groups)
from peerscope.reciprocity.balance import ROLES, Balance, give_receive
from peerscope.reciprocity.dyadic import DyadicReciprocity, dyadic_reciprocity
from peerscope.reciprocity.generalised import GeneralisedReciprocity, generalised_reciprocity
from peerscope.reciprocity.graph import ReplyGraph, _as_graph
from peerscope.reciprocity.motifs import Motifs, exchanges
from peerscope.reciprocity.response_times import Responsiveness, responsiveness
from peerscope.reciprocity.serial import SerialReciprocity, serial_reciprocity

__all__ = ["ReciprocitySummary", "summary"]


@dataclass(frozen=True, eq=False, repr=False)
class ReciprocitySummary(Display):
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
    >>> result = summary(tiny_thread())
    >>> print(repr(result).splitlines()[2])
      replies                 3 (3 edges)
    >>> frame = result.to_frame().set_index("statistic")
    >>> frame.loc[["edges", "reciprocated_edges"], "count"].tolist(), float(frame.loc["answered_share", "value"])
    ([3, 2], 1.0)
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

    def _display_rows(self) -> list[tuple[str, object]]:
        p, b, g, r, m = self.parameters, self.balance, self.generalised, self.responsiveness, self.motifs
        replies, edge = self.graph.accounting["replies"], self.graph.accounting["edge"]
        return [
            ("window", f"{span(p.get('start'), p.get('end'))}, {self.reply_structure} replies"),
            ("replies", f"{fmt(replies)} ({fmt(edge)} edges)"),
            ("edges", f"{fmt(self.edges)} ({fmt(self.dyadic.reciprocated_edges)} reciprocated)"),
            ("dyadic reciprocity", self.dyadic.reason or self.dyadic.value),
            ("roles", b.role_counts),
            ("balanced share", f"{fmt(b.balanced_share)} (ratio {fmt(p.get('balanced_ratio'))})"),
            ("paid forward", f"{fmt(g.paid_forward)} of {fmt(g.receivers)} receivers "
                             f"(share {fmt(g.paid_forward_share)})"),
            ("returned share", g.returned_share),
            ("giving share slope", self.serial.slope),
            ("answered", f"{fmt(r.answered)} of {fmt(r.opening_posts)} opening posts "
                         f"(share {fmt(r.answered_share)})"),
            ("median hours to answer", r.hours_to_first_response.get(0.5)),
            ("exchanges", m.reason or m.total),
        ]

    def to_frame(self) -> pd.DataFrame:
        """The headline numbers as a tidy table, typed by kind.

        Columns: ``section``, ``statistic``, ``kind`` (``count`` or
        ``value``), ``count`` (``Int64``: counts of replies, edges,
        members, threads; NA when undefined), ``value`` (float: shares,
        slopes, hours; NaN when undefined or for a count) and ``detail``
        (text: the reason a value is undefined).  The parameters
        (``start``, ``end``, ``reply_structure``, ``balanced_ratio``,
        ``tenure_bins``, ``min_posts``, ``responses``) are in
        ``frame.attrs["parameters"]``, once.
        """
        rows = []

        def add(section, statistic, value, detail=None, kind="value"):
            count = value if kind == "count" else None
            number = None if kind == "count" or value is None or pd.isna(value) else float(value)
            rows.append((section, statistic, kind, count, number, detail))

        for status, n in self.graph.accounting.items():
            add("replies", status, n, kind="count")
        add("graph", "edges", self.graph.n_edges, kind="count")
        add("graph", "reciprocated_edges", self.dyadic.reciprocated_edges, kind="count")
        add("graph", "dyadic_reciprocity", self.dyadic.value, self.dyadic.reason)
        for role, n in self.balance.role_counts.items():
            add("balance", f"members_{role}", n, kind="count")
        add("balance", "balanced_share", self.balance.balanced_share)
        add("balance", "median_balance", self.balance.median_balance)
        g = self.generalised
        add("generalised", "receivers", g.receivers, kind="count")
        add("generalised", "paid_forward", g.paid_forward, kind="count")
        add("generalised", "paid_forward_share", g.paid_forward_share)
        add("generalised", "returned_share", g.returned_share)
        add("generalised", "median_hours_to_pay_forward", g.median_hours_to_pay_forward)
        s = self.serial
        add("serial", "members", s.n_members, kind="count")
        for part, share in zip(s.trend["part"], s.trend["mean_giving_share"]):
            add("serial", f"mean_giving_share_part_{part}", share)
        add("serial", "slope", s.slope)
        add("serial", "rising_share", s.rising_share)
        r = self.responsiveness
        add("responsiveness", "opening_posts", r.opening_posts, kind="count")
        add("responsiveness", "answered", r.answered, kind="count")
        add("responsiveness", "answered_share", r.answered_share)
        for q, hours in r.hours_to_first_response.items():
            add("responsiveness", f"hours_to_first_response_q{round(q * 100)}", hours)
        add("responsiveness", "return_share", r.return_share)
        add("motifs", "exchanges", self.motifs.total, self.motifs.reason, kind="count")
        add("motifs", "threads_with_exchanges", self.motifs.threads_with_exchanges, self.motifs.reason,
            kind="count")
        frame = pd.DataFrame(rows, columns=["section", "statistic", "kind", "count", "value", "detail"])
        frame["count"] = int_array([row[3] for row in rows])
        frame = frame.astype({"section": "string", "statistic": "string", "kind": "string",
                              "value": "float64", "detail": "string"})
        frame.attrs["parameters"] = dict(self.parameters)
        return frame

    def plot(self, ax=None, **kw):
        """Replies given against received per member (:meth:`Balance.plot`), as in the report.

        Needs matplotlib.  Returns the Axes (a new pyplot figure's when
        ``ax`` is None).
        """
        return self.balance.plot(ax, **kw)


def summary(graph, start=None, end=None, *, balanced_ratio: float = 2.0, tenure_bins: int = 4,
            min_posts: int = 3, responses: str = "others", by: str | None = None, groups=None,
            confidence: float = 0.95) -> ReciprocitySummary | GroupComparison:
    """Reply graph, dyadic, generalised and serial reciprocity, give/receive
    balance, responsiveness and A -> B -> A exchanges, from one reply graph;
    or, with ``by``, dyadic reciprocity and give/receive roles per group of a
    member attribute.

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
    by : str, optional
        A member attribute (a column of ``members``): compare its groups
        (module docstring).  Needs a corpus, not a ReplyGraph.
    groups : sequence of str, optional
        With ``by``: the groups to compare (default every value); the other
        values are pooled into ``"other"``.
    confidence : float
        With ``by``: coverage of the Wilson intervals.

    Returns
    -------
    ReciprocitySummary or GroupComparison
        Every measure's result, the graph, and all parameters;
        ``to_frame()`` gives the headline numbers as a tidy table.  With
        ``by``, a :class:`~peerscope.participation.groups.GroupComparison`:
        per group ``members`` (people of the reply graph: they posted or
        were replied to in the window), ``edges`` (sent by the group),
        ``reciprocated_edges``, ``dyadic_reciprocity`` (Wilson interval),
        ``members_<role>`` and ``share_<role>`` for the roles giver,
        receiver, both and neither; chi-square tests for dyadic reciprocity
        and for the roles.

    Raises
    ------
    PeerscopeError
        When ``start`` or ``end`` is given with a ReplyGraph; with ``by``,
        when ``graph`` is a ReplyGraph or ``by`` is not a member attribute
        (the message lists those there are).

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

    By role, on a forum whose moderator never posted:

    >>> from peerscope.datasets.examples import tiny_moderated
    >>> summary(tiny_moderated(), by="role").sizes
    {'member': 2}
    """
    if by is not None:
        return _by_group(graph, by, start, end, groups=groups, balanced_ratio=balanced_ratio,
                         confidence=confidence)
    release_freed_memory()  # what earlier work freed, before the largest arrays are made
    graph = _as_graph(graph, start, end)
    if graph._workers is None:
        # on the pandas engine every measure but dyadic reads the per-post arrays: built first,
        # the edges are counted from them rather than by a second read of the posts
        # (ReplyGraph._found); on a Dask corpus every measure runs on the workers instead
        graph._table
    # those with the largest temporaries first, while few results are held
    measures = dict(serial=lambda: serial_reciprocity(graph, tenure_bins=tenure_bins, min_posts=min_posts),
                    responsiveness=lambda: responsiveness(graph, responses=responses),
                    generalised=lambda: generalised_reciprocity(graph),
                    balance=lambda: give_receive(graph, balanced_ratio=balanced_ratio),
                    dyadic=lambda: dyadic_reciprocity(graph), motifs=lambda: exchanges(graph))
    parts = {}
    try:
        for name, measure in measures.items():
            release_freed_memory()  # each measure's temporaries go back before the next one's
            parts[name] = measure()
    finally:
        if graph._workers is not None:
            graph._workers.release()  # the posts the measures shared leave the workers' memory
    parts["graph"] = graph
    parameters = {}
    for name in ("graph", "dyadic", "balance", "generalised", "serial", "responsiveness", "motifs"):
        parameters.update(parts[name].parameters)  # in the documented order of to_frame's columns
    return ReciprocitySummary(**parts, parameters=parameters)


#: Statistics of a reciprocity comparison shown in its ``repr``.
_HEADLINE = ("edges", "dyadic_reciprocity", "share_giver", "share_receiver", "share_both")


def _by_group(corpus, by: str, start, end, *, groups, balanced_ratio: float,
              confidence: float) -> GroupComparison:
    """:func:`summary` with ``by``: dyadic reciprocity and roles per group (module docstring)."""
    if isinstance(corpus, ReplyGraph):
        raise PeerscopeError("by= needs the corpus (its members table holds the attribute), "
                             "not a ReplyGraph: pass the corpus, with start/end for a window")
    labels = member_groups(corpus, by, groups)
    graph = _as_graph(corpus, start, end)
    balance = give_receive(graph, balanced_ratio=balanced_ratio)
    if graph._workers is not None and "_table" not in graph.__dict__:
        # a Dask corpus: edges and reciprocated edges per source, counted on the workers
        sent = graph._workers.sent_edges()
        sources = sent["source"].to_numpy(dtype=object)
        edges_sent, reciprocated = sent["edges"].to_numpy(), sent["reciprocated"].to_numpy()
    else:
        # the pandas engine: one entry per edge
        table = graph._table
        sources = np.asarray(table.ids, dtype=object)[table.edge_source]
        edges_sent = np.ones(len(sources), dtype=np.int64)
        reciprocated = (np.asarray(table.edge_reverse) >= 0).astype(np.int64)
    source_group = _group_of(labels, sources)
    member_group = _group_of(labels, balance.members["member_id"])
    roles = balance.members["role"].to_numpy(dtype=object)
    order, compared = _order(set(source_group) | set(member_group), groups)
    rows = _Rows()
    sizes, reciprocated_table, role_table = {}, {}, {}
    for group in order:
        mine = member_group == group
        sizes[group] = int(mine.sum())
        rows.count("members", group, sizes[group])
        sent = source_group == group
        n_edges, n_back = int(edges_sent[sent].sum()), int(reciprocated[sent].sum())
        rows.count("edges", group, n_edges)
        rows.count("reciprocated_edges", group, n_back)
        rows.share("dyadic_reciprocity", group, n_back, n_edges, confidence)
        counts = [int((mine & (roles == role)).sum()) for role in ROLES]
        for role, n in zip(ROLES, counts):
            rows.count(f"members_{role}", group, n)
        for role, n in zip(ROLES, counts):
            rows.value(f"share_{role}", group, n / sizes[group] if sizes[group] else None, "share")
        if group in compared:
            reciprocated_table[group] = (n_back, n_edges - n_back)
            role_table[group] = counts
    _chi_square(rows, "dyadic_reciprocity", pd.DataFrame.from_dict(
        reciprocated_table, orient="index", columns=["reciprocated", "not_reciprocated"]))
    _chi_square(rows, "roles", pd.DataFrame.from_dict(role_table, orient="index", columns=list(ROLES)))
    estimates, tests = rows.frames()
    return GroupComparison(by, order, compared, sizes, "members of the reply graph", estimates, tests,
                           _HEADLINE, {**balance.parameters, "confidence": confidence})
