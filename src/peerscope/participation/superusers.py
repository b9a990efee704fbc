"""Rules that say who the super-users of a community are.

Super-users are the few members who write much of a community's content
(Carron-Arthur, Cunningham & Griffiths 2014; van Mierlo 2014).  Studies
differ in the cut-off, so the rule is an object passed to
:func:`peerscope.participation.summary` and recorded in its result:

- :class:`TopShare` (the default, ``TopShare(0.01)``): the top 1% of posters,
  n = ceil(0.01 x posters) (Carron-Arthur et al. 2016; van Mierlo 2014);
- :class:`ContentShare`: the smallest set of top posters writing at least a
  given share of the posts (e.g. 50%);
- :class:`MinPosts`: everyone with at least a fixed number of posts;
- :class:`LogOutlier`: a distribution-based cut-off, posters whose log post
  count lies more than k standard deviations above the mean log count.

Every rule picks a prefix of the same ranking of posters: most posts first,
ties broken by earlier first post, then by member id.  A rule only says how
long the prefix is (:meth:`SuperUserRule.size`); :func:`select` applies it,
and reports how many posters were tied at the cut-off and how many of those
the tie-break left out.

References
----------
Carron-Arthur, B., Reynolds, J., Bennett, K., Bennett, A., Griffiths, K. M. (2016).
What's all the talk about? Topic modelling in a mental health Internet support
group. *BMC Psychiatry* 16:367.
van Mierlo, T. (2014). The 1% rule in four digital health social networks.
*J Med Internet Res* 16(2):e33.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from peerscope._kernels.display import Display, fmt
from peerscope.participation.inequality import ceil_share, exact_fraction

__all__ = ["ContentShare", "LogOutlier", "MinPosts", "Selection", "SuperUserRule", "TopShare",
           "select"]


class SuperUserRule:
    """Base class: how many of the ranked posters are super-users.

    A rule implements :meth:`size` (how many of the posters, ranked most
    posts first, are super-users) and :meth:`describe`; :func:`select` does
    the ranking and the tie-break.

    Examples
    --------
    >>> import numpy as np
    >>> rule = MinPosts(3)
    >>> rule.size(np.array([9, 3, 3, 1])), str(rule)
    (3, 'MinPosts(3): posters with at least 3 posts')
    """

    def size(self, posts: np.ndarray) -> int:
        """Number of super-users, given posts per poster sorted most first."""
        raise NotImplementedError

    def describe(self) -> str:
        """The rule in words, for results and reports."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class TopShare(SuperUserRule):
    """The top ``share`` of posters by posts: n = ceil(share x posters).

    ``TopShare(0.01)`` is the literature's default (top 1%).  With no
    posters there are no super-users.

    Parameters
    ----------
    share : float
        Share of posters, in (0, 1] (default 0.01).

    Examples
    --------
    >>> import numpy as np
    >>> TopShare(0.01).size(np.ones(250, dtype=int))    # ceil(2.5)
    3
    """

    share: float = 0.01

    def __post_init__(self):
        exact_fraction(self.share)

    def size(self, posts: np.ndarray) -> int:
        return ceil_share(self.share, len(posts))

    def describe(self) -> str:
        return (f"TopShare({self.share}): the ceil({self.share} x posters) posters with most posts, "
                "ties broken by earlier first post then member id")


@dataclass(frozen=True)
class ContentShare(SuperUserRule):
    """The smallest set of top posters who wrote at least ``share`` of all posts.

    n = min{k : sum of the k largest post counts >= share x total posts}.

    Parameters
    ----------
    share : float
        Share of all posts, in (0, 1] (default 0.5).

    Examples
    --------
    >>> import numpy as np
    >>> ContentShare(0.5).size(np.array([9, 3, 3, 1])), ContentShare(0.75).size(np.array([9, 3, 3, 1]))
    (1, 2)
    """

    share: float = 0.5

    def __post_init__(self):
        exact_fraction(self.share)

    def size(self, posts: np.ndarray) -> int:
        total = int(posts.sum())
        if total == 0:
            return 0
        fraction = exact_fraction(self.share)
        # cumulative >= share x total, in integers: cumulative x den >= num x total
        reached = np.cumsum(posts) * fraction.denominator >= fraction.numerator * total
        return int(np.argmax(reached)) + 1

    def describe(self) -> str:
        return (f"ContentShare({self.share}): the fewest top posters who wrote at least "
                f"{self.share:.0%} of posts, ties broken by earlier first post then member id")


