"""Generalised reciprocity: receiving support, then giving it to someone else.

"Pay it forward" reciprocity (Nowak & Roch 2007, "Upstream reciprocity and
the evolution of gratitude", *Proc R Soc B* 274:605-610; Baker & Bulkley
2014, "Paying it forward vs. rewarding reputation", *Organization Science*
25(5):1493-1510): a person helped by someone helps a *third* person rather
than (or as well as) the helper.  Online peer support is "more generalised"
than one to one (docs/concepts.md).

Definitions
-----------
With :math:`E` the person-to-person reply edges and :math:`t(u, v)` the
time of the first reply from :math:`u` to :math:`v`
(:mod:`peerscope.reciprocity.graph`):

- first reply received: :math:`R_u = \\min_v t(v, u)`;
- first reply given: :math:`G_u = \\min_v t(u, v)`;
- a *generalised* reply is one to someone who had not replied to the giver
  before it: edge :math:`(u, v)` with :math:`(v, u) \\notin E` or
  :math:`t(v, u) \\ge t(u, v)`; first generalised reply
  :math:`F_u = \\min \\{t(u, v) : (u, v) \\text{ generalised}\\}`;
- *paying forward*: the first generalised edge started strictly after the
  member first received a reply,
  :math:`P_u = \\min \\{t(u, v) : (u, v) \\text{ generalised},\\ t(u, v) > R_u\\}`,
  and the time to it :math:`P_u - R_u`.

The paid-forward share is :math:`|\\{u : P_u \\text{ defined}\\}| / |\\{u : R_u
\\text{ defined}\\}|`: of the members who received a reply, the share who
later started replying to a person who had not replied to them.  For
comparison, the *returned* share counts receivers who ever replied to
someone after that person had replied to them (direct reciprocity:
:math:`(u, v)` with a reply from :math:`u` at or after :math:`t(v, u)`, i.e.
:math:`\\max t_{uv} \\ge t(v, u)`).  Only the first reply of each edge enters
:math:`P_u`: repeating a reply to an earlier partner is not a new act of
giving forward.  With times recorded to the day, giving on the day of first
receiving is not counted as paying forward (strict inequality).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from peerscope.reciprocity.dyadic import reverse_positions
from peerscope.reciprocity.graph import (PERSON, Replies, as_times, read_replies,
                                         window_parameters, with_parameters)

_NEVER = np.iinfo(np.int64).max
_HOUR = 3_600_000_000  # microseconds


@dataclass(frozen=True, eq=False)
class GeneralisedReciprocity:
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
    >>> from peerscope.reciprocity.graph import read_replies
    >>> from peerscope.datasets.examples import tiny_thread
    >>> replies = read_replies(tiny_thread())   # ann<->bob, cat->ann
    >>> frame = generalised_of(replies).to_frame()
    >>> frame["member_id"].tolist(), frame["first_paid_forward_at"].isna().all()
    (['ann', 'bob', 'cat'], np.True_)
    """

    members: pd.DataFrame
    receivers: int
    paid_forward: int
    paid_forward_share: float | None
    returned_share: float | None
    median_hours_to_pay_forward: float | None
    parameters: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The per-member table with the parameters as columns."""
        return with_parameters(self.members, self.parameters)


def generalised_reciprocity(corpus, start=None, end=None) -> GeneralisedReciprocity:
    """Who, after first receiving a reply, starts replying to someone who had not replied to them.

    Parameters
    ----------
    corpus : peerscope.Corpus
    start, end : time-like, optional
        Replies written in ``[start, end)``; times before the window are not
        seen, so a member's "first" reply received is their first in the window.

    Returns
    -------
    GeneralisedReciprocity

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> from peerscope.reciprocity import generalised_reciprocity
    >>> posts = pd.DataFrame({   # bob answers ann; ann later answers cat
    ...     "post_id": ["p1", "p2", "p3", "p4"], "thread_id": ["p1", "p1", "p3", "p3"],
    ...     "parent_id": [None, "p1", None, "p3"], "author_id": ["ann", "bob", "cat", "ann"],
    ...     "created_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03",
    ...                                   "2024-01-04"], utc=True), "text": ["."] * 4})
    >>> result = generalised_reciprocity(Corpus.from_frames(posts))
    >>> result.paid_forward, result.receivers, result.median_hours_to_pay_forward
    (1, 2, 48.0)
    """
    return generalised_of(read_replies(corpus, start, end))


def generalised_of(replies: Replies) -> GeneralisedReciprocity:
    """:class:`GeneralisedReciprocity` of a reply table.

    Parameters
    ----------
    replies : Replies
        The reply table of a corpus window (:func:`~peerscope.reciprocity.graph.read_replies`).

    Returns
    -------
    GeneralisedReciprocity

    Examples
    --------
    ann and bob received replies; neither then answered someone new:

    >>> from peerscope.reciprocity.graph import read_replies
    >>> from peerscope.datasets.examples import tiny_thread
    >>> replies = read_replies(tiny_thread())   # ann<->bob, cat->ann
    >>> result = generalised_of(replies)
    >>> result.receivers, result.paid_forward, result.returned_share
    (2, 0, 0.5)
    """
    n = len(replies.ids)
    source, target = replies.edge_source, replies.edge_target
    first, last = replies.edge_first, replies.edge_last
    reverse = reverse_positions(replies)
    reverse_first = np.where(reverse >= 0, first[np.maximum(reverse, 0)], _NEVER)

    received = _first_by(target, first, n)
    gave = _first_by(source, first, n)
    generalised = reverse_first >= first
    first_generalised = _first_by(source[generalised], first[generalised], n)
    forward = generalised & (first > received[source])
    paid_forward = _first_by(source[forward], first[forward], n)
    returned_edge = (reverse >= 0) & (last >= reverse_first)
    returned = np.bincount(source[returned_edge], minlength=n) > 0

    member = (replies.kind == PERSON) & ((received < _NEVER) | (gave < _NEVER))
    receiver = received[member] < _NEVER
    waited = np.where(paid_forward[member] < _NEVER,
                      (paid_forward[member] - received[member]) / _HOUR, np.nan)
    members = pd.DataFrame({
        "member_id": pd.Series(replies.ids[member], dtype="str"),
        "first_received_at": _times(received[member]),
        "first_gave_at": _times(gave[member]),
        "first_generalised_at": _times(first_generalised[member]),
        "first_paid_forward_at": _times(paid_forward[member]),
        "hours_to_pay_forward": waited,
        "returned": returned[member]}).sort_values("member_id", ignore_index=True)
    receivers = int(receiver.sum())
    paid = int((paid_forward[member] < _NEVER).sum())
    hours = members["hours_to_pay_forward"].dropna()
    return GeneralisedReciprocity(
        members, receivers, paid, paid / receivers if receivers else None,
        float((returned[member] & receiver).sum() / receivers) if receivers else None,
        float(hours.median()) if len(hours) else None, window_parameters(replies))


def _first_by(codes: np.ndarray, times: np.ndarray, n: int) -> np.ndarray:
    """Minimum time per code (``_NEVER`` where a code has none)."""
    out = np.full(n, _NEVER, dtype=np.int64)
    np.minimum.at(out, codes, times)
    return out


def _times(micros: np.ndarray) -> pd.Series:
    return as_times(np.where(micros < _NEVER, micros, np.iinfo(np.int64).min))
