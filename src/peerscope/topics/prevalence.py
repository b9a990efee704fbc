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
posters) or a boolean Series indexed by ``post_id``.  Posts with no terms
(no dominant topic), with an unknown author (for a member set) or missing
from the Series are left out, and counted in ``frame.attrs["excluded"]``.

Over time, prevalence is the mean topic share of the posts of each period
(``freq``, default calendar months) and the share of posts each topic
dominates.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy import stats

from peerscope import errors

__all__ = ["compare_groups", "holm", "over_time", "prevalence"]


def prevalence(model, by, **options) -> pd.DataFrame:
    """Topic prevalence by group (:func:`compare_groups`) or, with ``by="month"``, over time.

    ``by`` may be ``"month"``, ``"week"``, ``"quarter"`` or ``"year"``
    (:func:`over_time`), a set of member ids or a boolean Series indexed by
    ``post_id`` (:func:`compare_groups`).

    Parameters
    ----------
    model : TopicModel
        A fitted model (for ``by`` a period: fitted on a corpus, whose posts have times).
    by : str, set of str or pandas.Series
        A period name, the member ids of the group, or a boolean Series of posts.
    **options
        Passed on to :func:`compare_groups` (or to :func:`over_time`).

    Returns
    -------
    DataFrame
        The table of :func:`compare_groups` or of :func:`over_time`.

    Raises
    ------
    peerscope.errors.PeerscopeError
        When ``by`` is a string other than the period names.

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
    """
    if isinstance(by, str):
        if by not in _FREQ:
            raise errors.PeerscopeError(f"by={by!r}: use one of {list(_FREQ)}, a member-id set "
                                        "or a boolean Series indexed by post_id")
        return over_time(model, freq=_FREQ[by], **options)
    return compare_groups(model, by, **options)


_FREQ = {"month": "M", "week": "W", "quarter": "Q", "year": "Y"}


def _group_mask(model, group) -> tuple[np.ndarray, np.ndarray, dict]:
    """Per training document: in the group?, usable?, and counts of left-out documents."""
    docs = model.docs
    has_topic = model.dominant_topics() >= 0
    excluded = {"no_terms": int((~has_topic).sum())}
    if isinstance(group, pd.Series):
        if not (pd.api.types.is_bool_dtype(group.dtype)):
            raise errors.PeerscopeError("a group Series must hold booleans (True: in the group)")
        if group.index.has_duplicates:
            raise errors.PeerscopeError("a group Series must be indexed by unique post ids")
        values = group.set_axis(group.index.astype("str")).reindex(docs["post_id"].astype("str"))
        known = values.notna().to_numpy()
        excluded["not_in_series"] = int((~known & has_topic).sum())
        in_group = values.fillna(False).astype(bool).to_numpy()
        return in_group, has_topic & known, excluded
    if isinstance(group, (str, bytes)) or not isinstance(group, Iterable):
        raise errors.PeerscopeError("by must be a set of member ids or a boolean Series indexed by post_id")
    members = pd.Index([str(m) for m in group])
    authors = docs["author_id"]
    known = authors.notna().to_numpy()
    excluded["unknown_author"] = int((~known & has_topic).sum())
    in_group = authors.isin(members).to_numpy() & known
    return in_group, has_topic & known, excluded


def compare_groups(model, group, *, group_name: str = "group", other_name: str = "others",
                   confidence: float = 0.95, yates: bool = True) -> pd.DataFrame:
    """Odds ratio per topic of a group's posts vs other posts being dominated by it.

    Parameters
    ----------
    model : TopicModel
    group : set of member ids, or boolean Series indexed by post_id
        Who is in the group (see the module docstring).
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


def over_time(model, freq: str = "M") -> pd.DataFrame:
    """Mean topic share and dominant share per period (calendar months by default).

    Parameters
    ----------
    model : TopicModel
        A model fitted on a corpus (plain texts have no times).
    freq : str
        pandas period frequency: ``"M"`` (default), ``"W"``, ``"Q"``, ``"Y"``.

    Returns
    -------
    DataFrame
        One row per period and topic: ``period`` (start, UTC), ``topic``,
        ``label``, ``n_documents`` (posts with terms in the period),
        ``mean_share`` and ``dominant_share``.  ``attrs["excluded"]`` counts
        the posts left out (no terms, no time).

    Raises
    ------
    peerscope.errors.PeerscopeError
        When no post has both a time and a topic.

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
    """
    created = model.docs["created_at"]
    has_topic = model.dominant_topics() >= 0
    usable = has_topic & created.notna().to_numpy()
    if not usable.any():
        raise errors.PeerscopeError("no post with both a time and a topic: prevalence over time "
                                    "needs a corpus (plain texts have no times)")
    times = created[usable].dt.tz_convert("UTC").dt.tz_localize(None)
    period = times.dt.to_period(freq).dt.start_time.dt.tz_localize("UTC").to_numpy()
    k = model.k
    shares = pd.DataFrame(model.doc_topic[usable], columns=range(k))
    dominant = pd.get_dummies(pd.Categorical(model.dominant_topics()[usable], categories=range(k))).astype(float)
    dominant.columns = range(k)
    key = pd.Series(period, name="period")
    mean = shares.groupby(key).mean()
    dom = dominant.groupby(key).mean()
    counts = key.value_counts().sort_index()
    long = mean.stack().rename("mean_share").to_frame().join(dom.stack().rename("dominant_share"))
    long.index.names = ["period", "topic"]
    long = long.reset_index()
    long["n_documents"] = counts.reindex(long["period"]).to_numpy()
    long["label"] = pd.array(np.asarray(model.topic_names(), dtype=object)[long["topic"].to_numpy()], dtype="str")
    long.attrs.update({"freq": freq, "excluded": {"no_terms": int((~has_topic).sum()),
                                                  "no_time": int((has_topic & ~usable).sum())}})
    return long[["period", "topic", "label", "n_documents", "mean_share", "dominant_share"]]
