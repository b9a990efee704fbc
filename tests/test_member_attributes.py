"""Member attributes filled from per-post columns (``loaders.table(..., member_attributes=...)``)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from peerscope import errors
from peerscope.loaders.table import NOTE_ATTRIBUTE_CONFLICT, NOTE_ATTRIBUTE_NOT_A_TIME, table

ALS_MAPPING = {"thread_id": "post_id", "author_id": "user_name", "created_at": "date",
               "text": "body", "title": "title", "is_reply": "reply"}
ALS_ATTRIBUTES = {"reason_joined": "user_reason_joined", "diagnosis": "user_diagnosis",
                  "joined_at": "user_date_joined"}


def _mode_latest(raw: pd.DataFrame, column: str) -> pd.Series:
    """Per user: the most frequent non-empty value, ties broken by the latest post (date, then row)."""
    rows = raw.assign(row=np.arange(len(raw)), at=pd.to_datetime(raw["date"]))
    rows = rows[rows[column].notna()]
    counted = rows.groupby(["user_name", column]).agg(n=("row", "size"), at=("at", "max"), row=("row", "max"))
    counted = counted.reset_index().sort_values(["user_name", "n", "at", "row"])
    return counted.drop_duplicates("user_name", keep="last").set_index("user_name")[column]


@pytest.fixture(scope="module")
def als(shared_data):
    path = shared_data / "forum-alsforums-caregivers" / "als.csv"
    raw = pd.read_csv(path)
    with pytest.warns(UserWarning) as caught:
        corpus = table(path, ALS_MAPPING, replies="flat", assume_tz="UTC", member_attributes=ALS_ATTRIBUTES)
    return raw, corpus, [str(w.message) for w in caught]


def test_als_reason_joined_counts_equal_pandas_on_the_raw_file(als):
    raw, corpus, _ = als
    members = corpus.members(columns="all").set_index("member_id")
    expected = _mode_latest(raw, "user_reason_joined")
    assert len(members) == raw["user_name"].nunique() == 200
    counts = members["reason_joined"].value_counts()
    assert counts["CALS"] == (expected == "CALS").sum() == 68
    assert counts["PALS"] == (expected == "PALS").sum() == 44
    assert counts.to_dict() == expected.value_counts().to_dict()
    # the one member who never gave a reason has none
    assert int(members["reason_joined"].isna().sum()) == 200 - len(expected) == 1
    assert (members["reason_joined"].dropna() == expected.loc[members["reason_joined"].dropna().index]).all()


def test_als_conflicts_are_counted_not_hidden(als):
    raw, corpus, messages = als
    notes = corpus.manifest["accounting"]["members"]["kept_notes"]
    for attribute, column in ALS_ATTRIBUTES.items():
        conflicts = int((raw.dropna(subset=[column]).groupby("user_name")[column].nunique() > 1).sum())
        assert notes[NOTE_ATTRIBUTE_CONFLICT.format(attribute=attribute, column=column)] == conflicts
        assert any(f"{conflicts} member(s) have different values of {attribute!r}" in m for m in messages)
    assert (int((raw.groupby("user_name")["user_reason_joined"].nunique() > 1).sum()),
            int((raw.groupby("user_name")["user_date_joined"].nunique() > 1).sum())) == (2, 5)


def test_als_members_are_no_roster(als):
    _, corpus, _ = als
    assert corpus.has_roster is False
    assert corpus.manifest["roster"] is False
    account = corpus.manifest["accounting"]["members"]
    assert account["rows_read"] == account["rows_kept"] == 200
    posts = corpus.manifest["accounting"]["posts"]
    assert posts["rows_read"] == 2447
    assert posts["rows_read"] == posts["rows_kept"] + posts["rows_skipped"] + posts["rows_quarantined"]
    assert corpus.manifest["provenance"]["parameters"]["member_attributes"] == ALS_ATTRIBUTES


def test_als_joined_at_is_a_time(als):
    raw, corpus, _ = als
    members = corpus.members(columns="all").set_index("member_id")
    assert str(members["joined_at"].dtype) == "datetime64[us, UTC]"
    expected = pd.to_datetime(_mode_latest(raw, "user_date_joined")).dt.tz_localize("UTC")
    assert (members["joined_at"].loc[expected.index] == expected).all()
    assert members["diagnosis"].dtype == "str" or pd.api.types.is_string_dtype(members["diagnosis"])


def _frame(**extra):
    rows = {"id": ["p1", "p2", "p3", "p4", "p5", "p6"],
            "parent": [None, "p1", "p1", None, "p4", "p4"],
            "user": ["ann", "bob", "ann", "ann", "Guest", "bob"],
            "at": ["2024-01-01T10:00Z", "2024-01-01T11:00Z", "2024-01-02T10:00Z",
                   "2024-01-03T10:00Z", "2024-01-03T11:00Z", "2024-01-03T12:00Z"],
            "body": ["a", "b", "c", "d", "e", "f"],
            "why": ["carer", "patient", "patient", "", "carer", "patient"],
            "since": ["2020-01-01", "2021-05-05", "2020-01-01", "someday", None, "2021-05-05"]}
    rows.update(extra)
    return pd.DataFrame(rows)


MAPPING = {"post_id": "id", "parent_id": "parent", "author_id": "user", "created_at": "at", "text": "body"}


def test_ties_go_to_the_latest_post_and_shared_accounts_get_nothing():
    with pytest.warns(UserWarning):
        corpus = table(_frame(), MAPPING, assume_tz="UTC", anonymous_authors={"Guest"},
                       member_attributes={"why": "why", "joined_at": "since"})
    members = corpus.members(columns="all").set_index("member_id")
    # ann: carer (p1), patient (p3), empty (p4): a tie, the later post's value wins
    assert members.loc["ann", "why"] == "patient"
    assert members.loc["bob", "why"] == "patient"
    assert pd.isna(members.loc["Guest", "why"]) and members.loc["Guest", "role"] == "anonymous"
    assert str(members.loc["ann", "joined_at"]) == "2020-01-01 00:00:00+00:00"
    notes = corpus.manifest["accounting"]["members"]["kept_notes"]
    assert notes == {NOTE_ATTRIBUTE_CONFLICT.format(attribute="why", column="why"): 1,
                     NOTE_ATTRIBUTE_NOT_A_TIME.format(attribute="joined_at", column="since"): 1}
    assert not corpus.has_roster


def test_no_conflict_no_warning():
    frame = _frame(why=["carer", "patient", "carer", "carer", "x", "patient"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        corpus = table(frame, MAPPING, assume_tz="UTC", anonymous_authors={"Guest"},
                       member_attributes={"why": "why"})
    assert "kept_notes" not in corpus.manifest["accounting"]["members"] or \
        not corpus.manifest["accounting"]["members"]["kept_notes"]


def test_attributes_fill_a_declared_roster():
    roster = pd.DataFrame({"member_id": ["ann", "bob", "cat", "Guest"]})
    with pytest.warns(UserWarning):
        corpus = table(_frame(), MAPPING, assume_tz="UTC", members=roster, anonymous_authors={"Guest"},
                       member_attributes={"why": "why"})
    assert corpus.has_roster
    members = corpus.members(columns="all").set_index("member_id")
    assert members.loc["cat"].isna()["why"] and members.loc["ann", "why"] == "patient"
    with pytest.raises(errors.PeerscopeError, match="already has"), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        table(_frame(), MAPPING, assume_tz="UTC", members=roster.assign(why="x"),
              member_attributes={"why": "why"})


def test_pseudonymised_ids_keep_their_attributes():
    with pytest.warns(UserWarning):
        corpus = table(_frame(), MAPPING, assume_tz="UTC", member_attributes={"why": "why"},
                       pseudonymise="a secret salt of some length")
    members = corpus.members(columns="all")
    authors = set(corpus.posts()["author_id"])
    assert set(members["member_id"]) == authors and "ann" not in authors
    assert sorted(members["why"].dropna()) == ["carer", "patient", "patient"]


@pytest.mark.parametrize("attributes, error, match", [
    ({"why": "nope"}, errors.SourceError, "nope"),
    ({"role": "why"}, errors.PeerscopeError, "'role'"),
    ({"member_id": "user"}, errors.PeerscopeError, "member_id"),
    (["why"], errors.PeerscopeError, "must be a dict"),
])
def test_bad_attributes_name_the_column(attributes, error, match):
    with pytest.raises(error, match=match):
        table(_frame(), MAPPING, assume_tz="UTC", member_attributes=attributes)


def test_attributes_need_an_author_column_and_zoned_times():
    mapping = {k: v for k, v in MAPPING.items() if k != "author_id"}
    with pytest.raises(errors.PeerscopeError, match="author_id"):
        table(_frame(), mapping, member_attributes={"why": "why"})
    with pytest.raises(errors.NaiveTimestampError, match="joined_at") as caught:
        table(_frame(), MAPPING, member_attributes={"joined_at": "since"})
    assert (caught.value.table, caught.value.column) == ("members", "joined_at")


def test_keyness_of_carers_and_patients_on_the_als_forum(als):
    """Issue 20: text.keyness(als, by="reason_joined") gives term and z; counts equal a hand count."""
    from scipy import stats

    from peerscope.text import bag_of_words, keyness

    corpus = als[1]
    frame = keyness(corpus, "reason_joined")
    assert {"group", "term", "z", "g2", "p_value"} <= set(frame.columns)
    raw = als[0]
    assert set(frame["group"]) == set(raw["user_reason_joined"].dropna()) >= {"CALS", "PALS"}
    # hand count: term occurrences of CALS members' posts against everyone else's, from the bag of words
    bow = bag_of_words(corpus)
    members = corpus.members(columns="all").set_index("member_id")["reason_joined"]
    group = bow.docs["author_id"].map(members).to_numpy()
    matrix = bow.matrix()
    cals = np.asarray(matrix[group == "CALS"].sum(axis=0)).ravel()
    rest = np.asarray(matrix[(group != "CALS") & pd.notna(group)].sum(axis=0)).ravel()
    row = frame[frame["group"] == "CALS"].iloc[0]
    term = list(bow.terms).index(row["term"])
    assert (row["count"], row["count_rest"]) == (cals[term], rest[term])
    table = np.array([[cals[term], rest[term]], [cals.sum() - cals[term], rest.sum() - rest[term]]])
    g2, p, _, _ = stats.chi2_contingency(table, correction=False, lambda_="log-likelihood")
    assert row["g2"] == pytest.approx(g2) and row["p_value"] == pytest.approx(p)
    assert row["z"] > 0 and frame.attrs["documents_without_group"] >= 0
