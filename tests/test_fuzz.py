"""Fuzzing every way data gets in (issue 17): only PeerscopeError escapes, every row is
accounted for, and no value changes silently.

Each test draws inputs with hypothesis: well-formed but arbitrary sources read by every
loader (values read must equal values written), the same sources with bytes deleted,
replaced or inserted, frames given to ``Corpus.from_frames``, saved corpora with flipped
bytes, truncated files and edited manifests, and saved models with damaged files.  The
three properties checked everywhere:

* nothing but :class:`~peerscope.errors.PeerscopeError` is raised;
* the manifest's accounting holds for every table: rows read = kept + skipped +
  quarantined, and rows kept = rows in the table;
* a value that loads equals the value written (after the normalisations the loaders
  document: blank text is null, ``2.0`` ids are ``2`` in a column of such ids).

``max_examples`` per test add up to more than 2,000 cases (:data:`CASES`).
"""

from __future__ import annotations

import bz2
import csv
import gzip
import json
import lzma
import re
import shutil
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from peerscope import Corpus, errors, open_corpus
from peerscope.corpus import validate_saved
from peerscope.loaders import convokit, mbox, nested, newsletter, reddit, stackexchange, table
from peerscope.loaders.labelled import epitome, esconv

zstandard = pytest.importorskip("zstandard")

#: Generated cases per test; their sum is the suite's size (at least 2,000).
CASES = {"table_round_trip": 180, "table_mutated": 250, "nested": 80, "reddit": 250,
         "stackexchange": 160, "mbox": 120, "newsletter": 100, "convokit": 200, "labelled": 200,
         "from_frames": 200, "damaged_corpus": 200, "damaged_classifier": 100, "damaged_topics": 100}
assert sum(CASES.values()) >= 2000


def _settings(name: str):
    return settings(max_examples=CASES[name], deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.filter_too_much])


def _accounted(corpus: Corpus) -> None:
    """rows read = kept + skipped + quarantined, and kept = rows in the table, for every table."""
    for name, account in corpus.manifest["accounting"].items():
        assert account["rows_read"] == (account["rows_kept"] + account["rows_skipped"]
                                        + account["rows_quarantined"]), (name, account)
        held = len(corpus.table(name)) if corpus.has_table(name) else 0
        assert account["rows_kept"] == held, (name, account, held)


def _mutate(raw: bytes, data) -> bytes:
    """``raw`` with a few bytes deleted, replaced or inserted, or cut short."""
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        at = data.draw(st.integers(0, max(len(raw) - 1, 0)), label="at")
        chunk = data.draw(st.binary(min_size=1, max_size=6), label="chunk")
        how = data.draw(st.sampled_from(["delete", "replace", "insert", "cut"]), label="how")
        if how == "delete":
            raw = raw[:at] + raw[at + len(chunk):]
        elif how == "replace":
            raw = raw[:at] + chunk + raw[at + len(chunk):]
        elif how == "insert":
            raw = raw[:at] + chunk + raw[at:]
        else:
            raw = raw[:at]
    return raw


# ---------------------------------------------------------------------------
# Tables: generated posts written in every format, read back
# ---------------------------------------------------------------------------

_ID = st.text(alphabet="abcxyz0123456789._-[]#=+@éß中", min_size=1, max_size=6)
_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30)
_TIME = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2024, 12, 31)).map(
    lambda t: t.replace(microsecond=0, tzinfo=timezone.utc))


@st.composite
def _forum(draw):
    """Posts with unique ids, each replying to an earlier post of its thread or opening one."""
    ids = draw(st.lists(_ID, min_size=1, max_size=8, unique=True))
    rows, thread_of = [], {}
    for i, post_id in enumerate(ids):
        parent = draw(st.one_of(st.none(), st.sampled_from(ids[:i]))) if i else None
        thread_of[post_id] = post_id if parent is None else thread_of[parent]
        rows.append({"id": post_id, "parent": parent, "thread": thread_of[post_id],
                     "user": draw(_ID), "date": draw(_TIME), "body": draw(_TEXT)})
    return rows


