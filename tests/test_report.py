"""The paper report: numbers equal the Python API and the planted truth, files parse, CLI works."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from peerscope import Corpus, engagement, newsletters, participation, pluralism, reciprocity, synth
from peerscope.errors import PeerscopeError
from peerscope.report import ReportError, build, parse_super_users
from peerscope.report import figures as figure_module
from peerscope.cli.report import report_command
from peerscope.participation.superusers import MinPosts, TopShare


@pytest.fixture(scope="module")
def community():
    return synth.generate(20_000, seed=1)


@pytest.fixture(scope="module")
def report(community):
    corpus, _ = community
    return build(corpus)


@pytest.fixture(scope="module")
def written(report, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    report.write(out, formats=("md", "csv", "tex"), figure_formats=("png", "svg"))
    return out


def value(report, table, row, column="value"):
    return report.tables[table].at[row, column]


# ---------------------------------------------------------------------------
# Numbers equal the Python API and the planted truth
# ---------------------------------------------------------------------------

def test_participation_table_equals_summary_and_truth(community, report):
    corpus, truth = community
    s = participation.summary(corpus)
    assert value(report, "participation", "members") == s.members == truth.n_members
    assert value(report, "participation", "posters") == s.posters == truth.n_posters
    assert value(report, "participation", "lurkers") == s.lurkers == truth.n_lurkers
    assert value(report, "participation", "lurker_share") == s.lurker_share == truth.n_lurkers / truth.n_members
    assert value(report, "participation", "one_time_posters") == s.one_time_posters
    assert value(report, "participation", "posts_total") == s.posts_total == truth.n_posts
    assert value(report, "participation", "posts_by_bots") == truth.n_bot_posts
    for result in (s.gini_members, s.gini_posters):
        row = f"gini_{result.basis}"
        assert value(report, "participation", row) == result.value
        assert value(report, "participation", row, "ci_low") == result.ci_low
        assert value(report, "participation", row, "ci_high") == result.ci_high
    for share, top in s.top_shares.items():
        assert value(report, "participation", f"top_{share:g}_share") == top
    assert value(report, "participation", "super_users") == len(truth.super_users)
    assert value(report, "participation", "super_user_share") == s.super_user_share
    assert value(report, "participation", "super_user_cutoff_posts") == truth.super_user_min_posts


def test_bands_fits_and_engagement_equal_the_api(community, report):
    corpus, _ = community
    s = participation.summary(corpus)
    for band, share in s.band_shares.items():
        assert value(report, "bands", band, "share_of_posts") == share
    assert value(report, "bands", "superusers", "van_mierlo_2014") == 0.747
    assert value(report, "fits", "zipf_slope") == s.zipf.slope
    assert value(report, "fits", "zipf_r_squared") == s.zipf.r_squared
    assert value(report, "fits", "powerlaw_alpha") == s.power_law.alpha
    assert value(report, "fits", "powerlaw_x_min") == s.power_law.x_min
    survival = engagement.survival(corpus)
    assert value(report, "engagement", "withdrawn") == int(survival.members["withdrawn"].sum())
    assert value(report, "engagement", "median_tenure_days") == survival.median_tenure_days
    delurk = engagement.delurking(corpus)
    assert value(report, "engagement", "delurked") == int(delurk["delurked"].sum())
    ladder = engagement.ladder_by_month(corpus)
    assert value(report, "engagement", "ladder_climbed_share") == ladder.climbers / ladder.active_members
    levels = participation.activity(corpus)["ladder_level"].value_counts()
    for level, n in levels.items():
        shown = value(report, "ladder_levels", f"level_{level}", "members")
        assert shown == n or (n < 5 and shown == "<5")


def test_reciprocity_tables_equal_the_api_and_truth(community, report):
    corpus, truth = community
    r = reciprocity.summary(corpus)
    assert value(report, "reciprocity", "edges") == r.edges == truth.n_edges
    assert value(report, "reciprocity", "dyadic_reciprocity") == r.dyadic_reciprocity
    assert r.dyadic_reciprocity == pytest.approx(truth.dyadic_reciprocity)
    for role, n in r.balance.role_counts.items():
        assert value(report, "reciprocity", f"role_{role}") == n
    assert value(report, "reciprocity", "paid_forward_share") == r.generalised.paid_forward_share
    assert value(report, "responsiveness", "answered_share") == r.responsiveness.answered_share
    assert value(report, "responsiveness", "hours_to_first_response_q50") == \
        r.responsiveness.hours_to_first_response[0.5]


def test_pluralism_and_newsletter_tables_equal_the_api(community, report):
    corpus, truth = community
    curve = pluralism.forms_over_tenure(corpus).frame
    for k in (0, 5, 11):
        assert value(report, "forms_over_tenure", f"month_{k}", "mean_forms") == curve.at[k, "mean_forms"]
        assert value(report, "forms_over_tenure", f"month_{k}", "members") == curve.at[k, "members"]
    assert value(report, "forms_over_tenure", "month_0", "side_by_side") == 2.5
    sets = pluralism.combinations(corpus).sets
    for forms, members in zip(sets["forms"], sets["members"]):
        shown = value(report, "form_combinations", forms, "members")
        assert shown == members or (members < 5 and shown == "<5")
    news = newsletters.summary(corpus).frame.set_index("newsletter")
    name = truth.newsletter
    assert value(report, "newsletters", "issues", name) == news.at[name, "issues"] == len(truth.issues)
    assert value(report, "newsletters", "items", name) == truth.n_items
    assert value(report, "newsletters", "member_items", name) == truth.n_member_items
    assert value(report, "newsletters", "contributors", name) == news.at[name, "contributors"]


def test_parameters_reach_the_numbers_and_the_methods(community):
    corpus, _ = community
    report = build(corpus, start="2022-07-01", end="2023-07-01", super_users="min:200", topics=None, support=None,
                   withdrawal="30D", timezone="Europe/London", replicates=200, figures=False)
    s = participation.summary(corpus, "2022-07-01", "2023-07-01", super_users=MinPosts(200),
                              replicates=200)
    assert value(report, "participation", "posts_total") == s.posts_total
    assert value(report, "participation", "super_user_share") == s.super_user_share
    assert value(report, "participation", "gini_members", "ci_low") == s.gini_members.ci_low
    survival = engagement.survival(corpus, "2022-07-01", "2023-07-01", withdrawal="30D")
    assert value(report, "engagement", "median_tenure_days") == survival.median_tenure_days
    methods = report.methods
    for text in ("MinPosts(200)", "30 days", "Europe/London", "200 replicates", "2022-07-01",
                 "fewer than 5 people", "peerscope 0.1.0"):
        assert text in methods, text
    assert "figures: not drawn (figures=False)" in report.not_computed


def test_parse_super_users():
    assert parse_super_users("top:0.05") == TopShare(0.05)
    assert parse_super_users("min:12") == MinPosts(12)
    assert parse_super_users(TopShare(0.01)) == TopShare(0.01)
    for bad in ("top", "top:2", "min:x", "best:1"):
        with pytest.raises(ReportError):
            parse_super_users(bad)


def test_bad_options_raise_report_errors(community):
    corpus, _ = community
    with pytest.raises(ReportError, match="timezone"):
        build(corpus, timezone="Mars/Olympus", figures=False)
    with pytest.raises(ReportError, match="no posts"):
        build(corpus, start="2030-01-01", figures=False)


# ---------------------------------------------------------------------------
# Small-cell suppression in the report
# ---------------------------------------------------------------------------

def test_small_cells_are_suppressed_and_cannot_be_recovered(community):
    corpus, _ = community
    k = 20  # one ladder level (moderate/facilitate, 12 members) is small: it needs a complement
    report = build(corpus, min_cell=k, figures=False, topics=None, support=None)
    table = report.tables["ladder_levels"]
    raw = participation.activity(corpus)["ladder_level"].value_counts()
    small = [lvl for lvl, n in raw.items() if 1 <= n < k]
    assert small, "the sample should have a ladder level with fewer than K members"
    for lvl in small:
        assert table.at[f"level_{lvl}", "members"] == f"<{k}"
        assert table.at[f"level_{lvl}", "share"] == "suppressed"
    hidden = [key for key in table.index if isinstance(table.at[key, "members"], str)]
    assert len(hidden) >= 2
    # the hidden cells together are at least K, so the total minus the shown cells says little
    shown = sum(v for v in table["members"].iloc[:-1] if not isinstance(v, str))
    assert table.at["total", "members"] - shown >= k
    log = report.suppression
    assert set(log.loc[log["table"] == "ladder_levels", "rule"]) >= {"primary", "complementary"}
    assert f"<{k}" in report.methods


def test_no_member_ids_or_text_unless_asked(community, report, written):
    corpus, truth = community
    html = (written / "report.html").read_text()
    assert not any(member in html for member in truth.super_users)
    assert "super_user_ids" not in report.tables
    with_ids = build(corpus, include_ids=True, figures=False, topics=None, support=None)
    assert list(with_ids.tables["super_user_ids"]["member_id"]) == list(
        participation.summary(corpus).super_users.member_ids)
    assert "super-users' member ids" in with_ids.methods


def test_a_corpus_without_roster_says_what_it_cannot_measure(tiny_frames):
    posts = tiny_frames[0]
    corpus = Corpus.from_frames(posts)
    report = build(corpus, figures=False, min_cell=1, topics=None, support=None)
    assert report.tables["participation"].at["lurkers", "value"] is None
    assert any(n.startswith("Not measured: lurkers") for n in report.notes["participation"])
    assert any(n.startswith("forms and pathways: not computed") for n in report.not_computed)
    assert any(n.startswith("newsletters: not computed") for n in report.not_computed)
    assert "Lurkers could not be counted" in report.methods


def test_overview_lists_skipped_rows_and_kept_notes(tiny_frames):
    missing = "parent not in the data: kept with a null parent"
    generated = "no post id: kept with a generated id"
    corpus = Corpus.from_frames(tiny_frames[0], skipped={"posts": {"junk": 2}},
                                kept_notes={"posts": {missing: 1, generated: 6}})
    report = build(corpus, figures=False, min_cell=1, topics=None, support=None)
    overview = report.tables["overview"]
    assert overview.at["skipped_posts", "value"] == 2
    assert overview.at["skipped_posts", "detail"] == "junk: 2"
    kept = overview[overview["label"] == "Rows kept but changed on import: posts"]
    # one row per table and note, after the skipped rows, the note in detail
    assert kept["detail"].tolist() == [generated, missing] and kept["value"].tolist() == [6, 1]
    assert list(overview.index).index("skipped_posts") < list(overview.index).index(kept.index[0])
    plain = build(Corpus.from_frames(tiny_frames[0]), figures=False, min_cell=1, topics=None, support=None)
    assert not plain.tables["overview"]["label"].str.startswith("Rows kept but changed").any()


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------

def test_every_table_is_written_and_parses(report, written):
    for name, frame in report.tables.items():
        back = pd.read_csv(written / "tables" / f"{name}.csv", index_col=0, keep_default_na=False)
        assert list(back.columns) == list(frame.columns)
        assert [str(i) for i in back.index] == [str(i) for i in frame.index]
        for column in frame.columns:
            for mine, theirs in zip(frame[column], back[column]):
                if isinstance(mine, (int, float)) and not isinstance(mine, bool) and not (
                        isinstance(mine, float) and math.isnan(mine)):
                    assert float(theirs) == pytest.approx(mine, rel=1e-12), (name, column)
        tex = (written / "tables" / f"{name}.tex").read_text()
        assert all(rule in tex for rule in (r"\toprule", r"\midrule", r"\bottomrule"))
        assert tex.count(r"\\") >= len(frame) + 1
        md = (written / "tables" / f"{name}.md").read_text()
        assert md.count("\n|") >= len(frame) + 1
    index = pd.read_csv(written / "tables" / "index.csv")
    assert set(index["name"]) == set(report.tables)


def test_html_is_self_contained_with_every_table_and_figure(report, written):
    html = (written / "report.html").read_text()
    for name, title in ((n, report.titles[n]) for n in report.tables):
        assert f'id="table-{name}"' in html and title.replace("'", "&#x27;") in html
    for name in report.figures:
        assert f'id="figure-{name}"' in html
    assert html.count("data:image/png;base64,") == len(report.figures)
    assert "src=\"figures/" not in html and "<link" not in html
    markdown = (written / "report.md").read_text()
    assert all(f"figures/{name}.png" in markdown for name in report.figures)
    assert "## Methods" in markdown and "**References**" in markdown
    parameters = json.loads((written / "parameters.json").read_text())
    assert parameters["min_cell"] == 5 and parameters["super_users"].startswith("TopShare(0.01)")
    log = pd.read_csv(written / "suppression.csv")
    assert list(log.columns) == ["table", "row", "column", "rule", "because"]
    assert len(log) == len(report.suppression)


def test_figures_are_drawn_non_empty_and_labelled(report, written):
    expected = {"lorenz", "rank_frequency", "bands", "time_of_day", "survival", "ladder_monthly",
                "give_receive", "forms_over_tenure", "topic_odds", "support_by_month",
                "newsletter_topics_by_month"}
    assert set(report.figures) == expected
    for name, figure in report.figures.items():
        assert figure.get_figwidth() == pytest.approx(figure_module.WIDTH)
        assert figure.get_supxlabel(), name  # the parameters footer
        for ax in [a for a in figure.axes if a.get_label() != "<colorbar>"]:
            assert ax.get_xlabel() or ax.get_shared_x_axes().get_siblings(ax) != [ax], name
            assert ax.get_ylabel(), name
            assert ax.lines or ax.collections or ax.images or ax.patches, name
        png = (written / "figures" / f"{name}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
        assert (written / "figures" / f"{name}.svg").read_text().lstrip().startswith("<?xml")


def test_figures_missing_matplotlib_still_writes_tables(community, monkeypatch, tmp_path):
    corpus, _ = community

    def missing():
        raise figure_module.MissingDependencyError("figures need matplotlib")

    monkeypatch.setattr(figure_module, "require_matplotlib", missing)
    report = build(corpus, replicates=50, topics=None, support=None)
    assert report.figures == {}
    assert any(n.startswith("figures: not drawn (figures need matplotlib") for n in report.not_computed)
    report.write(tmp_path, figure_formats=())
    assert (tmp_path / "tables" / "participation.csv").is_file()


def test_topics_section_when_a_model_is_given():
    from peerscope import topics

    corpus, _ = synth.generate(3000, seed=2)
    model = topics.fit(corpus, k=4, method="nmf", seed=0)
    report = build(corpus, topics=model, support=None, figures=False, replicates=50)
    table = report.tables["topics"]
    summary = model.summary(8)
    assert list(table["terms"].iloc[:4]) == list(summary["terms"])
    shares = summary["dominant_documents"] / summary["dominant_documents"].sum()
    assert np.allclose(table["share_of_posts"].iloc[:4].astype(float), shares)
    assert np.allclose(table["npmi"].iloc[:4].astype(float), model.coherence().per_topic)
    assert table.at["all", "npmi"] > table.at["all", "shuffled_baseline_npmi"]
    assert "topic_odds" in report.tables and "topic_sweep" not in report.tables
    assert "non-negative matrix factorisation (Lee & Seung 1999)" in report.methods
    assert "with k = 4" in report.methods
    assert not any(n.startswith("topics:") for n in report.not_computed)
    assert "support types: not computed (not asked for (support=None))" in report.not_computed


def test_sample_report_recovers_the_planted_topics(community, report):
    """Default topics="auto" finds the planted number of topics, and super-users' preferred ones."""
    from sklearn.metrics import normalized_mutual_info_score

    corpus, truth = community
    model = report.results["topics"]
    assert model.k == len(truth.topics)
    assert report.tables["topic_sweep"].at[model.k, "chosen"] == "yes"
    planted = truth.posts.set_index("post_id")["topic"]
    found = pd.Series(model.dominant_topics(), index=model.docs["post_id"])
    people = planted[planted >= 0].index.intersection(found.index)
    assert normalized_mutual_info_score(planted[people], found[people]) > 0.85
    # the topics super-users favour (planted: topics 0-2) have odds ratios above 1, the others below
    odds = report.results["topic_odds"].set_index("topic")["odds_ratio"]
    favoured = found[people][planted[people].isin(truth.preferred_topics)].value_counts().index[:3]
    assert (odds[list(favoured)] > 1).all() and (odds.drop(list(favoured)) < 1).all()
    terms = " ".join(report.tables["topics"]["terms"].dropna())
    assert not any(name in terms.split() for name in ("becky", "dave", "m000001"))


