"""Many communities side by side: one table per section, one column per community.

Papers in this field compare communities: van Mierlo (2014) set the 90-9-1
bands of four digital health networks side by side, Joglekar et al. (2018)
two long-term-condition forums, Carron-Arthur et al. (2016) super-users
against everyone else.  :func:`compare` builds a report of each community
with :func:`peerscope.report.build.build` and lays the numbers of the
published tables (small cells already suppressed) side by side, so that
every number in a column equals the one in that community's own report.

Where a standard test or interval for a difference exists, each community is
compared with the first one (the reference column):

- shares of people or of independent units (lurker share of members,
  one-time posters' share of posters, answered share of opening posts): the
  Newcombe (1998) hybrid score interval of the difference of two
  proportions (from Wilson intervals) and the two-proportion z-test (Pearson
  chi-square on the 2 x 2 table without continuity correction, which equals
  z squared), or Fisher's exact test when an expected cell is below 5;
- dyadic reciprocity: a Wald interval and z-test of the difference, each
  community's standard error from the jackknife over the people of its
  reply graph (Snijders & Borgatti 1999: edges that share a person are not
  independent, so a binomial test over edges or pairs would be too liberal);
- Gini coefficients and the super-users' share of posts: a percentile
  bootstrap interval of the difference, people resampled independently in
  each community (Efron & Tibshirani 1993), and the bootstrap p-value (the
  smallest two-sided level whose percentile interval excludes 0);
- shares of support types: the same bootstrap, resampling authors (each
  author's posts together), as the report's own intervals do.

What a community cannot measure is marked in its column only ("not
measurable: no member roster, ..."), with the reason its report gives; no
cell is left blank or filled with a made-up number.

:func:`compare_windows` and :func:`compare_channels` treat time windows and
channels of one corpus as communities (before/after designs).

References
----------
van Mierlo, T. (2014). The 1% rule in four digital health social networks: an
observational study. *J Med Internet Res* 16(2):e33.
Newcombe, R. G. (1998). Interval estimation for the difference between
independent proportions: comparison of eleven methods. *Statistics in
Medicine* 17(8):873-890.
Efron, B., Tibshirani, R. (1993). *An Introduction to the Bootstrap*.
Snijders, T. A. B., Borgatti, S. P. (1999). Non-parametric standard errors and
tests for network statistics. *Connections* 22(2):161-170.
Joglekar, S., et al. (2018). How online communities of people with long-term
conditions function and evolve. *Proc. ICWSM*.
Carron-Arthur, B., Reynolds, J., Bennett, K., Bennett, A., Griffiths, K. M.
(2016). What's all the talk about? Topic modelling in a mental health
Internet support group. *BMC Psychiatry* 16:367.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from peerscope import __version__
from peerscope._kernels.display import (FILLS, STYLES, draw_grouped_bars, draw_rank_frequency, label_band_axes,
                                        style_axes)
from peerscope.errors import PeerscopeError
from peerscope.participation.inequality import grouped_gini
from peerscope.report.build import Report, build, parse_super_users
from peerscope.report.content import share_draws
from peerscope.report.render import TABLE_FORMATS
from peerscope.report.render import write as _write
from peerscope.report.tables import VAN_MIERLO_BANDS

__all__ = ["Comparison", "ComparisonError", "compare", "compare_channels", "compare_windows"]

#: Coverage of every interval of a difference.
CONFIDENCE = 0.95

#: Tests named in the tables' ``test`` column and in the methods paragraph.
_TESTS = {
    "proportions": "Newcombe interval; z-test",
    "pairs": "node jackknife; z-test",
    "people": "bootstrap (people)",
    "authors": "bootstrap (authors)",
}
#: What each test in the ``test`` column is, for the tables' notes.
_TEST_NOTES = {
    "proportions": "Newcombe interval; z-test: Newcombe (1998) hybrid score interval of the difference of two "
                   "proportions and the two-proportion z-test (Fisher's exact test when an expected cell is "
                   "below 5).",
    "pairs": "node jackknife; z-test: standard errors of each community's reciprocity from leaving out one "
             "person at a time (Snijders & Borgatti 1999), a Wald interval of the difference and its z-test.",
    "people": "bootstrap (people): percentile bootstrap interval of the difference, people resampled in "
              "each community, and the bootstrap p-value.",
    "authors": "bootstrap (authors): percentile bootstrap interval of the difference, authors resampled "
               "with all their posts, and the bootstrap p-value.",
}

#: Why a value a report leaves empty is empty, when its table gives no reason: row -> capability.
_CAPABILITY = {"members": "lurkers", "lurkers": "lurkers", "lurker_share": "lurkers",
               "gini_members": "lurkers", "superusers": "lurkers", "contributors": "lurkers",
               "delurked_share": "lurkers", "median_days_to_first_post": "lurkers"}
_FALLBACK = {"delurked_share": "no join dates and no view, read or delivery events",
             "median_days_to_first_post": "no join dates and no view, read or delivery events"}
#: Section of a report -> the capability that decides whether it exists.
_SECTION_CAPABILITY = {"reciprocity": "reciprocity", "responsiveness": "responsiveness",
                       "support_types": "topics and support types", "topics": "topics and support types"}
_SECTION_NOTE = {"reciprocity": "reciprocity", "responsiveness": "responsiveness",
                 "support_types": "support types", "topics": "topics"}

#: Comparison table -> (title, source table in each report, rows, value column).
_LAYOUT = {
    "overview": ("Corpus overview", "overview",
                 ["rows_posts", "opening_posts", "replies", "posters", "members", "first_post",
                  "last_post", "span_days", "reply_structure", "time_resolution"], "value"),
    "participation": ("Participation", "participation",
                      ["members", "posters", "lurkers", "lurker_share", "one_time_posters",
                       "one_time_poster_share", "gini_members", "gini_posters", "top_0.01_share",
                       "super_users", "super_user_share"], "value"),
    "bands": ("Participation bands (90-9-1) beside van Mierlo 2014", "bands",
              ["superusers", "contributors", "lurkers"], "share_of_posts"),
    "reciprocity": ("Reciprocity", "reciprocity",
                    ["edges", "reciprocated_edges", "dyadic_reciprocity", "role_both", "balanced_share",
                     "paid_forward_share"], "value"),
    "responsiveness": ("Responsiveness to opening posts", "responsiveness",
                       ["opening_posts", "answered", "answered_share", "hours_to_first_response_q50",
                        "return_share"], "value"),
    "engagement": ("Engagement: de-lurking and tenure", "engagement",
                   ["delurk_members", "delurked_share", "median_days_to_first_post", "tenure_posters",
                    "withdrawn", "median_tenure_days"], "value"),
}
_LABELS = {"span_days": "Days from first to last post"}
#: Rows with a Wilson interval (a share of independent units): row -> (count row, total row).
_WILSON = {"lurker_share": ("lurkers", "members"), "one_time_poster_share": ("one_time_posters", "posters"),
           "answered_share": ("answered", "opening_posts")}


class ComparisonError(PeerscopeError):
    """Communities cannot be compared with the options given (names, windows, channels)."""


@dataclass(eq=False)
class Comparison:
    """Communities side by side: the tables, figures and methods of :func:`compare`.

    Laid out like a :class:`~peerscope.report.build.Report` (same table
    names and sections), so that :meth:`write` gives the same CSV, Markdown,
    LaTeX and HTML files.

    Attributes
    ----------
    names : list of str
        The communities, in column order; the first is the reference of
        every difference.
    reports : list of Report
        Each community's own report.
    tables : dict of str -> DataFrame
        One column per community (``<name>``, and ``<name> ci_low`` /
        ``<name> ci_high`` where intervals exist), then per other community
        the difference from the first (``<name> - <first>``, its interval and
        ``p``) and the ``test`` used.
    differences : DataFrame
        The same differences in long form (``table, measure, community,
        reference, difference, ci_low, ci_high, p_value, test``).
    figures, titles, notes, not_computed, suppression, parameters, methods
        As in :class:`~peerscope.report.build.Report`; ``suppression`` has
        a ``community`` column.

    Examples
    --------
    >>> from peerscope.datasets import synth
    >>> a, _ = synth.generate(1500, seed=1, lurker_share=0.6, with_text=False)
    >>> b, _ = synth.generate(1500, seed=2, lurker_share=0.3, with_text=False)
    >>> both = compare([a, b], names=["A", "B"], topics=None, support=None, replicates=100,
    ...                figures=False)
    >>> [round(v, 2) for v in both.tables["participation"].loc["lurker_share", ["A", "B"]]]
    [0.6, 0.3]
    >>> round(both.tables["participation"].loc["lurker_share", "B - A"], 2)
    -0.3
    >>> bool(both.tables["participation"].loc["lurker_share", "B - A p"] < 0.001)
    True
    >>> both.tables["participation"].loc["lurker_share", "test"]
    'Newcombe interval; z-test'
    """

    names: list
    reports: list
    tables: dict
    differences: pd.DataFrame
    figures: dict
    titles: dict
    notes: dict
    not_computed: list
    suppression: pd.DataFrame
    parameters: dict
    methods: str = field(repr=False, default="")

    def summary_line(self, where: str | None = None) -> str:
        """One line: where the comparison is and each community's lurker share and Gini."""
        table = self.tables["participation"]
        parts = []
        for name in self.names:
            lurkers = table.at["lurker_share", name]
            gini = table.at["gini_posters", name]
            parts.append(f"{name}: lurkers {_short(lurkers, True)}, Gini (posters) {_short(gini, False)}")
        prefix = f"comparison written to {where}" if where else "comparison"
        return f"{prefix}: " + "; ".join(parts)

    def write(self, out, formats=TABLE_FORMATS, figure_formats=("png",)) -> Path:
        """Write the comparison to folder ``out`` as :func:`peerscope.report.render.write` writes a report.

        Parameters
        ----------
        out : path-like
        formats : sequence of str
            Table formats: any of ``md``, ``csv``, ``tex``.
        figure_formats : sequence of str
            Figure formats: any of ``png``, ``svg``.

        Returns
        -------
        pathlib.Path
            ``out/report.html``.
        """
        return _write(self, out, formats=formats, figure_formats=figure_formats)


