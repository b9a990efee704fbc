"""Fitting topic models (gensim LDA, scikit-learn NMF) and keeping them without pickle.

:func:`fit` takes a corpus, plain texts or a prepared
:class:`~peerscope.text.BagOfWords` and returns a :class:`TopicModel`:

``method="lda"``
    Latent Dirichlet allocation (Blei, Ng & Jordan 2003) with gensim's online
    variational Bayes (Hoffman, Blei & Bach 2010): ``LdaMulticore`` by
    default, ``LdaModel`` when ``alpha="auto"`` (learned asymmetric prior,
    which ``LdaMulticore`` cannot do) or ``workers=1``.
``method="nmf"``
    Non-negative matrix factorisation of the tf-idf matrix (scikit-learn
    ``TfidfTransformer`` then ``NMF(init="nndsvda")``), as often used for
    short texts.

Every document gets topic *shares* (rows summing to 1): LDA's posterior
mean of theta, NMF's row of W divided by its sum.  A document left with no
term after preprocessing gets no shares (NaN) and no dominant topic: it has
no text to be about anything.

LDA's shares cost one more E-step over every document after training (on
100k synthetic posts, k = 20: about 9 s after a 21 s one-pass fit), which a
sweep over ``k`` (coherence only) never needs; so they are inferred on first use (:attr:`TopicModel.doc_topic`,
:meth:`~TopicModel.doc_topics`, :func:`~peerscope.topics.prevalence`,
:meth:`~TopicModel.save`) and kept.  Inference starts from a random gamma,
drawn from its own ``RandomState(seed)``, so the shares are the same
whenever they are computed and whatever ran on the gensim model before.

:meth:`TopicModel.save` writes numpy arrays (``np.save``), Parquet and JSON
only; :meth:`TopicModel.load` reads them with ``allow_pickle=False``, so a
model file cannot run code (gensim's and scikit-learn's own ``save`` pickle).
"""

from __future__ import annotations

import json
import os
import sys
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from peerscope import __version__, errors
from peerscope.text import BagOfWords, Preprocessor, bag_of_words

__all__ = ["BATCH", "FORMAT", "METHODS", "TopicModel", "fit"]