def test_sample_report_recovers_the_planted_support_types(community, report):
    corpus, truth = community
    table = report.tables["support_types"]
    labels = report.results["support"].posts.merge(truth.posts, on="post_id")
    providing = labels[labels["direction"] == "providing"]
    emotional = providing["support_type"] == "emotional"
    # posts planted as giving emotional support are labelled emotional far more often than others
    assert (providing.loc[emotional, "label"] == "emotional").mean() > \
        2 * (providing.loc[~emotional, "label"] == "emotional").mean()
    # seeking posts open threads: replies carry more emotional support than opening posts
    assert value(report, "support_types", "replies.emotional", "share") > \
        2 * value(report, "support_types", "opening_posts.emotional", "share")
    shares = table.loc[table["group"] == "all", "share"].astype(float)
    assert shares.sum() == pytest.approx(1.0)
    assert (table["ci_low"].astype(float) <= table["share"].astype(float)).all()
    assert (table["share"].astype(float) <= table["ci_high"].astype(float)).all()


def test_support_section_with_a_given_model_and_without(community):
    from peerscope.support import LexiconLabeller

    corpus, _ = synth.generate(3000, seed=2)
    report = build(corpus, topics=None, support=LexiconLabeller(), figures=False, replicates=50)
    assert set(report.tables["support_types"]["support_type"]) >= {"emotional", "informational"}
    assert "by the LexiconLabeller given to the report" in report.methods
    assert "CL-Aff" not in report.methods
    none = build(corpus, topics=None, support=None, figures=False, replicates=50)
    assert "support_types" not in none.tables and "Support types" not in none.methods
    with pytest.raises(PeerscopeError, match="support=42"):
        build(corpus, topics=None, support=42, figures=False, replicates=50)