def _short(value, share: bool) -> str:
    if isinstance(value, str):
        return value.split(":")[0]
    return f"{value:.1%}" if share else f"{value:.3f}"


# ---------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------

def compare(corpora, names=None, *, figures: bool = True, **build_options) -> Comparison:
    """Build each corpus's report and lay them side by side, with tests of the differences.

    Parameters
    ----------
    corpora : sequence of peerscope.Corpus
        Two or more communities (one is allowed: a table of one column).
    names : sequence of str, optional
        Column names (default: each corpus's name, numbered when repeated).
    figures : bool
        Draw figures that overlay the communities (needs matplotlib).
    **build_options
        Passed to :func:`peerscope.report.build.build` for every corpus
        (``start``, ``end``, ``super_users``, ``min_cell``, ``replicates``,
        ``random_state``, ``topics``, ``support``, ...); each report is
        built without its own figures.

    Returns
    -------
    Comparison

    Raises
    ------
    ComparisonError
        Without corpora, with names that do not match them or repeat.
    peerscope.errors.PeerscopeError
        When a report cannot be built (its message says which corpus).
    """
    corpora = list(corpora)
    if not corpora:
        raise ComparisonError("nothing to compare: give at least one corpus")
    names = _names(names, [getattr(c, "name", "corpus") for c in corpora])
    return _compare([(name, corpus, {}) for name, corpus in zip(names, corpora)], figures, build_options)


def compare_windows(corpus, boundaries, names=None, *, figures: bool = True, **build_options) -> Comparison:
    """One corpus in consecutive time windows ``[b0, b1), [b1, b2), ...`` as communities.

    Parameters
    ----------
    corpus : peerscope.Corpus
    boundaries : sequence of time-like
        At least two increasing times (naive times are UTC); n + 1
        boundaries make n windows.  Years ``2019, 2020, 2021`` (as ints or
        4-digit strings) mean the calendar years 2019, 2020 and 2021.
    names : sequence of str, optional
        Column names (default: the year for calendar years, else
        ``start to end``).
    figures : bool
    **build_options
        As for :func:`compare` (not ``start`` or ``end``).

    Returns
    -------
    Comparison

    Raises
    ------
    ComparisonError
        For fewer than two boundaries, times that do not parse or do not increase.

    Examples
    --------
    >>> compare_windows(None, ["2020-01-01"])
    Traceback (most recent call last):
    ...
    peerscope.report.compare.ComparisonError: windows need at least two boundaries, got 1
    """
    if "start" in build_options or "end" in build_options:
        raise ComparisonError("compare_windows sets start and end itself: give boundaries instead")
    edges, default_names = _windows(boundaries)
    names = _names(names, default_names)
    runs = [(name, corpus, {"start": start, "end": end})
            for name, (start, end) in zip(names, zip(edges[:-1], edges[1:]))]
    comparison = _compare(runs, figures, build_options)
    comparison.parameters["windows"] = [[str(s), str(e)] for s, e in zip(edges[:-1], edges[1:])]
    return comparison


