"""Peer newsletters: cadence, contributors, reach, and who only receives.

A peer newsletter is "made up mainly of members' contributions": for most
people on its list it is passive participation (they receive it), for its
contributors it is active (docs/concepts.md, "Newsletters").  :func:`summary`
gives, per newsletter, the measures a paper reports: how many issues came out
and how regularly, how many items an issue holds and how many of them
members wrote, how many members contributed, how many received it, how many
only ever received it, and how many of its contributors also take an active
part in another form of support.

Definitions
-----------
Issue
    A distinct ``issue_id`` of the newsletter; its date is the earliest
    ``published_at`` of its items.
Cadence
    The gaps, in days, between the dates of consecutive issues: their mean,
    median and coefficient of variation (sample standard deviation / mean;
    0 for a perfectly regular newsletter, undefined with fewer than two
    gaps).  A lower coefficient means a more regular newsletter.
Member-written item
    An item whose ``author_id`` is not null and is not a non-person id
    (bot, deleted, anonymous; :data:`peerscope.corpus.schema.NON_PERSON_ROLES`).
    Items with a null author are staff-written or of unknown authorship.
Contributor
    A member who wrote an item of the newsletter, or has a ``contribute``
    event matched to it (below).
Top contributors' share
    Share of member-written items written by the ``top`` members who wrote
    the most (ties do not change the share).
Reach (recipients)
    Distinct members with a ``receive`` event *matched to the newsletter*:
    the event's ``channel`` equals the newsletter's name, or its
    ``target_id`` is one of the newsletter's issue ids.  Receive events that
    match no newsletter are counted in ``unmatched_receive_events``.
Passive-only recipient
    A recipient who never contributed to the newsletter and has no active
    use of any other form (online, group, one to one) in the window, in the
    sense of :mod:`peerscope.pluralism`.
Contributor active elsewhere
    A contributor with an active use of another form (a post, a facilitated
    meeting, a one-to-one session, ...).

Examples
--------
>>> import pandas as pd
>>> from peerscope import Corpus
>>> from peerscope.pluralism import newsletters
>>> t = lambda *s: pd.to_datetime(list(s), utc=True)
>>> posts = pd.DataFrame({"post_id": ["p1"], "thread_id": ["p1"], "parent_id": [None],
...                       "author_id": ["ann"], "created_at": t("2024-01-20"), "text": ["hi"]})
>>> items = pd.DataFrame({"item_id": ["a1", "a2", "b1"], "issue_id": ["jan", "jan", "feb"],
...                       "newsletter": ["Post"] * 3, "author_id": ["ann", None, "bob"],
...                       "published_at": t("2024-01-05", "2024-01-05", "2024-02-05"),
...                       "text": ["", "", ""]})
>>> events = pd.DataFrame({"member_id": ["ann", "bob", "cat", "cat"],
...                        "at": t("2024-01-05", "2024-01-05", "2024-01-05", "2024-02-05"),
...                        "kind": ["receive"] * 4, "form": ["newsletter"] * 4,
...                        "target_id": ["jan", "jan", "jan", "feb"]})
>>> result = newsletters.summary(Corpus.from_frames(posts, events=events, newsletter_items=items))
>>> row = result.frame.iloc[0]
>>> int(row["issues"]), float(row["gap_days_mean"]), int(row["contributors"]), int(row["recipients"])
(2, 31.0, 2, 3)
>>> int(row["passive_only_recipients"]), int(row["contributors_active_elsewhere"])
(1, 1)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from peerscope import errors, pluralism

from peerscope._kernels import columnar, engine
from peerscope._kernels.display import Display, fmt
from peerscope._kernels.memory import release_freed_memory

from peerscope.corpus import schema

__all__ = ["NewsletterSummary", "summary"]


@dataclass(frozen=True, repr=False)
class NewsletterSummary(Display):
    """Per-newsletter measures (see :func:`summary`).

    Attributes
    ----------
    frame : DataFrame
        One row per newsletter: ``newsletter``, ``issues``, ``first_issue``,
        ``last_issue``, ``gap_days_mean``, ``gap_days_median``,
        ``gap_days_cv``, ``items``, ``items_per_issue``, ``member_items``,
        ``member_item_share``, ``contributors``, ``contributors_per_issue``,
        ``top``, ``top_contributor_share``, ``recipients``,
        ``passive_only_recipients``, ``contributors_receiving``,
        ``contributors_active_elsewhere``.
    issues : DataFrame
        One row per issue: ``newsletter``, ``issue_id``, ``published_at``,
        ``items``, ``member_items``, ``contributors``, ``gap_days`` (since the
        previous issue).
    contributors : DataFrame
        One row per newsletter and contributor: ``newsletter``,
        ``member_id``, ``items``, ``receives`` and ``active_elsewhere``.
    recipients : DataFrame
        One row per newsletter and recipient: ``newsletter``, ``member_id``,
        ``contributes``, ``active_elsewhere`` and ``passive_only``.
    parameters : dict
        ``top``, the window, ``exclude_roles``, the matching rule for
        receive events and ``unmatched_receive_events``.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> from peerscope.pluralism import newsletters
    >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
    >>> posts = pd.DataFrame({"post_id": ["p1"], "thread_id": ["p1"], "parent_id": [None],
    ...                       "author_id": ["ann"], "created_at": t("2024-01-20"), "text": ["hi"]})
    >>> items = pd.DataFrame({"item_id": ["a1", "a2", "b1"], "issue_id": ["jan", "jan", "feb"],
    ...                       "newsletter": ["Post"] * 3, "author_id": ["ann", None, "bob"],
    ...                       "published_at": t("2024-01-05", "2024-01-05", "2024-02-05"),
    ...                       "text": ["", "", ""]})
    >>> events = pd.DataFrame({"member_id": ["ann", "bob", "cat", "cat"],
    ...                        "at": t("2024-01-05", "2024-01-05", "2024-01-05", "2024-02-05"),
    ...                        "kind": ["receive"] * 4, "form": ["newsletter"] * 4,
    ...                        "target_id": ["jan", "jan", "jan", "feb"]})
    >>> corpus = Corpus.from_frames(posts, events=events, newsletter_items=items)
    >>> frame = newsletters.summary(corpus).to_frame()
    >>> frame[["newsletter", "issues", "items", "member_items"]].values.tolist()
    [['Post', 2, 3, 2]]
    """

    frame: pd.DataFrame
    issues: pd.DataFrame
    contributors: pd.DataFrame
    recipients: pd.DataFrame
    parameters: dict

    def _display_rows(self) -> list[tuple[str, object]]:
        rows = [("newsletters", len(self.frame))]
        for row in self.frame.head(8).itertuples(index=False):
            rows.append((str(row.newsletter), f"{fmt(int(row.issues))} issues, {fmt(int(row.items))} items, "
                                              f"{fmt(int(row.contributors))} contributors, "
                                              f"{fmt(int(row.recipients))} recipients"))
        return rows + [("issues", self.issues), ("top", self.parameters.get("top"))]

    def to_frame(self) -> pd.DataFrame:
        """The per-newsletter table (counts int64, shares float), with the parameters in ``attrs``.

        The ``top`` column of :attr:`frame` (the parameter) is left out: it
        is in ``frame.attrs["parameters"]``, once.
        """
        frame = self.frame.drop(columns="top")
        frame.attrs["parameters"] = self.parameters
        return frame


def summary(corpus, *, top: int = 5, start=None, end=None,
            exclude_roles: tuple[str, ...] = schema.NON_PERSON_ROLES,
            uses: pluralism.FormsInUse | None = None) -> NewsletterSummary:
    """Cadence, authorship, contributors and reach of each newsletter.

    Parameters
    ----------
    corpus : peerscope.Corpus
        Any corpus (pandas or Dask engine).
    top : int
        How many leading contributors ``top_contributor_share`` covers.
    start, end : time-like, optional
        Analysis window ``[start, end)`` for items and events.
    exclude_roles : tuple of str
        Roles whose ids are not persons (not contributors, not recipients).
    uses : FormsInUse, optional
        A result of :func:`peerscope.pluralism.forms_in_use` for the same
        window and roles, to reuse for "active in another form"; computed
        when not given.

    Returns
    -------
    NewsletterSummary

    Raises
    ------
    peerscope.errors.PeerscopeError
        When ``top`` < 1 or ``uses`` was made for another window or roles.

    Examples
    --------
    Two issues a month apart; ann and bob wrote items, staff one; cat only
    received:

    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> from peerscope.pluralism import newsletters
    >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
    >>> posts = pd.DataFrame({"post_id": ["p1"], "thread_id": ["p1"], "parent_id": [None],
    ...                       "author_id": ["ann"], "created_at": t("2024-01-20"), "text": ["hi"]})
    >>> items = pd.DataFrame({"item_id": ["a1", "a2", "b1"], "issue_id": ["jan", "jan", "feb"],
    ...                       "newsletter": ["Post"] * 3, "author_id": ["ann", None, "bob"],
    ...                       "published_at": t("2024-01-05", "2024-01-05", "2024-02-05"),
    ...                       "text": ["", "", ""]})
    >>> events = pd.DataFrame({"member_id": ["ann", "bob", "cat", "cat"],
    ...                        "at": t("2024-01-05", "2024-01-05", "2024-01-05", "2024-02-05"),
    ...                        "kind": ["receive"] * 4, "form": ["newsletter"] * 4,
    ...                        "target_id": ["jan", "jan", "jan", "feb"]})
    >>> corpus = Corpus.from_frames(posts, events=events, newsletter_items=items)
    >>> result = newsletters.summary(corpus)
    >>> result.issues["gap_days"].tolist()
    [nan, 31.0]
    >>> result.recipients[["member_id", "passive_only"]].values.tolist()
    [['ann', False], ['bob', False], ['cat', True]]
    """
    if int(top) < 1:
        raise errors.PeerscopeError(f"top must be at least 1, not {top}")
    top = int(top)
    window = corpus.time_window.narrow(start, end)
    exclude_roles = tuple(exclude_roles)
    if uses is None:
        uses = pluralism.forms_in_use(corpus, start=window.start, end=window.end,
                                      exclude_roles=exclude_roles)
    elif (uses.start, uses.end, uses.exclude_roles) != (window.start, window.end, exclude_roles):
        raise errors.PeerscopeError(
            "uses was computed for another window or other roles: "
            f"{uses.start}..{uses.end} {uses.exclude_roles} vs {window.start}..{window.end} {exclude_roles}")
    release_freed_memory()   # what the step before freed (e.g. the measures of ``uses``)
    non_persons = pluralism.ids_with_roles(corpus, exclude_roles)
    items = engine.collect(corpus.newsletter_items(
        columns=["item_id", "issue_id", "newsletter", "published_at", "author_id"],
        start=window.start, end=window.end))
    items = items.assign(by_member=items["author_id"].notna() & ~items["author_id"].isin(non_persons))
    issue_map = items[["issue_id", "newsletter"]].drop_duplicates()
    names = sorted(items["newsletter"].unique().tolist())
    matched, unmatched = _matched_members(corpus, names, issue_map, window)
    recipients, contributed = matched["receive"], matched["contribute"]
    recipients = recipients[~recipients["member_id"].isin(non_persons)]
    contributed = contributed[~contributed["member_id"].isin(non_persons)]

    elsewhere = pd.Series(uses.active_in([form for form in pluralism.FORMS if form != "newsletter"]))

    issues = _issues(items)
    written = (items[items["by_member"]].groupby(["newsletter", "author_id"]).size()
               .rename("items").reset_index().rename(columns={"author_id": "member_id"}))
    contributors = (pd.concat([written, contributed.assign(items=0)], ignore_index=True)
                    .groupby(["newsletter", "member_id"], as_index=False)["items"].sum())
    contributors["items"] = contributors["items"].astype(np.int64)
    received = pd.MultiIndex.from_frame(recipients[["newsletter", "member_id"]])
    contributors["receives"] = pd.MultiIndex.from_frame(
        contributors[["newsletter", "member_id"]]).isin(received)
    contributors["active_elsewhere"] = _is_in(contributors["member_id"], elsewhere)
    contributor_keys = pd.MultiIndex.from_frame(contributors[["newsletter", "member_id"]])
    recipients = recipients.sort_values(["newsletter", "member_id"], ignore_index=True)
    recipients["contributes"] = pd.MultiIndex.from_frame(
        recipients[["newsletter", "member_id"]]).isin(contributor_keys)
    recipients["active_elsewhere"] = _is_in(recipients["member_id"], elsewhere)
    recipients["passive_only"] = ~recipients["contributes"] & ~recipients["active_elsewhere"]

    rows = [_newsletter_row(name, issues, items, contributors, recipients, top) for name in names]
    frame = pd.DataFrame(rows, columns=_COLUMNS)
    parameters = {"top": top,
                  "start": None if window.start is None else window.start.isoformat(),
                  "end": None if window.end is None else window.end.isoformat(),
                  "exclude_roles": list(exclude_roles),
                  "recipient_match": "receive events with channel == newsletter or "
                                     "target_id in its issue ids",
                  "unmatched_receive_events": unmatched,
                  "active_kinds": list(uses.active_kinds)}
    return NewsletterSummary(frame=frame, issues=issues,
                             contributors=contributors.sort_values(["newsletter", "member_id"],
                                                                   ignore_index=True),
                             recipients=recipients, parameters=parameters)


def _is_in(values: pd.Series, candidates: pd.Series) -> np.ndarray:
    """``values.isin(candidates)`` for string ids, hashed by pyarrow (pandas' string
    ``isin`` walks the candidates in Python, slow for 100,000s of ids)."""
    found = pc.is_in(pa.array(values, type=pa.string()),
                     value_set=pa.array(candidates, type=pa.string()).unique())
    return found.to_numpy(zero_copy_only=False).astype(bool)


_COLUMNS = ["newsletter", "issues", "first_issue", "last_issue", "gap_days_mean",
            "gap_days_median", "gap_days_cv", "items", "items_per_issue", "member_items",
            "member_item_share", "contributors", "contributors_per_issue", "top",
            "top_contributor_share", "recipients", "passive_only_recipients",
            "contributors_receiving", "contributors_active_elsewhere"]


def _issues(items: pd.DataFrame) -> pd.DataFrame:
    """One row per issue with its date, item counts, contributors and gap to the previous issue."""
    member_authors = items["author_id"].where(items["by_member"])
    issues = (items.assign(member_author=member_authors)
              .groupby(["newsletter", "issue_id"], sort=False)
              .agg(published_at=("published_at", "min"), items=("item_id", "size"),
                   member_items=("by_member", "sum"), contributors=("member_author", "nunique"))
              .reset_index()
              .sort_values(["newsletter", "published_at", "issue_id"], ignore_index=True))
    for column in ("items", "member_items", "contributors"):
        issues[column] = issues[column].astype(np.int64)
    gaps = issues.groupby("newsletter", sort=False)["published_at"].diff()
    issues["gap_days"] = gaps.dt.total_seconds() / 86400.0
    return issues


def _newsletter_row(name, issues, items, contributors, recipients, top) -> list:
    mine = issues[issues["newsletter"] == name]
    gaps = mine["gap_days"].dropna()
    mean_gap = float(gaps.mean()) if len(gaps) else np.nan
    cv = float(gaps.std(ddof=1) / mean_gap) if len(gaps) >= 2 and mean_gap > 0 else np.nan
    n_items = int(mine["items"].sum())
    member_items = int(mine["member_items"].sum())
    people = contributors[contributors["newsletter"] == name]
    counts = np.sort(people["items"].to_numpy())[::-1]
    top_share = float(counts[:top].sum() / member_items) if member_items else np.nan
    readers = recipients[recipients["newsletter"] == name]
    return [name, len(mine), mine["published_at"].min(), mine["published_at"].max(),
            mean_gap, float(gaps.median()) if len(gaps) else np.nan, cv,
            n_items, n_items / len(mine), member_items,
            member_items / n_items if n_items else np.nan,
            len(people), float(mine["contributors"].mean()), top, top_share,
            len(readers), int(readers["passive_only"].sum()), int(people["receives"].sum()),
            int(people["active_elsewhere"].sum())]


def _newsletter_of(events: pd.DataFrame, issue_map: pd.DataFrame) -> pd.DataFrame:
    """``events`` joined to the newsletter(s) of their ``target_id`` (an issue id of ``issue_map``)."""
    return events.merge(issue_map, left_on="target_id", right_on="issue_id")


def _matched_members(corpus, names: list[str], issue_map: pd.DataFrame,
                     window) -> tuple[dict[str, pd.DataFrame], int]:
    """Distinct (newsletter, member_id) of ``receive`` and ``contribute`` events matched
    to a newsletter, and the number of ``receive`` events that matched none.

    An event matches newsletter N when its ``channel`` is N or its
    ``target_id`` is an issue id of N (an issue id several newsletters share
    matches all of them).  On the pandas engine the events (46M at 10M
    posts) are streamed once through the columnar engine
    (:func:`peerscope._kernels.columnar.newsletter_members`): about 8 CPU s
    at 10M posts, where batches of pandas strings took 20-30 s and 300 MB
    more memory; on Dask the workers find them in one graph.
    """
    kinds = ("receive", "contribute")
    if not corpus.has_table("events"):
        empty = pd.DataFrame({"newsletter": pd.Series(dtype="str"), "member_id": pd.Series(dtype="str")})
        return {kind: empty for kind in kinds}, 0
    available = corpus.manifest["tables"]["events"]["columns"]
    links = [c for c in ("channel", "target_id") if c in available]
    if corpus.engine == "pandas":
        # kind and channel (a few values) read as their Parquet dictionaries: about 30% less CPU
        # at 10M posts; ids (a million members, millions of targets) are faster read plain
        batches = corpus.arrow_batches("events", ["member_id", "kind"] + links, start=window.start,
                                       end=window.end, batch_size=1 << 18, dictionary=("kind", "channel"))
        issues = pa.table({c: pa.array(issue_map[c], type=pa.string()) for c in ("issue_id", "newsletter")})
        return columnar.newsletter_members(batches, names, issues)
    events = corpus.events(columns=["member_id", "kind"] + links, start=window.start, end=window.end)
    events = events[events["kind"].isin(list(kinds))]
    columns = ["kind", "newsletter", "member_id"]
    by_channel = events["channel"].isin(names) if "channel" in links else None
    by_target = events["target_id"].isin(issue_map["issue_id"].unique().tolist()) if "target_id" in links else None
    found = [pd.DataFrame({c: pd.Series(dtype="str") for c in columns})]
    if by_channel is not None:
        found.append(engine.collect(engine.distinct(events[by_channel], ["kind", "member_id", "channel"]))
                     .rename(columns={"channel": "newsletter"})[columns])
    if by_target is not None:
        # each issue id turned into its newsletter(s) on the workers before the distinct pairs are
        # taken: one row per (kind, member, newsletter), not per issue received
        targets = events[by_target][["kind", "member_id", "target_id"]]
        found.append(engine.collect(engine.distinct(
            targets.map_partitions(_newsletter_of, issue_map, meta=_newsletter_of(targets._meta, issue_map.iloc[:0])),
            columns)))
    pairs = pd.concat(found, ignore_index=True).drop_duplicates(ignore_index=True)
    matched = [m for m in (by_channel, by_target) if m is not None]
    matched = matched[0] | matched[1] if len(matched) == 2 else (matched[0] if matched else False)
    flagged = events.assign(matched=matched)
    flagged = flagged[flagged["kind"] == "receive"]
    unmatched = int(engine.count_by(flagged, "matched").get(False, 0))
    pairs = pairs.astype({c: "str" for c in columns})
    out = {}
    for kind in kinds:
        mine = pairs.loc[pairs["kind"] == kind, ["newsletter", "member_id"]]
        out[kind] = mine.sort_values(["newsletter", "member_id"], ignore_index=True)
    return out, unmatched
