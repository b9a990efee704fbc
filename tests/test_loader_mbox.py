"""The mailing-list loader: the numpy-discussion pipermail archive, small fixtures, fuzzing."""

from __future__ import annotations

import mailbox
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peerscope.errors import PeerscopeError, SourceError
from peerscope.loaders.mbox import NOTE_GENERATED_ID, NOTE_REPLY_OUTSIDE, mbox, normalise_address
from peerscope.privacy import pseudonym

FOLDER = "mbox-numpy-discussion-2001"
NUMPY = "numpy-discussion-2001-November.txt"


def _raw(path: Path) -> list[dict]:
    """Headers straight from the file, with plain mailbox parsing."""
    box = mailbox.mbox(path, create=False)
    try:
        return [{"id": m["Message-ID"].strip(), "from": m["From"], "irt": (m["In-Reply-To"] or "").strip(),
                 "refs": re.findall(r"<[^<>\s]+>", m["References"] or "")} for m in box]
    finally:
        box.close()


def test_numpy_archive_counts_and_threads(shared_data):
    path = shared_data / FOLDER / NUMPY
    raw = _raw(path)
    assert len(raw) == 164
    senders = {re.sub(r" at ", "@", m["from"].split("(")[0].strip().lower()) for m in raw}
    assert len(senders) == 39
    replies = [m for m in raw if m["irt"]]
    ids = {m["id"] for m in raw}
    outside = [m for m in replies if m["irt"] not in ids]
    assert (len(replies), len(outside)) == (74, 18)

    corpus = mbox(path)
    account = corpus.manifest["accounting"]["posts"]
    first = {}
    for m in raw:
        first.setdefault(m["id"], m)
    assert account["rows_read"] == 164
    assert account["skipped_reasons"] == {"duplicate Message-ID": 164 - len(first)} == {
        "duplicate Message-ID": 82}
    posts = corpus.posts(columns="all").set_index("post_id")
    assert len(posts) == len(first) == 82
    assert set(posts["author_id"]) == senders
    # the documented rule: In-Reply-To if in the archive, else the last References id in it, else null
    expected = {}
    for key, m in first.items():
        candidates = ([m["irt"]] if m["irt"] else []) + m["refs"][::-1]
        expected[key] = next((c for c in candidates if c in first), None)
    assert {k: (None if pd.isna(v) else v) for k, v in posts["parent_id"].items()} == expected
    unique_outside = {m["id"] for m in outside}
    assert len(unique_outside) == 9  # 18 over the two copies of the month
    outside_no_refs = [k for k in unique_outside if expected[k] is None]
    assert posts.loc[outside_no_refs, "parent_id"].isna().all()
    assert (posts.loc[outside_no_refs, "thread_id"] == outside_no_refs).all()  # opening posts
    # kept notes: replies (In-Reply-To or References) none of whose targets is in the archive
    replies_outside = [k for k, m in first.items() if (m["irt"] or m["refs"]) and expected[k] is None]
    assert account["kept_notes"] == {NOTE_REPLY_OUTSIDE: len(replies_outside)} == {NOTE_REPLY_OUTSIDE: 10}
    assert posts["created_at"].min() == pd.Timestamp("2001-11-01 11:19:12", tz="UTC")
    assert set(posts["channel"]) == {"Numpy-discussion"}


def test_bigbang_fixture_threads_and_quotes(shared_data):
    path = shared_data / FOLDER / "bigbang-dev-test.txt"
    raw = _raw(path)
    plain = mbox(path).posts(columns="all").set_index("post_id")
    stripped = mbox(path, strip_quotes=True).posts(columns="all").set_index("post_id")
    assert len(plain) == len(raw) == 6
    assert plain["thread_id"].nunique() == sum(not m["irt"] for m in raw) == 3
    assert plain.loc[raw[2]["id"], "parent_id"] == raw[1]["id"]
    assert plain.loc[raw[2]["id"], "thread_id"] == raw[0]["id"]
    assert plain.loc[raw[0]["id"], "created_at"] == pd.Timestamp("2014-11-08 19:37:32", tz="UTC")
    assert "> this is a test" in plain.loc[raw[1]["id"], "text"]
    assert stripped.loc[raw[1]["id"], "text"] == "this is a reply to the earlier test message"
    assert not plain["text"].str.contains("attachment was scrubbed").any()
    assert set(plain["author_id"]) == {"sb@ischool.berkeley.edu"}


MESSAGE = """From ann at example.org  Mon Jan  1 10:00:00 2024
From: "Ann" <Ann@Example.org>
Date: Mon, 1 Jan 2024 10:00:00 +0100
Subject: [peers] hello
{extra}
Hello all
"""


