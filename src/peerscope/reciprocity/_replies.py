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
           "chain_roots", "exchange_closings", "first_by", "first_responses", "from_person", "paying_forward",
           "status_codes", "tenure_cells"]

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
    # the position of each chain's opening post among rows: its count of opening posts up to it,
    # looked up (a binary search of every reply's root took 0.57 s at 10M posts)
    opener = np.cumsum(opening, dtype=np.int32 if len(opening) < 2**31 else np.int64)[root[chain]] - 1
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


def from_person(status: np.ndarray) -> np.ndarray:
    """Per reply status: the reply's author is a person.

    :func:`status_codes` tests the author before anything else, so every
    status after ``from_anonymous`` (and ``edge``) belongs to a reply whose
    author is a person; the ``from_*`` reasons and ``opening`` do not say.
    """
    return (status == EDGE) | (status > STATUS_NAMES.index("from_anonymous"))


def exchange_closings(status: np.ndarray, author: np.ndarray, grand: np.ndarray) -> np.ndarray:
    """Per post: it closes an A -> B -> A exchange (:func:`~peerscope.reciprocity.exchanges`).

    An edge (so A and B are different persons) whose parent's parent was
    written by its own author.  Both engines count exchanges with this test:
    the pandas engine over the posts of the window, the Dask engine over the
    posts of whole threads, one partition at a time.

    Parameters
    ----------
    status : numpy.ndarray
        Per post, its index into :data:`STATUS_NAMES`.
    author, grand : numpy.ndarray
        Per post, its author code and the code of its grandparent's author
        (``-1``: none or null).

    Returns
    -------
    numpy.ndarray
        bool per post.

    Examples
    --------
    >>> exchange_closings(np.array([OPENING, EDGE, EDGE]), np.array([0, 1, 0]), np.array([-1, -1, 0])).tolist()
    [False, False, True]
    """
    return (status == EDGE) & (grand == author)


def tenure_cells(author: np.ndarray, time: np.ndarray, giving: np.ndarray, n: int, tenure_bins: int,
                 min_posts: int) -> dict[str, np.ndarray]:
    """Posts and giving posts per member and tenure part (:func:`~peerscope.reciprocity.serial_reciprocity`).

    The per-post arithmetic of serial reciprocity, the same on both engines:
    over the persons' posts of the window (pandas engine), or over every
    post of the members of one partition after a shuffle on the member (Dask
    engine).  A member is measured with ``min_posts`` posts or more and a
    tenure longer than zero; a post at ``t`` falls in part
    ``min(floor(k (t - first) / (last - first)), k - 1)``.

    Parameters
    ----------
    author : numpy.ndarray
        Per post of a person: their code, ``0 <= code < n``.
    time : numpy.ndarray
        Per post: int64 microseconds (not modified).
    giving : numpy.ndarray
        Per post: bool, it is an edge of the reply graph.
    n : int
        Number of codes.
    tenure_bins, min_posts : int
        As :func:`~peerscope.reciprocity.serial_reciprocity` takes them.

    Returns
    -------
    dict
        ``member`` (code), ``part``, ``posts`` and ``giving`` (int64), one
        entry per (member, part) with posts, sorted by code and part; and
        ``measured``, bool per code.

    Examples
    --------
    >>> found = tenure_cells(np.array([0, 0, 0, 1]), np.array([0, 5, 10, 3]),
    ...                      np.array([False, True, True, True]), 2, 2, 1)
    >>> [found[k].tolist() for k in ("member", "part", "posts", "giving", "measured")]
    [[0, 0], [0, 1], [1, 2], [0, 2], [True, False]]
    """
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(first, author, time)
    np.maximum.at(last, author, time)
    posts = np.bincount(author, minlength=n)
    measured = (posts >= min_posts) & (last > first)
    keep = measured[author]
    author, time, giving = author[keep], time[keep], giving[keep]
    del keep
    # part = floor(tenure_bins x (time - first) / (last - first)), in place on the copies just
    # made: one post-sized int64 and one float64 array at a time
    time -= first[author]
    time *= tenure_bins
    share = (last - first)[author].astype(np.float64)
    np.divide(time, share, out=share)
    del time
    part = np.minimum(share.astype(np.int64), tenure_bins - 1)
    del share
    cell = author.astype(np.int64) * tenure_bins + part      # (member, part) as one index
    del part
    size = np.bincount(cell, minlength=n * tenure_bins)
    given = np.bincount(cell[giving], minlength=n * tenure_bins)
    cells = np.flatnonzero(size)
    return {"member": cells // tenure_bins, "part": (cells % tenure_bins).astype(np.int64),
            "posts": size[cells].astype(np.int64), "giving": given[cells].astype(np.int64),
            "measured": measured}


def first_by(codes: np.ndarray, times: np.ndarray, n: int) -> np.ndarray:
    """Minimum time per code (``NEVER`` where a code has none).

    Examples
    --------
    >>> first_by(np.array([1, 1]), np.array([7, 3]), 3).tolist() == [NEVER, 3, NEVER]
    True
    """
    out = np.full(n, NEVER, dtype=np.int64)
    np.minimum.at(out, codes, times)
    return out


def paying_forward(source: np.ndarray, target: np.ndarray, first: np.ndarray, last: np.ndarray,
                   reverse: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """Per member code, the times of :func:`~peerscope.reciprocity.generalised_reciprocity`, from edges.

    The same arithmetic on both engines: over every edge of the graph
    (pandas engine), or over the edges into and out of the members of one
    partition after a shuffle on the member (Dask engine; each of those
    members then has all its edges, and with them every reverse edge its
    numbers need).

    Parameters
    ----------
    source, target : numpy.ndarray
        Per distinct edge, the codes of its two persons.
    first, last : numpy.ndarray
        Per edge, int64 microseconds of its first and last reply.
    reverse : numpy.ndarray
        Per edge, the position of its reverse edge, ``-1`` when there is none.
    n : int
        Number of codes.

    Returns
    -------
    dict
        Per code: ``first_received``, ``first_gave``, ``first_generalised``
        and ``first_paid_forward`` (int64 microseconds, ``NEVER`` when
        undefined) and ``returned`` (bool).

    Examples
    --------
    ann (0) and bob (1) reply to each other, cat (2) replies to ann:

    >>> found = paying_forward(np.array([0, 1, 2]), np.array([1, 0, 0]), np.array([3, 2, 4]),
    ...                        np.array([3, 2, 4]), np.array([1, 0, -1]), 3)
    >>> found["first_received"].tolist(), found["returned"].tolist()
    ([2, 3, 9223372036854775807], [True, False, False])
    """
    reverse_first = np.where(reverse >= 0, first[np.maximum(reverse, 0)], NEVER)
    received = first_by(target, first, n)
    generalised = reverse_first >= first
    forward = generalised & (first > received[source])
    returned_edge = (reverse >= 0) & (last >= reverse_first)
    return {"first_received": received, "first_gave": first_by(source, first, n),
            "first_generalised": first_by(source[generalised], first[generalised], n),
            "first_paid_forward": first_by(source[forward], first[forward], n),
            "returned": np.bincount(source[returned_edge], minlength=n) > 0}
