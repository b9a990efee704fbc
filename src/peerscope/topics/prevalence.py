"""Topic prevalence by member group and over time.

Group comparison follows Carron-Arthur et al. (2016), who compared the posts
of BlueBoard's super-users with everyone else's: each post is assigned its
*dominant* topic (the argmax of its topic shares), and for each topic ``t``
the 2 x 2 table

=============  ===================  =======================
               dominated by ``t``   dominated by another
=============  ===================  =======================
group posts    a                    b
other posts    c                    d
=============  ===================  =======================

gives the odds ratio ``OR = (a d) / (b c)`` of a group post rather than
another post being about ``t``, with a Woolf (logit) 95% interval
``exp(log OR +- z sqrt(1/a + 1/b + 1/c + 1/d))`` and a chi-square test
(Yates-corrected by default, as for any 2 x 2 table).  When a cell is 0 the
Haldane-Anscombe correction adds 0.5 to every cell of that topic's table
(the ``corrected`` column says so).  Holm-adjusted p-values are given because
a study tests every topic at once.

The group is a set of member ids (posts by those authors form the group, for
instance ``participation.summary(corpus).super_users`` for the top 1% of
posters) or a boolean Series indexed by document id (``doc_id``: a post's
``post_id``, a newsletter item's ``item_id``; or a two-level index
``(source, doc_id)`` when posts and items share ids).  Documents with no
terms (no dominant topic), with an unknown author (for a member set) or
missing from the Series are left out, and counted in
``frame.attrs["excluded"]``.

By a member attribute: ``prevalence(model, by="reason_joined",
corpus=corpus)`` (:func:`compare_member_groups`) gives each group's share
of documents per dominant topic with a Wilson interval, side by side, each
compared group's odds ratios against the other compared groups by the
table above, and a chi-square test of group against dominant topic;
:func:`plot_prevalence` draws the shares.

Forms of support: a model fitted on posts and newsletter items together
(``topics.fit(corpus, k, table="all")``) puts both in one topic space, and
``prevalence(model, by="source")`` compares newsletter items (the group)
with forum posts by the same odds ratios, intervals and Holm adjustment.

Over time, prevalence is the mean topic share of the documents of each
period (``freq``, default calendar months) and the share of documents each
topic dominates, per source if asked (``over_time(model, by_source=True)``).
:func:`lagged_echo` asks whether newsletter topics follow the forum's: per
topic, the lag (0 to ``max_lag`` months) at which the newsletter's monthly
prevalence correlates best with the forum's earlier prevalence.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy import stats

from peerscope import errors

__all__ = ["compare_groups", "compare_member_groups", "holm", "lagged_echo", "over_time", "plot_prevalence",
           "prevalence"]

#: The two values of ``source`` in a model fitted with ``table="all"``.
_FORUM, _NEWSLETTER = "posts", "newsletter_items"


def prevalence(model, by, corpus=None, **options) -> pd.DataFrame:
    """Topic prevalence by group (:func:`compare_groups`), by a member attribute or over time.

    ``by`` may be ``"month"``, ``"week"``, ``"quarter"`` or ``"year"``
    (:func:`over_time`), a set of member ids or a boolean Series indexed by
    document id (:func:`compare_groups`), ``"source"``: newsletter items
    (the group) against forum posts, for a model fitted with
    ``table="all"``, or, with ``corpus=``, a member attribute of that
    corpus such as ``"reason_joined"``: its groups side by side
    (:func:`compare_member_groups`).

    Parameters
    ----------
    model : TopicModel
        A fitted model (for ``by`` a period: fitted on a corpus, whose posts have times).
    by : str, set of str or pandas.Series
        A period name, ``"source"``, a member attribute (with ``corpus``),
        the member ids of the group, or a boolean Series of documents.
    corpus : peerscope.Corpus, optional
        The corpus the model was fitted on: with it, a string ``by`` is a
        member attribute (a column of its members table).
    **options
        Passed on to :func:`compare_groups`, :func:`compare_member_groups`
        (e.g. ``groups=["CALS", "PALS"]``) or :func:`over_time`.

    Returns
    -------
    DataFrame
        The table of :func:`compare_groups`, :func:`compare_member_groups`
        or :func:`over_time`.

    Raises
    ------
    peerscope.errors.PeerscopeError
        When ``by`` is a string other than the period names and
        ``"source"`` without ``corpus`` (or not a member attribute with
        it), or ``"source"`` for a model without both sources.

    Examples
    --------
    ann wrote every sleep post, bob every family post:

    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> from peerscope.topics import fit
    >>> texts = ["sleep insomnia tired night"] * 20 + ["mum dad family kids"] * 20
    >>> posts = pd.DataFrame({"post_id": [f"p{i}" for i in range(40)],
    ...     "thread_id": [f"p{i}" for i in range(40)], "parent_id": [None] * 40,
    ...     "author_id": ["ann"] * 20 + ["bob"] * 20, "text": texts,
    ...     "created_at": pd.to_datetime(["2024-01-05", "2024-02-05"] * 20, utc=True)})
    >>> model = fit(Corpus.from_frames(posts), k=2, method="nmf", seed=0, min_df=1)
    >>> table = prevalence(model, by={"ann"})
    >>> sorted(table["group_dominant"].tolist()), round(float(table["chi2"].iloc[0]), 1)
    ([0, 20], 36.1)
    >>> prevalence(model, by="month")["n_documents"].tolist()
    [20, 20, 20, 20]

    By a member attribute of the corpus:

    >>> members = pd.DataFrame({"member_id": ["ann", "bob"], "why": ["carer", "patient"]})
    >>> corpus = Corpus.from_frames(posts, members)
    >>> by_why = prevalence(fit(corpus, k=2, method="nmf", seed=0, min_df=1), by="why", corpus=corpus)
    >>> by_why.attrs["groups"], int(by_why["dominant"].sum())
    (['carer', 'patient'], 40)
    """
    if isinstance(by, str):
        if corpus is not None:
            return compare_member_groups(model, corpus, by, **options)
        if by == "source":
            options = {"group_name": "newsletter items", "other_name": "forum posts", **options}
            return compare_groups(model, _source_group(model), **options)
        if by not in _FREQ:
            raise errors.PeerscopeError(f"by={by!r}: use one of {list(_FREQ)}, 'source', a member attribute "
                                        "with corpus=..., a member-id set or a boolean Series indexed by "
                                        "document id")
        return over_time(model, freq=_FREQ[by], **options)
    if corpus is not None:
        raise errors.PeerscopeError("corpus= goes with by=<member attribute> (a string)")
    return compare_groups(model, by, **options)


_FREQ = {"month": "M", "week": "W", "quarter": "Q", "year": "Y"}


def _sources(model) -> pd.Series:
    """Each training document's source (``posts``, ``newsletter_items``; null when unknown)."""
    docs = model.docs
    if "source" in docs:
        return docs["source"].reset_index(drop=True)
    return pd.Series([None] * len(docs), dtype="str")


