"""One test per validation rule, and the accounting of repair."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from peerscope import Corpus, CorpusWriter, errors, open_corpus
from peerscope.corpus.description import describe
from peerscope.corpus.validation import TableAccount


def _build(posts, members=None, events=None, items=None, **kwargs):
    return Corpus.from_frames(posts, members, events, items, **kwargs)


def test_valid_tiny_forum_passes(tiny_frames):
    posts, members, events = tiny_frames
    corpus = _build(posts, members, events)
    assert corpus.manifest["accounting"]["posts"]["rows_kept"] == 6
    assert corpus.has_roster


def test_missing_required_column_names_table_and_column(tiny_frames):
    posts, _, _ = tiny_frames
    with pytest.raises(errors.MissingColumnError) as info:
        _build(posts.drop(columns=["thread_id"]))
    assert info.value.table == "posts" and info.value.column == "thread_id"
    assert "thread_id" in str(info.value) and "missing_column" in str(info.value)


def test_missing_column_is_not_repairable(tiny_frames):
    posts, _, _ = tiny_frames
    with pytest.raises(errors.MissingColumnError):
        _build(posts.drop(columns=["created_at"]), repair=True)


def test_mistyped_time_names_the_rows(tiny_frames):
    posts, _, _ = tiny_frames
    posts = posts.assign(created_at=posts["created_at"].astype("str"))
    posts.loc[2, "created_at"] = "yesterday-ish"
    with pytest.raises(errors.ColumnTypeError) as info:
        _build(posts)
    error = info.value
    assert (error.table, error.column, error.n_offending) == ("posts", "created_at", 1)
    assert error.rows == [{"row": 2, "post_id": "p3", "created_at": "yesterday-ish"}]


def test_iso_strings_with_offsets_are_read_as_utc(tiny_frames):
    posts, _, _ = tiny_frames
    posts = posts.assign(created_at=["2024-01-01T20:00:00+01:00"] * 3 + ["2024-02-01T19:00:00Z"] * 3)
    stored = _build(posts).posts()
    assert stored["created_at"].iloc[0] == pd.Timestamp("2024-01-01 19:00", tz="UTC")


def test_mistyped_integer_column(tiny_frames):
    posts, _, _ = tiny_frames
    posts = posts.assign(score=["1", "2", "lots", "0", "1", None])
    with pytest.raises(errors.ColumnTypeError) as info:
        _build(posts)
    assert info.value.column == "score" and info.value.rows[0]["row"] == 2


def test_epoch_numbers_are_not_silently_read_as_times(tiny_frames):
    posts, _, _ = tiny_frames
    posts = posts.assign(created_at=[1_700_000_000] * 6)
    with pytest.raises(errors.ColumnTypeError, match="unit='s'"):
        _build(posts)


def test_integer_ids_become_strings_without_float_noise(tiny_frames):
    posts, _, _ = tiny_frames
    posts = posts.assign(post_id=[1, 2, 3, 4, 5, 6], thread_id=[1, 1, 1, 4, 4, 4],
                         parent_id=[None, 1, 2, None, 4, 4])  # float64 with NaN, as read_csv gives
    stored = _build(posts).posts()
    assert stored["parent_id"].tolist()[1:3] == ["1", "2"]
    assert stored["post_id"].tolist() == ["1", "2", "3", "4", "5", "6"]


def test_null_in_required_column(tiny_frames):
    posts, _, _ = tiny_frames
    posts.loc[4, "thread_id"] = None
    with pytest.raises(errors.MissingValueError) as info:
        _build(posts)
    assert info.value.column == "thread_id" and info.value.rows[0]["post_id"] == "p5"


def test_duplicate_post_id(tiny_frames):
    posts, _, _ = tiny_frames
    posts.loc[5, "post_id"] = "p2"
    with pytest.raises(errors.DuplicateIdError) as info:
        _build(posts)
    assert info.value.rows == [{"row": 5, "post_id": "p2"}]


def test_duplicate_member_id(tiny_frames):
    posts, members, _ = tiny_frames
    members = pd.concat([members, members.iloc[[1]]], ignore_index=True)
    with pytest.raises(errors.DuplicateIdError) as info:
        _build(posts, members)
    assert info.value.table == "members" and info.value.rows[0]["member_id"] == "bob"


def test_dangling_parent(tiny_frames):
    posts, _, _ = tiny_frames
    posts.loc[2, "parent_id"] = "p99"
    with pytest.raises(errors.DanglingReferenceError) as info:
        _build(posts)
    assert info.value.rule == "dangling_parent"
    assert info.value.rows == [{"row": 2, "post_id": "p3", "parent_id": "p99"}]


def test_parent_in_another_thread(tiny_frames):
    posts, _, _ = tiny_frames
    posts.loc[4, "parent_id"] = "p2"  # p5 is in thread p4, p2 in thread p1
    with pytest.raises(errors.CrossThreadReplyError) as info:
        _build(posts)
    assert info.value.rows[0]["post_id"] == "p5"


def test_reply_cycle(tiny_frames):
    posts, _, _ = tiny_frames
    posts.loc[1, "parent_id"] = "p3"  # p2 -> p3 -> p2
    with pytest.raises(errors.ReplyCycleError) as info:
        _build(posts)
    assert {r["post_id"] for r in info.value.rows} == {"p2", "p3"}


def test_self_reply_is_a_cycle(tiny_frames):
    posts, _, _ = tiny_frames
    posts.loc[0, "parent_id"] = "p1"
    with pytest.raises(errors.ReplyCycleError):
        _build(posts)


def test_long_chain_is_not_a_cycle():
    n = 3000
    posts = pd.DataFrame({
        "post_id": [f"p{i}" for i in range(n)], "thread_id": "p0",
        "parent_id": [None] + [f"p{i - 1}" for i in range(1, n)], "author_id": "a",
        "created_at": pd.date_range("2024-01-01", periods=n, freq="min", tz="UTC"), "text": "x"})
    assert _build(posts).manifest["tables"]["posts"]["rows"] == n


def test_author_not_in_roster(tiny_frames):
    posts, members, _ = tiny_frames
    posts.loc[3, "author_id"] = "stranger"
    with pytest.raises(errors.DanglingReferenceError) as info:
        _build(posts, members)
    assert (info.value.table, info.value.column, info.value.rule) == ("posts", "author_id", "unknown_member")


def test_author_outside_a_members_table_that_is_no_roster(tiny_frames):
    posts, members, _ = tiny_frames
    posts.loc[3, "author_id"] = "stranger"
    corpus = _build(posts, members, roster=False)
    assert not corpus.has_roster


def test_event_member_not_in_roster(tiny_frames):
    posts, members, events = tiny_frames
    events.loc[1, "member_id"] = "ghost"
    with pytest.raises(errors.DanglingReferenceError) as info:
        _build(posts, members, events)
    assert (info.value.table, info.value.column) == ("events", "member_id")


def test_naive_times_need_assume_tz(tiny_frames):
    posts, _, _ = tiny_frames
    naive = posts.assign(created_at=posts["created_at"].dt.tz_localize(None))
    with pytest.raises(errors.NaiveTimestampError, match="assume_tz"):
        _build(naive)
    stored = _build(naive, assume_tz="Europe/London").posts()
    # 20:00 in London in January is 20:00 UTC; naive strings work the same way
    assert stored["created_at"].iloc[0] == pd.Timestamp("2024-01-01 20:00", tz="UTC")
    stored = _build(naive.assign(created_at=naive["created_at"].astype("str")),
                    assume_tz="America/New_York").posts()
    assert stored["created_at"].iloc[0] == pd.Timestamp("2024-01-02 01:00", tz="UTC")


def test_naive_times_are_not_repairable(tiny_frames):
    posts, _, _ = tiny_frames
    with pytest.raises(errors.NaiveTimestampError):
        _build(posts.assign(created_at=posts["created_at"].dt.tz_localize(None)), repair=True)


@pytest.mark.parametrize("when", ["1901-05-01 10:00", "2999-01-01 00:00"])
def test_implausible_times(tiny_frames, when):
    posts, _, _ = tiny_frames
    posts["created_at"] = posts["created_at"].astype("object")
    posts.loc[0, "created_at"] = pd.Timestamp(when, tz="UTC")
    with pytest.raises(errors.ImplausibleTimeError) as info:
        _build(posts)
    assert info.value.rows[0]["post_id"] == "p1"


def test_invalid_role_and_form(tiny_frames):
    posts, members, events = tiny_frames
    with pytest.raises(errors.InvalidCategoryError) as info:
        _build(posts, members.assign(role=["member", "admin", "member", "bot"]))
    assert info.value.column == "role" and info.value.rows[0]["role"] == "admin"
    with pytest.raises(errors.InvalidCategoryError) as info:
        _build(posts, members, events.assign(form=["online", "telephone", "group"]))
    assert info.value.table == "events"


def test_error_message_quotes_at_most_five_rows(tiny_frames):
    posts, _, _ = tiny_frames
    posts = pd.concat([posts] * 3, ignore_index=True)
    with pytest.raises(errors.DuplicateIdError) as info:
        _build(posts)
    assert info.value.n_offending == 12 and len(info.value.rows) == 5
    assert "12 offending row(s), first 5" in str(info.value)


# -- repair -------------------------------------------------------------------

def test_repair_quarantines_and_accounts_for_every_row(tiny_frames, tmp_path):
    posts, members, events = tiny_frames
    posts.loc[0, "created_at"] = pd.NaT          # null time: quarantined ...
    posts.loc[4, "post_id"] = "p2"                # duplicate id: quarantined
    events.loc[0, "member_id"] = "ghost"          # not in roster
    corpus = _build(posts, members, events, repair=True)
    accounting = corpus.manifest["accounting"]
    # ... and p2, p3 hung below p1, so they are quarantined in cascade
    assert accounting["posts"] == {
        "rows_read": 6, "rows_skipped": 0, "skipped_reasons": {}, "rows_quarantined": 4,
        "quarantine_reasons": {"dangling_parent": 2, "duplicate_id": 1, "null_required": 1},
        "rows_kept": 2, "kept_notes": {}}
    assert accounting["events"]["rows_quarantined"] == 1
    for table, account in accounting.items():
        assert account["rows_read"] == account["rows_kept"] + account["rows_quarantined"] + account["rows_skipped"]
    assert sorted(corpus.posts()["post_id"]) == ["p4", "p6"]

    quarantine = corpus.quarantine("posts")
    assert quarantine["row"].tolist() == [0, 1, 2, 4]
    assert quarantine.set_index("row")["reason"].to_dict() == {
        0: "null_required", 1: "dangling_parent", 2: "dangling_parent", 4: "duplicate_id"}

    saved = corpus.save(tmp_path / "c")
    assert (tmp_path / "c" / "quarantine" / "posts.parquet").is_file()
    pd.testing.assert_frame_equal(saved.quarantine("posts"), quarantine)
    assert saved.manifest["accounting"] == accounting


def test_repair_of_a_cycle_quarantines_the_cycle_and_what_hangs_below(tiny_frames):
    posts, _, _ = tiny_frames
    posts.loc[1, "parent_id"] = "p3"
    corpus = _build(posts, repair=True)
    assert corpus.manifest["accounting"]["posts"]["quarantine_reasons"] == {"reply_cycle": 2}
    assert sorted(corpus.posts()["post_id"]) == ["p1", "p4", "p5", "p6"]


def test_repair_of_bad_values(tiny_frames):
    posts, members, _ = tiny_frames
    posts = posts.assign(score=["1", "2", "lots", "0", "1", None])
    corpus = _build(posts, members.assign(role=["member", "admin", "member", "bot"]), repair=True)
    # p3 has a bad score; bob (role "admin") leaves the roster, so his posts p2
    # and p4 name an unknown member, and the replies to p4 (p5, p6) dangle
    assert corpus.manifest["accounting"]["posts"]["quarantine_reasons"] == {
        "wrong_type:score": 1, "unknown_member": 2, "dangling_parent": 2}
    assert corpus.manifest["accounting"]["members"]["quarantine_reasons"] == {"invalid_category": 1}


def test_skipped_rows_count_in_the_accounting(tiny_frames):
    posts, _, _ = tiny_frames
    corpus = Corpus.from_frames(posts, skipped={"posts": {"tag wiki": 3}})
    assert corpus.manifest["accounting"]["posts"]["rows_read"] == 9
    assert corpus.manifest["accounting"]["posts"]["rows_skipped"] == 3


# -- kept notes: rows kept but changed on import --------------------------------------

MISSING = "parent not in the data: kept with a null parent"
GENERATED = "no post id: kept with a generated id"


def test_kept_notes_are_written_sorted_and_read_back():
    account = TableAccount(rows_read=5, rows_kept=5, kept_notes={MISSING: 2, GENERATED: 5})
    written = account.to_dict()
    assert list(written["kept_notes"]) == sorted([MISSING, GENERATED])
    assert TableAccount.from_dict(json.loads(json.dumps(written))) == account
    account.check("posts")   # notes overlap and exceed no total: 2 + 5 > 5 is fine
    counted = TableAccount(rows_read=5, rows_kept=5, kept_notes={MISSING: np.int64(2)})
    counted.check("posts")   # a numpy count is a whole number, written as a plain int
    assert type(counted.to_dict()["kept_notes"][MISSING]) is int


def test_an_old_manifest_without_kept_notes_reads_as_none(tiny_frames, tmp_path):
    old = {"rows_read": 3, "rows_skipped": 1, "skipped_reasons": {"junk": 1},
           "rows_quarantined": 0, "quarantine_reasons": {}, "rows_kept": 2}
    assert TableAccount.from_dict(old).kept_notes == {}
    TableAccount.from_dict(old).check("posts")
    saved = Corpus.from_frames(tiny_frames[0]).save(tmp_path / "c")
    manifest = json.loads((saved.path / "corpus.json").read_text())
    for account in manifest["accounting"].values():
        del account["kept_notes"]
    (saved.path / "corpus.json").write_text(json.dumps(manifest))
    reopened = open_corpus(saved.path)
    assert "kept_notes" not in reopened.manifest["accounting"]["posts"]
    assert describe(reopened).kept_notes == {}
    again = reopened.save(tmp_path / "again")     # saving an old corpus writes the new slot
    assert again.manifest["accounting"]["posts"]["kept_notes"] == {}


@pytest.mark.parametrize("count", [-1, 1.5, "3", True, None])
def test_kept_notes_must_be_whole_non_negative_counts(count, tiny_frames, tmp_path):
    with pytest.raises(errors.ManifestError, match="table 'posts'.*kept note"):
        TableAccount(rows_read=1, rows_kept=1, kept_notes={MISSING: count}).check("posts")
    saved = Corpus.from_frames(tiny_frames[0]).save(tmp_path / "c")
    manifest = json.loads((saved.path / "corpus.json").read_text())
    manifest["accounting"]["posts"]["kept_notes"] = {MISSING: count}
    (saved.path / "corpus.json").write_text(json.dumps(manifest))
    with pytest.raises(errors.ManifestError, match="table 'posts'"):
        open_corpus(saved.path)


def test_kept_notes_that_are_no_mapping_are_rejected():
    with pytest.raises(errors.ManifestError, match="table 'events'"):
        TableAccount(kept_notes=[MISSING]).check("events")


def test_from_frames_keeps_notes_of_rows_quarantined_later(tiny_frames):
    posts = tiny_frames[0].copy()
    posts.loc[2, "created_at"] = pd.NaT          # p3: quarantined by validation
    corpus = Corpus.from_frames(posts, repair=True, skipped={"posts": {"junk": 1}},
                                kept_notes={"posts": {MISSING: 1, GENERATED: 6}})
    account = corpus.manifest["accounting"]["posts"]
    assert (account["rows_read"], account["rows_kept"], account["rows_quarantined"],
            account["rows_skipped"]) == (7, 5, 1, 1)
    # counted when the loader made the change: the quarantined p3 still counts
    assert account["kept_notes"] == {GENERATED: 6, MISSING: 1}
    with pytest.raises(errors.ManifestError, match="table 'posts'"):
        Corpus.from_frames(tiny_frames[0], kept_notes={"posts": {MISSING: -2}})
    with pytest.raises(errors.PeerscopeError, match="no table 'replies'"):
        Corpus.from_frames(tiny_frames[0], kept_notes={"replies": {MISSING: 1}})


def test_writer_notes_kept_rows_beside_skipped_ones(tiny_frames, tmp_path):
    posts, _, _ = tiny_frames
    with CorpusWriter(tmp_path / "w", roster=False) as writer:
        writer.write("posts", posts.iloc[:3])
        writer.note("posts", MISSING, 2)
        writer.write("posts", posts.iloc[3:])
        writer.note("posts", MISSING)
        writer.note("posts", GENERATED, 0)        # nothing to note: not recorded
        writer.skip("posts", "junk", 4)
    account = writer.corpus.manifest["accounting"]["posts"]
    assert account["kept_notes"] == {MISSING: 3}
    assert (account["rows_read"], account["rows_kept"], account["rows_skipped"]) == (10, 6, 4)
    assert open_corpus(tmp_path / "w").manifest["accounting"]["posts"]["kept_notes"] == {MISSING: 3}
    with pytest.raises(errors.PeerscopeError, match="no table"):
        with CorpusWriter(tmp_path / "w2", roster=False) as writer:
            writer.write("posts", posts)
            writer.note("threads", MISSING)
    with pytest.raises(errors.ManifestError, match="table 'posts'"):
        with CorpusWriter(tmp_path / "w3", roster=False) as writer:
            writer.write("posts", posts)
            writer.note("posts", MISSING, -1)
    assert not (tmp_path / "w3").exists()


def test_save_carries_kept_notes_over_unchanged(tiny_frames, tmp_path):
    posts, _, _ = tiny_frames
    corpus = Corpus.from_frames(posts, kept_notes={"posts": {MISSING: 2}})
    saved = corpus.save(tmp_path / "whole")
    assert saved.manifest["accounting"] == corpus.manifest["accounting"]
    # a windowed save moves the rows outside the window to skipped; the notes stay as imported
    january = corpus.window("2024-01-01", "2024-02-01").save(tmp_path / "january")
    account = january.manifest["accounting"]["posts"]
    assert account["rows_kept"] == 3 and account["rows_skipped"] == 3
    assert account["kept_notes"] == {MISSING: 2}
    assert describe(january).kept_notes == {"posts": {MISSING: 2}}
