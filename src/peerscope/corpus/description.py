"""What a corpus holds, and what it can and cannot measure.

Before any statistic, a researcher needs to know whether the data can answer
the question at all: lurkers cannot be counted from posts alone (Nonnecke &
Preece 2000 needed list membership; docs/concepts.md, "Lurker"), reciprocity needs
the author of both ends of a reply, time-of-day profiles need times finer than
a day, and pluralistic use needs more than one form of support.
:func:`describe` reads only the non-text columns and says all of that.
"""

from __future__ import annotations

from collections import Counter

from dataclasses import dataclass, field

import pandas as pd
import pyarrow.compute as pc

from peerscope.corpus import schema
from peerscope.corpus._post_facts import UNITS, post_facts
from peerscope._kernels import engine

__all__ = ["IMPLAUSIBLE_THREAD_SHARE", "THREAD_SHARE_MIN_POSTS", "Capability", "Description", "describe",
           "thread_share_warning"]


@dataclass(frozen=True)
class Capability:
    """Whether one kind of measure is possible on the corpus, and why.

    Attributes
    ----------
    measure : str
        The kind of measure (``"lurkers"``, ``"reciprocity"``, ...).
    possible : bool
        Whether the corpus's data supports it.
    reason : str
        Why (or why not), in words for a report.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2"], "thread_id": ["p1", "p1"],
    ...     "parent_id": [None, "p1"], "author_id": ["ann", "bob"], "text": ["a", "b"],
    ...     "created_at": pd.to_datetime(["2024-01-01 20:00", "2024-01-01 21:30"], utc=True)})
    >>> description = describe(Corpus.from_frames(posts))
    >>> description.capabilities[0]
    Capability(measure='lurkers', possible=False, reason='no member roster, view or delivery events: lurkers cannot be counted')
    """

    measure: str
    possible: bool
    reason: str