def test_text_sample_labels_a_sample_of_posts_and_says_so():
    from peerscope.cli import report as cli_report
    from peerscope.report.build import TEXT_SAMPLE

    corpus, _ = synth.generate(3000, seed=2)
    sampled = build(corpus, topics=None, text_sample=1000, figures=False, replicates=50)
    whole = build(corpus, topics=None, support=None, text_sample=None, figures=False, replicates=50)
    sample = sampled.results["text_sample"]
    labelled = sampled.results["support"].posts
    assert sample["of_posts"] == 3000 and sample["posts"] == len(labelled)
    assert abs(len(labelled) - 1000) < 4 * (3000 * (1 / 3) * (2 / 3)) ** 0.5
    assert set(labelled["post_id"]) == set(corpus.sample_posts(1000 / 3000, seed=0).posts()["post_id"])
    table = sampled.tables["support_types"]
    assert table.loc[table["group"] == "all", "posts"].astype(int).sum() == len(labelled)
    assert f"random sample of {len(labelled):,} of the 3,000 posts" in sampled.methods
    # every other measure reads every post
    for name in ("participation", "reciprocity", "engagement"):
        pd.testing.assert_frame_equal(sampled.tables[name], whole.tables[name])
    assert "text_sample" not in whole.results and "Text sample" not in whole.methods
    enough = build(corpus, topics=None, support=None, text_sample=3000, figures=False, replicates=50)
    no_text = build(corpus, topics=None, support=None, text_sample=10, figures=False, replicates=50)
    assert "text_sample" not in enough.results and "text_sample" not in no_text.results  # nothing sampled
    for bad in (0, -5, 2.5, True, "many"):
        with pytest.raises(ReportError, match="text_sample"):
            build(corpus, topics=None, support=None, text_sample=bad, figures=False, replicates=50)
    assert cli_report.TEXT_SAMPLE == TEXT_SAMPLE  # the command's default is the report's


