"""Participation inequality: Gini, Lorenz curve, top shares, bands, Zipf and power-law fits.

All functions take the number of posts of each person (an array of
non-negative integers; zeros are lurkers) and say in their docstring what they
compute, from which paper, and what they return when the statistic is
undefined.  They work on the distinct values and their frequencies, so that a
community of ten million members costs no more than its few thousand distinct
post counts: the Gini coefficient, Lorenz curve and top shares depend only on
the multiset of counts, and the bootstrap of the Gini coefficient draws the
frequencies of the distinct counts from a multinomial distribution, which is
exactly the distribution of an ordinary resample with replacement.

References
----------
Gini, C. (1912). *Variabilità e mutabilità*.
Nielsen, J. (2006). Participation inequality: the 90-9-1 rule for social features.
van Mierlo, T. (2014). The 1% rule in four digital health social networks: an
observational study. *J Med Internet Res* 16(2):e33.
van Mierlo, T., Hyatt, D., Ching, A. T. (2015). Mapping power law distributions in
digital health social networks: methods, interpretations, and practical
implications. *J Med Internet Res* 17(6):e160.
Clauset, A., Shalizi, C. R., Newman, M. E. J. (2009). Power-law distributions in
empirical data. *SIAM Review* 51(4):661-703.
Efron, B., Tibshirani, R. (1993). *An Introduction to the Bootstrap* (percentile interval).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd
from scipy.optimize import elementwise
from scipy.special import zeta

from peerscope._kernels.display import Display, fmt, interval

__all__ = ["GiniResult", "PowerLawFit", "ZipfFit", "band_shares", "gini", "grouped_gini", "lorenz",
           "powerlaw_fit", "top_share", "zipf_fit"]

#: Bootstrap replicates drawn per batch (bounds memory at batch x distinct counts).
_BATCH = 200


def exact_fraction(share: float) -> Fraction:
    """``share`` as the decimal fraction it was written as (0.07 -> 7/100, not 0.0700000000000000067).

    Cut-offs such as ceil(1% of n) are computed on this exact fraction, so
    that floating-point error never moves a member across a cut-off.

    Parameters
    ----------
    share : float
        A share in (0, 1].

    Returns
    -------
    fractions.Fraction
        The share as written in decimal.

    Raises
    ------
    ValueError
        When ``share`` is not in (0, 1].

    Examples
    --------
    >>> exact_fraction(0.07)
    Fraction(7, 100)
    """
    if not 0 < share <= 1:
        raise ValueError(f"a share must be in (0, 1], got {share!r}")
    return Fraction(str(share))


def ceil_share(share: float, n: int) -> int:
    """ceil(share x n), exactly (see :func:`exact_fraction`).

    Parameters
    ----------
    share : float
        A share in (0, 1].
    n : int
        How many people are ranked.

    Returns
    -------
    int
        The size of the top group.

    Examples
    --------
    >>> ceil_share(0.07, 100), ceil_share(0.01, 250)   # 0.07 x 100 is not 7.000000000000001
    (7, 3)
    """
    return math.ceil(exact_fraction(share) * n)


def distinct_counts(counts) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of ``counts`` in ascending order and how often each occurs.

    Parameters
    ----------
    counts : array-like of int
        Posts per person (>= 0).

    Returns
    -------
    tuple of numpy.ndarray
        ``(values, frequencies)``, both int64.

    Raises
    ------
    ValueError
        When a count is negative.

    Examples
    --------
    >>> values, freq = distinct_counts([3, 0, 1, 0])
    >>> values.tolist(), freq.tolist()
    ([0, 1, 3], [2, 1, 1])
    """
    counts = np.asarray(counts, dtype=np.int64)
    if counts.size and counts.min() < 0:
        raise ValueError("post counts must be non-negative")
    if counts.size and counts.max() < max(1 << 16, 4 * counts.size):
        # counting beats sorting (np.unique) when the largest count is not far above the people
        freq = np.bincount(counts)
        values = np.flatnonzero(freq)
        return values, freq[values]
    return np.unique(counts, return_counts=True)


