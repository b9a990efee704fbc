"""Share of posts of each support type: raw, corrected for classifier error, with an interval.

A classifier's raw share of posts labelled ``t`` ("classify and count") is
biased by its errors: with true prevalence ``p``, true positive rate ``tpr``
and false positive rate ``fpr``, the expected raw share is
``p * tpr + (1 - p) * fpr``.  The adjusted classify-and-count estimate
(Forman 2008) inverts that::

    p_hat = clip((raw - fpr) / (tpr - fpr), 0, 1)

with ``tpr`` and ``fpr`` measured on a coded validation sample the model did
not learn from (cross-validated predictions, see
:func:`peerscope.support.evaluate.cross_validate`); when that sample was
stratified, each post weighs its sampling weight ``N_h / n_h``
(:func:`peerscope.support.coding.sample_for_coding`), so the rates are the
corpus's and not the design's.  It is undefined when
``tpr <= fpr`` (a classifier no better than chance for that type); the
estimate is then NaN.

The interval is a percentile bootstrap: each replicate resamples the
validation pairs (new ``tpr``, ``fpr``) and draws the raw count of the
corpus from a binomial with the observed share (the sampling error of the
corpus itself), then recomputes ``p_hat``.  Replicates where ``tpr <= fpr``
are dropped and counted (``n_boot_used``).

:func:`classify` applies a model to a whole corpus in batches of the text
column, streaming a saved corpus from Parquet, with a progress bar.

By a member attribute (caregivers against patients):
``prevalence_by(corpus, classify(corpus), by="reason_joined")`` gives each
group's shares, from the group of each post's author
(:func:`author_groups`, :func:`peerscope.participation.member_groups`),
with the same interval and a chi-square test of group against label;
:func:`plot_prevalence` draws them side by side.

References
----------
Forman, G. (2008). Quantifying counts and costs via classification. Data
Mining and Knowledge Discovery 17(2).
Finn, J. (1999). An exploration of helping processes in an online self-help
group focusing on issues of disability. Health & Social Work 24(3).
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from peerscope._kernels.months import iso_months, months_from_times
from peerscope.errors import PeerscopeError
from peerscope.support.labelling import _TABLE_COLUMNS, _label_batch, _no_labels, _tables, label_partitions
from peerscope.support.pretrained import pretrained

__all__ = ["DERIVED_FILE", "LabelSummary", "adjusted_share", "author_groups", "classify", "month_of",
           "plot_prevalence", "prevalence", "prevalence_by"]


def adjusted_share(raw, tpr, fpr):
    """Adjusted classify-and-count (Forman 2008): ``clip((raw - fpr) / (tpr - fpr), 0, 1)``.

    NaN where ``tpr <= fpr``.

    Parameters
    ----------
    raw : float or array-like
        The share of texts the model labelled with the class.
    tpr, fpr : float or array-like
        The model's true and false positive rates for the class (from validation).

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    >>> round(float(adjusted_share(0.5, tpr=0.8, fpr=0.2)), 3)
    0.5
    >>> round(float(adjusted_share(0.44, tpr=0.8, fpr=0.2)), 3)
    0.4
    """
    raw, tpr, fpr = (np.asarray(v, dtype=np.float64) for v in (raw, tpr, fpr))
    gap = tpr - fpr
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = np.clip((raw - fpr) / gap, 0.0, 1.0)
    return np.where(gap > 0, estimate, np.nan)


def prevalence(predicted, validation_true=None, validation_pred=None, *, labels=None, groups=None, by=None,
               validation_weights=None, n_boot: int = 1000, confidence: float = 0.95,
               random_state=None) -> pd.DataFrame:
    """Share of each label in a corpus, with a bootstrap interval; adjusted when validation codes are given.

    Without validation data the result is the raw ("classify and count")
    share of each label with a percentile bootstrap interval of the
    corpus's sampling error (posts resampled: the label count drawn from a
    binomial with the observed share).  That interval does not cover the
    model's own errors: a raw share is biased by the classifier's false
    positives and negatives (module notes), so report it as the share of
    posts *the model labels* ``t``, and code a validation sample when the
    share itself matters.  With validation codes, the adjusted
    classify-and-count estimate (Forman 2008) corrects that bias and its
    interval also resamples the validation pairs.

    Parameters
    ----------
    predicted : sequence of str
        The model's label for every post of the corpus.
    validation_true, validation_pred : sequence of str, optional
        Human codes of a validation sample and the model's (out-of-fold)
        predictions for it; they give each label's ``tpr`` and ``fpr``.
        Give both or neither.
    labels : sequence of str, optional
        Labels to report (default: every label in the validation codes, or
        without them every label predicted).
    groups : sequence, optional
        A group (board, month, ...) per post of ``predicted``; shares are
        then given per group, with ``tpr``/``fpr`` shared across groups.
        With ``by="month"``: each post's ``created_at``.  Forms of support:
        the ``source`` column of ``classify(corpus, table="all")`` gives
        newsletter items against forum posts.
    by : {None, "month"}
        ``"month"``: group posts by the calendar month (UTC; naive times are
        taken as UTC) of the times in ``groups``; the result's group column
        is then ``month`` (``YYYY-MM``).  Months without posts are absent.
    validation_weights : sequence of float, optional
        Sampling weight of each validation post (``N_h / n_h`` of a
        stratified coding sample, :func:`peerscope.support.read_design`):
        ``tpr`` and ``fpr`` are then weighted sums, the rates of the corpus
        rather than of an over-sampled design.  Default: equal weights.
    n_boot : int
        Bootstrap replicates.
    confidence : float
        Coverage of the interval.
    random_state : int or None
        Seed of the bootstrap.

    Returns
    -------
    DataFrame
        One row per (group or month and) label: ``n`` posts, ``raw_share``, ``tpr``,
        ``fpr``, ``adjusted_share`` (NaN without validation), ``ci_low``,
        ``ci_high``, ``interval_of`` (``"adjusted_share"`` or, without
        validation, ``"raw_share"``), ``n_validation``, ``n_boot_used`` and
        ``confidence``.

    Raises
    ------
    peerscope.errors.PeerscopeError
        When only one of the validation sequences is given, they differ in
        length, or an argument is out of range.

    Examples
    --------
    >>> truth = ["emo"] * 50 + ["info"] * 50
    >>> model = ["emo"] * 40 + ["info"] * 10 + ["emo"] * 10 + ["info"] * 40
    >>> corpus = ["emo"] * 440 + ["info"] * 560
    >>> table = prevalence(corpus, truth, model, random_state=0)
    >>> table.loc[table.label == "emo", ["raw_share", "adjusted_share"]].round(3).to_dict("records")
    [{'raw_share': 0.44, 'adjusted_share': 0.4}]
    >>> raw = prevalence(corpus, random_state=0)
    >>> raw.loc[raw.label == "emo", ["raw_share", "interval_of"]].to_dict("records")
    [{'raw_share': 0.44, 'interval_of': 'raw_share'}]
    """
    if (validation_true is None) != (validation_pred is None):
        raise PeerscopeError("give both validation_true and validation_pred (codes and the model's "
                             "predictions of the same posts), or neither for raw shares")
    validated = validation_true is not None
    if not 0 < confidence < 1:
        raise PeerscopeError(f"confidence={confidence}: expected a value between 0 and 1")
    if n_boot < 1:
        raise PeerscopeError(f"n_boot={n_boot}: expected a positive number of replicates")
    corpus = pd.Series(predicted, dtype="str").reset_index(drop=True)
    if len(corpus) == 0:
        raise PeerscopeError("no predicted labels: the corpus has no posts")
    if validated:
        truth = pd.Series(validation_true, dtype="str").reset_index(drop=True)
        model = pd.Series(validation_pred, dtype="str").reset_index(drop=True)
        if len(truth) != len(model) or len(truth) == 0:
            raise PeerscopeError(f"validation needs aligned, non-empty codes and predictions "
                                 f"({len(truth)} vs {len(model)})")
        weight = _weights(validation_weights, len(truth))
        default_labels = truth.unique()
    else:
        if validation_weights is not None:
            raise PeerscopeError("validation_weights were given without validation codes")
        default_labels = corpus.dropna().unique()
    labels = sorted(default_labels) if labels is None else [str(x) for x in labels]
    if by not in (None, "month"):
        raise PeerscopeError(f"by={by!r}: expected None (groups as given) or 'month'")
    if by == "month":
        if groups is None:
            raise PeerscopeError("by='month' needs each post's created_at as groups")
        group_of = month_of(groups)
    else:
        group_of = (pd.Series("all", index=corpus.index, dtype="str") if groups is None
                    else pd.Series(np.asarray(groups), dtype="str"))
    if len(group_of) != len(corpus):
        raise PeerscopeError(f"{len(corpus)} predictions but {len(group_of)} groups")
    rng = np.random.default_rng(random_state)
    if validated:
        samples = rng.integers(0, len(truth), size=(n_boot, len(truth)))
        t, p = truth.to_numpy(dtype=object), model.to_numpy(dtype=object)
    tail = (1 - confidence) / 2
    rows = []
    counts = pd.crosstab(group_of, corpus)
    for label in labels:
        if validated:
            tpr, fpr = _rates(t == label, p == label, weight)
            boot_tpr, boot_fpr = _rates((t == label)[samples], (p == label)[samples], weight[samples])
        else:
            tpr = fpr = np.nan
        for group, row in counts.iterrows():
            n = int(row.sum())
            raw = float(row.get(label, 0)) / n if n else np.nan
            boot_raw = rng.binomial(n, raw, size=n_boot) / n if n else np.full(n_boot, np.nan)
            boot = adjusted_share(boot_raw, boot_tpr, boot_fpr) if validated else boot_raw
            boot = boot[~np.isnan(boot)]
            low, high = (np.quantile(boot, [tail, 1 - tail]) if len(boot) else (np.nan, np.nan))
            rows.append({"group": group, "label": label, "n": n, "raw_share": raw, "tpr": float(tpr),
                         "fpr": float(fpr),
                         "adjusted_share": float(adjusted_share(raw, tpr, fpr)) if validated else np.nan,
                         "ci_low": float(low), "ci_high": float(high),
                         "interval_of": "adjusted_share" if validated else "raw_share",
                         "n_validation": len(truth) if validated else 0, "n_boot_used": len(boot),
                         "confidence": confidence})
    frame = pd.DataFrame(rows)
    frame["group"] = frame["group"].astype("str")
    frame["label"] = frame["label"].astype("str")
    frame["interval_of"] = frame["interval_of"].astype("str")
    if groups is None:
        return frame.drop(columns="group")
    return frame.rename(columns={"group": "month"}) if by == "month" else frame


# ---------------------------------------------------------------------------
# Shares by a member attribute
# ---------------------------------------------------------------------------

def author_groups(corpus, classified: pd.DataFrame, by: str, groups=None) -> pd.Series:
    """The group of each labelled post's author: the value of member attribute ``by``.

    The link between a :func:`classify` result and
    :func:`peerscope.participation.member_groups`: each row's post is looked
    up in the corpus's posts (``post_id`` -> ``author_id``) and its author
    in the members table, so that ``prevalence(classified["label"],
    groups=author_groups(corpus, classified, by))`` gives shares per group
    (what :func:`prevalence_by` does, with the test).

    Parameters
    ----------
    corpus : peerscope.Corpus
        The corpus that was labelled (its posts and members tables).
    classified : DataFrame
        The result of :func:`classify`: a ``post_id`` column, or the
        ``doc_id`` and ``source`` columns of ``table="all"`` with forum posts
        only (newsletter items have no member author to group by).
    by : str
        A member attribute (a column of ``members``, e.g. ``reason_joined``).
    groups : sequence of str, optional
        The groups to compare; the other values become ``"other"``.

    Returns
    -------
    pandas.Series
        ``str`` groups aligned with the rows of ``classified`` (same index),
        named ``by``.  Posts by authors without a value, by people absent
        from ``members``, without an author or not in the corpus are
        ``"unknown"`` (:data:`peerscope.participation.groups.UNKNOWN`).

    Raises
    ------
    peerscope.errors.PeerscopeError
        When ``by`` is not a member attribute (the message lists them),
        ``classified`` has no post ids, or holds newsletter items.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2", "p3"], "thread_id": ["p1"] * 3,
    ...     "parent_id": [None, "p1", "p1"], "author_id": ["ann", "bob", "cat"],
    ...     "created_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"], utc=True),
    ...     "text": ["a", "b", "c"]})
    >>> members = pd.DataFrame({"member_id": ["ann", "bob", "cat"], "why": ["carer", "patient", None]})
    >>> corpus = Corpus.from_frames(posts, members)
    >>> classified = pd.DataFrame({"post_id": ["p3", "p1"], "label": ["none", "emotional"]})
    >>> author_groups(corpus, classified, "why").tolist()
    ['unknown', 'carer']
    """
    authors = _authors(corpus, classified)
    return pd.Series(_author_group(corpus, authors, by, groups), index=classified.index, dtype="str", name=by)


def _authors(corpus, classified: pd.DataFrame) -> np.ndarray:
    """The ``author_id`` of each row's post (None when unknown), as an object array."""
    from peerscope._kernels import engine

    ids = _post_ids(classified)
    posts = engine.collect(corpus.posts(columns=["post_id", "author_id"]))
    author = pd.Series(posts["author_id"].to_numpy(dtype=object),
                       index=pd.Index(posts["post_id"].astype("str"), name="post_id"))
    found = author.reindex(ids.to_numpy()).to_numpy(dtype=object)
    found[pd.isna(found)] = None
    return found


