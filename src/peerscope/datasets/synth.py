"""A synthetic peer-support community with planted ground truth.

:func:`generate` builds a forum (posts in threads on a few boards), a member
roster, passive and offline events (views, newsletter deliveries, group
attendance, one-to-one sessions) and a peer newsletter, in which every
quantity the library measures has a known value.  The metrics of peerscope
are tested against it: a metric is right when it recovers what was planted.

What is planted, and why
------------------------
Roster and lurkers
    ``n_members`` persons (ids ``m000001`` ...), about 0.5% moderators, one
    bot (``bot-welcome``) that posts welcome replies, one shared account
    (``anonymous-guest``, role ``anonymous``) and a few posts with a null
    author (deleted accounts).  Exactly ``round(lurker_share * n_members)``
    persons never post; they only view, receive the newsletter, attend
    groups or have one-to-one sessions, so lurking is measurable only with
    the roster and the events (docs/concepts.md, "Lurker").
Heavy-tailed posting and super-users
    Posts per poster follow a truncated discrete power law
    ``P(x) ~ x**-alpha`` (``x >= x_min = 1``) drawn by stratified quantiles;
    ``alpha`` is solved so that the mean matches the posts available, then
    the counts are adjusted so that persons, bot, anonymous and null authors
    write exactly ``n_posts`` posts and the top ``ceil(0.01 * posters)``
    posters write strictly more than every other poster (no tie at the cut).
Threads, replies and reciprocity
    Each poster has a planned give/receive role: givers only reply and are
    never replied to by a person, receivers only open threads, "both" do
    both, "neither" open threads no person answers.  Back-replies between
    "both" members plant dyadic reciprocity near ``reciprocity`` (the rate of
    back-replies is steered month by month).  Every reply edge is recorded,
    and the truth holds the values *realised* from those edges: roles,
    distinct edges, reciprocated edges, dyadic reciprocity, first reply
    received, first reply given, first "generalised" reply given.  A planned
    20% of opening posts receive no reply at all; the truth holds the
    realised unanswered openers.
Topics and support types
    ``n_topics`` hand-written vocabularies; a thread has one dominant topic
    and each post draws 70% of its words from it, 15% from one other topic
    and 15% from neutral filler.  Super-users favour topics 0-2 (for their
    own threads and the threads they reply to), so topic prevalence by group
    has a known direction.  Each post carries cue phrases of one support
    type (Cutrona & Suhr's emotional, informational, esteem, network,
    tangible) and a direction (seeking: mostly opening posts; providing:
    mostly replies).
Forms of support and pathways
    Each person has a first-use month, a mode (one form, forms in sequence,
    or forms used concurrently) and, per form, an interval of months of use
    with at least one event (or post) in each month of the interval and none
    outside it.  The mean number of forms in use falls with months since
    first use (about 2.5, 2 by month 5, 1.5 by month 11, the Side by Side
    curve).  Posting only happens inside a poster's online interval.
Newsletter
    "The Peer Post": one issue a month, 4-8 items, written by subscribing
    members or by staff (null author); every subscriber active that month
    gets one ``receive`` event per issue, at its publication time.
Newsletter text: topics that echo the forum, more information
    The issue of month ``m`` (published on day 3) draws its topics from the
    forum's realised topic shares of month ``m - 1``
    (:data:`NEWSLETTER_TOPIC_LAG`), sharpened: topic ``t`` has weight
    ``share_t ** NEWSLETTER_ECHO_POWER`` (renormalised; the first issue
    has no earlier month and draws topics evenly).  Every word of an item
    draws its topic from the issue's weights (85% of words; 15% neutral
    filler), so each topic's monthly share in the newsletter follows the
    forum's of the month before.  Items carry two cue sentences of one
    support type, providing: informational 60% of member items and 80% of
    staff items (the forum's posts: about 30%), so newsletters carry more
    informational support than the forum, and staff more than members.
    Texts come from their own random stream: the forum is the same with or
    without them.
Rhythms
    Post and view times follow planted hour-of-day weights (evening peak,
    20-23h UTC) and weekday weights (more on weekends).

Everything is drawn from ``numpy.random.default_rng`` streams seeded from
``seed`` (never Python's ``random`` or ``hash``), so one seed gives identical
tables, in memory or streamed to disk with any ``chunk_size``.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from peerscope._kernels.memory import release_freed_memory
from peerscope._kernels.runs import run_starts

__all__ = ["generate", "Truth", "TOPICS", "SUPPORT_TYPES", "HOUR_WEIGHTS", "WEEKDAY_WEIGHTS",
           "BOT_ID", "ANONYMOUS_ID", "NEWSLETTER", "NEWSLETTER_TOPIC_LAG", "NEWSLETTER_ECHO_POWER",
           "NEWSLETTER_SUPPORT_WEIGHTS"]

BOT_ID = "bot-welcome"
ANONYMOUS_ID = "anonymous-guest"
NEWSLETTER = "The Peer Post"
#: Months by which the newsletter's topics follow the forum's.
NEWSLETTER_TOPIC_LAG = 1
#: Power applied to the forum's topic shares of the earlier month (sharper echo).
NEWSLETTER_ECHO_POWER = 4.0
#: Support-type weights (SUPPORT_TYPES order) of newsletter items by members and by staff.
NEWSLETTER_SUPPORT_WEIGHTS = {"member": (0.15, 0.60, 0.10, 0.10, 0.05),
                              "staff": (0.05, 0.80, 0.05, 0.05, 0.05)}
FORMS = ("online", "group", "one_to_one", "newsletter")
EVENT_KIND = ("view", "attend", "session", "receive")  # by form index
BOARDS = ("general", "depression", "anxiety", "carers")
SUPPORT_TYPES = ("emotional", "informational", "esteem", "network", "tangible")
SOCIO_EMOTIONAL = ("emotional", "esteem", "network")
DIRECTIONS = ("seeking", "providing")
GIVE_ROLES = ("giver", "receiver", "both", "neither")
PREFERRED_TOPICS = (0, 1, 2)
#: Planned share of opening posts that get no reply at all.
UNANSWERED_SHARE = 0.2
#: Share of person posts the top 1% of posters should write (Joglekar et al. 2018
#: report 32% and 49%); the realised share is in the truth.
SUPER_USER_TARGET_SHARE = 0.4
#: Share of posts written by the bot, the anonymous account and deleted authors.
BOT_SHARE, ANON_SHARE, NULL_SHARE = 0.01, 0.002, 0.003

#: Topic vocabularies (name -> 30 words), written for this module.
TOPICS: dict[str, tuple[str, ...]] = {
    "loneliness": ("lonely", "isolated", "alone", "friends", "company", "weekend", "evenings",
                   "quiet", "empty", "visitors", "neighbours", "chat", "invite", "connection",
                   "belong", "outsider", "silence", "texts", "phone", "pub", "cafe", "walks",
                   "dog", "club", "volunteering", "christmas", "birthday", "flat", "village",
                   "strangers"),
    "family": ("mum", "dad", "partner", "husband", "wife", "children", "kids", "son",
               "daughter", "sister", "brother", "parents", "grandchildren", "marriage",
               "divorce", "arguments", "home", "caring", "carer", "teenager", "school",
               "bedtime", "relatives", "inlaws", "custody", "nursery", "toddler", "household",
               "visits", "relationship"),
    "coping": ("urges", "coping", "grounding", "breathing", "distraction", "plan", "safe",
               "triggers", "crisis", "helpline", "journal", "calm", "routine", "relapse",
               "setback", "progress", "strategies", "box", "ice", "music", "walk", "timer",
               "kindness", "boundaries", "pacing", "checklist", "recovery", "steps", "wave",
               "anchor"),
    "sleep": ("sleep", "insomnia", "awake", "tired", "exhausted", "nightmares", "bed",
              "pillow", "dreams", "nap", "restless", "midnight", "alarm", "snooze", "melatonin",
              "dark", "hours", "rest", "fatigue", "yawning", "sleepless", "dawn", "tossing",
              "turning", "duvet", "lullaby", "bedroom", "wakeful", "drowsy", "overnight"),
    "medication": ("medication", "tablets", "dose", "sertraline", "citalopram", "side",
                   "effects", "prescription", "pharmacy", "pills", "withdrawal", "taper",
                   "psychiatrist", "milligrams", "refill", "nausea", "weight", "mirtazapine",
                   "fluoxetine", "review", "chemist", "brand", "generic", "morning", "evening",
                   "missed", "increase", "reduce", "blister", "repeat"),
    "work": ("work", "job", "boss", "manager", "colleagues", "office", "shift", "sick",
             "note", "redundancy", "interview", "deadline", "workload", "meeting", "career",
             "contract", "hours", "commute", "occupational", "return", "phased", "sacked",
             "salary", "promotion", "retail", "warehouse", "teaching", "nursing", "burnout",
             "overtime"),
    "benefits": ("benefits", "universal", "credit", "assessment", "pip", "tribunal",
                 "appeal", "jobcentre", "claim", "forms", "payment", "sanction", "council",
                 "housing", "rent", "debt", "bills", "money", "budget", "foodbank", "advisor",
                 "evidence", "points", "mandatory", "reconsideration", "capability",
                 "allowance", "letter", "deadline", "arrears"),
    "therapy": ("therapy", "therapist", "counselling", "counsellor", "cbt", "sessions",
                "waiting", "list", "referral", "talking", "therapies", "iapt", "dbt", "emdr",
                "homework", "worksheet", "thoughts", "feelings", "schema", "trauma",
                "psychologist", "assessment", "group", "private", "free", "weekly",
                "discharge", "goals", "exposure", "mindfulness"),
    "anxiety": ("anxiety", "panic", "attacks", "heart", "racing", "worry", "worrying",
                "dread", "shaking", "sweating", "chest", "breath", "nervous", "fear", "phobia",
                "avoid", "shops", "crowds", "buses", "overthinking", "catastrophising",
                "tense", "dizzy", "adrenaline", "scared", "edge", "jittery", "restlessness",
                "uneasy", "palpitations"),
    "grief": ("grief", "loss", "died", "funeral", "passed", "mourning", "bereavement",
              "anniversary", "memories", "ashes", "grave", "missing", "widow", "widower",
              "gone", "heartbroken", "photos", "inquest", "goodbye", "condolences", "urn",
              "headstone", "cemetery", "remembering", "tears", "crying", "empty", "chair",
              "hospice", "cancer"),
    "body": ("pain", "chronic", "fibromyalgia", "migraine", "back", "joints", "diabetes",
             "appetite", "eating", "exercise", "gym", "swimming", "diet", "hospital",
             "scan", "bloods", "results", "surgery", "physio", "illness", "energy", "aches",
             "headaches", "stomach", "skin", "weightloss", "walking", "stretching", "yoga",
             "steps"),
    "hobbies": ("gardening", "knitting", "painting", "drawing", "reading", "books",
                "baking", "cooking", "crafts", "puzzles", "jigsaw", "photography", "birds",
                "allotment", "plants", "guitar", "piano", "singing", "choir", "football",
                "cycling", "fishing", "films", "podcasts", "writing", "poetry", "sewing",
                "pottery", "games", "nature"),
}

FILLER = ("really", "just", "feel", "think", "know", "today", "week", "things", "bit",
          "still", "again", "always", "sometimes", "maybe", "little", "lot", "time", "day",
          "people", "better", "worse", "hard", "good", "bad", "trying", "going", "want",
          "need", "thing", "everyone", "honestly", "quite", "pretty", "way", "now", "much",
          "and", "the", "but", "so", "with", "about", "after", "because", "yesterday", "it")

#: Cue phrases by (support type, direction).
CUES: dict[tuple[str, str], tuple[str, ...]] = {
    ("emotional", "providing"): (
        "I'm so sorry you're going through this.", "Sending hugs.",
        "That sounds really hard.", "I can hear how much you are hurting.",
        "My heart goes out to you.", "It's completely understandable to feel this way."),
    ("emotional", "seeking"): (
        "I just need someone to talk to.", "I feel so alone with this.",
        "I don't know how much more I can take.", "I just needed to get this off my chest.",
        "Can anyone relate to how I'm feeling?"),
    ("informational", "providing"): (
        "Have you tried talking to your GP about it?", "My GP suggested keeping a diary.",
        "You can apply for support through the council.",
        "It might be worth asking for a referral.", "What helped me was a simple routine.",
        "There's a helpline you can ring any time."),
    ("informational", "seeking"): (
        "Does anyone know how this works?", "Has anyone had experience with this?",
        "What should I ask my doctor?", "Where can I find out more?",
        "Is it normal to feel like this?"),
    ("esteem", "providing"): (
        "You're doing really well.", "That took courage.",
        "You should be proud of yourself.", "You're stronger than you think.",
        "Well done for reaching out."),
    ("esteem", "seeking"): (
        "I feel like such a failure.", "I'm not sure I'm doing anything right.",
        "I feel useless most days.", "Am I being silly?"),
    ("network", "providing"): (
        "You're not alone here.", "Come along to the group.", "We're all here for you.",
        "Lots of us have been through the same.", "Pop into the chat any evening."),
    ("network", "seeking"): (
        "Is there anyone else who feels this way?", "I'd love to find people who understand.",
        "Are there any groups near me?", "I'm new here and don't know anyone."),
    ("tangible", "providing"): (
        "I can drive you to the appointment.", "Happy to call you tomorrow.",
        "I can help you fill in the form.", "I could meet you for a coffee.",
        "I'll send you the number in a message."),
    ("tangible", "seeking"): (
        "Could someone help me with the forms?", "I need a lift to my appointment.",
        "Can anyone help me move on Saturday?", "Could someone call me?"),
}

BOT_MESSAGES = (
    "Welcome to the community! Please have a look at our guidelines, and remember a "
    "moderator is around if you need one.",
    "Hi and welcome. Thank you for posting; members usually reply within a day or so.",
    "Welcome! If you are in crisis right now, please call a helpline or emergency services.",
)

ITEM_TYPES = ("story", "poem", "letter", "tip", "notice")

#: Planted hour-of-day weights (UTC, hour 0..23): low at night, evening peak 20-23h.
HOUR_WEIGHTS = np.array([2.0, 1.4, 1.0, 0.8, 0.6, 0.6, 0.8, 1.2, 1.8, 2.2, 2.4, 2.5, 2.8, 2.7,
                         2.6, 2.6, 2.8, 3.0, 3.4, 3.8, 4.6, 5.0, 4.8, 3.6])
HOUR_WEIGHTS = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()
#: Planted weekday weights (Monday..Sunday): more activity on weekends.
WEEKDAY_WEIGHTS = np.array([1.0, 0.95, 0.95, 0.95, 0.9, 1.25, 1.35])
WEEKDAY_WEIGHTS = WEEKDAY_WEIGHTS / WEEKDAY_WEIGHTS.sum()

_US = 1_000_000
_HOUR = 3600 * _US
_DAY = 24 * _HOUR
_TEXT_BLOCK = 20_000  # posts per text block (independent of chunk_size, for determinism)

# give/receive plan codes
_G, _R, _B, _N = 0, 1, 2, 3
# author codes besides person indices
_NULL = -1


# ---------------------------------------------------------------------------
# Vocabulary as a byte buffer, so texts are rendered with numpy, not per word
# ---------------------------------------------------------------------------

class _Vocab:
    """Every token a text can hold, as one byte buffer with start/length per token."""

    def __init__(self):
        words = []
        for vocab in TOPICS.values():
            words.extend(vocab)
        words.extend(FILLER)
        self.words = list(dict.fromkeys(words))
        index = {w: i for i, w in enumerate(self.words)}
        self.n_words = len(self.words)
        tokens = ["."]
        tokens += [" " + w for w in self.words]
        tokens += [" " + ("I" if w == "i" else w[:1].upper() + w[1:]) for w in self.words]
        self.word0 = 1  # lower-case word i is token word0 + i, capitalised word0 + n_words + i
        self.cue0 = len(tokens)
        self.cue_table = np.zeros((len(SUPPORT_TYPES) * 2, 8), dtype=np.int32)
        self.cue_n = np.zeros(len(SUPPORT_TYPES) * 2, dtype=np.int32)
        for t, stype in enumerate(SUPPORT_TYPES):
            for d, direction in enumerate(DIRECTIONS):
                phrases = CUES[(stype, direction)]
                for j, phrase in enumerate(phrases):
                    self.cue_table[t * 2 + d, j] = len(tokens)
                    tokens.append(" " + phrase)
                self.cue_n[t * 2 + d] = len(phrases)
        self.bot0 = len(tokens)
        tokens += [" " + m for m in BOT_MESSAGES]
        self.topic_ids = np.array([[self.word0 + index[w] for w in vocab]
                                   for vocab in TOPICS.values()], dtype=np.int32)
        self.filler_ids = np.array([self.word0 + index[w] for w in FILLER], dtype=np.int32)
        self.tokens = pa.array(tokens, pa.large_string())

    def render(self, tokens: np.ndarray, counts: np.ndarray) -> pa.Array:
        """Join token sequences (``counts`` tokens per text) into an Arrow string array."""
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        lists = pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()),
                                              self.tokens.take(pa.array(tokens)))
        joined = pc.binary_join(lists, pa.scalar("", pa.large_string()))
        return pc.utf8_slice_codeunits(joined, 1)  # every text starts with a space

    def texts(self, rng, topic, other, stype, direction, is_bot, cue2_p=0.35,
              length_median=28.0) -> pa.Array:
        """Readable-ish texts: a cue sentence, topical sentences, maybe a second cue."""
        n = len(topic)
        L = np.clip(np.round(rng.lognormal(np.log(length_median), 0.5, n)), 8, 74).astype(np.int64)
        L[is_bot] = 0
        cue2 = (rng.random(n) < cue2_p) & ~is_bot
        W = int(L.sum())
        post_of_w = np.repeat(np.arange(n), L)
        first_w = np.cumsum(L) - L
        pos = np.arange(W) - np.repeat(first_w, L)
        src = rng.random(W)
        pick = rng.integers(0, 30, W)
        words = np.where(src < 0.70, self.topic_ids[topic[post_of_w], pick],
                         np.where(src < 0.85, self.topic_ids[other[post_of_w], pick],
                                  self.filler_ids[rng.integers(0, len(self.filler_ids), W)]))
        end = rng.random(W) < 1 / 9
        last = first_w + L - 1
        end[last[L > 0]] = True
        cap = np.ones(W, dtype=bool)
        cap[1:] = end[:-1]
        cap[first_w[L > 0]] = True
        words = words + cap * self.n_words
        ce_excl = np.cumsum(end) - end
        ends_before = ce_excl - np.repeat(ce_excl[np.minimum(first_w, max(W - 1, 0))] if W else
                                          np.zeros(n, np.int64), L)
        n_ends = np.bincount(post_of_w, weights=end, minlength=n).astype(np.int64)
        counts = 1 + L + n_ends + cue2
        out_start = np.cumsum(counts) - counts
        out = np.zeros(int(counts.sum()), dtype=np.int64)
        group = np.asarray(stype) * 2 + np.asarray(direction)
        cue_1 = self.cue_table[group, (rng.random(n) * self.cue_n[group]).astype(np.int64)]
        cue_2 = self.cue_table[group, (rng.random(n) * self.cue_n[group]).astype(np.int64)]
        bot_msg = self.bot0 + rng.integers(0, len(BOT_MESSAGES), n)
        out[out_start] = np.where(is_bot, bot_msg, cue_1)
        wpos = np.repeat(out_start, L) + 1 + pos + ends_before
        out[wpos] = words
        out[wpos[end] + 1] = 0  # the full stop
        out[(out_start + counts - 1)[cue2]] = cue_2[cue2]
        return self.render(out, counts)

    def titles(self, rng, topic) -> pa.Array:
        """Short titles of 2-5 words of the topic, first word capitalised."""
        n = len(topic)
        L = rng.integers(2, 6, n)
        W = int(L.sum())
        post_of_w = np.repeat(np.arange(n), L)
        first = np.cumsum(L) - L
        words = self.topic_ids[topic[post_of_w], rng.integers(0, 30, W)].astype(np.int64)
        words[first] += self.n_words
        return self.render(words, L)


_VOCAB: _Vocab | None = None


def _vocab() -> _Vocab:
    global _VOCAB
    if _VOCAB is None:
        _VOCAB = _Vocab()
    return _VOCAB


# ---------------------------------------------------------------------------
# Truth
# ---------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Truth:
    """Everything :func:`generate` planted, as realised in the tables it wrote.

    Scalars and id lists are saved in ``truth.json``; the per-member table in
    ``truth_members.parquet`` and the per-post table in
    ``truth_posts.parquet`` beside it.

    Attributes
    ----------
    seed, parameters : int, dict
        The call that made the corpus.
    n_posts : int
        Posts in the corpus (persons + bot + anonymous + null authors).
    n_members : int
        Persons in the roster (the bot and the anonymous account excluded).
    n_posters, n_lurkers : int
        Persons with at least one post / with none.
    lurkers, posters, moderators : list of str
        Member ids.
    bot_id, anonymous_id : str
        The bot's and the shared anonymous account's member ids.
    n_bot_posts, n_anonymous_posts, n_null_author_posts : int
        Posts by the bot, by ``anonymous_id`` and with a null ``author_id``.
    super_users : list of str
        The top ``ceil(0.01 * n_posters)`` posters by posts; each wrote
        strictly more posts than every other poster.
    super_user_share : float
        Their share of all ``n_posts`` posts.
    super_user_min_posts, max_other_posts : int
        Fewest posts of a super-user, most posts of any other poster.
    powerlaw_alpha, powerlaw_xmin, powerlaw_xmax : float, int, int
        The truncated discrete power law the post counts were drawn from.
    n_threads, n_replies : int
        Opening posts and replies.
    n_edges, n_reciprocated_edges : int
        Distinct directed person-to-person reply edges (self, bot, anonymous
        and null authors excluded) and those whose reverse edge exists.
    dyadic_reciprocity : float
        ``n_reciprocated_edges / n_edges``.
    role_counts : dict
        Posters per realised give/receive role.
    unanswered_openers : list of str
        Opening posts that got no reply at all (bot replies count as replies).
    n_unanswered, unanswered_share : int, float
        Their number and share of opening posts.
    topics : dict
        Topic name -> vocabulary (the ``n_topics`` used).
    preferred_topics : list of int
        Topics super-users favour.
    super_user_preferred_share, other_preferred_share : float
        Share of person posts in the preferred topics, for super-users and
        for other posters (super-users' is higher).
    support_type_counts, direction_counts : dict
        Posts per support type and direction (bot posts included).
    socio_emotional_share : float
        Share of all posts whose support type is emotional, esteem or network.
    hour_weights, weekday_weights : list of float
        Planted time profiles (hour 0..23 UTC; Monday..Sunday).
    forms_curve : list of float
        Mean number of forms in use at 0, 1, ... calendar months since first
        use, over persons observed that long.
    newsletter, issues : str, list of str
        Name and issue ids of the newsletter.
    n_items, n_member_items : int
        Newsletter items and those written by members.
    newsletter_topic_lag : int
        Months by which newsletter topics follow the forum's
        (:data:`NEWSLETTER_TOPIC_LAG`).
    newsletter_topic_weights : dict
        Issue id -> the topic weights its items' words were drawn from (the
        forum's realised topic shares of ``newsletter_topic_lag`` months
        before, to the power :data:`NEWSLETTER_ECHO_POWER`, renormalised).
    forum_topic_shares : dict
        Month (``YYYY-MM``) -> realised share of the month's posts (bot posts
        excluded) in each thread topic.
    newsletter_support_shares : dict
        Realised shares of each support type: ``forum`` (all posts),
        ``newsletter`` (all items), ``newsletter_members`` and
        ``newsletter_staff`` (items with and without a member author).
        Empty when the corpus has no text (``with_text=False``).
    contributors, subscribers : list of str
        Members who wrote items; members who ever received an issue.
    members : DataFrame
        One row per person: ``member_id, role, joined_at, is_poster, n_posts,
        is_super_user, planned_role, give_role, first_received_at,
        first_gave_at, first_generalised_give_at, first_use_month,
        first_form, forms (first-use order, joined by ">"), n_forms,
        sequential, subscriber, n_items``.
    posts : DataFrame or None
        One row per post: ``post_id, topic`` (-1 for bot posts),
        ``support_type, direction``.  None when the corpus was streamed to
        disk; read it with :meth:`read_posts`.
    source : str or None
        Folder the truth was saved to or loaded from.


    Examples
    --------
    >>> corpus, truth = generate(2000, seed=1, with_text=False)
    >>> truth.n_posts, truth.n_members, truth.n_posters, truth.n_lurkers
    (2000, 250, 100, 150)
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = truth.save(folder)
    >>> Truth.load(folder).super_users == truth.super_users
    True
    """

    seed: int
    parameters: dict
    n_posts: int
    n_members: int
    n_posters: int
    n_lurkers: int
    lurkers: list
    posters: list
    moderators: list
    bot_id: str
    anonymous_id: str
    n_bot_posts: int
    n_anonymous_posts: int
    n_null_author_posts: int
    super_users: list
    super_user_share: float
    super_user_min_posts: int
    max_other_posts: int
    powerlaw_alpha: float
    powerlaw_xmin: int
    powerlaw_xmax: int
    n_threads: int
    n_replies: int
    n_edges: int
    n_reciprocated_edges: int
    dyadic_reciprocity: float
    role_counts: dict
    unanswered_openers: list
    n_unanswered: int
    unanswered_share: float
    topics: dict
    preferred_topics: list
    super_user_preferred_share: float
    other_preferred_share: float
    support_type_counts: dict
    direction_counts: dict
    socio_emotional_share: float
    hour_weights: list
    weekday_weights: list
    forms_curve: list
    newsletter: str
    issues: list
    n_items: int
    n_member_items: int
    contributors: list
    subscribers: list
    members: pd.DataFrame = field(repr=False)
    posts: pd.DataFrame | None = field(default=None, repr=False)
    source: str | None = None
    newsletter_topic_lag: int = NEWSLETTER_TOPIC_LAG
    newsletter_topic_weights: dict = field(default_factory=dict, repr=False)
    forum_topic_shares: dict = field(default_factory=dict, repr=False)
    newsletter_support_shares: dict = field(default_factory=dict)

    _FRAMES = ("members", "posts", "source")

    # -- convenience views of the member table -----------------------------

    @property
    def post_counts(self) -> dict[str, int]:
        """Posts per poster (member id -> count)."""
        m = self.members[self.members["is_poster"]]
        return dict(zip(m["member_id"].tolist(), m["n_posts"].astype(int).tolist()))

    @property
    def give_roles(self) -> dict[str, str]:
        """Realised give/receive role per poster."""
        m = self.members[self.members["is_poster"]]
        return dict(zip(m["member_id"].tolist(), m["give_role"].tolist()))

    def read_posts(self) -> pd.DataFrame:
        """The per-post truth, from memory or from ``truth_posts.parquet``."""
        if self.posts is not None:
            return self.posts
        if self.source is None:
            raise FileNotFoundError("this truth holds no per-post table and has no source folder")
        return pq.read_table(Path(self.source) / "truth_posts.parquet").to_pandas()

    # -- persistence -------------------------------------------------------

    def save(self, path: str | os.PathLike) -> Path:
        """Write ``truth.json`` (and the member/post tables beside it).

        Parameters
        ----------
        path : path-like
            A folder (created if needed) or a ``.json`` file name.

        Returns
        -------
        pathlib.Path
            The ``truth.json`` written.
        """
        path = Path(path)
        target = path if path.suffix == ".json" else path / "truth.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in self._FRAMES}
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(_jsonable(data), handle, indent=1)
        os.replace(tmp, target)
        _write_parquet_atomic(self.members, target.parent / "truth_members.parquet")
        if self.posts is not None:
            _write_parquet_atomic(self.posts, target.parent / "truth_posts.parquet")
        return target

    @classmethod
    def load(cls, path: str | os.PathLike, *, posts: bool = True) -> "Truth":
        """Read a truth written by :meth:`save` or by :func:`generate`.

        Parameters
        ----------
        path : path-like
            The folder holding ``truth.json`` (a corpus folder), or the file.
        posts : bool
            Load the per-post table into memory (else use :meth:`read_posts`).

        Returns
        -------
        Truth
        """
        path = Path(path)
        target = path if path.suffix == ".json" else path / "truth.json"
        data = json.loads(target.read_text(encoding="utf-8"))
        folder = target.parent
        members = pq.read_table(folder / "truth_members.parquet").to_pandas()
        post_file = folder / "truth_posts.parquet"
        post_frame = pq.read_table(post_file).to_pandas() if posts and post_file.exists() else None
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in data.items() if k in known}
        return cls(**data, members=members, posts=post_frame, source=str(folder))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


#: The files :func:`generate` writes beside the corpus tables.
_TRUTH_FILES = ("truth.json", "truth_members.parquet", "truth_posts.parquet")


class _ParquetAppender:
    """Append pandas frames to one Parquet file, whose schema is the first frame's."""

    def __init__(self, target: Path):
        self.target = target
        self._writer: pq.ParquetWriter | None = None

    def write(self, frame: pd.DataFrame) -> None:
        arrow = pa.Table.from_pandas(frame, preserve_index=False)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.target, arrow.schema, compression="zstd")
        self._writer.write_table(arrow)

    def __enter__(self) -> "_ParquetAppender":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if self._writer is not None:
            self._writer.close()
        return False


