"""Fitting topic models (LDA, NMF), choosing k, and keeping models without pickle.

:func:`fit` takes a corpus, plain texts or a prepared
:class:`~peerscope.text.BagOfWords` and returns a :class:`TopicModel`:

``method="lda"``
    Latent Dirichlet allocation (Blei, Ng & Jordan 2003) fitted by batch
    variational Bayes: scikit-learn's ``LatentDirichletAllocation(
    learning_method="batch")``, :data:`LDA_ITERATIONS` passes over all
    documents (the variational updates of Hoffman, Blei & Bach 2010, applied
    to the whole corpus at each step).  Until issue 19 this was gensim's
    online LDA with one pass, which on mixtures of real communities found
    the communities far less well than batch LDA (NMI 0.02-0.25 against
    0.12-0.48, docs/measures/topics.md); with 10 passes gensim took twice
    the time of batch LDA and still found them less well on every mixture.
``method="nmf"``
    Non-negative matrix factorisation (Lee & Seung 1999) of the sublinear
    tf-idf matrix (scikit-learn ``TfidfTransformer(sublinear_tf=True)`` then
    ``NMF(init="nndsvda")``), as often used for short texts.

``k="auto"`` chooses the number of topics by coherence and stability across
seeds over a sweep of k on a sample (see :func:`fit`); the sweep table stays
on the model (:attr:`TopicModel.sweep_table`) and is saved with it.

Every document gets topic *shares* (rows summing to 1): LDA's posterior
mean of theta (normalised gamma), NMF's row of W divided by its sum.  A
document left with no term after preprocessing gets no shares (NaN) and no
dominant topic: it has no text to be about anything.

LDA's shares cost one more E-step over every document after training, which
a sweep over ``k`` (coherence only) never needs; so they are inferred on
first use (:attr:`TopicModel.doc_topic`, :meth:`~TopicModel.doc_topics`,
:func:`~peerscope.topics.prevalence`, :meth:`~TopicModel.save`) and kept.
scikit-learn starts that E-step from the same gamma for every document, so
the shares are the same whenever they are computed.

:meth:`TopicModel.save` writes numpy arrays (``np.save``), Parquet and JSON
only; :meth:`TopicModel.load` reads them with ``allow_pickle=False``, so a
model file cannot run code (scikit-learn's and gensim's own ``save`` pickle).
"""

from __future__ import annotations

import json
import os
import sys
import time
import tokenize
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from peerscope import __version__, errors
from peerscope.text import BagOfWords, Preprocessor, bag_of_words
from peerscope.topics.quality import coherence, diversity

__all__ = ["AUTO_KS", "AUTO_SAMPLE", "BATCH", "FORMAT", "LDA_ITERATIONS", "MAX_DOCUMENTS", "METHODS",
           "TopicModel", "fit"]

METHODS = ("lda", "nmf")
#: Format tag of a saved model folder.
FORMAT = "peerscope-topic-model"
#: Documents per inference batch.
BATCH = 20_000
#: Rows hashed at a time when looking for repeated documents.
_KEY_BATCH = 100_000
#: Passes of batch variational Bayes over the documents (LDA).
LDA_ITERATIONS = 10
#: The numbers of topics ``k="auto"`` tries.
AUTO_KS = (3, 4, 5, 6, 8, 10, 12, 15)
#: Documents (with terms) the ``k="auto"`` sweep is fitted on.
AUTO_SAMPLE = 1500
#: The rule of ``k="auto"``, as stored with the model.
AUTO_RULE = ("max over k of rescaled NPMI + rescaled stability (each min-max scaled to [0, 1] over the "
             "ks tried); stability: mean cosine similarity of two seeds' topics matched one to one")
#: Most distinct documents a model is trained on (the others' shares are inferred).
MAX_DOCUMENTS = 10_000
_DEFAULT_ITER = {"lda": LDA_ITERATIONS, "nmf": 400}
_LDA_TOLERANCE = 1e-2  # E-step convergence (mean change of gamma); scikit-learn's 1e-3 doubles the time
_IMPLEMENTATION = {"lda": "sklearn.LatentDirichletAllocation(learning_method='batch')",
                   "nmf": "sklearn.TfidfTransformer(sublinear_tf=True) + sklearn.NMF(init='nndsvda')"}