@dataclass(frozen=True)
class Description:
    """Counts, spans and capabilities of a corpus (see :func:`describe`).

    Attributes
    ----------
    name : str
    rows : dict of str -> int
        Rows per table.
    first_post, last_post : pandas.Timestamp or None
    channels : dict of str -> int
        Posts per channel.
    posters : int
        Distinct known authors (persons).
    members : int or None
        Roster size (None without a roster).
    roster : bool
    bots : int
    posts_by_unknown_authors : int
    opening_posts, replies : int
    reply_structure : str
        ``"nested"``, ``"flat"`` or ``"no replies"``.
    time_resolution : str
        Finest unit the times are recorded in (``"day"``, ``"hour"``, ...).
    forms : dict of str -> int
        Records per form of support.
    event_kinds : dict of str -> int
    newsletters, newsletter_issues : int
    posts_with_text : int
    quarantined : dict of str -> int
        Rows quarantined on import, per table.
    kept_notes : dict of str -> dict of str -> int
        Rows kept but changed on import, per table and note of what the
        loader did (e.g. a reply whose parent is missing, kept with a null
        parent), from the manifest's accounting.  Counted at import, over
        the whole corpus (a window does not narrow them).
    capabilities : tuple of Capability

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2"], "thread_id": ["p1", "p1"],
    ...     "parent_id": [None, "p1"], "author_id": ["ann", "bob"], "text": ["a", "b"],
    ...     "created_at": pd.to_datetime(["2024-01-01 20:00", "2024-01-01 21:30"], utc=True)})
    >>> description = describe(Corpus.from_frames(posts))
    >>> frame = description.to_frame().set_index(["section", "item"])["value"]
    >>> frame[("posts", "reply_structure")], frame[("can_measure", "time of day")]
    ('flat', 'yes: times recorded to the minute')

    Rows a loader kept but changed are listed per table and note:

    >>> noted = Corpus.from_frames(posts, kept_notes={"posts": {"no post id: kept with a generated id": 2}})
    >>> describe(noted).kept_notes
    {'posts': {'no post id: kept with a generated id': 2}}
    """

    name: str
    rows: dict[str, int]
    first_post: pd.Timestamp | None
    last_post: pd.Timestamp | None
    channels: dict[str, int]
    posters: int
    members: int | None
    roster: bool
    bots: int
    posts_by_unknown_authors: int
    opening_posts: int
    replies: int
    reply_structure: str
    time_resolution: str
    forms: dict[str, int]
    event_kinds: dict[str, int]
    newsletters: int
    newsletter_issues: int
    posts_with_text: int
    quarantined: dict[str, int]
    kept_notes: dict[str, dict[str, int]]
    largest_thread_share: float | None = None
    warnings: tuple[str, ...] = ()
    capabilities: tuple[Capability, ...] = field(default=())

    def can(self, measure: str) -> bool:
        """Whether ``measure`` (e.g. ``"lurkers"``) is possible on this corpus."""
        for capability in self.capabilities:
            if capability.measure == measure:
                return capability.possible
        raise KeyError(f"unknown measure {measure!r}; known: {[c.measure for c in self.capabilities]}")

    def to_frame(self) -> pd.DataFrame:
        """One row per statistic (``section``, ``item``, ``value``): a tidy table for reports."""
        rows = [("corpus", "name", self.name)]
        rows += [("rows", table, n) for table, n in self.rows.items()]
        rows += [("posts", "first_post", self.first_post), ("posts", "last_post", self.last_post),
                 ("posts", "opening_posts", self.opening_posts), ("posts", "replies", self.replies),
                 ("posts", "reply_structure", self.reply_structure),
                 ("posts", "time_resolution", self.time_resolution),
                 ("posts", "posts_with_text", self.posts_with_text),
                 ("people", "posters", self.posters), ("people", "members", self.members),
                 ("people", "roster", self.roster), ("people", "bots", self.bots),
                 ("people", "posts_by_unknown_authors", self.posts_by_unknown_authors),
                 ("newsletters", "newsletters", self.newsletters),
                 ("newsletters", "issues", self.newsletter_issues)]
        rows += [("channels", name, n) for name, n in self.channels.items()]
        rows += [("forms", name, n) for name, n in self.forms.items()]
        rows += [("event_kinds", name, n) for name, n in self.event_kinds.items()]
        rows += [("quarantined", table, n) for table, n in self.quarantined.items()]
        rows += [("kept_notes", f"{table}: {note}", n)
                 for table, notes in self.kept_notes.items() for note, n in notes.items()]
        rows += [("can_measure", c.measure, f"{'yes' if c.possible else 'no'}: {c.reason}")
                 for c in self.capabilities]
        rows += [("posts", "largest_thread_share", self.largest_thread_share)]
        rows += [("warnings", str(i + 1), w) for i, w in enumerate(self.warnings)]
        values = ["not available" if value is None else str(value) for _, _, value in rows]
        return pd.DataFrame({"section": [r[0] for r in rows], "item": [r[1] for r in rows],
                             "value": pd.array(values, dtype="str")})

    def __str__(self) -> str:
        span = (f"{self.first_post:%Y-%m-%d} .. {self.last_post:%Y-%m-%d}"
                if self.first_post is not None else "no posts")
        lines = [
            f"corpus {self.name!r}",
            "rows: " + ", ".join(f"{t} {n:,}" for t, n in self.rows.items()),
            f"posts: {span}; {self.opening_posts:,} opening posts, {self.replies:,} replies "
            f"({self.reply_structure} threads), times to the {self.time_resolution}",
            f"people: {self.posters:,} posters; "
            + (f"{self.members:,} members on the roster" if self.members is not None
               else "no member roster")
            + f"; {self.bots} bot(s); {self.posts_by_unknown_authors:,} posts by unknown, "
              "deleted or anonymous authors",
        ]
        if self.channels:
            shown = list(self.channels.items())[:10]
            more = len(self.channels) - len(shown)
            lines.append("channels: " + ", ".join(f"{c} {n:,}" for c, n in shown)
                         + (f" and {more} more" if more else ""))
        if self.forms:
            lines.append("forms of support: " + ", ".join(f"{f} {n:,}" for f, n in self.forms.items()))
        if self.quarantined:
            lines.append("quarantined: " + ", ".join(f"{t} {n:,}" for t, n in self.quarantined.items()))
        if self.kept_notes:
            lines.append("kept but changed on import:")
            lines += [f"  {table}: {note}: {n:,}"
                      for table, notes in self.kept_notes.items() for note, n in notes.items()]
        lines += [f"warning: {w}" for w in self.warnings]
        lines.append("can measure:")
        lines += [f"  [{'x' if c.possible else ' '}] {c.measure}: {c.reason}" for c in self.capabilities]
        return "\n".join(lines)