@dataclass(frozen=True)
class MinPosts(SuperUserRule):
    """Every poster with at least ``posts`` posts (no tie can be split).

    Parameters
    ----------
    posts : int
        The fewest posts of a super-user (>= 1; default 100).

    Examples
    --------
    >>> import numpy as np
    >>> MinPosts(3).size(np.array([9, 3, 3, 1]))
    3
    >>> try:
    ...     MinPosts(0)
    ... except ValueError as error:
    ...     print(error)
    MinPosts needs posts >= 1, got 0
    """

    posts: int = 100

    def __post_init__(self):
        if self.posts < 1:
            raise ValueError(f"MinPosts needs posts >= 1, got {self.posts}")

    def size(self, posts: np.ndarray) -> int:
        return int((posts >= self.posts).sum())

    def describe(self) -> str:
        return f"MinPosts({self.posts}): posters with at least {self.posts} posts"


@dataclass(frozen=True)
class LogOutlier(SuperUserRule):
    """Posters whose log post count exceeds the mean log count by more than ``k`` SDs.

    threshold = exp(mean(log x) + k x sd(log x)) over posters (population
    SD); super-users have x > threshold.  Post counts are heavily skewed, so
    the cut-off is taken on the log scale, where the spread is not dominated
    by the few largest counts.  With one poster, or all posters equal, the SD
    is 0 and nobody is strictly above the mean: no super-users.

    Parameters
    ----------
    k : float
        Standard deviations of log posts above the mean (default 2).

    Examples
    --------
    >>> import numpy as np
    >>> rule = LogOutlier(1.0)
    >>> rule.size(np.array([9, 3, 3, 1])), round(rule.threshold(np.array([9, 3, 3, 1])), 4)
    (1, 6.5237)
    """

    k: float = 2.0

    def size(self, posts: np.ndarray) -> int:
        if not len(posts):
            return 0
        logs = np.log(posts.astype(float))
        return int((logs > logs.mean() + self.k * logs.std()).sum())

    def threshold(self, posts: np.ndarray) -> float:
        """The post count super-users must exceed."""
        logs = np.log(posts.astype(float))
        return float(math.exp(logs.mean() + self.k * logs.std()))

    def describe(self) -> str:
        return (f"LogOutlier({self.k}): posters whose log(posts) exceeds the mean log(posts) "
                f"by more than {self.k} standard deviations")


