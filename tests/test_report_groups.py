"""``report --by ATTRIBUTE``: groups of members side by side in the report, small groups suppressed."""

from __future__ import annotations

import warnings

import pytest
from click.testing import CliRunner

from peerscope import participation, reciprocity
from peerscope.participation import engagement
from peerscope.cli.commands import cli
from peerscope.loaders.table import table
from peerscope.report import build

pytestmark = pytest.mark.shared_data

ALS_MAPPING = {"thread_id": "post_id", "author_id": "user_name", "created_at": "date",
               "text": "body", "title": "title", "is_reply": "reply"}


@pytest.fixture(scope="module")
def als(shared_data, tmp_path_factory):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # conflicting attribute values are reported at import
        corpus = table(shared_data / "forum-alsforums-caregivers" / "als.csv", ALS_MAPPING, replies="flat",
                       assume_tz="UTC", member_attributes={"reason_joined": "user_reason_joined"})
    folder = tmp_path_factory.mktemp("als") / "als"
    return corpus.save(folder), folder


@pytest.fixture(scope="module")
def report(als):
    return build(als[0], by="reason_joined", topics=None, support=None, figures=False, replicates=200)


def test_groups_side_by_side_equal_the_group_comparisons(als, report):
    als, _ = als
    estimates = report.tables["participation_by_group"]
    # CALS 68 and PALS 44 posters: the counts tests/test_member_attributes.py checks against pandas
    assert estimates.loc["posters:CALS", "value"] == 68 and estimates.loc["posters:PALS", "value"] == 44
    comparison = participation.summary(als, by="reason_joined", replicates=200)
    gini = comparison.estimates.set_index(["statistic", "group"]).loc[("gini_posters", "CALS")]
    assert estimates.loc["gini_posters:CALS", "value"] == pytest.approx(gini["value"])
    assert estimates.loc["gini_posters:CALS", "ci_low"] == pytest.approx(gini["ci_low"])
    # the group sizes add up to the report's posters
    assert estimates.loc["posters:all", "value"] == report.tables["participation"].loc["posters", "value"]
    tests = report.tables["participation_by_group_tests"].set_index("statistic")
    expected = comparison.tests.set_index("statistic")
    assert tests.loc["posts_per_poster_median", "test"] == expected.loc["posts_per_poster_median", "test"]
    assert tests.loc["posts_per_poster_median", "p_value"] == pytest.approx(
        expected.loc["posts_per_poster_median", "p_value"])
    tenure = report.tables["tenure_by_group"]
    by_tenure = engagement.survival(als, by="reason_joined").estimates.set_index(["statistic", "group"])
    assert tenure.loc["posters:CALS", "value"] == 68
    assert tenure.loc["median_tenure_days:CALS", "value"] == pytest.approx(
        by_tenure.loc[("median_tenure_days", "CALS"), "value"])
    edges = report.tables["reciprocity_by_group"]
    by_group = reciprocity.summary(als, by="reason_joined")
    assert edges.loc["members:CALS", "value"] == by_group.sizes["CALS"]
    assert edges.loc["dyadic_reciprocity:CALS", "value"] == pytest.approx(
        by_group.estimates.set_index(["statistic", "group"]).loc[("dyadic_reciprocity", "CALS"), "value"])


def test_a_small_group_shows_nothing_but_its_size_class(report):
    estimates = report.tables["participation_by_group"]
    # 'DX MND' has 3 posters: its count is "<5", and its Gini, median and posts are hidden with it
    assert estimates.loc["posters:DX MND", "value"] == "<5"
    for row in ("gini_posters:DX MND", "posts_per_poster_median:DX MND", "posts:DX MND"):
        assert estimates.loc[row, "value"] == "suppressed", row
    assert estimates.loc["gini_posters:DX MND", "ci_low"] == "suppressed"
    logged = report.suppression[report.suppression["table"] == "participation_by_group"]
    assert {"primary", "derived"} <= set(logged["rule"])
    assert "grouped by the attribute 'reason_joined'" in report.methods
    assert "Wilson" in report.methods and "Kruskal" in report.methods and "log-rank" in report.methods
    assert report.tables["tenure_by_group"].loc["median_tenure_days:DX MND", "value"] == "suppressed"


def test_cli_report_by_writes_the_group_tables_and_names_unknown_attributes(als, tmp_path):
    _, folder = als
    out = tmp_path / "report"
    done = CliRunner().invoke(cli, ["report", str(folder), "--out", str(out), "--by", "reason_joined",
                                    "--topics", "none", "--support", "none", "--figures", "",
                                    "--no-progress"])
    assert done.exit_code == 0, done.output
    assert (out / "tables" / "participation_by_group.csv").is_file()
    assert "Participation by reason_joined" in (out / "report.md").read_text(encoding="utf-8")
    wrong = CliRunner().invoke(cli, ["report", str(folder), "--out", str(tmp_path / "x"), "--by", "diagnosis",
                                     "--topics", "none", "--support", "none", "--figures", "",
                                     "--no-progress"])
    assert wrong.exit_code == 2 and "reason_joined" in wrong.output and "Traceback" not in wrong.output
