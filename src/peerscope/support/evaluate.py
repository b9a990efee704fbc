"""How good are support labels: per-class scores and agreement between coders and models.

Content analyses must report agreement, not accuracy alone (Wang, Kraut &
Levine 2015 report per-attribute correlations with human judges).  This
module gives, for one set of reference labels and one set of predictions,
per-class precision, recall and F1, macro-F1, Cohen's kappa (Cohen 1960) and
Krippendorff's alpha for nominal data (Krippendorff 2004); and for a table
of several coders (a model may be one of them), pairwise kappa and alpha
over all coders: directly from :func:`peerscope.support.read_codes`, per
code and on each unit's whole code set.

Krippendorff's alpha (nominal) is ``1 - D_o / D_e`` computed from the
coincidence matrix ``o``: every unit ``u`` coded by ``m_u >= 2`` coders adds,
for each ordered pair of its values from different coders, ``1 / (m_u - 1)``
to ``o[c, k]``.  With ``n_c`` the row sums and ``n`` their total,
``D_o = sum_{c != k} o[c, k] / n`` and
``D_e = sum_{c != k} n_c n_k / (n (n - 1))``.  Units coded by fewer than two
coders are left out (they carry no pairable value).  Alpha is undefined
(NaN) when all pairable values are one category (``D_e = 0``).

References
----------
Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational
and Psychological Measurement 20(1).
Krippendorff, K. (2004). Content Analysis: An Introduction to Its
Methodology (2nd ed.), ch. 11. Sage.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import cohen_kappa_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

from peerscope.errors import PeerscopeError

__all__ = ["Evaluation", "agreement", "code_set", "cross_validate", "evaluate",
           "krippendorff_alpha"]


def krippendorff_alpha(codes) -> float:
    """Krippendorff's alpha for nominal data.

    Parameters
    ----------
    codes : DataFrame or 2-D array
        One row per unit, one column per coder; missing codes as null.

    Returns
    -------
    float
        Alpha (1 perfect agreement, 0 chance level, negative below chance);
        NaN when no unit has two codes or every pairable value is the same.

    Examples
    --------
    Two coders, four units; coincidences o_aa = 2, o_ab = o_ba = 1,
    o_bb = 4, so D_o = 2/8, D_e = 2 * 3 * 5 / (8 * 7) and alpha = 8/15:

    >>> round(krippendorff_alpha([["a", "a"], ["a", "b"], ["b", "b"], ["b", "b"]]), 4)
    0.5333
    """
    frame = pd.DataFrame(codes).astype("object").where(pd.DataFrame(codes).notna(), None)
    stacked = frame.stack().dropna()
    if stacked.empty:
        return float("nan")
    units = stacked.index.get_level_values(0)
    counts = pd.crosstab(units, stacked.astype(str).to_numpy()).to_numpy(dtype=np.float64)
    m = counts.sum(axis=1)
    counts, m = counts[m >= 2], m[m >= 2]
    if len(m) == 0:
        return float("nan")
    weight = 1.0 / (m - 1.0)
    coincidence = counts.T @ (counts * weight[:, None]) - np.diag((counts * weight[:, None]).sum(axis=0))
    n_c = coincidence.sum(axis=1)
    n = n_c.sum()
    observed = (coincidence.sum() - np.trace(coincidence)) / n
    expected = (n_c.sum() ** 2 - (n_c ** 2).sum()) / (n * (n - 1.0))
    return float("nan") if expected == 0 else float(1.0 - observed / expected)


def agreement(codes: pd.DataFrame, model=None, *, model_name: str = "model") -> pd.DataFrame:
    """Agreement between coders (human or model): pairwise Cohen's kappa, and alpha over all.

    Parameters
    ----------
    codes : DataFrame
        Either one row per unit and one column per coder (a model's
        predictions can be a column), missing codes as null; or the tidy
        output of :func:`peerscope.support.read_codes` (``post_id``,
        ``coder`` and one 0/1 column per code).  A tidy frame is scored per
        code (each a yes/no decision, as a multilabel content analysis
        reports it) and on ``label``, the whole set of codes of a unit as one
        nominal value (``"emotional+esteem"``, ``"none"``).
    model : optional, tidy input only
        A model's predictions, added as coder ``model_name`` (units the
        humans did not code are left out): a Series ``post_id -> label``, a
        frame with ``post_id`` and ``label`` (the output of
        :func:`peerscope.support.classify`; its score columns are ignored),
        or a frame with ``post_id`` and 0/1 code columns.
    model_name : str
        The model's name in the result.

    Returns
    -------
    DataFrame
        One row per pair of coders (``coder_a``, ``coder_b``, ``n_units``
        coded by both, ``percent_agreement``, ``kappa``, ``alpha``) and a last
        row ``coder_a = coder_b = "all"`` with Krippendorff's alpha over every
        coder; for tidy input these rows come once per code, named in a first
        column ``code``.

    Examples
    --------
    >>> codes = pd.DataFrame({"ann": ["emo", "emo", "info", "info"],
    ...                       "bob": ["emo", "info", "info", "info"]})
    >>> agreement(codes)[["coder_a", "coder_b", "kappa"]].round(2).to_dict("list")
    {'coder_a': ['ann', 'all'], 'coder_b': ['bob', 'all'], 'kappa': [0.5, nan]}

    Tidy codes (as :func:`read_codes` gives them) and a model's labels:

    >>> tidy = pd.DataFrame({"post_id": ["p1", "p2", "p1", "p2"], "coder": ["ann", "ann", "bob", "bob"],
    ...                      "emotional": [1, 0, 1, 1], "esteem": [0, 0, 0, 0]})
    >>> table = agreement(tidy, pd.Series({"p1": "emotional", "p2": "none"}))
    >>> table.loc[table.code == "label", ["coder_a", "coder_b", "percent_agreement"]].values.tolist()
    [['ann', 'bob', 0.5], ['ann', 'model', 1.0], ['bob', 'model', 0.5], ['all', 'all', nan]]
    """
    if {"post_id", "coder"} <= set(codes.columns):
        return _tidy_agreement(codes, model, model_name)
    if model is not None:
        raise PeerscopeError("model= is for tidy codes (post_id, coder, code columns); "
                             "with one column per coder, add the model as a column")
    if codes.shape[1] < 2:
        raise PeerscopeError(f"agreement needs at least two coders, got {list(codes.columns)}")
    rows = []
    for a, b in combinations(codes.columns, 2):
        both = codes[[a, b]].dropna()
        pair_a, pair_b = both[a].astype(str), both[b].astype(str)
        rows.append({"coder_a": str(a), "coder_b": str(b), "n_units": len(both),
                     "percent_agreement": float((pair_a == pair_b).mean()) if len(both) else np.nan,
                     "kappa": _kappa(pair_a, pair_b), "alpha": krippendorff_alpha(both)})
    coded = codes.notna().sum(axis=1) >= 2
    rows.append({"coder_a": "all", "coder_b": "all", "n_units": int(coded.sum()),
                 "percent_agreement": np.nan, "kappa": np.nan, "alpha": krippendorff_alpha(codes)})
    return pd.DataFrame(rows)


def _tidy_agreement(codes: pd.DataFrame, model, model_name: str) -> pd.DataFrame:
    """Agreement per code and on the whole code set, from tidy codes (and a model's)."""
    code_columns = [c for c in codes.columns if c not in ("post_id", "coder")]
    if not code_columns:
        raise PeerscopeError("tidy codes need at least one code column besides post_id and coder")
    if model is not None:
        predicted = _model_codes(model, code_columns, set(codes["post_id"]))
        if model_name in set(codes["coder"]):
            raise PeerscopeError(f"model_name={model_name!r} is also a human coder's name")
        codes = pd.concat([codes, predicted.assign(coder=model_name)], ignore_index=True)
    ids, coders = codes["post_id"].astype(str).to_numpy(), codes["coder"].astype(str).to_numpy()
    if pd.DataFrame({"i": ids, "c": coders}).duplicated().any():
        raise PeerscopeError("a coder codes a post_id twice; read_codes gives one row per post and coder")
    tables = []
    for code in [*code_columns, "label"]:
        values = code_set(codes[code_columns]) if code == "label" else codes[code].astype(str)
        wide = pd.DataFrame({"post_id": ids, "coder": coders, "value": values.to_numpy()}) \
            .pivot(index="post_id", columns="coder", values="value")
        tables.append(agreement(wide).assign(code=code))
    table = pd.concat(tables, ignore_index=True)
    return table[["code", *[c for c in table.columns if c != "code"]]]


def code_set(indicators: pd.DataFrame, none: str = "none") -> pd.Series:
    """The codes a unit carries as one nominal value: names of the 1-columns joined by ``+``.

    Parameters
    ----------
    indicators : pandas.DataFrame
        One 0/1 column per code, one row per unit.
    none : str
        The value of a unit with no code.

    Returns
    -------
    pandas.Series

    Examples
    --------
    >>> code_set(pd.DataFrame({"emotional": [1, 0, 1], "esteem": [1, 0, 0]})).tolist()
    ['emotional+esteem', 'none', 'emotional']
    """
    flags = indicators.to_numpy() == 1
    joined = flags.astype(object) @ np.array([f"{c}+" for c in indicators.columns], dtype=object) \
        if flags.shape[1] else np.full(len(flags), "", dtype=object)
    labels = pd.Series(joined, index=indicators.index, dtype="str").str.rstrip("+")
    return labels.where(labels != "", none)


def _model_codes(model, code_columns: list[str], coded_ids: set) -> pd.DataFrame:
    """A model's predictions as tidy 0/1 code columns, for the units humans coded."""
    if isinstance(model, pd.Series):
        model = pd.DataFrame({"post_id": model.index.astype(str), "label": model.to_numpy()})
    if not isinstance(model, pd.DataFrame) or "post_id" not in model:
        raise PeerscopeError("model predictions must be a Series post_id -> label or a frame with "
                             "post_id and label (or 0/1 code) columns")
    model = model.loc[model["post_id"].astype(str).isin(coded_ids)]
    if "label" in model:
        labels = model["label"].astype(str)
        unknown = sorted(set(labels) - set(code_columns) - {"none"})
        if unknown:
            raise PeerscopeError(f"model labels {unknown[:5]} are not codes {code_columns} nor 'none'")
        frame = pd.DataFrame({"post_id": model["post_id"].to_numpy()})
        for code in code_columns:
            frame[code] = (labels == code).to_numpy().astype("int8")
    elif set(code_columns) <= set(model.columns):
        frame = model[["post_id", *code_columns]].copy()
        if not frame[code_columns].isin([0, 1]).all().all():
            raise PeerscopeError("model code columns must hold 0/1 (scores: give a label column)")
    else:
        raise PeerscopeError(f"model predictions need a label column or 0/1 code columns {code_columns}")
    frame["post_id"] = frame["post_id"].astype(str)
    if frame["post_id"].duplicated().any():
        raise PeerscopeError("model predictions repeat a post_id")
    return frame


def _kappa(a: pd.Series, b: pd.Series) -> float:
    if len(a) == 0 or (a.nunique() == 1 and b.nunique() == 1 and a.iloc[0] == b.iloc[0]):
        return float("nan")
    return float(cohen_kappa_score(a, b))


@dataclass(frozen=True)
class Evaluation:
    """Scores of predictions against reference labels.

    Attributes
    ----------
    per_class : DataFrame
        One row per label: ``precision, recall, f1, support`` (reference
        count), ``predicted`` (predicted count), ``tpr`` (= recall) and
        ``fpr`` (share of texts of other labels predicted as this one).
    macro_f1, accuracy, kappa, alpha : float
        Unweighted mean F1 over labels; share correct; Cohen's kappa;
        Krippendorff's alpha (nominal; reference and prediction as two coders).
    n : int
        Texts scored.

    Examples
    --------
    >>> frame = evaluate(["emo", "emo", "info", "info"], ["emo", "info", "info", "info"]).to_frame()
    >>> frame.index.tolist(), round(float(frame.loc["macro", "f1"]), 3)
    (['emo', 'info', 'macro'], 0.733)
    >>> float(frame.loc["macro", "accuracy"])
    0.75
    """

    per_class: pd.DataFrame
    macro_f1: float
    accuracy: float
    kappa: float
    alpha: float
    n: int

    def to_frame(self) -> pd.DataFrame:
        """Per-class rows plus a ``macro`` row carrying the overall figures."""
        macro = self.per_class[["precision", "recall", "f1"]].mean().to_frame().T
        macro.index = ["macro"]
        frame = pd.concat([self.per_class, macro])
        for name in ("accuracy", "kappa", "alpha"):
            frame[name] = np.where(frame.index == "macro", getattr(self, name), np.nan)
        frame.index.name = "label"
        return frame


def evaluate(y_true, y_pred, labels=None) -> Evaluation:
    """Per-class precision, recall, F1, true/false positive rates, kappa and alpha.

    Parameters
    ----------
    y_true, y_pred : sequence of str
        Reference labels (human codes) and predictions, aligned.
    labels : sequence of str, optional
        Labels to score (default: every label in either).

    Returns
    -------
    Evaluation

    Examples
    --------
    >>> result = evaluate(["emo", "emo", "info", "info"], ["emo", "info", "info", "info"])
    >>> result.per_class["f1"].round(3).to_dict()
    {'emo': 0.667, 'info': 0.8}
    >>> round(result.kappa, 2), round(result.macro_f1, 3)
    (0.5, 0.733)
    """
    truth = pd.Series(y_true, dtype="str").reset_index(drop=True)
    predicted = pd.Series(y_pred, dtype="str").reset_index(drop=True)
    if len(truth) != len(predicted):
        raise PeerscopeError(f"{len(truth)} reference labels but {len(predicted)} predictions")
    if truth.isna().any() or predicted.isna().any():
        raise PeerscopeError("labels must not be missing; drop uncoded units first")
    labels = sorted(set(truth) | set(predicted)) if labels is None else [str(x) for x in labels]
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=labels, zero_division=0)
    predicted_n = np.array([(predicted == label).sum() for label in labels])
    negatives = np.array([(truth != label).sum() for label in labels])
    false_pos = np.array([((predicted == label) & (truth != label)).sum() for label in labels])
    per_class = pd.DataFrame({"precision": precision, "recall": recall, "f1": f1, "support": support,
                              "predicted": predicted_n, "tpr": recall,
                              "fpr": np.divide(false_pos, negatives, out=np.full(len(labels), np.nan),
                                               where=negatives > 0)},
                             index=pd.Index(labels, name="label"))
    return Evaluation(per_class=per_class, macro_f1=float(np.mean(f1)),
                      accuracy=float((truth == predicted).mean()), kappa=_kappa(truth, predicted),
                      alpha=krippendorff_alpha(np.column_stack([truth, predicted])), n=len(truth))


