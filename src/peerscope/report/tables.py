"""Paper tables from metric results: one function per table, numbers copied, never recomputed.

Each function takes the result objects of the metric modules and returns a
:class:`Table`: a DataFrame indexed by a machine-readable row key (so that
``report.tables["participation"].loc["lurkers", "value"]`` is the number the
Python API gives), the people-counting cells and additive relations that
small-cell suppression needs (:mod:`peerscope.report.suppression`), and
notes saying what the table could not measure and why (from
:func:`peerscope.corpus.description.describe`).

Key-value tables have the columns ``label`` (what the number is, in words),
``value`` and ``reference`` (a published figure to compare with, when one
exists), plus ``ci_low``/``ci_high`` where an interval exists and ``detail``
(parameters, reasons) where needed.  Shares are proportions (0-1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from peerscope.participation.inequality import ceil_share
from peerscope.report.suppression import Protection

__all__ = ["SIDE_BY_SIDE_FORMS", "TENURE_ROWS", "TOP_PATHWAYS", "VAN_MIERLO_BANDS", "Table",
           "active_passive", "bands", "combinations", "engagement", "fits", "forms_over_tenure", "group_comparison",
           "ladder_levels", "measurability", "newsletters", "overview", "participation",
           "pathways", "reciprocity", "responsiveness", "support_types", "topic_odds", "topic_sweep",
           "topics"]

#: van Mierlo (2014): share of posts by the 1% / 9% / 90% bands, four health forums.
VAN_MIERLO_BANDS = {"superusers": 0.747, "contributors": 0.240, "lurkers": 0.013}
#: Side by Side evaluation: mean forms of support in use by month since first use.
SIDE_BY_SIDE_FORMS = {0: 2.5, 5: 2.0, 11: 1.5}
#: Rows of the forms-over-tenure table (months since first use 0 .. this - 1).
TENURE_ROWS = 25
#: Pathways listed one by one; the rest are pooled in "other pathways".
TOP_PATHWAYS = 12


@dataclass
class Table:
    """One published table: its frame, what it protects, and what it could not measure.

    Attributes
    ----------
    name : str
        File stem and key in ``Report.tables``.
    title : str
        Caption.
    frame : DataFrame
        Indexed by a row key.
    protection : Protection
        People-counting cells and relations (small-cell suppression).
    notes : list of str
        What was and was not measured, and why; parameters.

    Examples
    --------
    >>> from peerscope.corpus.description import describe
    >>> from peerscope.datasets.examples import tiny_forum
    >>> corpus = tiny_forum()
    >>> description = describe(corpus)
    >>> table = measurability(description)
    >>> table.name, table.frame.loc["lurkers", "measurable"], table.protection.people
    ('measurability', 'yes', {})
    """

    name: str
    title: str
    frame: pd.DataFrame
    protection: Protection = field(default_factory=Protection)
    notes: list = field(default_factory=list)


class _Rows:
    """Builder of a key-value table (label, value, reference, ...)."""

    def __init__(self, index_name: str = "measure"):
        self.rows: dict = {}
        self.index_name = index_name
        self.protection = Protection()

    def add(self, key: str, label: str, value, *, reference: str = "", detail: str = "",
            ci: tuple | None = None, people: bool = False, share_of: str | None = None) -> None:
        """Add a row; ``people`` marks a count of people, ``share_of`` a share of the row ``share_of``."""
        value = _plain(value)
        row = {"label": label, "value": value, "reference": reference, "detail": detail}
        if ci is not None:
            row["ci_low"], row["ci_high"] = _plain(ci[0]), _plain(ci[1])
        self.rows[key] = row
        if people:
            self.protection.count(key, "value")
        if share_of is not None:
            self.protection.share((key, "value"), (share_of, "value"))

    def frame(self) -> pd.DataFrame:
        columns = [c for c in ("label", "value", "ci_low", "ci_high", "reference", "detail")
                   if any(c in row for row in self.rows.values())]
        index = pd.Index(list(self.rows), name=self.index_name)
        # object columns keep Python ints as ints (a float column would show 2500 as 2500.0)
        frame = pd.DataFrame({c: pd.Series([row.get(c) for row in self.rows.values()], index=index,
                                           dtype=object) for c in columns})
        for column in ("reference", "detail"):
            if column in frame and not frame[column].astype(bool).any():
                frame = frame.drop(columns=column)
        return frame


def _plain(value):
    """Python int/float/str/None for a table cell (numpy scalars unwrapped)."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)
    return value


def capability_notes(description, *measures: str) -> list[str]:
    """"Measured: ..." / "Not measured: ..." lines for the named capabilities of a corpus.

    Parameters
    ----------
    description : peerscope.corpus.description.Description
        What the corpus holds (:func:`peerscope.corpus.description.describe`).
    *measures : str
        Names of capabilities (``"lurkers"``, ``"reciprocity"``, ...).

    Returns
    -------
    list of str

    Examples
    --------
    >>> from peerscope.corpus.description import describe
    >>> from peerscope.datasets.examples import tiny_forum
    >>> corpus = tiny_forum()
    >>> description = describe(corpus)
    >>> capability_notes(description, "lurkers")
    ['Measured: lurkers (member roster present).']
    """
    notes = []
    for capability in description.capabilities:
        if capability.measure in measures:
            verdict = "Measured" if capability.possible else "Not measured"
            notes.append(f"{verdict}: {capability.measure} ({capability.reason}).")
    return notes


# ---------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------