def compare_channels(corpus, *, channels=None, figures: bool = True, **build_options) -> Comparison:
    """One community per channel of the posts (the ``channel`` column) as communities.

    Each channel becomes an in-memory corpus
    (:meth:`peerscope.Corpus.from_frames`) holding that channel's posts and
    events, and the whole members table (so a channel's lurkers are the
    members who did not post in it).  A reply whose parent lies in another
    channel is kept with a null parent (noted in the sub-corpus's
    accounting).  Memory: every channel's posts are read into pandas at
    once, so the cost is about that of the whole posts table plus one copy
    while each sub-corpus is validated.  The text columns are read only when
    topics or support types are asked for (``topics=None, support=None``
    keeps them out of memory; the sub-corpora then have no text).

    Parameters
    ----------
    corpus : peerscope.Corpus
    channels : sequence of str, optional
        The channels, in column order (default: every channel, most posts first).
    figures : bool
    **build_options
        As for :func:`compare`.

    Returns
    -------
    Comparison

    Raises
    ------
    ComparisonError
        When the posts have no channel column or a channel has no posts.
    """
    from peerscope import Corpus

    wants_text = (build_options.get("topics", "auto") is not None
                  or build_options.get("support", "forum") is not None)
    posts = _frame(corpus.posts(columns="all" if wants_text else None))
    if "text" not in posts.columns:  # not read when neither topics nor support types are asked for
        posts["text"] = pd.Series(pd.NA, index=posts.index, dtype="string")
    if "channel" not in posts.columns or not posts["channel"].notna().any():
        raise ComparisonError(f"corpus {corpus.name!r}: the posts have no channel column (or it is empty): "
                              "nothing to split by channel")
    counts = posts["channel"].value_counts()
    chosen = list(counts.index) if channels is None else [str(c) for c in channels]
    missing = [c for c in chosen if c not in counts.index]
    if missing:
        raise ComparisonError(f"channel(s) {missing} have no posts; channels: {list(counts.index)}")
    members = _frame(corpus.members(columns="all")) if corpus.has_table("members") else None
    events = _frame(corpus.events(columns="all")) if corpus.has_table("events") else None
    runs = []
    for channel in chosen:
        subset = posts[posts["channel"] == channel].copy()
        outside = subset["parent_id"].notna() & ~subset["parent_id"].isin(subset["post_id"])
        subset.loc[outside, "parent_id"] = None
        notes = {"posts": {"parent in another channel: kept with a null parent": int(outside.sum())}} \
            if outside.any() else None
        channel_events = None
        if events is not None and "channel" in events.columns:
            channel_events = events[events["channel"] == channel]
        sub = Corpus.from_frames(subset, members, events=channel_events, name=f"{corpus.name}: {channel}",
                                 roster=corpus.has_roster if members is not None else None,
                                 kept_notes=notes)
        runs.append((str(channel), sub, {}))
    _names([r[0] for r in runs], [])
    comparison = _compare(runs, figures, build_options)
    comparison.parameters["channels"] = chosen
    return comparison


def _frame(table):
    return table.compute() if hasattr(table, "compute") else table


def _names(names, defaults) -> list[str]:
    """Column names: given, or the defaults made unique; checked for clashes."""
    if names is None:
        seen: dict = {}
        names = []
        for default in defaults:
            seen[default] = seen.get(default, 0) + 1
            names.append(default if seen[default] == 1 else f"{default} ({seen[default]})")
    names = [str(n).strip() for n in names]
    if defaults and len(names) != len(defaults):
        raise ComparisonError(f"{len(names)} name(s) for {len(defaults)} communities: give one name each")
    if any(not n for n in names):
        raise ComparisonError("a community name is empty")
    if len(set(names)) != len(names):
        raise ComparisonError(f"community names repeat: {names}")
    reserved = [n for n in names if n in ("label", "test", "van_mierlo_2014") or " - " in n
                or n.endswith((" ci_low", " ci_high"))]
    if reserved:
        raise ComparisonError(f"community name(s) {reserved} clash with the table's own columns")
    return names


def _windows(boundaries) -> tuple[list[pd.Timestamp], list[str]]:
    """Window edges (UTC) and default names from boundaries or calendar years."""
    values = list(boundaries)
    years = all(isinstance(v, (int, np.integer)) or (isinstance(v, str) and v.strip().isdigit()
                                                    and len(v.strip()) == 4) for v in values)
    if years and values:
        numbers = [int(v) for v in values]
        if sorted(set(numbers)) != numbers:
            raise ComparisonError(f"years {numbers} must increase")
        edges = [pd.Timestamp(f"{y}-01-01", tz="UTC") for y in numbers] + [
            pd.Timestamp(f"{numbers[-1] + 1}-01-01", tz="UTC")]
        # years that are not consecutive are windows of one year each, not spans between them
        windows = [(pd.Timestamp(f"{y}-01-01", tz="UTC"), pd.Timestamp(f"{y + 1}-01-01", tz="UTC"))
                   for y in numbers]
        if all(a[1] == b[0] for a, b in zip(windows[:-1], windows[1:])):
            return edges, [str(y) for y in numbers]
        raise ComparisonError(f"years {numbers} must be consecutive (give boundaries for other windows)")
    if len(values) < 2:
        raise ComparisonError(f"windows need at least two boundaries, got {len(values)}")
    try:
        edges = [pd.Timestamp(v) for v in values]
    except (ValueError, TypeError) as exc:
        raise ComparisonError(f"window boundaries {values}: {exc}") from None
    edges = [e.tz_localize("UTC") if e.tzinfo is None else e.tz_convert("UTC") for e in edges]
    if any(b <= a for a, b in zip(edges[:-1], edges[1:])):
        raise ComparisonError(f"window boundaries must increase: {[str(e) for e in edges]}")
    names = [f"{a:%Y-%m-%d} to {b:%Y-%m-%d}" for a, b in zip(edges[:-1], edges[1:])]
    return edges, names


# ---------------------------------------------------------------------------
# Assembly
# ---------------------------------------------------------------------------

def _compare(runs, figures: bool, options: dict) -> Comparison:
    options = dict(options)
    options.pop("figures", None)
    options.pop("progress", None)
    reports = []
    for name, corpus, window in runs:
        try:
            reports.append(build(corpus, figures=False, **options, **window))
        except PeerscopeError as error:
            raise ComparisonError(f"community {name!r}: {error}") from error
    names = [r[0] for r in runs]
    rule = parse_super_users(options.get("super_users", "top:0.01"))
    replicates = int(options.get("replicates", 1000))
    seed = options.get("random_state", 0)
    min_cell = int(options.get("min_cell", 5))

    tables, titles, notes, logs = {}, {}, {}, []
    not_computed: list = []
    for key, (title, source, row_keys, column) in _LAYOUT.items():
        frame, extra = _side_by_side(reports, names, source, row_keys, column, not_computed)
        if key == "bands":
            frame["van_mierlo_2014"] = pd.Series([VAN_MIERLO_BANDS[r] for r in frame.index],
                                                 index=frame.index, dtype=object)
        tables[key], titles[key] = frame, title
        notes[key] = extra
    _wilson_intervals(tables, reports, names)
    differences = _differences(reports, names, rule, replicates, seed, logs)
    support_frame, support_notes = _support_table(reports, names, not_computed)
    if support_frame is not None:
        tables["support_types"], titles["support_types"] = support_frame, "Support types in posts (all posts)"
        notes["support_types"] = support_notes
        differences += _support_differences(reports, names, replicates, seed, logs)
    topics_frame = _topics_table(reports, names, not_computed)
    if topics_frame is not None:
        tables["topics"], titles["topics"] = topics_frame, "Topics of each community"
        notes["topics"] = ["Each community has its own topic model: topics are not matched across "
                           "communities and no difference is tested. npmi: mean NPMI coherence; "
                           "baseline: the same method on words shuffled across posts."]
    long = pd.DataFrame(differences, columns=["table", "measure", "community", "reference", "difference",
                                              "ci_low", "ci_high", "p_value", "test"])
    for key in tables:
        _attach_differences(tables, notes, key, long, names)
    structures = {n: r.results["description"].reply_structure for n, r in zip(names, reports)}
    if len(set(structures.values())) > 1 and "reciprocity" in tables:
        notes["reciprocity"].append(
            "Reply structures differ (" + ", ".join(f"{n}: {s}" for n, s in structures.items()) + "): in flat "
            "threads every reply is attached to the opening post, so reciprocity and its difference compare "
            "different things across them.")
    logs.insert(0, pd.concat([r.suppression.assign(community=n) for n, r in zip(names, reports)],
                             ignore_index=True) if reports else pd.DataFrame())
    suppression = pd.concat(logs, ignore_index=True)
    notes["overview"].append("Each column is the community's own report: the numbers are its published "
                             "tables', small cells suppressed as there.")
    parameters = {
        "peerscope_version": __version__, "corpus": "comparison of " + ", ".join(names),
        "communities": names, "super_users": rule.describe(), "min_cell": min_cell,
        "gini_replicates": replicates, "random_state": seed, "confidence": CONFIDENCE,
        "reports": {n: r.parameters for n, r in zip(names, reports)},
    }
    drawn, figure_titles = ({}, {})
    if figures:
        drawn, figure_titles = _figures(reports, names, min_cell, parameters, not_computed)
    else:
        not_computed.append("figures: not drawn (figures=False)")
    titles.update(figure_titles)
    comparison = Comparison(names=names, reports=reports, tables=tables, differences=long, figures=drawn,
                            titles=titles, notes=notes, not_computed=not_computed,
                            suppression=suppression, parameters=parameters)
    comparison.methods = _methods(comparison, long)
    return comparison