def grouped_gini(values: np.ndarray, freq: np.ndarray) -> np.ndarray:
    """Gini of each row of ``freq`` (2-D: replicates x distinct values) over ``values``.

    For sorted x_(1) <= ... <= x_(n): G = 2 sum_i i x_(i) / (n sum_i x_i) - (n + 1) / n.
    A block of c equal values v at positions S-c+1 .. S contributes
    v c (2S - c + 1) / 2 to sum_i i x_(i).  Computing it from the distinct
    values and their frequencies makes a bootstrap of a million people a
    multinomial draw over a few hundred distinct post counts.

    Parameters
    ----------
    values : numpy.ndarray
        The distinct values, ascending.
    freq : numpy.ndarray
        How many people have each value: 1-D, or 2-D with one row per
        resample.

    Returns
    -------
    numpy.ndarray
        One Gini coefficient per row (NaN for no people or no posts).

    Examples
    --------
    >>> grouped_gini(np.array([0, 1, 10]), np.array([2, 1, 1])).round(4).tolist()
    [0.7045]
    """
    freq = np.atleast_2d(freq).astype(np.float64)
    ends = np.cumsum(freq, axis=1)
    n = ends[:, -1]
    total = freq @ values.astype(np.float64)
    weighted = (freq * (2 * ends - freq + 1) / 2) @ values.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        gini = 2 * weighted / (n * total) - (n + 1) / n
    gini[(total == 0) | (n == 0)] = np.nan
    return gini


@dataclass(frozen=True, repr=False)
class GiniResult(Display):
    """A Gini coefficient with its percentile bootstrap interval and how it was made.

    ``value``, ``ci_low`` and ``ci_high`` are None when the coefficient is
    undefined (no people, or nobody posted); ``reason`` then says why.

    Attributes
    ----------
    value, ci_low, ci_high : float or None
        The coefficient and its percentile bootstrap interval.
    n : int
        People counted.
    basis : str
        ``"members"`` or ``"posters"``.
    confidence : float
    replicates : int
    random_state : int or None
        The bootstrap's parameters.
    reason : str or None
        Why the value is undefined.

    Examples
    --------
    >>> result = gini([0, 0, 1, 3], replicates=0)
    >>> result.value, result.ci_low, result.n, result.basis
    (0.625, None, 4, 'members')
    >>> gini([0, 0]).reason
    'nobody posted: the Gini coefficient is 0/0'
    """

    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    basis: str
    confidence: float
    replicates: int
    random_state: int | None
    reason: str | None = None

    def _display_rows(self) -> list[tuple[str, object]]:
        return [("value", self.reason or self.value),
                (f"{self.confidence:.0%} interval", interval(self.ci_low, self.ci_high)),
                ("basis", f"{self.basis} (n = {fmt(self.n)})"),
                ("bootstrap", f"{fmt(self.replicates)} replicates, random_state {fmt(self.random_state)}")]

    def to_frame(self) -> pd.DataFrame:
        """One row: ``basis``, ``n`` (Int64), ``value``, ``ci_low``, ``ci_high`` (float), ``reason``.

        The bootstrap's ``confidence``, ``replicates`` and ``random_state``
        are in ``frame.attrs["parameters"]``.  There is no ``plot``: the
        Lorenz curve is drawn by
        :meth:`peerscope.participation.ParticipationSummary.plot`.

        Examples
        --------
        >>> gini([0, 0, 1, 3], replicates=0).to_frame()[["n", "value"]].values.tolist()
        [[4, 0.625]]
        """
        frame = pd.DataFrame({"basis": pd.array([self.basis], dtype="string"),
                              "n": pd.array([self.n], dtype="Int64"),
                              "value": pd.array([self.value], dtype="float64"),
                              "ci_low": pd.array([self.ci_low], dtype="float64"),
                              "ci_high": pd.array([self.ci_high], dtype="float64"),
                              "reason": pd.array([self.reason], dtype="string")})
        frame.attrs["parameters"] = {"confidence": self.confidence, "replicates": self.replicates,
                                     "random_state": self.random_state}
        return frame


