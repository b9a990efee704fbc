"""Who takes part and how: per-member activity, lurkers, super-users, inequality.

The participation statistics a paper quotes first -- how many members never
post, how much the top 1% write, how unequal posting is -- are computed here
from the non-text columns of a :class:`~peerscope.Corpus`, on pandas or Dask
corpora alike (``docs/scaling.md``), for the whole corpus or a time
window ``[start, end)``.

People
------
Members with role ``bot`` are left out by default (``include_bots=True``
keeps them).  Posts with a null author or by a ``deleted`` or ``anonymous``
id are counted in the corpus totals (``posts_by_unknown_authors``) but never
as one member's.  The *population* of a window is

- with a roster: the roster members of the window (those who had joined
  before its end and had not left before its start), plus any poster of the
  window the roster dates leave out (``basis="roster"``);
- without a roster but with view, read or delivery (``receive``) events: the
  people with such events in the window plus the posters
  (``basis="events"``; a weaker basis: people who never read are missing);
- otherwise unknown: lurkers cannot be counted from posts alone, and
  ``lurker_share`` is None with the reason (Nonnecke & Preece 2000).

The participation ladder
------------------------
Participation is an ordered ladder, not a flag (docs/concepts.md).  A member's
level in a period is the highest rung they reached in it:

====  =====================  ==========================================================
 0    none                   no recorded activity
 1    read/receive           a ``view``, ``read``, ``receive`` or ``attend`` event
 2    post                   at least one post (opening posts, or replies to oneself)
 3    reply to others        a reply to a post written by someone else (or by an
                             unknown author)
 4    initiate for others    started a thread to which at least ``host_repliers``
                             (default 2) other people replied, wrote a newsletter
                             item, or has a ``contribute`` event
 5    moderate/facilitate    a ``facilitate`` event, or role ``moderator`` or
                             ``facilitator`` together with any activity in the period
====  =====================  ==========================================================

References
----------
Nonnecke, B., Preece, J. (2000). Lurker demographics: counting the silent. *CHI 2000*.
Nielsen, J. (2006). Participation inequality: the 90-9-1 rule for social features.
van Mierlo, T. (2014). The 1% rule in four digital health social networks.
*J Med Internet Res* 16(2):e33.
Carron-Arthur, B., Reynolds, J., Bennett, K., Bennett, A., Griffiths, K. M. (2016).
What's all the talk about? *BMC Psychiatry* 16:367.
Clauset, A., Shalizi, C. R., Newman, M. E. J. (2009). Power-law distributions in
empirical data. *SIAM Review* 51(4):661-703.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from peerscope._kernels import columnar, engine
from peerscope._kernels.display import (Display, axes, draw_bands, draw_lorenz, draw_rank_frequency,
                                        fmt, int_array, interval, span)
from peerscope.errors import PeerscopeError

from peerscope.participation import inequality
from peerscope._kernels.align import Alignment, Target
from peerscope.corpus.window import Window
from peerscope._kernels.links import read_linked
from peerscope._kernels.memory import release_freed_memory
from peerscope._kernels.months import months_from_times
from peerscope._kernels.post_counts import post_parts, posts_per_author
from peerscope.participation.superusers import Selection, SuperUserRule, TopShare, select
from peerscope.participation.groups import GroupComparison, _participation, member_groups

__all__ = ["LADDER", "LISTENING_KINDS", "MODERATING_ROLES", "PARTS", "PASSIVE_KINDS", "TOP_SHARES",
           "UTC_TIMES", "ParticipationSummary", "activity", "assemble", "ladder_inputs",
           "ladder_levels", "roles", "summary"]

#: Rungs of the participation ladder, lowest first (index = level).
LADDER = ("none", "read/receive", "post", "reply to others", "initiate for others",
          "moderate/facilitate")
#: Event kinds that show a member read or received without posting (lurker evidence).
PASSIVE_KINDS = ("view", "read", "receive")
#: Event kinds that put a member on rung 1 of the ladder.
LISTENING_KINDS = PASSIVE_KINDS + ("attend",)
#: Roles that put an active member on the top rung.
MODERATING_ROLES = ("moderator", "facilitator")
#: Shares of members reported as top shares.
TOP_SHARES = (0.01, 0.05, 0.10)

#: pandas dtype of times in a corpus.
UTC_TIMES = "datetime64[us, UTC]"

_POST_COLUMNS = ["post_id", "thread_id", "parent_id", "author_id", "created_at"]


# ---------------------------------------------------------------------------
# Who is who
# ---------------------------------------------------------------------------

def _columns(corpus, table: str) -> list[str]:
    if not corpus.has_table(table):
        return []
    return corpus.manifest["tables"][table]["columns"]


def roles(corpus) -> pd.Series:
    """member_id -> role for every row of ``members`` (null roles read as ``member``).

    Parameters
    ----------
    corpus : peerscope.Corpus
        Any engine; only ``member_id`` and ``role`` of ``members`` are read.

    Returns
    -------
    pandas.Series
        Roles (``str``) indexed by ``member_id``; empty without a members table.

    Examples
    --------
    >>> from peerscope import participation
    >>> from peerscope.datasets.examples import tiny_moderated
    >>> corpus = tiny_moderated()
    >>> participation.roles(corpus).to_dict()
    {'ann': 'member', 'bob': 'member', 'cat': 'member', 'mod': 'moderator'}
    """
    if not corpus.has_table("members"):
        return pd.Series(dtype="str", name="role").rename_axis("member_id")
    columns = ["member_id"] + (["role"] if "role" in _columns(corpus, "members") else [])
    members = engine.collect(corpus.members(columns=columns))
    role = members["role"].fillna("member") if "role" in members else "member"
    return pd.Series(role, index=members.index, dtype="str", name="role").set_axis(
        pd.Index(members["member_id"], name="member_id"))


@dataclass(frozen=True)
class _Kinds:
    """Which author ids are left out of members' counts, and why."""

    unknown: pd.Index     # deleted / anonymous ids
    bots: pd.Index        # bots (empty when bots are included)
    role: pd.Series

    def person(self, ids: pd.Index) -> np.ndarray:
        return ~(ids.isin(self.unknown) | ids.isin(self.bots))


def _kinds(corpus, include_bots: bool) -> _Kinds:
    role = roles(corpus)
    # masks as numpy arrays: indexing with a boolean Series of a million members is slower
    # (numpy asks it for __array_interface__, which pandas looks up among the labels)
    unknown = role.index[role.isin(["deleted", "anonymous"]).to_numpy(dtype=bool)]
    bots = role.index[(role == "bot").to_numpy(dtype=bool)] if not include_bots else pd.Index([], dtype="str")
    return _Kinds(unknown, bots, role)