def _author_group(corpus, authors: np.ndarray, by: str, groups) -> np.ndarray:
    """The group of each author (``unknown`` for None and non-members), as an object array."""
    from peerscope.participation.groups import UNKNOWN, _group_of, member_groups

    group = _group_of(member_groups(corpus, by, groups), authors)
    group[pd.isna(authors)] = UNKNOWN
    return group


def _post_ids(classified: pd.DataFrame) -> pd.Series:
    """The ``post_id`` of each row of a :func:`classify` result, as text."""
    if not isinstance(classified, pd.DataFrame):
        raise PeerscopeError("expected the DataFrame of support.classify(corpus, ...) (post_id and label)")
    if "post_id" in classified:
        return classified["post_id"].astype("str")
    if "doc_id" in classified and "source" in classified:
        sources = set(classified["source"].astype("str").unique())
        if sources - {"posts"}:
            raise PeerscopeError(f"shares by a member attribute are shares of forum posts, and these labels "
                                 f"hold {sorted(sources)}: keep the posts first "
                                 f"(classified[classified['source'] == 'posts'])")
        return classified["doc_id"].astype("str")
    raise PeerscopeError("expected the result of support.classify: a post_id column (or doc_id and source)")


def prevalence_by(corpus, classified: pd.DataFrame, by: str, *, groups=None, validation_true=None,
                  validation_pred=None, labels=None, validation_weights=None, n_boot: int = 1000,
                  confidence: float = 0.95, random_state=None) -> pd.DataFrame:
    """Share of each support label per group of a member attribute, with intervals and a chi-square test.

    Caregivers against patients, newcomers against old hands: each labelled
    post is given its author's group (:func:`author_groups`: the value of
    ``by`` in the members table) and :func:`prevalence` gives each group's
    shares with the same percentile bootstrap interval (raw shares; with
    validation codes, adjusted classify-and-count shares, Forman 2008,
    with ``tpr``/``fpr`` shared by the groups).

    Groups follow :mod:`peerscope.participation.groups`: posts whose author
    has no value (or is not a member, or is unknown) form the group
    ``"unknown"``, and with ``groups=[...]`` the other values are pooled
    into ``"other"``; both are reported, never dropped, and left out of the
    test.

    Test: Pearson's chi-square test of independence of group and predicted
    label (Pearson 1900; ``scipy.stats.chi2_contingency`` on the group x
    label table of post counts of the compared groups, every predicted
    label even when ``labels`` reports fewer, labels no compared post has
    left out; Yates' correction only for a 2 x 2 table).  With validation codes
    it still tests the predicted labels: when the classifier errs alike in
    every group (the assumption of the adjusted shares), equal true shares
    give equal expected predicted shares, so it tests equal true shares
    too.  Posts are the units: posts of one author are not independent
    (a prolific author weighs by her posts), so read the p-value as
    descriptive when a few authors write most posts of a group; the
    ``authors`` per group in ``attrs`` say when.

    Parameters
    ----------
    corpus : peerscope.Corpus
        The labelled corpus (posts and members tables).
    classified : DataFrame
        :func:`classify`'s result (``post_id`` and ``label``), or of
        ``table="all"`` restricted to forum posts.
    by : str
        A member attribute, e.g. ``"reason_joined"``
        (``loaders.table(..., member_attributes={"reason_joined": "user_reason_joined"})``).
    groups : sequence of str, optional
        The groups to compare (default: every value).
    validation_true, validation_pred, labels, validation_weights, n_boot, confidence, random_state
        As in :func:`prevalence`.

    Returns
    -------
    DataFrame
        :func:`prevalence`'s table with a ``group`` column first (one row per
        group and label, groups in the order of ``attrs["groups"]``).
        ``attrs``: ``by``; ``groups`` (compared groups sorted, then
        ``other`` and ``unknown`` when they have posts); ``compared``;
        ``sizes`` (posts per group); ``authors`` (distinct authors per
        group, ``unknown`` counting the known ids without a value); and
        ``test``: ``test``, ``groups``, ``statistic``, ``dof``,
        ``p_value`` (NaN with a ``detail`` when there is nothing to test);
        ``excluded_from_test`` (``other``/``unknown`` when present) and
        ``confidence``.  Side by side: ``frame.pivot(index="label",
        columns="group", values="raw_share")``; drawn by
        :func:`plot_prevalence`.

    Raises
    ------
    peerscope.errors.PeerscopeError
        As :func:`author_groups` and :func:`prevalence`.

    References
    ----------
    Pearson, K. (1900). On the criterion that a given system of deviations from the probable
    in the case of a correlated system of variables is such that it can be reasonably
    supposed to have arisen from random sampling. *Philosophical Magazine* 50(302):157-175.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": [f"p{i}" for i in range(8)], "thread_id": ["p0"] * 8,
    ...     "parent_id": [None] + ["p0"] * 7, "author_id": ["ann", "bob"] * 4,
    ...     "created_at": pd.date_range("2024-01-01", periods=8, tz="UTC"), "text": ["..."] * 8})
    >>> members = pd.DataFrame({"member_id": ["ann", "bob"], "why": ["carer", "patient"]})
    >>> classified = pd.DataFrame({"post_id": posts["post_id"],
    ...     "label": ["emotional", "informational", "emotional", "informational",
    ...               "emotional", "emotional", "none", "informational"]})
    >>> table = prevalence_by(Corpus.from_frames(posts, members), classified, "why", random_state=0)
    >>> side_by_side = table.pivot(index="label", columns="group", values="raw_share").round(2)
    >>> side_by_side.to_dict("list")
    {'carer': [0.75, 0.0, 0.25], 'patient': [0.25, 0.75, 0.0]}
    >>> side_by_side.index.tolist()
    ['emotional', 'informational', 'none']
    >>> table.attrs["test"]["test"], table.attrs["test"]["dof"]
    ('chi-square', 2)
    """
    from peerscope.participation.groups import OTHER, UNKNOWN, _independence, _order

    if not isinstance(classified, pd.DataFrame) or "label" not in classified:
        raise PeerscopeError("expected the result of support.classify: a DataFrame with a label column")
    authors = _authors(corpus, classified)
    group = pd.Series(_author_group(corpus, authors, by, groups), index=classified.index, dtype="str")
    predicted = classified["label"].astype("str")
    frame = prevalence(predicted.to_numpy(), validation_true, validation_pred, labels=labels,
                       groups=group.to_numpy(), validation_weights=validation_weights, n_boot=n_boot,
                       confidence=confidence, random_state=random_state)
    order, compared = _order(set(group), groups)
    rank = {name: i for i, name in enumerate(order)}
    frame = (frame.assign(_rank=frame["group"].map(rank)).sort_values(["_rank", "label"], kind="stable")
             .drop(columns="_rank").reset_index(drop=True))
    sizes = {name: int((group == name).sum()) for name in order}
    writers = pd.Series(authors, index=group.index)
    distinct = {name: int(writers[group == name].nunique()) for name in order}
    frame.attrs.update({"by": by, "groups": list(order), "compared": list(compared), "sizes": sizes,
                        "authors": distinct, "test": _independence(group, predicted, compared, "labels with posts"),
                        "confidence": confidence,
                        "excluded_from_test": [g for g in (OTHER, UNKNOWN) if g in order]})
    return frame


