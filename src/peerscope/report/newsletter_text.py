"""What newsletters say beside the forum: the "Newsletter text" section of the report.

Peer-written newsletters are one of the forms of peer support the seed study
is about.  When a corpus holds newsletter items with text, this section puts
them and the forum's posts in one topic space and compares them:

``newsletter_topic_odds``
    A topic model fitted on posts and items together
    (``topics.fit(corpus, k, table="all")``, NMF as the report's other
    topics), and per topic the odds that an item rather than a post is
    dominated by it: :func:`peerscope.topics.compare_groups` with the group
    newsletter items against forum posts (Woolf intervals, chi-square,
    Holm-adjusted p), the statistics of super-users against other posters
    (Carron-Arthur et al. 2016).  Without posts in the window, the topics
    of the items alone (``newsletter_topics``).
``newsletter_topic_echo``
    Whether newsletter topics follow the forum's: per topic, the lag in
    months (0-6) at which the newsletter's monthly topic prevalence
    correlates best with the forum's earlier prevalence
    (:func:`peerscope.topics.lagged_echo`).
``newsletter_support_by_form``
    Shares of emotional, informational and other support in newsletter
    items against forum posts (the labels of
    :func:`peerscope.support.classify` with ``table="all"``), with percentile
    bootstrap intervals (:func:`peerscope.support.prevalence` by group).
``newsletter_support_by_writer``
    The same shares in items written by members against items written by
    staff: an item with a null ``author_id`` (staff or unsigned, as the
    schema defines it; the newsletter loader's ``staff=`` names become null
    authors) or whose author has the role ``staff`` in the members table.

:func:`topic_prevalence_by_source` draws the monthly topic prevalence of
the two forms, one panel each.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from peerscope._kernels import engine
from peerscope._kernels.display import STYLES, style_axes
from peerscope.errors import PeerscopeError
from peerscope.report.content import topic_model
from peerscope.report.figures import _figure, _styled
from peerscope.report.suppression import Protection
from peerscope.report.tables import Table

__all__ = ["FORMS", "WRITERS", "newsletter_text_tables", "topic_prevalence_by_source"]

#: Row groups of the support-by-form table: source -> label.
FORMS = {"posts": "forum posts", "newsletter_items": "newsletter items"}
#: Row groups of the support-by-writer table: key -> label.
WRITERS = {"members": "items by members", "staff": "items by staff or unsigned"}
#: Topics drawn in the figure (the most prevalent; the styles stay distinguishable in grey).
_FIGURE_TOPICS = len(STYLES)


def newsletter_text_tables(corpus, *, topics="auto", support="forum", min_cell: int = 5, random_state=0,
                           max_lag: int = 6, progress: bool = False,
                           post_labels: pd.DataFrame | None = None) -> tuple[list, dict, str | None]:
    """The tables of the "Newsletter text" section, the results behind them, or why there are none.

    Parameters
    ----------
    corpus : peerscope.Corpus
        The corpus, already narrowed to the analysis window.
    topics : "auto", int, TopicModel or None
        ``"auto"`` fits NMF on posts and items together with k chosen by
        :func:`peerscope.topics.fit`'s sweep, a number fixes k, a model
        fitted with ``table="all"`` (or ``"newsletter_items"``) is used as
        given, None leaves topics out.
    support : "forum", model or None
        ``"forum"``: the shipped :func:`peerscope.support.pretrained` model;
        any fitted model with ``predict_frame``; None leaves support types out.
    min_cell : int
        K of small-cell suppression: the ``authors`` cells below it are
        hidden with the shares that rest on them.
    random_state : int
        Seed of the topic model and of the bootstrap.
    max_lag : int
        Longest lag, in months, of :func:`peerscope.topics.lagged_echo`.
    progress : bool
        Progress bars of the fit and the labelling.
    post_labels : DataFrame, optional
        ``post_id, label, author_id`` of the posts, already labelled by the
        model ``support`` (the report's support section): only the items
        are labelled then, and the posts are not read again.

    Returns
    -------
    tables : list of peerscope.report.tables.Table
        In the order of the section.
    results : dict
        ``newsletter_topics`` (the model), ``newsletter_topic_odds``,
        ``newsletter_topic_echo``, ``newsletter_topic_monthly`` (monthly
        prevalence per source), ``newsletter_support`` (one row per labelled
        document), ``newsletter_support_by_form``,
        ``newsletter_support_by_writer``, and ``not_computed`` (a list of
        "what: not computed (why)" lines for the parts left out).
    reason : str or None
        Why the section has nothing (no newsletter items, or none with
        text); None when it has tables.

    Examples
    --------
    >>> from peerscope.datasets.synth import generate
    >>> corpus, truth = generate(2000, seed=2, months=12)
    >>> tables, results, reason = newsletter_text_tables(corpus, topics=6, random_state=0)
    >>> reason, len(tables), tables[0].name
    (None, 4, 'newsletter_topic_odds')
    >>> int(results["newsletter_topic_echo"]["best_lag"].eq(truth.newsletter_topic_lag).sum()) >= 4
    True
    """
    if isinstance(min_cell, bool) or not isinstance(min_cell, (int, np.integer)) or min_cell < 1:
        raise PeerscopeError(f"min_cell={min_cell!r}: expected a whole number >= 1")
    if not corpus.has_table("newsletter_items"):
        return [], {}, "the corpus has no newsletter items"
    items = _item_writers(corpus)
    if not len(items) or not items["has_text"].any():
        return [], {}, "no newsletter item in the window has text"
    no_support = support is None or (isinstance(support, str) and support.lower() == "none")
    # the posts' text is looked at only when something is fitted or labelled
    has_posts = (topics is not None or not no_support) and _has_post_text(corpus)
    table = "all" if has_posts else "newsletter_items"
    tables, not_computed = [], []
    results = {"not_computed": not_computed}
    seed = int(random_state or 0)
    model, why = _model(corpus, topics, table, seed, progress)
    if model is None:
        not_computed.append(f"newsletter topics: not computed ({why})")
    else:
        results["newsletter_topics"] = model
        _topic_tables(model, has_posts, max_lag, tables, results, not_computed)
    if no_support:
        not_computed.append("newsletter support types: not computed (not asked for, support=None)")
    else:
        _support_tables(corpus, support, table, items, min_cell, seed, progress, tables, results, not_computed,
                        post_labels)
    return tables, results, None


# ---------------------------------------------------------------------------
# Topics
# ---------------------------------------------------------------------------

def _model(corpus, option, table: str, seed: int, progress: bool):
    """The joint topic model: ``(model, None)`` or ``(None, reason)``."""
    from peerscope import topics

    if isinstance(option, topics.TopicModel) and (
            "source" not in option.docs or not option.docs["source"].eq("newsletter_items").any()):
        raise PeerscopeError("topics: the model given holds no newsletter items; fit it with "
                             "topics.fit(corpus, k, table='all')")
    return topic_model(corpus, option, seed=seed, progress=progress, table=table)


def _topic_tables(model, has_posts: bool, max_lag: int, tables: list, results: dict, not_computed: list):
    """Topic odds (or the items' topics alone), the lagged echo, and the monthly prevalence per source."""
    from peerscope import topics

    terms = model.summary(8).set_index("topic")["terms"]
    both = has_posts and set(model.docs["source"].dropna()) >= set(FORMS)
    if not both:
        dominant = model.dominant_topics()
        counted = dominant[dominant >= 0]
        share = np.bincount(counted, minlength=model.k) / max(len(counted), 1)
        frame = pd.DataFrame({"label": model.topic_names(), "terms": terms.to_numpy(),
                              "newsletter_share": share}, index=pd.Index(range(model.k), name="topic"))
        tables.append(Table("newsletter_topics", "Topics of newsletter items", frame, notes=[
            f"NMF with k = {model.k} topics on {len(model.docs):,} newsletter items (no forum posts with "
            "text in the window, so no comparison with the forum); newsletter_share: items whose "
            "largest topic share is the topic (counts of items, not people)."]))
        not_computed.append("newsletter topics against the forum's, and their echo over time: not computed "
                            "(no forum posts with text in the window)")
        return
    comparison = topics.prevalence(model, by="source")
    results["newsletter_topic_odds"] = comparison
    frame = comparison.set_index("topic")[["label", "group_share", "other_share", "odds_ratio", "ci_low",
                                           "ci_high", "p_value", "p_holm"]]
    frame = frame.rename(columns={"group_share": "newsletter_share", "other_share": "forum_share"})
    frame.insert(1, "terms", terms.reindex(frame.index).to_numpy())
    attrs = comparison.attrs
    tables.append(Table("newsletter_topic_odds", "Topics of newsletter items against forum posts", frame, notes=[
        f"NMF with k = {model.k} topics fitted on {attrs['n_other_posts']:,} forum posts and "
        f"{attrs['n_group_posts']:,} newsletter items together (one topic space). Shares of documents "
        "dominated by each topic; odds ratios of an item against a post being dominated by it, with "
        f"{attrs['confidence']:.0%} intervals ({attrs['interval']}), {attrs['test']} and Holm-adjusted "
        "p-values over the topics, as for super-users (Carron-Arthur et al. 2016). Counts of documents, "
        "not people."]))
    results["newsletter_topic_monthly"] = topics.over_time(model, "M", by_source=True)
    try:
        echo = topics.lagged_echo(model, max_lag=max_lag)
    except PeerscopeError as error:
        not_computed.append(f"newsletter topic echo: not computed ({error})")
        return
    results["newsletter_topic_echo"] = echo
    if echo["best_lag"].isna().all():
        not_computed.append(f"newsletter topic echo: not computed (no topic has {echo.attrs['min_months']} "
                            "months with both forum posts and newsletter items at any lag)")
        return
    columns = ["label", "best_lag", "correlation", "n_months", "p_value", "p_bonferroni",
               *[c for c in echo.columns if c.startswith("r_lag_")]]
    frame = echo.set_index("topic")[columns].astype(object)
    frame = frame.where(pd.notna(frame), None)
    notes = [f"Per topic: the Pearson correlation across months m of the newsletter's mean topic share in "
             f"month m with the forum's in month m - lag, for lags 0 to {echo.attrs['max_lag']} months "
             f"(r_lag_*); best_lag has the highest (ties: the shorter lag), over n_months pairs of months "
             f"(at least {echo.attrs['min_months']}). p_value tests that correlation; p_bonferroni "
             "multiplies it by the number of lags tried, since the best was chosen. Correlations of "
             "levels: a trend shared by both forms raises every lag alike."]
    tables.append(Table("newsletter_topic_echo", "Do newsletter topics follow the forum's? Best lag per topic",
                        frame, notes=notes))


# ---------------------------------------------------------------------------
# Support types
# ---------------------------------------------------------------------------

def _support_tables(corpus, option, table: str, items: pd.DataFrame, min_cell: int, seed: int, progress: bool,
                    tables: list, results: dict, not_computed: list, post_labels: pd.DataFrame | None):
    """Support shares by form (items against posts) and by writer (members against staff)."""
    from peerscope import support as support_types

    if isinstance(option, str):
        if option not in support_types.PRETRAINED:
            raise PeerscopeError(f"support={option!r}: give one of {sorted(support_types.PRETRAINED)}, "
                                 "a fitted model or None")
        model = support_types.pretrained(option)
    elif hasattr(option, "predict_frame"):
        model = option
    else:
        raise PeerscopeError(f"support={option!r}: give 'forum', a fitted model or None")
    if table == "all" and post_labels is not None:
        labels = pd.concat([
            pd.DataFrame({"doc_id": post_labels["post_id"].astype("str").to_numpy(), "source": "posts",
                          "label": post_labels["label"].to_numpy()}),
            support_types.classify(corpus, model, table="newsletter_items",
                                   progress=progress)[["doc_id", "source", "label"]]], ignore_index=True)
    else:
        labels = support_types.classify(corpus, model, table=table,
                                        progress=progress)[["doc_id", "source", "label"]]
    authors = [items.assign(source="newsletter_items")[["doc_id", "source", "author_id", "writer"]]]
    if table == "all":
        # the posts' authors: with the labels when given, else read (no second read of the posts)
        posts = (post_labels if post_labels is not None
                 else engine.collect(corpus.posts(columns=["post_id", "author_id"])))
        authors.append(pd.DataFrame({"doc_id": posts["post_id"].astype("str"), "source": "posts",
                                     "author_id": posts["author_id"], "writer": None}))
    labelled = labels.merge(pd.concat(authors, ignore_index=True), on=["doc_id", "source"], how="left",
                            validate="one_to_one")
    results["newsletter_support"] = labelled
    if table == "all" and labelled["source"].nunique() == 2:
        shares = _shares(labelled, "source", FORMS, seed)
        results["newsletter_support_by_form"] = shares
        tables.append(_shares_table("newsletter_support_by_form", "Support types in newsletter items and forum "
                                    "posts", shares, FORMS, "form", min_cell))
    else:
        not_computed.append("support types of newsletter items against forum posts: not computed "
                            "(no forum posts with text in the window)")
    written = labelled[labelled["source"] == "newsletter_items"]
    if written["writer"].nunique() == 2:
        shares = _shares(written, "writer", WRITERS, seed)
        results["newsletter_support_by_writer"] = shares
        tables.append(_shares_table("newsletter_support_by_writer", "Support types in newsletter items by "
                                    "members and by staff", shares, WRITERS, "writer", min_cell))
    else:
        who = written["writer"].dropna().unique().tolist()
        not_computed.append(f"support types of members' against staff items: not computed (all items are "
                            f"by {WRITERS.get(who[0], 'one kind of writer') if who else 'unknown writers'})")


def _shares(labelled: pd.DataFrame, by: str, groups: dict, seed: int) -> pd.DataFrame:
    """Share of each label per group, with a percentile bootstrap interval, documents and authors counted."""
    from peerscope import support as support_types

    shares = support_types.prevalence(labelled["label"], groups=labelled[by], random_state=seed)
    counts = labelled.groupby([by, "label"]).size()
    authors = labelled.groupby(by)["author_id"].nunique()
    shares["documents"] = [int(counts.get((g, label), 0)) for g, label in zip(shares["group"], shares["label"])]
    shares["authors"] = shares["group"].map(authors).fillna(0).astype(int).to_numpy()
    order = {g: i for i, g in enumerate(groups)}
    shares = shares.sort_values(["group", "label"], key=lambda s: s.map(order) if s.name == "group" else s,
                                kind="stable").reset_index(drop=True)
    return shares[["group", "label", "documents", "authors", "n", "raw_share", "ci_low", "ci_high",
                   "confidence", "n_boot_used"]]


def _shares_table(name: str, title: str, shares: pd.DataFrame, groups: dict, column: str, min_cell: int) -> Table:
    """A support-shares table: rows ``<group>.<label>``, authors protected, shares hidden with them."""
    frame = pd.DataFrame({column: shares["group"].map(groups).to_numpy(),
                          "support_type": shares["label"].to_numpy(),
                          "documents": shares["documents"].to_numpy(), "authors": shares["authors"].to_numpy(),
                          "share": shares["raw_share"].to_numpy(), "ci_low": shares["ci_low"].to_numpy(),
                          "ci_high": shares["ci_high"].to_numpy()},
                         index=pd.Index(shares["group"] + "." + shares["label"], name="row")).astype(object)
    protection = Protection()
    protection.count_column("authors", list(frame.index))
    for row in frame.index:
        for cell in ("share", "ci_low", "ci_high"):
            protection.derive((row, cell), [(row, "authors")])
    confidence = float(shares["confidence"].iloc[0]) if len(shares) else 0.95
    notes = [f"Share of documents of each group the support classifier labels with each type, with "
             f"{confidence:.0%} percentile bootstrap intervals of the documents' sampling error "
             "(peerscope.support.prevalence by group, raw classify-and-count: the classifier's own "
             "errors are not in the interval). documents counts the group's documents with that label, "
             "authors the distinct known authors of the group's documents; the shares of a group with "
             f"fewer than {min_cell} authors are hidden with its author count."]
    if column == "writer":
        notes.append("Staff or unsigned: items with no member author (null author_id, which the newsletter "
                     "loader gives items signed by staff) and items whose author has the role 'staff'.")
    return Table(name, title, frame, protection, notes)


def _item_writers(corpus) -> pd.DataFrame:
    """Each newsletter item: ``doc_id, author_id, writer`` (members / staff), ``has_text``."""
    frame = engine.collect(corpus.newsletter_items(columns=["item_id", "author_id", "text"]))
    staff = set()
    if corpus.has_table("members"):
        members = corpus.members(columns=["member_id", "role"])
        is_staff = (members["role"] == "staff").fillna(False)
        staff = set(engine.collect(members.loc[is_staff, "member_id"]).astype("str"))
    is_staff = frame["author_id"].isna() | frame["author_id"].astype("str").isin(staff)
    text = frame["text"].fillna("").astype("str").str.strip()
    return pd.DataFrame({"doc_id": frame["item_id"].astype("str").to_numpy(),
                         "author_id": frame["author_id"].to_numpy(),
                         "writer": np.where(is_staff.to_numpy(), "staff", "members"),
                         "has_text": (text != "").to_numpy()})


def _has_post_text(corpus) -> bool:
    """Whether any post in the window has text."""
    for batch in corpus.iter_batches("posts", ["text"]):
        if batch["text"].fillna("").astype("str").str.strip().ne("").any():
            return True
    return False


# ---------------------------------------------------------------------------
# Figure
# ---------------------------------------------------------------------------

@_styled
def topic_prevalence_by_source(monthly: pd.DataFrame, footer: str, min_documents: int = 1):
    """Monthly mean topic share in forum posts (top panel) and newsletter items (bottom panel).

    The most prevalent topics overall (as many as the report's line styles)
    are drawn, one line style per topic in both panels, so a topic the
    newsletter takes up after the forum shows as the same line a month or
    more later in the lower panel.

    Parameters
    ----------
    monthly : DataFrame
        :func:`peerscope.topics.over_time` with ``by_source=True``
        (``period, source, topic, label, n_documents, mean_share``).
    footer : str
        Small print under the plot (corpus, window, parameters).
    min_documents : int
        Months of a source with fewer documents are not drawn (the report
        passes its ``min_cell``).

    Returns
    -------
    matplotlib.figure.Figure or None
        None when there is no month of either source to draw.

    Examples
    --------
    >>> monthly = pd.DataFrame({"period": pd.to_datetime(["2024-01-01", "2024-02-01"] * 2, utc=True),
    ...     "source": ["posts", "posts", "newsletter_items", "newsletter_items"], "topic": [0] * 4,
    ...     "label": ["sleep"] * 4, "n_documents": [9, 9, 5, 5], "mean_share": [0.2, 0.4, 0.1, 0.3]})
    >>> fig = topic_prevalence_by_source(monthly, "tiny")
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['Forum posts', 'Newsletter items']
    """
    kept = monthly[monthly["n_documents"] >= min_documents]
    if not len(kept):
        return None
    overall = kept.groupby("topic")["mean_share"].mean().sort_values(ascending=False, kind="stable")
    shown = overall.index[:_FIGURE_TOPICS]
    labels = kept.drop_duplicates("topic").set_index("topic")["label"]
    fig, axes = _figure(footer, rows=2)
    for ax, source in zip(axes, FORMS):
        part = kept[kept["source"] == source]
        for (style, marker, grey), topic in zip(STYLES, shown):
            line = part[part["topic"] == topic].sort_values("period")
            ax.plot(line["period"].dt.tz_localize(None), line["mean_share"].to_numpy(), color=grey,
                    linestyle=style, marker=marker, markersize=2.5, markerfacecolor="none",
                    label=str(labels.get(topic, topic))[:30])
        ax.set_ylabel(FORMS[source].capitalize())
        ax.set_ylim(bottom=0)
        style_axes(ax)
    axes[0].set_title("Topic prevalence by month (mean topic share)")
    axes[1].set_xlabel("Month")
    axes[1].tick_params(axis="x", labelrotation=30)
    axes[1].legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.45), ncols=3)
    return fig
