"""Communities side by side: peerscope.report.compare and the ``peerscope compare`` command."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from peerscope import Corpus
from peerscope.cli.compare import compare_command
from peerscope.datasets import synth
from peerscope.errors import PeerscopeError
from peerscope.report import build
from peerscope.report.compare import compare, compare_channels, compare_windows

FAST = dict(topics=None, support=None, replicates=200)


@pytest.fixture(scope="module")
def planted():
    """Two synthetic communities with lurker shares 0.6 and 0.3."""
    a, _ = synth.generate(3000, seed=1, lurker_share=0.6, with_text=False)
    b, _ = synth.generate(3000, seed=2, lurker_share=0.3, with_text=False)
    return a, b


@pytest.fixture(scope="module")
def planted_comparison(planted):
    return compare(planted, names=["A", "B"], figures=False, **FAST)


def _pairs_forum(n_pairs: int, answered_back: float, seed: int, name: str) -> Corpus:
    """Independent pairs: u opens a thread, v replies, and u replies back with probability ``answered_back``.

    Dyadic reciprocity is then 2M / (2M + A) for M pairs answered back and A not.
    """
    rng = np.random.default_rng(seed)
    rows = []
    start = pd.Timestamp("2024-01-01", tz="UTC")
    for i in range(n_pairs):
        u, v, t = f"u{i}", f"v{i}", start + pd.Timedelta(hours=i)
        rows.append((f"t{i}", f"t{i}", None, u, t))
        rows.append((f"r{i}", f"t{i}", f"t{i}", v, t + pd.Timedelta(minutes=5)))
        if rng.random() < answered_back:
            rows.append((f"b{i}", f"t{i}", f"r{i}", u, t + pd.Timedelta(minutes=9)))
    posts = pd.DataFrame(rows, columns=["post_id", "thread_id", "parent_id", "author_id", "created_at"])
    posts["text"] = "x"
    return Corpus.from_frames(posts, name=name)


def test_each_column_holds_its_own_reports_numbers(planted, planted_comparison):
    alone = build(planted[1], figures=False, **FAST)
    table = planted_comparison.tables["participation"]
    for row in ("members", "posters", "lurkers", "lurker_share", "gini_members", "gini_posters",
                "super_user_share"):
        assert table.at[row, "B"] == alone.tables["participation"].at[row, "value"], row
    assert table.at["gini_posters", "B ci_low"] == alone.tables["participation"].at["gini_posters", "ci_low"]
    assert table.at["lurker_share", "A"] == 0.6  # exactly round(share x members) lurkers are planted
    assert table.at["lurker_share", "B"] == pytest.approx(0.3, abs=0.005)
    reciprocity = planted_comparison.tables["reciprocity"]
    assert reciprocity.at["dyadic_reciprocity", "B"] == alone.tables["reciprocity"].at["dyadic_reciprocity", "value"]
    bands = planted_comparison.tables["bands"]
    assert bands.at["lurkers", "B"] == alone.tables["bands"].at["lurkers", "share_of_posts"]
    assert bands.at["superusers", "van_mierlo_2014"] == 0.747


def test_the_planted_lurker_difference_is_detected(planted_comparison):
    table = planted_comparison.tables["participation"]
    difference = table.at["lurker_share", "B - A"]
    assert difference == pytest.approx(-0.3, abs=0.005)
    assert table.at["lurker_share", "B - A p"] < 0.05
    assert table.at["lurker_share", "B - A ci_low"] < difference < table.at["lurker_share", "B - A ci_high"] < 0
    assert table.at["lurker_share", "test"].startswith("Newcombe")
    assert any("Newcombe (1998)" in note for note in planted_comparison.notes["participation"])
    assert "Newcombe (1998)" in planted_comparison.methods and "Snijders & Borgatti" in planted_comparison.methods


def test_two_seeds_of_the_same_settings_do_not_differ():
    a, _ = synth.generate(3000, seed=3, lurker_share=0.5, with_text=False)
    b, _ = synth.generate(3000, seed=4, lurker_share=0.5, with_text=False)
    differences = compare([a, b], names=["A", "B"], figures=False, **FAST).differences.set_index("measure")
    for measure in ("lurker_share", "dyadic_reciprocity", "gini_members", "gini_posters", "super_user_share"):
        assert differences.at[measure, "p_value"] > 0.05, measure


def test_a_planted_reciprocity_difference_is_detected_and_a_null_one_is_not():
    high, low = _pairs_forum(300, 0.6, 1, "high"), _pairs_forum(300, 0.1, 2, "low")
    same = _pairs_forum(300, 0.6, 3, "same")
    result = compare([high, low, same], figures=False, **FAST)
    frame = result.tables["reciprocity"]
    assert frame.at["dyadic_reciprocity", "low - high p"] < 0.05
    assert frame.at["dyadic_reciprocity", "same - high p"] > 0.05
    assert frame.at["dyadic_reciprocity", "test"] == "node jackknife; z-test"


def test_a_corpus_without_a_roster_is_not_measurable_in_its_column_only(planted):
    posts = planted[0].posts(columns="all")
    no_roster = Corpus.from_frames(posts, name="posts only")
    result = compare([planted[0], no_roster], names=["roster", "posts only"], figures=False, **FAST)
    table = result.tables["participation"]
    assert table.at["lurker_share", "roster"] == 0.6
    for row in ("lurker_share", "lurkers", "gini_members"):
        assert table.at[row, "posts only"].startswith("not measurable: no member roster"), row
    assert isinstance(table.at["gini_posters", "posts only"], float)
    assert result.tables["bands"].at["superusers", "posts only"].startswith("not measurable")
    assert "lurker_share" not in set(result.differences["measure"])  # no test without both shares
    assert not table.isna().all(axis=None)


def test_windows_split_a_corpus_into_the_right_counts(planted):
    corpus = planted[0]
    created = corpus.posts(columns=["created_at"])["created_at"]
    result = compare_windows(corpus, [2022, 2023], figures=False, **FAST)
    assert result.names == ["2022", "2023"]
    overview = result.tables["overview"]
    for year in (2022, 2023):
        assert overview.at["rows_posts", str(year)] == int((created.dt.year == year).sum())
    bounds = compare_windows(corpus, ["2022-01-01", "2022-07-01", "2024-01-01"], figures=False, **FAST)
    assert bounds.names == ["2022-01-01 to 2022-07-01", "2022-07-01 to 2024-01-01"]
    assert sum(bounds.tables["overview"].loc["rows_posts", bounds.names]) == len(created)
    with pytest.raises(PeerscopeError, match="increase"):
        compare_windows(corpus, ["2023-01-01", "2022-01-01"])


def test_channels_are_communities(planted):
    corpus = planted[1]
    counts = corpus.posts(columns=["channel"])["channel"].value_counts()
    result = compare_channels(corpus, figures=False, **FAST)
    assert result.names == list(counts.index)
    for channel, n in counts.items():
        assert result.tables["overview"].at["rows_posts", channel] == n


def test_write_gives_the_files_of_a_report(planted_comparison, tmp_path):
    target = planted_comparison.write(tmp_path / "out", figure_formats=())
    assert target.name == "report.html"
    for name in ("participation", "reciprocity", "bands", "overview"):
        for suffix in ("csv", "md", "tex"):
            assert (tmp_path / "out" / "tables" / f"{name}.{suffix}").is_file()
    text = (tmp_path / "out" / "report.md").read_text()
    assert "| label | A | A ci_low |" in text and "B - A p" in text
    assert "Newcombe" in (tmp_path / "out" / "methods.md").read_text()
    suppression = pd.read_csv(tmp_path / "out" / "suppression.csv")
    assert "community" in suppression.columns


@pytest.fixture(scope="module")
def planted_figures(planted):
    pytest.importorskip("matplotlib")
    return compare(planted, names=["A", "B"], **FAST)


def test_figures_overlay_the_communities(planted_figures):
    result = planted_figures
    lorenz = result.figures["lorenz"]
    labels = [line.get_label() for line in lorenz.axes[0].get_lines()]
    assert {"A (members)", "B (members)"} <= set(labels)
    assert "survival" in result.figures


def test_rank_frequency_overlays_each_communitys_posters_and_fits(planted_figures):
    result = planted_figures
    assert result.titles["rank_frequency"].startswith("Rank-frequency of posts per poster")
    lines = {line.get_gid(): line for line in result.figures["rank_frequency"].axes[0].get_lines()}
    assert sorted(gid for gid in lines if gid.endswith(": posters")) == ["A: posters", "B: posters"]
    for name, report in zip(result.names, result.reports):
        # the points are the report's posts per poster, most first, at ranks 1, 2, ...
        activity = report.results["activity"]
        counts = np.sort(activity.loc[activity["posts"] > 0, "posts"].to_numpy())[::-1]
        points = lines[f"{name}: posters"]
        np.testing.assert_array_equal(points.get_ydata(), counts)
        np.testing.assert_array_equal(points.get_xdata(), np.arange(1, len(counts) + 1))
        # the Zipf line is the one of the report's fits table
        fits = report.tables["fits"]
        ranks = lines[f"{name}: zipf"].get_xdata()
        expected = 10 ** (fits.at["zipf_intercept", "value"] + fits.at["zipf_slope", "value"] * np.log10(ranks))
        np.testing.assert_allclose(lines[f"{name}: zipf"].get_ydata(), expected)
        assert f"{name}: power law" in lines
    # one line style and marker per community
    assert lines["A: zipf"].get_linestyle() != lines["B: zipf"].get_linestyle()
    assert lines["A: posters"].get_marker() != lines["B: posters"].get_marker()


def test_without_support_results_the_support_figure_is_absent_and_said_so(planted_figures):
    assert "support_shares" not in planted_figures.figures
    notes = [n for n in planted_figures.not_computed if n.startswith("figure support_shares: not drawn")]
    assert len(notes) == 1 and "'A': not asked for (support=None)" in notes[0] and "'B'" in notes[0]


def test_support_shares_are_drawn_where_a_community_has_them():
    pytest.importorskip("matplotlib")
    labelled, _ = synth.generate(1500, seed=1, with_text=True)
    plain, _ = synth.generate(1500, seed=2, with_text=False)
    posts = plain.posts(columns="all").assign(text=None)
    no_text = Corpus.from_frames(posts, plain.members(columns="all"), name="no text")
    result = compare([labelled, no_text], names=["text", "no text"], topics=None, support="forum",
                     replicates=100)
    ax = result.figures["support_shares"].axes[0]
    bars = [c for c in ax.containers if c.get_label() in result.names]
    assert [c.get_label() for c in bars] == ["text"]  # the community without text has no bars
    own = result.reports[0].tables["support_types"]
    types = [t.get_text() for t in ax.get_xticklabels()]
    assert types == [row[4:] for row in own.index if row.startswith("all.")]
    assert [p.get_height() for p in bars[0]] == pytest.approx([own.at[f"all.{t}", "share"] for t in types])
    assert sum(1 for c in ax.containers if c not in bars) == 1  # the intervals of the one community drawn
    assert "figure support_shares: not drawn for 'no text' (no post text)" in result.not_computed
    lines = {line.get_gid() for line in result.figures["rank_frequency"].axes[0].get_lines()}
    assert {"text: posters", "no text: posters"} <= lines


def test_figures_resting_on_fewer_people_than_the_threshold_are_not_drawn():
    pytest.importorskip("matplotlib")
    from peerscope.datasets.examples import tiny_forum

    result = compare([tiny_forum(), tiny_forum()], names=["x", "y"], topics=None, support="forum",
                     replicates=50)
    assert "rank_frequency" not in result.figures and "support_shares" not in result.figures
    notes = {n.split(":")[0]: n for n in result.not_computed if n.startswith("figure ")}
    assert "'x': 2 poster(s), fewer than 5" in notes["figure rank_frequency"]
    assert "fewer than 5 authors" in notes["figure support_shares"]


def test_the_command_writes_the_files_and_exits_2_on_bad_input(planted, tmp_path):
    a, b = planted
    a.save(tmp_path / "a")
    b.save(tmp_path / "b")
    runner = CliRunner()
    options = ["--topics", "none", "--support", "none", "--replicates", "200", "--figures", ""]
    done = runner.invoke(compare_command, [str(tmp_path / "a"), str(tmp_path / "b"), "--out",
                                           str(tmp_path / "out"), "--names", "A,B", *options])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "out" / "report.html").is_file()
    assert (tmp_path / "out" / "tables" / "participation.csv").is_file()
    assert done.output.startswith("comparison written to")
    bad_rule = runner.invoke(compare_command, [str(tmp_path / "a"), "--out", str(tmp_path / "x"),
                                               "--super-users", "top:2", *options])
    assert bad_rule.exit_code == 2 and "peerscope: error: super-user rule" in bad_rule.stderr
    bad_names = runner.invoke(compare_command, [str(tmp_path / "a"), str(tmp_path / "b"), "--out",
                                                str(tmp_path / "y"), "--names", "A", *options])
    assert bad_names.exit_code == 2 and "1 name(s) for 2 communities" in bad_names.stderr
    bad_windows = runner.invoke(compare_command, [str(tmp_path / "a"), "--out", str(tmp_path / "z"),
                                                  "--windows", "2023,2021", *options])
    assert bad_windows.exit_code == 2
    two_splits = runner.invoke(compare_command, [str(tmp_path / "a"), str(tmp_path / "b"), "--out",
                                                 str(tmp_path / "w"), "--by-channel", *options])
    assert two_splits.exit_code == 2


@pytest.mark.shared_data
def test_the_als_forum_beside_the_stack_exchange_dump(shared_data):
    from peerscope import loaders

    mapping = {"thread_id": "post_id", "author_id": "user_name", "created_at": "date",
               "text": "body", "title": "title", "is_reply": "reply"}
    als = loaders.table(shared_data / "forum-alsforums-caregivers" / "als.csv", mapping,
                        replies="flat", assume_tz="UTC")
    dump = loaders.stackexchange(shared_data / "stackexchange-quantumcomputing-2018")
    result = compare([als, dump], names=["ALS", "quantumcomputing"], figures=False, **FAST)
    table = result.tables["participation"]
    for name, report in zip(result.names, result.reports):
        for row in ("posters", "gini_posters", "super_user_share", "lurker_share"):
            assert table.at[row, name] == report.tables["participation"].at[row, "value"] or (
                table.at[row, name].startswith("not measurable")), (name, row)
    assert table.at["lurker_share", "ALS"].startswith("not measurable: no member roster")
    assert 0.8 < table.at["lurker_share", "quantumcomputing"] < 0.95  # 88% of registered users never posted
    responsiveness = result.tables["responsiveness"]
    assert responsiveness.at["hours_to_first_response_q50", "ALS"] == "not measurable"
    assert isinstance(responsiveness.at["hours_to_first_response_q50", "quantumcomputing"], float)
    measures = set(result.differences["measure"])
    assert {"gini_posters", "super_user_share", "dyadic_reciprocity", "answered_share"} <= measures


@pytest.fixture(scope="module")
def three_real(shared_data):
    """The shared Stack Exchange dump, the ALS forum and the Reddit comments."""
    from peerscope import loaders

    mapping = {"thread_id": "post_id", "author_id": "user_name", "created_at": "date",
               "text": "body", "title": "title", "is_reply": "reply"}
    return {"quantumcomputing": loaders.stackexchange(shared_data / "stackexchange-quantumcomputing-2018"),
            "ALS": loaders.table(shared_data / "forum-alsforums-caregivers" / "als.csv", mapping,
                                 replies="flat", assume_tz="UTC"),
            "reddit": loaders.reddit(shared_data / "reddit-mh-comments" / "reddit_post_comments.csv")}


@pytest.mark.shared_data
def test_the_dump_the_als_forum_and_reddit_side_by_side(three_real, tmp_path):
    """Issue 22: each column equals the community's own report; what one cannot measure is marked there only."""
    result = compare(list(three_real.values()), names=list(three_real), figures=False, **FAST)
    result.write(tmp_path / "out", figure_formats=())
    for name in ("overview", "participation", "bands", "reciprocity", "responsiveness", "engagement"):
        assert (tmp_path / "out" / "tables" / f"{name}.csv").is_file(), name
    sections = {"participation": ["members", "posters", "lurkers", "lurker_share", "one_time_posters",
                                  "gini_members", "gini_posters", "top_0.01_share", "super_users",
                                  "super_user_share"],
                "reciprocity": ["edges", "reciprocated_edges", "dyadic_reciprocity", "role_both"],
                "responsiveness": ["opening_posts", "answered", "answered_share", "hours_to_first_response_q50"]}
    for name, corpus in three_real.items():
        alone = build(corpus, figures=False, **FAST)
        for key, rows in sections.items():
            table = result.tables[key]
            own = alone.tables.get(key)
            for row in rows:
                cell = table.at[row, name]
                if isinstance(cell, str) and cell.startswith("not measurable"):
                    assert own is None or row not in own.index or own.at[row, "value"] in (None, "not measurable") \
                        or pd.isna(own.at[row, "value"]), (name, key, row)
                else:
                    assert cell == own.at[row, "value"], (name, key, row)
        for band in ("superusers", "contributors", "lurkers"):
            cell = result.tables["bands"].at[band, name]
            assert cell == alone.tables["bands"].at[band, "share_of_posts"] or cell.startswith("not measurable")
    participation = result.tables["participation"]
    # Reddit comments carry no roster: lurkers are unmeasurable in its column only
    for row in ("members", "lurkers", "lurker_share", "gini_members"):
        assert participation.at[row, "reddit"].startswith("not measurable: no member roster"), row
        assert participation.at[row, "ALS"].startswith("not measurable: no member roster"), row
        assert not isinstance(participation.at[row, "quantumcomputing"], str), row
    assert result.tables["bands"].at["superusers", "reddit"].startswith("not measurable")
    assert isinstance(participation.at["gini_posters", "reddit"], float)
    # no comment-to-comment replies and no post authors: no reply edges between people
    assert result.tables["reciprocity"].at["dyadic_reciprocity", "reddit"].startswith("not measurable")
    assert result.tables["responsiveness"].at["answered_share", "reddit"].startswith("not measurable")
    assert result.tables["responsiveness"].at["hours_to_first_response_q50", "ALS"] == "not measurable"
    assert not result.tables["participation"][["quantumcomputing", "ALS", "reddit"]].isna().any(axis=None)
    written = pd.read_csv(tmp_path / "out" / "tables" / "participation.csv", index_col=0)
    assert int(written.at["posters", "reddit"]) == participation.at["posters", "reddit"]


