"""What the posts say: the topic and support-type sections of the report.

:func:`topic_model` turns the report's ``topics`` option into a fitted
:class:`~peerscope.topics.TopicModel` (``"auto"`` chooses k by coherence and
stability, an integer fixes it), and :func:`support_labels` turns its
``support`` option into one support type per post (``"forum"``: the shipped
:func:`peerscope.support.pretrained` model).  Either returns a reason instead
when the corpus cannot carry the analysis (no text, too few distinct words),
so the report says "not computed (why)" rather than failing or printing
numbers fitted to nothing.

:func:`support_shares` gives the shares of each support type with intervals
from a bootstrap that resamples *authors*, not posts: posts by one person
are not independent (a super-user writes hundreds in one voice), and a
post-level bootstrap would give intervals far too narrow.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from peerscope._kernels import engine
from peerscope.errors import PeerscopeError

__all__ = ["GROUPS", "METHOD", "SupportLabels", "monthly_shares", "share_draws", "support_labels",
           "support_shares", "topic_model"]

#: The topic model the report fits: NMF of sublinear tf-idf.  On mixtures of real communities it
#: recovered each post's community at least as well as LDA, gave the same topics with seeds 0
#: and 1 (LDA's agreed with NMI 0.12-0.55), and fits in a fraction of LDA's time
#: (docs/measures/topics.md); a report must not change with the seed.
METHOD = "nmf"

#: Post groups of the support-types table: key -> (label, what it selects).
GROUPS = {
    "all": "all posts",
    "super_users": "posts by super-users",
    "other_posters": "posts by other posters",
    "opening_posts": "opening posts",
    "replies": "replies",
}


def topic_model(corpus, option, *, seed: int = 0, progress: bool = False, table: str = "posts"):
    """The report's topic model: ``(model, None)`` or ``(None, reason)``.

    Parameters
    ----------
    corpus : peerscope.Corpus
        The corpus, already narrowed to the analysis window.
    option : "auto", int, TopicModel or None
        ``"auto"`` (k chosen by :func:`peerscope.topics.fit`'s sweep), a
        number of topics, a fitted model (used as given) or None (no
        topics).  The report fits :data:`METHOD`.
    seed : int
        ``random_state`` of the fit.
    progress : bool
        Progress bars of the fit.
    table : {"posts", "newsletter_items", "all"}
        The documents (:func:`peerscope.topics.fit`).

    Returns
    -------
    tuple
        The model, or None and the reason it was not fitted.
    """
    from peerscope import topics

    if option is None or (isinstance(option, str) and option.lower() == "none"):
        return None, "not asked for (topics=None)"
    if isinstance(option, topics.TopicModel):
        return option, None
    k = _k_option(option)
    try:
        return topics.fit(corpus, k=k, method=METHOD, seed=seed, progress=progress, table=table), None
    except PeerscopeError as error:
        return None, str(error)


def _k_option(option):
    """``"auto"`` or a whole number of topics of at least 2, from the report's option."""
    if isinstance(option, str) and option.strip().lower() == "auto":
        return "auto"
    if isinstance(option, str) and option.strip().isdigit():
        option = int(option)
    if isinstance(option, (int, np.integer)) and not isinstance(option, bool) and option >= 2:
        return int(option)
    raise PeerscopeError(f"topics={option!r}: give 'auto', a whole number of topics (at least 2), "
                         "a fitted TopicModel or None")


@dataclass(frozen=True)
class SupportLabels:
    """One support type per post, with what the report needs to group posts.

    Attributes
    ----------
    posts : DataFrame
        ``post_id, label, author_id, opening, month`` (``opening``: the
        post starts its thread; ``month``: ``YYYY-MM`` of ``created_at`` in
        UTC), one row per labelled post.
    model : object
        The model that labelled them.
    described : str
        What labelled them, in words (for the methods text).
    classes : list of str
        The model's classes, in its order.
    pretrained : str or None
        The name of the shipped model used, if one was.
    """

    posts: pd.DataFrame
    model: object
    described: str
    classes: list
    pretrained: str | None = None


def support_labels(corpus, option, *, progress: bool = False):
    """The report's support-type labels: ``(SupportLabels, None)`` or ``(None, reason)``.

    Parameters
    ----------
    corpus : peerscope.Corpus
        The corpus, already narrowed to the analysis window, with post text
        (:func:`peerscope.corpus.description.describe` says whether it has).
    option : "forum", path, model or None
        ``"forum"`` (the shipped model, :func:`peerscope.support.pretrained`),
        the folder of a saved :class:`~peerscope.support.SupportClassifier`,
        any fitted model with ``predict_frame`` and ``classes_``, or None.
    progress : bool
        A progress bar over the posts.

    Returns
    -------
    tuple
    """
    from peerscope import support

    if option is None or (isinstance(option, str) and option.lower() == "none"):
        return None, "not asked for (support=None)"
    shipped = None
    if isinstance(option, (str, os.PathLike)):
        name = os.fspath(option)
        if name in support.PRETRAINED:
            model, shipped = support.pretrained(name), name
            described = f"peerscope's pretrained '{name}' support classifier"
        else:
            model, described = support.SupportClassifier.load(name), f"the support classifier saved at {name}"
    elif hasattr(option, "predict_frame"):
        model, described = option, f"the {type(option).__name__} given to the report"
    else:
        raise PeerscopeError(f"support={option!r}: give 'forum', the folder of a saved "
                             "SupportClassifier, a fitted model or None")
    labels = support.classify(corpus, model, progress=progress)[["post_id", "label"]]
    posts = engine.collect(corpus.posts(columns=["post_id", "author_id", "parent_id", "created_at"]))
    frame = posts.merge(labels, on="post_id", how="inner", validate="one_to_one")
    frame["opening"] = frame["parent_id"].isna()
    times = pd.to_datetime(frame["created_at"], utc=True)
    frame["month"] = times.dt.strftime("%Y-%m")
    classes = [str(c) for c in getattr(model, "classes_", sorted(frame["label"].unique()))]
    return SupportLabels(frame[["post_id", "label", "author_id", "opening", "month"]], model, described,
                         classes, shipped), None


def support_shares(labels: SupportLabels, super_users, *, replicates: int = 1000,
                   confidence: float = 0.95, random_state=0) -> pd.DataFrame:
    """Share of each support type in each group of posts, with author-clustered bootstrap intervals.

    Parameters
    ----------
    labels : SupportLabels
    super_users : set of str
        Member ids of the super-users.
    replicates : int
        Bootstrap replicates.
    confidence : float
        Coverage of the interval.
    random_state : int or None

    Returns
    -------
    DataFrame
        One row per (group, support type) with posts: ``group, support_type,
        posts, authors, share, ci_low, ci_high``.  ``authors`` counts the
        distinct known authors of the group's posts (posts by unknown
        authors resample as one cluster each).

    Examples
    --------
    >>> posts = pd.DataFrame({"post_id": list("abcdef"), "label": ["emotional"] * 3 + ["other"] * 3,
    ...     "author_id": ["ann", "ann", "bob", "bob", "cat", "cat"],
    ...     "opening": [True, False, True, False, False, False], "month": ["2024-01"] * 6})
    >>> labels = SupportLabels(posts, None, "a test", ["emotional", "other"])
    >>> shares = support_shares(labels, {"ann"}, replicates=200)
    >>> float(shares.set_index(["group", "support_type"]).loc[("super_users", "emotional"), "share"])
    1.0
    """
    posts = labels.posts
    known = posts["author_id"].notna()
    members = set(super_users)
    selections = {
        "all": np.ones(len(posts), dtype=bool),
        "super_users": (known & posts["author_id"].isin(members)).to_numpy(),
        "other_posters": (known & ~posts["author_id"].isin(members)).to_numpy(),
        "opening_posts": posts["opening"].to_numpy(dtype=bool),
        "replies": ~posts["opening"].to_numpy(dtype=bool),
    }
    tail = (1 - confidence) / 2
    rows = []
    # one set of author weights per replicate for every group: the draws are the bootstrap's
    # cost (a Poisson weight per author and replicate), so the groups share them
    by_cluster = _cluster_counts(labels, list(selections.values()))
    draws = _cluster_bootstrap(by_cluster, replicates, np.random.default_rng(random_state))
    for number, (group, selected) in enumerate(selections.items()):
        counts = by_cluster[:, number].sum(axis=0)
        if not counts.sum():
            continue
        low, high = np.nanquantile(draws[:, number], [tail, 1 - tail], axis=0)
        authors = int(posts.loc[selected & known.to_numpy(), "author_id"].nunique())
        for j, name in enumerate(labels.classes):
            rows.append({"group": group, "support_type": name, "posts": int(counts[j]),
                         "authors": authors, "share": float(counts[j] / counts.sum()),
                         "ci_low": float(low[j]), "ci_high": float(high[j])})
    return pd.DataFrame(rows, columns=["group", "support_type", "posts", "authors", "share",
                                       "ci_low", "ci_high"])


def share_draws(labels: SupportLabels, selected, replicates: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Posts of each support type among the ``selected`` posts, and bootstrap draws of their shares.

    The draws resample authors (each author's posts together; posts by
    unknown authors are one cluster each, since nobody's posts are not one
    person's), so that one prolific voice does not make the interval narrow.

    Parameters
    ----------
    labels : SupportLabels
    selected : numpy.ndarray of bool, optional
        The posts to count (None: all).
    replicates : int
    rng : numpy.random.Generator

    Returns
    -------
    counts : numpy.ndarray
        Posts per class of ``labels.classes``.
    draws : numpy.ndarray
        ``replicates x classes`` shares (NaN rows when nothing is selected).

    Examples
    --------
    >>> posts = pd.DataFrame({"post_id": list("abc"), "label": ["emotional", "other", "other"],
    ...     "author_id": ["ann", "bob", "bob"], "opening": [True, False, False], "month": ["2024-01"] * 3})
    >>> counts, draws = share_draws(SupportLabels(posts, None, "a test", ["emotional", "other"]), None, 50,
    ...                             np.random.default_rng(0))
    >>> counts.tolist(), draws.shape
    ([1.0, 2.0], (50, 2))
    """
    chosen = np.ones(len(labels.posts), dtype=bool) if selected is None else np.asarray(selected, dtype=bool)
    counts = _cluster_counts(labels, [chosen])
    return counts[:, 0].sum(axis=0), _cluster_bootstrap(counts, replicates, rng)[:, 0]


def _cluster_counts(labels: SupportLabels, selections: list[np.ndarray]) -> np.ndarray:
    """Posts of each class by cluster and selection: ``clusters x selections x classes``.

    A cluster is an author, or a post of an unknown author alone; posts
    whose label is not one of ``labels.classes`` are not counted.
    """
    posts = labels.posts
    codes = pd.Categorical(posts["label"], categories=list(labels.classes)).codes
    known = posts["author_id"].notna()
    clusters = posts["author_id"].astype("object").where(known, "\0post:" + posts["post_id"].astype(str))
    cluster_index = pd.factorize(clusters)[0]
    counts = np.zeros((cluster_index.max() + 1 if len(cluster_index) else 0, len(selections), len(labels.classes)))
    for number, selected in enumerate(selections):
        chosen = np.asarray(selected, dtype=bool) & (codes >= 0)
        np.add.at(counts[:, number], (cluster_index[chosen], codes[chosen]), 1)
    return counts


#: Bootstrap weights drawn at a time in :func:`_cluster_bootstrap` (replicates x clusters).
_WEIGHTS = 1 << 22


def _cluster_bootstrap(counts: np.ndarray, replicates: int, rng) -> np.ndarray:
    """Shares of each class over ``replicates`` resamples of the clusters, with replacement:
    ``replicates x selections x classes`` from ``counts`` of :func:`_cluster_counts`.

    Each cluster enters a replicate a Poisson(1) number of times (the
    Poisson bootstrap: the large-sample limit of multinomial resampling,
    and a thousand times cheaper to draw for 100,000 clusters; Hanley &
    MacGibbon 2006, Chamandy et al. 2012), the same weights for every
    selection.  Clusters with the same counts are exchangeable, and the
    sum of m Poisson(1) weights is Poisson(m): one weight is drawn per
    distinct row of counts (a few thousand where there are hundreds of
    thousands of authors, most with a post or two), which gives the same
    distribution as a weight per cluster.  Weights are drawn a block of
    replicates at a time, about :data:`_WEIGHTS` of them in memory at once.
    """
    n, groups, classes = counts.shape
    rows, multiplicity = np.unique(counts.reshape(n, groups * classes), axis=0, return_counts=True)
    shares = np.empty((replicates, groups, classes))
    block = max(1, min(replicates, _WEIGHTS // max(len(rows), 1)))
    for start in range(0, replicates, block):
        size = min(block, replicates - start)
        weights = rng.poisson(multiplicity, size=(size, len(rows))).astype(float)
        sums = (weights @ rows).reshape(size, groups, classes)
        totals = sums.sum(axis=2, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            shares[start:start + size] = sums / totals
    return shares


def monthly_shares(labels: SupportLabels, min_authors: int) -> pd.DataFrame:
    """Share of posts of each support type per month, months with at least ``min_authors`` authors.

    Returns
    -------
    DataFrame
        Indexed by month (``YYYY-MM``), one column per support type.
    """
    posts = labels.posts
    counts = pd.crosstab(posts["month"], posts["label"]).reindex(columns=labels.classes, fill_value=0)
    authors = posts.groupby("month")["author_id"].nunique()
    counts = counts.loc[authors.reindex(counts.index).fillna(0) >= min_authors]
    return counts.div(counts.sum(axis=1), axis=0)