def _source_group(model) -> pd.Series:
    """Newsletter items (True) and forum posts (False), indexed by ``(source, doc_id)``."""
    source = _sources(model)
    present = set(source.dropna().unique())
    if not {_FORUM, _NEWSLETTER} <= present:
        raise errors.PeerscopeError(
            f"by='source' compares newsletter items with forum posts: fit the model on both "
            f"(topics.fit(corpus, k, table='all')); this model's documents come from "
            f"{sorted(present) or 'no known table'}")
    keep = source.notna().to_numpy()
    index = pd.MultiIndex.from_arrays([source[keep].astype("str"),
                                       model.docs["doc_id"].reset_index(drop=True)[keep].astype("str")])
    return pd.Series((source[keep] == _NEWSLETTER).to_numpy(), index=index, dtype=bool)


def _group_mask(model, group) -> tuple[np.ndarray, np.ndarray, dict]:
    """Per training document: in the group?, usable?, and counts of left-out documents."""
    docs = model.docs
    has_topic = model.dominant_topics() >= 0
    excluded = {"no_terms": int((~has_topic).sum())}
    if isinstance(group, pd.Series):
        if not (pd.api.types.is_bool_dtype(group.dtype)):
            raise errors.PeerscopeError("a group Series must hold booleans (True: in the group)")
        if group.index.has_duplicates:
            raise errors.PeerscopeError("a group Series must be indexed by unique document ids")
        ids = (docs["doc_id"] if "doc_id" in docs else docs["post_id"]).reset_index(drop=True).astype("str")
        if isinstance(group.index, pd.MultiIndex):
            if group.index.nlevels != 2:
                raise errors.PeerscopeError("a group Series with a MultiIndex must be indexed by (source, doc_id)")
            key = pd.MultiIndex.from_arrays([_sources(model).astype("str"), ids])
            index = pd.MultiIndex.from_arrays([group.index.get_level_values(0).astype("str"),
                                               group.index.get_level_values(1).astype("str")])
            values = group.set_axis(index).reindex(key)
        else:
            if ids.duplicated().any():
                raise errors.PeerscopeError(
                    "document ids repeat across sources (a post and a newsletter item share an id): "
                    "index the group Series by (source, doc_id)")
            values = group.set_axis(group.index.astype("str")).reindex(ids)
        known = values.notna().to_numpy()
        excluded["not_in_series"] = int((~known & has_topic).sum())
        in_group = values.fillna(False).astype(bool).to_numpy()
        return in_group, has_topic & known, excluded
    if isinstance(group, (str, bytes)) or not isinstance(group, Iterable):
        raise errors.PeerscopeError("by must be a set of member ids or a boolean Series indexed by document id")
    members = pd.Index([str(m) for m in group])
    authors = docs["author_id"]
    known = authors.notna().to_numpy()
    excluded["unknown_author"] = int((~known & has_topic).sum())
    in_group = authors.isin(members).to_numpy() & known
    return in_group, has_topic & known, excluded