METHODS = ("lda", "nmf")
#: Format tag of a saved model folder.
FORMAT = "peerscope-topic-model"
#: Documents per inference batch.
BATCH = 20_000


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
        ``post_id, author_id, created_at, n_terms`` of the training documents.
    labels : dict
        Topic -> human name set with :meth:`label`.
    bow : BagOfWords or None
        The training documents (None after :meth:`load`).
    estimator : object or None
        The gensim ``LdaModel`` (also rebuilt by :meth:`load`) or the
        scikit-learn ``NMF`` (None after :meth:`load`).

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
                 labels=None, bow=None, estimator=None, state=None):
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

    def __repr__(self) -> str:
        return (f"<TopicModel {self.method} k={self.k} terms={len(self.vocabulary)} "
                f"documents={len(self.docs)}>")

    @property
    def doc_topic(self) -> np.ndarray:
        """Each training document's topic shares, shape (n_documents, k); inferred once, then kept."""
        if self._doc_topic is None:
            if self.estimator is None or self.bow is None:
                raise errors.PeerscopeError("this model has neither document-topic shares nor the "
                                            "gensim model and documents to infer them")
            try:
                self._doc_topic = _infer_doc_topic(self.estimator, self.bow, self.params.get("seed", 0))
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

        Write it beside the corpus with ``frame.to_parquet(...)``; the shares
        of an empty document are NaN and its ``dominant`` is -1.
        """
        shares = pd.DataFrame(self.doc_topic, columns=[f"topic_{t}" for t in range(self.k)])
        return pd.concat([self.docs.reset_index(drop=True),
                          pd.DataFrame({"dominant": self.dominant_topics()}), shares], axis=1)

    # -- quality -----------------------------------------------------------

    def coherence(self, measure: str = "c_npmi", **options):
        """Topic coherence (see :func:`peerscope.topics.quality.coherence`)."""
        from peerscope.topics.quality import coherence

        return coherence(self, measure, **options)

    def diversity(self, n: int = 25) -> float:
        """Topic diversity (see :func:`peerscope.topics.quality.diversity`)."""
        from peerscope.topics.quality import diversity

        return diversity(self, n)

    # -- persistence -------------------------------------------------------

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model to folder ``path`` (atomically) as JSON, Parquet and ``.npy``.

        Files: ``model.json`` (method, k, parameters, labels, version),
        ``vocabulary.parquet``, ``doc_topics.parquet`` and
        ``topic_term.npy``; LDA adds ``lambda.npy``, ``alpha.npy`` and
        ``eta.npy`` (the variational parameters, enough to rebuild the gensim
        model).  No pickle anywhere.  LDA document shares not yet inferred
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
        frame = _read_parquet(path, "doc_topics.parquet", ["post_id", "author_id", "created_at", "n_terms", *shares],
                              fail)
        try:
            doc_topic = frame[shares].to_numpy(dtype=np.float64)
        except (TypeError, ValueError) as exc:
            fail(f"doc_topics.parquet: topic shares are not numbers ({exc})")
        docs = frame[["post_id", "author_id", "created_at", "n_terms"]]
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
        return cls(method, k, meta.get("params", {}), vocabulary, topic_term, doc_topic, docs,
                   labels={int(t): n for t, n in labels.items()}, estimator=estimator, state=state)


#: The files :meth:`TopicModel.save` writes (and a later save replaces).
MODEL_FILES = ("model.json", "vocabulary.parquet", "doc_topics.parquet", "topic_term.npy",
               "lambda.npy", "alpha.npy", "eta.npy")


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
    except (OSError, ValueError, EOFError) as exc:
        fail(f"{file.name} cannot be read ({exc})")
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "fiu":
        fail(f"{file.name} holds {getattr(array, 'dtype', type(array))}, not numbers")
    if array.shape != shape:
        fail(f"{file.name} has shape {array.shape}, expected {shape}")
    return array.astype(np.float64, copy=False)


def fit(source, k: int, method: str = "lda", seed: int = 0, *, preprocessor: Preprocessor | None = None,
        passes: int = 1, iterations: int = 50, chunksize: int = 2000, alpha="symmetric", eta=None,
        workers: int | None = None, max_iter: int = 400, progress: bool | None = None,
        cache: bool = True, **preprocessing) -> TopicModel:
    """Fit a topic model with ``k`` topics.

    Parameters
    ----------
    source : peerscope.Corpus, BagOfWords, pandas.Series or sequence of str
        The documents.  Pass a :class:`~peerscope.text.BagOfWords` to fit
        several models without preprocessing again (a saved corpus caches it
        anyway; see :mod:`peerscope.text`).
    k : int
        Number of topics.
    method : {"lda", "nmf"}
    seed : int
        ``random_state`` of the model.
    preprocessor : Preprocessor, optional
        Preprocessing (default ``Preprocessor(**preprocessing)``); ignored
        for a BagOfWords.
    passes, iterations, chunksize, alpha, eta, workers : LDA options
        As in gensim: passes over the corpus, E-step iterations per
        document, documents per update, document-topic prior
        (``"symmetric"``, ``"asymmetric"``, ``"auto"`` or a number) and
        topic-word prior.  ``workers``: ``LdaMulticore`` worker processes
        (default: cores - 1, at least 1); ``workers=1`` or ``alpha="auto"``
        use the single-process ``LdaModel``.
    max_iter : int
        NMF iterations.
    progress : bool, optional
        tqdm bars (default: when stderr is a terminal).
    cache : bool
        Use the bag-of-words cache of a saved corpus.

    Returns
    -------
    TopicModel

    Examples
    --------
    >>> texts = ["sleep insomnia tired night"] * 20 + ["mum dad family kids"] * 20
    >>> model = fit(texts, k=2, method="nmf", seed=0, min_df=1)
    >>> sorted(model.top_terms(4).groupby("topic")["term"].apply(sorted).map(" ".join))
    ['dad family kids mum', 'insomnia night sleep tired']
    """
    if method not in METHODS:
        raise errors.PeerscopeError(f"method={method!r}: choose one of {list(METHODS)}")
    if int(k) < 1:
        raise errors.PeerscopeError(f"k must be at least 1, not {k}")
    if progress is None:
        progress = sys.stderr.isatty()
    if isinstance(source, BagOfWords):
        if preprocessing or preprocessor is not None:
            raise errors.PeerscopeError("a BagOfWords is already preprocessed: pass no preprocessing options")
        bow = source
    else:
        bow = bag_of_words(source, preprocessor, cache=cache, progress=progress, **preprocessing)
    if len(bow.vocabulary) == 0 or bow.stats["nonempty_documents"] == 0:
        raise errors.PeerscopeError(
            f"nothing to model: {bow.stats['documents']} documents, {len(bow.vocabulary)} terms "
            f"after preprocessing (lower min_df or check the texts)")
    params = {"method": method, "k": int(k), "seed": int(seed),
              "preprocessing": bow.preprocessor.params(), "preprocessing_stats": bow.stats}
    if method == "lda":
        return _fit_lda(bow, int(k), seed, params, passes=passes, iterations=iterations,
                        chunksize=chunksize, alpha=alpha, eta=eta, workers=workers, progress=progress)
    return _fit_nmf(bow, int(k), seed, params, max_iter=max_iter)


def _fit_lda(bow: BagOfWords, k, seed, params, *, passes, iterations, chunksize, alpha, eta,
             workers, progress) -> TopicModel:
    from gensim.models import LdaModel, LdaMulticore

    if workers is None:
        workers = max(1, (os.cpu_count() or 2) - 1)
    single = workers == 1 or alpha == "auto"
    params.update(passes=passes, iterations=iterations, chunksize=chunksize, alpha=alpha, eta=eta,
                  workers=1 if single else workers,
                  implementation="gensim.LdaModel" if single else "gensim.LdaMulticore")
    dictionary = bow.dictionary()
    with tqdm(total=len(bow) * passes, unit="posts", desc=f"LDA k={k}", disable=not progress) as bar:
        corpus = bow.gensim_corpus(on_batch=bar.update)
        options = dict(corpus=corpus, id2word=dictionary, num_topics=k, passes=passes,
                       iterations=iterations, chunksize=chunksize, eta=eta, random_state=seed,
                       eval_every=None, dtype=np.float64)
        if single:
            model = LdaModel(alpha=alpha, **options)
        else:
            model = LdaMulticore(alpha=alpha, workers=workers, **options)
    state = {"lambda": model.state.get_lambda(), "alpha": np.asarray(model.alpha, dtype=np.float64),
             "eta": np.asarray(model.eta, dtype=np.float64)}
    topic_term = state["lambda"] / state["lambda"].sum(axis=1, keepdims=True)
    return TopicModel("lda", k, params, bow.vocabulary, topic_term, None, bow.docs,
                      bow=bow, estimator=model, state=state)


def _infer_doc_topic(model, bow: BagOfWords, seed: int) -> np.ndarray:
    """LDA topic shares of every document of ``bow`` (normalised gamma), NaN for empty ones.

    gensim's ``inference`` draws each document's starting gamma from the
    model's ``random_state``; a fresh ``RandomState(seed)`` for the whole
    pass (the model's own restored after) makes the result independent of
    when it runs and of what used the model before.
    """
    doc_topic = np.full((len(bow), model.num_topics), np.nan)
    documents = iter(bow.gensim_corpus(BATCH))
    own_state = model.random_state
    model.random_state = np.random.RandomState(seed)
    try:
        start = 0
        while chunk := list(islice(documents, BATCH)):
            gamma, _ = model.inference(chunk)
            doc_topic[start:start + len(chunk)] = gamma / gamma.sum(axis=1, keepdims=True)
            start += len(chunk)
    finally:
        model.random_state = own_state
    doc_topic[bow.docs["n_terms"].to_numpy() == 0] = np.nan
    return doc_topic


def _fit_nmf(bow: BagOfWords, k, seed, params, *, max_iter) -> TopicModel:
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfTransformer

    params.update(max_iter=max_iter, init="nndsvda", weighting="tfidf (smooth idf, l2 norm)",
                  implementation="sklearn.NMF")
    tfidf = TfidfTransformer().fit_transform(bow.matrix().astype(np.float64))
    model = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=max_iter)
    weights = model.fit_transform(tfidf)
    totals = weights.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        doc_topic = np.where(totals > 0, weights / totals, np.nan)
    components = model.components_
    sums = components.sum(axis=1, keepdims=True)
    topic_term = np.divide(components, sums, out=np.zeros_like(components), where=sums > 0)
    return TopicModel("nmf", k, params, bow.vocabulary, topic_term, doc_topic, bow.docs,
                      bow=bow, estimator=model)


def _rebuild_lda(state: dict, vocabulary: pd.DataFrame, k: int):
    """A gensim LdaModel from saved variational parameters (no training, no pickle)."""
    from gensim.corpora import Dictionary
    from gensim.models import LdaModel

    dictionary = Dictionary()
    dictionary.token2id = {t: i for i, t in enumerate(vocabulary["term"].tolist())}
    model = LdaModel(id2word=dictionary, num_topics=k, alpha=state["alpha"], eta=state["eta"],
                     dtype=np.float64)
    model.state.sstats[...] = state["lambda"] - state["eta"]
    model.sync_state()
    return model
