"""Labelled support data loaders: ESConv, MI-labelled CounselChat, EPITOME."""

from __future__ import annotations

import csv
import json
from collections import Counter

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peerscope.errors import PeerscopeError, SourceError
from peerscope.loaders import counselchat_mi, epitome, esconv

COUNSELCHAT = "counselchat-mi/MI_Augmented_CounselChat.csv"


# ---------------------------------------------------------------------------
# Real data
# ---------------------------------------------------------------------------

def _raw_esconv(folder):
    """Dialogues and turns of every split, read with plain json."""
    dialogues, turns = 0, []
    for split in ("train", "valid", "test"):
        with open(folder / f"{split}.txt", encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    dialogues += 1
                    turns += [(split, t["speaker"], t.get("strategy"))
                              for t in json.loads(line)["dialog"]]
    return dialogues, turns


@pytest.mark.shared_data
def test_esconv_folder_matches_raw_counts(shared_data):
    folder = shared_data / "esconv"
    dialogues, raw = _raw_esconv(folder)
    turns = esconv(folder)
    assert (dialogues, len(raw)) == (1300, 38365)  # as the data README says
    assert len(turns) == len(raw)
    assert turns["dialogue_id"].nunique() == dialogues
    assert turns["split"].value_counts().to_dict() == Counter(s for s, _, _ in raw)
    assert turns["role"].value_counts().to_dict() == {
        "seeker": sum(sp == "usr" for _, sp, _ in raw),
        "supporter": sum(sp == "sys" for _, sp, _ in raw)}
    raw_strategies = Counter(st_ for _, sp, st_ in raw if sp == "sys")
    assert turns["strategy"].value_counts().to_dict() == raw_strategies
    assert len(raw_strategies) == 8
    assert turns.loc[turns["role"] == "seeker", "strategy"].isna().all()
    assert turns.groupby("dialogue_id")["turn"].min().eq(0).all()


@pytest.mark.shared_data
def test_esconv_single_file_keeps_context(shared_data):
    file = shared_data / "esconv" / "valid.txt"
    with open(file, encoding="utf-8") as handle:
        first = json.loads(handle.readline())
    turns = esconv(file)
    assert set(turns["split"]) == {"valid"}
    dialogue = turns[turns["dialogue_id"] == "valid-1"]
    assert dialogue["text"].tolist() == [t["text"] for t in first["dialog"]]
    assert set(dialogue["emotion_type"]) == {first["emotion_type"]}
    assert set(dialogue["problem_type"]) == {first["problem_type"]}


@pytest.mark.shared_data
def test_counselchat_mi_matches_raw_counts(shared_data):
    path = shared_data / COUNSELCHAT
    raw = pd.read_csv(path, dtype=str)
    sentences = counselchat_mi(path)
    assert len(sentences) == len(raw)
    listener = raw["author"] == "listener"
    assert int(listener.sum()) == 8857  # as the data README says
    assert (sentences["role"] == "supporter").sum() == listener.sum()
    assert (sentences["role"] == "seeker").sum() == (raw["author"] == "speaker").sum()
    union = raw["Union (without disambiguities)"]
    assert (int(raw["Intersection"].notna().sum()), int(union.notna().sum())) == (358, 3074)
    assert sentences["mi_intersection"].value_counts().to_dict() == raw["Intersection"].value_counts().to_dict()
    assert sentences["mi_union"].value_counts().to_dict() == union.value_counts().to_dict()
    assert sentences["dialogue_id"].nunique() == raw["dialog_id"].nunique()
    # every answer's sentences are numbered 0..k-1 in file order
    answers = sentences[sentences["role"] == "supporter"]
    assert (answers.groupby("dialogue_id")["sentence"].agg(lambda s: list(s) == list(range(len(s))))).all()


@pytest.mark.shared_data
def test_counselchat_mi_label_lists(shared_data):
    path = shared_data / COUNSELCHAT
    raw = pd.read_csv(path, dtype=str)
    sentences = counselchat_mi(path)
    raw_items = Counter(label.strip(" '") for value in raw["All labels"].dropna()
                        for label in value.strip("[]").split(","))
    parsed = Counter(label for labels in sentences["mi_all"].dropna() for label in labels)
    assert parsed == raw_items
    assert sentences["mi_all"].notna().sum() == raw["All labels"].notna().sum()


# ---------------------------------------------------------------------------
# EPITOME (no real file is shipped: small hand-written ones)
# ---------------------------------------------------------------------------

EPITOME_ROWS = [
    ["sp_id", "rp_id", "seeker_post", "response_post", "level", "rationales"],
    ["65m92s", "dgbdk7z", "Help. Help me. I dunno what I'm doing anymore",
     "That's pretty vague, do you not know what you're doing in regards to a specific section?", "1",
     "That's pretty vague, do you not know what you're doing in regards to a specific section?|"],
    ["9ltimf", "e79qbcx", "I just want to die, I'm sick of it all", "I'm so sorry.", "0", ""],
    ["9ltimf", "e79qwfx", "I just want to die, I'm sick of it all",
     "What made today so hard, can you tell me?", "2", "What made today so hard|can you tell me?|"],
]


def _write_csv(path, rows, encoding="utf-8"):
    with open(path, "w", newline="", encoding=encoding) as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_epitome_infers_mechanism_and_keeps_rows(tmp_path):
    rated = epitome(_write_csv(tmp_path / "explorations-reddit.csv", EPITOME_ROWS))
    assert rated["level"].tolist() == [1, 0, 2]
    assert rated["level"].dtype == "int64"
    assert set(rated["mechanism"]) == {"explorations"}
    assert rated["seeker_post_id"].tolist() == ["65m92s", "9ltimf", "9ltimf"]
    assert rated["rationales"].isna().tolist() == [False, True, False]
    emotional = epitome(_write_csv(tmp_path / "emotional-reactions-reddit.csv", EPITOME_ROWS))
    assert set(emotional["mechanism"]) == {"emotional_reactions"}


def test_epitome_mechanism_argument(tmp_path):
    path = _write_csv(tmp_path / "ratings.csv", EPITOME_ROWS)
    assert set(epitome(path, mechanism="interpretations")["mechanism"]) == {"interpretations"}
    with pytest.raises(PeerscopeError, match="mechanism"):
        epitome(path)
    with pytest.raises(PeerscopeError, match="mechanism='empathy'"):
        epitome(path, mechanism="empathy")


def test_epitome_bad_level_names_record_and_column(tmp_path):
    rows = [r[:] for r in EPITOME_ROWS]
    rows[3][4] = "3"
    with pytest.raises(SourceError) as info:
        epitome(_write_csv(tmp_path / "interpretations.csv", rows))
    assert (info.value.line, info.value.column) == (4, "level")


def test_epitome_missing_column(tmp_path):
    rows = [r[:5] for r in EPITOME_ROWS]
    with pytest.raises(SourceError) as info:
        epitome(_write_csv(tmp_path / "explorations.csv", rows))
    assert info.value.column == "rationales"


def test_wrong_encoding_names_line(tmp_path):
    path = _write_csv(tmp_path / "explorations.csv", EPITOME_ROWS[:2] + [["x", "y", "caf\u00e9", "r", "0", ""]],
                      encoding="latin-1")
    with pytest.raises(SourceError) as info:
        epitome(path)
    assert info.value.line == 3 and "UTF-8" in str(info.value)


# ---------------------------------------------------------------------------
# Malformed ESConv and CounselChat
# ---------------------------------------------------------------------------

ESCONV_DIALOGUE = {"emotion_type": "sadness", "problem_type": "breakup", "situation": "She left.",
                   "dialog": [{"text": "I feel awful", "speaker": "usr"},
                              {"text": "That sounds really hard.", "speaker": "sys",
                               "strategy": "Reflection of feelings"}]}


def test_esconv_original_release_keys(tmp_path):
    original = {**ESCONV_DIALOGUE, "dialog": [
        {"content": "I feel awful", "speaker": "seeker", "annotation": {}},
        {"content": "Why?", "speaker": "supporter", "annotation": {"strategy": "Question"}}]}
    path = tmp_path / "train.txt"
    path.write_text(json.dumps(original) + "\n", encoding="utf-8")
    turns = esconv(path)
    assert turns["role"].tolist() == ["seeker", "supporter"]
    assert turns["strategy"].tolist()[1] == "Question"


def test_esconv_bad_json_line(tmp_path):
    path = tmp_path / "test.txt"
    path.write_text(json.dumps(ESCONV_DIALOGUE) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(SourceError) as info:
        esconv(path)
    assert info.value.line == 2 and "test.txt" in str(info.value)


def test_esconv_unknown_speaker(tmp_path):
    bad = {**ESCONV_DIALOGUE, "dialog": [{"text": "hi", "speaker": "bot"}]}
    path = tmp_path / "test.txt"
    path.write_text(json.dumps(ESCONV_DIALOGUE) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(SourceError) as info:
        esconv(path)
    assert (info.value.line, info.value.column) == (2, "speaker")


def test_esconv_empty_folder(tmp_path):
    with pytest.raises(SourceError, match="no ESConv split files"):
        esconv(tmp_path)


COUNSELCHAT_ROWS = [
    ["dialog_id", "title", "turn_count", "turn", "author", "text", "N-gram labels", "Cosine label",
     "All labels", "Intersection", "Union (without disambiguities)"],
    ["counsel_chat | 0", "Why?", "2", "1", "speaker", "Why do I feel worthless?", "", "", "", "", ""],
    ["counsel_chat | 0", "Why?", "2", "2", "listener", "You are not alone.", "['Support']", "Support",
     "['Support', 'Affirm']", "Support", "Support"],
    ["counsel_chat | 0", "Why?", "2", "2", "listener", "Try a journal.", "", "Advise without Permission",
     "", "", "Advise without Permission"],
]


def test_counselchat_mi_small_file(tmp_path):
    sentences = counselchat_mi(_write_csv(tmp_path / "mi.csv", COUNSELCHAT_ROWS))
    assert sentences["role"].tolist() == ["seeker", "supporter", "supporter"]
    assert sentences["sentence"].tolist() == [0, 0, 1]
    assert sentences["mi_all"].tolist()[1] == ["Support", "Affirm"]
    assert sentences["mi_intersection"].isna().tolist() == [True, False, True]


@pytest.mark.parametrize("row, column, value", [(2, "author", "therapist"), (3, "turn", "two"),
                                                (2, "N-gram labels", "Support")])
def test_counselchat_mi_bad_cell_names_record(tmp_path, row, column, value):
    rows = [r[:] for r in COUNSELCHAT_ROWS]
    rows[row][rows[0].index(column)] = value
    with pytest.raises(SourceError) as info:
        counselchat_mi(_write_csv(tmp_path / "mi.csv", rows))
    assert (info.value.line, info.value.column) == (row + 1, column)


def test_counselchat_mi_missing_column(tmp_path):
    rows = [r[:-1] for r in COUNSELCHAT_ROWS]
    with pytest.raises(SourceError) as info:
        counselchat_mi(_write_csv(tmp_path / "mi.csv", rows))
    assert info.value.column == "Union (without disambiguities)"


# ---------------------------------------------------------------------------
# Fuzz: any mutation of a valid input either loads or raises a PeerscopeError
# ---------------------------------------------------------------------------

def _mutate(data: bytes, position: int, cut: int, insert: bytes) -> bytes:
    position %= len(data) + 1
    return data[:position] + insert + data[position + cut:]


MUTATION = dict(position=st.integers(0, 10_000), cut=st.integers(0, 8), insert=st.binary(max_size=6))
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(**MUTATION)
def test_fuzz_esconv(tmp_path, position, cut, insert):
    data = (json.dumps(ESCONV_DIALOGUE) + "\n" + json.dumps(ESCONV_DIALOGUE) + "\n").encode()
    path = tmp_path / "train.txt"
    path.write_bytes(_mutate(data, position, cut, insert))
    try:
        turns = esconv(path)
    except PeerscopeError:
        return
    assert set(turns["role"]) <= {"seeker", "supporter"}


@FUZZ
@given(**MUTATION)
def test_fuzz_counselchat(tmp_path, position, cut, insert):
    data = _write_csv(tmp_path / "mi.csv", COUNSELCHAT_ROWS).read_bytes()
    path = tmp_path / "mutated.csv"
    path.write_bytes(_mutate(data, position, cut, insert))
    try:
        sentences = counselchat_mi(path)
    except PeerscopeError:
        return
    assert sentences["sentence"].ge(0).all()


@FUZZ
@given(**MUTATION)
def test_fuzz_epitome(tmp_path, position, cut, insert):
    data = _write_csv(tmp_path / "explorations.csv", EPITOME_ROWS).read_bytes()
    path = tmp_path / "explorations-mutated.csv"
    path.write_bytes(_mutate(data, position, cut, insert))
    try:
        rated = epitome(path)
    except PeerscopeError:
        return
    assert rated["level"].isin([0, 1, 2]).all()