def compare_groups(model, group, *, group_name: str = "group", other_name: str = "others",
                   confidence: float = 0.95, yates: bool = True) -> pd.DataFrame:
    """Odds ratio per topic of a group's documents vs other documents being dominated by it.

    Parameters
    ----------
    model : TopicModel
    group : set of member ids, or boolean Series indexed by document id
        Who or what is in the group (see the module docstring); a Series
        may be indexed by ``doc_id`` or by ``(source, doc_id)``.
    group_name, other_name : str
        Names of the two groups in ``frame.attrs``.
    confidence : float
        Level of the Woolf interval.
    yates : bool
        Yates continuity correction in the chi-square test.

    Returns
    -------
    DataFrame
        One row per topic: ``topic, label, group_dominant (a), group_other (b),
        other_dominant (c), other_other (d), group_share, other_share,
        group_mean_share, other_mean_share, odds_ratio, ci_low, ci_high,
        corrected, chi2, p_value, p_holm``; ``attrs`` hold the parameters,
        group sizes and left-out posts.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from types import SimpleNamespace
    >>> shares = np.array([[.9, .1]] * 6 + [[.2, .8]] * 2 + [[.3, .7]] * 6 + [[.6, .4]] * 2)
    >>> docs = pd.DataFrame({"post_id": [f"p{i}" for i in range(16)],
    ...                      "author_id": ["sue"] * 8 + ["tom"] * 8})
    >>> m = SimpleNamespace(k=2, method="lda", doc_topic=shares, docs=docs, topic_names=lambda: ["a", "b"],
    ...                     dominant_topics=lambda: shares.argmax(axis=1))
    >>> table = compare_groups(m, {"sue"})
    >>> round(float(table.loc[0, "odds_ratio"]), 2), int(table.loc[0, "group_dominant"])
    (9.0, 6)
    """
    in_group, usable, excluded = _group_mask(model, group)
    dominant = model.dominant_topics()
    k = model.k
    a = np.bincount(dominant[usable & in_group], minlength=k).astype(float)
    c = np.bincount(dominant[usable & ~in_group], minlength=k).astype(float)
    n_group, n_other = a.sum(), c.sum()
    if n_group == 0 or n_other == 0:
        raise errors.PeerscopeError(
            f"cannot compare: {int(n_group)} usable posts in the group, {int(n_other)} in the others")
    b, d = n_group - a, n_other - c
    corrected = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    aa, bb, cc, dd = (np.where(corrected, x + 0.5, x) for x in (a, b, c, d))
    log_or = np.log(aa * dd / (bb * cc))
    z = stats.norm.ppf(0.5 + confidence / 2)
    se = np.sqrt(1 / aa + 1 / bb + 1 / cc + 1 / dd)
    chi2 = np.full(k, np.nan)
    p = np.full(k, np.nan)
    for t in range(k):
        table = np.array([[a[t], b[t]], [c[t], d[t]]])
        if (table.sum(axis=0) > 0).all():
            chi2[t], p[t], _, _ = stats.chi2_contingency(table, correction=yates)
    shares = model.doc_topic
    frame = pd.DataFrame({
        "topic": np.arange(k),
        "label": pd.array(model.topic_names(), dtype="str"),
        "group_dominant": a.astype(np.int64), "group_other": b.astype(np.int64),
        "other_dominant": c.astype(np.int64), "other_other": d.astype(np.int64),
        "group_share": a / n_group, "other_share": c / n_other,
        "group_mean_share": shares[usable & in_group].mean(axis=0),
        "other_mean_share": shares[usable & ~in_group].mean(axis=0),
        "odds_ratio": np.exp(log_or), "ci_low": np.exp(log_or - z * se), "ci_high": np.exp(log_or + z * se),
        "corrected": corrected, "chi2": chi2, "p_value": p, "p_holm": holm(p),
    })
    frame.attrs.update({"group_name": group_name, "other_name": other_name, "confidence": confidence,
                        "interval": "Woolf (logit); Haldane-Anscombe +0.5 when a cell is 0",
                        "test": f"chi-square, 1 df, Yates correction={yates}",
                        "dominant_topic": "argmax of the document's topic shares",
                        "n_group_posts": int(n_group), "n_other_posts": int(n_other),
                        "excluded": excluded, "method": model.method, "k": k})
    return frame


