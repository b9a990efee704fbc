"""Responsiveness: do opening posts get replies, how fast, and does the poster come back?

Receiving replies to one's first posts predicts staying in an online health
community (Wang, Kraut & Levine 2012, "To stay or leave? The relationship of
emotional and informational support to commitment in online health support
groups", *CSCW 2012*, 833-842).  Three numbers describe it.

Definitions
-----------
For each opening post :math:`o` written in the window, by :math:`a_o` at
time :math:`t_o`, the *responses* are the replies of its thread (the posts
whose chain of parents leads to :math:`o`) that count under ``responses``:

``"others"`` (default)
    replies by anyone but :math:`a_o` and bots (unknown, deleted and
    anonymous authors are people, so their replies count);
``"others_and_bots"``
    bots' replies count too;
``"all"``
    every reply, the opening poster's own included.

Then

.. math::

    \\text{answered share} = \\frac{|\\{o : \\text{responses}(o) \\ne \\emptyset\\}|}{|\\{o\\}|},
    \\qquad \\Delta_o = \\min_{r \\in \\text{responses}(o)} t_r - t_o,

and the *return share* is, over answered threads whose opening poster is a
person, the share in which :math:`a_o` posted in the thread at or after the
first response (at or after: with times recorded to the day, a same-day
return counts).  Replies written after the window's end are not seen, so
opening posts near the end have had less time to be answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from peerscope.reciprocity.graph import (AUTHOR_KINDS, OPENING, PERSON, Replies, as_times,
                                         read_replies, window_parameters, with_parameters)

RESPONSES = ("others", "others_and_bots", "all")
#: Quantiles of the time to first response that the summary reports.
QUANTILES = (0.25, 0.5, 0.75, 0.9)
_HOUR = 3_600_000_000  # microseconds
_NEVER = np.iinfo(np.int64).max
_BOT = AUTHOR_KINDS.index("bot")


@dataclass(frozen=True, eq=False)
class Responsiveness:
    """Replies to opening posts (see :func:`responsiveness`).

    Attributes
    ----------
    threads : pandas.DataFrame
        One row per opening post of the window: ``thread_id, post_id,
        opened_at, n_responses, first_response_at, hours_to_first_response,
        op_returned`` (null when the opening poster is not a person or the
        post was not answered).
    opening_posts, answered : int
    answered_share : float or None
    hours_to_first_response : dict
        Quantile -> hours (None when nothing was answered).
    return_share : float or None
        Share of answered threads with a person as opening poster in which
        that person posted again at or after the first response.
    parameters : dict

    Examples
    --------
    >>> from peerscope.reciprocity.graph import read_replies
    >>> from peerscope.datasets.examples import tiny_thread
    >>> replies = read_replies(tiny_thread())   # ann<->bob, cat->ann
    >>> responsiveness_of(replies).to_frame()[["thread_id", "hours_to_first_response"]].values.tolist()
    [['p1', 24.0]]
    """

    threads: pd.DataFrame
    opening_posts: int
    answered: int
    answered_share: float | None
    hours_to_first_response: dict
    return_share: float | None
    parameters: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The per-thread table with the parameters as columns."""
        return with_parameters(self.threads, self.parameters)


def responsiveness(corpus, start=None, end=None, *, responses: str = "others") -> Responsiveness:
    """Share of opening posts answered, time to first response, and return of the opening poster.

    Parameters
    ----------
    corpus : peerscope.Corpus
    start, end : time-like, optional
        Opening posts and replies written in ``[start, end)``.
    responses : {"others", "others_and_bots", "all"}
        Which replies count as responses (module docstring).

    Returns
    -------
    Responsiveness

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> from peerscope.reciprocity import responsiveness
    >>> posts = pd.DataFrame({
    ...     "post_id": ["p1", "p2", "p3", "p4"], "thread_id": ["p1", "p1", "p1", "p4"],
    ...     "parent_id": [None, "p1", "p2", None], "author_id": ["ann", "bob", "ann", "cat"],
    ...     "created_at": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 12:00",
    ...                                   "2024-01-01 13:00", "2024-01-02 09:00"], utc=True),
    ...     "text": ["."] * 4})
    >>> result = responsiveness(Corpus.from_frames(posts))
    >>> result.answered_share, result.hours_to_first_response[0.5], result.return_share
    (0.5, 2.0, 1.0)
    """
    return responsiveness_of(read_replies(corpus, start, end), responses)


