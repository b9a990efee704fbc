"""The corpus: round trips, projection and filters, windows, atomic saves, engines."""

from __future__ import annotations

import json
import time
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import peerscope
from peerscope import Corpus, errors, open_corpus, synth
from peerscope.corpus import _lock as lock_module, _storage as storage_module, integrity as integrity_module, model as model_module

# -- hypothesis-generated corpora ---------------------------------------------------

_text = st.one_of(st.none(), st.text(max_size=30))
_time = st.datetimes(min_value=pd.Timestamp("1990-01-01").to_pydatetime(),
                     max_value=pd.Timestamp("2026-01-01").to_pydatetime())


@st.composite
def corpora(draw):
    """Valid random corpora: reply trees, null authors and texts, optional columns."""
    n = draw(st.integers(1, 25))
    ids = [f"p{i}" for i in range(n)]
    parent_index = [None] + [draw(st.one_of(st.none(), st.integers(0, i - 1))) for i in range(1, n)]
    thread = []
    for i, p in enumerate(parent_index):
        thread.append(ids[i] if p is None else thread[p])
    members = draw(st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=6, unique=True))
    posts = pd.DataFrame({
        "post_id": pd.Series(ids, dtype="str"),
        "thread_id": pd.Series(thread, dtype="str"),
        "parent_id": pd.Series([None if p is None else ids[p] for p in parent_index], dtype="str"),
        "author_id": pd.Series([draw(st.one_of(st.none(), st.sampled_from(members))) for _ in ids], dtype="str"),
        "created_at": pd.to_datetime([draw(_time) for _ in ids], utc=True).astype("datetime64[us, UTC]"),
        "text": pd.Series([draw(_text) for _ in ids], dtype="str"),
        "score": pd.array([draw(st.one_of(st.none(), st.integers(-2**40, 2**40))) for _ in ids], dtype="Int64"),
        "is_removed": pd.array([draw(st.one_of(st.none(), st.booleans())) for _ in ids], dtype="boolean"),
        "channel": pd.Series([draw(st.sampled_from(["a", "b", None])) for _ in ids], dtype="str"),
    })
    roster = pd.DataFrame({
        "member_id": pd.Series(members, dtype="str"),
        "joined_at": pd.to_datetime([draw(_time) if draw(st.booleans()) else None for _ in members],
                                    utc=True).astype("datetime64[us, UTC]"),
        "role": pd.Series([draw(st.sampled_from(["member", "moderator", "bot", None])) for _ in members],
                          dtype="str"),
        "age_band": pd.Series([draw(st.sampled_from(["18-24", "25-34", None])) for _ in members], dtype="str"),
        "karma": pd.array([draw(st.one_of(st.none(), st.integers(0, 10**6))) for _ in members], dtype="Int64"),
    })
    return posts, roster


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(corpora())
def test_save_open_round_trip_preserves_values_dtypes_nulls_and_timezones(tmp_path, frames):
    posts, members = frames
    built = Corpus.from_frames(posts, members, name="h")
    saved = built.save(tmp_path / "c")
    for table, original in (("posts", posts), ("members", members)):
        read = saved.table(table, columns="all")
        pd.testing.assert_frame_equal(read, original, check_exact=True)
        pd.testing.assert_frame_equal(built.table(table, columns="all"), original, check_exact=True)


# -- reading -----------------------------------------------------------------------

@pytest.fixture
def saved(tiny_frames, tmp_path):
    posts, members, events = tiny_frames
    return Corpus.from_frames(posts, members, events, name="tiny").save(tmp_path / "tiny")


def test_text_is_read_only_when_asked_for(saved):
    assert "text" not in saved.posts().columns
    assert saved.posts(columns=["post_id", "text"]).columns.tolist() == ["post_id", "text"]
    assert "text" in saved.posts(columns="all").columns


def test_unknown_column_is_a_clear_error(saved):
    with pytest.raises(errors.MissingColumnError, match="no such column"):
        saved.posts(columns=["post_id", "body"])


def test_time_and_channel_filters(saved):
    january = saved.posts(start="2024-01-01", end="2024-02-01")
    assert january["post_id"].tolist() == ["p1", "p2", "p3"]
    # end is exclusive, start inclusive, naive bounds are UTC
    assert saved.posts(start="2024-01-01 21:30", end="2024-02-01 19:00")["post_id"].tolist() == ["p2", "p3"]
    assert saved.posts(channels=["medication"])["post_id"].tolist() == ["p4", "p5", "p6"]
    assert saved.posts(start=pd.Timestamp("2024-02-01 20:00", tz="Europe/London"))["post_id"].tolist() == ["p5"]
    assert saved.events(start="2024-01-17")["member_id"].tolist() == ["cat", "ann"]