def compare_member_groups(model, corpus, by: str, *, groups=None, confidence: float = 0.95,
                          yates: bool = True) -> pd.DataFrame:
    """Topic prevalence side by side for the groups of a member attribute (caregivers, patients, ...).

    Each training document is given its author's group: the value of the
    member attribute ``by`` in ``corpus``'s members table
    (:func:`peerscope.participation.member_groups`; the model keeps each
    document's ``author_id``).  As in :mod:`peerscope.participation.groups`,
    documents by authors without a value, by people absent from the members
    table or without an author form the group ``"unknown"``, and with
    ``groups=[...]`` the other values are pooled into ``"other"``: both are
    reported and left out of every test and odds ratio.

    Per group and topic: the documents the topic dominates (argmax of the
    topic shares, as in :func:`compare_groups`) and their share of the
    group's documents with a Wilson score interval (Wilson 1927), and the
    mean topic share.  Per compared group and topic, the odds ratio of
    :func:`compare_groups` of the group's documents against those of the
    other compared groups (for two groups, the first against the second and
    the second against the first: reciprocal odds ratios, one p-value),
    with its Woolf interval, Haldane-Anscombe correction, chi-square test
    (Yates-corrected by default) and Holm adjustment across topics.  Test of
    the whole distribution: Pearson's chi-square test (Pearson 1900) of
    independence of group and dominant topic on the compared groups' G x k table of
    documents (``scipy.stats.chi2_contingency``; topics no compared
    document has left out), in ``attrs["test"]``.  Documents are the
    units: one author's documents are not independent, so with a few
    prolific authors per group read the p-values as descriptive (the
    ``authors`` per group in ``attrs`` say when).

    Parameters
    ----------
    model : TopicModel
        A model fitted on (posts of) ``corpus``.
    corpus : peerscope.Corpus
        The corpus whose members table holds ``by``.
    by : str
        A member attribute, e.g. ``"reason_joined"``.
    groups : sequence of str, optional
        The groups to compare (default: every value).
    confidence : float
        Level of the Wilson and Woolf intervals.
    yates : bool
        Yates continuity correction in the per-topic 2 x 2 tests.

    Returns
    -------
    DataFrame
        One row per group and topic (groups in the order of
        ``attrs["groups"]``): ``group, topic, label, n_documents, dominant,
        dominant_share, ci_low, ci_high, mean_share, odds_ratio, or_ci_low,
        or_ci_high, corrected, chi2, p_value, p_holm`` (the odds-ratio
        columns NaN for ``other``, ``unknown`` and when fewer than two groups
        are compared).  ``attrs``: ``by``, ``groups``, ``compared``,
        ``sizes`` (documents with a topic per group), ``authors``,
        ``excluded`` (documents without terms), ``confidence`` and ``test``
        (``test``, ``groups``, ``statistic``, ``dof``, ``p_value``,
        ``detail``).  Side by side: ``frame.pivot(index="label",
        columns="group", values="dominant_share")``; drawn by
        :func:`plot_prevalence`.

    Raises
    ------
    peerscope.errors.PeerscopeError
        When ``by`` is not a member attribute of ``corpus`` (the message
        lists them), no document has an author, or ``confidence`` is not
        between 0 and 1.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. *JASA* 22(158):209-212.
    Pearson, K. (1900). On the criterion that a given system of deviations from the probable
    in the case of a correlated system of variables is such that it can be reasonably
    supposed to have arisen from random sampling. *Philosophical Magazine* 50(302):157-175.
    Carron-Arthur, B., et al. (2016). What's all the talk about? Topic modelling in a mental
    health Internet support group. *BMC Psychiatry* 16:367 (the odds ratios of :func:`compare_groups`).

    Examples
    --------
    ann (a carer) wrote every sleep post, bob (a patient) every family post:

    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> from peerscope.topics import fit
    >>> texts = ["sleep insomnia tired night"] * 20 + ["mum dad family kids"] * 20
    >>> posts = pd.DataFrame({"post_id": [f"p{i}" for i in range(40)],
    ...     "thread_id": [f"p{i}" for i in range(40)], "parent_id": [None] * 40,
    ...     "author_id": ["ann"] * 20 + ["bob"] * 20, "text": texts,
    ...     "created_at": pd.to_datetime(["2024-01-05", "2024-02-05"] * 20, utc=True)})
    >>> members = pd.DataFrame({"member_id": ["ann", "bob"], "why": ["carer", "patient"]})
    >>> corpus = Corpus.from_frames(posts, members)
    >>> model = fit(corpus, k=2, method="nmf", seed=0, min_df=1)
    >>> table = compare_member_groups(model, corpus, "why")
    >>> side_by_side = table.pivot(index="topic", columns="group", values="dominant")
    >>> {group: sorted(counts) for group, counts in side_by_side.to_dict("list").items()}
    {'carer': [0, 20], 'patient': [0, 20]}
    >>> bool((side_by_side.min(axis=1) == 0).all())  # each topic is one group's
    True
    >>> table.attrs["test"]["dof"], table.attrs["sizes"]
    (1, {'carer': 20, 'patient': 20})
    """
    from peerscope.participation.groups import UNKNOWN, _group_of, _independence, _order, _wilson, member_groups

    if not 0 < confidence < 1:
        raise errors.PeerscopeError(f"confidence={confidence}: expected a value between 0 and 1")
    docs = model.docs.reset_index(drop=True)
    authors = docs["author_id"].to_numpy(dtype=object) if "author_id" in docs else np.full(len(docs), None)
    labels = member_groups(corpus, by, groups)
    if pd.isna(authors).all():
        raise errors.PeerscopeError("the model's documents have no authors (plain texts?): fit it on the "
                                    "corpus whose members are compared")
    group = _group_of(labels, authors)
    group[pd.isna(authors)] = UNKNOWN
    dominant = model.dominant_topics()
    has_topic = dominant >= 0
    order, compared = _order(set(group[has_topic]), groups)
    k = model.k
    names = pd.array(model.topic_names(), dtype="str")
    shares = model.doc_topic
    parts, sizes, distinct = [], {}, {}
    for name in order:
        mine = has_topic & (group == name)
        n = int(mine.sum())
        sizes[name] = n
        distinct[name] = int(pd.Series(authors[mine]).nunique())
        counts = np.bincount(dominant[mine], minlength=k)
        bounds = [_wilson(int(c), n, confidence) for c in counts]
        parts.append(pd.DataFrame({
            "group": name, "topic": np.arange(k), "label": names, "n_documents": n,
            "dominant": counts.astype(np.int64), "dominant_share": counts / n if n else np.nan,
            "ci_low": [np.nan if low is None else low for low, _ in bounds],
            "ci_high": [np.nan if high is None else high for _, high in bounds],
            "mean_share": shares[mine].mean(axis=0) if n else np.full(k, np.nan)}))
    frame = pd.concat(parts, ignore_index=True)
    ratio_columns = ["odds_ratio", "or_ci_low", "or_ci_high", "chi2", "p_value", "p_holm"]
    for column in ratio_columns:
        frame[column] = np.nan
    frame["corrected"] = pd.array([pd.NA] * len(frame), dtype="boolean")
    present = [name for name in compared if sizes.get(name)]
    if len(present) >= 2:
        key = _document_key(model)
        among = np.isin(group, present)
        for name in present:
            member = pd.Series(group[among] == name, index=key[among], dtype=bool)
            table = compare_groups(model, member, group_name=name, other_name="other compared groups",
                                   confidence=confidence, yates=yates)
            rows = (frame["group"] == name).to_numpy()
            renamed = table.rename(columns={"ci_low": "or_ci_low", "ci_high": "or_ci_high"})
            for column in [*ratio_columns, "corrected"]:
                frame.loc[rows, column] = renamed[column].to_numpy()
    frame = frame[["group", "topic", "label", "n_documents", "dominant", "dominant_share", "ci_low", "ci_high",
                   "mean_share", "odds_ratio", "or_ci_low", "or_ci_high", "corrected", "chi2", "p_value",
                   "p_holm"]]
    frame["group"] = frame["group"].astype("str")
    frame.attrs.update({
        "by": by, "groups": list(order), "compared": list(compared), "sizes": sizes, "authors": distinct,
        "excluded": {"no_terms": int((~has_topic).sum())}, "confidence": confidence,
        "dominant_topic": "argmax of the document's topic shares",
        "interval": "Wilson score (dominant_share); Woolf (logit) with Haldane-Anscombe +0.5 (odds_ratio)",
        "odds_ratio": "the group's documents against the other compared groups' documents",
        "test": _independence(group[has_topic], dominant[has_topic], present,
                                      "topics with documents")})
    return frame


