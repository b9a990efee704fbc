"""Per-post arithmetic of the reply graph that both engines run, kept apart from the measures.

The pandas engine applies these functions to the per-post arrays of a whole
window (:mod:`peerscope.reciprocity.graph`); the Dask engine applies them
partition by partition on the workers (:mod:`peerscope.reciprocity._workers`).
Keeping them here, below both, means one definition of a reply's status,
of a reply chain's root and of a thread's responses, and no import cycle
between the graph and its Dask side.
"""

from __future__ import annotations

import numpy as np

from peerscope.corpus import schema

__all__ = ["AUTHOR_KINDS", "BOT", "EDGE", "NEVER", "NOT_EDGE_REASONS", "OPENING", "PERSON", "STATUS_NAMES",
           "chain_roots", "first_responses", "status_codes"]

#: Status of a post in the reply table: an opening post, an edge, or why a reply is not an edge.
OPENING, EDGE = 0, 1
#: Reasons a reply is not an edge, in order of precedence (the first that applies is counted).
NOT_EDGE_REASONS = ("from_unknown", "from_bot", "from_deleted", "from_anonymous",
                    "parent_not_in_corpus", "to_unknown", "to_bot", "to_deleted",
                    "to_anonymous", "self_reply")
STATUS_NAMES = ("opening", "edge") + NOT_EDGE_REASONS
#: Kind of an author code: a person, or one of the non-person roles.
PERSON = 0
AUTHOR_KINDS = ("person",) + schema.NON_PERSON_ROLES
#: The kind code of bots.
BOT = AUTHOR_KINDS.index("bot")
#: Time of the first response of an opening post that got none.
NEVER = np.iinfo(np.int64).max


def status_codes(has_parent, author, target, parent_row, kind) -> np.ndarray:
    """Status per post: the first reason of :data:`NOT_EDGE_REASONS` that applies, else edge."""
    def kind_of(codes):
        return np.where(codes >= 0, kind[np.maximum(codes, 0)], -1)

    author_kind, target_kind = kind_of(author), kind_of(target)
    conditions = [~has_parent, author < 0]
    conditions += [author_kind == AUTHOR_KINDS.index(r) for r in ("bot", "deleted", "anonymous")]
    conditions += [parent_row < 0, target < 0]
    conditions += [target_kind == AUTHOR_KINDS.index(r) for r in ("bot", "deleted", "anonymous")]
    conditions += [author == target]
    choices = [OPENING] + list(range(2, len(STATUS_NAMES)))
    return np.select(conditions, choices, EDGE).astype(np.int8)


def chain_roots(parent: np.ndarray, row: np.ndarray, n_lookup: int) -> np.ndarray:
    """Window row of the opening post at the top of each post's reply chain (-1: outside)."""
    top = np.where(parent >= 0, parent, np.arange(n_lookup, dtype=np.int32))
    while True:  # pointer jumping: log2(depth) rounds
        jumped = top[top]
        if np.array_equal(jumped, top):
            break
        top = jumped
    in_window = np.full(n_lookup, -1, dtype=np.int32)
    in_window[row[row >= 0]] = np.flatnonzero(row >= 0)
    return np.where(row >= 0, in_window[top[np.maximum(row, 0)]], -1)


def first_responses(author: np.ndarray, time: np.ndarray, opening: np.ndarray, root: np.ndarray,
                    kind: np.ndarray, responses: str) -> dict[str, np.ndarray]:
    """Per opening post, its responses: what :func:`~peerscope.reciprocity.responsiveness` reports, from per-post arrays.

    The one computation both engines run: on the pandas engine over every
    post of the window, on the Dask engine over the posts of the threads of
    one partition (:mod:`peerscope.reciprocity._workers`).

    Parameters
    ----------
    author : numpy.ndarray
        Per post of the window: author code (``-1``: null author).
    time : numpy.ndarray
        Per post: microseconds since the epoch.
    opening : numpy.ndarray
        Per post: bool, it is an opening post.
    root : numpy.ndarray
        Per post: position of the opening post of its reply chain (``-1``:
        outside the posts given).
    kind : numpy.ndarray
        Per author code, its index into ``AUTHOR_KINDS``.
    responses : str
        ``"others"`` (neither the opening poster nor bots), ``"others_and_bots"`` or ``"all"``.

    Returns
    -------
    dict
        One array per opening post, in order: ``n_responses``, ``first``
        (time of the first response, ``NEVER`` when none), ``op_last``
        (the opening poster's last post in the thread, int64 minimum when
        none) and ``person_op`` (the opening poster is a person).
    """
    rows = np.flatnonzero(opening)
    # replies whose chain starts at an opening post of the window, and that post's position in rows
    in_thread = (root >= 0) & ~opening
    in_thread[in_thread] = opening[root[in_thread]]
    chain = np.flatnonzero(in_thread)
    del in_thread
    opener = np.searchsorted(rows, root[chain])
    chain_author, chain_time = author[chain], time[chain]
    by_op = (chain_author >= 0) & (chain_author == author[rows][opener])
    counted = np.ones(len(chain), dtype=bool)
    if responses != "all":
        counted &= ~by_op
    if responses == "others":
        counted &= ~((chain_author >= 0) & (kind[np.maximum(chain_author, 0)] == BOT))
    first = np.full(len(rows), NEVER, dtype=np.int64)
    np.minimum.at(first, opener[counted], chain_time[counted])
    n_responses = np.bincount(opener[counted], minlength=len(rows)).astype(np.int64)
    op_last = np.full(len(rows), np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(op_last, opener[by_op], chain_time[by_op])
    person_op = (author[rows] >= 0) & (kind[np.maximum(author[rows], 0)] == PERSON)
    return {"n_responses": n_responses, "first": first, "op_last": op_last, "person_op": person_op}