def describe(corpus) -> Description:
    """Describe ``corpus``: counts per table, time span, channels, posters vs
    members, and which measures its data supports (with the reason).

    Parameters
    ----------
    corpus : peerscope.Corpus
        Any corpus or window of one.  On a Dask corpus the posts, events and
        newsletter items are counted on the workers (the client receives one
        row per partition and a few totals); only the roster is collected.

    Returns
    -------
    Description

    Examples
    --------
    Two posters, one reply, times to the minute, no roster:

    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2"], "thread_id": ["p1", "p1"],
    ...     "parent_id": [None, "p1"], "author_id": ["ann", "bob"], "text": ["a", "b"],
    ...     "created_at": pd.to_datetime(["2024-01-01 20:00", "2024-01-01 21:30"], utc=True)})
    >>> description = describe(Corpus.from_frames(posts))
    >>> description.posters, description.replies, description.time_resolution
    (2, 1, 'minute')
    >>> description.can("lurkers"), description.can("reciprocity")
    (False, True)
    """
    has_channel = corpus.has_table("posts") and "channel" in corpus.manifest["tables"]["posts"]["columns"]
    members = engine.collect(corpus.members(columns=None))
    roles = _roles(members)
    non_person = roles.index[roles.isin(schema.NON_PERSON_ROLES).to_numpy(dtype=bool)]
    bots = roles.index[(roles == "bot").to_numpy(dtype=bool)]
    facts = post_facts(corpus, non_person, bots)
    event_rows, tallies = _tallies(corpus, "events", ["kind", "form"])
    item_rows, newsletters, issues = _item_counts(corpus)
    with_text = corpus.count_non_null("posts", "text") if "text" in corpus.manifest["tables"]["posts"]["columns"] else 0

    forms = tallies["form"]
    if facts.rows:
        forms = {"online (posts)": facts.rows, **forms}
    members_count = int((~roles.isin(schema.NON_PERSON_ROLES)).sum()) if corpus.has_roster else None
    channels = _tallies(corpus, "posts", ["channel"])[1]["channel"] if has_channel and facts.rows else {}
    description = dict(
        name=corpus.name,
        rows={"posts": facts.rows, "members": len(members), "events": event_rows,
              "newsletter_items": item_rows},
        first_post=None if facts.first_post is None else _timestamp(facts.first_post),
        last_post=None if facts.last_post is None else _timestamp(facts.last_post),
        channels=channels,
        posters=facts.posters,
        members=members_count,
        roster=corpus.has_roster,
        bots=len(bots),
        posts_by_unknown_authors=facts.posts_by_unknown_authors,
        opening_posts=facts.rows - facts.replies,
        replies=facts.replies,
        reply_structure="no replies" if not facts.replies else "nested" if facts.nested else "flat",
        time_resolution="unknown" if facts.finest_unit is None else UNITS[facts.finest_unit],
        forms=forms,
        event_kinds=tallies["kind"],
        newsletters=newsletters,
        newsletter_issues=issues,
        posts_with_text=with_text,
        quarantined={t: a["rows_quarantined"] for t, a in corpus.manifest["accounting"].items()
                     if a["rows_quarantined"]},
        # manifests written before the slot existed have no kept notes
        kept_notes={t: dict(a["kept_notes"]) for t, a in corpus.manifest["accounting"].items()
                    if a.get("kept_notes")},
    )
    description["largest_thread_share"] = facts.largest_thread / facts.rows if facts.rows else None
    description["warnings"] = _warnings(description, facts.largest_thread)
    synthetic = corpus.manifest.get("provenance", {}).get("parameters", {}).get("submission_times")
    description["capabilities"] = _capabilities(description, facts.replies_both_known, synthetic)
    return Description(**description)


#: A thread holding more than this share of the posts (of a corpus with at least
#: ``THREAD_SHARE_MIN_POSTS`` posts) is implausible: usually a column mapping that
#: put many threads under one id (AgingCare's junk ``post_id`` put 43% in one).
IMPLAUSIBLE_THREAD_SHARE = 0.2
THREAD_SHARE_MIN_POSTS = 200


def thread_share_warning(posts: int, largest_thread: int) -> str | None:
    """A warning when one thread holds an implausible share of the posts, else None.

    Parameters
    ----------
    posts : int
        Posts in the corpus.
    largest_thread : int
        Posts in its largest thread.

    Returns
    -------
    str or None

    Examples
    --------
    >>> thread_share_warning(4154, 1765)
    'one thread holds 1,765 of 4,154 posts (42%): check the column mapped to thread_id (a junk or shared id puts many threads under one)'
    >>> thread_share_warning(4154, 40) is None
    True
    """
    if posts >= THREAD_SHARE_MIN_POSTS and largest_thread > IMPLAUSIBLE_THREAD_SHARE * posts:
        return (f"one thread holds {largest_thread:,} of {posts:,} posts "
                f"({largest_thread / posts:.0%}): check the column mapped to thread_id "
                "(a junk or shared id puts many threads under one)")
    return None


def _warnings(d: dict, largest_thread: int) -> tuple[str, ...]:
    """What looks wrong in the corpus although every schema rule holds."""
    warning = thread_share_warning(d["rows"]["posts"], largest_thread)
    return () if warning is None else (warning,)


def _roles(members: pd.DataFrame) -> pd.Series:
    """member_id -> role (null roles are plain members)."""
    if not len(members):
        return pd.Series(dtype="str")
    role = members["role"] if "role" in members.columns else pd.Series("member", index=members.index)
    return pd.Series(role.fillna("member").to_numpy(), index=members["member_id"].to_numpy())