def test_window_restricts_every_table(saved):
    january = saved.window("2024-01-01", "2024-01-15")
    assert january.posts()["post_id"].tolist() == ["p1", "p2", "p3"]
    # cat joined on 15 January, after the window's end: not yet a member
    assert sorted(january.members()["member_id"]) == ["ann", "bob", "welcome-bot"]
    assert len(january.events()) == 0
    # nested windows intersect, and reads within a window stay inside it
    narrower = january.window("2024-01-02", "2024-12-31")
    assert narrower.posts()["post_id"].tolist() == ["p3"]
    assert narrower.posts(start="2023-01-01")["post_id"].tolist() == ["p3"]


def test_saving_a_window_accounts_for_rows_left_out(saved, tmp_path):
    part = saved.window("2024-02-01", None).save(tmp_path / "feb")
    account = part.manifest["accounting"]["posts"]
    assert part.manifest["tables"]["posts"]["rows"] == 3
    assert account["rows_kept"] == 3 and account["rows_skipped"] == 3
    assert list(account["skipped_reasons"]) == ["outside_window:2024-02-01T00:00:00+00:00..None"]
    assert part.manifest["window"]["start"] == "2024-02-01T00:00:00+00:00"


def test_in_memory_and_saved_corpora_read_the_same(tiny_frames, saved):
    posts, members, events = tiny_frames
    memory = Corpus.from_frames(posts, members, events, name="tiny")
    for table in ("posts", "members", "events", "newsletter_items"):
        pd.testing.assert_frame_equal(memory.table(table, columns="all"), saved.table(table, columns="all"))
        pd.testing.assert_frame_equal(memory.table(table, start="2024-01-10"), saved.table(table, start="2024-01-10"))


def test_absent_table_reads_as_empty_typed_frame(saved):
    items = saved.newsletter_items()
    assert len(items) == 0
    assert str(items["published_at"].dtype) == "datetime64[us, UTC]"


def test_on_disk_layout_and_manifest(saved):
    folder = saved.path
    assert sorted(p.name for p in folder.iterdir()) == [
        "corpus.json", "events.parquet", "members.parquet", "posts.parquet"]
    manifest = json.loads((folder / "corpus.json").read_text())
    assert manifest["schema_version"] == 1 and manifest["name"] == "tiny"
    assert manifest["peerscope_version"] == peerscope.__version__
    assert manifest["provenance"]["loader"] == "peerscope.Corpus.from_frames"
    assert manifest["tables"]["posts"]["rows"] == 6


# -- atomic save ------------------------------------------------------------------------

def test_crash_mid_save_leaves_the_old_corpus_intact(saved, tiny_frames, monkeypatch):
    posts, members, events = tiny_frames
    before = saved.posts(columns="all")
    replacement = Corpus.from_frames(posts.iloc[:3], members, events, name="replacement")
    real_write = storage_module._write_parquet
    calls = []

    def crash_on_second_table(table, target):
        calls.append(target)
        if len(calls) == 2:
            raise OSError("disk full")
        real_write(table, target)

    monkeypatch.setattr(model_module, "_write_parquet", crash_on_second_table)
    with pytest.raises(OSError, match="disk full"):
        replacement.save(saved.path)
    reopened = open_corpus(saved.path)
    assert reopened.name == "tiny"
    pd.testing.assert_frame_equal(reopened.posts(columns="all"), before)
    leftovers = [p.name for p in saved.path.parent.iterdir() if p.name != saved.path.name]
    assert leftovers == []


def test_save_replaces_an_existing_corpus(saved, tiny_frames):
    posts, members, events = tiny_frames
    Corpus.from_frames(posts.iloc[:3], members, events, name="smaller").save(saved.path)
    assert open_corpus(saved.path).posts()["post_id"].tolist() == ["p1", "p2", "p3"]