def _roster(corpus, start, end, kinds: _Kinds) -> pd.Index:
    """Person ids of the roster members of the window."""
    window = corpus.time_window.narrow(start, end)
    if window.start is None and window.end is None:
        ids = kinds.role.index   # no window: every member, whose roles are read already
    else:
        members = engine.collect(corpus.members(columns=["member_id"], start=start, end=end))
        ids = pd.Index(members["member_id"], name="member_id")
    return ids[kinds.person(ids)]


def _passive_people(corpus, start, end, kinds: _Kinds) -> pd.Index | None:
    """Person ids with view/read/receive events in the window (None: no such events)."""
    if not corpus.has_table("events"):
        return None
    events = corpus.events(columns=["member_id", "kind"], start=start, end=end)
    ids = engine.collect(events[events["kind"].isin(list(PASSIVE_KINDS))]["member_id"].drop_duplicates())
    if not len(ids):
        return None
    ids = pd.Index(ids, name="member_id")
    return ids[kinds.person(ids)]


def _population(corpus, start, end, kinds: _Kinds, posters: pd.Index):
    """(population ids or None, basis or None, reason or None, posters outside the roster window)."""
    if corpus.has_roster:
        roster = _roster(corpus, start, end, kinds)
        outside = posters[~_among(posters, roster)]
        return roster.append(outside), "roster", None, len(outside)
    passive = _passive_people(corpus, start, end, kinds)
    if passive is not None:
        return passive.union(posters), "events", None, 0
    return None, None, ("no member roster, view, read or delivery events: "
                        "lurkers cannot be counted from posts alone"), 0


def _among(ids: pd.Index, values: pd.Index) -> np.ndarray:
    """bool per id: it is one of ``values``.  Arrow hashes the strings as they are stored, where
    pandas' ``Index.difference`` converts them to Python objects first (125,000 roster ids at 1M
    posts: 0.013 s against 0.09 s)."""
    def strings(index):
        return pa.array(index.array, type=pa.large_string())
    return np.asarray(pc.is_in(strings(ids), value_set=strings(values)), dtype=bool)


# ---------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------

