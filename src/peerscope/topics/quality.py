"""How good are the topics: coherence (NPMI, UMass) and diversity.

Coherence scores the top terms of each topic by how often they occur
together in a reference corpus, by default the documents the model was
trained on (after preprocessing: stop words and pruned terms removed):

``c_npmi``
    mean normalised pointwise mutual information over pairs of top terms,
    ``NPMI(a, b) = log(P(a, b) / (P(a) P(b))) / -log(P(a, b))``, in [-1, 1],
    with probabilities from a boolean sliding window of ``window_size``
    terms (gensim's default 10) over each document (Bouma 2009; Lau,
    Newman & Baldwin 2014; Röder, Both & Hinneburg 2015).
``u_mass``
    mean ``log((D(a, b) + 1) / D(b))`` over ordered pairs of top terms, with
    document co-occurrence counts ``D`` (Mimno et al. 2011); <= 0, higher is
    better.

``c_npmi`` is computed here, vectorised with sparse matrices (a window is a
row, its distinct terms the columns; co-occurrence counts are one sparse
product), as gensim's ``CoherenceModel`` defines it: every window of
``window_size`` consecutive terms of every reference document, one window
for a shorter document (also an empty one), ``epsilon = 1e-12`` inside the
logarithms, and the mean over pairs of a topic's top terms.  It differs from
gensim in one respect: gensim's window accumulator can lose a term that
occurs twice within a window as the first occurrence slides out; here a
term is in every window that holds it.  It is fast enough for choosing k
over a sweep (milliseconds per model on thousands of documents, where
gensim takes seconds).  ``u_mass`` is gensim's ``CoherenceModel``; ``c_v``
is deliberately not offered (its author advises against gensim's
implementation; docs/concepts.md, "Topics").

A coherence number means little alone: compare it with a baseline, a model
of the same method and k fitted on the same documents with their words
shuffled across documents (:func:`peerscope.topics.coherence_baseline`), or
across ``k`` (:func:`peerscope.topics.sweep`).

Topic diversity (Dieng, Ruiz & Blei 2020) is the share of unique terms among
the top 25 terms of all topics: 1 means no two topics share a top term, near
``1/k`` means the topics repeat each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from peerscope import errors

__all__ = ["MEASURES", "Coherence", "coherence", "diversity"]

MEASURES = ("c_npmi", "u_mass")


@dataclass(frozen=True)
class Coherence:
    """A coherence score with what made it.

    Attributes
    ----------
    measure : str
        ``"c_npmi"`` or ``"u_mass"``.
    value : float
        Mean over topics with a score.
    per_topic : tuple of float
        Each topic's score (NaN: fewer than two top terms in the reference).
    top_n : int
        Top terms per topic scored.
    window_size : int or None
        Sliding window (``c_npmi``); None for document co-occurrence.
    n_documents : int
        Reference documents used.

    Examples
    --------
    >>> from peerscope.topics import fit
    >>> texts = ["sleep insomnia tired night"] * 20 + ["mum dad family kids"] * 20
    >>> model = fit(texts, k=2, method="nmf", seed=0, min_df=1)
    >>> frame = coherence(model, "u_mass").to_frame()
    >>> frame[["topic", "measure", "top_n", "n_documents"]].values.tolist()
    [[0, 'u_mass', 10, 40], [1, 'u_mass', 10, 40]]
    """

    measure: str
    value: float
    per_topic: tuple
    top_n: int
    window_size: int | None
    n_documents: int

    def to_frame(self) -> pd.DataFrame:
        """One row per topic: ``topic, measure, coherence, top_n, window_size, n_documents``."""
        return pd.DataFrame({"topic": np.arange(len(self.per_topic)), "measure": self.measure,
                             "coherence": np.asarray(self.per_topic, dtype=float), "top_n": self.top_n,
                             "window_size": self.window_size, "n_documents": self.n_documents})


def coherence(model, measure: str = "c_npmi", *, top_n: int = 10, reference=None,
              window_size: int | None = None, max_documents: int | None = None,
              seed: int = 0) -> Coherence:
    """Coherence of a model's topics on a reference corpus (see the module docstring).

    Parameters
    ----------
    model : TopicModel
    measure : {"c_npmi", "u_mass"}
    top_n : int
        Top terms per topic to score.
    reference : BagOfWords, optional
        The documents co-occurrence is counted in; default the model's own
        training documents (required after :meth:`TopicModel.load`).  Top
        terms missing from it are left out of a topic's pairs.
    window_size : int, optional
        ``c_npmi`` sliding window (default 10, gensim's).
    max_documents : int, optional
        Score on a random sample of this many reference documents (``seed``),
        for speed on large corpora; the sample size is reported.
    seed : int
        Seed of that sample.

    Returns
    -------
    Coherence

    Raises
    ------
    peerscope.errors.PeerscopeError
        For an unknown ``measure``, or a loaded model without ``reference``.

    Examples
    --------
    Two topics whose words never meet in a document: NPMI is low.

    >>> from peerscope.topics import fit
    >>> texts = ["sleep insomnia tired night"] * 20 + ["mum dad family kids"] * 20
    >>> model = fit(texts, k=2, method="nmf", seed=0, min_df=1)
    >>> score = coherence(model, "c_npmi")
    >>> round(score.value, 4), score.window_size, score.n_documents
    (-0.1142, 10, 40)
    """
    from gensim.models.coherencemodel import CoherenceModel

    if measure not in MEASURES:
        raise errors.PeerscopeError(f"measure={measure!r}: choose one of {list(MEASURES)} "
                                    "(c_v is not offered: see peerscope.topics.quality)")
    bow = reference if reference is not None else model.bow
    if bow is None:
        raise errors.PeerscopeError("this model holds no training documents (loaded from disk): "
                                    "pass reference=bag_of_words(...)")
    rows = None
    if max_documents is not None and max_documents < len(bow):
        rows = np.sort(np.random.default_rng(seed).choice(len(bow), max_documents, replace=False))
    n_documents = len(bow) if rows is None else len(rows)
    known = set(bow.terms)
    terms = model.vocabulary["term"].to_numpy(dtype=object)[model.top_term_ids(top_n)]
    topics = [[t for t in row if t in known] for row in terms]
    scorable = [i for i, t in enumerate(topics) if len(t) >= 2]
    per_topic = np.full(model.k, np.nan)
    if measure == "c_npmi":
        window_size = 10 if window_size is None else int(window_size)
        if window_size < 2:
            raise errors.PeerscopeError(f"window_size must be at least 2, not {window_size}")
        if scorable:
            ids = {t: i for i, t in enumerate(bow.terms)}
            per_topic[scorable] = _npmi(bow, rows, [[ids[t] for t in topics[i]] for i in scorable], window_size)
    elif scorable:
        window_size = None
        scorer = CoherenceModel(corpus=_Corpus(bow, rows), topics=[topics[i] for i in scorable],
                                dictionary=bow.dictionary(), coherence=measure, topn=top_n, processes=1)
        per_topic[scorable] = scorer.get_coherence_per_topic()
    value = float(np.nanmean(per_topic)) if np.isfinite(per_topic).any() else float("nan")
    return Coherence(measure, value, tuple(per_topic.tolist()), top_n,
                     window_size if measure == "c_npmi" else None, n_documents)


def diversity(model, n: int = 25) -> float:
    """Share of unique terms among the top ``n`` terms of all topics (Dieng et al. 2020).

    Parameters
    ----------
    model : TopicModel
    n : int
        Top terms per topic.

    Returns
    -------
    float
        Between 1/k (all topics share their top terms) and 1 (none shared).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from types import SimpleNamespace
    >>> m = SimpleNamespace(k=2, top_term_ids=lambda n: np.array([[0, 1], [1, 2]]))
    >>> diversity(m, 2)
    0.75
    """
    ids = model.top_term_ids(n)
    return float(len(np.unique(ids)) / ids.size) if ids.size else float("nan")


_EPSILON = 1e-12  # gensim's, inside the logarithms of NPMI


def _npmi(bow, rows, topics: list[list[int]], window: int) -> np.ndarray:
    """Mean NPMI over pairs of each topic's term ids, from boolean sliding windows (see the module docstring)."""
    relevant = np.unique(np.concatenate([np.asarray(t, dtype=np.int64) for t in topics]))
    index = np.full(len(bow.terms), -1, dtype=np.int64)
    index[relevant] = np.arange(len(relevant))
    counts = np.zeros((len(relevant), len(relevant)))
    n_windows = 0
    for start, offsets, values in bow.iter_sequences():
        lengths = np.diff(offsets)
        wanted = np.ones(len(lengths), dtype=bool)
        if rows is not None:
            wanted[:] = False
            wanted[rows[(rows >= start) & (rows < start + len(lengths))] - start] = True
        per_doc = np.where(wanted, np.maximum(lengths - window + 1, 1), 0)
        n_windows += int(per_doc.sum())
        doc = np.repeat(np.arange(len(lengths)), lengths)
        position = np.arange(len(values)) - offsets[doc]
        column = index[values]
        keep = wanted[doc] & (column >= 0)
        doc, position, column = doc[keep], position[keep], column[keep]
        length = lengths[doc]
        # windows j holding position p: max(0, p - window + 1) <= j <= min(p, max(length - window, 0))
        low = np.maximum(position - window + 1, 0)
        high = np.minimum(position, np.maximum(length - window, 0))
        n = high - low + 1
        first = (np.cumsum(per_doc) - per_doc)[doc] + low
        window_id = np.repeat(first - np.cumsum(n) + n, n) + np.arange(int(n.sum()))
        occurrence = sparse.csr_matrix((np.ones(len(window_id)), (window_id, np.repeat(column, n))),
                                       shape=(int(per_doc.sum()), len(relevant)))
        occurrence.sum_duplicates()
        occurrence.data[:] = 1.0
        counts += (occurrence.T @ occurrence).toarray()
    probability = counts / max(n_windows, 1)
    single = np.diag(probability)
    with np.errstate(divide="ignore", invalid="ignore"):
        joint = probability + _EPSILON
        npmi = np.log(joint / np.outer(single, single)) / -np.log(joint)
    scores = []
    for topic in topics:
        at = index[np.asarray(topic, dtype=np.int64)]
        block = npmi[np.ix_(at, at)]
        scores.append(float(block[~np.eye(len(at), dtype=bool)].mean()))
    return np.asarray(scores)


class _Corpus:
    """Re-iterable gensim corpus of (some) documents, for document co-occurrence."""

    def __init__(self, bow, rows):
        self.bow, self.rows = bow, rows

    def __iter__(self):
        if self.rows is None:
            yield from self.bow.gensim_corpus()
            return
        wanted = set(self.rows.tolist())
        for i, doc in enumerate(self.bow.gensim_corpus()):
            if i in wanted:
                yield doc
