"""How result objects show themselves: short reprs, HTML tables and the drawings.

Every public result object of :mod:`peerscope.participation`,
:mod:`peerscope.reciprocity` and :mod:`peerscope.pluralism` mixes in
:class:`Display` and lists its headline numbers in ``_display_rows``; the
mixin turns them into a ``repr`` of at most :data:`MAX_LINES` lines (floats
to 3 significant digits, counts with thousands separators, intervals as
``[low, high]``, None as ``n/a``, tables as "DataFrame of N rows") and an
escaped HTML table for Jupyter.

The ``draw_*`` functions draw one picture onto a matplotlib Axes.  The
results' ``.plot`` methods and the report's figures
(:mod:`peerscope.report.figures`) both call them, so a figure in a report
and a plot in a notebook are the same drawing.  They only call methods of
the Axes they are given; matplotlib itself is imported by :func:`axes`, when
a plot is asked for without an Axes.

>>> print(fmt(0.123456), fmt(1234567), fmt(None), interval(0.1234, 0.56789))
0.123 1,234,567 n/a [0.123, 0.568]
"""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd

from peerscope.errors import PeerscopeError

__all__ = ["FILLS", "MAX_LINES", "STYLES", "Display", "MissingDependencyError", "axes", "draw_bands", "label_band_axes",
           "draw_form_shares", "draw_give_receive", "draw_grouped_bars", "draw_ladder_monthly", "draw_lorenz",
           "draw_mean_forms", "draw_rank_frequency", "draw_survival", "draw_time_heatmap", "fmt",
           "int_array", "interval", "span", "style_axes"]

#: Most lines of a result's ``repr``.
MAX_LINES = 15
#: Longest value shown on one line of a ``repr``.
_MAX_VALUE = 90
#: Line styles and markers that tell series apart without colour.
STYLES = (("-", "o", "0.0"), ("--", "s", "0.35"), (":", "^", "0.0"), ("-.", "D", "0.5"),
          ((0, (5, 1, 1, 1, 1, 1)), "v", "0.2"), ((0, (1, 3)), "x", "0.4"))
#: Bar fills (face grey, hatching) that tell groups apart without colour.
FILLS = (("0.25", None), ("white", "///"), ("0.65", None), ("white", "..."), ("0.45", "xx"),
         ("white", None), ("0.85", "\\\\\\"), ("0.05", None), ("white", "++"), ("0.5", "--"))


class MissingDependencyError(PeerscopeError):
    """An optional dependency (here matplotlib) is not installed.

    Examples
    --------
    Raised by :func:`peerscope.report.figures.require_matplotlib` (and every
    figure function or ``.plot`` method) when matplotlib is missing; a
    :class:`~peerscope.errors.PeerscopeError`:

    >>> issubclass(MissingDependencyError, PeerscopeError)
    True
    >>> str(MissingDependencyError("figures need matplotlib"))
    'figures need matplotlib'
    """


# ---------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------

def fmt(value) -> str:
    """One value as short text: 3 significant digits, thousands separators, ``n/a`` for None.

    >>> [fmt(v) for v in (None, float("nan"), True, 12345, 0.5, 2 / 3, 12345.678, 0.00001234)]
    ['n/a', 'n/a', 'True', '12,345', '0.5', '0.667', '12,346', '1.23e-05']
    >>> fmt(pd.DataFrame({"a": [1, 2]})), fmt(pd.Timestamp("2024-01-05", tz="UTC"))
    ('DataFrame of 2 rows', '2024-01-05')
    """
    if value is None or value is pd.NaT:
        return "n/a"
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return _float(float(value))
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d" if value == value.normalize() else "%Y-%m-%d %H:%M")
    if isinstance(value, pd.Timedelta):
        return f"{fmt(value / pd.Timedelta(days=1))} days"
    if isinstance(value, pd.DataFrame):
        return f"DataFrame of {len(value):,} rows"
    if isinstance(value, dict):
        return ", ".join(f"{key}: {fmt(item)}" for key, item in value.items()) or "none"
    if isinstance(value, (tuple, list)):
        return ", ".join(fmt(item) for item in value) or "none"
    return str(value)


