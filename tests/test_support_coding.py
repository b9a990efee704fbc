"""The hand-coding workflow: sample -> coding sheet -> coders' files -> read_codes -> agreement.

Expected values are computed in the tests from the synthetic truth with the
textbook formulas (Cohen's kappa) or with nltk's ``AnnotationTask``
(Krippendorff's alpha), never with the functions under test.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nltk.metrics.agreement import AnnotationTask

from peerscope import Corpus, open_corpus, synth
from peerscope.errors import PeerscopeError, SourceError
from peerscope.support import (SUPPORT_TYPES, LexiconLabeller, agreement, classify, prevalence,
                               read_codes, read_design, sample_for_coding)
from peerscope.support.coding import codebook_path


@pytest.fixture(scope="module")
def forum():
    corpus, truth = synth.generate(2000, seed=5)
    return corpus, truth


def _by_hand_kappa(a: list[str], b: list[str]) -> float:
    """Cohen (1960): (p_o - p_e) / (1 - p_e), p_e from the two coders' marginals."""
    n = len(a)
    p_o = sum(x == y for x, y in zip(a, b)) / n
    p_e = sum((a.count(c) / n) * (b.count(c) / n) for c in set(a) | set(b))
    return (p_o - p_e) / (1 - p_e)


def _nltk_alpha(a: list[str], b: list[str]) -> float:
    return AnnotationTask(data=[("a", str(i), x) for i, x in enumerate(a)]
                          + [("b", str(i), y) for i, y in enumerate(b)]).alpha()