def gini(counts, *, basis: str = "members", replicates: int = 1000, confidence: float = 0.95,
         random_state: int | None = 0) -> GiniResult:
    """Gini coefficient of posts per person, with a bootstrap confidence interval.

    Definition (Gini 1912), for n people with post counts x_1..x_n and mean m:

        G = sum_i sum_j |x_i - x_j| / (2 n^2 m)
          = 2 sum_i i x_(i) / (n sum_i x_i) - (n + 1) / n      (x sorted ascending)

    0 when everyone posted equally; (n - 1) / n when one person wrote
    everything.  Over all members (lurkers count as 0) it measures the whole
    community; over posters only it measures inequality among those who post
    -- say which (``basis``).

    The interval is the percentile bootstrap (Efron & Tibshirani 1993): the
    people are resampled with replacement ``replicates`` times and the
    (1 - confidence)/2 and (1 + confidence)/2 quantiles of the replicate
    coefficients are reported.  Resampling is done on the frequencies of the
    distinct counts (one multinomial draw per replicate), which gives exactly
    the same distribution as resampling people and costs O(distinct counts).

    Parameters
    ----------
    counts : array-like of int
        Posts per person (>= 0).
    basis : str
        What the people are (``"members"`` or ``"posters"``); stored in the result.
    replicates : int
        Bootstrap replicates (0: no interval).
    confidence : float
        Coverage of the interval.
    random_state : int or None
        Seed of the bootstrap (``numpy.random.default_rng``).

    Returns
    -------
    GiniResult
        Undefined (None with ``reason``) when there are no people or no posts;
        replicates in which nobody posted are left out of the interval.

    Examples
    --------
    >>> round(gini([0, 0, 1, 3], replicates=0).value, 4)   # 10 / 16 by hand
    0.625
    """
    values, freq = distinct_counts(counts)
    n = int(freq.sum())
    params = dict(n=n, basis=basis, confidence=confidence, replicates=replicates,
                  random_state=random_state)
    if n == 0 or not values.any():
        reason = "no people" if n == 0 else "nobody posted: the Gini coefficient is 0/0"
        return GiniResult(None, None, None, reason=reason, **params)
    value = float(grouped_gini(values, freq)[0])
    low = high = None
    if replicates > 0:
        rng = np.random.default_rng(random_state)
        draws = []
        for start in range(0, replicates, _BATCH):
            size = min(_BATCH, replicates - start)
            draws.append(grouped_gini(values, rng.multinomial(n, freq / n, size=size)))
        draws = np.concatenate(draws)
        draws = draws[~np.isnan(draws)]
        if draws.size:
            tail = (1 - confidence) / 2
            low, high = (float(q) for q in np.quantile(draws, [tail, 1 - tail]))
    return GiniResult(value, low, high, **params)


def lorenz(counts) -> pd.DataFrame:
    """The Lorenz curve of posts per person.

    People are sorted by posts, fewest first; the curve joins
    (share of people, share of their posts) from (0, 0) to (1, 1).  Between
    consecutive distinct counts the curve is a straight line, so one point per
    distinct count describes it exactly.

    Parameters
    ----------
    counts : array-like of int
        Posts per person (>= 0).

    Returns
    -------
    pandas.DataFrame
        ``share_of_people``, ``share_of_posts`` (float).  Empty when there are
        no people; ``share_of_posts`` is NaN when nobody posted.

    Examples
    --------
    >>> lorenz([0, 0, 1, 3]).values.tolist()
    [[0.0, 0.0], [0.5, 0.0], [0.75, 0.25], [1.0, 1.0]]
    """
    values, freq = distinct_counts(counts)
    if not freq.size:
        return pd.DataFrame({"share_of_people": pd.Series(dtype=float),
                             "share_of_posts": pd.Series(dtype=float)})
    people = np.concatenate([[0], np.cumsum(freq)]) / freq.sum()
    posts = np.concatenate([[0], np.cumsum(values * freq)]).astype(float)
    posts = posts / posts[-1] if posts[-1] else np.full_like(posts, np.nan)
    return pd.DataFrame({"share_of_people": people, "share_of_posts": posts})