@dataclass(frozen=True, eq=False, repr=False)
class ParticipationSummary(Display):
    """Participation statistics of a corpus or window (see :func:`summary`).

    Every figure carries what made it: the window, whether bots were
    included, the population basis, the super-user rule, and for each Gini
    coefficient its basis, bootstrap replicates, confidence and seed.

    Attributes
    ----------
    window : Window
    include_bots : bool
    posts_total, posts_by_members, posts_by_unknown_authors, posts_by_bots : int
        Posts in the window, and by whom.
    members : int or None
        Size of the population (None when it cannot be known).
    population_basis : str or None
        ``"roster"`` or ``"events"``.
    posters_outside_roster_window : int
        Posters the roster dates leave out, counted as members anyway.
    posters, one_time_posters : int
        People with at least one post / exactly one post in the window.
    lurkers : int or None
        Members with no post in the window.
    lurker_share : float or None
    lurker_reason : str or None
        Why lurkers cannot be counted.
    gini_members, gini_posters : GiniResult
    top_shares : dict
        Share of people (0.01, 0.05, 0.10) -> share of members' posts.
    super_user_rule : SuperUserRule
    super_users : Selection
    super_user_share : float or None
    band_shares : dict or None
        90-9-1 band -> share of members' posts.
    band_reason : str or None
    zipf : ZipfFit
    power_law : PowerLawFit
    lorenz : DataFrame
        The Lorenz curve (:func:`peerscope.participation.inequality.lorenz`).
    lorenz_basis : str
        ``"members"`` or ``"posters"``.

    Examples
    --------
    >>> from peerscope import participation
    >>> from peerscope.datasets.examples import tiny_moderated
    >>> corpus = tiny_moderated()
    >>> result = participation.summary(corpus, replicates=50)
    >>> print(repr(result).splitlines()[3])
      members          4 (roster)
    >>> frame = result.to_frame().set_index("statistic")
    >>> frame.loc[["members", "posters"], "count"].tolist(), float(frame.loc["lurker_share", "value"])
    ([4, 2], 0.5)
    >>> frame.attrs["parameters"]["super_user_rule"][:12]
    'TopShare(0.0'
    """

    window: Window
    include_bots: bool
    posts_total: int
    posts_by_members: int
    posts_by_unknown_authors: int
    posts_by_bots: int
    members: int | None
    population_basis: str | None
    posters_outside_roster_window: int
    posters: int
    lurkers: int | None
    lurker_share: float | None
    lurker_reason: str | None
    one_time_posters: int
    gini_members: inequality.GiniResult
    gini_posters: inequality.GiniResult
    top_shares: dict
    super_user_rule: SuperUserRule
    super_users: Selection
    super_user_share: float | None
    band_shares: dict | None
    band_reason: str | None
    zipf: inequality.ZipfFit
    power_law: inequality.PowerLawFit
    lorenz: pd.DataFrame = field(repr=False)
    lorenz_basis: str = "members"

    @property
    def parameters(self) -> dict:
        """What made the summary: window, bots, population basis, super-user rule, bootstrap, tail."""
        gini = self.gini_members
        return {"start": self.window.start, "end": self.window.end, "include_bots": self.include_bots,
                "population_basis": self.population_basis, "lorenz_basis": self.lorenz_basis,
                "super_user_rule": self.super_users.rule, "replicates": gini.replicates,
                "confidence": gini.confidence, "random_state": gini.random_state,
                "min_tail": self.power_law.min_tail}

    def _display_rows(self) -> list[tuple[str, object]]:
        g_members, g_posters, selection, power = (self.gini_members, self.gini_posters, self.super_users,
                                                  self.power_law)
        bands = (self.band_reason if self.band_shares is None else
                 "top 1% {}, next 9% {}, bottom 90% {}".format(
                     *(fmt(self.band_shares[b]) for b in ("superusers", "contributors", "lurkers"))))
        return [
            ("window", span(self.window.start, self.window.end)),
            ("posts", f"{fmt(self.posts_total)} ({fmt(self.posts_by_members)} by members, "
                      f"{fmt(self.posts_by_unknown_authors)} unknown, {fmt(self.posts_by_bots)} bots)"),
            ("members", self.lurker_reason if self.members is None
             else f"{fmt(self.members)} ({self.population_basis})"),
            ("posters", f"{fmt(self.posters)} ({fmt(self.one_time_posters)} posted once)"),
            ("lurkers", self.lurker_reason if self.lurkers is None
             else f"{fmt(self.lurkers)} (share {fmt(self.lurker_share)})"),
            ("gini (members)", _gini_text(g_members)),
            ("gini (posters)", _gini_text(g_posters)),
            ("top shares", ", ".join(f"{share:.0%}: {fmt(value)}" for share, value in self.top_shares.items())),
            ("super-users", f"{fmt(len(selection.member_ids))} wrote {fmt(self.super_user_share)} of posts"),
            ("super-user rule", selection.rule),
            ("bands", bands),
            ("zipf", self.zipf.reason if self.zipf.slope is None
             else f"slope {fmt(self.zipf.slope)}, R^2 {fmt(self.zipf.r_squared)}"),
            ("power law", power.reason or f"alpha {fmt(power.alpha)}, x_min {fmt(power.x_min)}, "
                                          f"{fmt(power.n_tail)} in tail"),
            ("lorenz", f"{fmt(self.lorenz)} over {self.lorenz_basis}"),
        ]

    def to_frame(self) -> pd.DataFrame:
        """The summary as a tidy table, one row per statistic, typed by kind.

        Columns: ``statistic``, ``basis`` (members, posters or corpus),
        ``kind``, ``count`` (``Int64``: the number of count rows), ``value``
        (float: shares and estimates), ``ci_low``/``ci_high`` (bootstrap
        interval of the Gini coefficients), ``x`` (the point of a curve:
        share of people on the Lorenz curve, the share for top shares) and
        ``detail`` (text: the super-user ids, one per row, reasons for
        undefined values).  ``kind`` is ``count`` (the number is in
        ``count``; ``value`` is NaN), ``share``, ``estimate`` (a
        coefficient or fitted parameter), ``curve`` (a Lorenz point) or
        ``member`` (a super-user id in ``detail``).  The parameters (window,
        bots, population basis, super-user rule, bootstrap, ``min_tail``)
        are in ``frame.attrs["parameters"]`` (:attr:`parameters`), once.
        """
        rows = []

        def add(statistic, kind, value, basis="corpus", detail=None, low=None, high=None, x=None):
            count = value if kind == "count" else None
            number = None if kind == "count" else value
            rows.append((statistic, basis, kind, count, number, low, high, x, detail))

        for name in ("posts_total", "posts_by_members", "posts_by_unknown_authors", "posts_by_bots"):
            add(name, "count", getattr(self, name))
        add("members", "count", self.members, "members", detail=self.lurker_reason)
        add("posters_outside_roster_window", "count", self.posters_outside_roster_window, "members")
        add("posters", "count", self.posters, "posters")
        add("lurkers", "count", self.lurkers, "members", detail=self.lurker_reason)
        add("lurker_share", "share", self.lurker_share, "members", detail=self.lurker_reason)
        add("one_time_posters", "count", self.one_time_posters, "posters")
        for result in (self.gini_members, self.gini_posters):
            add(f"gini_{result.basis}", "estimate", result.value, result.basis, result.reason,
                result.ci_low, result.ci_high)
            add(f"gini_{result.basis}_n", "count", result.n, result.basis)
        for share, value in self.top_shares.items():
            add(f"top_{share:.0%}_share", "share", value, "posters", x=share)
        selection = self.super_users
        add("super_user_count", "count", len(selection.member_ids), "posters")
        add("super_user_posts", "count", selection.posts, "posters")
        add("super_user_share", "share", self.super_user_share, "posters",
            detail="share of posts by members written by super-users")
        add("super_user_cutoff_posts", "count", selection.cutoff_posts, "posters")
        add("super_user_ties_at_cutoff", "count", selection.ties_at_cutoff, "posters")
        add("super_user_ties_left_out", "count", selection.ties_left_out, "posters")
        for member in selection.member_ids:
            add("super_user", "member", None, "posters", detail=member)
        for band in ("superusers", "contributors", "lurkers"):
            add(f"band_share_{band}", "share", None if self.band_shares is None else self.band_shares[band],
                "members", detail=self.band_reason)
        zipf = self.zipf
        add("zipf_slope", "estimate", zipf.slope, "posters", detail=zipf.reason)
        add("zipf_r_squared", "estimate", zipf.r_squared, "posters", detail=zipf.reason)
        add("zipf_n", "count", zipf.n, "posters")
        power = self.power_law
        add("powerlaw_alpha", "estimate", power.alpha, "posters", detail=power.reason)
        add("powerlaw_x_min", "count", power.x_min, "posters")
        add("powerlaw_ks_distance", "estimate", power.ks_distance, "posters")
        add("powerlaw_n_tail", "count", power.n_tail, "posters")
        for x, y in zip(self.lorenz["share_of_people"], self.lorenz["share_of_posts"]):
            add("lorenz", "curve", y, self.lorenz_basis, x=x)
        frame = pd.DataFrame(rows, columns=["statistic", "basis", "kind", "count", "value", "ci_low",
                                            "ci_high", "x", "detail"])
        frame["count"] = int_array([row[3] for row in rows])
        for column in ("value", "ci_low", "ci_high", "x"):
            frame[column] = pd.to_numeric(frame[column].astype(object).where(frame[column].notna()),
                                          errors="raise").astype(float)
        frame = frame.astype({"statistic": "string", "basis": "string", "kind": "string",
                              "detail": "string"})
        frame.attrs["parameters"] = self.parameters
        return frame

    def _poster_counts(self) -> np.ndarray:
        """Posts per poster, read back from the Lorenz curve (one point per distinct count)."""
        people = self.members if self.lorenz_basis == "members" else self.posters
        curve = self.lorenz
        if len(curve) < 2 or not people or not self.posts_by_members:
            return np.zeros(0, dtype=np.int64)
        freq = np.rint(np.diff(curve["share_of_people"].to_numpy()) * people).astype(np.int64)
        posts = np.diff(curve["share_of_posts"].to_numpy()) * self.posts_by_members
        values = np.rint(posts / np.maximum(freq, 1)).astype(np.int64)
        return np.repeat(values, freq)[np.repeat(values, freq) > 0]

    def plot(self, ax=None, *, kind: str = "lorenz", **kw):
        """Draw the summary onto ``ax`` (a new pyplot figure when None); needs matplotlib.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
        kind : str
            ``"lorenz"`` (default): the Lorenz curve with the Gini
            coefficient and the 90-9-1 bands marked; ``"bands"``: the share
            of posts of each band; ``"rank_frequency"``: posts per poster
            against rank with the Zipf and power-law fits.  The same
            drawings as the report's figures (:mod:`peerscope.report.figures`).
        **kw
            Passed to the main artist (the curve, the bars, the points).

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> from peerscope import participation
        >>> from peerscope.datasets.examples import tiny_moderated
        >>> ax = participation.summary(tiny_moderated(), replicates=50).plot()
        >>> ax.get_title(), len(ax.lines[1].get_xdata())
        ('Lorenz curve of posts per member', 4)
        """
        draws = {"lorenz": lambda axes: draw_lorenz(axes, self, bands=True, **kw),
                 "bands": lambda axes: draw_bands(axes, self, **kw),
                 "rank_frequency": lambda axes: draw_rank_frequency(axes, self._poster_counts(), self.zipf,
                                                                    self.power_law, **kw)}
        if kind not in draws:
            raise PeerscopeError(f"kind must be one of {sorted(draws)}, not {kind!r}")
        ax = axes(ax)
        draws[kind](ax)
        return ax