def _reason(report: Report, measure: str) -> str:
    description = report.results["description"]
    return next((c.reason for c in description.capabilities if c.measure == measure), "not measured")


def _section_reason(report: Report, source: str) -> str:
    """Why a report has no table ``source``: its capability, or its own "not computed" note."""
    prefix = _SECTION_NOTE.get(source, source) + ":"
    for note in report.not_computed:
        if note.startswith(prefix):
            text = note[len(prefix):].strip()
            return text[len("not computed ("):-1] if text.startswith("not computed (") else text
    measure = _SECTION_CAPABILITY.get(source)
    return _reason(report, measure) if measure else "not in this community's report"


def _cell(report: Report, source: str, row: str, column: str):
    """The published value of one row of a report, or "not measurable: <reason>"."""
    if row == "span_days":
        description = report.results["description"]
        if description.first_post is None or description.last_post is None:
            return "not measurable: no post times"
        return round((pd.Timestamp(description.last_post) - pd.Timestamp(description.first_post))
                     / pd.Timedelta(days=1), 1)
    table = report.tables.get(source)
    if table is None:
        return f"not measurable: {_section_reason(report, source)}"
    if row not in table.index:
        return "not measurable: not in this community's report"
    value = table.at[row, column]
    if value is not None and not (isinstance(value, float) and math.isnan(value)):
        return value
    detail = table.at[row, "detail"] if "detail" in table.columns else None
    if isinstance(detail, str) and detail:
        return f"not measurable: {detail}"
    measure = _CAPABILITY.get(row)
    if measure and not report.results["description"].can(measure):
        return f"not measurable: {_reason(report, measure)}"
    if source == "bands" and report.results["participation"].band_reason:
        return f"not measurable: {report.results['participation'].band_reason}"
    return f"not measurable: {_FALLBACK.get(row, 'undefined for this community (no data for it)')}"


def _side_by_side(reports, names, source, row_keys, column, not_computed):
    """One frame: label + a column per community (+ intervals where the report has them)."""
    with_ci = any(source in r.tables and "ci_low" in r.tables[source].columns
                  and r.tables[source].loc[[k for k in row_keys if k in r.tables[source].index],
                                           "ci_low"].notna().any() for r in reports)
    labels = {}
    for report in reports:
        table = report.tables.get(source)
        if table is not None:
            for key in row_keys:
                if key in table.index and key not in labels:
                    labels[key] = table.at[key, "label"] if "label" in table.columns else \
                        table.at[key, "band"]
    index = pd.Index(row_keys, name="measure")
    frame = pd.DataFrame({"label": pd.Series([labels.get(k, _LABELS.get(k, k)) for k in row_keys],
                                             index=index, dtype=object)})
    for name, report in zip(names, reports):
        frame[name] = pd.Series([_cell(report, source, k, column) for k in row_keys], index=index,
                                dtype=object)
        if with_ci:
            table = report.tables.get(source)
            for bound in ("ci_low", "ci_high"):
                values = []
                for key in row_keys:
                    value = frame.at[key, name]
                    if (table is None or key not in table.index or "ci_low" not in table.columns
                            or (isinstance(value, str) and value.startswith("not measurable"))):
                        values.append(None)
                    else:  # as published: suppressed with the value when the report suppressed it
                        values.append(table.at[key, bound])
                frame[f"{name} {bound}"] = pd.Series(values, index=index, dtype=object)
        if source in _SECTION_NOTE and source not in report.tables:
            not_computed.append(f"{_SECTION_NOTE[source]}: not computed for {name!r} "
                                f"({_section_reason(report, source)})")
    notes = []
    for name, report in zip(names, reports):
        for note in report.notes.get(source, []):
            if note.startswith("Not measured"):
                notes.append(f"{name}: {note}")
    return frame, notes


def _wilson_intervals(tables, reports, names) -> None:
    """Wilson intervals beside shares of independent units (none where a count is suppressed)."""
    for key, frame in tables.items():
        rows = [r for r in frame.index if r in _WILSON]
        if not rows:
            continue
        for name, report in zip(names, reports):
            low = frame.get(f"{name} ci_low", pd.Series([None] * len(frame), index=frame.index, dtype=object))
            high = frame.get(f"{name} ci_high", pd.Series([None] * len(frame), index=frame.index,
                                                          dtype=object))
            low, high = low.astype(object).copy(), high.astype(object).copy()
            for row in rows:
                value = frame.at[row, name]
                if isinstance(value, str):
                    if not value.startswith("not measurable"):
                        low[row] = high[row] = "suppressed"
                    continue
                counts = _counts(report, key, row)
                if counts is None:
                    continue
                k, n = counts
                if isinstance(k, str) or isinstance(n, str):
                    low[row] = high[row] = "suppressed"
                    continue
                interval = stats.binomtest(int(k), int(n)).proportion_ci(CONFIDENCE, method="wilson")
                low[row], high[row] = float(interval.low), float(interval.high)
            position = list(frame.columns).index(name) + 1
            for column, values in ((f"{name} ci_low", low), (f"{name} ci_high", high)):
                if column in frame.columns:
                    frame[column] = values
                else:
                    frame.insert(position, column, values)
                position += 1


def _counts(report: Report, key: str, row: str):
    """(count, total) behind a share as published (suppression marks kept), or None."""
    source = _LAYOUT[key][1]
    table = report.tables.get(source)
    count_row, total_row = _WILSON[row]
    if table is None or count_row not in table.index or total_row not in table.index:
        return None
    k, n = table.at[count_row, "value"], table.at[total_row, "value"]
    if k is None or n is None or (not isinstance(n, str) and not n):
        return None
    return k, n


# ---------------------------------------------------------------------------
# Differences
# ---------------------------------------------------------------------------