def top_share(counts, share: float) -> float | None:
    """Share of all posts written by the top ``share`` of people.

    The top group is the ceil(share x n) people with most posts; which of
    several tied people is in it does not change its total.  None when
    there are no people or no posts.

    Parameters
    ----------
    counts : array-like of int
        Posts per person (>= 0).
    share : float
        The top share of people, in (0, 1].

    Returns
    -------
    float or None
        The top group's share of all posts.

    Examples
    --------
    >>> top_share([0, 0, 1, 3], 0.25)      # 3 of 4 posts
    0.75
    """
    values, freq = distinct_counts(counts)
    n, total = int(freq.sum()), int((values * freq).sum())
    if n == 0 or total == 0:
        return None
    return _largest_sum(values, freq, ceil_share(share, n)) / total


def _largest_sum(values: np.ndarray, freq: np.ndarray, k: int) -> int:
    """Sum of the k largest counts."""
    values, freq = values[::-1], freq[::-1]
    ends = np.cumsum(freq)
    taken = np.minimum(freq, np.maximum(0, k - (ends - freq)))
    return int((values * taken).sum())


def band_shares(counts, top: float = 0.01, middle: float = 0.10) -> dict[str, float] | None:
    """Share of posts by the 90-9-1 bands (Nielsen 2006; van Mierlo 2014).

    People (all members, lurkers included) are ranked by posts; the top
    ceil(top x n) are "superusers", the people up to rank ceil(middle x n)
    "contributors", the rest "lurkers".  Each band's share of the posts is
    returned; the three add up to 1.  van Mierlo (2014) found 74.7%, 24.0%
    and 1.3% across four digital health networks.

    Parameters
    ----------
    counts : array-like of int
        Posts per person (>= 0), lurkers included as 0.
    top, middle : float
        Shares of people in the top band and in the top two bands together
        (default 1% and 10%).

    Returns
    -------
    dict or None
        ``{"superusers": s1, "contributors": s9, "lurkers": s90}``; None when
        there are no people or no posts.

    Examples
    --------
    100 members: one wrote 10 posts, nine wrote 1 each, ninety none.

    >>> shares = band_shares([10] + [1] * 9 + [0] * 90)
    >>> {band: round(share, 4) for band, share in shares.items()}
    {'superusers': 0.5263, 'contributors': 0.4737, 'lurkers': 0.0}
    """
    values, freq = distinct_counts(counts)
    n, total = int(freq.sum()), int((values * freq).sum())
    if n == 0 or total == 0:
        return None
    first = _largest_sum(values, freq, ceil_share(top, n))
    ten = _largest_sum(values, freq, ceil_share(middle, n))
    return {"superusers": first / total, "contributors": (ten - first) / total,
            "lurkers": (total - ten) / total}


@dataclass(frozen=True, repr=False)
class ZipfFit(Display):
    """OLS fit of log10(posts) on log10(rank) over posters (van Mierlo et al. 2015).

    See :func:`zipf_fit`.  ``n`` is the number of posters fitted; ``reason``
    says why a value is None.

    Attributes
    ----------
    slope, intercept : float or None
        b and a of log10(posts) = a + b log10(rank).
    r_squared : float or None
        Coefficient of determination of the fit.
    n : int
        Posters fitted.
    reason : str or None
        Why a value is None.

    Examples
    --------
    >>> fit = zipf_fit([1, 1])
    >>> fit.slope, fit.n, fit.reason
    (None, 2, '2 poster(s): a fit needs at least 3')
    """

    slope: float | None
    intercept: float | None
    r_squared: float | None
    n: int
    reason: str | None = None

    def _display_rows(self) -> list[tuple[str, object]]:
        return [("slope", self.slope), ("intercept", self.intercept), ("R^2", self.r_squared),
                ("posters", self.n), ("reason", self.reason)]

    def to_frame(self) -> pd.DataFrame:
        """One row: ``slope``, ``intercept``, ``r_squared`` (float), ``n`` (Int64), ``reason``.

        There is no ``plot``: the fit is drawn over the posters by
        :meth:`peerscope.participation.ParticipationSummary.plot` with
        ``kind="rank_frequency"``.

        Examples
        --------
        >>> zipf_fit([8, 4, 2, 1, 0]).to_frame()["n"].tolist()
        [4]
        """
        return pd.DataFrame({"slope": pd.array([self.slope], dtype="float64"),
                             "intercept": pd.array([self.intercept], dtype="float64"),
                             "r_squared": pd.array([self.r_squared], dtype="float64"),
                             "n": pd.array([self.n], dtype="Int64"),
                             "reason": pd.array([self.reason], dtype="string")})


