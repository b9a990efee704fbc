"""Train, select and evaluate the shipped ``pretrained("forum")`` support model, reproducibly.

Training data: the CL-Aff "Get it #OffMyChest" training split only
(``claff-offmychest/labeled_training_set.csv``; Jaidka et al. 2020; CC BY 4.0,
which allows redistributing a model trained on it): one sentence per row,
``Emo_support`` and ``Info_support`` 0/1, ``id`` the Reddit post whose top
comments the sentence comes from.  ESConv (CC BY-NC 4.0) and MI-labelled
CounselChat (CC BY-NC-SA 3.0) are used only to choose and evaluate, never to
fit; the unlicensed forum fixtures are not used at all.

Steps:

1. **Choice** of the linear model (SVM / logistic, C, word n-grams) and of
   the sentence -> post aggregation (noisy-or / max, weight of the whole
   post's own score), by the mean AUC (emotional and informational) over
   four sets of multi-sentence posts: CL-Aff training pseudo-posts grouped
   by ``id`` and by ``author`` + ``id`` (5-fold cross-validation grouped by
   ``id``, so no thread is split between fitting and scoring), ESConv
   *valid* supporter turns grouped four at a time, and CounselChat answers.
   The CL-Aff test split plays no part in any choice.
2. **Fit** of the chosen configuration on the whole training split, saved to
   ``src/peerscope/support/models/forum/`` (JSON + numpy arrays).
3. **Report**: the CL-Aff test split (sentences, and pseudo-posts by ``id``),
   ESConv *test* supporter turns (single and grouped), CounselChat sentences
   and answers; calibration (reliability bins) on the held-out folds of the
   training split and on the test split; the lexicon baseline; the
   seeking/providing rule on ESConv and CL-Aff; size, load time and SHA-256
   of the shipped files.  Written to ``benchmarks/results/forum_model.json``
   and ``docs/models/forum-reliability.png`` (matplotlib, the ``report`` extra).

Usage: ``python benchmarks/train_forum_model.py [--data ../shared/data]``.
Deterministic: fixed fold seeds, fixed zip timestamps in ``arrays.npz``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_recall_fscore_support, roc_auc_score
from sklearn.model_selection import GroupKFold

from peerscope.support import ESCONV_TO_SSBC, MI_TO_SSBC, LexiconLabeller, SupportClassifier, direction

REPO = Path(__file__).resolve().parents[1]
MODEL_DIR = REPO / "src" / "peerscope" / "support" / "models" / "forum"
RESULTS = REPO / "benchmarks" / "results" / "forum_model.json"
FIGURE = REPO / "docs" / "models" / "forum-reliability.png"
CLASSES = ["emotional", "informational"]
SEED = 0
#: Linear models tried (word n-grams up to 2 or 3).
MODELS = ([{"estimator": "svm", "C": c, "word_ngram_range": (1, n)} for c in (0.05, 0.1, 0.3) for n in (2, 3)]
          + [{"estimator": "logistic", "C": 4.0, "word_ngram_range": (1, 2)}])
#: Sentence -> post aggregations tried.
AGGREGATIONS = [{"aggregation": a, "whole_weight": w} for a in ("noisy_or", "max") for w in (0.0, 0.25, 0.5)]
CHOICE_SETS = ("claff_cv_posts_id", "claff_cv_posts_author_id", "esconv_valid_posts", "counselchat_answers")


# -- data ------------------------------------------------------------------------

def claff(data: Path, split: str) -> pd.DataFrame:
    """CL-Aff sentences with 0/1 ``emotional``, ``informational``, ``other`` (unprefixed label columns)."""
    name = "labeled_training_set.csv" if split == "train" else "labeled_test_set.csv"
    frame = pd.read_csv(data / "claff-offmychest" / name)
    out = pd.DataFrame({"text": frame["full_text"].fillna("").astype(str), "id": frame["id"].astype(str),
                        "author": frame["author"].astype(str),
                        "emotional": frame["Emo_support"].astype(int),
                        "informational": frame["Info_support"].astype(int)})
    out["other"] = ((out["emotional"] == 0) & (out["informational"] == 0)).astype(int)
    return out


def esconv(data: Path, split: str) -> pd.DataFrame:
    """ESConv turns: speaker, text, coarse SSBC labels of supporter turns, chunk of 4 supporter turns."""
    rows = []
    with open(data / "esconv" / f"{split}.txt", encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            supporter_turns = 0
            for turn in json.loads(line)["dialog"]:
                strategy = turn.get("strategy") if turn["speaker"] == "sys" else None
                rows.append((number, supporter_turns // 4, turn["speaker"], turn["text"], strategy))
                supporter_turns += turn["speaker"] == "sys"
    frame = pd.DataFrame(rows, columns=["dialogue", "chunk", "speaker", "text", "strategy"])
    coarse = pd.Series("none", index=frame.index, dtype="str")
    sys_turns = frame["speaker"] == "sys"
    coarse[sys_turns] = ESCONV_TO_SSBC.coarse(frame.loc[sys_turns, "strategy"]).to_numpy()
    frame["emotional"] = (coarse == "emotional").astype(int)
    frame["informational"] = (coarse == "informational").astype(int)
    return frame


def counselchat(data: Path) -> pd.DataFrame:
    """Listener sentences of MI-labelled CounselChat with coarse labels (``Union`` column; unlabelled = none)."""
    frame = pd.read_csv(data / "counselchat-mi" / "MI_Augmented_CounselChat.csv")
    frame = frame[frame["author"] == "listener"].reset_index(drop=True)
    label = frame["Union (without disambiguities)"]
    coarse = MI_TO_SSBC.coarse(label.fillna("Other"))
    return pd.DataFrame({"answer": frame["dialog_id"].astype(str), "text": frame["text"].astype(str),
                         "labelled": label.notna().to_numpy(),
                         "emotional": (coarse == "emotional").astype(int).to_numpy(),
                         "informational": (coarse == "informational").astype(int).to_numpy()})


def posts_of(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Pseudo-posts: the texts of each group joined in order; a type is present when any text has it."""
    grouped = frame.groupby(keys, sort=False)
    posts = grouped["text"].agg(" ".join).to_frame()
    for name in CLASSES:
        posts[name] = grouped[name].max()
    return posts.reset_index()