def _two_proportions(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float, float, float]:
    """p2 - p1, its Newcombe (1998) hybrid score interval, and the two-sided p of the z-test.

    The z-test is Pearson's chi-square on the 2 x 2 table without continuity
    correction (chi2 = z^2); Fisher's exact test when an expected cell is below 5.
    """
    p1, p2 = k1 / n1, k2 / n2
    w1 = stats.binomtest(k1, n1).proportion_ci(CONFIDENCE, method="wilson")
    w2 = stats.binomtest(k2, n2).proportion_ci(CONFIDENCE, method="wilson")
    d = p2 - p1
    low = d - math.sqrt((p2 - w2.low) ** 2 + (w1.high - p1) ** 2)
    high = d + math.sqrt((w2.high - p2) ** 2 + (p1 - w1.low) ** 2)
    table = np.array([[k2, n2 - k2], [k1, n1 - k1]])
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    if (expected < 5).any():
        p = stats.fisher_exact(table).pvalue
    else:
        p = stats.chi2_contingency(table, correction=False).pvalue
    return d, low, high, float(p)


def _bootstrap_p(draws: np.ndarray) -> float:
    """Two-sided bootstrap p: the smallest level whose percentile interval of the difference excludes 0."""
    return float(min(1.0, 2 * min(np.mean(draws <= 0), np.mean(draws >= 0))))


def _percentile(draws: np.ndarray) -> tuple[float, float]:
    tail = (1 - CONFIDENCE) / 2
    low, high = np.quantile(draws, [tail, 1 - tail])
    return float(low), float(high)


def _top_share_rows(values: np.ndarray, freq: np.ndarray, rule) -> np.ndarray:
    """Super-users' share of posts in each resample (the rule applied to the resampled posters)."""
    out = np.empty(len(freq))
    order = np.argsort(-values)
    for i, row in enumerate(freq):
        posts = np.repeat(values[order], row[order])
        total = posts.sum()
        out[i] = posts[:rule.size(posts)].sum() / total if total else np.nan
    return out


def _resample(counts: np.ndarray, replicates: int, rng, statistic) -> np.ndarray:
    """``statistic`` of ``replicates`` resamples of the people (multinomial on the distinct counts)."""
    values, freq = np.unique(np.asarray(counts, dtype=np.int64), return_counts=True)
    n = int(freq.sum())
    draws = []
    for start in range(0, replicates, 200):
        size = min(200, replicates - start)
        draws.append(statistic(values.astype(np.float64), rng.multinomial(n, freq / n, size=size)))
    return np.concatenate(draws)


def _people_counts(report: Report):
    """(member counts or None, poster counts) behind the report's Gini, checked against it."""
    summary, activity = report.results["participation"], report.results["activity"]
    posts = activity["posts"].to_numpy(dtype=np.int64)
    posters = posts[posts > 0]
    if len(posters) != summary.posters or int(posters.sum()) != summary.posts_by_members:
        return None, None
    members = posts if summary.members is not None and len(posts) == summary.members else None
    return members, posters


def _published(report: Report, source: str, *rows: str, column: str = "value"):
    """The published cells, or None when a table or row is missing; a str when one is suppressed."""
    table = report.tables.get(source)
    if table is None:
        return None
    values = []
    for row in rows:
        if row not in table.index:
            return None
        value = table.at[row, column]
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        values.append(value)
    return values


def _differences(reports, names, rule, replicates: int, seed, logs) -> list:
    """Every tested difference of each community from the first, as long rows."""
    rows = []
    if len(reports) < 2:
        return rows
    first = reports[0]
    seeds = np.random.SeedSequence(seed if seed is not None else None).spawn(len(reports))
    people = [_people_counts(r) for r in reports]
    for index in range(1, len(reports)):
        other, name = reports[index], names[index]

        def add(key, measure, result, test, cells):
            suppressed = any(isinstance(v, str) for c in cells if c is not None for v in c)
            if suppressed:
                rows.append((key, measure, name, names[0], "suppressed", "suppressed", "suppressed",
                             "suppressed", _TESTS[test]))
                logs.append(pd.DataFrame({"table": [key], "row": [measure], "column": [f"{name} - {names[0]}"],
                                          "rule": ["derived"], "because": ["a count it rests on is suppressed"],
                                          "community": [name]}))
            elif result is not None:
                rows.append((key, measure, name, names[0], *result, _TESTS[test]))

        for key, share in (("participation", "lurker_share"), ("participation", "one_time_poster_share"),
                           ("responsiveness", "answered_share")):
            source = _LAYOUT[key][1]
            k_row, n_row = _WILSON[share]
            a = _published(first, source, k_row, n_row, share)
            b = _published(other, source, k_row, n_row, share)
            if a is None or b is None:
                continue
            if any(isinstance(v, str) for v in a + b):
                add(key, share, None, "proportions", [a, b])
                continue
            if not a[1] or not b[1]:
                continue
            add(key, share, _two_proportions(int(a[0]), int(a[1]), int(b[0]), int(b[1])), "proportions",
                [a, b])

        a = _published(first, "reciprocity", "edges", "reciprocated_edges", "dyadic_reciprocity")
        b = _published(other, "reciprocity", "edges", "reciprocated_edges", "dyadic_reciprocity")
        if a is not None and b is not None and a[0] and b[0]:
            add("reciprocity", "dyadic_reciprocity", _reciprocity_difference(first, other), "pairs", [a, b])

        for basis, position in (("gini_members", 0), ("gini_posters", 1)):
            a_counts, b_counts = people[0][position], people[index][position]
            a = _published(first, "participation", basis)
            b = _published(other, "participation", basis)
            if a is None or b is None or a_counts is None or b_counts is None or replicates < 1:
                continue
            draws = (_resample(b_counts, replicates, np.random.default_rng(seeds[index]), grouped_gini)
                     - _resample(a_counts, replicates, np.random.default_rng(seeds[0]), grouped_gini))
            draws = draws[~np.isnan(draws)]
            if draws.size:
                add("participation", basis, (b[0] - a[0], *_percentile(draws), _bootstrap_p(draws)),
                    "people", [a, b])

        a = _published(first, "participation", "super_user_share")
        b = _published(other, "participation", "super_user_share")
        if a is not None and b is not None and people[0][1] is not None and people[index][1] is not None \
                and replicates >= 1:
            rule_a = first.results["participation"].super_user_rule
            rule_b = other.results["participation"].super_user_rule
            draws = (_resample(people[index][1], replicates, np.random.default_rng(seeds[index]),
                               lambda v, f: _top_share_rows(v, f, rule_b))
                     - _resample(people[0][1], replicates, np.random.default_rng(seeds[0]),
                                 lambda v, f: _top_share_rows(v, f, rule_a)))
            draws = draws[~np.isnan(draws)]
            if draws.size:
                add("participation", "super_user_share",
                    (b[0] - a[0], *_percentile(draws), _bootstrap_p(draws)), "people", [a, b])
    return rows


