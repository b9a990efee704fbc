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
global pyplot state is touched.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from peerscope.errors import PeerscopeError

__all__ = ["HEIGHT", "STYLES", "WIDTH", "MissingDependencyError", "bands", "forms_over_tenure",
           "give_receive", "ladder_monthly", "lorenz", "rank_frequency", "survival", "time_heatmap"]

#: Width of one journal column, inches.
WIDTH = 3.5
#: Default height, inches.
HEIGHT = 2.8
#: Line styles and markers that tell series apart without colour.
STYLES = (("-", "o", "0.0"), ("--", "s", "0.35"), (":", "^", "0.0"), ("-.", "D", "0.5"),
          ((0, (5, 1, 1, 1, 1, 1)), "v", "0.2"), ((0, (1, 3)), "x", "0.4"))
_RC = {"font.size": 7, "axes.titlesize": 7, "axes.labelsize": 7, "xtick.labelsize": 6,
       "ytick.labelsize": 6, "legend.fontsize": 6, "axes.linewidth": 0.6, "lines.linewidth": 1.0,
       "lines.markersize": 3, "figure.dpi": 100, "savefig.dpi": 300, "image.cmap": "Greys"}


class MissingDependencyError(PeerscopeError):
    """An optional dependency (here matplotlib) is not installed.

    Examples
    --------
    Raised by :func:`require_matplotlib` (and every figure function) when
    matplotlib is missing; a :class:`~peerscope.errors.PeerscopeError`:

    >>> issubclass(MissingDependencyError, PeerscopeError)
    True
    >>> str(MissingDependencyError("figures need matplotlib"))
    'figures need matplotlib'
    """


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