# -- metrics ---------------------------------------------------------------------

def aucs(truth: pd.DataFrame, proba: pd.DataFrame) -> dict:
    return {c: round(float(roc_auc_score(truth[c], proba[c])), 4) for c in CLASSES if truth[c].nunique() == 2}


def prf(truth: pd.DataFrame, proba: pd.DataFrame, threshold: float = 0.5) -> dict:
    out = {}
    for c in CLASSES:
        p, r, f, _ = precision_recall_fscore_support(truth[c], proba[c] >= threshold, average="binary",
                                                     zero_division=0)
        out[c] = {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4),
                  "auc": round(float(roc_auc_score(truth[c], proba[c])), 4), "n_positive": int(truth[c].sum()),
                  "n": int(len(truth))}
    return out


def reliability(truth: np.ndarray, proba: np.ndarray, bins: int = 10) -> dict:
    """Equal-width bins: count, mean predicted probability, observed rate; expected calibration error."""
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(proba, edges[1:-1]), 0, bins - 1)
    rows, ece = [], 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            mean_p, rate = float(proba[inside].mean()), float(truth[inside].mean())
            ece += inside.mean() * abs(mean_p - rate)
            rows.append({"bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}", "n": int(inside.sum()),
                         "mean_predicted": round(mean_p, 4), "observed": round(rate, 4)})
    return {"bins": rows, "ece": round(float(ece), 4)}


def scores(model: SupportClassifier, texts: pd.Series) -> pd.DataFrame:
    return model.predict_frame(texts.reset_index(drop=True))


# -- choice ------------------------------------------------------------------------

def _folds(train: pd.DataFrame) -> list:
    return list(GroupKFold(5, shuffle=True, random_state=SEED).split(train, groups=train["id"]))


def choose(train: pd.DataFrame, valid_sets: dict) -> tuple[dict, list[dict]]:
    """Grid over MODELS x AGGREGATIONS (AUCs do not depend on the post calibration, so the
    aggregation is switched on fitted models); returns the best setting and the table."""
    folds = _folds(train)
    labels = train[["emotional", "informational", "other"]]
    table = []
    for setting in MODELS:
        started = time.perf_counter()
        fitted = []
        for fit_rows, _ in folds:
            part = train.iloc[fit_rows]
            fitted.append(SupportClassifier(scheme="coarse", unit="post", calibration_folds=3,
                                            random_state=SEED, **setting).fit(
                part["text"], labels.iloc[fit_rows], groups=part["id"]))
        full = SupportClassifier(scheme="coarse", unit="post", calibration_folds=3, random_state=SEED,
                                 **setting).fit(train["text"], labels, groups=train["id"])
        for aggregation in AGGREGATIONS:
            result = {}
            for key, keys in (("claff_cv_posts_id", ["id"]), ("claff_cv_posts_author_id", ["author", "id"])):
                truth, proba = [], []
                for model, (_, score_rows) in zip(fitted, folds):
                    posts = posts_of(train.iloc[score_rows], keys)
                    truth.append(posts[CLASSES])
                    proba.append(scores(model.set_params(**aggregation), posts["text"]))
                result[key] = aucs(pd.concat(truth, ignore_index=True), pd.concat(proba, ignore_index=True))
            full.set_params(**aggregation)
            for key, posts in valid_sets.items():
                result[key] = aucs(posts, scores(full, posts["text"]))
            result["mean_auc"] = round(float(np.mean([result[k][c] for k in CHOICE_SETS for c in CLASSES])), 4)
            table.append({**_jsonable(setting), **aggregation, **result})
        print(f"{setting} {time.perf_counter() - started:.0f} s; best mean AUC so far "
              f"{max(row['mean_auc'] for row in table):.4f}", flush=True)
    best = max(table, key=lambda row: row["mean_auc"])
    setting = {k: (tuple(best[k]) if k == "word_ngram_range" else best[k])
               for k in ("estimator", "C", "word_ngram_range", "aggregation", "whole_weight")}
    return setting, table