_MAPPING = {"post_id": "id", "parent_id": "parent", "thread_id": "thread", "author_id": "user",
            "created_at": "date", "text": "body"}


_COMPRESS = {"": bytes, ".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress,
             ".zst": zstandard.ZstdCompressor().compress}


def _write_posts(rows: list[dict], folder: Path, fmt: str):
    """``rows`` as a source file of format ``fmt`` (``csv``, ``jsonl.gz``, ...), or a frame."""
    frame = pd.DataFrame(rows)
    frame["date"] = [r["date"].strftime("%Y-%m-%dT%H:%M:%SZ") for r in rows]
    if fmt == "frame":
        return frame
    path = folder / f"posts.{fmt}"
    base, _, compression = fmt.partition(".")
    if base == "parquet":
        frame.to_parquet(path)
        return path
    if base in ("csv", "tsv"):
        # every cell quoted: pandas leaves a cell ending in "\r" bare, which then reads as a line end
        text = frame.to_csv(index=False, sep="," if base == "csv" else "\t", quoting=csv.QUOTE_ALL)
    elif base == "json":
        text = json.dumps(frame.to_dict("records"))
    else:
        text = "".join(json.dumps(r) + "\n" for r in frame.to_dict("records"))
    path.write_bytes(_COMPRESS["." + compression if compression else ""](text.encode()))
    return path


def _as_id(values: list) -> list:
    """Ids as the table loader documents reading them: a column of ``N.0`` numbers loses ``.0``."""
    present = [v for v in values if v is not None]
    if present and all(re.fullmatch(r"-?\d+\.0+", v) for v in present):
        return [None if v is None else re.sub(r"\.0+$", "", v) for v in values]
    return values


@_settings("table_round_trip")
@given(rows=_forum(), fmt=st.sampled_from(["csv", "tsv", "json", "jsonl", "jsonl.gz", "jsonl.bz2",
                                            "jsonl.zst", "csv.xz", "json.zst", "parquet", "frame"]),
       repair=st.booleans())
# a cell of a control character only (pandas' CSV reader keeps it; blank test must not strip it)
@example(rows=[{"id": "a", "parent": None, "thread": "a", "user": "u",
                "date": datetime(2020, 1, 1, tzinfo=timezone.utc), "body": "\x1f"}],
         fmt="csv", repair=False)
# ids of whole numbers written as floats
@example(rows=[{"id": "1.0", "parent": None, "thread": "1.0", "user": "u",
                "date": datetime(2020, 1, 1, tzinfo=timezone.utc), "body": "x"},
               {"id": "2.0", "parent": "1.0", "thread": "1.0", "user": "v",
                "date": datetime(2020, 1, 2, tzinfo=timezone.utc), "body": "y"}],
         fmt="csv", repair=False)
def test_table_values_survive_every_format(rows, fmt, repair):
    with tempfile.TemporaryDirectory() as tmp:
        source = _write_posts(rows, Path(tmp), fmt)
        try:
            corpus = table(source, _MAPPING, replies="parent", repair=repair)
        except errors.PeerscopeError:
            return
        _accounted(corpus)
        posts = corpus.posts(columns="all").set_index("post_id")
    ids = dict(zip([r["id"] for r in rows], _as_id([r["id"] for r in rows])))
    parents = _as_id([r["parent"] for r in rows])
    authors = _as_id([r["user"] for r in rows])
    for row, parent, author in zip(rows, parents, authors):
        post = posts.loc[ids[row["id"]]]
        text = row["body"] if row["body"].strip() else None
        assert (None if pd.isna(post["text"]) else post["text"]) == text
        assert (None if pd.isna(post["parent_id"]) else post["parent_id"]) == parent
        assert post["author_id"] == author
        assert post["created_at"] == pd.Timestamp(row["date"])
    assert len(posts) == len(rows)