def test_save_refuses_to_replace_a_folder_that_is_no_corpus(tiny_frames, tmp_path):
    posts, _, _ = tiny_frames
    (tmp_path / "thesis").mkdir()
    (tmp_path / "thesis" / "chapter1.tex").write_text("precious")
    with pytest.raises(errors.PeerscopeError, match="not a peerscope corpus"):
        Corpus.from_frames(posts).save(tmp_path / "thesis")
    assert (tmp_path / "thesis" / "chapter1.tex").read_text() == "precious"


def test_save_onto_a_corpus_keeps_every_file_it_did_not_write(saved, tiny_frames):
    posts, members, events = tiny_frames
    (saved.path / "notes.txt").write_text("coding decisions")
    (saved.path / "derived").mkdir()
    (saved.path / "derived" / "support.parquet").write_bytes(b"labels")
    Corpus.from_frames(posts.iloc[:3], members, events, name="smaller").save(saved.path, partition="month")
    names = sorted(p.name for p in saved.path.iterdir())
    assert names == ["corpus.json", "derived", "events", "members.parquet", "notes.txt", "posts"]
    assert (saved.path / "notes.txt").read_text() == "coding decisions"
    assert (saved.path / "derived" / "support.parquet").read_bytes() == b"labels"
    assert open_corpus(saved.path).posts()["post_id"].tolist() == ["p1", "p2", "p3"]
    Corpus.from_frames(posts, members, events, name="tiny").save(saved.path, partition=None)
    names = sorted(p.name for p in saved.path.iterdir())
    assert names == ["corpus.json", "derived", "events.parquet", "members.parquet", "notes.txt",
                     "posts.parquet"]
    assert not saved.path.with_name(saved.path.name + ".peerscope-old").exists()


def test_save_refuses_a_file_and_names_it(tiny_frames, tmp_path):
    posts, _, _ = tiny_frames
    (tmp_path / "forum").write_text("precious")
    with pytest.raises(errors.PeerscopeError, match="forum.*is a file"):
        Corpus.from_frames(posts).save(tmp_path / "forum")
    assert (tmp_path / "forum").read_text() == "precious"


def test_interrupted_save_with_foreign_files_is_not_deleted(saved, tiny_frames):
    posts, members, events = tiny_frames
    old = saved.path.with_name(saved.path.name + ".peerscope-old")
    old.mkdir()
    (old / "notes.txt").write_text("not yet moved back")
    with pytest.raises(errors.PeerscopeError, match="peerscope-old.*notes.txt"):
        Corpus.from_frames(posts, members, events).save(saved.path)
    assert (old / "notes.txt").read_text() == "not yet moved back"
    assert open_corpus(saved.path).posts()["post_id"].tolist() == saved.posts()["post_id"].tolist()


def test_interrupted_swap_is_pointed_out(saved):
    os.replace(saved.path, saved.path.with_name(saved.path.name + ".peerscope-old"))
    with pytest.raises(errors.CorpusNotFoundError, match="previous corpus is intact"):
        open_corpus(saved.path)


# -- manifest problems -----------------------------------------------------------------

def test_not_a_corpus(tmp_path):
    with pytest.raises(errors.CorpusNotFoundError):
        open_corpus(tmp_path)


def test_unknown_schema_version(saved):
    manifest = json.loads((saved.path / "corpus.json").read_text())
    manifest["schema_version"] = 99
    (saved.path / "corpus.json").write_text(json.dumps(manifest))
    with pytest.raises(errors.ManifestError, match="schema version 99"):
        open_corpus(saved.path)


def test_accounting_that_does_not_add_up_is_rejected(saved):
    manifest = json.loads((saved.path / "corpus.json").read_text())
    manifest["accounting"]["posts"]["rows_read"] += 1
    (saved.path / "corpus.json").write_text(json.dumps(manifest))
    with pytest.raises(errors.ManifestError, match="does not add up"):
        open_corpus(saved.path)


def test_unknown_engine(saved):
    with pytest.raises(errors.EngineError):
        open_corpus(saved.path, engine="spark")


# -- the Dask engine ---------------------------------------------------------------------

def test_dask_engine_reads_the_same_tables(saved):
    lazy = open_corpus(saved.path, engine="dask")
    for table in ("posts", "members", "events"):
        expected = saved.table(table)
        got = lazy.table(table).compute().reset_index(drop=True)
        pd.testing.assert_frame_equal(got, expected)
    window = lazy.window("2024-01-01", "2024-01-15")
    assert sorted(window.members().compute()["member_id"]) == ["ann", "bob", "welcome-bot"]
    # the members window applies even when the date columns are not read
    only_ids = window.members(columns=["member_id"]).compute()
    assert only_ids.columns.tolist() == ["member_id"]
    assert sorted(only_ids["member_id"]) == ["ann", "bob", "welcome-bot"]
    assert window.posts(channels=["sleep"]).compute()["post_id"].tolist() == ["p1", "p2", "p3"]