def _float(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if math.isinf(value) or value == 0:
        return f"{value:g}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) < 1e-3:
        return f"{value:.2e}"
    return f"{value:.3g}"


def interval(low, high) -> str:
    """An interval as ``[low, high]``; ``n/a`` when either end is None.

    >>> interval(0.1, None), interval(1, 2.5)
    ('n/a', '[1, 2.5]')
    """
    if low is None or high is None:
        return "n/a"
    return f"[{fmt(low)}, {fmt(high)}]"


def span(start, end) -> str:
    """A time window as ``[start, end)``, open ends as ``n/a``.

    >>> span(pd.Timestamp("2024-01-01"), None)
    '[2024-01-01, n/a)'
    """
    return f"[{fmt(start)}, {fmt(end)})"


def int_array(values) -> pd.arrays.IntegerArray:
    """Counts as a nullable ``Int64`` array (None and NaN become ``<NA>``).

    >>> int_array([3, None, float("nan"), 2.0]).tolist()
    [3, <NA>, <NA>, 2]
    """
    return pd.array([None if value is None or pd.isna(value) else int(value) for value in values],
                    dtype="Int64")


class Display:
    """Mixin: ``__repr__`` and ``_repr_html_`` from the rows of ``_display_rows``.

    A result class lists ``(label, value)`` pairs, most important first;
    values are formatted with :func:`fmt` (text is shown as given).  The
    ``repr`` is the class name and one line per row, cut to
    :data:`MAX_LINES` lines; the HTML table shows every row, escaped.
    Dataclasses mixing it in are declared with ``repr=False``.
    """

    __slots__ = ()

    def _display_rows(self) -> list[tuple[str, object]]:
        raise NotImplementedError

    def _display_text(self) -> list[tuple[str, str]]:
        rows = []
        for label, value in self._display_rows():
            text = " ".join(fmt(value).split())
            rows.append((label, text if len(text) <= _MAX_VALUE else text[:_MAX_VALUE - 3] + "..."))
        return rows

    def __repr__(self) -> str:
        rows = self._display_text()
        width = max((len(label) for label, _ in rows), default=0)
        lines = [f"{type(self).__name__}"] + [f"  {label:<{width}}  {text}" for label, text in rows]
        if len(lines) > MAX_LINES:
            hidden = len(lines) - MAX_LINES + 1
            lines = lines[:MAX_LINES - 1] + [f"  ... {hidden} more: see to_frame()"]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        body = "".join(f"<tr><th style=\"text-align:left\">{html.escape(label)}</th>"
                       f"<td style=\"text-align:left\">{html.escape(text)}</td></tr>"
                       for label, text in self._display_text())
        return (f"<table class=\"peerscope-result\"><caption>{html.escape(type(self).__name__)}"
                f"</caption><tbody>{body}</tbody></table>")


# ---------------------------------------------------------------------------
# Drawing
# ---------------------------------------------------------------------------

def axes(ax=None):
    """``ax``, or the Axes of a new pyplot figure (the backend is left as it is).

    Raises
    ------
    MissingDependencyError
        When matplotlib is not installed.
    """
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise MissingDependencyError("plots need matplotlib: pip install 'peerscope[report]'") from None
    return plt.figure().add_subplot()


def style_axes(ax) -> None:
    """Hide the top and right spines; thin ticks."""
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(width=0.6, length=2.5)


def draw_lorenz(ax, summary, *, bands: bool = False, **kw) -> bool:
    """Lorenz curve of a ParticipationSummary, the line of equality and the Gini coefficient.

    With ``bands``, dotted lines mark the 90-9-1 bands (bottom 90%, next
    9%, top 1% of people).  ``kw`` go to the observed curve's ``ax.plot``.
    Returns False when there is no curve to draw.
    """
    curve = summary.lorenz
    if not len(curve):
        return False
    gini = summary.gini_members if summary.lorenz_basis == "members" else summary.gini_posters
    ax.plot([0, 1], [0, 1], color="0.5", linestyle=":", label="equality")
    ax.plot(curve["share_of_people"], curve["share_of_posts"],
            **{"color": "0", "linestyle": "-", "label": f"observed ({summary.lorenz_basis})", **kw})
    ax.fill_between(curve["share_of_people"], curve["share_of_posts"], curve["share_of_people"],
                    facecolor="none", edgecolor="0.6", hatch="////", linewidth=0)
    if bands:
        for x, name in ((0.90, "90%"), (0.99, "99%")):
            ax.axvline(x, color="0.4", linestyle="--", linewidth=0.6)
            ax.text(x, 0.02, f" {name}", rotation=90, va="bottom", ha="right", fontsize="small")
    text = (f"Gini = {fmt(gini.value)}" if gini.value is not None else "Gini: n/a")
    if gini.ci_low is not None:
        text += f"\n{gini.confidence:.0%} CI {interval(gini.ci_low, gini.ci_high)}"
    ax.text(0.97, 0.5, text, transform=ax.transAxes, ha="right", va="center",
            bbox={"facecolor": "white", "edgecolor": "0.5", "linewidth": 0.5})
    ax.set_title(f"Lorenz curve of posts per {summary.lorenz_basis[:-1]}")
    ax.set_xlabel(f"Cumulative share of {summary.lorenz_basis} (fewest posts first)")
    ax.set_ylabel("Cumulative share of posts")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(frameon=False, loc="upper left")
    style_axes(ax)
    return True


def draw_rank_frequency(ax, poster_counts, zipf, power_law, **kw) -> bool:
    """Posts per poster against rank (log-log) with the Zipf and power-law fits.

    ``kw`` go to the points' ``ax.loglog``.  Returns False without posters.
    """
    from scipy.special import zeta

    counts = -np.sort(-np.asarray(poster_counts, dtype=float))
    if not len(counts):
        return False
    ranks = np.arange(1, len(counts) + 1)
    ax.loglog(ranks, counts, **{"linestyle": "none", "marker": "o", "markersize": 2,
                                "markerfacecolor": "none", "markeredgecolor": "0.2",
                                "markeredgewidth": 0.5, "label": "posters", **kw})
    if zipf.slope is not None:
        ax.loglog(ranks, 10 ** (zipf.intercept + zipf.slope * np.log10(ranks)), color="0", linestyle="--",
                  label=f"Zipf OLS: slope {zipf.slope:.2f}, R$^2$ {fmt(zipf.r_squared)}")
    p = power_law
    if p.alpha is not None and p.n_tail:
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
    style_axes(ax)
    return True


def draw_bands(ax, summary, reference: dict | None = None, **kw) -> bool:
    """Share of posts by the 1% / 9% / 90% bands, beside published shares when ``reference`` is given.

    ``kw`` go to the observed bars' ``ax.bar``.  Returns False when the
    bands are undefined.
    """
    if summary.band_shares is None:
        return False
    names = ["superusers", "contributors", "lurkers"]
    x = np.arange(3)
    width = 0.4 if reference else 0.6
    observed = [summary.band_shares[b] * 100 for b in names]
    groups = [ax.bar(x - (0.2 if reference else 0), observed, width,
                     **{"facecolor": "0.25", "edgecolor": "0", "label": "this corpus", **kw})]
    if reference:
        groups.append(ax.bar(x + 0.2, [reference[b] * 100 for b in names], width, facecolor="white",
                             edgecolor="0", hatch="///", label="van Mierlo 2014"))
    for group in groups:
        ax.bar_label(group, fmt="%.1f", fontsize=5.5, padding=1)
    label_band_axes(ax)
    return True


def label_band_axes(ax) -> None:
    """Ticks, title, labels and legend of a 90-9-1 bands bar chart (one corpus or several)."""
    ax.set_xticks(np.arange(3), ["top 1%", "next 9%", "bottom 90%"])
    ax.set_title("Participation bands (members ranked by posts)")
    ax.set_xlabel("Band of members")
    ax.set_ylabel("Share of posts (%)")
    ax.set_ylim(0, 105)
    ax.legend(frameon=False)
    style_axes(ax)


def draw_time_heatmap(ax, profile, **kw) -> bool:
    """Posts by hour of day and weekday of a TimeProfile as a grey heatmap with a colour bar."""
    grid = profile.table.pivot(index="weekday", columns="hour", values="posts").reindex(
        index=range(7), columns=range(24), fill_value=0).to_numpy()
    image = ax.imshow(grid, **{"aspect": "auto", "cmap": "Greys", "interpolation": "nearest", **kw})
    colorbar = ax.figure.colorbar(image, ax=ax, pad=0.01, fraction=0.05)
    colorbar.set_label("Posts")
    colorbar.ax.tick_params(labelsize=5.5, width=0.5)
    ax.set_yticks(range(7), ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
    ax.set_xticks(range(0, 24, 3), [f"{h:02d}" for h in range(0, 24, 3)])
    ax.set_xlabel(f"Hour of day ({profile.timezone})")
    ax.set_ylabel("Weekday")
    ax.set_title("When members post")
    return True


def draw_survival(ax, result, min_cell: int = 0, **kw) -> bool:
    """Kaplan-Meier curve of a Survival with its interval; points with fewer at risk than ``min_cell`` left out."""
    curve = result.curve[result.curve["at_risk"] >= min_cell]
    if not len(curve):
        return False
    days = np.r_[0.0, curve["days"].to_numpy()]
    ax.step(days, np.r_[1.0, curve["survival"].to_numpy()],
            **{"where": "post", "color": "0", "label": "Kaplan-Meier", **kw})
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
    style_axes(ax)
    return True


def _tenure_rows(curve, min_cell: int) -> pd.DataFrame:
    return curve.frame[curve.frame["members"] >= min_cell]


def draw_mean_forms(ax, curve, reference: dict | None = None, min_cell: int = 0, **kw) -> bool:
    """Mean forms in use by periods since first use of a TenureCurve, beside published means."""
    frame = _tenure_rows(curve, min_cell)
    if not len(frame):
        return False
    ax.plot(frame["periods_since_first_use"], frame["mean_forms"],
            **{"color": "0", "linestyle": "-", "marker": "o", "markersize": 2.5, "label": "this corpus", **kw})
    if reference:
        ax.plot(list(reference), list(reference.values()), linestyle="none", marker="*", markersize=7,
                markerfacecolor="white", markeredgecolor="0", label="Side by Side evaluation")
    ax.set_ylim(0, max(3.0, float(frame["mean_forms"].max()) + 0.3))
    ax.set_ylabel("Mean forms in use")
    ax.set_xlabel(f"{_period_unit(curve)} since first use")
    ax.set_title("Forms of peer support in use over tenure")
    ax.legend(frameon=False, loc="upper right")
    style_axes(ax)
    return True


def draw_form_shares(ax, curve, forms, min_cell: int = 0) -> bool:
    """Share of members using each of ``forms`` by periods since first use of a TenureCurve."""
    frame = _tenure_rows(curve, min_cell)
    if not len(frame):
        return False
    for (style, marker, grey), form in zip(STYLES, forms):
        column = f"share_{form}"
        if column in frame and frame[column].fillna(0).any():
            ax.plot(frame["periods_since_first_use"], frame[column], color=grey, linestyle=style,
                    marker=marker, markersize=2.5, markerfacecolor="none", label=form.replace("_", " "))
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("Share of members using")
    ax.set_xlabel(f"{_period_unit(curve)} since first use")
    ax.legend(frameon=False, loc="upper right", ncols=2)
    style_axes(ax)
    return True


def _period_unit(curve) -> str:
    return {"M": "Months", "W": "Weeks", "Q": "Quarters"}.get(curve.parameters.get("freq"), "Periods")


def draw_give_receive(ax, balance, **kw) -> bool:
    """Replies given against received per member of a Balance (symmetric log axes), marker by role."""
    members = balance.members
    if not len(members):
        return False
    markers = {"both": ("o", "0.1"), "giver": ("^", "0.45"), "receiver": ("s", "0.45"),
               "neither": ("x", "0.6")}
    for role, (marker, grey) in markers.items():
        part = members[members["role"] == role]
        if len(part):
            hollow = marker != "x"
            ax.scatter(part["received"], part["given"], **{
                "s": 8, "marker": marker, "clip_on": False, "facecolors": "none" if hollow else grey,
                "edgecolors": grey if hollow else None, "linewidths": 0.5, "label": role, **kw})
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
    style_axes(ax)
    return True


def draw_ladder_monthly(ax, ladder, ladder_names, min_cell: int = 0) -> bool:
    """Members at each ladder level per month of a LadderMoves (log scale); counts below ``min_cell`` left out."""
    counts = ladder.level_counts()   # from the result's arrays: no frame of its 19.5M rows at 10M posts
    if not len(counts):
        return False
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
    style_axes(ax)
    return True


def draw_grouped_bars(ax, frame: pd.DataFrame, *, category: str, group: str, value: str,
                      low: str | None = "ci_low", high: str | None = "ci_high", groups=None, categories=None,
                      category_labels: dict | None = None, **kw) -> bool:
    """Bars of ``value`` per ``category``, one bar per ``group`` side by side, with interval whiskers.

    The drawing of every "shares by group" picture (support shares by a
    member attribute, topic prevalence by a member attribute): each group
    is one ``ax.bar`` call (one ``BarContainer``, named in the legend), its
    fill from :data:`FILLS` (repeating after ten groups), its whiskers from
    the ``low``/``high`` columns (none where NaN, nor when ``low`` is
    None); a missing value (NaN: not measured, or suppressed as a small
    cell) gets no bar rather than a bar of 0; the legend sits right of the
    Axes.  ``groups`` and
    ``categories`` fix the order (default: order of first appearance);
    ``category_labels`` maps categories to tick labels.  ``kw`` go to each
    ``ax.bar``.  Titles and axis labels are the caller's.  Returns False
    when ``frame`` has no rows.
    """
    if not len(frame):
        return False
    groups = list(dict.fromkeys(frame[group])) if groups is None else list(groups)
    categories = list(dict.fromkeys(frame[category])) if categories is None else list(categories)
    x = np.arange(len(categories), dtype=float)
    width = 0.8 / max(len(groups), 1)
    for i, name in enumerate(groups):
        fill, hatch = FILLS[i % len(FILLS)]
        rows = frame[frame[group] == name].drop_duplicates(category).set_index(category).reindex(categories)
        heights = rows[value].to_numpy(dtype=float)
        shown = np.isfinite(heights)
        options = {"color": fill, "edgecolor": "0", "linewidth": 0.4, "hatch": hatch, "label": str(name)}
        if low is not None and high is not None:
            lows, highs = rows[low].to_numpy(dtype=float), rows[high].to_numpy(dtype=float)
            errors = np.vstack([heights - lows, highs - heights])[:, shown]
            errors = np.where(np.isfinite(errors), np.clip(errors, 0, None), 0.0)
            options.update(yerr=errors, error_kw={"elinewidth": 0.6, "capsize": 1.5, "ecolor": "0"})
        ax.bar((x + (i - (len(groups) - 1) / 2) * width)[shown], heights[shown], width, **{**options, **kw})
    labels = category_labels or {}
    ax.set_xticks(x, [str(labels.get(c, c)) for c in categories])
    if len(categories) > 4:
        ax.tick_params(axis="x", labelrotation=30)
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")
    # beside the bars, which fill the Axes with many groups
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    style_axes(ax)
    return True
