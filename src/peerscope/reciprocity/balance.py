"""Give/receive balance per member, and roles giver / receiver / both / neither.

Definitions
-----------
For a member :math:`u` of the window (a person who posted in it or was
replied to in it), with :math:`w(u, v)` the replies from :math:`u` to
:math:`v` (:mod:`peerscope.reciprocity.graph`):

.. math::

    g_u = \\sum_v w(u, v) \\quad\\text{(replies given)}, \\qquad
    c_u = \\sum_v w(v, u) \\quad\\text{(replies received)},

    b_u = \\frac{g_u - c_u}{g_u + c_u} \\in [-1, 1]
    \\quad\\text{(balance; undefined when } g_u = c_u = 0).

:math:`b_u = 0` is a 1:1 balance, :math:`+1` only giving, :math:`-1` only
receiving.  A member is *balanced* when :math:`1/k \\le g_u / c_u \\le k`
(``balanced_ratio`` :math:`k`, default 2).  Roles: ``giver`` (:math:`g_u > 0
= c_u`), ``receiver`` (:math:`c_u > 0 = g_u`), ``both``, ``neither``.
Bracke, Christiaens & Verhaeghe (2008) found that a balance of giving and
receiving support, not receiving alone, goes with better self-esteem and
less depression (*J Appl Soc Psychol* 38(2):436-459); the balance of each
member is therefore reported, not only totals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from peerscope.reciprocity.graph import (PERSON, Replies, read_replies, window_parameters,
                                         with_parameters)

ROLES = ("giver", "receiver", "both", "neither")


@dataclass(frozen=True, eq=False)
class Balance:
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
    >>> from peerscope.reciprocity.graph import read_replies
    >>> from peerscope.datasets.examples import tiny_thread
    >>> replies = read_replies(tiny_thread())   # ann<->bob, cat->ann
    >>> balance_of(replies).to_frame()[["member_id", "given", "received", "role"]].values.tolist()
    [['ann', 1, 2, 'both'], ['bob', 1, 1, 'both'], ['cat', 1, 0, 'giver']]
    """

    members: pd.DataFrame
    role_counts: dict
    balanced_share: float | None
    median_balance: float | None
    parameters: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The per-member table with the parameters as columns."""
        return with_parameters(self.members, self.parameters)


def give_receive(corpus, start=None, end=None, *, balanced_ratio: float = 2.0) -> Balance:
    """Replies given and received per member, their balance, and give/receive roles.

    Parameters
    ----------
    corpus : peerscope.Corpus
    start, end : time-like, optional
        Replies and posts written in ``[start, end)``.
    balanced_ratio : float
        A member who gave and received is balanced when
        ``1/balanced_ratio <= given / received <= balanced_ratio``.

    Returns
    -------
    Balance

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> from peerscope.reciprocity import give_receive
    >>> posts = pd.DataFrame({
    ...     "post_id": ["p1", "p2", "p3"], "thread_id": ["p1"] * 3,
    ...     "parent_id": [None, "p1", "p1"], "author_id": ["ann", "bob", "cat"],
    ...     "created_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"], utc=True),
    ...     "text": ["."] * 3})
    >>> give_receive(Corpus.from_frames(posts)).role_counts
    {'giver': 2, 'receiver': 1, 'both': 0, 'neither': 0}
    """
    return balance_of(read_replies(corpus, start, end), balanced_ratio)


def balance_of(replies: Replies, balanced_ratio: float = 2.0) -> Balance:
    """:class:`Balance` of a reply table.

    Parameters
    ----------
    replies : Replies
        The reply table of a corpus window (:func:`~peerscope.reciprocity.graph.read_replies`).
    balanced_ratio : float
        Ratio bound of a balanced member (see :func:`give_receive`; default 2).

    Returns
    -------
    Balance

    Examples
    --------
    >>> from peerscope.reciprocity.graph import read_replies
    >>> from peerscope.datasets.examples import tiny_thread
    >>> replies = read_replies(tiny_thread())   # ann<->bob, cat->ann
    >>> balance_of(replies).role_counts
    {'giver': 1, 'receiver': 0, 'both': 2, 'neither': 0}
    """
    if balanced_ratio < 1:
        raise ValueError("balanced_ratio must be >= 1")
    n = len(replies.ids)
    person_posts = replies.is_person
    posts = np.bincount(replies.author[person_posts], minlength=n)
    given = np.bincount(replies.edge_source, weights=replies.edge_replies, minlength=n).astype(np.int64)
    received = np.bincount(replies.edge_target, weights=replies.edge_replies, minlength=n).astype(np.int64)
    partners_given = np.bincount(replies.edge_source, minlength=n)
    partners_received = np.bincount(replies.edge_target, minlength=n)
    member = (replies.kind == PERSON) & ((posts > 0) | (received > 0))
    total = given + received
    with np.errstate(invalid="ignore", divide="ignore"):
        balance = np.where(total > 0, (given - received) / total, np.nan)
    role = np.select([(given > 0) & (received > 0), given > 0, received > 0],
                     ["both", "giver", "receiver"], "neither")
    members = pd.DataFrame({
        "member_id": pd.Series(replies.ids[member], dtype="str"),
        "posts": posts[member], "given": given[member], "received": received[member],
        "partners_given": partners_given[member], "partners_received": partners_received[member],
        "balance": balance[member], "role": pd.Series(role[member], dtype="str")})
    members = members.sort_values("member_id", ignore_index=True)
    both = members[members["role"] == "both"]
    ratio = both["given"] / both["received"]
    balanced = ((ratio >= 1 / balanced_ratio) & (ratio <= balanced_ratio)).mean() if len(both) else None
    defined = members["balance"].dropna()
    parameters = {**window_parameters(replies), "balanced_ratio": balanced_ratio}
    return Balance(members, {r: int((members["role"] == r).sum()) for r in ROLES},
                   None if balanced is None else float(balanced),
                   float(defined.median()) if len(defined) else None, parameters)