def _gini_text(result: inequality.GiniResult) -> str:
    return result.reason or f"{fmt(result.value)} {interval(result.ci_low, result.ci_high)}"


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def summary(corpus, start=None, end=None, super_users: SuperUserRule = TopShare(0.01), *,
            include_bots: bool = False, replicates: int = 1000, confidence: float = 0.95,
            random_state: int | None = 0, min_tail: int = 10, by: str | None = None,
            groups=None) -> ParticipationSummary | GroupComparison:
    """Participation statistics of a corpus or of the window ``[start, end)``, or of each
    group of a member attribute (``by``).

    Definitions (docs/concepts.md, "Forms, channels and participation"):

    - ``members`` = size of the population (module docstring): roster
      members of the window, bots excluded unless ``include_bots``.
    - ``posters`` = people in the population with >= 1 post in the window;
      ``one_time_posters`` those with exactly 1.
    - ``lurkers`` = members with 0 posts in the window (Nonnecke & Preece
      2000); ``lurker_share = lurkers / members``.  None, with
      ``lurker_reason``, when the corpus has no roster and no view, read or
      delivery events.
    - ``posts_total = posts_by_members + posts_by_unknown_authors +
      posts_by_bots`` (the last is 0 when bots are included as members).
    - ``gini_members`` over all members (lurkers as 0) and ``gini_posters``
      over posters, each with a percentile bootstrap interval
      (:func:`peerscope.participation.inequality.gini`).
    - ``top_shares``: share of members' posts written by the top 1%, 5%,
      10% of posters (ceil(share x posters) people).
    - ``super_users``: the rule's selection (:mod:`peerscope.participation.superusers`;
      default top ceil(1% of posters), ties broken by earlier first post in
      the window then member id); ``super_user_share`` = their posts /
      ``posts_by_members``.
    - ``band_shares``: share of members' posts by the top 1%, next 9% and
      bottom 90% of all members ranked by posts (Nielsen 2006; van Mierlo
      2014 found 74.7 / 24.0 / 1.3%); None without a population.
    - ``zipf``: OLS of log10 posts on log10 rank over posters;
      ``power_law``: discrete power-law MLE with x_min by minimum KS
      distance over posters (Clauset, Shalizi & Newman 2009).
    - ``lorenz``: Lorenz curve over members when the population is known,
      else over posters (``lorenz_basis``).

    Parameters
    ----------
    corpus : peerscope.Corpus
        pandas or Dask engine; only ``author_id`` and ``created_at`` of posts
        are read (never ``text``).
    start, end : time-like, optional
        The window (naive times are UTC).
    super_users : SuperUserRule
        Default ``TopShare(0.01)``.
    include_bots : bool
        Count members with role ``bot`` as members (default False).
    replicates, confidence, random_state
        Bootstrap of the Gini coefficients.
    min_tail : int
        Fewest posters in the tail of a power-law fit.
    by : str, optional
        A member attribute (a column of ``members``, e.g. ``"reason_joined"``
        loaded with ``loaders.table(..., member_attributes=...)``): compare
        its groups instead (see below and :mod:`peerscope.participation.groups`).
    groups : sequence of str, optional
        With ``by``: the groups to compare (default every value); the other
        values are pooled into the group ``"other"``.

    Returns
    -------
    ParticipationSummary or GroupComparison
        A :class:`~peerscope.participation.groups.GroupComparison` with
        ``by``: per group (members without the attribute in the group
        ``"unknown"``) ``members``, ``posters``, ``lurkers`` and
        ``lurker_share`` (Wilson interval; None without a population, as
        above), ``posts``, ``gini_posters`` (bootstrap interval),
        ``super_users`` (the corpus's super-users in the group) and
        ``super_user_share`` (their share of the group's posts), and
        ``posts_per_poster_median``; tests: chi-square of lurkers against
        posters by group, the bootstrap interval of the difference of the
        posters' Gini coefficients (two groups), and Mann-Whitney U of posts
        per poster (two groups; Kruskal-Wallis H for more).  Group sizes are
        reported, never suppressed.

    Raises
    ------
    peerscope.errors.PeerscopeError
        When ``by`` is not a member attribute (the message lists those the
        corpus has) or ``groups`` names a value nobody has.

    Examples
    --------
    Four roster members, two of whom post (ann 3 posts, bob 1):

    >>> from peerscope import participation
    >>> from peerscope.datasets.examples import tiny_moderated
    >>> corpus = tiny_moderated()
    >>> result = participation.summary(corpus, replicates=50)
    >>> result.members, result.posters, result.lurkers, result.lurker_share
    (4, 2, 2, 0.5)
    >>> round(result.gini_members.value, 4)
    0.625

    By role (the moderator is a lurker here):

    >>> by_role = participation.summary(corpus, by="role", replicates=50)
    >>> by_role.to_frame().set_index("statistic").loc["lurker_share", ["member", "moderator"]].tolist()
    [0.3333333333333333, 1.0]
    """
    labels = member_groups(corpus, by, groups) if by is not None else None
    window = corpus.time_window.narrow(start, end)
    kinds = _kinds(corpus, include_bots)
    if corpus.engine == "pandas":
        per_author, posts_total = posts_per_author(corpus, start, end)
    else:
        posts = corpus.posts(columns=["author_id", "created_at"], start=start, end=end)
        per_author = engine.aggregate(posts, "author_id", posts=("created_at", "count"),
                                      first_post=("created_at", "min"))
        posts_total = engine.length(posts)
    authors = pd.Index(per_author.index, name="member_id")
    is_bot = authors.isin(kinds.bots)
    person = kinds.person(authors)
    posters = per_author.loc[person].rename_axis("member_id").reset_index()
    posts_by_members = int(posters["posts"].sum())
    posts_by_bots = int(per_author.loc[is_bot, "posts"].sum())

    poster_ids = pd.Index(posters["member_id"], name="member_id")
    population, basis, reason, outside = _population(corpus, start, end, kinds, poster_ids)
    poster_counts = posters["posts"].to_numpy(dtype=np.int64)
    selection = select(posters, super_users)
    release_freed_memory()  # the per-author aggregation's temporaries, before the caller's next step
    if labels is not None:
        parameters = {"start": window.start, "end": window.end, "include_bots": include_bots,
                      "population_basis": basis, "super_user_rule": selection.rule,
                      "replicates": replicates, "confidence": confidence, "random_state": random_state}
        return _participation(labels, posters, population, selection.member_ids, attribute=by,
                              groups=groups, reason=reason, replicates=replicates,
                              confidence=confidence, random_state=random_state, parameters=parameters)
    gini_options = dict(replicates=replicates, confidence=confidence, random_state=random_state)
    # the posters' bootstrap and the power-law fit run beside the members' bootstrap: numpy's
    # multinomial draws and scipy's zeta release the GIL, so a second core is used (each is
    # seeded on its own: the numbers do not depend on the order)
    with ThreadPoolExecutor(max_workers=2) as pool:
        gini_posters = pool.submit(inequality.gini, poster_counts, basis="posters", **gini_options)
        power_law = pool.submit(inequality.powerlaw_fit, poster_counts, min_tail=min_tail)
        if population is not None:
            member_counts = np.concatenate([poster_counts, np.zeros(len(population) - len(posters), np.int64)])
            gini_members = inequality.gini(member_counts, basis="members", **gini_options)
        gini_posters, power_law = gini_posters.result(), power_law.result()
    if population is not None:
        lurkers = len(population) - len(posters)
        bands = inequality.band_shares(member_counts)
        band_reason = None if bands is not None else "no posts by members"
        curve, curve_basis = inequality.lorenz(member_counts), "members"
    else:
        lurkers = None
        gini_members = inequality.GiniResult(None, None, None, 0, "members", confidence,
                                             replicates, random_state, reason=reason)
        bands, band_reason = None, reason
        curve, curve_basis = inequality.lorenz(poster_counts), "posters"
    # the bootstraps' and the power-law fit's freed arrays (about 20 MB at 1M posts, some in the
    # worker thread's heap), before the caller's next step reads its columns
    release_freed_memory()
    return ParticipationSummary(
        window=window,
        include_bots=include_bots,
        posts_total=posts_total,
        posts_by_members=posts_by_members,
        posts_by_unknown_authors=posts_total - posts_by_members - posts_by_bots,
        posts_by_bots=posts_by_bots,
        members=None if population is None else len(population),
        population_basis=basis,
        posters_outside_roster_window=outside,
        posters=len(posters),
        lurkers=lurkers,
        lurker_share=None if population is None else _share(lurkers, len(population)),
        lurker_reason=reason if population is None else (None if len(population) else "no members"),
        one_time_posters=int((poster_counts == 1).sum()),
        gini_members=gini_members,
        gini_posters=gini_posters,
        top_shares={share: inequality.top_share(poster_counts, share) for share in TOP_SHARES},
        super_user_rule=super_users,
        super_users=selection,
        super_user_share=_share(selection.posts, posts_by_members),
        band_shares=bands,
        band_reason=band_reason,
        zipf=inequality.zipf_fit(poster_counts),
        power_law=power_law,
        lorenz=curve,
        lorenz_basis=curve_basis,
    )