_SEED_ROWS = [{"id": "1", "parent": None, "thread": "1", "user": "ann",
               "date": datetime(2021, 3, 1, 10, tzinfo=timezone.utc), "body": "Cannot sleep, again"},
              {"id": "2", "parent": "1", "thread": "1", "user": "bob",
               "date": datetime(2021, 3, 1, 11, tzinfo=timezone.utc), "body": "Same here, \"hugs\""},
              {"id": "3", "parent": "2", "thread": "1", "user": "ann",
               "date": datetime(2021, 3, 2, 9, tzinfo=timezone.utc), "body": "Thanks\nit helps"},
              {"id": "4", "parent": None, "thread": "4", "user": "cat",
               "date": datetime(2021, 4, 2, 9, tzinfo=timezone.utc), "body": "New here"}]


@_settings("table_mutated")
@given(fmt=st.sampled_from(["csv", "tsv", "json", "jsonl", "jsonl.gz", "jsonl.zst", "parquet", "csv.gz",
                            "csv.bz2", "tsv.xz", "json.gz", "jsonl.xz", "csv.zst"]),
       repair=st.booleans(), replies=st.sampled_from(["parent", "flat"]), data=st.data())
def test_table_mutated_sources(fmt, repair, replies, data):
    with tempfile.TemporaryDirectory() as tmp:
        path = _write_posts(_SEED_ROWS, Path(tmp), fmt)
        path.write_bytes(_mutate(path.read_bytes(), data))
        mapping = _MAPPING if replies == "parent" else {k: v for k, v in _MAPPING.items() if k != "parent_id"}
        try:
            corpus = table(path, mapping, replies=replies, repair=repair)
        except errors.PeerscopeError:
            return
        _accounted(corpus)


@st.composite
def _tree(draw):
    """Reply trees: a random forest, sometimes with one long chain."""
    count = draw(st.integers(1, 12))
    nodes = [{"id": f"n{i}", "user": draw(_ID), "ts": draw(_TIME).isoformat(), "body": draw(_TEXT),
              "children": []} for i in range(count)]
    roots = []
    for i, node in enumerate(nodes):
        parent = draw(st.one_of(st.none(), st.integers(0, i - 1))) if i else None
        (roots if parent is None else nodes[parent]["children"]).append(node)
    return roots, count


@_settings("nested")
@given(tree=_tree(), chain=st.sampled_from([0, 0, 0, 50, 3000]), mutate=st.booleans(), data=st.data())
def test_nested_trees(tree, chain, mutate, data):
    """Random forests, some with a chain ``chain`` replies deep under the first root (built
    here, not drawn: hypothesis could not print a drawn tree thousands of levels deep)."""
    roots, count = tree
    roots[0]["children"].append("CHAIN")
    node = '{"id": "c%d", "user": "deep", "ts": "2020-01-01T00:00:00+00:00", "body": "deeper", "children": ['
    deep = "".join(node % i for i in range(chain)) + "]}" * chain   # json.dumps would recurse
    raw = json.dumps(roots).replace('"CHAIN"', deep).replace(", ]", "]").replace("[, ", "[").encode()
    count += chain
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tree.json"
        path.write_bytes(_mutate(raw, data) if mutate else raw)
        try:
            corpus = nested(path, mapping={"post_id": "id", "author_id": "user", "created_at": "ts",
                                           "text": "body"})
        except errors.PeerscopeError:
            return
        _accounted(corpus)
        if not mutate:
            assert len(corpus.posts()) == count


# ---------------------------------------------------------------------------
# Reddit, Stack Exchange, mbox, newsletters, ConvoKit, labelled data: mutated seeds
# ---------------------------------------------------------------------------