def test_topics_option_is_checked(community):
    corpus, _ = synth.generate(1000, seed=2)
    for bad in ("seven", 1, 2.5, True):
        with pytest.raises(PeerscopeError, match="topics="):
            build(corpus, topics=bad, support=None, figures=False, replicates=50)


# ---------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------

def test_cli_sample_end_to_end(tmp_path):
    out = tmp_path / "sample"
    result = CliRunner().invoke(report_command, ["--sample", "--out", str(out), "--format", "csv",
                                                 "--figures", "png"])
    assert result.exit_code == 0, result.output
    assert f"report written to {out / 'report.html'}" in result.output
    assert "lurkers 60.0%" in result.output
    assert (out / "report.html").is_file() and (out / "tables" / "participation.csv").is_file()
    assert not (out / "tables" / "participation.tex").exists()
    table = pd.read_csv(out / "tables" / "participation.csv", index_col=0)
    assert float(table.at["lurker_share", "value"]) == 0.6


@pytest.mark.parametrize("arguments, message", [
    (["--sample", "--super-users", "most:3"], "super-user rule"),
    (["--sample", "--timezone", "Nowhere/Town"], "unknown timezone"),
    (["--sample", "--format", "docx"], "unknown"),
    ([], "give a CORPUS folder or --sample"),
])
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, arguments, message):
    result = CliRunner().invoke(report_command, arguments + ["--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_topics_and_support_options(tmp_path, community):
    corpus, _ = community
    folder = corpus.save(tmp_path / "corpus") and tmp_path / "corpus"
    out = tmp_path / "plain"
    result = CliRunner().invoke(report_command, [str(folder), "--out", str(out), "--topics", "none",
                                                 "--support", "none", "--figures", ""])
    assert result.exit_code == 0, result.output
    assert not (out / "tables" / "topics.csv").exists()
    assert not (out / "tables" / "support_types.csv").exists()
    bad = CliRunner().invoke(report_command, [str(folder), "--out", str(out), "--topics", "many"])
    assert bad.exit_code == 2 and "--topics" in bad.output
    missing = CliRunner().invoke(report_command, [str(folder), "--out", str(out), "--topics", "none",
                                                  "--support", str(tmp_path / "no-model")])
    assert missing.exit_code == 2 and "no-model" in missing.output



def test_sample_report_newsletter_text_recovers_the_planted_differences(community, report):
    """Issue 24: the sample's newsletters carry more informational support and echo the forum a month later."""
    _, truth = community
    shares = report.tables["newsletter_support_by_form"]
    items, posts = shares.loc["newsletter_items.informational"], shares.loc["posts.informational"]
    assert float(items["ci_low"]) > float(posts["ci_high"])
    echo = report.tables["newsletter_topic_echo"]
    assert (echo["best_lag"] == truth.newsletter_topic_lag).mean() >= 0.75
    assert "newsletter_topics_by_month" in report.figures
    assert "**Newsletter text.**" in report.methods


def test_support_share_intervals_have_the_binomial_width_for_one_post_authors():
    """The Poisson bootstrap drawn once per distinct row of counts (exchangeable authors) keeps
    the per-author distribution: with one post per author the interval is the binomial one."""
    from peerscope.report.content import SupportLabels, support_shares

    n, p = 20_000, 0.3
    rng = np.random.default_rng(5)
    posts = pd.DataFrame({"post_id": [f"p{i}" for i in range(n)],
                          "label": np.where(rng.random(n) < p, "emotional", "other"),
                          "author_id": [f"m{i}" for i in range(n)], "opening": rng.random(n) < 0.5,
                          "month": "2024-01"})
    labels = SupportLabels(posts, None, "a test", ["emotional", "other"])
    shares = support_shares(labels, {f"m{i}" for i in range(0, n, 2)}, replicates=2000, random_state=1)
    for group, size in [("all", n), ("super_users", n / 2), ("opening_posts", None)]:
        row = shares.set_index(["group", "support_type"]).loc[(group, "emotional")]
        size = size or row["posts"] / row["share"]
        expected = 2 * 1.96 * np.sqrt(row["share"] * (1 - row["share"]) / size)
        assert abs((row["ci_high"] - row["ci_low"]) / expected - 1) < 0.1
        assert row["ci_low"] < row["share"] < row["ci_high"]
