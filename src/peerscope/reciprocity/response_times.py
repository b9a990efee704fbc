"""Responsiveness: do opening posts get replies, how fast, and does the poster come back?"""

from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass(frozen=True, eq=False, repr=False)
class Responsiveness(Display):
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
    >>> from peerscope.datasets.examples import tiny_thread
    >>> frame = responsiveness(tiny_thread()).to_frame()   # bob answered ann's p1 a day later
    >>> frame[["thread_id", "hours_to_first_response"]].values.tolist(), frame.attrs["parameters"]["responses"]
    ([['p1', 24.0]], 'others')
    """

    threads: pd.DataFrame
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
                ("threads", self.threads)]

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
    reply in its parent's thread), and one row per opening post reaches
    this process; on the pandas engine they are counted from the graph's
    per-post arrays.

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
        # a Dask corpus: counted thread by thread on the workers, one row per opening post collected
        found = graph._workers.opening_posts(responses)
        thread_id, post_id, opened = found["thread_id"], found["post_id"], found["opened"].to_numpy()
        first, n_responses = found["first"].to_numpy(), found["n_responses"].to_numpy()
        op_last, person_op = found["op_last"].to_numpy(), found["person_op"].to_numpy()
    else:
        table = graph._table
        opening = table.status == OPENING
        rows = np.flatnonzero(opening)                       # the opening posts, sorted
        found = first_responses(table.author, table.time, opening, table.root, table.kind, responses)
        first, n_responses, op_last, person_op = (found[k] for k in ("first", "n_responses", "op_last",
                                                                       "person_op"))
        thread_id = table.thread_ids.take(pa.array(table.thread[rows])).to_pandas()
        post_id, opened = table.opening_post_id.to_pandas(), table.time[rows]

    answered = first < NEVER
    returned = op_last >= first
    hours = np.where(answered, (first - opened) / _HOUR, np.nan)
    threads = pd.DataFrame({
        "thread_id": pd.Series(thread_id, dtype="str").reset_index(drop=True),
        "post_id": pd.Series(post_id, dtype="str").reset_index(drop=True),
        "opened_at": as_times(opened),
        "n_responses": n_responses.astype(np.int64),
        "first_response_at": as_times(np.where(answered, first, np.iinfo(np.int64).min)),
        "hours_to_first_response": hours,
        "op_returned": pd.array(np.where(answered & person_op, returned, False), dtype="boolean")})
    threads.loc[~(answered & person_op), "op_returned"] = pd.NA
    n_open, n_answered = len(threads), int(answered.sum())
    quantiles = ({q: float(np.quantile(hours[answered], q)) for q in QUANTILES} if n_answered
                 else {q: None for q in QUANTILES})
    eligible = answered & person_op
    parameters = {**graph.parameters, "responses": responses}
    return Responsiveness(threads, n_open, n_answered, n_answered / n_open if n_open else None,
                          quantiles, float(returned[eligible].mean()) if eligible.any() else None,
                          parameters)



