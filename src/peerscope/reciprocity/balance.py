"""Give/receive balance per member: who gives support, who receives it, who does both."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from peerscope._kernels.display import Display, axes, draw_give_receive, span
from peerscope.reciprocity.graph import PERSON, _as_graph, with_parameters

__all__ = ["Balance", "give_receive"]

#: The give/receive roles, in the order of :attr:`Balance.role_counts`.
ROLES = ("giver", "receiver", "both", "neither")


@dataclass(frozen=True, eq=False, repr=False)
class Balance(Display):
    """Per-member giving and receiving (see :func:`give_receive`).

    Attributes
    ----------
    members : pandas.DataFrame
        One row per member: ``member_id, posts, given, received,
        partners_given, partners_received, balance, role``.
    role_counts : dict
        Members per role.
    balanced_share : float or None
        Share of members who both gave and received whose ratio lies in
        ``[1/balanced_ratio, balanced_ratio]``; None when nobody did both.
    median_balance : float or None
        Median :math:`b_u` over members who gave or received.
    parameters : dict

    Examples
    --------
    >>> from peerscope.datasets.examples import tiny_thread
    >>> frame = give_receive(tiny_thread()).to_frame()   # ann <-> bob, cat -> ann
    >>> frame[["member_id", "given", "received", "role"]].values.tolist()
    [['ann', 1, 2, 'both'], ['bob', 1, 1, 'both'], ['cat', 1, 0, 'giver']]
    >>> frame.attrs["parameters"]["balanced_ratio"]
    2.0
    """

    members: pd.DataFrame
    role_counts: dict
    balanced_share: float | None
    median_balance: float | None
    parameters: dict = field(default_factory=dict)

    def _display_rows(self) -> list[tuple[str, object]]:
        return [("members", len(self.members)),
                ("roles", self.role_counts),
                ("balanced share", self.balanced_share),
                ("median balance", self.median_balance),
                ("balanced ratio", self.parameters.get("balanced_ratio")),
                ("window", span(self.parameters.get("start"), self.parameters.get("end")))]

    def to_frame(self) -> pd.DataFrame:
        """The per-member table (counts int64, ``balance`` float); the parameters in ``attrs``."""
        return with_parameters(self.members, self.parameters)

    def plot(self, ax=None, **kw):
        """Replies given against received per member, marker by role, as in the report.

        Needs matplotlib.  ``kw`` go to ``ax.scatter``.  Returns the Axes (a
        new pyplot figure's when ``ax`` is None).
        """
        ax = axes(ax)
        draw_give_receive(ax, self, **kw)
        return ax


def give_receive(graph, start=None, end=None, *, balanced_ratio: float = 2.0) -> Balance:
    r"""Replies given and received per member, their balance, and give/receive roles.

    For a member :math:`u` of the window (a person who posted in it or was
    replied to in it), with :math:`w(u, v)` the replies from :math:`u` to
    :math:`v` (see :func:`~peerscope.reciprocity.reply_graph`),

    .. math::

        g_u = \sum_v w(u, v), \qquad c_u = \sum_v w(v, u), \qquad
        b_u = \frac{g_u - c_u}{g_u + c_u} \in [-1, 1]:

    replies given, replies received and the balance (:math:`0` is 1:1,
    :math:`+1` only giving, :math:`-1` only receiving).  A member who gave
    and received is *balanced* when :math:`1/k \le g_u / c_u \le k`
    (:math:`k` = ``balanced_ratio``).  Roles: ``giver`` (:math:`g_u > 0 =
    c_u`), ``receiver`` (:math:`c_u > 0 = g_u`), ``both`` and ``neither``.
    A balance of giving and receiving support, not receiving alone, goes
    with better self-esteem and less depression (Bracke et al. 2008), so
    each member's balance is reported, not only totals.

    Parameters
    ----------
    graph : ReplyGraph or peerscope.Corpus
        The reply graph (:func:`~peerscope.reciprocity.reply_graph`), or a
        corpus (pandas or Dask engine, same numbers) to build it from.
    start, end : time-like, optional
        With a corpus: the replies and posts written in ``[start, end)``.
        A graph has its window already.
    balanced_ratio : float
        :math:`k \ge 1` (default 2).

    Returns
    -------
    Balance
        Per member ``posts``, :math:`g_u`, :math:`c_u`, distinct partners
        each way, :math:`b_u` and the role; the members per role, the share
        of members doing both who are balanced, and the median :math:`b_u`.

    Raises
    ------
    PeerscopeError
        When ``start`` or ``end`` is given with a ReplyGraph.
    ValueError
        When ``balanced_ratio < 1``.

    Notes
    -----
    :math:`b_u` is undefined for a member who neither gave nor received
    (:math:`g_u = c_u = 0`: only opening posts, none answered); it is then
    NaN and the median leaves it out.  ``balanced_share`` is None when no
    member both gave and received, ``median_balance`` None when no member
    gave or received.

    On a Dask corpus the posts, replies and partners per person are counted
    on the workers: one row per member reaches this process, none per post
    or per edge.

    References
    ----------
    Bracke, P., Christiaens, W., & Verhaeghe, M. (2008). Self-esteem,
    self-efficacy, and the balance of peer support among persons with
    chronic mental health problems. *Journal of Applied Social Psychology*
    38(2):436-459.

    Examples
    --------
    >>> from peerscope.datasets.examples import tiny_thread
    >>> from peerscope.reciprocity import give_receive
    >>> result = give_receive(tiny_thread())   # ann <-> bob, cat -> ann
    >>> result.members[["member_id", "given", "received", "balance", "role"]].round(3).values.tolist()
    [['ann', 1, 2, -0.333, 'both'], ['bob', 1, 1, 0.0, 'both'], ['cat', 1, 0, 1.0, 'giver']]
    >>> result.role_counts, result.balanced_share, result.median_balance
    ({'giver': 1, 'receiver': 0, 'both': 2, 'neither': 0}, 1.0, 0.0)
    """
    if balanced_ratio < 1:
        raise ValueError("balanced_ratio must be >= 1")
    graph = _as_graph(graph, start, end)
    if graph._workers is not None and "_table" not in graph.__dict__:
        members = graph._workers.members()
    else:
        members = _members_from_table(graph._table)
    total = members["given"] + members["received"]
    members["balance"] = ((members["given"] - members["received"]) / total).where(total > 0)
    given, received = members["given"] > 0, members["received"] > 0
    members["role"] = pd.Series(np.select([given & received, given, received], ["both", "giver", "receiver"],
                                          "neither"), dtype="str", index=members.index)
    members = members.sort_values("member_id", ignore_index=True)
    both = members[members["role"] == "both"]
    ratio = both["given"] / both["received"]
    balanced = ((ratio >= 1 / balanced_ratio) & (ratio <= balanced_ratio)).mean() if len(both) else None
    defined = members["balance"].dropna()
    parameters = {**graph.parameters, "balanced_ratio": balanced_ratio}
    return Balance(members, {r: int((members["role"] == r).sum()) for r in ROLES},
                   None if balanced is None else float(balanced),
                   float(defined.median()) if len(defined) else None, parameters)


def _members_from_table(table) -> pd.DataFrame:
    """Per member ``member_id, posts, given, received, partners_given, partners_received``, counted
    from the per-post arrays of a reply table (the pandas engine)."""
    n = len(table.ids)
    posts = np.bincount(table.author[table.is_person], minlength=n)
    given = np.bincount(table.edge_source, weights=table.edge_replies, minlength=n).astype(np.int64)
    received = np.bincount(table.edge_target, weights=table.edge_replies, minlength=n).astype(np.int64)
    member = (table.kind == PERSON) & ((posts > 0) | (received > 0))
    return pd.DataFrame({
        "member_id": pd.Series(table.ids[member], dtype="str"),
        "posts": posts[member].astype(np.int64), "given": given[member], "received": received[member],
        "partners_given": np.bincount(table.edge_source, minlength=n)[member].astype(np.int64),
        "partners_received": np.bincount(table.edge_target, minlength=n)[member].astype(np.int64)})