def _reddit_records():
    def comment(id_, parent, at, author="bob"):
        return {"id": id_, "author": author, "parent_id": parent, "link_id": "t3_s1", "created_utc": at,
                "body": f"reply {id_}", "subreddit": "depression", "score": 1}
    return [{"id": "s1", "author": "ann", "created_utc": 1_600_000_000, "title": "t", "selftext": "help",
             "subreddit": "depression", "score": 3},
            comment("c1", "t3_s1", 1_600_000_100), comment("c2", "t1_c1", 1_600_000_200, "ann"),
            comment("c3", "t1_gone", 1_600_000_300, "[deleted]")]


_REDDIT = ("\n".join(json.dumps(r) for r in _reddit_records()) + "\n").encode()


@_settings("reddit")
@given(compressed=st.booleans(), streaming=st.booleans(), repair=st.booleans(), data=st.data())
def test_reddit_dumps(compressed, streaming, repair, data):
    with tempfile.TemporaryDirectory() as tmp:
        raw = _mutate(_REDDIT, data)
        path = Path(tmp) / ("dump.ndjson.zst" if compressed else "dump.ndjson")
        if compressed:
            raw = zstandard.ZstdCompressor().compress(raw)
            if data.draw(st.booleans(), label="cut the frame"):
                raw = raw[:data.draw(st.integers(0, len(raw) - 1), label="cut")]
        path.write_bytes(raw)
        try:
            corpus = reddit(path, repair=repair, out=Path(tmp) / "out" if streaming else None, chunk_rows=2)
        except errors.PeerscopeError:
            return
        _accounted(corpus)


_SE_POSTS = """<?xml version="1.0" encoding="utf-8"?>
<posts>
  <row Id="1" PostTypeId="1" CreationDate="2020-02-01T10:00:00.000" Score="2" ViewCount="40" Title="Q" Body="&lt;p&gt;x &amp;amp; y&lt;/p&gt;" OwnerUserId="5" />
  <row Id="3" PostTypeId="2" ParentId="1" CreationDate="2020-02-01T12:00:00.000" Score="1" Body="answer" OwnerUserId="6" />
  <row Id="4" PostTypeId="2" ParentId="99" CreationDate="2020-02-01T13:00:00.000" Score="0" Body="orphan" OwnerUserId="5" />
</posts>
"""
_SE_USERS = """<?xml version="1.0" encoding="utf-8"?>
<users>
  <row Id="5" CreationDate="2020-01-02T10:00:00.000" Views="7" Reputation="11" />
  <row Id="6" CreationDate="2020-01-03T10:00:00.000" Views="1" Reputation="1" />
</users>
"""
_SE_COMMENTS = """<?xml version="1.0" encoding="utf-8"?>
<comments>
  <row Id="1" PostId="3" Score="0" Text="on the answer" CreationDate="2020-02-01T12:30:00.000" UserId="5" />
</comments>
"""


@_settings("stackexchange")
@given(file=st.sampled_from(["Posts", "Users", "Comments"]), repair=st.booleans(), data=st.data())
def test_stackexchange_dumps(file, repair, data):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "site.stackexchange.com"
        folder.mkdir()
        for name, text in (("Posts", _SE_POSTS), ("Users", _SE_USERS), ("Comments", _SE_COMMENTS)):
            raw = text.encode()
            (folder / f"{name}.xml").write_bytes(_mutate(raw, data) if name == file else raw)
        try:
            corpus = stackexchange(folder, repair=repair, workers=1)
        except errors.PeerscopeError:
            return
        _accounted(corpus)


_MBOX = (b"From ann@example.org Thu Nov  1 10:00:00 2001\nFrom: Ann <ann@example.org>\nSubject: Hello\n"
         b"Date: Thu, 1 Nov 2001 10:00:00 +0100\nMessage-ID: <m1@example.org>\n\nHi all\n\n"
         b"From bob@example.org Thu Nov  1 11:00:00 2001\nFrom: bob@example.org\nSubject: Re: Hello\n"
         b"Date: Thu, 1 Nov 2001 11:00:00 +0100\nMessage-ID: <m2@example.org>\nIn-Reply-To: <m1@example.org>\n"
         b"MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"b1\"\n\n--b1\n"
         b"Content-Type: text/plain; charset=utf-8\n\nHi Ann\n--b1--\n\n"
         b"From cat@example.org Fri Nov  2 11:00:00 2001\nFrom: cat@example.org\nSubject: Re: Hello\n"
         b"Date: Fri, 2 Nov 2001 11:00:00 +0000\nReferences: <m1@example.org> <m2@example.org>\n\nme too\n")


