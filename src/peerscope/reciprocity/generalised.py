"""Generalised reciprocity: receiving support, then giving it to someone else ("paying it forward")."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from peerscope._kernels.display import Display, fmt
from peerscope.reciprocity._replies import NEVER, paying_forward
from peerscope.reciprocity.graph import PERSON, _as_graph, as_times, with_parameters

__all__ = ["GeneralisedReciprocity", "generalised_reciprocity"]

_HOUR = 3_600_000_000  # microseconds


@dataclass(frozen=True, eq=False, repr=False)
class GeneralisedReciprocity(Display):
    """Paying forward after receiving (see :func:`generalised_reciprocity`).

    Attributes
    ----------
    members : pandas.DataFrame
        One row per member who gave or received: ``member_id,
        first_received_at, first_gave_at, first_generalised_at,
        first_paid_forward_at, hours_to_pay_forward, returned``.
    receivers : int
        Members who received at least one reply.
    paid_forward : int
        Receivers with a :math:`P_u`.
    paid_forward_share : float or None
        ``paid_forward / receivers`` (None with no receivers).
    returned_share : float or None
        Share of receivers who replied to someone after that person had
        replied to them (direct reciprocity), for comparison.
    median_hours_to_pay_forward : float or None
    parameters : dict

    Examples
    --------
    >>> from peerscope.datasets.examples import tiny_thread
    >>> frame = generalised_reciprocity(tiny_thread()).to_frame()   # ann <-> bob, cat -> ann
    >>> frame["member_id"].tolist(), frame["returned"].tolist()
    (['ann', 'bob', 'cat'], [True, False, False])
    """

    members: pd.DataFrame
    receivers: int
    paid_forward: int
    paid_forward_share: float | None
    returned_share: float | None
    median_hours_to_pay_forward: float | None
    parameters: dict = field(default_factory=dict)

    def _display_rows(self) -> list[tuple[str, object]]:
        return [("receivers", self.receivers),
                ("paid forward", f"{fmt(self.paid_forward)} (share {fmt(self.paid_forward_share)})"),
                ("returned share", self.returned_share),
                ("median hours to pay forward", self.median_hours_to_pay_forward),
                ("members", self.members)]

    def to_frame(self) -> pd.DataFrame:
        """The per-member table, with the parameters in ``attrs``."""
        return with_parameters(self.members, self.parameters)


def generalised_reciprocity(graph, start=None, end=None) -> GeneralisedReciprocity:
    r"""Who, after first receiving a reply, starts replying to someone who had not replied to them.

    Generalised ("upstream", "pay it forward") reciprocity: a person helped
    by someone helps a *third* person rather than, or as well as, the
    helper.  Online peer support is more generalised than one to one, so
    this measure, not only :func:`~peerscope.reciprocity.dyadic_reciprocity`,
    says whether support circulates.

    With :math:`E` the person-to-person reply edges and :math:`t(u, v)` the
    time of the first reply from :math:`u` to :math:`v` (see
    :func:`~peerscope.reciprocity.reply_graph`):

    - first reply received :math:`R_u = \min_v t(v, u)`, first reply given
      :math:`G_u = \min_v t(u, v)`;
    - an edge :math:`(u, v)` is *generalised* when :math:`v` had not
      replied to :math:`u` before it: :math:`(v, u) \notin E` or
      :math:`t(v, u) \ge t(u, v)`; the first generalised reply is
      :math:`F_u = \min \{t(u, v) : (u, v) \text{ generalised}\}`;
    - :math:`u` *pays forward* at

      .. math::

          P_u = \min \{t(u, v) : (u, v) \text{ generalised},\ t(u, v) > R_u\},

      after waiting :math:`P_u - R_u`.

    The paid-forward share is :math:`|\{u : P_u \text{ defined}\}| / |\{u :
    R_u \text{ defined}\}|`.  For comparison, the *returned* share counts the
    receivers who ever replied to someone at or after that person had
    replied to them (direct reciprocity: a reply :math:`u \to v` at or after
    :math:`t(v, u)`).  Only the first reply of each edge enters :math:`P_u`:
    replying again to an earlier partner is not a new act of giving forward.
    With times recorded to the day, giving on the day of first receiving is
    not paying forward (the inequality is strict).

    Parameters
    ----------
    graph : ReplyGraph or peerscope.Corpus
        The reply graph (:func:`~peerscope.reciprocity.reply_graph`), or a
        corpus (pandas or Dask engine, same numbers) to build it from.
    start, end : time-like, optional
        With a corpus: the replies written in ``[start, end)``.  A graph
        has its window already.  Replies before the window are not seen, so
        a member's "first" reply received is their first in the window.

    Returns
    -------
    GeneralisedReciprocity
        Per member :math:`R_u`, :math:`G_u`, :math:`F_u`, :math:`P_u`, the
        hours :math:`P_u - R_u` and whether they returned a reply; the
        paid-forward and returned shares and the median wait.

    Raises
    ------
    PeerscopeError
        When ``start`` or ``end`` is given with a ReplyGraph.

    Notes
    -----
    :math:`R_u`, :math:`G_u`, :math:`F_u` and :math:`P_u` are undefined
    (``NaT``; hours NaN) for members who never received, gave, replied
    generalised or paid forward.  Without receivers both shares are None;
    when nobody paid forward the median wait is None.

    References
    ----------
    Nowak, M. A., & Roch, S. (2007). Upstream reciprocity and the evolution
    of gratitude. *Proceedings of the Royal Society B* 274:605-610.
    Baker, W. E., & Bulkley, N. (2014). Paying it forward vs. rewarding
    reputation: mechanisms of generalized reciprocity. *Organization
    Science* 25(5):1493-1510.

    Examples
    --------
    ann and bob received replies; ann's reply went back to bob, who had
    answered her: a return, not paying forward.

    >>> from peerscope.datasets.examples import tiny_thread
    >>> from peerscope.reciprocity import generalised_reciprocity, reply_graph
    >>> result = generalised_reciprocity(tiny_thread())   # ann <-> bob, cat -> ann
    >>> result.receivers, result.paid_forward, result.paid_forward_share, result.returned_share
    (2, 0, 0.0, 0.5)
    >>> early = generalised_reciprocity(reply_graph(tiny_thread(), end="2024-01-02"))
    >>> early.receivers, early.paid_forward_share   # no reply yet: undefined
    (0, None)
    """
    graph = _as_graph(graph, start, end)
    if graph._workers is not None and "_table" not in graph.__dict__:
        # a Dask corpus: computed member by member on the workers, one row per member collected
        found = graph._workers.paying_forward()
        ids = pd.Index(found["member_id"].to_numpy())
        found = {name: found[name].to_numpy() for name in _TIMES + ("returned",)}
    else:
        table = graph._table
        found = paying_forward(table.edge_source, table.edge_target, table.edge_first, table.edge_last,
                               table.edge_reverse, len(table.ids))
        # every edge joins two persons; the members are the persons with an edge
        member = (table.kind == PERSON) & ((found["first_received"] < NEVER) | (found["first_gave"] < NEVER))
        ids = table.ids[member]
        found = {name: values[member] for name, values in found.items()}
    received, paid_forward, returned = found["first_received"], found["first_paid_forward"], found["returned"]
    receiver = received < NEVER
    waited = np.where(paid_forward < NEVER, (paid_forward - received) / _HOUR, np.nan)
    members = pd.DataFrame({
        "member_id": pd.Series(ids, dtype="str"),
        **{f"{name}_at": _times(found[name]) for name in _TIMES},
        "hours_to_pay_forward": waited,
        "returned": returned}).sort_values("member_id", ignore_index=True)
    receivers = int(receiver.sum())
    paid = int((paid_forward < NEVER).sum())
    hours = members["hours_to_pay_forward"].dropna()
    return GeneralisedReciprocity(
        members, receivers, paid, paid / receivers if receivers else None,
        float((returned & receiver).sum() / receivers) if receivers else None,
        float(hours.median()) if len(hours) else None, graph.parameters)


#: The times per member that :func:`~peerscope.reciprocity._replies.paying_forward` finds, in the
#: order of the ``members`` columns (each ``<name>_at``).
_TIMES = ("first_received", "first_gave", "first_generalised", "first_paid_forward")


def _times(micros: np.ndarray) -> pd.Series:
    """Microseconds -> UTC times, ``NaT`` where a time is undefined (``NEVER``)."""
    return as_times(np.where(micros < NEVER, micros, np.iinfo(np.int64).min))
