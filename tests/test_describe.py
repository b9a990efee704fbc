"""describe(): the kept notes of the import (rows kept but changed) in fields, frame and text."""

from __future__ import annotations

import pytest

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


def test_made_opening_posts_make_responsiveness_unmeasurable(shared_data):
    """Reddit comments without submissions: every made opening post is 'answered' at once by construction."""
    from peerscope.loaders import reddit

    description = describe(reddit(shared_data / "reddit-mh-comments" / "reddit_post_comments.csv"))
    assert not description.can("responsiveness")
    reason = next(c.reason for c in description.capabilities if c.measure == "responsiveness")
    assert "made at import" in reason and "first comment" in reason


def test_day_resolution_keeps_the_answered_share_but_not_hours(tiny_frames):
    from peerscope.reciprocity import summary
    from peerscope.report.tables import responsiveness

    posts, members, _ = tiny_frames
    posts = posts.assign(created_at=posts["created_at"].dt.floor("D"))
    corpus = Corpus.from_frames(posts, members)
    description = describe(corpus)
    assert description.time_resolution == "day" and description.can("responsiveness")
    frame = responsiveness(summary(corpus), description).frame
    assert frame.loc["hours_to_first_response_q50", "value"] == "not measurable"
    assert isinstance(frame.loc["answered_share", "value"], float)


def test_a_thread_holding_an_implausible_share_of_posts_is_warned_about(shared_data):
    """AgingCare mapped by its junk post_id puts 1,765 posts under the thread 'ent&pa'."""
    from peerscope.loaders import table

    mapping = {"thread_id": "post_id", "author_id": "user_name", "created_at": "date",
               "text": "body", "is_reply": "reply"}
    with pytest.warns(UserWarning, match="check the column mapped to thread_id"):   # at import too
        corpus = table(shared_data / "forum-agingcare-caregivers" / "ac.json", mapping, replies="flat",
                       assume_tz="UTC", repair=True)
    description = describe(corpus)
    assert description.largest_thread_share > 0.2
    assert any("check the column mapped to thread_id" in w for w in description.warnings)
    assert "warning: one thread holds" in str(description)


def test_ordinary_threads_raise_no_warning(tiny_frames):
    posts, members, _ = tiny_frames
    description = describe(Corpus.from_frames(posts, members))
    assert description.warnings == () and description.largest_thread_share == 0.5