def cross_validate(estimator, texts, y, folds: int = 5, random_state=None) -> tuple[Evaluation, pd.Series]:
    """Out-of-fold predictions of ``estimator`` on a coded sample, and their evaluation.

    The estimator is cloned and refitted on each training part (stratified
    folds); every text is predicted once, by a model that never saw it.
    The per-class ``tpr``/``fpr`` of the result are what
    :func:`peerscope.support.prevalence.prevalence` needs.

    Parameters
    ----------
    estimator : scikit-learn classifier
        E.g. :class:`~peerscope.support.SupportClassifier`; cloned, never fitted itself.
    texts : sequence of str
        The coded texts (nulls read as empty).
    y : sequence of str
        Their labels; each label needs at least ``folds`` texts.
    folds : int
        Number of stratified folds (default 5).
    random_state : int, optional
        Seed of the fold shuffle.

    Returns
    -------
    evaluation : Evaluation
    predictions : Series
        The out-of-fold prediction of each text (aligned with ``texts``).

    Examples
    --------
    >>> from peerscope.support import SupportClassifier
    >>> texts = ["so sorry you are hurting", "sending hugs, so sorry", "that sounds so hard",
    ...          "ring your GP", "try the NHS 111 line", "see a pharmacist"] * 3
    >>> labels = (["emotional"] * 3 + ["informational"] * 3) * 3
    >>> model = SupportClassifier(calibration_folds=2, random_state=0)
    >>> result, predictions = cross_validate(model, texts, labels, folds=3, random_state=0)
    >>> result.n, len(predictions), result.accuracy
    (18, 18, 1.0)
    """
    texts = pd.Series(texts, dtype="str").fillna("").reset_index(drop=True)
    labels = pd.Series(y, dtype="str").reset_index(drop=True)
    predictions = np.empty(len(texts), dtype=object)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=random_state)
    for train, test in splitter.split(np.zeros(len(labels)), labels):
        model = clone(estimator).fit(texts.iloc[train], labels.iloc[train])
        predictions[test] = np.asarray(model.predict(texts.iloc[test]), dtype=object)
    predicted = pd.Series(predictions, dtype="str")
    return evaluate(labels, predicted), predicted