def held_out(train: pd.DataFrame, setting: dict) -> pd.DataFrame:
    """Post probabilities of the final procedure on held-out folds (pseudo-posts by ``id``), for calibration."""
    labels = train[["emotional", "informational", "other"]]
    parts = []
    for fit_rows, score_rows in _folds(train):
        part = train.iloc[fit_rows]
        model = SupportClassifier(scheme="coarse", unit="post", calibration_folds=5, random_state=SEED,
                                  **setting).fit(part["text"], labels.iloc[fit_rows], groups=part["id"])
        posts = posts_of(train.iloc[score_rows], ["id"])
        parts.append(pd.concat([posts[CLASSES].add_prefix("true_"), scores(model, posts["text"])[CLASSES]], axis=1))
    return pd.concat(parts, ignore_index=True)


def _jsonable(setting: dict) -> dict:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in setting.items()}


# -- report ------------------------------------------------------------------------

def baseline_auc(train: pd.DataFrame, sets: dict) -> dict:
    """The issue's baseline: plain word tf-idf + logistic regression on sentences, posts scored whole."""
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    features = vectorizer.fit_transform(train["text"])
    out = {}
    models = {c: LogisticRegression(max_iter=2000).fit(features, train[c]) for c in CLASSES}
    for key, posts in sets.items():
        X = vectorizer.transform(posts["text"])
        out[key] = aucs(posts, pd.DataFrame({c: models[c].predict_proba(X)[:, 1] for c in CLASSES}))
    return out


def lexicon_report(sets: dict) -> dict:
    """AUCs of the lexicon's scores (``predict_proba``); ``nurturant`` the largest of emotional, esteem, network."""
    out = {}
    for key, posts in sets.items():
        lex = LexiconLabeller().predict_proba(posts["text"].reset_index(drop=True))
        nurturant = lex[["emotional", "esteem", "network"]].max(axis=1)
        out[key] = {"emotional": round(float(roc_auc_score(posts["emotional"], lex["emotional"])), 4),
                    "nurturant": round(float(roc_auc_score(posts["emotional"], nurturant)), 4),
                    "informational": round(float(roc_auc_score(posts["informational"], lex["informational"])), 4)}
    return out


def direction_report(model: SupportClassifier, esconv_test: pd.DataFrame, claff_test: pd.DataFrame) -> dict:
    out = {}
    proba = scores(model, esconv_test["text"])
    found = direction(esconv_test["text"].reset_index(drop=True), scores=proba).to_numpy()
    for speaker, expected in (("usr", "seeking"), ("sys", "providing")):
        rows = (esconv_test["speaker"] == speaker).to_numpy()
        out[f"esconv_test_{speaker}"] = {"expected": expected, "n": int(rows.sum()),
                                         **{d: round(float((found[rows] == d).mean()), 4)
                                            for d in ("seeking", "providing", "neither")}}
    supportive = ((esconv_test["speaker"] == "sys")
                  & ((esconv_test["emotional"] == 1) | (esconv_test["informational"] == 1))).to_numpy()
    out["esconv_test_sys_support_strategies"] = {
        "expected": "providing", "n": int(supportive.sum()),
        **{d: round(float((found[supportive] == d).mean()), 4) for d in ("seeking", "providing", "neither")}}
    proba = scores(model, claff_test["text"])
    found = direction(claff_test["text"].reset_index(drop=True), opening=np.zeros(len(claff_test), bool),
                      scores=proba).to_numpy()
    for name, rows in (("claff_test_support_sentences", (claff_test["other"] == 0).to_numpy()),
                       ("claff_test_other_sentences", (claff_test["other"] == 1).to_numpy())):
        out[name] = {"expected": "providing" if name.endswith("support_sentences") else "(unlabelled)",
                     "n": int(rows.sum()),
                     **{d: round(float((found[rows] == d).mean()), 4) for d in ("seeking", "providing", "neither")}}
    return out