class TopicModel:
    """A fitted topic model: topics over terms, documents over topics.

    Attributes
    ----------
    method : {"lda", "nmf"}
    k : int
        Number of topics.
    params : dict
        Every parameter of the fit (method options, seed, preprocessing).
    vocabulary : DataFrame
        ``term, df, cf`` of the terms the model knows, in id order.
    topic_term : ndarray, shape (k, n_terms)
        Each topic's distribution over terms (rows sum to 1).
    doc_topic : ndarray, shape (n_documents, k)
        Each training document's topic shares (NaN rows: empty documents);
        for LDA inferred on first access (see the module docstring).
    docs : DataFrame
        ``doc_id, source, author_id, created_at, n_terms`` of the training
        documents (``source``: ``"posts"`` or ``"newsletter_items"``, null for
        plain texts), led by ``post_id`` when the model was fitted on posts
        or plain texts (see :mod:`peerscope.text`).
    labels : dict
        Topic -> human name set with :meth:`label`.
    bow : BagOfWords or None
        The training documents (None after :meth:`load`).
    estimator : object or None
        The scikit-learn ``LatentDirichletAllocation`` (also rebuilt by
        :meth:`load`, for new documents' shares) or ``NMF`` (None after
        :meth:`load`).
    sweep_table : DataFrame or None
        For ``fit(..., k="auto")``: one row per k tried, ``k, npmi,
        stability, diversity, seconds, score, chosen`` (see :func:`fit`);
        None otherwise.

    Examples
    --------
    >>> texts = ["sleep insomnia tired night"] * 20 + ["mum dad family kids"] * 20
    >>> model = fit(texts, k=2, method="nmf", seed=0, min_df=1)
    >>> model
    <TopicModel nmf k=2 terms=8 documents=40>
    >>> model.doc_topic.shape, sorted(set(model.dominant_topics().tolist()))
    ((40, 2), [0, 1])
    >>> model.label(1, "Sleep").topic_names()
    ['topic 0', 'Sleep']
    """

    def __init__(self, method, k, params, vocabulary, topic_term, doc_topic, docs, *,
                 labels=None, bow=None, estimator=None, state=None, sweep_table=None):
        self.method = method
        self.k = int(k)
        self.params = params
        self.vocabulary = vocabulary
        self.topic_term = topic_term
        self._doc_topic = doc_topic  # None: inferred from estimator and bow on first use
        self.docs = docs
        self.labels = dict(labels or {})
        self.bow = bow
        self.estimator = estimator
        self._state = state or {}
        self.sweep_table = sweep_table

    def __repr__(self) -> str:
        return (f"<TopicModel {self.method} k={self.k} terms={len(self.vocabulary)} "
                f"documents={len(self.docs)}>")

    @property
    def doc_topic(self) -> np.ndarray:
        """Each training document's topic shares, shape (n_documents, k); inferred once, then kept."""
        if self._doc_topic is None:
            if self.estimator is None or self.bow is None:
                raise errors.PeerscopeError("this model has neither document-topic shares nor the "
                                            "LDA model and documents to infer them")
            try:
                self._doc_topic = _infer_doc_topic(self.estimator, self.bow)
            except (OSError, pa.ArrowException) as exc:
                raise errors.PeerscopeError(f"cannot read the training documents back to infer their "
                                            f"topic shares ({self.bow.source}): {exc}") from None
        return self._doc_topic

    # -- reading the model -------------------------------------------------

    def label(self, topic: int, name: str) -> "TopicModel":
        """Give ``topic`` a human name (shown by every table); returns the model."""
        if not 0 <= int(topic) < self.k:
            raise errors.PeerscopeError(f"topic {topic} does not exist; topics are 0..{self.k - 1}")
        self.labels[int(topic)] = str(name)
        return self

    def topic_names(self) -> list[str]:
        """Each topic's label, or ``"topic <i>"``."""
        return [self.labels.get(t, f"topic {t}") for t in range(self.k)]

    def top_term_ids(self, n: int = 10) -> np.ndarray:
        """Ids of each topic's ``n`` most probable terms, shape (k, n)."""
        order = np.argsort(-self.topic_term, axis=1, kind="stable")
        return order[:, :n]

    def top_terms(self, n: int = 10) -> pd.DataFrame:
        """Each topic's ``n`` most probable terms: ``topic, label, rank, term, weight``."""
        ids = self.top_term_ids(n)
        terms = self.vocabulary["term"].to_numpy(dtype=object)
        topic = np.repeat(np.arange(self.k), ids.shape[1])
        return pd.DataFrame({
            "topic": topic,
            "label": pd.array(np.asarray(self.topic_names(), dtype=object)[topic], dtype="str"),
            "rank": np.tile(np.arange(1, ids.shape[1] + 1), self.k),
            "term": pd.array(terms[ids.ravel()], dtype="str"),
            "weight": np.take_along_axis(self.topic_term, ids, axis=1).ravel(),
        })

    def summary(self, n: int = 10) -> pd.DataFrame:
        """One row per topic: ``topic, label, terms`` (top ``n``), mean share and dominant posts."""
        shares = self.doc_topic
        dominant = self.dominant_topics()
        terms = self.vocabulary["term"].to_numpy(dtype=object)[self.top_term_ids(n)]
        return pd.DataFrame({
            "topic": np.arange(self.k),
            "label": pd.array(self.topic_names(), dtype="str"),
            "terms": pd.array([" ".join(row) for row in terms], dtype="str"),
            "mean_share": np.nanmean(shares, axis=0) if len(shares) else np.full(self.k, np.nan),
            "dominant_documents": np.bincount(dominant[dominant >= 0], minlength=self.k),
        })

    def dominant_topics(self) -> np.ndarray:
        """Each document's dominant topic (argmax of its shares); -1 for an empty document."""
        empty = np.isnan(self.doc_topic).any(axis=1)
        return np.where(empty, -1, np.argmax(np.nan_to_num(self.doc_topic, nan=-1.0), axis=1))

    def doc_topics(self) -> pd.DataFrame:
        """One row per training document: ids, ``n_terms``, ``dominant`` and ``topic_<i>`` shares.

        The ids are ``doc_id`` and ``source`` (the table the document came
        from), with ``post_id`` first for a model of posts; ``author_id`` and
        ``created_at`` (an item's publication time) follow.  Write it
        beside the corpus with ``frame.to_parquet(...)``; the shares of an
        empty document are NaN and its ``dominant`` is -1.
        """
        shares = pd.DataFrame(self.doc_topic, columns=[f"topic_{t}" for t in range(self.k)])
        return pd.concat([self.docs.reset_index(drop=True),
                          pd.DataFrame({"dominant": self.dominant_topics()}), shares], axis=1)

    # -- quality -----------------------------------------------------------

    def coherence(self, measure: str = "c_npmi", **options):
        """Topic coherence (see :func:`peerscope.topics.quality.coherence`)."""
        return coherence(self, measure, **options)

    def diversity(self, n: int = 25) -> float:
        """Topic diversity (see :func:`peerscope.topics.quality.diversity`)."""
        return diversity(self, n)

    # -- persistence -------------------------------------------------------

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model to folder ``path`` (atomically) as JSON, Parquet and ``.npy``.

        Files: ``model.json`` (method, k, parameters, labels, version),
        ``vocabulary.parquet``, ``doc_topics.parquet`` and
        ``topic_term.npy``; LDA adds ``lambda.npy``, ``alpha.npy`` and
        ``eta.npy`` (the variational parameters, enough to rebuild the
        scikit-learn model), and a model of ``k="auto"`` its sweep table
        ``sweep.parquet``.  No pickle anywhere.  LDA document shares not yet inferred
        are inferred here (and kept on the model).

        The model is written to a sibling folder and swapped in when
        complete.  Nothing else is ever deleted: ``path`` may be missing,
        empty or a topic model saved earlier, whose files are replaced while
        anything else in the folder (notes, figures) is kept; any other
        non-empty folder, or a file, is refused.

        Raises
        ------
        peerscope.errors.PeerscopeError
            When ``path`` is a file or a non-empty folder that holds no saved
            topic model.
        """
        from peerscope.corpus._storage import _AtomicFolder

        path = Path(path)
        meta = {"format": FORMAT, "peerscope_version": __version__, "method": self.method,
                "k": self.k, "params": self.params, "labels": {str(t): n for t, n in self.labels.items()}}
        doc_topics = self.doc_topics()
        with _AtomicFolder(path, kind="saved topic model", is_kind=_is_saved_model,
                           own=MODEL_FILES) as staging:
            (staging / "model.json").write_text(json.dumps(meta, indent=1, default=str), encoding="utf-8")
            pq.write_table(pa.Table.from_pandas(self.vocabulary, preserve_index=False),
                           staging / "vocabulary.parquet")
            pq.write_table(pa.Table.from_pandas(doc_topics, preserve_index=False), staging / "doc_topics.parquet")
            np.save(staging / "topic_term.npy", self.topic_term, allow_pickle=False)
            for name, array in self._state.items():
                np.save(staging / f"{name}.npy", array, allow_pickle=False)
            if self.sweep_table is not None:
                pq.write_table(pa.Table.from_pandas(self.sweep_table, preserve_index=False),
                               staging / "sweep.parquet")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "TopicModel":
        """Read a model written by :meth:`save` (never unpickles).

        Raises
        ------
        peerscope.errors.PeerscopeError
            When a file is missing or unreadable, or holds something else
            than :meth:`save` writes (a missing key, an array of the wrong
            shape or type); the message names the folder and the file.
        """
        path = Path(path)

        def fail(problem: str):
            raise errors.PeerscopeError(f"{path}: not a usable saved topic model: {problem}")

        meta = _read_meta(path, fail)
        if meta.get("format") != FORMAT:
            fail(f"model.json is not a {FORMAT} (format {meta.get('format')!r})")
        method, k = meta.get("method"), meta.get("k")
        if method not in METHODS:
            fail(f"model.json: 'method' is {method!r}, not one of {list(METHODS)}")
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            fail(f"model.json: 'k' is {k!r}, not a whole number >= 1")
        if not isinstance(meta.get("params", {}), dict):
            fail("model.json: 'params' is not a mapping")
        labels = meta.get("labels", {})
        if not isinstance(labels, dict) or not all(
                isinstance(t, str) and t.isdigit() and int(t) < k and isinstance(n, str) for t, n in labels.items()):
            fail(f"model.json: 'labels' is not a mapping of topic (0..{k - 1}) to name")
        vocabulary = _read_parquet(path, "vocabulary.parquet", ["term"], fail)
        if not all(isinstance(term, str) for term in vocabulary["term"]):
            fail("vocabulary.parquet: 'term' holds values that are not strings")
        shares = [f"topic_{t}" for t in range(k)]
        frame = _read_parquet(path, "doc_topics.parquet", ["author_id", "created_at", "n_terms", *shares],
                              fail)
        if "doc_id" not in frame and "post_id" not in frame:
            fail("doc_topics.parquet lacks column(s) ['doc_id']")
        try:
            doc_topic = frame[shares].to_numpy(dtype=np.float64)
        except (TypeError, ValueError) as exc:
            fail(f"doc_topics.parquet: topic shares are not numbers ({exc})")
        if "doc_id" not in frame:  # saved before documents knew their table: posts or plain texts
            frame = frame.assign(doc_id=frame["post_id"], source=pd.array([None] * len(frame), dtype="str"))
        ids = [c for c in ("post_id", "doc_id", "source") if c in frame]
        docs = frame[[*ids, "author_id", "created_at", "n_terms"]]
        n_terms = len(vocabulary)
        topic_term = _read_array(path, "topic_term", (k, n_terms), fail)
        state, estimator = {}, None
        if method == "lda":
            shapes = {"lambda": (k, n_terms), "alpha": (k,), "eta": (n_terms,)}
            state = {name: _read_array(path, name, shape, fail) for name, shape in shapes.items()}
            try:
                estimator = _rebuild_lda(state, vocabulary, k)
            except (ValueError, TypeError, ArithmeticError) as exc:
                fail(f"cannot rebuild the LDA model from lambda.npy, alpha.npy and eta.npy ({exc})")
        sweep_table = None
        if (path / "sweep.parquet").is_file():
            sweep_table = _read_parquet(path, "sweep.parquet", ["k", "npmi", "stability", "chosen"], fail)
        return cls(method, k, meta.get("params", {}), vocabulary, topic_term, doc_topic, docs,
                   labels={int(t): n for t, n in labels.items()}, estimator=estimator, state=state,
                   sweep_table=sweep_table)


#: The files :meth:`TopicModel.save` writes (and a later save replaces).
MODEL_FILES = ("model.json", "vocabulary.parquet", "doc_topics.parquet", "topic_term.npy",
               "lambda.npy", "alpha.npy", "eta.npy", "sweep.parquet")


def _is_saved_model(folder: Path) -> bool:
    """Whether ``folder`` holds a model written by :meth:`TopicModel.save`."""
    try:
        meta = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(meta, dict) and meta.get("format") == FORMAT


def _read_meta(path: Path, fail) -> dict:
    """``model.json`` of a saved model as a dict; ``fail(problem)`` otherwise."""
    if not path.is_dir():
        fail("no such folder" if not path.exists() else "not a folder")
    try:
        meta = json.loads((path / "model.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        fail("model.json is missing")
    except (OSError, ValueError, RecursionError) as exc:    # JSONDecodeError, UnicodeDecodeError are ValueErrors
        fail(f"model.json cannot be read ({exc})")
    if not isinstance(meta, dict):
        fail("model.json does not hold a JSON object")
    return meta


def _read_parquet(path: Path, name: str, columns: list[str], fail) -> pd.DataFrame:
    """Parquet file ``name`` of a saved model, with at least ``columns``; ``fail(problem)`` otherwise."""
    if not (path / name).is_file():
        fail(f"{name} is missing")
    try:
        frame = pq.read_table(path / name).to_pandas()
    except (OSError, ValueError, pa.ArrowException) as exc:
        fail(f"{name} cannot be read ({exc})")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        fail(f"{name} lacks column(s) {missing[:5]}")
    return frame


def _read_array(path: Path, name: str, shape: tuple, fail) -> np.ndarray:
    """Array ``<name>.npy`` of a saved model: floating point, of ``shape``; ``fail(problem)`` otherwise."""
    file = path / f"{name}.npy"
    if not file.is_file():
        fail(f"{file.name} is missing")
    try:
        array = np.load(file, allow_pickle=False)
    except (OSError, ValueError, EOFError, SyntaxError, tokenize.TokenError) as exc:
        # a damaged .npy header reaches numpy's header parser (SyntaxError, TokenError)
        fail(f"{file.name} cannot be read ({exc})")
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "fiu":
        fail(f"{file.name} holds {getattr(array, 'dtype', type(array))}, not numbers")
    if array.shape != shape:
        fail(f"{file.name} has shape {array.shape}, expected {shape}")
    return array.astype(np.float64, copy=False)


def fit(source, k: int | str, method: str = "lda", seed: int = 0, *, preprocessor: Preprocessor | None = None,
        max_iter: int | None = None, alpha: float | None = None, eta: float | None = None,
        max_documents: int | None = MAX_DOCUMENTS, ks=AUTO_KS, sample: int = AUTO_SAMPLE,
        progress: bool | None = None, cache: bool = True, table: str = "posts", **preprocessing) -> TopicModel:
    """Fit a topic model with ``k`` topics, or choose ``k`` (``k="auto"``).

    The defaults were chosen on mixtures of real communities, where the
    topics should separate the communities (``benchmarks/topics_quality.py``,
    docs/measures/topics.md): LDA is fitted by batch variational Bayes, NMF
    on sublinear tf-idf, after the preprocessing of
    :class:`~peerscope.text.Preprocessor` (forum filler and names removed).
    Both are trained on *distinct* documents: a text posted many times (a
    bot's welcome, a pasted signature or resource list) is one training
    document, not a topic of its own; every document, repeated or not, gets
    its topic shares.

    Parameters
    ----------
    source : peerscope.Corpus, BagOfWords, pandas.Series or sequence of str
        The documents.  Pass a :class:`~peerscope.text.BagOfWords` to fit
        several models without preprocessing again (a saved corpus caches it
        anyway; see :mod:`peerscope.text`).
    k : int or "auto"
        Number of topics.  ``"auto"`` fits every k of ``ks`` twice (seeds
        ``seed`` and ``seed + 1``) on a sample of ``sample`` documents,
        scores each by NPMI coherence and by stability across the two seeds,
        picks k by the rule below, then fits that k on all documents.  The
        table of the sweep is kept as :attr:`TopicModel.sweep_table`.
    method : {"lda", "nmf"}
        ``"lda"``: latent Dirichlet allocation (Blei, Ng & Jordan 2003) with
        scikit-learn's batch variational Bayes (``LatentDirichletAllocation(
        learning_method="batch")``; Hoffman, Blei & Bach 2010 give the
        updates).  ``"nmf"``: non-negative matrix factorisation (Lee & Seung
        1999; scikit-learn ``NMF(init="nndsvda")``, Frobenius loss) of the
        sublinear tf-idf matrix (``1 + log tf``, smooth idf, rows of unit
        length).
    seed : int
        ``random_state`` of the model.
    preprocessor : Preprocessor, optional
        Preprocessing (default ``Preprocessor(**preprocessing)``); ignored
        for a BagOfWords.
    max_iter : int, optional
        Passes of batch variational Bayes over the documents (LDA, default
        :data:`LDA_ITERATIONS`) or NMF iterations (default 400).
    alpha, eta : float, optional
        LDA priors of document-topic and topic-word distributions (default
        ``1/k`` each, scikit-learn's).
    max_documents : int or None
        Train on at most this many distinct documents, drawn at random
        (``seed``), and infer the shares of all the others (default
        :data:`MAX_DOCUMENTS`, which keeps batch LDA to seconds on large
        corpora; None trains on all).
    ks : iterable of int
        The k tried by ``k="auto"`` (default :data:`AUTO_KS`; those above a
        fifth of the sampled documents are skipped).
    sample : int
        Documents the ``k="auto"`` sweep is scored on, drawn at random
        (``seed``); the chosen k is then fitted as for an integer k.
    progress : bool, optional
        tqdm bar over the ``k="auto"`` sweep (default: when stderr is a terminal).
    cache : bool
        Use the bag-of-words cache of a saved corpus.
    table : {"posts", "newsletter_items", "all"}
        For a corpus: model its posts (default), its newsletter items, or
        both in one topic space (:func:`peerscope.text.bag_of_words`); each
        document's ``source`` stays in :attr:`TopicModel.docs`.  Ignored
        for a BagOfWords (its own table) and plain texts.

    Returns
    -------
    TopicModel

    Raises
    ------
    peerscope.errors.PeerscopeError
        For an unknown method, a ``k`` that is neither a whole number >= 1
        nor ``"auto"``, or documents with no term left after preprocessing.

    Notes
    -----
    The rule of ``k="auto"``: for each k, two models are fitted, with seeds
    ``seed`` and ``seed + 1``, on two random subsets of 80% of the sampled
    (distinct) documents; ``npmi`` is the NPMI coherence of the first on the
    sampled documents and ``stability`` the mean cosine similarity of the
    two models' topics (each topic's term distribution) after matching them
    one to one (Hungarian algorithm).  This is the stability analysis of
    Greene, O'Callaghan & Cunningham (2014), who compare topics fitted on
    random subsets of the documents; subsets rather than seeds alone,
    because NMF's ``nndsvda`` start does not depend on the seed.  Topics that come back under another seed are a property of
    the documents, not of the start; topics whose top terms co-occur are
    readable.  Each is rescaled to [0, 1] over the ks tried, and the k with
    the highest sum wins (ties: the smaller k).

    Examples
    --------
    >>> texts = ["sleep insomnia tired night"] * 20 + ["mum dad family kids"] * 20
    >>> model = fit(texts, k=2, method="nmf", seed=0, min_df=1)
    >>> sorted(model.top_terms(4).groupby("topic")["term"].apply(sorted).map(" ".join))
    ['dad family kids mum', 'insomnia night sleep tired']
    """
    if method not in METHODS:
        raise errors.PeerscopeError(f"method={method!r}: choose one of {list(METHODS)}")
    auto = isinstance(k, str) and k == "auto"
    if not auto and (isinstance(k, (str, bool)) or not isinstance(k, (int, np.integer)) or k < 1):
        raise errors.PeerscopeError(f"k must be a whole number >= 1 or 'auto', not {k!r}")
    if progress is None:
        progress = sys.stderr.isatty()
    if isinstance(source, BagOfWords):
        if preprocessing or preprocessor is not None:
            raise errors.PeerscopeError("a BagOfWords is already preprocessed: pass no preprocessing options")
        bow = source
    else:
        bow = bag_of_words(source, preprocessor, table=table, cache=cache, progress=progress, **preprocessing)
    if len(bow.vocabulary) == 0 or bow.stats["nonempty_documents"] == 0:
        raise errors.PeerscopeError(
            f"nothing to model: {bow.stats['documents']} documents, {len(bow.vocabulary)} terms "
            f"after preprocessing (lower min_df or check the texts)")
    options = {"max_iter": int(max_iter if max_iter is not None else _DEFAULT_ITER[method])}
    if method == "lda":
        options.update(alpha=alpha, eta=eta)
    distinct = _distinct_rows(bow)
    table = None
    if auto:
        k, table = _choose_k(bow, distinct, method, int(seed), options, ks, int(sample), progress)
    training = distinct
    if max_documents is not None and len(distinct) > max_documents:
        training = np.sort(np.random.default_rng(seed).choice(distinct, int(max_documents), replace=False))
    if k > len(training):
        raise errors.PeerscopeError(f"k={k} topics need at least {k} distinct documents with terms; "
                                    f"there are {len(training)}")
    params = {"method": method, "k": int(k), "seed": int(seed), **options,
              "implementation": _IMPLEMENTATION[method], "training_documents": int(len(training)),
              "distinct_documents": int(len(distinct)), "max_documents": max_documents,
              "table": bow.table,
              "preprocessing": bow.preprocessor.params(), "preprocessing_stats": bow.stats}
    if table is not None:
        params["k_selection"] = {"rule": AUTO_RULE, "ks": table["k"].tolist(),
                                 "sample_documents": table.attrs["sample_documents"], "seeds": [seed, seed + 1]}
    del distinct  # 8 bytes a document, not held while every document's shares are inferred
    estimator, weighting, topic_term = _fit_matrix(bow.matrix(np.float64, training), method, int(k), int(seed),
                                                   options)
    doc_topic = None if method == "lda" else _infer_doc_topic(estimator, bow, weighting)
    return TopicModel(method, int(k), params, bow.vocabulary, topic_term, doc_topic, bow.docs,
                      bow=bow, estimator=estimator, state=_lda_state(estimator) if method == "lda" else None,
                      sweep_table=table)


def _distinct_rows(bow: BagOfWords) -> np.ndarray:
    """Positions of the first of each distinct non-empty document of ``bow`` (as term counts), in order.

    Each document is keyed by two sums of 64-bit hashes of its (term, count)
    entries, with different hash keys: equal rows have equal keys, and two
    different rows share both only with probability about 2**-128 per pair,
    at 16 bytes a row instead of a Python object per row.  The counts are
    made a batch of documents at a time, never for the whole corpus at once,
    and the keys are sorted rather than hashed again (10 million random keys:
    a 230 MB rise of peak RSS, against 790 MB for ``DataFrame.duplicated``).
    """
    keys = np.empty((len(bow), 2), dtype=np.uint64)
    lengths = np.empty(len(bow), dtype=np.int32)
    for start, block in bow.iter_matrices(_KEY_BATCH):
        entries = block.indices.astype(np.uint64) * np.uint64(1 << 32) + block.data.astype(np.uint64)
        lengths[start:start + block.shape[0]] = np.diff(block.indptr)
        for column, hash_key in enumerate(("peerscope-rows-a", "peerscope-rows-b")):
            hashed = pd.util.hash_array(entries, hash_key=hash_key, categorize=False)
            keys[start:start + block.shape[0], column] = _row_sums(hashed, block.indptr)
    order = np.lexsort((lengths, keys[:, 1], keys[:, 0]))  # stable: equal rows stay in position order
    ordered, ordered_lengths = keys[order], lengths[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (ordered[1:] != ordered[:-1]).any(axis=1) | (ordered_lengths[1:] != ordered_lengths[:-1])
    del ordered, ordered_lengths
    distinct = np.sort(order[first])
    return distinct[lengths[distinct] > 0]


def _row_sums(values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Sum of ``values`` (uint64, wrapping) over each CSR row."""
    totals = np.cumsum(np.concatenate([[np.uint64(0)], values]), dtype=np.uint64)
    return totals[indptr[1:]] - totals[indptr[:-1]]