def overview(description, window, manifest: dict) -> Table:
    """Corpus overview: rows, time span, people, structure, and what can be measured.

    The import is accounted for too: rows quarantined per table, rows skipped
    per table (the reasons in ``detail``), and rows kept but changed, one row
    per table and note (the note, e.g. "parent not in the data: kept with a
    null parent", in ``detail``).

    Parameters
    ----------
    description : peerscope.corpus.description.Description
        What the corpus holds (:func:`peerscope.corpus.description.describe`).
    window : peerscope.corpus.Window
        The analysis window.
    manifest : dict
        The corpus manifest (source format, loader, row accounting).

    Returns
    -------
    Table

    Examples
    --------
    >>> from peerscope import Corpus
    >>> from peerscope.corpus.description import describe
    >>> from peerscope.datasets.examples import tiny_forum
    >>> corpus = tiny_forum()
    >>> description = describe(corpus)
    >>> table = overview(description, corpus.time_window, corpus.manifest)
    >>> table.frame.loc[["rows_posts", "first_post", "reply_structure"], "value"].tolist()
    [4, '2024-01-01 20:00', 'nested']
    """
    rows = _Rows("item")
    d = description
    rows.add("corpus", "Corpus", d.name)
    provenance = manifest.get("provenance", {})
    rows.add("source_format", "Source format (loader)",
             f"{provenance.get('source_format', 'unknown')} ({provenance.get('loader', 'unknown')})")
    rows.add("window", "Analysis window [start, end), UTC",
             f"{_time(window.start) or 'open'} to {_time(window.end) or 'open'}")
    rows.add("first_post", "First post (UTC)", _time(d.first_post))
    rows.add("last_post", "Last post (UTC)", _time(d.last_post))
    for table, n in d.rows.items():
        rows.add(f"rows_{table}", f"Rows: {table}", n)
    rows.add("opening_posts", "Opening posts", d.opening_posts)
    rows.add("replies", "Replies", d.replies)
    rows.add("reply_structure", "Reply structure", d.reply_structure)
    rows.add("time_resolution", "Times recorded to the", d.time_resolution)
    rows.add("posters", "Posters (people with a known id)", d.posters, people=True)
    rows.add("members", "Members on the roster", d.members if d.members is not None else "no roster",
             people=d.members is not None)
    rows.add("bots", "Bot accounts", d.bots)
    rows.add("posts_by_unknown_authors", "Posts by unknown, deleted or anonymous authors",
             d.posts_by_unknown_authors)
    for form, n in d.forms.items():
        rows.add(f"form_{form}", f"Records of form: {form}", n)
    if d.newsletters:
        rows.add("newsletters", "Newsletters (issues)", f"{d.newsletters} ({d.newsletter_issues})")
    for table, n in d.quarantined.items():
        rows.add(f"quarantined_{table}", f"Rows quarantined on import: {table}", n)
    accounting = manifest.get("accounting", {})
    for table, account in accounting.items():
        if account.get("rows_skipped"):
            reasons = "; ".join(f"{r}: {n:,}" for r, n in account.get("skipped_reasons", {}).items())
            rows.add(f"skipped_{table}", f"Rows skipped on import: {table}", account["rows_skipped"],
                     detail=reasons)
    for table, notes in d.kept_notes.items():
        for note, n in notes.items():
            rows.add(f"kept_{table}_{note}", f"Rows kept but changed on import: {table}", n,
                     detail=note)
    frame = rows.frame()
    notes = ["Counts of posts, replies and records are not counts of people and are not suppressed."]
    notes += [f"Warning: {warning}." for warning in d.warnings]
    return Table("overview", "Corpus overview", frame, rows.protection, notes)


def measurability(description) -> Table:
    """What the corpus can and cannot measure, and why (from ``describe()``).

    Parameters
    ----------
    description : peerscope.corpus.description.Description
        What the corpus holds (:func:`peerscope.corpus.description.describe`).

    Returns
    -------
    Table

    Examples
    --------
    >>> from peerscope.corpus.description import describe
    >>> from peerscope.datasets.examples import tiny_forum
    >>> corpus = tiny_forum()
    >>> description = describe(corpus)
    >>> measurability(description).frame.loc["lurkers"].tolist()
    ['yes', 'member roster present']
    """
    frame = pd.DataFrame(
        {"measurable": ["yes" if c.possible else "no" for c in description.capabilities],
         "reason": [c.reason for c in description.capabilities]},
        index=pd.Index([c.measure for c in description.capabilities], name="measure"))
    return Table("measurability", "What this corpus can and cannot measure", frame,
                 notes=["From peerscope.corpus.description: a measure is possible only when the data hold "
                        "what it needs (e.g. lurkers need a member roster or read/delivery events)."])


def _time(value) -> str | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


# ---------------------------------------------------------------------------
# Participation
# ---------------------------------------------------------------------------

def participation(summary, description) -> Table:
    """Members, posters, lurkers, one-time posters, Gini, top shares and super-users.

    Parameters
    ----------
    summary : peerscope.participation.ParticipationSummary
    description : peerscope.corpus.description.Description
        What the corpus holds (:func:`peerscope.corpus.description.describe`).

    Returns
    -------
    Table

    Examples
    --------
    >>> from peerscope.corpus.description import describe
    >>> from peerscope.datasets.examples import tiny_forum
    >>> corpus = tiny_forum()
    >>> description = describe(corpus)
    >>> from peerscope.participation import summary
    >>> table = participation(summary(corpus, replicates=50), description)
    >>> table.frame.loc[["members", "posters", "lurker_share"], "value"].tolist()
    [4, 2, 0.5]
    """
    s = summary
    rows = _Rows()
    rows.add("posts_total", "Posts in the window", s.posts_total)
    rows.add("posts_by_members", "Posts by members (persons)", s.posts_by_members)
    rows.add("posts_by_unknown_authors", "Posts by unknown, deleted or anonymous authors",
             s.posts_by_unknown_authors)
    rows.add("posts_by_bots", "Posts by bots (left out)" if not s.include_bots else "Posts by bots",
             s.posts_by_bots)
    rows.add("members", "Members (population of the window)", s.members, people=True,
             detail=s.population_basis and f"basis: {s.population_basis}" or (s.lurker_reason or ""))
    rows.add("posters", "Posters (>= 1 post)", s.posters, people=True)
    rows.add("lurkers", "Lurkers (0 posts in the window)", s.lurkers, people=True,
             detail=s.lurker_reason or "", reference="Nonnecke & Preece 2000: 46% (health lists)")
    rows.add("lurker_share", "Lurker share of members", s.lurker_share, share_of="members",
             detail=s.lurker_reason or "", reference="van Uden-Kraan et al. 2008: 21%")
    rows.add("one_time_posters", "One-time posters (exactly 1 post)", s.one_time_posters, people=True)
    rows.add("one_time_poster_share", "One-time posters' share of posters",
             s.one_time_posters / s.posters if s.posters else None, share_of="posters")
    for result in (s.gini_members, s.gini_posters):
        rows.add(f"gini_{result.basis}", f"Gini of posts per person, over {result.basis}", result.value,
                 ci=(result.ci_low, result.ci_high),
                 detail=result.reason or (f"{result.confidence:.0%} percentile bootstrap, "
                                          f"{result.replicates} replicates, seed {result.random_state}, "
                                          f"n = {result.n:,}"))
    references = {0.01: "Joglekar 2018: 32% and 49%"}
    for share, value in s.top_shares.items():
        rows.add(f"top_{share:g}_share", f"Share of members' posts by the top {share:.0%} of posters",
                 value, reference=references.get(share, ""))
    selection = s.super_users
    rows.add("super_user_rule", "Super-user rule", str(s.super_user_rule.__class__.__name__),
             detail=selection.rule)
    rows.add("super_users", "Super-users", len(selection.member_ids), people=True)
    rows.add("super_user_share", "Super-users' share of members' posts", s.super_user_share,
             reference="Graham & Wright 2014: 0.4% wrote 47%")
    rows.add("super_user_cutoff_posts", "Posts of the last super-user (cut-off)", selection.cutoff_posts)
    rows.add("super_user_ties_at_cutoff", "Posters tied at the cut-off", selection.ties_at_cutoff,
             people=True)
    rows.add("super_user_ties_left_out", "Tied posters left out by the tie-break",
             selection.ties_left_out, people=True)
    protection = rows.protection
    if s.members is not None:
        protection.total(("members", "value"), [("posters", "value"), ("lurkers", "value")])
    protection.derive(("lurker_share", "value"), [("lurkers", "value"), ("members", "value")])
    protection.derive(("one_time_poster_share", "value"), [("one_time_posters", "value")])
    notes = capability_notes(description, "lurkers", "super-users and inequality")
    notes.append("Bots are left out of members and posters" if not s.include_bots else
                 "Bots are counted as members.")
    return Table("participation", "Participation", rows.frame(), protection, notes)