@_settings("mbox")
@given(repair=st.booleans(), strip_quotes=st.booleans(), data=st.data())
def test_mbox_files(repair, strip_quotes, data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "list.mbox"
        path.write_bytes(_mutate(_MBOX, data))
        try:
            corpus = mbox(path, repair=repair, strip_quotes=strip_quotes)
        except errors.PeerscopeError:
            return
        _accounted(corpus)
        assert (corpus.posts()["created_at"].dt.year >= 1990).all()


_ISSUE = "---\ntitle: Voices\n---\n# Peer Voices, March 2024\n\n## Walking helps\nby Ann Lee\n\nI walk.\n\n## Notices\nAGM soon\n"


@_settings("newsletter")
@given(names=st.lists(st.sampled_from(["2024-03.md", "2024-04-02-issue-7.txt", "issue.html", "x.md",
                                        "2024-13.md", "0001-01.txt"]), min_size=1, max_size=3, unique=True),
       pattern=st.one_of(st.none(), st.text(alphabet="()?P<>date[]{},*+\\d-.|^$", max_size=14)),
       repair=st.booleans(), data=st.data())
def test_newsletter_issues(names, pattern, repair, data):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "voices"
        folder.mkdir()
        for name in names:
            (folder / name).write_bytes(_mutate(_ISSUE.encode(), data))
        try:
            corpus = newsletter(folder, issue_pattern=pattern, repair=repair)
        except errors.PeerscopeError:
            return
        _accounted(corpus)


def _convokit_folder(folder: Path, utterances: bytes) -> Path:
    folder.mkdir()
    (folder / "utterances.jsonl").write_bytes(utterances)
    (folder / "speakers.json").write_text(json.dumps({"ann": {"meta": {}, "vectors": []}}))
    (folder / "conversations.json").write_text(json.dumps({"t1": {"meta": {"title": "Sleep"}, "vectors": []}}))
    (folder / "corpus.json").write_text("{}")
    (folder / "index.json").write_text(json.dumps({"utterances-index": {}, "speakers-index": {},
                                                   "conversations-index": {}, "overall-index": {},
                                                   "version": 1, "vectors": []}))
    return folder


_UTTERANCES = "".join(json.dumps({"id": uid, "speaker": speaker, "conversation_id": "t1", "reply-to": reply,
                                  "timestamp": at, "text": text, "meta": {}, "vectors": []}) + "\n"
                      for uid, speaker, reply, at, text in [
                          ("t1", "ann", None, 1704139200, "Cannot sleep"),
                          ("c1", "bob", "t1", 1704142800, "Same here"),
                          ("c2", "ann", "c1", 1704146400.5, "Thanks")]).encode()


@_settings("convokit")
@given(repair=st.booleans(), data=st.data())
def test_convokit_folders(repair, data):
    with tempfile.TemporaryDirectory() as tmp:
        folder = _convokit_folder(Path(tmp) / "ck", _mutate(_UTTERANCES, data))
        try:
            corpus = convokit(folder, repair=repair)
        except errors.PeerscopeError:
            return
        _accounted(corpus)


_EPITOME = ("sp_id,rp_id,seeker_post,response_post,level,rationales\n"
            "65m92s,dgbdk7z,Help me,What do you mean?,1,What do you mean?|\n"
            "9ltimf,e79qbcx,I am sick of it,I'm so sorry.,0,\n").encode()
_ESCONV = (json.dumps({"experience_type": "Current Experience", "emotion_type": "anxiety",
                       "problem_type": "job crisis", "situation": "work",
                       "dialog": [{"content": "I feel awful", "speaker": "seeker", "annotation": {}},
                                  {"content": "Why?", "speaker": "supporter",
                                   "annotation": {"strategy": "Question"}}]}) + "\n").encode()


@_settings("labelled")
@given(which=st.sampled_from(["epitome", "esconv"]), data=st.data())
def test_labelled_files(which, data):
    with tempfile.TemporaryDirectory() as tmp:
        if which == "epitome":
            path = Path(tmp) / "emotional-reactions-reddit.csv"
            path.write_bytes(_mutate(_EPITOME, data))
            read = epitome
        else:
            path = Path(tmp) / "train.txt"
            path.write_bytes(_mutate(_ESCONV, data))
            read = esconv
        try:
            frame = read(path)
        except errors.PeerscopeError:
            return
        assert isinstance(frame, pd.DataFrame)


# ---------------------------------------------------------------------------
# Corpus.from_frames
# ---------------------------------------------------------------------------

_CELL = st.one_of(st.none(), _ID, st.integers(-3, 30), st.floats(allow_nan=True, allow_infinity=True),
                  st.booleans())
_TIME_CELL = st.one_of(st.none(), _TIME.map(pd.Timestamp), st.just("2024-01-01 10:00"),
                       st.just(pd.Timestamp("1850-01-01", tz="UTC")), st.integers(0, 2_000_000_000), _ID)


@_settings("from_frames")
@given(rows=st.lists(st.fixed_dictionaries({
           "post_id": _CELL, "thread_id": _CELL, "parent_id": _CELL, "author_id": _CELL,
           "created_at": _TIME_CELL, "text": st.one_of(st.none(), _TEXT)}), min_size=1, max_size=8),
       well_formed=st.booleans(), repair=st.booleans())
def test_from_frames(rows, well_formed, repair):
    if well_formed:   # unique string ids, valid threads: the values must come back unchanged
        for i, row in enumerate(rows):
            row.update(post_id=f"p{i}", thread_id="p0", parent_id=None if i == 0 else "p0",
                       author_id=str(row["author_id"]), created_at=pd.Timestamp("2022-01-01", tz="UTC")
                       + pd.Timedelta(minutes=i))
    frame = pd.DataFrame(rows)
    try:
        corpus = Corpus.from_frames(frame, repair=repair)
    except errors.PeerscopeError:
        return
    _accounted(corpus)
    if well_formed:
        posts = corpus.posts(columns="all")
        assert posts["post_id"].tolist() == [r["post_id"] for r in rows]
        assert [None if pd.isna(v) else v for v in posts["text"]] == [r["text"] for r in rows]
        assert posts["author_id"].tolist() == [r["author_id"] for r in rows]


# ---------------------------------------------------------------------------
# Saved corpora: flipped bytes, truncated files, edited manifests
# ---------------------------------------------------------------------------

def _frames():
    start = datetime(2023, 1, 1, tzinfo=timezone.utc)
    posts = pd.DataFrame({
        "post_id": [f"p{i}" for i in range(40)],
        "thread_id": [f"p{i - i % 5}" for i in range(40)],
        "parent_id": [None if i % 5 == 0 else f"p{i - 1}" for i in range(40)],
        "author_id": [f"m{i % 7}" for i in range(40)],
        "created_at": pd.to_datetime([start + timedelta(days=9 * i, minutes=i) for i in range(40)], utc=True),
        "text": [f"post number {i}: " + "words " * (i % 9) for i in range(40)],
        "channel": ["sleep" if i % 2 else "meds" for i in range(40)],
    })
    members = pd.DataFrame({"member_id": [f"m{i}" for i in range(8)],
                            "role": ["member"] * 7 + ["moderator"]})
    return posts, members


@pytest.fixture(scope="module")
def saved_corpora(tmp_path_factory):
    posts, members = _frames()
    corpus = Corpus.from_frames(posts, members=members, name="fuzz")
    root = tmp_path_factory.mktemp("saved")
    folders = {"file": corpus.save(root / "file").path, "month": corpus.save(root / "month", partition="month").path}
    tables = {name: corpus.table(name, columns="all") for name in ("posts", "members")}
    return folders, tables


def _read_all(folder: Path) -> dict[str, pd.DataFrame]:
    corpus = open_corpus(folder)
    tables = {name: corpus.table(name, columns="all") for name in ("posts", "members")}
    for name in tables:
        corpus.count_non_null(name, corpus.manifest["tables"][name]["columns"][0])
        sum(len(batch) for batch in corpus.iter_batches(name, "all"))
    return tables


def _same(tables: dict, original: dict) -> None:
    for name, frame in original.items():
        pd.testing.assert_frame_equal(tables[name].reset_index(drop=True), frame.reset_index(drop=True))


def _edit_manifest(manifest: dict, data) -> None:
    """Set one field anywhere in the manifest to an arbitrary JSON value."""
    node, path = manifest, []
    while isinstance(node, dict) and node and data.draw(st.integers(0, 2), label="deeper"):
        key = data.draw(st.sampled_from(sorted(node)), label="key")
        path.append(key)
        if not isinstance(node[key], dict):
            break
        node = node[key]
    value = data.draw(st.one_of(st.none(), st.integers(-2, 100), st.text(max_size=8), st.booleans(),
                                st.lists(st.integers(0, 3), max_size=2), st.just({})), label="value")
    if isinstance(node, dict):
        key = path[-1] if path and path[-1] in node else data.draw(st.sampled_from(sorted(node) or ["x"]))
        node[key] = value


#: Layouts whose data pages carry checksums, so that a flipped byte in a page is an error
#: when read, not a changed value.  ``Corpus.save`` writes them for one file per table;
#: monthly files are written by ``partition.TableWriter``, which does not yet: a
#: damaged monthly page is found by ``validate_saved``'s file hashes, and not at all
#: when the manifest records none (saved by an older peerscope: "not verified").
_PAGE_CHECKSUMS = ("file", "month")


@pytest.mark.filterwarnings("ignore:.*not verified:UserWarning")
@_settings("damaged_corpus")
@given(layout=st.sampled_from(["file", "month"]),
       damage=st.sampled_from(["flip", "flip", "truncate", "empty", "manifest", "drop hashes"]),
       data=st.data())
def test_damaged_corpora(saved_corpora, layout, damage, data):
    folders, original = saved_corpora
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "corpus"
        shutil.copytree(folders[layout], folder)
        files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "corpus.json")
        manifest_path = folder / "corpus.json"
        if damage in ("manifest", "drop hashes"):
            manifest = json.loads(manifest_path.read_text())
            if damage == "manifest":
                _edit_manifest(manifest, data)
            else:
                manifest.pop("files")
            manifest_path.write_text(json.dumps(manifest))
        if damage != "manifest":
            target = data.draw(st.sampled_from(files), label="file")
            raw = bytearray(target.read_bytes())
            if damage in ("flip", "drop hashes"):
                for _ in range(data.draw(st.integers(1, 3), label="flips")):
                    at = data.draw(st.integers(0, len(raw) - 1), label="at")
                    raw[at] ^= data.draw(st.integers(1, 255), label="mask")
            elif damage == "truncate":
                raw = raw[:data.draw(st.integers(0, len(raw) - 1), label="length")]
            else:
                raw = bytearray()
            target.write_bytes(bytes(raw))
        try:
            tables = _read_all(folder)
        except errors.PeerscopeError:
            pass
        else:
            if layout in _PAGE_CHECKSUMS:
                _same(tables, original)   # what reads without an error reads unchanged
        try:
            validate_saved(folder)    # warns "not verified" when the hashes were dropped
        except errors.PeerscopeError:
            return
        if damage != "drop hashes" or layout in _PAGE_CHECKSUMS:
            _same(_read_all(folder), original)  # a corpus that validates holds what was saved