# ---------------------------------------------------------------------------
# Per-member activity
# ---------------------------------------------------------------------------

def _with_parent_authors(corpus, posts, start, end):
    """Posts with ``parent_author_id``: the author of the post each replies to.

    Parents are looked up in the whole corpus (not only the window), so a
    reply in the window to an earlier post still knows whom it answers.
    """
    narrowed = start is not None or end is not None
    lookup = corpus.posts(columns=["post_id", "author_id"]) if narrowed else posts[["post_id", "author_id"]]
    return engine.attach(posts, "parent_id", lookup, "post_id", "author_id", "parent_author_id")


def _earliest_openers(openers: pd.DataFrame) -> pd.DataFrame:
    """The earliest opening post of each thread among ``openers`` (then the smallest post id).

    Runs on rows that hold every opening post of their threads (a whole
    pandas frame, or a Dask partition after a shuffle on ``thread_id``).
    """
    return openers.sort_values(["created_at", "post_id"]).drop_duplicates("thread_id")


def _hosted_starters(posts, bots: pd.Index, host_repliers: int):
    """Threads of ``posts`` to which >= ``host_repliers`` other people replied: their opening rows.

    Returns ``thread_id``, ``starter_id`` and ``created_at`` of each hosted
    thread's opening post (the earliest, then the smallest id), lazily on
    Dask: the openers are shuffled by thread on the workers, joined to the
    replies there, and no row per thread reaches the client.  Repliers are
    distinct non-null, non-bot authors other than the starter.
    """
    openers = posts.loc[posts["parent_id"].isna(), ["thread_id", "post_id", "author_id", "created_at"]]
    starters = engine.within_groups(openers, "thread_id", _earliest_openers)
    starters = starters.rename(columns={"author_id": "starter_id"})[["thread_id", "starter_id", "created_at"]]
    replies = posts.loc[~posts["parent_id"].isna() & ~posts["author_id"].isna(), ["thread_id", "author_id"]]
    replies = engine.attach(replies, "thread_id", starters, "thread_id", "starter_id", "starter_id")
    others = replies[(replies["author_id"] != replies["starter_id"]) & ~replies["starter_id"].isna()
                     & ~replies["author_id"].isin(list(bots))]
    repliers = engine.distinct(others, ["thread_id", "author_id"]).groupby(
        "thread_id", sort=False, dropna=True, observed=True).size()
    hosted = repliers[repliers >= host_repliers].to_frame("repliers").reset_index()
    starters = engine.attach(starters, "thread_id", hosted, "thread_id", "repliers", "repliers")
    return starters[~starters["repliers"].isna() & ~starters["starter_id"].isna()]