# -- streaming writer ---------------------------------------------------------------------

def test_writer_streams_chunks_and_checks_rules_across_them(tiny_frames, tmp_path):
    posts, members, events = tiny_frames
    with peerscope.CorpusWriter(tmp_path / "w", name="w", roster=True) as writer:
        writer.write("members", members)
        writer.write("posts", posts.iloc[:3])
        writer.write("posts", posts.iloc[3:])
        writer.write("events", events)
        writer.skip("posts", "junk row", 2)
    corpus = writer.corpus
    pd.testing.assert_frame_equal(corpus.posts(columns="all"),
                                  Corpus.from_frames(posts).posts(columns="all"))
    assert corpus.manifest["accounting"]["posts"]["rows_read"] == 8

    duplicate = posts.iloc[3:].assign(post_id=["p4", "p1", "p6"])
    with pytest.raises(errors.DuplicateIdError) as info:
        with peerscope.CorpusWriter(tmp_path / "w2", roster=False) as writer:
            writer.write("posts", posts.iloc[:3])
            writer.write("posts", duplicate)
    assert info.value.rows == [{"row": 4, "post_id": "p1"}]
    assert not (tmp_path / "w2").exists()


def test_writer_rejects_a_chunk_with_different_columns(tiny_frames, tmp_path):
    posts, _, _ = tiny_frames
    with pytest.raises(errors.ColumnTypeError, match="differ from the first chunk"):
        with peerscope.CorpusWriter(tmp_path / "w", roster=False) as writer:
            writer.write("posts", posts.iloc[:3])
            writer.write("posts", posts.iloc[3:].drop(columns=["score"]))


def _forget_file_hashes(folder):
    """Drop the file hashes from a manifest, as peerscope wrote it before recording them."""
    manifest = json.loads((folder / "corpus.json").read_text())
    del manifest["files"]
    (folder / "corpus.json").write_text(json.dumps(manifest))


def test_validate_saved_finds_a_dangling_parent_across_row_groups(tiny_frames, tmp_path):
    posts, _, _ = tiny_frames
    saved = Corpus.from_frames(posts).save(tmp_path / "c")
    assert integrity_module.validate_saved(saved.path, batch_size=2) == {"posts": 6}
    import pyarrow.parquet as pq
    table = pq.read_table(saved.path / "posts.parquet").to_pandas()
    table.loc[5, "parent_id"] = "nope"
    pq.write_table(__import__("pyarrow").Table.from_pandas(table, preserve_index=False),
                   saved.path / "posts.parquet")
    with pytest.raises(errors.ManifestError, match="posts.parquet: (holds|its SHA-256)"):
        integrity_module.validate_saved(saved.path)      # the rewrite is seen first
    _forget_file_hashes(saved.path)
    with pytest.raises(errors.DanglingReferenceError) as info, pytest.warns(UserWarning, match="not verified"):
        integrity_module.validate_saved(saved.path)
    assert info.value.rows == [{"row": 5, "post_id": "p6", "parent_id": "nope"}]
    assert info.value.rule == "dangling_parent"  # the same rule name as in memory


_BROKEN_RULES = {  # rule -> (change to tiny_frames' posts, error class, column, rows reported)
    "repeated id in another month": (
        {4: {"post_id": "p1"}}, errors.DuplicateIdError, "post_id", [{"row": 4, "post_id": "p1"}]),
    "dangling parent in the last row": (
        {5: {"parent_id": "nope"}}, errors.DanglingReferenceError, "parent_id",
        [{"row": 5, "post_id": "p6", "parent_id": "nope"}]),
    "reply to another month's thread": (
        {5: {"parent_id": "p2"}}, errors.CrossThreadReplyError, "parent_id",
        [{"row": 5, "post_id": "p6", "parent_id": "p2"}]),
    "cycle": (
        {4: {"parent_id": "p6"}, 5: {"parent_id": "p5"}}, errors.ReplyCycleError, "parent_id",
        [{"row": 4, "post_id": "p5", "parent_id": "p6"}, {"row": 5, "post_id": "p6", "parent_id": "p5"}]),
}