def _reciprocity_jackknife(report: Report) -> tuple[float, float] | None:
    """Dyadic reciprocity and its node-jackknife standard error (Snijders & Borgatti 1999).

    With M mutual and A one-way connected pairs, r = 2M / (2M + A).  Leaving
    out person i removes the m_i mutual and a_i one-way pairs i belongs to:
    r_(-i) = 2(M - m_i) / (2(M - m_i) + A - a_i), and
    SE^2 = (n - 1) / n * sum_i (r_(-i) - mean r_(-))^2 over the n people in the
    reply graph.  Pairs that share a person are not independent, so the
    jackknife over people, not a binomial over pairs, gives the error.
    None when the graph's edges do not reproduce the published counts.
    """
    edges = report.results["reciprocity"].graph.edges[["source", "target"]].astype(str)
    edges = edges[edges["source"] != edges["target"]].drop_duplicates()
    low = edges.min(axis=1)
    high = edges.max(axis=1)
    pairs = pd.DataFrame({"u": low, "v": high}).value_counts().rename("directions").reset_index()
    mutual = pairs["directions"] == 2
    big_m, big_a = int(mutual.sum()), int((~mutual).sum())
    published = report.tables["reciprocity"]
    if len(edges) != published.at["edges", "value"] or 2 * big_m != published.at["reciprocated_edges", "value"]:
        return None
    if len(pairs) < 2:
        return None
    ends = pd.concat([pairs[["u"]].rename(columns={"u": "node"}).assign(mutual=mutual.to_numpy()),
                      pairs[["v"]].rename(columns={"v": "node"}).assign(mutual=mutual.to_numpy())])
    per_node = ends.groupby("node")["mutual"].agg(["sum", "count"])
    m_i = per_node["sum"].to_numpy(dtype=float)
    a_i = per_node["count"].to_numpy(dtype=float) - m_i
    with np.errstate(invalid="ignore", divide="ignore"):
        left_out = 2 * (big_m - m_i) / (2 * (big_m - m_i) + big_a - a_i)
    left_out = left_out[~np.isnan(left_out)]
    n = len(left_out)
    if n < 2:
        return None
    value = 2 * big_m / (2 * big_m + big_a)
    return value, float(np.sqrt((n - 1) / n * np.sum((left_out - left_out.mean()) ** 2)))


def _reciprocity_difference(first: Report, other: Report):
    """Difference of dyadic reciprocity with a Wald interval and z-test from node-jackknife errors."""
    a, b = _reciprocity_jackknife(first), _reciprocity_jackknife(other)
    if a is None or b is None:
        return None
    d = b[0] - a[0]
    se = math.hypot(a[1], b[1])
    if se == 0:
        return None
    z = stats.norm.ppf(1 - (1 - CONFIDENCE) / 2)
    return d, d - z * se, d + z * se, float(2 * stats.norm.sf(abs(d) / se))


def _plain(value):
    """A Python float for a numeric table cell (numpy scalars unwrapped, NaN as None); text unchanged."""
    if isinstance(value, (float, np.floating, int, np.integer)) and not isinstance(value, bool):
        return None if math.isnan(float(value)) else float(value)
    return value


def _attach_differences(tables, notes, key, long: pd.DataFrame, names) -> None:
    """Columns ``<name> - <first>``, its interval and p, and ``test``, on the rows that have them."""
    subset = long[long["table"] == key]
    if not len(subset):
        return
    frame = tables[key]
    for name in names[1:]:
        mine = subset[subset["community"] == name].set_index("measure")
        column = f"{name} - {names[0]}"
        for suffix, source in (("", "difference"), (" ci_low", "ci_low"), (" ci_high", "ci_high"),
                               (" p", "p_value")):
            frame[column + suffix] = pd.Series([_plain(mine.at[r, source]) if r in mine.index else None
                                                for r in frame.index], index=frame.index, dtype=object)
    tests = subset.drop_duplicates("measure").set_index("measure")["test"]
    frame["test"] = pd.Series([tests.get(r, "") for r in frame.index], index=frame.index, dtype=object)
    notes[key].append(f"Differences: each community minus {names[0]!r}, with {CONFIDENCE:.0%} intervals and "
                      "two-sided p-values (not adjusted for the number of tests); the test column names "
                      "the method of each row.")
    used = [k for k, label in _TESTS.items() if label in set(subset["test"])]
    notes[key] += [_TEST_NOTES[k] for k in used]


# ---------------------------------------------------------------------------
# Support types and topics
# ---------------------------------------------------------------------------

def _support_table(reports, names, not_computed):
    """Share of each support type in all posts, one column per community (None when none has them)."""
    if not any("support_types" in r.tables for r in reports):
        for name, report in zip(names, reports):
            not_computed.append(f"support types: not computed for {name!r} "
                                f"({_section_reason(report, 'support_types')})")
        return None, []
    types = _support_types(reports)
    index = pd.Index(types, name="support_type")
    frame = pd.DataFrame({"label": pd.Series(types, index=index, dtype=object)})
    for name, report in zip(names, reports):
        table = report.tables.get("support_types")
        cells = {"": [], " ci_low": [], " ci_high": []}
        for support_type in types:
            row = f"all.{support_type}"
            if table is None:
                reason = f"not measurable: {_section_reason(report, 'support_types')}"
                values = (reason, None, None)
            elif row not in table.index:
                values = ("no post of this type", None, None)
            else:
                values = tuple(table.at[row, c] for c in ("share", "ci_low", "ci_high"))
            for suffix, value in zip(cells, values):
                cells[suffix].append(value)
        for suffix, values in cells.items():
            frame[f"{name}{suffix}"] = pd.Series(values, index=index, dtype=object)
        if table is None:
            not_computed.append(f"support types: not computed for {name!r} "
                                f"({_section_reason(report, 'support_types')})")
    notes = ["Shares of all posts of each support type, with author-clustered bootstrap intervals "
             "(each community's report); a share is hidden with its group's author count when small."]
    return frame, notes


def _support_types(reports) -> list[str]:
    """The support types of every community's table of all posts, in the order first met."""
    types = []
    for report in reports:
        table = report.tables.get("support_types")
        if table is not None:
            for row in table.index:
                if row.startswith("all.") and row[4:] not in types:
                    types.append(row[4:])
    return types


def _support_differences(reports, names, replicates: int, seed, logs) -> list:
    """Author-resampled bootstrap of each support type's share, each community minus the first."""
    rows = []
    first = reports[0]
    if "support" not in first.results or "support_types" not in first.tables or replicates < 1:
        return rows
    seeds = np.random.SeedSequence(seed if seed is not None else None).spawn(len(reports) + 1)
    for index in range(1, len(reports)):
        other = reports[index]
        if "support" not in other.results or "support_types" not in other.tables:
            continue
        classes = [c for c in first.results["support"].classes if c in other.results["support"].classes]
        labels_a, labels_b = first.results["support"], other.results["support"]
        draws_a = share_draws(labels_a, None, replicates, np.random.default_rng(seeds[0]))[1]
        draws_b = share_draws(labels_b, None, replicates, np.random.default_rng(seeds[index]))[1]
        for support_type in classes:
            a = _published(first, "support_types", f"all.{support_type}", column="share")
            b = _published(other, "support_types", f"all.{support_type}", column="share")
            if a is None or b is None:
                continue
            if isinstance(a[0], str) or isinstance(b[0], str):
                rows.append(("support_types", support_type, names[index], names[0], *["suppressed"] * 4,
                             _TESTS["authors"]))
                logs.append(pd.DataFrame({"table": ["support_types"], "row": [support_type],
                                          "column": [f"{names[index]} - {names[0]}"], "rule": ["derived"],
                                          "because": ["a share it rests on is suppressed"],
                                          "community": [names[index]]}))
                continue
            draws = (draws_b[:, labels_b.classes.index(support_type)]
                     - draws_a[:, labels_a.classes.index(support_type)])
            draws = draws[~np.isnan(draws)]
            if draws.size:
                rows.append(("support_types", support_type, names[index], names[0], b[0] - a[0],
                             *_percentile(draws), _bootstrap_p(draws), _TESTS["authors"]))
    return rows