def zipf_fit(counts) -> ZipfFit:
    """Zipf rank-frequency fit: OLS of log10(posts) on log10(rank).

    Posters (count >= 1) are ranked 1..n by posts, most first (tied posters
    take consecutive ranks; their order does not matter since their counts
    are equal), and log10(x_(r)) = a + b log10(r) is fitted by least squares.
    A Zipf law has b near -1; van Mierlo et al. (2015) report R^2 of .95 to
    .975 in digital health networks.

    Parameters
    ----------
    counts : array-like of int
        Posts per person (>= 0); zeros are left out.

    Returns
    -------
    ZipfFit
        All None with ``reason`` when there are fewer than 3 posters;
        ``r_squared`` None when every poster wrote the same number of posts
        (log posts has no variance).

    Examples
    --------
    >>> fit = zipf_fit([8, 4, 2, 1, 0])
    >>> round(fit.slope, 4), round(fit.r_squared, 4), fit.n
    (-1.459, 0.9608, 4)
    """
    values, freq = distinct_counts(counts)
    keep = values > 0
    values, freq = values[keep], freq[keep]
    n = int(freq.sum())
    if n < 3:
        return ZipfFit(None, None, None, n, reason=f"{n} poster(s): a fit needs at least 3")
    y = np.repeat(np.log10(values[::-1].astype(float)), freq[::-1])
    x = np.log10(np.arange(1, n + 1, dtype=float))
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (intercept + slope * x)
    spread = float(((y - y.mean()) ** 2).sum())
    r_squared = None if spread == 0 else 1 - float((residual ** 2).sum()) / spread
    return ZipfFit(float(slope), float(intercept), r_squared, n,
                   reason=None if spread else "all posters wrote the same number of posts")


@dataclass(frozen=True, repr=False)
class PowerLawFit(Display):
    """Discrete power-law fit by maximum likelihood (Clauset, Shalizi & Newman 2009).

    See :func:`powerlaw_fit`: ``alpha`` and ``x_min`` of the fit, the KS
    distance of the tail, ``n_tail`` posters in the tail out of ``n``,
    ``min_tail`` asked for, and ``reason`` when nothing could be fitted.

    Attributes
    ----------
    alpha : float or None
        Exponent of the fitted power law.
    x_min : int or None
        Start of the tail.
    ks_distance : float or None
        Kolmogorov-Smirnov distance between the tail and the fit.
    n_tail, n : int
        Posters in the tail; posters in all.
    min_tail : int
        Fewest posters a tail had to hold.
    reason : str or None
        Why nothing was fitted.

    Examples
    --------
    >>> fit = powerlaw_fit([1, 2, 3])
    >>> fit.alpha, fit.n_tail, fit.n
    (None, 0, 3)
    >>> fit.reason
    'fewer than 10 posters in any tail with 2+ distinct counts'
    """

    alpha: float | None
    x_min: int | None
    ks_distance: float | None
    n_tail: int
    n: int
    min_tail: int
    reason: str | None = None

    def _display_rows(self) -> list[tuple[str, object]]:
        return [("alpha", self.alpha), ("x_min", self.x_min), ("KS distance", self.ks_distance),
                ("posters in tail", f"{fmt(self.n_tail)} of {fmt(self.n)} (min_tail {fmt(self.min_tail)})"),
                ("reason", self.reason)]

    def to_frame(self) -> pd.DataFrame:
        """One row: ``alpha``, ``ks_distance`` (float), ``x_min``, ``n_tail``, ``n`` (Int64), ``reason``.

        ``min_tail`` is in ``frame.attrs["parameters"]``.  There is no
        ``plot``: the fit is drawn over the posters by
        :meth:`peerscope.participation.ParticipationSummary.plot` with
        ``kind="rank_frequency"``.

        Examples
        --------
        >>> powerlaw_fit([1, 2, 3]).to_frame()[["n_tail", "n"]].values.tolist()
        [[0, 3]]
        """
        frame = pd.DataFrame({"alpha": pd.array([self.alpha], dtype="float64"),
                              "ks_distance": pd.array([self.ks_distance], dtype="float64"),
                              "x_min": pd.array([self.x_min], dtype="Int64"),
                              "n_tail": pd.array([self.n_tail], dtype="Int64"),
                              "n": pd.array([self.n], dtype="Int64"),
                              "reason": pd.array([self.reason], dtype="string")})
        frame.attrs["parameters"] = {"min_tail": self.min_tail}
        return frame