@dataclass(frozen=True, repr=False)
class Selection(Display):
    """The super-users a rule picked, in rank order, and what happened at the cut-off.

    ``ties_at_cutoff`` counts posters with exactly the cut-off number of posts
    (selected or not); ``ties_left_out`` how many of them the tie-break left
    out.  ``cutoff_posts`` is the post count of the last super-user (None
    when there is none).

    Attributes
    ----------
    member_ids : tuple of str
        The super-users, most posts first.
    posts : int
        Their posts.
    cutoff_posts : int or None
    ties_at_cutoff, ties_left_out : int
    rule : str
        The rule in words.

    Examples
    --------
    >>> import pandas as pd
    >>> posters = pd.DataFrame({"member_id": ["ann", "bob", "cat", "dan"], "posts": [9, 3, 3, 1],
    ...     "first_post": pd.to_datetime(["2024-01-05", "2024-01-02", "2024-01-01", "2024-01-03"],
    ...                                  utc=True)})
    >>> chosen = select(posters, TopShare(0.5))
    >>> chosen.member_ids, chosen.posts, chosen.cutoff_posts, chosen.ties_at_cutoff, chosen.ties_left_out
    (('ann', 'cat'), 12, 3, 2, 1)
    """

    member_ids: tuple[str, ...]
    posts: int
    cutoff_posts: int | None
    ties_at_cutoff: int
    ties_left_out: int
    rule: str

    def _display_rows(self) -> list[tuple[str, object]]:
        ids = self.member_ids
        shown = ", ".join(ids[:5]) + (f", ... ({fmt(len(ids) - 5)} more)" if len(ids) > 5 else "")
        return [("super-users", f"{fmt(len(ids))}: {shown}" if ids else "none"),
                ("their posts", self.posts), ("cut-off posts", self.cutoff_posts),
                ("ties at cut-off", f"{fmt(self.ties_at_cutoff)} ({fmt(self.ties_left_out)} left out)"),
                ("rule", self.rule)]

    def to_frame(self) -> pd.DataFrame:
        """One row per super-user, most posts first: ``rank`` (Int64, 1 = most posts), ``member_id``.

        The rule and the counts (``posts``, ``cutoff_posts``,
        ``ties_at_cutoff``, ``ties_left_out``) are in
        ``frame.attrs["parameters"]``.  There is no ``plot``.

        Examples
        --------
        >>> Selection(("ann", "cat"), 12, 3, 2, 1, "TopShare(0.5)").to_frame().values.tolist()
        [[1, 'ann'], [2, 'cat']]
        """
        frame = pd.DataFrame({"rank": pd.array(range(1, len(self.member_ids) + 1), dtype="Int64"),
                              "member_id": pd.array(self.member_ids, dtype="string")})
        frame.attrs["parameters"] = {"rule": self.rule, "posts": self.posts,
                                     "cutoff_posts": self.cutoff_posts,
                                     "ties_at_cutoff": self.ties_at_cutoff,
                                     "ties_left_out": self.ties_left_out}
        return frame


def select(posters: pd.DataFrame, rule: SuperUserRule) -> Selection:
    """Apply ``rule`` to posters: one row each with ``member_id``, ``posts`` and ``first_post``.

    Posters are ranked by posts (most first), then earlier ``first_post``, then
    ``member_id``; the rule's :meth:`~SuperUserRule.size` gives how many of the
    ranking are super-users.  Only the posters tied at the cut-off need the
    tie-break, so the ranking is never fully sorted.

    Parameters
    ----------
    posters : pandas.DataFrame
        One row per poster: ``member_id``, ``posts`` (int) and ``first_post`` (time).
    rule : SuperUserRule
        How many are super-users.

    Returns
    -------
    Selection
        The super-users in rank order, their posts, and the ties at the cut-off.

    Examples
    --------
    bob and cat tie at 3 posts; cat posted first, so cat is the second of
    the top half:

    >>> import pandas as pd
    >>> posters = pd.DataFrame({"member_id": ["ann", "bob", "cat", "dan"], "posts": [9, 3, 3, 1],
    ...     "first_post": pd.to_datetime(["2024-01-05", "2024-01-02", "2024-01-01", "2024-01-03"],
    ...                                  utc=True)})
    >>> select(posters, TopShare(0.5)).member_ids
    ('ann', 'cat')
    >>> select(posters, ContentShare(0.5)).member_ids
    ('ann',)
    """
    counts = posters["posts"].to_numpy(dtype=np.int64)
    descending = -np.sort(-counts)
    n = min(rule.size(descending), len(descending))
    if n <= 0:
        return Selection((), 0, None, 0, 0, rule.describe())
    cutoff = int(descending[n - 1])
    above = posters[counts > cutoff]
    tied = posters[counts == cutoff]
    needed = n - len(above)
    chosen = pd.concat([above, tied.sort_values(["first_post", "member_id"]).head(needed)])
    chosen = chosen.sort_values(["posts", "first_post", "member_id"], ascending=[False, True, True])
    return Selection(tuple(chosen["member_id"].astype(str)), int(chosen["posts"].sum()), cutoff,
                     len(tied), len(tied) - needed, rule.describe())