def _document_key(model) -> pd.Index:
    """The index a group Series of :func:`compare_groups` needs: doc ids, or (source, doc_id) when ids repeat."""
    docs = model.docs.reset_index(drop=True)
    ids = (docs["doc_id"] if "doc_id" in docs else docs["post_id"]).astype("str")
    if ids.duplicated().any():
        return pd.MultiIndex.from_arrays([_sources(model).astype("str"), ids])
    return pd.Index(ids)


def plot_prevalence(frame: pd.DataFrame, ax=None, *, share: str = "dominant_share", **kw):
    """Bars of each topic's prevalence per group (one bar per group, side by side) with intervals.

    Parameters
    ----------
    frame : DataFrame
        The result of :func:`compare_member_groups` (``prevalence(model,
        by=ATTRIBUTE, corpus=...)``).
    ax : matplotlib.axes.Axes, optional
        Draw here; default: the Axes of a new figure.
    share : {"dominant_share", "mean_share"}
        The share of the group's documents the topic dominates (with its
        Wilson interval, the default) or the mean topic share (no interval).
    **kw
        Passed to each group's ``ax.bar``.

    Returns
    -------
    matplotlib.axes.Axes
        One ``BarContainer`` per group (legend: the group), topics on the x axis.

    Raises
    ------
    peerscope.errors.PeerscopeError
        When ``frame`` lacks the columns of :func:`compare_member_groups`
        or ``share`` is neither share.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> frame = pd.DataFrame({"group": ["carer", "carer", "patient", "patient"], "topic": [0, 1, 0, 1],
    ...     "label": ["sleep", "family"] * 2, "dominant_share": [0.7, 0.3, 0.2, 0.8],
    ...     "ci_low": [0.6, 0.2, 0.1, 0.7], "ci_high": [0.8, 0.4, 0.3, 0.9], "mean_share": [0.6, 0.4, 0.3, 0.7]})
    >>> ax = plot_prevalence(frame)
    >>> [c.get_label() for c in ax.containers if type(c).__name__ == "BarContainer"]
    ['carer', 'patient']
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['sleep', 'family']
    """
    from peerscope._kernels.display import axes, draw_grouped_bars

    missing = {"group", "topic", "label", "ci_low", "ci_high", "dominant_share", "mean_share"} - set(frame.columns)
    if missing:
        raise errors.PeerscopeError(f"plot_prevalence needs the result of topics.compare_member_groups; "
                                    f"missing columns {sorted(missing)}")
    if share not in ("dominant_share", "mean_share"):
        raise errors.PeerscopeError(f"share={share!r}: choose 'dominant_share' or 'mean_share'")
    ax = axes(ax)
    whiskers = share == "dominant_share"
    labels = frame.drop_duplicates("topic").set_index("topic")["label"].to_dict()
    draw_grouped_bars(ax, frame, category="topic", group="group", value=share,
                      low="ci_low" if whiskers else None, high="ci_high" if whiskers else None,
                      groups=frame.attrs.get("groups"), category_labels=labels, **kw)
    by = frame.attrs.get("by")
    ax.set_title(f"Topics by {by}" if by else "Topics by group")
    ax.set_xlabel("Topic")
    confidence = frame.attrs.get("confidence")
    ax.set_ylabel("Share of documents the topic dominates" if whiskers else "Mean topic share")
    if whiskers and confidence:
        ax.set_ylabel(f"Share of documents the topic dominates ({confidence:.0%} interval)")
    ax.set_ylim(0, 1)
    return ax


