"""Choosing the number of topics, and the baseline that coherence needs.

No statistic picks k by itself; Carron-Arthur et al. (2016) combined
diagnostics with reading the topics.  :func:`sweep` fits one model per k on
the same bag of words (preprocessed once) and tabulates NPMI coherence,
UMass coherence and topic diversity, so that a researcher can shortlist the
values of k worth reading; :func:`plot_sweep` draws the table.
``topics.fit(source, k="auto")`` makes a choice by a stated rule (coherence
and stability across seeds, see :func:`peerscope.topics.fit`) and keeps its
sweep table on the model.

:func:`coherence_baseline` is what a coherence value should be compared
with: the coherence of the same kind of model fitted on the same documents
with their words shuffled across documents.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning

from peerscope import errors
from peerscope.text import BagOfWords, Preprocessor, bag_of_words
from peerscope.topics.model import fit
from peerscope.topics.quality import Coherence, coherence

__all__ = ["coherence_baseline", "plot_sweep", "sweep"]


def sweep(source, ks=range(5, 41, 5), method: str = "lda", seed: int = 0, *,
          measures=("c_npmi", "u_mass"), top_n: int = 10, diversity_n: int = 25,
          max_documents: int | None = None, preprocessor=None, progress: bool | None = None,
          table: str = "posts", **fit_options) -> pd.DataFrame:
    """Fit a model for each k and tabulate its coherence and diversity.

    Parameters
    ----------
    source : Corpus, BagOfWords or texts
        Preprocessed once (see :func:`peerscope.text.bag_of_words`).
    ks : iterable of int
        Numbers of topics to try.
    method, seed, **fit_options
        Passed to :func:`peerscope.topics.fit`.
    measures : tuple of str
        Coherence measures (see :func:`peerscope.topics.quality.coherence`).
    top_n, diversity_n : int
        Top terms scored for coherence; top terms for diversity.
    max_documents : int, optional
        Score coherence on a sample of this many documents.

    preprocessor : Preprocessor, optional
        Preprocessing of ``source`` when it is not a BagOfWords (preprocessing
        options cannot go through ``**fit_options``, which are applied to the
        already preprocessed documents).
    progress : bool, optional
        tqdm bars.
    table : {"posts", "newsletter_items", "all"}
        The text of a corpus (see :func:`peerscope.text.bag_of_words`);
        ignored for a BagOfWords and plain texts.

    Returns
    -------
    DataFrame
        One row per k: ``k``, one column per measure, ``diversity``,
        ``seconds`` (fit time); ``attrs`` hold the parameters.

    Examples
    --------
    >>> from peerscope.text import Preprocessor
    >>> texts = ["sleep insomnia tired night", "insomnia tired night", "mum dad family kids",
    ...          "dad family kids"] * 10
    >>> table = sweep(texts, ks=[2, 3], method="nmf", preprocessor=Preprocessor(min_df=1),
    ...               progress=False)
    >>> table["k"].tolist(), table["diversity"].round(4).tolist()
    ([2, 3], [0.5, 0.3333])
    >>> table.attrs["documents"]
    40
    """
    bow = (source if isinstance(source, BagOfWords)
           else bag_of_words(source, preprocessor, table=table, progress=progress))
    rows = []
    for k in ks:
        started = time.perf_counter()
        model = fit(bow, int(k), method, seed, progress=progress, **fit_options)
        row = {"k": int(k), "seconds": time.perf_counter() - started}
        for measure in measures:
            row[measure] = coherence(model, measure, top_n=top_n, max_documents=max_documents).value
        row["diversity"] = model.diversity(diversity_n)
        rows.append(row)
    table = pd.DataFrame(rows, columns=["k", *measures, "diversity", "seconds"])
    table.attrs.update({"method": method, "seed": seed, "top_n": top_n, "diversity_n": diversity_n,
                        "max_documents": max_documents, "documents": len(bow),
                        "preprocessing": bow.preprocessor.params(), **fit_options})
    return table


def plot_sweep(table: pd.DataFrame, ax=None):
    """Plot each measure of a :func:`sweep` table against k (needs matplotlib).

    Parameters
    ----------
    table : DataFrame
        A table of :func:`sweep`.
    ax : matplotlib.axes.Axes, optional
        Draw every measure on this one axis; default one new subplot per measure.

    Returns
    -------
    matplotlib.axes.Axes
        The first (top) axis.

    Raises
    ------
    peerscope.errors.PeerscopeError
        Without matplotlib.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> table = pd.DataFrame({"k": [5, 10], "c_npmi": [0.05, 0.08], "diversity": [0.9, 0.8],
    ...                       "seconds": [1.0, 2.0]})
    >>> ax = plot_sweep(table)
    >>> ax.get_ylabel(), len(ax.figure.axes)
    ('c_npmi', 2)
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise errors.PeerscopeError("plot_sweep needs matplotlib: pip install matplotlib") from None
    measures = [c for c in table.columns if c not in ("k", "seconds")]
    if ax is None:
        _, ax = plt.subplots(len(measures), 1, sharex=True, squeeze=False,
                             figsize=(5, 1.8 * len(measures)))
        axes = list(ax[:, 0])
    else:
        axes = [ax] * len(measures)
    for axis, measure in zip(axes, measures):
        axis.plot(table["k"], table[measure], marker="o", label=measure)
        axis.set_ylabel(measure)
    axes[-1].set_xlabel("number of topics k")
    return axes[0]


