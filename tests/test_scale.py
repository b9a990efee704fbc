"""Scale: monthly partitioned storage, repartitioning, and the Dask engine on a cluster.

The corpus is a small synthetic community (6 months) saved in both layouts.
The Dask runs use a 2-worker ``distributed.LocalCluster`` of worker
processes (one thread each), so data and tasks are serialised as on a real
cluster, and must give the numbers of the pandas engine.  (In-process
workers would also do, but CPython 3.11's ``ast`` is not thread-safe and
pytest parses source while formatting an expected failure.)
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from peerscope import errors, newsletters, participation, pluralism, reciprocity, synth
from peerscope.corpus import Corpus, CorpusWriter, open_corpus, validate_saved
from peerscope.corpus import repartition
from peerscope.cli.partition import repartition_command, synth_command

distributed = pytest.importorskip("distributed")

TABLES_BY_TIME = {"posts": "created_at", "events": "at", "newsletter_items": "published_at"}


@pytest.fixture(scope="module")
def community():
    corpus, _ = synth.generate(6_000, seed=3, months=6, with_text=False)
    return corpus


@pytest.fixture(scope="module")
def saved(community, tmp_path_factory):
    folder = tmp_path_factory.mktemp("scale")
    return {"flat": community.save(folder / "flat"),
            "month": community.save(folder / "month", partition="month")}


def _months(times: pd.Series) -> list[str]:
    return sorted(times.dt.strftime("%Y-%m").unique().tolist())


def _sorted(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return frame.sort_values(by, kind="stable").reset_index(drop=True)


# -- the monthly layout ---------------------------------------------------------------

def test_monthly_save_writes_one_file_per_month_with_only_its_rows(community, saved):
    corpus = saved["month"]
    folder = corpus.path
    assert corpus.layout == {"posts": "month", "members": None, "events": "month",
                             "newsletter_items": "month"}
    manifest = json.loads((folder / "corpus.json").read_text())
    for table, column in TABLES_BY_TIME.items():
        times = community.table(table, [column])[column]
        expected = [f"{m}.parquet" for m in _months(times)]
        entry = manifest["tables"][table]
        assert entry["partition"] == "month" and entry["file"] == table
        assert entry["parts"] == expected
        assert sorted(p.name for p in (folder / table).glob("*.parquet")) == expected
        total = 0
        for part in expected:
            stored = pq.read_table(folder / table / part)
            months = stored[column].to_pandas().dt.strftime("%Y-%m").unique().tolist()
            assert months == [part[:7]]
            assert stored.schema.names == entry["columns"]     # no extra partition column
            total += stored.num_rows
        assert total == len(times) == entry["rows"]
    assert (folder / "members.parquet").is_file()


def test_monthly_corpus_reads_the_same_tables_as_one_file(saved):
    flat, month = saved["flat"], saved["month"]
    for table, key in (("posts", ["post_id"]), ("events", ["member_id", "at", "kind", "target_id"]),
                       ("newsletter_items", ["item_id"]), ("members", ["member_id"])):
        a, b = flat.table(table, "all"), month.table(table, "all")
        assert list(a.columns) == list(b.columns)
        pd.testing.assert_frame_equal(_sorted(a, key), _sorted(b, key))
    start, end = "2022-02-10", "2022-04-01"
    pd.testing.assert_frame_equal(_sorted(flat.posts(start=start, end=end), ["post_id"]),
                                  _sorted(month.posts(start=start, end=end), ["post_id"]))
    batches = list(month.iter_batches("posts", ["post_id"], batch_size=1_000))
    assert sum(len(b) for b in batches) == month.manifest["tables"]["posts"]["rows"]


def test_validate_saved_checks_every_part(saved):
    checked = validate_saved(saved["month"].path)
    assert checked == {t: e["rows"] for t, e in saved["month"].manifest["tables"].items()}


def test_a_row_in_the_wrong_month_file_is_reported(saved, tmp_path):
    broken = saved["month"].save(tmp_path / "broken")
    part = tmp_path / "broken" / "posts" / "2022-02.parquet"
    table = pq.read_table(part)
    pq.write_table(pc_set_first(table, "created_at", pd.Timestamp("2022-05-03", tz="UTC")), part)
    assert broken.manifest["tables"]["posts"]["rows"] == validate_saved(saved["month"].path)["posts"]
    with pytest.raises(errors.PeerscopeError, match="2022-02.parquet: holds .* changed after the save"):
        validate_saved(tmp_path / "broken")   # the file hashes catch the edit first
    # without the hashes (a manifest of an older peerscope) the month rule still catches it
    manifest = json.loads((tmp_path / "broken" / "corpus.json").read_text())
    del manifest["files"]
    (tmp_path / "broken" / "corpus.json").write_text(json.dumps(manifest))
    with pytest.raises(errors.ManifestError, match="2022-02.parquet: holds rows of other months \\(2022-05\\)"), \
            pytest.warns(UserWarning, match="not verified"):
        validate_saved(tmp_path / "broken")


def pc_set_first(table: pa.Table, column: str, value: pd.Timestamp) -> pa.Table:
    """``table`` with the first value of ``column`` replaced."""
    values = table[column].to_pandas()
    values.iloc[0] = value
    return table.set_column(table.schema.get_field_index(column), column,
                            pa.array(values, type=table.schema.field(column).type))


def test_missing_or_stray_part_files_are_noticed(saved, tmp_path):
    saved["month"].save(tmp_path / "gone")
    (tmp_path / "gone" / "events" / "2022-03.parquet").unlink()
    with pytest.raises(errors.ManifestError, match="2022-03.parquet.*missing"):
        open_corpus(tmp_path / "gone")
    saved["month"].save(tmp_path / "stray")
    pq.write_table(pq.read_table(tmp_path / "stray" / "posts" / "2022-01.parquet"),
                   tmp_path / "stray" / "posts" / "2030-01.parquet")
    with pytest.raises(errors.ManifestError, match="2030-01.parquet.*not in the manifest"):
        open_corpus(tmp_path / "stray")


def _thread_over_three_months(parent_of_last: str) -> pd.DataFrame:
    return pd.DataFrame({
        "post_id": ["a1", "a2", "a3", "b1"], "thread_id": ["a1", "a1", "a1", "b1"],
        "parent_id": [None, "a1", parent_of_last, None], "author_id": ["ann", "bob", "ann", "cat"],
        "created_at": pd.to_datetime(["2023-01-30 22:00", "2023-02-02 08:00", "2023-03-01 09:00",
                                      "2023-01-05 12:00"], utc=True),
        "text": ["", "", "", ""]})


def test_replies_across_month_files_are_checked_across_files(tmp_path):
    corpus = Corpus.from_frames(_thread_over_three_months("a2"), roster=False).save(
        tmp_path / "ok", partition="month")
    assert corpus.manifest["tables"]["posts"]["parts"] == [
        "2023-01.parquet", "2023-02.parquet", "2023-03.parquet"]
    assert validate_saved(tmp_path / "ok") == {"posts": 4}
    assert corpus.posts()["post_id"].tolist() == ["a1", "b1", "a2", "a3"]   # parts in month order
    with pytest.raises(errors.DanglingReferenceError) as caught:
        with CorpusWriter(tmp_path / "bad", roster=False, partition="month") as writer:
            writer.write("posts", _thread_over_three_months("gone"))
    assert caught.value.rows == [{"row": 3, "post_id": "a3", "parent_id": "gone"}]
    assert not (tmp_path / "bad").exists()


# -- the streaming writer ---------------------------------------------------------------

def test_corpus_writer_partitions_chunks_in_any_time_order(community, tmp_path):
    posts = community.posts(columns="all")
    members = community.members(columns="all")
    shuffled = posts.sample(frac=1.0, random_state=0).reset_index(drop=True)
    with CorpusWriter(tmp_path / "written", name="streamed", partition="month") as writer:
        writer.write("members", members)
        for start in range(0, len(shuffled), 1_000):
            writer.write("posts", shuffled.iloc[start:start + 1_000])
    written = writer.corpus
    entry = written.manifest["tables"]["posts"]
    assert entry["parts"] == [f"{m}.parquet" for m in _months(posts["created_at"])]
    assert entry["rows"] == len(posts)
    pd.testing.assert_frame_equal(_sorted(written.posts(columns="all"), ["post_id"]),
                                  _sorted(posts, ["post_id"]))
    assert written.layout["members"] is None
    assert validate_saved(written.path)["posts"] == len(posts)


def test_corpus_writer_rejects_a_dangling_parent_in_the_monthly_layout(community, tmp_path):
    posts = community.posts(columns="all")
    reply = posts.index[posts["parent_id"].notna()][-1]
    posts.loc[reply, "parent_id"] = "nowhere"
    with pytest.raises(errors.DanglingReferenceError) as caught:
        with CorpusWriter(tmp_path / "bad", roster=False, partition="month") as writer:
            writer.write("posts", posts)
    assert caught.value.rows[0]["post_id"] == posts.loc[reply, "post_id"]
    assert not (tmp_path / "bad").exists()


def test_unknown_partition_is_an_error(community, tmp_path):
    with pytest.raises(errors.PeerscopeError, match="unknown partition 'year'"):
        community.save(tmp_path / "x", partition="year")
    with pytest.raises(errors.PeerscopeError, match="unknown partition"):
        CorpusWriter(tmp_path / "y", partition="week")


# -- repartitioning ----------------------------------------------------------------------

def test_repartition_round_trip_keeps_rows_and_accounting(saved, tmp_path):
    flat = saved["flat"]
    monthly = repartition(flat.path, tmp_path / "monthly", by="month")
    back = repartition(monthly.path, tmp_path / "back", by=None)
    assert monthly.layout["posts"] == "month" and back.layout["posts"] is None
    assert (tmp_path / "back" / "posts.parquet").is_file()
    for corpus in (monthly, back):
        assert corpus.manifest["accounting"] == flat.manifest["accounting"]
        assert corpus.manifest["provenance"] == flat.manifest["provenance"]
        pd.testing.assert_frame_equal(_sorted(corpus.posts(columns="all"), ["post_id"]),
                                      _sorted(flat.posts(columns="all"), ["post_id"]))
    # in place: the folder is replaced atomically
    again = repartition(back.path, back.path, by="month")
    assert again.layout["events"] == "month"
    assert len(again.events()) == flat.manifest["tables"]["events"]["rows"]


def test_windowed_monthly_save_counts_what_it_leaves_out(saved, tmp_path):
    month = saved["month"]
    window = month.window("2022-02-01", "2022-04-01").save(tmp_path / "window")
    assert window.layout["posts"] == "month"
    assert window.manifest["tables"]["posts"]["parts"] == ["2022-02.parquet", "2022-03.parquet"]
    kept = len(month.posts(start="2022-02-01", end="2022-04-01"))
    account = window.manifest["accounting"]["posts"]
    assert account["rows_kept"] == kept
    assert account["rows_skipped"] == month.manifest["tables"]["posts"]["rows"] - kept


def test_cli_synth_and_repartition(tmp_path):
    runner = CliRunner()
    result = runner.invoke(synth_command, [str(tmp_path / "s"), "--posts", "800", "--seed", "2",
                                           "--partition", "month", "--no-progress"])
    assert result.exit_code == 0, result.output
    corpus = open_corpus(tmp_path / "s")
    assert corpus.layout["posts"] == "month"
    assert corpus.manifest["tables"]["posts"]["rows"] == 800
    truth = synth.Truth.load(tmp_path / "s")
    assert truth.n_posts == 800 and len(truth.posts) == 800
    assert participation.summary(corpus).posters == truth.n_posters
    assert truth.source == str(tmp_path / "s")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    result = runner.invoke(repartition_command, [str(tmp_path / "s"), str(tmp_path / "flat"), "--by", "none"])
    assert result.exit_code == 0, result.output
    assert "800 posts, one file per table" in result.output
    result = runner.invoke(repartition_command, [str(tmp_path / "s"), str(tmp_path / "z"), "--by", "year"])
    assert result.exit_code == 2


# -- the Dask engine on a 2-worker cluster ------------------------------------------------

def test_scheduler_argument(saved, client, monkeypatch):
    from peerscope._kernels import scheduler

    corpus = open_corpus(saved["month"].path, engine="dask", scheduler=client)
    assert corpus.scheduler is client
    assert corpus.window("2022-02-01").scheduler is client
    assert corpus.posts().npartitions >= 6          # at least one partition per month file
    with pytest.raises(errors.EngineError, match="only used with engine='dask'"):
        open_corpus(saved["month"].path, scheduler=client)
    monkeypatch.setattr(scheduler, "CONNECT_TIMEOUT", 1)
    with pytest.raises(errors.EngineError, match="cannot reach a Dask scheduler"):
        scheduler.connect("tcp://127.0.0.1:9")
    assert scheduler.connect(None) is None
    with pytest.raises(errors.EngineError, match="expected None, an address"):
        scheduler.connect(42)
    scheduler.connect(client)                       # the cluster again for the tests below


@pytest.fixture(scope="module")
def engines(saved, client):
    return open_corpus(saved["month"].path), open_corpus(saved["month"].path, engine="dask",
                                                         scheduler=client)


def test_participation_summary_equal_on_dask(engines):
    pandas_corpus, dask_corpus = engines
    a, b = participation.summary(pandas_corpus), participation.summary(dask_corpus)
    assert a.posts_total == b.posts_total == pandas_corpus.manifest["tables"]["posts"]["rows"]
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    pd.testing.assert_frame_equal(a.lorenz, b.lorenz)
    assert a.super_users == b.super_users


def test_reciprocity_summary_equal_on_dask(engines):
    pandas_corpus, dask_corpus = engines
    a, b = reciprocity.summary(pandas_corpus), reciprocity.summary(dask_corpus)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    assert 0 < a.to_frame().shape[0]


def test_pluralism_equal_on_dask(engines):
    pandas_corpus, dask_corpus = engines
    a, b = pluralism.forms_in_use(pandas_corpus), pluralism.forms_in_use(dask_corpus)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())


def test_newsletters_summary_equal_on_dask(engines):
    pandas_corpus, dask_corpus = engines
    a, b = newsletters.summary(pandas_corpus), newsletters.summary(dask_corpus)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    assert np.all(a.to_frame().notna().any())


def test_a_large_part_file_is_read_as_several_partitions(saved, client, monkeypatch):
    """A part file above the Dask block size is split into partitions of whole row groups, with
    the same numbers (``Corpus._read_dask``; a month of a 100M-post forum is 4.2M posts)."""
    from peerscope.corpus import model

    flat = open_corpus(saved["flat"].path)
    split = open_corpus(saved["flat"].path, engine="dask", scheduler=client)
    assert split.posts(columns=["post_id"]).npartitions == 1   # 6,000 posts in 6 row groups
    monkeypatch.setattr(model, "_DASK_BLOCKSIZE", "16KiB")
    assert split.posts(columns=["post_id"]).npartitions == 6
    expected = participation.summary(flat).to_frame()
    pd.testing.assert_frame_equal(participation.summary(split).to_frame(), expected)
    pd.testing.assert_frame_equal(reciprocity.summary(split).to_frame(), reciprocity.summary(flat).to_frame())