def _write(path: Path, *messages: str) -> Path:
    path.write_text("\n".join(messages), encoding="utf-8")
    return path


def test_missing_ids_dates_and_folders(tmp_path):
    folder = tmp_path / "archive"
    folder.mkdir()
    _write(folder / "2024-01.txt", MESSAGE.format(extra="Message-ID: <a@x>\n"))
    _write(folder / "2024-02.txt",
           MESSAGE.format(extra="In-Reply-To: <a@x>\n").replace("Hello all", "Reply"),
           MESSAGE.format(extra="Message-ID: <c@x>\nIn-Reply-To: <elsewhere@x>\nReferences: <a@x> <elsewhere@x>\n"))
    corpus = mbox(folder)
    posts = corpus.posts(columns="all").set_index("post_id")
    generated = [k for k in posts.index if k.startswith("generated:")]
    assert len(generated) == 1
    assert corpus.manifest["accounting"]["posts"]["kept_notes"] == {NOTE_GENERATED_ID: 1}
    assert "generated_message_ids" not in corpus.manifest["provenance"]["parameters"]
    assert posts.loc[generated[0], "parent_id"] == "<a@x>"   # a reply across month files
    assert posts.loc["<c@x>", "parent_id"] == "<a@x>"        # via References
    assert posts.loc["<a@x>", "created_at"] == pd.Timestamp("2024-01-01 09:00", tz="UTC")
    assert set(posts["author_id"]) == {"ann@example.org"}
    assert mbox(folder).posts()["post_id"].tolist() == corpus.posts()["post_id"].tolist()  # stable

    bad = _write(tmp_path / "bad.mbox", MESSAGE.format(extra="Message-ID: <a@x>\n"),
                 MESSAGE.format(extra="Message-ID: <b@x>\n").replace("Mon, 1 Jan 2024 10:00:00 +0100", "soon"))
    with pytest.raises(SourceError, match="message 2") as caught:
        mbox(bad)
    assert caught.value.path == str(bad)
    repaired = mbox(bad, repair=True)
    assert repaired.manifest["accounting"]["posts"]["skipped_reasons"] == {"unparseable Date": 1}
    with pytest.raises(SourceError):
        mbox(tmp_path / "missing.mbox")
    with pytest.raises(SourceError, match="no messages"):
        mbox(_write(tmp_path / "empty.mbox", ""))


def test_kept_notes_count_kept_messages_only(tmp_path):
    """A message without Message-ID repeated twice gets one generated id: one kept, one skipped."""
    twice = MESSAGE.format(extra="In-Reply-To: <gone@x>\n")
    corpus = mbox(_write(tmp_path / "twice.mbox", twice, twice))
    account = corpus.manifest["accounting"]["posts"]
    assert account["skipped_reasons"] == {"duplicate Message-ID": 1} and account["rows_kept"] == 1
    # the kept message has a generated id, and its parent <gone@x> is not in the archive
    assert account["kept_notes"] == {NOTE_GENERATED_ID: 1, NOTE_REPLY_OUTSIDE: 1}
    assert corpus.posts()["parent_id"].isna().all()


def test_normalise_address_and_privacy(tmp_path):
    assert normalise_address("jjl at pobox.com (John J. Lee)") == "jjl@pobox.com"
    assert normalise_address("Bob <BOB@X.ORG>") == "bob@x.org"
    assert normalise_address(None) is None
    path = _write(tmp_path / "a.mbox", MESSAGE.format(extra="Message-ID: <a@x>\n").replace(
        "Hello all", "write to bob at example.org"))
    posts = mbox(path, pseudonymise="a long secret salt", scrub_pii=True, channel="peers").posts(columns="all")
    assert posts["author_id"].str.startswith("p_").all()
    assert posts["text"].tolist() == ["write to [email]"]
    assert posts["channel"].tolist() == ["peers"]


def _no_address_or_host(posts: pd.DataFrame, *needles: str) -> None:
    for column in ("post_id", "parent_id", "thread_id", "author_id"):
        values = posts[column].dropna().astype("str")
        assert values.str.match(r"^p_[0-9a-f]{16}$").all(), column
        for needle in needles:
            assert not values.str.contains(needle, case=False, regex=False).any(), (column, needle)