def holm(p: np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (NaN stays NaN and does not count).

    Parameters
    ----------
    p : numpy.ndarray
        Raw p-values.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, same order.

    Examples
    --------
    >>> holm(np.array([0.01, 0.04, 0.03])).round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p, dtype=float)
    adjusted = np.full(len(p), np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    order = finite[np.argsort(p[finite], kind="stable")]
    m = len(order)
    stepped = np.maximum.accumulate(p[order] * (m - np.arange(m)))
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


def over_time(model, freq: str = "M", *, by_source: bool = False) -> pd.DataFrame:
    """Mean topic share and dominant share per period (calendar months by default).

    Parameters
    ----------
    model : TopicModel
        A model fitted on a corpus (plain texts have no times).
    freq : str
        pandas period frequency: ``"M"`` (default), ``"W"``, ``"Q"``, ``"Y"``.
    by_source : bool
        One series per source (``posts``, ``newsletter_items``) of a model
        fitted with ``table="all"``: a ``source`` column is added and each
        period's shares are those of that source's documents.

    Returns
    -------
    DataFrame
        One row per period (and source) and topic: ``period`` (start, UTC),
        [``source``,] ``topic``, ``label``, ``n_documents`` (documents with
        terms in the period), ``mean_share`` and ``dominant_share``.
        ``attrs["excluded"]`` counts the documents left out (no terms, no
        time, and with ``by_source`` no known source).

    Raises
    ------
    peerscope.errors.PeerscopeError
        When no document has both a time and a topic.

    Examples
    --------
    Half of each month's posts are about sleep, half about family:

    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> from peerscope.topics import fit
    >>> texts = ["sleep insomnia tired night"] * 20 + ["mum dad family kids"] * 20
    >>> posts = pd.DataFrame({"post_id": [f"p{i}" for i in range(40)],
    ...     "thread_id": [f"p{i}" for i in range(40)], "parent_id": [None] * 40,
    ...     "author_id": ["ann"] * 20 + ["bob"] * 20, "text": texts,
    ...     "created_at": pd.to_datetime(["2024-01-05", "2024-02-05"] * 20, utc=True)})
    >>> model = fit(Corpus.from_frames(posts), k=2, method="nmf", seed=0, min_df=1)
    >>> table = over_time(model)
    >>> table["period"].astype(str).unique().tolist()
    ['2024-01-01 00:00:00+00:00', '2024-02-01 00:00:00+00:00']
    >>> table["dominant_share"].tolist()
    [0.5, 0.5, 0.5, 0.5]
    >>> over_time(model, by_source=True)["source"].unique().tolist()
    ['posts']
    """
    created = model.docs["created_at"].reset_index(drop=True)
    has_topic = model.dominant_topics() >= 0
    usable = has_topic & created.notna().to_numpy()
    if not usable.any():
        raise errors.PeerscopeError("no document with both a time and a topic: prevalence over time "
                                    "needs a corpus (plain texts have no times)")
    excluded = {"no_terms": int((~has_topic).sum()), "no_time": int((has_topic & ~usable).sum())}
    if by_source:
        source = _sources(model)
        known = source.notna().to_numpy()
        excluded["no_source"] = int((usable & ~known).sum())
        usable &= known
        if not usable.any():
            raise errors.PeerscopeError("by_source=True: no document with a time, a topic and a known source")
    times = created[usable].dt.tz_convert("UTC").dt.tz_localize(None)
    period = times.dt.to_period(freq).dt.start_time.dt.tz_localize("UTC").to_numpy()
    k = model.k
    shares = pd.DataFrame(model.doc_topic[usable], columns=range(k))
    dominant = pd.get_dummies(pd.Categorical(model.dominant_topics()[usable], categories=range(k))).astype(float)
    dominant.columns = range(k)
    keys = [pd.Series(period, name="period")]
    if by_source:
        keys.insert(0, pd.Series(source[usable].astype("str").to_numpy(), name="source"))
    mean = shares.groupby(keys).mean()
    dom = dominant.groupby(keys).mean()
    counts = shares.groupby(keys).size()
    long = mean.stack().rename("mean_share").to_frame().join(dom.stack().rename("dominant_share"))
    long.index.names = [*[key.name for key in keys], "topic"]
    long = long.reset_index()
    index = pd.MultiIndex.from_frame(long[[key.name for key in keys]]) if by_source else long["period"]
    long["n_documents"] = counts.reindex(index).to_numpy()
    long["label"] = pd.array(np.asarray(model.topic_names(), dtype=object)[long["topic"].to_numpy()], dtype="str")
    long.attrs.update({"freq": freq, "excluded": excluded})
    columns = ["period", *(["source"] if by_source else []), "topic", "label", "n_documents", "mean_share",
               "dominant_share"]
    frame = long[columns]
    if by_source:
        frame = frame.sort_values(["period", "source", "topic"], kind="stable").reset_index(drop=True)
        frame.attrs.update(long.attrs)
    return frame


def lagged_echo(model, max_lag: int = 6, *, share: str = "mean_share", min_months: int = 6) -> pd.DataFrame:
    """Per topic, the lag at which the newsletter's monthly prevalence best follows the forum's.

    For a model of posts and newsletter items in one topic space
    (``topics.fit(corpus, k, table="all")``), each topic ``t`` has a
    monthly forum series ``F_t(m)`` and a monthly newsletter series
    ``N_t(m)`` (:func:`over_time` by source: the mean topic share of the
    documents of the month, or with ``share="dominant_share"`` the share of
    documents it dominates).  For each lag ``L = 0 .. max_lag`` months the
    statistic is the Pearson correlation, across the months ``m`` in which
    the newsletter has documents and the forum had documents in month
    ``m - L``, of ``N_t(m)`` with ``F_t(m - L)``: the cross-correlation of
    the two series at lag ``L``.  A newsletter that echoes the forum's
    topics with a delay of ``L`` months correlates best at that lag.  The
    best lag is the one with the highest correlation (ties: the shorter
    lag); a lag with fewer than ``min_months`` pairs of months, or a
    constant series, has no correlation (NaN).

    The correlation is of levels, as in a cross-correlation function: a
    trend shared by both series raises every lag alike, and the series are
    short (one point a month), so read ``p_value`` (two-sided test of the
    best lag's correlation) together with ``p_bonferroni`` (multiplied by
    the number of lags tried, since the best of them was chosen).

    Parameters
    ----------
    model : TopicModel
        Fitted with ``table="all"`` on a corpus with posts and newsletter items.
    max_lag : int
        Largest lag tried, in calendar months (default 6).
    share : {"mean_share", "dominant_share"}
        Which monthly prevalence to correlate.
    min_months : int
        Fewest pairs of months a correlation is computed on.

    Returns
    -------
    DataFrame
        One row per topic: ``topic, label, best_lag, correlation, n_months``
        (pairs of months at the best lag), ``p_value``, ``p_bonferroni``, then
        ``r_lag_0 .. r_lag_<max_lag>``.  ``attrs`` hold the statistic, the
        parameters and the months of each source.

    Raises
    ------
    peerscope.errors.PeerscopeError
        For a model without both sources, a negative ``max_lag``, an unknown
        ``share`` or ``min_months`` < 3.

    Examples
    --------
    The newsletter of each month is about what the forum discussed the month before:

    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> from peerscope.topics import fit
    >>> months = pd.date_range("2024-01-01", periods=12, freq="MS", tz="UTC")
    >>> sleep = [3, 1, 2, 3, 1, 1, 3, 2, 1, 3, 2, 1]          # forum sleep posts of 4 per month
    >>> post_rows = [(f"p{m}-{j}", months[m] + pd.Timedelta(days=3),
    ...               "sleep insomnia tired night" if j < sleep[m] else "mum dad family kids")
    ...              for m in range(12) for j in range(4)]
    >>> posts = pd.DataFrame(post_rows, columns=["post_id", "created_at", "text"]).assign(
    ...     thread_id=lambda f: f["post_id"], parent_id=None, author_id="ann")
    >>> item_rows = [(f"i{m}-{j}", f"2024-{m + 1:02d}", months[m],
    ...               "sleep insomnia tired night" if j < sleep[m - 1] else "mum dad family kids")
    ...              for m in range(1, 12) for j in range(4)]
    >>> items = pd.DataFrame(item_rows, columns=["item_id", "issue_id", "published_at", "text"]).assign(
    ...     newsletter="Echo", author_id=None)
    >>> model = fit(Corpus.from_frames(posts, newsletter_items=items), k=2, method="nmf", seed=0,
    ...             min_df=1, max_df=1.0, table="all")
    >>> echo = lagged_echo(model, max_lag=3)
    >>> echo["best_lag"].tolist(), echo["correlation"].round(2).tolist()
    ([1, 1], [1.0, 1.0])
    """
    if isinstance(max_lag, bool) or not isinstance(max_lag, (int, np.integer)) or max_lag < 0:
        raise errors.PeerscopeError(f"max_lag={max_lag!r}: expected a whole number of months >= 0")
    if share not in ("mean_share", "dominant_share"):
        raise errors.PeerscopeError(f"share={share!r}: choose 'mean_share' or 'dominant_share'")
    if isinstance(min_months, bool) or not isinstance(min_months, (int, np.integer)) or min_months < 3:
        raise errors.PeerscopeError(f"min_months={min_months!r}: expected a whole number >= 3")
    _source_group(model)  # both sources, or a clear error
    monthly = over_time(model, "M", by_source=True)
    month = monthly["period"].dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period("M")
    ordinal = (month.dt.year * 12 + month.dt.month - 1).to_numpy()
    frame = monthly.assign(ordinal=ordinal)
    wide = {name: frame[frame["source"] == name].pivot(index="ordinal", columns="topic", values=share)
            for name in (_FORUM, _NEWSLETTER)}
    forum, newsletter = wide[_FORUM], wide[_NEWSLETTER]
    lags = list(range(int(max_lag) + 1))
    rows = []
    for topic in range(model.k):
        r, n = np.full(len(lags), np.nan), np.zeros(len(lags), np.int64)
        news = newsletter[topic] if topic in newsletter else pd.Series(dtype=float)
        for i, lag in enumerate(lags):
            earlier = (forum[topic] if topic in forum else pd.Series(dtype=float)).reindex(news.index - lag)
            x, y = earlier.to_numpy(dtype=float), news.to_numpy(dtype=float)
            both = np.isfinite(x) & np.isfinite(y)
            n[i] = int(both.sum())
            if n[i] >= min_months and np.std(x[both]) > 0 and np.std(y[both]) > 0:
                r[i] = float(np.corrcoef(x[both], y[both])[0, 1])
        row = {"topic": topic, "best_lag": pd.NA, "correlation": np.nan, "n_months": 0,
               "p_value": np.nan, "p_bonferroni": np.nan}
        if np.isfinite(r).any():
            best = int(np.nanargmax(r))  # the first maximum: the shorter lag on ties
            dof = n[best] - 2
            with np.errstate(divide="ignore", invalid="ignore"):
                t_stat = r[best] * np.sqrt(dof / max(1e-300, 1 - r[best] ** 2))
            p = float(2 * stats.t.sf(abs(t_stat), dof))
            row.update(best_lag=lags[best], correlation=float(r[best]), n_months=int(n[best]), p_value=p,
                       p_bonferroni=min(1.0, p * int(np.isfinite(r).sum())))
        row.update({f"r_lag_{lag}": r[i] for i, lag in enumerate(lags)})
        rows.append(row)
    table = pd.DataFrame(rows)
    table.insert(1, "label", pd.array(model.topic_names(), dtype="str"))
    table["best_lag"] = table["best_lag"].astype("Int64")
    table.attrs.update({
        "statistic": (f"Pearson correlation across months m of the newsletter's {share} of a topic in "
                      f"month m with the forum's in month m - lag; best lag = highest correlation"),
        "max_lag": int(max_lag), "share": share, "min_months": int(min_months), "freq": "calendar month (UTC)",
        "forum_months": int(len(forum)), "newsletter_months": int(len(newsletter))})
    return table