def figure(curves: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), sharey=True)
    for axis, name in zip(axes, CLASSES):
        axis.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
        for label, table in curves.items():
            bins = table[name]["bins"]
            axis.plot([b["mean_predicted"] for b in bins], [b["observed"] for b in bins], marker="o",
                      label=f"{label} (ECE {table[name]['ece']:.3f})")
        axis.set_title(f"{name} support")
        axis.set_xlabel("predicted probability (bin mean)")
        axis.set_xlim(0, 1)
        axis.set_ylim(0, 1)
        axis.legend(fontsize=7, loc="upper left")
    axes[0].set_ylabel("observed share")
    fig.suptitle('pretrained("forum"): reliability of post probabilities', fontsize=10)
    fig.tight_layout()
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURE, dpi=110, metadata={"Software": None})
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.environ.get("PEERSCOPE_SHARED_DATA") or str(REPO.parent / "shared" / "data")
    parser.add_argument("--data", default=default, help="the shared data folder")
    args = parser.parse_args()
    data = Path(args.data)
    started = time.perf_counter()
    train, test = claff(data, "train"), claff(data, "test")
    es_valid, es_test = esconv(data, "valid"), esconv(data, "test")
    cc = counselchat(data)
    sys_valid, sys_test = es_valid[es_valid["speaker"] == "sys"], es_test[es_test["speaker"] == "sys"]
    valid_sets = {"esconv_valid_posts": posts_of(sys_valid, ["dialogue", "chunk"]),
                  "counselchat_answers": posts_of(cc, ["answer"])}
    setting, table = choose(train, valid_sets)
    print("chosen:", setting, flush=True)
    held = held_out(train, setting)

    model = SupportClassifier(scheme="coarse", unit="post", calibration_folds=5, random_state=SEED,
                              **setting).fit(train["text"], train[["emotional", "informational", "other"]],
                                             groups=train["id"])
    model.save(MODEL_DIR)
    loads = []
    for _ in range(5):
        tick = time.perf_counter()
        model = SupportClassifier.load(MODEL_DIR)
        loads.append(time.perf_counter() - tick)

    test_posts = posts_of(test, ["id"])
    report_sets = {"claff_test_sentences": test, "claff_test_posts_id": test_posts,
                   "esconv_test_turns": sys_test, "esconv_test_posts": posts_of(sys_test, ["dialogue", "chunk"]),
                   "counselchat_sentences": cc[cc["labelled"]], "counselchat_answers": valid_sets["counselchat_answers"]}
    evaluation = {key: prf(posts, scores(model, posts["text"])) for key, posts in report_sets.items()}
    test_proba = scores(model, test_posts["text"])
    calibration = {
        "claff_train_cv_posts": {c: reliability(held[f"true_{c}"].to_numpy(), held[c].to_numpy()) for c in CLASSES},
        "claff_test_posts": {c: reliability(test_posts[c].to_numpy(), test_proba[c].to_numpy()) for c in CLASSES}}
    figure({"CL-Aff train, held-out folds": calibration["claff_train_cv_posts"],
            "CL-Aff test posts": calibration["claff_test_posts"]})
    lexicon = {"choice": lexicon_report({"claff_train_posts_id": posts_of(train, ["id"]),
                                          "claff_train_posts_author_id": posts_of(train, ["author", "id"]),
                                          "esconv_valid_posts": valid_sets["esconv_valid_posts"]}),
               "report": lexicon_report({"claff_test_posts_id": test_posts,
                                          "esconv_test_posts": report_sets["esconv_test_posts"]})}
    files = {name: {"sha256": hashlib.sha256((MODEL_DIR / name).read_bytes()).hexdigest(),
                    "bytes": (MODEL_DIR / name).stat().st_size} for name in ("model.json", "arrays.npz")}
    payload = {
        "model": "peerscope.support.pretrained('forum')", "setting": _jsonable(setting),
        "training": {"data": "CL-Aff OffMyChest labeled_training_set.csv (CC BY 4.0)", "sentences": len(train),
                     "posts": int(train["id"].nunique()),
                     "positives": {c: int(train[c].sum()) for c in CLASSES}},
        "choice_criterion": "mean AUC (emotional, informational) over " + ", ".join(CHOICE_SETS),
        "choice_table": table, "evaluation": evaluation,
        "baseline_tfidf_logistic_whole_text": baseline_auc(train, report_sets),
        "calibration": calibration, "lexicon": lexicon,
        "direction": direction_report(model, es_test, test),
        "files": files, "load_seconds_median": round(float(np.median(loads)), 4),
        "n_features": int(model.n_features_), "seconds": round(time.perf_counter() - started, 1)}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: payload[k] for k in ("setting", "evaluation", "files", "load_seconds_median")}, indent=1))
    print(f"wrote {MODEL_DIR}, {RESULTS} and {FIGURE}")


if __name__ == "__main__":
    main()
