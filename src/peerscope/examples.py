"""Small example corpora for documentation and quick experiments.

The docstring examples across peerscope share these, so each example shows
the call it documents rather than the same ten lines of frame building.
For corpora with planted ground truth at any size, use
:func:`peerscope.synth.generate`.
"""

from __future__ import annotations

import pandas as pd

from peerscope.corpus import Corpus


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
