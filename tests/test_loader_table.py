"""Tests of the table and nested-tree loaders (peerscope.loaders.table)."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peerscope import errors
from peerscope.loaders.table import (NOTE_EXTRA_OPENING, NOTE_GENERATED_ID, NOTE_NO_OPENING,
                                     nested, table)

ALS_MAPPING = {"thread_id": "post_id", "author_id": "user_name", "created_at": "date",
               "text": "body", "title": "title", "is_reply": "reply"}
AC_MAPPING = {"thread_id": "url", "author_id": "user_name", "created_at": "date",
              "text": "body", "title": "title", "is_reply": "reply"}
AC_THREAD = r"-(\d+)\.htm"


# ---------------------------------------------------------------------------
# Real data: ALSForums
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def als(shared_data):
    path = shared_data / "forum-alsforums-caregivers" / "als.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    corpus = table(path, ALS_MAPPING, replies="flat", assume_tz="UTC")
    return raw, corpus


def test_als_counts_match_the_raw_file(als):
    raw, corpus = als
    posts = corpus.posts()
    openings = raw[raw["reply"] == "False"]
    threads = raw["post_id"].nunique()
    assert len(posts) == len(raw) == 2447
    assert posts["thread_id"].nunique() == threads == 172
    assert posts["author_id"].nunique() == raw["user_name"].nunique() == 200
    assert posts["parent_id"].isna().sum() == threads
    account = corpus.manifest["accounting"]["posts"]
    # pagination: every reply=False row beyond the first of its thread becomes a reply; the
    # file's post_id is the thread, so every row gets a generated id
    assert account["kept_notes"] == {NOTE_EXTRA_OPENING: len(openings) - threads,
                                     NOTE_GENERATED_ID: len(raw)}
    assert account["kept_notes"] == {NOTE_EXTRA_OPENING: 81, NOTE_GENERATED_ID: 2447}
    assert "notes" not in corpus.manifest["provenance"]["parameters"]
    assert (account["rows_read"], account["rows_kept"], account["rows_skipped"],
            account["rows_quarantined"]) == (2447, 2447, 0, 0)
    assert not corpus.has_table("members")  # no role lists given: nothing to record


def test_als_opening_post_is_earliest_flagged_row(als):
    raw, corpus = als
    raw = raw.assign(row=np.arange(len(raw)), at=pd.to_datetime(raw["date"]))
    first = (raw[raw["reply"] == "False"].sort_values(["post_id", "at", "row"])
             .drop_duplicates("post_id"))
    posts = corpus.posts()
    opening = posts[posts["parent_id"].isna()].set_index("thread_id")
    expected_ids = first["post_id"] + "-" + (
        raw.groupby("post_id").cumcount().loc[first.index].astype(str))
    assert sorted(opening["post_id"]) == sorted(expected_ids)
    assert (opening.loc[first["post_id"], "author_id"].to_numpy()
            == first["user_name"].to_numpy()).all()
    replies = posts[posts["parent_id"].notna()]
    assert (replies["parent_id"].to_numpy()
            == opening.loc[replies["thread_id"], "post_id"].to_numpy()).all()


def test_als_naive_dates_need_a_timezone(shared_data):
    path = shared_data / "forum-alsforums-caregivers" / "als.csv"
    with pytest.raises(errors.NaiveTimestampError, match="assume_tz"):
        table(path, ALS_MAPPING, replies="flat")


# ---------------------------------------------------------------------------
# Real data: AgingCare
# ---------------------------------------------------------------------------

def _agingcare_expected(records):
    """Counts straight from the raw records, in plain Python."""
    def thread(r):
        found = re.search(AC_THREAD, r["url"])
        return found.group(1) if found else None

    def text(body):
        parts = [p for p in body if p.strip()] if isinstance(body, list) else [body]
        joined = "\n\n".join(parts)
        return joined if joined.strip() else None

    bad = [i for i, r in enumerate(records) if thread(r) is None or r["date"] == ""]
    first_opening: dict[str, tuple] = {}
    repeated = set()
    for i, r in sorted(enumerate(records), key=lambda p: (p[1]["date"], p[0])):
        if i in bad or r["reply"]:
            continue
        key = (r["user_name"], r["date"], text(r["body"]))
        t = thread(r)
        if t not in first_opening:
            first_opening[t] = key
        elif first_opening[t] == key:
            repeated.add(i)
    kept = [r for i, r in enumerate(records) if i not in bad and i not in repeated]
    # kept notes count the rows the loader kept (before validation quarantines the bad ones)
    handed_on = [r for i, r in enumerate(records) if i not in repeated]
    flagged = {thread(r) for r in handed_on if thread(r) is not None and not r["reply"]}
    extra_opening = sum(1 for r in handed_on if thread(r) is not None and not r["reply"]) - len(flagged)
    notes = {NOTE_EXTRA_OPENING: extra_opening,
             NOTE_NO_OPENING: sum(thread(r) is not None and thread(r) not in flagged for r in handed_on),
             NOTE_GENERATED_ID: sum(thread(r) is not None for r in handed_on)}
    return {"bad": len(bad), "repeated": len(repeated), "threads": len({thread(r) for r in kept}),
            "empty_bodies": sum(text(r["body"]) is None for r in kept), "kept_rows": len(kept),
            "kept_notes": {note: n for note, n in notes.items() if n}}


def test_agingcare_counts_match_the_raw_file(shared_data):
    path = shared_data / "forum-agingcare-caregivers" / "ac.json"
    records = json.loads(path.read_text(encoding="utf-8"))
    expected = _agingcare_expected(records)
    corpus = table(path, AC_MAPPING, replies="flat", extract={"thread_id": AC_THREAD},
                   assume_tz="UTC", repair=True)
    posts = corpus.posts(columns="all")
    account = corpus.manifest["accounting"]["posts"]
    assert account["rows_read"] == len(records) == 4154
    assert account["quarantine_reasons"] == {"null_required": expected["bad"]} == {"null_required": 9}
    assert account["skipped_reasons"] == {"repeated_opening_post": expected["repeated"]}
    assert expected["repeated"] == 31
    assert len(posts) == expected["kept_rows"] == 4154 - 9 - 31
    assert posts["thread_id"].nunique() == expected["threads"] == 180
    assert posts["parent_id"].isna().sum() == expected["threads"]
    assert posts["text"].isna().sum() == expected["empty_bodies"]
    assert posts["author_id"].nunique() == len({r["user_name"] for r in records
                                                 if re.search(AC_THREAD, r["url"]) and r["date"]})
    # no extra opening rows, every thread has one; all 4,123 rows handed on with a thread
    # (9 bad rows are quarantined later, but none of them has a thread) get generated ids
    assert account["kept_notes"] == expected["kept_notes"] == {NOTE_GENERATED_ID: 4154 - 31 - 9}
    # the opening body is a list of paragraphs: joined by a blank line
    multi = next(r for r in records if isinstance(r["body"], list) and len(r["body"]) > 2)
    opening = posts[(posts["thread_id"] == re.search(AC_THREAD, multi["url"]).group(1))
                    & posts["parent_id"].isna()]
    assert opening["text"].iloc[0].count("\n\n") >= 1
    assert opening["text"].iloc[0].startswith(multi["body"][0])


def test_agingcare_without_repair_names_file_row_and_column(shared_data):
    path = shared_data / "forum-agingcare-caregivers" / "ac.json"
    with pytest.raises(errors.SourceError) as caught:
        table(path, AC_MAPPING, replies="flat", extract={"thread_id": AC_THREAD}, assume_tz="UTC")
    assert caught.value.path == str(path)
    assert caught.value.column == "url"
    assert "row 0" in str(caught.value)


# ---------------------------------------------------------------------------
# Formats, mapping, dates, roles
# ---------------------------------------------------------------------------

def _small() -> pd.DataFrame:
    return pd.DataFrame({
        "id": ["10", "11", "12", "20", "21"],
        "parent": ["", "10", "11", "", "20"],
        "user": ["ann", "bob", "Guest", "[deleted]", "bot9"],
        "date": ["2024-01-01T10:00:00Z", "2024-01-01T11:00:00Z", "2024-01-02T09:00:00+01:00",
                 "2024-02-01T08:00:00Z", "2024-02-01T08:05:00Z"],
        "body": ["Bad night", "Same here", "", "Meds?", "Welcome!"],
    })


PARENT_MAPPING = {"post_id": "id", "parent_id": "parent", "author_id": "user",
                  "created_at": "date", "text": "body"}


def _write(frame: pd.DataFrame, path, kind: str):
    if kind == "csv":
        frame.to_csv(path, index=False)
    elif kind == "tsv":
        frame.to_csv(path, index=False, sep="\t")
    elif kind == "json":
        path.write_text(json.dumps(frame.to_dict("records")))
    elif kind == "jsonl":
        path.write_text("\n".join(json.dumps(r) for r in frame.to_dict("records")) + "\n")
    else:
        frame.to_parquet(path)


@pytest.mark.parametrize("kind", ["csv", "tsv", "json", "jsonl", "parquet"])
def test_every_format_gives_the_same_posts(tmp_path, kind):
    path = tmp_path / f"posts.{kind}"
    _write(_small(), path, kind)
    posts = table(path, PARENT_MAPPING).posts(columns="all")
    assert posts["post_id"].tolist() == ["10", "11", "12", "20", "21"]
    assert posts["thread_id"].tolist() == ["10", "10", "10", "20", "20"]  # roots of the parent chains
    assert posts["parent_id"].fillna("").tolist() == ["", "10", "11", "", "20"]
    assert posts["text"].isna().tolist() == [False, False, True, False, False]  # empty body -> null
    assert posts["created_at"].iloc[2] == pd.Timestamp("2024-01-02T08:00:00Z")


def test_roles_go_to_a_members_table_without_roster(tmp_path):
    corpus = table(_small(), PARENT_MAPPING, anonymous_authors={"Guest"},
                   deleted_authors={"[deleted]", "None"}, bot_authors={"bot9"})
    members = corpus.members().set_index("member_id")["role"].to_dict()
    assert members == {"Guest": "anonymous", "[deleted]": "deleted", "bot9": "bot"}
    assert corpus.has_roster is False


def test_a_real_roster_is_merged_with_roles(tmp_path):
    roster = pd.DataFrame({"member_id": ["ann", "bob", "cat"], "role": ["member", "moderator", None]})
    roster_path = tmp_path / "members.csv"
    roster.to_csv(roster_path, index=False)
    corpus = table(_small(), PARENT_MAPPING, anonymous_authors={"Guest"},
                   deleted_authors={"[deleted]"}, bot_authors={"bot9"}, members=roster_path)
    assert corpus.has_roster is True
    members = corpus.members().set_index("member_id")["role"]
    assert members["bob"] == "moderator" and members["bot9"] == "bot" and "cat" in members.index
    with pytest.raises(errors.ValidationError, match="roster"):
        table(_small(), PARENT_MAPPING, members=roster)  # Guest etc. are not in the roster


def test_missing_mapped_column_names_file_and_column(tmp_path):
    path = tmp_path / "posts.csv"
    _write(_small(), path, "csv")
    with pytest.raises(errors.SourceError) as caught:
        table(path, {**PARENT_MAPPING, "title": "subject"})
    assert caught.value.column == "subject" and caught.value.path == str(path)


def test_bad_date_raises_or_is_quarantined(tmp_path):
    frame = _small()
    frame.loc[3, "date"] = "not a date"
    path = tmp_path / "posts.csv"
    _write(frame, path, "csv")
    with pytest.raises(errors.SourceError, match="row 3") as caught:
        table(path, PARENT_MAPPING)
    assert caught.value.column == "date"
    corpus = table(path, PARENT_MAPPING, repair=True)
    account = corpus.manifest["accounting"]["posts"]
    # post 20 is unparseable; its reply 21 then dangles: both quarantined, with reasons
    assert account["quarantine_reasons"] == {"null_required": 1, "dangling_parent": 1}
    assert corpus.quarantine("posts")["row"].tolist() == [3, 4]
    assert account["rows_kept"] == 3


def test_dangling_parent_is_a_validation_error(tmp_path):
    frame = _small()
    frame.loc[4, "parent"] = "99"
    with pytest.raises(errors.DanglingReferenceError):
        table(frame, PARENT_MAPPING)


def test_epoch_dates_and_explicit_formats():
    frame = _small().assign(date=[1704103200, 1704106800, 1704182400, 1706774400, 1706774700])
    posts = table(frame, PARENT_MAPPING).posts()
    assert posts["created_at"].iloc[0] == pd.Timestamp("2024-01-01T10:00:00Z")
    millis = frame.assign(date=frame["date"] * 1000)
    assert table(millis, PARENT_MAPPING, date_format="unix_ms").posts()["created_at"].equals(
        posts["created_at"])
    european = frame.assign(date=["01/01/2024 10:00", "01/01/2024 11:00", "02/01/2024 08:00",
                                  "01/02/2024 08:00", "01/02/2024 08:05"])
    posts = table(european, PARENT_MAPPING, date_format="%d/%m/%Y %H:%M",
                  assume_tz="Europe/London").posts()
    assert posts["created_at"].iloc[3] == pd.Timestamp("2024-02-01T08:00:00Z")


def test_flat_without_flag_takes_the_earliest_row_and_keeps_given_ids():
    frame = pd.DataFrame({"id": ["a", "b", "c"], "thread": ["t", "t", "t"],
                          "date": ["2024-01-02", "2024-01-01", "2024-01-03"], "user": ["x", "y", "z"]})
    posts = table(frame, {"post_id": "id", "thread_id": "thread", "created_at": "date",
                          "author_id": "user"}, replies="flat", assume_tz="UTC").posts()
    assert posts.set_index("post_id")["parent_id"].fillna("").to_dict() == {"a": "b", "b": "", "c": "b"}


def test_flat_threads_note_what_they_changed():
    """Thread 1: two flagged rows (the later one becomes a reply); thread 2: none flagged."""
    frame = pd.DataFrame({"id": ["a", "b", "c", "d", "e"], "thread": ["1", "1", "1", "2", "2"],
                          "date": ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-01", "2024-01-02"],
                          "user": ["x", "y", "z", "x", "y"],
                          "opening": ["yes", "no", "yes", "no", "no"]})
    mapping = {"post_id": "id", "thread_id": "thread", "created_at": "date", "author_id": "user",
               "is_opening": "opening"}
    corpus = table(frame, mapping, replies="flat", assume_tz="UTC")
    parents = corpus.posts().set_index("post_id")["parent_id"].fillna("").to_dict()
    assert parents == {"a": "", "b": "a", "c": "a", "d": "", "e": ""}
    account = corpus.manifest["accounting"]["posts"]
    assert account["kept_notes"] == {NOTE_EXTRA_OPENING: 1, NOTE_NO_OPENING: 2}
    without_ids = table(frame, {k: v for k, v in mapping.items() if k != "post_id"},
                        replies="flat", assume_tz="UTC")
    assert without_ids.manifest["accounting"]["posts"]["kept_notes"] == {
        NOTE_EXTRA_OPENING: 1, NOTE_NO_OPENING: 2, NOTE_GENERATED_ID: 5}


def test_bad_arguments_are_peerscope_errors(tmp_path):
    with pytest.raises(errors.PeerscopeError):
        table(_small(), PARENT_MAPPING, replies="tree")
    with pytest.raises(errors.PeerscopeError):
        table(_small(), {"post_id": "id", "created_at": "date", "colour": "x"})
    with pytest.raises(errors.PeerscopeError):
        table(_small(), PARENT_MAPPING, replies="flat")
    with pytest.raises(errors.SourceError):
        table(tmp_path / "missing.csv", PARENT_MAPPING)
    with pytest.raises(errors.SourceError):
        table(tmp_path / "posts.xlsx", PARENT_MAPPING)


def test_privacy_options_pass_through():
    frame = _small().assign(body=["mail ann@example.org", "x", "y", "z", "w"])
    corpus = table(frame, PARENT_MAPPING, pseudonymise="a long secret salt", scrub_pii=True,
                   deleted_authors={"[deleted]"})
    posts = corpus.posts(columns="all")
    assert posts["text"].iloc[0] == "mail [email]"
    assert posts["author_id"].str.startswith("p_").all()
    assert corpus.members()["member_id"].iloc[0] == posts["author_id"].iloc[3]


def test_malformed_json_names_the_line(tmp_path):
    path = tmp_path / "posts.json"
    path.write_text('[{"id": "1"},\n{"id": "2",,}]')
    with pytest.raises(errors.SourceError) as caught:
        table(path, PARENT_MAPPING)
    assert caught.value.line == 2
    lines = tmp_path / "posts.jsonl"
    lines.write_text('{"id": "1"}\n\n{"id": 2\n')
    with pytest.raises(errors.SourceError) as caught:
        table(lines, PARENT_MAPPING)
    assert caught.value.line == 3


# ---------------------------------------------------------------------------
# Nested trees
# ---------------------------------------------------------------------------

TREE_MAPPING = {"post_id": "id", "author_id": "by", "created_at": "at", "text": "text"}


def _tree():
    return [{"id": 1, "by": "ann", "at": "2024-01-01T10:00Z", "text": "Hello?", "children": [
        {"id": 2, "by": "bob", "at": "2024-01-01T11:00Z", "text": "Hi", "children": [
            {"id": 3, "by": "ann", "at": "2024-01-01T12:00Z", "text": "Thanks"}]},
        {"id": 4, "by": "cat", "at": "2024-01-01T13:00Z", "text": ["Welcome", "to all"]}]},
        {"id": 5, "by": "dan", "at": "2024-01-02T10:00Z", "text": "Another", "children": []}]


def test_nested_flattens_with_parents_and_root_threads(tmp_path):
    path = tmp_path / "trees.json"
    path.write_text(json.dumps(_tree()))
    posts = nested(path, mapping=TREE_MAPPING).posts(columns="all")
    assert posts["post_id"].tolist() == ["1", "2", "3", "4", "5"]
    assert posts["parent_id"].fillna("").tolist() == ["", "1", "2", "1", ""]
    assert posts["thread_id"].tolist() == ["1", "1", "1", "1", "5"]
    assert posts["text"].iloc[3] == "Welcome\n\nto all"
    lines = tmp_path / "trees.jsonl"
    lines.write_text("\n".join(json.dumps(t) for t in _tree()))
    assert nested(lines, mapping=TREE_MAPPING).posts()["parent_id"].equals(posts["parent_id"])


def test_nested_node_without_id_is_a_source_error():
    tree = _tree()
    del tree[0]["children"][0]["children"][0]["id"]
    with pytest.raises(errors.SourceError, match="no id"):
        nested(tree, mapping=TREE_MAPPING)
    with pytest.raises(errors.SourceError, match="not a list"):
        nested([{"id": 1, "at": "2024-01-01T10:00Z", "children": "x"}], mapping=TREE_MAPPING)


# ---------------------------------------------------------------------------
# Fuzzing: only PeerscopeError escapes
# ---------------------------------------------------------------------------

_SEED_CSV = _small().to_csv(index=False).encode()
_SEED_JSON = json.dumps(_small().to_dict("records")).encode()
_SEED_TREE = json.dumps(_tree()).encode()


def _mutated(seed: bytes):
    return st.tuples(st.integers(0, len(seed)), st.integers(0, 12), st.binary(max_size=8)).map(
        lambda m: seed[: m[0]] + m[2] + seed[m[0] + m[1]:])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(_mutated(_SEED_CSV).map(lambda b: ("csv", b)),
                      _mutated(_SEED_JSON).map(lambda b: ("json", b)),
                      _mutated(_SEED_TREE).map(lambda b: ("tree", b))),
       repair=st.booleans())
def test_fuzzed_sources_raise_only_peerscope_errors(tmp_path, data, repair):
    kind, content = data
    path = tmp_path / ("posts.csv" if kind == "csv" else "posts.json")
    path.write_bytes(content)
    try:
        if kind == "tree":
            nested(path, mapping=TREE_MAPPING, repair=repair, assume_tz="UTC")
        else:
            table(path, PARENT_MAPPING, repair=repair, assume_tz="UTC")
    except errors.PeerscopeError:
        pass


@pytest.mark.parametrize("repair", [False, True])
def test_repeated_post_ids_in_parent_mode_give_a_peerscope_error_or_quarantine(tmp_path, repair):
    # found by fuzzing: a repeated id made pandas raise InvalidIndexError while threads were built
    rows = pd.DataFrame({"id": ["a", "a", "b"], "parent": [None, None, "a"], "user": ["u1", "u2", "u3"],
                         "date": ["2024-01-01", "2024-01-02", "2024-01-03"], "body": ["x", "y", "z"]})
    path = tmp_path / "posts.csv"
    rows.to_csv(path, index=False)
    if not repair:
        with pytest.raises(errors.PeerscopeError, match="post_id"):
            table(path, PARENT_MAPPING, assume_tz="UTC")
        return
    corpus = table(path, PARENT_MAPPING, repair=True, assume_tz="UTC")
    account = corpus.manifest["accounting"]["posts"]
    kept = corpus.posts(columns=["post_id", "thread_id"])
    assert kept["post_id"].tolist().count("a") == 1
    assert set(kept["thread_id"]) == {"a"}
    assert account["rows_read"] == 3 and account["rows_quarantined"] == 1


# ---------------------------------------------------------------------------
# Escapes found by fuzzing (issue 17): records with extra fields, deep trees, bad formats, bytes
# ---------------------------------------------------------------------------

_CSV_HEADER = "id,parent,user,date,body\n"


@pytest.mark.parametrize("long_lines", [[3], [2], [2, 3, 4]])
def test_csv_records_with_an_extra_field_are_named_by_line(tmp_path, long_lines):
    rows = ["1,,ann,2024-01-01T10:00Z,hi", "2,1,bob,2024-01-01T11:00Z,yo", "3,1,cat,2024-01-01T12:00Z,ok"]
    lines = [row + ",EXTRA" if number in long_lines else row for number, row in enumerate(rows, start=2)]
    path = tmp_path / "posts.csv"
    path.write_text(_CSV_HEADER + "\n".join(lines) + "\n")
    with pytest.raises(errors.SourceError, match="more fields than the header") as caught:
        table(path, PARENT_MAPPING)
    assert caught.value.path == str(path)
    assert caught.value.line == long_lines[0]
    assert caught.value.column == "field 6"
    assert f"lines {', '.join(map(str, long_lines))}" in str(caught.value)


def test_csv_records_with_an_extra_field_are_skipped_alone_with_repair(tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text(_CSV_HEADER + "1,,ann,2024-01-01T10:00Z,hi,EXTRA\n2,,bob,2024-01-01T11:00Z,yo\n"
                    '3,2,cat,2024-01-01T12:00Z,"two\nlines"\n4,2,dan,2024-01-01T13:00Z,a,b\n'
                    "5,3,eve,2024-01-01T14:00Z,\n")
    corpus = table(path, PARENT_MAPPING, repair=True)
    account = corpus.manifest["accounting"]["posts"]
    assert account["skipped_reasons"] == {"too_many_fields": 2}
    assert (account["rows_read"], account["rows_kept"], account["rows_skipped"],
            account["rows_quarantined"]) == (5, 3, 2, 0)
    posts = corpus.posts(columns="all")
    assert posts["post_id"].tolist() == ["2", "3", "5"]
    assert posts["author_id"].tolist() == ["bob", "cat", "eve"]
    assert posts["text"].tolist()[:2] == ["yo", "two\nlines"] and pd.isna(posts["text"].iloc[2])
    assert posts["parent_id"].fillna("").tolist() == ["", "2", "3"]


def test_a_10000_deep_reply_tree_loads_with_its_parent_links(tmp_path):
    depth = 10_000
    text = "".join(f'{{"id": {n}, "by": "u{n % 7}", "at": "2024-01-01T10:00Z", "text": "x", "children": ['
                   for n in range(depth)) + "]}" * depth
    for name, content in (("deep.json", text), ("deep.jsonl", text + "\n")):
        path = tmp_path / name
        path.write_text(content)
        posts = nested(path, mapping=TREE_MAPPING).posts(columns="all")
        assert len(posts) == depth
        assert posts["post_id"].tolist() == [str(n) for n in range(depth)]
        assert posts["parent_id"].fillna("").tolist() == [""] + [str(n) for n in range(depth - 1)]
        assert set(posts["thread_id"]) == {"0"}


def test_a_deep_json_table_file_loads(tmp_path):
    path = tmp_path / "posts.json"
    records = _small().to_dict("records")
    path.write_text(json.dumps(records)[:-1] + ", " + "[" * 3000 + "]" * 3000 + "]")
    with pytest.raises(errors.SourceError, match="record 6 is a list"):
        table(path, PARENT_MAPPING)


@pytest.mark.parametrize("date_format", ["%Q", "%", "%Y-%m-%d %Q"])
def test_a_bad_date_format_names_the_column(date_format):
    with pytest.raises(errors.PeerscopeError, match="date_format") as caught:
        table(_small(), PARENT_MAPPING, date_format=date_format, assume_tz="UTC")
    assert caught.value.column == "date"


@pytest.mark.parametrize("column", ["id", "parent", "user", "date", "body"])
@pytest.mark.parametrize("repair", [False, True])
def test_bytes_cells_in_a_frame_name_the_column_and_row(column, repair):
    frame = _small().astype(object)
    frame.loc[2, column] = b"\xff\xfe"
    with pytest.raises(errors.SourceError, match="row 2 .*bytes") as caught:
        table(frame, PARENT_MAPPING, repair=repair, assume_tz="UTC")
    assert caught.value.column == column
    tree = _tree()
    tree[0]["children"][0]["by"] = b"bob"
    with pytest.raises(errors.SourceError, match="bytes"):
        nested(tree, mapping=TREE_MAPPING, repair=repair)


# -- compressed sources ------------------------------------------------------------------

_JSONL_MAP = {"post_id": "id", "thread_id": "thread", "parent_id": "parent", "author_id": "user",
              "created_at": "date", "text": "body"}


def _jsonl_records(n=40):
    return [{"id": str(i), "thread": "0", "parent": None if i == 0 else "0", "user": f"u{i % 7}",
             "date": f"2024-01-01T00:{i % 60:02d}:00Z", "body": f"post {i}"} for i in range(n)]


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".jsonl.bz2", ".jsonl.xz", ".jsonl.zst",
                                    ".ndjson.gz", ".json.gz", ".csv.zst"])
def test_compressed_sources_read_as_documented(tmp_path, suffix):
    import bz2
    import gzip
    import lzma

    zstandard = pytest.importorskip("zstandard")
    records = _jsonl_records()
    if ".csv" in suffix:
        text = pd.DataFrame(records).to_csv(index=False)
    elif ".json." in suffix:
        text = json.dumps(records)
    else:
        text = "".join(json.dumps(r) + "\n" for r in records)
    compress = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress,
                ".zst": zstandard.ZstdCompressor().compress}.get(suffix[suffix.rindex("."):], bytes)
    path = tmp_path / f"posts{suffix}"
    path.write_bytes(compress(text.encode()))
    corpus = table(path, _JSONL_MAP, replies="parent")
    posts = corpus.posts(columns="all")
    assert posts["post_id"].tolist() == [r["id"] for r in records]
    assert posts["text"].tolist() == [r["body"] for r in records]
    assert corpus.manifest["accounting"]["posts"]["rows_read"] == len(records)


@pytest.mark.parametrize("suffix", [".jsonl.zst", ".csv.zst", ".jsonl.gz"])
def test_a_truncated_compressed_source_is_refused(tmp_path, suffix):
    import gzip
    import io

    zstandard = pytest.importorskip("zstandard")
    records = _jsonl_records(200)
    lines = ([pd.DataFrame(records[:0]).to_csv(index=False)] if ".csv" in suffix else []) + \
        [(pd.DataFrame([r]).to_csv(index=False, header=False) if ".csv" in suffix else json.dumps(r) + "\n")
         for r in records]
    if ".csv" in suffix:
        lines[0] = ",".join(records[0]) + "\n"
    path = tmp_path / f"posts{suffix}"
    if suffix.endswith(".gz"):
        path.write_bytes(gzip.compress("".join(lines).encode())[:-30])
    else:   # a zstandard frame cut after a block that ends a line: nothing marks the loss
        buffer, ends = io.BytesIO(), []
        writer = zstandard.ZstdCompressor().stream_writer(buffer, closefd=False)
        for line in lines:
            writer.write(line.encode())
            writer.flush(zstandard.FLUSH_BLOCK)
            ends.append(buffer.tell())
        path.write_bytes(buffer.getvalue()[:ends[len(lines) // 2]])
    with pytest.raises(errors.SourceError) as caught:
        table(path, _JSONL_MAP, replies="parent")
    assert caught.value.path == str(path)


def test_ids_written_as_floats_match_whole_numbers(tmp_path):
    """A parent written ``2.0`` (a float column with gaps, as pandas writes it) is post ``2``."""
    path = tmp_path / "posts.csv"
    path.write_text("id,parent,thread,user,date,body\n1,,1,a,2024-01-01T00:00Z,x\n"
                    "2,1.0,1,b,2024-01-02T00:00Z,y\n3,2.0,1.0,c,2024-01-03T00:00Z,z\n")
    corpus = table(path, {"post_id": "id", "parent_id": "parent", "thread_id": "thread",
                          "author_id": "user", "created_at": "date", "text": "body"}, replies="parent")
    posts = corpus.posts()
    assert posts["parent_id"].tolist()[1:] == ["1", "2"]
    assert posts["thread_id"].tolist() == ["1", "1", "1"]


def test_ids_that_are_not_all_whole_numbers_are_kept_as_written(tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text("id,thread,user,date,body\nv1.0,t,a,2024-01-01T00:00Z,x\n2.0,t,b,2024-01-02T00:00Z,y\n")
    corpus = table(path, {"post_id": "id", "thread_id": "thread", "author_id": "user",
                          "created_at": "date", "text": "body"}, replies="flat")
    assert corpus.posts()["post_id"].tolist() == ["v1.0", "2.0"]