def bands(summary) -> Table:
    """90-9-1 bands: share of members' posts by the top 1%, next 9% and bottom 90% of members.

    Parameters
    ----------
    summary : peerscope.participation.ParticipationSummary

    Returns
    -------
    Table

    Examples
    --------
    >>> from peerscope.corpus.description import describe
    >>> from peerscope.datasets.examples import tiny_forum
    >>> corpus = tiny_forum()
    >>> description = describe(corpus)
    >>> from peerscope.participation import summary
    >>> bands(summary(corpus, replicates=50)).frame["share_of_posts"].tolist()
    [0.75, 0.0, 0.25, 1.0]
    """
    names = {"superusers": "Top 1% of members", "contributors": "Next 9%", "lurkers": "Bottom 90%"}
    observed = summary.band_shares or {}
    members = summary.members if summary.band_shares is not None else None
    if members is not None:
        top, ten = ceil_share(0.01, members), ceil_share(0.10, members)
        sizes = [top, ten - top, members - ten]
    else:
        sizes = [None] * 3
    frame = pd.DataFrame({
        "band": list(names.values()),
        "members": sizes,
        "share_of_posts": [_plain(observed.get(b)) for b in names],
        "van_mierlo_2014": [VAN_MIERLO_BANDS[b] for b in names],
    }, index=pd.Index(list(names), name="band_key"))
    frame[["members", "share_of_posts"]] = frame[["members", "share_of_posts"]].astype(object)
    if members is not None:
        frame.loc["all"] = ["All members", members, 1.0, 1.0]
    protection = Protection()
    protection.count_column("members", list(frame.index))
    if members is not None:
        protection.total(("all", "members"), [(band, "members") for band in names])
    for band in names:
        # a band of fewer than min_cell members: its share of posts is those few people's posting
        protection.derive((band, "share_of_posts"), [(band, "members")])
    notes = ["Members (lurkers included) ranked by posts; band sizes ceil(1%) and ceil(10%) of "
             "members (Nielsen 2006). Reference: van Mierlo 2014, four digital health networks, "
             "63,990 members, 578,349 posts."]
    if summary.band_reason:
        notes.insert(0, f"Not measured: band shares ({summary.band_reason}).")
    return Table("bands", "Participation bands (90-9-1)", frame, protection, notes)


def fits(summary) -> Table:
    """Zipf rank-frequency fit and discrete power-law MLE of posts per poster.

    Parameters
    ----------
    summary : peerscope.participation.ParticipationSummary

    Returns
    -------
    Table

    Examples
    --------
    >>> from peerscope.corpus.description import describe
    >>> from peerscope.datasets.examples import tiny_forum
    >>> corpus = tiny_forum()
    >>> description = describe(corpus)
    >>> from peerscope.participation import summary
    >>> table = fits(summary(corpus, replicates=50))
    >>> table.frame.loc["zipf_n", "value"], table.frame.loc["zipf_slope", "value"] is None
    (2, True)
    """
    z, p = summary.zipf, summary.power_law
    rows = _Rows()
    rows.add("zipf_slope", "Zipf: slope of log10 posts on log10 rank", z.slope, detail=z.reason or "")
    rows.add("zipf_intercept", "Zipf: intercept", z.intercept)
    rows.add("zipf_r_squared", "Zipf: R squared", z.r_squared,
             reference="van Mierlo 2015: .95-.975")
    rows.add("zipf_n", "Zipf: posters fitted", z.n, people=True)
    rows.add("powerlaw_alpha", "Power law: alpha (MLE)", p.alpha, detail=p.reason or "",
             reference="Clauset, Shalizi & Newman 2009")
    rows.add("powerlaw_x_min", "Power law: x_min (minimum KS distance)", p.x_min)
    rows.add("powerlaw_ks_distance", "Power law: KS distance", p.ks_distance)
    rows.add("powerlaw_n_tail", "Power law: posters in the tail (>= x_min)", p.n_tail, people=True)
    notes = [f"Over posters (n = {z.n:,}); the power-law tail needs at least {p.min_tail} posters."]
    return Table("fits", "Rank-frequency (Zipf) and power-law fits of posts per poster",
                 rows.frame(), rows.protection, notes)


# ---------------------------------------------------------------------------
# Engagement
# ---------------------------------------------------------------------------