def plot_prevalence(frame: pd.DataFrame, ax=None, *, share: str | None = None, **kw):
    """Bars of each label's share per group (one bar per group, side by side) with their intervals.

    Parameters
    ----------
    frame : DataFrame
        The result of :func:`prevalence_by` (or of :func:`prevalence` with
        ``groups``): ``group``, ``label``, the shares and ``ci_low``/``ci_high``.
    ax : matplotlib.axes.Axes, optional
        Draw here; default: the Axes of a new figure.
    share : {"raw_share", "adjusted_share"}, optional
        The share drawn; default the one the interval is of (``interval_of``).
        Whiskers are drawn only for that share.
    **kw
        Passed to each group's ``ax.bar``.

    Returns
    -------
    matplotlib.axes.Axes
        One ``BarContainer`` per group (legend: the group), labels on the x axis.

    Raises
    ------
    peerscope.errors.PeerscopeError
        When ``frame`` lacks the columns of :func:`prevalence_by`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> frame = pd.DataFrame({"group": ["carer", "carer", "patient", "patient"],
    ...     "label": ["emotional", "none"] * 2, "raw_share": [0.6, 0.4, 0.3, 0.7],
    ...     "ci_low": [0.5, 0.3, 0.2, 0.6], "ci_high": [0.7, 0.5, 0.4, 0.8], "interval_of": "raw_share"})
    >>> ax = plot_prevalence(frame)
    >>> [c.get_label() for c in ax.containers if type(c).__name__ == "BarContainer"]
    ['carer', 'patient']
    """
    from peerscope._kernels.display import axes, draw_grouped_bars

    missing = {"group", "label", "ci_low", "ci_high"} - set(frame.columns)
    if missing:
        raise PeerscopeError(f"plot_prevalence needs the result of support.prevalence_by; missing columns "
                             f"{sorted(missing)}")
    interval_of = str(frame["interval_of"].iloc[0]) if "interval_of" in frame and len(frame) else "raw_share"
    share = interval_of if share is None else share
    if share not in frame:
        raise PeerscopeError(f"share={share!r}: the table has no such column")
    ax = axes(ax)
    whiskers = share == interval_of
    draw_grouped_bars(ax, frame, category="label", group="group", value=share,
                      low="ci_low" if whiskers else None, high="ci_high" if whiskers else None,
                      groups=frame.attrs.get("groups"), **kw)
    by = frame.attrs.get("by")
    what = "Adjusted share" if share == "adjusted_share" else "Share"
    ax.set_title(f"Support by {by}" if by else "Support by group")
    ax.set_xlabel("Support label")
    confidence = frame.attrs.get("confidence", frame["confidence"].iloc[0] if "confidence" in frame
                                 and len(frame) else None)
    ax.set_ylabel(f"{what} of posts" + (f" ({confidence:.0%} interval)" if whiskers and confidence else ""))
    ax.set_ylim(0, 1)
    return ax


