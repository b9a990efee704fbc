"""Every result object shows itself briefly, renders escaped HTML, has a typed frame and plots."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from peerscope import Corpus, participation, pluralism, reciprocity
from peerscope.datasets import synth
from peerscope.participation import engagement
from peerscope.pluralism import newsletters

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def results() -> dict:
    """One of each public result type, from a small synthetic community."""
    corpus, _ = synth.generate(2000, seed=3)
    summary = participation.summary(corpus, replicates=100)
    recip = reciprocity.summary(corpus)
    uses = pluralism.forms_in_use(corpus)
    return {
        "ParticipationSummary": summary, "GiniResult": summary.gini_members, "ZipfFit": summary.zipf,
        "PowerLawFit": summary.power_law, "Selection": summary.super_users,
        "LadderMoves": engagement.ladder_by_month(corpus), "Survival": engagement.survival(corpus),
        "TimeProfile": engagement.time_profile(corpus),
        "ReciprocitySummary": recip, "ReplyGraph": recip.graph, "DyadicReciprocity": recip.dyadic,
        "Balance": recip.balance, "GeneralisedReciprocity": recip.generalised,
        "SerialReciprocity": recip.serial, "Responsiveness": recip.responsiveness, "Motifs": recip.motifs,
        "FormsInUse": uses, "TenureCurve": pluralism.forms_over_tenure(uses),
        "Pathways": pluralism.pathways(uses), "Combinations": pluralism.combinations(uses),
        "ActivePassive": pluralism.active_passive(uses), "NewsletterSummary": newsletters.summary(corpus),
    }


@pytest.fixture(scope="module")
def hostile() -> Corpus:
    """Three posts by a member whose id is markup, one by ``bob``."""
    t = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"], utc=True)
    posts = pd.DataFrame({"post_id": ["p1", "p2", "p3", "p4"], "thread_id": ["p1", "p1", "p1", "p4"],
                          "parent_id": [None, "p1", "p2", None],
                          "author_id": [HOSTILE, "bob", HOSTILE, HOSTILE], "created_at": t,
                          "text": ["a", "b", "c", "d"]})
    return Corpus.from_frames(posts)


@pytest.fixture
def plt():
    """pyplot on the Agg backend; figures closed after each test."""
    matplotlib = pytest.importorskip("matplotlib", reason="matplotlib is not installed (the report extra)")
    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    yield pyplot
    pyplot.close("all")


def test_every_type_is_covered(results):
    assert {type(result).__name__ for result in results.values()} == set(results)


def test_repr_is_short_rounded_and_never_a_frame_dump(results):
    for name, result in results.items():
        text = repr(result)
        lines = text.splitlines()
        assert lines[0] == name
        assert 2 <= len(lines) <= 15, (name, text)
        assert not re.search(r"\.\d{5,}", text), (name, text)
        assert "rows x" not in text and "columns]" not in text, (name, text)
    assert len(repr(results["ParticipationSummary"])) <= 1200


def test_repr_formats_counts_intervals_and_missing_values(results):
    summary = results["ParticipationSummary"]
    text = repr(summary)
    assert f"{summary.posts_total:,}" in text and "," in f"{summary.posts_total:,}"
    gini = summary.gini_members
    assert re.search(r"gini \(members\)\s+0\.\d{1,3} \[0\.\d{1,3}, 0\.\d{1,3}\]", text), text
    assert f"DataFrame of {len(summary.lorenz)} rows" in text
    assert repr(participation.inequality.zipf_fit([1, 1])).count("n/a") == 3
    assert "n/a" in repr(gini.__class__(None, None, None, 0, "members", 0.95, 0, None, reason="none"))


def test_long_reprs_are_cut_to_15_lines():
    frame = pd.DataFrame({"form": [f"form{i}" for i in range(30)], "members": 2, "active": 1,
                          "share_active": 0.5})
    lines = repr(pluralism.ActivePassive(frame, {})).splitlines()
    assert len(lines) == 15 and lines[-1] == "  ... 17 more: see to_frame()"


def test_html_is_escaped(results, hostile):
    summary = participation.summary(hostile, replicates=0)
    assert summary.super_users.member_ids == (HOSTILE,)
    for result in (summary, summary.super_users, reciprocity.summary(hostile).balance):
        page = result._repr_html_()
        assert page.startswith("<table") and "<script>" not in page
    assert "&lt;script&gt;" in summary.super_users._repr_html_()
    for name, result in results.items():
        assert f"<caption>{name}</caption>" in result._repr_html_()


def test_to_frame_counts_are_integers_and_shares_floats(results):
    frame = results["ParticipationSummary"].to_frame()
    assert str(frame["count"].dtype) == "Int64" and frame["value"].dtype == np.float64
    counts = frame[frame["kind"] == "count"]
    assert counts["count"].notna().any() and counts["value"].isna().all()
    assert frame.loc[frame["kind"] == "share", "count"].isna().all()
    assert frame.set_index("statistic").loc["posters", "count"] == results["ParticipationSummary"].posters
    assert "window" not in set(frame["statistic"]) and frame.attrs["parameters"]["replicates"] == 100
    frame = results["ReciprocitySummary"].to_frame()
    assert str(frame["count"].dtype) == "Int64" and frame["value"].dtype == np.float64
    assert set(frame.columns) == {"section", "statistic", "kind", "count", "value", "detail"}
    assert frame.attrs["parameters"]["tenure_bins"] == 4
    expected = {"GiniResult": ({"n"}, {"value", "ci_low", "ci_high"}),
                "ZipfFit": ({"n"}, {"slope", "r_squared"}),
                "PowerLawFit": ({"x_min", "n_tail", "n"}, {"alpha", "ks_distance"}),
                "Selection": ({"rank"}, set()),
                "DyadicReciprocity": ({"edges", "reciprocated_edges"}, {"dyadic_reciprocity"}),
                "Balance": ({"given", "received"}, {"balance"}),
                "SerialReciprocity": ({"members"}, {"mean_giving_share"}),
                "Responsiveness": ({"n_responses"}, {"hours_to_first_response"}),
                "Motifs": ({"exchanges"}, set()),
                "ReplyGraph": ({"replies"}, set()),
                "LadderMoves": ({"members", "moved_up"}, {"share_moved_up"}),
                "Survival": ({"at_risk", "withdrawn"}, {"survival"}),
                "TimeProfile": ({"posts"}, {"share"}),
                "TenureCurve": ({"members"}, {"mean_forms"}),
                "ActivePassive": ({"members", "active"}, {"share_active"}),
                "NewsletterSummary": ({"issues", "items"}, {"member_item_share"})}
    for name, (integers, floats) in expected.items():
        frame = results[name].to_frame()
        for column in integers:
            assert pd.api.types.is_integer_dtype(frame[column].dtype), (name, column, frame[column].dtype)
        for column in floats:
            assert pd.api.types.is_float_dtype(frame[column].dtype), (name, column, frame[column].dtype)
        parameters = frame.attrs.get("parameters", {})
        assert not set(parameters) & set(frame.columns), (name, parameters)


def test_plot_returns_axes_for_every_plotting_type(results, plt):
    from matplotlib.axes import Axes

    summary = results["ParticipationSummary"]
    drawn = [summary.plot(), summary.plot(kind="bands"), summary.plot(kind="rank_frequency"),
             results["ReciprocitySummary"].plot(), results["Balance"].plot(), results["Survival"].plot(),
             results["LadderMoves"].plot(), results["TimeProfile"].plot(), results["TenureCurve"].plot(),
             results["TenureCurve"].plot(kind="shares")]
    assert all(isinstance(ax, Axes) for ax in drawn)
    assert all(ax.has_data() for ax in drawn)
    _, ax = plt.subplots()
    assert summary.plot(ax, color="red") is ax and ax.lines[1].get_color() == "red"
    with pytest.raises(Exception, match="kind"):
        summary.plot(kind="pie")


def test_report_figures_and_plot_draw_the_same_data(results, plt):
    from peerscope.report import figures

    summary = results["ParticipationSummary"]
    figure_lines = figures.lorenz(summary, "footer").axes[0].lines
    plot_lines = summary.plot().lines
    for a, b in zip(figure_lines[:2], plot_lines[:2]):
        np.testing.assert_array_equal(a.get_xydata(), b.get_xydata())
    np.testing.assert_array_equal(plot_lines[1].get_xdata(), summary.lorenz["share_of_people"])

    survival = results["Survival"]
    np.testing.assert_array_equal(figures.survival(survival, 0, "f").axes[0].lines[0].get_xydata(),
                                  survival.plot().lines[0].get_xydata())
    balance = results["Balance"]
    np.testing.assert_array_equal(figures.give_receive(balance, "f").axes[0].collections[0].get_offsets(),
                                  balance.plot().collections[0].get_offsets())


def test_rank_frequency_plots_the_posters_counts(plt):
    from peerscope.datasets.examples import tiny_forum

    summary = participation.summary(tiny_forum(), replicates=0)  # ann 3 posts, bob 1
    points = summary.plot(kind="rank_frequency").lines[0].get_ydata()
    assert points.tolist() == [3.0, 1.0]


@pytest.mark.shared_data
def test_stack_exchange_summary_is_short_has_html_and_plots(shared_data):
    """The issue's check on the shared Stack Exchange dump: a short repr, a notebook view, pictures."""
    pytest.importorskip("matplotlib")
    from matplotlib.axes import Axes

    from peerscope.loaders import stackexchange

    corpus = stackexchange(shared_data / "stackexchange-quantumcomputing-2018")
    summary = participation.summary(corpus, replicates=100)
    assert len(repr(summary)) <= 1200 and len(repr(summary).splitlines()) <= 15
    assert "<table" in summary._repr_html_()
    assert isinstance(summary.plot(), Axes)
    assert isinstance(reciprocity.summary(corpus).plot(), Axes)
