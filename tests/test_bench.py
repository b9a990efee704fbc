"""``peerscope bench``: every public corpus in the shared data, beside the published figures.

The bench doubles as a regression suite: its numbers on the shared data are
checked here against values computed by hand from the raw files (regular
expressions over the Stack Exchange XML, plain pandas over the ALSForums
CSV and the CL-Aff files), not through peerscope.  The bench runs once per
module.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from peerscope.cli.bench import bench_command
from peerscope.datasets import synth
from peerscope.report import bench as report_bench
from peerscope.report.bench import PUBLISHED, BenchError, beside_published, bench
from peerscope.report.compare import compare

pytestmark = pytest.mark.shared_data

SE = "quantumcomputing-2018"
ALS = "alsforums-caregivers"


@pytest.fixture(scope="module")
def run(shared_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    return bench(shared_data, out, replicates=200, figures=False), out


# ---------------------------------------------------------------------------
# By hand, from the raw files
# ---------------------------------------------------------------------------

def _gini(counts) -> float:
    x = np.sort(np.asarray(counts, dtype=float))
    n = len(x)
    return float(2 * np.sum(np.arange(1, n + 1) * x) / (n * x.sum()) - (n + 1) / n)


def _dyadic(authors: pd.Series, targets: pd.Series) -> tuple[int, int]:
    """(reciprocated, distinct) directed edges between different known people."""
    pairs = pd.DataFrame({"u": authors.to_numpy(), "v": targets.to_numpy()}).dropna()
    edges = set(zip(pairs["u"], pairs["v"])) - {(u, u) for u in pairs["u"]}
    return sum((v, u) in edges for u, v in edges), len(edges)


@pytest.fixture(scope="module")
def se_by_hand(shared_data):
    dump = shared_data / "stackexchange-quantumcomputing-2018"

    def rows(name):
        return re.findall(r"<row [^>]*>", (dump / name).read_text(encoding="utf-8-sig"))

    def field(row, name):
        found = re.search(rf'\b{name}="(-?\d+)"', row)
        return found.group(1) if found else None

    users = {field(r, "Id") for r in rows("Users.xml")} - {"-1"}  # -1: the Community bot
    posts = pd.DataFrame([(field(r, "Id"), field(r, "PostTypeId"), field(r, "ParentId"), field(r, "OwnerUserId"))
                          for r in rows("Posts.xml")], columns=["id", "type", "parent", "author"])
    questions = posts[posts["type"] == "1"]
    kept = pd.concat([questions, posts[(posts["type"] == "2") & posts["parent"].isin(questions["id"])]])
    comments = pd.DataFrame([(field(r, "PostId"), field(r, "UserId")) for r in rows("Comments.xml")],
                            columns=["parent", "author"])
    comments = comments[comments["parent"].isin(kept["id"])]
    owner = kept.set_index("id")["author"]
    every = pd.concat([kept[["author"]].assign(target=kept["parent"].map(owner)),
                       comments[["author"]].assign(target=comments["parent"].map(owner))])
    every = every.replace({"-1": None})
    counts = every["author"].dropna().value_counts()
    members = np.concatenate([counts.to_numpy(), np.zeros(len(users) - len(counts))])
    ranked = np.sort(members)[::-1]
    top, middle = math.ceil(0.01 * len(users)), math.ceil(0.10 * len(users))
    reciprocated, edges = _dyadic(every["author"], every["target"])
    return {"members": len(users), "posters": len(counts), "lurkers": len(users) - len(counts),
            "gini_posters": _gini(counts), "reciprocated": reciprocated, "edges": edges,
            "bands": {"superusers": ranked[:top].sum() / ranked.sum(),
                      "contributors": ranked[top:middle].sum() / ranked.sum(),
                      "lurkers": ranked[middle:].sum() / ranked.sum()}}


@pytest.fixture(scope="module")
def als_by_hand(shared_data):
    raw = pd.read_csv(shared_data / "forum-alsforums-caregivers" / "als.csv")
    raw = raw.assign(row=np.arange(len(raw)), at=pd.to_datetime(raw["date"]))
    # the opening post: the earliest reply=False row of its thread (file order breaks ties); the
    # others (pagination) are replies like the rest, all to the opening post (flat threads)
    opening = raw[~raw["reply"]].sort_values(["post_id", "at", "row"]).drop_duplicates("post_id")
    replies = raw[~raw["row"].isin(opening["row"])]
    opener = opening.set_index("post_id")["user_name"]
    counts = raw["user_name"].value_counts()
    reciprocated, edges = _dyadic(replies["user_name"], replies["post_id"].map(opener))
    return {"posters": len(counts), "gini_posters": _gini(counts), "reciprocated": reciprocated, "edges": edges}


# ---------------------------------------------------------------------------
# Pinned numbers
# ---------------------------------------------------------------------------

def test_stack_exchange_numbers_equal_the_raw_dump(run, se_by_hand):
    result, _ = run
    participation = result.comparison.tables["participation"]
    assert participation.at["members", SE] == se_by_hand["members"] == 3460
    assert participation.at["posters", SE] == se_by_hand["posters"] == 402
    assert participation.at["lurkers", SE] == se_by_hand["lurkers"] == 3058
    assert participation.at["gini_posters", SE] == pytest.approx(se_by_hand["gini_posters"], abs=1e-12)
    assert round(se_by_hand["gini_posters"], 4) == 0.7870
    reciprocity = result.comparison.tables["reciprocity"]
    assert (reciprocity.at["reciprocated_edges", SE], reciprocity.at["edges", SE]) == \
        (se_by_hand["reciprocated"], se_by_hand["edges"]) == (658, 1771)
    assert reciprocity.at["dyadic_reciprocity", SE] == pytest.approx(658 / 1771, abs=1e-12)


def test_als_numbers_equal_the_raw_csv(run, als_by_hand):
    result, _ = run
    participation = result.comparison.tables["participation"]
    assert participation.at["posters", ALS] == als_by_hand["posters"] == 200
    for row in ("members", "lurkers"):  # a scrape of posts has no roster
        assert participation.at[row, ALS].startswith("not measurable: no member roster"), row
    assert participation.at["gini_posters", ALS] == pytest.approx(als_by_hand["gini_posters"], abs=1e-12)
    assert round(als_by_hand["gini_posters"], 4) == 0.7498
    reciprocity = result.comparison.tables["reciprocity"]
    assert (reciprocity.at["reciprocated_edges", ALS], reciprocity.at["edges", ALS]) == \
        (als_by_hand["reciprocated"], als_by_hand["edges"]) == (48, 785)


def test_published_figures_beside_the_measured_ones(run, se_by_hand, shared_data):
    result, _ = run
    published = result.published
    assert list(published.index) == [f.key for f in PUBLISHED]
    assert published.loc[["band_top_1", "band_next_9", "band_bottom_90"], "published"].tolist() == \
        [0.747, 0.240, 0.013]
    for key, band in (("band_top_1", "superusers"), ("band_next_9", "contributors"),
                      ("band_bottom_90", "lurkers")):
        assert published.at[key, SE] == pytest.approx(se_by_hand["bands"][band], abs=1e-12), key
        assert published.at[key, ALS].startswith("not measurable"), key
    assert published.at["lurker_share_health_lists", SE] == pytest.approx(3058 / 3460, abs=1e-12)
    assert published.at["zipf_r_squared", "published"] == "0.95 to 0.975"
    # no public corpus records other forms of support than online posts
    assert published.at["forms_month_0", SE].startswith("not measurable: forms present")
    # CL-Aff: the share of sentences labelled Emo_support, train and test files together
    claff = pd.concat([pd.read_csv(shared_data / "claff-offmychest" / name)
                       for name in ("labeled_training_set.csv", "labeled_test_set.csv")])
    assert published.at["nurturant_share", "claff-offmychest"] == pytest.approx((claff["Emo_support"] == 1).mean())
    assert round(published.at["nurturant_share", "claff-offmychest"], 4) == round((1006 + 947) / 17860, 4)
    assert published.at["band_top_1", "esconv"].startswith("not applicable")
    assert published.at["nurturant_share", SE].startswith("not measured: support types")


def test_what_the_folder_holds_and_lacks(run):
    result, out = run
    corpora = result.corpora
    assert set(corpora.index[corpora["status"] == "found"]) == {
        SE, ALS, "agingcare-caregivers", "reddit-mh-comments", "numpy-discussion", "esconv",
        "counselchat-mi", "claff-offmychest"}
    assert corpora.at["convokit", "status"] == "not found"  # the shared data hold no ConvoKit corpus
    assert corpora.at[ALS, "rows"] == 2447 and corpora.at["agingcare-caregivers", "rows"] == 4114
    assert result.comparison.names == [SE, ALS, "agingcare-caregivers", "reddit-mh-comments",
                                       "numpy-discussion"]
    assert any(n.startswith("Not found: ConvoKit corpora") for n in result.notes)
    assert result.seconds < 300  # issue 22: under 5 minutes on the shared data
    written = pd.read_csv(out / "tables" / "published.csv", index_col=0)
    assert float(written.at["band_top_1", SE]) == result.published.at["band_top_1", SE]
    assert (out / "report.html").is_file() and (out / "tables" / "participation.csv").is_file()
    text = (out / "bench.md").read_text()
    assert "van Mierlo 2014" in text and "not found" in text and "no sample" in text


# ---------------------------------------------------------------------------
# The command, a partial folder, and the pluralism and support rows
# ---------------------------------------------------------------------------

def test_the_command_lists_what_a_partial_folder_lacks(shared_data, tmp_path):
    data = tmp_path / "data"
    (data / "forum-alsforums-caregivers").mkdir(parents=True)
    (data / "forum-alsforums-caregivers" / "als.csv").symlink_to(
        shared_data / "forum-alsforums-caregivers" / "als.csv")
    runner = CliRunner()
    done = runner.invoke(bench_command, ["--data", str(data), "--out", str(tmp_path / "out"), "--replicates", "50",
                                         "--figures", ""])
    assert done.exit_code == 0, done.output
    assert done.output.startswith(f"bench written to {tmp_path / 'out'}: 1 corpora found (alsforums-caregivers)")
    corpora = pd.read_csv(tmp_path / "out" / "tables" / "corpora.csv", index_col=0)
    assert (corpora.drop(index=ALS)["status"] == "not found").all() and len(corpora) == 9
    (tmp_path / "empty").mkdir()
    empty = runner.invoke(bench_command, ["--data", str(tmp_path / "empty"), "--out", str(tmp_path / "x")])
    assert empty.exit_code == 2 and "no community corpus found under" in empty.stderr
    missing = runner.invoke(bench_command, ["--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "y")])
    assert missing.exit_code == 2 and "does not exist" in missing.stderr


def test_a_malformed_labelled_file_is_named(shared_data, tmp_path):
    data = tmp_path / "data"
    (data / "forum-alsforums-caregivers").mkdir(parents=True)
    (data / "forum-alsforums-caregivers" / "als.csv").symlink_to(
        shared_data / "forum-alsforums-caregivers" / "als.csv")
    (data / "claff-offmychest").mkdir()
    (data / "claff-offmychest" / "labeled_test_set.csv").write_text("Emo_support,Info_support\n1,0\n2,0\n")
    with pytest.raises(BenchError, match=r"labeled_test_set.csv, column 'Emo_support': 1 value\(s\) are not 0 or 1"):
        bench(data, figures=False, replicates=0)


def test_the_function_is_exported_from_the_report_package():
    assert report_bench is bench


def test_forms_and_support_rows_where_a_corpus_has_them():
    corpus, _ = synth.generate(3000, seed=1)
    both = compare([corpus], names=["synthetic"], topics=None, support="forum", replicates=50, figures=False)
    report = both.reports[0]
    frame = beside_published(both)
    assert frame.at["forms_month_0", "synthetic"] == report.tables["forms_over_tenure"].at["month_0", "mean_forms"]
    combinations = report.tables["form_combinations"]
    assert frame.at["forms_all_three", "synthetic"] == combinations.at["online+group+one_to_one", "share"]
    support = report.tables["support_types"]
    emotional = support[(support["group"] == "all") & (support["support_type"] == "emotional")]["share"]
    assert frame.at["nurturant_share", "synthetic"] == emotional.iloc[0]
    assert frame.at["socio_emotional_share", "published"] == 0.553
