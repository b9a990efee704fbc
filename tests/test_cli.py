"""The ``peerscope`` command: synth, validate, describe; one-line errors, exit code 2."""

from __future__ import annotations

import json
import re

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from peerscope.cli.commands import cli


@pytest.fixture(scope="module")
def community(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "community"
    result = CliRunner().invoke(cli, ["synth", str(out), "--posts", "3000", "--seed", "7"])
    assert result.exit_code == 0, result.output
    return out


def test_synth_writes_a_corpus_and_its_truth(community):
    manifest = json.loads((community / "corpus.json").read_text())
    assert manifest["tables"]["posts"]["rows"] == 3000
    assert manifest["provenance"]["source_format"] == "synthetic"
    assert (community / "truth.json").is_file()


def test_validate_passes_on_a_valid_corpus(community):
    result = CliRunner().invoke(cli, ["validate", str(community)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output and "posts 3,000 rows" in result.output


def test_describe_text_and_csv(community):
    result = CliRunner().invoke(cli, ["describe", str(community)])
    assert result.exit_code == 0
    assert "[x] lurkers: member roster present" in result.output
    result = CliRunner().invoke(cli, ["describe", str(community), "--format", "csv"])
    assert result.output.splitlines()[0] == "section,item,value"
    assert "rows,posts,3000" in result.output


def test_describe_a_window(community):
    whole = CliRunner().invoke(cli, ["describe", str(community), "--format", "csv"]).output
    part = CliRunner().invoke(cli, ["describe", str(community), "--format", "csv",
                                    "--start", "2022-06-01", "--end", "2022-07-01"]).output
    assert "rows,posts,3000" in whole and "rows,posts,3000" not in part


def test_broken_corpus_is_one_line_and_exit_2(community, tmp_path):
    broken = tmp_path / "broken"
    import shutil

    shutil.copytree(community, broken)
    table = pq.read_table(broken / "posts.parquet")
    parents = table["parent_id"].to_pylist()
    first_reply = next(i for i, p in enumerate(parents) if p is not None)
    parents[first_reply] = "no-such-post"
    table = table.set_column(table.schema.get_field_index("parent_id"), "parent_id",
                             pa.array(parents, pa.string()))
    pq.write_table(table, broken / "posts.parquet")
    edited = CliRunner().invoke(cli, ["validate", str(broken)])   # the file hashes catch the edit
    assert edited.exit_code == 2 and len(edited.output.strip().splitlines()) == 1
    assert "posts.parquet" in edited.output and "changed after the save" in edited.output
    # without the hashes (a manifest of an older peerscope) the schema rules still catch it
    manifest = json.loads((broken / "corpus.json").read_text())
    del manifest["files"]
    (broken / "corpus.json").write_text(json.dumps(manifest))
    result = CliRunner().invoke(cli, ["validate", str(broken)])
    assert result.exit_code == 2
    message = result.output.strip()
    assert len(message.splitlines()) == 1
    assert message.startswith("peerscope: error: table 'posts', column 'parent_id'")
    assert "no-such-post" in message and "Traceback" not in result.output


def test_not_a_corpus_exit_2_and_debug_shows_the_traceback(tmp_path):
    result = CliRunner().invoke(cli, ["describe", str(tmp_path)])
    assert result.exit_code == 2 and "not a peerscope corpus" in result.output
    result = CliRunner().invoke(cli, ["--debug", "describe", str(tmp_path)])
    assert result.exit_code != 0 and result.exception is not None
    assert type(result.exception).__name__ == "CorpusNotFoundError"


def test_bad_time_bound_is_a_clear_error(community):
    result = CliRunner().invoke(cli, ["describe", str(community), "--start", "last tuesday"])
    assert result.exit_code == 2 and "start='last tuesday' is not a time" in result.output


# -- import and export ----------------------------------------------------------------

def test_import_stackexchange_accounts_for_every_row(shared_data, tmp_path):
    out = tmp_path / "se"
    result = CliRunner().invoke(cli, ["import", "stackexchange",
                                      str(shared_data / "stackexchange-quantumcomputing-2018"), str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "corpus.json").read_text())
    posts = manifest["accounting"]["posts"]
    assert posts["rows_read"] == posts["rows_kept"] + posts["rows_skipped"] + posts["rows_quarantined"]
    assert f"posts: {posts['rows_read']:,} read, {posts['rows_kept']:,} kept" in result.output


def test_import_with_pseudonyms_from_an_environment_salt(shared_data, tmp_path):
    source = shared_data / "mbox-numpy-discussion-2001" / "bigbang-dev-test.txt"
    plain = CliRunner().invoke(cli, ["import", "mbox", str(source), str(tmp_path / "plain")])
    assert plain.exit_code == 0, plain.output
    hidden = CliRunner(env={"PEERSCOPE_SALT": "a long s3cret salt"}).invoke(
        cli, ["import", "mbox", str(source), str(tmp_path / "hidden"), "--pseudonymise-salt-env", "PEERSCOPE_SALT"])
    assert hidden.exit_code == 0, hidden.output
    from peerscope import open_corpus
    from peerscope.privacy import pseudonym

    authors = open_corpus(tmp_path / "plain").posts()["author_id"]
    pseudonyms = open_corpus(tmp_path / "hidden").posts()["author_id"]
    assert pseudonyms.tolist() == [pseudonym(a, "a long s3cret salt") for a in authors]
    assert "a long s3cret salt" not in (tmp_path / "hidden" / "corpus.json").read_text()


def test_import_rejects_options_of_another_format_and_a_missing_salt(shared_data, tmp_path):
    source = str(shared_data / "mbox-numpy-discussion-2001" / "bigbang-dev-test.txt")
    result = CliRunner().invoke(cli, ["import", "mbox", source, str(tmp_path / "x"), "--site", "a.b"])
    assert result.exit_code == 2 and "--site cannot be used with format mbox" in result.output
    result = CliRunner(env={"NO_SUCH_SALT": ""}).invoke(
        cli, ["import", "mbox", source, str(tmp_path / "x"), "--pseudonymise-salt-env", "NO_SUCH_SALT"])
    assert result.exit_code == 2 and "NO_SUCH_SALT is not set" in result.output
    result = CliRunner(env={"SHORT_SALT": "s3cret"}).invoke(
        cli, ["import", "mbox", source, str(tmp_path / "x"), "--pseudonymise-salt-env", "SHORT_SALT"])
    assert result.exit_code == 2 and "has 6 characters; use at least 16" in result.output
    assert "--pseudonymise-salt-env" in result.output and not (tmp_path / "x").exists()
    assert not (tmp_path / "x").exists()


def test_export_to_convokit_and_back(community, tmp_path):
    result = CliRunner().invoke(cli, ["export", str(community), str(tmp_path / "ck")])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, ["import", "convokit", str(tmp_path / "ck"), str(tmp_path / "back")])
    assert result.exit_code == 0, result.output
    from peerscope import open_corpus

    original = open_corpus(community).posts(columns=["post_id", "parent_id", "author_id", "created_at"])
    back = open_corpus(tmp_path / "back").posts(columns=["post_id", "parent_id", "author_id", "created_at"])
    merged = original.merge(back, on="post_id", suffixes=("", "_back"))
    assert len(merged) == len(original)
    assert (merged["parent_id"].fillna("-") == merged["parent_id_back"].fillna("-")).all()
    assert (merged["created_at"] == merged["created_at_back"]).all()


def test_import_stackexchange_with_one_worker(shared_data, tmp_path):
    result = CliRunner().invoke(cli, ["import", "stackexchange", "--workers", "1",
                                      str(shared_data / "stackexchange-quantumcomputing-2018"), str(tmp_path / "se")])
    assert result.exit_code == 0, result.output
    mbox = shared_data / "mbox-numpy-discussion-2001" / "bigbang-dev-test.txt"
    result = CliRunner().invoke(cli, ["import", "mbox", "--workers", "2", str(mbox), str(tmp_path / "y")])
    assert result.exit_code == 2 and "--workers cannot be used with format mbox" in result.output


# -- import table --extract ---------------------------------------------------------------

#: A scrape whose thread id is only in the URL (as on AgingCare); one row per post.
SCRAPE = """url,user,date,body,reply
https://forum.example/caring-for-mum-101.htm,ann,2024-01-01 10:00,Bad night again,false
https://forum.example/caring-for-mum-101.htm?page=2,bob,2024-01-01 11:00,Same here,true
https://forum.example/money-worries-2002.htm,cat,2024-01-02 09:00,Any advice?,false
https://forum.example/money-worries-2002.htm,ann,2024-01-02 12:00,Try the helpline,true
"""
SCRAPE_MAP = ["--map", "thread_id=url", "--map", "author_id=user", "--map", "created_at=date",
              "--map", "text=body", "--map", "is_reply=reply", "--replies", "flat", "--assume-tz", "UTC"]
THREAD_IN_URL = r"-(\d+)\.htm"


@pytest.fixture
def scrape(tmp_path):
    path = tmp_path / "scrape.csv"
    path.write_text(SCRAPE, encoding="utf-8")
    return path


def test_import_table_extracts_the_thread_id_from_a_url(scrape, tmp_path):
    from peerscope import open_corpus

    out = tmp_path / "forum"
    result = CliRunner().invoke(cli, ["import", "table", str(scrape), str(out), *SCRAPE_MAP,
                                      "--extract", f"thread_id={THREAD_IN_URL}"])
    assert result.exit_code == 0, result.output
    raw = pd.read_csv(scrape, dtype=str)
    expected_threads = raw["url"].map(lambda url: re.search(THREAD_IN_URL, url).group(1))
    posts = open_corpus(out).posts()
    assert sorted(posts["thread_id"]) == sorted(expected_threads) == ["101", "101", "2002", "2002"]
    opening = posts[posts["parent_id"].isna()]
    assert sorted(opening["post_id"]) == sorted(opening["thread_id"] + "-0") == ["101-0", "2002-0"]
    manifest = json.loads((out / "corpus.json").read_text())
    assert manifest["provenance"]["parameters"]["extract"] == {"thread_id": THREAD_IN_URL}

    # without --extract each distinct URL is its own thread (page 2 splits thread 101)
    whole = CliRunner().invoke(cli, ["import", "table", str(scrape), str(tmp_path / "urls"), *SCRAPE_MAP])
    assert whole.exit_code == 0, whole.output
    assert open_corpus(tmp_path / "urls").posts()["thread_id"].nunique() == raw["url"].nunique() == 3


def test_import_extract_is_refused_for_other_formats_and_checked(scrape, tmp_path):
    result = CliRunner().invoke(cli, ["import", "nested", str(scrape), str(tmp_path / "n"),
                                      "--map", "post_id=url", "--extract", f"thread_id={THREAD_IN_URL}"])
    assert result.exit_code == 2
    assert "Error: --extract cannot be used with format nested" in result.output
    bad = {"thread_id": "--extract: 'thread_id' is not CORPUS_COLUMN=REGEX",  # no "="
           "thread_id=(a)(b)": "needs exactly one capture group",
           "title=(x)": "not corpus columns (or not mapped)",    # title is not mapped
           "thread_id=(": "bad pattern"}
    for value, message in bad.items():
        result = CliRunner().invoke(cli, ["import", "table", str(scrape), str(tmp_path / "t"),
                                          *SCRAPE_MAP, "--extract", value])
        assert result.exit_code == 2 and message in result.output, (value, result.output)
    assert not (tmp_path / "t").exists() and not (tmp_path / "n").exists()


def test_errors_name_flags_not_python_arguments(tmp_path):
    source = tmp_path / "posts.csv"
    source.write_text("id,thread,user,when,body\n1,1,ann,2024-01-01,hi\n2,1,bob,2024-01-02,a,b\n")
    result = CliRunner().invoke(cli, ["import", "table", str(source), str(tmp_path / "out"),
                                      "--map", "post_id=id", "--map", "thread_id=thread",
                                      "--map", "author_id=user", "--map", "created_at=when",
                                      "--map", "text=body", "--replies", "flat", "--assume-tz", "UTC"])
    assert result.exit_code == 2
    assert "pass --repair to skip them" in result.stderr and "repair=True" not in result.stderr


@pytest.mark.parametrize("rule, shown", [("top:1", "top:1 would make every poster a super-user"),
                                         ("share:1", "share:1 would make every poster"),
                                         ("top:150%", "a share must lie in (0, 1]"),
                                         ("log:-1", "at least 0"), ("bottom:0.1", "log:K")])
def test_super_user_rules_that_mean_everyone_or_nothing_are_refused(tmp_path, rule, shown):
    result = CliRunner().invoke(cli, ["report", "--sample", "--out", str(tmp_path / "r"),
                                      "--super-users", rule])
    assert result.exit_code == 2 and shown in result.stderr


def test_every_documented_super_user_rule_is_reachable():
    from peerscope.participation.superusers import ContentShare, LogOutlier, MinPosts, TopShare
    from peerscope.report.build import parse_super_users

    assert parse_super_users("top:1%") == TopShare(0.01)
    assert parse_super_users("top:100%") == TopShare(1.0)
    assert parse_super_users("share:0.5") == ContentShare(0.5)
    assert parse_super_users("min:50") == MinPosts(50)
    assert parse_super_users("log:1.5") == LogOutlier(1.5)


def test_member_attributes_from_the_command_line(shared_data, tmp_path):
    source = shared_data / "forum-alsforums-caregivers" / "als.csv"
    out = tmp_path / "als"
    arguments = ["import", "table", str(source), str(out), "--replies", "flat", "--assume-tz", "UTC",
                 "--map", "thread_id=post_id", "--map", "author_id=user_name", "--map", "created_at=date",
                 "--map", "text=body", "--map", "is_reply=reply",
                 "--member-attribute", "reason_joined=user_reason_joined"]
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 0, result.output
    members = pd.read_parquet(out / "members.parquet")
    raw = pd.read_csv(source)
    latest = raw.dropna(subset=["user_reason_joined"]).groupby("user_name")["user_reason_joined"].nunique()
    assert members["reason_joined"].notna().sum() == len(latest)
    twice = CliRunner().invoke(cli, arguments + ["--member-attribute", "reason_joined=user_diagnosis"])
    assert twice.exit_code == 2 and "--member-attribute" in twice.output
