"""A supervised support classifier: tf-idf features, linear one-vs-rest models, calibrated.

:class:`SupportClassifier` follows the approach of Wang, Kraut & Levine
(2012, 2015), who trained linear models on hand-coded posts to measure
emotional and informational support at scale:

1. Features: word n-gram tf-idf (tokens keep ``I``, contractions and ``?``
   and ``!``, which carry person and speech act), optionally character
   n-gram tf-idf (within word boundaries; robust to misspelling), and
   optionally the :class:`~peerscope.support.lexicon.LexiconLabeller` cue
   scores as extra columns.
2. One linear SVM per class against the rest (multilabel one-vs-rest;
   ``class_weight="balanced"`` by default, so rare types are not ignored).
3. Calibration: Platt scaling (a logistic curve over the SVM margin) fitted
   on out-of-fold margins from ``calibration_folds``-fold cross-fitting, so
   probabilities are honest on unseen posts.  For single-label data the
   per-class probabilities are renormalised to sum to one.
4. Decision: by default (``decision_rule="margin"``) :meth:`predict` takes
   the class with the largest class-balanced margin, which serves rare
   types (macro-F1); ``"probability"`` takes the most probable class, which
   favours frequent ones.  On ESConv (8 strategies, test split) the margin
   rule gave macro-F1 0.497, the probability rule 0.480.

Character n-grams are off by default: on ESConv they did not raise
macro-F1 (0.483 vs 0.481 with the probability rule), lowered the
emotional F1 of a model applied to CounselChat (0.36 vs 0.43), and cut
prediction speed threefold.  Pass ``char_ngram_range=(2, 5)`` to use them.

Posts are not sentences.  With ``unit="post"`` the model is trained on
sentences (``fit(sentences, y, groups=post_of_each_sentence)``) and scores
a post by removing quoted earlier posts, splitting it into sentences,
scoring each, and combining them by noisy-or (or max), with a second Platt
curve fitted on out-of-fold pseudo-posts; see :meth:`SupportClassifier.predict_proba`.
This is how the shipped ``pretrained("forum")`` model works
(:mod:`peerscope.support.pretrained`).  Word features are counted over
whole Arrow columns (the private ``_text`` module), with exactly the
tokens and weights of scikit-learn's ``TfidfVectorizer``, so that a post's
sentences are scored at tens of thousands of posts per second.

Models are saved as a folder holding ``model.json`` (parameters, classes,
vocabularies) and ``arrays.npz`` (idf weights, coefficients, calibration),
read back with ``allow_pickle=False``: loading a model never unpickles.

References
----------
Wang, Y.-C., Kraut, R., & Levine, J. M. (2012). To stay or leave? CSCW.
Wang, Y.-C., Kraut, R. E., & Levine, J. M. (2015). Eliciting and receiving
online support: using computer-aided content analysis to examine the
dynamics of online social support. Journal of Medical Internet Research 17(4).
Platt, J. (1999). Probabilistic outputs for support vector machines.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted

from peerscope.corpus._storage import _AtomicFolder
from peerscope.errors import PeerscopeError
from peerscope.support._text import _prepare, _split_sentences, _Terms, _tfidf, _word_counts
from peerscope.support.lexicon import LexiconLabeller
from peerscope.support.schemes import COARSE_LABELS, NO_SUPPORT, SUPPORT_TYPES

__all__ = ["AGGREGATIONS", "FORMAT_VERSION", "MODEL_FILES", "SCHEMES", "TOKEN_PATTERN", "SupportClassifier"]

#: Word tokens: words with inner apostrophes (one letter too: "I"), and ? and !.
TOKEN_PATTERN = r"(?u)\b\w[\w']*|[?!]"
#: Named label schemes a classifier can be fixed to.
SCHEMES = {"ssbc": SUPPORT_TYPES + (NO_SUPPORT,), "coarse": COARSE_LABELS}
#: Calibrated logit of a scheme label that had no training example (probability 1e-6).
_ABSENT_LOGIT = -13.8
#: How ``unit="post"`` combines the sentence probabilities of a post.
AGGREGATIONS = ("noisy_or", "max")
#: Labels that mean "no support": a post has one only when all its sentences have it.
_NONE_LABELS = (NO_SUPPORT, "other")
#: Bound of combined post logits (a probability of 1e-13 from 1).
_LOGIT_CAP = 30.0
#: Version of the saved-model format.
FORMAT_VERSION = 1


def as_texts(texts) -> pd.Series:
    """Texts as a string Series (nulls as empty strings), keeping a Series' index.

    Parameters
    ----------
    texts : sequence of str, pandas.Series or one-column DataFrame
        The texts.

    Returns
    -------
    pandas.Series
        ``str`` dtype.

    Raises
    ------
    peerscope.errors.PeerscopeError
        For a single string, or a DataFrame with more than one column.

    Examples
    --------
    >>> import pandas as pd
    >>> as_texts(pd.Series(["hi", None], index=["a", "b"])).to_dict()
    {'a': 'hi', 'b': ''}
    >>> try:
    ...     as_texts("one text")
    ... except PeerscopeError as error:
    ...     print(error)
    expected a sequence of texts, not one string
    """
    if isinstance(texts, pd.DataFrame):
        if texts.shape[1] != 1:
            raise PeerscopeError(f"expected one text column, got {list(texts.columns)}")
        texts = texts.iloc[:, 0]
    if isinstance(texts, str):
        raise PeerscopeError("expected a sequence of texts, not one string")
    return pd.Series(texts, dtype="str").fillna("")


class SupportClassifier(ClassifierMixin, BaseEstimator):
    """Word and character tf-idf, one-vs-rest linear SVMs, Platt-calibrated probabilities.

    Parameters
    ----------
    scheme : {"ssbc", "coarse"}, sequence of str or None
        The labels the model knows: ``"ssbc"`` (the five SSBC types and
        ``"none"``), ``"coarse"`` (emotional, informational, other), an
        explicit sequence, or None for the labels found in ``y``.
    word_ngram_range : tuple
        Word n-grams.
    char_ngram_range : tuple or None
        Character n-grams within word boundaries, e.g. ``(2, 5)`` (default
        None: no character features; see the module notes).
    max_word_features, max_char_features : int or None
        Vocabulary caps (most frequent terms kept).
    min_df : int
        Least number of training texts a term must occur in.
    C : float
        Inverse regularisation of the SVMs.
    class_weight : "balanced" or None
        Reweight classes inversely to their frequency.
    lexicon : bool
        Add the lexicon cue scores as features.
    lexicon_weight : float
        Scale of the lexicon columns relative to the (unit-norm) tf-idf rows.
    calibration_folds : int
        Folds of the cross-fitting that gives out-of-fold margins for Platt
        scaling (>= 2).
    threshold : float
        Probability at which a label is predicted, for multilabel ``y``.
    decision_rule : {"margin", "probability"}
        How :meth:`predict` picks one label for single-label ``y``: the
        largest class-balanced SVM margin, or the largest calibrated probability.
    random_state : int or None
        Seed of the fold split (the SVMs themselves are deterministic).
    estimator : {"svm", "logistic"}
        The linear model per class: a linear SVM (hinge loss) or an
        L2-regularised logistic regression (both Platt-calibrated).
    unit : {"text", "post"}
        ``"text"``: every text is scored whole.  ``"post"``: the model is
        trained on sentences, and a text to score is taken as a forum post:
        quoted earlier posts are removed, it is split into sentences, and
        the sentence scores are combined (see :meth:`predict_proba`).
    aggregation : {"noisy_or", "max"}
        How ``unit="post"`` combines a post's sentence probabilities.
    whole_weight : float
        Weight, from 0 to 1, of the whole post's own score against the
        combined sentence scores (logit scale; ``unit="post"``).

    Attributes
    ----------
    classes_ : ndarray of str
        The labels, in the column order of :meth:`predict_proba`.
    multilabel_ : bool
        Whether ``y`` was a 0/1 indicator matrix.
    absent_classes_ : ndarray of str
        Scheme labels with no training example (never predicted; probability ~0).
    coef_, intercept_ : ndarray
        The linear models, one row per class.
    calibration_ : ndarray of shape (n_classes, 2)
        Platt slope and intercept per class (of texts; with ``unit="post"``,
        of sentences).
    post_calibration_ : ndarray of shape (n_classes, 2)
        With ``unit="post"``: Platt slope and intercept of the combined post
        scores, fitted on out-of-fold pseudo-posts.
    word_vectorizer_, char_vectorizer_ : TfidfVectorizer or None
        The fitted tf-idf vectorizers.

    Examples
    --------
    >>> texts = ["so sorry you are hurting", "sending hugs, so sorry", "that sounds so hard",
    ...          "have you tried your GP", "ask your GP for a referral", "try the helpline"] * 3
    >>> labels = ["emotional"] * 3 + ["informational"] * 3
    >>> model = SupportClassifier(calibration_folds=3, random_state=0).fit(texts, labels * 3)
    >>> model.predict(["so sorry, hugs", "ring your GP"]).tolist()
    ['emotional', 'informational']
    >>> model.predict_proba(["so sorry, hugs"]).shape
    (1, 2)
    """

    def __init__(self, scheme=None, word_ngram_range=(1, 2), char_ngram_range=None,
                 max_word_features=None, max_char_features=50_000, min_df=2, C=0.1,
                 class_weight="balanced", lexicon=False, lexicon_weight=1.0, calibration_folds=3,
                 threshold=0.5, decision_rule="margin", random_state=None, estimator="svm", unit="text",
                 aggregation="noisy_or", whole_weight=0.0):
        self.scheme = scheme
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.max_word_features = max_word_features
        self.max_char_features = max_char_features
        self.min_df = min_df
        self.C = C
        self.class_weight = class_weight
        self.lexicon = lexicon
        self.lexicon_weight = lexicon_weight
        self.calibration_folds = calibration_folds
        self.threshold = threshold
        self.decision_rule = decision_rule
        self.random_state = random_state
        self.estimator = estimator
        self.unit = unit
        self.aggregation = aggregation
        self.whole_weight = whole_weight

    # -- fitting -------------------------------------------------------------

    def _targets(self, y) -> tuple[np.ndarray, np.ndarray, bool]:
        """(0/1 matrix of shape (n, classes), class labels, multilabel?)."""
        known = SCHEMES.get(self.scheme, self.scheme) if isinstance(self.scheme, str) else self.scheme
        if isinstance(self.scheme, str) and self.scheme not in SCHEMES:
            raise PeerscopeError(f"scheme={self.scheme!r}: expected one of {list(SCHEMES)} or a list of labels")
        if isinstance(y, pd.DataFrame) or (np.ndim(y) == 2):
            frame = y if isinstance(y, pd.DataFrame) else pd.DataFrame(np.asarray(y))
            classes = np.asarray([str(c) for c in frame.columns], dtype=object)
            if known is not None and list(classes) != list(known):
                raise PeerscopeError(f"indicator columns {list(classes)} differ from the scheme {list(known)}")
            matrix = frame.to_numpy()
            if not np.isin(matrix, (0, 1)).all():
                raise PeerscopeError("a multilabel y must hold only 0 and 1")
            return matrix.astype(np.int8), classes, True
        labels = pd.Series(y, dtype="str")
        if labels.isna().any():
            raise PeerscopeError("y holds missing labels")
        found = sorted(labels.unique())
        classes = np.asarray(found if known is None else list(known), dtype=object)
        unknown = sorted(set(found) - set(classes))
        if unknown:
            raise PeerscopeError(f"labels {unknown[:5]} are not in the scheme {list(classes)}")
        return (labels.to_numpy()[:, None] == classes[None, :]).astype(np.int8), classes, False

    def fit(self, texts, y, groups=None):
        """Fit the vectorizers, the one-vs-rest linear models and their calibration.

        Parameters
        ----------
        texts : sequence of str
            Training texts (with ``unit="post"``: sentences).
        y : sequence of str, or 0/1 matrix / DataFrame of shape (n, classes)
            One label per text, or a label indicator matrix (multilabel).
        groups : sequence, optional
            The post (thread, comment) each text belongs to.  Calibration
            folds then keep a group's texts together, so no post is scored by
            a model that saw part of it; with ``unit="post"`` the texts of a
            group also form the pseudo-post on which the post-level
            calibration is fitted.  Default: every text its own group.

        Returns
        -------
        self
        """
        texts = as_texts(texts)
        targets, self.classes_, self.multilabel_ = self._targets(y)
        if len(texts) != len(targets):
            raise PeerscopeError(f"{len(texts)} texts but {len(targets)} labels")
        self._check_options()
        group = self._group_codes(groups, len(texts))
        prepared = _prepare(texts)
        self.word_vectorizer_ = TfidfVectorizer(
            ngram_range=tuple(self.word_ngram_range), token_pattern=TOKEN_PATTERN, min_df=self.min_df,
            max_features=self.max_word_features, sublinear_tf=True, dtype=np.float32)
        self.word_vectorizer_.fit(pd.Series(prepared.to_pylist(), dtype="str"))
        self.word_terms_ = _Terms(_vocabulary_list(self.word_vectorizer_))
        self.char_vectorizer_ = None if self.char_ngram_range is None else TfidfVectorizer(
            analyzer="char_wb", ngram_range=tuple(self.char_ngram_range), min_df=self.min_df,
            max_features=self.max_char_features, sublinear_tf=True, dtype=np.float32)
        counts = _word_counts(prepared, self.word_terms_, tuple(self.word_ngram_range))
        blocks = [_tfidf(counts, self.word_vectorizer_.idf_)]
        if self.char_vectorizer_ is not None:
            blocks.append(self.char_vectorizer_.fit_transform(pd.Series(prepared.to_pylist(), dtype="str")))
        features = self._stack(blocks, prepared)
        n_classes = len(self.classes_)
        present = targets.any(axis=0)
        if targets.all(axis=0).any() or present.sum() < 2:
            raise PeerscopeError(f"need examples of at least two classes; found {list(self.classes_[present])}")
        self.absent_classes_ = self.classes_[~present]
        post = self.unit == "post"
        if post:   # pseudo-posts: the texts of each group, as one post
            members = _membership(group, int(group.max()) + 1)
            post_features = _tfidf(members @ counts, self.word_vectorizer_.idf_)
            whole = np.zeros((members.shape[0], n_classes))
        margins = np.zeros(targets.shape, dtype=np.float64)
        for c in np.flatnonzero(present):
            column = targets[:, c]
            for train, held_out in self._folds(column, group, groups is not None):
                if column[train].min() == column[train].max():
                    margins[held_out, c] = 1.0 if column[train][0] else -1.0
                    if post:
                        whole[np.unique(group[held_out]), c] = margins[held_out[0], c]
                    continue
                model = self._linear().fit(features[train], column[train])
                margins[held_out, c] = model.decision_function(features[held_out])
                if post:
                    held_posts = np.unique(group[held_out])
                    whole[held_posts, c] = model.decision_function(post_features[held_posts])
        # a scheme label absent from y gets a zero model and a near-zero probability
        self.coef_ = np.zeros((n_classes, features.shape[1]))
        self.intercept_ = np.full(n_classes, -1.0)
        self.calibration_ = np.tile([0.0, _ABSENT_LOGIT], (n_classes, 1))
        for c in np.flatnonzero(present):
            model = self._linear().fit(features, targets[:, c])
            self.coef_[c], self.intercept_[c] = model.coef_.ravel(), model.intercept_[0]
            self.calibration_[c] = _platt(margins[:, c], targets[:, c])
        self.n_features_ = features.shape[1]
        if post:
            scores = self._aggregate(margins, group, members.shape[0], whole)
            post_targets = self._post_targets(targets, members)
            self.post_calibration_ = np.tile([0.0, _ABSENT_LOGIT], (n_classes, 1))
            for c in np.flatnonzero(present):
                if post_targets[:, c].min() < post_targets[:, c].max():
                    self.post_calibration_[c] = _platt(scores[:, c], post_targets[:, c])
        return self

    def _check_options(self) -> None:
        if self.calibration_folds < 2:
            raise PeerscopeError(f"calibration_folds={self.calibration_folds}: need at least 2")
        if self.estimator not in ("svm", "logistic"):
            raise PeerscopeError(f"estimator={self.estimator!r}: expected 'svm' or 'logistic'")
        if self.unit not in ("text", "post"):
            raise PeerscopeError(f"unit={self.unit!r}: expected 'text' or 'post'")
        if self.aggregation not in AGGREGATIONS:
            raise PeerscopeError(f"aggregation={self.aggregation!r}: expected one of {list(AGGREGATIONS)}")
        if not 0.0 <= self.whole_weight <= 1.0:
            raise PeerscopeError(f"whole_weight={self.whole_weight!r}: expected a number from 0 to 1")
        if self.unit == "post" and (self.char_ngram_range is not None or self.lexicon):
            raise PeerscopeError("unit='post' scores sentences from word n-grams only: set "
                                 "char_ngram_range=None and lexicon=False")

    @staticmethod
    def _group_codes(groups, n: int) -> np.ndarray:
        if groups is None:
            return np.arange(n)
        series = pd.Series(np.asarray(groups, dtype=object))
        if len(series) != n:
            raise PeerscopeError(f"{n} texts but {len(series)} groups")
        if series.isna().any():
            raise PeerscopeError("groups hold missing values: every text needs its post")
        return pd.factorize(series)[0]

    def _folds(self, column: np.ndarray, group: np.ndarray, grouped: bool):
        k = self.calibration_folds
        if grouped:
            if len(np.unique(group)) < k:
                raise PeerscopeError(f"calibration_folds={k} needs at least {k} groups")
            return GroupKFold(k, shuffle=True, random_state=self.random_state).split(column, column, group)
        if np.bincount(column, minlength=2).min() >= k:
            return StratifiedKFold(k, shuffle=True, random_state=self.random_state).split(column, column)
        return KFold(k, shuffle=True, random_state=self.random_state).split(column)

    def _linear(self):
        if self.estimator == "logistic":
            return LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=5000)
        return LinearSVC(C=self.C, class_weight=self.class_weight, dual="auto", max_iter=5000,
                         random_state=self.random_state)

    def _stack(self, blocks: list, prepared: pa.Array) -> sp.csr_matrix:
        if self.lexicon:
            scores = LexiconLabeller().transform(pd.Series(prepared.to_pylist(), dtype="str")) * self.lexicon_weight
            blocks = [*blocks, sp.csr_matrix(scores.astype(np.float32))]
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    def _is_none_class(self) -> np.ndarray:
        """Which classes mean 'no support' (a post is one only when all its sentences are)."""
        return np.isin(self.classes_.astype(str), _NONE_LABELS)

    def _post_targets(self, targets: np.ndarray, members: sp.csr_matrix) -> np.ndarray:
        """A pseudo-post's labels: a support type when any sentence has it; 'no support' when all do."""
        sizes = np.asarray(members.sum(axis=1)).ravel()
        hits = np.asarray(members @ targets.astype(np.float64))
        return np.where(self._is_none_class(), hits == sizes[:, None], hits > 0).astype(np.int8)

    def _aggregate(self, margins: np.ndarray, owner: np.ndarray, n_posts: int,
                   whole: np.ndarray) -> np.ndarray:
        """Post scores (logits) from sentence margins, ``owner[i]`` the post of sentence ``i``.

        Each sentence's calibrated probability ``p`` of a support type is
        combined over the post (``noisy_or``: ``1 - prod(1 - p)``, the chance
        that at least one sentence gives support if sentences were
        independent; ``max``: the most supportive sentence); for a
        'no support' class the complement is combined (a post gives no
        support only when none of its sentences does).  The logit of that is
        mixed with the calibrated logit of the whole post's own score,
        weight ``whole_weight``.
        """
        logits = margins * self.calibration_[:, 0] + self.calibration_[:, 1]
        none = self._is_none_class()
        support_logits = np.where(none, -logits, logits)
        combined = np.empty((n_posts, margins.shape[1]))
        for c in range(margins.shape[1]):
            if self.aggregation == "noisy_or":
                # log(1 - p) = -softplus(logit); S = sum over the post's sentences (<= 0)
                total = np.bincount(owner, weights=-np.logaddexp(0.0, support_logits[:, c]), minlength=n_posts)
                total = np.minimum(total, -1e-12)
                combined[:, c] = np.log(-np.expm1(total)) - total
            else:
                best = np.full(n_posts, -np.inf)
                np.maximum.at(best, owner, support_logits[:, c])
                combined[:, c] = best
        combined = np.clip(combined, -_LOGIT_CAP, _LOGIT_CAP)
        combined = np.where(none, -combined, combined)
        whole_logits = whole * self.calibration_[:, 0] + self.calibration_[:, 1]
        return (1.0 - self.whole_weight) * combined + self.whole_weight * whole_logits

    # -- prediction -----------------------------------------------------------

    def transform_features(self, texts) -> sp.csr_matrix:
        """The feature matrix the linear models see, each text taken whole."""
        check_is_fitted(self, "coef_")
        prepared = _prepare(as_texts(texts))
        blocks = [_tfidf(_word_counts(prepared, self._terms(), tuple(self.word_ngram_range)),
                         self.word_vectorizer_.idf_)]
        if self.char_vectorizer_ is not None:
            blocks.append(self.char_vectorizer_.transform(pd.Series(prepared.to_pylist(), dtype="str")))
        return self._stack(blocks, prepared)

    def _terms(self) -> _Terms:
        if getattr(self, "word_terms_", None) is None:
            self.word_terms_ = _Terms(_vocabulary_list(self.word_vectorizer_))
        return self.word_terms_

    def _margins(self, features: sp.csr_matrix) -> np.ndarray:
        return np.asarray(features @ self.coef_.T.astype(np.float32), dtype=np.float64) + self.intercept_

    def decision_function(self, texts) -> np.ndarray:
        """Scores before calibration, shape (n_texts, n_classes).

        With ``unit="text"`` the linear models' margins on each text; with
        ``unit="post"`` each post's combined score (a logit; see
        :meth:`predict_proba`).
        """
        if getattr(self, "unit", "text") == "post":
            return self._post_scores(texts)
        return self._margins(self.transform_features(texts))

    def _post_scores(self, texts) -> np.ndarray:
        check_is_fitted(self, "coef_")
        prepared = _prepare(as_texts(texts))
        sentences, owner = _split_sentences(prepared)
        counts = _word_counts(sentences, self._terms(), tuple(self.word_ngram_range))
        margins = self._margins(_tfidf(counts, self.word_vectorizer_.idf_))
        members = _membership(owner, len(prepared))
        whole = self._margins(_tfidf(members @ counts, self.word_vectorizer_.idf_))
        return self._aggregate(margins, owner, len(prepared), whole)

    def predict_proba(self, texts) -> np.ndarray:
        """Calibrated probabilities, shape (n_texts, n_classes), columns in ``classes_`` order.

        With ``unit="post"`` each text is a post and is scored in four steps:

        1. quoted earlier posts are removed (lines starting with ``>``;
           blocks opened by ``Quote:``, ``Originally Posted by`` or
           ``... wrote:`` up to the next blank line);
        2. the post is split into sentences (after ``.``, ``!``, ``?`` and
           at line breaks) and every sentence is scored by the sentence
           model and Platt-calibrated;
        3. the sentence probabilities are combined (``aggregation``:
           noisy-or or max; a post has a support type when any sentence
           has it, and is 'other'/'none' only when every sentence is), and
           mixed in logit space with the whole post's own score
           (``whole_weight``);
        4. a second Platt curve, fitted on out-of-fold pseudo-posts (the
           training sentences grouped by ``groups``), calibrates the result
           to post-level probabilities.

        Single-label models renormalise the one-vs-rest probabilities to sum to one.
        """
        return self._calibrate(self.decision_function(texts))

    def _calibrate(self, margins: np.ndarray) -> np.ndarray:
        table = self.post_calibration_ if getattr(self, "unit", "text") == "post" else self.calibration_
        slope, intercept = table[:, 0], table[:, 1]
        proba = 1.0 / (1.0 + np.exp(-(margins * slope + intercept)))
        if not self.multilabel_:
            proba = proba / np.maximum(proba.sum(axis=1, keepdims=True), 1e-12)
        return proba

    def predict(self, texts):
        """Labels by ``decision_rule``, or (multilabel) a 0/1 matrix of ``proba >= threshold``."""
        if self.multilabel_:
            return (self.predict_proba(texts) >= self.threshold).astype(np.int8)
        return self.classes_[self._choose(self.decision_function(texts))].astype(str)

    def _choose(self, margins: np.ndarray) -> np.ndarray:
        if self.decision_rule == "margin":
            return margins.argmax(axis=1)
        if self.decision_rule == "probability":
            return self._calibrate(margins).argmax(axis=1)
        raise PeerscopeError(f"decision_rule={self.decision_rule!r}: expected 'margin' or 'probability'")

    def predict_frame(self, texts) -> pd.DataFrame:
        """Probabilities as a DataFrame (one column per class) plus the predicted ``label``.

        For a multilabel model the ``label`` is the most probable class (one
        label per text, e.g. for :func:`~peerscope.support.prevalence`); the
        probability columns keep every type a text may carry.
        """
        texts = as_texts(texts)
        margins = self.decision_function(texts)
        proba = self._calibrate(margins)
        frame = pd.DataFrame(proba, columns=[str(c) for c in self.classes_], index=texts.index)
        chosen = proba.argmax(axis=1) if self.multilabel_ else self._choose(margins)
        frame["label"] = pd.Series(self.classes_[chosen], index=texts.index, dtype="str")
        return frame

    def top_features(self, n: int = 10) -> pd.DataFrame:
        """The ``n`` features with the largest weight per class (to read what the model learned)."""
        check_is_fitted(self, "coef_")
        names = self._feature_names()
        rows = []
        for c, label in enumerate(self.classes_):
            order = np.argsort(-self.coef_[c])[:n]
            rows += [(str(label), rank + 1, names[i], float(self.coef_[c, i])) for rank, i in enumerate(order)]
        return pd.DataFrame(rows, columns=["class", "rank", "feature", "weight"])

    def _feature_names(self) -> list[str]:
        names = [f"word:{t}" for t in self.word_vectorizer_.get_feature_names_out()]
        if self.char_vectorizer_ is not None:
            names += [f"char:{t}" for t in self.char_vectorizer_.get_feature_names_out()]
        if self.lexicon:
            names += [f"lexicon:{t}" for t in LexiconLabeller().get_feature_names_out()]
        return names

    # -- persistence ------------------------------------------------------------

    def save(self, path: str | os.PathLike) -> Path:
        """Write the fitted model to folder ``path`` (``model.json`` + ``arrays.npz``), atomically.

        The model is written to a sibling folder and swapped in when complete.
        Nothing else is ever deleted: ``path`` may be missing, empty or a
        model saved earlier, whose two files are replaced while anything
        else in the folder (a README, evaluation results) is kept; any other
        non-empty folder is refused.

        Parameters
        ----------
        path : path-like
            The model folder.

        Returns
        -------
        pathlib.Path
            The folder.

        Raises
        ------
        peerscope.errors.PeerscopeError
            When ``path`` is a file or a non-empty folder that holds no saved
            SupportClassifier.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> model = SupportClassifier(calibration_folds=3, random_state=0).fit(
        ...     ["so sorry, hugs", "sending hugs", "that sounds hard",
        ...      "ring your GP", "try the helpline", "see a doctor"] * 3,
        ...     (["emotional"] * 3 + ["informational"] * 3) * 3)
        >>> folder = pathlib.Path(tempfile.mkdtemp()) / "model"
        >>> _ = model.save(folder)
        >>> _ = (folder / "notes.txt").write_text("kept")
        >>> sorted(p.name for p in model.save(folder).iterdir())
        ['arrays.npz', 'model.json', 'notes.txt']
        """
        check_is_fitted(self, "coef_")
        path = Path(path)
        meta = {"format": "peerscope.support.SupportClassifier", "version": FORMAT_VERSION,
                "params": _jsonable(self.get_params()), "classes": [str(c) for c in self.classes_],
                "multilabel": bool(self.multilabel_), "n_features": int(self.n_features_),
                "vocabularies": {name: _vocabulary_list(v) for name, v in self._vectorizers().items()}}
        arrays = {"coef": self.coef_, "intercept": self.intercept_, "calibration": self.calibration_}
        if self.unit == "post":
            arrays["post_calibration"] = self.post_calibration_
        for name, vectorizer in self._vectorizers().items():
            arrays[f"{name}_idf"] = vectorizer.idf_
        with _AtomicFolder(path, kind="saved SupportClassifier", is_kind=_is_saved_model,
                           own=MODEL_FILES) as staging:
            (staging / "model.json").write_text(json.dumps(meta), encoding="utf-8")
            _write_npz(staging / "arrays.npz", arrays)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "SupportClassifier":
        """Read a model written by :meth:`save` (JSON and numpy arrays only; nothing is unpickled).

        Raises
        ------
        peerscope.errors.PeerscopeError
            When a file is missing or unreadable, or holds something else than
            :meth:`save` writes (a missing key, an array of the wrong shape or
            type); the message names the folder and what is wrong.
        """
        path = Path(path)

        def fail(problem: str):
            raise PeerscopeError(f"{path}: not a usable saved SupportClassifier: {problem}")

        if not path.is_dir():
            fail("no such folder" if not path.exists() else "not a folder")
        for name in MODEL_FILES:
            if not (path / name).is_file():
                fail(f"{name} is missing")
        try:
            meta = json.loads((path / "model.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as exc:   # JSONDecodeError, UnicodeDecodeError
            fail(f"model.json cannot be read ({exc})")
        try:
            with np.load(path / "arrays.npz", allow_pickle=False) as stored:
                arrays = {k: stored[k] for k in stored.files}
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
            fail(f"arrays.npz cannot be read ({exc})")
        if not isinstance(meta, dict):
            fail("model.json does not hold a JSON object")
        if meta.get("format") != "peerscope.support.SupportClassifier" or meta.get("version") != FORMAT_VERSION:
            raise PeerscopeError(f"{path}: unknown model format {meta.get('format')!r} "
                                 f"version {meta.get('version')!r}")
        for key, kind in (("params", dict), ("classes", list), ("multilabel", bool), ("n_features", int),
                          ("vocabularies", dict)):
            if key not in meta:
                fail(f"model.json has no {key!r}")
            if not isinstance(meta[key], kind) or (kind is int and isinstance(meta[key], bool)):
                fail(f"model.json: {key!r} is {meta[key]!r}, not a {kind.__name__}")
        classes, vocabularies = meta["classes"], meta["vocabularies"]
        if len(classes) < 2 or not all(isinstance(c, str) for c in classes):
            fail(f"model.json: 'classes' is {classes!r}, not two or more labels")
        if "word" not in vocabularies or set(vocabularies) - {"word", "char"}:
            fail(f"model.json: 'vocabularies' has {sorted(vocabularies)}, not 'word' (and 'char')")
        for name, terms in vocabularies.items():
            if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
                fail(f"model.json: vocabulary {name!r} is not a list of terms")
        n_classes, n_features = len(classes), meta["n_features"]
        if n_features < sum(len(terms) for terms in vocabularies.values()):
            fail(f"model.json: 'n_features' {n_features} is fewer than the vocabularies' terms")
        shapes = {"coef": (n_classes, n_features), "intercept": (n_classes,), "calibration": (n_classes, 2),
                  **{f"{name}_idf": (len(terms),) for name, terms in vocabularies.items()}}
        if meta["params"].get("unit") == "post":
            shapes["post_calibration"] = (n_classes, 2)
        for name, shape in shapes.items():
            if name not in arrays:
                fail(f"arrays.npz has no {name!r}")
            if arrays[name].dtype.kind != "f":
                fail(f"arrays.npz: {name!r} holds {arrays[name].dtype}, not floating-point numbers")
            if arrays[name].shape != shape:
                fail(f"arrays.npz: {name!r} has shape {arrays[name].shape}, expected {shape}")
        params = meta["params"]
        try:
            for key in ("word_ngram_range", "char_ngram_range"):
                if params.get(key) is not None:
                    params[key] = tuple(int(n) for n in params[key])
            if isinstance(params.get("scheme"), list):
                params["scheme"] = tuple(params["scheme"])
            model = cls(**params)
            model._check_options()
        except (TypeError, ValueError, PeerscopeError) as exc:
            fail(f"model.json: 'params' are not SupportClassifier parameters ({exc})")
        model.classes_ = np.asarray(classes, dtype=object)
        model.multilabel_ = bool(meta["multilabel"])
        model.n_features_ = int(n_features)
        model.coef_, model.intercept_ = arrays["coef"], arrays["intercept"]
        model.calibration_ = arrays["calibration"]
        if model.unit == "post":
            model.post_calibration_ = arrays["post_calibration"]
        model.word_vectorizer_ = _restore(vocabularies["word"], arrays["word_idf"],
                                          analyzer="word", ngram_range=params.get("word_ngram_range", (1, 2)),
                                          token_pattern=TOKEN_PATTERN)
        model.char_vectorizer_ = None
        if "char" in vocabularies:
            if params.get("char_ngram_range") is None:
                fail("model.json: a 'char' vocabulary but no 'char_ngram_range' parameter")
            model.char_vectorizer_ = _restore(vocabularies["char"], arrays["char_idf"],
                                              analyzer="char_wb", ngram_range=params["char_ngram_range"])
        return model

    def _vectorizers(self) -> dict[str, TfidfVectorizer]:
        found = {"word": self.word_vectorizer_}
        if self.char_vectorizer_ is not None:
            found["char"] = self.char_vectorizer_
        return found


#: The files :meth:`SupportClassifier.save` writes (and a later save replaces).
MODEL_FILES = ("model.json", "arrays.npz")


def _is_saved_model(folder: Path) -> bool:
    """Whether ``folder`` holds a model written by :meth:`SupportClassifier.save`."""
    try:
        meta = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("format") == "peerscope.support.SupportClassifier"


def _platt(margins: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    """Slope and intercept of a logistic curve of ``target`` on the margin (Platt 1999)."""
    model = LogisticRegression(C=1e4).fit(margins[:, None], target)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """``np.savez`` with fixed zip timestamps, so that one model always gives the same bytes (and hash)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            entry = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            with archive.open(entry, "w", force_zip64=True) as handle:
                np.lib.format.write_array(handle, np.asarray(array), allow_pickle=False)


def _membership(owner: np.ndarray, n_posts: int) -> sp.csr_matrix:
    """A 0/1 matrix (posts x sentences): which sentences make up each post."""
    return sp.csr_matrix((np.ones(len(owner), dtype=np.float32), (owner, np.arange(len(owner)))),
                         shape=(n_posts, len(owner)))


def _vocabulary_list(vectorizer: TfidfVectorizer) -> list[str]:
    terms = [""] * len(vectorizer.vocabulary_)
    for term, column in vectorizer.vocabulary_.items():
        terms[column] = term
    return terms


def _restore(terms: list[str], idf: np.ndarray, **options) -> TfidfVectorizer:
    vectorizer = TfidfVectorizer(vocabulary={t: i for i, t in enumerate(terms)}, sublinear_tf=True,
                                 dtype=np.float32, **options)
    vectorizer.idf_ = idf
    return vectorizer


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