@pytest.mark.parametrize("rows_per_part", [1 << 20, 2], ids=["one hash table", "split by hash"])
@pytest.mark.parametrize("rule", sorted(_BROKEN_RULES))
def test_writer_reports_the_rows_breaking_a_rule_across_chunks_and_months(
        tiny_frames, tmp_path, monkeypatch, rule, rows_per_part):
    # rows_per_part=2 splits the 6 posts into 3 hash parts, so every rule is
    # checked across parts too
    monkeypatch.setattr(integrity_module, "_ROWS_PER_PART", rows_per_part)
    posts, members, _ = tiny_frames
    changes, error_class, column, rows = _BROKEN_RULES[rule]
    for row, values in changes.items():
        for name, value in values.items():
            posts.loc[row, name] = value
    with pytest.raises(error_class) as info:
        with peerscope.CorpusWriter(tmp_path / "w", roster=True, partition="month") as writer:
            writer.write("members", members)
            for start in range(0, 6, 2):
                writer.write("posts", posts.iloc[start:start + 2])
    assert (info.value.table, info.value.column, info.value.rows) == ("posts", column, rows)
    assert info.value.n_offending == len(rows)
    assert not (tmp_path / "w").exists()


@pytest.mark.parametrize("rows_per_part", [1 << 20, 2], ids=["one hash table", "split by hash"])
def test_writer_reports_a_repeated_member_and_an_unknown_event_member(
        tiny_frames, tmp_path, monkeypatch, rows_per_part):
    monkeypatch.setattr(integrity_module, "_ROWS_PER_PART", rows_per_part)
    posts, members, events = tiny_frames
    repeated = pd.concat([members, members.iloc[[2]]], ignore_index=True)
    with pytest.raises(errors.DuplicateIdError) as info:
        with peerscope.CorpusWriter(tmp_path / "m", roster=True) as writer:
            writer.write("members", repeated)
            writer.write("posts", posts)
    assert (info.value.table, info.value.rows) == ("members", [{"row": 4, "member_id": "cat"}])
    strangers = events.assign(member_id=["cat", "dan", "ann"])
    with pytest.raises(errors.DanglingReferenceError) as info:
        with peerscope.CorpusWriter(tmp_path / "e", roster=True) as writer:
            writer.write("members", members)
            writer.write("posts", posts)
            writer.write("events", strangers)
    assert (info.value.table, info.value.column, info.value.rule) == ("events", "member_id", "unknown_member")
    assert info.value.rows == [{"row": 1, "member_id": "dan"}]


def test_validate_saved_checks_each_row_group(tiny_frames, tmp_path):
    posts, _, _ = tiny_frames
    saved = Corpus.from_frames(posts).save(tmp_path / "c")
    import pyarrow as pa
    import pyarrow.parquet as pq
    table = pq.read_table(saved.path / "posts.parquet")
    broken = table.set_column(table.schema.get_field_index("post_id"), "post_id",
                              pa.array(["p1", "p2", "p3", "p4", None, "p6"]))
    pq.write_table(broken, saved.path / "posts.parquet", row_group_size=2)
    _forget_file_hashes(saved.path)
    with pytest.raises(errors.MissingValueError) as info, pytest.warns(UserWarning, match="not verified"):
        integrity_module.validate_saved(saved.path, batch_size=2)
    assert info.value.rows[0]["row"] == 4


def test_describe_with_roster_events_and_bots(tiny_frames):
    posts, members, events = tiny_frames
    description = peerscope.describe(Corpus.from_frames(posts, members, events))
    assert description.members == 3 and description.posters == 2 and description.bots == 1
    assert description.can("lurkers") and description.can("pluralistic use")
    assert description.time_resolution == "minute" and description.can("time of day")
    assert description.reply_structure == "nested"
    assert description.channels == {"medication": 3, "sleep": 3}
    assert np.isclose(description.posts_with_text, 5)
    text = str(description)
    assert "3 members on the roster" in text and "[x] lurkers" in text
    frame = description.to_frame()
    assert frame.set_index(["section", "item"]).loc[("people", "posters"), "value"] == "2"