def coherence_baseline(model, measure: str = "c_npmi", *, seed: int = 0, top_n: int = 10,
                       max_documents: int | None = None) -> Coherence:
    """Coherence of the same model fitted on its documents with their words shuffled.

    Every term occurrence of the training documents is shuffled across
    documents (each document keeps its length, the corpus its term
    frequencies), a model of the same method, k and options is fitted to
    that, and its topics are scored on the *real* documents.  When there
    are more documents than the model's ``max_documents`` (:func:`fit`),
    the shuffle draws a random sample of that many (``seed``), so the
    baseline is fitted to as much text as the model and costs no more.  Topics found
    in shuffled words are what the method finds in noise (lists of frequent
    terms); a model whose coherence does not clearly exceed this baseline
    has found no more than that.  The comparison follows the shuffled-word
    baselines used to validate topic coherence measures (Bouma 2009 for
    NPMI; Röder, Both & Hinneburg 2015).

    Parameters
    ----------
    model : TopicModel
        A fitted model that still holds its documents (not one read by
        :meth:`TopicModel.load`).
    measure : {"c_npmi", "u_mass"}
    seed : int
        Seed of the shuffle (the baseline model keeps the model's own seed).
    top_n : int
        Top terms per topic scored.
    max_documents : int, optional
        Score on a random sample of this many documents (``seed``).

    Returns
    -------
    Coherence
        The baseline model's coherence on the real documents.

    Raises
    ------
    peerscope.errors.PeerscopeError
        For a model without its documents.

    Examples
    --------
    >>> from peerscope.topics import fit
    >>> texts = ["sleep insomnia tired night"] * 20 + ["mum dad family kids"] * 20
    >>> model = fit(texts, k=2, method="nmf", seed=0, min_df=1)
    >>> baseline = coherence_baseline(model)
    >>> model.coherence().value > baseline.value
    True
    """
    bow = model.bow
    if bow is None:
        raise errors.PeerscopeError("this model holds no training documents (loaded from disk): "
                                    "fit it again to compute its shuffled-words baseline")
    options = {key: model.params[key] for key in ("max_iter", "alpha", "eta", "max_documents")
               if key in model.params}
    rows = None
    cap = model.params.get("max_documents")
    if cap is not None and cap < len(bow):
        rows = np.sort(np.random.default_rng(seed).choice(len(bow), int(cap), replace=False))
    with warnings.catch_warnings():
        # shuffled words have no structure to converge to: running out of iterations is expected
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        baseline = fit(_shuffled(bow, seed, rows), model.k, model.method, model.params.get("seed", 0),
                       **options)
    return coherence(baseline, measure, top_n=top_n, reference=bow, max_documents=max_documents, seed=seed)


def _shuffled(bow: BagOfWords, seed: int, rows: np.ndarray | None = None) -> BagOfWords:
    """The documents of ``bow`` (or its ``rows``, sorted) with every term occurrence shuffled across them
    (lengths kept)."""
    parts = [_take(start, offsets, values, rows) for start, offsets, values in bow.iter_sequences()]
    lengths = np.concatenate([np.diff(o) for o, _ in parts]) if parts else np.zeros(0, np.int64)
    values = np.concatenate([v for _, v in parts]) if parts else np.zeros(0, np.int64)
    values = np.random.default_rng(seed).permutation(values)
    doc = np.repeat(np.arange(len(lengths)), lengths)
    present = sparse.csr_matrix((np.ones(len(values)), (doc, values)), shape=(len(lengths), len(bow.terms)))
    present.sum_duplicates()
    vocabulary = pd.DataFrame({"term": bow.vocabulary["term"], "df": np.diff(present.tocsc().indptr),
                               "cf": np.bincount(values, minlength=len(bow.terms))})
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    sequences = pa.LargeListArray.from_arrays(pa.array(offsets), pa.array(values.astype(np.int32)))
    stats = {"documents": len(lengths), "empty_documents": int((lengths == 0).sum()),
             "tokens": int(lengths.sum()), "vocabulary": len(bow.terms)}
    keep_all = Preprocessor(min_df=1, max_df=1.0, drop_names=False)
    docs = bow.docs if rows is None else bow.docs.iloc[rows].reset_index(drop=True)
    return BagOfWords(keep_all, vocabulary, docs.drop(columns="n_terms"), sequences, stats, table=bow.table)


def _take(start: int, offsets: np.ndarray, values: np.ndarray, rows: np.ndarray | None):
    """The ``(offsets, values)`` of the documents of one batch that are among ``rows`` (all when None)."""
    if rows is None:
        return offsets, values
    local = rows[(rows >= start) & (rows < start + len(offsets) - 1)] - start
    lengths = np.diff(offsets)[local]
    picked = (np.concatenate([values[offsets[i]:offsets[i + 1]] for i in local]) if len(local)
              else values[:0])
    return np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64), picked