def _write_parquet_atomic(frame: pd.DataFrame, target: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp, compression="zstd")
    os.replace(tmp, target)


# ---------------------------------------------------------------------------
# Small vectorised helpers
# ---------------------------------------------------------------------------

def _ids(prefix: str, numbers: np.ndarray, width: int, mask: np.ndarray | None = None) -> pa.Array:
    """``prefix`` + zero-padded numbers as an Arrow string array (null where ``mask``)."""
    arr = pa.array(np.asarray(numbers, dtype=np.int64), mask=mask)
    padded = pc.utf8_lpad(pc.cast(arr, pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, padded, "")


def _str(arr: pa.Array | pa.ChunkedArray) -> pd.Series:
    return pd.Series(pd.array(arr, dtype="str"))


def _times(us: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(us, dtype=np.int64).view("datetime64[us]")).dt.tz_localize("UTC")


def _pick(rng, pool: np.ndarray, cum: np.ndarray, n: int) -> np.ndarray:
    """``n`` draws from ``pool`` with cumulative weights ``cum``."""
    if n == 0 or len(pool) == 0:
        return np.zeros(n, dtype=np.int64)
    where = np.searchsorted(cum, rng.random(n) * cum[-1], side="right")
    return pool[np.minimum(where, len(pool) - 1)]


def _in_sorted(values: np.ndarray, sorted_values: np.ndarray) -> np.ndarray:
    """``np.isin`` for a sorted second argument, by binary search (no hashing or re-sorting)."""
    if not len(sorted_values):
        return np.zeros(len(values), dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_values, values), len(sorted_values) - 1)
    return sorted_values[pos] == values


