"""Choosing the number of topics: coherence and diversity across k.

No statistic picks k by itself; Carron-Arthur et al. (2016) combined
diagnostics with reading the topics.  :func:`sweep` fits one model per k on
the same bag of words (preprocessed once) and tabulates NPMI coherence,
UMass coherence and topic diversity, so that a researcher can shortlist the
values of k worth reading; :func:`plot_sweep` draws the table.
"""

from __future__ import annotations

import time

import pandas as pd

from peerscope import errors
from peerscope.text import BagOfWords, bag_of_words
from peerscope.topics.model import fit
from peerscope.topics.quality import coherence

__all__ = ["plot_sweep", "sweep"]


def sweep(source, ks=range(5, 41, 5), method: str = "lda", seed: int = 0, *,
          measures=("c_npmi", "u_mass"), top_n: int = 10, diversity_n: int = 25,
          max_documents: int | None = None, preprocessor=None, progress: bool | None = None,
          **fit_options) -> pd.DataFrame:
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

    Returns
    -------
    DataFrame
        One row per k: ``k``, one column per measure, ``diversity``,
        ``seconds`` (fit time); ``attrs`` hold the parameters.

    Examples
    --------
    >>> from peerscope.text import Preprocessor
    >>> texts = ["sleep insomnia tired night"] * 20 + ["mum dad family kids"] * 20
    >>> table = sweep(texts, ks=[2, 3], method="nmf", preprocessor=Preprocessor(min_df=1),
    ...               progress=False)
    >>> table["k"].tolist(), table["diversity"].round(4).tolist()
    ([2, 3], [0.5, 0.3333])
    >>> table.attrs["documents"]
    40
    """
    bow = source if isinstance(source, BagOfWords) else bag_of_words(source, preprocessor, progress=progress)
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