def ladder_inputs(corpus, start=None, end=None, *, include_bots: bool = False,
                  host_repliers: int = 2, by_month: bool = False) -> dict[str, pd.DataFrame]:
    """Per-member (or per member and month) counts the activity table and the ladder need.

    Returns a dict of pandas frames indexed by ``member_id`` (and ``month``,
    months since 1970-01, when ``by_month``): ``posts``
    (posts, threads_started, replies_to_others, first_post, last_post),
    ``active_days``, ``received``, ``hosted``, ``events`` (one column per
    event kind) and ``items`` (newsletter items written).  Bots' own rows are
    dropped unless ``include_bots``; their replies never count as replies
    received or as repliers of a hosted thread.

    Parameters
    ----------
    corpus : peerscope.Corpus
        pandas or Dask engine; the text is never read.
    start, end : time-like, optional
        The window ``[start, end)``.
    include_bots : bool
        Keep the rows of members with role ``bot`` (default False).
    host_repliers : int
        Fewest distinct other repliers for a thread to count as hosted.
    by_month : bool
        Index by ``member_id`` and ``month`` instead of ``member_id`` only.

    Returns
    -------
    dict of str to pandas.DataFrame or pandas.Series
        The parts named above, for :func:`assemble`.

    Examples
    --------
    >>> from peerscope import participation
    >>> from peerscope.datasets.examples import tiny_moderated
    >>> corpus = tiny_moderated()
    >>> parts = participation.ladder_inputs(corpus)
    >>> sorted(parts)
    ['active_days', 'events', 'hosted', 'items', 'posts', 'received']
    >>> parts["posts"]["replies_to_others"].to_dict()
    {'ann': 1, 'bob': 1}
    """
    return _ladder_inputs(corpus, start, end, _kinds(corpus, include_bots), host_repliers, by_month)


def _ladder_inputs(corpus, start, end, kinds: _Kinds, host_repliers: int, by_month: bool) -> dict:
    """:func:`ladder_inputs` with the people's kinds already read (``activity`` reads them once)."""
    if corpus.engine != "pandas":   # every per-row step on the workers, one collection
        return _member_parts(corpus, start, end, kinds, by_month, host_repliers)
    linked = read_linked(corpus)
    parts = post_parts(linked, linked.rows(start, end), kinds.bots, by_month=by_month,
                       host_repliers=host_repliers)
    del linked
    parts["events"] = _event_counts(corpus, start, end, by_month)
    parts["items"] = _item_counts(corpus, start, end, by_month)
    return {name: _drop_non_persons(frame, kinds) for name, frame in parts.items()}


def _dask_post_parts(corpus, start, end, kinds: _Kinds, by_month: bool, host_repliers: int) -> dict:
    """The parts of :func:`post_parts` (posts, active_days, received, hosted) as the Dask engine
    counts them (:func:`_member_parts`, here without events and newsletter items), on the frames
    of either engine."""
    return _member_parts(corpus, start, end, kinds, by_month, host_repliers, with_events=False)


def _event_kinds(corpus, start, end) -> list[str]:
    """The kinds of the window's events with a member id, sorted (the pandas engine's event columns)."""
    if not corpus.has_table("events"):
        return []
    events = corpus.events(columns=["member_id", "kind"], start=start, end=end)
    kinds = engine.collect(events.loc[~events["member_id"].isna(), "kind"].dropna().drop_duplicates())
    return sorted(str(kind) for kind in kinds)


def _member_parts(corpus, start, end, kinds: _Kinds, by_month: bool, host_repliers: int, *,
                  with_events: bool = True) -> dict:
    """The parts of :func:`ladder_inputs`, each counted per member (and month) by the corpus's engine.

    Every part is one grouped aggregation per ``member_id`` (and ``month``)
    of the rows it counts (posts, distinct posting days, replies received,
    the opening posts of hosted threads, events, newsletter items), with the
    rows of non-persons dropped before anything is collected.  The events
    are counted with one 0/1 column per kind, summed: a groupby with the
    kinds as columns.  On Dask all of it (the parent authors' join and the
    hosted threads' shuffle included) runs on the workers, and the parts
    are computed together, in one pass: what comes back is one row per
    member (and month) per part, never one row per post, thread, event or
    (member, month, kind).  On pandas frames the same code runs in process
    (``tests/test_counting.py`` checks it against the numpy path).

    Returns
    -------
    dict
        The parts with the pandas engine's rows, columns and dtypes (ids as
        ``str``, months and counts int64, post times UTC), in no
        particular row order.
    """
    keys = ["member_id", "month"] if by_month else ["member_id"]
    excluded = list(kinds.unknown) + list(kinds.bots)

    def with_month(frame, time: str):
        if not by_month:
            return frame
        return frame.assign(month=months_from_times(frame[time]).astype("int64"))

    def per_key(frame, **values):
        """``values`` (int64) summed per key of ``frame`` (``first_post``: min, ``last_post``: max),
        non-persons left out; int32 counts (per member and month, far below 2**31) halve what
        is collected."""
        frame = frame[keys].assign(**{name: value.astype("int64") if hasattr(value, "astype") else value
                                      for name, value in values.items()})
        frame = frame[~frame["member_id"].isin(excluded)]
        how = {name: "min" if name == "first_post" else "max" if name == "last_post" else "sum"
               for name in values}
        counted = frame.groupby(keys, sort=False, dropna=True, observed=True).agg(how)
        return counted.astype({name: "int32" for name in values if name not in ("first_post", "last_post")})

    posts = corpus.posts(columns=_POST_COLUMNS, start=start, end=end)
    posts = _with_parent_authors(corpus, posts, start, end)
    posts = with_month(posts.assign(member_id=posts["author_id"]), "created_at")
    is_reply = ~posts["parent_id"].isna()
    to_other = is_reply & (posts["parent_author_id"].isna() | (posts["parent_author_id"] != posts["author_id"]))
    micros = posts["created_at"].astype("datetime64[us, UTC]").astype("int64")
    lazy = {"posts": per_key(posts, posts=1, threads_started=~is_reply, replies_to_others=to_other,
                             first_post=micros, last_post=micros)}
    days = engine.distinct(posts.assign(day=posts["created_at"].dt.floor("D")), keys + ["day"])
    lazy["active_days"] = per_key(days, active_days=1)
    received = posts[is_reply & (posts["author_id"] != posts["parent_author_id"])
                     & ~posts["author_id"].isin(list(kinds.bots))]
    lazy["received"] = per_key(received.assign(member_id=received["parent_author_id"]), replies_received=1)
    hosted = _hosted_starters(posts, kinds.bots, host_repliers)
    lazy["hosted"] = per_key(with_month(hosted.assign(member_id=hosted["starter_id"]), "created_at"),
                             threads_hosted=1)
    event_kinds = _event_kinds(corpus, start, end) if with_events else []
    if event_kinds:
        events = corpus.events(columns=["member_id", "kind"] + (["at"] if by_month else []),
                               start=start, end=end)
        events = with_month(events, "at")
        # prefixed, so that no kind can take the name of a key
        lazy["events"] = per_key(events, **{f"event:{kind}": (events["kind"] == kind).fillna(False)
                                            for kind in event_kinds})
    if with_events and corpus.has_table("newsletter_items"):
        items = corpus.newsletter_items(columns=["author_id", "published_at"], start=start, end=end)
        items = with_month(items.assign(member_id=items["author_id"]), "published_at")
        lazy["items"] = per_key(items, newsletter_items=1)
    parts = dict(zip(lazy, engine.collect_together(*lazy.values())))
    parts = {name: _id_levels(part).astype("int64") if name != "posts" else _id_levels(part)
             for name, part in parts.items()}
    for column in ("first_post", "last_post"):
        times = parts["posts"][column].to_numpy().astype("datetime64[us]")
        parts["posts"][column] = pd.Series(times, index=parts["posts"].index).dt.tz_localize("UTC")
    parts["posts"] = parts["posts"].astype({name: "int64" for name in ("posts", "threads_started",
                                                                      "replies_to_others")})
    for name, column in (("active_days", "active_days"), ("received", "replies_received"),
                         ("hosted", "threads_hosted"), ("items", "newsletter_items")):
        if name in parts:
            parts[name] = parts[name][column]
    if with_events:
        if event_kinds:
            parts["events"] = parts["events"].set_axis(pd.Index(event_kinds, dtype="str", name="kind"), axis=1)
        else:
            parts["events"] = pd.DataFrame(index=_empty_index(keys))
        if "items" not in parts:
            parts["items"] = pd.Series(dtype="int64", name="newsletter_items", index=_empty_index(keys))
    return parts