def _read_sheet(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def test_round_trip_two_coders_and_a_model(forum, tmp_path):
    corpus, truth = forum
    sheet = sample_for_coding(corpus, 200, stratify="channel", seed=1, out=tmp_path / "sheet.csv")
    assert sheet.attrs["paths"] == [str(tmp_path / "sheet.csv"), str(tmp_path / "sheet.codebook.json")]
    written = _read_sheet(tmp_path / "sheet.csv")
    assert list(written.columns) == ["post_id", "channel", "thread_title", "parent_text", "text",
                                     *SUPPORT_TYPES, "none", "coder", "notes"]
    assert written["post_id"].tolist() == sheet["post_id"].tolist()
    texts = corpus.posts(columns=["post_id", "text"]).set_index("post_id")["text"]
    assert (written["text"] == written["post_id"].map(texts)).all()  # synthetic texts have no PII
    codebook = json.loads(codebook_path(tmp_path / "sheet.csv").read_text(encoding="utf-8"))
    assert codebook["scheme"]["codes"] == list(SUPPORT_TYPES)
    assert "not your fault" in codebook["scheme"]["definitions"]["esteem"]

    true_type = written["post_id"].map(truth.posts.set_index("post_id")["support_type"]).tolist()
    # coder ann copies the truth, one column per code
    ann = written.copy()
    for code in SUPPORT_TYPES:
        ann[code] = np.where(np.array(true_type) == code, "1", "")
    ann["coder"] = "ann"
    ann.to_csv(tmp_path / "ann.csv", index=False, encoding="utf-8-sig")
    # coder bob disagrees on every 5th post (40 of 200), as a single label column
    rng = np.random.default_rng(7)
    bob_type = list(true_type)
    planted = list(range(0, 200, 5))
    for i in planted:
        bob_type[i] = rng.choice([t for t in (*SUPPORT_TYPES, "none") if t != true_type[i]])
    bob = written[["post_id", "text", "coder", "notes"]].assign(coder="bob", label=bob_type)
    bob.to_csv(tmp_path / "bob.csv", index=False)

    codes = read_codes([tmp_path / "ann.csv", tmp_path / "bob.csv"])
    assert list(codes.columns) == ["post_id", "coder", *SUPPORT_TYPES]
    assert len(codes) == 400 and codes.attrs["uncoded"] == {str(tmp_path / "ann.csv"): 0,
                                                           str(tmp_path / "bob.csv"): 0}
    ann_codes = codes[codes.coder == "ann"].set_index("post_id")
    assert (ann_codes[list(SUPPORT_TYPES)].sum(axis=1) == 1).all()
    assert ann_codes[list(SUPPORT_TYPES)].idxmax(axis=1).tolist() == true_type

    table = agreement(codes)
    label = table[(table.code == "label") & (table.coder_a == "ann")].iloc[0]
    assert label.coder_b == "bob" and label.n_units == 200
    assert label.percent_agreement == pytest.approx(1 - len(planted) / 200)
    assert label.kappa == pytest.approx(_by_hand_kappa(true_type, bob_type))
    assert label.alpha == pytest.approx(_nltk_alpha(true_type, bob_type))
    ann_emo = [str(int(t == "emotional")) for t in true_type]
    bob_emo = [str(int(t == "emotional")) for t in bob_type]
    emotional = table[(table.code == "emotional") & (table.coder_a == "ann")].iloc[0]
    assert emotional.kappa == pytest.approx(_by_hand_kappa(ann_emo, bob_emo))
    assert emotional.alpha == pytest.approx(_nltk_alpha(ann_emo, bob_emo))

    # the lexicon's labels as a third coder, straight from classify()
    predicted = classify(corpus, LexiconLabeller(), progress=False)
    with_model = agreement(codes, predicted)
    model_label = predicted.set_index("post_id")["label"].reindex(written["post_id"]).tolist()
    row = with_model[(with_model.code == "label") & (with_model.coder_a == "ann")
                     & (with_model.coder_b == "model")].iloc[0]
    assert row.n_units == 200
    assert row.kappa == pytest.approx(_by_hand_kappa(true_type, model_label))
    assert row.alpha == pytest.approx(_nltk_alpha(true_type, model_label))
    assert set(with_model.code) == {*SUPPORT_TYPES, "label"}


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


GOOD = ("post_id,text,informational,emotional,esteem,network,tangible,none,coder,notes\n"
        'p1,"two\nlines",1,,,,,,ann,\n'
        "p2,hello,,1,1,,,,ann,\n"
        "p3,hi,,,,,,1,ann,\n"
        "p4,not done,,,,,,,,\n")


def test_sheet_with_multiline_text_reads(tmp_path):
    codes = read_codes(_write(tmp_path / "ok.csv", GOOD))
    assert codes["post_id"].tolist() == ["p1", "p2", "p3"]
    assert codes[["emotional", "esteem"]].sum().tolist() == [1, 1]
    assert codes.loc[2, list(SUPPORT_TYPES)].sum() == 0
    assert codes.attrs["uncoded"] == {str(tmp_path / "ok.csv"): 1}


@pytest.mark.parametrize("content, line, column, words", [
    (GOOD.replace("p2,hello,,1,1", "p2,hello,,2,1"), 4, "emotional", "not 0/1"),
    (GOOD.replace(",coder,notes", ",humour,notes"), 1, "humour", "neither a code"),
    ("post_id,label\np1,emotional\n", 1, "coder", "missing column"),
    ("coder,label\nann,emotional\n", 1, "post_id", "missing column"),
    ("post_id,coder,label,label\np1,ann,emotional,esteem\n", 1, "label", "twice"),
    (GOOD.replace("p3,hi", "p1,hi"), 5, "post_id", "coded twice"),
    (GOOD.replace("p3,hi,,,,,,1", "p3,hi,1,,,,,1"), 5, "none", "together"),
    (GOOD.replace("p2,hello,,1,1,,,,ann", "p2,hello,,1,1,,,,"), 4, "coder", "needs a coder"),
    ("post_id,coder,label\np1,ann,emotional\np2,ann,humour\n", 3, "label", "not a code"),
    ("post_id,coder,label\np1,ann,emotional;none\n", 2, "label", "together"),
])
def test_malformed_sheet_names_file_line_and_column(tmp_path, content, line, column, words):
    path = _write(tmp_path / "bad.csv", content)
    with pytest.raises(SourceError, match=words) as caught:
        read_codes(path)
    assert (caught.value.path, caught.value.line, caught.value.column) == (str(path), line, column)


def test_missing_code_column_and_other_broken_files(tmp_path):
    missing = _write(tmp_path / "m.csv", "post_id,coder,informational,emotional\np1,ann,1,\n")
    with pytest.raises(SourceError, match="missing code column") as caught:
        read_codes(missing)
    assert caught.value.column == "esteem"
    latin = _write(tmp_path / "excel.csv", "post_id,coder,label\np1,ann,emotional\np2,café,esteem\n",
                   encoding="cp1252")
    with pytest.raises(SourceError, match="UTF-8") as caught:
        read_codes(latin)
    assert (caught.value.path, caught.value.line) == (str(latin), 3)
    with pytest.raises(SourceError, match="cannot read"):
        read_codes(tmp_path / "absent.csv")
    with pytest.raises(SourceError, match="empty"):
        read_codes(_write(tmp_path / "empty.csv", ""))
    with pytest.raises(SourceError, match="not a peerscope codebook"):
        read_design(_write(tmp_path / "x.codebook.json", "[1, 2]"))
    wide = _write(tmp_path / "wide.csv", "post_id,coder,label\np1,ann,emotional,extra\n")
    with pytest.raises(SourceError, match="fields") as caught:
        read_codes(wide)
    assert caught.value.line == 2


def test_other_schemes_and_scrubbed_context(tmp_path):
    sheet = _write(tmp_path / "esconv.csv", "post_id,coder,label\np1,ann,question\n"
                                            "p2,ann,Information; Providing Suggestions\np3,ann,none\n")
    codes = read_codes(sheet, scheme="esconv")
    assert codes.loc[0, "Question"] == 1 and codes.loc[1, ["Information", "Providing Suggestions"]].sum() == 2
    assert codes.loc[2].drop(["post_id", "coder"]).sum() == 0
    with pytest.raises(SourceError, match="not a code"):
        read_codes(sheet)  # 'question' is not an SSBC type
    corpus = Corpus.from_frames(pd.DataFrame({
        "post_id": ["a", "b"], "thread_id": ["a", "a"], "parent_id": [None, "a"],
        "author_id": ["x", "y"], "created_at": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True),
        "text": ["mail me at ann@example.org " + "so tired " * 20, "=HYPERLINK(1) hugs"]}))
    sample = sample_for_coding(corpus, 2, seed=0, context_chars=40, scheme=["warmth", "advice"],
                               out=tmp_path / "s.csv")
    reply = sample.set_index("post_id").loc["b"]
    assert reply["parent_text"] == "mail me at [email] so tired so tired so..."
    written = _read_sheet(tmp_path / "s.csv").set_index("post_id")
    assert written.loc["b", "text"] == "'=HYPERLINK(1) hugs" and "warmth" in written.columns