def _fit_matrix(matrix, method: str, k: int, seed: int, options: dict):
    """(estimator, weighting, topic_term) of a model trained on every row of a documents x terms count matrix.

    ``weighting`` is NMF's fitted tf-idf transformer, which every document's
    shares go through (:func:`_infer_doc_topic`); None for LDA.
    """
    if method == "lda":
        from sklearn.decomposition import LatentDirichletAllocation

        model = LatentDirichletAllocation(n_components=k, learning_method="batch", max_iter=options["max_iter"],
                                          doc_topic_prior=options["alpha"], topic_word_prior=options["eta"],
                                          mean_change_tol=_LDA_TOLERANCE, random_state=seed)
        model.fit(matrix)
        return model, None, _normalised(model.components_)
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfTransformer

    weighting = TfidfTransformer(sublinear_tf=True).fit(matrix)
    model = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=options["max_iter"])
    model.fit(weighting.transform(matrix))
    return model, weighting, _normalised(model.components_)


def _normalised(components: np.ndarray) -> np.ndarray:
    """Rows scaled to sum to 1 (rows of zeros stay zero)."""
    sums = components.sum(axis=1, keepdims=True)
    return np.divide(components, sums, out=np.zeros_like(components), where=sums > 0)


def _lda_state(model) -> dict:
    """The variational parameters saved for LDA: lambda, alpha (per topic) and eta (per term)."""
    k, n_terms = model.components_.shape
    return {"lambda": np.asarray(model.components_, dtype=np.float64),
            "alpha": np.broadcast_to(np.asarray(model.doc_topic_prior_, dtype=np.float64), (k,)).copy(),
            "eta": np.broadcast_to(np.asarray(model.topic_word_prior_, dtype=np.float64), (n_terms,)).copy()}


