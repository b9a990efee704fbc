"""Paper figures (matplotlib): readable in greyscale, one journal column wide.

Every figure is 3.5 in (89 mm, one column of most journals) wide, drawn in
black and greys, and tells series apart by line style, marker or hatch, never
by colour alone, so that it survives black-and-white printing.  A footer line
carries the parameters behind it (window, rule, timezone, n) so a figure cut
out of the report still says what it shows.  Points resting on fewer than
``min_cell`` people (the tail of a survival curve, a month with 3 moderators)
are not drawn, as in the tables (:mod:`peerscope.report.suppression`).

matplotlib is an optional dependency (``pip install peerscope[report]``); it
is imported when a figure is drawn, with the Agg backend (no display needed),
and figures are made with :class:`matplotlib.figure.Figure` directly, so no
global pyplot state is touched.  Each figure draws onto its Axes with the
same function as the result's ``.plot`` method (``summary.plot()`` in a
notebook is the report's Lorenz curve without the footer and the style).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from peerscope._kernels.display import (STYLES, MissingDependencyError, draw_bands, draw_form_shares,
                                        draw_give_receive, draw_ladder_monthly, draw_lorenz,
                                        draw_mean_forms, draw_rank_frequency, draw_survival,
                                        draw_time_heatmap, style_axes)

__all__ = ["HEIGHT", "STYLES", "WIDTH", "MissingDependencyError", "bands", "forms_over_tenure",
           "give_receive", "ladder_monthly", "lorenz", "rank_frequency", "support_by_month", "survival",
           "time_heatmap", "topic_odds"]

#: Width of one journal column, inches.
WIDTH = 3.5
#: Default height, inches.
HEIGHT = 2.8
_RC = {"font.size": 7, "axes.titlesize": 7, "axes.labelsize": 7, "xtick.labelsize": 6,
       "ytick.labelsize": 6, "legend.fontsize": 6, "axes.linewidth": 0.6, "lines.linewidth": 1.0,
       "lines.markersize": 3, "figure.dpi": 100, "savefig.dpi": 300, "image.cmap": "Greys"}


def require_matplotlib():
    """Import matplotlib with the Agg backend, or raise :class:`MissingDependencyError`.

    The backend is set only when none has been chosen yet (``force=False``).

    Returns
    -------
    module
        The ``matplotlib`` module.

    Raises
    ------
    MissingDependencyError
        When matplotlib is not installed.

    Examples
    --------
    >>> require_matplotlib().__name__
    'matplotlib'
    """
    try:
        import matplotlib
    except ImportError:
        raise MissingDependencyError("figures need matplotlib: pip install 'peerscope[report]' "
                                     "(tables are written without it)") from None
    matplotlib.use("Agg", force=False)
    return matplotlib


def _styled(draw):
    """Run a figure function with the report's style (rcParams apply when artists are made)."""

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        matplotlib = require_matplotlib()
        with matplotlib.rc_context(_RC):
            return draw(*args, **kwargs)

    return wrapper


def _figure(footer: str, height: float = HEIGHT, rows: int = 1):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH, height), layout="constrained")
    ax = fig.subplots(rows, 1, sharex=True) if rows > 1 else fig.add_subplot()
    fig.supxlabel(footer, fontsize=4.5, color="0.3", wrap=True)
    fig.peerscope_parameters = footer
    return fig, ax


@_styled
def lorenz(summary, footer: str):
    """Lorenz curve of posts per person with the line of equality and the Gini coefficient.

    Parameters
    ----------
    summary : peerscope.participation.ParticipationSummary
    footer : str
        Small print under the plot (corpus, window, parameters); also the file's metadata.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from peerscope.datasets.examples import tiny_forum
    >>> corpus = tiny_forum()
    >>> from peerscope.participation import summary
    >>> result = summary(corpus, replicates=50)
    >>> figure = lorenz(result, "tiny corpus")
    >>> figure.axes[0].get_title(), figure.peerscope_parameters
    ('Lorenz curve of posts per member', 'tiny corpus')
    """
    fig, ax = _figure(footer)
    draw_lorenz(ax, summary)
    return fig


@_styled
def rank_frequency(poster_counts: np.ndarray, summary, footer: str):
    """Posts per poster against rank on log-log axes, with the Zipf and power-law fits.

    Parameters
    ----------
    poster_counts : numpy.ndarray
        Posts per poster.
    summary : peerscope.participation.ParticipationSummary
        Its ``zipf`` and ``power_law`` fits are drawn.
    footer : str
        Small print under the plot (corpus, window, parameters); also the file's metadata.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from peerscope.datasets.examples import tiny_forum
    >>> corpus = tiny_forum()
    >>> from peerscope.participation import summary
    >>> result = summary(corpus, replicates=50)
    >>> import numpy as np
    >>> rank_frequency(np.array([3, 1]), result, "tiny").axes[0].get_title()
    'Rank-frequency of posts per poster'
    """
    fig, ax = _figure(footer)
    return fig if draw_rank_frequency(ax, poster_counts, summary.zipf, summary.power_law) else None


