"""Responsiveness: do opening posts get replies, how fast, and does the poster come back?"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
import pyarrow as pa

from peerscope._kernels.display import Display, fmt
from peerscope.reciprocity._replies import NEVER, first_responses
from peerscope.reciprocity.graph import OPENING, _as_graph, as_times, with_parameters

__all__ = ["Responsiveness", "responsiveness"]

#: What may count as a response (see :func:`responsiveness`).
RESPONSES = ("others", "others_and_bots", "all")
#: Quantiles of the time to first response that the summary reports.
QUANTILES = (0.25, 0.5, 0.75, 0.9)
_HOUR = 3_600_000_000  # microseconds


class _OnFirstRead:
    """A dataclass field that may be given a function instead of its value: the function is called
    when the field is first read, and its result kept (a frame made only if it is asked for).

    The field has no default (reading it on the class raises AttributeError).
    """

    def __set_name__(self, owner, name: str):
        self.key = f"_{name}"

    def __get__(self, instance, owner=None):
        if instance is None:
            raise AttributeError(self.key)
        value = instance.__dict__[self.key]
        if callable(value):
            value = instance.__dict__[self.key] = value()
        return value

    def __set__(self, instance, value):
        instance.__dict__[self.key] = value


@dataclass(frozen=True, eq=False, repr=False)
class Responsiveness(Display):
    """Replies to opening posts (see :func:`responsiveness`).

    Attributes
    ----------
    threads : pandas.DataFrame
        One row per opening post of the window: ``thread_id, post_id,
        opened_at, n_responses, first_response_at, hours_to_first_response,
        op_returned`` (null when the opening poster is not a person or the
        post was not answered).  On a Dask corpus it is computed on the
        workers and collected when first read: the numbers below are counted
        there without it, so that a summary never holds one row per opening
        post in this process.
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
    >>> from peerscope.datasets.examples import tiny_thread
    >>> frame = responsiveness(tiny_thread()).to_frame()   # bob answered ann's p1 a day later
    >>> frame[["thread_id", "hours_to_first_response"]].values.tolist(), frame.attrs["parameters"]["responses"]
    ([['p1', 24.0]], 'others')
    """

    threads: pd.DataFrame = _OnFirstRead()
    opening_posts: int
    answered: int
    answered_share: float | None
    hours_to_first_response: dict
    return_share: float | None
    parameters: dict = field(default_factory=dict)

    def _display_rows(self) -> list[tuple[str, object]]:
        hours = ", ".join(f"q{round(q * 100)} {fmt(h)}" for q, h in self.hours_to_first_response.items())
        return [("opening posts", self.opening_posts),
                ("answered", f"{fmt(self.answered)} (share {fmt(self.answered_share)})"),
                ("hours to first response", hours or "n/a"),
                ("return share", self.return_share),
                ("responses", self.parameters.get("responses")),
                ("threads", f"DataFrame of {fmt(self.opening_posts)} rows")]   # without making it

    def to_frame(self) -> pd.DataFrame:
        """The per-thread table (``n_responses`` int64, hours float); the parameters in ``attrs``."""
        return with_parameters(self.threads, self.parameters)


def responsiveness(graph, start=None, end=None, *, responses: str = "others") -> Responsiveness:
    r"""Share of opening posts answered, time to first response, and return of the opening poster.

    Receiving replies to one's first posts predicts staying in an online
    health community (Wang, Kraut & Levine 2012), so three numbers describe
    how a community answers.  For each opening post :math:`o` written in the
    window, by :math:`a_o` at time :math:`t_o`, the *responses* are the
    replies of its thread (the posts whose chain of parents leads to
    :math:`o`) that count under ``responses``:

    ``"others"`` (default)
        replies by anyone but :math:`a_o` and bots (unknown, deleted and
        anonymous authors are people, so their replies count);
    ``"others_and_bots"``
        bots' replies count too;
    ``"all"``
        every reply, the opening poster's own included.

    Then

    .. math::

        \text{answered share} = \frac{|\{o : \text{responses}(o) \ne \emptyset\}|}{|\{o\}|},
        \qquad \Delta_o = \min_{r \in \text{responses}(o)} t_r - t_o,

    and the *return share* is, over the answered threads whose opening
    poster is a person, the share in which :math:`a_o` posted in the thread
    at or after the first response (at or after: with times recorded to the
    day, a same-day return counts).

    Parameters
    ----------
    graph : ReplyGraph or peerscope.Corpus
        The reply graph (:func:`~peerscope.reciprocity.reply_graph`), or a
        corpus (pandas or Dask engine, same numbers) to build it from.
    start, end : time-like, optional
        With a corpus: the opening posts and replies written in
        ``[start, end)``.  A graph has its window already.  Replies after
        the window's end are not seen, so opening posts near the end have
        had less time to be answered.
    responses : {"others", "others_and_bots", "all"}
        Which replies count as responses.

    Returns
    -------
    Responsiveness
        Per opening post the responses, :math:`\Delta_o` in hours and
        whether :math:`a_o` returned; the answered share, quantiles of
        :math:`\Delta_o` (:data:`QUANTILES`) and the return share.

    Raises
    ------
    PeerscopeError
        When ``start`` or ``end`` is given with a ReplyGraph.
    ValueError
        When ``responses`` is not one of :data:`RESPONSES`.

    Notes
    -----
    :math:`\Delta_o` is undefined for an unanswered post (NaN, and
    ``op_returned`` null, as it is for an opening poster who is not a
    person).  Without opening posts the answered share is None; with no
    answered post the quantiles are None; with no answered thread opened by
    a person the return share is None.

    On a Dask corpus the responses are counted on the workers, thread by
    thread (the posts are shuffled on ``thread_id``; validation keeps each
    reply in its parent's thread): four counts and, per answered opening
    post, the time to its first response (8 bytes, no ids) reach this
    process, and the per-thread table only when ``threads`` is read.  On the
    pandas engine they are counted from the graph's per-post arrays.

    References
    ----------
    Wang, Y.-C., Kraut, R., & Levine, J. M. (2012). To stay or leave? The
    relationship of emotional and informational support to commitment in
    online health support groups. *CSCW 2012*, 833-842.

    Examples
    --------
    bob answered ann's ``p1`` after 25 hours and ann came back; her ``p4``
    was not answered:

    >>> from peerscope.datasets.examples import tiny_forum
    >>> from peerscope.reciprocity import reply_graph, responsiveness
    >>> result = responsiveness(tiny_forum())
    >>> result.answered_share, result.hours_to_first_response[0.5], result.return_share
    (0.5, 25.0, 1.0)
    >>> later = responsiveness(reply_graph(tiny_forum(), start="2024-03-01"))   # nothing opened
    >>> later.opening_posts, later.answered_share, later.return_share
    (0, None, None)
    """
    if responses not in RESPONSES:
        raise ValueError(f"responses must be one of {RESPONSES}, not {responses!r}")
    graph = _as_graph(graph, start, end)
    if graph._workers is not None and "_table" not in graph.__dict__:
        # a Dask corpus: counted thread by thread on the workers; the per-thread table on first read
        workers = graph._workers
        (n_open, n_answered, n_eligible, n_returned), delays = workers.response_times(responses)
        threads = partial(_collected_threads, workers, responses)
    else:
        table = graph._table
        opening = table.status == OPENING
        rows = np.flatnonzero(opening)                       # the opening posts, sorted
        found = first_responses(table.author, table.time, opening, table.root, table.kind, responses)
        opened = table.time[rows]
        threads = _threads_table(table.thread_id.take(pa.array(rows)).to_pandas(),
                                 table.opening_post_id.to_pandas(), opened, found)
        first, answered = found["first"], found["first"] < NEVER
        eligible = answered & found["person_op"]
        n_open, n_answered = len(first), int(answered.sum())
        n_eligible, n_returned = int(eligible.sum()), int((eligible & (found["op_last"] >= first)).sum())
        delays = (first - opened)[answered]
    hours = delays / _HOUR
    quantiles = ({q: float(np.quantile(hours, q)) for q in QUANTILES} if n_answered
                 else {q: None for q in QUANTILES})
    parameters = {**graph.parameters, "responses": responses}
    return Responsiveness(threads, n_open, n_answered, n_answered / n_open if n_open else None,
                          quantiles, n_returned / n_eligible if n_eligible else None, parameters)


def _threads_table(thread_id, post_id, opened: np.ndarray, found: dict) -> pd.DataFrame:
    """:attr:`Responsiveness.threads` from the opening posts' ids and times (microseconds) and the
    arrays of :func:`~peerscope.reciprocity._replies.first_responses`, on either engine."""
    first, person_op = found["first"], found["person_op"]
    answered = first < NEVER
    returned = found["op_last"] >= first
    threads = pd.DataFrame({
        "thread_id": pd.Series(thread_id, dtype="str").reset_index(drop=True),
        "post_id": pd.Series(post_id, dtype="str").reset_index(drop=True),
        "opened_at": as_times(opened),
        "n_responses": found["n_responses"].astype(np.int64),
        "first_response_at": as_times(np.where(answered, first, np.iinfo(np.int64).min)),
        "hours_to_first_response": np.where(answered, (first - opened) / _HOUR, np.nan),
        "op_returned": pd.array(np.where(answered & person_op, returned, False), dtype="boolean")})
    threads.loc[~(answered & person_op), "op_returned"] = pd.NA
    return threads


def _collected_threads(workers, responses: str) -> pd.DataFrame:
    """:attr:`Responsiveness.threads` of a Dask corpus: one row per opening post computed on the
    workers and collected (:meth:`~peerscope.reciprocity._workers.OnWorkers.opening_posts`).

    Read after :func:`~peerscope.reciprocity.summary` released the posts
    its measures shared, they are shuffled and persisted again for this
    table and released once it is made.
    """
    persisted = "_threads" in workers.__dict__
    found = workers.opening_posts(responses)
    if not persisted:
        workers.release()
    return _threads_table(found["thread_id"], found["post_id"], found["opened"].to_numpy(),
                          {name: found[name].to_numpy() for name in ("first", "n_responses", "op_last",
                                                                     "person_op")})
