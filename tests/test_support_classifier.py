"""SupportClassifier: the estimator contract, save/load, ESConv, cross-domain, synthetic truth."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from peerscope import loaders, synth
from peerscope.errors import PeerscopeError
from peerscope.support import (ESCONV_TO_SSBC, MI_TO_SSBC, LexiconLabeller, SupportClassifier,
                               evaluate)
from peerscope.support.classifier import TOKEN_PATTERN

TOY = (["so sorry you are hurting", "sending hugs, so sorry", "that sounds so hard",
        "have you tried your GP", "ask your GP for a referral", "try the helpline"] * 4)
TOY_Y = (["emotional"] * 3 + ["informational"] * 3) * 4


def test_estimator_contract_and_pipeline():
    model = SupportClassifier(C=0.5, random_state=1)
    assert clone(model).get_params() == model.get_params()
    assert not hasattr(model, "classes_")
    pipe = Pipeline([("lower", FunctionTransformer(lambda t: pd.Series(t).str.lower())),
                     ("support", SupportClassifier(random_state=0))]).fit(TOY, TOY_Y)
    assert pipe.predict(["SO SORRY", "RING YOUR GP"]).tolist() == ["emotional", "informational"]
    proba = pipe.predict_proba(["so sorry", "your GP"])
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert model.get_params()["C"] == 0.5


def test_multilabel_and_scheme_checks():
    y = pd.DataFrame({"emotional": [1, 1, 1, 0, 0, 1] * 4, "informational": [0, 0, 0, 1, 1, 1] * 4})
    model = SupportClassifier(random_state=0).fit(TOY, y)
    assert model.multilabel_ and model.predict(["so sorry", "your GP"]).shape == (2, 2)
    with pytest.raises(PeerscopeError, match="not in the scheme"):
        SupportClassifier(scheme="coarse").fit(TOY, ["hug"] * len(TOY))
    wider = SupportClassifier(scheme=("emotional", "informational", "esteem")).fit(TOY, TOY_Y)
    assert wider.absent_classes_.tolist() == ["esteem"]
    assert wider.predict_proba(["well done you"])[0, 2] < 1e-3
    assert "esteem" not in set(wider.predict(TOY))
    with pytest.raises(PeerscopeError, match="at least two classes"):
        SupportClassifier().fit(TOY, ["emotional"] * len(TOY))


def test_save_load_roundtrip_without_pickle(tmp_path):
    model = SupportClassifier(char_ngram_range=(2, 4), lexicon=True, random_state=0).fit(TOY, TOY_Y)
    folder = model.save(tmp_path / "model")
    assert sorted(p.name for p in folder.iterdir()) == ["arrays.npz", "model.json"]
    meta = json.loads((folder / "model.json").read_text())
    assert meta["classes"] == ["emotional", "informational"]
    loaded = SupportClassifier.load(folder)
    texts = ["so sorry, hugs", "ask the GP", "nothing"]
    assert np.allclose(loaded.predict_proba(texts), model.predict_proba(texts))
    assert loaded.get_params() == model.get_params()
    (folder / "model.json").write_text("{}")
    with pytest.raises(PeerscopeError, match="unknown model format"):
        SupportClassifier.load(folder)


def test_save_never_deletes_a_folder_it_did_not_write(tmp_path):
    model = SupportClassifier(random_state=0).fit(TOY, TOY_Y)
    thesis = tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "chapter1.tex").write_text("precious")
    with pytest.raises(PeerscopeError, match="thesis.*not a saved SupportClassifier"):
        model.save(thesis)
    assert sorted(p.name for p in thesis.iterdir()) == ["chapter1.tex"]
    (tmp_path / "file").write_text("precious")
    with pytest.raises(PeerscopeError, match="is a file"):
        model.save(tmp_path / "file")
    assert (tmp_path / "file").read_text() == "precious"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_save_over_a_saved_model_replaces_only_its_own_files(tmp_path):
    folder = SupportClassifier(random_state=0).fit(TOY, TOY_Y).save(tmp_path / "model")
    (folder / "notes.txt").write_text("trained on the 2023 sample")
    (folder / "evaluation").mkdir()
    (folder / "evaluation" / "f1.csv").write_text("0.8")
    wider = SupportClassifier(scheme=("emotional", "informational", "esteem")).fit(TOY, TOY_Y)
    wider.save(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["arrays.npz", "evaluation", "model.json", "notes.txt"]
    assert (folder / "notes.txt").read_text() == "trained on the 2023 sample"
    assert (folder / "evaluation" / "f1.csv").read_text() == "0.8"
    assert SupportClassifier.load(folder).classes_.tolist() == ["emotional", "informational", "esteem"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert SupportClassifier.load(wider.save(empty)).classes_.tolist()[-1] == "esteem"


@pytest.fixture(scope="module")
def esconv_supporter(shared_data):
    turns = loaders.esconv(shared_data / "esconv")
    return turns[turns["role"] == "supporter"]


def _baseline(train, test, y_train):
    """The reference the issue names: plain tf-idf + logistic regression (liblinear, C=1), default tf-idf."""
    vectorizer = TfidfVectorizer()
    model = OneVsRestClassifier(LogisticRegression(solver="liblinear")).fit(vectorizer.fit_transform(train), y_train)
    return model.predict(vectorizer.transform(test))


def test_esconv_strategies_and_types_beat_baselines(esconv_supporter, shared_data):
    """ESConv, train split -> test split (full splits, no subsampling).

    Counts are checked against the raw files.  Found: 8 strategies
    macro-F1 0.497 (plain tf-idf + LR baseline computed here: 0.436; majority
    class 0.04); coarse SSBC types (emotional / informational / other)
    macro-F1 0.703, kappa 0.56, alpha 0.56 (baseline 0.641; lexicon 0.50,
    kappa 0.25, with the cue lists of issue 18).
    The margin asserted, 0.02 macro-F1, is about twice the standard error of
    a macro-F1 on 2,895 test turns (bootstrap SE about 0.01).
    """
    raw_test = [json.loads(line) for line in (shared_data / "esconv" / "test.txt").read_text().splitlines()
                if line.strip()]
    n_sys = sum(turn["speaker"] == "sys" for d in raw_test for turn in d["dialog"])
    train = esconv_supporter[esconv_supporter["split"] == "train"]
    test = esconv_supporter[esconv_supporter["split"] == "test"]
    assert len(test) == n_sys
    strategies = SupportClassifier(random_state=0).fit(train["text"], train["strategy"])
    f1_8 = f1_score(test["strategy"], strategies.predict(test["text"]), average="macro")
    base_8 = f1_score(test["strategy"], _baseline(train["text"], test["text"], train["strategy"]),
                      average="macro")
    majority = train["strategy"].value_counts().index[0]
    major_8 = f1_score(test["strategy"], [majority] * len(test), average="macro")
    assert f1_8 > base_8 + 0.02 and f1_8 > major_8 + 0.3
    assert f1_8 == pytest.approx(0.497, abs=0.02)

    y_train, y_test = ESCONV_TO_SSBC.coarse(train["strategy"]), ESCONV_TO_SSBC.coarse(test["strategy"])
    types = SupportClassifier(scheme="coarse", random_state=0).fit(train["text"], y_train)
    result = evaluate(y_test, types.predict(test["text"]))
    base_3 = f1_score(y_test, _baseline(train["text"], test["text"], y_train), average="macro")
    lexicon = evaluate(y_test, pd.Series(LexiconLabeller().predict(test["text"])).map(
        lambda t: {"emotional": "emotional", "esteem": "emotional", "network": "emotional",
                   "informational": "informational"}.get(t, "other")))
    assert result.macro_f1 > base_3 + 0.02
    assert result.macro_f1 > lexicon.macro_f1 + 0.15 and result.kappa > lexicon.kappa + 0.2
    assert result.macro_f1 == pytest.approx(0.702, abs=0.02)
    assert (result.per_class["f1"] > 0.6).all()


def test_cross_domain_esconv_to_counselchat(esconv_supporter, shared_data):
    """Generalisation: trained on ESConv chat turns, applied to CounselChat answer sentences.

    Against the ``Intersection`` MI labels (automatic) mapped to coarse types
    (127 emotional = Support/Affirm, 221 informational = Give Information/
    Advise, 10 other).  Found: emotional F1 0.43, informational F1 0.90 -
    a drop from in-domain (ESConv emotional F1 0.71) that users should
    expect on a new forum; both well above chance (shuffled predictions).
    """
    train = esconv_supporter[esconv_supporter["split"] == "train"]
    model = SupportClassifier(scheme="coarse", random_state=0).fit(
        train["text"], ESCONV_TO_SSBC.coarse(train["strategy"]))
    frame = loaders.counselchat_mi(shared_data / "counselchat-mi" / "MI_Augmented_CounselChat.csv")
    coded = frame[frame["mi_intersection"].notna() & (frame["mi_intersection"] != "nan")]
    truth = MI_TO_SSBC.coarse(coded["mi_intersection"])
    predicted = model.predict(coded["text"])
    f1 = f1_score(truth, predicted, labels=["emotional", "informational"], average=None)
    shuffled = f1_score(truth, np.random.default_rng(0).permutation(predicted),
                        labels=["emotional", "informational"], average=None)
    assert (f1 > shuffled + 0.1).all()
    assert f1[0] == pytest.approx(0.43, abs=0.05) and f1[1] == pytest.approx(0.90, abs=0.05)


def test_classifier_recovers_planted_types_on_held_out_synthetic_posts():
    """Train on 2,000 synthetic posts, test on the other 2,000 (seed 5).

    Found: accuracy 0.99 and every type's F1 above 0.95.  The cue phrases
    are a closed set shared by both halves, so near-perfect recovery is the
    expectation; 0.9 allows for bot posts and mixed texts.
    """
    corpus, truth = synth.generate(4000, seed=5)
    posts = corpus.posts(columns=["post_id", "text"]).merge(truth.posts, on="post_id")
    train, test = posts.iloc[:2000], posts.iloc[2000:]
    model = SupportClassifier(scheme="ssbc", random_state=0).fit(train["text"], train["support_type"])
    result = evaluate(test["support_type"], model.predict(test["text"]),
                      labels=["informational", "emotional", "esteem", "network", "tangible"])
    assert result.accuracy > 0.9
    assert (result.per_class["f1"] > 0.85).all()


# -- posts scored sentence by sentence (issue 18) ---------------------------------------

SENTENCES = (["I'm so sorry you are hurting.", "Sending hugs, so sorry.", "That sounds so hard.",
              "Have you tried your GP?", "Ask your GP for a referral.", "Try the helpline.",
              "We went to the beach.", "The bus was late again.", "I had toast for breakfast."] * 6)
SENTENCE_Y = pd.DataFrame({"emotional": ([1] * 3 + [0] * 6) * 6, "informational": ([0] * 3 + [1] * 3 + [0] * 3) * 6,
                           "other": ([0] * 6 + [1] * 3) * 6})
SENTENCE_GROUPS = [i // 3 for i in range(len(SENTENCES))]


def _post_model(**options):
    return SupportClassifier(scheme="coarse", unit="post", calibration_folds=3, random_state=0, C=1.0,
                             **options).fit(SENTENCES, SENTENCE_Y, groups=SENTENCE_GROUPS)


def test_post_unit_combines_sentences_and_round_trips(tmp_path):
    """One supportive sentence among neutral ones makes a supportive post; noisy-or adds evidence
    up, max does not; the saved model gives the same scores."""
    model = _post_model()
    neutral = "We went to the beach. The bus was late again. I had toast for breakfast."
    mixed = "We went to the beach. The bus was late again. Sending hugs, so sorry."
    twice = "Sending hugs, so sorry. That sounds so hard."
    proba = pd.DataFrame(model.predict_proba([neutral, mixed, twice]), columns=model.classes_)
    assert proba.loc[1, "emotional"] > 0.5 > proba.loc[0, "emotional"]
    assert proba.loc[0, "other"] > 0.5 > proba.loc[1, "other"]
    assert proba.loc[2, "emotional"] >= proba.loc[1, "emotional"]
    assert model.predict_frame([mixed])["label"].tolist() == ["emotional"]
    loaded = SupportClassifier.load(model.save(tmp_path / "m"))
    np.testing.assert_allclose(loaded.predict_proba([neutral, mixed, twice]), proba.to_numpy(), atol=1e-9)
    assert loaded.unit == "post" and loaded.post_calibration_.shape == (3, 2)
    biggest = _post_model(aggregation="max")
    one, two = biggest.decision_function(["Sending hugs, so sorry.", twice])[:, 0]
    assert two == pytest.approx(max(one, biggest.decision_function(["That sounds so hard."])[0, 0]))


def test_quoted_text_does_not_count():
    model = _post_model()
    own = "The bus was late again."
    for quoted in ("> Sending hugs, so sorry.\nThe bus was late again.",
                   "Quote:\nSending hugs, so sorry. That sounds so hard.\n\nThe bus was late again.",
                   "Ann wrote:\nSending hugs, so sorry.\n\nThe bus was late again.",
                   'Quote: "Sending hugs, so sorry." The bus was late again.'):
        np.testing.assert_allclose(model.predict_proba([quoted]), model.predict_proba([own]), atol=1e-12)


def test_fast_word_features_equal_scikit_learn():
    """The vectorised tokeniser gives scikit-learn's tf-idf exactly, ASCII and Unicode alike."""
    texts = pd.Series(["Don't STOP!!me ''' a'b 'c", "Ünïcode café — “quoted” ’tis ok?!", "", "?", "x",
                       "so sorry you are hurting", "Have you tried your GP?", "l'été est là!"] * 3)
    model = SupportClassifier(min_df=1, word_ngram_range=(1, 3), random_state=0).fit(
        texts, ["a", "b"] * 12)
    reference = TfidfVectorizer(ngram_range=(1, 3), token_pattern=TOKEN_PATTERN, min_df=1, sublinear_tf=True,
                                vocabulary=model.word_vectorizer_.vocabulary_, dtype=np.float32)
    reference.fit(texts.str.replace("\u2019", "'"))
    expected = reference.transform(texts.str.replace("\u2019", "'"))
    found = model.transform_features(texts)
    assert found.shape == expected.shape
    np.testing.assert_allclose(found.toarray(), expected.toarray(), atol=1e-6)


def test_post_options_are_checked():
    with pytest.raises(PeerscopeError, match="unit"):
        SupportClassifier(unit="page").fit(TOY, TOY_Y)
    with pytest.raises(PeerscopeError, match="aggregation"):
        SupportClassifier(unit="post", aggregation="mean").fit(TOY, TOY_Y)
    with pytest.raises(PeerscopeError, match="whole_weight"):
        SupportClassifier(unit="post", whole_weight=1.5).fit(TOY, TOY_Y)
    with pytest.raises(PeerscopeError, match="word n-grams only"):
        SupportClassifier(unit="post", lexicon=True).fit(TOY, TOY_Y)
    with pytest.raises(PeerscopeError, match="groups"):
        SupportClassifier(unit="post").fit(TOY, TOY_Y, groups=[1, 2])
    with pytest.raises(PeerscopeError, match="estimator"):
        SupportClassifier(estimator="tree").fit(TOY, TOY_Y)
    logistic = SupportClassifier(estimator="logistic", C=10.0, random_state=0).fit(TOY, TOY_Y)
    assert logistic.predict(["so sorry, hugs", "ring your GP"]).tolist() == ["emotional", "informational"]