def _topics_table(reports, names, not_computed):
    """Number of topics, coherence and the largest topics of each community (None when none has topics)."""
    if not any("topics" in r.tables for r in reports):
        for name, report in zip(names, reports):
            not_computed.append(f"topics: not computed for {name!r} ({_section_reason(report, 'topics')})")
        return None
    index = pd.Index(["k", "npmi", "shuffled_baseline_npmi", "largest_topics"], name="measure")
    frame = pd.DataFrame({"label": pd.Series(["Topics (k)", "Mean NPMI coherence",
                                              "NPMI of the shuffled-words baseline",
                                              "Largest topics (share of posts)"], index=index, dtype=object)})
    for name, report in zip(names, reports):
        table = report.tables.get("topics")
        if table is None:
            reason = f"not measurable: {_section_reason(report, 'topics')}"
            frame[name] = pd.Series([reason] * 4, index=index, dtype=object)
            not_computed.append(f"topics: not computed for {name!r} ({_section_reason(report, 'topics')})")
            continue
        topics = table.drop(index="all", errors="ignore")
        shares = pd.to_numeric(topics["share_of_posts"], errors="coerce").sort_values(ascending=False)
        largest = "; ".join(f"{topics.at[t, 'label']} ({shares[t]:.0%})" for t in shares.index[:3])
        frame[name] = pd.Series([len(topics), table.at["all", "npmi"], table.at["all", "shuffled_baseline_npmi"],
                                 largest], index=index, dtype=object)
    return frame


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------

def _figures(reports, names, min_cell: int, parameters, not_computed):
    """Lorenz curves, rank-frequency with fits, bands beside van Mierlo, survival curves and support shares.

    One line style (or hatch) per community, the same in every figure.  Each
    drawing function returns whether it drew anything and appends to its
    ``skipped`` argument ``(what, why)`` for what it left out (a community
    without the data, a line resting on fewer than ``min_cell`` people);
    these go to ``not_computed`` as ``figure <key>: not drawn for <what>
    (<why>)``, or into the one ``figure <key>: not drawn (...)`` note of a
    figure not drawn at all.
    """
    from peerscope.report import figures as figure_makers

    try:
        matplotlib = figure_makers.require_matplotlib()
    except figure_makers.MissingDependencyError as error:
        not_computed.append(f"figures: not drawn ({error})")
        return {}, {}
    footer = (f"{', '.join(names)}; super-users {parameters['super_users']}; cells < {min_cell} people "
              f"not shown; peerscope {__version__}")
    makers = {
        "lorenz": ("Lorenz curves of posts per person", _lorenz),
        "rank_frequency": ("Rank-frequency of posts per poster with each community's Zipf and "
                           "power-law fits", _rank_frequency),
        "bands": ("Participation bands beside van Mierlo 2014", _bands),
        "survival": ("Kaplan-Meier survival of posters' tenure", _survival),
        "support_shares": ("Support types in all posts, with author-clustered bootstrap intervals",
                           _support_shares),
    }
    drawn, titles = {}, {}
    with matplotlib.rc_context({"font.size": 7, "axes.titlesize": 7, "axes.labelsize": 7,
                                "xtick.labelsize": 6, "ytick.labelsize": 6, "legend.fontsize": 5.5,
                                "axes.linewidth": 0.6, "lines.linewidth": 1.0}):
        for key, (title, make) in makers.items():
            from matplotlib.figure import Figure

            figure = Figure(figsize=(figure_makers.WIDTH, figure_makers.HEIGHT), layout="constrained")
            ax = figure.add_subplot()
            skipped: list = []
            if make(ax, reports, names, min_cell, skipped):
                figure.supxlabel(footer, fontsize=4.5, color="0.3", wrap=True)
                figure.peerscope_parameters = footer
                drawn[key], titles[key] = figure, title
                not_computed.extend(f"figure {key}: not drawn for {what} ({why})"
                                    for what, why in skipped)
            else:
                because = "; ".join(f"{what}: {why}" for what, why in skipped) or (
                    "no community has the data, or every point rests on fewer people than the small-cell "
                    "threshold")
                not_computed.append(f"figure {key}: not drawn ({because})")
    return drawn, titles


def _style(position: int) -> dict:
    linestyle, marker, grey = STYLES[position % len(STYLES)]
    return {"linestyle": linestyle, "color": grey}


def _number(value) -> float:
    """A published cell as a float; NaN for a suppressed, empty or text cell (:func:`_plain`, then NaN)."""
    plain = _plain(value)
    return plain if isinstance(plain, float) else math.nan


def _lorenz(ax, reports, names, min_cell, skipped) -> bool:
    any_drawn = False
    ax.plot([0, 1], [0, 1], color="0.6", linestyle=":", linewidth=0.6, label="equality")
    for position, (name, report) in enumerate(zip(names, reports)):
        summary = report.results["participation"]
        curve = summary.lorenz
        if not len(curve):
            continue
        ax.plot(curve["share_of_people"], curve["share_of_posts"], **_style(position),
                label=f"{name} ({summary.lorenz_basis})")
        any_drawn = True
    ax.set_title("Lorenz curves of posts per person")
    ax.set_xlabel("Cumulative share of people (fewest posts first)")
    ax.set_ylabel("Cumulative share of posts")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(frameon=False, loc="upper left")
    style_axes(ax)
    return any_drawn


def _bands(ax, reports, names, min_cell, skipped) -> bool:
    from peerscope.participation.inequality import ceil_share

    series = []
    for name, report in zip(names, reports):
        summary = report.results["participation"]
        # as in the report: bands are drawn only when the top 1% holds at least min_cell members
        if summary.band_shares is not None and summary.members and ceil_share(0.01, summary.members) >= min_cell:
            series.append((name, [summary.band_shares[b] * 100 for b in ("superusers", "contributors", "lurkers")]))
    if not series:
        return False
    series.append(("van Mierlo 2014", [VAN_MIERLO_BANDS[b] * 100 for b in ("superusers", "contributors",
                                                                            "lurkers")]))
    width = 0.8 / len(series)
    x = np.arange(3)
    for position, (name, values) in enumerate(series):
        reference = name == "van Mierlo 2014"
        fill, hatch = ("white", "///") if reference else FILLS[position % len(FILLS)]
        style = {"facecolor": fill, "hatch": hatch}
        bars = ax.bar(x - 0.4 + width * (position + 0.5), values, width, edgecolor="0", label=name, **style)
        ax.bar_label(bars, fmt="%.0f", fontsize=5, padding=1)
    label_band_axes(ax)
    return True