#: Range searched for alpha (a discrete power law needs alpha > 1).
_ALPHA_BOUNDS = (1.0 + 1e-6, 10.0)
#: Where the search for each candidate's alpha starts (typical of posting counts).
_ALPHA_START = 2.0


def _negative_log_likelihood(alpha, n_tail, log_sum_tail, x_min):
    """-L(alpha) of a discrete power-law tail, up to a constant (elementwise over arrays)."""
    return n_tail * np.log(zeta(alpha, x_min)) + alpha * log_sum_tail


def _alpha_mles(values: np.ndarray, freq: np.ndarray, starts: np.ndarray,
                x_mins: np.ndarray) -> np.ndarray:
    """alpha maximising L = -n log zeta(alpha, x_min) - alpha sum log x, for each candidate tail.

    The tail of candidate ``k`` is ``values[starts[k]:]`` (with their
    frequencies) and begins at ``x_mins[k]``.  zeta is the Hurwitz zeta
    function (``scipy.special.zeta``), the normalising constant of the
    discrete power law (Clauset, Shalizi & Newman 2009, eq. 2.7).
    ``log zeta(alpha, x_min)`` is a log-sum-exp of functions linear in
    alpha, hence convex, so -L is convex on the bounds and has one minimum
    there.  Every candidate is solved at once: a bracket is grown from
    alpha = 2 within the bounds (``scipy.optimize.elementwise.bracket_minimum``)
    and narrowed by Chandrupatla's method (``elementwise.find_minimum``),
    each step one vectorised zeta over all candidates (about 30x faster
    than a bounded Brent search per candidate at 900 candidates).  Where
    the minimum lies at a bound, no bracket exists and the bound reached is
    the estimate.  alpha is found to about 1.5e-8 relative, the precision
    that function values allow.
    """
    n = np.cumsum(freq[::-1])[::-1][starts].astype(float)
    log_sum = np.cumsum((freq * np.log(values))[::-1])[::-1][starts]
    args = (n, log_sum, x_mins)
    low, high = _ALPHA_BOUNDS
    bracket = elementwise.bracket_minimum(_negative_log_likelihood, np.full(len(n), _ALPHA_START),
                                          xmin=low, xmax=high, args=args)
    found = elementwise.find_minimum(_negative_log_likelihood, bracket.bracket, args=args)
    # no bracket: the minimum is at a bound; take the bracket's lowest point (the bound)
    points, heights = np.stack(bracket.bracket), np.stack(bracket.f_bracket)
    at_bound = points[np.argmin(heights, axis=0), np.arange(len(n))]
    return np.where(bracket.success, found.x, at_bound)


#: Most (candidate, value) pairs whose KS terms are computed at once (about 20 MB of temporaries).
_KS_BLOCK = 1 << 18

#: Values of each candidate tail whose KS terms give the lower bound that rules the candidate out.
_KS_PROBE = 16