def _truncated_mean(alpha: float, xmax: int) -> float:
    x = np.arange(1, xmax + 1, dtype=float)
    w = x ** -alpha
    return float((x * w).sum() / w.sum())


def _solve_alpha(mean: float, xmax: int) -> float:
    lo, hi = 0.3, 6.0
    if _truncated_mean(hi, xmax) >= mean:
        return hi
    if _truncated_mean(lo, xmax) <= mean:
        return lo
    for _ in range(60):
        mid = (lo + hi) / 2
        if _truncated_mean(mid, xmax) > mean:
            lo = mid
        else:
            hi = mid
    return round((lo + hi) / 2, 6)


def _top_share(alpha: float, xmax: int, n_posters: int, n_super: int) -> float:
    x = np.arange(1, xmax + 1, dtype=float)
    cdf = np.cumsum(x ** -alpha)
    cdf /= cdf[-1]
    u = (np.arange(n_posters) + 0.5) / n_posters
    counts = np.sort(np.minimum(np.searchsorted(cdf, u) + 1, xmax))[::-1]
    return float(counts[:n_super].sum() / counts.sum())


def _choose_law(n_posters: int, total: int, n_super: int) -> tuple[float, int]:
    """Truncation ``xmax`` and exponent ``alpha`` of the post-count law.

    ``alpha`` gives the mean ``total / n_posters``; ``xmax`` is chosen (by
    bisection on its logarithm) so that the top 1% write about
    :data:`SUPER_USER_TARGET_SHARE` of the person posts, whatever the scale.
    """
    lo_x, hi_x = math.log(10), math.log(max(11, total - n_posters + 1))
    best = None
    for _ in range(22):
        xmax = int(round(math.exp((lo_x + hi_x) / 2)))
        alpha = _solve_alpha(total / n_posters, xmax)
        share = _top_share(alpha, xmax, n_posters, n_super)
        best = (alpha, xmax)
        if share > SUPER_USER_TARGET_SHARE:
            hi_x = math.log(xmax)
        else:
            lo_x = math.log(xmax)
        if hi_x - lo_x < 0.01:
            break
    return best


def _post_counts(rng, n_posters: int, total: int, n_super: int):
    """Heavy-tailed post counts summing to ``total``, top ``n_super`` strictly above the rest."""
    alpha, xmax = _choose_law(n_posters, total, n_super)
    x = np.arange(1, xmax + 1, dtype=float)
    cdf = np.cumsum(x ** -alpha)
    cdf /= cdf[-1]
    u = (np.arange(n_posters) + rng.random(n_posters)) / n_posters
    counts = np.minimum(np.searchsorted(cdf, u, side="left") + 1, xmax).astype(np.int64)
    counts = np.sort(counts)[::-1].copy()
    counts = np.maximum(counts, 1)
    k = n_super
    for _ in range(100):
        if k < n_posters:
            floor = counts[k:].max() + 1
            counts[:k] = np.maximum(counts[:k], floor)
        diff = total - int(counts.sum())
        if diff == 0:
            break
        if diff > 0:  # give the extra posts to the super-users, in proportion
            share = rng.multinomial(diff, counts[:k] / counts[:k].sum())
            counts[:k] += share
        else:  # take from the largest other posters first, keeping >= 1
            need = -diff
            rest = counts[k:]
            while need > 0 and (rest > 1).any():
                cand = np.flatnonzero(rest > 1)[:need]
                rest[cand] -= 1
                need -= len(cand)
            counts[k:] = rest
            if need > 0:  # others are all at 1: take from super-users above the floor
                floor = (counts[k:].max() + 1) if k < n_posters else 1
                spare = counts[:k] - floor
                for i in np.argsort(-spare):
                    take = min(need, max(int(spare[i]), 0))
                    counts[i] -= take
                    need -= take
                    if need == 0:
                        break
                if need > 0:
                    raise ValueError("cannot fit the post counts: too few posts for the posters")
        counts = np.sort(counts)[::-1].copy()
    if int(counts.sum()) != total or (k < n_posters and counts[k - 1] <= counts[k]):
        raise ValueError("could not plant strictly separated super-users; use more posts")
    return counts, alpha, xmax