def test_pseudonymise_hides_message_ids_and_keeps_the_links(tmp_path):
    salt = "a long secret salt"
    path = _write(tmp_path / "a.mbox",
                  MESSAGE.format(extra="Message-ID: <20240101.1@ann.example.org>\n"),
                  MESSAGE.format(extra="Message-ID: <reply.2@mail.example.org>\n"
                                       "In-Reply-To: <20240101.1@ann.example.org>\n"),
                  MESSAGE.format(extra="In-Reply-To: <reply.2@mail.example.org>\n"))  # a generated id
    plain = mbox(path).posts(columns="all")
    hidden = mbox(path, pseudonymise=salt, scrub_pii=True).posts(columns="all")
    _no_address_or_host(hidden, "example.org", "ann", "generated:")
    assert len(hidden) == 3 and hidden["thread_id"].nunique() == 1
    assert hidden["parent_id"].tolist()[1:] == hidden["post_id"].tolist()[:2]
    for column in ("post_id", "parent_id", "thread_id"):
        expected = [None if pd.isna(v) else pseudonym(v, salt) for v in plain[column]]
        assert [None if pd.isna(v) else v for v in hidden[column]] == expected


def test_pseudonymised_numpy_archive_names_no_one(shared_data):
    path = shared_data / FOLDER / NUMPY
    plain = mbox(path).posts(columns="all")
    hidden = mbox(path, pseudonymise="a long secret salt", scrub_pii=True).posts(columns="all")
    hosts = {v.rsplit("@", 1)[-1].strip(">") for v in plain["post_id"] if "@" in v}
    assert hosts and len(hidden) == len(plain) == 82
    _no_address_or_host(hidden, "@", *hosts)
    assert hidden["thread_id"].nunique() == plain["thread_id"].nunique()
    assert hidden["parent_id"].notna().sum() == plain["parent_id"].notna().sum()
    assert set(hidden["parent_id"].dropna()) <= set(hidden["post_id"])


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_archives_raise_only_peerscope_errors(tmp_path_factory, data):
    raw = "\n".join([MESSAGE.format(extra="Message-ID: <a@x>\n"),
                     MESSAGE.format(extra="Message-ID: <b@x>\nIn-Reply-To: <a@x>\n")]).encode()
    cut = data.draw(st.integers(0, len(raw) - 1))
    chunk = data.draw(st.binary(min_size=0, max_size=8))
    raw = raw[:cut] + chunk + raw[cut + data.draw(st.integers(0, 8)):]
    path = tmp_path_factory.mktemp("fuzz") / "x.mbox"
    path.write_bytes(raw)
    try:
        corpus = mbox(path, repair=data.draw(st.booleans()), strip_quotes=True)
    except PeerscopeError:
        return
    account = corpus.manifest["accounting"]["posts"]
    assert account["rows_read"] == account["rows_kept"] + account["rows_skipped"] + account["rows_quarantined"]


def _deep_message(depth: int) -> bytes:
    head = (b"From ann@example.org Thu Nov  1 10:00:00 2001\nFrom: ann@example.org\nSubject: deep\n"
            b"Date: Thu, 1 Nov 2001 10:00:00 +0000\nMessage-ID: <deep@x>\nMIME-Version: 1.0\n")
    body = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i) for i in range(depth))
    body += b"Content-Type: text/plain\n\nhello from the bottom\n"
    body += b"".join(b"--b%d--\n" % i for i in reversed(range(depth)))
    return head + body


@pytest.mark.parametrize("depth", [50, 5000])
def test_deeply_nested_multipart_is_read_or_named(tmp_path, depth):
    path = tmp_path / "deep.mbox"
    path.write_bytes(_deep_message(depth))
    try:
        corpus = mbox(path)
    except PeerscopeError as error:
        assert depth > 50 and str(path) in str(error) and "message 1" in str(error)
    else:
        assert corpus.posts(columns="all")["text"].str.contains("hello from the bottom").all()


def test_year_0001_in_a_date_is_not_2001(tmp_path):
    path = tmp_path / "old.mbox"
    path.write_text("From ann@example.org Mon Jan  1 10:00:00 2001\nFrom: ann@example.org\n"
                    "Subject: hi\nDate: Mon, 1 Jan 0001 10:00:00 +0000\nMessage-ID: <a@x>\n\nbody\n"
                    "\nFrom bob@example.org Thu Nov  1 10:00:00 2001\nFrom: bob@example.org\n"
                    "Subject: Re: hi\nDate: Thu, 1 Nov 01 10:00:00 +0000\nMessage-ID: <b@x>\n\nreply\n")
    with pytest.raises(SourceError, match="0001"):
        mbox(path)
    corpus = mbox(path, repair=True)
    assert corpus.posts()["created_at"].dt.year.tolist() == [2001]   # two digits: RFC 5322's 2001
    assert corpus.manifest["accounting"]["posts"]["skipped_reasons"] == {"unparseable Date": 1}