def _infer_doc_topic(model, bow: BagOfWords, weighting=None) -> np.ndarray:
    """Topic shares of every document of ``bow``, NaN for empty ones (and NMF rows of zeros).

    LDA (``weighting`` None): normalised gamma; scikit-learn's E-step
    outside training starts every document from the same gamma, so the
    shares do not depend on when they are computed.  NMF: the row of W (of
    the tf-idf rows ``weighting`` gives) divided by its sum; scikit-learn
    stops its solver on the whole batch, so the batches stay the same
    :data:`BATCH` documents from the first.  Batch by batch, because the
    matrix of ten million posts alone takes gigabytes.
    """
    doc_topic = np.empty((len(bow), model.n_components))
    for start, matrix in bow.iter_matrices(BATCH, dtype=np.float64):
        if weighting is None:
            weights = model.transform(matrix, normalize=False)
        else:
            weights = model.transform(weighting.transform(matrix))
        totals = weights.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            doc_topic[start:start + matrix.shape[0]] = np.where(totals > 0, weights / totals, np.nan)
    doc_topic[bow.docs["n_terms"].to_numpy() == 0] = np.nan
    return doc_topic


def _choose_k(bow: BagOfWords, distinct: np.ndarray, method: str, seed: int, options: dict, ks,
              sample: int, progress: bool) -> tuple[int, pd.DataFrame]:
    """The k of ``k="auto"`` and the sweep table (see :func:`fit`, Notes).

    Only the sampled documents' counts are built (one pass over ``bow``).
    """
    rows = None
    if len(bow) > sample:  # the rows coherence(max_documents=sample, seed=seed) scores on
        rows = np.sort(np.random.default_rng(seed).choice(len(bow), sample, replace=False))
    pool = distinct if rows is None else np.intersect1d(distinct, rows)
    tried = sorted({int(k) for k in ks if 2 <= int(k) <= len(pool) // 5})
    if not tried:
        raise errors.PeerscopeError(f"k='auto': no k of {sorted(ks)} between 2 and a fifth of the "
                                    f"{len(pool)} distinct documents sampled")
    rng = np.random.default_rng(seed + 1)
    subsets = [np.sort(rng.choice(pool, int(0.8 * len(pool)), replace=False)) for _ in range(2)]
    pooled = bow.matrix(np.float64, pool)
    matrices = [pooled[np.searchsorted(pool, subset)] for subset in subsets]
    records = []
    for k in tqdm(tried, desc="choosing k", unit="k", disable=not progress):
        started = time.perf_counter()
        fitted = [_fit_matrix(matrix, method, k, s, options)[2] for matrix, s in zip(matrices, (seed, seed + 1))]
        model = TopicModel(method, k, {}, bow.vocabulary, fitted[0], None, bow.docs)
        npmi = coherence(model, "c_npmi", reference=bow, max_documents=None if rows is None else sample,
                         seed=seed).value
        records.append({"k": k, "npmi": npmi, "stability": _stability(*fitted),
                        "diversity": diversity(model), "seconds": time.perf_counter() - started})
    table = pd.DataFrame(records)
    table["score"] = _rescaled(table["npmi"]) + _rescaled(table["stability"])
    best = int(np.argmax(table["score"].to_numpy()))  # the first maximum: the smallest k on ties
    table["chosen"] = np.arange(len(table)) == best
    table.attrs["sample_documents"] = int(len(pool))
    return int(table.loc[best, "k"]), table


def _rescaled(values: pd.Series) -> pd.Series:
    """Values mapped linearly onto [0, 1] (all equal or NaN: 0)."""
    values = values.fillna(values.min())
    spread = values.max() - values.min()
    return (values - values.min()) / spread if spread > 0 else values * 0.0


def _stability(a: np.ndarray, b: np.ndarray) -> float:
    """Mean cosine similarity of two sets of topics matched one to one (Hungarian algorithm)."""
    from scipy.optimize import linear_sum_assignment

    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-300)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-300)
    similarity = a @ b.T
    rows, cols = linear_sum_assignment(-similarity)
    return float(similarity[rows, cols].mean())


