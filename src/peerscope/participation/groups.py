"""Group comparisons: a measure side by side for the groups of a member attribute.

The first question of most peer-support papers compares kinds of members:
caregivers with patients, newcomers with old hands, moderators with the
rest.  ``participation.summary(corpus, by="reason_joined")`` and
``reciprocity.summary(corpus, by="reason_joined")`` answer it with a
:class:`GroupComparison`: one column per group, each with its value and,
where one is standard, its interval, and a test of the difference between
the groups.

Groups
------
A member's group is the value of the attribute in the ``members`` table
(:func:`member_groups`; loaded from a roster, or from the posts with
``loaders.table(..., member_attributes=...)``).  Members without a value,
and people absent from the members table, form the group :data:`UNKNOWN`:
it is reported, never dropped, but left out of the tests (it is missing
data, not a kind of member).  ``groups=[...]`` picks the groups to compare;
the other values are pooled into :data:`OTHER`, reported and not tested.

Small groups are not suppressed here (``report`` suppresses cells of
fewer than its ``min_cell`` people): every result carries the size of each
group (:attr:`GroupComparison.sizes`) so that its reader can.

Intervals and tests
-------------------
- **a share of people or edges** (lurker share, dyadic reciprocity): per
  group the Wilson score interval (Wilson 1927; ``scipy.stats.binomtest``);
  test: Pearson's chi-square test of independence of group and outcome
  (``scipy.stats.chi2_contingency``, with Yates' correction for a 2 x 2
  table).
- **give/receive roles**: counts and shares per group; test: the
  chi-square test of group against role.
- **posts per poster**: the median per group; test: the two-sided
  Mann-Whitney U test for two groups (Mann & Whitney 1947), the
  Kruskal-Wallis H test for more (Kruskal & Wallis 1952)
  (``scipy.stats.mannwhitneyu``, ``scipy.stats.kruskal``).
- **Gini coefficient of posters**: per group its percentile bootstrap
  interval (:func:`~peerscope.participation.inequality.gini`); for two
  groups, the difference (first minus second) with the percentile bootstrap
  interval of the difference, each group resampled on its own (Efron &
  Tibshirani 1993).  No p-value: the interval is the test (it excludes 0 or
  not).
- **super-user share**: the corpus's super-users (the summary's rule) who
  are in the group, and their share of the group's posts; no test (a
  handful of people).
- **tenure** (``engagement.survival(..., by=...)``): per group the share of
  posters who withdrew (Wilson; chi-square) and the Kaplan-Meier median
  tenure, its interval read where the group's Greenwood band crosses 0.5;
  test: the log-rank test of the two compared groups' survival curves
  (Mantel 1966; ``scipy.stats.logrank``), withdrawal the event and the
  posters still active censored.  With more than two groups, pass
  ``groups=[a, b]``.

References
----------
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
inference. *JASA* 22(158):209-212.
Mann, H. B., Whitney, D. R. (1947). On a test of whether one of two random variables
is stochastically larger than the other. *Ann. Math. Statist.* 18(1):50-60.
Kruskal, W. H., Wallis, W. A. (1952). Use of ranks in one-criterion variance analysis.
*JASA* 47(260):583-621.
Efron, B., Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*. Chapman & Hall.
Mantel, N. (1966). Evaluation of survival data and two new rank order statistics arising
in its consideration. *Cancer Chemotherapy Reports* 50(3):163-170.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from peerscope._kernels import engine
from peerscope._kernels.display import Display, fmt, int_array, interval
from peerscope.errors import PeerscopeError
from peerscope.participation import inequality

__all__ = ["OTHER", "UNKNOWN", "GroupComparison", "member_groups"]

#: Group of the members without a value of the attribute (and of people not in ``members``).
UNKNOWN = "unknown"
#: Group pooling the values left out of ``groups=[...]``.
OTHER = "other"

#: Columns of :attr:`GroupComparison.estimates`.
_ESTIMATE_COLUMNS = ["statistic", "group", "kind", "count", "value", "ci_low", "ci_high"]
#: Columns of :attr:`GroupComparison.tests`.
_TEST_COLUMNS = ["statistic", "test", "groups", "test_statistic", "p_value", "difference",
                 "ci_low", "ci_high", "detail"]


@dataclass(frozen=True, eq=False, repr=False)
class GroupComparison(Display):
    """Measures of one corpus side by side for the groups of a member attribute.

    Made by ``participation.summary(..., by=...)`` and
    ``reciprocity.summary(..., by=...)``; the module docstring says which
    interval and which test goes with which measure.

    Attributes
    ----------
    attribute : str
        The member attribute (a column of ``members``).
    groups : tuple of str
        The groups in column order: the compared groups (sorted), then
        :data:`OTHER` and :data:`UNKNOWN` when they have anyone.
    compared : tuple of str
        The groups the tests compare.
    sizes : dict of str -> int
        People per group on the basis of :attr:`basis`: what a report
        checks before showing a group (small cells).
    basis : str
        Who the people of :attr:`sizes` are (``"members"``, ``"posters"``
        or ``"members of the reply graph"``).
    estimates : pandas.DataFrame
        Tidy: ``statistic``, ``group``, ``kind`` (``count``, ``share`` or
        ``estimate``), ``count`` (``Int64``), ``value``, ``ci_low``,
        ``ci_high`` (float; NaN when undefined or for a count).
    tests : pandas.DataFrame
        One row per test: ``statistic``, ``test``, ``groups`` (the groups
        compared), ``test_statistic``, ``p_value``, ``difference`` and its
        ``ci_low``/``ci_high`` (a bootstrap difference), ``detail`` (why a
        test could not be made).
    headline : tuple of str
        The statistics the ``repr`` shows, most important first.
    parameters : dict
        What made the comparison (window, confidence, bootstrap, ...).

    Examples
    --------
    >>> from peerscope import participation
    >>> from peerscope.datasets.examples import tiny_moderated
    >>> result = participation.summary(tiny_moderated(), by="role", replicates=50)
    >>> result.groups, result.sizes
    (('member', 'moderator'), {'member': 3, 'moderator': 1})
    >>> result.to_frame().set_index("statistic").loc["posters", ["member", "moderator"]].tolist()
    [2.0, 0.0]
    """

    attribute: str
    groups: tuple
    compared: tuple
    sizes: dict
    basis: str
    estimates: pd.DataFrame
    tests: pd.DataFrame
    headline: tuple = ()
    parameters: dict = field(default_factory=dict)

    def _display_rows(self) -> list[tuple[str, object]]:
        n = len(self.groups)
        rows = [("attribute", f"{self.attribute} ({n} group{'' if n == 1 else 's'}, compared: "
                              f"{', '.join(self.compared) or 'none'})"),
                (self.basis, ", ".join(f"{g} {fmt(size)}" for g, size in self.sizes.items()))]
        table = self.estimates.set_index(["statistic", "group"])
        for statistic in self.headline:
            if statistic == self.basis:  # its counts are the sizes above
                continue
            parts = []
            for group in self.groups:
                if (statistic, group) not in table.index:
                    continue
                row = table.loc[(statistic, group)]
                value = row["count"] if row["kind"] == "count" else row["value"]
                text = fmt(None if pd.isna(value) else value)
                if pd.notna(row["ci_low"]):
                    text += f" {interval(row['ci_low'], row['ci_high'])}"
                parts.append(f"{group} {text}")
            rows.append((statistic.replace("_", " "), "; ".join(parts)))
        for test in self.tests.itertuples(index=False):
            if pd.notna(test.p_value):
                text = f"{test.test}: p = {fmt(float(test.p_value))}"
            elif pd.notna(test.difference):
                text = (f"{test.test}: {fmt(float(test.difference))} "
                        f"{interval(float(test.ci_low), float(test.ci_high))}")
            else:
                text = f"{test.test}: {test.detail}"
            rows.append((f"test {test.statistic.replace('_', ' ')}", text))
        return rows

    def to_frame(self, wide: bool = True) -> pd.DataFrame:
        """The groups side by side (``wide``), or the tidy :attr:`estimates`.

        Parameters
        ----------
        wide : bool
            True (default): one row per statistic (and per test of several
            statistics, ``kind`` ``"test"``); ``statistic``, ``kind``,
            then for each group ``<group>``, ``<group> ci_low`` and
            ``<group> ci_high`` (float: counts are whole numbers there;
            ``kind`` says which rows are counts, the typed counts are in
            ``to_frame(wide=False)``), then the row's ``test`` and
            ``p_value`` (or the bootstrap ``difference``) from :attr:`tests`.
            False: :attr:`estimates` (counts ``Int64``, shares float).

        Returns
        -------
        pandas.DataFrame
            With ``attrs["parameters"]`` (the parameters, the attribute and
            the group sizes), once.
        """
        attrs = {**self.parameters, "by": self.attribute, "compared": list(self.compared),
                 "sizes": dict(self.sizes), "basis": self.basis}
        if not wide:
            frame = self.estimates.copy()
            frame.attrs["parameters"] = attrs
            return frame
        long = self.estimates.assign(
            number=np.where(self.estimates["kind"] == "count",
                            self.estimates["count"].astype("float64").to_numpy(dtype=float, na_value=np.nan),
                            self.estimates["value"].to_numpy(dtype=float)))
        statistics = list(dict.fromkeys(long["statistic"]))
        kinds = long.drop_duplicates("statistic").set_index("statistic")["kind"].to_dict()
        # a test of several statistics at once (the roles) gets a row of its own
        statistics += [s for s in dict.fromkeys(self.tests["statistic"]) if s not in kinds]
        frame = pd.DataFrame({"statistic": pd.array(statistics, dtype="string"),
                              "kind": pd.array([kinds.get(s, "test") for s in statistics], dtype="string")})
        for group in self.groups:
            part = long[long["group"] == group].set_index("statistic")
            frame[group] = part["number"].reindex(statistics).to_numpy(dtype=float)
            frame[f"{group} ci_low"] = part["ci_low"].reindex(statistics).to_numpy(dtype=float)
            frame[f"{group} ci_high"] = part["ci_high"].reindex(statistics).to_numpy(dtype=float)
        tests = self.tests.drop_duplicates("statistic").set_index("statistic")
        for column in ("test", "p_value", "difference", "ci_low", "ci_high"):
            values = tests[column].reindex(statistics)
            name = column if column in ("test", "p_value", "difference") else f"difference {column}"
            frame[name] = (values.astype("string").to_numpy() if column == "test"
                           else values.to_numpy(dtype=float, na_value=np.nan))
        frame["test"] = frame["test"].astype("string")
        frame.attrs["parameters"] = attrs
        return frame


# ---------------------------------------------------------------------------
# Who is in which group
# ---------------------------------------------------------------------------

def member_groups(corpus, by: str, groups=None) -> pd.Series:
    """The group of every member of ``corpus``: the value of attribute ``by``.

    Parameters
    ----------
    corpus : peerscope.Corpus
    by : str
        A column of the ``members`` table other than ``member_id`` (text
        values; ``role``'s nulls read as ``member``).  Times such as
        ``joined_at`` are no groups: bin them into a text column first.
    groups : sequence of str, optional
        The groups to compare; the other values become :data:`OTHER`.

    Returns
    -------
    pandas.Series
        ``str`` values (nulls as :data:`UNKNOWN`) indexed by ``member_id``.

    Raises
    ------
    peerscope.errors.PeerscopeError
        Naming the attributes the corpus has, when ``by`` is not one of
        them; when ``by`` holds times; when a value is literally
        :data:`UNKNOWN` or :data:`OTHER`; when a group of ``groups`` has
        no member.

    Examples
    --------
    >>> from peerscope.datasets.examples import tiny_moderated
    >>> member_groups(tiny_moderated(), "role").to_dict()
    {'ann': 'member', 'bob': 'member', 'cat': 'member', 'mod': 'moderator'}
    """
    columns = corpus.manifest["tables"]["members"]["columns"] if corpus.has_table("members") else []
    available = [c for c in columns if c != "member_id"]
    if not isinstance(by, str) or by not in available:
        hint = (f"the members table has {available}" if available else
                "the corpus has no member attributes (load them with "
                "loaders.table(..., member_attributes={...}) or a members roster)")
        raise PeerscopeError(f"by={by!r} is not a member attribute: {hint}")
    members = engine.collect(corpus.members(columns=["member_id", by]))
    values = members[by]
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        raise PeerscopeError(f"by={by!r} holds times, not groups: add a text column of bins "
                             f"(e.g. the year) to the members table and compare by it")
    if by == "role":
        values = values.fillna("member")
    values = values.astype("str")
    present = set(values.dropna().unique())
    reserved = sorted(present & {UNKNOWN, OTHER})
    if reserved:
        raise PeerscopeError(f"by={by!r}: the values {reserved} are the names of the groups of members "
                             f"without a value and of pooled values; rename them first")
    if groups is not None:
        groups = [str(g) for g in ([groups] if isinstance(groups, str) else groups)]
        absent = [g for g in groups if g not in present]
        if absent:
            raise PeerscopeError(f"groups {absent} have no member; {by!r} has the values {sorted(present)}")
        values = values.where(values.isna() | values.isin(groups), OTHER)
    return pd.Series(values.fillna(UNKNOWN).to_numpy(dtype=object), dtype="str",
                     index=pd.Index(members["member_id"], name="member_id"), name=by)


def _group_of(labels: pd.Series, ids) -> np.ndarray:
    """The group of each id (:data:`UNKNOWN` for ids not in ``labels``), as an object array."""
    found = pd.Index(labels.index).get_indexer(pd.Index(ids))
    out = np.full(len(found), UNKNOWN, dtype=object)
    out[found >= 0] = labels.to_numpy(dtype=object)[found[found >= 0]]
    return out


def _order(present, groups=None) -> tuple[tuple, tuple]:
    """(all groups in column order, the compared groups)."""
    present = set(present)
    if isinstance(groups, str):
        groups = [groups]
    compared = [g for g in (sorted(map(str, groups)) if groups is not None else sorted(present))
                if g not in (UNKNOWN, OTHER)]
    if groups is None:
        compared = [g for g in compared if g in present]
    extra = [g for g in (OTHER, UNKNOWN) if g in present]
    return tuple(compared + extra), tuple(compared)


# ---------------------------------------------------------------------------
# Tests and intervals
# ---------------------------------------------------------------------------

class _Rows:
    """Collects estimate and test rows."""

    def __init__(self) -> None:
        self.estimates: list[tuple] = []
        self.tests: list[tuple] = []

    def count(self, statistic, group, value) -> None:
        self.estimates.append((statistic, group, "count", value, None, None, None))

    def value(self, statistic, group, value, kind="estimate", low=None, high=None) -> None:
        self.estimates.append((statistic, group, kind, None, value, low, high))

    def share(self, statistic, group, part: int, whole: int, confidence: float) -> None:
        low, high = _wilson(part, whole, confidence)
        self.value(statistic, group, part / whole if whole else None, "share", low, high)

    def test(self, statistic, test, groups, value=None, p=None, difference=None, low=None, high=None,
             detail=None) -> None:
        self.tests.append((statistic, test, " vs ".join(groups), value, p, difference, low, high, detail))

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        estimates = pd.DataFrame(self.estimates, columns=_ESTIMATE_COLUMNS)
        estimates["count"] = int_array(estimates["count"].tolist())
        for column in ("value", "ci_low", "ci_high"):
            estimates[column] = pd.to_numeric(estimates[column].astype(object), errors="raise").astype(float)
        estimates = estimates.astype({"statistic": "string", "group": "string", "kind": "string"})
        tests = pd.DataFrame(self.tests, columns=_TEST_COLUMNS)
        for column in ("test_statistic", "p_value", "difference", "ci_low", "ci_high"):
            tests[column] = pd.to_numeric(tests[column].astype(object), errors="raise").astype(float)
        tests = tests.astype({"statistic": "string", "test": "string", "groups": "string",
                              "detail": "string"})
        return estimates, tests


def _wilson(part: int, whole: int, confidence: float) -> tuple[float | None, float | None]:
    """Wilson score interval of ``part / whole`` (None, None when ``whole`` is 0)."""
    if not whole:
        return None, None
    from scipy.stats import binomtest

    ci = binomtest(int(part), int(whole)).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def _chi_square(rows: _Rows, statistic: str, table: pd.DataFrame) -> None:
    """Chi-square test of independence of the groups (rows of ``table``) and the outcome (columns).

    Groups and outcomes without anyone are left out first; fewer than two
    of either leaves nothing to test (said in ``detail``).
    """
    from scipy.stats import chi2_contingency

    table = table.loc[table.sum(axis=1) > 0, table.sum(axis=0) > 0]
    groups = [str(g) for g in table.index]
    if table.shape[0] < 2 or table.shape[1] < 2:
        rows.test(statistic, "chi-square", groups,
                  detail="fewer than two groups or outcomes with anyone: nothing to test")
        return
    result = chi2_contingency(table.to_numpy(dtype=np.int64))
    rows.test(statistic, "chi-square", groups, float(result.statistic), float(result.pvalue))


def _independence(group, outcome, compared, outcomes: str) -> dict:
    """Pearson's chi-square test of independence of the compared groups and an outcome per item.

    ``group`` and ``outcome`` hold one value per item (a post's group and
    label, a document's group and dominant topic); only the items of the
    ``compared`` groups enter.  Returns ``test``, ``groups`` (those with
    items), ``statistic``, ``dof``, ``p_value`` and ``detail`` (why nothing
    was tested, when fewer than two groups or ``outcomes`` have items).
    """
    from scipy.stats import chi2_contingency

    group, outcome = np.asarray(group, dtype=object), np.asarray(outcome, dtype=object)
    keep = np.isin(group, list(compared))
    table = pd.crosstab(group[keep], outcome[keep]) if keep.any() else pd.DataFrame()
    result = {"test": "chi-square", "groups": [str(g) for g in table.index], "statistic": np.nan, "dof": 0,
              "p_value": np.nan, "detail": None}
    if table.shape[0] < 2 or table.shape[1] < 2:
        result["detail"] = f"fewer than two groups or {outcomes}: nothing to test"
        return result
    test = chi2_contingency(table.to_numpy(dtype=np.int64))
    result.update(statistic=float(test.statistic), dof=int(test.dof), p_value=float(test.pvalue))
    return result


def _rank_test(rows: _Rows, statistic: str, samples: dict[str, np.ndarray]) -> None:
    """Mann-Whitney U (two groups) or Kruskal-Wallis H (more) of the groups' samples."""
    from scipy.stats import kruskal, mannwhitneyu

    samples = {g: s for g, s in samples.items() if len(s)}
    groups = list(samples)
    if len(samples) < 2:
        rows.test(statistic, "Mann-Whitney U", groups, detail="fewer than two groups with posters")
        return
    values = list(samples.values())
    if len(np.unique(np.concatenate(values))) < 2:
        rows.test(statistic, "Mann-Whitney U" if len(values) == 2 else "Kruskal-Wallis H", groups,
                  detail="every value is the same: nothing to rank")
        return
    if len(samples) == 2:
        result = mannwhitneyu(values[0], values[1], alternative="two-sided")
        rows.test(statistic, "Mann-Whitney U", groups, float(result.statistic), float(result.pvalue))
    else:
        result = kruskal(*values)
        rows.test(statistic, "Kruskal-Wallis H", groups, float(result.statistic), float(result.pvalue))


def _gini_difference(rows: _Rows, statistic: str, samples: dict[str, np.ndarray], *, replicates: int,
                     confidence: float, random_state) -> None:
    """Gini of the first group minus the second's, with a percentile bootstrap interval."""
    test = "bootstrap difference"
    groups = list(samples)
    if len(samples) != 2:
        rows.test(statistic, test, groups, detail="defined for two groups: pass groups=[a, b]")
        return
    parts = [inequality.distinct_counts(s) for s in samples.values()]
    if any(not values.any() for values, _ in parts):
        rows.test(statistic, test, groups, detail="a group without posts: its Gini coefficient is undefined")
        return
    observed = [float(inequality.grouped_gini(values, freq)[0]) for values, freq in parts]
    low = high = None
    if replicates > 0:
        rng = np.random.default_rng(random_state)
        draws = [inequality.grouped_gini(values, rng.multinomial(int(freq.sum()), freq / freq.sum(),
                                                                  size=replicates))
                 for values, freq in parts]
        difference = draws[0] - draws[1]
        difference = difference[~np.isnan(difference)]
        if difference.size:
            tail = (1 - confidence) / 2
            low, high = (float(q) for q in np.quantile(difference, [tail, 1 - tail]))
    rows.test(statistic, test, groups, difference=observed[0] - observed[1], low=low, high=high)


# ---------------------------------------------------------------------------
# Participation by group
# ---------------------------------------------------------------------------

#: Statistics of a participation comparison shown in its ``repr``.
_PARTICIPATION_HEADLINE = ("posters", "lurker_share", "gini_posters", "super_user_share",
                           "posts_per_poster_median")


def _participation(labels: pd.Series, posters: pd.DataFrame, population: pd.Index | None,
                   super_user_ids, *, attribute: str, groups, reason: str | None, replicates: int,
                   confidence: float, random_state, parameters: dict) -> GroupComparison:
    """The participation comparison (``participation.summary(..., by=...)``).

    ``labels``: member_id -> group (:func:`member_groups`); ``posters``:
    ``member_id``, ``posts`` of the people who posted; ``population``: the
    members' ids (None when unknown, with ``reason``); ``super_user_ids``:
    the corpus's super-users.
    """
    poster_group = _group_of(labels, posters["member_id"])
    counts = posters["posts"].to_numpy(dtype=np.int64)
    people_group = _group_of(labels, population) if population is not None else poster_group
    order, compared = _order(set(people_group) | set(poster_group), groups)
    supers = set(super_user_ids)
    is_super = posters["member_id"].isin(supers).to_numpy(dtype=bool)
    rows = _Rows()
    samples, lurker_table = {}, {}
    sizes = {}
    for group in order:
        mine = poster_group == group
        group_counts = counts[mine]
        n_posters = int(mine.sum())
        members = int((people_group == group).sum()) if population is not None else None
        sizes[group] = members if population is not None else n_posters
        rows.count("members", group, members)
        rows.count("posters", group, n_posters)
        if population is not None:
            rows.count("lurkers", group, members - n_posters)
            rows.share("lurker_share", group, members - n_posters, members, confidence)
            lurker_table[group] = (members - n_posters, n_posters)
        else:
            rows.count("lurkers", group, None)
            rows.value("lurker_share", group, None, "share")
        posts = int(group_counts.sum())
        rows.count("posts", group, posts)
        gini = inequality.gini(group_counts, basis="posters", replicates=replicates,
                               confidence=confidence, random_state=random_state)
        rows.value("gini_posters", group, gini.value, "estimate", gini.ci_low, gini.ci_high)
        rows.count("super_users", group, int((mine & is_super).sum()))
        rows.value("super_user_share", group,
                   int(counts[mine & is_super].sum()) / posts if posts else None, "share")
        rows.value("posts_per_poster_median", group,
                   float(np.median(group_counts)) if n_posters else None)
        if group in compared:
            samples[group] = group_counts
    if population is not None:
        table = pd.DataFrame.from_dict({g: lurker_table[g] for g in compared}, orient="index",
                                       columns=["lurkers", "posters"])
        _chi_square(rows, "lurker_share", table)
    else:
        rows.test("lurker_share", "chi-square", compared, detail=reason)
    _gini_difference(rows, "gini_posters", samples, replicates=replicates, confidence=confidence,
                     random_state=random_state)
    _rank_test(rows, "posts_per_poster_median", samples)
    estimates, tests = rows.frames()
    return GroupComparison(attribute, order, compared, sizes,
                           "members" if population is not None else "posters", estimates, tests,
                           _PARTICIPATION_HEADLINE,
                           {**parameters, "lurker_reason": reason})


# ---------------------------------------------------------------------------
# Tenure by group
# ---------------------------------------------------------------------------

#: Statistics of a tenure comparison shown in its ``repr``.
_TENURE_HEADLINE = ("posters", "withdrawn_share", "median_tenure_days")


def _tenure(labels: pd.Series, members: pd.DataFrame, kaplan_meier, *, attribute: str, groups,
            confidence: float, parameters: dict) -> GroupComparison:
    """The tenure comparison (``engagement.survival(..., by=...)``).

    ``labels``: member_id -> group (:func:`member_groups`); ``members``:
    the posters of :attr:`peerscope.participation.engagement.Survival.members`
    (index ``member_id``; ``tenure_days``, ``withdrawn``); ``kaplan_meier``:
    :func:`peerscope.participation.engagement.kaplan_meier` (passed in: that
    module imports this one).
    """
    from scipy.stats import CensoredData, logrank

    group_of = _group_of(labels, members.index)
    order, compared = _order(set(group_of), groups)
    tenure = members["tenure_days"].to_numpy(dtype=float)
    withdrawn = members["withdrawn"].to_numpy(dtype=bool)
    rows = _Rows()
    sizes, withdrawal_table, samples = {}, {}, {}
    for group in order:
        mine = group_of == group
        n, gone = int(mine.sum()), int(withdrawn[mine].sum())
        sizes[group] = n
        rows.count("posters", group, n)
        rows.count("withdrawn", group, gone)
        rows.share("withdrawn_share", group, gone, n, confidence)
        curve = kaplan_meier(tenure[mine], withdrawn[mine], confidence)
        median, low, high = _median_with_band(curve)
        rows.value("median_tenure_days", group, median, "estimate", low, high)
        if group in compared:
            withdrawal_table[group] = (gone, n - gone)
            samples[group] = CensoredData(uncensored=tenure[mine & withdrawn],
                                          right=tenure[mine & ~withdrawn])
    table = pd.DataFrame.from_dict(withdrawal_table, orient="index", columns=["withdrawn", "active"])
    _chi_square(rows, "withdrawn_share", table)
    names = list(samples)
    if len(samples) != 2:
        rows.test("median_tenure_days", "log-rank", names, detail="defined for two groups: pass groups=[a, b]")
    elif any(len(sample) == 0 for sample in samples.values()):
        rows.test("median_tenure_days", "log-rank", names, detail="a group without posters: nothing to compare")
    else:
        result = logrank(samples[names[0]], samples[names[1]])
        rows.test("median_tenure_days", "log-rank", names, float(result.statistic), float(result.pvalue))
    estimates, tests = rows.frames()
    return GroupComparison(attribute, order, compared, sizes, "posters", estimates, tests, _TENURE_HEADLINE,
                           parameters)


def _median_with_band(curve: pd.DataFrame) -> tuple:
    """(median, low, high) of a Kaplan-Meier curve: the first days at which the survival, the
    band's lower and the band's upper edge fall to 0.5 or below (None where they never do)."""
    def first_at(column):
        reached = curve.loc[curve[column] <= 0.5, "days"]
        return float(reached.iloc[0]) if len(reached) else None

    return first_at("survival"), first_at("ci_low"), first_at("ci_high")