def month_of(times) -> pd.Series:
    """The calendar month (``YYYY-MM``, UTC) of each time; naive times are taken as UTC.

    Parameters
    ----------
    times : array-like
        Times (text or timestamps).

    Returns
    -------
    pandas.Series
        ``str`` months.

    Examples
    --------
    >>> month_of(["2024-01-31 23:30-02:00", "2024-01-31 23:30+01:00"]).tolist()
    ['2024-02', '2024-01']
    """
    try:
        stamps = pd.to_datetime(pd.Series(times).reset_index(drop=True), utc=True)
    except (ValueError, TypeError) as error:
        raise PeerscopeError(f"cannot read the times of monthly groups: {error}") from None
    if stamps.isna().any():
        raise PeerscopeError(f"{int(stamps.isna().sum())} missing time(s): every post needs a month")
    return pd.Series(iso_months(months_from_times(stamps)), dtype="str")


def _weights(weights, n: int) -> np.ndarray:
    """Validation weights as positive finite floats (ones when not given)."""
    if weights is None:
        return np.ones(n)
    try:
        weight = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        raise PeerscopeError("validation_weights must be numbers") from None
    if weight.shape != (n,) or not (np.isfinite(weight) & (weight > 0)).all():
        raise PeerscopeError(f"validation_weights: expected {n} positive finite numbers, one per "
                             f"validation post")
    return weight


