"""Whether a post seeks support, provides it, or neither: from its place in the thread and its wording.

Studies of online support separate support *sought* from support *given*
(Wang, Kraut & Levine 2012, 2015; Wang, Zhao & Street 2017).  A post's
position is strong evidence: the opening post of a thread in a peer-support
forum usually asks for help or shares a trouble, replies usually answer it.
Wording settles the rest: a reply can ask its own question, and an opening
post can be a resource shared with the group.

The rule (:func:`direction`):

1. Count the cue phrases of the
   :class:`~peerscope.support.lexicon.LexiconLabeller` in the post, one
   count over every *seeking* list (requests for advice, distress and
   loneliness, negative self-evaluation, asking for others like oneself or
   for practical help) and one over every *providing* list (sympathy,
   suggestions and referrals, compliments and validation, "you're not
   alone", offers of help).  With a support model's scores, a post whose
   emotional or informational probability is at least 0.5 gains one
   providing cue.
2. An opening post is ``seeking``, unless its providing cues outnumber its
   seeking cues (then ``providing``).
3. A reply, or a post whose position is unknown, is ``providing`` when its
   providing cues outnumber its seeking cues, ``seeking`` when the seeking
   cues outnumber the providing ones, and ``neither`` on a tie (most often
   no cue at all: thanks, small talk, a plain question about details).
4. A post of unknown position with no cue at all is ``seeking`` when it is
   about the writer: more first-person (``I``, ``me``, ``my``) than
   second-person words.  In a thread the same post is a reply that shares
   the writer's own story, which is not seeking, so the rule applies only
   when the position is unknown (chat turns, posts without thread data).

Agreement with labelled data is reported in the model card
(``docs/models/forum.md``): ESConv seeker turns (seeking) and supporter
turns (providing), and CL-Aff reply sentences labelled as support.

References
----------
Wang, Y.-C., Kraut, R. E., & Levine, J. M. (2015). Eliciting and receiving
online support: using computer-aided content analysis to examine the
dynamics of online social support. Journal of Medical Internet Research 17(4).
Wang, X., Zhao, K., & Street, N. (2017). Analyzing and predicting user
participations in online health communities: a social support perspective.
Journal of Medical Internet Research 19(4).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from peerscope.errors import PeerscopeError
from peerscope.support.lexicon import ADDRESS, CUES, _group_regex, _normalise

__all__ = ["DIRECTION_LABELS", "direction"]

#: The directions :func:`direction` returns.
DIRECTION_LABELS = ("seeking", "providing", "neither")

_PATTERNS = {side: _group_regex([cue for (_, d), cues in CUES.items() if d == side for cue in cues], False)
             for side in ("seeking", "providing")}
_SUPPORT_COLUMNS = ("emotional", "informational")
_FIRST_PERSON = r"\b(?:i|me|my|mine|myself|i'm|im|i've|i'd|i'll)\b"
def direction(texts, opening=None, scores: pd.DataFrame | None = None) -> pd.Series:
    """Seeking, providing or neither, for each post (the rule is in the module notes).

    Parameters
    ----------
    texts : sequence of str
        The posts.
    opening : sequence of bool, optional
        Whether each post opens its thread (True), is a reply (False) or is
        of unknown position (None / NaN).  Default: all unknown.
    scores : DataFrame, optional
        A support model's probabilities for the same posts (columns
        ``emotional`` and/or ``informational``), e.g. from
        ``pretrained("forum").predict_frame(texts)``.

    Returns
    -------
    pandas.Series
        ``str`` labels from :data:`DIRECTION_LABELS`, on the index of
        ``texts`` when it is a Series.

    Raises
    ------
    peerscope.errors.PeerscopeError
        When ``opening`` or ``scores`` do not have one row per post.

    Examples
    --------
    >>> direction(["Does anyone know a good respite service?", "So sorry, you're not alone.",
    ...            "Thanks, will do!"], opening=[True, False, False]).tolist()
    ['seeking', 'providing', 'neither']
    """
    index = texts.index if isinstance(texts, pd.Series) else None
    array = _normalise(texts)
    n = len(array)
    seeking = pc.count_substring_regex(array, _PATTERNS["seeking"]).to_numpy(zero_copy_only=False)
    providing = pc.count_substring_regex(array, _PATTERNS["providing"]).to_numpy(zero_copy_only=False)
    providing = providing.astype(np.int64)
    if scores is not None:
        if len(scores) != n:
            raise PeerscopeError(f"{n} posts but {len(scores)} rows of scores")
        present = [c for c in _SUPPORT_COLUMNS if c in scores.columns]
        if not present:
            raise PeerscopeError(f"scores need an 'emotional' or 'informational' column, not {list(scores.columns)}")
        providing += (scores[present].to_numpy(dtype=np.float64).max(axis=1) >= 0.5)
    unknown = np.ones(n, dtype=bool)
    if opening is None:
        first = np.zeros(n, dtype=bool)
    else:
        position = pd.array(np.asarray(opening, dtype=object), dtype="boolean")
        if len(position) != n:
            raise PeerscopeError(f"{n} posts but {len(position)} thread positions")
        first = position.fillna(False).to_numpy(dtype=bool)
        unknown = np.asarray(position.isna(), dtype=bool)
    label = np.where(providing > seeking, "providing", np.where(seeking > providing, "seeking", "neither"))
    label = np.where(first & (providing <= seeking), "seeking", label)
    quiet = unknown & (seeking == 0) & (providing == 0)
    if quiet.any():
        about_me = pc.count_substring_regex(array, _FIRST_PERSON).to_numpy(zero_copy_only=False)
        about_you = pc.count_substring_regex(array, ADDRESS).to_numpy(zero_copy_only=False)
        label = np.where(quiet & (about_me > about_you), "seeking", label)
    return pd.Series(label, index=index, dtype="str")
