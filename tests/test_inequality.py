"""Inequality statistics and super-user rules, against values computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special

from peerscope import inequality
from peerscope.participation.superusers import ContentShare, LogOutlier, MinPosts, TopShare, select


def test_gini_by_hand():
    # [0, 0, 1, 3]: ordered pairs |xi - xj| sum to 2 * (1 + 3 + 1 + 3 + 2) = 20;
    # G = 20 / (2 * n^2 * mean) = 20 / (2 * 16 * 1) = 0.625
    result = inequality.gini([0, 0, 1, 3], replicates=0)
    assert result.value == pytest.approx(0.625, abs=1e-12)
    assert result.ci_low is None and result.replicates == 0
    assert inequality.gini([2, 2, 2], replicates=0).value == pytest.approx(0.0, abs=1e-12)
    # one person of 5 wrote everything: (n - 1) / n = 0.8
    assert inequality.gini([0, 0, 0, 0, 7], replicates=0).value == pytest.approx(0.8)


def test_gini_undefined_cases_say_why():
    assert inequality.gini([], replicates=10).value is None
    nobody = inequality.gini([0, 0, 0], replicates=10)
    assert nobody.value is None and "nobody posted" in nobody.reason


def test_gini_bootstrap_matches_plain_resampling():
    counts = np.random.default_rng(5).zipf(2.0, 400).clip(max=500)
    result = inequality.gini(counts, replicates=2000, random_state=1, basis="posters")
    assert result.basis == "posters" and result.random_state == 1
    assert result.ci_low < result.value < result.ci_high
    # the same interval from resampling people directly (independent draws, so only close)
    rng = np.random.default_rng(2)
    plain = [inequality.gini(rng.choice(counts, counts.size), replicates=0).value for _ in range(2000)]
    low, high = np.quantile(plain, [0.025, 0.975])
    assert result.ci_low == pytest.approx(low, abs=0.02)
    assert result.ci_high == pytest.approx(high, abs=0.02)
    # and the seed makes it reproducible
    assert inequality.gini(counts, replicates=2000, random_state=1, basis="posters") == result


def test_lorenz_top_and_band_shares_by_hand():
    curve = inequality.lorenz([0, 0, 1, 3])
    assert curve["share_of_people"].tolist() == [0, 0.5, 0.75, 1]
    assert curve["share_of_posts"].tolist() == [0, 0, 0.25, 1]
    assert inequality.top_share([0, 0, 1, 3], 0.25) == 0.75
    assert inequality.top_share([0, 0, 0], 0.5) is None
    # 200 members: top ceil(1%) = 2 people wrote 50 + 30; next up to ceil(10%) = 20 people
    counts = [50, 30] + [5] * 18 + [1] * 20 + [0] * 160
    shares = inequality.band_shares(counts)
    total = 80 + 90 + 20
    assert shares == pytest.approx({"superusers": 80 / total, "contributors": 90 / total,
                                    "lurkers": 20 / total})


def test_shares_use_exact_decimal_fractions():
    # 0.07 * 100 is 7.000000000000001 in floating point; the cut-off must still be 7
    assert inequality.ceil_share(0.07, 100) == 7
    assert TopShare(0.07).size(np.arange(100, 0, -1)) == 7
    assert inequality.ceil_share(0.01, 101) == 2


def test_zipf_fit_recovers_slope():
    counts = np.round(10_000 / np.arange(1, 301)).astype(int)
    fit = inequality.zipf_fit(counts)
    assert fit.slope == pytest.approx(-1, abs=0.01)
    assert fit.r_squared > 0.999
    assert inequality.zipf_fit([3, 1]).slope is None
    assert inequality.zipf_fit([2, 2, 2]).r_squared is None


def test_powerlaw_fit_recovers_alpha_and_ks_is_the_supremum():
    counts = np.random.default_rng(11).zipf(2.5, 5000)
    fit = inequality.powerlaw_fit(counts)
    assert fit.alpha == pytest.approx(2.5, abs=0.1)
    assert fit.x_min <= 3 and fit.n_tail >= 1000
    # the KS distance is the sup over all integers x >= x_min, checked by brute force
    tail = np.sort(counts[counts >= fit.x_min])
    xs = np.arange(fit.x_min, tail.max() + 1)
    empirical = np.searchsorted(tail, xs, side="right") / tail.size
    model = 1 - special.zeta(fit.alpha, xs + 1.0) / special.zeta(fit.alpha, fit.x_min)
    assert fit.ks_distance == pytest.approx(np.abs(empirical - model).max(), rel=1e-9)
    few = inequality.powerlaw_fit([1, 2, 3])
    assert few.alpha is None and "fewer than 10" in few.reason


def test_the_x_min_search_rules_out_only_tails_that_cannot_win(monkeypatch):
    """Branch and bound over the candidate x_min gives the fit of computing every KS distance."""
    rng = np.random.default_rng(8)
    samples = {"zipf 1.7": rng.zipf(1.7, 20_000), "zipf 2.5": rng.zipf(2.5, 3_000),
               "lognormal": np.ceil(rng.lognormal(1.0, 1.2, 5_000)).astype(int),
               "uniform body, power-law tail": np.concatenate([rng.integers(1, 6, 2_000),
                                                               rng.zipf(2.0, 500) + 5])}
    computed = []
    pruning = inequality._smallest_ks_distances
    monkeypatch.setattr(inequality, "_smallest_ks_distances",
                        lambda *args: computed.append(pruning(*args)) or computed[-1])
    x_mins = set()
    for name, counts in samples.items():
        fit = inequality.powerlaw_fit(counts)
        with monkeypatch.context() as every:
            every.setattr(inequality, "_smallest_ks_distances", inequality._ks_distances)
            full = inequality.powerlaw_fit(counts)
        assert (fit.alpha, fit.x_min, fit.ks_distance, fit.n_tail) == (
            full.alpha, full.x_min, full.ks_distance, full.n_tail), name
        x_mins.add(fit.x_min)
    assert x_mins != {1}   # some tails start above 1: the bound must rule out candidates before the best
    # the search computed fewer than half of the distances every time
    assert all(np.isinf(distances).sum() > len(distances) / 2 for distances in computed)


def _posters(counts, first_days, ids=None):
    ids = ids or [f"m{i}" for i in range(len(counts))]
    return pd.DataFrame({"member_id": ids, "posts": counts,
                         "first_post": pd.to_datetime(first_days, utc=True)})


def test_top_share_breaks_ties_by_first_post_then_id():
    # 150 posters -> ceil(1.5) = 2 super-users; m1 is clear, m2 m3 m4 tie at 5 posts:
    # m4 posted first, m2 and m3 on the same day -> m4 is chosen; 2 tied left out
    counts = [9, 5, 5, 5] + [1] * 146
    first = ["2024-01-05", "2024-01-03", "2024-01-03", "2024-01-02"] + ["2024-02-01"] * 146
    selection = select(_posters(counts, first, ["a", "c", "b", "d"] + [f"z{i}" for i in range(146)]),
                       TopShare(0.01))
    assert selection.member_ids == ("a", "d")
    assert (selection.cutoff_posts, selection.ties_at_cutoff, selection.ties_left_out) == (5, 3, 2)
    # three posters wanted: the tie between b and c (same day) goes to the smaller id
    three = select(_posters(counts, first, ["a", "c", "b", "d"] + [f"z{i}" for i in range(146)]),
                   TopShare(0.02))
    assert three.member_ids == ("a", "d", "b")


def test_other_rules():
    posters = _posters([10, 6, 3, 1], ["2024-01-01"] * 4)
    # 20 posts; half is 10: the top poster alone
    assert select(posters, ContentShare(0.5)).member_ids == ("m0",)
    assert select(posters, ContentShare(0.6)).member_ids == ("m0", "m1")
    assert select(posters, MinPosts(3)).member_ids == ("m0", "m1", "m2")
    # logs 2.303, 1.792, 1.099, 0: mean 1.298, sd 0.873 -> threshold (k=1) 2.171 -> only m0
    assert select(posters, LogOutlier(1.0)).member_ids == ("m0",)
    assert select(_posters([2, 2], ["2024-01-01"] * 2), LogOutlier(0.0)).member_ids == ()
    assert "ceil(0.01 x posters)" in TopShare().describe()
    with pytest.raises(ValueError):
        TopShare(1.5)


def test_powerlaw_with_a_given_x_min_and_one_distinct_value_is_undefined():
    from peerscope.participation.inequality import powerlaw_fit

    fit = powerlaw_fit([5] * 20, x_min=5)
    assert fit.alpha is None and "distinct" in fit.reason
    assert powerlaw_fit([5] * 20 + [6, 9, 12], x_min=5).alpha is not None


def test_powerlaw_alpha_maximises_the_likelihood():
    # L(alpha) = -n log zeta(alpha, x_min) - alpha sum log x (Clauset, Shalizi & Newman 2009,
    # eq. 3.5), evaluated on a fine grid around the fit: the fit is its maximum
    counts = np.random.default_rng(3).zipf(2.2, 3000)
    for x_min in (1, 2, 5):
        fit = inequality.powerlaw_fit(counts, x_min=x_min)
        tail = counts[counts >= x_min]
        assert (fit.x_min, fit.n_tail) == (x_min, tail.size)

        def log_likelihood(alpha):
            return -tail.size * np.log(special.zeta(alpha, x_min)) - alpha * np.log(tail).sum()

        grid = fit.alpha + np.linspace(-1e-3, 1e-3, 2001)
        assert fit.alpha == pytest.approx(grid[np.argmax(log_likelihood(grid))], abs=1e-6)
        assert log_likelihood(fit.alpha) >= log_likelihood(fit.alpha + np.array([-1e-5, 1e-5])).max()
    # a tail with most of its mass at x_min has alpha near the upper end of the search
    steep = inequality.powerlaw_fit([1] * 5000 + [2], x_min=1)
    assert 9 < steep.alpha <= 10