# ---------------------------------------------------------------------------
# Saved models: damaged folders
# ---------------------------------------------------------------------------

_TEXTS = ["so sorry, hugs", "sending hugs to you", "that sounds hard", "ring your GP today",
          "try the helpline", "see a doctor soon"] * 4
_LABELS = (["emotional"] * 3 + ["informational"] * 3) * 4


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory):
    """A support classifier and a topic model saved by this test (other engineers change
    both packages: only their save and load are used)."""
    from peerscope import support, topics

    root = tmp_path_factory.mktemp("models")
    folders = {}
    classifier = support.SupportClassifier(calibration_folds=3, char_ngram_range=(2, 3), random_state=0)
    folders["classifier"] = Path(classifier.fit(_TEXTS, _LABELS).save(root / "classifier"))
    model = topics.fit(pd.Series(_TEXTS * 3), k=2, method="nmf", cache=False)
    folders["topics"] = Path(model.save(root / "topics"))
    return folders, {"classifier": support.SupportClassifier.load, "topics": topics.TopicModel.load}


def _damage_model(folder: Path, damage: str, data) -> None:
    target = data.draw(st.sampled_from(sorted(p for p in folder.rglob("*") if p.is_file())), label="file")
    raw = bytearray(target.read_bytes())
    if damage == "flip" and raw:
        for _ in range(data.draw(st.integers(1, 3), label="flips")):
            raw[data.draw(st.integers(0, len(raw) - 1), label="at")] ^= data.draw(st.integers(1, 255))
        target.write_bytes(bytes(raw))
    elif damage == "truncate":
        target.write_bytes(bytes(raw[:data.draw(st.integers(0, max(len(raw) - 1, 0)), label="length")]))
    elif damage == "empty":
        target.write_bytes(b"")
    elif damage == "delete":
        target.unlink()
    elif target.suffix == ".json":
        try:
            content = json.loads(raw)
        except ValueError:
            content = None
        if isinstance(content, dict) and content:
            key = data.draw(st.sampled_from(sorted(content)), label="key")
            content[key] = data.draw(st.one_of(st.none(), st.integers(-1, 5), st.text(max_size=5),
                                               st.lists(st.integers(), max_size=2)), label="value")
            target.write_text(json.dumps(content))