def engagement(delurking, ladder, frequency, survival, description) -> Table:
    """De-lurking, ladder moves, posting frequency, tenure and withdrawal.

    Parameters
    ----------
    delurking : DataFrame
        :func:`peerscope.participation.engagement.delurking`.
    ladder : peerscope.participation.engagement.LadderMoves
    frequency : DataFrame
        :func:`peerscope.participation.engagement.frequency`.
    survival : peerscope.participation.engagement.Survival
    description : peerscope.corpus.description.Description
        What the corpus holds (:func:`peerscope.corpus.description.describe`).

    Returns
    -------
    Table

    Examples
    --------
    >>> from peerscope.corpus.description import describe
    >>> from peerscope.datasets.examples import tiny_forum
    >>> corpus = tiny_forum()
    >>> description = describe(corpus)
    >>> from peerscope.participation import engagement as e
    >>> table = engagement(e.delurking(corpus), e.ladder_by_month(corpus), e.frequency(corpus),
    ...                    e.survival(corpus), description)
    >>> table.frame.loc[["delurk_members", "delurked", "still_lurking"], "value"].tolist()
    [4, 2, 2]
    """
    rows = _Rows()
    origin = len(delurking)
    delurked = int(delurking["delurked"].sum()) if origin else 0
    rows.add("delurk_members", "Members with a join date or first view", origin, people=True)
    rows.add("delurked", "... who posted in the window (de-lurked)", delurked, people=True)
    rows.add("still_lurking", "... who did not post", origin - delurked, people=True)
    rows.add("delurked_share", "De-lurked share", delurked / origin if origin else None,
             share_of="delurk_members")
    days = delurking.loc[delurking["delurked"], "days_to_first_post"] if origin else pd.Series(dtype=float)
    rows.add("median_days_to_first_post", "Median days from joining (or first view) to first post",
             float(days.median()) if len(days) else None)
    rows.add("ladder_active", "Members active in some month of the window (ladder)",
             ladder.active_members, people=True)
    rows.add("ladder_climbers", "... who later reached a rung above all their earlier months'",
             ladder.climbers, people=True,
             detail=f"a return to a rung held before is not a climb; host_repliers = {ladder.host_repliers}")
    rows.add("ladder_climbed_share", "Share of active members who climbed the ladder",
             ladder.climbers / ladder.active_members if ladder.active_members else None,
             share_of="ladder_active")
    rows.add("frequency_posters", "Posters", len(frequency), people=True)
    rows.add("median_posts_per_active_week", "Median posts per active week",
             _median(frequency["posts_per_active_week"]))
    rows.add("median_active_weeks", "Median active weeks", _median(frequency["active_weeks"]))
    rows.add("burstiness_posters", "Posters with >= 3 posts (burstiness needs two gaps)",
             int(frequency["burstiness"].notna().sum()), people=True)
    rows.add("median_burstiness", "Median burstiness of gaps between their posts",
             _median(frequency["burstiness"]), reference="Goh & Barabasi 2008")
    members = survival.members
    withdrawn = int(members["withdrawn"].sum())
    rows.add("tenure_posters", "Posters followed for tenure", len(members), people=True)
    rows.add("withdrawn", "... who withdrew", withdrawn, people=True,
             detail=f"no post for {_days(survival.withdrawal)} before "
                    f"{_time(survival.observation_end) or 'the end'}")
    rows.add("still_active", "... still active (censored)", len(members) - withdrawn, people=True)
    rows.add("median_tenure_days", "Median tenure, days (Kaplan-Meier)", survival.median_tenure_days,
             reference="Kaplan & Meier 1958",
             detail="" if survival.median_tenure_days is not None else "survival never fell to 0.5")
    protection = rows.protection
    protection.total(("delurk_members", "value"), [("delurked", "value"), ("still_lurking", "value")])
    protection.total(("tenure_posters", "value"), [("withdrawn", "value"), ("still_active", "value")])
    protection.derive(("delurked_share", "value"), [("delurked", "value"), ("delurk_members", "value")])
    protection.derive(("ladder_climbed_share", "value"), [("ladder_climbers", "value"),
                                                          ("ladder_active", "value")])
    notes = capability_notes(description, "lurkers")
    if not origin:
        notes.append("Not measured: de-lurking (no join dates and no view, read or delivery events).")
    return Table("engagement", "Engagement: de-lurking, ladder, frequency, tenure and withdrawal",
                 rows.frame(), protection, notes)


def _median(values: pd.Series) -> float | None:
    values = values.dropna()
    return float(values.median()) if len(values) else None


def _days(delta: pd.Timedelta) -> str:
    return f"{delta / pd.Timedelta(days=1):g} days"


def ladder_levels(activity: pd.DataFrame, ladder_names) -> Table:
    """Members by the highest rung of the participation ladder reached in the window.

    Parameters
    ----------
    activity : DataFrame
        :func:`peerscope.participation.activity`.
    ladder_names : sequence of str
        The rungs, lowest first (:data:`peerscope.participation.LADDER`).

    Returns
    -------
    Table

    Examples
    --------
    >>> from peerscope.corpus.description import describe
    >>> from peerscope.datasets.examples import tiny_forum
    >>> corpus = tiny_forum()
    >>> description = describe(corpus)
    >>> from peerscope.participation import LADDER, activity
    >>> ladder_levels(activity(corpus), LADDER).frame["members"].tolist()
    [2, 0, 0, 2, 0, 0, 4]
    """
    counts = activity["ladder_level"].value_counts().reindex(range(len(ladder_names)), fill_value=0)
    keys = [f"level_{i}" for i in range(len(ladder_names))]
    frame = pd.DataFrame({"level": list(range(len(ladder_names))) + [None],
                          "rung": list(ladder_names) + ["all members"],
                          "members": [int(n) for n in counts] + [int(counts.sum())]},
                         index=pd.Index(keys + ["total"], name="level_key"))
    frame = frame.astype({"members": object})
    frame["level"] = pd.Series(list(range(len(ladder_names))) + [None], index=frame.index, dtype=object)
    total = int(counts.sum())
    frame["share"] = [int(n) / total if total else None for n in counts] + [1.0 if total else None]
    frame["share"] = frame["share"].astype(object)
    protection = Protection()
    protection.count_column("members", list(frame.index))
    protection.total(("total", "members"), [(k, "members") for k in keys])
    for key in keys:
        protection.derive((key, "share"), [(key, "members")])
    notes = ["Ladder (docs/concepts.md): none < read/receive < post < reply to others < initiate for "
             "others < moderate/facilitate; a member's level is the highest rung reached."]
    return Table("ladder_levels", "Members by participation ladder level", frame, protection, notes)


# ---------------------------------------------------------------------------
# Reciprocity
# ---------------------------------------------------------------------------

