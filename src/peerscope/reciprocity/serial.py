"""Serial reciprocity: does a member's share of giving rise over their tenure?"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from peerscope._kernels.display import Display, fmt
from peerscope.reciprocity._replies import EDGE, tenure_cells
from peerscope.reciprocity.graph import _as_graph, with_parameters

__all__ = ["SerialReciprocity", "serial_reciprocity"]


@dataclass(frozen=True, eq=False, repr=False)
class SerialReciprocity(Display):
    """Giving share by tenure part (see :func:`serial_reciprocity`).

    Attributes
    ----------
    members : pandas.DataFrame
        One row per member and tenure part with posts:
        ``member_id, part, posts, giving, giving_share``.
    trend : pandas.DataFrame
        One row per part: ``part, members, mean_giving_share, pooled_giving_share``.
    slope : float or None
        Least-squares slope of ``mean_giving_share`` on ``part`` (None with
        fewer than two parts with data).
    rising_share : float or None
        Share of members whose giving share is higher in the last part than
        in the first.
    n_members : int
        Members measured.
    parameters : dict

    Examples
    --------
    >>> from peerscope.datasets.examples import tiny_thread
    >>> frame = serial_reciprocity(tiny_thread(), tenure_bins=2, min_posts=1).to_frame()
    >>> frame[["part", "members", "mean_giving_share"]].values.tolist()
    [[0.0, 1.0, 0.0], [1.0, 1.0, 1.0]]
    """

    members: pd.DataFrame
    trend: pd.DataFrame
    slope: float | None
    rising_share: float | None
    n_members: int
    parameters: dict = field(default_factory=dict)

    def _display_rows(self) -> list[tuple[str, object]]:
        trend = ", ".join(f"{part}: {fmt(share)}" for part, share
                          in zip(self.trend["part"], self.trend["mean_giving_share"]))
        return [("members", self.n_members),
                ("mean giving share by part", trend or "none"),
                ("slope per part", self.slope),
                ("rising share", self.rising_share),
                ("parameters", f"tenure_bins {fmt(self.parameters.get('tenure_bins'))}, "
                               f"min_posts {fmt(self.parameters.get('min_posts'))}")]

    def to_frame(self) -> pd.DataFrame:
        """The per-part trend (``part``, ``members`` int64, shares float); the parameters in ``attrs``."""
        return with_parameters(self.trend, self.parameters)


def serial_reciprocity(graph, start=None, end=None, *, tenure_bins: int = 4,
                       min_posts: int = 3) -> SerialReciprocity:
    r"""Per-member share of giving in each part of their tenure, and the corpus trend.

    "When I first came I didn't have anything to give": members of peer
    support communities receive first and give later.  The measure cuts
    each member's own tenure into equal parts and compares the share of
    their posts that give support in each part.

    A member's tenure is :math:`[f_u, l_u]`, their first and last post of
    the window.  A post of :math:`u` at time :math:`t` falls in tenure part

    .. math::

        q = \min\left(\left\lfloor k \frac{t - f_u}{l_u - f_u} \right\rfloor, k - 1\right),
        \qquad q = 0, \dots, k - 1,

    and the giving share of part :math:`q` is :math:`s_{uq} = g_{uq} /
    n_{uq}`: the member's replies to other persons (edges of the reply
    graph) over all their posts in the part.  Opening posts seek support;
    self-replies and replies to unknown or bot authors count as posts but
    not as giving.  The corpus trend is the mean :math:`\bar s_q` over the
    members with posts in part :math:`q`, its least-squares slope per
    part, the pooled share :math:`\sum_u g_{uq} / \sum_u n_{uq}`, and the
    share of members whose giving share is higher in their last part than
    in their first (among those with posts in both).

    Parameters
    ----------
    graph : ReplyGraph or peerscope.Corpus
        The reply graph (:func:`~peerscope.reciprocity.reply_graph`), or a
        corpus (pandas or Dask engine, same numbers) to build it from.
    start, end : time-like, optional
        With a corpus: the posts written in ``[start, end)``.  A graph has
        its window already.  Tenure is measured inside the window.
    tenure_bins : int
        :math:`k`, the parts each member's tenure is cut into (default 4: quarters).
    min_posts : int
        Members with fewer posts in the window are left out (default 3).

    Returns
    -------
    SerialReciprocity
        :math:`s_{uq}` per member and part, the trend per part, its slope
        and the share of members rising.

    Raises
    ------
    PeerscopeError
        When ``start`` or ``end`` is given with a ReplyGraph.
    ValueError
        When ``tenure_bins`` or ``min_posts`` is below 1.

    Notes
    -----
    Part :math:`q` is undefined for a tenure of zero length
    (:math:`l_u = f_u`), so such members are left out, as are those with
    fewer than ``min_posts`` posts.  A part without posts has no mean share
    (NaN); the slope is None with fewer than two parts with data, and the
    rising share None when no member has posts in both the first and the
    last part (or :math:`k = 1`).

    References
    ----------
    docs/concepts.md, "Reciprocity" (Serial reciprocity): peerscope's
    definition of the peer-support observation that members receive
    support first and give it later.

    Examples
    --------
    ann opened the thread (part 0 of her tenure) and answered bob later (part 1):

    >>> from peerscope.datasets.examples import tiny_thread
    >>> from peerscope.reciprocity import serial_reciprocity
    >>> result = serial_reciprocity(tiny_thread(), tenure_bins=2, min_posts=1)
    >>> result.members[["member_id", "part", "giving_share"]].values.tolist()
    [['ann', 0, 0.0], ['ann', 1, 1.0]]
    >>> result.n_members, round(result.slope, 4), result.rising_share
    (1, 1.0, 1.0)
    >>> serial_reciprocity(tiny_thread()).slope is None   # nobody has 3 posts
    True
    """
    if tenure_bins < 1 or min_posts < 1:
        raise ValueError("tenure_bins and min_posts must be >= 1")
    graph = _as_graph(graph, start, end)
    if graph._workers is not None and "_table" not in graph.__dict__:
        # a Dask corpus: counted member by member on the workers, one row per member and part
        found = graph._workers.tenure_parts(tenure_bins, min_posts)
        members = pd.DataFrame({"member_id": pd.Series(found["member_id"].to_numpy(), dtype="str"),
                                **{name: found[name].to_numpy(np.int64) for name in ("part", "posts", "giving")}})
        n_measured = int(members["member_id"].nunique())  # a measured member has posts in some part
    else:
        table = graph._table
        person = table.is_person
        found = tenure_cells(table.author[person], table.time[person], table.status[person] == EDGE,
                             len(table.ids), tenure_bins, min_posts)
        del person
        members = pd.DataFrame({"member_id": pd.Series(table.ids.take(found["member"]), dtype="str"),
                                **{name: found[name] for name in ("part", "posts", "giving")}})
        n_measured = int(found["measured"].sum())
    members["giving_share"] = members["giving"] / members["posts"]
    members = members.sort_values(["member_id", "part"], ignore_index=True)
    by_part = members.groupby("part")
    trend = pd.DataFrame({
        "part": np.arange(tenure_bins),
        "members": by_part.size().reindex(range(tenure_bins), fill_value=0).to_numpy(),
        "mean_giving_share": by_part["giving_share"].mean().reindex(range(tenure_bins)).to_numpy(),
        "pooled_giving_share": (by_part["giving"].sum() / by_part["posts"].sum())
        .reindex(range(tenure_bins)).to_numpy()})
    with_data = trend.dropna(subset=["mean_giving_share"])
    slope = (float(np.polyfit(with_data["part"], with_data["mean_giving_share"], 1)[0])
             if len(with_data) >= 2 else None)
    shares = members.pivot(index="member_id", columns="part", values="giving_share")
    ends = shares.reindex(columns=[0, tenure_bins - 1]).dropna()
    rising = float((ends[tenure_bins - 1] > ends[0]).mean()) if len(ends) and tenure_bins > 1 else None
    parameters = {**graph.parameters, "tenure_bins": tenure_bins, "min_posts": min_posts}
    return SerialReciprocity(members, trend, slope, rising, n_measured, parameters)
