"""From a corpus to the tables, figures and methods paragraph of a paper.

:func:`build` runs every metric the corpus can support (what it can is
decided by :func:`peerscope.corpus.description.describe`), turns the results into
tables (:mod:`peerscope.report.tables`) and figures
(:mod:`peerscope.report.figures`), suppresses small cells
(:mod:`peerscope.report.suppression`) and writes the methods paragraph
(:mod:`peerscope.report.methods`) from the parameters actually used.  A
section the corpus cannot support is left out with its reason ("not
computed: ..."), never filled with placeholders.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from peerscope import __version__
from peerscope.corpus import description as describe_module
from peerscope.participation import engagement as engagement_metrics
from peerscope import participation as participation_metrics
from peerscope import reciprocity as reciprocity_metrics
from peerscope.errors import PeerscopeError
from peerscope._kernels import engine
from peerscope.report import content
from peerscope.report import figures as figure_makers
from peerscope.report import newsletter_text
from peerscope.report import tables as table_makers
from peerscope.report.render import write as _write
from peerscope.report.suppression import suppress
from peerscope.participation.inequality import ceil_share
from peerscope.participation.superusers import ContentShare, LogOutlier, MinPosts, SuperUserRule, TopShare

__all__ = ["STAGES", "TEXT_SAMPLE", "Report", "ReportError", "build", "parse_super_users"]


class ReportError(PeerscopeError):
    """A report cannot be made with the options given (bad rule, timezone, format, empty corpus).

    Examples
    --------
    >>> try:
    ...     parse_super_users("top:2")
    ... except ReportError as error:
    ...     print(error)
    super-user rule 'top:2': a share must lie in (0, 1]
    """


#: Posts whose text the report reads at most by default (``text_sample`` of :func:`build`).
TEXT_SAMPLE = 500_000

#: Stages shown by the progress display.
STAGES = ("describe", "participation", "engagement", "reciprocity", "pluralism", "newsletters",
          "topics and support", "newsletter text", "figures", "suppression and methods")


def parse_super_users(spec) -> SuperUserRule:
    """A super-user rule from ``top:SHARE``, ``share:SHARE``, ``min:POSTS`` or ``log:K`` (or a rule, unchanged).

    A share is a proportion (``top:0.01``) or a percentage (``top:1%``);
    ``top:1`` and ``share:1`` (every poster) are refused, since they are
    almost always a percentage typed without its sign.

    Parameters
    ----------
    spec : str or SuperUserRule
        ``top:SHARE`` (:class:`~peerscope.participation.superusers.TopShare`),
        ``share:SHARE`` (:class:`~peerscope.participation.superusers.ContentShare`),
        ``min:POSTS`` (:class:`~peerscope.participation.superusers.MinPosts`) or
        ``log:K`` (:class:`~peerscope.participation.superusers.LogOutlier`).

    Returns
    -------
    SuperUserRule

    Raises
    ------
    ReportError
        For an unknown kind or a value out of range.

    Examples
    --------
    >>> parse_super_users("top:0.01")
    TopShare(share=0.01)
    >>> parse_super_users("top:5%")
    TopShare(share=0.05)
    >>> parse_super_users("min:100")
    MinPosts(posts=100)
    >>> parse_super_users("log:2")
    LogOutlier(k=2.0)
    """
    if isinstance(spec, SuperUserRule):
        return spec
    kind, _, value = str(spec).strip().partition(":")
    makers = {"top": TopShare, "share": ContentShare, "min": MinPosts, "log": LogOutlier}
    if kind not in makers or not value.strip():
        raise ReportError(f"super-user rule {spec!r}: use top:SHARE (e.g. top:0.01 or top:1%), "
                          "share:SHARE (e.g. share:0.5), min:POSTS (e.g. min:100) or log:K (e.g. log:2)")
    value = value.strip()
    try:
        if kind == "min":
            number = int(value)
            if number < 1:
                raise ValueError("a number of posts must be at least 1")
        elif kind == "log":
            number = float(value)
            if not number >= 0:
                raise ValueError("K (standard deviations) must be at least 0")
        else:
            number = float(value[:-1]) / 100 if value.endswith("%") else float(value)
            if not 0 < number <= 1:
                raise ValueError("a share must lie in (0, 1]")
            if number == 1 and not value.endswith("%"):
                raise ValueError(f"{kind}:1 would make every poster a super-user; for 1% write "
                                 f"{kind}:0.01 or {kind}:1%")
        return makers[kind](number)
    except ValueError as exc:
        raise ReportError(f"super-user rule {spec!r}: {exc}") from None


def check_timezone(timezone: str) -> str:
    """``timezone`` if it is a known IANA name, else :class:`ReportError`.

    Parameters
    ----------
    timezone : str

    Returns
    -------
    str
        ``timezone`` unchanged.

    Raises
    ------
    ReportError
        When the name is not a known IANA timezone.

    Examples
    --------
    >>> check_timezone("Europe/London")
    'Europe/London'
    >>> try:
    ...     check_timezone("Mars/Olympus")
    ... except ReportError as error:
    ...     print(str(error).split(" (")[0])
    unknown timezone 'Mars/Olympus'
    """
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ReportError(f"unknown timezone {timezone!r} (use an IANA name such as "
                          f"Europe/London): {exc}") from None
    return timezone


@dataclass(eq=False)
class Report:
    """The tables, figures and methods of one corpus (see :func:`build`).

    Attributes
    ----------
    tables : dict of str -> DataFrame
        Published tables (small cells suppressed), indexed by a row key.
    figures : dict of str -> matplotlib.figure.Figure
        Empty when matplotlib is missing or figures were not asked for.
    methods : str
        The methods paragraph and references, ready to paste.
    titles, notes : dict
        Caption of each table and figure; per table what was and was not
        measured, and why.
    not_computed : list of str
        Sections and figures left out, each with its reason.
    suppression : DataFrame
        One row per suppressed cell (``table, row, column, rule, because``).
    parameters : dict
        Everything that made the report.
    results : dict
        The metric results behind the tables (unsuppressed: for the analyst,
        not for publication).  Per-row detail no table shows is not kept,
        so that the report's memory does not grow with every stage: the
        forms in use of each member and period (call
        :func:`peerscope.pluralism.forms_in_use`), and the reply graph's
        per-post arrays (read again when ``results["reciprocity"].graph``
        is asked for its edges).

    Examples
    --------
    Four roster members, two posters.  With the default ``min_cell=5`` the
    counts of fewer than 5 people are suppressed in the published tables:

    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2", "p3", "p4"],
    ...     "thread_id": ["p1", "p1", "p1", "p4"], "parent_id": [None, "p1", "p2", None],
    ...     "author_id": ["ann", "bob", "ann", "ann"], "text": ["a", "b", "c", "d"],
    ...     "created_at": pd.to_datetime(["2024-01-01 20:00", "2024-01-02 21:00",
    ...                                   "2024-01-03 09:00", "2024-02-01 10:00"], utc=True)})
    >>> members = pd.DataFrame({"member_id": ["ann", "bob", "cat", "dan"]})
    >>> corpus = Corpus.from_frames(posts, members)
    >>> report = build(corpus, replicates=50, figures=False)
    >>> report.tables["participation"].loc[["members", "posters"], "value"].tolist()
    ['<5', '<5']
    >>> report.summary_line()
    "report: lurkers suppressed; super-users' share of posts 75.0%; Gini (members) 0.625"
    >>> build(corpus, replicates=50, figures=False, min_cell=1).headline()["lurker_share"]
    0.5
    """

    tables: dict
    figures: dict
    methods: str
    titles: dict
    notes: dict
    not_computed: list
    suppression: pd.DataFrame
    parameters: dict
    results: dict = field(repr=False)

    def headline(self) -> dict:
        """The three headline numbers as published: lurker share, super-user share, Gini."""
        table = self.tables["participation"]
        gini = "gini_members" if table.at["gini_members", "value"] is not None else "gini_posters"
        return {"lurker_share": table.at["lurker_share", "value"],
                "super_user_share": table.at["super_user_share", "value"],
                gini: table.at[gini, "value"]}

    def summary_line(self, where: str | None = None) -> str:
        """One line: where the report is and the three headline numbers."""
        parts = []
        for name, value in self.headline().items():
            shown = value if isinstance(value, str) else (
                "n/a" if value is None else f"{value:.1%}" if "share" in name else f"{value:.3f}")
            label = {"lurker_share": "lurkers", "super_user_share": "super-users' share of posts",
                     "gini_members": "Gini (members)", "gini_posters": "Gini (posters)"}[name]
            parts.append(f"{label} {shown}")
        prefix = f"report written to {where}" if where else "report"
        return f"{prefix}: " + "; ".join(parts)

    def write(self, out, formats=("md", "csv", "tex"), figure_formats=("png",)) -> Path:
        """Write the report to folder ``out`` (see :func:`peerscope.report.render.write`)."""
        return _write(self, out, formats=formats, figure_formats=figure_formats)


class _Progress:
    """A tqdm bar over the stages (silent when ``enabled`` is False)."""

    def __init__(self, enabled: bool):
        self.bar = None
        self.started = False
        if enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=len(STAGES), desc="report", unit="stage", leave=False)

    def stage(self, name: str) -> None:
        if self.bar is not None:
            if self.started:
                self.bar.update(1)
            self.started = True
            self.bar.set_description(f"report: {name}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.update(self.bar.total - self.bar.n)
            self.bar.close()


def build(corpus, *, start=None, end=None, super_users="top:0.01", timezone: str = "UTC",
          min_cell: int = 5, withdrawal: str = "90D", replicates: int = 1000,
          random_state: int | None = 0, topics="auto", support="forum",
          text_sample: int | None = TEXT_SAMPLE, by: str | None = None, include_ids: bool = False,
          include_quotes: bool = False, figures: bool = True, progress: bool = False) -> Report:
    """Compute the tables, figures and methods paragraph of a paper from ``corpus``.

    Parameters
    ----------
    corpus : peerscope.Corpus
        Any corpus (pandas or Dask engine).
    start, end : time-like, optional
        Analysis window ``[start, end)`` (naive times are UTC).
    super_users : str or SuperUserRule
        ``"top:0.01"`` (default: top 1% of posters), ``"share:0.5"``,
        ``"min:100"``, or a rule object from :mod:`peerscope.participation.superusers`.
    timezone : str
        IANA timezone of the hour-of-day x weekday profile.
    min_cell : int
        K of small-cell suppression: counts of 1 .. K-1 people are hidden.
    withdrawal : str
        A poster has withdrawn after this long without a post (pandas
        Timedelta string).
    replicates, random_state
        Bootstrap of the Gini intervals.
    topics : "auto", int, peerscope.topics.TopicModel or None
        Topics of the posts: ``"auto"`` (default) fits a topic model with k
        chosen by coherence and stability across seeds, a number fixes k, a
        fitted model is used as given, None leaves topics out.
    support : "forum", path, model or None
        Support types of the posts: ``"forum"`` (default) labels them with
        the shipped forum model (:func:`peerscope.support.pretrained`), a
        path with a saved :class:`~peerscope.support.SupportClassifier`, a
        fitted model is used as given, None leaves support types out.
    text_sample : int or None
        Topics, support types and newsletter text are measured on a random
        sample of about this many posts when the window holds more
        (:meth:`peerscope.Corpus.sample_posts`, seeded by ``random_state``;
        default :data:`TEXT_SAMPLE`); None reads the text of every post.
        Every other measure uses every post.  Labelling and modelling text
        is the report's slowest part by far (about a minute per million
        posts on 2 cores), while a share estimated from 500,000 posts has a
        sampling standard error below 0.07 percentage points before
        clustering by author, which the author bootstrap of the support
        table adds.
    by : str, optional
        A member attribute (a column of ``members``, e.g. ``reason_joined``
        loaded with ``member_attributes=``): adds participation, tenure and
        reciprocity side by side for its groups, with intervals and tests
        (:mod:`peerscope.participation.groups`), small cells suppressed.
    include_ids, include_quotes : bool
        Put super-users' member ids / the most typical post of each topic
        in the report (off by default: reports carry no ids or post text).
    figures : bool
        Draw figures (needs matplotlib; without it the report notes why
        there are none).
    progress : bool
        Show a progress bar over the stages.

    Returns
    -------
    Report

    Examples
    --------
    >>> from peerscope.datasets import synth  # doctest: +SKIP
    >>> from peerscope.report import build                  # doctest: +SKIP
    >>> corpus, truth = synth.generate(20_000, seed=1)      # doctest: +SKIP
    >>> report = build(corpus)                              # doctest: +SKIP
    >>> report.tables["participation"].loc["lurker_share", "value"]  # doctest: +SKIP
    0.6
    >>> report.write("report")                              # doctest: +SKIP
    """
    rule = parse_super_users(super_users)
    timezone = check_timezone(timezone)
    if int(min_cell) < 1:
        raise ReportError(f"min_cell must be at least 1, not {min_cell}")
    min_cell = int(min_cell)
    if text_sample is not None and (isinstance(text_sample, bool) or not isinstance(text_sample, (int, np.integer))
                                    or text_sample < 1):
        raise ReportError(f"text_sample must be a whole number of posts (at least 1) or None, not {text_sample!r}")
    try:
        withdrawal = pd.Timedelta(withdrawal)
    except ValueError as exc:
        raise ReportError(f"withdrawal {withdrawal!r} is not a duration: {exc}") from None
    window = corpus.time_window.narrow(start, end)
    start, end = window.start, window.end
    bar = _Progress(progress)
    built: dict = {}
    not_computed: list = []
    results: dict = {}

    def add(table):
        built[table.name] = table

    bar.stage("describe")
    description = describe_module.describe(corpus.window(start, end))
    results["description"] = description
    if not description.rows["posts"]:
        raise ReportError(f"corpus {corpus.name!r} has no posts in the window "
                          f"[{start or 'open'}, {end or 'open'}): nothing to report")
    add(table_makers.overview(description, window, corpus.manifest))
    add(table_makers.measurability(description))

    bar.stage("participation")
    summary = participation_metrics.summary(corpus, start, end, super_users=rule,
                                            replicates=replicates, random_state=random_state)
    activity = participation_metrics.activity(corpus, start, end)
    results.update(participation=summary, activity=activity)
    add(table_makers.participation(summary, description))
    add(table_makers.bands(summary))
    add(table_makers.fits(summary))
    add(table_makers.ladder_levels(activity, participation_metrics.LADDER))
    if include_ids:
        ids = pd.DataFrame({"member_id": list(summary.super_users.member_ids)},
                           index=pd.Index(range(1, len(summary.super_users.member_ids) + 1), name="rank"))
        add(table_makers.Table("super_user_ids", "Super-users (member ids, by rank)", ids,
                               notes=["Included on request (include_ids); ids as in the corpus."]))

    bar.stage("engagement")
    results["delurking"] = engagement_metrics.delurking(corpus, start, end)
    results["ladder"] = engagement_metrics.ladder_by_month(corpus, start, end)
    results["frequency"] = engagement_metrics.frequency(corpus, start, end)
    results["survival"] = engagement_metrics.survival(corpus, start, end, withdrawal=withdrawal)
    results["time_profile"] = engagement_metrics.time_profile(corpus, start, end, timezone=timezone)
    add(table_makers.engagement(results["delurking"], results["ladder"], results["frequency"],
                                results["survival"], description))

    bar.stage("reciprocity")
    if description.can("reciprocity") or description.can("responsiveness"):
        results["reciprocity"] = reciprocity_metrics.summary(corpus, start, end)
    if description.can("reciprocity"):
        add(table_makers.reciprocity(results["reciprocity"], description))
    else:
        not_computed.append(_reason(description, "reciprocity"))
    if description.can("responsiveness"):
        add(table_makers.responsiveness(results["reciprocity"], description))
    else:
        not_computed.append(_reason(description, "responsiveness"))
    if "reciprocity" in results:
        results["reciprocity"].graph.release()  # its per-post arrays: read again if asked for

    if by is not None:
        _groups(corpus, start, end, by, rule, replicates, random_state, withdrawal, description, results, add,
                not_computed)

    bar.stage("pluralism")
    uses = _pluralism(corpus, description, window, results, add, not_computed)
    bar.stage("newsletters")
    _newsletters(corpus, description, window, uses, results, add, not_computed)
    del uses  # one row per member, period and form (35.8M at 10M posts): not kept in results

    bar.stage("topics and support")
    windowed = corpus.window(start, end)
    if topics is not None or support is not None:
        windowed = _text_sample(windowed, text_sample, description.rows["posts"], random_state)
    if windowed.sample is not None:
        results["text_sample"] = windowed.sample
    if description.can("topics and support types"):
        _topics(windowed, topics, summary, min_cell, include_quotes, random_state, progress,
                results, add, not_computed)
        _support(windowed, support, summary, replicates, random_state, progress, results, add,
                 not_computed)
    else:
        not_computed.append(_reason(description, "topics and support types"))
    bar.stage("newsletter text")
    joint = results["topics"].k if "topics" in results and topics is not None else topics
    _newsletter_text(windowed, joint, support, min_cell, random_state, progress, results, add,
                     not_computed)

    bar.stage("figures")
    footer = _footer(corpus, window, rule, min_cell)
    drawn, titles = {}, {}
    if figures:
        drawn, figure_titles = _figures(results, description, rule, timezone, min_cell, footer,
                                        not_computed)
        titles.update(figure_titles)
    else:
        not_computed.append("figures: not drawn (figures=False)")

    bar.stage("suppression and methods")
    published, log = suppress({n: t.frame for n, t in built.items()},
                              {n: t.protection for n, t in built.items()}, min_cell)
    parameters = {
        "peerscope_version": __version__, "corpus": corpus.name,
        "start": None if start is None else start.isoformat(),
        "end": None if end is None else end.isoformat(),
        "super_users": rule.describe(), "timezone": timezone, "min_cell": min_cell,
        "withdrawal": str(withdrawal), "gini_replicates": replicates, "random_state": random_state,
        "text_sample": text_sample,
        "by": by, "include_ids": include_ids, "include_quotes": include_quotes,
        "pseudonymised": bool(corpus.manifest.get("provenance", {}).get("parameters", {})
                              .get("pseudonymised", False)),
    }
    from peerscope.report.methods import methods_text

    methods = methods_text(results, parameters, built, log, drawn, not_computed)
    titles.update({n: t.title for n, t in built.items()})
    bar.close()
    return Report(tables=published, figures=drawn, methods=methods, titles=titles,
                  notes={n: list(t.notes) for n, t in built.items()}, not_computed=not_computed,
                  suppression=log, parameters=parameters, results=results)


def _groups(corpus, start, end, by: str, rule, replicates: int, random_state, withdrawal, description,
            results: dict, add, not_computed: list) -> None:
    """Participation, tenure and reciprocity side by side for the groups of member attribute ``by``."""
    comparison = participation_metrics.summary(corpus, start, end, super_users=rule, by=by,
                                               replicates=replicates, random_state=random_state)
    results["participation_by"] = comparison
    for table in table_makers.group_comparison(comparison, "participation_by_group",
                                               f"Participation by {by}"):
        add(table)
    comparison = engagement_metrics.survival(corpus, start, end, withdrawal=withdrawal, by=by)
    results["tenure_by"] = comparison
    for table in table_makers.group_comparison(comparison, "tenure_by_group", f"Tenure by {by}"):
        add(table)
    if description.can("reciprocity"):
        comparison = reciprocity_metrics.summary(corpus, start, end, by=by)
        results["reciprocity_by"] = comparison
        for table in table_makers.group_comparison(comparison, "reciprocity_by_group",
                                                   f"Reciprocity by {by}"):
            add(table)
    else:
        not_computed.append(_reason(description, "reciprocity", f"reciprocity by {by}"))


def _text_sample(corpus, posts: int | None, in_window: int, seed):
    """``corpus`` itself, or a :meth:`~peerscope.Corpus.sample_posts` view of about ``posts`` of its
    ``in_window`` posts when it has more."""
    if posts is None or in_window <= posts:
        return corpus
    return corpus.sample_posts(posts / in_window, seed=seed or 0)


def _reason(description, measure: str, section: str | None = None) -> str:
    reason = next(c.reason for c in description.capabilities if c.measure == measure)
    return f"{section or measure}: not computed ({reason})"


def _pluralism(corpus, description, window, results, add, not_computed):
    """The Side by Side curve, combinations, pathways and active/passive use of the forms in use.

    Returns the :class:`~peerscope.pluralism.FormsInUse` they were made from (None when not
    measurable) for the newsletters stage; the report does not keep it in its results.
    """
    try:
        from peerscope import pluralism
    except ImportError:
        not_computed.append("forms and pathways: not computed (peerscope.pluralism is not installed)")
        return None
    if not description.can("pluralistic use"):
        not_computed.append(_reason(description, "pluralistic use", "forms and pathways"))
        return None
    uses = pluralism.forms_in_use(corpus, start=window.start, end=window.end)
    results["forms_over_tenure"] = pluralism.forms_over_tenure(uses)
    results["combinations"] = pluralism.combinations(uses)
    results["pathways"] = pluralism.pathways(uses)
    results["active_passive"] = pluralism.active_passive(uses)
    add(table_makers.forms_over_tenure(results["forms_over_tenure"], pluralism.FORMS))
    for table in table_makers.combinations(results["combinations"]):
        add(table)
    for table in table_makers.pathways(results["pathways"]):
        add(table)
    add(table_makers.active_passive(results["active_passive"]))
    return uses


def _newsletters(corpus, description, window, uses, results, add, not_computed) -> None:
    try:
        from peerscope.pluralism import newsletters
    except ImportError:
        not_computed.append("newsletters: not computed (peerscope.pluralism.newsletters is not installed)")
        return
    if not description.can("newsletters"):
        not_computed.append(_reason(description, "newsletters"))
        return
    results["newsletters"] = newsletters.summary(corpus, start=window.start, end=window.end,
                                                 uses=uses)
    add(table_makers.newsletters(results["newsletters"]))


def _topics(corpus, option, summary, min_cell, include_quotes: bool, random_state, progress,
            results, add, not_computed) -> None:
    """The topic tables: topics, the sweep over k, super-users' odds ratios, quotes on request."""
    from peerscope.topics import coherence_baseline, compare_groups

    model, reason = content.topic_model(corpus, option, seed=random_state or 0, progress=progress)
    if model is None:
        not_computed.append(f"topics: not computed ({reason})")
        return
    results["topics"] = model
    results["topic_coherence"] = quality = model.coherence("c_npmi")
    results["topic_baseline"] = baseline = coherence_baseline(model, "c_npmi", seed=random_state or 0)
    add(table_makers.topics(model, quality, baseline))
    if model.sweep_table is not None:
        add(table_makers.topic_sweep(model.sweep_table, model.k))
    group = set(summary.super_users.member_ids)
    try:
        comparison = compare_groups(model, group, group_name="super-users", other_name="other posters")
    except PeerscopeError as error:
        not_computed.append(f"topics of super-users against other posters: not computed ({error})")
    else:
        results["topic_odds"] = comparison
        add(table_makers.topic_odds(comparison, len(group), min_cell))
    if include_quotes:
        add(_topic_quotes(corpus, model))