@pytest.mark.shared_data
def test_the_als_forum_by_year(three_real, shared_data):
    """Issue 22: --windows on the ALS forum gives one column per year, 2017 to 2021."""
    als = three_real["ALS"]
    years = pd.to_datetime(pd.read_csv(shared_data / "forum-alsforums-caregivers" / "als.csv")["date"]).dt.year
    assert sorted(years.unique()) == [2017, 2018, 2019, 2020, 2021]
    result = compare_windows(als, sorted(years.unique()), figures=False, **FAST)
    assert result.names == ["2017", "2018", "2019", "2020", "2021"]
    overview = result.tables["overview"]
    for year, n in years.value_counts().items():
        assert overview.at["rows_posts", str(year)] == n, year
    assert result.tables["participation"].at["posters", "2018"] == \
        build(als, start="2018-01-01", end="2019-01-01", figures=False, **FAST).tables["participation"].at[
            "posters", "value"]


@pytest.mark.shared_data
def test_the_command_splits_the_als_forum_by_year(three_real, tmp_path):
    three_real["ALS"].save(tmp_path / "als")
    done = CliRunner().invoke(compare_command, [str(tmp_path / "als"), "--windows", "2017,2018,2019,2020,2021",
                                                "--out", str(tmp_path / "by-year"), "--topics", "none",
                                                "--support", "none", "--replicates", "200", "--figures", ""])
    assert done.exit_code == 0, done.output
    written = pd.read_csv(tmp_path / "by-year" / "tables" / "participation.csv", index_col=0)
    assert [c for c in written.columns if c.isdigit()] == ["2017", "2018", "2019", "2020", "2021"]