def test_same_post_in_two_files_of_one_coder(tmp_path):
    first = _write(tmp_path / "part1.csv", "post_id,coder,label\np1,ann,emotional\n")
    second = _write(tmp_path / "part2.csv", "post_id,coder,label\np9,ann,none\np1,ann,esteem\n")
    with pytest.raises(SourceError, match="coded twice.*part1.csv line 2") as caught:
        read_codes([first, second])
    assert (caught.value.path, caught.value.line, caught.value.column) == (str(second), 3, "post_id")
    other_coder = _write(tmp_path / "bob.csv", "post_id,coder,label\np1,bob,esteem\n")
    assert len(read_codes([first, other_coder])) == 2


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=12), st.integers(0, len(GOOD.encode())))
def test_read_codes_fuzz_raises_only_peerscope_errors(tmp_path, noise, at):
    data = GOOD.encode()
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data[:at] + noise + data[at + len(noise) // 2:])
    try:
        read_codes(path)
    except PeerscopeError:
        pass


def test_stratified_counts_weights_and_reproducibility(forum, tmp_path):
    corpus, _ = forum
    posts = corpus.posts(columns=["post_id", "created_at", "channel"])
    months = posts["created_at"].dt.strftime("%Y-%m")
    wanted = {"2022-01": 5, "2022-07": 12, "2023-12": 3}
    sheet = sample_for_coding(corpus, wanted, stratify="month", seed=3)
    assert sheet["stratum"].value_counts().to_dict() == {"2022-07": 12, "2022-01": 5, "2023-12": 3}
    in_month = dict(zip(posts["post_id"], months))
    assert (sheet["post_id"].map(in_month) == sheet["stratum"]).all()
    sizes = months.value_counts()
    assert (sheet["sampling_weight"] == sheet["stratum"].map(lambda m: sizes[m] / wanted[m])).all()

    again = sample_for_coding(corpus, wanted, stratify="month", seed=3)
    assert again["post_id"].tolist() == sheet["post_id"].tolist()
    assert sample_for_coding(corpus, wanted, stratify="month", seed=4)["post_id"].tolist() \
        != sheet["post_id"].tolist()
    # the storage order does not change the sample: monthly parts on disk
    saved = corpus.save(tmp_path / "forum", partition="month")
    assert sample_for_coding(saved, wanted, stratify="month", seed=3)["post_id"].tolist() \
        == sheet["post_id"].tolist()

    # equal allocation: a rare stratum (3 posts) is taken whole, the rest share the remainder
    rare = pd.Series(np.where(np.arange(len(posts)) < 3, "rare", posts["channel"]), index=posts["post_id"])
    equal = sample_for_coding(corpus, 63, stratify=rare, seed=0, out=tmp_path / "eq.csv")
    counts = equal["stratum"].value_counts()
    others = counts.drop("rare")
    assert counts["rare"] == 3 and counts.sum() == 63 and others.max() - others.min() <= 1
    assert equal["sampling_weight"].sum() == pytest.approx(len(posts))
    assert "stratum" not in _read_sheet(tmp_path / "eq.csv").columns  # coding stays blind
    design = read_design(tmp_path / "eq.csv")
    pd.testing.assert_series_equal(design["sampling_weight"], equal["sampling_weight"].reset_index(drop=True),
                                   check_names=False)
    proportional = sample_for_coding(corpus, 100, stratify="channel", allocation="proportional", seed=0)
    expected = posts["channel"].value_counts() * 100 / len(posts)
    got = proportional["stratum"].value_counts()
    assert got.sum() == 100 and ((got - expected[got.index]).abs() < 1).all()
    by_type = sample_for_coding(corpus, 30, stratify="predicted", seed=0)
    lexicon = classify(corpus, LexiconLabeller(), progress=False).set_index("post_id")["label"]
    assert (by_type["post_id"].map(lexicon) == by_type["stratum"]).all()
    type_sizes, type_counts = lexicon.value_counts(), by_type["stratum"].value_counts()
    full = type_counts == type_sizes[type_counts.index]  # small types are taken whole
    assert type_counts.sum() == 30 and set(type_counts.index) == set(type_sizes.index)
    assert type_counts[~full].max() - type_counts[~full].min() <= 1
    assert (type_counts[full] <= type_counts[~full].min()).all()
    with pytest.raises(PeerscopeError, match="unknown strata"):
        sample_for_coding(corpus, {"1999-01": 2}, stratify="month")
    with pytest.raises(PeerscopeError, match="not a column"):
        sample_for_coding(corpus, 10, stratify="mood")


def test_prevalence_by_month_on_synthetic_truth(forum):
    corpus, truth = forum
    posts = corpus.posts(columns=["post_id", "created_at"]).merge(truth.posts, on="post_id")
    labels = posts["support_type"].to_numpy()
    table = prevalence(labels, labels[:500], labels[:500], groups=posts["created_at"], by="month",
                       n_boot=50, random_state=0)
    expected = {}
    for stamp, label in zip(posts["created_at"], labels):
        month = stamp.tz_convert("UTC").strftime("%Y-%m")
        expected.setdefault(month, []).append(label)
    assert set(table["month"]) == set(expected)
    for row in table.itertuples():
        share = expected[row.month].count(row.label) / len(expected[row.month])
        assert row.n == len(expected[row.month])
        assert row.raw_share == pytest.approx(share) and row.adjusted_share == pytest.approx(share)
    with pytest.raises(PeerscopeError, match="created_at"):
        prevalence(labels, labels[:10], labels[:10], by="month")


def test_weighted_validation_rates_from_a_stratified_sample(forum):
    """A sample stratified on the model's label distorts tpr/fpr; the sampling weights undo it."""
    corpus, truth = forum
    posts = corpus.posts(columns=["post_id"]).merge(truth.posts, on="post_id")
    is_emotional = posts["support_type"].to_numpy() == "emotional"
    rng = np.random.default_rng(1)
    flagged = np.where(is_emotional, rng.random(len(posts)) < 0.7, rng.random(len(posts)) < 0.1)
    predicted = pd.Series(np.where(flagged, "emotional", "other"), index=posts["post_id"])
    sheet = sample_for_coding(corpus, 300, stratify=predicted, seed=2)
    true = np.where(sheet["post_id"].map(posts.set_index("post_id")["support_type"]) == "emotional",
                    "emotional", "other")
    model = sheet["post_id"].map(predicted).to_numpy()
    weight = sheet["sampling_weight"].to_numpy()
    weighted = prevalence(predicted.to_numpy(), true, model, validation_weights=weight,
                          labels=["emotional"], n_boot=100, random_state=0).iloc[0]
    plain = prevalence(predicted.to_numpy(), true, model, labels=["emotional"], n_boot=100,
                       random_state=0).iloc[0]
    hit = (true == "emotional") & (model == "emotional")
    assert weighted.tpr == pytest.approx(weight[hit].sum() / weight[true == "emotional"].sum())
    population_tpr = flagged[is_emotional].mean()
    assert abs(weighted.tpr - population_tpr) < 0.05
    assert abs(plain.tpr - population_tpr) > abs(weighted.tpr - population_tpr) + 0.05
    with pytest.raises(PeerscopeError, match="positive"):
        prevalence(["e"], ["e", "o"], ["e", "o"], validation_weights=[1, -1])


def test_classify_writes_beside_the_corpus(forum, tmp_path):
    corpus, _ = forum
    saved = corpus.save(tmp_path / "forum")
    result = classify(saved, LexiconLabeller(), out=True, progress=False)
    target = tmp_path / "forum" / "derived" / "support.parquet"
    assert result.attrs["path"] == str(target) and pq.read_table(target).num_rows == len(result) == 2000
    assert len(open_corpus(tmp_path / "forum").posts(columns=["post_id"])) == 2000
    assert classify(saved, LexiconLabeller(), progress=False).attrs["path"] is None
    with pytest.raises(PeerscopeError, match="in memory"):
        classify(corpus, LexiconLabeller(), out=True)