def _topic_quotes(corpus, model):
    dominant = model.dominant_topics()
    shares = np.nan_to_num(model.doc_topic, nan=-1.0)
    text = engine.collect(corpus.posts(columns=["post_id", "text"])).set_index("post_id")["text"]
    rows = {}
    for topic in range(model.k):
        candidates = np.flatnonzero(dominant == topic)
        if len(candidates):
            best = candidates[np.argmax(shares[candidates, topic])]
            post_id = model.docs["post_id"].iloc[best]
            quote = str(text.get(post_id, ""))[:240]
            rows[topic] = {"label": model.topic_names()[topic], "post_id": post_id, "quote": quote}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "topic"
    return table_makers.Table("topic_quotes", "The most typical post of each topic (first 240 characters)",
                              frame, notes=["Included on request (include_quotes)."])


def _support(corpus, option, summary, replicates, random_state, progress, results, add,
             not_computed) -> None:
    """The support-types table: shares overall, by super-users and by position in the thread."""
    labels, reason = content.support_labels(corpus, option, progress=progress)
    if labels is None:
        not_computed.append(f"support types: not computed ({reason})")
        return
    results["support"] = labels
    shares = content.support_shares(labels, set(summary.super_users.member_ids),
                                    replicates=replicates, random_state=random_state)
    results["support_shares"] = shares
    add(table_makers.support_types(shares, content.GROUPS))


