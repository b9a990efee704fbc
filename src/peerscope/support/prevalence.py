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

__all__ = ["DERIVED_FILE", "LabelSummary", "adjusted_share", "classify", "month_of", "prevalence"]


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