def _style(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(width=0.6, length=2.5)


def _percent(value) -> str:
    return "n/a" if value is None else f"{value:.1%}"


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
    curve = summary.lorenz
    gini = summary.gini_members if summary.lorenz_basis == "members" else summary.gini_posters
    fig, ax = _figure(footer)
    ax.plot([0, 1], [0, 1], color="0.5", linestyle=":", label="equality")
    ax.plot(curve["share_of_people"], curve["share_of_posts"], color="0", linestyle="-",
            label=f"observed ({summary.lorenz_basis})")
    ax.fill_between(curve["share_of_people"], curve["share_of_posts"], curve["share_of_people"],
                    facecolor="none", edgecolor="0.6", hatch="////", linewidth=0)
    interval = (f"\n{gini.confidence:.0%} CI [{gini.ci_low:.3f}, {gini.ci_high:.3f}]"
                if gini.ci_low is not None else "")
    text = f"Gini = {gini.value:.3f}{interval}" if gini.value is not None else "Gini: n/a"
    ax.text(0.97, 0.5, text, transform=ax.transAxes, ha="right", va="center",
            bbox={"facecolor": "white", "edgecolor": "0.5", "linewidth": 0.5})
    ax.set_title(f"Lorenz curve of posts per {summary.lorenz_basis[:-1]}")
    ax.set_xlabel(f"Cumulative share of {summary.lorenz_basis} (fewest posts first)")
    ax.set_ylabel("Cumulative share of posts")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(frameon=False, loc="upper left")
    _style(ax)
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
    counts = -np.sort(-np.asarray(poster_counts, dtype=float))
    if not len(counts):
        return None
    ranks = np.arange(1, len(counts) + 1)
    fig, ax = _figure(footer)
    ax.loglog(ranks, counts, linestyle="none", marker="o", markersize=2, markerfacecolor="none",
              markeredgecolor="0.2", markeredgewidth=0.5, label="posters")
    z = summary.zipf
    if z.slope is not None:
        ax.loglog(ranks, 10 ** (z.intercept + z.slope * np.log10(ranks)), color="0", linestyle="--",
                  label=f"Zipf OLS: slope {z.slope:.2f}, R$^2$ {z.r_squared:.3f}")
    p = summary.power_law
    if p.alpha is not None and p.n_tail:
        from scipy.special import zeta

        # expected rank of a count x under the fitted discrete power law, over the observed range:
        # n_tail x P(X >= x) = n_tail x zeta(alpha, x) / zeta(alpha, x_min)
        x = np.unique(np.geomspace(p.x_min, counts[0], 200).round())
        expected_rank = p.n_tail * zeta(p.alpha, x) / zeta(p.alpha, p.x_min)
        ax.loglog(expected_rank, x, color="0.4", linestyle=":",
                  label=rf"power law: $\alpha$ {p.alpha:.2f}, $x_{{min}}$ {p.x_min}")
    ax.set_title("Rank-frequency of posts per poster")
    ax.set_xlabel("Rank of poster (most posts = 1)")
    ax.set_ylabel("Posts")
    ax.legend(frameon=False, loc="upper right")
    _style(ax)
    return fig


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
    if summary.band_shares is None:
        return None
    names = ["superusers", "contributors", "lurkers"]
    labels = ["top 1%", "next 9%", "bottom 90%"]
    x = np.arange(3)
    fig, ax = _figure(footer)
    observed = [summary.band_shares[b] * 100 for b in names]
    published = [reference[b] * 100 for b in names]
    bars = ax.bar(x - 0.2, observed, 0.4, facecolor="0.25", edgecolor="0", label="this corpus")
    ref = ax.bar(x + 0.2, published, 0.4, facecolor="white", edgecolor="0", hatch="///",
                 label="van Mierlo 2014")
    for group in (bars, ref):
        ax.bar_label(group, fmt="%.1f", fontsize=5.5, padding=1)
    ax.set_xticks(x, labels)
    ax.set_title("Participation bands (members ranked by posts)")
    ax.set_xlabel("Band of members")
    ax.set_ylabel("Share of posts (%)")
    ax.set_ylim(0, 105)
    ax.legend(frameon=False)
    _style(ax)
    return fig


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
    table = profile.table
    grid = table.pivot(index="weekday", columns="hour", values="posts").reindex(
        index=range(7), columns=range(24), fill_value=0).to_numpy()
    fig, ax = _figure(footer, height=2.2)
    image = ax.imshow(grid, aspect="auto", cmap="Greys", interpolation="nearest")
    colorbar = fig.colorbar(image, ax=ax, pad=0.01, fraction=0.05)
    colorbar.set_label("Posts")
    colorbar.ax.tick_params(labelsize=5.5, width=0.5)
    ax.set_yticks(range(7), ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
    ax.set_xticks(range(0, 24, 3), [f"{h:02d}" for h in range(0, 24, 3)])
    ax.set_xlabel(f"Hour of day ({profile.timezone})")
    ax.set_ylabel("Weekday")
    ax.set_title("When members post")
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
    curve = result.curve
    curve = curve[curve["at_risk"] >= min_cell]
    if not len(curve):
        return None
    days = np.r_[0.0, curve["days"].to_numpy()]
    fig, ax = _figure(footer)
    ax.step(days, np.r_[1.0, curve["survival"].to_numpy()], where="post", color="0",
            label="Kaplan-Meier")
    ax.fill_between(days, np.r_[1.0, curve["ci_low"].to_numpy()], np.r_[1.0, curve["ci_high"].to_numpy()],
                    step="post", facecolor="0.85", edgecolor="none",
                    label=f"{result.confidence:.0%} interval (Greenwood)")
    if result.median_tenure_days is not None:
        ax.axhline(0.5, color="0.5", linestyle=":", linewidth=0.6)
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.set_title(f"Tenure of posters; withdrawal = no post for "
                 f"{result.withdrawal / pd.Timedelta(days=1):g} days")
    ax.set_xlabel("Days from first to last post")
    ax.set_ylabel("Share still active")
    ax.legend(frameon=False, loc="upper right")
    _style(ax)
    return fig


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
    frame = curve.frame[curve.frame["members"] >= min_cell]
    if not len(frame):
        return None
    fig, (top, bottom) = _figure(footer, height=4.0, rows=2)
    k = frame["periods_since_first_use"]
    top.plot(k, frame["mean_forms"], color="0", linestyle="-", marker="o", markersize=2.5,
             label="this corpus")
    top.plot(list(reference), list(reference.values()), linestyle="none", marker="*", markersize=7,
             markerfacecolor="white", markeredgecolor="0", label="Side by Side evaluation")
    top.set_ylim(0, max(3.0, float(frame["mean_forms"].max()) + 0.3))
    top.set_ylabel("Mean forms in use")
    top.set_title("Forms of peer support in use over tenure")
    top.legend(frameon=False, loc="upper right")
    for (style, marker, grey), form in zip(STYLES, forms):
        column = f"share_{form}"
        if column in frame and frame[column].fillna(0).any():
            bottom.plot(k, frame[column], color=grey, linestyle=style, marker=marker, markersize=2.5,
                        markerfacecolor="none", label=form.replace("_", " "))
    bottom.set_ylim(0, 1.05)
    bottom.set_ylabel("Share of members using")
    unit = {"M": "Months", "W": "Weeks", "Q": "Quarters"}.get(curve.parameters.get("freq"), "Periods")
    bottom.set_xlabel(f"{unit} since first use")
    bottom.legend(frameon=False, loc="upper right", ncols=2)
    for ax in (top, bottom):
        _style(ax)
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
    members = balance.members
    if not len(members):
        return None
    fig, ax = _figure(footer, height=3.0)
    markers = {"both": ("o", "0.1"), "giver": ("^", "0.45"), "receiver": ("s", "0.45"),
               "neither": ("x", "0.6")}
    for role, (marker, grey) in markers.items():
        part = members[members["role"] == role]
        if len(part):
            ax.scatter(part["received"], part["given"], s=8, marker=marker, clip_on=False, facecolors="none"
                       if marker != "x" else grey, edgecolors=grey if marker != "x" else None,
                       linewidths=0.5, label=role)
    top = max(float(members[["given", "received"]].to_numpy().max()), 1.0)
    ax.plot([0, top], [0, top], color="0", linestyle=":", linewidth=0.6, label="1:1")
    ax.set_xscale("symlog", linthresh=1)
    ax.set_yscale("symlog", linthresh=1)
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.set_title("Replies given and received per member")
    ax.set_xlabel("Replies received")
    ax.set_ylabel("Replies given")
    ax.legend(frameon=False, loc="upper left", markerscale=1.5)
    _style(ax)
    return fig


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
    levels = ladder.levels
    if not len(levels):
        return None
    counts = levels.groupby(["month", "ladder_level"]).size().unstack(fill_value=0)
    fig, ax = _figure(footer, height=3.3)
    for (style, marker, grey), level in zip(STYLES, range(1, len(ladder_names))):
        if level not in counts:
            continue
        series = counts[level].astype(float)
        series[series < min_cell] = np.nan
        if series.notna().any():
            ax.plot(series.index, series.to_numpy(), color=grey, linestyle=style, marker=marker,
                    markersize=2.5, markerfacecolor="none", label=f"{level} {ladder_names[level]}")
    ax.set_yscale("log")
    ax.set_title("Members by participation ladder level per month")
    ax.set_xlabel("Month")
    ax.set_ylabel("Members (log scale)")
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.28), ncols=3,
              title="Ladder level", title_fontsize=6)
    ax.tick_params(axis="x", labelrotation=30)
    _style(ax)
    return fig