def reciprocity(result, description) -> Table:
    """Reply graph, dyadic reciprocity, give/receive roles, generalised and serial reciprocity.

    Parameters
    ----------
    result : peerscope.reciprocity.ReciprocitySummary
    description : peerscope.corpus.description.Description
        What the corpus holds (:func:`peerscope.corpus.description.describe`).

    Returns
    -------
    Table

    Examples
    --------
    >>> from peerscope.corpus.description import describe
    >>> from peerscope.datasets.examples import tiny_forum
    >>> corpus = tiny_forum()
    >>> description = describe(corpus)
    >>> from peerscope.reciprocity import summary
    >>> table = reciprocity(summary(corpus), description)
    >>> table.frame.loc[["edges", "reciprocated_edges", "dyadic_reciprocity"], "value"].tolist()
    [2, 2, 1.0]
    """
    rows = _Rows()
    for status, n in result.graph.accounting.items():
        rows.add(f"replies_{status}", f"Replies: {status.replace('_', ' ')}", n)
    rows.add("edges", "Distinct directed person-to-person edges", result.dyadic.edges)
    rows.add("reciprocated_edges", "Edges whose reverse exists", result.dyadic.reciprocated_edges)
    rows.add("dyadic_reciprocity", "Dyadic reciprocity", result.dyadic.value,
             detail=result.dyadic.reason or "", reference="networkx reciprocity definition")
    balance = result.balance
    roles = balance.role_counts
    rows.add("balance_members", "Members who posted or were replied to", sum(roles.values()), people=True)
    for role, n in roles.items():
        rows.add(f"role_{role}", f"... role: {role}", n, people=True)
    rows.add("balanced_share", "Balanced (given / received within 1/k .. k) among 'both'",
             balance.balanced_share, share_of="role_both",
             detail=f"k = {balance.parameters.get('balanced_ratio')}", reference="Bracke et al. 2008")
    rows.add("median_balance", "Median balance (given - received) / (given + received)",
             balance.median_balance)
    g = result.generalised
    rows.add("receivers", "Members who received a reply", g.receivers, people=True)
    rows.add("paid_forward", "... who later replied to someone who had not replied to them",
             g.paid_forward, people=True)
    rows.add("paid_forward_share", "Paid-forward share", g.paid_forward_share, share_of="receivers")
    rows.add("returned_share", "Returned share (replied to a helper)", g.returned_share,
             share_of="receivers")
    rows.add("median_hours_to_pay_forward", "Median hours from first receiving to paying forward",
             g.median_hours_to_pay_forward)
    s = result.serial
    rows.add("serial_members", "Members in the serial-reciprocity analysis", s.n_members, people=True,
             detail=f"tenure parts = {s.parameters.get('tenure_bins')}, "
                    f"min posts = {s.parameters.get('min_posts')}")
    for part, share in zip(s.trend["part"], s.trend["mean_giving_share"]):
        rows.add(f"giving_share_part_{part}", f"Mean giving share in tenure part {int(part) + 1}", share)
    rows.add("serial_slope", "Slope of giving share per tenure part", s.slope)
    rows.add("rising_share", "Share of members giving more in their last part than in their first",
             s.rising_share)
    m = result.motifs
    rows.add("exchanges", "A -> B -> A exchanges", m.total, detail=m.reason or "")
    rows.add("threads_with_exchanges", "Threads with an exchange", m.threads_with_exchanges)
    protection = rows.protection
    protection.total(("balance_members", "value"), [(f"role_{r}", "value") for r in roles])
    protection.derive(("paid_forward_share", "value"), [("paid_forward", "value"), ("receivers", "value")])
    protection.derive(("balanced_share", "value"), [("role_both", "value")])
    notes = capability_notes(description, "reciprocity")
    notes.append(f"Reply structure: {result.reply_structure}"
                 + ("; in flat threads every reply points at the opening poster."
                    if result.reply_structure == "flat" else "."))
    return Table("reciprocity", "Reciprocity: reply graph, give/receive roles, generalised and serial",
                 rows.frame(), protection, notes)


def responsiveness(result, description) -> Table:
    """Answered opening posts, time to first response, and return of the opening poster.

    Parameters
    ----------
    result : peerscope.reciprocity.ReciprocitySummary
    description : peerscope.corpus.description.Description
        What the corpus holds (:func:`peerscope.corpus.description.describe`).

    Returns
    -------
    Table

    Examples
    --------
    >>> from peerscope.corpus.description import describe
    >>> from peerscope.datasets.examples import tiny_forum
    >>> corpus = tiny_forum()
    >>> description = describe(corpus)
    >>> from peerscope.reciprocity import summary
    >>> table = responsiveness(summary(corpus), description)
    >>> table.frame.loc[["opening_posts", "answered", "hours_to_first_response_q50"], "value"].tolist()
    [2, 1, 25.0]
    """
    r = result.responsiveness
    rows = _Rows()
    rows.add("opening_posts", "Opening posts", r.opening_posts)
    rows.add("answered", "... answered", r.answered)
    rows.add("answered_share", "Answered share", r.answered_share)
    daily = description.time_resolution == "day"
    for q, hours in r.hours_to_first_response.items():
        rows.add(f"hours_to_first_response_q{round(q * 100)}",
                 f"Hours to first response, {round(q * 100)}th percentile",
                 "not measurable" if daily else hours,
                 detail="times recorded to the day: hours between posts are not known" if daily else "")
    rows.add("return_share", "Share of answered opening posters who posted again in the thread",
             r.return_share, reference="Wang, Kraut & Levine 2012")
    notes = capability_notes(description, "responsiveness")
    notes.append(f"Responses counted: {r.parameters.get('responses')} (replies by others; "
                 "bots left out unless 'others_and_bots').")
    return Table("responsiveness", "Responsiveness to opening posts", rows.frame(), rows.protection, notes)


# ---------------------------------------------------------------------------
# Forms and pathways
# ---------------------------------------------------------------------------

def forms_over_tenure(curve, forms) -> Table:
    """Mean forms in use by months since first use, next to the Side by Side figures.

    Parameters
    ----------
    curve : peerscope.pluralism.TenureCurve
    forms : sequence of str
        The forms whose shares are shown (:data:`peerscope.pluralism.FORMS`).

    Returns
    -------
    Table

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import pluralism
    >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
    >>> from peerscope.datasets.examples import tiny_pathways
    >>> corpus = tiny_pathways()
    >>> table = forms_over_tenure(pluralism.forms_over_tenure(corpus), pluralism.FORMS)
    >>> table.frame[["members", "mean_forms"]].values.tolist()
    [[2, 1.5], [1, 1.0]]
    """
    frame = curve.frame.head(TENURE_ROWS).copy()
    frame.index = pd.Index([f"month_{k}" for k in frame["periods_since_first_use"]], name="period_key")
    columns = ["periods_since_first_use", "members", "members_using", "mean_forms"]
    columns += [f"share_{f}" for f in forms if f"share_{f}" in frame]
    frame = frame[columns].astype(object)
    frame["side_by_side"] = [SIDE_BY_SIDE_FORMS.get(int(k)) for k in frame["periods_since_first_use"]]
    protection = Protection()
    for key in frame.index:
        protection.count(key, "members")
        protection.count(key, "members_using")
        for form in forms:
            if f"share_{form}" in frame:
                protection.share((key, f"share_{form}"), (key, "members"))
        protection.derive((key, "mean_forms"), [(key, "members")])
        protection.derive((key, "members_using"), [(key, "members")])
    notes = [f"Periods: {curve.parameters.get('freq')} in {curve.parameters.get('tz')}; members "
             "observed k periods after their first use; those using nothing count 0. Reference: "
             "Side by Side evaluation (786 participants), 2.5 / 2 / 1.5 forms at months 0 / 5 / 11."]
    return Table("forms_over_tenure", "Forms of peer support in use by months since first use",
                 frame, protection, notes)


def _member_counts(name: str, title: str, labels, counts, total_label: str, notes) -> Table:
    """A table of members per category with a total row and shares; protected."""
    counts = [int(n) for n in counts]
    total = sum(counts)
    keys = list(labels) + ["total"]
    frame = pd.DataFrame({"members": counts + [total]}, index=pd.Index(keys, name=name + "_key"),
                         dtype=object)
    frame.insert(0, "label", list(labels) + [total_label])
    frame["share"] = [n / total if total else None for n in counts] + [1.0 if total else None]
    frame["share"] = frame["share"].astype(object)
    protection = Protection()
    protection.count_column("members", keys)
    protection.total(("total", "members"), [(k, "members") for k in labels])
    for key in labels:
        protection.derive((key, "share"), [(key, "members")])
    return Table(name, title, frame, protection, list(notes))