@_styled
def bands(summary, reference: dict, footer: str):
    """Share of posts by the 1% / 9% / 90% bands next to van Mierlo's 74.7 / 24.0 / 1.3%.

    Parameters
    ----------
    summary : peerscope.participation.ParticipationSummary
    reference : dict
        Band -> published share (:data:`peerscope.report.tables.VAN_MIERLO_BANDS`).
    footer : str
        Small print under the plot (corpus, window, parameters); also the file's metadata.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from peerscope.datasets.examples import tiny_forum
    >>> corpus = tiny_forum()
    >>> from peerscope.participation import summary
    >>> result = summary(corpus, replicates=50)
    >>> from peerscope.report.tables import VAN_MIERLO_BANDS
    >>> bands(result, VAN_MIERLO_BANDS, "tiny").axes[0].get_title()
    'Participation bands (members ranked by posts)'
    """
    fig, ax = _figure(footer)
    return fig if draw_bands(ax, summary, reference) else None


@_styled
def time_heatmap(profile, footer: str):
    """Posts by hour of day and weekday (local time of ``profile.timezone``) as a grey heatmap.

    Parameters
    ----------
    profile : peerscope.participation.engagement.TimeProfile
    footer : str
        Small print under the plot (corpus, window, parameters); also the file's metadata.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from peerscope.datasets.examples import tiny_forum
    >>> corpus = tiny_forum()
    >>> from peerscope.participation.engagement import time_profile
    >>> time_heatmap(time_profile(corpus), "tiny").axes[0].get_title()
    'When members post'
    """
    fig, ax = _figure(footer, height=2.2)
    draw_time_heatmap(ax, profile)
    return fig


@_styled
def survival(result, min_cell: int, footer: str):
    """Kaplan-Meier curve of tenure (withdrawal as the event), with its interval.

    Parameters
    ----------
    result : peerscope.participation.engagement.Survival
    min_cell : int
        Points resting on fewer people at risk are not drawn.
    footer : str
        Small print under the plot (corpus, window, parameters); also the file's metadata.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from peerscope.datasets.examples import tiny_forum
    >>> corpus = tiny_forum()
    >>> from peerscope.participation.engagement import survival as tenure
    >>> survival(tenure(corpus), 1, "tiny").axes[0].get_title()
    'Tenure of posters; withdrawal = no post for 90 days'
    """
    fig, ax = _figure(footer)
    return fig if draw_survival(ax, result, min_cell) else None


@_styled
def forms_over_tenure(curve, forms, reference: dict, min_cell: int, footer: str):
    """Mean forms in use (top) and share using each form (bottom) by periods since first use.

    Parameters
    ----------
    curve : peerscope.pluralism.TenureCurve
    forms : sequence of str
        Forms drawn in the bottom panel.
    reference : dict
        Period -> published mean forms (:data:`peerscope.report.tables.SIDE_BY_SIDE_FORMS`).
    min_cell : int
        Points resting on fewer members are not drawn.
    footer : str
        Small print under the plot (corpus, window, parameters); also the file's metadata.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus, pluralism
    >>> from peerscope.report.tables import SIDE_BY_SIDE_FORMS
    >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
    >>> posts = pd.DataFrame({"post_id": ["p1"], "thread_id": ["p1"], "parent_id": [None],
    ...                       "author_id": ["ann"], "created_at": t("2024-01-03"), "text": ["hi"]})
    >>> events = pd.DataFrame({"member_id": ["ann", "bob"], "at": t("2024-02-07", "2024-02-01"),
    ...                        "kind": ["attend", "session"], "form": ["group", "one_to_one"]})
    >>> curve = pluralism.forms_over_tenure(Corpus.from_frames(posts, events=events))
    >>> figure = forms_over_tenure(curve, pluralism.FORMS, SIDE_BY_SIDE_FORMS, 1, "tiny")
    >>> len(figure.axes), figure.axes[0].get_title()
    (2, 'Forms of peer support in use over tenure')
    """
    fig, (top, bottom) = _figure(footer, height=4.0, rows=2)
    if not draw_mean_forms(top, curve, reference, min_cell):
        return None
    top.set_xlabel("")
    draw_form_shares(bottom, curve, forms, min_cell)
    return fig


@_styled
def give_receive(balance, footer: str):
    """Replies given against replies received per member (symmetric log axes), marker by role.

    Parameters
    ----------
    balance : peerscope.reciprocity.Balance
    footer : str
        Small print under the plot (corpus, window, parameters); also the file's metadata.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from peerscope.datasets.examples import tiny_forum
    >>> corpus = tiny_forum()
    >>> from peerscope.reciprocity import give_receive as balance
    >>> give_receive(balance(corpus), "tiny").axes[0].get_title()
    'Replies given and received per member'
    """
    fig, ax = _figure(footer, height=3.0)
    return fig if draw_give_receive(ax, balance) else None