def _survival(ax, reports, names, min_cell, skipped) -> bool:
    any_drawn = False
    withdrawal = None
    for position, (name, report) in enumerate(zip(names, reports)):
        result = report.results["survival"]
        curve = result.curve[result.curve["at_risk"] >= min_cell]
        if not len(curve):
            continue
        withdrawal = result.withdrawal
        ax.step(np.r_[0.0, curve["days"].to_numpy()], np.r_[1.0, curve["survival"].to_numpy()], where="post",
                **_style(position), label=name)
        any_drawn = True
    if not any_drawn:
        return False
    ax.axhline(0.5, color="0.6", linestyle=":", linewidth=0.6)
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.set_title(f"Tenure of posters; withdrawal = no post for {withdrawal / pd.Timedelta(days=1):g} days")
    ax.set_xlabel("Days from first to last post")
    ax.set_ylabel("Share still active")
    ax.legend(frameon=False, loc="upper right")
    style_axes(ax)
    return True


def _poster_counts(report: Report) -> np.ndarray:
    """Posts per poster of a report, as its own rank-frequency figure takes them."""
    activity = report.results["activity"]
    return activity.loc[activity["posts"] > 0, "posts"].to_numpy()


def _rank_frequency(ax, reports, names, min_cell, skipped) -> bool:
    """Each community's posts per poster by rank (log-log) with its Zipf and power-law fits.

    Every community is drawn by the report's own drawing
    (:func:`peerscope._kernels.display.draw_rank_frequency`): its points
    take the community's marker and its fitted lines its line style, the
    Zipf line thick and the power-law line thin.  A community with fewer
    posters than ``min_cell`` is left out (its fits would describe fewer
    people than a published cell may), as is a power-law line whose tail
    holds fewer than ``min_cell`` posters.
    """
    any_drawn, most = False, 1
    for position, (name, report) in enumerate(zip(names, reports)):
        counts = _poster_counts(report)
        if len(counts) < min_cell:
            skipped.append((repr(name), f"{len(counts)} poster(s), fewer than {min_cell}"))
            continue
        linestyle, marker, grey = STYLES[position % len(STYLES)]
        summary = report.results["participation"]
        first = len(ax.lines)
        draw_rank_frequency(ax, counts, summary.zipf, summary.power_law, marker=marker,
                            markeredgecolor=grey, label=f"{name}: posters")
        points, *fits = ax.lines[first:]
        points.set_gid(f"{name}: posters")
        most = max(most, len(counts))
        for line in fits:
            zipf = line.get_label().startswith("Zipf")
            if not zipf and summary.power_law.n_tail < min_cell:
                line.remove()
                skipped.append((f"the power-law line of {name!r}",
                                f"its tail holds {summary.power_law.n_tail} poster(s), fewer than {min_cell}"))
                continue
            line.set(linestyle=linestyle, color=grey, linewidth=1.0 if zipf else 0.5,
                     label=f"{name}: {line.get_label()}", gid=f"{name}: {'zipf' if zipf else 'power law'}")
        any_drawn = True
    if any_drawn:
        # ranks start at 1: a power-law line reaching below rank 1 would stretch the axis for nothing
        ax.set_xlim(0.7, most * 1.5)
        ax.set_title("Rank-frequency of posts per poster with fits")
        ax.legend(frameon=False, loc="upper right", fontsize=4.5)
    return any_drawn


def _support_shares(ax, reports, names, min_cell, skipped) -> bool:
    """Each community's share of all posts of each support type, bars with their intervals.

    The shares and intervals are those of each community's published
    ``support_types`` table, so a share its report suppresses (the posts of
    fewer than ``min_cell`` authors) is not drawn either.  Drawn by
    :func:`~peerscope._kernels.display.draw_grouped_bars`, as the support
    shares of the groups of one community are.
    """
    types = _support_types(reports)
    rows = []
    for name, report in zip(names, reports):
        table = report.tables.get("support_types")
        if table is None:
            skipped.append((repr(name), _section_reason(report, "support_types")))
            continue
        values = [[_number(table.at[f"all.{t}", c]) if f"all.{t}" in table.index else math.nan
                   for c in ("share", "ci_low", "ci_high")] for t in types]
        if all(math.isnan(share) for share, _, _ in values):
            skipped.append((repr(name), f"its shares rest on fewer than {min_cell} authors and are "
                                        "suppressed in its report"))
            continue
        rows += [(name, t, *value) for t, value in zip(types, values)]
    if not rows:
        return False
    frame = pd.DataFrame(rows, columns=["community", "support_type", "share", "ci_low", "ci_high"])
    draw_grouped_bars(ax, frame, category="support_type", group="community", value="share", categories=types)
    ax.set_ylim(0, 1)
    ax.set_title("Support types in all posts (95% intervals, authors resampled)")
    ax.set_xlabel("Support type")
    ax.set_ylabel("Share of all posts")
    return True


# ---------------------------------------------------------------------------
# Methods
# ---------------------------------------------------------------------------

def _methods(comparison: Comparison, long: pd.DataFrame) -> str:
    """The comparison's methods paragraph, then each community's own."""
    names = comparison.names
    p = comparison.parameters
    text = [
        "**Comparison of communities.** " + ", ".join(f"'{n}'" for n in names) + " were each analysed "
        f"with the same options (super-users: {p['super_users']}; counts of fewer than {p['min_cell']} people "
        "suppressed) and are shown side by side; each column holds the numbers of that community's own "
        "report. What a community cannot measure is marked in its column with the reason.",
    ]
    if len(names) > 1:
        text.append(
            f"Each community is compared with '{names[0]}' ({CONFIDENCE:.0%} intervals, two-sided p-values, "
            "not adjusted for multiple testing). Lurker share of members, one-time posters' share of posters "
            "and answered share of opening posts: difference of two independent proportions with the "
            "Newcombe (1998) hybrid score interval (from Wilson intervals) and the two-proportion z-test "
            "(Pearson chi-square without continuity correction; Fisher's exact test when an expected cell "
            "is below 5). Dyadic reciprocity: a Wald interval and z-test of the difference, with each "
            "community's standard error from the jackknife over the people of its reply graph (Snijders & "
            "Borgatti 1999), since edges that share a person are not independent. Gini coefficients and the "
            "super-users' share of posts: percentile "
            f"bootstrap interval of the difference ({p['gini_replicates']} replicates, seed {p['random_state']}; "
            "people resampled with replacement in each community independently, the super-user rule applied "
            "to each resample) and the bootstrap p-value, the smallest two-sided level whose percentile "
            "interval excludes 0 (Efron & Tibshirani 1993). Support-type shares: the same bootstrap "
            "resampling authors with all their posts. Bands are shown beside van Mierlo (2014) without a "
            "test. Differences that rest on a suppressed cell are suppressed too.")
    text.append("**References.** van Mierlo, T. (2014). The 1% rule in four digital health social networks. "
                "J Med Internet Res 16(2):e33. Newcombe, R. G. (1998). Interval estimation for the difference "
                "between independent proportions. Stat Med 17:873-890. Efron, B., Tibshirani, R. (1993). An "
                "Introduction to the Bootstrap. Snijders, T. A. B., Borgatti, S. P. (1999). Non-parametric "
                "standard errors and tests for network statistics. Connections 22(2):161-170.")
    for name, report in zip(names, comparison.reports):
        text.append(f"**Community '{name}'.**\n\n{report.methods}")
    return "\n\n".join(text) + "\n"
