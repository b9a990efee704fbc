"""ConvoKit folders: reading, writing, round trips, and malformed input."""

from __future__ import annotations

import json
import pickle
import warnings

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peerscope import Corpus
from peerscope.errors import PeerscopeError, SourceError, ValidationError
# the module, not peerscope.loaders.convokit: once imported, that name is the submodule
from peerscope.loaders.convokit import NOTE_REPLY_OUTSIDE, convokit, to_convokit

CORE = ["post_id", "thread_id", "parent_id", "author_id", "created_at", "text"]


def _utterance(uid, speaker, conversation, reply_to, timestamp, text, meta=None, **extra):
    return {"id": uid, "speaker": speaker, "conversation_id": conversation, "reply-to": reply_to,
            "timestamp": timestamp, "text": text, "meta": meta or {}, "vectors": [], **extra}


def _write_folder(folder, utterances, speakers=None, conversations=None, index=None, corpus=None):
    """A ConvoKit folder laid out the way ConvoKit's Corpus.dump writes it."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "utterances.jsonl", "w", encoding="utf-8") as handle:
        for utterance in utterances:
            handle.write((utterance if isinstance(utterance, str) else json.dumps(utterance)) + "\n")
    (folder / "speakers.json").write_text(json.dumps(speakers or {}), encoding="utf-8")
    (folder / "conversations.json").write_text(json.dumps(conversations or {}), encoding="utf-8")
    (folder / "corpus.json").write_text(json.dumps(corpus or {}), encoding="utf-8")
    (folder / "index.json").write_text(json.dumps(index or {
        "utterances-index": {}, "speakers-index": {}, "conversations-index": {},
        "overall-index": {}, "version": 1, "vectors": []}), encoding="utf-8")
    return folder


REDDITISH = [
    _utterance("t1", "ann", "t1", None, 1704139200, "Cannot sleep again",
               {"score": 5, "subreddit": "sleep", "permalink": "/r/sleep/t1"}),
    _utterance("c1", "bob", "t1", "t1", 1704142800, "Same here",
               {"score": -1, "subreddit": "sleep", "gilded": 0}),
    _utterance("c2", "ann", "t1", "c1", 1704146400.5, "Thanks", {"subreddit": "sleep"}),
    _utterance("c3", "cat", "t9", "gone", 1704150000, "Replying to a deleted comment"),
    {**_utterance("c4", "bob", None, "c2", 1704153600, "orphan conversation id"), "meta": None},
]
SPEAKERS = {"ann": {"meta": {"karma": 10, "flair": "mod-ish", "history": [1, 2]}, "vectors": []},
            "bob": {"meta": {"karma": 3, "role": "moderator"}, "vectors": []},
            "cat": {"meta": {}, "vectors": []}}
CONVERSATIONS = {"t1": {"meta": {"title": "Sleep", "num_comments": 3}, "vectors": []},
                 "t9": {"meta": {"subreddit": "anxiety"}, "vectors": []}}


def test_reads_utterances_speakers_and_conversations(tmp_path):
    corpus = convokit(_write_folder(tmp_path / "reddit-small", REDDITISH, SPEAKERS, CONVERSATIONS))
    posts = corpus.posts(columns="all").set_index("post_id")
    assert posts.index.tolist() == ["t1", "c1", "c2", "c3", "c4"]
    assert posts["author_id"].tolist() == ["ann", "bob", "ann", "cat", "bob"]
    assert posts.loc["c2", "created_at"] == pd.Timestamp("2024-01-01 22:00:00.5", tz="UTC")
    assert posts["score"].tolist()[:2] == [5, -1] and posts["score"].isna().tolist()[2:] == [True] * 3
    # subreddit -> channel; the conversation's subreddit fills in where the utterance has none
    assert posts["channel"].iloc[:4].tolist() == ["sleep", "sleep", "sleep", "anxiety"]
    assert pd.isna(posts.loc["c4", "channel"])
    assert posts.loc["t1", "title"] == "Sleep" and posts["title"].isna().sum() == 4
    # a reply to an utterance outside the folder opens its own thread, and is counted
    assert pd.isna(posts.loc["c3", "parent_id"])
    # a missing conversation id is the root of the reply chain, as ConvoKit fills it in
    assert posts.loc["c4", "thread_id"] == "t1"
    parameters = corpus.manifest["provenance"]["parameters"]
    assert corpus.manifest["accounting"]["posts"]["kept_notes"] == {NOTE_REPLY_OUTSIDE: 1}
    assert "reply_to_outside_corpus" not in parameters
    assert parameters["utterance_meta_not_imported"] == ["gilded", "permalink"]
    assert parameters["conversation_meta_not_imported"] == ["num_comments"]
    assert parameters["speaker_meta_not_imported"] == ["history"]
    assert corpus.manifest["roster"] is False
    assert corpus.manifest["accounting"]["posts"]["rows_read"] == 5
    members = corpus.members(columns="all").set_index("member_id")
    assert members.loc["bob", "role"] == "moderator" and pd.isna(members.loc["ann", "role"])
    assert members["karma"].tolist()[:2] == [10, 3]
    assert members.loc["ann", "flair"] == "mod-ish"


def test_old_layout_users_root_and_reply_to(tmp_path):
    folder = tmp_path / "old"
    folder.mkdir()
    lines = [{"id": 1, "user": "u1", "root": 1, "reply_to": None, "timestamp": "1500000000", "text": "a"},
             {"id": 2, "user": "u2", "root": 1, "reply_to": 1, "timestamp": 1500000100, "text": 7}]
    (folder / "utterances.jsonl").write_text("\n".join(map(json.dumps, lines)) + "\n\n")
    (folder / "users.json").write_text(json.dumps({"u1": {"age": 30}, "u2": {"age": None}}))
    corpus = convokit(folder)
    posts = corpus.posts(columns="all")
    assert posts[["post_id", "thread_id", "parent_id", "author_id"]].fillna("-").values.tolist() == [
        ["1", "1", "-", "u1"], ["2", "1", "1", "u2"]]
    assert posts["text"].tolist() == ["a", "7"]
    assert corpus.members(columns="all")["age"].tolist()[0] == 30


def test_pickled_metadata_is_never_unpickled(tmp_path):
    sentinel = tmp_path / "unpickled"

    class Trap:
        def __reduce__(self):
            return (open, (str(sentinel), "w"))

    folder = _write_folder(
        tmp_path / "with-bin",
        [_utterance("u1", "ann", "u1", None, 1704139200, "hi", {"parsed": "<##bin{0}&&@**>", "score": 2})],
        {"ann": {"meta": {"embedding": "<##bin{0}&&@**>", "karma": 1}, "vectors": []}},
        index={"utterances-index": {"parsed": ["bin"], "score": ["<class 'int'>"]},
               "speakers-index": {"embedding": ["bin"], "karma": ["<class 'int'>"]},
               "conversations-index": {}, "overall-index": {}, "version": 1, "vectors": ["bow"]})
    (folder / "parsed-bin.p").write_bytes(pickle.dumps([Trap()]))
    (folder / "embedding-speaker-bin.p").write_bytes(pickle.dumps([Trap()]))
    with pytest.warns(UserWarning) as caught:
        corpus = convokit(folder)
    messages = " ".join(str(w.message) for w in caught)
    assert "parsed" in messages and "embedding" in messages and "bow" in messages
    assert not sentinel.exists()
    assert corpus.posts(columns="all")["score"].tolist() == [2]
    assert "embedding" not in corpus.members(columns="all").columns
    assert corpus.manifest["provenance"]["parameters"]["binary_meta_skipped"] == {
        "speaker": ["embedding"], "utterance": ["parsed"]}


def test_malformed_json_line_names_file_and_line(tmp_path):
    folder = _write_folder(tmp_path / "broken", [REDDITISH[0], '{"id": "c1", "speaker": ', REDDITISH[2]])
    with pytest.raises(SourceError) as info:
        convokit(folder)
    assert info.value.line == 2 and info.value.path.endswith("utterances.jsonl")


@pytest.mark.parametrize("field, value", [("timestamp", "yesterday"), ("timestamp", 1e300),
                                          ("speaker", {"name": "ann"}), ("meta", [1]), ("text", [1])])
def test_impossible_field_values(tmp_path, field, value):
    bad = {**REDDITISH[1], field: value}
    folder = _write_folder(tmp_path / "bad", [REDDITISH[0], bad])
    with pytest.raises(SourceError) as info:
        convokit(folder)
    assert info.value.line == 2 and info.value.column == field


def test_missing_folder_and_utterances(tmp_path):
    with pytest.raises(SourceError, match="not a folder"):
        convokit(tmp_path / "nothing")
    with pytest.raises(SourceError, match="utterances.jsonl"):
        convokit(tmp_path)


def test_null_timestamps(tmp_path):
    lines = [_utterance("a", "ann", "a", None, 1704139200, "x"),
             _utterance("b", "bob", "a", "a", None, "y"),
             _utterance("c", "ann", "a", "b", 1704139300, "z")]
    folder = _write_folder(tmp_path / "some-null", lines)
    with pytest.raises(ValidationError, match="created_at"):
        convokit(folder)
    repaired = convokit(folder, repair=True)
    assert repaired.posts()["post_id"].tolist() == ["a"]  # c hangs below the quarantined b
    assert repaired.manifest["accounting"]["posts"]["rows_quarantined"] == 2
    none = _write_folder(tmp_path / "all-null", [_utterance("a", "ann", "a", None, None, "x")])
    with pytest.raises(SourceError, match="no utterance has a timestamp"):
        convokit(none)


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------

def _tiny_corpus(tiny_frames):
    posts, members, events = tiny_frames
    return Corpus.from_frames(posts, members, name="tiny")


def test_written_folder_has_the_convokit_layout(tmp_path, tiny_frames):
    to_convokit(_tiny_corpus(tiny_frames), tmp_path / "out")
    folder = tmp_path / "out"
    assert sorted(p.name for p in folder.iterdir()) == [
        "conversations.json", "corpus.json", "index.json", "speakers.json", "utterances.jsonl"]
    utterances = [json.loads(line) for line in (folder / "utterances.jsonl").read_text().splitlines()]
    assert set(utterances[0]) == {"id", "speaker", "conversation_id", "reply-to", "timestamp",
                                  "text", "meta", "vectors"}
    assert utterances[0]["timestamp"] == 1704139200 and isinstance(utterances[0]["timestamp"], int)
    index = json.loads((folder / "index.json").read_text())
    assert set(index) == {"utterances-index", "speakers-index", "conversations-index",
                          "overall-index", "version", "vectors"}
    # the index lists exactly the metadata written, with the types written
    written = {}
    for utterance in utterances:
        for key, value in utterance["meta"].items():
            written.setdefault(key, set()).add(str(type(value)))
    assert {k: set(v) for k, v in index["utterances-index"].items()} == written == {
        "channel": {"<class 'str'>"}, "score": {"<class 'int'>"}}
    speakers = json.loads((folder / "speakers.json").read_text())
    assert speakers["bob"]["meta"]["role"] == "moderator" and set(speakers["cat"]) == {"meta", "vectors"}
    assert set(index["speakers-index"]) == {"joined_at", "role"}
    conversations = json.loads((folder / "conversations.json").read_text())
    assert sorted(conversations) == ["p1", "p4"]
    corpus_meta = json.loads((folder / "corpus.json").read_text())
    assert set(index["overall-index"]) == set(corpus_meta) and corpus_meta["name"] == "tiny"


def test_round_trip_tiny(tmp_path, tiny_frames):
    original = _tiny_corpus(tiny_frames)
    to_convokit(original, tmp_path / "out")
    loaded = convokit(tmp_path / "out")
    before = original.posts(columns="all")
    after = loaded.posts(columns="all")[before.columns]
    pd.testing.assert_frame_equal(after, before)
    members = loaded.members(columns="all").set_index("member_id").sort_index()
    expected = original.members(columns="all").set_index("member_id").sort_index()
    pd.testing.assert_frame_equal(members[expected.columns], expected)


def test_refuses_to_overwrite(tmp_path, tiny_frames):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(PeerscopeError, match="refusing"):
        to_convokit(_tiny_corpus(tiny_frames), tmp_path / "out")
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary folder left


# ---------------------------------------------------------------------------
# Property tests
# ---------------------------------------------------------------------------

@st.composite
def forests(draw):
    """Posts forming reply trees, with microsecond times, odd text and missing authors."""
    n = draw(st.integers(1, 25))
    parents = [None]
    for i in range(1, n):
        parents.append(draw(st.one_of(st.none(), st.integers(0, i - 1))))
    threads = []
    for i, parent in enumerate(parents):
        threads.append(i if parent is None else threads[parent])
    micros = draw(st.lists(st.integers(315_532_800_000_000, 1_700_000_000_000_000), min_size=n, max_size=n))
    texts = draw(st.lists(st.one_of(st.none(), st.text(max_size=30)), min_size=n, max_size=n))
    authors = draw(st.lists(st.one_of(st.none(), st.sampled_from(["ann", "bob", "ünï", "1", "a b"])),
                            min_size=n, max_size=n))
    ids = draw(st.lists(st.text(min_size=1, max_size=8), min_size=n, max_size=n, unique=True))
    return pd.DataFrame({
        "post_id": ids,
        "thread_id": [ids[t] for t in threads],
        "parent_id": [None if p is None else ids[p] for p in parents],
        "author_id": authors,
        "created_at": pd.to_datetime(pd.Series(micros, dtype="int64"), unit="us", utc=True),
        "text": texts,
    })


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(posts=forests())
def test_round_trip_property(tmp_path_factory, posts):
    folder = tmp_path_factory.mktemp("rt") / "convokit"
    original = Corpus.from_frames(posts, name="prop")
    to_convokit(original, folder)
    loaded = convokit(folder)
    before = original.posts(columns=CORE)
    pd.testing.assert_frame_equal(loaded.posts(columns=CORE), before)


def _mutate(data: bytes, position: int, cut: int, insert: bytes) -> bytes:
    position %= len(data) + 1
    return data[:position] + insert + data[position + cut:]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(file=st.sampled_from(["utterances.jsonl", "speakers.json", "conversations.json", "index.json"]),
       position=st.integers(0, 5000), cut=st.integers(0, 8), insert=st.binary(max_size=6))
def test_fuzz_only_peerscope_errors(tmp_path_factory, file, position, cut, insert):
    folder = _write_folder(tmp_path_factory.mktemp("fz") / "c", REDDITISH, SPEAKERS, CONVERSATIONS)
    path = folder / file
    path.write_bytes(_mutate(path.read_bytes(), position, cut, insert))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            corpus = convokit(folder, repair=True)
    except PeerscopeError:
        return
    accounting = corpus.manifest["accounting"]["posts"]
    assert accounting["rows_read"] == accounting["rows_kept"] + accounting["rows_quarantined"]


def test_convokit_itself_loads_the_written_folder(tmp_path, tiny_frames):
    """Only where ConvoKit is installed (it is not a dependency): its own loader agrees."""
    ck = pytest.importorskip("convokit")
    original = _tiny_corpus(tiny_frames)
    to_convokit(original, tmp_path / "out")
    loaded = ck.Corpus(filename=str(tmp_path / "out"))
    posts = original.posts(columns="all").set_index("post_id")
    assert sorted(loaded.get_utterance_ids()) == sorted(posts.index)
    for utterance in loaded.iter_utterances():
        post = posts.loc[utterance.id]
        assert utterance.conversation_id == post["thread_id"]
        assert utterance.reply_to == (None if pd.isna(post["parent_id"]) else post["parent_id"])
        assert utterance.speaker.id == post["author_id"]
        assert pd.Timestamp(utterance.timestamp, unit="s", tz="UTC") == post["created_at"]
    assert loaded.get_speaker("bob").meta["role"] == "moderator"