def _tallies(corpus, table: str, columns: list[str]) -> tuple[int, dict[str, dict[str, int]]]:
    """(rows of ``table``, rows per value of each column), most frequent first (ties by value).

    On the pandas engine, counted row group by row group on the
    dictionary-encoded columns, so a table of tens of millions of rows is
    never held in memory; on Dask, counted on the workers.  A null value is
    counted under ``"None"``.
    """
    rows, tallies = 0, {column: Counter() for column in columns}
    if corpus.engine == "dask":
        frame = corpus.table(table, columns)
        counted = engine.collect_together(frame.shape[0], *(frame[c].value_counts(dropna=False) for c in columns))
        rows = int(counted[0])
        for column, counts in zip(columns, counted[1:]):
            for value, n in counts.items():
                tallies[column][str(None if pd.isna(value) else value)] += int(n)
    else:
        for batch in corpus.arrow_batches(table, columns, batch_size=1 << 18, dictionary=columns):
            rows += batch.num_rows
            for column, tally in tallies.items():
                for entry in pc.value_counts(batch.column(column)).to_pylist():
                    tally[str(entry["values"])] += int(entry["counts"])
    return rows, {column: dict(sorted(tally.items(), key=lambda item: (-item[1], item[0])))
                  for column, tally in tallies.items()}


def _item_counts(corpus) -> tuple[int, int, int]:
    """Newsletter items, distinct newsletters and distinct issues (counted on the workers on Dask)."""
    items = corpus.newsletter_items(columns=["issue_id", "newsletter"])
    rows, newsletters, issues = engine.collect_together(
        items.shape[0], items["newsletter"].nunique(), items["issue_id"].nunique())
    return int(rows), int(newsletters), int(issues)


def _timestamp(micros) -> pd.Timestamp:
    return pd.Timestamp(int(micros), unit="us", tz="UTC")


def _responsiveness(d: dict, synthetic_openings: str | None) -> Capability:
    """Responsiveness is measurable only with replies and truly dated opening posts.

    An export without submissions (Reddit comments only) makes each thread's
    opening post at import, dated at its first comment: every such opening
    post is "answered", at once, by construction.  At day resolution the
    answered share stands but hours to first response do not (the report
    marks them so, :func:`peerscope.report.tables.responsiveness`).
    """
    if not d["replies"]:
        return Capability("responsiveness", False, "no replies")
    if synthetic_openings:
        return Capability("responsiveness", False,
                          f"opening posts were made at import and dated at the {synthetic_openings}: "
                          "the answered share and time to first response would be artefacts")
    return Capability("responsiveness", True, "replies link to threads")


def _capabilities(d: dict, replies_both_known: int, synthetic_openings: str | None = None) -> tuple:
    passive = any(kind in d["event_kinds"] for kind in ("view", "read", "receive"))
    if d["roster"] and d["members"] is not None and d["members"] <= d["posters"]:
        lurkers = Capability("lurkers", True, "member roster present, but every member posted: "
                             "check that it lists members who never posted")
    elif d["roster"]:
        lurkers = Capability("lurkers", True, "member roster present")
    elif passive:
        lurkers = Capability("lurkers", True, "view, read or delivery events show who took part without posting")
    else:
        lurkers = Capability("lurkers", False, "no member roster, view or delivery events: lurkers cannot be counted")
    forms = [f for f in d["forms"] if f != "online (posts)"]
    all_forms = set(forms) | ({"online"} if d["rows"]["posts"] else set())
    return (
        lurkers,
        Capability("super-users and inequality", d["posters"] > 0,
                   f"{d['posters']:,} posters with known ids" if d["posters"] else "no posts with known authors"),
        Capability("reciprocity", replies_both_known > 0,
                   f"{replies_both_known:,} replies with both authors known ({d['reply_structure']} threads)"
                   if replies_both_known else "no replies whose both authors are known"),
        _responsiveness(d, synthetic_openings),
        Capability("time of day", d["time_resolution"] not in ("day", "unknown"),
                   f"times recorded to the {d['time_resolution']}"),
        Capability("pluralistic use", len(all_forms) > 1,
                   f"forms present: {sorted(all_forms)}" if all_forms else "no activity"),
        Capability("newsletters", d["newsletters"] > 0,
                   f"{d['newsletters']} newsletter(s), {d['newsletter_issues']} issue(s)"
                   if d["newsletters"] else "no newsletter items"),
        Capability("topics and support types", d["posts_with_text"] > 0,
                   f"{d['posts_with_text']:,} posts with text" if d["posts_with_text"] else "no post text"),
    )