#: Candidates whose full KS distance is computed at once, in order of their lower bounds.
_KS_STEP = 8


def _ks_distances(values: np.ndarray, freq: np.ndarray, candidates: np.ndarray, alphas: np.ndarray,
                  x_mins: np.ndarray, first_values: int | None = None) -> np.ndarray:
    """For each candidate tail, sup over integers x >= x_min of |empirical CDF - model CDF|.

    The tail of candidate ``c`` is ``values[candidates[c]:]``, fitted with
    ``alphas[c]`` from ``x_mins[c]``.  Model CDF F(x) = 1 - zeta(alpha, x + 1)
    / zeta(alpha, x_min).  The empirical CDF is flat between observed values
    v_(k-1) and v_k while F rises, so the supremum is attained at an observed
    value or one below the next observed value; both are checked.  All the
    (candidate, value) pairs of a block of candidates are computed in one
    vectorised pass.  With ``first_values``, only the tail's first
    ``first_values`` observed values are checked (and not the integer below
    the value after the last of them): a lower bound of the distance, whose
    terms are the distance's own, computed the same way.
    """
    values = values.astype(float)
    n_values = len(values)
    cumulative = np.cumsum(freq)
    distances = np.empty(len(candidates))
    limit = n_values if first_values is None else first_values
    sizes = np.minimum(n_values - candidates, limit)       # the pairs of each candidate
    first = 0
    while first < len(candidates):
        last, pairs = first + 1, sizes[first]
        while last < len(candidates) and pairs + sizes[last] <= _KS_BLOCK:
            pairs += sizes[last]
            last += 1
        block = candidates[first:last]
        lengths = sizes[first:last]
        starts = np.cumsum(lengths) - lengths
        owner = np.repeat(np.arange(len(block)), lengths)
        position = np.arange(lengths.sum()) - starts[owner]
        k = position + block[owner]                                      # value index of each pair
        before = (cumulative[block] - freq[block])[owner]                # observations below the tail
        empirical = (cumulative[k] - before) / (cumulative[-1] - before)
        alpha = alphas[first:last][owner]
        norm = zeta(alphas[first:last], x_mins[first:last])[owner]
        # one zeta per pair: zeta(a, v + 1) = zeta(a, v) - v^-a, and zeta(a, next value) is the
        # next pair's (the pairs of a candidate are its consecutive values; its last has no next)
        at_value = zeta(alpha, values[k])
        gap = np.abs(empirical - (1 - (at_value - values[k] ** -alpha) / norm))
        has_next = position < lengths[owner] - 1
        below_next = np.abs(empirical[:-1] - (1 - at_value[1:] / norm[:-1]))
        gap[:-1] = np.maximum(gap[:-1], np.where(has_next[:-1], below_next, 0.0))
        distances[first:last] = np.maximum.reduceat(gap, starts)
        first = last
    return distances


def _smallest_ks_distances(values: np.ndarray, freq: np.ndarray, candidates: np.ndarray,
                           alphas: np.ndarray, x_mins: np.ndarray) -> np.ndarray:
    """:func:`_ks_distances` where a candidate can have the smallest distance, ``inf`` where it cannot.

    Branch and bound: every candidate's distance is bounded from below by
    its first :data:`_KS_PROBE` values (:func:`_ks_distances` with
    ``first_values``); the full distances are then computed in order of
    those bounds, :data:`_KS_STEP` candidates at a time, until the next
    bound exceeds the smallest distance found.  A candidate left out has a
    distance at least its bound, hence strictly greater than the smallest:
    the argmin (the first of equal distances) is that of every distance,
    and the distances computed are exactly those :func:`_ks_distances`
    gives.  Most candidate tails are ruled out by their first values: on
    the synthetic communities of ``benchmarks/``, 8 of 882 candidates were
    computed in full at 1M posts and 40 of 1,442 at 10M, in 0.003 s
    instead of 0.06 s and 0.005 s instead of 0.14 s.
    """
    bounds = _ks_distances(values, freq, candidates, alphas, x_mins, first_values=_KS_PROBE)
    distances = np.full(len(candidates), np.inf)
    order = np.argsort(bounds, kind="stable")
    smallest = np.inf
    for start in range(0, len(order), _KS_STEP):
        chosen = order[start:start + _KS_STEP]
        chosen = np.sort(chosen[bounds[chosen] <= smallest])
        if not chosen.size:
            break
        distances[chosen] = _ks_distances(values, freq, candidates[chosen], alphas[chosen], x_mins[chosen])
        smallest = min(smallest, distances[chosen].min())
    return distances