def test_iter_batches_streams_with_filters(saved, tiny_frames):
    batches = list(saved.iter_batches("posts", ["post_id", "text"], batch_size=2))
    assert [len(b) for b in batches] == [2, 2, 2]
    assert pd.concat(batches, ignore_index=True)["post_id"].tolist() == ["p1", "p2", "p3", "p4", "p5", "p6"]
    february = saved.window("2024-02-01", None)
    assert pd.concat(february.iter_batches("posts", channels=["medication"]))["post_id"].tolist() == ["p4", "p5", "p6"]
    posts, members, events = tiny_frames
    memory = Corpus.from_frames(posts, members, events)
    assert pd.concat(memory.iter_batches("posts", "all", batch_size=4))["text"].tolist() == posts["text"].tolist()
    assert list(saved.iter_batches("newsletter_items")) == []


def test_count_non_null_reads_footers_when_it_can(tmp_path, monkeypatch):
    corpus, _ = synth.generate(600, seed=4, months=4)
    posts = corpus.posts(columns="all")
    posts.loc[posts.index[::7], "text"] = None  # some posts without text
    with_gaps = Corpus.from_frames(posts, corpus.members(columns="all"))
    expected = int(posts["text"].notna().sum())
    flat = with_gaps.save(tmp_path / "flat")
    monthly = with_gaps.save(tmp_path / "month", partition="month")
    assert with_gaps.count_non_null("posts", "text") == expected      # in memory: read
    window = monthly.window("2022-02-01", "2022-03-01")
    in_window = int(window.posts(columns=["text"])["text"].notna().sum())
    assert 0 < in_window < expected
    assert window.count_non_null("posts", "text") == in_window          # a window view: read

    def no_reading(*args, **kwargs):
        raise AssertionError("the column was read")

    for saved in (open_corpus(flat.path), open_corpus(monthly.path)):
        monkeypatch.setattr(type(saved), "arrow_batches", no_reading)
        assert saved.count_non_null("posts", "text") == expected       # saved: from the footers
        monkeypatch.undo()
    with pytest.raises(errors.MissingColumnError):
        with_gaps.count_non_null("posts", "no_such_column")


def test_saving_reads_one_row_group_ahead_never_more():
    from peerscope.corpus._storage import _one_ahead

    produced = []

    def items():
        for i in range(6):
            produced.append(i)
            yield i

    seen = []
    for item in _one_ahead(items()):
        seen.append(item)
        assert len(produced) <= item + 2   # this item, and at most the next one
    assert seen == list(range(6))
    assert list(_one_ahead(iter([]))) == []


# -- concurrent and crashed saves (issue 17) --------------------------------------------

def _beside(path):
    """Names beside ``path`` that a save made: temporaries, locks, ``.peerscope-old``."""
    return sorted(p.name for p in path.parent.iterdir() if p.name != path.name)


def _dead_pid():
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _slow_writes(monkeypatch, seconds):
    real_write = model_module._write_parquet

    def slow(table, target):
        time.sleep(seconds)
        real_write(table, target)

    monkeypatch.setattr(model_module, "_write_parquet", slow)