def responsiveness_of(replies: Replies, responses: str = "others") -> Responsiveness:
    """:class:`Responsiveness` of a reply table.

    Parameters
    ----------
    replies : Replies
        The reply table of a corpus window (:func:`~peerscope.reciprocity.graph.read_replies`).
    responses : str
        Which replies count as responses (see :func:`responsiveness`; default ``"others"``).

    Returns
    -------
    Responsiveness

    Examples
    --------
    >>> from peerscope.reciprocity.graph import read_replies
    >>> from peerscope.datasets.examples import tiny_thread
    >>> replies = read_replies(tiny_thread())   # ann<->bob, cat->ann
    >>> result = responsiveness_of(replies)
    >>> result.opening_posts, result.answered, result.return_share
    (1, 1, 1.0)
    """
    if responses not in RESPONSES:
        raise ValueError(f"responses must be one of {RESPONSES}, not {responses!r}")
    opening = replies.status == OPENING
    rows = np.flatnonzero(opening)                       # the opening posts, sorted
    # replies whose chain starts at an opening post of the window, and that post's position in rows
    in_thread = (replies.root >= 0) & ~opening
    in_thread[in_thread] = opening[replies.root[in_thread]]
    chain = np.flatnonzero(in_thread)
    del in_thread
    opener = np.searchsorted(rows, replies.root[chain])
    author, time = replies.author[chain], replies.time[chain]
    by_op = (author >= 0) & (author == replies.author[rows][opener])
    counted = np.ones(len(chain), dtype=bool)
    if responses != "all":
        counted &= ~by_op
    if responses == "others":
        counted &= ~((author >= 0) & (replies.kind[np.maximum(author, 0)] == _BOT))
    first = np.full(len(rows), _NEVER, dtype=np.int64)
    np.minimum.at(first, opener[counted], time[counted])
    n_responses = np.bincount(opener[counted], minlength=len(rows))
    op_last = np.full(len(rows), np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(op_last, opener[by_op], time[by_op])
    del chain, opener, author, time, by_op, counted

    answered = first < _NEVER
    person_op = (replies.author[rows] >= 0) & (replies.kind[np.maximum(replies.author[rows], 0)] == PERSON)
    returned = op_last >= first
    hours = np.where(answered, (first - replies.time[rows]) / _HOUR, np.nan)
    threads = pd.DataFrame({
        "thread_id": pd.Series(replies.thread_ids.take(pa.array(replies.thread[rows])).to_pandas(),
                               dtype="str"),
        "post_id": pd.Series(replies.opening_post_id.to_pandas(), dtype="str"),
        "opened_at": as_times(replies.time[rows]),
        "n_responses": n_responses.astype(np.int64),
        "first_response_at": as_times(np.where(answered, first, np.iinfo(np.int64).min)),
        "hours_to_first_response": hours,
        "op_returned": pd.array(np.where(answered & person_op, returned, False), dtype="boolean")})
    threads.loc[~(answered & person_op), "op_returned"] = pd.NA
    n_open, n_answered = len(rows), int(answered.sum())
    quantiles = ({q: float(np.quantile(hours[answered], q)) for q in QUANTILES} if n_answered
                 else {q: None for q in QUANTILES})
    eligible = answered & person_op
    parameters = {**window_parameters(replies), "responses": responses}
    return Responsiveness(threads, n_open, n_answered, n_answered / n_open if n_open else None,
                          quantiles, float(returned[eligible].mean()) if eligible.any() else None,
                          parameters)