def combinations(result) -> list[Table]:
    """Members by the exact set of forms ever used, and single / sequential / concurrent use.

    Parameters
    ----------
    result : peerscope.pluralism.Combinations

    Returns
    -------
    list of Table
        ``form_combinations`` and ``use_patterns``.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import pluralism
    >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
    >>> from peerscope.datasets.examples import tiny_pathways
    >>> corpus = tiny_pathways()
    >>> by_set, by_pattern = combinations(pluralism.combinations(corpus))
    >>> by_set.frame[["label", "members"]].values.tolist()
    [['online+group', 1], ['one_to_one', 1], ['all members using a form', 2]]
    >>> by_pattern.name
    'use_patterns'
    """
    sets = result.sets
    by_set = _member_counts("form_combinations", "Members by the set of forms of support ever used",
                            sets["forms"].tolist(), sets["members"].tolist(), "all members using a form",
                            ["Exclusive sets (UpSet-style): a member using group, online and one to "
                             "one counts only in that set. Interview study reference (18 people): "
                             "all three 6, group+online 3, group+one_to_one 7, online+one_to_one 2."])
    patterns = result.patterns
    by_pattern = _member_counts("use_patterns", "Single, sequential and concurrent use of forms",
                                patterns["pattern"].tolist(), patterns["members"].tolist(),
                                "all members using a form",
                                ["Sequential: no two forms' spans (first to last period of use) "
                                 "share a period; concurrent: some two do."])
    return [by_set, by_pattern]


def pathways(result) -> list[Table]:
    """First forms, and the most common orders of first use of the forms.

    Parameters
    ----------
    result : peerscope.pluralism.Pathways

    Returns
    -------
    list of Table
        ``first_forms`` and ``pathways``.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import pluralism
    >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
    >>> from peerscope.datasets.examples import tiny_pathways
    >>> corpus = tiny_pathways()
    >>> first, orders = pathways(pluralism.pathways(corpus))
    >>> orders.frame[["label", "members"]].values.tolist()
    [['online>group', 1], ['one_to_one', 1], ['all members', 2]]
    """
    first = result.first_forms
    first_table = _member_counts("first_forms", "First form of peer support used",
                                 first["form"].tolist(), first["members"].tolist(), "all members",
                                 ["Order of first use to the microsecond; ties in the order of FORMS."])
    counts = result.members["pathway"].value_counts()
    shown = counts.head(TOP_PATHWAYS)
    labels, values = list(shown.index), list(shown.to_numpy())
    if len(counts) > TOP_PATHWAYS:
        labels.append("other pathways")
        values.append(int(counts.iloc[TOP_PATHWAYS:].sum()))
    path_table = _member_counts("pathways", "Pathways: forms in order of first use", labels, values,
                                "all members", [f"The {TOP_PATHWAYS} most common pathways; "
                                                "'a>b' means a was used before b."])
    return [first_table, path_table]


def active_passive(result) -> Table:
    """Active vs passive-only users of each form.

    Parameters
    ----------
    result : peerscope.pluralism.ActivePassive

    Returns
    -------
    Table

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import pluralism
    >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
    >>> from peerscope.datasets.examples import tiny_pathways
    >>> corpus = tiny_pathways()
    >>> table = active_passive(pluralism.active_passive(corpus))
    >>> table.frame.loc["any"].tolist(), table.frame.loc["group", "passive_only"]
    ([2, 2, 0, 1.0], 1)
    """
    frame = result.frame.set_index("form")
    frame.index.name = "form"
    frame = frame[["members", "active", "passive_only", "share_active"]].astype(object)
    protection = Protection()
    for form in frame.index:
        for column in ("members", "active", "passive_only"):
            protection.count(form, column)
        protection.total((form, "members"), [(form, "active"), (form, "passive_only")])
        protection.derive((form, "share_active"), [(form, "active"), (form, "members")])
    notes = [f"Active kinds: {', '.join(result.parameters.get('active_kinds', []))}; passive kinds: "
             f"{', '.join(result.parameters.get('passive_kinds', []))}; posts and newsletter items are active."]
    return Table("active_passive", "Active and passive-only use of each form", frame, protection, notes)


# ---------------------------------------------------------------------------
# Newsletters
# ---------------------------------------------------------------------------

_NEWSLETTER_ROWS = {
    "issues": ("Issues", False), "first_issue": ("First issue", False),
    "last_issue": ("Last issue", False), "gap_days_mean": ("Mean days between issues", False),
    "gap_days_median": ("Median days between issues", False),
    "gap_days_cv": ("Coefficient of variation of the gaps", False),
    "items": ("Items", False), "items_per_issue": ("Items per issue", False),
    "member_items": ("Items written by members", False),
    "member_item_share": ("Share of items written by members", False),
    "contributors": ("Contributing members", True),
    "contributors_per_issue": ("Contributors per issue", False),
    "top_contributor_share": ("Share of member items by the top contributors", False),
    "recipients": ("Recipients (reach)", True),
    "passive_only_recipients": ("Recipients who only receive", True),
    "contributors_receiving": ("Contributors who also receive", True),
    "contributors_active_elsewhere": ("Contributors active in another form", True),
}


def newsletters(result) -> Table:
    """Cadence, member authorship, contributors and reach of each newsletter (one column each).

    Parameters
    ----------
    result : peerscope.pluralism.newsletters.NewsletterSummary

    Returns
    -------
    Table

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> from peerscope.pluralism import newsletters as letters
    >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
    >>> posts = pd.DataFrame({"post_id": ["p1"], "thread_id": ["p1"], "parent_id": [None],
    ...                       "author_id": ["ann"], "created_at": t("2024-01-20"), "text": ["hi"]})
    >>> items = pd.DataFrame({"item_id": ["a1", "a2", "b1"], "issue_id": ["jan", "jan", "feb"],
    ...                       "newsletter": ["Post"] * 3, "author_id": ["ann", None, "bob"],
    ...                       "published_at": t("2024-01-05", "2024-01-05", "2024-02-05"),
    ...                       "text": ["", "", ""]})
    >>> corpus = Corpus.from_frames(posts, newsletter_items=items)
    >>> table = newsletters(letters.summary(corpus))
    >>> table.frame.loc[["issues", "items", "member_items", "gap_days_mean"], "Post"].tolist()
    [2, 3, 2, 31.0]
    """
    per = result.frame.set_index("newsletter")
    frame = pd.DataFrame(index=pd.Index(list(_NEWSLETTER_ROWS), name="measure"))
    frame.insert(0, "label", [label for label, _ in _NEWSLETTER_ROWS.values()])
    protection = Protection()
    for name in per.index:
        values = []
        for key in _NEWSLETTER_ROWS:
            value = per.at[name, key]
            values.append(_time(value)[:10] if isinstance(value, pd.Timestamp) else _plain(value))
        frame[str(name)] = pd.Series(values, index=frame.index, dtype=object)
        for key, (_, people) in _NEWSLETTER_ROWS.items():
            if people:
                protection.count(key, str(name))
    notes = [f"Top contributors: the {result.parameters.get('top')} members who wrote most items. "
             f"Recipients: {result.parameters.get('recipient_match')}; unmatched receive events: "
             f"{result.parameters.get('unmatched_receive_events')}."]
    return Table("newsletters", "Peer newsletters: cadence, contributors and reach", frame, protection, notes)