@pytest.mark.parametrize("flock", [True, False], ids=["flock", "exclusive-create"])
def test_concurrent_saves_to_one_path_wait_or_raise_a_peerscope_error(tiny_frames, tmp_path, monkeypatch,
                                                                       flock):
    import threading

    if not flock:
        monkeypatch.setattr(lock_module, "_fcntl", None)
    posts, members, events = tiny_frames
    target = tmp_path / "shared"
    _slow_writes(monkeypatch, 0.05)
    start = threading.Barrier(4)
    outcomes = []

    def save(i):
        corpus = Corpus.from_frames(posts, members, events, name=f"writer-{i}")
        start.wait()
        try:
            corpus.save(target)
            outcomes.append("saved")
        except errors.PeerscopeError as error:
            outcomes.append(("refused", str(error)))
        except BaseException as error:  # anything else is the bug
            outcomes.append(("escaped", repr(error)))

    threads = [threading.Thread(target=save, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(outcomes) == 4 and not [o for o in outcomes if o[0] == "escaped"], outcomes
    assert outcomes.count("saved") == 4          # each waited its turn (well under 10 s)
    assert open_corpus(target).name.startswith("writer-")
    assert _beside(target) == []                 # no temporary folder, lock or old folder left


@pytest.mark.parametrize("flock", [True, False], ids=["flock", "exclusive-create"])
def test_a_save_waits_a_bounded_time_then_names_the_path(tiny_frames, tmp_path, monkeypatch, flock):
    import threading

    if not flock:
        monkeypatch.setattr(lock_module, "_fcntl", None)
    posts, members, events = tiny_frames
    corpus = Corpus.from_frames(posts, members, events)
    target = tmp_path / "busy"
    holding, done = threading.Event(), threading.Event()

    def hold():
        with storage_module._AtomicFolder(target) as folder:
            (folder / "corpus.json").write_text("{}")
            holding.set()
            done.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(30)
        monkeypatch.setattr(storage_module, "LOCK_TIMEOUT", 0.3)
        began = time.monotonic()
        with pytest.raises(errors.PeerscopeError, match=r"another save to .*busy is in progress"):
            corpus.save(target)
        assert 0.25 <= time.monotonic() - began < 5
        assert len([p for p in tmp_path.iterdir() if ".tmp-" in p.name]) == 1   # the holder's own
    finally:
        done.set()
        holder.join(30)
    assert _beside(target) == []
    corpus.save(target)                       # the lock was released: the next save goes through
    assert open_corpus(target).name == corpus.name and _beside(target) == []


def test_a_save_in_another_process_holds_the_lock(tiny_frames, tmp_path, monkeypatch):
    import subprocess
    import sys

    target = tmp_path / "other"
    script = ("import sys, time\n"
              "from peerscope.corpus._storage import _AtomicFolder\n"
              "with _AtomicFolder(sys.argv[1]) as folder:\n"
              "    print('holding', flush=True)\n"
              "    time.sleep(float(sys.argv[2]))\n")
    child = subprocess.Popen([sys.executable, "-c", script, str(target), "1.5"], stdout=subprocess.PIPE,
                             text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        assert child.stdout.readline().strip() == "holding"
        posts, members, events = tiny_frames
        corpus = Corpus.from_frames(posts, members, events)
        monkeypatch.setattr(storage_module, "LOCK_TIMEOUT", 0.2)
        with pytest.raises(errors.PeerscopeError, match="in progress.*pid"):
            corpus.save(target)
        monkeypatch.setattr(storage_module, "LOCK_TIMEOUT", 30)
        corpus.save(target)                   # waits for the other process, then saves
    finally:
        child.kill()
        child.wait()
    assert open_corpus(target).name == corpus.name and _beside(target) == []


@pytest.mark.parametrize("flock", [True, False], ids=["flock", "exclusive-create"])
def test_the_next_save_cleans_up_after_a_crashed_one(tiny_frames, tmp_path, monkeypatch, flock):
    if not flock:
        monkeypatch.setattr(lock_module, "_fcntl", None)
    posts, members, events = tiny_frames
    corpus = Corpus.from_frames(posts, members, events)
    target = tmp_path / "crashed"
    # what a save killed mid-way leaves: a full temporary folder and a lock naming a dead pid
    for stale in (".crashed.tmp-abcd1234", ".crashed.tmp-x_9y8z7w"):
        (tmp_path / stale).mkdir()
        (tmp_path / stale / "posts.parquet").write_bytes(b"x" * 1000)
    (tmp_path / ".crashed.lock").write_text(f"{_dead_pid()} {__import__('socket').gethostname()}\n")
    # names that only look alike: another target's temporaries, a file, a user's folders
    unrelated = [".crashed.tmp-abcd1234.tmp-zzzzzzzz", ".crashed.tmp-keep", ".crashed.tmp-abcd12345",
                 ".crashedx.tmp-abcd1234", ".crashed2.tmp-abcd1234", "crashed.tmp-abcd1234",
                 ".crashed.lockers"]
    for name in unrelated:
        (tmp_path / name).mkdir()
        (tmp_path / name / "mine.txt").write_text("keep")
    (tmp_path / ".crashed.tmp-fileabc").write_text("a file, not a folder")
    corpus.save(target)
    assert open_corpus(target).name == corpus.name
    assert _beside(target) == sorted(unrelated + [".crashed.tmp-fileabc"])
    assert all((tmp_path / name / "mine.txt").read_text() == "keep" for name in unrelated)


def test_a_lock_held_by_a_live_process_is_not_taken_over(tiny_frames, tmp_path, monkeypatch):
    monkeypatch.setattr(lock_module, "_fcntl", None)
    monkeypatch.setattr(storage_module, "LOCK_TIMEOUT", 0.2)
    posts, members, events = tiny_frames
    target = tmp_path / "live"
    (tmp_path / ".live.tmp-abcd1234").mkdir()
    lock = tmp_path / ".live.lock"
    lock.write_text(f"{os.getppid()} {__import__('socket').gethostname()}\n")
    with pytest.raises(errors.PeerscopeError, match=f"another save to .*live is in progress.*{os.getppid()}"):
        Corpus.from_frames(posts, members, events).save(target)
    assert lock.exists() and (tmp_path / ".live.tmp-abcd1234").is_dir()   # neither touched
    assert not target.exists()


def test_a_failing_save_removes_its_temporary_folder_and_releases_the_lock(saved, tiny_frames, monkeypatch):
    posts, members, events = tiny_frames

    def fail(table, target):
        raise RuntimeError("boom")

    monkeypatch.setattr(model_module, "_write_parquet", fail)
    with pytest.raises(RuntimeError, match="boom"):
        Corpus.from_frames(posts, members, events, name="new").save(saved.path)
    assert _beside(saved.path) == [] and open_corpus(saved.path).name == "tiny"
    monkeypatch.undo()
    # the swap itself failing puts the old corpus back, and cleans up too
    real_replace = os.replace

    def refuse_swap(source, destination):
        if ".tmp-" in str(source):
            raise OSError("rename refused")
        real_replace(source, destination)

    monkeypatch.setattr(storage_module.os, "replace", refuse_swap)
    with pytest.raises(OSError, match="rename refused"):
        Corpus.from_frames(posts, members, events, name="new").save(saved.path)
    monkeypatch.undo()
    assert _beside(saved.path) == [] and open_corpus(saved.path).name == "tiny"
    Corpus.from_frames(posts, members, events, name="new").save(saved.path)
    assert open_corpus(saved.path).name == "new"


def test_sample_posts_is_a_bernoulli_sample_that_depends_only_on_ids_and_seed(tmp_path):
    corpus, _ = synth.generate(4000, seed=3, months=6)
    monthly = corpus.save(tmp_path / "monthly", partition="month")
    posts = corpus.posts()
    for fraction in (0.05, 0.3):
        sample = corpus.sample_posts(fraction, seed=7)
        ids = set(sample.posts()["post_id"])
        # the same posts whatever the layout (file order) and however the corpus is read
        assert ids == set(monthly.sample_posts(fraction, seed=7).posts()["post_id"])
        assert ids == set(open_corpus(tmp_path / "monthly", engine="dask").sample_posts(fraction, seed=7)
                          .posts()["post_id"])
        # binomial size: within 4 standard deviations of its mean
        mean, sd = fraction * len(posts), (fraction * (1 - fraction) * len(posts)) ** 0.5
        assert abs(len(ids) - mean) < 4 * sd
        assert sample.sample == {"fraction": fraction, "seed": 7, "posts": len(ids), "of_posts": len(posts)}
        # every column of a kept post, unchanged
        kept = posts[posts["post_id"].isin(ids)].reset_index(drop=True)
        pd.testing.assert_frame_equal(sample.posts(columns="all")[kept.columns].reset_index(drop=True), kept)
    small, large = (set(corpus.sample_posts(f, seed=7).posts()["post_id"]) for f in (0.05, 0.3))
    assert small < large                                   # nested: a smaller fraction's sample lies inside
    other = set(corpus.sample_posts(0.3, seed=8).posts()["post_id"])
    assert 0.15 < len(other & large) / len(large) < 0.45   # another seed: independent (expected overlap 0.3)
    assert len(corpus.sample_posts(1, seed=7).posts()) == len(posts)


def test_sample_posts_keeps_the_window_and_the_other_tables_and_is_not_saved(tmp_path):
    corpus, _ = synth.generate(3000, seed=3, months=6)
    saved = corpus.save(tmp_path / "forum")
    start = saved.posts()["created_at"].sort_values().iloc[1000]
    sample = saved.window(start=start).sample_posts(0.5, seed=0)
    assert sample.sample["of_posts"] == len(saved.posts(start=start))
    assert (sample.posts()["created_at"] >= start).all()
    pd.testing.assert_frame_equal(sample.members(), saved.window(start=start).members())
    assert sample.path is None and saved.path is not None and saved.sample is None
    with pytest.raises(errors.PeerscopeError, match="is a sample of its posts"):
        sample.save(tmp_path / "copy")
    for bad in (0, 1.5, -0.1, True, "half"):
        with pytest.raises(errors.PeerscopeError, match="fraction="):
            saved.sample_posts(bad)