def _rates(actual: np.ndarray, flagged: np.ndarray, weight: np.ndarray):
    """Weighted true and false positive rates along the last axis (NaN where undefined)."""
    positives = (actual * weight).sum(axis=-1)
    negatives = (~actual * weight).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        tpr = ((actual & flagged) * weight).sum(axis=-1) / positives
        fpr = ((~actual & flagged) * weight).sum(axis=-1) / negatives
    return tpr, fpr


def _text_batches(corpus, batch_size: int, tables: list[str]):
    """(number of documents or None, batches of (table, ids and text)) streamed through the corpus.

    :meth:`peerscope.Corpus.iter_batches` reads a saved corpus row group by
    row group, in either file layout, so the text column is never whole in
    memory.
    """
    window = corpus.time_window
    unwindowed = window.start is None and window.end is None
    total = (sum(int(corpus.manifest["tables"][name]["rows"]) for name in tables
                 if name in corpus.manifest["tables"]) if unwindowed else None)
    batches = ((name, batch) for name in tables
               for batch in corpus.iter_batches(name, _TABLE_COLUMNS[name], batch_size=batch_size))
    return total, batches


#: Where ``classify(..., out=True)`` writes, inside the corpus folder.
DERIVED_FILE = Path("derived") / "support.parquet"