# ---------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------

class _Generator:
    def __init__(self, n_posts, seed, n_members, lurker_share, n_topics, reciprocity, start,
                 months, with_text, chunk_size, progress):
        if n_posts < 10:
            raise ValueError("n_posts must be at least 10")
        if not 0 <= lurker_share < 1:
            raise ValueError("lurker_share must be in [0, 1)")
        if not 1 <= n_topics <= len(TOPICS):
            raise ValueError(f"n_topics must be between 1 and {len(TOPICS)}")
        if not 0 <= reciprocity < 1:
            raise ValueError("reciprocity must be in [0, 1)")
        if months < 1:
            raise ValueError("months must be >= 1")
        self.n_posts = int(n_posts)
        self.seed = int(seed)
        self.P = int(n_members if n_members is not None else max(50, n_posts // 8))
        self.lurker_share = float(lurker_share)
        self.n_topics = int(n_topics)
        self.reciprocity = float(reciprocity)
        self.months = int(months)
        self.with_text = bool(with_text)
        self.chunk_size = int(chunk_size)
        self.progress = progress
        start_ts = pd.Timestamp(start)
        start_ts = start_ts.tz_localize("UTC") if start_ts.tzinfo is None else start_ts.tz_convert("UTC")
        if start_ts != start_ts.normalize():
            raise ValueError("start must be a midnight (a date)")
        self.start = start_ts
        self.bounds = np.array([(start_ts + pd.DateOffset(months=k)).value // 1000
                                for k in range(self.months + 1)], dtype=np.int64)
        self.origin = int(self.bounds[0])
        self.wd0 = start_ts.weekday()
        self.parameters = dict(n_posts=self.n_posts, seed=self.seed, n_members=self.P,
                               lurker_share=self.lurker_share, n_topics=self.n_topics,
                               reciprocity=self.reciprocity, start=str(start_ts.date()),
                               months=self.months, with_text=self.with_text)
        self.vocab = _vocab()
        self.topic_names = list(TOPICS)[: self.n_topics]
        self.pw = max(6, len(str(self.n_posts)))
        self.mw = max(6, len(str(self.P)))

    # -- times ---------------------------------------------------------------

    def month_times(self, rng, n: int, m: int, min_day: int = 0) -> np.ndarray:
        """Times in month ``m`` with the planted weekday and hour profiles."""
        d0 = (self.bounds[m] - self.origin) // _DAY
        nd = int((self.bounds[m + 1] - self.bounds[m]) // _DAY)
        w = WEEKDAY_WEIGHTS[(self.wd0 + d0 + np.arange(nd)) % 7].copy()
        w[: min(min_day, nd - 1)] = 0
        day = rng.choice(nd, size=n, p=w / w.sum())
        hour = rng.choice(24, size=n, p=HOUR_WEIGHTS)
        return self.bounds[m] + day * _DAY + hour * _HOUR + rng.integers(0, _HOUR, n)

    def later_times(self, rng, base: np.ndarray, end: int) -> np.ndarray:
        """Times strictly after ``base`` and before ``end``, a few days at most, with the profiles."""
        base = np.asarray(base, dtype=np.int64)
        out = np.empty(len(base), dtype=np.int64)
        todo = np.arange(len(base))
        wmax = WEEKDAY_WEIGHTS.max()
        for _ in range(25):
            if not len(todo):
                break
            b = base[todo]
            n = len(todo)
            day = (b - self.origin) // _DAY + rng.geometric(0.55, n) - 1
            t = (self.origin + day * _DAY + rng.choice(24, size=n, p=HOUR_WEIGHTS) * _HOUR
                 + rng.integers(0, _HOUR, n))
            keep = rng.random(n) * wmax < WEEKDAY_WEIGHTS[(self.wd0 + day) % 7]
            ok = (t > b) & (t < end) & keep
            out[todo[ok]] = t[ok]
            todo = todo[~ok]
        if len(todo):
            b = base[todo]
            gap = np.maximum(end - b - 1, 1)
            out[todo] = b + 1 + (rng.random(len(todo)) * gap).astype(np.int64)
        return out

    # -- the plan --------------------------------------------------------------

    def plan(self):
        rng = np.random.default_rng([self.seed, 1])
        P, M, E = self.P, self.months, self.months - 1
        n_lurkers = int(round(self.lurker_share * P))
        n_posters = P - n_lurkers
        if n_posters < 1:
            raise ValueError("no posters: lower lurker_share or add members")
        n_bot = int(round(BOT_SHARE * self.n_posts))
        n_anon = max(1, int(round(ANON_SHARE * self.n_posts)))
        n_null = max(1, int(round(NULL_SHARE * self.n_posts)))
        person_posts = self.n_posts - n_bot - n_anon - n_null
        n_super = math.ceil(0.01 * n_posters)
        if person_posts < n_posters + n_super:
            raise ValueError(f"{self.n_posts} posts cannot give {n_posters} posters one post each "
                             "and strictly separated super-users; raise n_posts or lower n_members")
        counts_sorted, alpha, xmax = _post_counts(rng, n_posters, person_posts, n_super)
        poster_idx = np.sort(rng.choice(P, n_posters, replace=False))
        order = rng.permutation(n_posters)  # which poster gets which count
        counts = np.zeros(P, dtype=np.int64)
        counts[poster_idx[order]] = counts_sorted
        is_super = np.zeros(P, dtype=bool)
        is_super[poster_idx[order[:n_super]]] = True
        is_poster = counts > 0

        # give/receive plan
        role = np.full(P, -1, dtype=np.int8)
        u = rng.random(P)
        one = counts == 1
        role[one] = np.select([u[one] < .35, u[one] < .75], [_G, _R], _N)
        many = counts > 1
        role[many] = np.select([u[many] < .2, u[many] < .45, u[many] < .9], [_G, _R, _B], _N)
        role[is_super] = _B
        mods = np.flatnonzero(is_poster & (counts > 1))
        if not len(mods):
            mods = np.flatnonzero(is_poster)
        n_mod = max(1, int(round(0.005 * P)))
        moderators = np.sort(rng.choice(mods, min(n_mod, len(mods)), replace=False))

        # pathways: first-use month, mode, one interval [lo, hi] of months per form
        s = np.where(rng.random(P) < 0.25, 0, rng.integers(0, M, P))
        if M >= 2:
            # posters start earlier on average (a triangular law on 0..M-2), so that
            # months hold similar numbers of posts
            tri = np.floor((M - 1) * (1 - np.sqrt(rng.random(P)))).astype(np.int64)
            s[is_poster] = np.where(s[is_poster] == 0, 0, np.minimum(tri[is_poster], M - 2))
            early = rng.random(P) < 0.7
            s[is_super] = np.where(early[is_super], 0,
                                   rng.integers(0, max(1, M // 3), P)[is_super])
        else:
            s[:] = 0
        mode = rng.choice(3, size=P, p=[0.15, 0.15, 0.70])  # single, sequential, concurrent
        lo = np.full((P, 4), -1, dtype=np.int64)
        hi = np.full((P, 4), -1, dtype=np.int64)
        lurker_first = rng.choice(4, size=P, p=[0.3, 0.25, 0.2, 0.25])
        anchor = np.where(is_poster, 0, lurker_first)
        perm = np.argsort(rng.random((P, 4)), axis=1)
        # sequential members whose horizon is too short fall back to concurrent
        k_seq = np.where(rng.random(P) < 0.6, 2, 3)
        room = (E - 1 - s) if M >= 2 else np.zeros(P, np.int64)
        too_short = (mode == 1) & ((is_poster & (room < k_seq - 1)) | (E - s < 1))
        mode[too_short] = 2
        rows = np.arange(P)
        # single
        single = mode == 0
        lo[rows[single], anchor[single]] = s[single]
        hi[rows[single], anchor[single]] = E
        # concurrent: anchor for the whole horizon, extras that enter and leave
        conc = np.flatnonzero(mode == 2)
        lo[conc, anchor[conc]] = s[conc]
        hi[conc, anchor[conc]] = E
        n_extra = rng.choice([1, 2, 3], size=P, p=[0.10, 0.40, 0.50])
        for i in range(3):
            # the i-th extra form: the i-th form of a random order that is not the anchor
            cand = perm[:, i]
            cand = np.where(cand == anchor, perm[:, 3], cand)
            take = conc[n_extra[conc] > i]
            f = cand[take]
            offset = np.where(rng.random(len(take)) < 0.85, 0, rng.geometric(0.5, len(take)))
            dur = 1 + np.floor(rng.exponential(8.5, len(take))).astype(np.int64)
            a = s[take] + offset
            b = np.minimum(E, a + dur - 1)
            ok = a <= E
            lo[take[ok], f[ok]] = a[ok]
            hi[take[ok], f[ok]] = b[ok]
        # sequential: forms one after another, the last to the end; posters end online
        seq = np.flatnonzero(mode == 1)
        for idx in seq:
            k = int(k_seq[idx])
            forms = [int(f) for f in perm[idx] if f != anchor[idx]][: k - 1] + [int(anchor[idx])]
            if not is_poster[idx]:
                forms = list(perm[idx][:k])
            durs = 1 + rng.geometric(1 / 3, k - 1)
            starts = [int(s[idx])]
            for d in durs:
                starts.append(starts[-1] + int(d))
            if is_poster[idx] and starts[-1] > E - 1:
                span = E - 1 - int(s[idx])
                starts = [int(s[idx]) + (j * span) // (k - 1) for j in range(k)]
            for j, f in enumerate(forms):
                a = starts[j]
                b = (starts[j + 1] - 1) if j + 1 < k else E
                if a > E:
                    break
                lo[idx, f] = a
                hi[idx, f] = min(b, E)
        assert ((lo[:, 0] >= 0) | ~is_poster).all()
        # posting months: from the month after online starts (or day 1 of month 0)
        a_on = lo[:, 0]
        post_lo = np.where(a_on == 0, 0, a_on + 1)
        assert (post_lo[is_poster] <= E).all()

        self.n_lurkers, self.n_posters, self.n_super = n_lurkers, n_posters, n_super
        self.n_bot, self.n_anon, self.n_null = n_bot, n_anon, n_null
        self.counts, self.is_super, self.is_poster, self.role_plan = counts, is_super, is_poster, role
        self.moderators = moderators
        self.alpha, self.xmax = alpha, xmax
        self.s, self.mode, self.lo, self.hi, self.post_lo = s, mode, lo, hi, post_lo

        # every person post gets a month in the poster's posting window
        authors = np.repeat(np.arange(P, dtype=np.int32), counts)
        width = (E - post_lo + 1)[authors]
        # front-loaded within the window (members post most soon after they start),
        # which also keeps the months of similar size
        month = post_lo[authors] + (rng.random(len(authors)) ** 1.5 * width).astype(np.int64)
        order = np.argsort(month, kind="stable")
        self.slot_authors = authors[order]
        self.month_bounds = np.searchsorted(month[order], np.arange(M + 1))
        per_month = np.diff(self.month_bounds)
        p = per_month / per_month.sum()
        self.bot_m = rng.multinomial(n_bot, p)
        self.anon_m = rng.multinomial(n_anon, p)
        self.null_m = rng.multinomial(n_null, p)

    def drop_plan(self):
        """Let go of the per-member plan arrays (the truth holds what they planted)."""
        self.counts = self.is_super = self.is_poster = self.role_plan = self.moderators = None
        self.s = self.mode = self.lo = self.hi = self.post_lo = self.slot_authors = None

    # -- one month of posts ----------------------------------------------------

    def build_month(self, m: int, q: float, prev_edges: np.ndarray):
        rng = np.random.default_rng([self.seed, 2, m])
        P = self.P
        ANON = P + 1
        BOT = P
        end = int(self.bounds[m + 1])
        a = self.slot_authors[self.month_bounds[m]:self.month_bounds[m + 1]].astype(np.int64)
        plan = self.role_plan[a]
        sup = self.is_super[a]
        opener = (plan == _R) | (plan == _N) | ((plan == _B) & (rng.random(len(a)) < np.where(sup, .15, .35)))
        counter = ~opener & (plan == _B) & (rng.random(len(a)) < q)
        selfr = ~opener & ~counter & (rng.random(len(a)) < 0.03)
        prim = ~opener & ~counter & ~selfr
        others = np.concatenate([np.full(self.anon_m[m], ANON), np.full(self.null_m[m], _NULL)])
        o_open = rng.random(len(others)) < 0.5
        op_auth = np.concatenate([a[opener], others[o_open]])
        o_reply = others[~o_open]
        if not len(op_auth):
            if prim.any():
                first = np.flatnonzero(prim)[0]
                prim[first] = False
                op_auth = a[[first]]
            elif len(o_reply):
                op_auth, o_reply = o_reply[:1], o_reply[1:]
            elif counter.any() or selfr.any():
                first = np.flatnonzero(counter | selfr)[0]
                counter[first] = selfr[first] = False
                op_auth = a[[first]]
        nT = len(op_auth)
        person_op = (op_auth >= 0) & (op_auth < P)
        op_plan = np.where(person_op, self.role_plan[np.clip(op_auth, 0, P - 1)], -1)
        answerable = ~person_op | (op_plan == _R) | (op_plan == _B)
        unanswered = rng.random(nT) < UNANSWERED_SHARE
        op_sup = person_op & self.is_super[np.clip(op_auth, 0, P - 1)]
        tw = np.ones(self.n_topics)
        tw_pref = tw.copy()
        tw_pref[[t for t in PREFERRED_TOPICS if t < self.n_topics]] = 4.0
        topic = np.where(op_sup, rng.choice(self.n_topics, nT, p=tw_pref / tw_pref.sum()),
                         rng.choice(self.n_topics, nT, p=tw / tw.sum()))
        board_of_topic = np.array([BOARDS[1 + (t % 3)] if t % 4 else BOARDS[0]
                                   for t in range(self.n_topics)])
        board_idx = np.array([BOARDS.index(b) for b in board_of_topic])
        channel = np.where(rng.random(nT) < 0.7, board_idx[topic], rng.integers(0, len(BOARDS), nT))
        pop = rng.lognormal(0, 1.0, nT)
        op_time = self.month_times(rng, nT, m, min_day=1 if m == 0 else 0)

        # posts so far: openers
        auth = [op_auth]
        thread = [np.arange(nT)]
        parent = [np.full(nT, -1)]
        ptime = [op_time]
        is_bot_post = [np.zeros(nT, bool)]

        def pool_of(mask_list):
            for mask in mask_list:
                idx = np.flatnonzero(mask)
                if len(idx):
                    return idx
            return np.arange(nT)

        person_pool = pool_of([answerable & ~unanswered, answerable, ~unanswered])
        any_pool = pool_of([~unanswered])

        def eligible_person(authors):
            person = (authors >= 0) & (authors < P)
            pl = np.where(person, self.role_plan[np.clip(authors, 0, P - 1)], -1)
            return (authors == _NULL) | (authors == ANON) | (pl == _R) | (pl == _B)

        def choose_threads(authors, sup_mask, cover: bool):
            n = len(authors)
            out = np.empty(n, dtype=np.int64)
            cum = np.cumsum(pop[person_pool])
            pref_pool = person_pool[np.isin(topic[person_pool], PREFERRED_TOPICS)]
            cum_pref = np.cumsum(pop[pref_pool])
            order = np.concatenate([rng.permutation(np.flatnonzero(~sup_mask)),
                                    rng.permutation(np.flatnonzero(sup_mask))])
            n_cover = min(n, len(person_pool)) if cover else 0
            out[order[:n_cover]] = rng.permutation(person_pool)[:n_cover]
            rest = order[n_cover:]
            out[rest] = _pick(rng, person_pool, cum, len(rest))
            use_pref = rest[sup_mask[rest] & (rng.random(len(rest)) < 0.75)]
            if len(pref_pool):
                out[use_pref] = _pick(rng, pref_pool, cum_pref, len(use_pref))
            for _ in range(3):  # avoid replying inside one's own thread
                own = np.flatnonzero(op_auth[out] == authors)
                if not len(own):
                    break
                out[own] = _pick(rng, person_pool, cum, len(own))
            return out

        def choose_parents(new_thread, new_time, new_elig, bias, eligible_fn):
            """Parents among earlier eligible posts of the same thread (new posts included)."""
            A = np.concatenate(auth)
            T = np.concatenate(thread)
            X = np.concatenate(ptime)
            n_old = len(A)
            allT = np.concatenate([T, new_thread])
            allX = np.concatenate([X, new_time])
            elig = np.concatenate([eligible_fn(A) & ~np.concatenate(is_bot_post), new_elig])
            rank = np.empty(len(allX), dtype=np.int64)
            rank[np.argsort(allX, kind="stable")] = np.arange(len(allX))
            K = len(allX) + 1
            key = allT * K + rank
            el = np.flatnonzero(elig)
            el = el[np.argsort(key[el], kind="stable")]
            el_key = key[el]
            lo_ = np.searchsorted(el_key, new_thread * K, side="left")
            hi_ = np.searchsorted(el_key, new_thread * K + rank[n_old:], side="left")
            cnt = hi_ - lo_
            j = np.where(rng.random(len(new_thread)) < bias, 0,
                         (rng.random(len(new_thread)) * cnt).astype(np.int64))
            par = np.where(cnt > 0, el[np.minimum(lo_ + j, max(len(el) - 1, 0))] if len(el) else -1,
                           new_thread)  # no eligible parent: the opener
            return par

        def add(authors, threads, parents, times, bot=False):
            auth.append(np.asarray(authors, dtype=np.int64))
            thread.append(np.asarray(threads, dtype=np.int64))
            parent.append(np.asarray(parents, dtype=np.int64))
            ptime.append(np.asarray(times, dtype=np.int64))
            is_bot_post.append(np.full(len(authors), bot))

        # 1. primary person replies (givers and "both")
        pa_auth = a[prim]
        th = choose_threads(pa_auth, self.is_super[pa_auth], cover=True)
        tm = self.later_times(rng, op_time[th], end)
        par = choose_parents(th, tm, eligible_person(pa_auth), 0.5, eligible_person)
        A0 = np.concatenate(auth)
        par_auth = np.where(par < len(A0), A0[np.minimum(par, len(A0) - 1)],
                            pa_auth[np.clip(par - len(A0), 0, max(len(pa_auth) - 1, 0))])
        selfp = par_auth == pa_auth
        par = np.where(selfp & (op_auth[th] != pa_auth), th, par)
        add(pa_auth, th, par, tm)
        leftover = []

        # 2. back-replies ("counters"): y answers a "both" member x who replied to y
        #    (this month or earlier) and whom y has not answered yet, on one of x's
        #    posts of this month.
        c_auth = a[counter]
        if len(c_auth):
            A = np.concatenate(auth)
            Par = np.concatenate(parent)
            T = np.concatenate(thread)
            X = np.concatenate(ptime)
            rep = np.flatnonzero(Par >= 0)
            x, y = A[rep], A[Par[rep]]
            ok = (x >= 0) & (x < P) & (y >= 0) & (y < P) & (x != y)
            month_keys = np.unique(x[ok] * P + y[ok])
            targets = np.unique(c_auth)
            keys = np.concatenate([prev_edges[_in_sorted(prev_edges % P, targets)],
                                   month_keys[_in_sorted(month_keys % P, targets)]])
            ex, ey = keys // P, keys % P
            rev = ey * P + ex
            has_rev = _in_sorted(rev, prev_edges) | _in_sorted(rev, month_keys)
            person_posts = np.flatnonzero((A >= 0) & (A < P))
            o = person_posts[np.argsort(A[person_posts], kind="stable")]
            As = A[o]
            posts_first = np.searchsorted(As, ex, side="left")
            posts_n = np.searchsorted(As, ex, side="right") - posts_first
            ok = (~has_rev) & (self.role_plan[ex] == _B) & (posts_n > 0)
            cx, cy, cf, cn = ex[ok], ey[ok], posts_first[ok], posts_n[ok]
            srt = np.argsort(cy, kind="stable")
            cx, cy, cf, cn = cx[srt], cy[srt], cf[srt], cn[srt]
            first = np.searchsorted(cy, c_auth, side="left")
            n_c = np.searchsorted(cy, c_auth, side="right") - first
            has = n_c > 0
            j = np.minimum(first + (rng.random(len(c_auth)) * n_c).astype(np.int64),
                           max(len(cy) - 1, 0))[has]
            pp = o[cf[j] + (rng.random(len(j)) * cn[j]).astype(np.int64)] if len(j) else j
            add(c_auth[has], T[pp], pp, self.later_times(rng, X[pp], end))
            leftover.append(c_auth[~has])

        # 3. self-replies: a follow-up to one's own earlier post
        s_auth = a[selfr]
        if len(s_auth):
            A = np.concatenate(auth)
            T = np.concatenate(thread)
            X = np.concatenate(ptime)
            o = np.argsort(A, kind="stable")
            As = A[o]
            first = np.searchsorted(As, s_auth, side="left")
            n_s = np.searchsorted(As, s_auth, side="right") - first
            has = n_s > 0
            pick = o[np.minimum(first + (rng.random(len(s_auth)) * n_s).astype(np.int64), len(o) - 1)]
            pp = pick[has]
            add(s_auth[has], T[pp], pp, self.later_times(rng, X[pp], end))
            leftover.append(s_auth[~has])

        # 4. leftovers become ordinary replies (parents among existing posts only)
        lo_auth = np.concatenate(leftover) if leftover else np.zeros(0, np.int64)
        if len(lo_auth):
            th = choose_threads(lo_auth, self.is_super[lo_auth], cover=False)
            tm = self.later_times(rng, op_time[th], end)
            par = choose_parents(th, tm, np.zeros(len(th), bool), 0.5, eligible_person)
            A = np.concatenate(auth)
            selfp = A[par] == lo_auth
            par = np.where(selfp & (op_auth[th] != lo_auth), th, par)
            add(lo_auth, th, par, tm)

        # 5. anonymous and deleted-author replies: to any earlier non-bot post
        if len(o_reply):
            th = _pick(rng, any_pool, np.cumsum(pop[any_pool]), len(o_reply))
            tm = self.later_times(rng, op_time[th], end)
            par = choose_parents(th, tm, np.zeros(len(th), bool), 0.3,
                                 lambda A_: np.ones(len(A_), bool))
            add(o_reply, th, par, tm)

        # 6. the welcome bot replies to opening posts
        nb = int(self.bot_m[m])
        if nb:
            bpool = np.flatnonzero(~unanswered)
            if not len(bpool):
                bpool = np.arange(nT)
            th = rng.choice(bpool, nb, replace=nb > len(bpool))
            add(np.full(nb, BOT), th, th, self.later_times(rng, op_time[th], end), bot=True)

        A = np.concatenate(auth)
        T = np.concatenate(thread)
        Par = np.concatenate(parent)
        X = np.concatenate(ptime)
        bot_post = np.concatenate(is_bot_post)
        # time order -> post numbers
        order = np.argsort(X, kind="stable")
        inv = np.empty(len(order), dtype=np.int64)
        inv[order] = np.arange(len(order))
        A, T, X, bot_post = A[order], T[order], X[order], bot_post[order]
        Par = Par[order]
        Par = np.where(Par >= 0, inv[np.maximum(Par, 0)], -1)
        opener_pos = inv[np.arange(nT)]
        return dict(author=A, thread=T, parent=Par, time=X, is_bot=bot_post, n_threads=nT,
                    opener_pos=opener_pos, topic=topic, channel=channel, op_sup=op_sup)


# ---------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------

def generate(n_posts: int = 20_000, *, seed: int = 0, path: str | os.PathLike | None = None,
             n_members: int | None = None, lurker_share: float = 0.6, n_topics: int = 8,
             reciprocity: float = 0.3, start: str = "2022-01-01", months: int = 24,
             with_text: bool = True, chunk_size: int = 500_000,
             progress: bool = False):
    """Generate a synthetic peer-support community with planted ground truth.

    Parameters
    ----------
    n_posts : int
        Posts in the forum, exactly (persons + bot + anonymous + deleted).
    seed : int
        Seed of every random draw; one seed gives identical tables.
    path : path-like, optional
        Stream the corpus to this folder (via :class:`peerscope.corpus.CorpusWriter`,
        in chunks of ``chunk_size`` posts) and write ``truth.json``,
        ``truth_members.parquet`` and ``truth_posts.parquet`` inside it.
        Without it the corpus is built in memory.
    n_members : int, optional
        Persons in the roster (default ``max(50, n_posts // 8)``); the bot and
        the anonymous account come on top.
    lurker_share : float
        Share of persons who never post; exactly ``round(lurker_share * n_members)``.
    n_topics : int
        Topics used (1..12).
    reciprocity : float
        Target dyadic reciprocity of the reply graph (the realised value is
        in the truth).
    start : str
        First day (UTC) of the period.
    months : int
        Length of the period in calendar months; every post and event lies in it.
    with_text : bool
        Write texts and titles (else empty texts, no titles; faster).
    chunk_size : int
        Rows per chunk written to disk (does not change the tables).
    progress : bool
        Show a tqdm progress bar over months.

    Returns
    -------
    corpus : peerscope.corpus.Corpus
    truth : Truth

    Raises
    ------
    ValueError
        For impossible parameters (for example too few posts for the posters).

    Examples
    --------
    A metric is right when it recovers what was planted:

    >>> from peerscope import participation
    >>> corpus, truth = generate(2000, seed=1, with_text=False)
    >>> len(corpus.posts()), truth.n_lurkers, truth.n_members
    (2000, 150, 250)
    >>> result = participation.summary(corpus, replicates=0)
    >>> result.lurker_share == truth.n_lurkers / truth.n_members
    True
    >>> list(result.super_users.member_ids) == truth.super_users
    True
    """
    gen = _Generator(n_posts, seed, n_members, lurker_share, n_topics, reciprocity, start,
                     months, with_text, chunk_size, progress)
    return _run(gen, path)


def _run(g: _Generator, path):
    from peerscope.corpus import Corpus, CorpusWriter

    name = f"synthetic-{g.n_posts}-seed{g.seed}"
    provenance = {"source_format": "synthetic", "loader": "peerscope.datasets.synth.generate",
                  "parameters": g.parameters}
    if path is None:
        out = {"posts": [], "events": [], "newsletter_items": [], "members": [], "truth_posts": []}
        truth = _simulate(g, lambda table, frame: out[table].append(frame))
        posts = pd.concat(out["posts"], ignore_index=True)
        events = pd.concat(out["events"], ignore_index=True)
        items = pd.concat(out["newsletter_items"], ignore_index=True)
        members = out["members"][0]
        corpus = Corpus.from_frames(posts, members, events, items, name=name, roster=True,
                                    provenance=provenance)
        truth_posts = pd.concat(out["truth_posts"], ignore_index=True)
        return corpus, _replace(truth, posts=truth_posts)

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir = Path(tempfile.mkdtemp(prefix=f".{path.name}.truth-", dir=path.parent))
    try:
        with CorpusWriter(path, name=name, roster=True, provenance=provenance) as writer:
            with _ParquetAppender(tmp_dir / "truth_posts.parquet") as truth_posts:
                def emit(table, frame):
                    if table == "truth_posts":
                        truth_posts.write(frame)
                    else:
                        writer.write(table, frame)

                _simulate(g, emit).save(tmp_dir)
            # Closing the writer checks the references across the post, parent and
            # thread ids, which takes memory of the order of those columns; nothing of
            # the generator's per-member or per-thread state, nor the truth, is alive
            # by then (the truth is read back from its files below).
            g.drop_plan()
            release_freed_memory()
        for file in _TRUTH_FILES:
            shutil.move(str(tmp_dir / file), str(path / file))
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    return writer.corpus, Truth.load(path, posts=False)


def _simulate(g: _Generator, emit) -> Truth:
    """Draw the plan and every month, hand each table chunk to ``emit(table, frame)``,
    and return the realised truth (without the per-post table, which goes to ``emit``)."""
    g.plan()
    P, M, E = g.P, g.months, g.months - 1
    vocab = g.vocab
    member_ids = pa.concat_arrays([
        _ids("m", np.arange(1, P + 1), g.mw).cast(pa.string()),
        pa.array([BOT_ID, ANONYMOUS_ID], pa.string())])

    # bookkeeping
    first_form = np.full((P, 4), np.iinfo(np.int64).max, dtype=np.int64)
    realised_posts = np.zeros(P + 2, dtype=np.int64)
    n_null_posts = 0
    edge_keys = np.zeros(0, np.int64)
    edge_t = np.zeros(0, np.int64)
    n_recip = 0
    unanswered: list[np.ndarray] = []
    n_threads = n_replies = 0
    stype_counts = np.zeros(len(SUPPORT_TYPES), np.int64)
    dir_counts = np.zeros(2, np.int64)
    pref_counts = np.zeros((2, 2), np.int64)  # [super?, preferred topic?]
    items_written = np.zeros(P, np.int64)
    n_items = n_member_items = 0
    issues = []
    forum_shares: list[np.ndarray] = []  # realised thread-topic shares of each month's posts (no bots)
    issue_weights: dict = {}
    item_stype = np.zeros((2, len(SUPPORT_TYPES)), np.int64)  # [member-written?, type]
    post_offset = 0
    q = min(0.9, 0.6 * g.reciprocity / max(1e-9, 1 - g.reciprocity) + 0.05) if g.reciprocity else 0.0

    months_iter = range(M)
    if g.progress:
        from tqdm.auto import tqdm
        months_iter = tqdm(months_iter, desc="synth", unit="month")
    for m in months_iter:
        mo = g.build_month(m, q, edge_keys)
        A, T, Par, X, is_bot = mo["author"], mo["thread"], mo["parent"], mo["time"], mo["is_bot"]
        n = len(A)
        nums = post_offset + np.arange(n)
        opener_num = nums[mo["opener_pos"]]
        is_op = Par < 0
        person = (A >= 0) & (A < P)
        # bookkeeping of posts
        realised_posts += np.bincount(A[A >= 0], minlength=P + 2)
        n_null_posts += int((A == _NULL).sum())
        np.minimum.at(first_form[:, 0], A[person], X[person])
        n_threads += mo["n_threads"]
        n_replies += int((~is_op).sum())
        reps = np.bincount(T[~is_op], minlength=mo["n_threads"])
        unanswered.append(opener_num[reps == 0])
        rep = np.flatnonzero(~is_op)
        u, v = A[rep], A[Par[rep]]
        ok = (u >= 0) & (u < P) & (v >= 0) & (v < P) & (u != v)
        # the month's distinct edges with their first time, merged into the
        # sorted global edge list (an edge seen in an earlier month keeps its time)
        keys, ts = u[ok] * P + v[ok], X[rep][ok]
        o = np.lexsort((ts, keys))
        keys, ts = keys[o], ts[o]
        firsts = run_starts(keys)
        keys, ts = keys[firsts], ts[firsts]
        new = ~_in_sorted(keys, edge_keys)
        keys, ts = keys[new], ts[new]
        old_edges = edge_keys
        where = np.searchsorted(edge_keys, keys)
        edge_keys = np.insert(edge_keys, where, keys)
        edge_t = np.insert(edge_t, where, ts)
        rev = (keys % P) * P + keys // P
        n_recip += int(_in_sorted(rev, edge_keys).sum() + _in_sorted(rev, old_edges).sum())
        del old_edges
        if len(edge_keys):
            r_now = n_recip / len(edge_keys)
            if g.reciprocity > 0:
                q = float(np.clip(q * (g.reciprocity / max(r_now, 0.02)) ** 1.0, 0.0, 0.95))

        # labels
        srng = np.random.default_rng([g.seed, 6, m])
        topic = mo["topic"][T]
        direction = np.where(is_op, (srng.random(n) >= 0.85).astype(np.int64),
                             (srng.random(n) >= 0.10).astype(np.int64))
        p_seek = np.array([.35, .35, .10, .12, .08])
        p_prov = np.array([.30, .28, .14, .13, .15])
        stype = np.where(direction == 0, srng.choice(5, n, p=p_seek), srng.choice(5, n, p=p_prov))
        stype[is_bot] = SUPPORT_TYPES.index("network")
        direction[is_bot] = 1
        truth_topic = np.where(is_bot, -1, topic)
        stype_counts += np.bincount(stype, minlength=5)
        forum_counts = np.bincount(topic[~is_bot], minlength=g.n_topics).astype(np.float64)
        forum_shares.append(forum_counts / max(forum_counts.sum(), 1.0))
        dir_counts += np.bincount(direction, minlength=2)
        sup_post = person & g.is_super[np.clip(A, 0, P - 1)]
        pref = np.isin(topic, PREFERRED_TOPICS)
        for si in (0, 1):
            sel = person & (sup_post == bool(si))
            pref_counts[si, 1] += int((sel & pref).sum())
            pref_counts[si, 0] += int((sel & ~pref).sum())
        channel = mo["channel"][T]
        other = (topic + srng.integers(1, max(2, g.n_topics), n)) % g.n_topics
        score = srng.poisson(1.5, n)
        score[is_bot] = 0
        views = srng.poisson(30, n)

        # frames, chunk by chunk; texts by fixed blocks (chunk_size never changes them)
        text_cache: dict[int, tuple[pa.Array, pa.Array]] = {}

        def text_block(b):
            if b not in text_cache:
                text_cache.clear()
                s_, e_ = b * _TEXT_BLOCK, min(n, (b + 1) * _TEXT_BLOCK)
                trng = np.random.default_rng([g.seed, 3, m, b])
                texts = vocab.texts(trng, topic[s_:e_], other[s_:e_], stype[s_:e_],
                                    direction[s_:e_], is_bot[s_:e_])
                ops = np.flatnonzero(is_op[s_:e_])
                titles = vocab.titles(trng, topic[s_:e_][ops])
                idx = np.cumsum(is_op[s_:e_]) - 1
                titles = titles.take(pa.array(idx, mask=~is_op[s_:e_]))
                text_cache[b] = (texts, titles)
            return text_cache[b]

        for c0 in range(0, n, g.chunk_size):
            c1 = min(n, c0 + g.chunk_size)
            sl = slice(c0, c1)
            k = c1 - c0
            if g.with_text:
                parts = [text_block(b) for b in range(c0 // _TEXT_BLOCK, (c1 - 1) // _TEXT_BLOCK + 1)]
                b0 = (c0 // _TEXT_BLOCK) * _TEXT_BLOCK
                texts = pa.concat_arrays([p_[0] for p_ in parts]).slice(c0 - b0, k)
                titles = pa.concat_arrays([p_[1] for p_ in parts]).slice(c0 - b0, k)
            else:
                texts = pa.array([""] * k, pa.large_string()) if k else pa.array([], pa.large_string())
                titles = pa.nulls(k, pa.large_string())
            a_idx = A[sl]
            frame = pd.DataFrame({
                "post_id": _str(_ids("p", nums[sl], g.pw)),
                "thread_id": _str(_ids("t", opener_num[T[sl]], g.pw)),
                "parent_id": _str(_ids("p", np.where(Par[sl] >= 0, nums[np.maximum(Par[sl], 0)], 0),
                                       g.pw, mask=Par[sl] < 0)),
                "author_id": _str(member_ids.take(pa.array(np.maximum(a_idx, 0), mask=a_idx < 0))),
                "created_at": _times(X[sl]),
                "text": _str(texts),
                "title": _str(titles),
                "channel": _str(pa.array(BOARDS).take(pa.array(channel[sl]))),
                "kind": _str(pa.array(["reply", "post"]).take(pa.array(is_op[sl].astype(np.int64)))),
                "score": pd.array(score[sl], dtype="Int64"),
                "views": pd.Series(views[sl], dtype="Int64").where(is_op[sl]),
                "is_removed": pd.array(np.zeros(k, bool), dtype="boolean"),
            })
            emit("posts", frame)
            emit("truth_posts", pd.DataFrame({
                "post_id": frame["post_id"],
                "topic": pd.array(truth_topic[sl], dtype="Int64"),
                "support_type": _str(pa.array(SUPPORT_TYPES).take(pa.array(stype[sl]))),
                "direction": _str(pa.array(DIRECTIONS).take(pa.array(direction[sl]))),
            }))
        post_offset += n

        # events
        ev = _month_events(g, m, mo, opener_num)
        np.minimum.at(first_form, (ev["member"], ev["form"]), ev["at"])
        for c0 in range(0, len(ev["member"]), g.chunk_size):
            sl = slice(c0, c0 + g.chunk_size)
            emit("events", pd.DataFrame({
                "member_id": _str(member_ids.take(pa.array(ev["member"][sl]))),
                "at": _times(ev["at"][sl]),
                "kind": _str(pa.array(EVENT_KIND).take(pa.array(ev["form"][sl]))),
                "form": _str(pa.array(FORMS).take(pa.array(ev["form"][sl]))),
                "target_id": _str(ev["target"].slice(c0, len(ev["member"][sl]))),
                "channel": _str(ev["channel"].slice(c0, len(ev["member"][sl]))),
            }))

        # newsletter issue
        echoed = forum_shares[m - NEWSLETTER_TOPIC_LAG] if m >= NEWSLETTER_TOPIC_LAG else None
        items, authors, weights, item_types = _newsletter_issue(g, m, ev["subscribers"], echoed)
        issues.append(items["issue_id"].iloc[0])
        issue_weights[issues[-1]] = [round(float(w), 6) for w in weights]
        np.add.at(item_stype, ((authors >= 0).astype(np.int64), item_types), 1)
        n_items += len(items)
        n_member_items += int((authors >= 0).sum())
        np.add.at(items_written, authors[authors >= 0], 1)
        emit("newsletter_items", items)
        # let go of the month before building the next one
        del mo, ev, items, A, T, Par, X, is_bot, text_cache
        frame = texts = titles = parts = None
        pa.default_memory_pool().release_unused()

    # members, written last (joined_at needs every member's first activity)
    first_any = first_form.min(axis=1)
    assert (first_any < np.iinfo(np.int64).max).all(), "a person without any activity"
    jrng = np.random.default_rng([g.seed, 7])
    gap = (jrng.exponential(2.0, P) * _DAY).astype(np.int64)
    joined = np.maximum(g.origin, first_any - gap)
    role = np.full(P + 2, "member", dtype=object)
    role[g.moderators] = "moderator"
    role[P] = "bot"
    role[P + 1] = "anonymous"
    members = pd.DataFrame({
        "member_id": _str(member_ids),
        "joined_at": _times(np.concatenate([joined, [g.origin, g.origin]])),
        "left_at": _times(np.zeros(P + 2, np.int64)).where(np.zeros(P + 2, bool)),
        "role": pd.Series(role).astype("str"),
    })
    emit("members", members)
    del members

    assert (realised_posts[:P] == g.counts).all()
    # reply-graph truth
    n_edges = int(len(edge_keys))
    first_recv, first_gave, first_gen, n_with_reverse = _first_replies(edge_keys, edge_t, P)
    del edge_keys, edge_t  # the largest arrays left; the truth needs only the firsts
    if n_with_reverse != n_recip:
        raise AssertionError("reciprocated-edge bookkeeping disagrees with the edge list")
    big = np.iinfo(np.int64).max
    gives = first_gave < big
    receives = first_recv < big
    give_role = np.select([gives & receives, gives, receives], ["both", "giver", "receiver"], "neither")

    # pathways truth (from the events and posts written)
    used = first_form < big
    order_forms = np.argsort(np.where(used, first_form, big), axis=1, kind="stable")
    n_forms = used.sum(axis=1)
    # the ordered forms as one code per member (base 5, 4 = none), named once per code
    g.slot_authors = None
    code = np.zeros(P, dtype=np.int64)
    for j in range(4):
        code = code * 5 + np.where(j < n_forms, order_forms[:, j], 4)
    uniq, inverse = np.unique(code, return_inverse=True)
    names = []
    for c in uniq.tolist():
        digits = [(c // 5 ** (3 - j)) % 5 for j in range(4)]
        names.append(">".join(FORMS[d] for d in digits if d < 4))
    forms_str = pa.array(names, pa.string()).take(pa.array(inverse))
    lo, hi = g.lo, g.hi
    overlap = np.zeros(P, bool)
    for f1 in range(4):
        for f2 in range(f1 + 1, 4):
            both = (lo[:, f1] >= 0) & (lo[:, f2] >= 0)
            overlap |= both & (lo[:, f1] <= hi[:, f2]) & (lo[:, f2] <= hi[:, f1])
    curve = []
    for k in range(M):
        obs = g.s + k <= E
        if not obs.any():
            break
        mk = (g.s + k)[:, None]
        in_use = ((lo >= 0) & (lo <= mk) & (hi >= mk)).sum(axis=1)
        curve.append(float(in_use[obs].mean()))

    ids = np.asarray(pd.array(member_ids[:P], dtype="str"))
    is_poster = g.is_poster

    def ts_col(values):
        return _times(np.where(values < big, values, 0)).where(values < big)

    truth_members = pd.DataFrame({
        "member_id": _str(member_ids[:P]),
        "role": pd.Series(role[:P]).astype("str"),
        "joined_at": _times(joined),
        "is_poster": is_poster,
        "n_posts": g.counts,
        "is_super_user": g.is_super,
        "planned_role": pd.Series(np.where(is_poster, np.array(GIVE_ROLES)[np.maximum(g.role_plan, 0)],
                                           None)).astype("str"),
        "give_role": pd.Series(np.where(is_poster, give_role, None)).astype("str"),
        "first_received_at": ts_col(first_recv),
        "first_gave_at": ts_col(first_gave),
        "first_generalised_give_at": ts_col(first_gen),
        "first_use_month": g.s,
        "first_form": _str(pa.array(FORMS).take(pa.array(order_forms[:, 0]))),
        "forms": _str(forms_str),
        "n_forms": n_forms,
        "sequential": ~overlap,
        "subscriber": lo[:, 3] >= 0,
        "n_items": items_written,
    })
    if not (give_role[~is_poster] == "neither").all():
        raise AssertionError("a lurker takes part in the reply graph")
    sup_idx = np.flatnonzero(g.is_super)
    sup_idx = sup_idx[np.argsort(-g.counts[sup_idx], kind="stable")]
    other_max = int(g.counts[is_poster & ~g.is_super].max()) if (is_poster & ~g.is_super).any() else 0
    unanswered_nums = np.concatenate(unanswered) if unanswered else np.zeros(0, np.int64)
    pref_share = pref_counts[:, 1] / np.maximum(pref_counts.sum(axis=1), 1)
    truth = Truth(
        seed=g.seed, parameters=g.parameters, n_posts=g.n_posts, n_members=P,
        n_posters=int(is_poster.sum()), n_lurkers=int((~is_poster).sum()),
        lurkers=ids[~is_poster].tolist(), posters=ids[is_poster].tolist(),
        moderators=ids[g.moderators].tolist(), bot_id=BOT_ID, anonymous_id=ANONYMOUS_ID,
        n_bot_posts=int(realised_posts[P]), n_anonymous_posts=int(realised_posts[P + 1]),
        n_null_author_posts=n_null_posts,
        super_users=ids[sup_idx].tolist(),
        super_user_share=float(g.counts[sup_idx].sum() / g.n_posts),
        super_user_min_posts=int(g.counts[sup_idx].min()), max_other_posts=other_max,
        powerlaw_alpha=float(g.alpha), powerlaw_xmin=1, powerlaw_xmax=int(g.xmax),
        n_threads=int(n_threads), n_replies=int(n_replies), n_edges=n_edges,
        n_reciprocated_edges=n_recip,
        dyadic_reciprocity=(n_recip / n_edges) if n_edges else float("nan"),
        role_counts={r: int((give_role[is_poster] == r).sum()) for r in GIVE_ROLES},
        unanswered_openers=_ids("p", unanswered_nums, g.pw).to_pylist(),
        n_unanswered=int(len(unanswered_nums)),
        unanswered_share=float(len(unanswered_nums) / max(n_threads, 1)),
        topics={name_: list(TOPICS[name_]) for name_ in g.topic_names},
        preferred_topics=[t for t in PREFERRED_TOPICS if t < g.n_topics],
        super_user_preferred_share=float(pref_share[1]),
        other_preferred_share=float(pref_share[0]),
        support_type_counts={t: int(c) for t, c in zip(SUPPORT_TYPES, stype_counts)},
        direction_counts={d: int(c) for d, c in zip(DIRECTIONS, dir_counts)},
        socio_emotional_share=float(stype_counts[[0, 2, 3]].sum() / g.n_posts),
        hour_weights=[round(float(w), 6) for w in HOUR_WEIGHTS],
        weekday_weights=[round(float(w), 6) for w in WEEKDAY_WEIGHTS],
        forms_curve=curve, newsletter=NEWSLETTER, issues=issues,
        n_items=int(n_items), n_member_items=int(n_member_items),
        contributors=ids[items_written > 0].tolist(),
        subscribers=ids[lo[:, 3] >= 0].tolist(),
        members=truth_members, posts=None, source=None,
        newsletter_topic_lag=NEWSLETTER_TOPIC_LAG, newsletter_topic_weights=issue_weights,
        forum_topic_shares={pd.Timestamp(int(g.bounds[m]) * 1000, tz="UTC").strftime("%Y-%m"):
                            [round(float(v), 6) for v in shares] for m, shares in enumerate(forum_shares)},
        newsletter_support_shares=_support_shares(stype_counts, item_stype) if g.with_text else {},
    )
    return truth


def _support_shares(forum: np.ndarray, items: np.ndarray) -> dict:
    """Realised support-type shares of the forum's posts and of newsletter items (all, members', staff's)."""
    def shares(counts):
        total = counts.sum()
        return {t: (float(c / total) if total else float("nan")) for t, c in zip(SUPPORT_TYPES, counts)}

    return {"forum": shares(forum), "newsletter": shares(items.sum(axis=0)),
            "newsletter_members": shares(items[1]), "newsletter_staff": shares(items[0])}


def _first_replies(edge_keys: np.ndarray, edge_t: np.ndarray, P: int):
    """First reply received, given and given "generalised" per person, from the reply edges.

    ``edge_keys`` are the sorted distinct edges ``giver * P + receiver`` and
    ``edge_t`` their first times.  A give is generalised when the receiver had
    not replied to the giver before.  Returns the three per-person times
    (int64 max where none) and the number of edges whose reverse exists.
    """
    big = np.iinfo(np.int64).max
    u_e, v_e = edge_keys // P, edge_keys % P
    rev = v_e * P + u_e
    pos = np.minimum(np.searchsorted(edge_keys, rev), max(len(edge_keys) - 1, 0))
    has_rev = (edge_keys[pos] == rev) if len(edge_keys) else np.zeros(0, bool)
    rev_t = np.where(has_rev, edge_t[pos] if len(edge_keys) else 0, big)
    first_recv = np.full(P, big)
    np.minimum.at(first_recv, v_e, edge_t)
    first_gave = np.full(P, big)
    np.minimum.at(first_gave, u_e, edge_t)
    generalised = rev_t >= edge_t  # the reverse came later, or never
    first_gen = np.full(P, big)
    np.minimum.at(first_gen, u_e[generalised], edge_t[generalised])
    return first_recv, first_gave, first_gen, int(has_rev.sum())


def _replace(truth: Truth, **changes) -> Truth:
    data = {f.name: getattr(truth, f.name) for f in fields(truth)}
    data.update(changes)
    return Truth(**data)


def _month_events(g: _Generator, m: int, mo: dict, opener_num: np.ndarray) -> dict:
    """Events of month ``m``: >= 1 per (member, form) active that month, none outside."""
    rng = np.random.default_rng([g.seed, 4, m])
    active = (g.lo >= 0) & (g.lo <= m) & (g.hi >= m)
    members, forms, ats = [], [], []
    targets, channels = [], []
    month_start, month_end = int(g.bounds[m]), int(g.bounds[m + 1])
    nT = mo["n_threads"]
    thread_ids = _ids("t", opener_num, g.pw) if nT else pa.array([], pa.string())
    boards = pa.array(BOARDS).take(pa.array(mo["channel"])) if nT else pa.array([], pa.string())
    # online: views
    who = np.flatnonzero(active[:, 0])
    k = 1 + rng.poisson(0.3, len(who))
    mem = np.repeat(who, k)
    at = g.month_times(rng, len(mem), m)
    firsts = np.cumsum(k) - k
    day0 = who[(g.lo[who, 0] == 0) & (m == 0)]
    if m == 0 and len(day0):  # founders who post in month 0 start viewing on day 0
        sel = firsts[np.isin(who, day0)]
        at[sel] = (month_start + rng.choice(24, len(sel), p=HOUR_WEIGHTS) * _HOUR
                   + rng.integers(0, _HOUR, len(sel)))
        at[sel] = np.minimum(at[sel], month_start + _DAY - 1)
    members.append(mem)
    forms.append(np.zeros(len(mem), np.int64))
    ats.append(at)
    if nT:
        tpick = rng.integers(0, nT, len(mem))
        targets.append(thread_ids.take(pa.array(tpick)))
        channels.append(boards.take(pa.array(tpick)))
    else:
        targets.append(pa.nulls(len(mem), pa.string()))
        channels.append(pa.nulls(len(mem), pa.string()))
    # group meetings (weekly: Wednesday evening, Saturday morning)
    d0 = (month_start - g.origin) // _DAY
    nd = (month_end - month_start) // _DAY
    days = np.arange(nd)
    wd = (g.wd0 + d0 + days) % 7
    meet_day = days[(wd == 2) | (wd == 5)]
    meet_group = np.where(((g.wd0 + d0 + meet_day) % 7) == 2, 0, 1)
    meet_at = month_start + meet_day * _DAY + np.where(meet_group == 0, 18 * _HOUR + 30 * 60 * _US,
                                                        10 * _HOUR + 30 * 60 * _US)
    group_names = np.array(["wednesday-group", "saturday-group"])
    dates = pd.DatetimeIndex(meet_at.view("datetime64[us]")).strftime("%Y-%m-%d").to_numpy()
    meet_ids = pa.array([f"{group_names[gi]}-{d}" for gi, d in zip(meet_group, dates)], pa.string())
    who = np.flatnonzero(active[:, 1])
    k = np.minimum(1 + rng.binomial(2, 0.3, len(who)), len(meet_day))
    mem = np.repeat(who, k)
    pick = rng.integers(0, len(meet_day), len(mem))
    key = np.unique(mem * len(meet_day) + pick)
    mem, pick = key // len(meet_day), key % len(meet_day)
    members.append(mem)
    forms.append(np.ones(len(mem), np.int64))
    ats.append(meet_at[pick])
    targets.append(meet_ids.take(pa.array(pick)))
    channels.append(pa.array(group_names).take(pa.array(meet_group[pick])))
    # one-to-one sessions, weekdays in working hours
    who = np.flatnonzero(active[:, 2])
    k = 1 + rng.poisson(0.3, len(who))
    mem = np.repeat(who, k)
    wdays = days[wd < 5]
    dd = wdays[rng.integers(0, len(wdays), len(mem))]
    members.append(mem)
    forms.append(np.full(len(mem), 2, np.int64))
    ats.append(month_start + dd * _DAY + 9 * _HOUR + rng.integers(0, 8 * _HOUR, len(mem)))
    targets.append(pa.nulls(len(mem), pa.string()))
    channels.append(pa.nulls(len(mem), pa.string()))
    # newsletter: one receive per subscriber at the issue's publication
    who = np.flatnonzero(active[:, 3])
    issue_at = _issue_time(g, m)
    members.append(who)
    forms.append(np.full(len(who), 3, np.int64))
    ats.append(np.full(len(who), issue_at))
    targets.append(pa.array([_issue_id(g, m)] * len(who), pa.string()))
    channels.append(pa.array([NEWSLETTER] * len(who), pa.string()))

    member = np.concatenate(members)
    form = np.concatenate(forms)
    at = np.concatenate(ats)
    order = np.lexsort((member, at))
    target = pa.concat_arrays([t.cast(pa.string()) for t in targets]).take(pa.array(order))
    channel = pa.concat_arrays([c.cast(pa.string()) for c in channels]).take(pa.array(order))
    return dict(member=member[order], form=form[order], at=at[order], target=target,
                channel=channel, subscribers=who)


def _issue_time(g: _Generator, m: int) -> int:
    return int(g.bounds[m] + 2 * _DAY + 9 * _HOUR)


def _issue_id(g: _Generator, m: int) -> str:
    return "peer-post-" + pd.Timestamp(int(g.bounds[m]) * 1000, tz="UTC").strftime("%Y-%m")


def _newsletter_issue(g: _Generator, m: int, subscribers: np.ndarray, echoed: np.ndarray | None):
    """Items of the month's issue; members write each with probability 0.6 (else staff).

    ``echoed`` is the forum's realised topic shares of the month the issue
    echoes (None for the first issue: even weights).  Returns the items, the
    author index of each (-1: staff), the issue's topic weights and each
    item's support type (index into :data:`SUPPORT_TYPES`).  Who writes
    comes from stream ``[seed, 5, m]``; topics, support types and texts from
    stream ``[seed, 8, m]``.
    """
    rng = np.random.default_rng([g.seed, 5, m])
    k = int(rng.integers(4, 9))
    member_written = rng.random(k) < 0.6
    if not len(subscribers):
        member_written[:] = False
    authors = np.full(k, -1, np.int64)
    if member_written.any():
        authors[member_written] = rng.choice(subscribers, int(member_written.sum()))
    item_type = np.array(ITEM_TYPES)[rng.integers(0, len(ITEM_TYPES), k)]
    weights = np.full(g.n_topics, 1.0 / g.n_topics)
    if echoed is not None and echoed.sum() > 0:
        sharpened = np.asarray(echoed, dtype=np.float64) ** NEWSLETTER_ECHO_POWER
        weights = sharpened / sharpened.sum()
    trng = np.random.default_rng([g.seed, 8, m])
    stype = np.where(authors >= 0,
                     trng.choice(len(SUPPORT_TYPES), k, p=NEWSLETTER_SUPPORT_WEIGHTS["member"]),
                     trng.choice(len(SUPPORT_TYPES), k, p=NEWSLETTER_SUPPORT_WEIGHTS["staff"]))
    issue = _issue_id(g, m)
    if g.with_text:
        texts = _item_texts(g.vocab, trng, weights, stype)
        titles = g.vocab.titles(trng, trng.choice(g.n_topics, k, p=weights))
    else:
        texts = pa.array([""] * k)
        titles = pa.nulls(k, pa.string())
    member_ids = _ids("m", authors + 1, g.mw, mask=authors < 0)
    return pd.DataFrame({
        "item_id": pd.Series([f"{issue}-{j + 1:02d}" for j in range(k)]).astype("str"),
        "issue_id": pd.Series([issue] * k).astype("str"),
        "newsletter": pd.Series([NEWSLETTER] * k).astype("str"),
        "published_at": _times(np.full(k, _issue_time(g, m))),
        "author_id": _str(member_ids),
        "text": _str(texts),
        "title": _str(titles),
        "item_type": pd.Series(item_type).astype("str"),
    }), authors, weights, stype


def _item_texts(vocab: _Vocab, rng, weights: np.ndarray, stype: np.ndarray,
                length_median: float = 60.0) -> pa.Array:
    """Newsletter items: a cue sentence, sentences whose words mix topics by ``weights``, a second cue.

    85% of the words draw their topic from ``weights`` (one draw per word,
    so an item's topic mixture is the issue's), 15% are neutral filler; both
    cue sentences are of the item's support type, providing.
    """
    k = len(stype)
    lengths = np.clip(np.round(rng.lognormal(np.log(length_median), 0.4, k)), 20, 140).astype(np.int64)
    providing = DIRECTIONS.index("providing")
    out, counts = [], []
    for i in range(k):
        n = int(lengths[i])
        topic = rng.choice(len(weights), n, p=weights)
        words = np.where(rng.random(n) < 0.85, vocab.topic_ids[topic, rng.integers(0, 30, n)],
                         vocab.filler_ids[rng.integers(0, len(vocab.filler_ids), n)]).astype(np.int64)
        end = rng.random(n) < 1 / 9
        end[-1] = True
        capital = np.concatenate([[True], end[:-1]])
        words = words + capital * vocab.n_words
        group = int(stype[i]) * 2 + providing
        cues = vocab.cue_table[group, rng.integers(0, vocab.cue_n[group], 2)]
        tokens = [int(cues[0])]
        for word, stop in zip(words.tolist(), end.tolist()):
            tokens.append(word)
            if stop:
                tokens.append(0)
        tokens.append(int(cues[1]))
        out.extend(tokens)
        counts.append(len(tokens))
    return vocab.render(np.asarray(out, dtype=np.int64), np.asarray(counts, dtype=np.int64))