def _rebuild_lda(state: dict, vocabulary: pd.DataFrame, k: int):
    """A scikit-learn LatentDirichletAllocation from saved variational parameters (no training, no pickle).

    It holds what ``transform`` reads: lambda (``components_``), its
    ``exp(E[log beta])`` and the priors.  scikit-learn's E-step takes one
    document-topic prior for all topics: a model saved by an earlier
    version with gensim and an asymmetric alpha loads without an estimator
    (None; its saved shares and topics are all there).
    """
    from scipy.special import psi
    from sklearn.decomposition import LatentDirichletAllocation

    lam = state["lambda"]
    if not (np.isfinite(lam).all() and (lam > 0).all()):
        raise ValueError("lambda must be finite and positive")
    model = LatentDirichletAllocation(n_components=k, learning_method="batch", mean_change_tol=_LDA_TOLERANCE)
    model.components_ = lam
    model.exp_dirichlet_component_ = np.exp(psi(lam) - psi(lam.sum(axis=1, keepdims=True)))
    if not np.allclose(state["alpha"], state["alpha"][0]):
        return None
    model.doc_topic_prior_ = float(state["alpha"][0])
    model.topic_word_prior_ = state["eta"]
    model.n_features_in_ = lam.shape[1]
    model.n_iter_ = 0
    model.n_batch_iter_ = 0
    model.random_state_ = np.random.RandomState(0)
    return model