def _id_levels(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with its member ids as ``str`` (and months as int64), converting the index's
    distinct values only: a per-row array of id strings would cost more than the table."""
    index = table.index
    if not isinstance(index, pd.MultiIndex):
        plain = engine._plain_index(table)   # one row per member: converting each id is cheap
        return plain.set_axis(pd.Index(plain.index, dtype="str", name="member_id"))
    ids, months = index.levels
    if isinstance(ids, pd.CategoricalIndex):
        ids = ids.categories[ids.codes]
    if isinstance(months, pd.CategoricalIndex):
        months = months.categories[months.codes]
    levels = [pd.Index(ids, dtype="str", name="member_id"), pd.Index(months, dtype="int64", name="month")]
    return table.set_axis(index.set_levels(levels, verify_integrity=False))


def _drop_non_persons(frame, kinds: _Kinds):
    ids = frame.index.get_level_values("member_id")
    return frame[kinds.person(pd.Index(ids))]


def _empty_index(keys: list[str]) -> pd.Index:
    if len(keys) == 1:
        return pd.Index([], dtype="str", name=keys[0])
    return pd.MultiIndex.from_arrays([pd.Index([], dtype="str"), pd.Index([], dtype="int64")], names=keys)


def _event_counts(corpus, start, end, by_month: bool) -> pd.DataFrame:
    """Events per member (and month) and kind, one column per kind (pandas engine).

    Tens of millions of events: one grouped count in the columnar engine.  The
    Dask engine counts them on the workers with the other parts
    (:func:`_member_parts`).
    """
    keys = ["member_id", "month"] if by_month else ["member_id"]
    if not corpus.has_table("events"):
        return pd.DataFrame(index=_empty_index(keys))
    columns = ["member_id", "kind"] + (["at"] if by_month else [])
    return columnar.event_counts(corpus.arrow_batches("events", columns, start=start, end=end,
                                                      batch_size=1 << 18, dictionary=("kind",)), by_month)


def _item_counts(corpus, start, end, by_month: bool) -> pd.Series:
    keys = ["member_id", "month"] if by_month else ["member_id"]
    if not corpus.has_table("newsletter_items"):
        return pd.Series(dtype="int64", name="newsletter_items", index=_empty_index(keys))
    items = corpus.newsletter_items(columns=["author_id", "published_at"], start=start, end=end)
    items = items.assign(member_id=items["author_id"])
    if by_month:
        items = items.assign(month=months_from_times(items["published_at"]))
    return engine.count_by(items, keys, "newsletter_items")


def _event_column(events: pd.DataFrame, kinds: tuple[str, ...]) -> pd.Series:
    """Events of ``kinds`` per row of ``events`` (already aligned on the table's index)."""
    total = np.zeros(len(events), dtype=np.int64)
    for kind in kinds:  # column by column: no copy of the (possibly millions of rows) frame
        if kind in events.columns:
            total += events[kind].to_numpy(dtype=np.int64)
    return pd.Series(total, index=events.index)


def ladder_levels(table: pd.DataFrame) -> pd.Series:
    """Ladder level (0-5, see the module docstring) of each row of an activity-like table.

    Needs columns posts, replies_to_others, threads_hosted, newsletter_items,
    listening_events, contribute_events, facilitate_events and role.

    Parameters
    ----------
    table : pandas.DataFrame
        An activity-like table with the columns above.

    Returns
    -------
    pandas.Series
        ``ladder_level`` (int 0-5), same index as ``table``.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"posts": [0, 2, 0], "replies_to_others": [0, 1, 0],
    ...     "threads_hosted": [0, 0, 0], "newsletter_items": [0, 0, 0],
    ...     "listening_events": [0, 0, 3], "contribute_events": [0, 0, 0],
    ...     "facilitate_events": [0, 0, 0], "role": ["moderator", "member", "member"]})
    >>> ladder_levels(table).tolist()
    [0, 3, 1]
    """
    def reached(column):
        # to_numpy, not np.asarray: numpy asks a Series for __array_interface__, and pandas
        # looks that name up among the index labels, which is slow for a million member ids
        return (table[column] > 0).to_numpy(dtype=bool)

    level = _rungs(posts=reached("posts"), replies_to_others=reached("replies_to_others"),
                   threads_hosted=reached("threads_hosted"), newsletter_items=reached("newsletter_items"),
                   listening=reached("listening_events"), contribute=reached("contribute_events"),
                   facilitate=reached("facilitate_events"),
                   moderating=table["role"].isin(MODERATING_ROLES).to_numpy(dtype=bool))
    return pd.Series(level, index=table.index, name="ladder_level")


#: The rung of the ladder (:data:`LADDER`) each kind of activity reaches; a level is the highest
#: rung reached.  ``moderating`` (a moderator or facilitator) counts only in an active row.
_RUNG_OF = {"listening": 1, "posts": 2, "replies_to_others": 3, "threads_hosted": 4, "newsletter_items": 4,
            "contribute": 4, "facilitate": 5, "moderating": 5}


def _rungs(*, posts, replies_to_others, threads_hosted, newsletter_items, listening, contribute,
           facilitate, moderating) -> np.ndarray:
    """Ladder level (int64, 0-5) from boolean arrays: which rows had each kind of activity
    (> 0), and which rows are of a moderator or facilitator."""
    active = posts | listening | newsletter_items | contribute | facilitate
    reached = {"listening": listening, "posts": posts, "replies_to_others": replies_to_others,
               "threads_hosted": threads_hosted, "newsletter_items": newsletter_items,
               "contribute": contribute, "facilitate": facilitate, "moderating": moderating & active}
    level = np.zeros(len(posts), dtype=np.int64)
    for name, rung in sorted(_RUNG_OF.items(), key=lambda item: item[1]):   # higher rungs last
        level[reached[name]] = rung
    return level


def assemble(parts: dict[str, pd.DataFrame], index: pd.Index, role: pd.Series) -> pd.DataFrame:
    """Join the parts of :func:`ladder_inputs` on ``index`` into an activity table with a ladder.

    Parameters
    ----------
    parts : dict
        What :func:`ladder_inputs` returns (with the same ``by_month``).
    index : pandas.Index
        The rows wanted: ``member_id`` (or ``member_id`` and ``month``);
        members missing from a part get zeros.
    role : pandas.Series
        member_id -> role (:func:`roles`); unknown ids read as ``member``.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`activity` except ``joined_at``, indexed by ``index``.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import participation
    >>> from peerscope.datasets.examples import tiny_moderated
    >>> corpus = tiny_moderated()
    >>> parts = participation.ladder_inputs(corpus)
    >>> index = pd.Index(["ann", "cat"], name="member_id")
    >>> participation.assemble(parts, index, participation.roles(corpus))["ladder"].tolist()
    ['reply to others', 'none']
    """
    alignment = Alignment({"index": index, **{name: parts[name].index for name in PARTS}, "role": role.index})
    return _assemble(parts, role, alignment, alignment.target("index"))


#: The parts of :func:`ladder_inputs` that :func:`assemble` aligns.
PARTS = ("posts", "received", "hosted", "active_days", "events", "items")


def _assemble(parts: dict, role: pd.Series, alignment: Alignment, target: Target) -> pd.DataFrame:
    """:func:`assemble` on the rows of ``target``, with the parts' and roles' indexes coded in ``alignment``."""
    def aligned(name: str, values: pd.Series, fill=0):
        return alignment.take(values, name, target, fill)

    posts, events = parts["posts"], parts["events"]
    columns = {column: aligned("posts", posts[column]).astype("int64")
               for column in ("posts", "threads_started", "replies_to_others")}
    columns["replies_received"] = aligned("received", parts["received"]).astype("int64")
    columns["threads_hosted"] = aligned("hosted", parts["hosted"]).astype("int64")
    columns["first_post"] = aligned("posts", posts["first_post"], pd.NaT)
    columns["last_post"] = aligned("posts", posts["last_post"], pd.NaT)
    columns["active_days"] = aligned("active_days", parts["active_days"]).astype("int64")
    for column, kinds in (("views", ("view", "read")), ("deliveries", ("receive",)),
                          ("listening_events", LISTENING_KINDS), ("contribute_events", ("contribute",)),
                          ("facilitate_events", ("facilitate",))):
        columns[column] = aligned("events", _event_column(events, kinds))
    columns["newsletter_items"] = aligned("items", parts["items"]).astype("int64")
    columns["role"] = pd.array(aligned("role", role, "member"), dtype="str")
    table = pd.DataFrame(columns, index=target.index)
    table["ladder_level"] = ladder_levels(table)
    table["ladder"] = pd.Categorical.from_codes(table["ladder_level"].to_numpy(), categories=list(LADDER),
                                                ordered=True)
    return table


def activity(corpus, start=None, end=None, *, include_bots: bool = False,
             host_repliers: int = 2) -> pd.DataFrame:
    """One row per member: what they did in the window ``[start, end)``.

    Rows are the population of the window (roster members, or without a
    roster everyone with a post, event or newsletter item), bots left out
    unless ``include_bots``; deleted and anonymous ids never have a row.

    Columns
    -------
    posts
        Posts written in the window.
    threads_started
        Opening posts (``parent_id`` null).
    replies_to_others
        Replies whose parent post was written by someone else, or by an
        unknown author (parents are looked up in the whole corpus).
    replies_received
        Replies by someone else (not a bot unless ``include_bots``) to this
        member's posts, written in the window.
    threads_hosted
        Threads started in the window to which at least ``host_repliers``
        distinct other people replied in the window.
    first_post, last_post
        Times of the first and last post in the window (NaT: none).
    active_days
        Distinct UTC calendar days with a post.
    views, deliveries
        ``view``/``read`` events and ``receive`` events (0 without events).
    listening_events, contribute_events, facilitate_events
        Events behind rungs 1, 4 and 5 of the ladder.
    newsletter_items
        Newsletter items written in the window.
    joined_at, role
        From the roster (role ``member`` when unknown).
    ladder_level, ladder
        The highest rung reached in the window (0-5 and its name; module
        docstring).

    Parameters
    ----------
    corpus : peerscope.Corpus
        pandas or Dask engine; the text is never read.
    start, end : time-like, optional
        The window ``[start, end)`` (naive times are UTC).
    include_bots : bool
        Give members with role ``bot`` a row (default False).
    host_repliers : int
        Fewest distinct other repliers for a thread to count as hosted (default 2).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``member_id``, sorted by id.

    Examples
    --------
    >>> from peerscope import participation
    >>> from peerscope.datasets.examples import tiny_moderated
    >>> corpus = tiny_moderated()
    >>> table = participation.activity(corpus)
    >>> table[["posts", "replies_to_others", "ladder_level"]].to_dict("index")["ann"]
    {'posts': 3, 'replies_to_others': 1, 'ladder_level': 3}
    >>> table.index.tolist()
    ['ann', 'bob', 'cat', 'mod']
    """
    kinds = _kinds(corpus, include_bots)
    parts = _ladder_inputs(corpus, start, end, kinds, host_repliers, by_month=False)
    roster = _roster(corpus, start, end, kinds) if corpus.has_roster else pd.Index([], dtype="str")
    joined = _joined(corpus)
    alignment = Alignment({"roster": roster, **{name: parts[name].index for name in PARTS},
                           "role": kinds.role.index, "joined": joined.index})
    target = alignment.sorted_union(["roster", "posts", "events", "items"])
    table = _assemble(parts, kinds.role, alignment, target)
    table.insert(table.columns.get_loc("role"), "joined_at", alignment.take(joined, "joined", target, pd.NaT))
    return table


def _joined(corpus) -> pd.Series:
    if "joined_at" not in _columns(corpus, "members"):
        return pd.Series(dtype=UTC_TIMES)
    members = engine.collect(corpus.members(columns=["member_id", "joined_at"]))
    # .array keeps the UTC datetime dtype (to_numpy would make an object array of Timestamps)
    return pd.Series(members["joined_at"].array, index=pd.Index(members["member_id"], name="member_id"))