_DAMAGE = st.sampled_from(["flip", "truncate", "empty", "delete", "json"])


@_settings("damaged_classifier")
@given(damage=_DAMAGE, data=st.data())
def test_damaged_classifier_folders(saved_models, damage, data):
    folders, loaders = saved_models
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "classifier"
        shutil.copytree(folders["classifier"], folder)
        _damage_model(folder, damage, data)
        try:
            loaders["classifier"](folder)
        except errors.PeerscopeError:
            pass


@_settings("damaged_topics")
@given(damage=_DAMAGE, data=st.data())
def test_damaged_topic_model_folders(saved_models, damage, data):
    folders, loaders = saved_models
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "topics"
        shutil.copytree(folders["topics"], folder)
        _damage_model(folder, damage, data)
        try:
            loaders["topics"](folder)
        except errors.PeerscopeError:
            pass


# A flipped byte in the header of a .npy file makes numpy's header parser raise
# SyntaxError or tokenize.TokenError: TopicModel.load turns them into PeerscopeError.
def test_a_topic_model_with_a_damaged_array_header(saved_models, tmp_path):
    folders, loaders = saved_models
    folder = tmp_path / "topics"
    shutil.copytree(folders["topics"], folder)
    array = folder / "topic_term.npy"
    raw = bytearray(array.read_bytes())
    raw[raw.index(b"(")] ^= 0x01            # the shape's "(" becomes ")"
    array.write_bytes(bytes(raw))
    with pytest.raises(errors.PeerscopeError, match="topic_term.npy"):
        loaders["topics"](folder)