# ---------------------------------------------------------------------------
# Topics and support types
# ---------------------------------------------------------------------------

def topics(model, coherence, baseline, n_terms: int = 8) -> Table:
    """Each topic's top terms, share of posts, and NPMI coherence beside the shuffled-words baseline.

    Parameters
    ----------
    model : peerscope.topics.TopicModel
    coherence : peerscope.topics.Coherence
        NPMI of the model's topics (:func:`peerscope.topics.coherence`).
    baseline : peerscope.topics.Coherence
        NPMI of the same method fitted on the words shuffled across posts
        (:func:`peerscope.topics.coherence_baseline`): what the method finds
        in noise.  The model's topics mean something only well above it.
    n_terms : int
        Top terms listed per topic.

    Returns
    -------
    Table
        One row per topic and a row ``all`` with the mean NPMI and the
        baseline's.

    Examples
    --------
    >>> from peerscope.topics import coherence, coherence_baseline, fit
    >>> texts = ["sleep insomnia tired night"] * 20 + ["mum dad family kids"] * 20
    >>> model = fit(texts, k=2, method="nmf", seed=0, min_df=1)
    >>> table = topics(model, coherence(model), coherence_baseline(model), 3)
    >>> sorted(table.frame["terms"].dropna())
    ['mum dad family', 'sleep insomnia tired']
    >>> table.frame.loc["all", "share_of_posts"]
    1.0
    """
    summary = model.summary(n_terms)
    dominant = summary["dominant_documents"].to_numpy()
    used = dominant.sum()
    frame = pd.DataFrame({
        "label": summary["label"].to_numpy(dtype=object),
        "terms": summary["terms"].to_numpy(dtype=object),
        "share_of_posts": dominant / used if used else np.full(len(dominant), np.nan),
        "npmi": np.asarray(coherence.per_topic, dtype=float),
        "shuffled_baseline_npmi": np.nan,
    }, index=pd.Index([str(t) for t in summary["topic"]], name="topic")).astype(object)
    frame.loc["all"] = ["all topics", None, 1.0 if used else None, coherence.value, baseline.value]
    method = {"nmf": "NMF", "lda": "LDA"}.get(model.method, model.method)
    notes = [f"{method} with k = {model.k} topics on {len(model.docs):,} posts; share_of_posts: "
             "posts whose largest topic share is the topic (counts of posts, not people). "
             f"npmi: NPMI coherence of the top {coherence.top_n} terms in a sliding window of "
             f"{coherence.window_size} terms over the posts (Bouma 2009); shuffled_baseline_npmi: the "
             "same method fitted on the posts' words shuffled across posts, scored on the real posts."]
    return Table("topics", "Topics", frame, notes=notes)


def topic_odds(comparison: pd.DataFrame, group_size: int, min_cell: int) -> Table:
    """Topics of super-users' posts against everyone else's: odds ratios, intervals, Holm p.

    As Carron-Arthur et al. (2016) compared BlueBoard's super-users with other
    members topic by topic: per topic, the odds that a super-user's post is
    dominated by it against the same odds for other posters' posts.

    Parameters
    ----------
    comparison : DataFrame
        :func:`peerscope.topics.prevalence.compare_groups` of the super-users.
    group_size : int
        Super-users in the group; named in the note only when at least
        ``min_cell`` (a note is a published cell too).
    min_cell : int

    Returns
    -------
    Table

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> from peerscope.topics import compare_groups, fit
    >>> posts = pd.DataFrame({"post_id": [f"p{i}" for i in range(40)],
    ...     "thread_id": [f"p{i}" for i in range(40)], "parent_id": [None] * 40,
    ...     "author_id": ["ann"] * 20 + ["bob"] * 20,
    ...     "text": ["sleep insomnia tired night"] * 20 + ["mum dad family kids"] * 20,
    ...     "created_at": pd.to_datetime(["2024-01-05", "2024-02-05"] * 20, utc=True)})
    >>> model = fit(Corpus.from_frames(posts), k=2, method="nmf", seed=0, min_df=1)
    >>> table = topic_odds(compare_groups(model, {"ann"}), 1, min_cell=5)
    >>> table.name, table.frame.columns.tolist()[:3]
    ('topic_odds', ['label', 'super_user_share', 'other_share'])
    >>> "fewer than 5" in table.notes[0]
    True
    """
    columns = {"label": "label", "group_share": "super_user_share", "other_share": "other_share",
               "odds_ratio": "odds_ratio", "ci_low": "ci_low", "ci_high": "ci_high",
               "p_value": "p_value", "p_holm": "p_holm"}
    frame = comparison.set_index("topic")[list(columns)].rename(columns=columns)
    who = f"{group_size:,} members" if group_size >= min_cell else f"fewer than {min_cell} members"
    attrs = comparison.attrs
    notes = [f"Share of posts dominated by each topic, super-users ({who}) against other posters; "
             f"odds ratios with {attrs['confidence']:.0%} intervals ({attrs['interval']}), "
             f"{attrs['test']} and Holm-adjusted p-values over the topics (as Carron-Arthur et al. "
             "2016). Shares are of posts, not people."]
    return Table("topic_odds", "Topics of super-users' posts against other posters'", frame, notes=notes)


def topic_sweep(sweep: pd.DataFrame, chosen: int) -> Table:
    """The sweep over k that chose the number of topics (``topics="auto"``).

    Parameters
    ----------
    sweep : DataFrame
        One row per k tried (the model's ``sweep_table``).
    chosen : int
        The k chosen.

    Returns
    -------
    Table
    """
    frame = sweep.set_index("k").drop(columns="chosen", errors="ignore")
    frame.insert(0, "chosen", ["yes" if k == chosen else "" for k in frame.index])
    notes = [f"k = {chosen} was chosen by the rule in the methods text; every k tried is listed."]
    return Table("topic_sweep", "Choosing the number of topics", frame, notes=notes)