def _newsletter_text(corpus, topics, support, min_cell, random_state, progress, results, add,
                     not_computed) -> None:
    """Topics and support types of newsletter items against forum posts, when items have text.

    ``topics`` is the k of the report's model of the posts when there is one (a joint model of
    posts and items with the same k, without a second sweep), else the report's option.
    """
    labelled = results.get("support")  # the posts' labels: only the items are labelled again
    tables, section, reason = newsletter_text.newsletter_text_tables(
        corpus, topics=topics, support=labelled.model if labelled is not None else support, min_cell=min_cell,
        random_state=random_state or 0, progress=progress,
        post_labels=labelled.posts if labelled is not None else None)
    if reason is not None:
        not_computed.append(f"newsletter text: not computed ({reason})")
    for table in tables:
        add(table)
    not_computed.extend(section.pop("not_computed", []))
    results.update(section)


def _footer(corpus, window, rule, min_cell: int) -> str:
    span = (f"{window.start:%Y-%m-%d}" if window.start is not None else "start") + " to " + (
        f"{window.end:%Y-%m-%d}" if window.end is not None else "end")
    return (f"{corpus.name}; {span}; super-users {rule!r}; "
            f"cells < {min_cell} people not shown; peerscope {__version__}")


def _figures(results, description, rule, timezone, min_cell, footer, not_computed):
    """Draw every figure the results allow; (figures, titles)."""
    try:
        figure_makers.require_matplotlib()
    except figure_makers.MissingDependencyError as error:
        not_computed.append(f"figures: not drawn ({error})")
        return {}, {}
    summary = results["participation"]
    activity = results["activity"]
    makers = {
        "lorenz": ("Lorenz curve of posts per person",
                   lambda: figure_makers.lorenz(summary, footer)),
        "rank_frequency": ("Rank-frequency of posts per poster with Zipf and power-law fits",
                           lambda: figure_makers.rank_frequency(
                               activity.loc[activity["posts"] > 0, "posts"].to_numpy(), summary, footer)),
        "bands": ("Participation bands next to van Mierlo 2014",
                  lambda: figure_makers.bands(summary, table_makers.VAN_MIERLO_BANDS, footer)
                  if summary.members and ceil_share(0.01, summary.members) >= min_cell else None),
        "time_of_day": (f"Posts by hour and weekday ({timezone})",
                        lambda: figure_makers.time_heatmap(results["time_profile"],
                                                           f"{footer}; timezone {timezone}")
                        if description.can("time of day") else None),
        "survival": ("Kaplan-Meier survival of posters' tenure",
                     lambda: figure_makers.survival(results["survival"], min_cell, footer)),
        "ladder_monthly": ("Members by participation ladder level per month",
                           lambda: figure_makers.ladder_monthly(results["ladder"],
                                                                participation_metrics.LADDER,
                                                                min_cell, footer)),
        "give_receive": ("Replies given and received per member, by role",
                         lambda: figure_makers.give_receive(results["reciprocity"].balance, footer)
                         if description.can("reciprocity") else None),
        "forms_over_tenure": ("Forms of peer support in use over tenure",
                              lambda: _forms_figure(results, min_cell, footer)),
        "topic_odds": ("Topics of super-users against other posters (odds ratios)",
                       lambda: figure_makers.topic_odds(_with_terms(results["topic_odds"],
                                                                    results["topics"]), footer)
                       if "topic_odds" in results else None),
        "newsletter_topics_by_month": ("Topic prevalence by month in forum posts and newsletter items",
                                       lambda: newsletter_text.topic_prevalence_by_source(
                                           results["newsletter_topic_monthly"], footer, min_cell)
                                       if "newsletter_topic_monthly" in results else None),
        "support_by_month": ("Support types by month",
                             lambda: figure_makers.support_by_month(
                                 content.monthly_shares(results["support"], min_cell), footer)
                             if "support" in results else None),
    }
    drawn, titles = {}, {}
    for name, (title, make) in makers.items():
        figure = make()
        if figure is None:
            not_computed.append(f"figure {name}: not drawn ({_why_not_drawn(name, description)})")
            continue
        drawn[name], titles[name] = figure, title
    return drawn, titles


def _with_terms(comparison: pd.DataFrame, model) -> pd.DataFrame:
    """Topic labels with their top three terms, for a figure's axis."""
    terms = model.summary(3).set_index("topic")["terms"]
    return comparison.assign(label=[f"{label}: {terms[topic]}" for topic, label
                                    in zip(comparison["topic"], comparison["label"])])


def _forms_figure(results, min_cell, footer):
    if "forms_over_tenure" not in results:
        return None
    from peerscope import pluralism

    return figure_makers.forms_over_tenure(results["forms_over_tenure"], pluralism.FORMS,
                                           table_makers.SIDE_BY_SIDE_FORMS, min_cell, footer)


def _why_not_drawn(name: str, description) -> str:
    measure = {"time_of_day": "time of day", "give_receive": "reciprocity",
               "forms_over_tenure": "pluralistic use", "bands": "lurkers",
               "topic_odds": "topics and support types",
               "newsletter_topics_by_month": "newsletters",
               "support_by_month": "topics and support types"}.get(name)
    if measure is not None and not description.can(measure):
        return next(c.reason for c in description.capabilities if c.measure == measure)
    return "no data to draw, or every point rests on fewer people than the small-cell threshold"