@dataclass(frozen=True)
class LabelSummary:
    """What ``classify(..., out=..., return_labels=False)`` wrote: the file and counts, not the rows.

    Streaming keeps memory flat in corpus size; the labels themselves stay
    on disk, one row per post, for :meth:`read` or any Parquet reader.

    Attributes
    ----------
    path : pathlib.Path
        The Parquet file written.
    rows : int
        Documents labelled.
    labels : pandas.Series
        Documents per label (every label the model can give, zeros kept).
    directions : pandas.Series
        Documents per direction (``seeking``, ``providing``, ``neither``).

    Examples
    --------
    >>> summary = LabelSummary(Path("support.parquet"), 4,
    ...                        pd.Series({"emotional": 1, "other": 3}), pd.Series({"seeking": 4}))
    >>> summary.shares().to_dict()
    {'emotional': 0.25, 'other': 0.75}
    """

    path: Path
    rows: int
    labels: pd.Series
    directions: pd.Series

    def shares(self) -> pd.Series:
        """Share of documents per label (NaN when nothing was labelled)."""
        return self.labels / self.rows if self.rows else self.labels.astype(np.float64) * np.nan

    def read(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The labels file as a DataFrame (``label`` and ``direction`` categorical), or some of its columns.

        ``read(["post_id", "label"])`` reads two columns of the file: what a
        prevalence estimate needs, at a fraction of the memory of every row's scores.
        """
        return pq.read_table(self.path, columns=columns).to_pandas()


def classify(corpus, model=None, *, batch_size: int = 20_000, out: str | os.PathLike | bool | None = None,
             return_labels: bool = True, progress: bool | None = None,
             table: str = "posts") -> pd.DataFrame | LabelSummary:
    """Label every post (or newsletter item) of a corpus with a support model, batch by batch.

    Parameters
    ----------
    corpus : peerscope.Corpus
        In memory or saved (a saved corpus is streamed in batches, with only
        ``post_id``, ``thread_id``, ``parent_id`` and ``text`` read).
    model : SupportClassifier or LexiconLabeller, optional
        Anything with ``predict_frame(texts)`` returning scores and a ``label``
        column: a fitted classifier or the lexicon labeller.  Default:
        ``pretrained("forum")`` (:mod:`peerscope.support.pretrained`; model
        card ``docs/models/forum.md``), which needs no training data.
    batch_size : int
        Posts per batch.
    out : path-like or True, optional
        Also write the result as Parquet: to this path, or with ``True``
        beside a saved corpus, to ``<corpus>/derived/support.parquet`` (a
        later call replaces it).  Each batch is written as it is labelled,
        to a temporary file in the same folder that replaces ``out`` only
        when every batch is in (removed on failure), with a checksum on
        every page.
    return_labels : bool
        Return every row as a DataFrame (default).  ``False`` (needs
        ``out``) keeps no row in memory, so memory stays flat in corpus
        size (as ``peerscope classify`` does), and returns a
        :class:`LabelSummary` of the file.
    progress : bool, optional
        A tqdm bar (default: when stderr is a terminal).
    table : {"posts", "newsletter_items", "all"}
        Label the posts (default), the newsletter items (``item_id`` and
        ``text`` read) or both, posts first.  Shares by form of support:
        ``prevalence(labels["label"], groups=labels["source"])``.

    Returns
    -------
    DataFrame or LabelSummary
        ``post_id`` (``table="posts"``: the columns as before tables could
        be chosen) or, with newsletter items, ``doc_id`` (a post's
        ``post_id`` or an item's ``item_id``) and ``source`` (``posts`` or
        ``newsletter_items``); then ``label`` (categorical), ``direction``
        (categorical: ``seeking``, ``providing`` or ``neither``, from each
        post's position in its thread and its wording, an item's wording
        alone: :func:`peerscope.support.direction.direction`) and one
        ``float32`` score per class; ``attrs["path"]`` is the file written
        (None when not written).  With ``return_labels=False``, a
        :class:`LabelSummary` (the file, its row count, counts per label
        and per direction) instead.

    Raises
    ------
    peerscope.errors.PeerscopeError
        When ``batch_size`` < 1, ``out=True`` for a corpus in memory,
        ``return_labels=False`` without ``out``, an unknown ``table``, or
        newsletter items of a corpus without them.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> from peerscope.support import LexiconLabeller
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2", "p3"], "thread_id": ["p1"] * 3,
    ...     "parent_id": [None, "p1", "p1"], "author_id": ["ann", "bob", "cat"],
    ...     "created_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"], utc=True),
    ...     "text": ["Cannot sleep again", "I'm so sorry, sending hugs.",
    ...              "Have you tried talking to your GP?"]})
    >>> labels = classify(Corpus.from_frames(posts), LexiconLabeller(), batch_size=2)
    >>> labels[["post_id", "label"]].values.tolist()
    [['p1', 'none'], ['p2', 'emotional'], ['p3', 'informational']]
    >>> classify(Corpus.from_frames(posts), LexiconLabeller(), table="all")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    peerscope.errors.PeerscopeError: table='all': this corpus has no newsletter_items table ...
    >>> labels.attrs["path"] is None
    True

    Streamed to a file, with only counts kept in memory:

    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> summary = classify(Corpus.from_frames(posts), LexiconLabeller(), out=f"{folder}/support.parquet",
    ...                    return_labels=False)
    >>> summary.rows, summary.labels[summary.labels > 0].to_dict()
    (3, {'informational': 1, 'emotional': 1, 'none': 1})
    >>> summary.read(["post_id", "label"]).equals(labels[["post_id", "label"]])
    True
    """
    if batch_size < 1:
        raise PeerscopeError(f"batch_size={batch_size}: expected a positive number of posts")
    tables = _tables(corpus, table)
    if out is True:
        if corpus.path is None:
            raise PeerscopeError("out=True writes beside a saved corpus, and this one is in memory; "
                                 "save it first or give a path")
        out = Path(corpus.path) / DERIVED_FILE
    elif out is False:
        out = None
    if out is None and not return_labels:
        raise PeerscopeError("return_labels=False keeps no labels in memory, so it needs out= (a path, "
                             "or True to write <corpus>/derived/support.parquet)")
    if model is None:
        model = pretrained("forum")
    if progress is None:
        progress = sys.stderr.isatty()
    post_id = table == "posts"
    if corpus.engine == "dask":  # the model labels each partition on the workers
        total = None
        batches = [label_partitions(corpus, model, batch_size=batch_size, table=table).compute()]
    else:
        total, texts = _text_batches(corpus, batch_size, tables)
        batches = (_label_batch(model, batch, name, post_id) for name, batch in texts)
    empty = _no_labels(model, tables[0], post_id).reset_index(drop=True)
    with tqdm(total=total, unit="documents", desc="support", disable=not progress) as bar:
        counted = _Counted(_progress(batches, bar))
        if out is None:
            result = _concat(counted, empty)
        elif return_labels:
            kept = []
            _write_atomic(_keeping(counted, kept), empty, Path(out))
            result = _concat(kept, empty)
        else:
            _write_atomic(counted, empty, Path(out))
            return LabelSummary(Path(out), counted.rows, counted.count("label", empty),
                                counted.count("direction", empty))
    result.attrs["path"] = None if out is None else str(out)
    return result


def _progress(batches, bar):
    """The labelled batches, each ticking the progress bar by its rows."""
    for batch in batches:
        bar.update(len(batch))
        yield batch


def _keeping(batches, kept: list):
    """The batches, each also appended to ``kept``."""
    for batch in batches:
        kept.append(batch)
        yield batch


def _concat(batches, empty: pd.DataFrame) -> pd.DataFrame:
    parts = list(batches)
    return pd.concat(parts, ignore_index=True) if parts else empty


class _Counted:
    """Iterate labelled batches while counting rows, labels and directions (the summary of a stream)."""

    def __init__(self, batches):
        self._batches = batches
        self.rows = 0
        self._counts = {"label": [], "direction": []}

    def __iter__(self):
        for batch in self._batches:
            self.rows += len(batch)
            for column, counts in self._counts.items():
                if column in batch:
                    counts.append(batch[column].value_counts(sort=False))
            yield batch

    def count(self, column: str, empty: pd.DataFrame) -> pd.Series:
        """Documents per category of ``column`` over every batch seen (zeros for categories never given)."""
        categories = list(empty[column].cat.categories) if column in empty else []
        total = pd.Series(0, index=pd.Index(categories, dtype="str"), dtype=np.int64)
        for counts in self._counts[column]:
            total = total.add(counts.set_axis(counts.index.astype("str")), fill_value=0).astype(np.int64)
        return total.rename(column)


def _write_atomic(batches, empty: pd.DataFrame, target: Path) -> None:
    """Write labelled batches to ``target`` as they come: a temporary file beside it, renamed at the end.

    The schema is the empty result's, so every batch must match it (the
    fixed dtypes of :func:`~peerscope.support.labelling._label_batch`); the
    temporary file is removed if anything fails, leaving ``target`` as it was.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    schema = pa.Schema.from_pandas(empty, preserve_index=False)
    handle, staging = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    try:
        with pq.ParquetWriter(staging, schema, compression="zstd", write_page_checksum=True) as writer:
            for batch in batches:
                writer.write_table(pa.Table.from_pandas(batch, schema=schema, preserve_index=False))
        os.replace(staging, target)
    finally:
        if os.path.exists(staging):
            os.remove(staging)