@_styled
def ladder_monthly(ladder, ladder_names, min_cell: int, footer: str):
    """Members at each ladder level (1-5) per calendar month; counts below ``min_cell`` not drawn.

    Parameters
    ----------
    ladder : peerscope.participation.engagement.LadderMoves
    ladder_names : sequence of str
        The rungs (:data:`peerscope.participation.LADDER`).
    min_cell : int
    footer : str
        Small print under the plot (corpus, window, parameters); also the file's metadata.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from peerscope.datasets.examples import tiny_forum
    >>> corpus = tiny_forum()
    >>> from peerscope.participation.engagement import ladder_by_month
    >>> from peerscope.participation import LADDER
    >>> ladder_monthly(ladder_by_month(corpus), LADDER, 1, "tiny").axes[0].get_title()
    'Members by participation ladder level per month'
    """
    fig, ax = _figure(footer, height=3.3)
    return fig if draw_ladder_monthly(ax, ladder, ladder_names, min_cell) else None


@_styled
def topic_odds(comparison: pd.DataFrame, footer: str):
    """Forest plot of super-users' odds ratios per topic, with intervals, on a log scale.

    Parameters
    ----------
    comparison : DataFrame
        :func:`peerscope.topics.prevalence.compare_groups` (``label``,
        ``odds_ratio``, ``ci_low``, ``ci_high``, ``p_holm``).
    footer : str
        Small print under the plot (corpus, window, parameters); also the file's metadata.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> frame = pd.DataFrame({"label": ["sleep", "family"], "odds_ratio": [2.0, 0.5],
    ...     "ci_low": [1.2, 0.3], "ci_high": [3.3, 0.8], "p_holm": [0.01, 0.2]})
    >>> topic_odds(frame, "tiny").axes[0].get_xlabel()
    "Odds ratio, super-users' posts against other posters' (log scale)"
    """
    rows = comparison.reset_index(drop=True).iloc[::-1]
    if not len(rows) or not np.isfinite(rows["odds_ratio"]).any():
        return None
    fig, ax = _figure(footer, height=max(HEIGHT, 0.9 + 0.22 * len(rows)))
    y = np.arange(len(rows))
    significant = rows["p_holm"].to_numpy() < 0.05
    ax.errorbar(rows["odds_ratio"], y, xerr=[rows["odds_ratio"] - rows["ci_low"],
                                             rows["ci_high"] - rows["odds_ratio"]],
                fmt="none", ecolor="0.3", elinewidth=0.8, capsize=1.5)
    ax.scatter(rows["odds_ratio"][significant], y[significant], marker="s", color="0", s=9,
               label="Holm-adjusted p < 0.05", zorder=3)
    ax.scatter(rows["odds_ratio"][~significant], y[~significant], marker="s", facecolor="white",
               edgecolor="0", s=9, label="not significant", zorder=3)
    ax.axvline(1.0, color="0.5", linestyle=":", linewidth=0.6)
    ax.set_xscale("log")
    ax.set_yticks(y, [str(label)[:40] for label in rows["label"]])
    ax.set_xlabel("Odds ratio, super-users' posts against other posters' (log scale)")
    ax.set_ylabel("Topic")
    ax.set_title("Topics of super-users against other posters")
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=2)
    style_axes(ax)
    return fig


@_styled
def support_by_month(shares: pd.DataFrame, footer: str):
    """Share of posts of each support type per month.

    Parameters
    ----------
    shares : DataFrame
        Indexed by month (``YYYY-MM``), one column of shares per support
        type (:func:`peerscope.report.content.monthly_shares`; months
        resting on few authors already left out).
    footer : str
        Small print under the plot (corpus, window, parameters); also the file's metadata.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> shares = pd.DataFrame({"emotional": [0.3, 0.4], "other": [0.7, 0.6]},
    ...                       index=["2024-01", "2024-02"])
    >>> support_by_month(shares, "tiny").axes[0].get_ylabel()
    'Share of posts'
    """
    if not len(shares):
        return None
    months = pd.to_datetime(pd.Index(shares.index) + "-01")
    fig, ax = _figure(footer)
    for (style, marker, grey), name in zip(STYLES, shares.columns):
        ax.plot(months, shares[name].to_numpy(), color=grey, linestyle=style, marker=marker,
                markersize=2.5, markerfacecolor="none", label=str(name))
    ax.set_ylim(0, 1)
    ax.set_title("Support types by month")
    ax.set_xlabel("Month")
    ax.set_ylabel("Share of posts")
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.28), ncols=3)
    ax.tick_params(axis="x", labelrotation=30)
    style_axes(ax)
    return fig