def support_types(shares: pd.DataFrame, groups: dict) -> Table:
    """Shares of each support type in all posts and by group, with bootstrap intervals.

    Parameters
    ----------
    shares : DataFrame
        :func:`peerscope.report.content.support_shares`.
    groups : dict
        Group key -> label (:data:`peerscope.report.content.GROUPS`).

    Returns
    -------
    Table
        Indexed by ``group.support_type``; ``authors`` counts people and is
        suppressed when small, and the shares of a group with few authors
        are hidden with it (they describe those few people's posts).

    Examples
    --------
    >>> shares = pd.DataFrame({"group": ["all", "all"], "support_type": ["emotional", "other"],
    ...     "posts": [30, 70], "authors": [12, 12], "share": [0.3, 0.7], "ci_low": [0.2, 0.6],
    ...     "ci_high": [0.4, 0.8]})
    >>> table = support_types(shares, {"all": "all posts"})
    >>> table.frame.loc["all.emotional", ["posts", "share"]].tolist()
    [30, 0.3]
    """
    frame = shares.copy()
    frame.insert(1, "posts_in", frame["group"].map(groups))
    frame.index = pd.Index(frame["group"] + "." + frame["support_type"], name="row")
    frame = frame.astype(object)
    protection = Protection()
    protection.count_column("authors", list(frame.index))
    for row in frame.index:
        protection.derive((row, "share"), [(row, "authors")])
        protection.derive((row, "ci_low"), [(row, "authors")])
        protection.derive((row, "ci_high"), [(row, "authors")])
    notes = ["Shares of posts of each support type; intervals from a bootstrap that resamples "
             "authors (each author's posts together), so that one prolific voice does not make them "
             "narrow. posts counts posts, authors counts the distinct known authors of the group's "
             "posts; the shares of a group with few authors are hidden with its author count."]
    return Table("support_types", "Support types in posts", frame, protection, notes)


def group_comparison(result, name: str, title: str) -> list[Table]:
    """A group comparison (``summary(..., by=...)``) as two tables: the estimates and the tests.

    The estimates are one row per statistic and group (key
    ``"<statistic>:<group>"``), with ``value`` (counts as integers) and its
    interval; a row ``"<size>:all"`` adds up the group sizes.  Small
    cells: counts of people are protected as such; every other cell of a
    group (its posts, estimates, shares, intervals) is hidden with the
    group's size, and a share of people (``lurker_share``, ``share_<role>``)
    with its count, so a group of fewer than K people shows nothing but
    ``<K``; the group sizes add up to the total, so one small group cannot be
    recovered from the others (complementary suppression).  The tests name
    their groups and carry no count of people.

    Parameters
    ----------
    result : peerscope.participation.groups.GroupComparison
    name : str
        Stem of the tables: ``name`` and ``name + "_tests"``.
    title : str
        Caption of the estimates (the tests get ``title + ": tests"``).

    Returns
    -------
    list of Table

    Examples
    --------
    >>> from peerscope import participation
    >>> from peerscope.datasets.examples import tiny_moderated
    >>> result = participation.summary(tiny_moderated(), by="role", replicates=50)
    >>> estimates, tests = group_comparison(result, "participation_by_role", "Participation by role")
    >>> estimates.frame.loc[["members:member", "members:moderator", "members:all"], "value"].tolist()
    [3, 1, 4]
    >>> estimates.protection.people[("posters:member", "value")] is None
    True
    """
    size = result.basis.split()[0]   # "members", "posters" ("members of the reply graph": members)
    people = {"members", "posters", "lurkers", "super_users", "withdrawn"}
    frame_rows, protection = {}, Protection()
    estimates = result.estimates
    measured = estimates["count"].notna() | estimates["value"].notna()
    unmeasured = sorted(set(estimates["statistic"]) - set(estimates.loc[measured.to_numpy(), "statistic"]))
    estimates = estimates[~estimates["statistic"].isin(unmeasured)]
    for row in estimates.itertuples(index=False):
        key = f"{row.statistic}:{row.group}"
        value = row.count if row.kind == "count" else row.value
        frame_rows[key] = {"statistic": row.statistic, "group": row.group,
                           "value": None if pd.isna(value) else _plain(value),
                           "ci_low": _plain(row.ci_low), "ci_high": _plain(row.ci_high)}
        if row.kind == "count" and (row.statistic in people or row.statistic.startswith("members_")):
            protection.count(key, "value")
        else:
            sources = {f"{size}:{row.group}", f"{_people_behind(row.statistic)}:{row.group}"}
            protection.derive((key, "value"), [(source, "value") for source in sorted(sources)])
        for column in ("ci_low", "ci_high"):
            if frame_rows[key][column] is not None:
                protection.derive((key, column), [(key, "value")])
    sizes = [f"{size}:{group}" for group in result.groups if f"{size}:{group}" in frame_rows]
    total = f"{size}:all"
    frame_rows[total] = {"statistic": size, "group": "all",
                         "value": int(sum(frame_rows[k]["value"] or 0 for k in sizes)),
                         "ci_low": None, "ci_high": None}
    protection.count(total, "value")
    protection.total((total, "value"), [(k, "value") for k in sizes])
    index = pd.Index(list(frame_rows), name="row")
    # object columns keep counts as Python ints (as _Rows does)
    frame = pd.DataFrame({column: pd.Series([row[column] for row in frame_rows.values()], index=index, dtype=object)
                          for column in ("statistic", "group", "value", "ci_low", "ci_high")})
    groups = ", ".join(result.groups)
    notes = [f"Groups by the member attribute {result.attribute!r}: {groups}; group sizes are "
             f"{result.basis}. 'unknown' holds members without a value and is not tested; 'other' "
             "pools the values not compared.",
             "Intervals: Wilson for shares, percentile bootstrap for Gini coefficients."]
    if unmeasured:
        notes.append(f"Not measurable for any group (left out): {', '.join(unmeasured)}.")
    tests = result.tests.copy()
    tests.index = pd.Index([f"{s}:{i}" for i, s in enumerate(tests["statistic"])], name="row")
    tests = tests.astype(object).where(tests.notna(), None)
    test_notes = ["Chi-square test of independence for shares and roles (Yates' correction for 2 x 2), "
                  "Mann-Whitney U (two groups) or Kruskal-Wallis H (more) for posts per poster, "
                  "the percentile bootstrap interval of the difference for the Gini coefficient; "
                  f"groups compared: {', '.join(result.compared) or 'none'}."]
    return [Table(name, title, frame, protection, notes),
            Table(f"{name}_tests", f"{title}: tests", tests, notes=test_notes)]


def _people_behind(statistic: str) -> str:
    """The count of people a group's statistic rests on (its row is hidden with that count)."""
    if statistic == "lurker_share":
        return "lurkers"
    if statistic.startswith("share_"):
        return "members_" + statistic[len("share_"):]
    if statistic == "super_user_share":
        return "super_users"
    if statistic == "withdrawn_share":
        return "withdrawn"
    if statistic in ("posts", "gini_posters", "posts_per_poster_median", "median_tenure_days"):
        return "posters"
    return "members"
