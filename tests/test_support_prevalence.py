"""Agreement statistics, corrected prevalence and classifying a whole corpus."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from nltk.metrics.agreement import AnnotationTask

from peerscope import synth
from peerscope.errors import PeerscopeError
from peerscope.support import (LexiconLabeller, SupportClassifier, adjusted_share, agreement, classify,
                               cross_validate, evaluate, krippendorff_alpha, prevalence)
from peerscope.support.prevalence import LabelSummary


def test_alpha_hand_computed_example():
    """Three coders, five units, one missing code (worked by hand).

    Units: (a,a,a), (a,b,-), (b,b,b), (a,a,b), (c,c,c).  Pairable values
    n = 3+2+3+3+3 = 14.  Coincidences (weight 1/(m_u - 1)): unit 1 adds
    o_aa = 6/2 = 3; unit 2 o_ab = o_ba = 1; unit 3 o_bb = 3; unit 4 o_aa = 1,
    o_ab = o_ba = 1; unit 5 o_cc = 3.  So o_aa = 4, o_ab = o_ba = 2, o_bb = 3,
    o_cc = 3; n_a = 6, n_b = 5, n_c = 3.  D_o = 4/14; D_e = (14^2 - 36 - 25 - 9)
    / (14 * 13) = 126/182; alpha = 1 - (4/14) / (126/182) = 1 - 52/126 = 37/63.
    """
    codes = [["a", "a", "a"], ["a", "b", None], ["b", "b", "b"], ["a", "a", "b"], ["c", "c", "c"]]
    assert krippendorff_alpha(codes) == pytest.approx(37 / 63)
    task = AnnotationTask(data=[(f"c{j}", f"u{i}", v) for i, row in enumerate(codes)
                                for j, v in enumerate(row) if v is not None])
    assert krippendorff_alpha(codes) == pytest.approx(task.alpha())
    assert krippendorff_alpha([["a", "a"], ["b", "b"]]) == 1.0
    assert np.isnan(krippendorff_alpha([["a", "a"], ["a", "a"]]))
    assert np.isnan(krippendorff_alpha([["a", None]]))


def test_agreement_between_coders_and_model():
    codes = pd.DataFrame({"ann": ["e", "e", "i", "i", "e", None], "bob": ["e", "i", "i", "i", "e", "e"],
                          "model": ["e", "e", "i", "e", "e", "i"]})
    table = agreement(codes)
    pair = table[(table.coder_a == "ann") & (table.coder_b == "bob")].iloc[0]
    assert pair.n_units == 5 and pair.percent_agreement == pytest.approx(0.8)
    # kappa by hand: po = 0.8, pe = (3/5 * 2/5) + (2/5 * 3/5) = 0.48 -> (0.8 - 0.48) / 0.52
    assert pair.kappa == pytest.approx(0.32 / 0.52)
    assert table.iloc[-1].coder_a == "all" and table.iloc[-1].n_units == 6
    with pytest.raises(PeerscopeError):
        agreement(codes[["ann"]])


def test_evaluate_rates_and_frame():
    result = evaluate(["e", "e", "e", "i", "i", "o"], ["e", "e", "i", "i", "e", "o"])
    assert result.per_class.loc["e", "tpr"] == pytest.approx(2 / 3)
    assert result.per_class.loc["e", "fpr"] == pytest.approx(1 / 3)
    frame = result.to_frame()
    assert frame.loc["macro", "f1"] == pytest.approx(result.macro_f1)
    with pytest.raises(PeerscopeError):
        evaluate(["e"], ["e", "i"])


def _noisy(truth: np.ndarray, rng, tpr: float, fpr: float) -> np.ndarray:
    """A biased 'classifier' of emotional posts: misses 1 - tpr, adds fpr of the rest."""
    is_emotional = truth == "emotional"
    flagged = np.where(is_emotional, rng.random(len(truth)) < tpr, rng.random(len(truth)) < fpr)
    return np.where(flagged, "emotional", "other")


def test_adjusted_prevalence_beats_raw_share_when_biased():
    """Synthetic posts with known emotional share; a classifier with tpr 0.85, fpr 0.25.

    The raw share overstates the truth by about fpr * (1 - p) - (1 - tpr) * p;
    the adjusted estimate must be closer, and its interval must cover the
    truth.  Over 40 repetitions the 95% interval covers the truth in at
    least 85% of them (binomial: 40 draws at 0.95 fall below 34 with
    probability < 1%).
    """
    corpus, truth = synth.generate(6000, seed=11)
    labels = np.where(truth.posts["support_type"].to_numpy() == "emotional", "emotional", "other")
    true_share = float((labels == "emotional").mean())
    rng = np.random.default_rng(0)
    covered, closer = 0, 0
    for rep in range(40):
        validation = rng.choice(len(labels), 800, replace=False)
        table = prevalence(_noisy(labels, rng, 0.85, 0.25), labels[validation],
                           _noisy(labels[validation], rng, 0.85, 0.25), labels=["emotional"],
                           n_boot=400, random_state=rep)
        row = table.iloc[0]
        closer += abs(row.adjusted_share - true_share) < abs(row.raw_share - true_share)
        covered += row.ci_low <= true_share <= row.ci_high
        if rep == 0:
            assert abs(row.raw_share - true_share) > 0.08
            assert row.ci_low <= true_share <= row.ci_high
    assert closer == 40
    assert covered >= 34


def test_prevalence_by_group_and_undefined_rates():
    table = prevalence(["e", "o", "e", "e"], ["e", "o", "e", "o"], ["e", "o", "e", "e"],
                       groups=["x", "x", "y", "y"], n_boot=50, random_state=0)
    assert set(table["group"]) == {"x", "y"} and len(table) == 4
    assert table.loc[(table.group == "y") & (table.label == "e"), "raw_share"].iloc[0] == 1.0
    chance = prevalence(["e", "o"], ["e", "o", "e", "o"], ["e", "e", "o", "o"], n_boot=50, random_state=0)
    assert chance["adjusted_share"].isna().all()
    assert np.isnan(adjusted_share(0.3, 0.2, 0.4))


def test_cross_validated_rates_feed_prevalence():
    corpus, truth = synth.generate(1500, seed=2)
    posts = corpus.posts(columns=["post_id", "text"]).merge(truth.posts, on="post_id")
    coded = posts.iloc[:600]
    result, predicted = cross_validate(SupportClassifier(random_state=0), coded["text"],
                                       coded["support_type"], folds=3, random_state=0)
    assert len(predicted) == 600 and result.macro_f1 > 0.85
    table = prevalence(SupportClassifier(random_state=0).fit(coded["text"], coded["support_type"])
                       .predict(posts["text"]), coded["support_type"], predicted, random_state=0)
    true_share = posts["support_type"].value_counts(normalize=True)
    estimate = table.set_index("label")["adjusted_share"]
    assert (estimate - true_share[estimate.index]).abs().max() < 0.05


def test_classify_saved_and_in_memory_corpus(tmp_path):
    corpus, truth = synth.generate(1200, seed=4)
    saved = corpus.save(tmp_path / "forum")
    out = tmp_path / "support.parquet"
    streamed = classify(saved, LexiconLabeller(), batch_size=500, out=out, progress=False)
    in_memory = classify(corpus, LexiconLabeller(), batch_size=700, progress=False)
    assert len(streamed) == 1200 and streamed["post_id"].is_unique
    pd.testing.assert_frame_equal(streamed.sort_values("post_id").reset_index(drop=True),
                                  in_memory.sort_values("post_id").reset_index(drop=True))
    assert pq.read_table(out).num_rows == 1200
    merged = streamed.merge(truth.posts, on="post_id")
    assert (merged["label"] == merged["support_type"]).mean() > 0.85
    model = SupportClassifier(random_state=0).fit(merged["post_id"].map(
        corpus.posts(columns=["post_id", "text"]).set_index("post_id")["text"]), merged["support_type"])
    supervised = classify(saved, model, batch_size=400, progress=False)
    assert {"label", "emotional", "informational"} <= set(supervised.columns)
    with pytest.raises(PeerscopeError):
        classify(saved, model, batch_size=0)


def test_streamed_labels_equal_the_in_memory_result_row_for_row(tmp_path):
    """``out`` with ``return_labels=False`` writes each batch as it comes and keeps only counts."""
    corpus, _ = synth.generate(900, seed=6)
    saved = corpus.save(tmp_path / "forum")
    in_memory = classify(saved, LexiconLabeller(), batch_size=250, progress=False)
    out = tmp_path / "labels" / "support.parquet"
    summary = classify(saved, LexiconLabeller(), batch_size=250, out=out, return_labels=False, progress=False)
    assert isinstance(summary, LabelSummary) and summary.path == out and summary.rows == 900
    streamed = pq.read_table(out).to_pandas()
    pd.testing.assert_frame_equal(streamed, in_memory)
    pd.testing.assert_frame_equal(summary.read(), in_memory)
    assert pq.ParquetFile(out).metadata.num_row_groups > 1   # written batch by batch
    assert summary.labels.to_dict() == in_memory["label"].value_counts(sort=False).to_dict()
    assert summary.directions.sum() == 900
    assert summary.shares().sum() == pytest.approx(1.0)
    # both at once: the rows returned and the same file written
    both = classify(saved, LexiconLabeller(), batch_size=250, out=out, progress=False)
    pd.testing.assert_frame_equal(both, in_memory)
    assert both.attrs["path"] == str(out)
    pd.testing.assert_frame_equal(pq.read_table(out).to_pandas(), in_memory)
    # compact dtypes: categorical label and direction, float32 scores
    assert isinstance(in_memory["label"].dtype, pd.CategoricalDtype)
    assert list(in_memory["direction"].cat.categories) == ["seeking", "providing", "neither"]
    assert (in_memory.select_dtypes("number").dtypes == np.float32).all()
    with pytest.raises(PeerscopeError, match="return_labels=False"):
        classify(saved, LexiconLabeller(), return_labels=False)


class _FailsOnSecondBatch(LexiconLabeller):
    """A labeller that breaks after one batch, as a crash mid-corpus would."""

    def predict_frame(self, texts):
        self.calls = getattr(self, "calls", 0) + 1
        if self.calls == 2:
            raise RuntimeError("labeller crashed")
        return super().predict_frame(texts)


def test_failed_stream_leaves_no_temporary_file_and_the_old_labels(tmp_path):
    corpus, _ = synth.generate(900, seed=6)
    saved = corpus.save(tmp_path / "forum")
    out = tmp_path / "labels" / "support.parquet"
    before = classify(saved, LexiconLabeller(), out=out, return_labels=False, progress=False)
    with pytest.raises(RuntimeError, match="crashed"):
        classify(saved, _FailsOnSecondBatch(), batch_size=200, out=out, return_labels=False, progress=False)
    assert sorted(p.name for p in out.parent.iterdir()) == ["support.parquet"]
    assert pq.read_table(out).num_rows == before.rows == 900


def test_cli_classify_streams_the_same_file(tmp_path):
    from click.testing import CliRunner

    from peerscope.cli.commands import cli
    from peerscope.support import pretrained

    corpus, _ = synth.generate(600, seed=8)
    saved = corpus.save(tmp_path / "forum")
    result = CliRunner().invoke(cli, ["classify", str(tmp_path / "forum"), "--batch-size", "250", "--no-progress"])
    assert result.exit_code == 0, result.output
    target = tmp_path / "forum" / "derived" / "support.parquet"
    assert f"labelled 600 posts with forum; wrote {target}" in result.output
    expected = classify(saved, pretrained("forum"), batch_size=250, progress=False)
    pd.testing.assert_frame_equal(pq.read_table(target).to_pandas(), expected)
    for name, share in expected["label"].value_counts(normalize=True).items():
        assert f"  {name}: {share:.1%}" in result.output
    assert not [p for p in target.parent.iterdir() if p.name != "support.parquet"]


def test_prevalence_without_validation_gives_raw_shares_with_an_interval():
    """No coded sample: the raw share and a bootstrap interval of the corpus's sampling error.

    For 1,000 posts with share 0.3 the binomial standard error is 0.0145, so
    the 95% interval is about 0.3 +- 0.028; by group, each group's own share.
    """
    labels = ["emotional"] * 300 + ["other"] * 700
    table = prevalence(labels, random_state=0)
    row = table.set_index("label").loc["emotional"]
    assert row["raw_share"] == pytest.approx(0.3)
    assert np.isnan(row["adjusted_share"]) and np.isnan(row["tpr"]) and row["n_validation"] == 0
    assert row["interval_of"] == "raw_share"
    assert row["ci_low"] == pytest.approx(0.3 - 0.028, abs=0.01)
    assert row["ci_high"] == pytest.approx(0.3 + 0.028, abs=0.01)
    groups = ["a"] * 500 + ["b"] * 500
    grouped = prevalence(labels, groups=groups, random_state=0).set_index(["group", "label"])
    assert grouped.loc[("a", "emotional"), "raw_share"] == pytest.approx(0.6)
    assert grouped.loc[("b", "emotional"), "raw_share"] == 0.0
    monthly = prevalence(labels, groups=["2024-01-05"] * 400 + ["2024-02-05"] * 600, by="month",
                         random_state=0)
    assert sorted(monthly["month"].unique()) == ["2024-01", "2024-02"]
    with pytest.raises(PeerscopeError, match="both"):
        prevalence(labels, ["emotional"])
    with pytest.raises(PeerscopeError, match="no predicted"):
        prevalence([])
    with pytest.raises(PeerscopeError, match="validation_weights"):
        prevalence(labels, validation_weights=[1.0])
