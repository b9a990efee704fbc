"""A report on real data: the Stack Exchange quantumcomputing dump (2018-03..09)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from peerscope import participation, reciprocity
from peerscope.loaders import stackexchange
from peerscope.report import build

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def dump(shared_data):
    return shared_data / "stackexchange-quantumcomputing-2018"


@pytest.fixture(scope="module")
def corpus(dump):
    return stackexchange(dump)


@pytest.fixture(scope="module")
def report(corpus):
    return build(corpus, figures=False, topics=None, support=None)


def test_participation_table_equals_summary(corpus, report):
    s = participation.summary(corpus)
    table = report.tables["participation"]
    for row in ("members", "posters", "lurkers", "lurker_share", "one_time_posters", "posts_total",
                "posts_by_members", "posts_by_unknown_authors", "super_user_share"):
        assert table.at[row, "value"] == getattr(s, row), row
    assert table.at["gini_members", "value"] == s.gini_members.value
    assert table.at["gini_members", "ci_low"] == s.gini_members.ci_low
    assert table.at["super_users", "value"] == len(s.super_users.member_ids)
    for band, share in s.band_shares.items():
        assert report.tables["bands"].at[band, "share_of_posts"] == share
    r = reciprocity.summary(corpus)
    assert report.tables["reciprocity"].at["dyadic_reciprocity", "value"] == r.dyadic_reciprocity


def test_members_and_posts_from_the_raw_files(dump, report):
    def rows(name):
        return re.findall(r"<row [^>]*>", (dump / name).read_text(encoding="utf-8-sig"))

    def field(row, name):
        found = re.search(rf'\b{name}="(-?\d+)"', row)
        return found.group(1) if found else None

    users = {field(r, "Id") for r in rows("Users.xml")}
    kinds = {field(r, "Id"): (field(r, "PostTypeId"), field(r, "ParentId")) for r in rows("Posts.xml")}
    questions = {i for i, (kind, _) in kinds.items() if kind == "1"}
    answers = {i for i, (kind, parent) in kinds.items() if kind == "2" and parent in questions}
    comments = [r for r in rows("Comments.xml") if field(r, "PostId") in questions | answers]
    table = report.tables["participation"]
    # every user but the Community bot (-1) is a member of the roster
    assert table.at["members", "value"] == len(users - {"-1"}) == 3460
    # questions, answers to questions in the dump, and comments on them (tag wikis are skipped)
    assert table.at["posts_total", "value"] == len(questions) + len(answers) + len(comments) == 5085
    assert report.tables["overview"].at["skipped_posts", "value"] == len(kinds) - len(questions | answers) == 314


def test_what_the_dump_cannot_measure_is_named(report):
    assert report.tables["measurability"].at["pluralistic use", "measurable"] == "no"
    assert any(n.startswith("forms and pathways: not computed") for n in report.not_computed)
    assert any(n.startswith("newsletters: not computed (no newsletter items)") for n in report.not_computed)
    assert "forms_over_tenure" not in report.tables and "newsletters" not in report.tables
    assert "Measured: lurkers (member roster present)." in report.notes["participation"]


def test_a_window_of_the_dump(corpus):
    windowed = build(corpus, start="2018-05-01", end="2018-08-01", figures=False, replicates=100,
                     topics=None, support=None)
    s = participation.summary(corpus, "2018-05-01", "2018-08-01", replicates=100)
    table = windowed.tables["participation"]
    assert table.at["posts_total", "value"] == s.posts_total < 5085
    assert table.at["posters", "value"] == s.posters
    assert table.at["gini_posters", "value"] == s.gini_posters.value
    assert "2018-05-01" in windowed.methods


def test_the_report_with_six_topics_and_forum_support_types(corpus, tmp_path):
    """Issue 19: the dump's report with --topics 6 --support forum writes the three tables (speed is in
    benchmarks/report.py)."""
    build(corpus, topics=6, support="forum").write(tmp_path)
    html = (tmp_path / "report.html").read_text()
    assert "quantumcomputing" in html and pd.read_csv(tmp_path / "tables" / "participation.csv").shape[0] > 10
    topics = pd.read_csv(tmp_path / "tables" / "topics.csv", index_col=0)
    assert len(topics) == 6 + 1 and topics.loc["all", "npmi"] > topics.loc["all", "shuffled_baseline_npmi"]
    odds = pd.read_csv(tmp_path / "tables" / "topic_odds.csv", index_col=0)
    assert len(odds) == 6 and odds["p_holm"].between(0, 1).all()
    support = pd.read_csv(tmp_path / "tables" / "support_types.csv", index_col=0)
    all_posts = support[support["group"] == "all"]
    assert set(all_posts["support_type"]) == {"emotional", "informational", "other"}
    assert all_posts["share"].sum() == pytest.approx(1.0)
    # a Q&A site about quantum computing: far more informational than emotional support
    assert all_posts.set_index("support_type").at["informational", "share"] > \
        5 * all_posts.set_index("support_type").at["emotional", "share"]
