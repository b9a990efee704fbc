"""Small example corpora for documentation and quick experiments.

The docstring examples across peerscope share these, so each example shows
the call it documents rather than the same ten lines of frame building.
For corpora with planted ground truth at any size, use
:func:`peerscope.datasets.synth.generate`.
"""

from __future__ import annotations

import pandas as pd

from peerscope.corpus import Corpus

__all__ = ["tiny_forum", "tiny_history", "tiny_moderated", "tiny_pathways", "tiny_thread"]


def tiny_forum() -> Corpus:
    """A four-post forum: two threads, three posters' worth of replies, four members.

    ``ann`` opens thread ``p1`` (2024-01-01 20:00 UTC), ``bob`` replies
    (01-02 21:00), ``ann`` replies to him (01-03 09:00), and ``ann`` opens
    thread ``p4`` (02-01 10:00).  The roster adds ``cat`` and ``dan``, who
    never post (lurkers), joined on 2024-01-02 and 01-03.

    Returns
    -------
    peerscope.Corpus
        An in-memory corpus with a roster.

    Examples
    --------
    >>> corpus = tiny_forum()
    >>> len(corpus.posts()), len(corpus.members()), corpus.has_roster
    (4, 4, True)
    """
    def utc(*stamps):
        return pd.to_datetime(list(stamps), utc=True)

    posts = pd.DataFrame({
        "post_id": ["p1", "p2", "p3", "p4"], "thread_id": ["p1", "p1", "p1", "p4"],
        "parent_id": [None, "p1", "p2", None], "author_id": ["ann", "bob", "ann", "ann"],
        "text": ["a", "b", "c", "d"],
        "created_at": utc("2024-01-01 20:00", "2024-01-02 21:00", "2024-01-03 09:00", "2024-02-01 10:00")})
    members = pd.DataFrame({"member_id": ["ann", "bob", "cat", "dan"],
                            "joined_at": utc("2023-12-31", "2024-01-01", "2024-01-02", "2024-01-03")})
    return Corpus.from_frames(posts, members, name="tiny-forum")


def tiny_thread() -> Corpus:
    """One nested thread of four posts: ``ann`` and ``bob`` answer each other, ``cat`` answers ``ann``.

    ``p1`` by ann (2024-01-01) opens the thread, ``p2`` by bob replies to it
    (01-02), ``p3`` by ann replies to bob (01-03) and ``p4`` by cat replies
    to ``p1`` (01-04): the reply graph ann <-> bob, cat -> ann.  No roster.
    The reciprocity docstrings use it.

    Returns
    -------
    peerscope.Corpus
        An in-memory corpus without a roster.

    Examples
    --------
    >>> corpus = tiny_thread()
    >>> corpus.posts()[["post_id", "author_id"]].values.tolist()
    [['p1', 'ann'], ['p2', 'bob'], ['p3', 'ann'], ['p4', 'cat']]
    >>> corpus.posts()["parent_id"].tolist()[1:]
    ['p1', 'p2', 'p1']
    """
    posts = pd.DataFrame({
        "post_id": ["p1", "p2", "p3", "p4"], "thread_id": ["p1"] * 4,
        "parent_id": [None, "p1", "p2", "p1"], "author_id": ["ann", "bob", "ann", "cat"],
        "created_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"], utc=True),
        "text": ["."] * 4})
    return Corpus.from_frames(posts, name="tiny-thread")


def tiny_history() -> Corpus:
    """Five posts over half a year by two of three roster members, for the engagement examples.

    ``ann`` opens ``p1`` (2024-01-01 20:00 UTC), ``bob`` replies (01-03
    21:00), ``ann`` replies to him (01-04 09:00) and opens ``p4`` (02-10
    20:30), and ``bob`` replies there (06-01 08:00).  The roster: ann
    (joined 2023-12-31), bob (2024-01-01) and cat (2024-01-15), who never
    posts.

    Returns
    -------
    peerscope.Corpus
        An in-memory corpus with a roster.

    Examples
    --------
    >>> corpus = tiny_history()
    >>> corpus.posts()["author_id"].tolist(), corpus.members()["member_id"].tolist()
    (['ann', 'bob', 'ann', 'ann', 'bob'], ['ann', 'bob', 'cat'])
    """
    posts = pd.DataFrame({
        "post_id": ["p1", "p2", "p3", "p4", "p5"], "thread_id": ["p1", "p1", "p1", "p4", "p4"],
        "parent_id": [None, "p1", "p2", None, "p4"], "author_id": ["ann", "bob", "ann", "ann", "bob"],
        "text": ["a", "b", "c", "d", "e"],
        "created_at": pd.to_datetime(["2024-01-01 20:00", "2024-01-03 21:00", "2024-01-04 09:00",
                                      "2024-02-10 20:30", "2024-06-01 08:00"], utc=True)})
    members = pd.DataFrame({"member_id": ["ann", "bob", "cat"],
                            "joined_at": pd.to_datetime(["2023-12-31", "2024-01-01", "2024-01-15"], utc=True)})
    return Corpus.from_frames(posts, members, name="tiny-history")


def tiny_pathways() -> Corpus:
    """Two people across forms of support, for the pluralism examples.

    ``ann`` posts online once (2024-01-03) and attends a group twice (01-10
    and 02-07); ``bob`` has one one-to-one session (02-01).  No roster.

    Returns
    -------
    peerscope.Corpus
        An in-memory corpus with posts and events.

    Examples
    --------
    >>> corpus = tiny_pathways()
    >>> corpus.events()[["member_id", "form"]].values.tolist()
    [['ann', 'group'], ['ann', 'group'], ['bob', 'one_to_one']]
    """
    posts = pd.DataFrame({"post_id": ["p1"], "thread_id": ["p1"], "parent_id": [None],
                          "author_id": ["ann"], "created_at": pd.to_datetime(["2024-01-03"], utc=True),
                          "text": ["hi"]})
    events = pd.DataFrame({"member_id": ["ann", "ann", "bob"],
                           "at": pd.to_datetime(["2024-01-10", "2024-02-07", "2024-02-01"], utc=True),
                           "kind": ["attend", "attend", "session"],
                           "form": ["group", "group", "one_to_one"]})
    return Corpus.from_frames(posts, events=events, name="tiny-pathways")


def tiny_moderated() -> Corpus:
    """``tiny_forum``'s four posts with a roster of roles: ann, bob, cat and a moderator.

    ``ann`` writes three posts (one a reply to ``bob``), ``bob`` one; ``cat``
    and ``mod`` (role ``moderator``) never post.  No join dates.  The
    participation examples use it.

    Returns
    -------
    peerscope.Corpus
        An in-memory corpus with a roster.

    Examples
    --------
    >>> tiny_moderated().members()[["member_id", "role"]].values.tolist()[-1]
    ['mod', 'moderator']
    """
    posts = pd.DataFrame({"post_id": ["p1", "p2", "p3", "p4"], "thread_id": ["p1", "p1", "p1", "p4"],
                          "parent_id": [None, "p1", "p2", None], "author_id": ["ann", "bob", "ann", "ann"],
                          "text": ["a", "b", "c", "d"],
                          "created_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03",
                                                        "2024-02-01"], utc=True)})
    members = pd.DataFrame({"member_id": ["ann", "bob", "cat", "mod"], "role": [None, None, None, "moderator"]})
    return Corpus.from_frames(posts, members, name="tiny-moderated")
