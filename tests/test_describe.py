"""describe(): the kept notes of the import (rows kept but changed) in fields, frame and text."""

from __future__ import annotations

from peerscope import Corpus
from peerscope.corpus.description import describe

MISSING = "parent not in the data: kept with a null parent"
GENERATED = "no post id: kept with a generated id"


def test_description_lists_kept_notes_per_table_and_note(tiny_frames):
    posts, members, events = tiny_frames
    corpus = Corpus.from_frames(posts, members, events,
                                kept_notes={"posts": {MISSING: 2, GENERATED: 6}, "events": {GENERATED: 1}})
    description = describe(corpus)
    assert description.kept_notes == {"posts": {GENERATED: 6, MISSING: 2}, "events": {GENERATED: 1}}

    frame = description.to_frame()
    noted = frame[frame["section"] == "kept_notes"].set_index("item")["value"].to_dict()
    assert noted == {f"posts: {GENERATED}": "6", f"posts: {MISSING}": "2", f"events: {GENERATED}": "1"}

    text = str(description).splitlines()
    start = text.index("kept but changed on import:")
    assert text[start + 1:start + 4] == [f"  posts: {GENERATED}: 6", f"  posts: {MISSING}: 2",
                                         f"  events: {GENERATED}: 1"]
    assert text[start + 4] == "can measure:"


def test_a_corpus_without_kept_notes_shows_none(tiny_frames):
    description = describe(Corpus.from_frames(tiny_frames[0]))
    assert description.kept_notes == {}
    assert "kept_notes" not in set(description.to_frame()["section"])
    assert "kept but changed" not in str(description)