def powerlaw_fit(counts, *, x_min: int | None = None, min_tail: int = 10) -> PowerLawFit:
    """Fit a discrete power law p(x) = x^-alpha / zeta(alpha, x_min), x >= x_min.

    Method of Clauset, Shalizi & Newman (2009):

    - for a given x_min, alpha is the maximum-likelihood estimate: it maximises
      L(alpha) = -n log zeta(alpha, x_min) - alpha sum_{x_i >= x_min} log x_i
      (zeta the Hurwitz zeta function, ``scipy.special.zeta``), found by
      bracketed search on alpha in (1, 10] (``scipy.optimize.elementwise``,
      every candidate x_min at once; the likelihood is concave, so its one
      maximum there is the MLE);
    - x_min (unless given) is the observed value minimising the
      Kolmogorov-Smirnov distance D = sup_x |S(x) - P(x)| between the
      empirical and fitted CDFs of the tail, over candidates leaving at least
      ``min_tail`` observations in the tail.

    Only posters (counts >= 1) enter.  The KS distance here is the supremum
    over all integers >= x_min, which may exceed a value computed at the
    observed points only.  No goodness-of-fit p-value is computed (Clauset et
    al.'s semi-parametric bootstrap); a small D says the tail is close to a
    power law, not that it is one.

    Parameters
    ----------
    counts : array-like of int
        Posts per person (>= 0); zeros are left out.
    x_min : int, optional
        Fix the start of the tail instead of choosing it by KS distance.
    min_tail : int
        Fewest posters the tail must hold (default 10).

    Returns
    -------
    PowerLawFit
        All None with ``reason`` when fewer than ``min_tail`` posters have
        counts >= x_min, or when the tail holds a single distinct value.

    Examples
    --------
    >>> counts = [1] * 60 + [2] * 20 + [3] * 8 + [5] * 5 + [8] * 3 + [13] * 2 + [40]
    >>> fit = powerlaw_fit(counts)
    >>> round(fit.alpha, 3), fit.x_min, fit.n_tail, round(fit.ks_distance, 4)
    (2.141, 1, 99, 0.0475)
    """
    values, freq = distinct_counts(counts)
    keep = values > 0
    values, freq = values[keep], freq[keep]
    n = int(freq.sum())
    tail_sizes = np.cumsum(freq[::-1])[::-1]          # observations >= values[j]
    if x_min is not None:
        candidates = np.flatnonzero(values >= x_min)[:1]
        if candidates.size:
            values_from = int(candidates[0])
            # a tail of one distinct value has no finite MLE (all mass at x_min)
            usable = tail_sizes[values_from] >= min_tail and values.size - values_from >= 2
            candidates = candidates if usable else candidates[:0]
    else:
        candidates = np.flatnonzero((tail_sizes >= min_tail) & (np.arange(values.size) < values.size - 1))
    if not candidates.size:
        return PowerLawFit(None, None, None, 0, n, min_tail,
                           reason=f"fewer than {min_tail} posters in any tail with 2+ distinct counts")
    x_mins = values[candidates].astype(float) if x_min is None else np.full(len(candidates), float(x_min))
    alphas = _alpha_mles(values.astype(float), freq, candidates, x_mins)
    distances = _smallest_ks_distances(values, freq, candidates, alphas, x_mins)
    best = int(np.argmin(distances))        # the first of equal distances, as the smallest x_min
    n_tail = int(freq[candidates[best]:].sum())
    return PowerLawFit(float(alphas[best]), int(x_mins[best]), float(distances[best]), n_tail, n, min_tail)
